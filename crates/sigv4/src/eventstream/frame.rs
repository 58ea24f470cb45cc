//! The event-stream frame codec: messages, headers, and an incremental decoder.

use std::fmt;

/// Bytes of the prelude: total length, headers length, prelude CRC.
pub const PRELUDE_LEN: usize = 12;

/// Bytes a frame has besides its headers and payload: the prelude and the message CRC.
pub const FRAME_OVERHEAD: usize = PRELUDE_LEN + 4;

/// The largest frame [`FrameDecoder`] accepts by default, 16 MiB (the limit AWS services
/// and the AWS SDKs apply).
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// The largest headers block [`FrameDecoder`] accepts by default, 128 KiB (as AWS).
pub const DEFAULT_MAX_HEADERS_LEN: usize = 128 * 1024;

const TYPE_TRUE: u8 = 0;
const TYPE_FALSE: u8 = 1;
const TYPE_BYTE: u8 = 2;
const TYPE_INT16: u8 = 3;
const TYPE_INT32: u8 = 4;
const TYPE_INT64: u8 = 5;
const TYPE_BYTE_ARRAY: u8 = 6;
const TYPE_STRING: u8 = 7;
const TYPE_TIMESTAMP: u8 = 8;
const TYPE_UUID: u8 = 9;

/// Why bytes are not a valid event-stream frame, or a message cannot be encoded.
///
/// Decoding errors are final: a [`FrameDecoder`] that returned one refuses further input,
/// because after a bad frame the position of the next one cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The prelude's CRC32 does not match its first 8 bytes.
    PreludeCrcMismatch {
        /// The CRC32 of the prelude's length fields.
        computed: u32,
        /// The CRC32 the frame carries.
        found: u32,
    },
    /// The CRC32 of the whole frame does not match its last 4 bytes.
    MessageCrcMismatch {
        /// The CRC32 of everything before the message CRC.
        computed: u32,
        /// The CRC32 the frame carries.
        found: u32,
    },
    /// The total length is below the 16 bytes of prelude and message CRC.
    InvalidMessageLength(u32),
    /// The total length is above the decoder's limit.
    MessageTooLong {
        /// The frame's (or, encoding, the message's) total length.
        length: u64,
        /// The limit.
        max: u64,
    },
    /// The headers length does not fit in the frame (or is 1: a header takes at least 2 bytes).
    InvalidHeadersLength,
    /// The headers block is above the decoder's limit.
    HeadersTooLong {
        /// The headers length the frame states.
        length: u32,
        /// The limit.
        max: u32,
    },
    /// A header name is empty or runs past the headers block.
    InvalidHeaderNameLength,
    /// A header name is not UTF-8.
    HeaderNameNotUtf8,
    /// A header has a value type outside 0 to 9.
    UnknownHeaderValueType(u8),
    /// A header value is cut off by the end of the headers block.
    InvalidHeaderValue(&'static str),
    /// A string header value is not UTF-8.
    HeaderStringNotUtf8(String),
    /// Bytes follow the frame in [`Message::decode`], which takes exactly one frame.
    TrailingBytes(usize),
    /// The input ended inside a frame.
    Incomplete {
        /// Bytes of the frame received.
        have: usize,
        /// Bytes the frame needs (12 until the prelude is complete).
        need: usize,
    },
    /// A decoder that failed before was given more input.
    Failed,
    /// Encoding: a header name is empty or longer than 255 bytes.
    HeaderNameLength(usize),
    /// Encoding: a string or byte-array value is longer than 65,535 bytes.
    HeaderValueTooLong(String),
}

