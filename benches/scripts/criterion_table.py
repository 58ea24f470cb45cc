#!/usr/bin/env python3
"""Prints the BENCHMARKS.md table from criterion's saved estimates (medians).

usage: criterion_table.py CARGO_TARGET_DIR
"""
import json
import os
import sys

CASES = ["a_s3_get", "b_s3_presign", "c_s3_put_1mib", "d_dynamodb_post"]
IMPLS = [
    ("sigv4_cached_key", "sigv4, cached key (`sign_http_request_with_payload`)"),
    ("sigv4_fresh_key", "sigv4, fresh key (`SigningKey::derive` + `sign_http_request_with_key`)"),
    ("sigv4_cached_key_direct_adapter", "sigv4, cached key, direct http adapter (prototype)"),
    ("sigv4_cached_key_view", "sigv4, cached key, borrowed view (`Signer::sign`)"),
    ("aws_sigv4", "aws-sigv4 1.6.4"),
    ("reqsign", "reqsign-aws-v4 3.3.1"),
    ("raw_sha256", "raw SHA-256 of the body (sha2 0.11)"),
]


def median_ns(root, case, impl):
    p = os.path.join(root, "criterion", case, impl, "new", "estimates.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:,.1f} µs" if ns >= 100_000 else f"{ns:,.0f} ns"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    print("| case | implementation | median | aws-sigv4 / this | reqsign / this |")
    print("|---|---|---:|---:|---:|")
    for case in CASES:
        aws = median_ns(root, case, "aws_sigv4")
        rq = median_ns(root, case, "reqsign")
        for impl, label in IMPLS:
            ns = median_ns(root, case, impl)
            if ns is None:
                continue
            extra = ""
            if case.startswith("c_"):
                mib_s = (1 << 20) / (ns * 1e-9) / (1 << 20)
                extra = f" ({mib_s:,.0f} MiB/s)"
            print(f"| {case} | {label} | {fmt(ns)}{extra} | {aws / ns:.2f}x | {rq / ns:.2f}x |")
    raw = median_ns(root, "c_s3_put_1mib", "raw_sha256")
    if raw:
        print()
        for impl, label in IMPLS[:4] + IMPLS[4:6]:
            ns = median_ns(root, "c_s3_put_1mib", impl)
            if ns:
                print(f"- case (c) {label}: {100 * raw / ns:.1f}% of raw SHA-256 throughput")


if __name__ == "__main__":
    main()
