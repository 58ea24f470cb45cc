//! Which certificates authenticate servers, read as curl reads its options.
//!
//! Where the trusted certificates come from, first match wins:
//! 1. `--cacert FILE` and/or `--capath DIR` (both together: their union);
//! 2. `AWS_CA_BUNDLE` (a PEM file, as the AWS CLI and SDKs read it);
//! 3. then as curl 7.88: `CURL_CA_BUNDLE` (a PEM file), else `SSL_CERT_DIR` (a hashed
//!    directory), else `SSL_CERT_FILE` (a PEM file);
//! 4. the Mozilla roots built in (webpki-roots).
//!
//! `--capath` reads the files OpenSSL reads in a hashed directory (`c_rehash` /
//! `openssl rehash` names: eight hex digits, a dot, a number); other files are ignored, as
//! curl (OpenSSL) ignores them. A certificate that is both the server's certificate and one
//! of the trusted ones (a self-signed certificate used as its own CA, as `openssl req -x509`
//! makes) is accepted when its bytes are exactly those of a trusted certificate, the server
//! name is one it names, and today is inside its validity period.
//!
//! As in curl, a CA file that cannot be used fails the TLS connections only (exit 77), not
//! plain-HTTP requests, and nothing is read with `-k/--insecure`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::CliError;

/// curl's exit code for a CA file or directory that cannot be used.
pub const EXIT_BAD_CA: u8 = 77;

/// The TLS options of one client: curl's `--cacert`, `--capath` and `-k`.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// `--cacert FILE`: trust the PEM certificates in FILE.
    pub cacert: Option<PathBuf>,
    /// `--capath DIR`: trust the certificates of an OpenSSL hashed directory.
    pub capath: Option<PathBuf>,
    /// `-k/--insecure`: accept any server certificate.
    pub insecure: bool,
}

/// Where the trusted certificates come from (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// `--cacert` and/or `--capath`.
    Given {
        cacert: Option<PathBuf>,
        capath: Option<PathBuf>,
    },
    /// A PEM file (or, for `SSL_CERT_DIR`, a hashed directory) named by an environment
    /// variable.
    Env { var: &'static str, path: PathBuf },
    /// The Mozilla roots built in.
    BuiltIn,
}

/// The environment variables naming CA certificates, in precedence order
/// (`SSL_CERT_DIR` names a directory, the others a PEM file).
pub const CA_ENV: [&str; 4] = [
    "AWS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_DIR",
    "SSL_CERT_FILE",
];

impl TrustSource {
    /// The source for `options`, looking up environment variables with `env` (unset and
    /// empty variables are skipped).
    pub fn select(options: &TlsOptions, env: impl Fn(&str) -> Option<String>) -> TrustSource {
        if options.cacert.is_some() || options.capath.is_some() {
            return TrustSource::Given {
                cacert: options.cacert.clone(),
                capath: options.capath.clone(),
            };
        }
        CA_ENV
            .iter()
            .find_map(|var| {
                env(var)
                    .filter(|v| !v.is_empty())
                    .map(|path| TrustSource::Env {
                        var,
                        path: PathBuf::from(path),
                    })
            })
            .unwrap_or(TrustSource::BuiltIn)
    }
}

