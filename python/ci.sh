#!/usr/bin/env bash
# CI for the Python package: lint the extension crate, build the manylinux2014 abi3 wheel
# with maturin + zig (python/build-wheels.sh; auditwheel checks its tag), install it into a
# fresh venv, make sure s3s-fs is available, and run the pytest suite against the installed
# wheel from a directory where the source tree is not importable.
#
# Environment knobs:
#   SIGV4_PY_VENV     where to create the venv      (default: target/python-venv)
#   CARGO_TARGET_DIR  Rust build dir for the wheel  (default: target/python)
#   SIGV4_PY_PROFILE  release (default) or dev: the wheel's build profile
#   S3S_FS            path to an s3s-fs binary      (default: PATH, else cargo install)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

VENV=${SIGV4_PY_VENV:-$REPO/target/python-venv}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target/python}
export CARGO_TERM_COLOR=never
export PIP_DISABLE_PIP_VERSION_CHECK=1
PROFILE=${SIGV4_PY_PROFILE:-release}
WHEELS=$CARGO_TARGET_DIR/wheels

echo "== python: venv at $VENV"
rm -rf "$VENV"
python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q pytest botocore requests httpx aiohttp
export PYO3_PYTHON="$PY"

# No --locked: python/Cargo.lock is used, but a dependency the workspace crates gain later
# must not fail this build (the lock file is refreshed and should then be committed).
echo "== python: rustfmt and clippy (python/ is its own cargo workspace)"
cargo fmt --manifest-path python/Cargo.toml -- --check
cargo clippy --manifest-path python/Cargo.toml --all-targets --features pyo3/extension-module -- -D warnings

# The wheel users get on x86_64 Linux: manylinux2014 (glibc 2.17, linked with zig), its tag
# checked by auditwheel (build-wheels.sh builds the other platforms the same way; it installs
# maturin, ziglang and auditwheel into the venv).
echo "== python: manylinux2014_x86_64 $PROFILE abi3 wheel"
rm -rf "$WHEELS"
SIGV4_PY_TOOLS="$VENV" bash python/build-wheels.sh "$WHEELS" manylinux2014_x86_64
WHEEL=$(ls "$WHEELS"/sigv4_rs-*-cp310-abi3-*manylinux2014_x86_64*.whl)
# The metadata PyPI would show (classifiers, license expression and files, README).
"$PY" -m pip install -q twine
"$VENV/bin/twine" check --strict "$WHEEL"
echo "== python: installing $(basename "$WHEEL")"
"$PY" -m pip install -q --force-reinstall "$WHEEL"

# Test the installed wheel, never the source tree: run from an empty directory (the pytest
# console script does not put the working directory on sys.path) and check where the
# package comes from.
RUN_DIR=$(mktemp -d)
trap 'rm -rf "$RUN_DIR"' EXIT
(cd "$RUN_DIR" && "$PY" -c "
import sigv4, sigv4.requests, sigv4.httpx, sigv4.compat.sosw, sigv4.compat.requests_aws_sign, sigv4.providers.web_identity
import sigv4.compat.requests_aws4auth.aws4signingkey
assert 'site-packages' in sigv4.__file__, sigv4.__file__
print('sigv4', sigv4.__version__, 'installed at', sigv4.__file__)")

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

echo "== python: pytest (installed wheel)"
cd "$RUN_DIR"
SIGV4_TEST_INSTALLED=1 "$VENV/bin/pytest" -q -p no:cacheprovider "$REPO/python/tests"

# The original libraries' own test suites, unmodified, against the same installed wheel
# (issue 20): a separate script, so the steps above can change independently.
echo "== python: the originals' own test suites (python/peer-suites.sh)"
bash "$REPO/python/peer-suites.sh" "$PY"
