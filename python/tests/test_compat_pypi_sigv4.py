"""PyPI ``sigv4`` 0.1.0's documented usage, written as its README writes it (only the
endpoints point at a local server), each signature re-checked with botocore."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import pickle
import re

import pytest

import sigv4
from sigv4 import Credentials, Signer, resolve_credentials, sign_headers
from _kit import (LocalServer, botocore_authorization, check_signed, container_responder, imds_responder,
                  sts_responder)

AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "optional-session-token"
T = dt.datetime(2024, 1, 2, 3, 4, 5)
CASING = re.compile(r"^[A-Z][a-z0-9]*(-[A-Z][a-z0-9]*)*$")


@pytest.fixture
def env_creds(chain_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SK)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    return chain_env


def test_readme_high_level_with_aiohttp(env_creds):
    aiohttp = pytest.importorskip("aiohttp")
    with LocalServer() as srv:
        signer = Signer(region="us-east-1", service="execute-api")

        # Pre-warm credentials at startup (optional — avoids latency on first request)
        signer.credentials.refresh()

        # Later, sign any HTTP request:
        url = f"{srv.url}/stage/resource"
        auth_headers = signer.sign(method="GET", url=url)

        async def main():
            async with aiohttp.ClientSession() as session:
                async with session.get(url, headers=auth_headers) as resp:
                    return await resp.json()

        data = asyncio.run(main())
        assert data == {"ok": True}
        check_signed(srv.last(), secret_key=SK, region="us-east-1", service="execute-api", token=TOKEN)
    assert set(auth_headers) == {"Authorization", "X-Amz-Date", "X-Amz-Security-Token"}


def test_readme_low_level_dynamodb_matches_botocore():
    creds = Credentials(
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        token="optional-session-token",
    )
    headers = sign_headers(
        method="POST",
        url="https://dynamodb.us-east-1.amazonaws.com/",
        headers={"host": "dynamodb.us-east-1.amazonaws.com", "content-type": "application/x-amz-json-1.0"},
        body=b'{"TableName": "MyTable"}',
        region="us-east-1",
        service="dynamodb",
        credentials=creds,
    )
    assert set(headers) == {"Authorization", "X-Amz-Date", "X-Amz-Security-Token"}
    assert headers["X-Amz-Security-Token"] == TOKEN
    # The same call at a fixed time (the documented `timestamp=` override) is botocore's.
    fixed = sign_headers(
        method="POST", url="https://dynamodb.us-east-1.amazonaws.com/",
        headers={"host": "dynamodb.us-east-1.amazonaws.com", "content-type": "application/x-amz-json-1.0"},
        body=b'{"TableName": "MyTable"}', region="us-east-1", service="dynamodb", credentials=creds,
        timestamp=T)
    want = botocore_authorization(
        "POST", "https://dynamodb.us-east-1.amazonaws.com/",
        {"host": "dynamodb.us-east-1.amazonaws.com", "content-type": "application/x-amz-json-1.0"},
        b'{"TableName": "MyTable"}', access_key=AK, secret_key=SK, token=TOKEN,
        region="us-east-1", service="dynamodb", when=T)
    assert fixed["Authorization"] == want
    assert fixed["X-Amz-Date"] == "20240102T030405Z"
    # And what it produced now is what botocore produces at that X-Amz-Date.
    now = dt.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert headers["Authorization"] == botocore_authorization(
        "POST", "https://dynamodb.us-east-1.amazonaws.com/",
        {"host": "dynamodb.us-east-1.amazonaws.com", "content-type": "application/x-amz-json-1.0"},
        b'{"TableName": "MyTable"}', access_key=AK, secret_key=SK, token=TOKEN,
        region="us-east-1", service="dynamodb", when=now)


def test_low_level_headers_sent_by_each_client():
    """sign_headers' result merged into requests, httpx (sync and async) and aiohttp
    requests, as the README says to; the local server's copy re-checked with botocore."""
    requests = pytest.importorskip("requests")
    httpx = pytest.importorskip("httpx")
    aiohttp = pytest.importorskip("aiohttp")
    creds = Credentials(access_key=AK, secret_key=SK, token="")  # os.environ.get(..., "")
    body = b'{"TableName": "MyTable"}'
    with LocalServer() as srv:
        host = f"127.0.0.1:{srv.port}"
        url = f"{srv.url}/a%20b/c?x=1&y=two%20words"

        def sign():
            return sign_headers(method="POST", url=url,
                                headers={"host": host, "content-type": "application/x-amz-json-1.0"},
                                body=body, region="us-east-1", service="dynamodb", credentials=creds)

        base = {"content-type": "application/x-amz-json-1.0"}
        requests.post(url, data=body, headers={**base, **sign()}, timeout=10)
        httpx.post(url, content=body, headers={**base, **sign()}, timeout=10)

        async def async_clients():
            async with httpx.AsyncClient(timeout=10) as c:
                await c.post(url, content=body, headers={**base, **sign()})
            async with aiohttp.ClientSession() as s:
                async with s.post(url, data=body, headers={**base, **sign()}) as r:
                    await r.read()

        asyncio.run(async_clients())
        assert len(srv.requests) == 4
        for rec in srv.requests:
            assert rec.header("x-amz-security-token") is None  # token="" is no token
            check_signed(rec, secret_key=SK, region="us-east-1", service="dynamodb")


