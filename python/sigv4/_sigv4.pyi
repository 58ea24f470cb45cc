"""Type stubs for the native module (re-exported by ``sigv4``)."""

from datetime import date, datetime, timedelta
import sys
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple, Union, final

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

__all__ = [
    "CREDENTIAL_CHAIN", "Credentials", "EMPTY_SHA256", "RefreshableCredentials",
    "SignedRequest", "Signer", "SigningKey", "UNSIGNED_PAYLOAD", "canonical_request",
    "default_credentials", "payload_hash", "resolve_credentials", "resolve_region", "sign_headers", "sign_request",
    "string_to_sign",
]

_Time = Union[datetime, int, float]
_Body = Union[bytes, bytearray, memoryview, str, None]
_HeaderValue = Union[str, bytes]
_Headers = Union[
    Mapping[str, _HeaderValue],
    Iterable[Tuple[Union[str, bytes], _HeaderValue]],
    None,
]
_Expires = Union[int, float, timedelta]

UNSIGNED_PAYLOAD: str
EMPTY_SHA256: str
CREDENTIAL_CHAIN: str

@final
class Credentials:
    """AWS credentials. Immutable; ``repr()`` never shows the secret or the token.
    ``token=""`` means no token; ``expires_at`` is another name for ``expiration``."""

    def __new__(
        cls,
        access_key: str,
        secret_key: str,
        token: Optional[str] = None,
        expiration: Optional[_Time] = None,
        *,
        expires_at: Optional[_Time] = None,
    ) -> Self: ...
    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token(self) -> Optional[str]: ...
    @property
    def expiration(self) -> Optional[datetime]:
        """Aware UTC datetime, or None."""
    @property
    def expires_at(self) -> Optional[datetime]: ...
    def get_frozen_credentials(self) -> Credentials: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

_CredentialsLike = Union[Credentials, Mapping[str, Any], Any]

@final
class RefreshableCredentials:
    """Credentials fetched by ``fetcher`` on first use and again before they expire.

    Within ``advisory_timeout`` seconds of expiry one caller refreshes while others keep the
    current credentials; within ``mandatory_timeout`` every caller waits for that single
    refresh. ``clock`` (returning a datetime or Unix seconds) replaces the system clock.
    """

    def __new__(
        cls,
        fetcher: Callable[[], _CredentialsLike],
        *,
        advisory_timeout: float = 900.0,
        mandatory_timeout: float = 600.0,
        clock: Optional[Callable[[], _Time]] = None,
    ) -> Self: ...
    @property
    def expires_at(self) -> Optional[datetime]: ...
    @property
    def is_ready(self) -> bool: ...
    @property
    def needs_refresh(self) -> bool: ...
    @property
    def refresh_count(self) -> int: ...
    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token(self) -> Optional[str]: ...
    def refresh(self) -> Credentials: ...
    def get(self) -> Credentials: ...
    def get_frozen_credentials(self) -> Credentials: ...

