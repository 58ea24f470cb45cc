"""``AWS4SigningKey``: a SigV4 signing key for one date, region and service.

As in requests-aws4auth, the secret access key is kept by default (``store_secret_key=True``)
so that ``AWS4Auth(access_id, signing_key)`` can make the key of a new day when the date
changes (a long-running process keeps signing after midnight UTC). It is held in a holder
whose ``repr`` is redacted: it never appears in ``repr``/``str`` of the key or in logs.
With ``store_secret_key=False`` nothing is kept and a regeneration raises
``NoSecretKeyError``. The key bytes are derived once, when the instance is created.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import warnings
from typing import Optional, Tuple, Union

from ..._sigv4 import SigningKey
from .._secret import Secret as _Secret

__all__ = ["AWS4SigningKey"]


class AWS4SigningKey:
    """AWS signing key (requests-aws4auth's API).

    Attributes: ``region``, ``service``, ``date`` (``YYYYMMDD``), ``scope``
    (``date/region/service/aws4_request``), ``key`` (the 32-byte key), ``amz_date``
    (deprecated name of ``date``), ``store_secret_key``, ``secret_key`` (the secret when
    ``store_secret_key`` is true, else ``None``).
    """

    def __init__(self, secret_key: str, region: str, service: str,
                 date: Optional[str] = None, store_secret_key: bool = True) -> None:
        self.region = region
        self.service = service
        self.date = date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
        self.scope = "{}/{}/{}/aws4_request".format(self.date, self.region, self.service)
        self.store_secret_key = store_secret_key
        self._secret = _Secret(secret_key if store_secret_key else None)
        self.key = self.generate_key(secret_key, self.region, self.service, self.date)
        self._native: Optional[SigningKey] = None

    @property
    def secret_key(self) -> Optional[str]:
        """The secret access key, kept when ``store_secret_key`` is true; else ``None``."""
        return self._secret.value

    @secret_key.setter
    def secret_key(self, value: Optional[str]) -> None:
        self._secret = _Secret(value)

    @classmethod
    def generate_key(cls, secret_key: str, region: str, service: str, date: str,
                     intermediates: bool = False) -> Union[bytes, Tuple[bytes, bytes, bytes, bytes]]:
        """The signing key bytes, or with ``intermediates=True`` the tuple
        ``(signing_key, date_key, region_key, service_key)``."""
        init_key = ("AWS4" + secret_key).encode("utf-8")
        date_key = cls.sign_sha256(init_key, date)
        region_key = cls.sign_sha256(date_key, region)
        service_key = cls.sign_sha256(region_key, service)
        key = cls.sign_sha256(service_key, "aws4_request")
        if intermediates:
            return (key, date_key, region_key, service_key)
        return key

    @staticmethod
    def sign_sha256(key: bytes, msg: Union[str, bytes]) -> bytes:
        """HMAC-SHA256 of ``msg`` (UTF-8 encoded if str) with ``key``."""
        if isinstance(msg, str):
            msg = msg.encode("utf-8")
        return hmac.new(key, msg, hashlib.sha256).digest()

    @property
    def amz_date(self) -> str:
        warnings.warn("This attribute has been renamed to 'date'. 'amz_date' is deprecated "
                      "and will be removed in a future version.", DeprecationWarning, stacklevel=2)
        return self.date

    def native(self) -> SigningKey:
        """This key as a ``sigv4.SigningKey`` (what the signer uses)."""
        if self._native is None:
            self._native = SigningKey.from_bytes(self.key, self.date, self.region, self.service)
        return self._native

    def __repr__(self) -> str:
        return f"AWS4SigningKey(scope={self.scope!r}, key='****')"
