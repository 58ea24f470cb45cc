#!/usr/bin/env bash
# End-to-end tests of `sigv4 gateway` with unmodified boto3 and aws-cli (installed from
# PyPI into a venv of their own) against moto_server with signature checking on.
#
# Environment knobs:
#   SIGV4_GATEWAY_VENV      where to create the venv          (default: target/gateway-venv)
#   SIGV4_GATEWAY_E2E_MIB   size of the `aws s3 cp` file, MiB (default: 64 here; the
#                           benchmark, benches/scripts/gateway.sh, moves 200 MiB)
#   SIGV4_BIN               the sigv4 binary                  (default: built here, debug)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
VENV=${SIGV4_GATEWAY_VENV:-$REPO/target/gateway-venv}
export PIP_DISABLE_PIP_VERSION_CHECK=1
export SIGV4_GATEWAY_E2E_MIB=${SIGV4_GATEWAY_E2E_MIB:-64}

echo "== gateway e2e: building sigv4"
cargo build -q -p sigv4-rs-cli --bin sigv4
export SIGV4_BIN=${SIGV4_BIN:-$REPO/target/debug/sigv4}

echo "== gateway e2e: venv at $VENV (boto3, awscli, moto[server], pytest)"
if [ ! -x "$VENV/bin/moto_server" ] || [ ! -x "$VENV/bin/aws" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q boto3 awscli "moto[server]" pytest
fi
export PATH="$VENV/bin:$PATH"
"$VENV/bin/python" -c "import boto3, botocore, moto; print('boto3', boto3.__version__, 'botocore', botocore.__version__, 'moto', moto.__version__)"
aws --version

echo "== gateway e2e: pytest (aws s3 cp of ${SIGV4_GATEWAY_E2E_MIB} MiB)"
cd "$REPO/scripts/gateway_e2e"
"$VENV/bin/pytest" -q -p no:cacheprovider --durations=3 .
