//! Routing decisions taken before and after verification: which service's verifier checks
//! a request, which error protocol a refusal speaks, and where an S3 request's bucket is.

use crate::tower::ErrorFormat;

/// The service named by the request's credential scope, taken from the `Authorization`
/// header or the `X-Amz-Credential` query parameter *without* trusting it: it only picks
/// the verifier, which then checks the scope (this service) strictly, and refuses the
/// request when the two disagree.
pub(crate) fn claimed_scope<B>(req: &http::Request<B>) -> Option<ClaimedScope> {
    let credential = match req.headers().get(http::header::AUTHORIZATION) {
        Some(v) => {
            let v = v.to_str().ok()?;
            let start = v.find("Credential=")? + "Credential=".len();
            let rest = &v[start..];
            rest[..rest.find([',', ' ']).unwrap_or(rest.len())].to_owned()
        }
        None => {
            let q = req.uri().query()?;
            let raw = q.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.eq_ignore_ascii_case("X-Amz-Credential").then_some(v)
            })?;
            percent_decode(raw)?
        }
    };
    let mut parts = credential.split('/');
    let access_key_id = parts.next()?.to_owned();
    let _date = parts.next()?;
    let region = parts.next()?.to_owned();
    let service = parts.next()?.to_owned();
    Some(ClaimedScope {
        access_key_id,
        region,
        service,
    })
}

/// The unverified scope of a request (see [`claimed_scope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimedScope {
    pub(crate) access_key_id: String,
    pub(crate) region: String,
    pub(crate) service: String,
}

pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The error protocol of a request, so that refusals parse in the client's SDK: S3's XML
/// for the S3 family, JSON for JSON protocols (`x-amz-target`, `application/x-amz-json`,
/// REST-JSON), the query protocol's XML for form-encoded requests and `?Action=`.
pub(crate) fn error_format<B>(req: &http::Request<B>, service: &str) -> ErrorFormat {
    if sigv4::is_s3(service) {
        return ErrorFormat::Xml;
    }
    let h = req.headers();
    let content_type = h
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if h.contains_key("x-amz-target") || content_type.starts_with("application/x-amz-json") {
        return ErrorFormat::Json;
    }
    let action_in_query = req.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|p| p.starts_with("Action=") || p.starts_with("action="))
    });
    if content_type.starts_with("application/x-www-form-urlencoded") || action_in_query {
        return ErrorFormat::QueryXml;
    }
    ErrorFormat::Json
}

/// Where an S3 request goes: its bucket (`None` for requests naming none, such as
/// `ListBuckets`) and the path-style path sent upstream (`/bucket/key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Target {
    pub(crate) bucket: Option<String>,
    pub(crate) path: String,
}

/// The bucket of an S3 request, from the signed `Host` (virtual-hosted style:
/// `BUCKET.SUFFIX` for one of the gateway's `suffixes`) or the first path segment
/// (path style, any other host), and the path-style path to forward. The gateway forwards
/// exactly the bucket returned here, so the bucket checked against a key's limits is the
/// one the upstream acts on, whichever style the client used.
///
/// `Err` when the bucket is not a valid bucket name (refused).
pub(crate) fn s3_target(host: &str, path: &str, suffixes: &[String]) -> Result<S3Target, String> {
    let host = host_without_port(host).to_ascii_lowercase();
    let virtual_bucket = suffixes.iter().find_map(|s| {
        let s = s.trim_start_matches('.').to_ascii_lowercase();
        host.strip_suffix(&s)
            .and_then(|b| b.strip_suffix('.'))
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
    });
    if let Some(bucket) = virtual_bucket {
        check_bucket(&bucket)?;
        let path = if path.starts_with('/') {
            format!("/{bucket}{path}")
        } else {
            format!("/{bucket}/{path}")
        };
        return Ok(S3Target {
            bucket: Some(bucket),
            path,
        });
    }
    let rest = path.strip_prefix('/').unwrap_or(path);
    let first = &rest[..rest.find('/').unwrap_or(rest.len())];
    if first.is_empty() {
        // "/" (ListBuckets) or "//...": no bucket named.
        return Ok(S3Target {
            bucket: None,
            path: path.to_owned(),
        });
    }
    let bucket = percent_decode(first).ok_or("the bucket in the path is not valid UTF-8")?;
    check_bucket(&bucket)?;
    Ok(S3Target {
        bucket: Some(bucket),
        path: path.to_owned(),
    })
}

