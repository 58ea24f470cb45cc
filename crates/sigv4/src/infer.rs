//! Guessing the signing service and region from an AWS hostname.
//!
//! Only a guess from the host's shape: callers should always let users override it.

/// The signing service name and, when the host names one, the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    /// The service name to sign with (the *signing* name: `bedrock` for bedrock-runtime,
    /// `es` for OpenSearch domains, `ses` for `email.*`).
    pub service: String,
    /// The region, when the host carries one (global endpoints such as `sts.amazonaws.com`
    /// and `s3.amazonaws.com` give `us-east-1`).
    pub region: Option<String>,
}

/// Infers the signing service and region from `host` (a hostname, optionally with a port).
///
/// Knows S3 (virtual-hosted and path style, legacy `s3-REGION`, dual-stack, FIPS,
/// accelerate), API Gateway (`execute-api`), OpenSearch (`es`) and OpenSearch Serverless
/// (`aoss`), Lambda function URLs, Bedrock runtime, STS, and the generic
/// `SERVICE[-fips].[dualstack.]REGION.amazonaws.com` / `SERVICE.REGION.api.aws` forms.
///
/// ```
/// use sigv4::infer::infer;
/// let i = infer("my-bucket.s3.eu-west-1.amazonaws.com").unwrap();
/// assert_eq!((i.service.as_str(), i.region.as_deref()), ("s3", Some("eu-west-1")));
/// let i = infer("bedrock-runtime.us-east-1.amazonaws.com").unwrap();
/// assert_eq!((i.service.as_str(), i.region.as_deref()), ("bedrock", Some("us-east-1")));
/// assert!(infer("example.com").is_none());
/// ```
pub fn infer(host: &str) -> Option<Inferred> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();

    // Lambda function URLs: ID.lambda-url.REGION.on.aws
    if let [.., "lambda-url", region, "on", "aws"] = labels.as_slice() {
        return found("lambda", Some(region));
    }
    // Dual-stack generic form: SERVICE.REGION.api.aws
    if let [.., service, region, "api", "aws"] = labels.as_slice() {
        if is_region(region) {
            return found(signing_name(strip_fips(service)), Some(region));
        }
    }

    let n = strip_amazonaws(&labels)?;
    let labels = &labels[..n];
    match labels {
        // OpenSearch domains: search-NAME-ID.REGION.es.amazonaws.com
        [.., region, "es"] if is_region(region) => found("es", Some(region)),
        // OpenSearch Serverless: ID.REGION.aoss.amazonaws.com
        [.., region, "aoss"] if is_region(region) => found("aoss", Some(region)),
        // S3 Express One Zone: BUCKET--AZ--x-s3.s3express-AZ.REGION.amazonaws.com (zonal
        // endpoints, also -fips-) and s3express-control.REGION: all sign as `s3express`.
        [.., zonal, region] if zonal.starts_with("s3express-") && is_region(region) => {
            found("s3express", Some(region))
        }
        _ => infer_s3(labels).or_else(|| infer_generic(labels)),
    }
}

fn found(service: &str, region: Option<&str>) -> Option<Inferred> {
    Some(Inferred {
        service: service.to_owned(),
        region: region.map(str::to_owned),
    })
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

/// The number of labels before `amazonaws.com` / `amazonaws.com.cn`, if the host ends so.
fn strip_amazonaws(labels: &[&str]) -> Option<usize> {
    match labels {
        [rest @ .., "amazonaws", "com"] => Some(rest.len()),
        [rest @ .., "amazonaws", "com", "cn"] => Some(rest.len()),
        _ => None,
    }
}

fn infer_s3(labels: &[&str]) -> Option<Inferred> {
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
    found("s3", region)
}

fn infer_generic(labels: &[&str]) -> Option<Inferred> {
    match labels {
        ["sts"] => found("sts", Some("us-east-1")),
        [.., service, "dualstack", region] | [.., service, region] if is_region(region) => {
            let service = strip_fips(service);
            // API Gateway: ID.execute-api.REGION.amazonaws.com
            found(signing_name(service), Some(region))
        }
        [.., service] => found(signing_name(strip_fips(service)), None),
        [] => None,
    }
}

fn strip_fips(service: &str) -> &str {
    service.strip_suffix("-fips").unwrap_or(service)
}

/// Endpoint prefixes whose signing name differs.
fn signing_name(endpoint_prefix: &str) -> &str {
    match endpoint_prefix {
        "bedrock-runtime" | "bedrock-agent-runtime" | "bedrock-agent" => "bedrock",
        "email" => "ses",
        "runtime.sagemaker" => "sagemaker",
        "aps-workspaces" => "aps",
        "streams.dynamodb" => "dynamodb",
        other => other,
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`, `ap-southeast-5`.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (first, last) = match (parts.first(), parts.last()) {
        (Some(f), Some(l)) if parts.len() >= 3 => (*f, *l),
        _ => return false,
    };
    first.len() == 2
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
        assert_eq!(i("iam.amazonaws.com"), s("iam", None));
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
