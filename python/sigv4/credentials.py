"""PyPI ``sigv4``'s ``sigv4.credentials`` module: its public names, from ``sigv4``."""

from __future__ import annotations

import datetime

from . import Credentials, CredentialsExpiredError, RefreshableCredentials, SigV4Error

__all__ = ["Credentials", "CredentialsExpiredError", "RefreshableCredentials", "SigV4Error",
           "parse_utc_datetime"]


def parse_utc_datetime(value: str) -> datetime.datetime:
    """An aware UTC ``datetime`` from an ISO 8601 timestamp as credential sources write
    them (``2099-01-01T00:00:00Z``, an offset, or none: then UTC)."""
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(text)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)
