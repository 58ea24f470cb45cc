"""Nothing the caller sent changes meaning (issue 20): query parameters given as ``params=``
(form encoding: a space is sent as ``+``, a plus as ``%2B``) reach a server that decodes the
query exactly as given, through every compatibility module and plugin, and each signature is
the one botocore computes for the query as that server reads it.

The local server decodes the query as a form (``parse_qsl``, as AWS and web frameworks do)
and the test compares the result with the ``params`` given. botocore then signs the decoded
parameters (re-encoded canonically, so botocore's own canonicalization applies) and must
produce the Authorization header that was sent.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

requests = pytest.importorskip("requests")
httpx = pytest.importorskip("httpx")

import sigv4  # noqa: E402
import sigv4.httpx  # noqa: E402
import sigv4.requests  # noqa: E402
from sigv4.compat.requests_aws4auth import AWS4Auth  # noqa: E402
from sigv4.compat.requests_aws_sign import AWSV4Sign  # noqa: E402
from sigv4.compat.sosw import AwsSigV4RequestGenerator  # noqa: E402
from _kit import LocalServer, Received, check_signed  # noqa: E402

AK, SK, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1"

PARAMS = [
    ("q", "title:foo bar"),
    ("plus", "a+b"),
    ("pct", "100%"),
    ("amp", "x&y"),
    ("eq", "k=v"),
    ("semi", "a;b"),
    ("slash", "/p/q"),
    ("tilde", "~me"),
    ("uni", "héllo wörld ☃"),
    ("both", "a b+c"),
    ("spaces", "  "),
]


def check_received(rec: Received, service: str, token=None) -> None:
    """The server read exactly PARAMS, and botocore signs that query the same way."""
    split = urlsplit(rec.path)
    assert "+" in split.query, "the client sent spaces as '+' (form encoding)"
    decoded = parse_qsl(split.query, keep_blank_values=True)
    assert decoded == PARAMS, decoded
    canonical = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in decoded)
    as_read = Received(rec.method, f"{split.path}?{canonical}", rec.headers, rec.body)
    check_signed(as_read, secret_key=SK, region=REGION, service=service, token=token)


REQUESTS_AUTHS = {
    "sigv4.requests.SigV4Auth": lambda: sigv4.requests.SigV4Auth(REGION, "es", sigv4.Credentials(AK, SK)),
    "sigv4.requests.SigV4Auth s3": lambda: sigv4.requests.SigV4Auth(REGION, "s3", sigv4.Credentials(AK, SK)),
    "sigv4.requests.AWS4Auth": lambda: sigv4.requests.AWS4Auth(AK, SK, REGION, "es"),
    "compat.requests_aws4auth.AWS4Auth": lambda: AWS4Auth(AK, SK, REGION, "es"),
    "compat.requests_aws4auth.AWS4Auth s3": lambda: AWS4Auth(AK, SK, REGION, "s3"),
    "compat.requests_aws_sign.AWSV4Sign": lambda: AWSV4Sign(sigv4.Credentials(AK, SK), REGION, "es"),
    "compat.sosw.AwsSigV4RequestGenerator": lambda: AwsSigV4RequestGenerator(
        aws_service="es", aws_access_key_id=AK, aws_secret_access_key=SK, aws_region=REGION),
}


@pytest.mark.parametrize("name", sorted(REQUESTS_AUTHS))
def test_requests_params(name):
    auth = REQUESTS_AUTHS[name]()
    service = "s3" if name.endswith(" s3") else "es"
    with LocalServer() as srv:
        requests.get(f"{srv.url}/idx/_search", params=PARAMS, auth=auth, timeout=10)
        requests.post(f"{srv.url}/idx/_search", params=PARAMS, json={"a": 1}, auth=auth, timeout=10)
        assert len(srv.requests) == 2
        for rec in srv.requests:
            check_received(rec, service)


HTTPX_AUTHS = {
    "sigv4.httpx.SigV4Auth": lambda: sigv4.httpx.SigV4Auth(REGION, "es", sigv4.Credentials(AK, SK)),
    "compat.requests_aws4auth.AWS4Auth": lambda: AWS4Auth(AK, SK, REGION, "es"),
}


@pytest.mark.parametrize("name", sorted(HTTPX_AUTHS))
def test_httpx_params_sync_and_async(name):
    auth = HTTPX_AUTHS[name]()
    with LocalServer() as srv:
        with httpx.Client(auth=auth, timeout=10) as client:
            client.get(f"{srv.url}/idx/_search", params=PARAMS)

        async def main():
            async with httpx.AsyncClient(auth=auth, timeout=10) as client:
                await client.post(f"{srv.url}/idx/_search", params=PARAMS, json={"a": 1})

        asyncio.run(main())
        assert len(srv.requests) == 2
        for rec in srv.requests:
            check_received(rec, "es")


def test_aiohttp_params_with_signer_headers():
    """PyPI sigv4's documented aiohttp use: sign the URL aiohttp sends, merge the headers."""
    aiohttp = pytest.importorskip("aiohttp")
    import yarl

    signer = sigv4.Signer(region=REGION, service="es", credentials=sigv4.Credentials(AK, SK, "TOKEN"))
    with LocalServer() as srv:
        url = yarl.URL(f"{srv.url}/idx/_search").with_query(PARAMS)

        async def main():
            async with aiohttp.ClientSession() as session:
                headers = signer.sign(method="GET", url=str(url))
                async with session.get(url, headers=headers) as resp:
                    assert resp.status == 200
                headers = sigv4.sign_headers(method="GET", url=str(url), region=REGION, service="es",
                                             credentials=sigv4.Credentials(AK, SK, "TOKEN"))
                async with session.get(url, headers=headers) as resp:
                    assert resp.status == 200

        asyncio.run(main())
        assert len(srv.requests) == 2
        for rec in srv.requests:
            check_received(rec, "es", token="TOKEN")


def test_plus_in_a_url_string_is_a_space_and_the_url_is_sent_unchanged():
    """A URL written by hand with '+' means what a form decoder reads (a space); the
    plugins never rewrite it (0.2.0 sent '%2B', so the server read a plus)."""
    auth = sigv4.requests.SigV4Auth(REGION, "es", sigv4.Credentials(AK, SK))
    with LocalServer() as srv:
        requests.get(f"{srv.url}/idx/_search?q=title%3Afoo+bar", auth=auth, timeout=10)
        rec = srv.last()
    assert rec.path == "/idx/_search?q=title%3Afoo+bar"
    assert parse_qsl(urlsplit(rec.path).query) == [("q", "title:foo bar")]
    out = sigv4.Signer(REGION, "es", sigv4.Credentials(AK, SK)).sign_request(
        "GET", "https://example.com/?q=a+b%2Bc")
    assert out.canonical_request.splitlines()[2] == "q=a%20b%2Bc"
    assert out.url == "https://example.com/?q=a+b%2Bc"
