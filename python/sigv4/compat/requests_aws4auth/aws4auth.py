"""``AWS4Auth``: requests-aws4auth's requests auth class, signed by the Rust core.

The original's public methods are kept (``amz_cano_path``, ``amz_cano_querystring``,
``get_canonical_headers``, ``get_canonical_request``, ``get_sig_string``, ``parse_date``,
``get_request_date``, ``regenerate_signing_key``, ``handle_date_mismatch``, ``encode_body``,
``amz_norm_whitespace``) and return what the original's returned; the canonical URI and
query string come from the core. The signature itself is made by the core (``__call__``),
with the original's ``SignedHeaders`` (``include_hdrs``, byte for byte).
"""

from __future__ import annotations

import calendar
import collections.abc
import datetime
import email.utils
import hashlib
import re
import shlex
import threading
import time
from typing import Any, Iterable, List, Optional, Tuple
from urllib.parse import unquote, urlparse

from requests.auth import AuthBase

from ... import _plugin
from ..._sigv4 import Signer, _canonical_query, _canonical_uri
from .aws4signingkey import AWS4SigningKey
from .exceptions import DateFormatError, DateMismatchError, NoSecretKeyError

__all__ = ["AWS4Auth", "StrictAWS4Auth"]

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_UTC = datetime.timezone.utc
_AMZ_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
# The services whose path requests-aws4auth decodes before encoding it once ('host' is the
# service of AWS's 2011 test suite); every other service encodes the wire path again.
_DECODE_PATH_SERVICES = ("s3", "host")
_S3 = frozenset({"s3", "s3-outposts", "s3express", "s3-object-lambda"})

# The date formats requests-aws4auth recognises (its parse_date), each to (year, month, day)
# as written in the value (no conversion to UTC).
_DATE_FORMATS = (
    # RFC 7231, e.g. 'Mon, 09 Sep 2011 23:36:00 GMT'
    (re.compile(r"^(?:\w{3}, )?(\d{2}) (\w{3}) (\d{4})\D.*$"),
     lambda m: (int(m.group(3)), m.group(2), int(m.group(1)))),
    # RFC 850, e.g. 'Sunday, 06-Nov-94 08:49:37 GMT', any zone; the current century
    (re.compile(r"^\w+day, (\d{2})-(\w{3})-(\d{2})\D.*$"),
     lambda m: (int(str(datetime.date.today().year)[:2] + m.group(3)), m.group(2), int(m.group(1)))),
    # C time, e.g. 'Wed Dec 4 00:00:00 2002'
    (re.compile(r"^\w{3} (\w{3}) (\d{1,2}) \d{2}:\d{2}:\d{2} (\d{4})$"),
     lambda m: (int(m.group(3)), m.group(1), int(m.group(2)))),
    # X-Amz-Date, e.g. '20090325T010101Z'
    (re.compile(r"^(\d{4})(\d{2})(\d{2})T\d{6}Z$"),
     lambda m: (int(m.group(1)), int(m.group(2)), int(m.group(3)))),
    # ISO 8601 / RFC 3339, e.g. '2009-03-25T10:11:12.13-01:00'
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt].*)?$"),
     lambda m: (int(m.group(1)), int(m.group(2)), int(m.group(3)))),
)


def _included(name: str, include: List[str]) -> bool:
    """Whether header ``name`` (lowercase) is signed under ``include`` (lowercase names,
    ``*`` for all, ``x-amz-*`` for every ``x-amz-`` header but ``x-amz-client-context``)."""
    return (name in include or "*" in include
            or ("x-amz-*" in include and name.startswith("x-amz-") and name != "x-amz-client-context"))


def _signing_time(req) -> Optional[datetime.datetime]:
    """The UTC time to sign with when the request has no valid X-Amz-Date: from its
    X-Amz-Date or Date header in another recognised format (a format without a time gives
    midnight). None when neither parses."""
    for header in ("x-amz-date", "date"):
        if header not in req.headers:
            continue
        value = str(req.headers[header]).strip()
        try:
            day = AWS4Auth.parse_date(value)
        except DateFormatError:
            continue
        for parse in (email.utils.parsedate_to_datetime, datetime.datetime.fromisoformat):
            try:
                dt = parse(value.replace("Z", "+00:00").replace("z", "+00:00")
                           if parse is datetime.datetime.fromisoformat else value)
            except (TypeError, ValueError, IndexError):
                continue
            return dt.astimezone(_UTC) if dt.tzinfo else dt.replace(tzinfo=_UTC)
        return datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=_UTC)
    return None


