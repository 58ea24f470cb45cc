"""Every case of the AWS SigV4 test suite (header and query mode) through the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sigv4
from conftest import locate_testdata


def _parse_request(raw: bytes):
    i = raw.find(b"\n\n")
    if i >= 0:
        head, body = raw[:i], raw[i + 2:]
    else:
        head, body = (raw[:-1] if raw.endswith(b"\n") else raw), b""
    head_s = head.decode()
    request_line, _, header_block = head_s.partition("\n")
    method_end = request_line.index(" ")
    version_start = request_line.rindex(" ")
    headers: list[list[str]] = []
    for line in (l for l in header_block.split("\n") if l):
        if line[0] in " \t":
            headers[-1][1] += "\n" + line
        else:
            n, _, v = line.partition(":")
            headers.append([n, v])
    return (
        request_line[:method_end],
        request_line[method_end + 1:version_start],
        header_block,
        [(n, v) for n, v in headers],
        body,
    )


def _cases():
    d = locate_testdata("aws-signing-test-suite", "v4")
    cases = sorted(p for p in d.iterdir() if p.is_dir())
    assert len(cases) >= 38, f"expected the 38 v4 cases, found {len(cases)}"
    return cases


CASES = _cases()


@pytest.mark.parametrize("mode", ["header", "query"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_v4_case(case: Path, mode: str):
    ctx = json.loads((case / "context.json").read_text())
    method, target, header_block, headers, body = _parse_request((case / "request.txt").read_bytes())
    c = ctx["credentials"]
    creds = sigv4.Credentials(c["access_key_id"], c["secret_access_key"], c.get("token"))
    normalize = ctx["normalize"]
    kwargs = dict(
        credentials=creds,
        region=ctx["region"],
        service=ctx["service"],
        timestamp=ctx_time(ctx["timestamp"]),
        normalize_path=normalize,
        double_encode=normalize,
        content_sha256=bool(ctx.get("sign_body", False)),
        sign_session_token=not ctx.get("omit_session_token", False),
    )
    if mode == "query":
        kwargs["expires"] = ctx["expiration_in_seconds"]
        # The suite signs the (empty) body hash in query mode for every service.
        kwargs["payload_hash"] = sigv4.payload_hash(body)
    out = sigv4.sign_request(method, target, headers, body, **kwargs)

    def want(name: str) -> str:
        return (case / f"{mode}-{name}.txt").read_text()

    assert out.canonical_request == want("canonical-request")
    assert out.string_to_sign == want("string-to-sign")
    assert out.signature == want("signature")
    # The low-level step functions agree with the full result.
    assert sigv4.canonical_request(method, target, headers, body, **kwargs) == out.canonical_request
    assert sigv4.string_to_sign(method, target, headers, body, **kwargs) == out.string_to_sign

    signed = f"{method} {out.url} HTTP/1.1\n"
    if header_block:
        signed += header_block.rstrip("\n") + "\n"
    for n, v in out.headers.items():
        # Our dicts capitalize every word of a name (one documented casing); the suite
        # writes this one header in lower case. Names are case-insensitive in HTTP.
        n = "x-amz-content-sha256" if n == "X-Amz-Content-Sha256" else n
        signed += f"{n}:{v}\n"
    signed += "\n" + body.decode()
    assert signed.encode() == (case / f"{mode}-signed-request.txt").read_bytes()

    if mode == "header":
        # The same through a Signer and the plain sign() dict.
        signer = sigv4.Signer(
            ctx["region"], ctx["service"], creds,
            normalize_path=normalize, double_encode=normalize,
            content_sha256=kwargs["content_sha256"],
            sign_session_token=kwargs["sign_session_token"],
        )
        assert signer.sign(method, target, headers, body, kwargs["timestamp"]) == out.headers


def ctx_time(s: str):
    from datetime import datetime, timezone

    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def test_suite_case_count():
    assert len(CASES) >= 38
