"""PyPI ``sigv4``'s ``sigv4.providers.imds``: EC2 instance metadata (IMDSv2).

Fetched by the same Rust provider as the default chain: IMDSv2 token, then the role's
credentials; ``AWS_EC2_METADATA_DISABLED``, ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` (and
``..._MODE``) are honoured as by the AWS SDKs.
"""

from __future__ import annotations

from typing import Optional

from .. import Credentials
from .._errors import SigV4Error
from . import _source

__all__ = ["try_load_from_imds"]


def try_load_from_imds() -> Optional[Credentials]:
    """Credentials of the instance's role, or ``None`` when there is no metadata service
    here (not an EC2 host, or disabled) or no role is attached. Raises ``SigV4Error`` when
    the service is there but answers wrongly or not in time."""
    return _source.load(
        "imds",
        {kind: lambda m: SigV4Error(f"Failed to load credentials from IMDS: {m}")
         for kind in ("timeout", "invalid_response", "provider_error", "invalid_configuration")},
    )
