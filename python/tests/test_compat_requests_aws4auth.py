"""requests-aws4auth 1.x's documented usage with only the import line changed; every
signature re-checked with botocore (from what a local server received, or at a fixed time)."""

from __future__ import annotations

import datetime as dt
import threading
import warnings

import pytest

requests = pytest.importorskip("requests")

from sigv4.compat.requests_aws4auth import (  # noqa: E402  (was: from requests_aws4auth import ...)
    AWS4Auth,
    AWS4SigningKey,
    DateFormatError,
    DateMismatchError,
    NoSecretKeyError,
    RequestsAws4AuthException,
    StrictAWS4Auth,
)
from sigv4.compat.requests_aws4auth.aws4signingkey import AWS4SigningKey as KeyFromSubmodule  # noqa: E402
from _kit import LocalServer, botocore_authorization, check_prepared, check_signed  # noqa: E402

ACCESS_ID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TODAY = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")


def test_basic_usage_s3_and_placeholders_construct():
    # The README's placeholders construct (signing with them is what fails, as at AWS).
    auth = AWS4Auth("<ACCESS ID>", "<ACCESS KEY>", "eu-west-1", "s3")
    assert (auth.access_id, auth.region, auth.service, auth.date) == ("<ACCESS ID>", "eu-west-1", "s3", TODAY)
    with pytest.raises(ValueError, match="access key"):
        auth(requests.Request("GET", "http://127.0.0.1:9/").prepare())

    auth = AWS4Auth(ACCESS_ID, SECRET, "eu-west-1", "s3")
    with LocalServer() as srv:
        endpoint = srv.url
        response = requests.get(endpoint, auth=auth, timeout=10)
        assert response.status_code == 200
        requests.put(f"{endpoint}/bucket/a%20key.txt", data=b"hello", auth=auth, timeout=10)
        for rec in srv.requests:
            check_signed(rec, secret_key=SECRET, region="eu-west-1", service="s3")
            assert rec.header("x-amz-content-sha256")


def test_sts_temporary_credentials():
    auth = AWS4Auth(ACCESS_ID, SECRET, "eu-west-1", "es", session_token="SESSIONTOKEN/abc=")
    assert auth.session_token == "SESSIONTOKEN/abc=" and "x-amz-security-token" in auth.include_hdrs
    with LocalServer() as srv:
        requests.post(f"{srv.url}/my-index/_search?q=title%3Ahello%20world&size=5",
                      json={"query": {"match_all": {}}}, auth=auth, timeout=10)
        check_signed(srv.last(), secret_key=SECRET, region="eu-west-1", service="es",
                     token="SESSIONTOKEN/abc=")


def test_five_argument_date_form_is_a_date_not_a_token():
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es", "20240102")
    assert auth.date == "20240102" and auth.signing_key.date == "20240102"
    assert auth.session_token is None
    with LocalServer() as srv:
        requests.get(f"{srv.url}/_cluster/health", auth=auth, timeout=10)
        rec = srv.last()
        assert rec.header("x-amz-security-token") is None
        check_signed(rec, secret_key=SECRET, region="us-east-1", service="es")
    # The request was dated today: the key was regenerated for today, with the kept secret.
    assert auth.date == TODAY and auth.signing_key.scope == f"{TODAY}/us-east-1/es/aws4_request"


def test_signing_key_form_and_key_attributes():
    key = AWS4SigningKey(SECRET, "eu-west-1", "s3")
    assert KeyFromSubmodule is AWS4SigningKey
    assert (key.region, key.service, key.date) == ("eu-west-1", "s3", TODAY)
    assert key.scope == f"{TODAY}/eu-west-1/s3/aws4_request"
    assert isinstance(key.key, bytes) and len(key.key) == 32
    # The secret is kept (store_secret_key=True by default, as the original) but never shown.
    assert key.secret_key == SECRET and key.store_secret_key
    assert SECRET not in repr(key) and SECRET not in str(key) and SECRET not in repr(vars(key))
    assert AWS4SigningKey(SECRET, "eu-west-1", "s3", store_secret_key=False).secret_key is None
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert key.amz_date == key.date
    assert w and issubclass(w[0].category, DeprecationWarning)
    # generate_key's intermediates: the AWS documentation's derivation, step by step.
    k, kdate, kregion, kservice = AWS4SigningKey.generate_key(SECRET, "eu-west-1", "s3", TODAY, intermediates=True)
    assert k == key.key
    assert AWS4SigningKey.sign_sha256(kservice, "aws4_request") == k
    assert AWS4SigningKey.sign_sha256(("AWS4" + SECRET).encode(), TODAY) == kdate

    auth = AWS4Auth(ACCESS_ID, key)
    assert (auth.region, auth.service, auth.date, auth.signing_key) == ("eu-west-1", "s3", TODAY, key)
    with LocalServer() as srv:
        requests.get(f"{srv.url}/bucket?list-type=2&prefix=a%2Fb", auth=auth, timeout=10)
        check_signed(srv.last(), secret_key=SECRET, region="eu-west-1", service="s3")


