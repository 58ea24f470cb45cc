#!/usr/bin/env python3
"""Asks botocore which host it sends each service's requests to and which signing scope it
signs them with: the expected values of `sigv4::infer`'s test
(crates/sigv4/tests/data/botocore-hosts.tsv).

For every service model botocore ships and a few regions (one or more per partition), it
creates a client with dummy credentials, calls one operation (with placeholder values for the
required input) and stops the request in botocore's `before-sign` event: the host is the
prepared URL's, the signing name, region and signature version are the ones botocore is about
to sign with (after its endpoint rule set and auth-scheme overrides), i.e. botocore's own
choice. S3's host forms (virtual host, access point, Object Lambda, Outposts, Multi-Region
Access Point, S3 Express) come from S3 calls with such buckets. Nothing leaves the machine.

    python3 -m venv /tmp/bv && /tmp/bv/bin/pip install botocore==VERSION
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
      /tmp/bv/bin/python scripts/infer/botocore_hosts.py > crates/sigv4/tests/data/botocore-hosts.tsv
"""
import datetime
import sys

import botocore
import botocore.session
from botocore.config import Config

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]
ACCOUNT = "123456789012"
S3_BUCKETS = [
    "amzn-s3-demo-bucket",
    f"arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/myap",
    f"arn:aws:s3-object-lambda:us-west-2:{ACCOUNT}:accesspoint/myolap",
    f"arn:aws:s3-outposts:us-west-2:{ACCOUNT}:outpost/op-01ac5d28a6a232904/accesspoint/opap",
    f"arn:aws:s3::{ACCOUNT}:accesspoint/mfzwi23gnjvgw.mrap",
    "mybucket--usw2-az1--x-s3",
]


class Captured(Exception):
    pass


def capture(request, signing_name, region_name, signature_version, **_):
    ctx = request.context.get("signing", {})
    raise Captured(
        request.url,
        ctx.get("signing_name") or signing_name,
        ctx.get("region") or region_name,
        "unsigned" if signature_version is botocore.UNSIGNED else str(signature_version),
    )


def placeholder(shape, depth=0):
    """The smallest value botocore's validation accepts for a shape."""
    t = shape.type_name
    if t == "structure":
        return {m: placeholder(shape.members[m], depth + 1) for m in shape.required_members}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return "a" * max(1, shape.metadata.get("min", 1))
    if t in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if t in ("float", "double"):
        return 1.0
    if t == "boolean":
        return False
    if t == "blob":
        return b"a"
    if t == "timestamp":
        return datetime.datetime(2026, 1, 1)
    if t == "list":
        n = shape.metadata.get("min", 0)
        return [placeholder(shape.member, depth + 1) for _ in range(n)] if depth < 4 else []
    if t == "map":
        return {}
    return None


def first_operation(model):
    """An operation without event-stream input, preferring one without required input."""
    ops = [model.operation_model(n) for n in model.operation_names]
    ops = [o for o in ops if not o.get_event_stream_input()]
    ops.sort(key=lambda o: bool(o.input_shape and o.input_shape.required_members))
    return ops[0] if ops else None


def call(session, config, service, region, op_name, params):
    client = session.create_client(
        service,
        region_name=region,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=config,
    )
    client.meta.events.register("before-sign", capture)
    try:
        getattr(client, botocore.xform_name(op_name))(**params)
    except Captured as c:
        url, name, signing_region, version = c.args
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        return (host, name, signing_region, version)
    return None


def main():
    session = botocore.session.get_session()
    config = Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=1)
    rows = set()
    jobs = []
    for service in session.get_available_services():
        op = first_operation(session.get_service_model(service))
        if op is None:
            continue
        params = placeholder(op.input_shape) if op.input_shape else {}
        jobs += [(service, r, op.name, params) for r in REGIONS]
    for bucket in S3_BUCKETS:
        jobs += [("s3", r, "ListObjectsV2", {"Bucket": bucket}) for r in ("us-east-1", "us-west-2")]
    for service, region, op_name, params in jobs:
        try:
            row = call(session, config, service, region, op_name, params)
        except Exception as e:  # the region is not in the partition, bearer auth, ...
            print(f"# {service} {region}: {type(e).__name__}: {e}"[:200], file=sys.stderr)
            continue
        if row and "." not in row[0].split(":")[0]:
            # A development endpoint in the model (localhost), not an AWS host.
            print(f"# {service} {region}: not an AWS host: {row}", file=sys.stderr)
        elif row and row[3] not in ("None", "bearer"):
            # An unsigned operation still shows the scope botocore signs the others with.
            rows.add(row)
        else:
            print(f"# {service} {region}: not signed with SigV4: {row}", file=sys.stderr)
    print(f"# host\tsigning name\tsigning region\tbotocore signature version -- botocore "
          f"{botocore.__version__}, generated by scripts/infer/botocore_hosts.py")
    for row in sorted(rows):
        print("\t".join(row))


if __name__ == "__main__":
    main()
