#!/usr/bin/env bash
# Extra CI checks (issue 7): MSRV against dependency rust-versions, cargo deny
# (licenses, bans, sources), every library crate with no features and with each feature alone
# (warnings are errors), the wasm32-unknown-unknown build of the core (all features and none),
# a bounded run of every cargo-fuzz target, and the release check of the published crates
# (scripts/publish-check.sh: publish dry run, the tarballs tested on their own, cargo install).
#
#   bash scripts/ci-extra.sh            # everything
#   bash scripts/ci-extra.sh msrv deny  # only some steps (msrv, deny, features, wasm, fuzz, publish)
#
# Environment: FUZZ_SECS (seconds per fuzz target, default 15), FUZZ_TARGETS (space-separated
# subset), REQUIRE_WASM=1 (fail instead of skipping when wasm32-unknown-unknown is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

# Versions that build on the pinned toolchain (rustc 1.95).
CARGO_FUZZ_VERSION=0.13.2
CARGO_DENY_VERSION=0.19.0

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(msrv deny features wasm fuzz publish)

msrv() {
  echo "== MSRV: no dependency may need a newer rustc than the declared rust-version"
  cargo metadata --format-version 1 --locked >target-ci-metadata.json
  python3 - target-ci-metadata.json <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
pk = {p["id"]: p for p in m["packages"]}
nodes = {n["id"]: n for n in m["resolve"]["nodes"]}
ws = set(m["workspace_members"])
ver = lambda s: tuple(int(x) for x in s.split(".")) if s else (0,)
bad = []
dev_only = []
for root in sorted(ws, key=lambda i: pk[i]["name"]):
    declared = pk[root].get("rust_version")
    if not declared:
        continue  # unpublished helpers (benches) declare none
    # Normal and build dependencies, transitively: what a user of the crate compiles.
    seen, stack = set(), [root]
    while stack:
        i = stack.pop()
        for d in nodes[i]["deps"]:
            if d["pkg"] in seen:
                continue
            if any(k["kind"] in (None, "build") for k in d["dep_kinds"]):
                seen.add(d["pkg"])
                stack.append(d["pkg"])
    for i in seen:
        p = pk[i]
        if i not in ws and ver(p.get("rust_version")) > ver(declared):
            bad.append(f'{pk[root]["name"]} (rust-version {declared}) depends on {p["name"]} {p["version"]} (rust-version {p["rust_version"]})')
    top = max((pk[i] for i in seen if i not in ws), key=lambda p: ver(p.get("rust_version")), default=None)
    if top:
        print(f'  {pk[root]["name"]}: declared {declared}, {len(seen)} dependencies, highest {top["name"]} {top["version"]} needs {top.get("rust_version")}')
    for d in nodes[root]["deps"]:
        p = pk[d["pkg"]]
        if all(k["kind"] == "dev" for k in d["dep_kinds"]) and ver(p.get("rust_version")) > ver(declared):
            dev_only.append(f'{pk[root]["name"]} dev-dependency {p["name"]} {p["version"]} needs {p["rust_version"]}')
for line in sorted(set(dev_only)):
    print("  note (tests only):", line)
if bad:
    print("MSRV check failed: raise rust-version in Cargo.toml or pin older versions:")
    for line in sorted(set(bad)):
        print("  " + line)
    sys.exit(1)
print("  ok")
EOF
  rm -f target-ci-metadata.json
}

deny() {
  echo "== cargo deny: licenses, bans (duplicates warn), sources (crates.io only)"
  if ! cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
    cargo install cargo-deny --locked --version "$CARGO_DENY_VERSION"
  fi
  # The advisories check needs the RustSec database from GitHub, which this CI cannot
  # reach; run it where the network allows: `cargo deny check advisories`.
  cargo deny --all-features check licenses bans sources
}

features() {
  echo "== each library crate with no features, then with each feature alone (-D warnings)"
  # The workspace build turns every feature on at once; code used by one feature only and
  # compiled under another (dead code, unused imports) shows up only here.
  local crate feature
  while read -r crate feature; do
    RUSTFLAGS="-D warnings" CARGO_TARGET_DIR=target/features cargo check -q -p "$crate" \
      --no-default-features ${feature:+--features "$feature"} \
      || { echo "  $crate with ${feature:-no features}: see above" >&2; return 1; }
  done < <(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p.get("publish") == [] or not any("lib" in t["kind"] for t in p["targets"]):
        continue
    print(p["name"])
    for f in sorted(p["features"]):
        if f != "default":
            print(p["name"], f)
')
  echo "  ok"
}

wasm() {
  echo "== wasm32-unknown-unknown build of the core"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    # A download from the Rust release servers; may be unreachable from some CI machines.
    timeout 300 rustup target add wasm32-unknown-unknown || true
  fi
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    CARGO_TARGET_DIR=target/wasm cargo build -p sigv4-rs --target wasm32-unknown-unknown --no-default-features
    CARGO_TARGET_DIR=target/wasm cargo build -p sigv4-rs --target wasm32-unknown-unknown --all-features
    echo "  ok"
  elif [ "${REQUIRE_WASM:-0}" = 1 ]; then
    echo "wasm32-unknown-unknown is not installed (rustup target add wasm32-unknown-unknown)" >&2
    return 1
  else
    echo "  SKIPPED: the wasm32-unknown-unknown target is not installed and could not be downloaded"
  fi
}

fuzz() {
  echo "== cargo fuzz: every target, ${FUZZ_SECS:-15} s each, no sanitizer (the code forbids unsafe)"
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
  local secs=${FUZZ_SECS:-15}
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  (
    cd fuzz
    cargo fuzz build --sanitizer none
    local targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
    local failed=()
    for t in $targets; do
      # New inputs go to a scratch corpus; the committed seeds are only read.
      mkdir -p "$work/$t"
      local seeds=()
      [ -d "corpus/$t" ] && seeds=("corpus/$t")
      if cargo fuzz run "$t" --sanitizer none "$work/$t" "${seeds[@]}" -- \
          -max_total_time="$secs" -use_value_profile=1 -print_final_stats=1 >"$work/$t.log" 2>&1; then
        echo "  $t: $(grep -m1 'stat::number_of_executed_units' "$work/$t.log" | awk '{print $2}') executions"
      else
        echo "  $t: FAILED"
        tail -60 "$work/$t.log"
        failed+=("$t")
      fi
    done
    if [ ${#failed[@]} -gt 0 ]; then
      echo "fuzz targets failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
      exit 1
    fi
  )
}

publish() {
  bash scripts/publish-check.sh
}

for s in "${steps[@]}"; do
  case "$s" in
    msrv | deny | features | wasm | fuzz | publish) "$s" ;;
    *) echo "unknown step $s (msrv, deny, features, wasm, fuzz, publish)" >&2; exit 2 ;;
  esac
done