// Written by hand (no thiserror): the core has no proc-macro dependencies.
impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::PreludeCrcMismatch { computed, found } => write!(
                f,
                "prelude CRC mismatch: computed {computed:#010X}, frame says {found:#010X}"
            ),
            FrameError::MessageCrcMismatch { computed, found } => write!(
                f,
                "message CRC mismatch: computed {computed:#010X}, frame says {found:#010X}"
            ),
            FrameError::InvalidMessageLength(n) => {
                write!(
                    f,
                    "invalid message length {n}: a frame has at least 16 bytes"
                )
            }
            FrameError::MessageTooLong { length, max } => {
                write!(
                    f,
                    "message of {length} bytes is larger than the {max} allowed"
                )
            }
            FrameError::InvalidHeadersLength => f.write_str("invalid headers length"),
            FrameError::HeadersTooLong { length, max } => write!(
                f,
                "headers block of {length} bytes is larger than the {max} allowed"
            ),
            FrameError::InvalidHeaderNameLength => f.write_str("invalid header name length"),
            FrameError::HeaderNameNotUtf8 => f.write_str("header name is not valid UTF-8"),
            FrameError::UnknownHeaderValueType(t) => {
                write!(f, "unknown header value type {t:#04x}")
            }
            FrameError::InvalidHeaderValue(why) => write!(f, "invalid header value ({why})"),
            FrameError::HeaderStringNotUtf8(name) => write!(
                f,
                "header {name:?} has a string value that is not valid UTF-8"
            ),
            FrameError::TrailingBytes(n) => write!(f, "{n} bytes follow the frame"),
            FrameError::Incomplete { have, need } => {
                write!(f, "the input ended inside a frame ({have} of {need} bytes)")
            }
            FrameError::Failed => f.write_str("an earlier frame error stopped the decoder"),
            FrameError::HeaderNameLength(n) => write!(
                f,
                "header name of {n} bytes: names must have 1 to 255 bytes"
            ),
            FrameError::HeaderValueTooLong(name) => {
                write!(f, "header {name:?} has a value longer than 65535 bytes")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// The value of an event-stream header, one of the ten wire types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderValue {
    /// Types 0 (true) and 1 (false): no value bytes.
    Bool(bool),
    /// Type 2: a signed byte.
    Byte(i8),
    /// Type 3: big-endian.
    Int16(i16),
    /// Type 4: big-endian.
    Int32(i32),
    /// Type 5: big-endian.
    Int64(i64),
    /// Type 6: up to 65,535 bytes.
    ByteArray(Vec<u8>),
    /// Type 7: up to 65,535 bytes of UTF-8.
    String(String),
    /// Type 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Type 9: 16 bytes.
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// The wire type byte.
    pub fn type_byte(&self) -> u8 {
        match self {
            HeaderValue::Bool(true) => TYPE_TRUE,
            HeaderValue::Bool(false) => TYPE_FALSE,
            HeaderValue::Byte(_) => TYPE_BYTE,
            HeaderValue::Int16(_) => TYPE_INT16,
            HeaderValue::Int32(_) => TYPE_INT32,
            HeaderValue::Int64(_) => TYPE_INT64,
            HeaderValue::ByteArray(_) => TYPE_BYTE_ARRAY,
            HeaderValue::String(_) => TYPE_STRING,
            HeaderValue::Timestamp(_) => TYPE_TIMESTAMP,
            HeaderValue::Uuid(_) => TYPE_UUID,
        }
    }

    /// The string, for a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            HeaderValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, for a byte-array value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            HeaderValue::ByteArray(b) => Some(b),
            _ => None,
        }
    }

    fn encoded_len(&self) -> usize {
        1 + match self {
            HeaderValue::Bool(_) => 0,
            HeaderValue::Byte(_) => 1,
            HeaderValue::Int16(_) => 2,
            HeaderValue::Int32(_) => 4,
            HeaderValue::Int64(_) | HeaderValue::Timestamp(_) => 8,
            HeaderValue::ByteArray(b) => 2 + b.len(),
            HeaderValue::String(s) => 2 + s.len(),
            HeaderValue::Uuid(_) => 16,
        }
    }
}

/// A named header of an event-stream message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The name, 1 to 255 bytes.
    pub name: String,
    /// The value.
    pub value: HeaderValue,
}

impl Header {
    /// A header.
    pub fn new(name: impl Into<String>, value: HeaderValue) -> Self {
        Header {
            name: name.into(),
            value,
        }
    }

