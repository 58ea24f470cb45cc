//! Issue 21: proxies, TLS trust and retries as curl does them. Each test runs the real
//! `sigv4` binary and the real `curl` (7.88) with the same arguments and environment
//! against servers on 127.0.0.1 that the test starts (a signature-verifying target, a
//! forward proxy that records what reaches it, a connection-counting server) and compares
//! what both did: the proxy's view of the request, exit codes, standard output and error.

#[path = "support/forward_proxy.rs"]
mod forward_proxy;
mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use forward_proxy::{ForwardProxy, ProxySeen};
use support::*;

/// curl signing as we do (its --aws-sigv4), in a clean environment plus `env`.
fn curl(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = Command::new("curl");
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args(["--aws-sigv4", "aws:amz:us-east-1:es", "-u"])
        .arg(format!("{AK}:{SK}"))
        .args(args);
    c
}

/// `sigv4 request --service es ARGS` with `env` added.
fn ours(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = sigv4_cmd(home, SK);
    c.envs(env.iter().copied())
        .args(["request", "--service", "es"])
        .args(args);
    c
}

/// Runs both at once (retry tests wait), ours first in the pair.
fn both(ours: Command, theirs: Option<Command>) -> (Output, Option<Output>) {
    let mut ours = ours;
    let theirs = theirs.map(|mut c| std::thread::spawn(move || c.output().unwrap()));
    (ours.output().unwrap(), theirs.map(|t| t.join().unwrap()))
}

/// Runs ours, then curl, each outcome with what the proxy saw of that run alone.
fn one_then_other(
    ours: Command,
    theirs: Option<Command>,
    proxy: &ForwardProxy,
) -> (Outcome, Option<Outcome>) {
    let (mut ours, mut theirs) = (ours, theirs);
    let o = outcome(&ours.output().unwrap(), proxy);
    (
        o,
        theirs
            .as_mut()
            .map(|t| outcome(&t.output().unwrap(), proxy)),
    )
}

/// What a run did, for comparing ours with curl's.
#[derive(Debug, PartialEq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr_empty: bool,
    proxied: Vec<String>,
}

fn outcome(out: &Output, proxy: &ForwardProxy) -> Outcome {
    Outcome {
        code: out.status.code(),
        stdout: text(&out.stdout),
        stderr_empty: out.stderr.is_empty(),
        proxied: proxy.take().into_iter().map(|s| s.line).collect(),
    }
}

fn https(server: &VerifyingServer, host: &str) -> String {
    format!("https://{host}:{}/doc", server.addr.port())
}

fn http(server: &VerifyingServer, host: &str) -> String {
    format!("http://{host}:{}/doc", server.addr.port())
}