def test_signer_sign_docstring_example_and_casing(env_creds):
    signer = Signer(region="us-east-1", service="s3")
    extra = signer.sign(
        method="GET",
        url="https://s3.us-east-1.amazonaws.com/my-bucket?list-type=2",
        headers={"host": "s3.us-east-1.amazonaws.com"},
        body=b"",
    )
    assert set(extra) == {"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}
    # One casing in every returned dict: each word capitalized.
    for d in (extra, signer.sign_request("GET", "https://b.s3.amazonaws.com/k").headers,
              sign_headers(method="GET", url="https://b.s3.amazonaws.com/k", headers={}, body=b"",
                           region="us-east-1", service="s3", credentials=Credentials(AK, SK, TOKEN))):
        assert d and all(CASING.match(k) for k in d), d


def test_readme_observability_and_prewarm(env_creds):
    creds = resolve_credentials()

    # Check state
    assert creds.is_ready is False       # False until first fetch
    assert creds.needs_refresh is True   # nothing loaded yet
    assert creds.expires_at is None      # datetime | None

    # Pre-warm (blocks until credentials are fetched)
    creds.refresh()
    assert creds.is_ready is True
    assert creds.needs_refresh is False
    assert creds.expires_at is None      # environment keys do not expire
    got = creds.get()
    assert (got.access_key, got.secret_key, got.token) == (AK, SK, TOKEN)


def test_expires_at_from_container_endpoint(chain_env, monkeypatch):
    exp = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)).replace(microsecond=0)
    with LocalServer(container_responder("AKIDCONTAINER", "container-secret", "ctoken",
                                         exp.strftime("%Y-%m-%dT%H:%M:%SZ"))) as srv:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{srv.url}/creds")
        creds = resolve_credentials()
        assert not creds.is_ready and srv.requests == []  # lazy: nothing fetched yet
        creds.refresh()
        assert creds.is_ready and creds.expires_at == exp and not creds.needs_refresh
        assert creds.get().access_key == "AKIDCONTAINER"
        assert len(srv.requests) == 1


def _irsa(monkeypatch, tmp_path, sts_url):
    token_file = tmp_path / "token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.web-identity-token.sig")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod-role")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")


EXP = "2099-01-01T00:00:00Z"


