//! `credential_process`: credentials printed by an external command as JSON
//! (`{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ...,
//! "Expiration": ..., "AccountId": ...}`).

use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use sigv4::{AmzDate, Credentials};
use tokio::io::AsyncReadExt;
use zeroize::Zeroizing;

use crate::util::BoxFuture;
use crate::{CredentialsError, CredentialsResult, ProvideCredentials, ProvidedCredentials};

const NAME: &str = "CredentialProcess";

/// The largest output accepted from the process.
const MAX_OUTPUT: u64 = 64 * 1024;

/// Runs a command through the shell (`sh -c`, or `cmd.exe /C` on Windows)
/// and reads credentials from its standard output.
///
/// A non-zero exit, output that is not valid JSON, and a process that does
/// not finish within the timeout (default 60 s; it is killed) each give a
/// distinct error. The command line is never included in errors (it may
/// contain secrets); neither is the output.
#[derive(Clone)]
pub struct CredentialProcessProvider {
    command: Zeroizing<String>,
    timeout: Duration,
    account_id: Option<String>,
}

impl std::fmt::Debug for CredentialProcessProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialProcessProvider")
            .field("command", &"** redacted **")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl CredentialProcessProvider {
    /// A provider running `command`.
    pub fn new(command: impl Into<String>) -> Self {
        CredentialProcessProvider {
            command: Zeroizing::new(command.into()),
            timeout: Duration::from_secs(60),
            account_id: None,
        }
    }

    /// Sets how long the process may run.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The account id to report when the output has no `AccountId` (the
    /// profile's `aws_account_id`).
    pub fn with_fallback_account_id(mut self, account_id: Option<String>) -> Self {
        self.account_id = account_id;
        self
    }

    async fn run(&self) -> Result<Zeroizing<Vec<u8>>, CredentialsError> {
        #[cfg(windows)]
        let mut cmd = {
            let mut c = tokio::process::Command::new("cmd.exe");
            c.arg("/C").arg(self.command.as_str());
            c
        };
        #[cfg(not(windows))]
        let mut cmd = {
            let mut c = tokio::process::Command::new("sh");
            c.arg("-c").arg(self.command.as_str());
            c
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            CredentialsError::provider_error_with(
                NAME,
                "Error retrieving credentials: could not start the credential_process command",
                e,
            )
        })?;
        let mut stdout = child.stdout.take().ok_or_else(|| {
            CredentialsError::provider_error(NAME, "Error retrieving credentials: no stdout pipe")
        })?;
        let work = async {
            let mut out = Zeroizing::new(Vec::new());
            (&mut stdout)
                .take(MAX_OUTPUT + 1)
                .read_to_end(&mut out)
                .await
                .map_err(|e| {
                    CredentialsError::provider_error_with(
                        NAME,
                        "Error retrieving credentials: could not read the process output",
                        e,
                    )
                })?;
            let status = child.wait().await.map_err(|e| {
                CredentialsError::provider_error_with(
                    NAME,
                    "Error retrieving credentials: could not wait for the process",
                    e,
                )
            })?;
            Ok::<_, CredentialsError>((out, status))
        };
        let (out, status) = match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r?,
            Err(_) => {
                // Dropping `child` (kill_on_drop) kills the process.
                return Err(CredentialsError::timeout(
                    NAME,
                    self.timeout,
                    "Error retrieving credentials: the credential_process command did not finish and was killed",
                ));
            }
        };
        if !status.success() {
            // For an exit code, the first part is the AWS SDKs' text word for word (the
            // aws-config conformance data checks it, awkward as "code exit status: 3"
            // reads), so a plain sentence follows it; a process killed by a signal has no
            // code, so say what happened instead.
            let message = match status.code() {
                Some(code) => format!(
                    "Error retrieving credentials: external process exited with code exit status: {code} \
                     (the credential_process command failed with exit code {code}; run it by hand to see why)"
                ),
                None => format!(
                    "Error retrieving credentials: external process was terminated without an exit code ({status}), for example by a signal"
                ),
            };
            return Err(CredentialsError::provider_error(NAME, message));
        }
        if out.len() as u64 > MAX_OUTPUT {
            return Err(CredentialsError::invalid_response(
                NAME,
                format!("Error retrieving credentials from external process: output is larger than {MAX_OUTPUT} bytes"),
            ));
        }
        Ok(out)
    }

    async fn load(&self) -> CredentialsResult {
        let out = self.run().await?;
        parse_output(&out, self.account_id.clone())
    }
}

