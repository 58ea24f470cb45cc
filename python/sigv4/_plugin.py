"""Shared logic of the requests and httpx auth plugins."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from ._errors import SigningError
from ._sigv4 import UNSIGNED_PAYLOAD, Signer, is_s3_service
_IN_MEMORY = (bytes, bytearray, memoryview, str)


def streaming_payload_hash(signer: Signer, body_type: str, unsigned_payload: Optional[bool]) -> str:
    """The payload hash for a body that cannot be read up front (file, iterator, stream)."""
    if unsigned_payload is False:
        raise SigningError(
            f"cannot sign a streaming request body ({body_type}) with unsigned_payload=False: "
            "pass the body as bytes or str so it can be hashed"
        )
    if unsigned_payload or is_s3_service(signer.service):
        return UNSIGNED_PAYLOAD
    raise SigningError(
        f"cannot sign a streaming request body ({body_type}) for service {signer.service!r}: "
        "SigV4 needs the SHA-256 of the body. Pass the body as bytes or str, or, if the "
        "service accepts it, construct the auth with unsigned_payload=True"
    )


def make_signer(region: Any, service: Any, credentials: Any, options: Dict[str, Any]) -> Signer:
    if isinstance(region, Signer):
        raise TypeError("pass region and service, not a Signer")
    return Signer(region, service, credentials, **options)


def payload_for(
    signer: Signer, body: Any, unsigned_payload: Optional[bool]
) -> Tuple[Any, Optional[str]]:
    """(body, payload_hash) to hand to the signer."""
    if unsigned_payload:
        return None, UNSIGNED_PAYLOAD
    if body is None or isinstance(body, _IN_MEMORY):
        return body, None
    return None, streaming_payload_hash(signer, type(body).__name__, unsigned_payload)