/// The real environment.
pub fn real_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The rustls configuration for `options` with the real environment; a CA file or
/// directory that cannot be used is an error (exit 77).
pub fn client_config(
    options: &TlsOptions,
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ClientConfig, CliError> {
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure {
        Arc::new(Fixed(Verdict::Accept, provider.clone()))
    } else {
        let source = TrustSource::select(options, real_env);
        let anchors = load(&source)?;
        if anchors.is_empty() && source != TrustSource::BuiltIn {
            // A directory without usable certificates: nothing is trusted (curl's 60).
            Arc::new(Fixed(Verdict::Untrusted, provider.clone()))
        } else {
            Arc::new(AnchorVerifier::new(anchors, provider.clone())?)
        }
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::failure(format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// [`client_config`], but a CA file or directory that cannot be used fails each TLS
/// handshake instead (with [`BadCaFile`]), as curl only fails the TLS connections.
pub fn client_config_lazy(
    options: &TlsOptions,
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ClientConfig, CliError> {
    match client_config(options, provider.clone()) {
        Err(e) if e.code == EXIT_BAD_CA => Ok(rustls::ClientConfig::builder_with_provider(
            provider.clone(),
        )
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::failure(format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Fixed(
            Verdict::BadCa(BadCaFile(e.message)),
            provider,
        )))
        .with_no_client_auth()),
        other => other,
    }
}

/// A CA file or directory that cannot be used (curl's exit code 77).
#[derive(Debug, Clone)]
pub struct BadCaFile(pub String);

impl std::fmt::Display for BadCaFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadCaFile {}

/// The [`BadCaFile`] a TLS error carries, if any.
pub fn bad_ca_file(e: &rustls::Error) -> Option<&BadCaFile> {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(o)) | rustls::Error::Other(o) => {
            o.0.downcast_ref::<BadCaFile>()
        }
        _ => None,
    }
}

/// The trusted certificates of `source`, as DER.
pub fn load(source: &TrustSource) -> Result<Vec<CertificateDer<'static>>, CliError> {
    match source {
        TrustSource::BuiltIn => Ok(Vec::new()),
        TrustSource::Env { var, path } if *var == "SSL_CERT_DIR" => Ok(hashed_dir(path)),
        TrustSource::Env { var, path } => pem_file(path).map_err(|e| CliError {
            message: format!("{var}: {}", e.message),
            code: e.code,
        }),
        TrustSource::Given { cacert, capath } => {
            let mut certs = match cacert {
                Some(f) => pem_file(f)?,
                None => Vec::new(),
            };
            if let Some(dir) = capath {
                certs.extend(hashed_dir(dir));
            }
            Ok(certs)
        }
    }
}

/// Every certificate of a PEM file; none, or a file that cannot be read, is exit 77.
fn pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CliError> {
    let bad = |why: String| CliError {
        message: format!("CA certificates {}: {why}", path.display()),
        code: EXIT_BAD_CA,
    };
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        certs.push(cert.map_err(|e| bad(format!("not valid PEM ({e})")))?);
    }
    if certs.is_empty() {
        return Err(bad("no PEM certificate found in the file".into()));
    }
    Ok(certs)
}

/// The certificates OpenSSL would find in a hashed directory: files named `HHHHHHHH.N`.
/// A missing directory or unreadable files add nothing (curl then fails with 60, not 77).
fn hashed_dir(dir: &Path) -> Vec<CertificateDer<'static>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !is_hashed_name(&name.to_string_lossy()) {
            continue;
        }
        if let Ok(iter) = CertificateDer::pem_file_iter(entry.path()) {
            certs.extend(iter.flatten());
        }
    }
    certs
}

