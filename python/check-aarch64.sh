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
# 2. runs the whole Python suite (python/tests, installed-wheel mode) on it under qemu.
# Needs: qemu-user-static (apt-get), pip (aarch64 wheels of the test dependencies are
# downloaded with --platform), s3s-fs for the end-to-end tests (as python/ci.sh: S3S_FS or
# PATH; it runs natively, the aarch64 client talks to it over 127.0.0.1).
#
# Environment knobs:
#   SIGV4_AARCH64_DIR  where the sysroot, test dependencies and runs go
#                      (default: target/python-aarch64)
#   SIGV4_AARCH64_PYTEST  extra pytest arguments (e.g. "-k v4_suite")
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' >&2; exit 2; }
WHEELDIR=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=${SIGV4_AARCH64_DIR:-$REPO/target/python-aarch64}
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$WORK"

one_wheel() {
  local found
  found=$(ls "$WHEELDIR"/sigv4_rs-*-$1.whl "$WHEELDIR"/sigv4_rs-*-$1.*.whl 2>/dev/null || true)
  [ "$(echo "$found" | grep -c .)" = 1 ] || { echo "error: want one $1 wheel in $WHEELDIR, found: ${found:-none}" >&2; exit 1; }
  echo "$found"
}
X86_WHEEL=$(one_wheel "*manylinux2014_x86_64")
ARM_WHEEL=$(one_wheel "*manylinux2014_aarch64")

if ! command -v qemu-aarch64-static >/dev/null; then
  echo "== aarch64: installing qemu-user-static (Debian)"
  apt-get update -q && apt-get install -y -q qemu-user-static
fi

# --- a Debian arm64 sysroot with CPython 3.11, from a private apt state ---
debian_sysroot() {
  local root=$WORK/debian-arm64 apt=$WORK/apt-arm64
  [ -x "$root/usr/bin/python3.11" ] && return
  echo "== aarch64: Debian bookworm arm64 CPython 3.11 into $root"
  rm -rf "$apt" "$root"
  mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/state/lists/partial" \
    "$apt/cache/archives/partial" "$root"
  touch "$apt/state/status"
  cp /etc/apt/sources.list.d/debian.sources "$apt/etc/sources.list.d/"
  local opts=(-o "Dir::Etc=$apt/etc" -o Dir::Etc::SourceList=/dev/null
    -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d" -o "Dir::State=$apt/state"
    -o "Dir::State::status=$apt/state/status" -o "Dir::Cache=$apt/cache"
    -o APT::Architecture=arm64 -o APT::Architectures=arm64
    -o Dir::Etc::trusted=/etc/apt/trusted.gpg -o Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d)
  apt-get "${opts[@]}" -q update >/dev/null
  apt-get "${opts[@]}" -q -y -d --no-install-recommends install python3.11-minimal libpython3.11-stdlib >/dev/null
  for deb in "$apt"/cache/archives/*.deb; do dpkg-deb -x "$deb" "$root"; done
}
debian_sysroot
SYSROOT=$WORK/debian-arm64

# The test dependencies for aarch64 CPython 3.11 (pure Python, or aarch64 wheels).
DEPS=$WORK/deps-cp311-aarch64
if [ ! -f "$DEPS/.done" ]; then
  echo "== aarch64: test dependencies (aarch64 wheels) into $DEPS"
  rm -rf "$DEPS"
  python3 -m pip install -q --target "$DEPS" --platform manylinux2014_aarch64 \
    --implementation cp --python-version 3.11 --only-binary=:all: \
    pytest botocore requests httpx aiohttp
  touch "$DEPS/.done"
fi

# The interpreter as a program (spawned children, e.g. multiprocessing, run under qemu too).
PY_ARM=$WORK/python3.11-aarch64
cat >"$PY_ARM" <<EOF
#!/bin/sh
PYTHONHOME=$SYSROOT/usr exec qemu-aarch64-static -L $SYSROOT -0 "\$0" $SYSROOT/usr/bin/python3.11 "\$@"
EOF
chmod +x "$PY_ARM"

# Each wheel unpacked into a site-packages directory of its own (conftest refuses a source tree).
unpack() {
  rm -rf "$2" && mkdir -p "$2"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}
unpack "$X86_WHEEL" "$WORK/x86_64/site-packages"
unpack "$ARM_WHEEL" "$WORK/aarch64/site-packages"

echo "== aarch64: $("$PY_ARM" -c 'import platform, sys; print(sys.version.split()[0], platform.machine(), *platform.libc_ver())')"
file -b "$WORK/aarch64/site-packages/sigv4/"_sigv4*.so

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
