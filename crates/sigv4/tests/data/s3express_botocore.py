"""Reference S3 Express One Zone signatures from botocore (not our code).

Run:  python3 -m venv target/botovenv && target/botovenv/bin/pip install botocore
      target/botovenv/bin/python crates/sigv4/tests/data/s3express_botocore.py \
          > crates/sigv4/tests/data/s3express_botocore.json

Signs, at the fixed time 2024-01-15T10:30:00Z, with botocore's own auth classes:
  * CreateSession (GET /?session) with the base credentials, service s3express
    (botocore signs CreateSession with S3SigV4Auth, the base identity);
  * a GET and a PUT on the directory bucket with session credentials (S3ExpressAuth:
    x-amz-s3session-token, never x-amz-security-token);
  * a presigned GET with session credentials (S3ExpressQueryAuth: X-Amz-S3session-Token).
"""
import datetime
import json
import sys
from unittest import mock

import botocore
from botocore import auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2024, 1, 15, 10, 30, 0)
HOST = "mybucket--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com"
BASE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SESSION = Credentials(
    "ASIASESSIONEXAMPLE",
    "sessionSecretKey/EXAMPLE+abc123",
    "SessionTokenEXAMPLE/with+slash=and+plus==",
)


def sign(signer, method, url, headers=None, body=b""):
    req = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    with mock.patch.object(auth, "get_current_datetime", return_value=FIXED):
        signer.add_auth(req)
    return req


def header_case(name, req, body):
    return {
        "name": name,
        "method": req.method,
        "url": req.url,
        "body": body.decode(),
        "headers": {k: v for k, v in req.headers.items()},
    }


out = {"botocore_version": botocore.__version__, "time": "2024-01-15T10:30:00Z", "cases": []}

r = sign(auth.S3SigV4Auth(BASE, "s3express", "us-west-2"), "GET", f"https://{HOST}/?session")
out["cases"].append(header_case("create_session", r, b""))

s = auth.S3ExpressAuth(SESSION, "s3express", "us-west-2", identity_cache=None)
r = sign(s, "GET", f"https://{HOST}/photos/cat.jpg")
out["cases"].append(header_case("session_get", r, b""))

body = b"hello express"
r = sign(s, "PUT", f"https://{HOST}/notes/a.txt", {"Content-Type": "text/plain"}, body)
out["cases"].append(header_case("session_put", r, body))

q = auth.S3ExpressQueryAuth(SESSION, "s3express", "us-west-2", identity_cache=None, expires=300)
r = sign(q, "GET", f"https://{HOST}/photos/cat.jpg")
out["cases"].append({"name": "session_presign", "method": "GET", "url": r.url, "body": "", "headers": dict(r.headers.items())})

json.dump(out, sys.stdout, indent=2, sort_keys=True)
sys.stdout.write("\n")
