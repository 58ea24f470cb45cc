#!/usr/bin/env bash
# Release readiness (issue 27): the published crates work from their tarballs alone.
#
#   bash scripts/publish-check.sh                 # dry-run, tarball and install (CI)
#   bash scripts/publish-check.sh dry-run tarball # only some steps (dry-run, readme, tarball, install)
#
# dry-run  `cargo publish --workspace --dry-run`: packages every publishable crate and builds
#          each from its tarball in dependency order. Our crates are not on crates.io yet, so
#          cargo resolves them from a local registry overlay of the tarballs it just made
#          (cargo >= 1.90 does this for crates published together).
# readme   the README each packaged crate names in its manifest is in the tarball and renders
#          on its own (scripts/readme-check.py: no relative links, no rustdoc-hidden lines);
#          the same for the Python package's README (PyPI shows it without the repository).
# tarball  unpacks the .crate files (nothing else from the repository) beside each other,
#          points crates.io's `sigv4-rs*` at them with [patch.crates-io], and runs their
#          unit tests, doctests and examples: the tarball builds and tests on its own.
# install  `cargo install` of the packaged CLI from its unpacked tarball in an empty
#          CARGO_HOME (registry downloads from crates.io, our libraries from the tarballs),
#          then checks the installed `sigv4 --version` and signs the AWS suite's get-vanilla
#          case (../shared/testdata) to the suite's signature.
#
# Environment: PUBLISH_CHECK_TARGET (target dir of the install step, default target/install;
# reused between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export CARGO_TERM_COLOR=never

