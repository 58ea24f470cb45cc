#!/usr/bin/env python3
"""Per-request signing from Python, every candidate measured in this one process:

1. The DynamoDB example of PyPI sigv4's README (POST, JSON body, session token):
   ``sigv4.sign_headers`` and ``Signer.sign`` against botocore ``SigV4Auth.add_auth``, with
   the targets of issue #12 (at least 20x and 30x faster) checked and printed.
2. An S3 GET: sigv4 vs botocore vs requests-aws4auth, and the requests plugins.
3. SHA-256 of a 64 MiB body: sigv4.payload_hash vs hashlib.

Usage: python python/bench.py [--quick]   (needs sigv4 installed, botocore, requests,
requests-aws4auth). Prints Markdown tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import sys
import time
import timeit

# Use the installed package, not the source tree next to this script.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import sigv4  # noqa: E402
import sigv4.requests  # noqa: E402

AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION, SERVICE = "us-east-1", "s3"
URL = "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2024/cat%20picture.jpg?versionId=3HL4kqtJlcpXroDTDmJ"
HEADERS = {"Content-Type": "image/jpeg", "x-amz-meta-owner": "alice", "Range": "bytes=0-1023"}
BODY = b""
QUICK = "--quick" in sys.argv


def cpu_timeit(fn, number):
    # Thread CPU time, not wall time: on a shared, loaded machine the time this thread
    # spends preempted would otherwise dominate microsecond measurements.
    return timeit.Timer(fn, timer=time.thread_time).timeit(number=number)


def calibrate(fn, slice_s):
    n = 1
    while True:
        t = cpu_timeit(fn, n)
        if t > 0.02:
            return max(1, int(n * slice_s / t))
        n *= 2


def measure(cands, rounds=5 if QUICK else 25, slice_s=0.02 if QUICK else 0.05):
    """Per-call CPU time of each candidate. The candidates are measured in interleaved short
    slices over many rounds and the fastest slice is kept, so background load (a shared CI
    machine) hits all of them alike and mostly drops out."""
    ns = [calibrate(fn, slice_s) for _, fn in cands]
    best = [float("inf")] * len(cands)
    for _ in range(rounds):
        for i, (_, fn) in enumerate(cands):
            best[i] = min(best[i], cpu_timeit(fn, ns[i]) / ns[i])
    return best


DDB_URL = "https://dynamodb.us-east-1.amazonaws.com/"
DDB_HEADERS = {"host": "dynamodb.us-east-1.amazonaws.com", "content-type": "application/x-amz-json-1.0"}
DDB_BODY = b'{"TableName": "MyTable"}'
DDB_TOKEN = "optional-session-token"
SIGN_HEADERS_TARGET, SIGNER_TARGET = 20.0, 30.0


def dynamodb():
    """PyPI sigv4's low-level and high-level calls, written as its README writes them."""
    import botocore.auth
    import botocore.credentials
    from botocore.awsrequest import AWSRequest

    creds = sigv4.Credentials(access_key=AK, secret_key=SK, token=DDB_TOKEN)
    signer = sigv4.Signer(region="us-east-1", service="dynamodb",
                          credentials=sigv4.RefreshableCredentials(lambda: creds))
    signer.credentials.refresh()
    static_signer = sigv4.Signer(region="us-east-1", service="dynamodb", credentials=creds)

    def low():
        return sigv4.sign_headers(method="POST", url=DDB_URL, headers=DDB_HEADERS, body=DDB_BODY,
                                  region="us-east-1", service="dynamodb", credentials=creds)

    def high():
        return signer.sign(method="POST", url=DDB_URL, headers=DDB_HEADERS, body=DDB_BODY)

    def high_static():
        return static_signer.sign(method="POST", url=DDB_URL, headers=DDB_HEADERS, body=DDB_BODY)

    bc_auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials(AK, SK, DDB_TOKEN), "dynamodb", "us-east-1")
    bc_req = AWSRequest(method="POST", url=DDB_URL, headers=dict(DDB_HEADERS), data=DDB_BODY)

    # Same signature as botocore at the same instant, for both calls.
    ts = dt.datetime(2024, 1, 2, 3, 4, 5)
    orig = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: ts
    try:
        bc_auth.add_auth(bc_req)
    finally:
        botocore.auth.get_current_datetime = orig
    want = bc_req.headers["Authorization"]
    kw = dict(method="POST", url=DDB_URL, headers=DDB_HEADERS, body=DDB_BODY, timestamp=ts)
    assert sigv4.sign_headers(region="us-east-1", service="dynamodb", credentials=creds, **kw)["Authorization"] == want
    assert signer.sign(**kw)["Authorization"] == want

    cands = [
        ("botocore `SigV4Auth.add_auth`", lambda: bc_auth.add_auth(bc_req)),
        ("sigv4 `sign_headers(...)` (keywords, clock read per call)", low),
        ("sigv4 `Signer.sign(...)` (RefreshableCredentials, clock read per call)", high),
        ("sigv4 `Signer.sign(...)` (static Credentials, clock read per call)", high_static),
    ]
    times = measure(cands)
    bc = times[0]
    print("DynamoDB example of PyPI sigv4's README (POST, JSON body, session token; thread CPU "
          "time, one process):\n")
    print("| signer | µs per request | botocore / this |")
    print("|---|---:|---:|")
    for (name, _), t in zip(cands, times):
        print(f"| {name} | {t * 1e6:.2f} | {bc / t:.1f}x |")
    low_x, high_x = bc / times[1], bc / times[2]
    ok_low, ok_high = low_x >= SIGN_HEADERS_TARGET, high_x >= SIGNER_TARGET
    print(f"\n`sign_headers`: **{low_x:.1f}x** botocore (target {SIGN_HEADERS_TARGET:.0f}x: "
          f"{'met' if ok_low else 'NOT met'}); `Signer.sign`: **{high_x:.1f}x** (target "
          f"{SIGNER_TARGET:.0f}x: {'met' if ok_high else 'NOT met'})\n")
    return ok_low and ok_high


