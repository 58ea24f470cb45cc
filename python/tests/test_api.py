"""The Python API: types, errors (clear, typed, secret-free), signing keys, bodies, plugins."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest

import sigv4

AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "SECRETTOKENVALUE/abc+def="
T = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.timezone.utc)
URL = "https://example.amazonaws.com/?Param2=value2&Param1=value1"
VANILLA_SIG = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"


def test_credentials_immutable_and_redacted():
    c = sigv4.Credentials(AK, SK, TOKEN, T)
    r = repr(c)
    assert AK in r and SK not in r and TOKEN not in r
    assert c.access_key == AK and c.secret_key == SK and c.token == TOKEN
    assert c.expiration == T
    with pytest.raises(AttributeError):
        c.secret_key = "x"
    assert c == sigv4.Credentials(AK, SK, TOKEN, T)
    assert c != sigv4.Credentials(AK, SK)
    assert sigv4.Credentials(AK, SK, expiration=T.timestamp()).expiration == T
    naive = dt.datetime(2015, 8, 30, 12, 36)
    assert sigv4.Credentials(AK, SK, expiration=naive).expiration == T


def test_timestamps_equivalent():
    s = sigv4.Signer("us-east-1", "service", sigv4.Credentials(AK, SK))
    for ts in (T, T.replace(tzinfo=None), T.timestamp(), int(T.timestamp()),
               T.astimezone(dt.timezone(dt.timedelta(hours=5)))):
        assert s.sign("GET", URL, timestamp=ts)["Authorization"].endswith(VANILLA_SIG)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: sigv4.Signer(123, "s3"), TypeError, "region"),
        (lambda: sigv4.Signer("us-east-1", None), TypeError, "service"),
        (lambda: sigv4.Signer("us east-1", "s3", sigv4.Credentials(AK, SK)), ValueError, "region"),
        (lambda: sigv4.Signer("us-east-1", "a/b", sigv4.Credentials(AK, SK)), ValueError, "service"),
        (lambda: sigv4.Signer("us-east-1", "s3", 42), TypeError, "credentials"),
        (lambda: sigv4.Credentials(AK, ""), ValueError, "secret"),
        (lambda: sigv4.Credentials("AK ID", SK), ValueError, "access key"),
        (lambda: sigv4.Credentials(AK, SK, "tok\nen"), ValueError, "session token"),
        (lambda: sigv4.Credentials(AK, SK, expiration="tomorrow"), TypeError, "expiration"),
        (lambda: sigv4.Credentials(AK, SK, expiration=float("nan")), ValueError, "expiration"),
        (lambda: sigv4.Credentials(AK, 5), TypeError, "secret_key"),
        (lambda: sigv4.RefreshableCredentials("not callable"), TypeError, "callable"),
        (lambda: sigv4.RefreshableCredentials(lambda: None, advisory_timeout=1, mandatory_timeout=2), ValueError, "mandatory"),
        (lambda: sigv4.SigningKey(SK, "us-east-1", "s3", "2015-08-30"), ValueError, "date"),
        (lambda: sigv4.SigningKey.from_bytes(b"short", "20150830", "r", "s"), ValueError, "32 bytes"),
    ],
)
def test_bad_construction(call, exc, words):
    with pytest.raises(exc) as e:
        call()
    assert words in str(e.value).lower()
    assert SK not in str(e.value)


def _signer(**kw):
    return sigv4.Signer("us-east-1", "service", sigv4.Credentials(AK, SK, TOKEN), **kw)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(method="", url=URL), ValueError, "method"),
        (dict(method="GE T", url=URL), ValueError, "method"),
        (dict(method=5, url=URL), TypeError, "method"),
        (dict(method="GET", url=None), TypeError, "url"),
        (dict(method="GET", url="ftp://x/"), ValueError, "uri"),
        (dict(method="GET", url="/no-host"), ValueError, "host"),
        (dict(method="GET", url=URL, headers={"X-A": "a\nb"}), ValueError, "x-a"),
        (dict(method="GET", url=URL, headers={"Bad Name": "v"}), ValueError, "header name"),
        (dict(method="GET", url=URL, headers={"X-A": 5}), TypeError, "header value"),
        (dict(method="GET", url=URL, headers="X-A: 1"), TypeError, "headers"),
        (dict(method="GET", url=URL, headers=[("a",)]), TypeError, "pair"),
        (dict(method="GET", url=URL, headers=5), TypeError, "headers"),
        (dict(method="GET", url=URL, body=5), TypeError, "body"),
        (dict(method="GET", url=URL, body=iter([b"x"])), TypeError, "unsigned_payload"),
        (dict(method="GET", url=URL, body=io.BytesIO(b"x")), TypeError, "streaming"),
        (dict(method="GET", url=URL, timestamp="now"), TypeError, "timestamp"),
        (dict(method="GET", url=URL, timestamp=-5), ValueError, "timestamp"),
        (dict(method="GET", url=URL, timestamp=1e13), ValueError, "timestamp"),
        (dict(method="GET", url=URL, payload_hash="not a hash"), ValueError, "payload hash"),
    ],
)
def test_bad_sign_input(kwargs, exc, words):
    with pytest.raises(exc) as e:
        _signer().sign(**kwargs)
    msg = str(e.value)
    assert words in msg.lower()
    assert SK not in msg and TOKEN not in msg


@pytest.mark.parametrize("expires", [0, -1, 604801, float("inf"), "1h", True])
def test_bad_presign_expiry(expires):
    with pytest.raises((ValueError, TypeError)):
        _signer().presign("GET", URL, expires)


def test_presign_timedelta_and_errors_are_signing_errors():
    s = _signer()
    a = s.presign("GET", URL, dt.timedelta(minutes=15), timestamp=T)
    b = s.presign("GET", URL, 900, timestamp=T)
    assert a == b and "X-Amz-Expires=900" in a
    with pytest.raises(sigv4.SigningError):
        s.presign("GET", URL, 10**7)
    assert issubclass(sigv4.SigningError, ValueError)


def test_headers_forms_and_results():
    s = sigv4.Signer("us-east-1", "service", sigv4.Credentials(AK, SK))
    base = s.sign("GET", URL, {"X-A": "1", "X-B": b"2"}, timestamp=T)
    assert s.sign("GET", URL, [("X-A", "1"), (b"X-B", "2")], timestamp=T) == base
    assert s.sign("GET", URL, [["x-a", "1"], ["x-b", "2"]], timestamp=T) == base
    out = s.sign_request("GET", URL, {"X-A": "1", "X-B": b"2"}, timestamp=T)
    assert out.headers == base
    assert out.signed_headers == "host;x-a;x-amz-date;x-b"
    assert out.credential_scope == "20150830/us-east-1/service/aws4_request"
    assert out.canonical_request.splitlines()[2] == "Param1=value1&Param2=value2"
    assert out.string_to_sign.startswith("AWS4-HMAC-SHA256\n20150830T123600Z\n")
    assert base["Authorization"].endswith("Signature=" + out.signature)
    assert out.url == URL
    # Repeated headers are joined the SigV4 way.
    out = s.sign_request("GET", URL, [("X-A", "1"), ("X-A", "2")], timestamp=T)
    assert "x-a:1,2" in out.canonical_request


def test_returned_values_follow_each_signing():
    """The X-Amz-Date, session-token and payload-hash strings of the returned dict are
    reused between signings while unchanged (#20 point 8): each signing still returns its
    own values, alternating tokens, times and payload hashes, on any thread."""
    import threading

    ta, tb = "token-a/" + "x" * 300, "token-b"
    sa = sigv4.Signer("us-east-1", "s3", sigv4.Credentials(AK, SK, ta))
    sb = sigv4.Signer("us-east-1", "s3", sigv4.Credentials(AK, SK, tb))
    t2 = T + dt.timedelta(seconds=1)
    want = {
        (sa, T, b""): (ta, "20150830T123600Z", hashlib.sha256(b"").hexdigest()),
        (sb, t2, b"x"): (tb, "20150830T123601Z", hashlib.sha256(b"x").hexdigest()),
    }

    def check(errors):
        for _ in range(50):
            for (signer, ts, body), (tok, date, sha) in want.items():
                h = signer.sign("PUT", URL, body=body, timestamp=ts)
                got = (h["X-Amz-Security-Token"], h["X-Amz-Date"], h["X-Amz-Content-Sha256"])
                if got != (tok, date, sha):
                    errors.append(got)
                given = signer.sign("PUT", URL, timestamp=ts, payload_hash=sigv4.UNSIGNED_PAYLOAD)
                if given["X-Amz-Content-Sha256"] != "UNSIGNED-PAYLOAD":
                    errors.append(given)

    errors = []
    threads = [threading.Thread(target=check, args=(errors,)) for _ in range(3)]
    for t in threads:
        t.start()
    check(errors)
    for t in threads:
        t.join()
    assert errors == []
    # A returned dict is the caller's: changing it changes no later result.
    h = sa.sign("GET", URL, timestamp=T)
    h["X-Amz-Date"] = "changed"
    assert sa.sign("GET", URL, timestamp=T)["X-Amz-Date"] == "20150830T123600Z"


def test_low_level_matches_signer():
    c = sigv4.Credentials(AK, SK, TOKEN)
    kw = dict(credentials=c, region="us-east-1", service="service", timestamp=T)
    s = sigv4.Signer("us-east-1", "service", c)
    assert sigv4.sign_headers("POST", URL, {"a": "b"}, b"xyz", **kw) == s.sign("POST", URL, {"a": "b"}, b"xyz", T)
    cr = sigv4.canonical_request("POST", URL, {"a": "b"}, b"xyz", **kw)
    sts = sigv4.string_to_sign("POST", URL, {"a": "b"}, b"xyz", **kw)
    assert sts.endswith(hashlib.sha256(cr.encode()).hexdigest())
    assert cr.endswith(hashlib.sha256(b"xyz").hexdigest())
    # Without a timestamp (PyPI sigv4's documented call) it signs at the current time: the
    # same headers as signing explicitly at the X-Amz-Date it returned.
    now = sigv4.sign_headers("GET", URL, credentials=c, region="us-east-1", service="s")
    at = dt.datetime.strptime(now["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert now == sigv4.sign_headers("GET", URL, credentials=c, region="us-east-1", service="s", timestamp=at)


def test_bodies_hash_like_hashlib():
    big = bytes(range(256)) * 8192  # 2 MiB: hashed with the GIL released
    for body in (b"", b"abc", bytearray(b"abc"), memoryview(b"abc"), "héllo", big, bytearray(big), memoryview(big)):
        raw = body.encode() if isinstance(body, str) else bytes(body)
        assert sigv4.payload_hash(body) == hashlib.sha256(raw).hexdigest()
    s = sigv4.Signer("us-east-1", "s3", sigv4.Credentials(AK, SK))
    h = s.sign("PUT", "https://b.s3.amazonaws.com/k", None, big, T)
    assert h["X-Amz-Content-Sha256"] == hashlib.sha256(big).hexdigest()
    assert s.sign("PUT", "https://b.s3.amazonaws.com/k", None, "é", T) == s.sign("PUT", "https://b.s3.amazonaws.com/k", None, "é".encode(), T)
    assert s.sign("PUT", "https://b.s3.amazonaws.com/k", None, None, T)["X-Amz-Content-Sha256"] == sigv4.EMPTY_SHA256
    u = s.sign("PUT", "https://b.s3.amazonaws.com/k", None, None, T, payload_hash=sigv4.UNSIGNED_PAYLOAD)
    assert u["X-Amz-Content-Sha256"] == "UNSIGNED-PAYLOAD"


def test_signing_key_flow():
    key = sigv4.SigningKey(SK, "us-east-1", "service", "20150830")
    assert key.scope == "20150830/us-east-1/service/aws4_request"
    assert key.to_bytes().hex() not in repr(key) and SK not in repr(key)
    assert sigv4.SigningKey(SK, "us-east-1", "service", dt.date(2015, 8, 30)).to_bytes() == key.to_bytes()
    assert sigv4.SigningKey(SK, "us-east-1", "service", T).to_bytes() == key.to_bytes()
    # Hand the raw key to another component: it signs without the secret.
    handed = sigv4.SigningKey.from_bytes(key.to_bytes(), "20150830", "us-east-1", "service")
    ks = sigv4.Signer.from_signing_key(handed, AK)
    assert ks.region == "us-east-1" and ks.service == "service" and ks.credentials is None
    assert ks.sign("GET", URL, timestamp=T)["Authorization"].endswith(VANILLA_SIG)
    ks_tok = sigv4.Signer.from_signing_key(handed, AK, TOKEN)
    full = sigv4.Signer("us-east-1", "service", sigv4.Credentials(AK, SK, TOKEN))
    assert ks_tok.sign("GET", URL, timestamp=T) == full.sign("GET", URL, timestamp=T)
    assert ks_tok.presign("GET", URL, 60, timestamp=T) == full.presign("GET", URL, 60, timestamp=T)
    with pytest.raises(sigv4.SigningError, match="20150830/us-east-1/service"):
        ks.sign("GET", URL, timestamp=T + dt.timedelta(days=1))
    out = full.sign_request("GET", URL, timestamp=T)
    assert key.sign(out.string_to_sign) == out.signature


def test_duck_typed_credentials_botocore_and_dict():
    botocore_credentials = pytest.importorskip("botocore.credentials")
    want = _signer().sign("GET", URL, timestamp=T)
    bc = botocore_credentials.Credentials(AK, SK, TOKEN)
    assert sigv4.Signer("us-east-1", "service", bc).sign("GET", URL, timestamp=T) == want
    d = {"access_key": AK, "secret_key": SK, "token": TOKEN}
    assert sigv4.Signer("us-east-1", "service", d).sign("GET", URL, timestamp=T) == want
    rc = sigv4.RefreshableCredentials(lambda: {"AccessKeyId": AK, "SecretAccessKey": SK, "SessionToken": TOKEN})
    assert sigv4.Signer("us-east-1", "service", rc).sign("GET", URL, timestamp=T) == want
    bad = sigv4.RefreshableCredentials(lambda: 42)
    with pytest.raises(sigv4.CredentialsError, match="fetcher"):
        sigv4.Signer("us-east-1", "service", bad).sign("GET", URL)


CHAIN_ENV = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for k in CHAIN_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_default_chain_from_environment(monkeypatch, clean_env):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SK)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    c = sigv4.resolve_credentials()
    assert (c.access_key, c.secret_key, c.token) == (AK, SK, TOKEN)
    s = sigv4.Signer("us-east-1", "service")
    assert s.sign("GET", URL, timestamp=T) == _signer().sign("GET", URL, timestamp=T)
    assert isinstance(s.credentials, sigv4.RefreshableCredentials)
    assert "environment" in sigv4.CREDENTIAL_CHAIN


def test_default_chain_profile(clean_env):
    (clean_env / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n"
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\n"
        "aws_session_token = devtoken\n"
    )
    assert sigv4.resolve_credentials().access_key == "AKIDDEFAULT"
    c = sigv4.resolve_credentials("dev")
    assert (c.access_key, c.secret_key, c.token) == ("AKIDDEV", "dev-secret", "devtoken")
    rc = sigv4.default_credentials("dev")
    assert rc.get_frozen_credentials() == c.get()
    assert sigv4.resolve_credentials(profile="dev").refresh() == c.get()


def test_default_chain_nothing_configured(clean_env):
    # resolve_credentials() is lazy (PyPI sigv4's contract): the error comes on first use.
    lazy = sigv4.resolve_credentials()
    assert not lazy.is_ready
    with pytest.raises(sigv4.CredentialsError) as e:
        lazy.refresh()
    assert str(e.value)
    with pytest.raises(sigv4.CredentialsError):
        sigv4.Signer("us-east-1", "service").sign("GET", URL)
    with pytest.raises(sigv4.CredentialsError):
        sigv4.resolve_credentials("no-such-profile").refresh()


def test_requests_plugin_bodies():
    requests = pytest.importorskip("requests")
    from sigv4.requests import SigV4Auth

    c = sigv4.Credentials(AK, SK)
    auth = SigV4Auth("us-east-1", "execute-api", c)
    p = requests.Request("POST", "https://api.example.com/x", data={"a": "b c", "d": "é"}, auth=auth).prepare()
    assert p.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    body = p.body.encode() if isinstance(p.body, str) else p.body
    out = sigv4.Signer("us-east-1", "execute-api", c).sign_request(
        "POST", p.url, {k: v for k, v in p.headers.items() if k not in ("Authorization", "X-Amz-Date")}, body,
        timestamp=dt.datetime.strptime(p.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    assert out.headers["Authorization"] == p.headers["Authorization"]
    # Streaming body: a clear error for a service that needs the payload hash ...
    with pytest.raises(sigv4.SigningError, match="unsigned_payload=True"):
        requests.Request("PUT", "https://api.example.com/x", data=io.BytesIO(b"x"), auth=auth).prepare()
    # ... UNSIGNED-PAYLOAD when asked, or for S3.
    p = requests.Request("PUT", "https://api.example.com/x", data=io.BytesIO(b"x"),
                         auth=SigV4Auth("us-east-1", "execute-api", c, unsigned_payload=True)).prepare()
    assert "Authorization" in p.headers
    p = requests.Request("PUT", "https://b.s3.amazonaws.com/k", data=(x for x in [b"a"]),
                         auth=SigV4Auth("us-east-1", "s3", c)).prepare()
    assert p.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    p = requests.Request("POST", "https://b.s3.amazonaws.com/k", files={"f": ("n.txt", b"data")},
                         auth=SigV4Auth("us-east-1", "s3", c)).prepare()
    assert p.headers["x-amz-content-sha256"] == hashlib.sha256(p.body).hexdigest()


def test_httpx_plugin_bodies():
    httpx = pytest.importorskip("httpx")
    from sigv4.httpx import SigV4Auth

    c = sigv4.Credentials(AK, SK)
    auth = SigV4Auth("us-east-1", "execute-api", c)
    req = httpx.Request("POST", "https://api.example.com/x", data={"a": "b"})
    auth.sign(req)
    assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256")
    with pytest.raises(sigv4.SigningError, match="streaming"):
        auth.sign(httpx.Request("PUT", "https://api.example.com/x", content=iter([b"x"])))
    s3 = SigV4Auth("us-east-1", "s3", c)
    req = s3.sign(httpx.Request("PUT", "https://b.s3.amazonaws.com/k", content=iter([b"x"])))
    assert req.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    req = s3.sign(httpx.Request("PUT", "https://b.s3.amazonaws.com/k", content=b"abc"))
    assert req.headers["x-amz-content-sha256"] == hashlib.sha256(b"abc").hexdigest()


ODD_VALUES = [None, 0, -1, 1e308, float("nan"), True, "", " ", "\x00", "\r\n", "é", b"\xff", b"",
              [], [("a",)], {}, {"": ""}, {1: 2}, object(), dt.timedelta(days=-1), dt.date(1, 1, 1),
              dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59), 10**30, -(10**30)]


def test_odd_values_never_crash():
    """Every odd value in every position raises TypeError/ValueError/CredentialsError (or
    signs), never a panic or a crash."""
    c = sigv4.Credentials(AK, SK)
    calls = [
        lambda v: sigv4.Signer(v, "s3", c),
        lambda v: sigv4.Signer("us-east-1", v, c),
        lambda v: sigv4.Signer("us-east-1", "s3", v).sign("GET", URL, timestamp=T),
        lambda v: _signer().sign(v, URL),
        lambda v: _signer().sign("GET", v),
        lambda v: _signer().sign("GET", URL, v),
        lambda v: _signer().sign("GET", URL, None, v),
        lambda v: _signer().sign("GET", URL, None, None, v),
        lambda v: _signer().sign("GET", URL, {"x-a": v}),
        lambda v: _signer().sign("GET", URL, [(v, "x")]),
        lambda v: _signer().sign("GET", URL, payload_hash=v),
        lambda v: _signer().presign("GET", URL, v),
        lambda v: sigv4.Credentials(v, SK),
        lambda v: sigv4.Credentials(AK, SK, v),
        lambda v: sigv4.Credentials(AK, SK, None, v),
        lambda v: sigv4.SigningKey(SK, "r", "s", v),
        lambda v: sigv4.SigningKey.from_bytes(v, "20200101", "r", "s"),
        lambda v: sigv4.RefreshableCredentials(lambda: v).get_frozen_credentials(),
        lambda v: sigv4.RefreshableCredentials(lambda: c, advisory_timeout=v),
        lambda v: sigv4.RefreshableCredentials(lambda: c, clock=lambda: v).get_frozen_credentials(),
        lambda v: sigv4.payload_hash(v),
        lambda v: sigv4.sign_headers("GET", URL, credentials=c, region="r", service="s", timestamp=v),
        lambda v: sigv4.sign_headers("GET", URL, credentials=v, region="r", service="s", timestamp=T),
        lambda v: sigv4.Signer("us-east-1", "s3", c, signed_headers=v),
    ]
    for call in calls:
        for v in ODD_VALUES:
            try:
                call(v)
            except (TypeError, ValueError, sigv4.CredentialsError, OverflowError):
                pass


def test_requests_aws4auth_compatible_constructor():
    requests = pytest.importorskip("requests")
    from sigv4.requests import AWS4Auth, SigV4Auth

    p1 = requests.Request("GET", URL).prepare()
    AWS4Auth(AK, SK, "us-east-1", "service", session_token=TOKEN)(p1)
    assert p1.headers["X-Amz-Security-Token"] == TOKEN
    assert p1.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert isinstance(AWS4Auth(AK, SK, "us-east-1", "s3"), SigV4Auth)


def test_requests_aws4auth_fifth_argument_is_a_date_not_a_token():
    requests = pytest.importorskip("requests")
    from sigv4.requests import AWS4Auth

    p = requests.Request("GET", URL).prepare()
    AWS4Auth(AK, SK, "us-east-1", "service", "20240102")(p)
    assert "X-Amz-Security-Token" not in p.headers
    assert "x-amz-security-token" not in p.headers["Authorization"]
