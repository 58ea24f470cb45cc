"""SigV4 authentication for `requests <https://requests.readthedocs.io>`_.

::

    import requests
    from sigv4.requests import SigV4Auth

    session = requests.Session()
    session.auth = SigV4Auth("us-east-1", "execute-api")   # default credential chain
    session.get("https://abc.execute-api.us-east-1.amazonaws.com/prod/items")
"""

from __future__ import annotations

from typing import Any, Optional

from requests.auth import AuthBase
from requests.models import PreparedRequest

from . import _plugin
from ._sigv4 import Credentials, Signer

__all__ = ["AWS4Auth", "SigV4Auth"]


class SigV4Auth(AuthBase):
    """A ``requests`` auth that signs each request with SigV4.

    Bodies given as bytes or str (including form data, JSON and multipart uploads, which
    requests encodes in memory) are hashed. Streaming bodies (files, generators) are sent
    with ``UNSIGNED-PAYLOAD`` for S3 and raise ``SigningError`` for other services unless
    ``unsigned_payload=True``. ``unsigned_payload=True`` never hashes the body;
    ``unsigned_payload=False`` always requires an in-memory body.

    Extra keyword arguments are passed to :class:`sigv4.Signer` (``normalize_path``,
    ``signed_headers``, ...).
    """

    def __init__(
        self,
        region: str,
        service: str,
        credentials: Any = None,
        *,
        unsigned_payload: Optional[bool] = None,
        **signer_options: Any,
    ) -> None:
        self.signer: Signer = _plugin.make_signer(region, service, credentials, signer_options)
        self.unsigned_payload = unsigned_payload

    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        body, payload_hash = _plugin.payload_for(self.signer, r.body, self.unsigned_payload)
        # Header mode: the URL is sent as it is (a raw '+' from form encoding is a space,
        # signed as such); only headers are added.
        signed = self.signer.sign(
            r.method or "GET", r.url or "", r.headers, body, payload_hash=payload_hash
        )
        r.headers.update(signed)
        return r

    def __eq__(self, other: object) -> bool:
        return self is other

    def __repr__(self) -> str:
        return f"SigV4Auth(region={self.signer.region!r}, service={self.signer.service!r})"


class AWS4Auth(SigV4Auth):
    """requests-aws4auth's common constructor, ``AWS4Auth(access_id, secret_key, region,
    service[, date], session_token=None)``, as a :class:`SigV4Auth`.

    ``date`` (the fifth positional argument, as in requests-aws4auth) is accepted and not
    needed: the signing day is each request's. For requests-aws4auth's whole API (signing
    keys, ``include_hdrs``, date headers, refreshable credentials) use
    ``sigv4.compat.requests_aws4auth.AWS4Auth``."""

    def __init__(
        self,
        access_id: str,
        secret_key: str,
        region: str,
        service: str,
        date: Optional[str] = None,
        *,
        session_token: Optional[str] = None,
        **signer_options: Any,
    ) -> None:
        super().__init__(region, service, Credentials(access_id, secret_key, session_token), **signer_options)
        self.date = date
