//! Signing ureq requests from plain synchronous code, no async runtime.
//!
//! ```text
//! cargo run -p sigv4-rs-http --example ureq_blocking -- https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15
//! ```
//!
//! Credentials come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and
//! `AWS_SESSION_TOKEN`); the service and region are inferred from the URL's host, or taken
//! from `SIGV4_SERVICE` / `SIGV4_REGION`.

use std::error::Error;

use sigv4::Credentials;
use sigv4_http::blocking::BlockingSigner;
use sigv4_http::RequestSigner;

fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::args().nth(1).ok_or("usage: ureq_blocking URL")?;
    let creds = Credentials::new(
        std::env::var("AWS_ACCESS_KEY_ID")?,
        std::env::var("AWS_SECRET_ACCESS_KEY")?,
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
    );
    let mut signer = RequestSigner::from_static(creds);
    if let Ok(service) = std::env::var("SIGV4_SERVICE") {
        signer = signer.with_service(service);
    }
    if let Ok(region) = std::env::var("SIGV4_REGION") {
        signer = signer.with_region(region);
    }
    let signer = BlockingSigner::new(signer);

    let mut request = http::Request::get(url.as_str()).body(Vec::new())?;
    signer.sign(&mut request)?;
    let mut response = ureq::run(request)?;
    println!("{}", response.status());
    println!("{}", response.body_mut().read_to_string()?);
    Ok(())
}