/// Bucket names (including legacy ones): 1 to 255 of letters, digits, `.`, `-`, `_`.
fn check_bucket(b: &str) -> Result<(), String> {
    let ok = !b.is_empty()
        && b.len() <= 255
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        && b != "."
        && b != "..";
    if ok {
        Ok(())
    } else {
        Err("the request does not name a valid bucket".into())
    }
}

fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map_or(host, |h| &host[..=h.len()]);
    }
    host.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// The operation of a request, for the audit log: the `X-Amz-Target` action (JSON
/// protocols) or the query's `Action`, else `None` (see [`form_action`]; for S3 the method
/// and path say it).
pub(crate) fn operation<B>(req: &http::Request<B>) -> Option<String> {
    if let Some(t) = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        return Some(t.rsplit('.').next().unwrap_or(t).to_owned());
    }
    req.uri().query().and_then(form_action)
}

/// The `Action` of a form-encoded query or body (query protocols).
pub(crate) fn form_action(form: &str) -> Option<String> {
    form.split('&')
        .find_map(|p| p.strip_prefix("Action="))
        .and_then(percent_decode)
        .filter(|a| !a.is_empty() && a.len() <= 128)
}

/// Whether a request body is a form (query protocols), whose `Action` names the operation.
pub(crate) fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, path: &str) -> Result<S3Target, String> {
        s3_target(host, path, &["localhost".into(), "s3.gw.example".into()])
    }

    #[test]
    fn buckets_in_either_style_forward_path_style() {
        let t = target("127.0.0.1:9000", "/sandbox-1/a/b").unwrap();
        assert_eq!(t.bucket.as_deref(), Some("sandbox-1"));
        assert_eq!(t.path, "/sandbox-1/a/b");
        let t = target("sandbox-1.localhost:9000", "/a/b").unwrap();
        assert_eq!(t.bucket.as_deref(), Some("sandbox-1"));
        assert_eq!(t.path, "/sandbox-1/a/b");
        let t = target("Sandbox.v2.S3.GW.example", "/k").unwrap();
        assert_eq!(t.bucket.as_deref(), Some("sandbox.v2"));
        assert_eq!(t.path, "/sandbox.v2/k");
        let t = target("localhost:9000", "/").unwrap();
        assert_eq!(t.bucket, None);
        let t = target("[::1]:9000", "/b%2Dx/k").unwrap();
        assert_eq!(t.bucket.as_deref(), Some("b-x"));
        assert_eq!(t.path, "/b%2Dx/k");
        for (h, p) in [
            ("127.0.0.1", "/a%2Fb/k"),
            ("127.0.0.1", "/../k"),
            ("x%y.localhost", "/k"),
        ] {
            assert!(target(h, p).is_err(), "{h} {p}");
        }
    }

    #[test]
    fn claimed_scopes() {
        let req = http::Request::get("/")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00")
            .body(())
            .unwrap();
        let c = claimed_scope(&req).unwrap();
        assert_eq!(
            (
                c.access_key_id.as_str(),
                c.region.as_str(),
                c.service.as_str()
            ),
            ("AKID", "us-east-1", "sqs")
        );
        let req = http::Request::get("/b/k?X-Amz-Credential=AKID%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=00")
            .body(())
            .unwrap();
        assert_eq!(claimed_scope(&req).unwrap().service, "s3");
        assert!(claimed_scope(&http::Request::get("/").body(()).unwrap()).is_none());
    }
}
