"""requests-aws-sign 0.1.6's documented usage with only the import line changed; every
signature re-checked with botocore from what a local 127.0.0.1 server received."""

from __future__ import annotations

import datetime as dt

import pytest

requests = pytest.importorskip("requests")
from botocore.credentials import Credentials, RefreshableCredentials  # noqa: E402

import sigv4  # noqa: E402
from sigv4.compat.requests_aws_sign import AWSV4Sign  # noqa: E402  (was: from requests_aws_sign import AWSV4Sign)
from _kit import LocalServer, Received, check_signed  # noqa: E402

AK, SK, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEB4aDK/token+x="


def test_readme_usage_per_request_and_session():
    # As the README: credentials from a boto3 session (botocore credentials object).
    credentials = Credentials(AK, SK, TOKEN)
    region = "us-east-1"
    service = "es"
    with LocalServer() as srv:
        url = f"{srv.url}/my-index/_search?q=title%3Ahello%20world&size=10&size=20"
        auth = AWSV4Sign(credentials, region, service)
        response = requests.post(url, auth=auth, json={"query": {"match_all": {}}}, timeout=10)
        assert response.json() == {"ok": True}

        session = requests.Session()
        session.auth = AWSV4Sign(credentials, region, service)
        session.get(f"{srv.url}/_cat/indices?v", headers={"X-Amz-Meta-Trace": "abc"}, timeout=10)
        session.put(f"{srv.url}/idx/_doc/1", data="é string body", timeout=10)
        assert len(srv.requests) == 3
        for rec in srv.requests:
            parts = check_signed(rec, secret_key=SK, region=region, service=service, token=TOKEN)
            # As the original: only host and the x-amz-* headers are signed.
            assert all(n == "host" or n.startswith("x-amz-") for n in parts["signed"].split(";"))
        assert "x-amz-meta-trace" in srv.requests[1].header("authorization")


def test_refreshable_boto_credentials_read_per_request():
    gen = [0]

    def refresh():
        gen[0] += 1
        # The first credentials expire in 5 minutes (inside botocore's mandatory refresh
        # window), the next ones in an hour.
        life = dt.timedelta(minutes=5) if gen[0] == 1 else dt.timedelta(hours=1)
        exp = dt.datetime.now(dt.timezone.utc) + life
        return {"access_key": f"AKIDGEN{gen[0]}", "secret_key": f"s{gen[0]}", "token": f"t{gen[0]}",
                "expiry_time": exp.isoformat()}

    creds = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    auth = AWSV4Sign(creds, "eu-west-1", "execute-api")
    with LocalServer() as srv:
        requests.get(f"{srv.url}/prod/items", auth=auth, timeout=10)
        requests.get(f"{srv.url}/prod/items", auth=auth, timeout=10)
        # Read at signing time: botocore refreshed once, both requests used generation 2.
        assert gen[0] == 2
        for rec in srv.requests:
            check_signed(rec, secret_key="s2", region="eu-west-1", service="execute-api", token="t2")


def test_sigv4_credentials_and_s3():
    auth = AWSV4Sign(sigv4.Credentials(AK, SK), "us-east-1", "s3")
    with LocalServer() as srv:
        requests.put(f"{srv.url}/bucket/key%20name", data=b"payload", auth=auth, timeout=10)
        rec = srv.last()
        assert rec.header("x-amz-content-sha256")  # S3 needs it; the original did not send it
        check_signed(rec, secret_key=SK, region="us-east-1", service="s3")


def test_region_required_and_no_credentials():
    with pytest.raises(ValueError, match="region"):
        AWSV4Sign(Credentials(AK, SK), "", "es")
    with pytest.raises(sigv4.CredentialsError):
        requests.Request("GET", "http://127.0.0.1:9/", auth=AWSV4Sign(None, "us-east-1", "es")).prepare()


def test_the_check_can_fail():
    """The botocore re-check rejects a request changed after signing."""
    with LocalServer() as srv:
        requests.post(f"{srv.url}/x", data=b"body", auth=AWSV4Sign(Credentials(AK, SK), "us-east-1", "es"), timeout=10)
        rec = srv.last()
    check_signed(rec, secret_key=SK, region="us-east-1", service="es")
    for bad in (Received(rec.method, rec.path + "?a=1", rec.headers, rec.body),
                Received(rec.method, rec.path, rec.headers, b"other"),
                Received("PUT", rec.path, rec.headers, rec.body)):
        with pytest.raises(AssertionError):
            check_signed(bad, secret_key=SK, region="us-east-1", service="es")
    with pytest.raises(AssertionError):
        check_signed(rec, secret_key="wrong", region="us-east-1", service="es")


def test_assigning_credentials_region_service_takes_effect():
    """As in the original, credentials/region/service are plain attributes read at each
    request: assigning one after construction changes the next signature."""
    auth = AWSV4Sign(Credentials(AK, SK, TOKEN), "us-east-1", "es")
    with LocalServer() as srv:
        requests.get(f"{srv.url}/a", auth=auth, timeout=10)
        auth.credentials = Credentials("AKIDOTHER", "other-secret", None)
        requests.get(f"{srv.url}/b", auth=auth, timeout=10)
        auth.region = "eu-west-1"
        requests.get(f"{srv.url}/c", auth=auth, timeout=10)
        auth.service = "execute-api"
        requests.get(f"{srv.url}/d", auth=auth, timeout=10)
        first, second, third, fourth = srv.requests
    check_signed(first, secret_key=SK, region="us-east-1", service="es", token=TOKEN)
    assert check_signed(second, secret_key="other-secret", region="us-east-1", service="es")["ak"] == "AKIDOTHER"
    check_signed(third, secret_key="other-secret", region="eu-west-1", service="es")
    check_signed(fourth, secret_key="other-secret", region="eu-west-1", service="execute-api")
    auth.credentials = None
    with pytest.raises(sigv4.CredentialsError):
        auth(requests.Request("GET", "http://127.0.0.1:9/").prepare())
