"""The exceptions of requests-aws4auth, under the same names."""

__all__ = ["DateFormatError", "DateMismatchError", "NoSecretKeyError", "RequestsAws4AuthException"]


class RequestsAws4AuthException(Exception):
    pass


class DateMismatchError(RequestsAws4AuthException):
    """``StrictAWS4Auth``: the request's date is not the signing key's date."""


class NoSecretKeyError(RequestsAws4AuthException):
    """The signing key must be regenerated (new date or scope) but no secret key is known:
    pass ``secret_key`` to ``regenerate_signing_key()``."""


class DateFormatError(RequestsAws4AuthException):
    """A date header is in none of the recognised formats (raised when
    ``raise_invalid_date=True``)."""


for _cls in (RequestsAws4AuthException, DateMismatchError, NoSecretKeyError, DateFormatError):
    _cls.__module__ = "sigv4.compat.requests_aws4auth"
del _cls