    /// Appends the header's wire form (name length, name, type, value) to `out`.
    pub fn encode_to(&self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        let name = self.name.as_bytes();
        if name.is_empty() || name.len() > 255 {
            return Err(FrameError::HeaderNameLength(name.len()));
        }
        out.push(name.len() as u8);
        out.extend_from_slice(name);
        out.push(self.value.type_byte());
        match &self.value {
            HeaderValue::Bool(_) => {}
            HeaderValue::Byte(v) => out.extend_from_slice(&v.to_be_bytes()),
            HeaderValue::Int16(v) => out.extend_from_slice(&v.to_be_bytes()),
            HeaderValue::Int32(v) => out.extend_from_slice(&v.to_be_bytes()),
            HeaderValue::Int64(v) | HeaderValue::Timestamp(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            HeaderValue::ByteArray(b) => self.put_sized(out, b)?,
            HeaderValue::String(s) => self.put_sized(out, s.as_bytes())?,
            HeaderValue::Uuid(u) => out.extend_from_slice(u),
        }
        Ok(())
    }

    fn put_sized(&self, out: &mut Vec<u8>, b: &[u8]) -> Result<(), FrameError> {
        let len = u16::try_from(b.len())
            .map_err(|_| FrameError::HeaderValueTooLong(self.name.clone()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(b);
        Ok(())
    }
}

/// An event-stream message: headers and a payload.
///
/// ```
/// use sigv4::eventstream::{Header, HeaderValue, Message};
///
/// let msg = Message::new(b"{'foo':'bar'}".to_vec())
///     .with_header(Header::new("content-type", HeaderValue::String("application/json".into())));
/// let frame = msg.encode()?;
/// assert_eq!(frame.len(), 0x3d);
/// assert_eq!(Message::decode(&frame)?, msg);
/// # Ok::<(), sigv4::eventstream::FrameError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Message {
    /// The headers, in wire order.
    pub headers: Vec<Header>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// A message with this payload and no headers.
    pub fn new(payload: impl Into<Vec<u8>>) -> Self {
        Message {
            headers: Vec::new(),
            payload: payload.into(),
        }
    }

    /// Adds a header (after the existing ones).
    pub fn with_header(mut self, header: Header) -> Self {
        self.headers.push(header);
        self
    }

    /// The first header with this name.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    /// The encoded frame.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_to(&mut out)?;
        Ok(out)
    }

    /// The length of the encoded frame.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD
            + self
                .headers
                .iter()
                .map(|h| 1 + h.name.len() + h.value.encoded_len())
                .sum::<usize>()
            + self.payload.len()
    }

    /// Appends the encoded frame to `out`.
    pub fn encode_to(&self, out: &mut Vec<u8>) -> Result<(), FrameError> {
        let start = out.len();
        out.extend_from_slice(&[0u8; PRELUDE_LEN]);
        for h in &self.headers {
            if let Err(e) = h.encode_to(out) {
                out.truncate(start);
                return Err(e);
            }
        }
        let headers_len = out.len() - start - PRELUDE_LEN;
        out.extend_from_slice(&self.payload);
        let total = out.len() - start + 4;
        let (Ok(total32), Ok(headers32)) = (u32::try_from(total), u32::try_from(headers_len))
        else {
            out.truncate(start);
            return Err(FrameError::MessageTooLong {
                length: total as u64,
                max: u64::from(u32::MAX),
            });
        };
        out[start..start + 4].copy_from_slice(&total32.to_be_bytes());
        out[start + 4..start + 8].copy_from_slice(&headers32.to_be_bytes());
        let prelude_crc = crc32(&out[start..start + 8]);
        out[start + 8..start + 12].copy_from_slice(&prelude_crc.to_be_bytes());
        let message_crc = crc32(&out[start..]);
        out.extend_from_slice(&message_crc.to_be_bytes());
        Ok(())
    }

    /// Decodes exactly one frame: `frame` must hold one whole frame and nothing after it.
    pub fn decode(frame: &[u8]) -> Result<Message, FrameError> {
        let mut input = frame;
        let mut decoder = FrameDecoder::new();
        match decoder.decode(&mut input)? {
            Some(m) if input.is_empty() => Ok(m),
            Some(_) => Err(FrameError::TrailingBytes(input.len())),
            None => Err(decoder.incomplete()),
        }
    }
}

