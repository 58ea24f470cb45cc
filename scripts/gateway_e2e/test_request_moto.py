"""`sigv4 request` with a raw `+` in the query against moto_server with signature checking
on (#21): the CLI sends the `%2B` it signs (README, deliberate differences), so moto accepts
the signature and reads a plus sign, as the README promises.
"""
import os
import subprocess

import boto3

from conftest import SIGV4


def run_sigv4(moto, *args):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "AWS_ACCESS_KEY_ID": moto["real"][0],
        "AWS_SECRET_ACCESS_KEY": moto["real"][1],
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
    return subprocess.run([SIGV4, "request", "--service", "s3", *args],
                          env=env, capture_output=True, timeout=60)


def test_a_raw_plus_in_the_query_is_accepted_by_moto_and_means_plus(moto):
    s3 = boto3.client("s3", endpoint_url=moto["url"], region_name="us-east-1",
                      aws_access_key_id=moto["real"][0], aws_secret_access_key=moto["real"][1])
    s3.create_bucket(Bucket="plus-check")
    for key in ("a+b.txt", "a b.txt"):
        s3.put_object(Bucket="plus-check", Key=key, Body=b"x")

    url = f"{moto['url']}/plus-check?list-type=2&prefix=a+b"
    out = run_sigv4(moto, "-f", "-s", "-v", url)
    err = out.stderr.decode(errors="replace")
    assert out.returncode == 0, err
    body = out.stdout.decode()
    # moto checked the signature (a wrong one is a 403 and -f exits 22) and read a plus.
    assert "<Key>a+b.txt</Key>" in body, body
    assert "<Key>a b.txt</Key>" not in body, body
    assert "raw '+' is sent as %2B" in err, err

    # The same request with a wrong secret is refused: moto really checks signatures here.
    bad = dict(moto, real=(moto["real"][0], "wrong-secret"))
    refused = run_sigv4(bad, "-f", "-s", url)
    assert refused.returncode == 22, refused.stderr

    # A space written %20 lists the other key.
    out = run_sigv4(moto, "-f", "-s", f"{moto['url']}/plus-check?list-type=2&prefix=a%20b")
    assert out.returncode == 0, out.stderr
    assert "<Key>a b.txt</Key>" in out.stdout.decode()
    assert "<Key>a+b.txt</Key>" not in out.stdout.decode()