/// Parses `credential_process` output (Version 1).
pub fn parse_output(out: &[u8], fallback_account_id: Option<String>) -> CredentialsResult {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        version: Option<serde_json::Value>,
        access_key_id: Option<String>,
        secret_access_key: Option<Zeroizing<String>>,
        session_token: Option<Zeroizing<String>>,
        expiration: Option<String>,
        account_id: Option<String>,
    }
    let bad = |what: String| {
        CredentialsError::invalid_response(
            NAME,
            format!("Error retrieving credentials from external process, could not parse response: {what}"),
        )
    };
    let parsed: Output = serde_json::from_slice(out).map_err(|e| {
        bad(format!(
            "invalid JSON in response (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    match parsed.version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(1) => {}
        Some(v) => {
            return Err(bad(format!(
                "unsupported Version {v}: only Version 1 is supported"
            )))
        }
        None => return Err(bad("Version must be the number 1".into())),
    }
    let akid = parsed
        .access_key_id
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad("AccessKeyId is missing".into()))?;
    let secret = parsed
        .secret_access_key
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad("SecretAccessKey is missing".into()))?;
    let expiry = match parsed.expiration.as_deref() {
        None => None,
        Some(e) => Some(
            AmzDate::parse_rfc3339(e)
                .ok_or_else(|| {
                    bad("Expiration is not an RFC 3339 time such as 2030-01-01T00:00:00Z".into())
                })?
                .to_system_time(),
        ),
    };
    Ok(ProvidedCredentials::new(
        Credentials::new(
            akid,
            secret.as_str(),
            parsed.session_token.map(|t| t.as_str().to_string()),
            expiry,
        ),
        NAME,
    )
    .with_account_id(parsed.account_id.or(fallback_account_id)))
}

impl ProvideCredentials for CredentialProcessProvider {
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

    #[tokio::test]
    async fn distinct_errors() {
        let ok = CredentialProcessProvider::new(
            r#"echo '{"Version": 1, "AccessKeyId": "AK", "SecretAccessKey": "SK", "Expiration": "2030-01-01T00:00:00Z"}'"#,
        );
        let c = ok.provide_credentials().await.unwrap();
        assert_eq!(c.access_key_id(), "AK");
        assert!(c.expiry().is_some());

        let e = CredentialProcessProvider::new("exit 3")
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(matches!(e, CredentialsError::ProviderError { .. }));
        assert!(
            e.to_string().contains("exited with code exit status: 3"),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("the credential_process command failed with exit code 3"),
            "{e}"
        );

        #[cfg(unix)]
        {
            let e = CredentialProcessProvider::new("kill -9 $$")
                .provide_credentials()
                .await
                .unwrap_err();
            assert!(matches!(e, CredentialsError::ProviderError { .. }));
            assert!(
                e.to_string()
                    .contains("terminated without an exit code (signal: 9"),
                "{e}"
            );
        }

        let e = CredentialProcessProvider::new("echo nope")
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(matches!(e, CredentialsError::InvalidResponse { .. }));
        assert!(e.to_string().contains("invalid JSON in response"));

        let e = CredentialProcessProvider::new("sleep 30")
            .with_timeout(Duration::from_millis(200))
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(matches!(e, CredentialsError::Timeout { .. }), "{e}");

        let e = CredentialProcessProvider::new(
            r#"echo '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "SECRETX"}'"#,
        )
        .provide_credentials()
        .await
        .unwrap_err();
        assert!(e.to_string().contains("Version 2"));
        assert!(!e.to_string().contains("SECRETX"));
    }
}
