//! The region chain end to end through the binary, case by case, each with a fresh HOME
//! holding only the config files that case needs: `--region`, the URL's AWS hostname,
//! AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` (`--profile`, AWS_PROFILE,
//! `default`) in AWS_CONFIG_FILE or ~/.aws/config, and the error listing all of them.
//! Instance metadata is disabled; nothing leaves 127.0.0.1.

mod support;

use std::process::{Command, Output};
use std::sync::atomic::Ordering;

use support::*;

const BUCKET_EU_WEST_1: &str = "https://my-bucket.s3.eu-west-1.amazonaws.com/k";
const NON_AWS: &str = "http://127.0.0.1:1/x";

/// A fresh HOME with `config` as ~/.aws/config (when given), and the test key for the
/// `default` and `dev` profiles in ~/.aws/credentials: `--profile` beats the keys in the
/// environment (the AWS CLI's precedence), so a named profile needs its own.
fn home(name: &str, config: Option<&str>) -> TempDir {
    let h = TempDir::new(name);
    if let Some(c) = config {
        std::fs::create_dir_all(h.path().join(".aws")).unwrap();
        std::fs::write(h.path().join(".aws/config"), c).unwrap();
        let keys = format!("aws_access_key_id = {AK}\naws_secret_access_key = {SK}\n");
        std::fs::write(
            h.path().join(".aws/credentials"),
            format!("[default]\n{keys}[dev]\n{keys}"),
        )
        .unwrap();
    }
    h
}

/// `sigv4 ARGS` with credentials in the environment, no region variables except `env`.
fn run(home: &TempDir, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    c.env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK);
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().unwrap()
}

/// The region in the credential scope of `sign --format json`.
fn signed_region(home: &TempDir, env: &[(&str, &str)], extra: &[&str], url: &str) -> String {
    let mut args = vec!["sign", "--format", "json", "--service", "s3"];
    args.extend_from_slice(extra);
    args.push(url);
    let out = ok(&run(home, env, &args));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let sts = v["string_to_sign"].as_str().unwrap().to_owned();
    // AWS4-HMAC-SHA256 \n date \n DATE/REGION/SERVICE/aws4_request \n hash
    let scope = sts.lines().nth(2).unwrap().to_owned();
    scope.split('/').nth(1).unwrap().to_owned()
}

const CONFIG: &str =
    "[default]\nregion = eu-west-2\n\n[profile dev]\nregion = ap-south-1\n\n[profile none]\noutput = json\n";

#[test]
fn region_order_case_by_case() {
    let h = home("region-order", Some(CONFIG));
    let both = [
        ("AWS_REGION", "us-west-2"),
        ("AWS_DEFAULT_REGION", "ca-central-1"),
    ];
    // 1. --region beats everything.
    assert_eq!(
        signed_region(&h, &both, &["--region", "sa-east-1"], BUCKET_EU_WEST_1),
        "sa-east-1"
    );
    // 2. The bucket's hostname beats AWS_REGION and the profile.
    assert_eq!(signed_region(&h, &both, &[], BUCKET_EU_WEST_1), "eu-west-1");
    // 3. AWS_REGION for a host that names no region.
    assert_eq!(signed_region(&h, &both, &[], NON_AWS), "us-west-2");
    // 4. AWS_DEFAULT_REGION next.
    assert_eq!(signed_region(&h, &both[1..], &[], NON_AWS), "ca-central-1");
    // Blank counts as unset.
    assert_eq!(
        signed_region(&h, &[("AWS_REGION", " ")], &[], NON_AWS),
        "eu-west-2"
    );
    // 5. The default profile's region in ~/.aws/config.
    assert_eq!(signed_region(&h, &[], &[], NON_AWS), "eu-west-2");
    // 6. AWS_PROFILE selects the profile; --profile beats AWS_PROFILE.
    let dev = [("AWS_PROFILE", "dev")];
    assert_eq!(signed_region(&h, &dev, &[], NON_AWS), "ap-south-1");
    assert_eq!(
        signed_region(&h, &dev, &["--profile", "default"], NON_AWS),
        "eu-west-2"
    );
    // 7. AWS_CONFIG_FILE moves the file.
    let elsewhere = h.path().join("cfg");
    std::fs::write(&elsewhere, "[default]\nregion = me-south-1\n").unwrap();
    assert_eq!(
        signed_region(
            &h,
            &[("AWS_CONFIG_FILE", elsewhere.to_str().unwrap())],
            &[],
            NON_AWS
        ),
        "me-south-1"
    );
    // A global endpoint's us-east-1 only fills in when nothing else names a region.
    assert_eq!(
        signed_region(&h, &[], &[], "https://s3.amazonaws.com/b/k"),
        "eu-west-2"
    );
    let empty = home("region-global", None);
    assert_eq!(
        signed_region(&empty, &[], &[], "https://s3.amazonaws.com/b/k"),
        "us-east-1"
    );
}

