"""``AWS4Auth``: requests-aws4auth's requests auth class, signed by the Rust core."""

from __future__ import annotations

import collections.abc
import datetime
import email.utils
import re
import threading
from typing import Any, Optional

from requests.auth import AuthBase

from ... import _plugin
from ..._sigv4 import Signer
from .aws4signingkey import AWS4SigningKey
from .exceptions import DateFormatError, DateMismatchError, NoSecretKeyError

__all__ = ["AWS4Auth", "StrictAWS4Auth"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_UTC = datetime.timezone.utc


class _Secret:
    """Holds a secret access key; its repr never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "_Secret('****')"


def _parse_datetime(value: str) -> Optional[datetime.datetime]:
    """An aware UTC datetime from a date header in one of requests-aws4auth's formats:
    X-Amz-Date (``20090325T010101Z``), RFC 7231, RFC 850, C time, ISO 8601 / RFC 3339.
    A format that carries only a day gives midnight."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            return datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=_UTC)
        m = re.fullmatch(r"\w+day, (\d{2})-(\w{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?: GMT)?", value)
        if m:  # RFC 850: the century is the current one
            year = int(str(datetime.date.today().year)[:2] + m.group(3))
            month = _MONTHS.index(m.group(2).lower()) + 1
            h, mi, s = (int(x) for x in m.group(4, 5, 6))
            return datetime.datetime(year, month, int(m.group(1)), h, mi, s, tzinfo=_UTC)
        m = re.fullmatch(r"\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})", value)
        if m:  # C time (asctime)
            month = _MONTHS.index(m.group(1).lower()) + 1
            h, mi, s = (int(x) for x in m.group(3, 4, 5))
            return datetime.datetime(int(m.group(6)), month, int(m.group(2)), h, mi, s, tzinfo=_UTC)
        if re.match(r"^(?:\w{3}, )?\d{2} \w{3} \d{4}\D", value):  # RFC 7231
            dt = email.utils.parsedate_to_datetime(value)
            return dt.astimezone(_UTC) if dt.tzinfo else dt.replace(tzinfo=_UTC)
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[Tt ](.*))?", value)
        if m:  # ISO 8601 / RFC 3339
            if not m.group(2):
                return datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=_UTC)
            dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            return dt.astimezone(_UTC) if dt.tzinfo else dt.replace(tzinfo=_UTC)
    except (ValueError, OverflowError):
        return None
    return None


def _httpx_content(req) -> Any:
    """An httpx request's body: its bytes, or its stream when it was not read."""
    try:
        return req.content
    except Exception:  # httpx.RequestNotRead: a streaming body
        return getattr(req, "stream", None)


