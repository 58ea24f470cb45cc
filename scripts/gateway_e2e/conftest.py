"""Fixtures for the `sigv4 gateway` end-to-end tests.

moto_server runs with signature checking on (INITIAL_NO_AUTH_ACTION_COUNT): the first
requests create an IAM user, its access key and an allow-all policy; that key is the
gateway's real credential. Between the gateway and moto sits a byte-counting TCP relay, so
a test can prove that a refused request sent nothing upstream.
"""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
SIGV4 = os.environ.get("SIGV4_BIN", str(REPO / "target" / "debug" / "sigv4"))

SANDBOX = {
    # s3 (sandbox-* buckets), sts, dynamodb, sqs in us-east-1
    "main": ("AKIDSANDBOX0001", "sandbox-secret-0001-do-not-leak"),
    # only s3, only bucket "other-*"
    "narrow": ("AKIDSANDBOX0002", "sandbox-secret-0002-do-not-leak"),
    # expired
    "expired": ("AKIDSANDBOX0003", "sandbox-secret-0003-do-not-leak"),
    # acts as a role assumed through moto's STS
    "role": ("AKIDSANDBOX0004", "sandbox-secret-0004-do-not-leak"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start on port {port}")


class Relay:
    """A TCP relay 127.0.0.1:port -> moto, counting the bytes sent upstream."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.upstream_bytes = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, src, dst, count):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.upstream_bytes += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def sent(self):
        with self.lock:
            return self.upstream_bytes


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3", MOTO_ACCOUNT_ID="123456789012")
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    proc = subprocess.Popen(["moto_server", "-p", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_port(port, proc, "moto_server")
        url = f"http://127.0.0.1:{port}"
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName="gateway")
        key = iam.create_access_key(UserName="gateway")["AccessKey"]
        iam.put_user_policy(UserName="gateway", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        real = (key["AccessKeyId"], key["SecretAccessKey"])
        # From here on moto checks every signature: prove it with a wrong secret.
        bad = boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id=real[0], aws_secret_access_key="wrong")
        with pytest.raises(Exception):
            bad.get_caller_identity()
        admin = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                             aws_access_key_id=real[0], aws_secret_access_key=real[1])
        role = admin.create_role(RoleName="sandbox-role", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
        admin.put_role_policy(RoleName="sandbox-role", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        yield {"url": url, "port": port, "real": real, "role_arn": role["Role"]["Arn"]}
    finally:
        proc.terminate()
        proc.wait(10)


def keys_toml(role_arn):
    m, n, e, r = (SANDBOX[k] for k in ("main", "narrow", "expired", "role"))
    return f"""
[[key]]
access_key_id = "{m[0]}"
secret_access_key = "{m[1]}"
principal = "agent-main"
services = ["s3", "sts", "dynamodb", "sqs"]
regions = ["us-east-1"]
s3_buckets = ["sandbox-*"]

[[key]]
access_key_id = "{n[0]}"
secret_access_key = "{n[1]}"
services = ["s3"]
s3_buckets = ["other-*"]

[[key]]
access_key_id = "{e[0]}"
secret_access_key = "{e[1]}"
expires = "2020-01-01T00:00:00Z"

[[key]]
access_key_id = "{r[0]}"
secret_access_key = "{r[1]}"
role_arn = "{role_arn}"
"""


@pytest.fixture(scope="session")
def gateway(moto, tmp_path_factory):
    d = tmp_path_factory.mktemp("gateway")
    relay = Relay(moto["port"])
    keys = d / "keys.toml"
    keys.write_text(keys_toml(moto["role_arn"]))
    audit = d / "audit.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=moto["real"][0], AWS_SECRET_ACCESS_KEY=moto["real"][1],
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(d / "none"), AWS_SHARED_CREDENTIALS_FILE=str(d / "none"))
    err = open(d / "gateway.log", "w")
    proc = subprocess.Popen(
        [SIGV4, "gateway", "--keys", str(keys), "--listen", "127.0.0.1:0",
         "--endpoint-url", f"http://127.0.0.1:{relay.port}", "--audit-log", str(audit),
         "--keys-poll", "0"],
        env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    line = proc.stdout.readline()
    m = re.match(r"listening on (http://\S+)", line)
    assert m, f"unexpected first line {line!r}"
    try:
        yield {"url": m.group(1), "relay": relay, "audit": audit, "keys": keys, "proc": proc,
               "log": d / "gateway.log", "moto": moto}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        assert proc.returncode == 0, f"gateway exit {proc.returncode}"


def client(gateway, service, who="main", secret=None, **config):
    akid, sk = SANDBOX[who] if isinstance(who, str) else who
    from botocore.config import Config
    return boto3.client(service, endpoint_url=gateway["url"], region_name=config.pop("region", "us-east-1"),
                        aws_access_key_id=akid, aws_secret_access_key=secret or sk,
                        config=Config(retries={"max_attempts": 1}, **config))