@final
class SigningKey:
    """A day-scoped signing key: signs for one date, region and service without the secret."""

    def __new__(
        cls, secret_key: str, region: str, service: str, date: Union[str, date, datetime, int, float]
    ) -> Self: ...
    @classmethod
    def from_bytes(
        cls, key: bytes, date: Union[str, date, datetime, int, float], region: str, service: str
    ) -> SigningKey: ...
    def to_bytes(self) -> bytes: ...
    @property
    def scope(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def service(self) -> str: ...
    def sign(self, string_to_sign: str) -> str: ...

@final
class SignedRequest:
    """The result of signing, with every intermediate step."""

    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def url(self) -> str: ...
    @property
    def canonical_request(self) -> str: ...
    @property
    def string_to_sign(self) -> str: ...
    @property
    def signature(self) -> str: ...
    @property
    def signed_headers(self) -> str: ...
    @property
    def credential_scope(self) -> str: ...
    @property
    def query_params(self) -> list[Tuple[str, str]]: ...

@final
class Signer:
    """Signs requests for one region and service; thread-safe; caches the day's key."""

    def __new__(
        cls,
        region: Optional[str] = None,
        service: Optional[str] = None,
        credentials: Union[Credentials, RefreshableCredentials, Mapping[str, Any], Any, None] = None,
        *,
        normalize_path: Optional[bool] = None,
        double_encode: Optional[bool] = None,
        content_sha256: Optional[bool] = None,
        sign_session_token: bool = True,
        signed_headers: Optional[Sequence[str]] = None,
        unsigned_headers: Optional[Sequence[str]] = None,
    ) -> Self: ...
    @classmethod
    def from_signing_key(
        cls,
        key: SigningKey,
        access_key: str,
        token: Optional[str] = None,
        *,
        normalize_path: Optional[bool] = None,
        double_encode: Optional[bool] = None,
        content_sha256: Optional[bool] = None,
        sign_session_token: bool = True,
        signed_headers: Optional[Sequence[str]] = None,
        unsigned_headers: Optional[Sequence[str]] = None,
        exact_signed_headers: Optional[Sequence[str]] = None,
    ) -> Signer: ...
    @property
    def region(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def credentials(self) -> Any: ...
    def sign(
        self,
        method: str,
        url: str,
        headers: _Headers = None,
        body: _Body = None,
        timestamp: Optional[_Time] = None,
        *,
        payload_hash: Optional[str] = None,
    ) -> dict[str, str]:
        """The headers to add: Authorization, X-Amz-Date, and X-Amz-Security-Token /
        X-Amz-Content-Sha256 when they apply (every word of a name capitalized)."""
    def sign_request(
        self,
        method: str,
        url: str,
        headers: _Headers = None,
        body: _Body = None,
        timestamp: Optional[_Time] = None,
        *,
        payload_hash: Optional[str] = None,
        expires: Optional[_Expires] = None,
    ) -> SignedRequest: ...
    def presign(
        self,
        method: str,
        url: str,
        expires: Optional[_Expires] = None,
        headers: _Headers = None,
        body: _Body = None,
        timestamp: Optional[_Time] = None,
        *,
        payload_hash: Optional[str] = None,
    ) -> str: ...

def sign_headers(
    method: str,
    url: str,
    headers: _Headers = None,
    body: _Body = None,
    *,
    credentials: _CredentialsLike,
    region: str,
    service: str,
    timestamp: Optional[_Time] = None,
    payload_hash: Optional[str] = None,
    expires: Optional[_Expires] = None,
    normalize_path: Optional[bool] = None,
    double_encode: Optional[bool] = None,
    content_sha256: Optional[bool] = None,
    sign_session_token: bool = True,
    signed_headers: Optional[Sequence[str]] = None,
    unsigned_headers: Optional[Sequence[str]] = None,
) -> dict[str, str]: ...
def canonical_request(
    method: str,
    url: str,
    headers: _Headers = None,
    body: _Body = None,
    *,
    credentials: _CredentialsLike,
    region: str,
    service: str,
    timestamp: Optional[_Time] = None,
    payload_hash: Optional[str] = None,
    expires: Optional[_Expires] = None,
    normalize_path: Optional[bool] = None,
    double_encode: Optional[bool] = None,
    content_sha256: Optional[bool] = None,
    sign_session_token: bool = True,
    signed_headers: Optional[Sequence[str]] = None,
    unsigned_headers: Optional[Sequence[str]] = None,
) -> str: ...
def string_to_sign(
    method: str,
    url: str,
    headers: _Headers = None,
    body: _Body = None,
    *,
    credentials: _CredentialsLike,
    region: str,
    service: str,
    timestamp: Optional[_Time] = None,
    payload_hash: Optional[str] = None,
    expires: Optional[_Expires] = None,
    normalize_path: Optional[bool] = None,
    double_encode: Optional[bool] = None,
    content_sha256: Optional[bool] = None,
    sign_session_token: bool = True,
    signed_headers: Optional[Sequence[str]] = None,
    unsigned_headers: Optional[Sequence[str]] = None,
) -> str: ...
def sign_request(
    method: str,
    url: str,
    headers: _Headers = None,
    body: _Body = None,
    *,
    credentials: _CredentialsLike,
    region: str,
    service: str,
    timestamp: Optional[_Time] = None,
    payload_hash: Optional[str] = None,
    expires: Optional[_Expires] = None,
    normalize_path: Optional[bool] = None,
    double_encode: Optional[bool] = None,
    content_sha256: Optional[bool] = None,
    sign_session_token: bool = True,
    signed_headers: Optional[Sequence[str]] = None,
    unsigned_headers: Optional[Sequence[str]] = None,
) -> SignedRequest: ...
def payload_hash(body: Union[bytes, bytearray, memoryview, str]) -> str: ...
def resolve_credentials(profile: Optional[str] = None) -> RefreshableCredentials:
    """The default chain, lazily (``sigv4.resolve_credentials`` wraps this)."""
def is_s3_service(service: str) -> bool:
    """Whether ``service`` signs with the S3 rules (s3, s3-outposts, s3express, s3-object-lambda)."""
def resolve_region(url: Optional[str] = None, *, profile: Optional[str] = None) -> str:
    """The region an AWS hostname in ``url`` names, else AWS_REGION, AWS_DEFAULT_REGION, the
    profile's ``region``, else the one a global endpoint implies; SigningError otherwise."""
def _canonical_uri(path: str, normalize: bool, double_encode: bool) -> str: ...
def _canonical_query(query: str) -> str: ...
def default_credentials(profile: Optional[str] = None) -> RefreshableCredentials: ...
def load_source(
    source: str,
    *,
    token_file: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
) -> Tuple[Optional[Credentials], Optional[str], Optional[str]]:
    """One credential source (``env``, ``config_file``, ``container``, ``imds``,
    ``web_identity``): ``(credentials, None, None)``, or ``(None, kind, message)``
    (``sigv4.providers`` uses this)."""
