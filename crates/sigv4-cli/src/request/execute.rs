//! Sending the planned request: attempts, retries, clock-skew re-signing and redirects,
//! until one response is written out.

use std::io::Write;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use sigv4::SigningOutput;
use sigv4_http::redirect::{self, Origin};
use sigv4_http::retry;

use super::exit;
use super::output::{handle_response, show_request, Sent, Stats};
use super::plan::{Job, Source};
use super::progress::Progress;
use super::sink::Outputs;
use crate::head_tap::HeadLog;
use crate::net::{self, AnyBody};
use crate::CliError;

/// Where the transfer is: the URL and method of the next request, and the counts.
struct Hop {
    uri: http::Uri,
    method: Method,
    redirects: u32,
    attempt: u32,
    /// When the first attempt started (`--retry-max-time`).
    started: Instant,
    /// When this attempt started (`-m/--max-time` bounds each attempt, as in curl).
    attempt_started: Instant,
    /// The wait before the next attempt, once a retry is decided.
    pause: Option<Duration>,
    /// Where the connection records each response head as received.
    heads: HeadLog,
}

/// What to do after a step: send again, or go on with this response.
enum Next {
    Again,
    Go(Response<AnyBody>),
}

/// Runs `job` on a single-threaded runtime, each attempt within `--max-time` if given.
pub(super) fn run(job: Job, max_time: Option<Duration>, stats: &mut Stats) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(job.perform(stats, max_time))
}

impl Job {
    /// Sends the request (again on a retry, re-signed after a clock-skew refusal or a
    /// same-origin redirect) and writes the final response out.
    async fn perform(self, stats: &mut Stats, max_time: Option<Duration>) -> Result<(), CliError> {
        let progress = Progress::new(self.options.progress);
        let mut outputs = Outputs::new(&self.options, progress.clone());
        let result = self.transfer(&mut outputs, stats, max_time).await;
        progress.finish();
        result
    }

