"""Drop-in for requests-aws4auth 1.x: change only the import line::

    from sigv4.compat.requests_aws4auth import AWS4Auth   # was: from requests_aws4auth import AWS4Auth

    auth = AWS4Auth("<ACCESS ID>", "<ACCESS KEY>", "eu-west-1", "s3")
    requests.get("https://s3.eu-west-1.amazonaws.com", auth=auth)

Exports ``AWS4Auth``, ``StrictAWS4Auth``, ``AWS4SigningKey`` (also importable from
``sigv4.compat.requests_aws4auth.aws4signingkey``) and the exceptions
``RequestsAws4AuthException``, ``DateMismatchError``, ``NoSecretKeyError``,
``DateFormatError``. ``PassiveAWS4Auth`` (which signs with a key of another day, a signature
AWS always refuses) is not provided. Differences from the original: README "Differences".
"""

from .aws4auth import AWS4Auth, StrictAWS4Auth
from .aws4signingkey import AWS4SigningKey
from .exceptions import DateFormatError, DateMismatchError, NoSecretKeyError, RequestsAws4AuthException

__all__ = [
    "AWS4Auth",
    "AWS4SigningKey",
    "DateFormatError",
    "DateMismatchError",
    "NoSecretKeyError",
    "RequestsAws4AuthException",
    "StrictAWS4Auth",
]
