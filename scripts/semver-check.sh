#!/usr/bin/env bash
# Semver check of the library crates against an earlier state of this repository (issue 27).
# Run by hand at release time, not in CI (building the tool takes ~25 min on 2 cores).
#
#   bash scripts/semver-check.sh                    # against the last delivered 0.1.0 tree
#   bash scripts/semver-check.sh 6226886            # against another revision
#   bash scripts/semver-check.sh 6226886 sigv4-rs   # some packages only
#
# Nothing was ever published to crates.io, so the baseline is a git revision. The packages
# were renamed after 0.1.0 (sigv4 -> sigv4-rs, sigv4-credentials -> sigv4-rs-credentials,
# sigv4-http -> sigv4-rs-http; import names unchanged), so cargo-semver-checks cannot pair
# them with --baseline-rev. The baseline tree is exported to a temporary directory (with its
# own Cargo.lock) and the rustdoc JSON of each library is built there and in this checkout,
# with every feature (as docs.rs documents them); cargo-semver-checks compares the two
# files (--baseline-rustdoc/--current-rustdoc), and scripts/public-api.py lists the public
# paths removed (-) and added (+), which the CHANGELOG describes.
#
# The exit status is cargo-semver-checks': non-zero when the workspace version is too small
# for what changed (0.1.0 -> 0.1.x with breaking changes); with the version raised to 0.2.0
# the same findings pass. Every finding is printed; "Summary" says which bump is needed.
#
# Baselines: 97a68d8 (2026-11-30) is the last state delivered as 0.1.0, the default;
# 6226886 (2026-11-23) the first complete 0.1.0 tree. Neither was tagged or published.
#
# Output: target/semver-check/<rev>/<package>.{baseline,current}.json (kept for re-reading).
# Environment: CARGO_SEMVER_CHECKS (the tool's binary; else cargo-semver-checks on PATH,
# else installed with `cargo install --locked` into target/semver-tool).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

baseline=${1:-97a68d8}
shift || true
packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(sigv4-rs sigv4-rs-credentials sigv4-rs-http)
tool_version=0.51.0

tool=${CARGO_SEMVER_CHECKS:-}
if [ -z "$tool" ]; then
  if command -v cargo-semver-checks >/dev/null; then
    tool=$(command -v cargo-semver-checks)
  else
    tool="$repo/target/semver-tool/bin/cargo-semver-checks"
    if [ ! -x "$tool" ]; then
      echo "== installing cargo-semver-checks $tool_version (about 25 min on 2 cores)"
      cargo install --locked cargo-semver-checks --version "$tool_version" --root "$repo/target/semver-tool"
    fi
  fi
fi
"$tool" semver-checks --version

rev=$(git rev-parse --verify "$baseline^{commit}")
out="$repo/target/semver-check/$(git rev-parse --short "$rev")"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== baseline $baseline ($rev), exported to $work/baseline"
mkdir "$work/baseline"
git archive "$rev" | tar -x -C "$work/baseline"

# Today's package names in the baseline's manifests: the package's own name (and its
# library name where it was implicit) and `package = ...` on path dependencies, whose keys
# (the import names) stay.
python3 - "$work/baseline" <<'PY'
import pathlib, re, sys

root = pathlib.Path(sys.argv[1])
renamed = {"sigv4": "sigv4-rs", "sigv4-credentials": "sigv4-rs-credentials",
           "sigv4-http": "sigv4-rs-http", "sigv4-cli": "sigv4-rs-cli"}
lib_names = {"sigv4": "sigv4", "sigv4-credentials": "sigv4_credentials", "sigv4-http": "sigv4_http"}
for manifest in [root / "Cargo.toml", *root.glob("crates/*/Cargo.toml"), *root.glob("benches/Cargo.toml")]:
    text = manifest.read_text()
    match = re.search(r'(?m)^\[package\]\n(?:.*\n)*?name = "([^"]+)"', text)
    if match and match.group(1) in renamed:
        old = match.group(1)
        text = text[:match.start(1)] + renamed[old] + text[match.end(1):]
        if old in lib_names and not re.search(r"(?m)^\[lib\]", text):
            text += f'\n[lib]\nname = "{lib_names[old]}"\n'
    def add_package(m):
        key, spec = m.group(1), m.group(2)
        if "path =" not in spec or "package =" in spec:
            return m.group(0)
        return f'{key} = {{ package = "{renamed[key]}", {spec.strip()} }}'
    text = re.sub(r'(?m)^(sigv4|sigv4-credentials|sigv4-http) = \{(.*)\}[ \t]*$', add_package, text)
    manifest.write_text(text)
PY

# rustdoc JSON of one library with every feature, as cargo-semver-checks builds it.
rustdoc_json() {
  local dir=$1 package=$2 side=$3 lib
  lib=$(cd "$dir" && cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
m = json.load(sys.stdin)
p = next(p for p in m["packages"] if p["name"] == sys.argv[1])
print(next(t["name"] for t in p["targets"] if "lib" in t["kind"]))' "$package")
  (
    cd "$dir"
    RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-Z unstable-options --document-private-items --document-hidden-items --output-format=json --cap-lints=allow" \
      cargo doc -q --no-deps --lib -p "$package" --all-features --target-dir "$repo/target/semver-check/build-$side"
  )
  cp "$repo/target/semver-check/build-$side/doc/$lib.json" "$out/$package.$side.json"
}

status=0
for package in "${packages[@]}"; do
  echo "== $package: rustdoc JSON of $baseline and of this checkout"
  rustdoc_json "$work/baseline" "$package" baseline
  rustdoc_json "$repo" "$package" current
  echo "== $package: cargo semver-checks against $baseline"
  "$tool" semver-checks --baseline-rustdoc "$out/$package.baseline.json" \
    --current-rustdoc "$out/$package.current.json" || status=$?
  echo "== $package: public paths removed (-) and added (+) since $baseline"
  python3 scripts/public-api.py "$out/$package.baseline.json" "$out/$package.current.json"
done
# The `sigv4` command is API too (flags, exit codes): its long flags, as the clap attributes
# of crates/sigv4-cli/src declare them, at the baseline and now.
echo "== sigv4-rs-cli: long flags removed (-) and added (+) since $baseline"
python3 - "$rev" <<'PY'
import re, subprocess, sys

def flags(rev):
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "crates/sigv4-cli/src"],
                           capture_output=True, text=True, check=True).stdout.split()
    found = set()
    for name in files:
        src = subprocess.run(["git", "show", f"{rev}:{name}"], capture_output=True, text=True).stdout
        for m in re.finditer(r"#\[arg\(([^\]]*)\)\]\s*(?:(?:///[^\n]*|#\[[^\n]*)\n\s*)*"
                             r"(?:pub(?:\([a-z]+\))?\s+)?([a-z_0-9]+)\s*:", src):
            attrs, field = m.groups()
            if "long" in attrs:
                named = re.search(r'long\s*=\s*"([^"]+)"', attrs)
                found.add("--" + (named.group(1) if named else field.replace("_", "-")))
    return found

old, new = flags(sys.argv[1]), flags("HEAD")
for flag in sorted(old - new):
    print(f"- {flag}")
for flag in sorted(new - old):
    print(f"+ {flag}")
print(f"({len(old)} long flags then, {len(new)} now)")
PY
exit "$status"
