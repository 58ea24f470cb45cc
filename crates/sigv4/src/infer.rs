//! Guessing the signing service and region from an AWS hostname.
//!
//! Only a guess from the host's shape: callers should always let users override it. The
//! service names come from AWS's own service models (each model's endpoint prefix and signing
//! name), generated into `infer/aws_table.rs` from botocore's data by
//! `scripts/infer/gen_table.py`; `crates/sigv4/tests/infer_botocore.rs` checks the result
//! against the hosts botocore itself sends requests to.

mod aws_table;

/// The botocore release whose service models the inference table was generated from.
pub const TABLE_SOURCE: &str = aws_table::BOTOCORE_VERSION;

/// The signing service name and, when the host names one, the region.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inferred {
    /// The service name to sign with (the *signing* name: `bedrock` for bedrock-runtime,
    /// `es` for OpenSearch domains, `ses` for `email.*`, `iotdata` for `data-ats.iot`).
    pub service: String,
    /// The region, when the host carries one (global endpoints such as `iam.amazonaws.com`
    /// and `s3.amazonaws.com` give the region AWS signs them for, `us-east-1`).
    pub region: Option<String>,
    /// The SigV4a region set AWS's SDKs sign this host for (`*`), when they use SigV4a:
    /// S3 Multi-Region Access Points (which have no region), S3 on Outposts access points,
    /// and services whose model prefers SigV4a.
    pub region_set: Option<String>,
}

impl Inferred {
    fn new(service: &str, region: Option<&str>) -> Self {
        Inferred {
            service: service.to_owned(),
            region: region.map(str::to_owned),
            region_set: None,
        }
    }

    fn sigv4a(mut self) -> Self {
        self.region_set = Some("*".to_owned());
        self
    }
}

