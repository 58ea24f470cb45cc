#!/usr/bin/env bash
# Shows that the sdist builds and passes the tests with only a Rust toolchain and pip, as on a
# platform without a wheel: a fresh venv (nothing but pip) installs the sdist from an empty
# directory outside the repository (pip fetches maturin as the build backend; cargo builds the
# crates the sdist carries), then the Python suite runs against the installed package.
#
#   bash python/check-sdist.sh [SDIST]     (default: build one with build-wheels.sh)
#
# Environment knobs:
#   CARGO_TARGET_DIR  Rust build dir for the sdist build (default: target/python-sdist)
#   S3S_FS            path to an s3s-fs binary (as python/ci.sh; default: PATH, ~/.cargo/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target/python-sdist}

if [ $# -ge 1 ]; then
  SDIST=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  bash python/build-wheels.sh "$WORK/dist" sdist
  SDIST=$(ls "$WORK"/dist/sigv4_rs-*.tar.gz)
fi
mkdir "$WORK/empty"
cp "$SDIST" "$WORK/empty/"
cd "$WORK/empty"

echo "== sdist: pip install $(basename "$SDIST") into a fresh venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --upgrade pip
"$WORK/venv/bin/python" -m pip install --no-cache-dir "./$(basename "$SDIST")"
"$WORK/venv/bin/python" -m pip install -q pytest botocore requests httpx aiohttp

if [ -z "${S3S_FS:-}" ]; then
  S3S_FS=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
fi
echo "== sdist: pytest against the package built from the sdist"
S3S_FS=$S3S_FS SIGV4_TEST_INSTALLED=1 "$WORK/venv/bin/pytest" -q -p no:cacheprovider "$REPO/python/tests"
