//! One attempt's request: built from the [`Job`], signed at the current time (or not,
//! after a redirect to another origin), with its body.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt, Empty, Full};
use sha2::{Digest, Sha256};
use sigv4::chunked::{ChunkEncoder, ChunkSigner, ChunkedBody, ChunkedSettings, StreamingMode};
use sigv4::{AmzDate, Payload, SigningOutput};

use super::exit;
use super::plan::{Job, Source};
use super::progress::{BodyProgress, Progress};
use crate::net::{AnyBody, ReaderBody};
use crate::CliError;

/// A request ready to send: its head, what signed it (None when unsigned), its body and
/// the upload's progress bar.
pub(super) struct Prepared {
    pub(super) request: Request<()>,
    pub(super) signed: Option<SigningOutput>,
    pub(super) body: AnyBody,
    pub(super) progress: BodyProgress,
}

fn sign_err(e: sigv4::SigningError) -> CliError {
    CliError::failure(format!("cannot sign: {e}"))
}

impl Job {
    /// Builds the request for `uri` and signs it when `sign` (the original origin), or
    /// sends it unsigned (a redirect elsewhere must not carry the signature or token).
    pub(super) async fn prepare(
        &self,
        method: &Method,
        uri: &http::Uri,
        sign: bool,
        progress: &Progress,
    ) -> Result<Prepared, CliError> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(uri.clone())
            .body(())
            .map_err(|e| CliError::usage(format!("cannot build the request: {e}")))?;
        *req.headers_mut() = self.headers.clone();
        let now = self.signing_time(uri);
        let mut upload = BodyProgress::Off;
        let (signed, body) = match &self.source {
            Source::None => {
                let payload = if self.unsigned {
                    Payload::Unsigned
                } else {
                    Payload::Bytes(b"")
                };
                let out = self.sign_if(sign, &mut req, payload, now)?;
                (out, Empty::new().map_err(|e| match e {}).boxed_unsync())
            }
            Source::Bytes(bytes) => self.sign_bytes(&mut req, bytes, sign, now)?,
            Source::File { path, len } => {
                upload = progress.body(Some(*len), "upload");
                self.sign_file(&mut req, path, *len, sign, now, &upload)
                    .await?
            }
        };
        for (name, value) in &self.unsigned_defaults {
            req.headers_mut().insert(name.clone(), value.clone());
        }
        Ok(Prepared {
            request: req,
            signed,
            body,
            progress: upload,
        })
    }

    /// `--time`, else the clock corrected by any offset learned for this endpoint.
    fn signing_time(&self, uri: &http::Uri) -> SystemTime {
        if let Some(t) = self.fixed_time {
            return t;
        }
        let endpoint = crate::skew::endpoint(uri);
        let (now, offset) = crate::skew::now(&endpoint);
        if self.options.verbose && offset != 0 {
            eprintln!(
                "* Signing at the local time {offset:+} s (the clock offset learned for {endpoint})"
            );
        }
        now
    }

    /// Signs `req` for `payload` when `sign`.
    fn sign_if(
        &self,
        sign: bool,
        req: &mut Request<()>,
        payload: Payload<'_>,
        now: SystemTime,
    ) -> Result<Option<SigningOutput>, CliError> {
        if !sign {
            return Ok(None);
        }
        self.signer
            .sign_http_request_with_payload(req, payload, &self.credentials, now)
            .map(Some)
            .map_err(sign_err)
    }

    /// A body held in memory: signed by its hash (or UNSIGNED-PAYLOAD).
    fn sign_bytes(
        &self,
        req: &mut Request<()>,
        bytes: &[u8],
        sign: bool,
        now: SystemTime,
    ) -> Result<(Option<SigningOutput>, AnyBody), CliError> {
        let payload = if self.unsigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(bytes)
        };
        let out = self.sign_if(sign, req, payload, now)?;
        // Added after signing, as curl adds it after `sign --format curl` signed.
        req.headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        let body = Full::new(Bytes::from(bytes.to_vec()))
            .map_err(|e| match e {})
            .boxed_unsync();
        Ok((out, body))
    }

    /// A body streamed from a file: aws-chunked, UNSIGNED-PAYLOAD (-T to S3) or signed
    /// by the file's hash, read first.
    async fn sign_file(
        &self,
        req: &mut Request<()>,
        path: &Path,
        len: u64,
        sign: bool,
        now: SystemTime,
        progress: &BodyProgress,
    ) -> Result<(Option<SigningOutput>, AnyBody), CliError> {
        let file = tokio::fs::File::open(&path).await.map_err(|e| CliError {
            message: format!("cannot open {}: {e}", path.display()),
            code: exit::READ,
        })?;
        let pb = progress.clone();
        let reader = ReaderBody::new(file, len).on_progress(move |n| pb.inc(n));
        if self.aws_chunked {
            if !sign {
                return Err(CliError::failure(
                    "cannot follow a redirect to another host with --aws-chunked: its chunks are signed",
                ));
            }
            let (out, body) = self.sign_aws_chunked(req, reader, len, now)?;
            return Ok((Some(out), body));
        }
        let hash;
        // -T to S3 streams unhashed; --data-binary @FILE is hashed like the
        // same flags in `sign`, so both sign the same request.
        let payload = if self.unsigned || (self.s3 && self.streamed_upload) || !sign {
            Payload::Unsigned
        } else {
            hash = hash_file(path.to_owned()).await?;
            Payload::Precomputed(&hash)
        };
        let out = self.sign_if(sign, req, payload, now)?;
        req.headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
        Ok((out, reader.boxed_unsync()))
    }

    /// `--aws-chunked`: the seed signature over the aws-chunked headers, then every chunk
    /// signed as it is read.
    fn sign_aws_chunked(
        &self,
        req: &mut Request<()>,
        reader: ReaderBody<tokio::fs::File>,
        len: u64,
        now: SystemTime,
    ) -> Result<(SigningOutput, AnyBody), CliError> {
        let settings = ChunkedSettings::new(StreamingMode::Signed);
        for (name, value) in settings.headers(len) {
            let value = HeaderValue::from_str(&value)
                .map_err(|_| CliError::failure(format!("invalid {name} value")))?;
            req.headers_mut()
                .insert(http::HeaderName::from_static(name), value);
        }
        let out = self
            .signer
            .sign_http_request_with_payload(req, settings.mode().payload(), &self.credentials, now)
            .map_err(sign_err)?;
        let key = self
            .signer
            .signing_key(&self.credentials, now)
            .map_err(sign_err)?;
        let at = AmzDate::from_system_time(now).map_err(sign_err)?;
        let chunk_signer = ChunkSigner::new((*key).clone(), at, out.signature())
            .map_err(|e| CliError::failure(format!("cannot sign: {e}")))?;
        let encoder = ChunkEncoder::new(settings, Some(chunk_signer))
            .map_err(|e| CliError::failure(format!("cannot sign: {e}")))?
            .with_expected_length(len);
        Ok((out, ChunkedBody::new(reader, encoder).boxed_unsync()))
    }
}

/// SHA-256 of a file, read in 1 MiB pieces on a blocking thread.
async fn hash_file(path: PathBuf) -> Result<String, CliError> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut f = std::fs::File::open(&path)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(sigv4::hex(&h.finalize()))
    })
    .await
    .map_err(|e| CliError::failure(format!("hashing {shown} failed: {e}")))?
    .map_err(|e| CliError {
        message: format!("cannot read {shown}: {e}"),
        code: exit::READ,
    })
}
