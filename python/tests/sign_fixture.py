"""Signs a fixed set of requests and prints every result, one JSON line each.

check-aarch64.sh runs it with the x86_64 wheel (natively) and with an aarch64 wheel (under
qemu) and fails unless both print the same bytes. It also checks one result against the AWS
test suite's published signature (get-vanilla), so two equally wrong builds cannot agree.
Fixed credentials and timestamps only: nothing here depends on the machine or the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from urllib.parse import urlparse

import sigv4
from sigv4.compat.sosw import AwsSigV4RequestGenerator

AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEAoaCXVzLWVhc3QtMSJHMEUCIQDexample/token+with/slashes=="
WHEN = dt.datetime(2015, 8, 30, 12, 36, 0)

# (method, url, headers, body, service)
REQUESTS = [
    ("GET", "https://example.amazonaws.com/", {"X-Amz-Date": "20150830T123600Z"}, b"", "service"),
    ("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1&Param1=value0", {}, b"", "service"),
    ("POST", "https://dynamodb.us-east-1.amazonaws.com/",
     {"content-type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
     b"{}", "dynamodb"),
    ("PUT", "https://bucket.s3.amazonaws.com/a%20key/%E2%82%AC/./x", {"content-type": "text/plain"},
     b"hello", "s3"),
    ("GET", "https://example.amazonaws.com/a/../b//c/%7Euser/", {"My-Header1": "  a   b   c  "}, b"", "execute-api"),
    ("PUT", "https://bucket.s3.amazonaws.com/big", {}, bytes(range(256)) * 4096, "s3"),  # 1 MiB, GIL released
    ("POST", "https://sts.amazonaws.com/", {}, "Action=GetCallerIdentity&Version=2011-06-15", "sts"),
]


def results():
    creds = sigv4.Credentials(AK, SK)
    with_token = sigv4.Credentials(AK, SK, TOKEN)
    for i, (method, url, headers, body, service) in enumerate(REQUESTS):
        for label, c in (("plain", creds), ("token", with_token)):
            signer = sigv4.Signer("us-east-1", service, c)
            out = signer.sign_request(method, url, headers, body, WHEN)
            yield {
                "case": i, "creds": label, "headers": signer.sign(method, url, headers, body, WHEN),
                "canonical_request": out.canonical_request, "string_to_sign": out.string_to_sign,
                "signature": out.signature, "url": out.url,
                "presigned": signer.presign(method, url, 900, headers, body, WHEN),
            }
    key = sigv4.SigningKey(SK, "us-east-1", "service", "20150830")
    yield {"signing_key": key.to_bytes().hex(), "scope": key.scope, "sign": key.sign("x" * 100)}
    yield {"payload_hash": sigv4.payload_hash(bytes(range(256)) * 1000)}
    sosw = AwsSigV4RequestGenerator(aws_service="es", aws_access_key_id=AK, aws_secret_access_key=SK,
                                    aws_region="eu-west-1", aws_host="search.example.com")
    sosw.amzdate, sosw.datestamp = "20150830T123600Z", "20150830"
    parsed = urlparse("https://search.example.com/idx/_search?q=a%20b&size=10")
    canonical = "\n".join(["GET", sosw.get_canonical_uri(parsed), sosw.get_canonical_querystring(parsed),
                           sosw.get_canonical_headers(parsed), "host;x-amz-date", sigv4.EMPTY_SHA256])
    yield {"sosw_key": sosw.get_signature_key().hex(),
           "sosw_authorization": sosw.get_authorization_header(canonical, "host;x-amz-date")}


def main() -> None:
    rows = list(results())
    # get-vanilla of the AWS SigV4 test suite: its published signature.
    assert rows[0]["signature"] == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", rows[0]
    for row in rows:
        print(json.dumps(row, sort_keys=True))
    print(json.dumps({"rows": len(rows), "python_abi": "abi3", "ok": True}))
    # Which machine computed this goes to stderr: the two outputs must stay comparable.
    print(f"sign_fixture: {len(rows)} results on {platform.machine()} from {sigv4.__file__}", file=sys.stderr)


if __name__ == "__main__":
    main()
