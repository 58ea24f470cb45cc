"""SigV4 authentication for `httpx <https://www.python-httpx.org>`_ (sync and async clients).

::

    import httpx
    from sigv4.httpx import SigV4Auth

    auth = SigV4Auth("us-east-1", "s3")
    with httpx.Client(auth=auth) as client:
        client.put("https://bucket.s3.amazonaws.com/key", content=b"data")
    async with httpx.AsyncClient(auth=auth) as client:
        await client.get("https://bucket.s3.amazonaws.com/key")
"""

from __future__ import annotations

from typing import Any, Generator, Optional

import httpx

from . import _plugin
from ._sigv4 import Signer

__all__ = ["SigV4Auth"]


class SigV4Auth(httpx.Auth):
    """An ``httpx.Auth`` that signs each request with SigV4, for ``Client`` and ``AsyncClient``.

    In-memory bodies (``content=`` bytes/str, ``data=`` forms, ``json=``) are hashed.
    Streaming bodies (iterators, async iterators, files, multipart with files) are not read:
    they are sent with ``UNSIGNED-PAYLOAD`` for S3 and raise ``SigningError`` for other
    services unless ``unsigned_payload=True``.

    Extra keyword arguments are passed to :class:`sigv4.Signer`.
    """

    requires_request_body = False

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

    def sign(self, request: httpx.Request) -> httpx.Request:
        """Signs ``request`` in place and returns it."""
        try:
            content: Any = request.content
        except httpx.RequestNotRead:
            content = request.stream  # a stream object: handled as streaming below
        body, payload_hash = _plugin.payload_for(self.signer, content, self.unsigned_payload)
        # Header mode: the URL is sent as it is (a raw '+' from form encoding is a space,
        # signed as such); only headers are added.
        signed = self.signer.sign(
            request.method, str(request.url), request.headers.multi_items(), body,
            payload_hash=payload_hash,
        )
        request.headers.update(signed)
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield self.sign(request)

    def __repr__(self) -> str:
        return f"SigV4Auth(region={self.signer.region!r}, service={self.signer.service!r})"
