"""`sigv4 gateway` end to end: unmodified boto3 and aws-cli with sandbox keys, through the
gateway, to moto_server with signature checking on."""
import hashlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import SANDBOX, client

LARGE_MIB = int(os.environ.get("SIGV4_GATEWAY_E2E_MIB", "200"))


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def refused_without_upstream(gateway, call, code):
    """`call` fails with `code`, and not one byte reached moto meanwhile."""
    before = gateway["relay"].sent()
    with pytest.raises(ClientError) as e:
        call()
    assert error_code(e) == code, e.value.response
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    time.sleep(0.1)
    assert gateway["relay"].sent() == before, "a refused request reached the upstream"
    return e


def test_sts_answers_as_the_real_identity(gateway):
    ident = client(gateway, "sts").get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::123456789012:user/gateway"


def test_s3_create_put_get_list_with_default_checksums(gateway):
    s3 = client(gateway, "s3")
    s3.create_bucket(Bucket="sandbox-basic")
    body = b"hello gateway " * 1000
    put = s3.put_object(Bucket="sandbox-basic", Key="dir/a b+c.txt", Body=body)
    # boto3's default checksum (CRC32 or newer) went through and was kept.
    assert any(k.startswith("ChecksumCRC") for k in put), put
    got = s3.get_object(Bucket="sandbox-basic", Key="dir/a b+c.txt")
    assert got["Body"].read() == body
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="sandbox-basic", Prefix="dir/")["Contents"]]
    assert keys == ["dir/a b+c.txt"]


def test_s3_multipart_upload(gateway):
    s3 = client(gateway, "s3")
    s3.create_bucket(Bucket="sandbox-mpu")
    up = s3.create_multipart_upload(Bucket="sandbox-mpu", Key="big")
    parts = []
    chunks = [os.urandom(5 * 1024 * 1024), os.urandom(1024 * 1024)]
    for i, c in enumerate(chunks, 1):
        r = s3.upload_part(Bucket="sandbox-mpu", Key="big", UploadId=up["UploadId"], PartNumber=i, Body=c)
        parts.append({"PartNumber": i, "ETag": r["ETag"]})
    s3.complete_multipart_upload(Bucket="sandbox-mpu", Key="big", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket="sandbox-mpu", Key="big")["Body"].read()
    assert got == b"".join(chunks)


def test_aws_cli_cp_large_file(gateway, tmp_path):
    src = tmp_path / "large.bin"
    block = os.urandom(1024 * 1024)
    with open(src, "wb") as f:
        for i in range(LARGE_MIB):
            f.write(block[:-1] + bytes([i % 256]))
    akid, secret = SANDBOX["main"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL=gateway["url"], AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true")
    run = lambda *a: subprocess.run(["aws", *a], env=env, check=True, capture_output=True, text=True, timeout=600)
    run("s3", "mb", "s3://sandbox-cli")
    run("s3", "cp", str(src), "s3://sandbox-cli/large.bin")
    listing = run("s3", "ls", "s3://sandbox-cli/").stdout
    assert "large.bin" in listing and str(LARGE_MIB * 1024 * 1024) in listing, listing
    back = tmp_path / "back.bin"
    run("s3", "cp", "s3://sandbox-cli/large.bin", str(back))
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()


def test_presigned_get_made_with_a_sandbox_key(gateway):
    s3 = client(gateway, "s3")
    s3.create_bucket(Bucket="sandbox-presign")
    s3.put_object(Bucket="sandbox-presign", Key="p.txt", Body=b"presigned!")
    params = {"Bucket": "sandbox-presign", "Key": "p.txt"}
    # boto3's legacy default for us-east-1 presigns with SigV2: not accepted, not forwarded.
    v2 = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert "X-Amz-Signature" not in v2
    before = gateway["relay"].sent()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(v2, timeout=10)
    assert e.value.code == 403 and gateway["relay"].sent() == before
    s3v4 = client(gateway, "s3", signature_version="s3v4")
    url = s3v4.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert "X-Amz-Signature" in url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"presigned!"
    # The same URL for another key of the bucket: refused, nothing forwarded.
    before = gateway["relay"].sent()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("/p.txt", "/q.txt"), timeout=10)
    assert e.value.code == 403 and b"SignatureDoesNotMatch" in e.value.read()
    assert gateway["relay"].sent() == before


def test_dynamodb_round_trip(gateway):
    ddb = client(gateway, "dynamodb")
    ddb.create_table(TableName="sandbox-t", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="sandbox-t", Item={"id": {"S": "1"}, "v": {"S": "one"}})
    got = ddb.get_item(TableName="sandbox-t", Key={"id": {"S": "1"}})
    assert got["Item"]["v"]["S"] == "one"


def test_sqs_round_trip(gateway):
    sqs = client(gateway, "sqs")
    q = sqs.create_queue(QueueName="sandbox-q")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="hi from the sandbox")
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["hi from the sandbox"]