def test_signing_key_form_keeps_signing_after_midnight():
    """AWS4Auth(access_id, signing_key): the key keeps its secret by default, so a request
    dated the next day (a long-running process after midnight UTC) gets a key for that day."""
    auth = AWS4Auth(ACCESS_ID, AWS4SigningKey(SECRET, "us-east-1", "es", "20240102"))
    for stamp in ("20240102T235959Z", "20240103T000001Z"):
        p = auth(requests.Request("GET", "https://search.example.com/_cluster/health",
                                  headers={"X-Amz-Date": stamp}).prepare())
        assert auth.date == stamp[:8] and auth.signing_key.date == stamp[:8]
        assert auth.signing_key.secret_key == SECRET
        check_prepared(p, secret_key=SECRET, region="us-east-1", service="es")


def test_key_without_secret_cannot_regenerate():
    key = AWS4SigningKey(SECRET, "us-east-1", "es", "20240102", store_secret_key=False)
    assert key.secret_key is None
    auth = AWS4Auth(ACCESS_ID, key)
    with pytest.raises(NoSecretKeyError):
        auth(requests.Request("GET", "http://127.0.0.1:9/").prepare())
    assert issubclass(NoSecretKeyError, RequestsAws4AuthException)
    auth.regenerate_signing_key(secret_key=SECRET, date=TODAY)
    assert auth.date == TODAY
    with LocalServer() as srv:
        requests.get(srv.url + "/", auth=auth, timeout=10)
        check_signed(srv.last(), secret_key=SECRET, region="us-east-1", service="es")


def test_date_handling_uses_request_date_headers():
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es")
    url = "https://search.example.com/idx/_doc/1"
    for header, value in [("X-Amz-Date", "20240102T030405Z"), ("X-Amz-Date", "2024-01-02T03:04:05Z"),
                          ("Date", "Tue, 02 Jan 2024 03:04:05 GMT")]:
        p = requests.Request("PUT", url, data=b'{"a": 1}', headers={header: value,
                             "Content-Type": "application/json"}).prepare()
        auth(p)
        assert auth.date == "20240102"  # regenerated for the request's day
        assert p.headers["X-Amz-Date"] == "20240102T030405Z"
        assert "/20240102/us-east-1/es/aws4_request" in p.headers["Authorization"]
        if header == "Date":
            # Sent and signed along with X-Amz-Date (botocore signs only Date then, so
            # it cannot re-check this one).
            assert p.headers["Date"] == value and ";date;" in p.headers["Authorization"]
        else:
            check_prepared(p, secret_key=SECRET, region="us-east-1", service="es")


def test_unrecognised_date_replaced_or_raised():
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es")
    p = requests.Request("GET", "https://search.example.com/", headers={"Date": "yesterday"}).prepare()
    auth(p)
    assert "Date" not in p.headers and p.headers["X-Amz-Date"].startswith(TODAY)
    strict = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es", raise_invalid_date=True)
    with pytest.raises(DateFormatError):
        strict(requests.Request("GET", "https://search.example.com/", headers={"Date": "yesterday"}).prepare())
    with pytest.raises(ValueError):
        AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es", raise_invalid_date="yes")
    assert AWS4Auth.parse_date("Sunday, 06-Nov-94 08:49:37 GMT").endswith("-11-06")
    # Every format the original accepts, the day as written (no shift to UTC).
    assert AWS4Auth.parse_date("Monday, 06-Feb-85 23:01:01 EST").endswith("85-02-06")
    assert AWS4Auth.parse_date("2024-01-02T23:30:00-05:00") == "2024-01-02"
    assert AWS4Auth.parse_date("2024-01-02T00:30:00+05:00") == "2024-01-02"
    assert AWS4Auth.parse_date("2009-03-25T10:11:12.13-01:00") == "2009-03-25"
    assert AWS4Auth.parse_date("Wed Dec 4 00:00:00 2002") == "2002-12-04"
    with pytest.raises(DateFormatError):
        AWS4Auth.parse_date("not a date")


def test_strict_auth_raises_on_date_mismatch():
    auth = StrictAWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es", "20240102")
    with pytest.raises(DateMismatchError):
        auth(requests.Request("GET", "https://search.example.com/").prepare())
    auth.regenerate_signing_key(date=TODAY)
    p = auth(requests.Request("GET", "https://search.example.com/").prepare())
    assert "Authorization" in p.headers


