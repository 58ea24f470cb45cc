//! curl's exit codes, and which one a transport failure is.

use crate::CliError;

pub(super) const RESOLVE: u8 = 6;
pub(super) const CONNECT: u8 = 7;
pub(super) const HTTP_ERROR: u8 = 22;
pub(super) const WRITE: u8 = 23;
pub(super) const READ: u8 = 26;
pub(super) const TIMEOUT: u8 = 28;
pub(super) const TLS: u8 = 35;
pub(super) const PARTIAL: u8 = 18;
pub(super) const EMPTY_REPLY: u8 = 52;
pub(super) const RECV: u8 = 56;
pub(super) const TOO_MANY_REDIRECTS: u8 = 47;
pub(super) const PEER_CERT: u8 = 60;

/// The message and curl exit code for a request that got no response.
pub(super) fn transport_error(e: &hyper_util::client::legacy::Error, uri: &http::Uri) -> CliError {
    // Through a proxy (5, 7, 56) or with a CA file that cannot be used (77).
    if let Some(known) = crate::net::proxy_or_ca_failure(e) {
        return known;
    }
    let mut messages = Vec::new();
    let mut timed_out = false;
    let tls = crate::net::rustls_error_in(e).map(tls_exit_code);
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        let text = s.to_string();
        if !text.is_empty() && !messages.contains(&text) {
            messages.push(text);
        }
        source = s.source();
    }
    let detail = messages.last().cloned().unwrap_or_default();
    let all = messages.join(": ");
    let authority = uri.authority().map_or("", |a| a.as_str());
    if timed_out {
        return CliError {
            message: format!("connecting to {authority} timed out (--connect-timeout)"),
            code: TIMEOUT,
        };
    }
    if all.contains("dns error") {
        return CliError {
            message: format!("cannot resolve host {authority}: {detail}"),
            code: RESOLVE,
        };
    }
    if let Some(code) = tls {
        let hint = if code == PEER_CERT {
            " (trust its CA with --cacert)"
        } else {
            " (is it an https port?)"
        };
        return CliError {
            message: format!("TLS handshake with {authority} failed: {detail}{hint}"),
            code,
        };
    }
    if is_incomplete(e) {
        return CliError {
            message: format!(
                "empty reply from {authority}: the server closed the connection without answering"
            ),
            code: EMPTY_REPLY,
        };
    }
    // The TCP connection was made (hyper-util's connector names TCP failures) but the TLS
    // handshake did not finish, e.g. the server hung up on the ClientHello: curl's 35.
    if e.is_connect() && uri.scheme_str() == Some("https") && !all.contains("tcp connect error") {
        return CliError {
            message: format!("TLS handshake with {authority} failed: {all} (is it an https port?)"),
            code: TLS,
        };
    }
    if e.is_connect() {
        return CliError {
            message: format!(
                "cannot connect to {authority}: {detail} (is the server running and the port right?)"
            ),
            code: CONNECT,
        };
    }
    if let Some(body_err) = messages.iter().find(|m| m.contains("file ended")) {
        return CliError {
            message: format!("upload failed: {body_err}"),
            code: READ,
        };
    }
    CliError {
        message: format!("the request to {authority} failed: {all}"),
        code: RECV,
    }
}

/// curl's code for a failed TLS handshake: 60 when the server's certificate is not
/// trusted, 35 for anything else (such as https to a plain-HTTP port).
fn tls_exit_code(e: &rustls::Error) -> u8 {
    match e {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => PEER_CERT,
        _ => TLS,
    }
}

/// Whether the connection ended before a complete message (hyper's incomplete message).
fn is_incomplete(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether a response body ended before its announced length (hyper: an unexpected end
/// of file inside the body).
pub(super) fn is_truncated(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        let eof = s
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
        if eof || is_incomplete(s) {
            return true;
        }
        source = s.source();
    }
    false
}
