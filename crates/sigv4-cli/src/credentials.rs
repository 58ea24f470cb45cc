//! Where the CLI gets credentials from.

use sigv4::Credentials;

use crate::CliError;

/// Reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. Blank means absent.
pub fn from_env() -> Result<Credentials, CliError> {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(akid), Some(secret)) => Ok(Credentials::new(akid, secret, var("AWS_SESSION_TOKEN"), None)),
        (Some(_), None) => Err(CliError::failure(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both",
        )),
        (None, Some(_)) => Err(CliError::failure(
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both",
        )),
        (None, None) => Err(CliError::failure(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
        )),
    }
}