#[test]
fn proxy_flags_and_environment_as_curl() {
    let home = TempDir::new("net-proxy");
    let (acceptor, pem) = self_signed_tls();
    let tls = VerifyingServer::start_tls("es", acceptor);
    let plain = VerifyingServer::start("es");
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let ca = ca.to_str().unwrap();
    let proxy = ForwardProxy::start();
    let p = proxy.url();
    let p = p.as_str();
    let (h, s) = (http(&plain, "localhost"), https(&tls, "localhost"));
    let s_ip = https(&tls, "127.0.0.1");
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str, bool);
    let cases: Vec<Case> = vec![
        (vec![], vec!["-x", p], &h, true),
        (vec![], vec!["--proxy", p], &s, true),
        (vec![("http_proxy", p)], vec![], &h, true),
        // curl ignores HTTP_PROXY (a CGI request's Proxy: header sets it).
        (vec![("HTTP_PROXY", p)], vec![], &h, false),
        (vec![("http_proxy", p)], vec![], &s, false),
        (vec![("https_proxy", p)], vec![], &s, true),
        (vec![("HTTPS_PROXY", p)], vec![], &s, true),
        (vec![("all_proxy", p)], vec![], &h, true),
        (vec![("ALL_PROXY", p)], vec![], &s, true),
        // Set but empty: as unset (all_proxy is read).
        (
            vec![("https_proxy", ""), ("all_proxy", p)],
            vec![],
            &s,
            true,
        ),
        (
            vec![("http_proxy", p), ("no_proxy", "localhost")],
            vec![],
            &h,
            false,
        ),
        (
            vec![("http_proxy", p), ("no_proxy", ".localhost")],
            vec![],
            &h,
            false,
        ),
        (
            vec![("http_proxy", p), ("NO_PROXY", "*")],
            vec![],
            &h,
            false,
        ),
        (
            vec![("http_proxy", p), ("no_proxy", "example.com")],
            vec![],
            &h,
            true,
        ),
        (
            vec![("https_proxy", p), ("no_proxy", "127.0.0.0/8")],
            vec![],
            &s_ip,
            false,
        ),
        (
            vec![("https_proxy", p), ("no_proxy", "10.0.0.0/8")],
            vec![],
            &s_ip,
            true,
        ),
        // --noproxy wins over no_proxy; '' turns it off.
        (
            vec![("http_proxy", p), ("no_proxy", "*")],
            vec!["--noproxy", ""],
            &h,
            true,
        ),
        (vec![], vec!["-x", p, "--noproxy", "localhost"], &h, false),
        (vec![], vec!["-x", p, "--noproxy", "*"], &s, false),
        // --proxy '' turns every proxy off.
        (vec![("http_proxy", p)], vec!["--proxy", ""], &h, false),
        // -x wins over the environment.
        (
            vec![("https_proxy", "http://127.0.0.1:1")],
            vec!["-x", p],
            &s,
            true,
        ),
    ];
    let have_curl = curl_available();
    if !have_curl {
        skip("curl's proxy choice");
    }
    for (env, flags, url, proxied) in &cases {
        let mut args = vec!["-s", "--cacert", ca, "-d", "x=1"];
        args.extend(flags);
        args.push(url);
        let (o, t) = one_then_other(
            ours(home.path(), env, &args),
            have_curl.then(|| curl(home.path(), env, &args)),
            &proxy,
        );
        let what = format!("{env:?} {flags:?} {url}");
        assert_eq!(o.code, Some(0), "{what}: {o:?}");
        assert_eq!(o.stdout, "x=1", "{what}: the target verified the signature");
        assert_eq!(!o.proxied.is_empty(), *proxied, "{what}: {o:?}");
        if let Some(t) = t {
            assert_eq!(o, t, "{what}: sigv4 (left), curl (right)");
        }
    }
    // What went through the proxy is what curl sends: absolute form for http, CONNECT
    // for https (the tunnel's TLS is end to end: the target verified the signature).
    // -v says which proxy.
    let (o, _) = both(ours(home.path(), &[], &["-v", "-x", p, &h]), None);
    assert_eq!(o.status.code(), Some(0));
    let proxy_line = format!("* Through proxy {} (request in absolute form)", proxy.addr);
    assert!(
        text(&o.stderr).lines().any(|l| l == proxy_line),
        "{}",
        text(&o.stderr)
    );
    let seen = proxy.take();
    assert_eq!(seen[0].line, format!("GET {h} HTTP/1.1"));
    assert_eq!(
        seen[0].header("host"),
        Some(format!("localhost:{}", plain.addr.port()).as_str())
    );
    let (o, _) = both(
        ours(home.path(), &[], &["-s", "--cacert", ca, "-x", p, &s]),
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let seen = proxy.take();
    let target = format!("localhost:{}", tls.addr.port());
    assert_eq!(seen[0].line, format!("CONNECT {target} HTTP/1.1"));
    assert_eq!(seen[0].header("host"), Some(target.as_str()));
}