/// CRC-32 (ISO-HDLC, as zlib), the checksum of event-stream frames.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// An incremental decoder: give it the bytes of a stream in slices of any size and it
/// returns each message as soon as its frame is complete.
///
/// It holds at most one frame, and refuses frames above its limits before buffering them.
///
/// ```
/// use sigv4::eventstream::{FrameDecoder, Message};
///
/// let mut stream = Message::new(b"one".to_vec()).encode()?;
/// stream.extend(Message::new(b"two".to_vec()).encode()?);
/// let mut decoder = FrameDecoder::new();
/// let mut got = Vec::new();
/// for piece in stream.chunks(5) {
///     let mut input = piece;
///     while let Some(msg) = decoder.decode(&mut input)? {
///         got.push(msg.payload);
///     }
/// }
/// decoder.finish()?;
/// assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
/// # Ok::<(), sigv4::eventstream::FrameError>(())
/// ```
#[derive(Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    need: usize,
    max_message: usize,
    max_headers: usize,
    failed: bool,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FrameDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("buffered", &self.buf.len())
            .field("need", &self.need)
            .field("max_message", &self.max_message)
            .field("max_headers", &self.max_headers)
            .field("failed", &self.failed)
            .finish()
    }
}

impl FrameDecoder {
    /// A decoder with the default limits (16 MiB frames, 128 KiB headers).
    pub fn new() -> Self {
        FrameDecoder {
            buf: Vec::new(),
            need: PRELUDE_LEN,
            max_message: DEFAULT_MAX_MESSAGE_LEN,
            max_headers: DEFAULT_MAX_HEADERS_LEN,
            failed: false,
        }
    }

    /// Refuses frames longer than `max` bytes (checked from the prelude, before buffering).
    pub fn with_max_message_len(mut self, max: usize) -> Self {
        self.max_message = max;
        self
    }

    /// Refuses headers blocks longer than `max` bytes.
    pub fn with_max_headers_len(mut self, max: usize) -> Self {
        self.max_headers = max;
        self
    }

    /// Whether the decoder holds part of a frame.
    pub fn is_mid_frame(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Takes bytes from the front of `input` (advancing it) up to the end of the current
    /// frame; returns the message when the frame is complete, `None` when `input` ran out
    /// first. Call again with the rest of `input` for the next message.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Option<Message>, FrameError> {
        if self.failed {
            return Err(FrameError::Failed);
        }
        let r = self.decode_inner(input);
        if r.is_err() {
            self.failed = true;
            self.buf = Vec::new();
        }
        r
    }