class AWS4Auth(AuthBase):
    """Requests authentication with AWS Signature Version 4 (requests-aws4auth 1.x API)::

        auth = AWS4Auth(access_id, secret_key, region, service[, date]
                        [, session_token=...][, include_hdrs=[...]][, raise_invalid_date=...])
        auth = AWS4Auth(access_id, signing_key)          # an AWS4SigningKey
        auth = AWS4Auth(region=..., service=..., refreshable_credentials=botocore_credentials)

    Attributes: ``access_id``, ``signing_key``, ``region``, ``service``, ``date``,
    ``session_token``, ``include_hdrs``, ``raise_invalid_date``, ``refreshable_credentials``.

    Date handling: the request's ``X-Amz-Date`` (or ``Date``) header gives the signing time;
    without one (or with one in no recognised format, unless ``raise_invalid_date=True``)
    the current time is used and sent as ``X-Amz-Date``. When that day is not the signing
    key's day the key is regenerated for it (``StrictAWS4Auth`` raises
    ``DateMismatchError`` instead), which needs the secret key: it is kept by this object
    (never by the ``AWS4SigningKey``) when given to the constructor or to
    ``regenerate_signing_key``; an instance built from a signing key alone raises
    ``NoSecretKeyError`` then.

    Thread-safe: one instance may sign in many threads at once; a key regeneration and the
    signatures that use it never interleave.
    """

    default_include_headers = frozenset({"host", "content-type", "date", "x-amz-*"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._secret: Optional[_Secret] = None
        self._signer_cache: Optional[tuple] = None
        self.signing_key: Optional[AWS4SigningKey] = None
        self.access_id: Optional[str] = None
        self.session_token: Optional[str] = None
        include = set(self.default_include_headers)
        self.refreshable_credentials = kwargs.get("refreshable_credentials", None)
        if self.refreshable_credentials:
            self.service = kwargs.get("service", None)
            if not self.service:
                raise TypeError("service must be provided as keyword argument when using refreshable_credentials")
            self.region = kwargs.get("region", None)
            if not self.region:
                raise TypeError("region must be provided as keyword argument when using refreshable_credentials")
            self.date = kwargs.get("date", None)
            include.add("x-amz-security-token")
        else:
            n = len(args)
            if n not in (2, 4, 5):
                raise TypeError("AWS4Auth() takes 2, 4 or 5 arguments, {} given".format(n))
            self.access_id = args[0]
            if isinstance(args[1], AWS4SigningKey) and n == 2:
                self.signing_key = args[1]
                self.region = self.signing_key.region
                self.service = self.signing_key.service
                self.date = self.signing_key.date
            elif n in (4, 5):
                self.region = args[2]
                self.service = args[3]
                self.date = args[4] if n == 5 else None
                self.regenerate_signing_key(secret_key=args[1])
            else:
                raise TypeError("AWS4Auth(access_id, signing_key): signing_key must be an AWS4SigningKey")
            self.session_token = kwargs.get("session_token")
            if self.session_token:
                include.add("x-amz-security-token")
        raise_invalid_date = kwargs.get("raise_invalid_date", False)
        if raise_invalid_date not in (True, False):
            raise ValueError("raise_invalid_date must be True or False in AWS4Auth.__init__()")
        self.raise_invalid_date = raise_invalid_date
        self.include_hdrs = include
        if "include_hdrs" in kwargs and isinstance(kwargs["include_hdrs"], collections.abc.Iterable):
            self.include_hdrs = set(kwargs["include_hdrs"])
        AuthBase.__init__(self)

    def regenerate_signing_key(self, secret_key: Optional[str] = None, region: Optional[str] = None,
                               service: Optional[str] = None, date: Optional[str] = None) -> None:
        """Makes a new signing key, from the current region, service and date unless given
        (the instance's attributes follow the new values). Without ``secret_key`` the
        secret kept by this instance is used; ``NoSecretKeyError`` when there is none."""
        with self._lock:
            if secret_key is None and self._secret is None:
                raise NoSecretKeyError(
                    "no secret key to regenerate the signing key with: pass secret_key")
            secret = secret_key if secret_key is not None else self._secret.value
            region = region or self.region
            service = service or self.service
            date = date or self.date
            store = True if self.signing_key is None else self.signing_key.store_secret_key
            self.signing_key = AWS4SigningKey(secret, region, service, date, store)
            self._secret = _Secret(secret) if store else None
            self.region = region
            self.service = service
            self.date = self.signing_key.date

    def refresh_credentials(self) -> None:
        """Reads ``refreshable_credentials`` (botocore's refresh them when due) and uses them."""
        creds = self.refreshable_credentials.get_frozen_credentials()
        with self._lock:
            self.access_id = creds.access_key
            self.session_token = creds.token
            if self._secret is None or self._secret.value != creds.secret_key or self.signing_key is None:
                self.regenerate_signing_key(secret_key=creds.secret_key)

    @classmethod
    def get_request_date(cls, req) -> Optional[datetime.date]:
        """The date of the request's ``X-Amz-Date`` header, else of its ``Date`` header;
        ``None`` when neither is present in a recognised format."""
        dt = cls._request_datetime(req)
        return dt.date() if dt is not None else None

    @staticmethod
    def _request_datetime(req) -> Optional[datetime.datetime]:
        for header in ("x-amz-date", "date"):
            if header in req.headers:
                dt = _parse_datetime(str(req.headers[header]))
                if dt is not None:
                    return dt
        return None

    @staticmethod
    def parse_date(date_str: str) -> str:
        """``YYYY-MM-DD`` of a date in a recognised format; ``DateFormatError`` otherwise."""
        dt = _parse_datetime(date_str)
        if dt is None:
            raise DateFormatError(f"unrecognised date format: {date_str!r}")
        return dt.strftime("%Y-%m-%d")

    def handle_date_mismatch(self, req) -> None:
        """The request's day is not the signing key's day: regenerate the key for it."""
        self.regenerate_signing_key(date=self.get_request_date(req).strftime("%Y%m%d"))

    @staticmethod
    def encode_body(req) -> None:
        """Encodes a str body to bytes: with the ``charset`` of ``Content-Type`` when given;
        else as UTF-8, adding ``; charset=utf-8`` to the content type unless it is a form
        or an ``x-amz-`` type."""
        if not isinstance(req.body, str):
            return
        content_type = req.headers.get("content-type", "text/plain")
        parts = content_type.split(";")
        if len(parts) == 2:
            charset = parts[1].split("=")[1]
            req.body = req.body.encode(charset)
            return
        if parts[0] == "application/x-www-form-urlencoded" or "x-amz-" in parts[0]:
            req.body = req.body.encode()
        else:
            req.body = req.body.encode("utf-8")
            req.headers["content-type"] = parts[0] + "; charset=utf-8"

    def _signer(self, key: AWS4SigningKey, access_id: str, token: Optional[str], include: frozenset) -> Signer:
        cached = self._signer_cache
        ident = (id(key), access_id, token, include)
        if cached is not None and cached[0] == ident and cached[1] is key:
            return cached[2]
        if "*" in include:
            options: dict = {}
        else:
            options = {"signed_headers": sorted(h.lower() for h in include if h.lower() != "x-amz-*")}
        signer = Signer.from_signing_key(key.native(), access_id, token or None,
                                         content_sha256=True, **options)
        self._signer_cache = (ident, key, signer)
        return signer

    def __call__(self, req):
        """Signs a ``requests.PreparedRequest``: adds ``X-Amz-Date`` (unless it has a date
        header), ``x-amz-content-sha256``, ``X-Amz-Security-Token`` with a session token,
        and ``Authorization``."""
        if self.refreshable_credentials:
            self.refresh_credentials()
        when = self._request_datetime(req)
        if when is None:
            present = [h for h in ("x-amz-date", "date") if h in req.headers]
            if present and self.raise_invalid_date:
                raise DateFormatError(f"the {present[0]} header is in no recognised date format")
            for h in present:
                del req.headers[h]
            when = datetime.datetime.now(_UTC).replace(microsecond=0)
            req.headers["x-amz-date"] = when.strftime("%Y%m%dT%H%M%SZ")
        day = when.strftime("%Y%m%d")
        with self._lock:
            if day != self.date:
                self.handle_date_mismatch(req)
            key, access_id, token = self.signing_key, self.access_id, self.session_token
            include = frozenset(self.include_hdrs)
        if key.date != day:  # PassiveAWS4Auth-like subclasses: sign with the key's own day
            raise DateMismatchError(f"the request is dated {day}, the signing key {key.date}")
        if hasattr(req, "body"):  # requests.PreparedRequest
            if hasattr(req.body, "read"):
                req.body = req.body.read()
            self.encode_body(req)
            content = req.body
        else:  # an httpx.Request (httpx calls any callable auth with it), as the original
            content = _httpx_content(req)
        signer = self._signer(key, access_id, token, include)
        body, payload_hash = _plugin.payload_for(signer, content, None)
        url = str(req.url)
        headers = req.headers.multi_items() if hasattr(req.headers, "multi_items") else req.headers
        signed = signer.sign_request(req.method, url, headers, body, when, payload_hash=payload_hash)
        for name, value in signed.headers.items():
            req.headers[name] = value
        if signed.url != url:
            req.url = signed.url if isinstance(req.url, str) else type(req.url)(signed.url)
        return req

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(access_id={self.access_id!r}, region={self.region!r}, "
                f"service={self.service!r}, date={self.date!r})")


class StrictAWS4Auth(AWS4Auth):
    """Like ``AWS4Auth``, but a request dated another day than the signing key raises
    ``DateMismatchError`` instead of regenerating the key (call
    ``regenerate_signing_key()`` yourself)."""

    def handle_date_mismatch(self, req) -> None:
        raise DateMismatchError(
            f"the request's date is not the signing key's date ({self.date}); call "
            "regenerate_signing_key()")