/// Proxy credentials in the proxy URL (`-x` or a variable) and in `-U/--proxy-user`: the
/// `Proxy-Authorization` curl sends, for http targets (absolute form) and https ones
/// (`CONNECT`). The URL's credentials win over `-U`, as in curl.
#[test]
fn proxy_credentials_as_curl() {
    let home = TempDir::new("net-proxy-auth");
    let (acceptor, pem) = self_signed_tls();
    let tls = VerifyingServer::start_tls("es", acceptor);
    let plain = VerifyingServer::start("es");
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let proxy = ForwardProxy::start();
    let with_auth = format!("http://us%40er:p%3Ass@{}", proxy.addr);
    let bare = format!("http://{}", proxy.addr);
    // (environment, flags, the base64 of the Basic credentials expected)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        // RFC 7617: user "us@er", password "p:ss", percent-decoded from the URL.
        (vec![], vec!["-x", &with_auth], "dXNAZXI6cDpzcw=="), // us@er:p:ss
        // -U split at the first ':', each part percent-decoded.
        (
            vec![],
            vec!["-x", &bare, "-U", "u%41:p%3Aw:x"],
            "dUE6cDp3Ong=",
        ), // uA:p:w:x
        (vec![], vec!["-x", &bare, "--proxy-user", "u:"], "dTo="), // u:
        (
            vec![],
            vec!["-x", &with_auth, "-U", "other:pw"],
            "dXNAZXI6cDpzcw==",
        ),
        (
            vec![("http_proxy", &bare), ("https_proxy", &bare)],
            vec!["-U", "env:pw"],
            "ZW52OnB3", // env:pw
        ),
    ];
    for (env, flags, want) in &cases {
        for url in [http(&plain, "localhost"), https(&tls, "localhost")] {
            let mut args = vec!["-s", "--cacert", ca.to_str().unwrap()];
            args.extend(flags);
            args.push(&url);
            let (o, _) = both(ours(home.path(), env, &args), None);
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
            let ours_seen: Vec<ProxySeen> = proxy.take();
            let auth = ours_seen[0].header("proxy-authorization").unwrap();
            assert_eq!(auth, format!("Basic {want}"), "{args:?}");
            if !curl_available() {
                return skip("curl's Proxy-Authorization");
            }
            let theirs = curl(home.path(), env, &args).output().unwrap();
            assert_eq!(theirs.status.code(), Some(0), "curl {args:?}");
            let curl_seen = proxy.take();
            assert_eq!(ours_seen[0].line, curl_seen[0].line);
            assert_eq!(
                ours_seen[0].header("proxy-authorization"),
                curl_seen[0].header("proxy-authorization"),
                "{env:?} {args:?}: sigv4 (left), curl (right)"
            );
        }
    }
    // curl asks for the password of `-U USER`; sigv4 never prompts: a usage error.
    let o = ours(
        home.path(),
        &[],
        &["-x", &bare, "-U", "user", &http(&plain, "x")],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(proxy.take().is_empty());
}

#[test]
fn proxy_failures_exit_as_curl() {
    let home = TempDir::new("net-proxy-fail");
    let (acceptor, pem) = self_signed_tls();
    let tls = VerifyingServer::start_tls("es", acceptor);
    let plain = VerifyingServer::start("es");
    let ca = home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refusing = ForwardProxy::refusing_connect(403);
    let (h, s) = (http(&plain, "localhost"), https(&tls, "localhost"));
    let cases: Vec<(i32, String, &str)> = vec![
        // The proxy's name does not resolve ("a..b" is refused without a DNS query).
        (5, "http://a..b:3128".into(), &h),
        (7, format!("http://{closed}"), &h),
        (7, format!("http://{closed}"), &s),
        // curl speaks SOCKS and finds nobody listening; we refuse the scheme: both 7.
        (7, format!("socks5://{closed}"), &h),
        (56, refusing.url(), &s),
    ];
    let have_curl = curl_available();
    if !have_curl {
        skip("curl's proxy exit codes");
    }
    for (code, proxy, url) in &cases {
        let args = ["-s", "--cacert", ca.to_str().unwrap(), "-x", proxy, url];
        let (o, t) = both(
            ours(home.path(), &[], &args),
            have_curl.then(|| curl(home.path(), &[], &args)),
        );
        assert_eq!(
            o.status.code(),
            Some(*code),
            "{args:?}: {}",
            text(&o.stderr)
        );
        assert_eq!(text(&o.stderr), "", "-s: no message");
        if let Some(t) = t {
            assert_eq!(
                (o.status.code(), text(&o.stdout)),
                (t.status.code(), text(&t.stdout)),
                "{args:?}: sigv4 (left), curl (right)"
            );
        }
        // Without -s, one line saying what failed.
        let o = ours(home.path(), &[], &args[1..]).output().unwrap();
        assert_eq!(text(&o.stderr).lines().count(), 1, "{}", text(&o.stderr));
    }
}

