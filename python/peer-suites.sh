#!/usr/bin/env bash
# Runs the original libraries' own test suites, unmodified, against the installed wheel
# (issue 20): requests-aws4auth 1.3.1, sosw's test_sigv4.py and PyPI sigv4 0.1.0's tests,
# vendored in ../shared/testdata/peer-suites (see PROVENANCE.md there; never copied into
# this repository). python/peer-shim maps the originals' import names onto the drop-in
# modules; it is on PYTHONPATH for these runs only. The tests listed in
# python/peer-suites-deselected.txt (each with its reason: it calls a private name of the
# original or patches its module internals) are deselected; every other test must pass.
# Prints the counts per suite.
#
# Usage: python/peer-suites.sh PYTHON   (the venv's python, with the wheel installed)
set -euo pipefail
PY=${1:?usage: peer-suites.sh PYTHON}
cd "$(dirname "$0")/.."
REPO=$(pwd)
SUITES=${SIGV4_PEER_SUITES:-$REPO/../shared/testdata/peer-suites}
[ -d "$SUITES" ] || { echo "peer suites not found at $SUITES" >&2; exit 1; }
"$PY" -m pip install -q "pytest-httpserver>=1.0"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# ../shared is read-only and pytest writes caches next to the tests: run from a copy.
cp -r "$SUITES"/. "$WORK"/
export PYTHONPATH=$REPO/python/peer-shim
export PYTHONDONTWRITEBYTECODE=1
# The suites must never reach real AWS endpoints (IMDS, STS): no credentials or profiles
# from the environment, IMDS off.
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION || true

deselected() { # suite -> --deselect args
  grep -v '^\s*#' "$REPO/python/peer-suites-deselected.txt" | awk -v s="$1" -F'  +# ' \
    '$1 ~ "^"s"/" { sub("^"s"/", "", $1); gsub(/ +$/, "", $1); print "--deselect=" $1 }'
}

status=0
summary=""
run_suite() { # name dir files...
  local name=$1 dir=$2; shift 2
  local -a desel
  mapfile -t desel < <(deselected "$name")
  echo "== peer suite $name (${#desel[@]} deselected)"
  local out rc=0
  out=$(cd "$WORK/$dir" && "$PY" -I -c 'import sys, sigv4; assert "site-packages" in sigv4.__file__, sigv4.__file__' \
        && cd "$WORK/$dir" && "$PY" -m pytest -q -p no:cacheprovider -rfE "${desel[@]}" "$@" 2>&1) || rc=$?
  echo "$out" | tail -n 40
  local line
  line=$(echo "$out" | grep -E '^[=]* ?[0-9]+ (passed|failed)|^[0-9]+ (passed|failed)|(passed|failed|deselected).* in [0-9.]+s' | tail -n 1)
  summary+="  $name: ${line//=/}"$'\n'
  [ "$rc" -eq 0 ] || status=1
}

run_suite requests-aws4auth aws4auth test_requests_aws4auth.py test_headers.py
run_suite sosw sosw test_sigv4.py
run_suite sigv4-pypi sigv4-pypi tests

echo "== peer suites (installed wheel):"
printf '%s' "$summary"
exit $status