def _query_text(qs: str) -> str:
    """A raw query as the core is to read it, with the original's meaning: it ends at a raw
    space (as a server reads a request line; http.client cannot send such a URL) and a ``#``
    in it is a character of the query. (A raw ``+`` is a space: the core's rule for every
    signer of this package, as requests/httpx/aiohttp ``params=`` mean it.)"""
    return qs.split(" ")[0].replace("#", "%23")


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
    key's day, ``handle_date_mismatch`` regenerates the key for it with the secret the
    ``AWS4SigningKey`` keeps (``store_secret_key=True``, the default); a key made with
    ``store_secret_key=False`` raises ``NoSecretKeyError`` then. ``StrictAWS4Auth`` raises
    ``DateMismatchError`` instead.

    ``include_hdrs`` (default ``default_include_headers``: ``host``, ``content-type``,
    ``date`` and every ``x-amz-*`` header) is the exact list of signed headers.

    Thread-safe: one instance may sign in many threads at once; a key regeneration and the
    signatures that use it never interleave.
    """

    default_include_headers = {"host", "content-type", "date", "x-amz-*"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._signer_cache: Optional[tuple] = None
        self.signing_key: Optional[AWS4SigningKey] = None
        self.access_id: Optional[str] = None
        self.session_token: Optional[str] = None
        self.refreshable_credentials = kwargs.get("refreshable_credentials", None)
        if self.refreshable_credentials:
            self.service = kwargs.get("service", None)
            if not self.service:
                raise TypeError("service must be provided as keyword argument when using refreshable_credentials")
            self.region = kwargs.get("region", None)
            if not self.region:
                raise TypeError("region must be provided as keyword argument when using refreshable_credentials")
            self.date = kwargs.get("date", None)
            token_header = True
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
            token_header = bool(self.session_token)
        raise_invalid_date = kwargs.get("raise_invalid_date", False)
        if raise_invalid_date not in (True, False):
            raise ValueError("raise_invalid_date must be True or False in AWS4Auth.__init__()")
        self.raise_invalid_date = raise_invalid_date
        # As the original, with a session token x-amz-security-token joins the defaults (of
        # this instance only: the class attribute is left alone).
        self.include_hdrs = set(self.default_include_headers)
        if token_header:
            self.include_hdrs.add("x-amz-security-token")
        if "include_hdrs" in kwargs and isinstance(kwargs["include_hdrs"], collections.abc.Iterable):
            self.include_hdrs = set(kwargs["include_hdrs"])
        AuthBase.__init__(self)

    def regenerate_signing_key(self, secret_key: Optional[str] = None, region: Optional[str] = None,
                               service: Optional[str] = None, date: Optional[str] = None) -> None:
        """Makes a new signing key from the current region, service and date unless given
        (the instance's attributes follow the new values). Without ``secret_key`` the secret
        kept by the current signing key is used; ``NoSecretKeyError`` when it keeps none.
        The new key keeps the secret when the current one did (or when there is none)."""
        with self._lock:
            if secret_key is None and (self.signing_key is None or self.signing_key.secret_key is None):
                raise NoSecretKeyError(
                    "no secret key to regenerate the signing key with: pass secret_key")
            secret_key = secret_key or self.signing_key.secret_key
            region = region or self.region
            service = service or self.service
            date = date or self.date
            store = True if self.signing_key is None else self.signing_key.store_secret_key
            self.signing_key = AWS4SigningKey(secret_key, region, service, date, store)
            self.region = region
            self.service = service
            self.date = self.signing_key.date

    def refresh_credentials(self) -> None:
        """Reads ``refreshable_credentials`` (botocore's refresh them when due) and uses them."""
        creds = self.refreshable_credentials.get_frozen_credentials()
        with self._lock:
            self.access_id = creds.access_key
            self.session_token = creds.token
            key = self.signing_key
            if key is None or key.secret_key != creds.secret_key:
                self.regenerate_signing_key(secret_key=creds.secret_key)

    @classmethod
    def get_request_date(cls, req) -> Optional[datetime.date]:
        """The date of the request's ``X-Amz-Date`` header, else of its ``Date`` header, as
        written; ``None`` when neither is present in a recognised format."""
        for header in ("x-amz-date", "date"):
            if header not in req.headers:
                continue
            try:
                day = cls.parse_date(str(req.headers[header]))
                return datetime.datetime.strptime(day, "%Y-%m-%d").date()
            except (DateFormatError, ValueError):
                continue
        return None

    @staticmethod
    def parse_date(date_str: str) -> str:
        """``YYYY-MM-DD`` of a date in a recognised format, the day as written (no time zone
        conversion): RFC 7231, RFC 850 (any zone; the current century), C time, X-Amz-Date,
        ISO 8601 / RFC 3339. ``DateFormatError`` otherwise."""
        for regex, parts in _DATE_FORMATS:
            m = regex.search(date_str)
            if m is None:
                continue
            year, month, day = parts(m)
            if isinstance(month, str):
                if month.lower() not in _MONTHS:
                    break
                month = _MONTHS.index(month.lower()) + 1
            return "{:04d}-{:02d}-{:02d}".format(year, month, day)
        raise DateFormatError(f"unrecognised date format: {date_str!r}")

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
            req.body = req.body.encode(parts[1].split("=")[1])
        elif parts[0] == "application/x-www-form-urlencoded" or "x-amz-" in parts[0]:
            req.body = req.body.encode()
        else:
            req.body = req.body.encode("utf-8")
            req.headers["content-type"] = parts[0] + "; charset=utf-8"

    def amz_cano_path(self, path: str) -> str:
        """The canonical path, computed by the core: ``.``/``..`` and repeated slashes
        removed (a trailing slash kept), then encoded once. For ``s3`` and ``host`` (the
        service of AWS's 2011 test suite) the path is decoded first, so it is encoded exactly
        once; for other services the wire path is encoded again (``%20`` -> ``%2520``).
        Anything after a ``?`` is appended as is."""
        path, sep, qs = path.partition("?")
        if self.service in _DECODE_PATH_SERVICES:
            normalized = _canonical_uri(path, True, False)
            full = _canonical_uri(unquote(normalized), False, True)
        else:
            full = _canonical_uri(path, True, True)
        return full + "?" + qs if qs else full

    @staticmethod
    def amz_cano_querystring(qs: str) -> str:
        """The canonical query string, computed by the core: the query up to its first
        space, each name and value decoded (a ``+`` is a space, as in a form) and encoded
        per RFC 3986, sorted by name and then value, repeated names kept."""
        return _canonical_query(_query_text(qs))

    @staticmethod
    def amz_norm_whitespace(text: str) -> str:
        """Runs of whitespace as one space, except inside double quotes (the original's rule
        for ``get_canonical_headers``)."""
        return " ".join(shlex.split(text, posix=False))

    @classmethod
    def get_canonical_headers(cls, req, include: Optional[Iterable[str]] = None) -> Tuple[str, str]:
        """``(canonical_headers, signed_headers)`` of the original's helper: the headers of
        ``req`` named in ``include`` (default ``default_include_headers``), lowercased,
        whitespace runs collapsed outside double quotes, values of repeated names sorted and
        joined, ``host`` taken from the URL's host name when the request has none."""
        include = [x.lower() for x in (cls.default_include_headers if include is None else include)]
        headers = req.headers.copy()
        if "host" not in headers:
            headers["host"] = urlparse(str(req.url)).netloc.split(":")[0]
        grouped: dict = {}
        for hdr, val in headers.items():
            hdr = hdr.strip().lower()
            if _included(hdr, include):
                grouped.setdefault(hdr, []).append(cls.amz_norm_whitespace(val).strip())
        names = sorted(grouped)
        cano = "".join("{}:{}\n".format(h, ",".join(sorted(grouped[h]))) for h in names)
        return cano, ";".join(names)

    def get_canonical_request(self, req, cano_headers: str, signed_headers: str) -> str:
        """The canonical request of ``req`` with the given canonical and signed headers and
        the payload hash of its ``x-amz-content-sha256`` header."""
        raw_url = str(req.url)
        path = self.amz_cano_path(urlparse(raw_url).path)
        split = raw_url.split("?", 1)
        qs = self.amz_cano_querystring(split[1] if len(split) == 2 else "")
        return "\n".join([req.method.upper(), path, qs, cano_headers, signed_headers,
                          req.headers["x-amz-content-sha256"]])

    @staticmethod
    def get_sig_string(req, cano_req: str, scope: str) -> str:
        """The string to sign, from the request's ``x-amz-date`` header."""
        return "\n".join(["AWS4-HMAC-SHA256", req.headers["x-amz-date"], scope,
                          hashlib.sha256(cano_req.encode()).hexdigest()])

    def _signer(self, key: AWS4SigningKey, access_id: str, token: Optional[str], signed: tuple) -> Signer:
        ident = (id(key), access_id, token, signed)
        cached = self._signer_cache
        if cached is not None and cached[0] == ident and cached[1] is key:
            return cached[2]
        options: dict = {}
        if key.service == "host":  # the original's rule for it: normalized, encoded once
            options = {"normalize_path": True, "double_encode": False}
        signer = Signer.from_signing_key(key.native(), access_id, token or None, content_sha256=True,
                                         exact_signed_headers=list(signed), **options)
        self._signer_cache = (ident, key, signer)
        return signer

    def _date_request(self, req) -> Tuple[int, str]:
        """Makes sure ``req`` carries an ``X-Amz-Date`` (added from its ``Date`` header, else
        now) and the signing key is for its day; returns the signing time (Unix seconds)
        and that day (``YYYYMMDD``)."""
        amz = req.headers.get("x-amz-date")
        m = _AMZ_DATE.match(amz) if isinstance(amz, str) else None
        fields = tuple(int(x) for x in m.groups()) if m else None
        try:
            if fields is not None:
                datetime.datetime(*fields)  # a real date and time (the regex allows 13/32)
        except ValueError:
            fields = None
        if fields is not None:  # the common case: a valid X-Amz-Date
            secs, day = calendar.timegm(fields + (0, 0, 0)), amz[:8]
        else:
            when = _signing_time(req)
            if when is None:
                present = [h for h in ("x-amz-date", "date") if h in req.headers]
                if present and self.raise_invalid_date:
                    raise DateFormatError(f"the {present[0]} header is in no recognised date format")
                for h in present:
                    del req.headers[h]
                secs = int(time.time())
            else:
                secs = calendar.timegm(when.utctimetuple())
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(secs))
            req.headers["x-amz-date"] = stamp
            day = stamp[:8]
        if day != self.date:
            self.handle_date_mismatch(req)
        return secs, day

    def __call__(self, req):
        """Signs a ``requests.PreparedRequest`` (or an ``httpx.Request``): adds
        ``X-Amz-Date`` (unless it has one), ``x-amz-content-sha256``,
        ``X-Amz-Security-Token`` with a session token, and ``Authorization``."""
        if self.refreshable_credentials:
            self.refresh_credentials()
        with self._lock:
            when, day = self._date_request(req)
            key, access_id, token = self.signing_key, self.access_id, self.session_token
            include = [h.lower() for h in self.include_hdrs]
        if key.date != day:  # a subclass whose handle_date_mismatch did nothing
            raise DateMismatchError(f"the request is dated {day}, the signing key {key.date}")
        if hasattr(req, "body"):  # requests.PreparedRequest
            if hasattr(req.body, "read"):
                req.body = req.body.read()
            self.encode_body(req)
            content = req.body
        else:  # an httpx.Request (httpx calls any callable auth with it), as the original
            content = _httpx_content(req)
        # The headers the original signs: those of the request, the ones signing adds and
        # host, as include_hdrs selects them.
        names = {h.lower() for h in req.headers.keys()} | {"host", "x-amz-content-sha256"}
        if token:
            names.add("x-amz-security-token")
        signed = tuple(sorted(h for h in names if _included(h, include)))
        signer = self._signer(key, access_id, token, signed)
        body, payload_hash = _plugin.payload_for(signer, content, None)
        url = str(req.url)
        base, sep, query = url.partition("?")
        if "#" in query:
            # The original signs a '#' after the '?' as part of the query: send it that way
            # (percent-encoded) so that the server reads what the signature covers.
            wire = base + "?" + query.replace("#", "%23")
            req.url = wire if isinstance(req.url, str) else type(req.url)(wire)
        headers = req.headers.multi_items() if hasattr(req.headers, "multi_items") else req.headers
        to_sign = base + sep + _query_text(query)
        out = signer.sign(req.method, to_sign, headers, body, when, payload_hash=payload_hash)
        for name, value in out.items():
            req.headers[name] = value
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