/// A TLS acceptor for a certificate and key in PEM files.
fn acceptor_from_pem(cert: &Path, key: &Path) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    tls_acceptor(certs, key)
}

/// `openssl req -x509`: a self-signed certificate that is its own CA (CA:TRUE), for
/// `names` (subjectAltName), with its key; returns (cert.pem, key.pem).
fn openssl_self_signed(
    dir: &Path,
    stem: &str,
    names: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join(format!("{stem}.pem"));
    let key = dir.join(format!("{stem}.key"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args([
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
        ])
        .arg(format!("/CN={stem}"))
        .arg("-addext")
        .arg(format!("subjectAltName={names}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed (apt-get install -y openssl)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    (cert, key)
}

/// The OpenSSL subject hash `openssl rehash` names the file by.
fn openssl_hash(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-hash", "-noout", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    text(&out.stdout).trim().to_owned()
}

/// A certificate that expired in 2001, its own CA, for localhost (made with rcgen): the
/// acceptor and the certificate as PEM.
fn expired_self_signed() -> (tokio_rustls::TlsAcceptor, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    (tls_acceptor(vec![cert.der().clone()], der), cert.pem())
}

#[test]
fn ca_files_directories_and_variables_as_curl() {
    let home = TempDir::new("net-tls");
    let dir = home.path();
    let (cert, key) = openssl_self_signed(dir, "localhost", "DNS:localhost,IP:127.0.0.1");
    let server = VerifyingServer::start_tls("es", acceptor_from_pem(&cert, &key));
    // Another self-signed certificate, for another name, served at localhost.
    let (other, other_key) = openssl_self_signed(dir, "other", "DNS:other.test");
    let misnamed = VerifyingServer::start_tls("es", acceptor_from_pem(&other, &other_key));
    let (expired_acceptor, expired_pem) = expired_self_signed();
    let expired = VerifyingServer::start_tls("es", expired_acceptor);
    let expired_ca = dir.join("expired.pem");
    std::fs::write(&expired_ca, expired_pem).unwrap();
    let hashed = dir.join("hashed");
    let plain_dir = dir.join("plain");
    std::fs::create_dir_all(&hashed).unwrap();
    std::fs::create_dir_all(&plain_dir).unwrap();
    std::fs::copy(&cert, hashed.join(format!("{}.0", openssl_hash(&cert)))).unwrap();
    std::fs::copy(&cert, plain_dir.join("ca.pem")).unwrap();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let plain = VerifyingServer::start("es");
    let p = |p: &Path| p.to_str().unwrap().to_owned();
    // Each case: exit code, environment (NAME=value, space-separated; $cert, $junk,
    // $hashed, $plain_dir, $other, $expired, $missing substituted), flags, URL.
    #[rustfmt::skip]
    let cases: Vec<(i32, &str, &str, &str)> = vec![
        // openssl req -x509 makes a CA:TRUE certificate: rustls/webpki alone refuses it
        // as a server certificate (CaUsedAsEndEntity); curl accepts it.
        (0, "", "--cacert $cert", "$url"),
        (0, "", "--cacert $cert", "$url_ip"),
        // The name still counts, and the dates.
        (60, "", "--cacert $other", "$misnamed"),
        (60, "", "--cacert $expired", "$expired_url"),
        (0, "", "-k", "$expired_url"),
        // Hashed directory: read; plain names: ignored, as OpenSSL; missing: nothing.
        (0, "", "--capath $hashed", "$url"),
        (60, "", "--capath $plain_dir", "$url"),
        (60, "", "--capath $missing", "$url"),
        (77, "", "--cacert $junk --capath $hashed", "$url"),
        // An unusable CA file fails TLS connections only (77); -k reads nothing.
        (77, "", "--cacert $junk", "$url"),
        (77, "", "--cacert $missing", "$url"),
        (0, "", "--cacert $junk", "$plain_url"),
        (0, "", "-k --cacert $junk", "$url"),
        // curl's variables: CURL_CA_BUNDLE, else SSL_CERT_DIR, else SSL_CERT_FILE.
        (0, "CURL_CA_BUNDLE=$cert", "", "$url"),
        (77, "CURL_CA_BUNDLE=$junk", "", "$url"),
        (0, "SSL_CERT_FILE=$cert", "", "$url"),
        (77, "SSL_CERT_FILE=$junk", "", "$url"),
        (0, "SSL_CERT_DIR=$hashed", "", "$url"),
        (60, "SSL_CERT_DIR=$plain_dir", "", "$url"),
        (77, "CURL_CA_BUNDLE=$junk SSL_CERT_FILE=$cert", "", "$url"),
        (0, "SSL_CERT_DIR=$hashed SSL_CERT_FILE=$junk", "", "$url"),
        (60, "SSL_CERT_DIR=$plain_dir SSL_CERT_FILE=$cert", "", "$url"),
        // Flags win over variables.
        (0, "CURL_CA_BUNDLE=$junk SSL_CERT_FILE=$junk", "--cacert $cert", "$url"),
        // The built-in roots do not know a private CA.
        (60, "", "", "$url"),
    ];
    let vars = [
        ("$cert", p(&cert)),
        ("$junk", p(&junk)),
        ("$hashed", p(&hashed)),
        ("$plain_dir", p(&plain_dir)),
        ("$other", p(&other)),
        ("$expired_url", https(&expired, "localhost")),
        ("$expired", p(&expired_ca)),
        ("$missing", p(&dir.join("missing"))),
        ("$url_ip", https(&server, "127.0.0.1")),
        ("$url", https(&server, "localhost")),
        ("$misnamed", https(&misnamed, "localhost")),
        ("$plain_url", http(&plain, "localhost")),
    ];
    let subst = |s: &str| {
        vars.iter()
            .fold(s.to_owned(), |acc, (k, v)| acc.replace(k, v))
    };
    let have_curl = curl_available();
    if !have_curl {
        skip("curl's CA handling");
    }
    for (code, env, flags, url) in &cases {
        let (env, flags, url) = (subst(env), subst(flags), subst(url));
        let env: Vec<(&str, &str)> = env
            .split_whitespace()
            .map(|kv| kv.split_once('=').unwrap())
            .collect();
        let mut args: Vec<&str> = vec!["-s", "-d", "x=1"];
        args.extend(flags.split_whitespace());
        args.push(&url);
        let (o, t) = both(
            ours(dir, &env, &args),
            have_curl.then(|| curl(dir, &env, &args)),
        );
        let what = format!("{env:?} {flags} {url}");
        assert_eq!(o.status.code(), Some(*code), "{what}: {}", text(&o.stderr));
        if *code == 0 {
            assert_eq!(text(&o.stdout), "x=1", "{what}");
        }
        if let Some(t) = t {
            assert_eq!(
                (o.status.code(), text(&o.stdout), o.stderr.is_empty()),
                (t.status.code(), text(&t.stdout), t.stderr.is_empty()),
                "{what}: sigv4 (left), curl (right)"
            );
        }
    }
    // The AWS CLI's AWS_CA_BUNDLE, which curl does not read (a deliberate difference, in
    // the README), comes before curl's variables.
    let (cert_s, junk_s, url) = (subst("$cert"), subst("$junk"), subst("$url"));
    let cases: Vec<(i32, Vec<(&str, &str)>)> = vec![
        (0, vec![("AWS_CA_BUNDLE", &cert_s)]),
        (
            77,
            vec![("AWS_CA_BUNDLE", &junk_s), ("SSL_CERT_FILE", &cert_s)],
        ),
        (
            0,
            vec![("AWS_CA_BUNDLE", &cert_s), ("CURL_CA_BUNDLE", &junk_s)],
        ),
    ];
    for (code, env) in &cases {
        let o = ours(dir, env, &["-s", "-d", "x=1", &url]).output().unwrap();
        assert_eq!(o.status.code(), Some(*code), "{env:?}: {}", text(&o.stderr));
    }
    if have_curl {
        let t = curl(dir, &[("AWS_CA_BUNDLE", &cert_s)], &["-s", &url])
            .output()
            .unwrap();
        assert_eq!(t.status.code(), Some(60), "curl 7.88 ignores AWS_CA_BUNDLE");
    }
}

#[test]
fn proxy_command_upstream_through_capath_and_a_forward_proxy() {
    let home = TempDir::new("net-proxy-cmd");
    let dir = home.path();
    let (cert, key) = openssl_self_signed(dir, "localhost", "DNS:localhost");
    let server = VerifyingServer::start_tls("es", acceptor_from_pem(&cert, &key));
    let hashed = dir.join("hashed");
    std::fs::create_dir_all(&hashed).unwrap();
    std::fs::copy(&cert, hashed.join(format!("{}.0", openssl_hash(&cert)))).unwrap();
    let forward = ForwardProxy::start();
    let proxy = ProxyProc::start(
        dir,
        &[
            "--upstream",
            &format!("https://localhost:{}", server.addr.port()),
            "--upstream-capath",
            hashed.to_str().unwrap(),
            "--upstream-proxy",
            &forward.url(),
            "--service",
            "es",
        ],
    );
    let resp = post_through(&proxy);
    assert!(
        resp.starts_with("HTTP/1.1 200"),
        "{resp}\n{}",
        proxy.log_text()
    );
    assert!(resp.ends_with("\r\n\r\nhello"), "{resp}");
    assert_eq!(server.counts.verified.load(Ordering::Relaxed), 1);
    let seen = forward.take();
    assert_eq!(
        seen[0].line,
        format!("CONNECT localhost:{} HTTP/1.1", server.addr.port())
    );
}

/// Sends one POST through a `sigv4 proxy` and returns the raw answer.
fn post_through(proxy: &ProxyProc) -> String {
    let mut s = std::net::TcpStream::connect(proxy.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(
        b"POST /x HTTP/1.1\r\nHost: p\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    text(&buf)
}

#[test]
fn proxy_command_upstream_follows_the_proxy_variables() {
    let home = TempDir::new("net-proxy-env");
    let upstream = VerifyingServer::start("es");
    let forward = ForwardProxy::start();
    let target = format!("http://localhost:{}", upstream.addr.port());
    let env = [("http_proxy", forward.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = ["--upstream", target.as_str(), "--service", "es"];
    // http_proxy, as curl reads it: the upstream request goes through the forward proxy
    // in absolute form, signed as if direct (the upstream verifies it).
    let proxy = ProxyProc::start_env(home.path(), &env, &args);
    let resp = post_through(&proxy);
    assert!(
        resp.starts_with("HTTP/1.1 200"),
        "{resp}\n{}",
        proxy.log_text()
    );
    assert!(resp.ends_with("\r\n\r\nhello"), "{resp}");
    let seen = forward.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].line, format!("POST {target}/x HTTP/1.1"));
    // --upstream-proxy '' (curl's --proxy '') and no_proxy turn it off.
    for extra in [
        vec!["--upstream-proxy", ""],
        vec!["--upstream-noproxy", "localhost"],
    ] {
        let mut with: Vec<&str> = args.to_vec();
        with.extend(extra.iter().copied());
        let proxy = ProxyProc::start_env(home.path(), &env, &with);
        let resp = post_through(&proxy);
        assert!(resp.starts_with("HTTP/1.1 200"), "{extra:?}: {resp}");
        assert!(
            forward.take().is_empty(),
            "{extra:?}: went through the proxy"
        );
    }
    assert_eq!(upstream.counts.verified.load(Ordering::Relaxed), 3);
}

/// The "answer" of a server that never answers (it closes after 5 s).
const HANG: &[u8] = b"(no answer)";

/// A server that counts connections and answers each with `answer` (after reading the
/// request head); an empty `answer` closes without a reply, [`HANG`] answers nothing.
fn counting_server(answer: &'static [u8]) -> (std::net::SocketAddr, Arc<AtomicU32>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicU32::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(50) {
            let Ok(mut conn) = conn else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            if answer == HANG {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(5));
                    drop(conn);
                });
            } else {
                let _ = conn.write_all(answer);
            }
        }
    });
    (addr, count)
}

