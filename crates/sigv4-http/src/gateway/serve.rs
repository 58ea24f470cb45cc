//! The gateway's HTTP/1.1 server, on the shared accept loop ([`crate::serve`]).
use std::future::Future;

use tokio::net::TcpListener;

use super::Gateway;
use crate::serve::{serve_http1, Http1Options};

impl Gateway {
    /// Serves HTTP/1.1 on `listener` until `shutdown` completes, then stops accepting and
    /// waits (up to the configured shutdown timeout) for requests in flight.
    pub async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let options = Http1Options::default()
            .with_header_timeout(self.shared.header_timeout)
            .with_shutdown_timeout(self.shared.shutdown_timeout);
        let gw = self.clone();
        serve_http1(listener, options, shutdown, move |req, _remote| {
            let gw = gw.clone();
            async move { gw.handle(req).await }
        })
        .await;
    }
}
