//! An axum server that only accepts SigV4-signed requests, and tells the handler who
//! signed them.
//!
//! ```text
//! cargo run -p sigv4-rs-http --features axum --example axum_verify
//! # then, from another terminal, with the CLI:
//! AWS_ACCESS_KEY_ID=AKIDEXAMPLEALICE AWS_SECRET_ACCESS_KEY=alice-secret \
//!   sigv4 request --service execute-api --region us-east-1 http://127.0.0.1:3000/hello
//! ```

use std::error::Error;

use axum::extract::Extension;
use axum::routing::get;
use axum::Router;
use sigv4::verify::Verifier;
use sigv4::Credentials;
use sigv4_http::tower::{KeyEntry, StaticKeys, VerifiedIdentity, VerifyLayer};

async fn hello(Extension(who): Extension<VerifiedIdentity>) -> String {
    format!(
        "hello {} (key {}, scope {})\n",
        who.principal.as_deref().unwrap_or("stranger"),
        who.access_key_id,
        who.credential_scope
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let keys = StaticKeys::new().with_key(
        KeyEntry::new(Credentials::new(
            "AKIDEXAMPLEALICE",
            "alice-secret",
            None,
            None,
        ))
        .with_principal("alice"),
    );
    // Refusals are JSON for execute-api (XML for S3), with AWS error codes. Paths with dot
    // segments, a target naming another host and raw '+' in the query are refused (the
    // handler acts on exactly what was signed); only signed headers reach the handler.
    let verify = VerifyLayer::new(Verifier::new("us-east-1", "execute-api")?, keys)
        .strip_unsigned_headers(true)
        .for_axum();
    let app = Router::new().route("/hello", get(hello)).layer(verify);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
