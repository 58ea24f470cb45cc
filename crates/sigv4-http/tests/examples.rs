//! The examples in `examples/` run against a local server (axum behind the crate's
//! `VerifyLayer`, i.e. the core verifier, on 127.0.0.1): each example file is compiled
//! into this test as a module and its functions are called as its `main` would.
//!
//! * `ureq_aws_chunked`: a 1 MiB + 3 byte file uploaded as aws-chunked with signed chunks
//!   and a signed CRC32 trailer; the server verifies every chunk and the trailer and gets
//!   the file back byte for byte.
//! * `profile_credentials`: profile selection (`--profile`, `AWS_PROFILE`, `default`) from
//!   config and credentials files; the server sees the selected profile's access key.
//! * `redb_keys`: the verifying layer's keys in a redb database; the server names the
//!   key's principal, and rotating or deleting a key in the database takes effect at once.

#[allow(dead_code)]
#[path = "../examples/ureq_aws_chunked.rs"]
mod ureq_aws_chunked;

#[allow(dead_code)]
#[path = "../examples/profile_credentials.rs"]
mod profile_credentials;

#[allow(dead_code)]
#[path = "../examples/redb_keys.rs"]
mod redb_keys;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum::extract::Extension;
use axum::Router;
use bytes::Bytes;
use sigv4::verify::Verifier;
use sigv4::Credentials;
use sigv4_credentials::{Env, ProviderContext};
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifyLayer};
use sigv4_http::RequestSigner;

const DEV: (&str, &str) = ("AKIDPROFILEDEV", "dev/secret+key");
const DEFAULT: (&str, &str) = ("AKIDPROFILEDEFAULT", "default/secret+key");

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("sigv4-http-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serves on its own runtime thread; the handler echoes who signed, whether the body was
/// signed, and the body's length and SHA-256.
fn serve(service: &str) -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let verifier = Verifier::new("us-east-1", service).unwrap();
    let keys = StaticKeys::new()
        .with_key(KeyEntry::new(Credentials::new(DEV.0, DEV.1, None, None)))
        .with_key(KeyEntry::new(Credentials::new(
            DEFAULT.0, DEFAULT.1, None, None,
        )));
    let handler = |Extension(id): Extension<VerifiedIdentity>, body: Bytes| async move {
        format!(
            "{}|{}|{}|{}",
            id.access_key_id,
            id.body_signed,
            body.len(),
            sigv4::sha256_hex(&body)
        )
    };
    let app = Router::new()
        .fallback(handler)
        .layer(VerifyLayer::new(verifier, keys).for_axum());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, rt)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

#[test]
fn ureq_aws_chunked_example_uploads_a_file() {
    let (addr, _rt) = serve("s3");
    let dir = TempDir::new("chunked-example");
    let path = dir.0.join("upload.bin");
    let data: Vec<u8> = (0..(1 << 20) + 3)
        .map(|i: u32| (i * 7 % 251) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();

    let signer = BlockingSigner::new(
        RequestSigner::from_static(Credentials::new(DEV.0, DEV.1, None, None))
            .with_service("s3")
            .with_region("us-east-1"),
    );
    let url = format!("http://{addr}/bucket/upload.bin");
    let (status, body) = ureq_aws_chunked::upload(&signer, &agent(), &path, &url).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        format!("{}|true|{}|{}", DEV.0, data.len(), sigv4::sha256_hex(&data))
    );

    // Signed for another secret: the server refuses it, and the example reports the status.
    // (A small file: the server answers before reading the body, and a body larger than the
    // socket buffers would end in a broken pipe rather than the 403.)
    let small = dir.0.join("small.bin");
    std::fs::write(&small, b"small").unwrap();
    let wrong = BlockingSigner::new(
        RequestSigner::from_static(Credentials::new(DEV.0, "not the secret", None, None))
            .with_service("s3")
            .with_region("us-east-1"),
    );
    let (status, body) = ureq_aws_chunked::upload(&wrong, &agent(), &small, &url).unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
}

#[test]
fn profile_credentials_example_selects_the_profile() {
    let (addr, _rt) = serve("execute-api");
    let dir = TempDir::new("profile-example");
    let config = dir.0.join("config");
    let credentials = dir.0.join("credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n\n[profile dev]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            DEFAULT.0, DEFAULT.1, DEV.0, DEV.1
        ),
    )
    .unwrap();
    let ctx = |profile_env: Option<&str>| {
        let mut vars = vec![
            ("AWS_CONFIG_FILE", config.to_str().unwrap().to_owned()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.to_str().unwrap().to_owned(),
            ),
            ("HOME", dir.0.to_str().unwrap().to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ];
        if let Some(p) = profile_env {
            vars.push(("AWS_PROFILE", p.to_owned()));
        }
        ProviderContext::default().with_env(Env::from_pairs(vars))
    };
    let url = format!("http://{addr}/prod/whoami");
    for (profile_flag, profile_env, want) in [
        (Some("dev"), None, DEV.0),
        (None, Some("dev"), DEV.0),
        (None, None, DEFAULT.0),
        (Some("default"), Some("dev"), DEFAULT.0),
    ] {
        let signer = profile_credentials::profile_signer(ctx(profile_env), profile_flag)
            .with_service("execute-api")
            .with_region("us-east-1");
        let (provider, status, body) =
            profile_credentials::fetch(&BlockingSigner::new(signer), &agent(), &url).unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(
            body.starts_with(&format!("{want}|true|0|")),
            "{profile_flag:?}/{profile_env:?}: {body}"
        );
        assert!(!provider.is_empty());
    }

    // A profile that does not exist is an error naming it, before anything is sent.
    let signer = profile_credentials::profile_signer(ctx(None), Some("nope"))
        .with_service("execute-api")
        .with_region("us-east-1");
    let err = profile_credentials::fetch(&BlockingSigner::new(signer), &agent(), &url)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn redb_keys_example_looks_keys_up_in_the_database() {
    let dir = TempDir::new("redb-example");
    let db = redb_keys::open(&dir.0.join("keys.redb")).unwrap();
    redb_keys::put_key(&db, "AKIDREDBALICE", "alice-secret", "alice").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = redb_keys::app(std::sync::Arc::clone(&db)).unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });

    let get = |id: &str, secret: &str| {
        let signer = BlockingSigner::new(
            RequestSigner::from_static(Credentials::new(id, secret, None, None))
                .with_service("execute-api")
                .with_region("us-east-1"),
        );
        let mut req = http::Request::get(format!("http://{addr}/hello"))
            .body(Vec::new())
            .unwrap();
        signer.sign(&mut req).unwrap();
        let mut resp = agent().run(req).unwrap();
        let text = resp.body_mut().read_to_string().unwrap();
        (resp.status().as_u16(), text)
    };
    assert_eq!(
        get("AKIDREDBALICE", "alice-secret"),
        (200, "hello alice (key AKIDREDBALICE)\n".to_owned())
    );
    let (status, body) = get("AKIDREDBEVE", "eve-secret");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("InvalidAccessKeyId"), "{body}");

    // Rotated in the database: the old secret is refused at once, the new one accepted.
    redb_keys::put_key(&db, "AKIDREDBALICE", "alice-new-secret", "alice").unwrap();
    let (status, body) = get("AKIDREDBALICE", "alice-secret");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    assert_eq!(get("AKIDREDBALICE", "alice-new-secret").0, 200);

    // Deleted: unknown.
    redb_keys::delete_key(&db, "AKIDREDBALICE").unwrap();
    let (status, body) = get("AKIDREDBALICE", "alice-new-secret");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("InvalidAccessKeyId"), "{body}");
}