def test_include_hdrs():
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es", include_hdrs=["host", "content-type", "x-custom"])
    assert auth.include_hdrs == {"host", "content-type", "x-custom"}
    with LocalServer() as srv:
        requests.post(f"{srv.url}/idx/_bulk", data=b"{}\n", auth=auth, timeout=10,
                      headers={"Content-Type": "application/x-ndjson", "X-Custom": "v", "X-Other": "no"})
        parts = check_signed(srv.last(), secret_key=SECRET, region="us-east-1", service="es")
    # Exactly the headers listed, as the original (x-amz-date is sent but not signed).
    assert parts["signed"] == "content-type;host;x-custom"
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es")  # the defaults: host, content-type, date, x-amz-*
    with LocalServer() as srv:
        requests.post(f"{srv.url}/idx/_bulk", data=b"{}\n", auth=auth, timeout=10,
                      headers={"Content-Type": "application/x-ndjson", "X-Custom": "v",
                               "X-Amz-Meta-A": "1", "X-Amz-Client-Context": "c"})
        parts = check_signed(srv.last(), secret_key=SECRET, region="us-east-1", service="es")
    assert parts["signed"] == "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a"


def test_refreshable_credentials_from_botocore():
    from botocore.credentials import RefreshableCredentials

    generation = [0]

    def refresh():
        generation[0] += 1
        expiry = dt.datetime.now(dt.timezone.utc) + (dt.timedelta(seconds=1) if generation[0] == 1 else dt.timedelta(hours=1))
        return {"access_key": f"AKIDGEN{generation[0]}", "secret_key": f"secret-{generation[0]}",
                "token": f"token-{generation[0]}", "expiry_time": expiry.isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    auth = AWS4Auth(region="eu-west-1", service="es", refreshable_credentials=credentials)
    with LocalServer() as srv:
        requests.get(f"{srv.url}/", auth=auth, timeout=10)
        # The first credentials expire within botocore's refresh window: it refreshed them.
        rec = srv.last()
        gen = rec.header("x-amz-security-token").split("-")[1]
        check_signed(rec, secret_key=f"secret-{gen}", region="eu-west-1", service="es", token=f"token-{gen}")
        assert auth.access_id == f"AKIDGEN{gen}"
    with pytest.raises(TypeError, match="service"):
        AWS4Auth(region="eu-west-1", refreshable_credentials=credentials)


def test_wrong_argument_counts():
    with pytest.raises(TypeError, match="2, 4 or 5 arguments"):
        AWS4Auth(ACCESS_ID, SECRET, "us-east-1")
    with pytest.raises(TypeError):
        AWS4Auth(ACCESS_ID, SECRET)


def test_one_instance_shared_across_threads():
    """Threads signing requests dated on two different days with one AWS4Auth: every
    signature is right (the key regenerations never mix with the signing)."""
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es")
    days = ["20240102T030405Z", "20240103T030405Z"]
    signed, errors = [], []

    def work(i):
        try:
            for j in range(40):
                p = requests.Request("POST", f"https://search.example.com/i{i}/_doc/{j}", data=f"{i}-{j}",
                                     headers={"X-Amz-Date": days[(i + j) % 2]}).prepare()
                signed.append(auth(p))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(signed) == 240, errors[:5]
    for p in signed:  # checked afterwards: botocore's clock patch is process-wide
        check_prepared(p, secret_key=SECRET, region="us-east-1", service="es")


def test_with_httpx_sync_and_async():
    """httpx calls any callable ``auth`` with its request, so ``AWS4Auth`` works there too
    (as the original's duck typing allowed)."""
    import asyncio

    httpx = pytest.importorskip("httpx")
    auth = AWS4Auth(ACCESS_ID, SECRET, "us-east-1", "es", session_token="TOKEN123")
    with LocalServer() as srv:
        with httpx.Client(auth=auth, timeout=10) as client:
            client.put(f"{srv.url}/idx/_doc/1?refresh=true", json={"a": "b"})

        async def main():
            async with httpx.AsyncClient(auth=auth, timeout=10) as client:
                await client.get(f"{srv.url}/idx/_search?q=a%20b")

        asyncio.run(main())
        assert len(srv.requests) == 2
        for rec in srv.requests:
            check_signed(rec, secret_key=SECRET, region="us-east-1", service="es", token="TOKEN123")


def test_readme_botocore_session_credentials(chain_env, monkeypatch):
    from botocore.session import Session

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSESSION")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "session-secret")
    credentials = Session().get_credentials()
    auth = AWS4Auth(region="eu-west-1", service="es", refreshable_credentials=credentials)
    with LocalServer() as srv:
        requests.get(f"{srv.url}/_cluster/health", auth=auth, timeout=10)
        check_signed(srv.last(), secret_key="session-secret", region="eu-west-1", service="es")
