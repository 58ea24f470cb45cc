//! Event streams (feature `event-stream`): the binary frame codec and message signing
//! used by Transcribe streaming, Bedrock and Lex bidirectional streams, Kinesis
//! `SubscribeToShard` and other `application/vnd.amazon.eventstream` APIs.
//!
//! A frame is a 12-byte prelude (total length, headers length, CRC32 of the two), a
//! block of typed headers ([`HeaderValue`]: bool, byte, int16, int32, int64, byte array,
//! string, timestamp, UUID), the payload, and a CRC32 of everything before it.
//!
//! * [`Message`] encodes and decodes one frame; [`FrameDecoder`] decodes a stream given in
//!   slices of any size, with size limits, and a typed [`FrameError`] for every malformed input.
//! * [`EventStreamSigner`] signs each message (`AWS4-HMAC-SHA256-PAYLOAD`), chained from
//!   the signature of the HTTP request that opened the stream, and wraps it in an envelope
//!   carrying `:chunk-signature` and `:date`; [`EventStreamSigner::sign_end`] signs the
//!   empty end-of-stream message.
//! * [`EventStreamVerifier`] checks such a chain as the service does; with feature `http`,
//!   `sigv4::verify::verify_opening_request` checks the request that opened the stream and returns the
//!   verifier seeded with its signature.
//!
//! A message's string to sign is:
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD
//! <date-time, 20240102T030405Z>
//! <date>/<region>/<service>/aws4_request
//! <prior signature, hex>
//! <hex SHA-256 of the encoded :date header>
//! <hex SHA-256 of the encoded message (empty for the end of the stream)>
//! ```

mod frame;
mod sign;

pub use frame::{
    FrameDecoder, FrameError, Header, HeaderValue, Message, DEFAULT_MAX_HEADERS_LEN,
    DEFAULT_MAX_MESSAGE_LEN, FRAME_OVERHEAD, PRELUDE_LEN,
};
#[cfg(feature = "http")]
pub use sign::sign_http_request;
pub use sign::{
    EventSigningError, EventStreamSigner, EventStreamVerifier, EventVerifyError, VerifiedEvent,
    CHUNK_SIGNATURE_HEADER, DATE_HEADER, PAYLOAD_ALGORITHM, STREAMING_EVENTS_PAYLOAD,
};
