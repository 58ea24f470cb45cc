"""Drop-in for ``requests_aws_sign`` 0.1.6::

    from sigv4.compat.requests_aws_sign import AWSV4Sign   # was: from requests_aws_sign import AWSV4Sign

    session = boto3.session.Session()
    credentials = session.get_credentials()
    service = "es"
    auth = AWSV4Sign(credentials, session.region_name, service)
    requests.post(url, auth=auth, json={...})     # or: s = requests.Session(); s.auth = auth

``credentials`` is anything with ``access_key``, ``secret_key`` and ``token`` (botocore /
boto3 credentials, refreshable ones included: they are read on every request), a
``sigv4.Credentials`` or a ``sigv4.RefreshableCredentials``.

Signed, as by the original: ``host``, ``x-amz-date``, ``x-amz-security-token`` and the body's
SHA-256; in addition the request's own ``x-amz-*`` headers (AWS requires every ``x-amz-*``
header sent to be signed) and, for S3, ``x-amz-content-sha256`` (S3 refuses requests without
it). Added to the request: ``Authorization``, ``X-Amz-Date``, ``X-Amz-Security-Token`` (and
``X-Amz-Content-Sha256`` for S3).
"""

from __future__ import annotations

from typing import Any

from requests.auth import AuthBase

from .. import _plugin
from .._errors import CredentialsError
from .._sigv4 import Signer

__all__ = ("AWSV4Sign",)


class AWSV4Sign(AuthBase):
    """AWS V4 Request Signer for Requests.

    ``credentials``, ``region`` and ``service`` are plain attributes, as in the original:
    assigning one after construction takes effect on the next request."""

    def __init__(self, credentials: Any, region: str, service: str) -> None:
        if not region:
            raise ValueError("You must supply an AWS region")
        self.credentials = credentials
        self.region = region
        self.service = service
        self._signer_for: Any = None  # (credentials, region, service) the signer was built for
        self._signer: Any = None

    def _current_signer(self) -> Signer:
        wanted = (self.credentials, self.region, self.service)
        built = self._signer_for
        if built is None or built[0] is not wanted[0] or built[1:] != wanted[1:]:
            if self.credentials is None:
                raise CredentialsError(
                    "AWSV4Sign was given credentials=None (boto3's get_credentials() returns "
                    "None when nothing is configured): give it credentials"
                )
            # Only host and x-amz-* are signed, as the original (which signed a copy of the
            # request without its other headers).
            self._signer = Signer(self.region, self.service, self.credentials, signed_headers=[])
            self._signer_for = wanted
        return self._signer

    def __call__(self, r):
        signer = self._current_signer()
        body, payload_hash = _plugin.payload_for(signer, r.body, None)
        # Header mode: the URL is sent as it is (a raw '+' from form encoding is a space,
        # signed as such); only headers are added.
        r.headers.update(signer.sign(
            (r.method or "GET").upper(), r.url or "", r.headers, body, payload_hash=payload_hash
        ))
        return r
