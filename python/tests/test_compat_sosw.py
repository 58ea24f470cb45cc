"""sosw's ``AwsSigV4RequestGenerator`` as its users write it (only the import line changed);
signatures re-checked with botocore from what a local 127.0.0.1 server received, and every
per-step method checked on its own."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from urllib.parse import urlparse

import pytest

requests = pytest.importorskip("requests")

from sigv4.compat.sosw import AWSSigV4RequestGenerator, AwsSigV4RequestGenerator  # noqa: E402
from _kit import LocalServer, check_signed  # noqa: E402

AK, SK, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjE/token=="


def make(**kw):
    args = dict(aws_service="es", aws_access_key_id=AK, aws_secret_access_key=SK, aws_region="us-east-1")
    args.update(kw)
    return AwsSigV4RequestGenerator(**args)


def test_documented_usage_with_requests():
    with LocalServer() as srv:
        auth = AwsSigV4RequestGenerator(
            aws_service="es",
            aws_access_key_id=AK,
            aws_secret_access_key=SK,
            aws_session_token=TOKEN,
            aws_region="us-east-1",
        )
        requests.get(f"{srv.url}/my-index/_search?size=10&q=a%20b&from=0&q=c", auth=auth, timeout=10)
        requests.post(f"{srv.url}/my-index/_doc", json={"title": "x"}, auth=auth, timeout=10)
        requests.get(f"{srv.url}/my-index/_search", data=b'{"query":{}}', auth=auth, timeout=10)
        for rec in srv.requests:
            parts = check_signed(rec, secret_key=SK, region="us-east-1", service="es", token=TOKEN)
            # The original generator's SignedHeaders (the content hash is sent, not signed).
            assert parts["signed"] == "host;x-amz-date;x-amz-security-token"
            assert rec.header("x-amz-content-sha256")
        # A GET with a body signs the body's hash (sosw signed the empty string's).
        assert srv.requests[2].header("x-amz-content-sha256") == hashlib.sha256(b'{"query":{}}').hexdigest()


def test_aws_host_is_the_signed_host():
    with LocalServer() as srv:
        auth = make(aws_host="search-domain.us-east-1.es.amazonaws.com")
        requests.get(f"{srv.url}/_cluster/health", auth=auth, timeout=10)
        check_signed(srv.last(), secret_key=SK, region="us-east-1", service="es",
                     host="search-domain.us-east-1.es.amazonaws.com")


def test_environment_fallbacks(monkeypatch):
    for k in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "env-token")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    auth = AWSSigV4RequestGenerator(aws_service="es")
    assert (auth.aws_access_key_id, auth.aws_secret_access_key, auth.aws_session_token, auth.aws_region) == (
        "AKIDFROMENV", "env-secret", "env-token", "eu-west-1")
    assert "env-secret" not in repr(auth) and "env-secret" not in repr(vars(auth))
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert AWSSigV4RequestGenerator(aws_service="es").aws_region == "ap-south-1"
    with LocalServer() as srv:
        requests.delete(f"{srv.url}/idx", auth=AWSSigV4RequestGenerator(aws_service="es"), timeout=10)
        check_signed(srv.last(), secret_key="env-secret", region="ap-south-1", service="es", token="env-token")


def test_key_errors(monkeypatch):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(KeyError, match="Service"):
        AwsSigV4RequestGenerator(aws_access_key_id=AK, aws_secret_access_key=SK, aws_region="us-east-1")
    with pytest.raises(KeyError, match="Access Key"):
        AwsSigV4RequestGenerator(aws_service="es", aws_region="us-east-1")
    with pytest.raises(KeyError, match="Region"):
        AwsSigV4RequestGenerator(aws_service="es", aws_access_key_id=AK, aws_secret_access_key=SK)
    assert AwsSigV4RequestGenerator is AWSSigV4RequestGenerator


def test_every_step_method():
    g = make(aws_session_token=TOKEN)
    amzdate, datestamp = g.get_headers_and_credential_date()
    assert re.fullmatch(r"\d{8}T\d{6}Z", amzdate) and datestamp == amzdate[:8]
    g.amzdate, g.datestamp = "20240102T030405Z", "20240102"

    parsed = urlparse("https://search.example.com:9200/a/./b/../c%20d?b=2&a=x y&a=%2F&c")
    # Spec-correct query: decoded, re-encoded per RFC 3986, sorted by key then value, repeats kept.
    assert g.get_canonical_querystring(parsed) == "a=%2F&a=x%20y&b=2&c="
    assert AwsSigV4RequestGenerator.get_canonical_querystring(urlparse("https://h/?z=1&y=2")) == "y=2&z=1"
    # Non-S3 services: normalized and encoded again; S3: as sent.
    assert g.get_canonical_uri(parsed) == "/a/c%2520d"
    assert make(aws_service="s3").get_canonical_uri(parsed) == "/a/./b/../c%20d"
    assert AwsSigV4RequestGenerator.get_canonical_uri(urlparse("https://h")) == "/"
    # Canonical headers: host (port kept unless default), x-amz-date, token; trailing newline.
    assert g.get_canonical_headers(parsed) == (
        "host:search.example.com:9200\nx-amz-date:20240102T030405Z\nx-amz-security-token:" + TOKEN + "\n")
    assert g.get_canonical_headers(urlparse("https://search.example.com:443/")) == (
        "host:search.example.com\nx-amz-date:20240102T030405Z\n"
        "x-amz-security-token:" + TOKEN + "\n")
    # The signing key: the AWS documentation's four HMACs.
    k = ("AWS4" + SK).encode()
    for part in ("20240102", "us-east-1", "es", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    assert g.get_signature_key() == k
    assert g.sign(b"key", "msg") == hmac.new(b"key", b"msg", hashlib.sha256).digest()
    # The Authorization header of a canonical request.
    creq = "GET\n/\n\nhost:h\nx-amz-date:20240102T030405Z\n\nhost;x-amz-date\n" + hashlib.sha256(b"").hexdigest()
    sts = "\n".join(["AWS4-HMAC-SHA256", "20240102T030405Z", "20240102/us-east-1/es/aws4_request",
                     hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    assert g.get_authorization_header(creq, "host;x-amz-date") == (
        f"AWS4-HMAC-SHA256 Credential={AK}/20240102/us-east-1/es/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={sig}")
    # The payload hash and the full header dict.
    p = requests.Request("PUT", "https://search.example.com/i/_doc/1", data="é").prepare()
    assert g.get_payload_hash(p) == hashlib.sha256("é".encode()).hexdigest()
    headers = g.get_aws_sigv4_headers(p)
    assert set(headers) == {"Authorization", "X-AMZ-Date", "x-amz-content-sha256"}
    assert headers["X-AMZ-Date"] == "20240102T030405Z"
    assert p.headers["x-amz-security-token"] == TOKEN


def test_shared_across_threads():
    """One generator used by several threads at once: the per-request dates are per thread."""
    auth = make()
    with LocalServer() as srv:
        def work(i):
            for j in range(10):
                requests.put(f"{srv.url}/t{i}/{j}", data=f"{i}-{j}".encode(), auth=auth, timeout=10)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(srv.requests) == 40
        for rec in srv.requests:
            check_signed(rec, secret_key=SK, region="us-east-1", service="es")