/// `c_rehash` names: eight lowercase hex digits, `.`, a decimal number.
fn is_hashed_name(name: &str) -> bool {
    match name.split_once('.') {
        Some((hash, n)) => {
            hash.len() == 8
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// The webpki verifier over the trusted certificates (or the built-in roots when none),
/// plus the one case webpki refuses and curl accepts: a server certificate that is
/// itself one of the trusted certificates.
#[derive(Debug)]
struct AnchorVerifier {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    trusted: Vec<CertificateDer<'static>>,
}

impl AnchorVerifier {
    fn new(
        trusted: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<AnchorVerifier, CliError> {
        let mut roots = rustls::RootCertStore::empty();
        if trusted.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for cert in &trusted {
            roots.add(cert.clone()).map_err(|e| CliError {
                message: format!("unusable CA certificate ({e})"),
                code: EXIT_BAD_CA,
            })?;
        }
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| CliError {
                    message: format!("no usable CA certificate ({e})"),
                    code: EXIT_BAD_CA,
                })?;
        Ok(AnchorVerifier { webpki, trusted })
    }
}

impl ServerCertVerifier for AnchorVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !self
            .trusted
            .iter()
            .any(|t| t.as_ref() == end_entity.as_ref())
        {
            return Err(refused);
        }
        // The very certificate the user trusts: its name and dates still count (the
        // handshake signature, checked separately, proves the server holds its key).
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        let (not_before, not_after) = validity(end_entity.as_ref()).ok_or(
            rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
        )?;
        let now = now.as_secs();
        if now < not_before {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet,
            ));
        }
        if now > not_after {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// One DER element: (tag, contents, what follows).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A certificate's notBefore and notAfter, in seconds since the epoch (RFC 5280 4.1).
fn validity(cert: &[u8]) -> Option<(u64, u64)> {
    let (_, cert, _) = der(cert)?;
    let (_, tbs, _) = der(cert)?;
    let (tag, _, after_version) = der(tbs)?;
    // version [0] is optional; then serial, signature algorithm, issuer, validity.
    let mut rest = if tag == 0xa0 { after_version } else { tbs };
    for _ in 0..3 {
        rest = der(rest)?.2;
    }
    let (_, validity, _) = der(rest)?;
    let (t1, not_before, rest) = der(validity)?;
    let (t2, not_after, _) = der(rest)?;
    Some((der_time(t1, not_before)?, der_time(t2, not_after)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) in seconds.
fn der_time(tag: u8, text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?;
    let full = match tag {
        0x17 if text.len() == 13 => {
            let yy: u32 = text[..2].parse().ok()?;
            format!("{}{text}", if yy < 50 { "20" } else { "19" })
        }
        0x18 if text.len() == 15 => text.to_owned(),
        _ => return None,
    };
    let amz = format!("{}T{}", &full[..8], &full[8..]);
    let t = sigv4::AmzDate::parse(&amz)?.to_system_time();
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// A verifier with the same verdict on every server certificate: `-k/--insecure`
/// (accept), a CA file that cannot be used (refuse with the reason, curl's 77), or
/// nothing trusted (refuse as an unknown issuer, curl's 60). The handshake's signatures are
/// still verified with the provider's algorithms.
#[derive(Debug)]
struct Fixed(Verdict, Arc<CryptoProvider>);

#[derive(Debug)]
enum Verdict {
    Accept,
    BadCa(BadCaFile),
    Untrusted,
}

impl ServerCertVerifier for Fixed {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.0 {
            Verdict::Accept => Ok(ServerCertVerified::assertion()),
            Verdict::BadCa(bad) => Err(rustls::Error::Other(rustls::OtherError(Arc::new(
                bad.clone(),
            )))),
            Verdict::Untrusted => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.1.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.1.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_precedence_order() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let all = env(&[
            ("AWS_CA_BUNDLE", "/a"),
            ("CURL_CA_BUNDLE", "/c"),
            ("SSL_CERT_FILE", "/s"),
        ]);
        let flags = TlsOptions {
            cacert: Some("/f".into()),
            ..TlsOptions::default()
        };
        assert!(matches!(
            TrustSource::select(&flags, all),
            TrustSource::Given { .. }
        ));
        let none = TlsOptions::default();
        assert_eq!(
            TrustSource::select(&none, all),
            TrustSource::Env {
                var: "AWS_CA_BUNDLE",
                path: "/a".into()
            }
        );
        let later = env(&[("AWS_CA_BUNDLE", ""), ("SSL_CERT_FILE", "/s")]);
        assert_eq!(
            TrustSource::select(&none, later),
            TrustSource::Env {
                var: "SSL_CERT_FILE",
                path: "/s".into()
            }
        );
        assert_eq!(TrustSource::select(&none, env(&[])), TrustSource::BuiltIn);
    }

    #[test]
    fn hashed_names_as_openssl_reads_them() {
        for ok in ["5ed36f99.0", "00000000.12"] {
            assert!(is_hashed_name(ok), "{ok}");
        }
        for no in [
            "ca.pem",
            "5ed36f99",
            "5ED36F99.0",
            "5ed36f9.0",
            "5ed36f99.r0",
            "5ed36f99.",
        ] {
            assert!(!is_hashed_name(no), "{no}");
        }
    }

    #[test]
    fn der_times() {
        assert_eq!(der_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(der_time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(der_time(0x18, b"20150830123600Z"), Some(1_440_938_160));
        assert_eq!(der_time(0x18, b"2015083012360Z"), None);
    }
}
