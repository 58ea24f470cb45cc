//! # sigv4
//!
//! AWS Signature Version 4, correct to the byte and fast, with every step
//! inspectable. This crate is the pure core: it does no I/O, reads no clock,
//! environment or file. Time and credentials are passed in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod credentials;
mod error;
mod time;

pub use credentials::Credentials;
pub use error::SigningError;
pub use time::AmzDate;

// -- modules added by other work (keep one line each, alphabetical) --
