"""Drop-in for sosw's ``AwsSigV4RequestGenerator`` (``sosw.components.sigv4``)::

    from sigv4.compat.sosw import AwsSigV4RequestGenerator   # was: from sosw.components.sigv4 import ...

    auth = AwsSigV4RequestGenerator(aws_service="es", aws_region="us-east-1",
                                    aws_host="search-domain.us-east-1.es.amazonaws.com")
    requests.get(url, auth=auth)

Both spellings are exported: ``AWSSigV4RequestGenerator`` and ``AwsSigV4RequestGenerator``.

Keyword arguments ``aws_service``, ``aws_access_key_id``, ``aws_secret_access_key``,
``aws_session_token``, ``aws_region``, ``aws_host``; when the key id or secret is missing all
three credentials come from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
``AWS_SESSION_TOKEN`` (or ``AWS_SECURITY_TOKEN``), the region from ``AWS_REGION`` or
``AWS_DEFAULT_REGION``; ``KeyError`` when the service, the keys or the region are missing.

Every step is a method, as in the original, and ``get_aws_sigv4_headers`` composes them (so
a subclass overriding a step changes the signature, as before). Unlike the original, the
steps follow the SigV4 specification (see the README's "Differences"): the canonical query
string is encoded and sorted per the spec and keeps repeated keys, the canonical URI follows
the service's rules (S3: as sent; others: normalized and encoded again), the host keeps a
non-default port, and the payload hash covers the body of every method.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import os
import threading
from typing import Any, Dict, Optional, Tuple
from urllib.parse import ParseResult, urlparse

from .._errors import SigningError
from .._sigv4 import EMPTY_SHA256, SigningKey, _canonical_query, _canonical_uri, is_s3_service
from ._secret import Secret as _Secret

try:  # A requests auth when requests is installed (it is how the generator is used).
    from requests.auth import AuthBase as _Base
except ImportError:  # pragma: no cover - requests is optional for the package
    _Base = object  # type: ignore[assignment,misc]

__all__ = ["AWSSigV4RequestGenerator", "AwsSigV4RequestGenerator"]

logger = logging.getLogger("sigv4")

_DEFAULT_PORTS = {"http": 80, "https": 443}


class _AnyCall:
    """A method that also works when called on the class (as the original's static
    ``get_canonical_uri``): then the default (non-S3) rules apply."""

    def __init__(self, func):
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj, objtype=None):
        if obj is None:
            return lambda parsed_url: self.func(None, parsed_url)
        return self.func.__get__(obj, objtype)


class AWSSigV4RequestGenerator(_Base):
    """Signs ``requests`` requests with SigV4 (``auth=AWSSigV4RequestGenerator(...)``).

    Thread-safe: the dates of the request being signed (``amzdate``, ``datestamp``) are kept
    per thread, so one instance can sign in several threads at once.
    """

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("aws_service"):
            raise KeyError("Service is required")
        secret = kwargs.pop("aws_secret_access_key", None)
        self._dates = threading.local()
        self.aws_access_key_id: Optional[str] = None
        self.aws_session_token: Optional[str] = None
        self.aws_region: Optional[str] = None
        self.aws_host: Optional[str] = None
        self.__dict__.update(kwargs)
        self._secret = _Secret(secret)
        if not (self.aws_access_key_id and secret):
            logger.debug("Checking environment for credentials")
            self.aws_access_key_id = os.getenv("AWS_ACCESS_KEY_ID")
            self._secret = _Secret(os.getenv("AWS_SECRET_ACCESS_KEY"))
            self.aws_session_token = os.getenv("AWS_SESSION_TOKEN") or os.getenv("AWS_SECURITY_TOKEN")
        if self.aws_access_key_id is None or self._secret.value is None:
            raise KeyError("AWS Access Key ID and Secret Access Key are required")
        if not self.aws_region:
            logger.debug("Checking environment for region")
            self.aws_region = os.getenv("AWS_REGION") or os.getenv("AWS_DEFAULT_REGION")
        if self.aws_region is None:
            raise KeyError("Region is required")

    # The secret is kept in a holder whose repr is redacted, so printing ``vars()`` of the
    # generator (or logging it) does not show it; reading the attribute still works.
    @property
    def aws_secret_access_key(self) -> Optional[str]:
        return self._secret.value

    @aws_secret_access_key.setter
    def aws_secret_access_key(self, value: str) -> None:
        self._secret = _Secret(value)

    @property
    def amzdate(self) -> str:
        """``YYYYMMDDTHHMMSSZ`` of the request being signed in this thread."""
        try:
            return self._dates.amzdate
        except AttributeError:
            raise AttributeError("amzdate: no request is being signed (call the generator, "
                                 "or set amzdate and datestamp)") from None

    @amzdate.setter
    def amzdate(self, value: str) -> None:
        self._dates.amzdate = value

    @property
    def datestamp(self) -> str:
        """``YYYYMMDD`` of the request being signed in this thread."""
        try:
            return self._dates.datestamp
        except AttributeError:
            raise AttributeError("datestamp: no request is being signed (call the generator, "
                                 "or set amzdate and datestamp)") from None

    @datestamp.setter
    def datestamp(self, value: str) -> None:
        self._dates.datestamp = value

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(aws_service={getattr(self, 'aws_service', None)!r}, "
                f"aws_region={self.aws_region!r}, aws_access_key_id={self.aws_access_key_id!r}, "
                "aws_secret_access_key='****')")

    def __call__(self, request):
        """Adds the SigV4 headers to ``request`` (a ``requests.PreparedRequest``)."""
        self.amzdate, self.datestamp = self.get_headers_and_credential_date()
        aws_sigv4_headers = self.get_aws_sigv4_headers(request)
        request.headers.update(aws_sigv4_headers)
        return request

    def get_aws_sigv4_headers(self, request) -> Dict[str, str]:
        """The headers to add: ``Authorization``, ``X-AMZ-Date``, ``x-amz-content-sha256``
        (and ``x-amz-security-token`` is set on ``request`` with temporary credentials)."""
        try:
            self.amzdate
        except AttributeError:
            self.amzdate, self.datestamp = self.get_headers_and_credential_date()
        parsed_url = urlparse(request.url)
        canonical_querystring = self.get_canonical_querystring(parsed_url)
        canonical_uri = self.get_canonical_uri(parsed_url)
        payload_hash = self.get_payload_hash(request)
        canonical_headers = self.get_canonical_headers(parsed_url)
        signed_headers = "host;x-amz-date"
        if self.aws_session_token:
            signed_headers += ";x-amz-security-token"
        canonical_request = "\n".join([request.method.upper(), canonical_uri, canonical_querystring,
                                       canonical_headers, signed_headers, payload_hash])
        logger.debug("Canonical Request: %r", canonical_request)
        headers = {
            "Authorization": self.get_authorization_header(canonical_request, signed_headers),
            "X-AMZ-Date": self.amzdate,
            "x-amz-content-sha256": payload_hash,
        }
        if self.aws_session_token:
            request.headers["x-amz-security-token"] = self.aws_session_token
        return headers

    @staticmethod
    def sign(key: bytes, msg: str) -> bytes:
        """HMAC-SHA256 of ``msg`` (UTF-8) with ``key``."""
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    @staticmethod
    def get_headers_and_credential_date() -> Tuple[str, str]:
        """``(amzdate, datestamp)`` for now, in UTC (from ``datetime.datetime.utcnow()``, as
        the original, so code that freezes that clock freezes this one)."""
        now = datetime.datetime.utcnow()
        return now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")

    @staticmethod
    def get_payload_hash(request) -> str:
        """The SHA-256 (hex) of the request body, whatever the method (no body: the hash of
        the empty string). A streaming body (file, generator) cannot be hashed up front and
        raises ``SigningError``: pass the body as bytes or str."""
        body = getattr(request, "body", None)
        if body is None or body == b"" or body == "":
            return EMPTY_SHA256
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(body, (bytes, bytearray, memoryview)):
            return hashlib.sha256(body).hexdigest()
        raise SigningError(
            f"cannot sign a streaming request body ({type(body).__name__}): SigV4 needs the "
            "SHA-256 of the body; pass the body as bytes or str"
        )

    @staticmethod
    def get_canonical_querystring(parsed_url: ParseResult) -> str:
        """The canonical query string: every key and value percent-encoded per RFC 3986,
        sorted by key and then value, repeated keys kept."""
        return _canonical_query(parsed_url.query)

    @_AnyCall
    def get_canonical_uri(self, parsed_url: ParseResult) -> str:
        """The canonical URI: for S3 the path as sent; for other services the path with
        ``.``/``..`` and repeated slashes removed, encoded again (``%20`` -> ``%2520``)."""
        service = getattr(self, "aws_service", None) if self is not None else None
        s3 = isinstance(service, str) and is_s3_service(service)
        return _canonical_uri(parsed_url.path or "/", not s3, not s3)

    def get_signature_key(self) -> bytes:
        """The signing key (32 bytes) for ``datestamp``, the region and the service."""
        return SigningKey(self._secret.value, self.aws_region, self.aws_service, self.datestamp).to_bytes()

    def get_canonical_headers(self, parsed_url: ParseResult) -> str:
        """The canonical headers, each line ending in a newline: ``host`` (``aws_host`` or
        the URL's host, with its port unless it is the scheme's default), ``x-amz-date`` and,
        with temporary credentials, ``x-amz-security-token`` (the original's signed headers;
        ``x-amz-content-sha256`` is sent but not signed, as by the original)."""
        host = getattr(self, "aws_host", None) or _host_of(parsed_url)
        canonical_headers = "host:" + host.strip() + "\n"
        canonical_headers += "x-amz-date:" + self.amzdate + "\n"
        if self.aws_session_token:
            canonical_headers += "x-amz-security-token:" + self.aws_session_token.strip() + "\n"
        return canonical_headers

    def get_authorization_header(self, canonical_request: str, signed_headers: str) -> str:
        """The ``Authorization`` header value for ``canonical_request``."""
        credential_scope = "/".join([self.datestamp, self.aws_region, self.aws_service, "aws4_request"])
        string_to_sign = "\n".join(["AWS4-HMAC-SHA256", self.amzdate, credential_scope,
                                    hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
        key = SigningKey(self._secret.value, self.aws_region, self.aws_service, self.datestamp)
        signature = key.sign(string_to_sign)
        return (f"AWS4-HMAC-SHA256 Credential={self.aws_access_key_id}/{credential_scope}, "
                f"SignedHeaders={signed_headers}, Signature={signature}")


def _host_of(parsed_url: ParseResult) -> str:
    """The Host header an HTTP client sends for this URL."""
    host = parsed_url.netloc.rpartition("@")[2]
    try:
        port = parsed_url.port
    except ValueError:
        return host
    if port is not None and port == _DEFAULT_PORTS.get(parsed_url.scheme):
        host = host.rsplit(":", 1)[0]
    return host


#: The spelling sosw's documentation uses.
AwsSigV4RequestGenerator = AWSSigV4RequestGenerator

