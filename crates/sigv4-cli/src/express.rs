//! S3 Express One Zone for `request` and `presign`: a URL naming a directory bucket
//! (`--x-s3`) is signed for `s3express` with a session from CreateSession, the token sent
//! as `x-amz-s3session-token` (see [`sigv4_credentials::s3express`]).

use std::sync::Arc;
use std::time::Duration;

use sigv4::{Credentials, Signer, SigningSettings};
use sigv4_credentials::s3express::{DirectoryBucket, S3ExpressSessions};
use sigv4_credentials::ProviderContext;

use crate::CliError;

/// The directory bucket `url` addresses, when signing for S3: the first host label, or
/// (path style, for local and test endpoints) the first path segment, ending in `--x-s3`.
pub fn directory_bucket(url: &str, service: &str) -> Option<DirectoryBucket> {
    matches!(service, "s3" | "s3express")
        .then(|| DirectoryBucket::from_url(url, true))
        .flatten()
}

/// For a directory bucket, the session signer (service `s3express`, the token as
/// `x-amz-s3session-token`) and the session credentials from CreateSession, signed with
/// `base`. Anything else: `signer` and `base` unchanged.
pub fn signer_and_credentials(
    url: &str,
    region: &str,
    service: &str,
    signer: Signer,
    base: Credentials,
    verbose: bool,
) -> Result<(Signer, Credentials), CliError> {
    match session_for(url, region, service, &base, verbose)? {
        Some(session) => Ok((session_signer(region, None)?, session)),
        None => Ok((signer, base)),
    }
}

/// The S3 Express session credentials for `url` when it names a directory bucket
/// (CreateSession signed with `base` for `s3express` in `region`), else `None`.
pub fn session_for(
    url: &str,
    region: &str,
    service: &str,
    base: &Credentials,
    verbose: bool,
) -> Result<Option<Credentials>, CliError> {
    let Some(bucket) = directory_bucket(url, service) else {
        return Ok(None);
    };
    // CreateSession is signed at the time corrected for the endpoint (and retried once
    // after a clock-skew refusal), like the request itself.
    let sessions = S3ExpressSessions::new(ProviderContext::default())
        .with_clock_skew(Arc::clone(crate::skew::global()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    let session = runtime
        .block_on(sessions.session(&bucket, region, base))
        .map_err(|e| CliError::failure(format!("cannot create an S3 Express session: {e}")))?
        .into_credentials();
    if verbose {
        eprintln!(
            "* S3 Express directory bucket {}: CreateSession ({}) gave session {}; signing for s3express with x-amz-s3session-token",
            bucket.bucket(),
            bucket.create_session_url(),
            session.access_key_id()
        );
    }
    Ok(Some(session))
}

/// The signer for a directory bucket's data requests in `region`; presigned URLs valid
/// for `presign` when given.
pub fn session_signer(region: &str, presign: Option<Duration>) -> Result<Signer, CliError> {
    let mut settings = SigningSettings::s3express_session();
    if let Some(expires) = presign {
        settings = settings.presigned(expires);
    }
    Ok(Signer::new(region, "s3express")
        .map_err(|e| CliError::usage(e.to_string()))?
        .with_settings(settings))
}
