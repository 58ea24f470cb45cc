#!/usr/bin/env bash
# Shows that the aarch64 wheels work, not only that they exist: runs them on an aarch64
# CPython under qemu-user (no aarch64 machine needed), by hand (not part of CI).
#
#   bash python/check-aarch64.sh WHEELDIR      (the OUTDIR of build-wheels.sh)
#
# For the manylinux2014_aarch64 wheel: Debian bookworm's arm64 CPython 3.11 (glibc 2.36),
# extracted from Debian's packages into a sysroot (a private apt state: the machine's apt
# configuration is not changed).
# 1. imports it and signs a fixed set of requests (headers, presigned URLs, SigV4 keys,
#    sosw / requests-aws4auth compat) with the same inputs as the x86_64 wheel run natively,
#    and fails unless the two outputs are byte-identical;
# 2. runs the whole Python suite (python/tests, installed-wheel mode) on it under qemu;
# 3. runs the original libraries' own suites on it (python/peer-suites.sh) under qemu.
# Needs: qemu-user-static (apt-get), pip (aarch64 wheels of the test dependencies are
# downloaded with --platform), s3s-fs for the end-to-end tests (as python/ci.sh: S3S_FS or
# PATH; it runs natively, the aarch64 client talks to it over 127.0.0.1).
#
# Environment knobs:
#   SIGV4_AARCH64_DIR  where the sysroot, test dependencies and runs go
#                      (default: target/python-aarch64)
#   SIGV4_AARCH64_PYTEST  extra pytest arguments (e.g. "-k v4_suite")
#   SIGV4_AARCH64_PEER    0: skip step 3
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' >&2; exit 2; }
WHEELDIR=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=${SIGV4_AARCH64_DIR:-$REPO/target/python-aarch64}
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$WORK"

# shellcheck source=python/wheel-check-lib.sh
. python/wheel-check-lib.sh
X86_WHEEL=$(one_wheel "$WHEELDIR" "*manylinux2014_x86_64")
ARM_WHEEL=$(one_wheel "$WHEELDIR" "*manylinux2014_aarch64")

if ! command -v qemu-aarch64-static >/dev/null; then
  echo "== aarch64: installing qemu-user-static (Debian)"
  apt-get update -q && apt-get install -y -q qemu-user-static
fi

# A Debian arm64 sysroot with CPython 3.11 (and its libraries: glibc, OpenSSL, ...).
SYSROOT=$WORK/debian-arm64
if [ ! -x "$SYSROOT/usr/bin/python3.11" ]; then
  echo "== aarch64: Debian bookworm arm64 CPython 3.11 into $SYSROOT"
  debian_sysroot "$WORK/apt-arm64" arm64 "$SYSROOT" "" python3.11-minimal libpython3.11-stdlib
fi
DEPS=$WORK/deps-cp311-aarch64
test_deps "$DEPS" manylinux2014_aarch64

# The interpreter as a program (spawned children, e.g. multiprocessing, run under qemu too).
PY_ARM=$WORK/python3.11-aarch64
cat >"$PY_ARM" <<EOF
#!/bin/sh
PYTHONHOME=$SYSROOT/usr exec qemu-aarch64-static -L $SYSROOT -0 "\$0" $SYSROOT/usr/bin/python3.11 "\$@"
EOF
chmod +x "$PY_ARM"

unpack "$X86_WHEEL" "$WORK/x86_64/site-packages"
unpack "$ARM_WHEEL" "$WORK/aarch64/site-packages"

echo "== aarch64: $("$PY_ARM" -c 'import platform, sys; print(sys.version.split()[0], platform.machine(), *platform.libc_ver())')"
file -b "$WORK/aarch64/site-packages/sigv4/"_sigv4*.so
PYTHONPATH=$DEPS installable "$PY_ARM" "$ARM_WHEEL"

echo "== aarch64: same signatures from $(basename "$ARM_WHEEL") (qemu) and $(basename "$X86_WHEEL") (native)"
PYTHONPATH=$WORK/x86_64/site-packages python3 python/tests/sign_fixture.py >"$WORK/x86_64/signatures.json"
PYTHONPATH=$WORK/aarch64/site-packages:$DEPS "$PY_ARM" python/tests/sign_fixture.py >"$WORK/aarch64/signatures.json"
cmp "$WORK/x86_64/signatures.json" "$WORK/aarch64/signatures.json"
echo "identical: $(grep -c . "$WORK/aarch64/signatures.json") lines ($WORK/aarch64/signatures.json)"

echo "== aarch64: the Python suite on $(basename "$ARM_WHEEL") under qemu"
if [ -z "${S3S_FS:-}" ]; then
  S3S_FS=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
fi
RUN_DIR=$(mktemp -d)
trap 'rm -rf "$RUN_DIR"' EXIT
cd "$RUN_DIR"
# shellcheck disable=SC2086
S3S_FS=$S3S_FS SIGV4_TEST_INSTALLED=1 PYTHONPATH=$WORK/aarch64/site-packages:$DEPS \
  "$PY_ARM" -m pytest -q -p no:cacheprovider ${SIGV4_AARCH64_PYTEST:-} "$REPO/python/tests"

if [ "${SIGV4_AARCH64_PEER:-1}" != 0 ]; then
  echo "== aarch64: the original libraries' suites on $(basename "$ARM_WHEEL") under qemu"
  PYTHONPATH=$WORK/aarch64/site-packages:$DEPS bash "$REPO/python/peer-suites.sh" "$PY_ARM"
fi
