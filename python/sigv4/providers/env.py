"""PyPI ``sigv4``'s ``sigv4.providers.env``: credentials from environment variables.

``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` (or the legacy
``AWS_SECURITY_TOKEN``); ``AWS_CREDENTIAL_EXPIRATION`` too. Read by the same Rust provider
as the default chain.
"""

from __future__ import annotations

from typing import Optional

from .. import Credentials
from . import _source

__all__ = ["try_load_from_env"]


def try_load_from_env() -> Optional[Credentials]:
    """Credentials from the environment, or ``None`` when the key pair is not set. A key
    without its secret (or an unusable ``AWS_CREDENTIAL_EXPIRATION``) is logged as a warning
    on logger ``sigv4`` and answers ``None``, as the original does."""
    return _source.load("env", {"invalid_configuration": None})
