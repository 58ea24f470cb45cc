//! Signing every reqwest request with the SigV4 middleware.
//!
//! ```text
//! AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=.. \
//!   cargo run -p sigv4-rs-http --features reqwest --example reqwest_middleware -- \
//!   'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15'
//! ```
//!
//! (Enable one of reqwest's TLS features, such as `rustls-tls`, in your own crate for
//! HTTPS; this crate does not choose one for you.)

use std::error::Error;

use sigv4::Credentials;
use sigv4_http::reqwest::SigV4Middleware;
use sigv4_http::{RequestSigner, StaticProvider};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: reqwest_middleware URL")?;
    let provider = StaticProvider::new(Credentials::new(
        std::env::var("AWS_ACCESS_KEY_ID")?,
        std::env::var("AWS_SECRET_ACCESS_KEY")?,
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
    ));
    // Any provider works here, by value (e.g. sigv4_credentials::DefaultChain::new(ctx)),
    // or shared with RequestSigner::from_arc; it is wrapped in a refreshing cache. Service
    // and region are inferred from the host unless set.
    let mut signer = RequestSigner::new(provider);
    if let Ok(service) = std::env::var("SIGV4_SERVICE") {
        signer = signer.with_service(service);
    }
    if let Ok(region) = std::env::var("SIGV4_REGION") {
        signer = signer.with_region(region);
    }

    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer))
        .build();
    let response = client.get(url).send().await?;
    println!("{}", response.status());
    println!("{}", response.text().await?);
    Ok(())
}