    /// Checks that the stream did not end inside a frame.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.failed {
            Err(FrameError::Failed)
        } else if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.incomplete())
        }
    }

    fn incomplete(&self) -> FrameError {
        FrameError::Incomplete {
            have: self.buf.len(),
            need: self.need,
        }
    }

    fn decode_inner(&mut self, input: &mut &[u8]) -> Result<Option<Message>, FrameError> {
        // Fast path: a whole frame at the front of the input, nothing buffered.
        if self.buf.is_empty() && input.len() >= PRELUDE_LEN {
            let total = self.check_prelude(&input[..PRELUDE_LEN])?;
            if input.len() >= total {
                let (frame, rest) = input.split_at(total);
                let msg = parse_frame(frame)?;
                *input = rest;
                return Ok(Some(msg));
            }
        }
        while !input.is_empty() {
            let take = (self.need - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            *input = &input[take..];
            if self.buf.len() < self.need {
                return Ok(None);
            }
            if self.need == PRELUDE_LEN {
                self.need = self.check_prelude(&self.buf[..PRELUDE_LEN])?;
                // One allocation of the frame's exact size (bounded by the limit just checked).
                self.buf.reserve_exact(self.need - self.buf.len());
                if self.buf.len() < self.need {
                    continue;
                }
            }
            let msg = parse_frame(&self.buf)?;
            self.buf.clear();
            // Do not keep a large frame's buffer for the (usually small) frames after it.
            if self.buf.capacity() > 64 * 1024 {
                self.buf = Vec::new();
            }
            self.need = PRELUDE_LEN;
            return Ok(Some(msg));
        }
        Ok(None)
    }

    /// Validates the prelude and returns the frame's total length.
    fn check_prelude(&self, prelude: &[u8]) -> Result<usize, FrameError> {
        let total = be_u32(&prelude[0..4]);
        let headers = be_u32(&prelude[4..8]);
        let found = be_u32(&prelude[8..12]);
        let computed = crc32(&prelude[..8]);
        if computed != found {
            return Err(FrameError::PreludeCrcMismatch { computed, found });
        }
        if (total as usize) < FRAME_OVERHEAD {
            return Err(FrameError::InvalidMessageLength(total));
        }
        if total as usize > self.max_message {
            return Err(FrameError::MessageTooLong {
                length: u64::from(total),
                max: self.max_message as u64,
            });
        }
        if headers == 1 || headers as usize > total as usize - FRAME_OVERHEAD {
            return Err(FrameError::InvalidHeadersLength);
        }
        if headers as usize > self.max_headers {
            return Err(FrameError::HeadersTooLong {
                length: headers,
                max: u32::try_from(self.max_headers).unwrap_or(u32::MAX),
            });
        }
        Ok(total as usize)
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Parses a whole frame whose prelude was checked. Header errors are reported before a
/// message CRC mismatch, as the AWS SDKs do: a frame whose headers cannot be parsed is
/// reported for what is wrong with it rather than for its checksum.
fn parse_frame(frame: &[u8]) -> Result<Message, FrameError> {
    let headers_len = be_u32(&frame[4..8]) as usize;
    let headers_end = PRELUDE_LEN + headers_len;
    let crc_at = frame.len() - 4;
    let headers = parse_headers(&frame[PRELUDE_LEN..headers_end])?;
    let computed = crc32(&frame[..crc_at]);
    let found = be_u32(&frame[crc_at..]);
    if computed != found {
        return Err(FrameError::MessageCrcMismatch { computed, found });
    }
    Ok(Message {
        headers,
        payload: frame[headers_end..crc_at].to_vec(),
    })
}

/// Parses a headers block (also used for the `:date` header of signing).
pub(crate) fn parse_headers(mut block: &[u8]) -> Result<Vec<Header>, FrameError> {
    let mut headers = Vec::new();
    while !block.is_empty() {
        let name_len = usize::from(block[0]);
        block = &block[1..];
        // The name and at least its type byte must fit in the block.
        if name_len == 0 || name_len + 1 > block.len() {
            return Err(FrameError::InvalidHeaderNameLength);
        }
        let name = std::str::from_utf8(&block[..name_len])
            .map_err(|_| FrameError::HeaderNameNotUtf8)?
            .to_owned();
        let value_type = block[name_len];
        block = &block[name_len + 1..];
        let value = {
            let mut fixed = |n: usize| -> Result<&[u8], FrameError> {
                if block.len() < n {
                    return Err(FrameError::InvalidHeaderValue("value cut off"));
                }
                let (v, rest) = block.split_at(n);
                block = rest;
                Ok(v)
            };
            match value_type {
                TYPE_TRUE => HeaderValue::Bool(true),
                TYPE_FALSE => HeaderValue::Bool(false),
                TYPE_BYTE => HeaderValue::Byte(fixed(1)?[0] as i8),
                TYPE_INT16 => {
                    let v = fixed(2)?;
                    HeaderValue::Int16(i16::from_be_bytes([v[0], v[1]]))
                }
                TYPE_INT32 => HeaderValue::Int32(be_u32(fixed(4)?) as i32),
                TYPE_INT64 | TYPE_TIMESTAMP => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(fixed(8)?);
                    let v = i64::from_be_bytes(b);
                    if value_type == TYPE_INT64 {
                        HeaderValue::Int64(v)
                    } else {
                        HeaderValue::Timestamp(v)
                    }
                }
                TYPE_UUID => {
                    let mut u = [0u8; 16];
                    u.copy_from_slice(fixed(16)?);
                    HeaderValue::Uuid(u)
                }
                TYPE_BYTE_ARRAY | TYPE_STRING => {
                    if block.len() < 2 {
                        return Err(FrameError::InvalidHeaderValue("string cut off"));
                    }
                    let len = usize::from(u16::from_be_bytes([block[0], block[1]]));
                    if block.len() - 2 < len {
                        return Err(FrameError::InvalidHeaderValue(
                            "string length runs past the headers",
                        ));
                    }
                    let bytes = block[2..2 + len].to_vec();
                    block = &block[2 + len..];
                    if value_type == TYPE_STRING {
                        HeaderValue::String(
                            String::from_utf8(bytes)
                                .map_err(|_| FrameError::HeaderStringNotUtf8(name.clone()))?,
                        )
                    } else {
                        HeaderValue::ByteArray(bytes)
                    }
                }
                other => return Err(FrameError::UnknownHeaderValueType(other)),
            }
        };
        headers.push(Header { name, value });
    }
    Ok(headers)
}