def main():
    import botocore

    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"botocore {botocore.__version__}, sigv4 {sigv4.__version__}\n")
    dynamodb()
    cands = []

    # sigv4: the Signer API.
    signer = sigv4.Signer(REGION, SERVICE, sigv4.Credentials(AK, SK))
    cands.append(("sigv4 `Signer.sign` (fixed timestamp)",
                  lambda: signer.sign("GET", URL, HEADERS, BODY, 1_700_000_000)))
    cands.append(("sigv4 `Signer.sign` (clock read per call)",
                  lambda: signer.sign("GET", URL, HEADERS, BODY)))

    # botocore: S3SigV4Auth.add_auth on an AWSRequest (reused: add_auth replaces its headers).
    import botocore.auth
    import botocore.credentials
    from botocore.awsrequest import AWSRequest

    bc_auth = botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(AK, SK), SERVICE, REGION)
    bc_req = AWSRequest(method="GET", url=URL, headers=dict(HEADERS), data=BODY)
    cands.append(("botocore `S3SigV4Auth.add_auth`", lambda: bc_auth.add_auth(bc_req)))

    # The same signature from both (at the same instant).
    ts = dt.datetime(2024, 1, 2, 3, 4, 5)
    orig = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: ts
    try:
        bc_auth.add_auth(bc_req)
    finally:
        botocore.auth.get_current_datetime = orig
    ours = signer.sign("GET", URL, HEADERS, BODY, ts)
    assert ours["Authorization"] == bc_req.headers["Authorization"], "signatures differ"

    # requests plugins, each on a fresh copy of the same PreparedRequest (copy cost subtracted).
    import requests

    prep = requests.Request("GET", URL, headers=HEADERS).prepare()
    our_auth = sigv4.requests.SigV4Auth(REGION, SERVICE, sigv4.Credentials(AK, SK))
    cands.append(("(PreparedRequest.copy, subtracted below)", lambda: prep.copy()))
    cands.append(("sigv4 `requests` plugin (`SigV4Auth(req)`)", lambda: our_auth(prep.copy())))
    from sigv4.compat.requests_aws4auth import AWS4Auth as CompatAWS4Auth

    compat = CompatAWS4Auth(AK, SK, REGION, SERVICE)
    cands.append(("sigv4.compat `AWS4Auth(req)` (drop-in for requests-aws4auth)", lambda: compat(prep.copy())))
    try:
        from requests_aws4auth import AWS4Auth

        a4 = AWS4Auth(AK, SK, REGION, SERVICE)
        cands.append(("requests-aws4auth `AWS4Auth(req)`", lambda: a4(prep.copy())))
    except ImportError:
        print("requests-aws4auth not installed: skipped", file=sys.stderr)

    times = measure(cands)
    copy_cost = times[3]
    rows = []
    for (name, _), t in zip(cands, times):
        if name.startswith("(PreparedRequest.copy"):
            continue
        if "plugin" in name or "AWS4Auth" in name:
            t -= copy_cost
        rows.append((name, t))

    base = rows[0][1]
    bc = dict(rows)["botocore `S3SigV4Auth.add_auth`"]
    print("Per signed request (S3 GET, 3 extra headers, query string; thread CPU time):\n")
    print("| signer | µs per request | vs sigv4 `Signer.sign` |")
    print("|---|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t * 1e6:.2f} | {t / base:.1f}x |")
    print(f"\nbotocore / sigv4: **{bc / base:.1f}x** (fixed timestamp), "
          f"{bc / rows[1][1]:.1f}x (clock per call)\n")

    # Hashing 64 MiB.
    data = os.urandom(64 * 1024 * 1024)
    assert sigv4.payload_hash(data) == hashlib.sha256(data).hexdigest()
    t_ours, t_lib = float("inf"), float("inf")
    for _ in range(3 if QUICK else 15):  # interleaved, fastest kept
        t_ours = min(t_ours, cpu_timeit(lambda: sigv4.payload_hash(data), 1))
        t_lib = min(t_lib, cpu_timeit(lambda: hashlib.sha256(data).hexdigest(), 1))
    mib = 64
    print("SHA-256 of a 64 MiB body:\n")
    print("| hasher | ms | MiB/s |")
    print("|---|---:|---:|")
    print(f"| sigv4 `payload_hash` (GIL released) | {t_ours * 1e3:.1f} | {mib / t_ours:.0f} |")
    print(f"| hashlib `sha256` | {t_lib * 1e3:.1f} | {mib / t_lib:.0f} |")
    print(f"\nsigv4 speed relative to hashlib: **{t_lib / t_ours * 100:.0f}%**")


if __name__ == "__main__":
    main()
