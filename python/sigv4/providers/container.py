"""PyPI ``sigv4``'s ``sigv4.providers.container``: the ECS / EKS Pod Identity endpoint.

``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` (on ``http://169.254.170.2``) or
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (``https``, or ``http`` to a loopback address or the
ECS / EKS agent), with ``AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)`` sent as
``Authorization``. Fetched by the same Rust provider as the default chain (timeouts,
retries of 5xx and connection errors); a response without ``Expiration`` gives credentials
that do not expire, as in the original.
"""

from __future__ import annotations

from typing import Optional

from .. import Credentials
from .._errors import SigV4Error
from . import _source

__all__ = ["try_load_from_container"]


def _failed(prefix: str):
    return lambda message: SigV4Error(f"{prefix}: {message}")


def try_load_from_container() -> Optional[Credentials]:
    """Credentials from the container endpoint, or ``None`` when neither URI variable is set
    or the full URI is not an allowed one (logged as a warning, as the original does).
    Raises ``SigV4Error`` when the endpoint fails or answers something unusable."""
    return _source.load(
        "container",
        {
            "uri_not_allowed": None,
            "provider_error": _failed("Failed to connect to container credentials endpoint"),
            "timeout": _failed("Failed to connect to container credentials endpoint"),
            "invalid_response": _failed("Container credentials endpoint returned an unusable response"),
        },
    )
