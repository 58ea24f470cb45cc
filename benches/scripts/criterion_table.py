#!/usr/bin/env python3
"""Prints the BENCHMARKS.md table from criterion's saved estimates (medians) and, with
--svg, draws the chart of the same medians (ours vs the peers and the crypto floor).

usage: criterion_table.py CARGO_TARGET_DIR [--svg OUT.svg]
"""
import json
import os
import sys
from html import escape

CASES = ["a_s3_get", "b_s3_presign", "c_s3_put_1mib", "d_dynamodb_post"]
IMPLS = [
    ("sigv4_cached_key", "sigv4, cached key (`sign_http_request_with_payload`)"),
    ("sigv4_fresh_key", "sigv4, fresh key (`SigningKey::derive` + `sign_http_request_with_key`)"),
    ("sigv4_cached_key_view", "sigv4, cached key, borrowed view (`Signer::sign`)"),
    ("aws_sigv4", "aws-sigv4 1.6.4"),
    ("reqsign", "reqsign-aws-v4 3.3.1"),
    ("crypto_floor", "crypto floor: SHA-256 of the canonical request + one pre-keyed HMAC"),
    ("raw_sha256", "raw SHA-256 of the body (sha2 0.11)"),
]
# What the chart shows, in this order, and its colours.
CHART = [
    ("sigv4_cached_key_view", "sigv4, borrowed view", "#1b7837"),
    ("sigv4_cached_key", "sigv4, http::Request", "#5aae61"),
    ("aws_sigv4", "aws-sigv4 1.6.4", "#b2182b"),
    ("reqsign", "reqsign-aws-v4 3.3.1", "#ef8a62"),
    ("crypto_floor", "crypto floor", "#762a83"),
]


def median_ns(root, case, impl):
    p = os.path.join(root, "criterion", case, impl, "new", "estimates.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:,.1f} µs" if ns >= 100_000 else f"{ns:,.0f} ns"


def table(root):
    print("| case | implementation | median | aws-sigv4 / this | reqsign / this | this / floor |")
    print("|---|---|---:|---:|---:|---:|")
    for case in CASES:
        aws = median_ns(root, case, "aws_sigv4")
        rq = median_ns(root, case, "reqsign")
        floor = median_ns(root, case, "crypto_floor")
        for impl, label in IMPLS:
            ns = median_ns(root, case, impl)
            if ns is None:
                continue
            extra = ""
            if case.startswith("c_"):
                mib_s = (1 << 20) / (ns * 1e-9) / (1 << 20)
                extra = f" ({mib_s:,.0f} MiB/s)"
            vs_floor = f"{ns / floor:.2f}x" if floor else ""
            print(f"| {case} | {label} | {fmt(ns)}{extra} | {aws / ns:.2f}x | {rq / ns:.2f}x | {vs_floor} |")
    raw = median_ns(root, "c_s3_put_1mib", "raw_sha256")
    if raw:
        print()
        for impl, label in IMPLS[:5]:
            ns = median_ns(root, "c_s3_put_1mib", impl)
            if ns:
                print(f"- case (c) {label}: {100 * raw / ns:.1f}% of raw SHA-256 throughput")


def svg(root, out):
    """Horizontal bars, one group per small-request case, nanoseconds on a linear axis."""
    cases = [c for c in CASES if not c.startswith("c_") and median_ns(root, c, "aws_sigv4")]
    rows = []
    for case in cases:
        for impl, label, colour in CHART:
            ns = median_ns(root, case, impl)
            if ns is not None:
                rows.append((case, label, colour, ns))
    if not rows:
        sys.exit("no criterion results under " + root)
    top = max(ns for *_, ns in rows)
    bar_h, gap, label_w, plot_w = 18, 4, 210, 520
    group_gap = 26
    height = 60 + len(rows) * (bar_h + gap) + len(cases) * group_gap
    width = label_w + plot_w + 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">SigV4 signing, criterion medians '
        f'(ns per signing, shorter is faster)</text>',
    ]
    y = 40
    for case in cases:
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{escape(case)}</text>')
        y += group_gap - 6
        for c, label, colour, ns in rows:
            if c != case:
                continue
            w = max(1.0, plot_w * ns / top)
            parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{escape(label)}</text>')
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}">{ns:,.0f} ns</text>')
            y += bar_h + gap
        y += 6
    parts.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")
    print(f"\nwrote {out}", file=sys.stderr)


def main():
    args = sys.argv[1:]
    out = None
    if "--svg" in args:
        i = args.index("--svg")
        out = args[i + 1]
        del args[i : i + 2]
    root = args[0] if args else os.environ.get("CARGO_TARGET_DIR", "target")
    table(root)
    if out:
        svg(root, out)


if __name__ == "__main__":
    main()