/// Infers the signing service and region from `host` (a hostname, optionally with a port).
///
/// Knows every AWS service model's endpoint prefix and signing name (from botocore
/// [`TABLE_SOURCE`]) in the `SERVICE[-fips].[dualstack.]REGION.DNS-SUFFIX` and
/// `SERVICE.REGION.api.aws` forms of every partition, the global endpoints, S3's host forms
/// (virtual-hosted and path style, legacy `s3-REGION`, dual-stack, FIPS, accelerate, access
/// points, Object Lambda, Outposts, Multi-Region Access Points, S3 Express), API Gateway
/// (`execute-api`), OpenSearch domains (`es`) and Serverless (`aoss`), Lambda function URLs,
/// AppSync GraphQL APIs and Transcribe streaming.
///
/// ```
/// use sigv4::infer::infer;
/// let i = infer("my-bucket.s3.eu-west-1.amazonaws.com").unwrap();
/// assert_eq!((i.service.as_str(), i.region.as_deref()), ("s3", Some("eu-west-1")));
/// let i = infer("bedrock-runtime.us-east-1.amazonaws.com").unwrap();
/// assert_eq!((i.service.as_str(), i.region.as_deref()), ("bedrock", Some("us-east-1")));
/// let i = infer("data-ats.iot.eu-west-1.amazonaws.com").unwrap();
/// assert_eq!(i.service, "iotdata");
/// let i = infer("mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com").unwrap();
/// assert_eq!((i.service.as_str(), i.region_set.as_deref()), ("s3", Some("*")));
/// assert!(infer("example.com").is_none());
/// ```
pub fn infer(host: &str) -> Option<Inferred> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    if let Ok(i) = aws_table::GLOBAL_ENDPOINTS.binary_search_by(|e| e.0.cmp(host.as_str())) {
        let (_, prefix, service, region) = aws_table::GLOBAL_ENDPOINTS[i];
        return Some(Inferred::new(
            service.unwrap_or_else(|| signing_name(prefix)),
            Some(region),
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    // Lambda function URLs: ID.lambda-url.REGION.on.aws
    if let [.., "lambda-url", region, "on", "aws"] = labels.as_slice() {
        return Some(Inferred::new("lambda", Some(region)));
    }
    let (n, partition, dual_stack_suffix) = strip_dns_suffix(&host)?;
    let labels = &labels[..n];
    match labels {
        // OpenSearch domains: search-NAME-ID.REGION.es.amazonaws.com
        [.., region, "es"] if is_region(region) => Some(Inferred::new("es", Some(region))),
        // OpenSearch Serverless: ID.REGION.aoss.amazonaws.com
        [.., region, "aoss"] if is_region(region) => Some(Inferred::new("aoss", Some(region))),
        // S3 Express One Zone: BUCKET--AZ--x-s3.s3express-AZ.REGION.amazonaws.com (zonal
        // endpoints, also -fips-) and s3express-control.REGION: all sign as `s3express`.
        [.., zonal, region] if zonal.starts_with("s3express-") && is_region(region) => {
            Some(Inferred::new("s3express", Some(region)))
        }
        _ if dual_stack_suffix => infer_generic(labels, partition),
        _ => infer_s3(labels).or_else(|| infer_generic(labels, partition)),
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map_or(host, |h| &h[1..]);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// The number of labels before the DNS suffix of an AWS partition (`amazonaws.com`,
/// `amazonaws.com.cn`, `api.aws`, ...), the partition, and whether it is a dual-stack suffix.
/// Partitions sharing a suffix (`aws`, `aws-us-gov`) are told apart by the region.
fn strip_dns_suffix(host: &str) -> Option<(usize, &'static str, bool)> {
    aws_table::DNS_SUFFIXES
        .iter()
        .find_map(|(suffix, partition, dual)| {
            let rest = host.strip_suffix(suffix)?.strip_suffix('.')?;
            let gov = rest
                .split('.')
                .any(|l| l.starts_with("us-gov-") && is_region(l));
            let partition = match *partition {
                "aws" | "aws-us-gov" if gov => "aws-us-gov",
                "aws" | "aws-us-gov" => "aws",
                p => p,
            };
            (!rest.is_empty()).then(|| (rest.split('.').count(), partition, *dual))
        })
}

fn infer_s3(labels: &[&str]) -> Option<Inferred> {
    match labels {
        // Multi-Region Access Points: ALIAS.mrap.accesspoint.s3-global (SigV4a, no region).
        [.., "mrap", "accesspoint", "s3-global"] => {
            return Some(Inferred::new("s3", None).sigv4a())
        }
        // Access points: NAME-ACCOUNT.s3-accesspoint[-fips][.dualstack].REGION
        [_, ap, .., region] if ap.starts_with("s3-accesspoint") && is_region(region) => {
            return Some(Inferred::new("s3", Some(region)))
        }
        // Object Lambda access points: NAME-ACCOUNT.s3-object-lambda[-fips].REGION
        [_, ol, region] if ol.starts_with("s3-object-lambda") && is_region(region) => {
            return Some(Inferred::new("s3-object-lambda", Some(region)))
        }
        // Outposts access points: NAME-ACCOUNT.OUTPOST-ID.s3-outposts.REGION (SigV4a first).
        [_, outpost, "s3-outposts", region] if outpost.starts_with("op-") && is_region(region) => {
            return Some(Inferred::new("s3-outposts", Some(region)).sigv4a())
        }
        _ => {}
    }
    // Find the label that names S3; everything before it is the bucket (virtual host).
    let i = labels.iter().rposition(|l| {
        matches!(*l, "s3" | "s3-fips" | "s3-accelerate" | "s3-external-1")
            || l.strip_prefix("s3-").is_some_and(is_region)
            || l.strip_prefix("s3-fips-").is_some_and(is_region)
    })?;
    let label = labels[i];
    let after = &labels[i + 1..];
    let region = label
        .strip_prefix("s3-fips-")
        .or_else(|| label.strip_prefix("s3-"))
        .filter(|r| is_region(r));
    let region = region.or_else(|| match after {
        [] if label == "s3" || label == "s3-external-1" => Some("us-east-1"),
        ["dualstack", r] | [r] | ["dualstack", r, ..] if is_region(r) => Some(r),
        _ => None,
    });
    Some(Inferred::new("s3", region))
}

fn infer_generic(labels: &[&str], partition: &str) -> Option<Inferred> {
    let (service_labels, region) = match labels {
        ["sts"] => return Some(Inferred::new("sts", Some("us-east-1"))),
        [rest @ .., "dualstack", region] | [rest @ .., region] | [rest @ .., region, "us-gov"]
            if is_region(region) =>
        {
            (rest, Some(*region))
        }
        // Partition-wide endpoints without a region: SERVICE.global.api.aws, SERVICE.us-gov.api.aws
        [rest @ .., "global" | "us-gov"] if !rest.is_empty() => (rest, None),
        rest => (rest, None),
    };
    let prefix = endpoint_prefix(service_labels)?;
    let region = aws_table::NON_REGIONAL
        .binary_search_by(|e| (e.0, e.1).cmp(&(prefix, partition)))
        .map_or(region, |i| Some(aws_table::NON_REGIONAL[i].2));
    let service = signing_name(prefix);
    let inferred = Inferred::new(service, region);
    Some(if sigv4a_first(service) {
        inferred.sigv4a()
    } else {
        inferred
    })
}

/// The endpoint prefix in the labels before the region: the longest run of trailing labels
/// (FIPS suffixes removed) that is a known prefix (`data-ats.iot`, `runtime.sagemaker`), else
/// the last label (`abc123.execute-api`: `execute-api`).
fn endpoint_prefix<'a>(labels: &[&'a str]) -> Option<&'a str> {
    let last = strip_fips(labels.last()?);
    let known = (1..=labels.len().min(4)).rev().find_map(|k| {
        let candidate = labels[labels.len() - k..]
            .iter()
            .map(|l| strip_fips(l))
            .collect::<Vec<_>>()
            .join(".");
        let i = aws_table::SIGNING_NAMES
            .binary_search_by(|e| e.0.cmp(candidate.as_str()))
            .ok()?;
        Some(aws_table::SIGNING_NAMES[i].0)
    });
    Some(known.unwrap_or(last))
}

fn strip_fips(service: &str) -> &str {
    service.strip_suffix("-fips").unwrap_or(service)
}

/// The signing name of an endpoint prefix, from AWS's service models; prefixes no model
/// describes sign with their own name, except these, which AWS documents separately.
fn signing_name(endpoint_prefix: &str) -> &str {
    if let Ok(i) = aws_table::SIGNING_NAMES.binary_search_by(|e| e.0.cmp(endpoint_prefix)) {
        return aws_table::SIGNING_NAMES[i].1;
    }
    match endpoint_prefix {
        // AppSync GraphQL APIs (ID.appsync-api.REGION.amazonaws.com) sign as `appsync`:
        // https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html#aws-iam-authorization
        "appsync-api" | "appsync-realtime-api" => "appsync",
        // Transcribe streaming (transcribestreaming.REGION.amazonaws.com) signs as `transcribe`:
        // https://docs.aws.amazon.com/transcribe/latest/dg/websocket.html
        "transcribestreaming" => "transcribe",
        other => other,
    }
}

fn sigv4a_first(signing_name: &str) -> bool {
    aws_table::SIGV4A_FIRST.binary_search(&signing_name).is_ok()
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`, `ap-southeast-5`.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (first, last) = match (parts.first(), parts.last()) {
        (Some(f), Some(l)) if parts.len() >= 3 => (*f, *l),
        _ => return false,
    };
    (2..=4).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(host: &str) -> Option<(String, Option<String>)> {
        infer(host).map(|i| (i.service, i.region))
    }

    #[test]
    fn the_tables_are_sorted_for_binary_search() {
        assert!(aws_table::SIGNING_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(aws_table::GLOBAL_ENDPOINTS
            .windows(2)
            .all(|w| w[0].0 < w[1].0));
        assert!(aws_table::SIGV4A_FIRST.windows(2).all(|w| w[0] < w[1]));
        assert!(aws_table::NON_REGIONAL
            .windows(2)
            .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
    }

    fn s(service: &str, region: Option<&str>) -> Option<(String, Option<String>)> {
        Some((service.to_owned(), region.map(str::to_owned)))
    }

    #[test]
    fn s3_forms() {
        assert_eq!(
            i("bucket.s3.us-west-2.amazonaws.com"),
            s("s3", Some("us-west-2"))
        );
        assert_eq!(i("s3.us-west-2.amazonaws.com"), s("s3", Some("us-west-2")));
        assert_eq!(i("s3.amazonaws.com"), s("s3", Some("us-east-1")));
        assert_eq!(
            i("my.dotted.bucket.s3.amazonaws.com:443"),
            s("s3", Some("us-east-1"))
        );
        assert_eq!(
            i("bucket.s3-eu-west-1.amazonaws.com"),
            s("s3", Some("eu-west-1"))
        );
        assert_eq!(
            i("bucket.s3.dualstack.ap-south-1.amazonaws.com"),
            s("s3", Some("ap-south-1"))
        );
        assert_eq!(
            i("bucket.s3-fips.us-gov-west-1.amazonaws.com"),
            s("s3", Some("us-gov-west-1"))
        );
        assert_eq!(i("bucket.s3-accelerate.amazonaws.com"), s("s3", None));
        assert_eq!(
            i("s3.cn-north-1.amazonaws.com.cn"),
            s("s3", Some("cn-north-1"))
        );
    }

    #[test]
    fn other_services() {
        assert_eq!(
            i("abc123.execute-api.eu-central-1.amazonaws.com"),
            s("execute-api", Some("eu-central-1"))
        );
        assert_eq!(
            i("search-logs-abc.us-east-1.es.amazonaws.com"),
            s("es", Some("us-east-1"))
        );
        assert_eq!(
            i("xyz.us-east-2.aoss.amazonaws.com"),
            s("aoss", Some("us-east-2"))
        );
        assert_eq!(
            i("abcdef.lambda-url.us-west-1.on.aws"),
            s("lambda", Some("us-west-1"))
        );
        assert_eq!(
            i("bedrock-runtime.us-east-1.amazonaws.com"),
            s("bedrock", Some("us-east-1"))
        );
        assert_eq!(
            i("bedrock-runtime-fips.us-east-1.amazonaws.com"),
            s("bedrock", Some("us-east-1"))
        );
        assert_eq!(i("sts.amazonaws.com"), s("sts", Some("us-east-1")));
        assert_eq!(
            i("sts.eu-west-3.amazonaws.com"),
            s("sts", Some("eu-west-3"))
        );
        assert_eq!(
            i("sts-fips.us-east-2.amazonaws.com"),
            s("sts", Some("us-east-2"))
        );
        assert_eq!(
            i("dynamodb.us-east-1.api.aws"),
            s("dynamodb", Some("us-east-1"))
        );
        assert_eq!(
            i("email.us-east-1.amazonaws.com"),
            s("ses", Some("us-east-1"))
        );
        assert_eq!(
            i("ec2.dualstack.us-east-1.amazonaws.com"),
            s("ec2", Some("us-east-1"))
        );
        assert_eq!(i("iam.amazonaws.com"), s("iam", Some("us-east-1")));
        assert_eq!(
            i("bucket--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com"),
            s("s3express", Some("us-west-2"))
        );
        assert_eq!(
            i("s3express-fips-use1-az4.us-east-1.amazonaws.com"),
            s("s3express", Some("us-east-1"))
        );
        assert_eq!(
            i("s3express-control.eu-north-1.amazonaws.com"),
            s("s3express", Some("eu-north-1"))
        );
    }

    #[test]
    fn not_aws() {
        assert_eq!(i("example.com"), None);
        assert_eq!(i("localhost:9000"), None);
        assert_eq!(i("amazonaws.com"), None);
        assert_eq!(i(""), None);
        assert_eq!(i("[::1]:8080"), None);
    }
}
