//! A minimal STS client: `AssumeRole` (signed with [`sigv4::Signer`]) and
//! `AssumeRoleWithWebIdentity` (unsigned), over the query protocol, with
//! XML responses parsed by `quick-xml`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use quick_xml::events::Event;
use quick_xml::Reader;
use sigv4::{AmzDate, Credentials, Signer};
use zeroize::Zeroizing;

use crate::http::{HttpError, HttpRequestOptions};
use crate::{CredentialsError, CredentialsResult, ProvidedCredentials, ProviderContext};

/// How many times a call is attempted when it fails transiently (5xx,
/// throttling, connection errors).
pub(crate) const MAX_ATTEMPTS: u32 = 3;

/// Parameters of one `AssumeRole` call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssumeRoleParams {
    /// The role to assume.
    pub role_arn: String,
    /// The session name (generated when `None`).
    pub role_session_name: Option<String>,
    /// The external id the role's trust policy requires.
    pub external_id: Option<String>,
    /// How long the credentials should last, in seconds.
    pub duration_seconds: Option<u32>,
    /// The MFA device serial number or ARN.
    pub mfa_serial: Option<String>,
}

pub(crate) use crate::util::form_encode;

fn form(params: &[(&str, &str)]) -> Zeroizing<String> {
    Zeroizing::new(
        params
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&"),
    )
}

/// A session name made from the current time.
pub(crate) fn generated_session_name(prefix: &str, now: SystemTime) -> String {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("{prefix}-{ms}")
}

/// The URL to POST to: the endpoint with a `/` path.
fn post_uri(endpoint: &str) -> Result<http::Uri, CredentialsError> {
    let uri: http::Uri = endpoint.parse().map_err(|_| {
        CredentialsError::invalid_configuration(
            "STS",
            format!("the STS endpoint {endpoint:?} is not a valid URL"),
        )
    })?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(CredentialsError::invalid_configuration(
            "STS",
            format!("the STS endpoint {endpoint:?} must be an absolute http(s) URL"),
        ));
    }
    if uri.path().is_empty() || uri.path() == "/" {
        let s = format!(
            "{}://{}/",
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map(|a| a.as_str()).unwrap_or("")
        );
        return s
            .parse()
            .map_err(|_| CredentialsError::invalid_configuration("STS", "invalid STS endpoint"));
    }
    Ok(uri)
}

