#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (all features, doctests included),
# the gateway's end-to-end tests (boto3 and aws-cli against moto_server), and, when
# python/ci.sh exists, the Python package's pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d ../shared/testdata ] || { echo "error: ../shared/testdata is missing (test data must sit beside the repository)" >&2; exit 1; }
cargo test --workspace --all-features
# The generated inference table is what its generator makes from the pinned botocore.
bash scripts/infer/check_table.sh
bash scripts/gateway-e2e.sh
if [ -f python/ci.sh ]; then
  bash python/ci.sh
fi
