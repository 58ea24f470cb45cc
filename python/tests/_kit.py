"""Test helpers: a recording HTTP server on 127.0.0.1 and a botocore re-check of what it got.

Every signature a compatibility test produces is checked here independently: the request as
the local server received it (method, raw path, headers, body) is signed again by botocore
at the time in its X-Amz-Date, with exactly the headers it says were signed, and the two
Authorization headers must be equal. No request ever leaves 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.server
import json
import re
import threading
from typing import Callable, Dict, List, Optional, Tuple

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<ak>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]{64})"
)
S3 = {"s3", "s3-outposts", "s3express", "s3-object-lambda"}


class Received:
    """One request as the server read it off the socket."""

    def __init__(self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body

    def header(self, name: str) -> Optional[str]:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ",".join(values) if values else None

    def __repr__(self) -> str:
        return f"Received({self.method} {self.path} {self.headers} {self.body[:60]!r})"


Responder = Callable[[Received], Tuple[int, str, bytes]]


def _ok(_: Received) -> Tuple[int, str, bytes]:
    return 200, "application/json", b'{"ok": true}'


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that records every request and answers with
    ``responder`` (default: 200 JSON). Use as a context manager."""

    MAX_REQUESTS = 10_000  # bounded: a runaway test cannot grow this forever

    def __init__(self, responder: Responder = _ok) -> None:
        self.requests: List[Received] = []
        self.responder = responder
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _handle(self) -> None:
                rec = Received(self.command, self.path, list(self.headers.items()), self._read_body())
                if len(outer.requests) < outer.MAX_REQUESTS:
                    outer.requests.append(rec)
                status, ctype, body = outer.responder(rec)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

            def log_message(self, *args) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "LocalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def last(self) -> Received:
        assert self.requests, "the server received no request"
        return self.requests[-1]


@contextlib.contextmanager
def botocore_time(when: dt.datetime):
    """botocore signs at ``when`` (naive UTC) inside the block."""
    orig = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: when
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = orig


def botocore_authorization(method: str, url: str, headers: Dict[str, str], body: bytes, *,
                           access_key: str, secret_key: str, token: Optional[str],
                           region: str, service: str, when: dt.datetime,
                           only: Optional[List[str]] = None) -> str:
    """The Authorization header botocore computes for this request at ``when``; ``only``:
    sign exactly these headers (botocore otherwise adds X-Amz-Date, and for S3
    X-Amz-Content-SHA256, to the signed list)."""
    creds = botocore.credentials.Credentials(access_key, secret_key, token)
    base = botocore.auth.S3SigV4Auth if service in S3 else botocore.auth.SigV4Auth
    keep = None if only is None else {n.lower() for n in only}

    class Exactly(base):
        """botocore signing exactly the headers given (it would add X-Amz-Date and, for
        S3, X-Amz-Content-SHA256 to the signed list even when the signer left them out)."""

        def headers_to_sign(self, request):
            h = super().headers_to_sign(request)
            for n in [n for n in h.keys() if keep is not None and n not in keep]:
                del h[n]
            return h

    req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    with botocore_time(when):
        Exactly(creds, service, region).add_auth(req)
    return req.headers["Authorization"]


