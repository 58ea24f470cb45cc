#!/usr/bin/env python3
"""Regenerates crates/sigv4/src/infer/aws_table.rs, the table `sigv4::infer` reads, from
botocore's copy of AWS's own data:

* every service model (`botocore/data/<service>/<latest version>/service-2.json`): its
  `metadata.endpointPrefix` (the host label) and `metadata.signingName` (the name in the
  credential scope; the endpoint prefix when absent);
* `botocore/data/endpoints.json`: per-endpoint `credentialScope.service` overrides, and the
  global endpoints of each partition (`partitionEndpoint` of non-regionalized services) with
  the region they sign for;
* `botocore/data/partitions.json`: each partition's DNS suffix and dual-stack DNS suffix.

    python3 -m venv /tmp/bv && /tmp/bv/bin/pip install botocore==VERSION
    /tmp/bv/bin/python scripts/infer/gen_table.py > crates/sigv4/src/infer/aws_table.rs
    cargo fmt -p sigv4-rs

Hosts no botocore model describes (execute-api, es domains, Lambda function URLs, AppSync
GraphQL APIs, Transcribe streaming) are handled in infer.rs, each with its AWS reference.
"""
import json
import os
import re

import botocore
from botocore.loaders import Loader

REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")
DATA = os.path.join(os.path.dirname(botocore.__file__), "data")


URL = re.compile(
    r"^https://([a-z0-9.-]+?)\.(?:\{Region\}|\{PartitionResult#implicitGlobalRegion\}"
    r"|[a-z]{2,4}(?:-[a-z]+)+-\d+)\."
)


def host_labels(loader, service, model):
    """The service labels of the hosts the model's endpoint rule set builds
    (`https://LABELS.{Region}.{dnsSuffix}`) and of its operations' static host prefixes
    (`hostPrefix` + endpoint prefix, e.g. `analytics-omics`)."""
    labels, prefixed = set(), set()
    try:
        rules = loader.load_service_model(service, "endpoint-rule-set-1")
    except Exception:
        rules = {}
    for url in re.findall(r'"url": "([^"]+)"', json.dumps(rules)):
        m = URL.match(url)
        if m:
            labels.add(".".join(label.removesuffix("-fips") for label in m.group(1).split(".")))
    prefix = model["metadata"].get("endpointPrefix")
    for op in model.get("operations", {}).values():
        host_prefix = op.get("endpoint", {}).get("hostPrefix", "")
        if host_prefix and "{" not in host_prefix:
            prefixed.add(host_prefix + prefix)
    return labels, prefixed


def service_models():
    loader = Loader()
    for service in loader.list_available_services("service-2"):
        model = loader.load_service_model(service, "service-2")
        meta = model["metadata"]
        prefix = meta.get("endpointPrefix")
        if prefix:
            auth = meta.get("auth") or []
            yield (service, prefix, meta.get("signingName", prefix),
                   auth[:1] == ["aws.auth#sigv4a"], host_labels(loader, service, model))


