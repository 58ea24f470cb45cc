//! Console login credentials (`login_session`, written by `aws login`): the
//! cached credentials of an AWS console session, refreshed through the AWS
//! Sign-In service (`CreateOAuth2Token`, grant type `refresh_token`) with a
//! DPoP proof (RFC 9449) signed by the cached P-256 key.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sigv4::{AmzDate, Credentials};
use zeroize::Zeroizing;

use crate::context::ProviderContext;
use crate::endpoint::{resolve_endpoint, resolve_region, Service};
use crate::error::CredentialsError;
use crate::profile_file::{home_dir, Platform, ProfileSet};
use crate::provider::{CredentialsResult, ProvideCredentials, ProvidedCredentials};
use crate::sts::send_with_retries;
use crate::util::{flight_lock, non_empty_str, redact, wipe_json, BoxFuture};

const NAME: &str = "Login";

/// Credentials this close to their expiry are refreshed.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Gets the credentials of a console login session (`login_session = <ARN>`
/// in a profile; `aws login` creates both).
///
/// The cache is `AWS_LOGIN_CACHE_DIRECTORY` or `~/.aws/login/cache`, file
/// `<sha256 hex of the session ARN>.json`. When the cached credentials have
/// expired or expire within five minutes, they are refreshed: a `POST
/// /v1/token` to the Sign-In endpoint (`AWS_ENDPOINT_URL_SIGNIN`, the
/// profile's `[services]` `signin` entry, ..., then
/// `https://<region>.signin.aws.amazon.com`; region from the usual settings,
/// `us-east-1` when none) with the cached `clientId` and `refreshToken`, and
/// a `DPoP` header signed with the cached EC key. The answer is written back
/// to the cache atomically (0600); concurrent callers in this process cause
/// one refresh. A failed refresh says to run `aws login` again.
///
/// `Debug` shows the session ARN only; the refresh token, the key and the
/// credentials never appear in `Debug`, errors or logs.
#[derive(Debug, Clone)]
pub struct LoginProvider {
    ctx: ProviderContext,
    session: String,
    profiles: Option<ProfileSet>,
}

/// The parsed cache file; every string in it is wiped on drop.
struct Cached {
    doc: Map<String, Value>,
}

impl Drop for Cached {
    fn drop(&mut self) {
        for v in self.doc.values_mut() {
            wipe_json(v);
        }
    }
}

/// What the cache must hold: credentials with their expiry and account, and
/// what a refresh needs.
struct Session<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    account_id: &'a str,
    expires_at: SystemTime,
    client_id: &'a str,
    refresh_token: &'a str,
    dpop_key: &'a str,
}

impl LoginProvider {
    /// The provider for the login session `session` (the profile's
    /// `login_session` ARN).
    pub fn new(ctx: ProviderContext, session: impl Into<String>) -> Self {
        LoginProvider {
            ctx,
            session: session.into(),
            profiles: None,
        }
    }

    /// Uses `profiles` for the region and endpoint overrides.
    pub fn with_profiles(mut self, profiles: ProfileSet) -> Self {
        self.profiles = Some(profiles);
        self
    }

    /// The cache file of this session.
    pub fn cache_path(&self) -> Result<PathBuf, CredentialsError> {
        let dir = match self.ctx.env().get_non_blank("AWS_LOGIN_CACHE_DIRECTORY") {
            Some(d) => PathBuf::from(d),
            None => {
                let home = home_dir(self.ctx.env(), Platform::current()).ok_or_else(|| {
                    CredentialsError::invalid_configuration(
                        NAME,
                        "cannot find the login cache: the home directory is unknown (set HOME or AWS_LOGIN_CACHE_DIRECTORY)",
                    )
                })?;
                PathBuf::from(home).join(".aws").join("login").join("cache")
            }
        };
        let hash = crate::util::hex(&Sha256::digest(self.session.trim().as_bytes()));
        Ok(dir.join(format!("{hash}.json")))
    }

    fn hint(&self) -> String {
        let profile = self
            .profiles
            .as_ref()
            .map(|p| format!(" --profile {}", p.selected_name()))
            .unwrap_or_default();
        format!("run `aws login{profile}` to sign in again")
    }