/// Calls `AssumeRole` with `source` credentials.
pub async fn assume_role(
    ctx: &ProviderContext,
    endpoint: &str,
    region: &str,
    source: &Credentials,
    params: &AssumeRoleParams,
    mfa_token: Option<&str>,
) -> CredentialsResult {
    const PROVIDER: &str = "AssumeRole";
    let session = params
        .role_session_name
        .clone()
        .unwrap_or_else(|| generated_session_name("sigv4-credentials", ctx.now()));
    let duration = params.duration_seconds.map(|d| d.to_string());
    let mut fields: Vec<(&str, &str)> = vec![
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", &params.role_arn),
        ("RoleSessionName", &session),
    ];
    if let Some(e) = &params.external_id {
        fields.push(("ExternalId", e));
    }
    if let Some(d) = &duration {
        fields.push(("DurationSeconds", d));
    }
    if let (Some(serial), Some(code)) = (&params.mfa_serial, mfa_token) {
        fields.push(("SerialNumber", serial));
        fields.push(("TokenCode", code));
    }
    let body = form(&fields);
    let uri = post_uri(endpoint)?;
    let signer = Signer::new(region, "sts").map_err(|e| {
        CredentialsError::invalid_configuration(PROVIDER, format!("cannot sign for STS: {e}"))
    })?;
    let build = || -> Result<http::Request<Vec<u8>>, CredentialsError> {
        let mut req = http::Request::post(uri.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
            .map_err(|e| CredentialsError::provider_error(PROVIDER, format!("bad request: {e}")))?;
        signer
            .sign_http_request(&mut req, source, ctx.now())
            .map_err(|e| {
                CredentialsError::provider_error(
                    PROVIDER,
                    format!("could not sign the request: {e}"),
                )
            })?;
        Ok(req)
    };
    let response = send_with_retries(ctx, PROVIDER, "STS AssumeRole", build).await?;
    let secrets = [
        source.secret_access_key(),
        source.session_token().unwrap_or(""),
        mfa_token.unwrap_or(""),
    ];
    parse_sts_response(PROVIDER, "AssumeRole", &response, &secrets)
}

/// Calls `AssumeRoleWithWebIdentity` (unsigned) with `token`.
pub async fn assume_role_with_web_identity(
    ctx: &ProviderContext,
    endpoint: &str,
    role_arn: &str,
    session_name: &str,
    token: &str,
) -> CredentialsResult {
    const PROVIDER: &str = "WebIdentityToken";
    let body = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", session_name),
        ("WebIdentityToken", token),
    ]);
    let uri = post_uri(endpoint)?;
    let build = || -> Result<http::Request<Vec<u8>>, CredentialsError> {
        http::Request::post(uri.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
            .map_err(|e| CredentialsError::provider_error(PROVIDER, format!("bad request: {e}")))
    };
    let response = send_with_retries(ctx, PROVIDER, "STS AssumeRoleWithWebIdentity", build).await?;
    parse_sts_response(PROVIDER, "AssumeRoleWithWebIdentity", &response, &[token])
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Sends a request built by `build`, retrying transient failures
/// ([`MAX_ATTEMPTS`] in all, short backoff). Returns the last response (which
/// may be an error status) or the transport error.
pub(crate) async fn send_with_retries<F>(
    ctx: &ProviderContext,
    provider: &'static str,
    what: &str,
    build: F,
) -> Result<http::Response<Vec<u8>>, CredentialsError>
where
    F: Fn() -> Result<http::Request<Vec<u8>>, CredentialsError>,
{
    let client = ctx.require_http(provider)?.clone();
    let options = ctx.http_options();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = client.send(build()?, options).await;
        let retry = match &result {
            Ok(r) => is_retryable_status(r.status().as_u16()) || is_throttle(r),
            Err(e) => !matches!(
                e,
                HttpError::InvalidRequest(_) | HttpError::ResponseTooLarge(_)
            ),
        };
        if !retry || attempt >= MAX_ATTEMPTS {
            return result.map_err(|e| http_error(provider, what, e, options));
        }
        match &result {
            Ok(r) => tracing::debug!(
                provider,
                status = r.status().as_u16(),
                attempt,
                "{what}: retrying"
            ),
            Err(e) => tracing::debug!(provider, error = %e, attempt, "{what}: retrying"),
        }
        ctx.sleep(Duration::from_millis(50 * (1 << attempt))).await;
    }
}

fn is_throttle(r: &http::Response<Vec<u8>>) -> bool {
    if r.status().as_u16() != 400 {
        return false;
    }
    let code = parse_error(r.body()).0;
    matches!(
        code.as_deref(),
        Some(
            "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "IDPCommunicationError"
        )
    )
}

pub(crate) fn http_error(
    provider: &'static str,
    what: &str,
    e: HttpError,
    options: HttpRequestOptions,
) -> CredentialsError {
    match e {
        HttpError::Timeout(after) => {
            CredentialsError::timeout(provider, after, format!("{what} did not answer"))
        }
        HttpError::ConnectTimeout { endpoint, after } => {
            let _ = options;
            CredentialsError::timeout(
                provider,
                after,
                format!("{what}: could not connect to {endpoint}"),
            )
        }
        other => CredentialsError::provider_error_with(provider, format!("{what} failed"), other),
    }
}

/// Walks an XML document, collecting the text of elements by their path of
/// local names joined with `/`.
pub(crate) fn xml_texts(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut out = HashMap::new();
    let mut saw_root = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                saw_root = true;
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let v = t.unescape().map_err(|e| format!("invalid XML text: {e}"))?;
                out.insert(path.join("/"), v.into_owned());
            }
            Ok(Event::CData(t)) => {
                out.insert(path.join("/"), String::from_utf8_lossy(&t).into_owned());
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "invalid XML at byte {}: {e}",
                    reader.error_position()
                ))
            }
        }
    }
    if !saw_root || !path.is_empty() {
        return Err("the XML document is empty or truncated".into());
    }
    Ok(out)
}

/// The SDK name of an STS error code (`InvalidIdentityToken` is reported as
/// `InvalidIdentityTokenException`, as the AWS SDKs do).
fn error_shape(code: &str) -> String {
    match code {
        "InvalidIdentityToken"
        | "ExpiredToken"
        | "IDPRejectedClaim"
        | "IDPCommunicationError"
        | "MalformedPolicyDocument"
        | "PackedPolicyTooLarge"
        | "InvalidAuthorizationMessage" => {
            format!("{code}Exception")
        }
        other => other.to_string(),
    }
}

