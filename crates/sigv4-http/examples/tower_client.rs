//! A hyper client that signs every request with the tower `SignLayer`.
//!
//! ```text
//! AWS_ACCESS_KEY_ID=.. AWS_SECRET_ACCESS_KEY=.. \
//!   cargo run -p sigv4-rs-http --features tower --example tower_client -- http://localhost:9200/_cluster/health
//! ```
//!
//! The service and region come from the host when it is an AWS one, else from
//! `SIGV4_SERVICE` / `SIGV4_REGION`. (This example speaks plain HTTP; put a TLS connector
//! such as hyper-rustls under the client for HTTPS.)

use std::error::Error;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::Credentials;
use sigv4_http::connect::KeepReading;
use sigv4_http::tower::{SignLayer, SignedBody};
use sigv4_http::RequestSigner;
use tower::{Layer, Service, ServiceExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let url = std::env::args().nth(1).ok_or("usage: tower_client URL")?;
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

    // Connections that keep reading after a failed write: a server that refuses an upload
    // part-way and closes at once still gets its answer to us (plain HTTP; put TLS on top
    // for HTTPS).
    let http = Client::builder(TokioExecutor::new())
        .build::<_, SignedBody<Full<Bytes>>>(KeepReading::http());
    let mut client = SignLayer::new(signer).layer(http);

    let request = http::Request::get(url).body(Full::new(Bytes::new()))?;
    let response = client.ready().await?.call(request).await?;
    println!("{}", response.status());
    let body = response.into_body().collect().await?.to_bytes();
    println!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