def check_signed(rec: Received, *, secret_key: str, region: str, service: str,
                 token: Optional[str] = None, host: Optional[str] = None) -> Dict[str, str]:
    """Re-signs what the server received with botocore and asserts the same Authorization.
    ``host`` replaces the received Host (a signer told to sign another host name). Returns
    the parsed Authorization parts."""
    auth = rec.header("authorization")
    assert auth, f"no Authorization header: {rec}"
    m = AUTH_RE.fullmatch(auth)
    assert m, f"malformed Authorization: {auth}"
    parts = m.groupdict()
    assert (parts["region"], parts["service"]) == (region, service)
    amz = rec.header("x-amz-date")
    assert amz and amz[:8] == parts["day"], (amz, parts["day"])
    when = dt.datetime.strptime(amz, "%Y%m%dT%H%M%SZ")
    sent_token = rec.header("x-amz-security-token")
    assert sent_token == token, "session token sent differs from the one expected"
    content = rec.header("x-amz-content-sha256")
    if content is not None and content != "UNSIGNED-PAYLOAD":
        assert content == hashlib.sha256(rec.body).hexdigest(), "x-amz-content-sha256 is not the body's hash"
    names = parts["signed"].split(";")
    if token:
        assert "x-amz-security-token" in names, "the session token is not signed"
    headers = {}
    for n in names:
        v = host if (n == "host" and host) else rec.header(n)
        assert v is not None, f"signed header {n} was not received"
        headers[n] = v
    want = botocore_authorization(
        rec.method, f"http://{headers['host']}{rec.path}", headers, rec.body,
        access_key=parts["ak"], secret_key=secret_key, token=token,
        region=region, service=service, when=when, only=names)
    assert auth == want, f"\nours:     {auth}\nbotocore: {want}\nrequest:  {rec}"
    return parts


def sts_responder(access_key: str, secret_key: str, token: str, expiration: str) -> Responder:
    """A local STS answering AssumeRoleWithWebIdentity."""
    def respond(rec: Received) -> Tuple[int, str, bytes]:
        assert b"Action=AssumeRoleWithWebIdentity" in rec.body, rec.body
        xml = f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>{access_key}</AccessKeyId>
      <SecretAccessKey>{secret_key}</SecretAccessKey>
      <SessionToken>{token}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"""
        return 200, "text/xml", xml.encode()
    return respond


def container_responder(access_key: str, secret_key: str, token: str, expiration: str) -> Responder:
    """A local container credentials endpoint (ECS / EKS Pod Identity)."""
    def respond(_: Received) -> Tuple[int, str, bytes]:
        body = {"AccessKeyId": access_key, "SecretAccessKey": secret_key, "Token": token,
                "Expiration": expiration, "RoleArn": "arn:aws:iam::123456789012:role/r"}
        return 200, "application/json", json.dumps(body).encode()
    return respond


CHAIN_ENV = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
    "AWS_STS_REGIONAL_ENDPOINTS",
)


def check_prepared(p, *, secret_key: str, region: str, service: str, token: Optional[str] = None) -> Dict[str, str]:
    """``check_signed`` for a ``requests.PreparedRequest`` that was signed but not sent
    (its Host is the URL's authority, as requests would send it)."""
    from urllib.parse import urlsplit

    split = urlsplit(p.url)
    path = split.path + (f"?{split.query}" if split.query else "")
    headers = [(k, v) for k, v in p.headers.items()]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.append(("Host", split.netloc))
    body = p.body.encode() if isinstance(p.body, str) else (p.body or b"")
    return check_signed(Received(p.method, path, headers, body), secret_key=secret_key,
                        region=region, service=service, token=token)


def imds_responder(access_key: str, secret_key: str, token: str, expiration: str) -> Responder:
    """A local IMDSv2: session token, role name, role credentials."""
    def respond(rec: Received) -> Tuple[int, str, bytes]:
        if rec.method == "PUT" and rec.path == "/latest/api/token":
            return 200, "text/plain", b"imds-session-token"
        if rec.header("x-aws-ec2-metadata-token") != "imds-session-token":
            return 401, "text/plain", b""
        if rec.path == "/latest/meta-data/iam/security-credentials/":
            return 200, "text/plain", b"instance-role"
        if rec.path == "/latest/meta-data/iam/security-credentials/instance-role":
            body = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": access_key,
                    "SecretAccessKey": secret_key, "Token": token, "Expiration": expiration,
                    "LastUpdated": "2024-01-01T00:00:00Z"}
            return 200, "application/json", json.dumps(body).encode()
        return 404, "text/plain", b""
    return respond
