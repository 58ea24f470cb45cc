#!/usr/bin/env bash
# Benchmark of `sigv4 gateway` (not part of CI): peak RSS while 200 MiB stream through it,
# `aws s3 cp` throughput through the gateway vs directly to moto_server, and the latency it
# adds per request at 1 and 64 concurrent clients. Results go in BENCHMARKS.md.
#
#   GATEWAY_BENCH_MIB=200  GATEWAY_BENCH_REQUESTS=400  PROFILE=release|dev
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build -q --release -p sigv4-rs-cli --bin sigv4
  export SIGV4_BIN=$REPO/target/release/sigv4
else
  cargo build -q -p sigv4-rs-cli --bin sigv4
  export SIGV4_BIN=$REPO/target/debug/sigv4
fi
VENV=${SIGV4_GATEWAY_VENV:-$REPO/target/gateway-venv}
if [ ! -x "$VENV/bin/moto_server" ] || [ ! -x "$VENV/bin/aws" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q boto3 awscli "moto[server]" pytest
fi
export PATH="$VENV/bin:$PATH"
echo "binary: $SIGV4_BIN ($PROFILE)"
"$VENV/bin/python" benches/scripts/gateway_bench.py
