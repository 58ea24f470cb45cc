#!/usr/bin/env bash
# Checks that crates/sigv4/src/infer/aws_table.rs is what scripts/infer/gen_table.py makes
# from the botocore release the table names (BOTOCORE_VERSION): installs that botocore from
# PyPI into a venv of its own (reused between runs), regenerates, formats with rustfmt and
# compares. A hand edit of the generated table, or a generator change not re-run, fails.
#
#   SIGV4_INFER_VENV   where to create the venv (default: target/infer-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
TABLE=crates/sigv4/src/infer/aws_table.rs
VERSION=$(sed -n 's/^pub(crate) const BOTOCORE_VERSION: &str = "\(.*\)";$/\1/p' "$TABLE")
[ -n "$VERSION" ] || { echo "error: no BOTOCORE_VERSION in $TABLE" >&2; exit 1; }
VENV=${SIGV4_INFER_VENV:-$REPO/target/infer-venv}
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ "$("$VENV/bin/python" -c 'import botocore; print(botocore.__version__)' 2>/dev/null)" != "$VERSION" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q "botocore==$VERSION"
fi
# Generated next to the committed file so rustfmt reads the workspace's settings.
OUT=$(mktemp "$REPO/target/aws_table.XXXXXX.rs")
trap 'rm -f "$OUT"' EXIT
"$VENV/bin/python" scripts/infer/gen_table.py > "$OUT"
rustfmt --edition 2021 "$OUT"
if ! diff -u "$TABLE" "$OUT" > "$OUT.diff"; then
  head -40 "$OUT.diff" >&2
  rm -f "$OUT.diff"
  echo "error: $TABLE differs from scripts/infer/gen_table.py's output for botocore $VERSION: regenerate it (see the script's docstring)" >&2
  exit 1
fi
rm -f "$OUT.diff"
echo "infer table: matches gen_table.py for botocore $VERSION"
