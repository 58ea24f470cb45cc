"""``sigv4.providers.*``: PyPI sigv4's per-source providers, each the Rust provider of the
default chain. The original's own tests (tests/test_providers in ../shared/testdata
peer-suites) run in python/peer-suites.sh; these cover what they cannot: IMDS (every test of
the original's test_imds.py patches module internals), the legacy AWS_SECURITY_TOKEN through
the whole chain, and that an explicit STS endpoint is always the one used. Every server is on
127.0.0.1; the ``chain_env`` fixture disables instance metadata otherwise.
"""

from __future__ import annotations

import configparser

import pytest

import sigv4
from sigv4.providers.config_file import ProfileFileError, try_load_from_config_file
from sigv4.providers.container import try_load_from_container
from sigv4.providers.env import try_load_from_env
from sigv4.providers.imds import try_load_from_imds
from sigv4.providers.web_identity import WebIdentityProvider

from _kit import LocalServer, container_responder, imds_responder, sts_responder

EXP = "2099-01-01T00:00:00Z"


def test_imds_on_a_local_metadata_service(chain_env, monkeypatch):
    with LocalServer(imds_responder("AKIDIMDS", "imds-secret", "imds-token", EXP)) as imds:
        monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url)
        creds = try_load_from_imds()
        assert (creds.access_key, creds.secret_key, creds.token) == ("AKIDIMDS", "imds-secret", "imds-token")
        assert creds.expires_at is not None
        assert [r.method for r in imds.requests][0] == "PUT"  # IMDSv2 session token first
        # Disabled: None, and nothing is asked.
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        before = len(imds.requests)
        assert try_load_from_imds() is None
        assert len(imds.requests) == before


def test_imds_answer_without_keys_raises(chain_env, monkeypatch):
    def broken(rec):
        if rec.method == "PUT":
            return 200, "text/plain", b"t"
        if rec.path.endswith("/security-credentials/"):
            return 200, "text/plain", b"role"
        return 200, "application/json", b'{"Code": "Success"}'

    with LocalServer(broken) as imds:
        monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url)
        with pytest.raises(sigv4.SigV4Error, match="AccessKeyId"):
            try_load_from_imds()


def test_legacy_security_token_through_the_default_chain(chain_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "legacy-token")
    assert try_load_from_env().token == "legacy-token"
    creds = sigv4.resolve_credentials()
    creds.refresh()
    assert creds.token == "legacy-token"
    # AWS_SESSION_TOKEN wins when both are set, as in botocore.
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    assert try_load_from_env().token == "session-token"


def test_unparsable_profile_file_is_a_configparser_error_and_a_sigv4_error(chain_env):
    (chain_env / "credentials").write_text("[default\naws_access_key_id = AKID\n")
    with pytest.raises(ProfileFileError) as info:
        try_load_from_config_file()
    assert isinstance(info.value, configparser.Error)
    assert isinstance(info.value, sigv4.SigV4Error)


def test_profile_with_static_keys(chain_env):
    (chain_env / "credentials").write_text("[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n")
    assert try_load_from_config_file().access_key == "AKID"


def test_container_credentials_and_the_providers_compose(chain_env, monkeypatch):
    with LocalServer(container_responder("AKIDECS", "ecs-secret", "ecs-token", EXP)) as ecs:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{ecs.url}/creds")
        monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer t")
        creds = sigv4.resolve_credentials([try_load_from_env, try_load_from_config_file,
                                           try_load_from_container])
        creds.refresh()
        assert (creds.access_key, creds.token) == ("AKIDECS", "ecs-token")
        assert ecs.last().header("authorization") == "Bearer t"


def test_explicit_sts_endpoint_is_always_used(chain_env, monkeypatch, tmp_path):
    token = tmp_path / "token"
    token.write_text("jwt")
    # An STS endpoint from the environment must not win over sts_endpoint (a closed local
    # port: were it used, the call would fail here, never leave 127.0.0.1).
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    with LocalServer(sts_responder("AKIDIRSA", "irsa-secret", "irsa-token", EXP)) as sts:
        provider = WebIdentityProvider(token_file=str(token), role_arn="arn:aws:iam::1:role/r",
                                       role_session_name="s", sts_endpoint=sts.url + "/")
        creds = provider.try_load()
        assert (creds.access_key, creds.token) == ("AKIDIRSA", "irsa-token")
        body = sts.last().body.decode()
        assert "RoleSessionName=s" in body and "WebIdentityToken=jwt" in body


def test_secrets_are_not_in_provider_errors(chain_env, monkeypatch):
    def leaky(_):
        return 200, "application/json", b'{"AccessKeyId": "AKID", "SecretAccessKey": 987654321}'

    with LocalServer(leaky) as ecs:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{ecs.url}/creds")
        with pytest.raises(sigv4.SigV4Error) as info:
            try_load_from_container()
        assert "987654321" not in str(info.value)
