#!/usr/bin/env bash
# Shows that the musllinux wheels work: runs them on a musl-linked CPython 3.11, by hand (not
# part of CI). No package registry here ships a musl CPython, so this builds one: Debian's
# CPython 3.11 source (the python3.11 source package), compiled with zig for
# <arch>-linux-musl, run on Debian's musl 1.2.3 (the `musl` package: natively on x86_64,
# under qemu-user with Debian's arm64 `musl` on aarch64).
#
#   bash python/check-musl.sh WHEELDIR [x86_64|aarch64 ...]   (default: both)
#
# For each architecture: imports the musllinux_1_2 wheel and signs the fixed requests of
# tests/sign_fixture.py, failing unless the output is byte-identical to the x86_64
# manylinux2014 wheel's (run natively); then runs the test files that need nothing but the
# standard library and pytest (SIGV4_MUSL_TESTS): this CPython has no `ssl` module (no musl
# OpenSSL to link), which botocore/requests/httpx-based tests need.
#
# Environment knobs:
#   SIGV4_MUSL_DIR    work dir (default: target/python-musl)
#   SIGV4_PY_TOOLS    venv with ziglang (default: target/python-tools, as build-wheels.sh)
#   SIGV4_MUSL_TESTS  test files under python/tests (default: below)
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' >&2; exit 2; }
WHEELDIR=$(cd "$1" && pwd)
shift
ARCHES=("$@")
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(x86_64 aarch64)
cd "$(dirname "$0")/.."
REPO=$(pwd)
WORK=${SIGV4_MUSL_DIR:-$REPO/target/python-musl}
TOOLS=${SIGV4_PY_TOOLS:-$REPO/target/python-tools}
TESTS=${SIGV4_MUSL_TESTS:-test_v4_suite.py test_gil.py test_check_wheel.py}
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$WORK"

