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
# Usage: python/peer-suites.sh PYTHON   (the venv's python, with the wheel installed;
#        SIGV4_PEER_DEV=1 accepts a `maturin develop` install, for iteration only).
# PYTHON may also be an interpreter without pip whose PYTHONPATH already holds the wheel and
# pytest-httpserver (python/check-aarch64.sh, check-musl.sh: aarch64 and musl under qemu);
# the caller's PYTHONPATH is kept, after python/peer-shim.
set -euo pipefail
PY=${1:?usage: peer-suites.sh PYTHON}
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")  # absolute, still the venv's
cd "$(dirname "$0")/.."
REPO=$(pwd)
SUITES=${SIGV4_PEER_SUITES:-$REPO/../shared/testdata/peer-suites}
[ -d "$SUITES" ] || { echo "peer suites not found at $SUITES" >&2; exit 1; }
"$PY" -c 'import pytest_httpserver' 2>/dev/null || "$PY" -m pip install -q "pytest-httpserver>=1.0"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# ../shared is read-only and pytest writes caches next to the tests: run from a copy.
cp -r "$SUITES"/. "$WORK"/
export PYTHONPATH=$REPO/python/peer-shim${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1
# The suites must never reach real AWS endpoints (IMDS, ECS, STS): no credentials, profiles
# or provider settings from the environment, IMDS off, STS and every service endpoint on a
# closed 127.0.0.1 port. On top of that each suite runs in a network namespace of its own with
# only loopback (unshare -rn) where the kernel allows one: there any address other than
# 127.0.0.1 fails at once with "network unreachable" (IMDS 169.254.169.254, ECS 169.254.170.2
# and AWS hosts included).
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9 AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_STS=http://127.0.0.1:9
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_REGION \
  AWS_DEFAULT_REGION AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
  AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_ROLE_ARN AWS_ROLE_SESSION_NAME AWS_IGNORE_CONFIGURED_ENDPOINT_URLS || true
if unshare -rn sh -c 'ip link set lo up' 2>/dev/null; then
  ISOLATE=(unshare -rn sh -c 'ip link set lo up && exec "$@"' isolate)
  echo "== peer suites run in a network namespace with loopback only"
else
  ISOLATE=()
  echo "== peer suites: no network namespace here (unshare -rn refused); AWS endpoints are overridden to 127.0.0.1:9"
fi

deselected() { # suite -> one --deselect=<node id> per listed test of that suite
  grep -v '^[[:space:]]*\(#\|$\)' "$REPO/python/peer-suites-deselected.txt" \
    | sed -n "s|^$1/\([^ ]*\).*|--deselect=\1|p"
}

status=0
summary=""
run_suite() { # name dir files...   (LABEL=...: the name printed, default the suite's)
  local name=$1 dir=$2; shift 2
  local label=${LABEL:-$name}
  local -a desel
  mapfile -t desel < <(deselected "$name")
  echo "== peer suite $label (${#desel[@]} deselected entries for $name)"
  local out rc=0
  # The wheel, not the source tree: the copy is run from its own directory.
  out=$(cd "$WORK/$dir" && "$PY" -c 'import os, sigv4; assert os.environ.get("SIGV4_PEER_DEV") or "site-packages" in sigv4.__file__, sigv4.__file__' \
        && "${ISOLATE[@]}" "$PY" -m pytest -q -p no:cacheprovider -rfE "${desel[@]}" "$@" 2>&1) || rc=$?
  echo "$out" | tail -n 60
  local line
  line=$(echo "$out" | grep -E '[0-9]+ (passed|failed|error)' | tail -n 1 | tr -d '=')
  summary+="  $label: ${line# } (${#desel[@]} deselected entries for $name, see python/peer-suites-deselected.txt)"$'\n'
  [ "$rc" -eq 0 ] || status=1
}

run_suite requests-aws4auth aws4auth test_requests_aws4auth.py test_headers.py
run_suite sosw sosw test_sigv4.py
# Its modules import private helpers at module level: peer_private_names gives those a
# placeholder (see python/peer-shim/peer_private_names.py). tests/test_providers runs against
# sigv4.providers.* (the same Rust providers as the default chain).
LABEL=sigv4-pypi run_suite sigv4-pypi sigv4-pypi -p peer_private_names --ignore=tests/test_providers tests
LABEL=sigv4-pypi/test_providers run_suite sigv4-pypi sigv4-pypi -p peer_private_names tests/test_providers

echo "== peer suites (installed wheel):"
printf '%s' "$summary"
exit $status