def test_chain_order_irsa_beats_profile_with_keys(chain_env, monkeypatch):
    (chain_env / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n")
    with LocalServer(sts_responder("AKIDIRSA", "irsa-secret", "irsa-token", EXP)) as sts:
        _irsa(monkeypatch, chain_env, sts.url)
        got = resolve_credentials().refresh()
        assert (got.access_key, got.token) == ("AKIDIRSA", "irsa-token")
        assert got.expires_at == dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
        assert len(sts.requests) == 1 and b"RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpod-role" in sts.requests[0].body


def test_chain_order_environment_beats_irsa(chain_env, monkeypatch):
    with LocalServer(sts_responder("AKIDIRSA", "irsa-secret", "irsa-token", EXP)) as sts:
        _irsa(monkeypatch, chain_env, sts.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
        assert resolve_credentials().refresh().access_key == "AKIDENV"
        assert sts.requests == []


def test_chain_order_profile_beats_container(chain_env, monkeypatch):
    (chain_env / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret\n")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    with LocalServer(container_responder("AKIDCONTAINER", "s", "t", EXP)) as srv:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{srv.url}/creds")
        assert resolve_credentials().refresh().access_key == "AKIDDEV"
        assert srv.requests == []
        monkeypatch.delenv("AWS_PROFILE")  # no [default] profile: the container is next
        assert resolve_credentials().refresh().access_key == "AKIDCONTAINER"
        assert len(srv.requests) == 1


def test_chain_order_container_beats_imds_and_imds_last(chain_env, monkeypatch):
    # Instance metadata on a local server (never 169.254.169.254).
    with LocalServer(imds_responder("AKIDIMDS", "imds-secret", "imds-token", EXP)) as imds, \
            LocalServer(container_responder("AKIDCONTAINER", "s", "t", EXP)) as container:
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url)
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{container.url}/creds")
        assert resolve_credentials().refresh().access_key == "AKIDCONTAINER"
        assert imds.requests == []
        monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        got = resolve_credentials().refresh()
        assert (got.access_key, got.token) == ("AKIDIMDS", "imds-token")
        assert imds.requests[0].method == "PUT"  # IMDSv2: a session token first


def test_signer_signs_with_irsa_credentials_end_to_end(chain_env, monkeypatch):
    with LocalServer(sts_responder("AKIDIRSA", "irsa-secret", "irsa-token", EXP)) as sts, LocalServer() as api:
        _irsa(monkeypatch, chain_env, sts.url)
        requests = pytest.importorskip("requests")
        signer = Signer(region="us-east-1", service="execute-api")
        url = f"{api.url}/stage/items?b=2&a=1"
        requests.get(url, headers=signer.sign(method="GET", url=url), timeout=10)
        check_signed(api.last(), secret_key="irsa-secret", region="us-east-1", service="execute-api",
                     token="irsa-token")


def test_nothing_configured_names_every_provider(chain_env):
    creds = resolve_credentials()
    with pytest.raises(sigv4.CredentialsError) as e:
        creds.refresh()
    msg = str(e.value)
    # Each provider tried, in order, with why it had nothing.
    names = ["Environment", "WebIdentityToken", "Profile", "EcsContainer", "Ec2InstanceMetadata"]
    positions = [msg.find(n) for n in names]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), msg
    assert "AWS_ACCESS_KEY_ID" in msg and "AWS_WEB_IDENTITY_TOKEN_FILE" in msg, msg
    assert "AWS_EC2_METADATA_DISABLED" in msg or "disabled" in msg.lower(), msg
    assert isinstance(e.value, sigv4.SigV4Error)
    assert not creds.is_ready


def test_custom_providers_and_none_means_expired():
    calls = []

    def from_vault():
        calls.append("vault")
        return None

    def from_file():
        calls.append("file")
        return Credentials(access_key=AK, secret_key=SK)

    creds = resolve_credentials([from_vault, from_file])
    assert not creds.is_ready and calls == []
    assert creds.refresh().access_key == AK and calls == ["vault", "file"]
    with pytest.raises(sigv4.CredentialsError, match="^No AWS credentials found.*from_vault"):
        resolve_credentials([from_vault]).refresh()
    with pytest.raises(sigv4.CredentialsExpiredError):
        sigv4.RefreshableCredentials(lambda: None).get()


def test_no_credentials_message_begins_as_the_original(chain_env):
    """PyPI sigv4's message begins "No AWS credentials found" (code matches on it); ours
    then still lists every provider of the default chain it tried."""
    with pytest.raises(sigv4.CredentialsError) as e:
        resolve_credentials().refresh()
    msg = str(e.value)
    assert msg.startswith("No AWS credentials found"), msg
    assert "Environment" in msg and "AWS_ACCESS_KEY_ID" in msg, msg


