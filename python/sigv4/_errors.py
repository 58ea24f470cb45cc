"""The exceptions of ``sigv4``. Import them from ``sigv4``.

They are defined here, in Python, so that they belong to module ``sigv4`` (pickle and
``multiprocessing`` find them there) and can have more than one base class.
"""

from __future__ import annotations

__all__ = ["CredentialsError", "CredentialsExpiredError", "SigV4Error", "SigningError"]


class SigV4Error(Exception):
    """Base class of every error raised by ``sigv4`` (the name PyPI ``sigv4`` used)."""


class SigningError(SigV4Error, ValueError):
    """A request could not be signed (bad region, header, URL, expiry, ...).

    Also a ``ValueError``."""


class CredentialsError(SigV4Error):
    """Credentials could not be obtained or are invalid.

    When no provider of the credential chain has credentials, the message names every
    provider tried, in order, and why each had none."""


class CredentialsExpiredError(CredentialsError):
    """A credentials fetcher (provider) returned ``None``: there are no credentials to use
    and none to refresh to (the name PyPI ``sigv4`` used)."""


for _cls in (SigV4Error, SigningError, CredentialsError, CredentialsExpiredError):
    _cls.__module__ = "sigv4"
del _cls
