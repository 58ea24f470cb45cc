"""End to end: requests and httpx against a real S3 server (s3s-fs on 127.0.0.1) that
verifies every signature. The server is started by the ``s3_server`` fixture (conftest)."""

from __future__ import annotations

import asyncio
import io
import uuid

import httpx
import pytest
import requests

import sigv4
import sigv4.httpx
import sigv4.requests
from conftest import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY

TIMEOUT = 10


@pytest.fixture(scope="module")
def creds():
    return sigv4.Credentials(S3_ACCESS_KEY, S3_SECRET_KEY)


@pytest.fixture(scope="module")
def bucket(s3_server, creds):
    name = f"b-{uuid.uuid4().hex[:12]}"
    r = requests.put(f"{s3_server['url']}/{name}", auth=sigv4.requests.SigV4Auth(S3_REGION, "s3", creds), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return f"{s3_server['url']}/{name}"


def test_requests_put_get_bytes(bucket, creds):
    auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", creds)
    url = f"{bucket}/dir/hello%20w%C3%B6rld%21.txt"
    r = requests.put(url, data=b"hello bytes", headers={"Content-Type": "text/plain", "x-amz-meta-a": "x  y "}, auth=auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    r = requests.get(url, auth=auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.content == b"hello bytes"


def test_requests_session_auth_str_and_file_bodies(bucket, creds):
    s = requests.Session()
    s.auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", creds)
    r = s.put(f"{bucket}/str.txt", data="héllo wörld", timeout=TIMEOUT)  # str body, sent as UTF-8
    assert r.status_code == 200, r.text
    assert s.get(f"{bucket}/str.txt", timeout=TIMEOUT).content == "héllo wörld".encode()
    # A file body streams with UNSIGNED-PAYLOAD (S3).
    r = s.put(f"{bucket}/file.bin", data=io.BytesIO(b"\x00\x01file"), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert s.get(f"{bucket}/file.bin", timeout=TIMEOUT).content == b"\x00\x01file"


def test_requests_query_with_plus(bucket, creds):
    """A raw '+' in the query is a space (form encoding), as S3 reads it; a plus is '%2B'.
    Neither is rewritten, and S3 accepts both signatures."""
    auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", creds)
    r = requests.get(f"{bucket}?list-type=2&prefix=a+b", auth=auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert "<Prefix>a b</Prefix>" in r.text
    r = requests.get(bucket, params={"list-type": "2", "prefix": "a+b c"}, auth=auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert "<Prefix>a+b c</Prefix>" in r.text


def test_presigned_get(bucket, creds):
    auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", creds)
    assert requests.put(f"{bucket}/presigned.txt", data=b"presigned!", auth=auth, timeout=TIMEOUT).status_code == 200
    signer = sigv4.Signer(S3_REGION, "s3", creds)
    url = signer.presign("GET", f"{bucket}/presigned.txt", expires=300)
    r = requests.get(url, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.content == b"presigned!"
    # Tampering with the presigned URL is refused.
    r = requests.get(url.replace("presigned.txt", "presigneX.txt"), timeout=TIMEOUT)
    assert r.status_code == 403


def test_session_token(bucket):
    token = "FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+abc/def=="
    creds = sigv4.Credentials(S3_ACCESS_KEY, S3_SECRET_KEY, token)
    auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", creds)
    r = requests.put(f"{bucket}/token.txt", data=b"with token", auth=auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.request.headers["X-Amz-Security-Token"] == token
    assert "x-amz-security-token" in r.request.headers["Authorization"]
    url = sigv4.Signer(S3_REGION, "s3", creds).presign("GET", f"{bucket}/token.txt")
    assert "X-Amz-Security-Token=" in url
    r = requests.get(url, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.content == b"with token"
    with httpx.Client(auth=sigv4.httpx.SigV4Auth(S3_REGION, "s3", creds), timeout=TIMEOUT) as c:
        r = c.get(f"{bucket}/token.txt")
        assert r.status_code == 200, r.text
        assert r.request.headers["x-amz-security-token"] == token


def test_wrong_secret_refused(bucket):
    bad = sigv4.Credentials(S3_ACCESS_KEY, "not-the-secret")
    r = requests.get(f"{bucket}/presigned.txt", auth=sigv4.requests.SigV4Auth(S3_REGION, "s3", bad), timeout=TIMEOUT)
    assert r.status_code == 403
    assert "SignatureDoesNotMatch" in r.text
    with httpx.Client(auth=sigv4.httpx.SigV4Auth(S3_REGION, "s3", bad), timeout=TIMEOUT) as c:
        assert c.get(f"{bucket}/presigned.txt").status_code == 403
    url = sigv4.Signer(S3_REGION, "s3", bad).presign("GET", f"{bucket}/presigned.txt")
    assert requests.get(url, timeout=TIMEOUT).status_code == 403


def test_body_not_matching_signature_refused(bucket, creds):
    """The server checks the signed payload hash: a body other than the signed one fails."""
    signer = sigv4.Signer(S3_REGION, "s3", creds)
    headers = signer.sign("PUT", f"{bucket}/tampered.txt", None, b"signed body")
    headers.pop("host", None)
    r = requests.put(f"{bucket}/tampered.txt", data=b"other body!", headers=headers, timeout=TIMEOUT)
    # s3s-fs answers 500 InternalError for a payload hash mismatch; any error will do as
    # long as nothing was stored.
    assert r.status_code >= 400, r.text
    auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", creds)
    assert requests.get(f"{bucket}/tampered.txt", auth=auth, timeout=TIMEOUT).status_code == 404


def test_httpx_sync(bucket, creds):
    with httpx.Client(auth=sigv4.httpx.SigV4Auth(S3_REGION, "s3", creds), timeout=TIMEOUT) as c:
        r = c.put(f"{bucket}/httpx sync.txt", content=b"sync bytes", headers={"x-amz-meta-k": "v"})
        assert r.status_code == 200, r.text
        assert c.get(f"{bucket}/httpx sync.txt").content == b"sync bytes"
        r = c.put(f"{bucket}/httpx-str.txt", content="strïng")
        assert r.status_code == 200, r.text
        assert c.get(f"{bucket}/httpx-str.txt").content == "strïng".encode()
        # Iterator body: streamed with UNSIGNED-PAYLOAD.
        r = c.put(f"{bucket}/httpx-iter.txt", content=iter([b"it", b"er"]), headers={"content-length": "4"})
        assert r.status_code == 200, r.text
        assert c.get(f"{bucket}/httpx-iter.txt").content == b"iter"
        r = c.get(bucket, params={"list-type": "2", "prefix": "httpx"})
        assert r.status_code == 200 and "httpx-iter.txt" in r.text


def test_httpx_async(bucket, creds):
    async def main():
        auth = sigv4.httpx.SigV4Auth(S3_REGION, "s3", creds)
        async with httpx.AsyncClient(auth=auth, timeout=TIMEOUT) as c:
            r = await c.put(f"{bucket}/async.txt", content=b"async bytes")
            assert r.status_code == 200, r.text
            r = await c.get(f"{bucket}/async.txt")
            assert r.content == b"async bytes"

            async def agen():
                yield b"as"
                yield b"ync"

            r = await c.put(f"{bucket}/async-gen.txt", content=agen(), headers={"content-length": "5"})
            assert r.status_code == 200, r.text
            assert (await c.get(f"{bucket}/async-gen.txt")).content == b"async"

    asyncio.run(main())


def test_refreshable_credentials_end_to_end(bucket):
    calls = []

    def fetch():
        calls.append(1)
        return {"access_key": S3_ACCESS_KEY, "secret_key": S3_SECRET_KEY}

    auth = sigv4.requests.SigV4Auth(S3_REGION, "s3", sigv4.RefreshableCredentials(fetch))
    for _ in range(3):
        assert requests.get(f"{bucket}/async.txt", auth=auth, timeout=TIMEOUT).status_code == 200
    assert len(calls) == 1