#[test]
fn no_region_lists_every_source_and_the_fix() {
    let h = home("region-none", Some(CONFIG));
    for (env, profile_line, section) in [
        (vec![], "profile \"default\": no `region`", "[default]"),
        (
            vec![("AWS_PROFILE", "none")],
            "profile \"none\": no `region`",
            "[profile none]",
        ),
        (
            vec![("AWS_PROFILE", "ghost")],
            "profile \"ghost\": not in",
            "[profile ghost]",
        ),
    ] {
        // The default profile has a region in CONFIG: use a config without it.
        let h2 = home("region-none-2", Some("[default]\noutput = json\n"));
        let h = if env.is_empty() { &h2 } else { &h };
        let out = run(h, &env, &["sign", "--service", "s3", NON_AWS]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        for want in [
            "--region: not given",
            "URL: 127.0.0.1:1 is not an AWS hostname",
            "AWS_REGION: not set",
            "AWS_DEFAULT_REGION: not set",
            profile_line,
            "pass --region",
            section,
            ".aws/config",
        ] {
            assert!(err.contains(want), "{want:?} missing: {err}");
        }
    }
    // The same rule for presign and request.
    for cmd in ["presign", "request"] {
        let empty = home("region-none-3", None);
        let out = run(&empty, &[], &[cmd, "--service", "s3", NON_AWS]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("AWS_DEFAULT_REGION: not set"));
    }
}

#[test]
fn request_and_presign_use_the_profile_region() {
    // What `aws configure` leaves behind, and no region variable at all.
    let h = home("region-request", Some("[default]\nregion = us-east-1\n"));
    let server = VerifyingServer::start("es");
    let out = run(
        &h,
        &[],
        &["request", "--fail", "--service", "es", &server.url("/idx")],
    );
    ok(&out);
    assert_eq!(server.counts.verified.load(Ordering::Relaxed), 1);

    let out = run(
        &h,
        &[],
        &[
            "presign",
            "--time",
            "2015-08-30T12:36:00Z",
            "--expires",
            "15m",
            "https://b.s3.amazonaws.com/k",
        ],
    );
    let url = text(&ok(&out));
    assert!(
        url.contains("X-Amz-Credential=AKIACLITESTKEY%2F20150830%2Fus-east-1%2Fs3%2Faws4_request"),
        "{url}"
    );
    assert!(url.contains("X-Amz-Date=20150830T123600Z"), "{url}");
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
}

#[test]
fn credentials_shows_the_region_and_where_it_came_from() {
    let h = home("region-creds", Some(CONFIG));
    let out = text(&ok(&run(&h, &[], &["credentials"])));
    assert!(
        out.contains("region:            eu-west-2 (from profile \"default\" in "),
        "{out}"
    );
    let out = text(&ok(&run(&h, &[], &["credentials", "--profile", "dev"])));
    assert!(out.contains("ap-south-1 (from profile \"dev\""), "{out}");
    let out = text(&ok(&run(
        &h,
        &[("AWS_REGION", "us-west-1")],
        &["credentials"],
    )));
    assert!(out.contains("us-west-1 (from AWS_REGION)"), "{out}");
    let out = text(&ok(&run(
        &h,
        &[],
        &["credentials", "--region", "eu-north-1"],
    )));
    assert!(out.contains("eu-north-1 (from --region)"), "{out}");
    let empty = home("region-creds-none", None);
    let out = text(&ok(&run(&empty, &[], &["credentials"])));
    assert!(
        out.contains("region:            none (no region: "),
        "{out}"
    );
}

#[test]
fn one_duration_syntax_and_time_everywhere() {
    let h = home("durations", None);
    let env = [("AWS_REGION", "us-east-1")];
    let url = "https://b.s3.amazonaws.com/k";
    // `sign --presign --expires 15m` is the same URL as `presign --expires 15m`.
    let signed = ok(&run(
        &h,
        &env,
        &[
            "sign",
            "--presign",
            "--expires",
            "15m",
            "--time",
            "20150830T123600Z",
            "--format",
            "json",
            url,
        ],
    ));
    let v: serde_json::Value = serde_json::from_slice(&signed).unwrap();
    let presigned = text(&ok(&run(
        &h,
        &env,
        &[
            "presign",
            "--expires",
            "900",
            "--time",
            "2015-08-30T12:36:00Z",
            url,
        ],
    )));
    assert_eq!(v["url"].as_str().unwrap(), presigned.trim());
    for (d, secs) in [
        ("900", "900"),
        ("15m", "900"),
        ("2h", "7200"),
        ("7d", "604800"),
    ] {
        let out = text(&ok(&run(
            &h,
            &env,
            &["sign", "--presign", "--expires", d, "--format", "json", url],
        )));
        assert!(out.contains(&format!("X-Amz-Expires={secs}")), "{d}: {out}");
    }
    for bad in ["8d", "0", "15x"] {
        let out = run(&h, &env, &["sign", "--presign", "--expires", bad, url]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let out = run(&h, &env, &["presign", "--time", "yesterday", url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--time"));
}