    /// [`Job::perform`] with its outputs.
    async fn transfer(
        mut self,
        outputs: &mut Outputs,
        stats: &mut Stats,
        max_time: Option<Duration>,
    ) -> Result<(), CliError> {
        if self.options.insecure && !self.options.silent {
            eprintln!(
                "sigv4: warning: --insecure: the server's certificate is not checked; anyone on the path can read the signed request"
            );
        }
        let heads = HeadLog::default();
        let client = net::build(&net::ClientOptions {
            heads: Some(heads.clone()),
            ..self.options.client.clone()
        })?;
        let token = self.credentials.session_token().map(str::to_owned);
        let home = Origin::of(&self.uri);
        let mut hop = Hop {
            uri: self.uri.clone(),
            method: self.method.clone(),
            redirects: 0,
            attempt: 0,
            started: Instant::now(),
            attempt_started: Instant::now(),
            pause: None,
            heads,
        };
        loop {
            if let Some(pause) = hop.pause.take() {
                tokio::time::sleep(pause).await;
                hop.attempt_started = Instant::now();
            }
            let deadline = max_time.map(|limit| (hop.attempt_started + limit, limit));
            let step = self.step(&client, &mut hop, &home, token.as_deref(), outputs, stats);
            let done = match deadline {
                None => step.await,
                Some((deadline, limit)) => {
                    match tokio::time::timeout_at(deadline.into(), step).await {
                        Ok(r) => r,
                        Err(_) => Err(CliError {
                            message: format!(
                                "the transfer to {} took longer than --max-time ({:.1} s)",
                                hop.uri,
                                limit.as_secs_f64()
                            ),
                            code: exit::TIMEOUT,
                        }),
                    }
                }
            };
            match done {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                // As curl: a --max-time timeout is transient for --retry.
                Err(e) if e.code == exit::TIMEOUT && self.may_retry(&hop) => {
                    self.schedule_retry(&mut hop, None, &e.message);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One pass: sends, learns a clock skew, follows a redirect or decides a retry (false:
    /// go again), or writes the final response out (true).
    async fn step(
        &mut self,
        client: &net::HttpClient,
        hop: &mut Hop,
        home: &Origin,
        token: Option<&str>,
        outputs: &mut Outputs,
        stats: &mut Stats,
    ) -> Result<bool, CliError> {
        {
            stats.url_effective = hop.uri.to_string();
            let same_origin = home.may_sign(&hop.uri);
            let Some((response, out)) = self.send(client, hop, same_origin, token, outputs).await?
            else {
                return Ok(false);
            };
            let Next::Go(response) = self.learn_skew(response, &hop.uri, same_origin).await? else {
                return Ok(false);
            };
            record(stats, &response);
            let Next::Go(response) = self
                .follow(response, hop, home, same_origin, outputs)
                .await?
            else {
                return Ok(false);
            };
            let Next::Go(response) = self.retry_answer(response, hop, stats).await? else {
                return Ok(false);
            };
            let sent = Sent {
                method: &hop.method,
                uri: &hop.uri,
                signed: out.as_ref(),
                token,
            };
            handle_response(response, sent, &self.options, outputs, stats)
                .await
                .map(|()| true)
        }
    }

    /// One attempt: prepares, shows (`-v`) and sends the request. A transport failure
    /// that may be retried schedules the retry and gives None.
    async fn send(
        &self,
        client: &net::HttpClient,
        hop: &mut Hop,
        same_origin: bool,
        token: Option<&str>,
        outputs: &Outputs,
    ) -> Result<Option<(Response<Incoming>, Option<SigningOutput>)>, CliError> {
        let prepared = self
            .prepare(&hop.method, &hop.uri, same_origin, &outputs.progress)
            .await?;
        if self.options.verbose {
            if let Some(how) = client.route_text(&hop.uri) {
                eprintln!("* {how}");
            }
            show_request(
                &prepared.request,
                prepared.signed.as_ref(),
                &self.signer,
                token,
            );
        }
        let (parts, ()) = prepared.request.into_parts();
        hop.heads.arm();
        let response = client
            .request(Request::from_parts(parts, prepared.body))
            .await
            .map_err(|e| (exit::transport_error(&e, &hop.uri), net::is_refused(&e)));
        let head = hop.heads.take();
        prepared.progress.done();
        match response {
            Ok(mut r) => {
                // The head as received, for -i, -D and -v.
                if let Some(head) = head {
                    r.extensions_mut().insert(head);
                }
                Ok(Some((r, prepared.signed)))
            }
            Err((e, refused))
                if self.may_retry(hop) && self.options.retry_on.transport(e.code, refused) =>
            {
                self.schedule_retry(hop, None, &e.message);
                Ok(None)
            }
            Err((e, _)) => Err(e),
        }
    }

    /// Whether another attempt is allowed: `--retry` attempts left, and (with
    /// `--retry-max-time`) time left since the first one.
    fn may_retry(&self, hop: &Hop) -> bool {
        hop.attempt < self.options.retries
            && self
                .options
                .retry_on
                .max_time
                .is_none_or(|max| hop.started.elapsed() < max)
    }

    /// A request refused for clock skew teaches the offset: sign again at the server's
    /// time and retry, once (never with a pinned --time).
    async fn learn_skew(
        &mut self,
        response: Response<Incoming>,
        uri: &http::Uri,
        same_origin: bool,
    ) -> Result<Next, CliError> {
        let endpoint = crate::skew::endpoint(uri);
        let (response, learned) =
            crate::skew::check(response, &endpoint)
                .await
                .map_err(|e| CliError {
                    message: format!("receiving the response failed: {e}"),
                    code: exit::RECV,
                })?;
        if let (Some(c), true) = (learned, self.retry_skew && same_origin) {
            if self.options.verbose {
                eprintln!("* {}; retrying once", crate::skew::describe(&c));
            }
            self.retry_skew = false;
            return Ok(Next::Again);
        }
        Ok(Next::Go(response))
    }

    /// `-L`: a 3xx with a Location is followed (re-signed only on the same origin).
    async fn follow(
        &mut self,
        response: Response<AnyBody>,
        hop: &mut Hop,
        home: &Origin,
        same_origin: bool,
        outputs: &mut Outputs,
    ) -> Result<Next, CliError> {
        let status = response.status();
        if !self.options.follow || !status.is_redirection() {
            return Ok(Next::Go(response));
        }
        let Some(location) = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
        else {
            return Ok(Next::Go(response));
        };
        if hop.redirects >= self.options.max_redirs {
            return Err(CliError {
                message: format!("stopped after {} redirects (--max-redirs)", hop.redirects),
                code: exit::TOO_MANY_REDIRECTS,
            });
        }
        // As curl: every hop's head is shown (-v), dumped (-D) and with -i output.
        outputs.head(&response)?;
        let _ = response.into_body().collect().await;
        let next = redirect::resolve_location(&hop.uri, &location).map_err(|e| CliError {
            message: e.to_string(),
            code: exit::RECV,
        })?;
        if !home.may_sign(&next) && same_origin {
            eprintln!(
                "sigv4: warning: following the redirect to {} unsigned: the signature and session token are only sent to {home}",
                Origin::of(&next)
            );
        }
        // As curl: 303 turns anything but HEAD into GET; 301/302 turn POST into
        // GET; the body is then not sent again.
        if let Some(m) = redirect::method_after(status, &hop.method) {
            hop.method = m;
            self.source = Source::None;
            self.headers.remove(http::header::CONTENT_TYPE);
        }
        hop.uri = next;
        hop.redirects += 1;
        Ok(Next::Again)
    }

    /// `--retry`: a retryable answer is (as curl) still shown when it goes to standard
    /// output, then the request is sent again after the backoff.
    async fn retry_answer(
        &self,
        response: Response<AnyBody>,
        hop: &mut Hop,
        stats: &mut Stats,
    ) -> Result<Next, CliError> {
        if !self.may_retry(hop) {
            return Ok(Next::Go(response));
        }
        let status = response.status();
        let retry_after = response.headers().get(http::header::RETRY_AFTER).cloned();
        let (parts, body) = response.into_parts();
        // A 400 is retried only for throttling, which its (small) body names.
        let (peeked, body) = if retry::needs_body(status) {
            (Some(read_small(body).await), None)
        } else {
            (None, Some(body))
        };
        // --retry-all-errors: with --fail, an HTTP error is an error too.
        let any_error =
            self.options.retry_on.all_errors && self.options.fail && status.as_u16() >= 400;
        if !any_error && !retry::is_retryable(status, &parts.headers, peeked.as_deref()) {
            let body: AnyBody = match (peeked, body) {
                (Some(bytes), _) => Full::new(bytes).map_err(|e| match e {}).boxed_unsync(),
                (None, Some(body)) => body,
                (None, None) => Empty::new().map_err(|e| match e {}).boxed_unsync(),
            };
            return Ok(Next::Go(Response::from_parts(parts, body)));
        }
        // curl cannot take back what it wrote to standard output; not with --fail.
        let quiet = self.options.fail && !self.options.fail_with_body;
        let shown = self.options.output.is_none() && !quiet && hop.method != Method::HEAD;
        let bytes = match (peeked, body) {
            (Some(b), _) => b,
            (None, Some(body)) => read_small(body).await,
            (None, None) => Bytes::new(),
        };
        if shown {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(&bytes);
            let _ = stdout.flush();
            stats.size_download += bytes.len() as u64;
        }
        let what = format!("HTTP {} from {}", status.as_u16(), hop.uri);
        self.schedule_retry(hop, retry_after.as_ref(), &what);
        Ok(Next::Again)
    }

    /// Decides retry number `hop.attempt`: warns (unless --silent) that `what` is retried
    /// and how many retries are left; the next attempt starts after the pause
    /// `retry::backoff` gives (outside the attempt's --max-time).
    fn schedule_retry(&self, hop: &mut Hop, retry_after: Option<&HeaderValue>, what: &str) {
        let pause = retry::backoff(hop.attempt, self.options.retry_delay, retry_after);
        if !self.options.silent {
            eprintln!(
                "sigv4: warning: {what}; retrying in {:.1} s ({} of {} retries left)",
                pause.as_secs_f64(),
                self.options.retries - hop.attempt,
                self.options.retries
            );
        }
        hop.attempt += 1;
        hop.pause = Some(pause);
    }
}

/// Up to 1 MiB of a body (a retried answer or an error document); empty if it fails.
async fn read_small(body: AnyBody) -> Bytes {
    http_body_util::Limited::new(body, 1 << 20)
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default()
}

/// `-w`'s %{http_code} and %{content_type} of the latest response.
fn record(stats: &mut Stats, response: &Response<AnyBody>) {
    stats.http_code = response.status().as_u16();
    stats.content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
}
