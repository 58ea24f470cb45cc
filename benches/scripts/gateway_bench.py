"""Benchmark of `sigv4 gateway` against moto_server (run by benches/scripts/gateway.sh).

Reports: the gateway's peak RSS (VmHWM) after streaming a file through it, the throughput
of `aws s3 cp` through the gateway and directly to moto, and the latency the gateway adds
per request (p50/p99, boto3 HeadObject) at 1 and 64 concurrent clients. Measurements, not
pass/fail tests, except the memory bound the issue sets (peak RSS < 96 MiB).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "gateway_e2e"))
from conftest import free_port, wait_port  # noqa: E402

SIGV4 = os.environ["SIGV4_BIN"]
MIB = int(os.environ.get("GATEWAY_BENCH_MIB", "200"))
REQUESTS = int(os.environ.get("GATEWAY_BENCH_REQUESTS", "400"))
SANDBOX = ("AKIDBENCH0001", "bench-sandbox-secret")


def vm_hwm_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def latencies(s3, clients, n):
    out, lock = [], threading.Lock()

    def worker(k):
        mine = []
        for _ in range(k):
            t = time.perf_counter()
            s3.head_object(Bucket="sandbox-bench", Key="small")
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            out.extend(mine)

    per = max(1, n // clients)
    threads = [threading.Thread(target=worker, args=(per,)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def cp_seconds(env, src, dest):
    t = time.perf_counter()
    subprocess.run(["aws", "s3", "cp", str(src), dest], env=env, check=True, capture_output=True, timeout=1200)
    return time.perf_counter() - t


def main():
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    port = free_port()
    moto = subprocess.Popen(["moto_server", "-p", str(port)], env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gw = None
    try:
        wait_port(port, moto, "moto_server")
        url = f"http://127.0.0.1:{port}"
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        iam.create_user(UserName="gateway")
        key = iam.create_access_key(UserName="gateway")["AccessKey"]
        iam.put_user_policy(UserName="gateway", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        real = (key["AccessKeyId"], key["SecretAccessKey"])
        keys = work / "keys.toml"
        keys.write_text(f'[[key]]\naccess_key_id = "{SANDBOX[0]}"\nsecret_access_key = "{SANDBOX[1]}"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=real[0], AWS_SECRET_ACCESS_KEY=real[1], AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=str(work / "none"), AWS_SHARED_CREDENTIALS_FILE=str(work / "none"))
        gw = subprocess.Popen([SIGV4, "gateway", "--keys", str(keys), "--listen", "127.0.0.1:0",
                               "--endpoint-url", url], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
        gw_url = re.match(r"listening on (\S+)", gw.stdout.readline()).group(1)
        idle_kib = vm_hwm_kib(gw.pid)

        cfg = Config(retries={"max_attempts": 1}, max_pool_connections=64)
        direct = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=real[0],
                              aws_secret_access_key=real[1], config=cfg)
        via = boto3.client("s3", endpoint_url=gw_url, region_name="us-east-1", aws_access_key_id=SANDBOX[0],
                           aws_secret_access_key=SANDBOX[1], config=cfg)
        via.create_bucket(Bucket="sandbox-bench")
        via.put_object(Bucket="sandbox-bench", Key="small", Body=b"x" * 100)

        src = work / "big.bin"
        with open(src, "wb") as f:
            block = os.urandom(1024 * 1024)
            for _ in range(MIB):
                f.write(block)
        cli_env = dict(env, AWS_DEFAULT_REGION="us-east-1")
        direct_s = cp_seconds(dict(cli_env, AWS_ENDPOINT_URL=url), src, "s3://sandbox-bench/direct.bin")
        via_env = dict(cli_env, AWS_ENDPOINT_URL=gw_url, AWS_ACCESS_KEY_ID=SANDBOX[0], AWS_SECRET_ACCESS_KEY=SANDBOX[1])
        via_s = cp_seconds(via_env, src, "s3://sandbox-bench/via.bin")
        # One PutObject of the whole file (no multipart): one body streamed through.
        t = time.perf_counter()
        with open(src, "rb") as f:
            via.put_object(Bucket="sandbox-bench", Key="single.bin", Body=f)
        single_s = time.perf_counter() - t
        peak_kib = vm_hwm_kib(gw.pid)

        rows = []
        for clients in (1, 64):
            n = REQUESTS if clients == 1 else REQUESTS * 4
            d = latencies(direct, clients, n)
            v = latencies(via, clients, n)
            rows.append((clients, percentile(d, 50), percentile(d, 99), percentile(v, 50), percentile(v, 99)))

        print(f"## sigv4 gateway benchmark ({MIB} MiB, moto_server with signature checking)")
        print(f"peak RSS of the gateway: {peak_kib / 1024:.1f} MiB (idle {idle_kib / 1024:.1f} MiB) after "
              f"aws s3 cp of {MIB} MiB and one {MIB} MiB PutObject through it")
        print(f"aws s3 cp {MIB} MiB: direct {direct_s:.1f} s ({MIB / direct_s:.1f} MiB/s), "
              f"through the gateway {via_s:.1f} s ({MIB / via_s:.1f} MiB/s)")
        print(f"single PutObject {MIB} MiB through the gateway: {single_s:.1f} s ({MIB / single_s:.1f} MiB/s)")
        print("| clients | direct p50 | direct p99 | gateway p50 | gateway p99 | added p50 | added p99 |")
        print("|---|---|---|---|---|---|---|")
        for c, dp50, dp99, vp50, vp99 in rows:
            print(f"| {c} | {dp50:.2f} ms | {dp99:.2f} ms | {vp50:.2f} ms | {vp99:.2f} ms | "
                  f"{vp50 - dp50:+.2f} ms | {vp99 - dp99:+.2f} ms |")
        if peak_kib >= 96 * 1024:
            print(f"FAIL: peak RSS {peak_kib / 1024:.1f} MiB is not under 96 MiB")
            return 1
        return 0
    finally:
        if gw:
            gw.terminate()
            gw.wait(30)
        moto.terminate()
        moto.wait(10)


if __name__ == "__main__":
    sys.exit(main())
