//! Every case of the AWS SigV4 test suite (aws-c-auth's `v4` directory), in header and
//! query mode: canonical request, string to sign, signature and the signed request must
//! match byte for byte.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sigv4::{
    AmzDate, Credentials, Payload, SessionTokenMode, SignableRequest, Signer, SigningSettings,
};

fn suite_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/aws-signing-test-suite/v4");
    assert!(
        dir.is_dir(),
        "the AWS signing test suite is missing at {} (../shared/testdata must sit beside the repository)",
        dir.display()
    );
    dir
}

struct RawRequest {
    method: String,
    target: String,
    header_block: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses `request.txt`: a request line whose target may contain spaces, header lines with
/// obsolete folding (continuation lines start with whitespace), a blank line and a body.
fn parse_request(text: &[u8]) -> RawRequest {
    let (head, body) = match find(text, b"\n\n") {
        Some(i) => (&text[..i], text[i + 2..].to_vec()),
        None => (text.strip_suffix(b"\n").unwrap_or(text), Vec::new()),
    };
    let head = std::str::from_utf8(head).expect("request head is UTF-8");
    let (request_line, header_block) = head.split_once('\n').unwrap_or((head, ""));
    let method_end = request_line.find(' ').expect("request line has a method");
    let version_start = request_line.rfind(' ').expect("request line has a version");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in header_block.split('\n').filter(|l| !l.is_empty()) {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (n, v) = line.split_once(':').expect("header line has a colon");
            headers.push((n.to_owned(), v.to_owned()));
        }
    }
    RawRequest {
        method: request_line[..method_end].to_owned(),
        target: request_line[method_end + 1..version_start].to_owned(),
        header_block: header_block.to_owned(),
        headers,
        body,
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

struct Case {
    name: String,
    dir: PathBuf,
    ctx: serde_json::Value,
    req: RawRequest,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(suite_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let ctx: serde_json::Value = serde_json::from_str(&read(&dir, "context.json")).unwrap();
        let req = parse_request(&std::fs::read(dir.join("request.txt")).unwrap());
        out.push(Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir,
            ctx,
            req,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        out.len() >= 38,
        "expected the 38 v4 cases, found {}",
        out.len()
    );
    out
}

fn run_case(case: &Case, query_mode: bool) -> Result<(), String> {
    let ctx = &case.ctx;
    let c = &ctx["credentials"];
    let creds = Credentials::new(
        c["access_key_id"].as_str().unwrap(),
        c["secret_access_key"].as_str().unwrap(),
        c["token"].as_str().map(str::to_owned),
        None,
    );
    let region = ctx["region"].as_str().unwrap();
    let service = ctx["service"].as_str().unwrap();
    let time = AmzDate::parse_rfc3339(ctx["timestamp"].as_str().unwrap())
        .unwrap()
        .to_system_time();
    let normalize = ctx["normalize"].as_bool().unwrap();
    let mut settings = SigningSettings::for_service(service);
    settings.normalize_uri_path = normalize;
    settings.double_uri_encode = normalize;
    settings.content_sha256_header = ctx["sign_body"].as_bool().unwrap_or(false);
    if ctx["omit_session_token"].as_bool().unwrap_or(false) {
        settings.session_token_mode = SessionTokenMode::AppendAfterSigning;
    }
    if query_mode {
        settings = settings.presigned(Duration::from_secs(
            ctx["expiration_in_seconds"].as_u64().unwrap(),
        ));
    }
    let signer = Signer::new(region, service)
        .unwrap()
        .with_settings(settings);
    let req = SignableRequest::new(
        &case.req.method,
        &case.req.target,
        case.req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
        Payload::Bytes(&case.req.body),
    );
    let out = signer
        .sign(&req, &creds, time)
        .map_err(|e| format!("signing failed: {e}"))?;

    let prefix = if query_mode { "query" } else { "header" };
    let mut errors = Vec::new();
    let mut check = |what: &str, got: &str, file: &str| {
        let want = read(&case.dir, file);
        if got != want {
            errors.push(format!("{what} differs\n--- want\n{want}\n--- got\n{got}"));
        }
    };
    check(
        "canonical request",
        out.canonical_request(),
        &format!("{prefix}-canonical-request.txt"),
    );
    check(
        "string to sign",
        out.string_to_sign(),
        &format!("{prefix}-string-to-sign.txt"),
    );
    check(
        "signature",
        out.signature(),
        &format!("{prefix}-signature.txt"),
    );

    // Render the signed request the way the suite does: original request line and header
    // lines, then the added headers, a blank line and the body.
    let path = case.req.target.split('?').next().unwrap();
    let target = if query_mode {
        format!("{path}?{}", out.query_string())
    } else {
        case.req.target.clone()
    };
    let mut signed = format!("{} {target} HTTP/1.1\n", case.req.method);
    if !case.req.header_block.is_empty() {
        signed.push_str(case.req.header_block.trim_end_matches('\n'));
        signed.push('\n');
    }
    for (n, v) in out.headers() {
        if n != n.to_ascii_lowercase() {
            errors.push(format!("added header name {n:?} is not lowercase"));
        }
        signed.push_str(&format!("{n}:{v}\n"));
    }
    signed.push('\n');
    signed.push_str(std::str::from_utf8(&case.req.body).unwrap());
    let want = std::fs::read(case.dir.join(format!("{prefix}-signed-request.txt"))).unwrap();
    let want_text = std::str::from_utf8(&want).expect("signed request is UTF-8");
    if header_names_lowercased(&signed) != header_names_lowercased(want_text) {
        errors.push(format!(
            "signed request differs\n--- want\n{}\n--- got\n{signed}",
            String::from_utf8_lossy(&want)
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// A rendered request with the header names lowercased (the request line, header values
/// and body untouched). Header names are case-insensitive in HTTP; the suite writes the
/// headers signing adds as `X-Amz-Date`/`Authorization`, this crate writes every header
/// name in lowercase (issue #17), and everything else must still match byte for byte.
fn header_names_lowercased(rendered: &str) -> String {
    let (head, body) = rendered.split_once("\n\n").unwrap_or((rendered, ""));
    let mut lines = head.split('\n');
    let mut out = String::from(lines.next().unwrap_or_default());
    for line in lines {
        out.push('\n');
        match line.split_once(':') {
            Some((name, value)) if !line.starts_with([' ', '\t']) => {
                out.push_str(&name.to_ascii_lowercase());
                out.push(':');
                out.push_str(value);
            }
            _ => out.push_str(line),
        }
    }
    if rendered.contains("\n\n") {
        out.push_str("\n\n");
        out.push_str(body);
    }
    out
}

fn run_all(query_mode: bool) {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case, query_mode) {
            failures.push(format!(
                "== {} ({})\n{e}",
                case.name,
                if query_mode { "query" } else { "header" }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    println!("{} cases passed", cases.len());
}

#[test]
fn v4_suite_header_mode() {
    run_all(false);
}

#[test]
fn v4_suite_query_mode() {
    run_all(true);
}