def test_unknown_key_is_invalid_access_key_id(gateway):
    s3 = client(gateway, "s3", who=("AKIDNOBODY", "whatever"))
    refused_without_upstream(gateway, lambda: s3.list_objects_v2(Bucket="sandbox-basic"), "InvalidAccessKeyId")
    sts = client(gateway, "sts", who=("AKIDNOBODY", "whatever"))
    refused_without_upstream(gateway, sts.get_caller_identity, "InvalidAccessKeyId")


def test_bad_signature_is_signature_does_not_match(gateway):
    s3 = client(gateway, "s3", secret="not-the-sandbox-secret")
    refused_without_upstream(gateway, lambda: s3.put_object(Bucket="sandbox-basic", Key="x", Body=b"x"),
                             "SignatureDoesNotMatch")
    ddb = client(gateway, "dynamodb", secret="not-the-sandbox-secret")
    refused_without_upstream(gateway, ddb.list_tables, "SignatureDoesNotMatch")


def test_outside_limits_is_access_denied(gateway):
    s3 = client(gateway, "s3")
    refused_without_upstream(gateway, lambda: s3.create_bucket(Bucket="production"), "AccessDenied")
    refused_without_upstream(gateway, s3.list_buckets, "AccessDenied")
    narrow = client(gateway, "s3", who="narrow")
    refused_without_upstream(gateway, lambda: narrow.get_object(Bucket="sandbox-basic", Key="x"), "AccessDenied")
    refused_without_upstream(gateway, client(gateway, "sqs", who="narrow").list_queues, "AccessDenied")
    refused_without_upstream(gateway, client(gateway, "s3", region="eu-west-1").list_buckets, "AccessDenied")
    refused_without_upstream(gateway, client(gateway, "lambda").list_functions, "AccessDenied")
    # STS calls that return credentials would hand out the gateway's own.
    refused_without_upstream(gateway, client(gateway, "sts").get_session_token, "AccessDenied")
    refused_without_upstream(gateway, lambda: client(gateway, "sts").assume_role(
        RoleArn=gateway["moto"]["role_arn"], RoleSessionName="escape"), "AccessDenied")
    expired = client(gateway, "sts", who="expired")
    refused_without_upstream(gateway, expired.get_caller_identity, "AccessDenied")


def test_role_arn_key_acts_as_the_assumed_role(gateway):
    ident = client(gateway, "sts", who="role").get_caller_identity()
    assert ":assumed-role/sandbox-role/" in ident["Arn"], ident["Arn"]
    assert "sigv4-gateway-AKIDSANDBOX0004" in ident["Arn"]


def test_keys_reload_on_sighup(gateway):
    keys = gateway["keys"]
    original = keys.read_text()
    newkey = ("AKIDSANDBOX0099", "sandbox-secret-0099-do-not-leak")
    sts = client(gateway, "sts", who=newkey)
    refused_without_upstream(gateway, sts.get_caller_identity, "InvalidAccessKeyId")
    keys.write_text(original + f'\n[[key]]\naccess_key_id = "{newkey[0]}"\nsecret_access_key = "{newkey[1]}"\n')
    gateway["proc"].send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while True:
        try:
            assert sts.get_caller_identity()["Arn"].endswith("user/gateway")
            break
        except ClientError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    keys.write_text(original)
    gateway["proc"].send_signal(signal.SIGHUP)
    time.sleep(0.5)
    refused_without_upstream(gateway, sts.get_caller_identity, "InvalidAccessKeyId")


def test_health_and_audit_log(gateway):
    with urllib.request.urlopen(gateway["url"] + "/health", timeout=5) as r:
        assert r.status == 200 and r.read() == b"ok\n"
    client(gateway, "sts").get_caller_identity()
    time.sleep(0.2)
    text = gateway["audit"].read_text()
    lines = [json.loads(l) for l in text.splitlines()]
    assert lines, "no audit lines"
    for needle in [s for _, s in SANDBOX.values()] + [gateway["moto"]["real"][1], "X-Amz-Signature", "Signature="]:
        assert needle not in text, f"the audit log holds {needle!r}"
    last = lines[-1]
    assert last["operation"] == "GetCallerIdentity" and last["service"] == "sts" and last["status"] == 200
    assert last["access_key_id"] == "AKIDSANDBOX0001" and last["principal"] == "agent-main" and last["verified"]
    refusals = {l["refusal"] for l in lines if l["refusal"]}
    assert {"InvalidAccessKeyId", "SignatureDoesNotMatch"} <= refusals, refusals
    assert any(r.startswith("AccessDenied:") for r in refusals), refusals
    assert all(not l["forwarded"] for l in lines if l["refusal"])
    log = gateway["log"].read_text()
    for needle in [s for _, s in SANDBOX.values()] + [gateway["moto"]["real"][1]]:
        assert needle not in log, f"the gateway's log holds {needle!r}"