def main():
    names = {}
    sigv4a = set()
    hosts = {}
    prefixed = {}
    for service, prefix, signing, v4a, labels in service_models():
        names.setdefault(prefix, set()).add(signing)
        if v4a:
            sigv4a.add(signing)
        for label in labels[0] - {prefix}:
            hosts.setdefault(label, set()).add(signing)
        for label in labels[1] - {prefix}:
            prefixed.setdefault(label, set()).add(signing)
    endpoints = json.load(open(os.path.join(DATA, "endpoints.json")))
    overrides = {}
    globals_ = {}
    non_regional = {}
    for part in endpoints["partitions"]:
        suffix = part["dnsSuffix"]
        for prefix, svc in part["services"].items():
            scopes = [svc.get("defaults", {}).get("credentialScope", {})]
            # An endpoint with its own hostname is a host of its own (below), not the prefix's.
            scopes += [e.get("credentialScope", {}) for e in svc.get("endpoints", {}).values()
                       if "hostname" not in e]
            for scope in scopes:
                if "service" in scope:
                    overrides.setdefault(prefix, set()).add(scope["service"])
            pe = svc.get("partitionEndpoint")
            region = svc.get("endpoints", {}).get(pe, {}).get("credentialScope", {}).get("region")
            if pe and not svc.get("isRegionalized", True) and region:
                # Not regionalized: botocore signs every host of the service in the partition
                # for the partition endpoint's region (health.eu-west-1: us-east-1).
                non_regional[(prefix, part["partition"])] = region
            for key, ep in svc.get("endpoints", {}).items():
                # Hosts that do not name the region they sign for: global endpoints
                # (iam.amazonaws.com) and legacy ones (sdb.amazonaws.com for us-east-1).
                host = ep.get("hostname")
                scope = ep.get("credentialScope", {})
                region = scope.get("region") or (key if REGION.match(key) else None)
                names_region = host and any(REGION.match(label) for label in host.split("."))
                if host and "." in host and region and not names_region:
                    globals_[host] = (prefix, scope.get("service"), region)
    table = {}
    for prefix in sorted(set(names) | set(overrides)):
        candidates = overrides.get(prefix) or names.get(prefix)
        # One signing name per prefix; where models disagree the endpoints.json scope wins,
        # then the name equal to the prefix (the default).
        name = prefix if prefix in candidates else sorted(candidates)[0]
        table[prefix] = name
    # Host labels from the rule sets and host prefixes that are no model's endpoint prefix,
    # where every model building them agrees on the signing name.
    # A rule set's host wins over an operation's host prefix (`maps.geo` is geo-maps' host and
    # a host prefix of the older location service).
    for found in (hosts, prefixed):
        for label, signing in found.items():
            if label not in table and len(signing) == 1:
                table[label] = next(iter(signing))
    partitions = json.load(open(os.path.join(DATA, "partitions.json")))["partitions"]
    suffixes = []
    for p in partitions:
        out = p["outputs"]
        suffixes.append((out["dnsSuffix"], p["id"], False))
        suffixes.append((out["dualStackDnsSuffix"], p["id"], True))
    # Ties (one suffix shared by partitions: amazonaws.com is aws and aws-us-gov) are
    # broken by partition id, so the output does not depend on set order (string hashes
    # are randomized per run); sigv4::infer takes the first match, `aws`.
    suffixes = sorted(set(suffixes), key=lambda s: (-len(s[0]), s[0], s[1], s[2]))

    def q(s):
        return json.dumps(s)

    print(f"""//! GENERATED by `scripts/infer/gen_table.py` from botocore {botocore.__version__}'s data
//! (`botocore/data/*/*/service-2.json` metadata, `endpoints.json`, `partitions.json`): AWS's
//! own service models. Do not edit; regenerate with a newer botocore instead.

/// The botocore release the tables below were generated from.
pub(crate) const BOTOCORE_VERSION: &str = {q(botocore.__version__)};

/// Every endpoint prefix (the service's host label) with the signing name AWS signs it with,
/// sorted by prefix for binary search.
pub(crate) static SIGNING_NAMES: &[(&str, &str)] = &[""")
    for prefix in sorted(table):
        print(f"    ({q(prefix)}, {q(table[prefix])}),")
    print("""];

/// The DNS suffixes of the AWS partitions, longest first: `(suffix, partition, dual-stack)`.
pub(crate) static DNS_SUFFIXES: &[(&str, &str, bool)] = &[""")
    for suffix, pid, dual in suffixes:
        print(f"    ({q(suffix)}, {q(pid)}, {str(dual).lower()}),")
    print("""];

/// The global endpoints (one per partition for services that are not regionalized), sorted
/// by host: `(host, endpoint prefix, signing name override, signing region)`.
pub(crate) static GLOBAL_ENDPOINTS: &[(&str, &str, Option<&str>, &str)] = &[""")
    for host in sorted(globals_):
        prefix, service, region = globals_[host]
        svc = f"Some({q(service)})" if service else "None"
        print(f"    ({q(host)}, {q(prefix)}, {svc}, {q(region)}),")
    print("""];

/// The services that are not regionalized: every host of the service in the partition signs
/// for one region, `(endpoint prefix, partition, signing region)`, sorted.
pub(crate) static NON_REGIONAL: &[(&str, &str, &str)] = &[""")
    for (prefix, pid), region in sorted(non_regional.items()):
        print(f"    ({q(prefix)}, {q(pid)}, {q(region)}),")
    print("""];

/// The signing names whose model lists SigV4a first (`metadata.auth`): botocore signs them
/// for the region set `*` when it can (with awscrt), sorted.
pub(crate) static SIGV4A_FIRST: &[&str] = &[""")
    for prefix in sorted(sigv4a):
        print(f"    {q(prefix)},")
    print("];")


if __name__ == "__main__":
    main()