steps=("$@")
# All three run in CI. install takes about 4 min (a fresh CARGO_HOME and dependency
# resolution, as a user's `cargo install` has); a newer rustls there warns that
# `ring::default_provider` is deprecated, which is a warning, not an error.
[ ${#steps[@]} -eq 0 ] && steps=(dry-run readme tarball install)

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# "name version" of every workspace crate that may be published.
publishable=$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
m = json.load(sys.stdin)
for p in m["packages"]:
    if p["id"] in m["workspace_members"] and p.get("publish") != []:
        print(p["name"], p["version"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dry_run() {
  echo "== cargo publish --workspace --dry-run (each crate built from its tarball)"
  # Cargo extracts the overlay's tarballs under CARGO_HOME/registry/src/-<hash>/ and, as
  # registry versions never change, reuses an earlier extraction of the same version: a
  # second run would build the first run's sources. Remove those extractions (only ours).
  # Cargo also treats a compiled registry crate as fresh when name and version match, so
  # the build artifacts of our crates go too (cargo clean -p: the workspace's copies are
  # rebuilt by the next build).
  local specs=()
  while read -r name version; do
    rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"$name-$version"
    specs+=(-p "$name")
  done <<<"$publishable"
  cargo clean -q "${specs[@]}"
  # Cargo lists the tests left out of the packages (they read ../shared/testdata) and the
  # repository URL we do not have yet; everything else it says is shown.
  cargo publish --workspace --dry-run --locked --allow-dirty 2>&1 \
    | { grep -v -e '^warning: ignoring test ' -e 'no documentation, homepage or repository' \
      -e 'manifest.html#package-metadata' -e '^ *|$' -e '^ *Compiling ' -e '^ *Download' || true; }
  echo "  ok: $(echo "$publishable" | tr '\n' ' ')"
}

# Unpacks the .crate files made by the dry run into $work/crates with a workspace that
# patches crates.io's `sigv4-rs*` to them.
unpack() {
  [ -d "$work/crates" ] && return
  mkdir -p "$work/crates"
  # The tarballs as published (the dry run keeps its own in a temporary registry).
  local specs=()
  while read -r name _; do specs+=(-p "$name"); done <<<"$publishable"
  cargo package -q --locked --allow-dirty --no-verify "${specs[@]}" 2>&1 \
    | { grep -v -e '^warning: ignoring test ' -e 'no documentation, homepage or repository' \
      -e 'manifest.html#package-metadata' -e '^ *|$' || true; }
  local members=() patch=""
  while read -r name version; do
    local crate="$target_dir/package/$name-$version.crate"
    [ -f "$crate" ] || { echo "missing $crate" >&2; exit 1; }
    tar -xzf "$crate" -C "$work/crates"
    members+=("\"$name-$version\"")
    patch+="$name = { path = \"$work/crates/$name-$version\" }"$'\n'
  done <<<"$publishable"
  printf '[workspace]\nresolver = "2"\nmembers = [%s]\n\n[patch.crates-io]\n%s' \
    "$(IFS=,; echo "${members[*]}")" "$patch" >"$work/crates/Cargo.toml"
  printf '%s' "$patch" >"$work/patch.toml"
  # The workspace's lock file keeps third-party versions at the ones CI tests.
  cp Cargo.lock "$work/crates/Cargo.lock"
}

# Runs a command with its output in a log: the test summaries on success, all of it on failure.
quiet() {
  local log="$work/quiet.log"
  if "$@" >"$log" 2>&1; then
    grep -E '^test result' "$log" | sed 's/^/  /' || true
  else
    cat "$log"
    echo "failed: $*" >&2
    return 1
  fi
}

readme() {
  echo "== the packaged READMEs render on their own"
  unpack
  local readmes=(python/README.md)
  while read -r name version; do
    local dir="$work/crates/$name-$version" file
    file=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["package"].get("readme", ""))' "$dir/Cargo.toml")
    [ -n "$file" ] && [ -f "$dir/$file" ] || { echo "$name: readme '$file' is not in the package" >&2; exit 1; }
    readmes+=("$dir/$file")
  done <<<"$publishable"
  python3 scripts/readme-check.py "${readmes[@]}"
  echo "  ok: ${#readmes[@]} READMEs"
}

tarball() {
  echo "== the packaged crates on their own: unit tests, doctests, examples"
  unpack
  (
    cd "$work/crates"
    # The repository's target dir: the registry dependencies (same versions, same lock
    # file) are compiled once for both; the unpacked crates are other packages to cargo.
    export CARGO_TARGET_DIR="$target_dir"
    quiet cargo test --workspace --all-features --lib --bins --examples
    quiet cargo test --workspace --all-features --doc
  )
  echo "  ok"
}

install() {
  echo "== cargo install of the packaged CLI in an empty CARGO_HOME"
  unpack
  local cli version home root
  read -r cli version < <(grep -- '-cli ' <<<"$publishable")
  home="$work/cargo-home"
  root="$work/root"
  mkdir -p "$home"
  { echo "[patch.crates-io]"; grep -v -- "^$cli " "$work/patch.toml"; } >"$home/config.toml"
  local t0=$SECONDS
  CARGO_HOME="$home" cargo install --path "$work/crates/$cli-$version" --root "$root" \
    --target-dir "${PUBLISH_CHECK_TARGET:-$target_dir/install}" --quiet
  echo "  built in $((SECONDS - t0)) s"
  local out
  out=$("$root/bin/sigv4" --version)
  echo "$out" | sed 's/^/  /'
  grep -qx "sigv4 $version" <<<"$(head -1 <<<"$out")" || { echo "first line is not 'sigv4 $version'" >&2; exit 1; }
  grep -q '^sigv4-rs [0-9.]*: .*http' <<<"$out" || { echo "no core features in --version" >&2; exit 1; }
  grep -q '^sigv4-rs-credentials [0-9.]*: hyper-client, rustls$' <<<"$out" \
    || { echo "no credentials features in --version" >&2; exit 1; }
  grep -q '^sigv4-rs-http [0-9.]*: gateway, key-file, server, tower$' <<<"$out" \
    || { echo "no sigv4-rs-http features in --version" >&2; exit 1; }
  grep -q '^sigv4-rs-crc64 [0-9.]*: kernel ' <<<"$out" \
    || { echo "no sigv4-rs-crc64 kernel in --version" >&2; exit 1; }
  local case=../shared/testdata/aws-signing-test-suite/v4/get-vanilla
  [ -f "$case/header-signature.txt" ] || { echo "missing $case (../shared/testdata)" >&2; exit 1; }
  local sig
  sig=$(env -i PATH="$PATH" HOME="$work" AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
    AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true \
    "$root/bin/sigv4" sign --region us-east-1 --service service --time 20150830T123600Z \
    https://example.amazonaws.com/ | sed -n 's/^Signature: //p')
  [ "$sig" = "$(cat "$case/header-signature.txt")" ] \
    || { echo "installed sigv4 signed get-vanilla as '$sig', the suite says $(cat "$case/header-signature.txt")" >&2; exit 1; }
  echo "  ok: the installed sigv4 signs the suite's get-vanilla case"
}

for s in "${steps[@]}"; do
  case "$s" in
    dry-run) dry_run ;;
    readme) readme ;;
    tarball) tarball ;;
    install) install ;;
    *) echo "unknown step $s (dry-run, readme, tarball, install)" >&2; exit 2 ;;
  esac
done
