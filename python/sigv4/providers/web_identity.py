"""PyPI ``sigv4``'s ``sigv4.providers.web_identity``: web identity / IRSA (EKS).

The token in ``AWS_WEB_IDENTITY_TOKEN_FILE`` (read again on every call: Kubernetes rotates
it) exchanged for credentials of ``AWS_ROLE_ARN`` with STS ``AssumeRoleWithWebIdentity``, by
the same Rust provider as the default chain.
"""

from __future__ import annotations

from typing import Optional

from .. import Credentials
from .._errors import SigV4Error
from . import _source

__all__ = ["WebIdentityProvider"]


class WebIdentityProvider:
    """Loads credentials by exchanging a web identity token with STS.

    Each argument falls back to its environment variable: ``token_file`` to
    ``AWS_WEB_IDENTITY_TOKEN_FILE``, ``role_arn`` to ``AWS_ROLE_ARN``, ``role_session_name``
    to ``AWS_ROLE_SESSION_NAME`` (else a generated name). ``sts_endpoint`` replaces the STS
    endpoint (default: the one the AWS SDKs resolve, ``AWS_ENDPOINT_URL_STS`` included).
    """

    def __init__(
        self,
        *,
        token_file: Optional[str] = None,
        role_arn: Optional[str] = None,
        role_session_name: Optional[str] = None,
        sts_endpoint: Optional[str] = None,
    ) -> None:
        self.token_file = token_file
        self.role_arn = role_arn
        self.role_session_name = role_session_name
        self.sts_endpoint = sts_endpoint

    def try_load(self) -> Optional[Credentials]:
        """Credentials from STS, or ``None`` when the token file or the role is not set.
        Raises ``SigV4Error`` when the token file cannot be read or STS refuses."""
        return _source.load(
            "web_identity",
            {
                "token_file": lambda m: SigV4Error(f"Failed to read web identity token file: {m}"),
                "provider_error": lambda m: SigV4Error(f"STS AssumeRoleWithWebIdentity request failed: {m}"),
                "timeout": lambda m: SigV4Error(f"STS AssumeRoleWithWebIdentity request failed: {m}"),
                "invalid_response": lambda m: SigV4Error(f"Unexpected STS response: {m}"),
            },
            token_file=self.token_file,
            role_arn=self.role_arn,
            role_session_name=self.role_session_name,
            sts_endpoint=self.sts_endpoint,
        )

    def __repr__(self) -> str:
        return (f"WebIdentityProvider(token_file={self.token_file!r}, role_arn={self.role_arn!r}, "
                f"role_session_name={self.role_session_name!r}, sts_endpoint={self.sts_endpoint!r})")