/// `(code, message, request id)` of an STS XML error body.
fn parse_error(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    match xml_texts(body) {
        Ok(t) => (
            t.get("ErrorResponse/Error/Code").cloned(),
            t.get("ErrorResponse/Error/Message").cloned(),
            t.get("ErrorResponse/RequestId").cloned(),
        ),
        Err(_) => (None, None, None),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn parse_sts_response(
    provider: &'static str,
    action: &str,
    response: &http::Response<Vec<u8>>,
    secrets: &[&str],
) -> CredentialsResult {
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let (code, message, request_id) = parse_error(response.body());
        let detail = match (code, message) {
            (Some(c), Some(m)) => format!(
                "{}: {} (error code {c})",
                error_shape(&c),
                truncate(&m, 512)
            ),
            (Some(c), None) => error_shape(&c),
            _ => "the response had no AWS error code".to_string(),
        };
        let rid = request_id
            .map(|r| format!(", request id {r}"))
            .unwrap_or_default();
        // The server may echo what it was sent: never repeat a secret.
        let detail = crate::util::redact(&detail, secrets);
        return Err(CredentialsError::provider_error(
            provider,
            format!("STS {action} failed with HTTP {status}: {detail}{rid}"),
        ));
    }
    let texts = xml_texts(response.body()).map_err(|e| {
        CredentialsError::invalid_response(provider, format!("STS {action} response: {e}"))
    })?;
    let result = format!("{action}Response/{action}Result");
    let get = |k: &str| {
        texts
            .get(&format!("{result}/{k}"))
            .filter(|v| !v.is_empty())
    };
    let missing = |k: &str| {
        CredentialsError::invalid_response(provider, format!("STS {action} response has no {k}"))
    };
    let akid = get("Credentials/AccessKeyId").ok_or_else(|| missing("AccessKeyId"))?;
    let secret = get("Credentials/SecretAccessKey").ok_or_else(|| missing("SecretAccessKey"))?;
    let token = get("Credentials/SessionToken").ok_or_else(|| missing("SessionToken"))?;
    let expiration = get("Credentials/Expiration").ok_or_else(|| missing("Expiration"))?;
    let expiry = AmzDate::parse_rfc3339(expiration)
        .ok_or_else(|| {
            CredentialsError::invalid_response(
                provider,
                format!("STS {action} response has an invalid Expiration {expiration:?}"),
            )
        })?
        .to_system_time();
    let account_id = get("AssumedRoleUser/Arn").and_then(|arn| account_from_arn(arn));
    Ok(ProvidedCredentials::new(
        Credentials::new(
            akid.clone(),
            secret.clone(),
            Some(token.clone()),
            Some(expiry),
        ),
        provider,
    )
    .with_account_id(account_id))
}

/// The account id field of an ARN (`arn:aws:sts::123456789012:...`).
pub(crate) fn account_from_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (!account.is_empty()).then(|| account.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode("arn:aws:iam::1:role/A b"),
            "arn%3Aaws%3Aiam%3A%3A1%3Arole%2FA%20b"
        );
    }

    #[test]
    fn parses_errors_and_truncation() {
        let body = b"<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>No provider</Message></Error><RequestId>r1</RequestId></ErrorResponse>";
        let resp = http::Response::builder()
            .status(400)
            .body(body.to_vec())
            .unwrap();
        let e = parse_sts_response("X", "AssumeRole", &resp, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("InvalidIdentityTokenException: No provider"),
            "{e}"
        );
        assert!(e.contains("r1"));
        let body = b"<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token eyJSECRET</Message></Error></ErrorResponse>";
        let resp = http::Response::builder()
            .status(400)
            .body(body.to_vec())
            .unwrap();
        let e = parse_sts_response("X", "AssumeRole", &resp, &["eyJSECRET"])
            .unwrap_err()
            .to_string();
        assert!(!e.contains("eyJSECRET") && e.contains("redacted"), "{e}");
        let resp = http::Response::builder()
            .status(200)
            .body(b"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A".to_vec())
            .unwrap();
        let e = parse_sts_response("X", "AssumeRole", &resp, &[]).unwrap_err();
        assert!(matches!(e, CredentialsError::InvalidResponse { .. }), "{e}");
    }

    #[test]
    fn arn_account() {
        assert_eq!(
            account_from_arn("arn:aws:sts::123456789012:assumed-role/x/y").as_deref(),
            Some("123456789012")
        );
        assert_eq!(account_from_arn("nope"), None);
    }
}