def test_refresh_fetches_only_when_missing_or_due():
    """refresh(), as PyPI sigv4's: two calls within the hour make one fetch."""
    import datetime as dt

    calls = []

    def fetch():
        calls.append(1)
        return Credentials(access_key=AK, secret_key=SK, token="t",
                           expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))

    creds = sigv4.RefreshableCredentials(fetch)
    creds.refresh()
    creds.refresh()
    assert len(calls) == 1
    soon = sigv4.RefreshableCredentials(lambda: calls.append(1) or Credentials(
        access_key=AK, secret_key=SK, expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)))
    soon.refresh()
    soon.refresh()  # inside the refresh window: fetched again
    assert len(calls) == 3


def test_refresh_window_uses_the_real_time_not_the_signature_timestamp():
    """Signing reads the clock once and uses it for the refresh window too; a timestamp the
    caller gives is only the signature's time: credentials due now are refreshed even when
    the request is signed for a moment long ago (when they were not yet due)."""
    calls = []

    def fetch():
        calls.append(1)
        return Credentials(access_key=AK, secret_key=SK, token="t",
                           expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5))

    signer = Signer(region="us-east-1", service="execute-api", credentials=sigv4.RefreshableCredentials(fetch))
    past = dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    signer.sign(method="GET", url="https://api.example.com/", timestamp=past)
    signer.sign(method="GET", url="https://api.example.com/", timestamp=past)
    assert len(calls) == 2  # within the mandatory window at the real time: fetched each time
    signer.sign(method="GET", url="https://api.example.com/")
    assert len(calls) == 3


def _raise_in_child(kind):
    if kind == "signing":
        Signer(region="us-east-1", service="s3", credentials=sigv4.RefreshableCredentials(
            lambda: Credentials(AK, SK))).sign(method="GET", url="ftp://nope/")
    raise sigv4.CredentialsError("no credentials found")


@pytest.mark.parametrize("exc", [sigv4.SigV4Error("a"), sigv4.SigningError("b"),
                                 sigv4.CredentialsError("c"), sigv4.CredentialsExpiredError("d")])
def test_exceptions_picklable_from_sigv4(exc):
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc) and str(back) == str(exc)
    assert type(exc).__module__ == "sigv4" and getattr(sigv4, type(exc).__name__) is type(exc)
    assert isinstance(exc, sigv4.SigV4Error)


def test_exceptions_cross_a_process_boundary():
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        for kind, cls in (("signing", sigv4.SigningError), ("credentials", sigv4.CredentialsError)):
            with pytest.raises(cls):
                pool.apply(_raise_in_child, (kind,))
    assert issubclass(sigv4.SigningError, ValueError)


def test_region_chain(chain_env, monkeypatch):
    """The region chain of sigv4-rs-credentials: URL, AWS_REGION, AWS_DEFAULT_REGION, profile."""
    with pytest.raises(sigv4.SigningError) as e:
        sigv4.resolve_region()
    assert "AWS_REGION" in str(e.value)
    with pytest.raises(sigv4.SigningError):
        Signer(service="s3", credentials=Credentials(AK, SK))
    (chain_env / "config").write_text("[default]\nregion = eu-west-2\n[profile dev]\nregion = ap-south-1\n")
    assert sigv4.resolve_region() == "eu-west-2"
    assert sigv4.resolve_region(profile="dev") == "ap-south-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-1")
    assert sigv4.resolve_region() == "us-west-1"
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    assert sigv4.resolve_region() == "ca-central-1"
    # An AWS hostname that names a region wins: S3 refuses any other.
    assert sigv4.resolve_region("https://b.s3.eu-west-1.amazonaws.com/k") == "eu-west-1"
    signer = Signer(service="s3", credentials=Credentials(AK, SK))
    assert signer.region == "ca-central-1"
    assert "/ca-central-1/s3/aws4_request" in signer.sign(method="GET", url="https://b.s3.amazonaws.com/k")["Authorization"]