/// Lines of standard error announcing a retry (curl: "Will retry", ours: "retrying").
fn retry_lines(out: &Output) -> usize {
    text(&out.stderr)
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("retr"))
        .count()
}

#[test]
fn retries_as_curl() {
    let home = TempDir::new("net-retry");
    const UNAVAILABLE: &[u8] =
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy";
    const NOT_FOUND: &[u8] =
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope";
    // (server answer, None for a refused port; flags; connections; exit code)
    type Case = (Option<&'static [u8]>, Vec<&'static str>, u32, i32);
    let cases: Vec<Case> = vec![
        (Some(UNAVAILABLE), vec!["--retry", "1"], 2, 0),
        // An empty reply is not transient for curl...
        (Some(b""), vec!["--retry", "1"], 1, 52),
        // ... unless every error is.
        (Some(b""), vec!["--retry", "1", "--retry-all-errors"], 2, 52),
        (
            Some(NOT_FOUND),
            vec!["--retry", "1", "--retry-all-errors"],
            1,
            0,
        ),
        (
            Some(NOT_FOUND),
            vec!["--retry", "1", "--retry-all-errors", "-f"],
            2,
            22,
        ),
        // No new attempt once --retry-max-time has passed (the first wait is 1 s).
        (
            Some(UNAVAILABLE),
            vec!["--retry", "3", "--retry-max-time", "1"],
            2,
            0,
        ),
        // -m bounds each attempt, and its timeout is retried.
        (Some(HANG), vec!["--retry", "1", "-m", "1"], 2, 28),
        // A refused connection is retried only with --retry-connrefused.
        (None, vec!["--retry", "2"], 0, 7),
        (None, vec!["--retry", "2", "--retry-connrefused"], 0, 7),
    ];
    let have_curl = curl_available();
    if !have_curl {
        skip("curl's retries");
    }
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(answer, flags, conns, code)| {
            let home = home.path().to_owned();
            std::thread::spawn(move || {
                let target = |answer| match answer {
                    Some(a) => {
                        let (addr, count) = counting_server(a);
                        (format!("http://{addr}/"), Some(count))
                    }
                    None => {
                        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                        (format!("http://{}/", l.local_addr().unwrap()), None)
                    }
                };
                // Standard output, not -o: curl truncates an output file before each
                // retry (and fails on /dev/null).
                let mut args = vec!["--no-progress-meter", "--retry-delay", "1"];
                args.extend(&flags);
                let (url, count) = target(answer);
                let (url2, count2) = target(answer);
                let mut ours_args = args.clone();
                ours_args.push(&url);
                let mut curl_args = args.clone();
                curl_args.push(&url2);
                let (o, t) = both(
                    ours(&home, &[], &ours_args),
                    have_curl.then(|| curl(&home, &[], &curl_args)),
                );
                let seen = count.map_or(0, |c| c.load(Ordering::SeqCst));
                let seen2 = count2.map_or(0, |c| c.load(Ordering::SeqCst));
                (flags, conns, code, o, seen, t, seen2)
            })
        })
        .collect();
    for run in runs {
        let (flags, conns, code, o, seen, t, seen2) = run.join().unwrap();
        assert_eq!(
            (o.status.code(), seen),
            (Some(code), conns),
            "{flags:?}: {}",
            text(&o.stderr)
        );
        let retries = retry_lines(&o);
        if let Some(t) = t {
            assert_eq!(
                (o.status.code(), seen, retries, text(&o.stdout)),
                (t.status.code(), seen2, retry_lines(&t), text(&t.stdout)),
                "{flags:?}: sigv4 (left), curl (right)\nours: {}\ncurl: {}",
                text(&o.stderr),
                text(&t.stderr)
            );
        }
    }
}
