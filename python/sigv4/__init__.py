"""AWS Signature Version 4 for Python, backed by the ``sigv4`` Rust crate.

Quick start::

    import sigv4

    creds = sigv4.Credentials("AKID...", "SECRET...")
    signer = sigv4.Signer("us-east-1", "s3", creds)
    headers = signer.sign("GET", "https://bucket.s3.amazonaws.com/key")
    url = signer.presign("GET", "https://bucket.s3.amazonaws.com/key", expires=900)

Auth plugins: ``sigv4.requests.SigV4Auth`` (requests) and ``sigv4.httpx.SigV4Auth`` (httpx,
sync and async).
"""

from ._sigv4 import (
    CREDENTIAL_CHAIN,
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    Credentials,
    CredentialsError,
    RefreshableCredentials,
    SignedRequest,
    Signer,
    SigningError,
    SigningKey,
    canonical_request,
    default_credentials,
    payload_hash,
    resolve_credentials,
    sign_headers,
    sign_request,
    string_to_sign,
)

__version__ = "0.1.0"

__all__ = [
    "CREDENTIAL_CHAIN",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "Credentials",
    "CredentialsError",
    "RefreshableCredentials",
    "SignedRequest",
    "Signer",
    "SigningError",
    "SigningKey",
    "canonical_request",
    "default_credentials",
    "payload_hash",
    "resolve_credentials",
    "sign_headers",
    "sign_request",
    "string_to_sign",
]