    fn read(&self, path: &Path) -> Result<Cached, CredentialsError> {
        let bytes = Zeroizing::new(self.ctx.fs().read(path).map_err(|e| {
            CredentialsError::provider_error(
                NAME,
                format!(
                    "failed to read the login cache `{}`: {e} ({})",
                    path.display(),
                    self.hint()
                ),
            )
        })?);
        let doc: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|e| {
            CredentialsError::provider_error(
                NAME,
                format!(
                    "the login cache `{}` is not a JSON object (line {}, column {}): {}",
                    path.display(),
                    e.line(),
                    e.column(),
                    self.hint()
                ),
            )
        })?;
        Ok(Cached { doc })
    }

    fn session<'a>(
        &self,
        cached: &'a Cached,
        path: &Path,
    ) -> Result<Session<'a>, CredentialsError> {
        let missing = |what: &str| {
            CredentialsError::provider_error(
                NAME,
                format!(
                    "the login cache `{}` has no {what}: {}",
                    path.display(),
                    self.hint()
                ),
            )
        };
        let token = cached
            .doc
            .get("accessToken")
            .and_then(Value::as_object)
            .ok_or_else(|| missing("accessToken"))?;
        let get =
            |k: &str| non_empty_str(token, k).ok_or_else(|| missing(&format!("accessToken.{k}")));
        let expires_at = AmzDate::parse_rfc3339(get("expiresAt")?)
            .ok_or_else(|| missing("valid accessToken.expiresAt"))?
            .to_system_time();
        Ok(Session {
            access_key_id: get("accessKeyId")?,
            secret_access_key: get("secretAccessKey")?,
            session_token: get("sessionToken")?,
            account_id: get("accountId")?,
            expires_at,
            client_id: non_empty_str(&cached.doc, "clientId").ok_or_else(|| missing("clientId"))?,
            refresh_token: non_empty_str(&cached.doc, "refreshToken")
                .ok_or_else(|| missing("refreshToken"))?,
            dpop_key: non_empty_str(&cached.doc, "dpopKey").ok_or_else(|| missing("dpopKey"))?,
        })
    }

    async fn load(&self) -> CredentialsResult {
        let path = self.cache_path()?;
        let lock = flight_lock(&path);
        let _flight = lock.lock().await;
        let mut cached = self.read(&path)?;
        let now = self.ctx.now();
        let s = self.session(&cached, &path)?;
        if s.expires_at > now + REFRESH_WINDOW {
            return Ok(credentials(&s));
        }
        // Parse the key before any network call: a broken key is a broken cache.
        let key = parse_sec1_pem(s.dpop_key).map_err(|e| {
            CredentialsError::provider_error(
                NAME,
                format!(
                    "the login cache `{}` has an unusable dpopKey ({e}): {}",
                    path.display(),
                    self.hint()
                ),
            )
        })?;
        let answer = match self.refresh(&s, &key, now).await {
            Ok(a) => a,
            // Still valid for a few minutes: use them rather than fail now.
            Err(e) if s.expires_at > now => {
                tracing::warn!(error = %e, "console login refresh failed; using the cached credentials until they expire");
                return Ok(credentials(&s));
            }
            Err(e) => return Err(e),
        };
        // Update the cache document: new credentials, expiry and refresh token.
        let account = s.account_id.to_string();
        let expires_at = now + Duration::from_secs(answer.expires_in);
        let token = serde_json::json!({
            "accessKeyId": answer.access_key_id,
            "secretAccessKey": answer.secret_access_key.as_str(),
            "sessionToken": answer.session_token.as_str(),
            "accountId": account,
            "expiresAt": AmzDate::from_system_time(expires_at)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default(),
        });
        if let Some(old) = cached.doc.get_mut("accessToken") {
            wipe_json(old);
        }
        cached.doc.insert("accessToken".into(), token);
        if let Some(r) = answer.refresh_token.as_deref().filter(|r| !r.is_empty()) {
            if let Some(old) = cached.doc.get_mut("refreshToken") {
                wipe_json(old);
            }
            cached
                .doc
                .insert("refreshToken".into(), Value::String(r.to_string()));
        }
        let mut out = Zeroizing::new(serde_json::to_vec_pretty(&cached.doc).unwrap_or_default());
        out.push(b'\n');
        if let Err(e) = self.ctx.fs().write_atomic(&path, &out) {
            tracing::warn!(path = %path.display(), error = %e, "could not save the refreshed login credentials; using them anyway");
        }
        tracing::debug!("console login credentials refreshed");
        let s = self.session(&cached, &path)?;
        Ok(credentials(&s))
    }

    async fn refresh(
        &self,
        s: &Session<'_>,
        key: &SigningKey,
        now: SystemTime,
    ) -> Result<Answer, CredentialsError> {
        let region = resolve_region(&self.ctx, self.profiles.as_ref())
            .unwrap_or_else(|| "us-east-1".to_string());
        let endpoint =
            resolve_endpoint(&self.ctx, self.profiles.as_ref(), Service::Signin, &region);
        let url = format!("{}/v1/token", endpoint.trim_end_matches('/'));
        let uri: http::Uri = url.parse().map_err(|_| {
            CredentialsError::invalid_configuration(
                NAME,
                format!("the Sign-In endpoint {endpoint:?} is not a valid URL"),
            )
        })?;
        let body = Zeroizing::new(
            serde_json::json!({
                "clientId": s.client_id,
                "grantType": "refresh_token",
                "refreshToken": s.refresh_token,
            })
            .to_string(),
        );
        // A fresh proof per attempt: each has its own jti.
        let build = || {
            let proof = dpop_proof(key, &url, now);
            http::Request::post(uri.clone())
                .header("content-type", "application/json")
                .header("dpop", proof)
                .body(body.as_bytes().to_vec())
                .map_err(|e| CredentialsError::provider_error(NAME, format!("bad request: {e}")))
        };
        let response = send_with_retries(&self.ctx, NAME, "Sign-In CreateOAuth2Token", build)
            .await
            .map_err(|e| {
                e.context(
                    NAME,
                    &format!("refreshing the login session ({})", self.hint()),
                )
            })?;
        let status = response.status().as_u16();
        let secrets = [s.refresh_token, s.secret_access_key, s.session_token];
        if !(200..300).contains(&status) {
            let parsed: Option<Map<String, Value>> = serde_json::from_slice(response.body()).ok();
            let get = |k: &str| {
                parsed
                    .as_ref()
                    .and_then(|m| non_empty_str(m, k))
                    .map(|v| v.chars().take(300).collect::<String>())
            };
            let detail = match (get("error"), get("message")) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c,
                (None, Some(m)) => m,
                (None, None) => "no error details".to_string(),
            };
            return Err(CredentialsError::provider_error(
                NAME,
                format!(
                    "Sign-In CreateOAuth2Token refused to refresh the login session (HTTP {status}: {}): {}",
                    redact(&detail, &secrets),
                    self.hint()
                ),
            ));
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AccessToken {
            access_key_id: String,
            secret_access_key: Zeroizing<String>,
            session_token: Zeroizing<String>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            access_token: AccessToken,
            expires_in: u64,
            refresh_token: Option<Zeroizing<String>>,
        }
        let b: Body = serde_json::from_slice(response.body()).map_err(|e| {
            CredentialsError::invalid_response(
                NAME,
                format!(
                    "Sign-In CreateOAuth2Token returned an unreadable body (line {}, column {}, {:?}): {}",
                    e.line(),
                    e.column(),
                    e.classify(),
                    self.hint()
                ),
            )
        })?;
        Ok(Answer {
            access_key_id: b.access_token.access_key_id,
            secret_access_key: b.access_token.secret_access_key,
            session_token: b.access_token.session_token,
            expires_in: b.expires_in,
            refresh_token: b.refresh_token,
        })
    }
}

