//! `--compressed`: the Accept-Encoding curl 7.88 sends, and the streaming decoders of the
//! response's Content-Encoding (gzip, deflate as zlib or raw, br, zstd; several in a row).

use std::io::Write;

use crate::CliError;

/// What curl 7.88 (built with zlib, brotli and zstd) sends with `--compressed`.
pub(super) const ACCEPT_ENCODING: &str = "deflate, gzip, br, zstd";

/// curl's 61: a content encoding it cannot decode, or a body that does not decode.
const BAD_CONTENT_ENCODING: u8 = 61;

/// One decoding step; each writes its output into a `Vec` the caller drains.
enum Step {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    /// "deflate": zlib-wrapped as the RFC says, or raw as some servers send it (decided on
    /// the first two bytes, as curl does).
    Deflate(Option<Vec<u8>>, Option<Box<dyn WriteVec>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

/// A writer into a `Vec` that can hand out what it has and be finished.
trait WriteVec: Write {
    fn out(&mut self) -> &mut Vec<u8>;
    fn end(&mut self) -> std::io::Result<()>;
}

impl WriteVec for flate2::write::ZlibDecoder<Vec<u8>> {
    fn out(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.try_finish()
    }
}

impl WriteVec for flate2::write::DeflateDecoder<Vec<u8>> {
    fn out(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.try_finish()
    }
}

/// Decodes a response body as its Content-Encoding says.
pub(super) struct Decoder {
    /// Applied in order (the reverse of the header's list).
    steps: Vec<Step>,
}

fn bad(e: impl std::fmt::Display) -> CliError {
    CliError {
        message: format!("cannot decode the response body (--compressed): {e}"),
        code: BAD_CONTENT_ENCODING,
    }
}

impl Decoder {
    /// The decoder for a Content-Encoding value; None when there is nothing to decode.
    pub(super) fn for_encoding(value: Option<&str>) -> Result<Option<Decoder>, CliError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let mut steps = Vec::new();
        for coding in value.split(',').rev() {
            let step = match coding.trim().to_ascii_lowercase().as_str() {
                "" | "identity" | "none" => continue,
                "gzip" | "x-gzip" => Step::Gzip(flate2::write::GzDecoder::new(Vec::new())),
                "deflate" => Step::Deflate(Some(Vec::new()), None),
                "br" => Step::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                    Vec::new(),
                    64 * 1024,
                ))),
                "zstd" => Step::Zstd(zstd::stream::write::Decoder::new(Vec::new()).map_err(bad)?),
                other => return Err(bad(format!("unknown content encoding {other:?}"))),
            };
            steps.push(step);
        }
        Ok((!steps.is_empty()).then_some(Decoder { steps }))
    }

    /// Decodes the next piece of the body; returns what is decoded so far.
    pub(super) fn push(&mut self, data: &[u8]) -> Result<Vec<u8>, CliError> {
        let mut data = data.to_vec();
        for step in &mut self.steps {
            data = step.push(&data).map_err(bad)?;
        }
        Ok(data)
    }

    /// The body has ended: the rest of the output (a truncated stream is an error).
    pub(super) fn finish(mut self) -> Result<Vec<u8>, CliError> {
        let mut data = Vec::new();
        for step in &mut self.steps {
            let mut out = step.push(&data).map_err(bad)?;
            out.extend(step.finish().map_err(bad)?);
            data = out;
        }
        Ok(data)
    }
}

impl Step {
    fn push(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Step::Gzip(d) => {
                d.write_all(data)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Step::Brotli(d) => {
                d.write_all(data)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Step::Zstd(d) => {
                d.write_all(data)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Step::Deflate(pending, inner) => {
                if let Some(first) = pending {
                    first.extend_from_slice(data);
                    if first.len() < 2 {
                        return Ok(Vec::new());
                    }
                    let first = pending.take().unwrap_or_default();
                    let mut d: Box<dyn WriteVec> = if is_zlib_header(&first) {
                        Box::new(flate2::write::ZlibDecoder::new(Vec::new()))
                    } else {
                        Box::new(flate2::write::DeflateDecoder::new(Vec::new()))
                    };
                    d.write_all(&first)?;
                    let out = std::mem::take(d.out());
                    *inner = Some(d);
                    return Ok(out);
                }
                let Some(d) = inner else {
                    return Ok(Vec::new());
                };
                d.write_all(data)?;
                Ok(std::mem::take(d.out()))
            }
        }
    }

    fn finish(&mut self) -> std::io::Result<Vec<u8>> {
        match self {
            Step::Gzip(d) => {
                d.try_finish()?;
                Ok(std::mem::take(d.get_mut()))
            }
            Step::Brotli(d) => {
                d.flush()?;
                d.close()?;
                Ok(std::mem::take(d.get_mut()))
            }
            Step::Zstd(d) => {
                d.flush()?;
                Ok(std::mem::take(d.get_mut()))
            }
            Step::Deflate(_, Some(d)) => {
                d.end()?;
                Ok(std::mem::take(d.out()))
            }
            Step::Deflate(_, None) => Ok(Vec::new()),
        }
    }
}

/// A zlib stream starts with CM = 8 and a header checksum (RFC 1950).
fn is_zlib_header(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] & 0x0f == 8 && (u16::from(b[0]) * 256 + u16::from(b[1])) % 31 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(encoding: &str, encoded: &[u8]) -> Vec<u8> {
        let mut d = Decoder::for_encoding(Some(encoding)).unwrap().unwrap();
        let mut out = Vec::new();
        for piece in encoded.chunks(3) {
            out.extend(d.push(piece).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    #[test]
    fn gzip_and_both_deflates_decode_in_pieces() {
        let text = b"hello hello hello compressed world".repeat(20);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        assert_eq!(round_trip("gzip", &gz.finish().unwrap()), text);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        assert_eq!(round_trip("deflate", &z.finish().unwrap()), text);
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&text).unwrap();
        assert_eq!(round_trip("deflate", &raw.finish().unwrap()), text);
    }

    #[test]
    fn unknown_encodings_are_curls_61() {
        let err = Decoder::for_encoding(Some("compress")).err().unwrap();
        assert_eq!(err.code, 61);
        assert!(Decoder::for_encoding(Some("identity")).unwrap().is_none());
    }
}
