//! Arbitrary text never makes the profile parser or the chain resolver panic.

use proptest::prelude::*;
use sigv4_credentials::profile::resolve_chain;
use sigv4_credentials::profile_file::ProfileSet;

fn profile_text() -> impl Strategy<Value = String> {
    // Pieces that exercise every branch: headers, keys, comments, continuations.
    let piece = prop::sample::select(vec![
        "[",
        "]",
        "[profile ",
        "[default]",
        "[sso-session s]",
        "[services x]",
        "profile",
        "=",
        " = ",
        "#",
        ";",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\u{feff}",
        "role_arn",
        "source_profile",
        "credential_source",
        "a",
        "B",
        "sso_session",
        "s",
        "web_identity_token_file",
        "aws_access_key_id",
        "aws_secret_access_key",
        "credential_process",
        "é",
        "\u{0}",
    ]);
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_and_resolve_never_panic(config in profile_text(), creds in profile_text(), sel in "[a-zB]{0,3}") {
        if let Ok(set) = ProfileSet::parse(Some(&config), Some(&creds)) {
            let _ = resolve_chain(&set.clone().with_selected(sel));
            let _ = resolve_chain(&set);
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(config in "\\PC{0,200}") {
        let _ = ProfileSet::parse(Some(&config), None);
        let _ = ProfileSet::parse(None, Some(&config));
    }
}