struct Answer {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Zeroizing<String>,
    expires_in: u64,
    refresh_token: Option<Zeroizing<String>>,
}

fn credentials(s: &Session<'_>) -> ProvidedCredentials {
    ProvidedCredentials::new(
        Credentials::new(
            s.access_key_id,
            s.secret_access_key,
            Some(s.session_token.to_string()),
            Some(s.expires_at),
        ),
        NAME,
    )
    .with_account_id(Some(s.account_id.to_string()))
}

/// The private key of a SEC1 `EC PRIVATE KEY` PEM (RFC 5915) on P-256.
fn parse_sec1_pem(pem: &str) -> Result<SigningKey, &'static str> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN EC PRIVATE KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END EC PRIVATE KEY-----")
        .collect();
    if body.is_empty() {
        return Err("not an EC PRIVATE KEY PEM");
    }
    let der = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| "bad base64")?,
    );
    // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING, ... }
    let (tag, seq, _) = der_next(&der)?;
    if tag != 0x30 {
        return Err("not a DER sequence");
    }
    let (tag, version, rest) = der_next(seq)?;
    if tag != 0x02 || version != [1] {
        return Err("unsupported EC key version");
    }
    let (tag, secret, _) = der_next(rest)?;
    if tag != 0x04 || secret.is_empty() || secret.len() > 32 {
        return Err("no 32-byte private key");
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes[32 - secret.len()..].copy_from_slice(secret);
    SigningKey::from_slice(&bytes[..]).map_err(|_| "not a P-256 private key")
}