if [ ! -x "$TOOLS/bin/python" ] || ! "$TOOLS/bin/python" -c "import ziglang" 2>/dev/null; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q ziglang
fi
ZIG=$("$TOOLS/bin/python" -c "import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), 'zig'))")
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
[ -e /lib/ld-musl-x86_64.so.1 ] || need+=(musl)
if [ ${#need[@]} -gt 0 ]; then
  echo "== musl: installing ${need[*]} (Debian)"
  apt-get update -q && apt-get install -y -q "${need[@]}"
fi

# A private apt state (the machine's apt configuration is not changed).
apt_private() { # dir arch types -> prints the apt-get options
  local dir=$1
  if [ ! -d "$dir/state/lists" ]; then
    mkdir -p "$dir/etc/sources.list.d" "$dir/etc/preferences.d" "$dir/state/lists/partial" \
      "$dir/cache/archives/partial"
    touch "$dir/state/status"
    printf 'Types: %s\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$3" >"$dir/etc/sources.list.d/debian.sources"
    apt-get "${APT_OPTS[@]}" -o "Dir::Etc=$dir/etc" -o "Dir::Etc::SourceParts=$dir/etc/sources.list.d" \
      -o "Dir::State=$dir/state" -o "Dir::State::status=$dir/state/status" -o "Dir::Cache=$dir/cache" \
      -o "APT::Architecture=$2" -o "APT::Architectures=$2" -q update >/dev/null
  fi
  echo -o "Dir::Etc=$dir/etc" -o "Dir::Etc::SourceParts=$dir/etc/sources.list.d" \
    -o "Dir::State=$dir/state" -o "Dir::State::status=$dir/state/status" -o "Dir::Cache=$dir/cache" \
    -o "APT::Architecture=$2" -o "APT::Architectures=$2"
}
APT_OPTS=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::trusted=/etc/apt/trusted.gpg
  -o Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d)

# CPython's source, from Debian's python3.11 source package (its upstream tarball).
SRC=$WORK/Python-3.11.2
if [ ! -x "$SRC/configure" ]; then
  echo "== musl: CPython 3.11 source (Debian source package python3.11)"
  # shellcheck disable=SC2046
  (cd "$WORK" && apt-get "${APT_OPTS[@]}" $(apt_private "$WORK/apt-src" amd64 deb-src) -q \
    source --download-only python3.11 >/dev/null)
  tar xzf "$WORK"/python3.11_3.11.2.orig.tar.gz -C "$WORK"
fi

build_cpython() { # arch -> CPython 3.11 for <arch>-linux-musl in $WORK/cpython-<arch>/root
  local arch=$1 dir=$WORK/cpython-$1
  [ -x "$dir/root/opt/py311/bin/python3.11" ] && return
  echo "== musl: building CPython 3.11 for $arch-linux-musl with zig (minutes)"
  rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/build"
  printf '#!/bin/sh\nexec %s cc -target %s-linux-musl -Wno-date-time "$@"\n' "$ZIG" "$arch" >"$dir/bin/cc"
  printf '#!/bin/sh\nexec %s ar "$@"\n' "$ZIG" >"$dir/bin/ar"
  printf '#!/bin/sh\nexec %s ranlib "$@"\n' "$ZIG" >"$dir/bin/ranlib"
  chmod +x "$dir"/bin/*
  (cd "$dir/build" && "$SRC/configure" -q --build=x86_64-pc-linux-gnu --host="$arch-linux-musl" \
    --prefix=/opt/py311 --with-build-python="$(command -v python3.11)" --disable-test-modules \
    --without-ensurepip CC="$dir/bin/cc" AR="$dir/bin/ar" RANLIB="$dir/bin/ranlib" READELF="$(command -v readelf)" \
    ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no >"$dir/configure.log" 2>&1 \
    && make -j2 >"$dir/make.log" 2>&1 && make install DESTDIR="$dir/root" >"$dir/install.log" 2>&1) \
    || { echo "error: CPython build for $arch failed; see $dir/*.log" >&2; exit 1; }
}

# Debian's arm64 musl (the dynamic loader, /lib/ld-musl-aarch64.so.1) for qemu -L.
arm64_musl_root() {
  local root=$WORK/musl-arm64
  [ -e "$root/lib/ld-musl-aarch64.so.1" ] && return
  # shellcheck disable=SC2046
  apt-get "${APT_OPTS[@]}" $(apt_private "$WORK/apt-arm64" arm64 deb) -q -y -d \
    --no-install-recommends install musl >/dev/null
  mkdir -p "$root"
  for deb in "$WORK"/apt-arm64/cache/archives/musl_*.deb; do dpkg-deb -x "$deb" "$root"; done
}

unpack() { rm -rf "$2" && mkdir -p "$2" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; }
one_wheel() {
  local found
  found=$(ls "$WHEELDIR"/sigv4_rs-*-$1.whl "$WHEELDIR"/sigv4_rs-*-$1.*.whl 2>/dev/null || true)
  [ "$(echo "$found" | grep -c .)" = 1 ] || { echo "error: want one $1 wheel in $WHEELDIR, found: ${found:-none}" >&2; exit 1; }
  echo "$found"
}

for arch in "${ARCHES[@]}"; do build_cpython "$arch"; done
unpack "$(one_wheel "*manylinux2014_x86_64")" "$WORK/reference/site-packages"
PYTHONPATH=$WORK/reference/site-packages python3 python/tests/sign_fixture.py >"$WORK/reference/signatures.json"

for arch in "${ARCHES[@]}"; do
  wheel=$(one_wheel "musllinux_1_2_$arch")
  prefix=$WORK/cpython-$arch/root/opt/py311
  py=$WORK/python3.11-musl-$arch
  if [ "$arch" = x86_64 ]; then
    printf '#!/bin/sh\nPYTHONHOME=%s exec %s/bin/python3.11 "$@"\n' "$prefix" "$prefix" >"$py"
  else
    arm64_musl_root
    printf '#!/bin/sh\nPYTHONHOME=%s exec qemu-aarch64-static -L %s -0 "$0" %s/bin/python3.11 "$@"\n' \
      "$prefix" "$WORK/musl-arm64" "$prefix" >"$py"
  fi
  chmod +x "$py"
  deps=$WORK/deps-$arch
  if [ ! -f "$deps/.done" ]; then
    rm -rf "$deps"
    python3 -m pip install -q --target "$deps" --only-binary=:all: pytest
    touch "$deps/.done"
  fi
  unpack "$wheel" "$WORK/$arch/site-packages"
  echo "== musl: $("$py" -c 'import platform, sys; print(sys.version.split()[0], platform.machine(), *platform.libc_ver())') (no glibc: musl)"
  file -b "$WORK/$arch/site-packages/sigv4/"_sigv4*.so
  echo "== musl: same signatures from $(basename "$wheel") and the x86_64 manylinux2014 wheel"
  PYTHONPATH=$WORK/$arch/site-packages "$py" python/tests/sign_fixture.py >"$WORK/$arch/signatures.json"
  cmp "$WORK/reference/signatures.json" "$WORK/$arch/signatures.json"
  echo "identical: $(grep -c . "$WORK/$arch/signatures.json") lines"
  echo "== musl: pytest $TESTS on $(basename "$wheel")"
  files=()
  for t in $TESTS; do files+=("$REPO/python/tests/$t"); done
  run=$(mktemp -d)
  (cd "$run" && SIGV4_TEST_INSTALLED=1 PYTHONPATH=$WORK/$arch/site-packages:$deps \
    "$py" -m pytest -q -p no:cacheprovider "${files[@]}")
  rm -rf "$run"
done
