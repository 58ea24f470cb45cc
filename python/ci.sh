#!/usr/bin/env bash
# CI for the Python package: fresh venv, build + install the wheel from source
# (`pip install ./python`), make sure s3s-fs is available, run the pytest suite.
#
# Environment knobs:
#   SIGV4_PY_VENV     where to create the venv      (default: target/python-venv)
#   CARGO_TARGET_DIR  Rust build dir for the wheel  (default: target/python)
#   S3S_FS            path to an s3s-fs binary      (default: PATH, else cargo install)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

VENV=${SIGV4_PY_VENV:-$REPO/target/python-venv}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target/python}
export CARGO_TERM_COLOR=never
export PIP_DISABLE_PIP_VERSION_CHECK=1

echo "== python: venv at $VENV"
rm -rf "$VENV"
python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q "maturin>=1.5,<2" pytest botocore requests httpx

echo "== python: pip install ./python"
"$PY" -m pip install -q ./python
# Import from the installed wheel, not the source tree.
(cd / && "$PY" -c "import sigv4, sigv4.requests, sigv4.httpx; print('sigv4', sigv4.__version__, 'installed')")

if [ -z "${S3S_FS:-}" ]; then
  if command -v s3s-fs >/dev/null 2>&1; then
    S3S_FS=$(command -v s3s-fs)
  elif [ -x "$HOME/.cargo/bin/s3s-fs" ]; then
    S3S_FS=$HOME/.cargo/bin/s3s-fs
  else
    echo "== python: installing s3s-fs (S3 server for the end-to-end tests)"
    cargo install s3s-fs --version 0.14.1 --features binary --locked \
      || cargo install s3s-fs --version 0.14.1 --features binary
    S3S_FS=$HOME/.cargo/bin/s3s-fs
  fi
fi
export S3S_FS
echo "== python: s3s-fs at $S3S_FS"

echo "== python: pytest"
"$VENV/bin/pytest" -q python/tests
