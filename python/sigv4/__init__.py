"""AWS Signature Version 4 for Python, backed by the ``sigv4`` Rust crate.

A drop-in replacement for PyPI ``sigv4`` 0.1.0 (same import name, same documented API)::

    from sigv4 import Credentials, Signer, resolve_credentials, sign_headers

    signer = Signer(region="us-east-1", service="execute-api")   # default credential chain
    signer.credentials.refresh()                                  # optional pre-warm
    headers = signer.sign(method="GET", url="https://api.example.com/stage/items")

    headers = sign_headers(
        method="POST", url="https://dynamodb.us-east-1.amazonaws.com/",
        headers={"content-type": "application/x-amz-json-1.0"}, body=b"{}",
        region="us-east-1", service="dynamodb",
        credentials=Credentials(access_key="AKID...", secret_key="...", token=""),
    )   # {"Authorization": ..., "X-Amz-Date": ...}

Returned header dicts use one casing: every word capitalized (``Authorization``,
``X-Amz-Date``, ``X-Amz-Security-Token``, ``X-Amz-Content-Sha256``).

Auth plugins: ``sigv4.requests.SigV4Auth`` (requests) and ``sigv4.httpx.SigV4Auth`` (httpx,
sync and async). Compatibility modules for other libraries: ``sigv4.compat``.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional, Union

from ._errors import CredentialsError, CredentialsExpiredError, SigningError, SigV4Error
from ._sigv4 import (
    CREDENTIAL_CHAIN,
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    Credentials,
    RefreshableCredentials,
    SignedRequest,
    Signer,
    SigningKey,
    canonical_request,
    default_credentials,
    payload_hash,
    resolve_region,
    sign_headers,
    sign_request,
    string_to_sign,
)
from ._sigv4 import resolve_credentials as _resolve_chain

__version__ = "0.2.0"

CredentialProvider = Callable[[], Optional[Credentials]]
"""A callable returning credentials, or ``None`` when its source has none (PyPI ``sigv4``'s
provider type). Any object with ``access_key``/``secret_key``/``token`` works as a result."""


class _ProviderChain:
    """Calls each provider in order; the first that returns credentials wins."""

    def __init__(self, providers: Iterable[CredentialProvider]) -> None:
        self._providers = list(providers)
        for p in self._providers:
            if not callable(p):
                raise TypeError(f"each provider must be callable, not {type(p).__name__}")

    def __call__(self):
        for p in self._providers:
            creds = p()
            if creds is not None:
                return creds
        tried = ", ".join(f"{_provider_name(p)} (returned None)" for p in self._providers)
        raise CredentialsError(
            f"No AWS credentials found; tried {tried or 'no providers (the list is empty)'}"
        )


def _provider_name(p: object) -> str:
    name = getattr(p, "__qualname__", None) or getattr(p, "__name__", None)
    return name or type(p).__qualname__


def resolve_credentials(
    providers: Union[Iterable[CredentialProvider], str, None] = None,
    *,
    profile: Optional[str] = None,
) -> RefreshableCredentials:
    """Credentials from the standard chain, fetched lazily and refreshed before they expire.

    Nothing is fetched by this call: ``is_ready`` is ``False`` until the first ``refresh()``
    (or the first signature). The default chain, in order (``CREDENTIAL_CHAIN``):

    1. environment: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``
    2. web identity (IRSA): ``AWS_WEB_IDENTITY_TOKEN_FILE`` + ``AWS_ROLE_ARN`` (STS
       ``AssumeRoleWithWebIdentity``)
    3. shared config/credentials files, profile ``profile`` or ``AWS_PROFILE``
    4. container endpoint: ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` / ``..._FULL_URI``
    5. EC2 instance metadata (IMDSv2)

    ``providers`` replaces the chain with your own callables (each returns credentials or
    ``None``), as in PyPI ``sigv4``. A string as the first argument is the profile name.
    When nothing is found, ``CredentialsError`` names every provider tried and why it had
    nothing.
    """
    if isinstance(providers, str):
        if profile is not None:
            raise TypeError("give the profile once")
        providers, profile = None, providers
    if providers is None:
        return _resolve_chain(profile)
    if profile is not None:
        raise TypeError("profile applies to the default chain only, not to your own providers")
    return RefreshableCredentials(_ProviderChain(providers))


__all__ = [
    "CREDENTIAL_CHAIN",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "CredentialProvider",
    "Credentials",
    "CredentialsError",
    "CredentialsExpiredError",
    "RefreshableCredentials",
    "SigV4Error",
    "SignedRequest",
    "Signer",
    "SigningError",
    "SigningKey",
    "canonical_request",
    "default_credentials",
    "payload_hash",
    "resolve_credentials",
    "resolve_region",
    "sign_headers",
    "sign_request",
    "string_to_sign",
]