/// One DER element: `(tag, contents, rest)`.
fn der_next(input: &[u8]) -> Result<(u8, &[u8], &[u8]), &'static str> {
    let (&tag, rest) = input.split_first().ok_or("truncated DER")?;
    let (&first, rest) = rest.split_first().ok_or("truncated DER")?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 2 || rest.len() < n {
            return Err("bad DER length");
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err("truncated DER");
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// A DPoP proof (RFC 9449) for `POST url`: a JWT with the public key in its
/// header, signed ES256 with `key`.
fn dpop_proof(key: &SigningKey, url: &str, now: SystemTime) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let point = key.verifying_key().to_sec1_point(false);
    let xy = &point.as_bytes()[1..];
    let header = serde_json::json!({
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": {"kty": "EC", "crv": "P-256", "x": b64.encode(&xy[..32]), "y": b64.encode(&xy[32..])},
    });
    let iat = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = serde_json::json!({"jti": jti(), "htm": "POST", "htu": url, "iat": iat});
    let message = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let signature: Signature = key.sign(message.as_bytes());
    format!("{message}.{}", b64.encode(signature.to_bytes()))
}

/// A unique proof id (UUID v4 form) from the standard library's random
/// hash keys: it must not repeat, it need not be secret.
fn jti() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, half) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        half.copy_from_slice(&h.finish().to_be_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = crate::util::hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl ProvideCredentials for LoginProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, CredentialsResult> {
        Box::pin(self.load())
    }
    fn name(&self) -> &'static str {
        NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::VerifyingKey;

    // The throwaway key of the aws-config login test data.
    const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPt/u8InPLpQeQLJTvVX+sNDzni8vMDMt3Liu+nMBigfoAoGCCqGSM49\nAwEHoUQDQgAEILkGG7rNOnxiIJlMgimY1UPP8eDMFP0DAY6WGjngP4bvTAiUCQ/I\nffut2379uP+OBCm2ovGpBOJRgrl1RspUOQ==\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn dpop_proof_is_a_verifiable_es256_jwt_with_the_public_key() {
        let key = parse_sec1_pem(KEY).unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_763_510_400);
        let proof = dpop_proof(
            &key,
            "https://us-east-1.signin.aws.amazon.com/v1/token",
            now,
        );
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["crv"], "P-256");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(
            claims["htu"],
            "https://us-east-1.signin.aws.amazon.com/v1/token"
        );
        assert_eq!(claims["iat"], 1_763_510_400u64);
        // The public key in the header verifies the signature.
        let mut sec1 = vec![4u8];
        sec1.extend(b64.decode(header["jwk"]["x"].as_str().unwrap()).unwrap());
        sec1.extend(b64.decode(header["jwk"]["y"].as_str().unwrap()).unwrap());
        let vk = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        let sig = Signature::from_slice(&b64.decode(parts[2]).unwrap()).unwrap();
        vk.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
        // Every proof has its own id.
        let other = dpop_proof(&key, "https://x/v1/token", now);
        let claims2: Value =
            serde_json::from_slice(&b64.decode(other.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_ne!(claims["jti"], claims2["jti"]);
    }

    #[test]
    fn bad_keys_are_refused_without_panicking() {
        for bad in [
            "",
            "..",
            "-----BEGIN EC PRIVATE KEY-----\n!!!\n-----END EC PRIVATE KEY-----\n",
            "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
            "-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n",
        ] {
            assert!(parse_sec1_pem(bad).is_err(), "{bad:?}");
        }
    }
}
