//! The one error story: [`Error`], the umbrella over every error of this crate, and the one
//! error-code table: every error of this crate maps to an [`ErrorCode`], the AWS
//! error code a service answers with (or, for a failure on the signing side, the code a
//! service would answer had the request been sent), and each code to one HTTP status.
//!
//! The per-area errors keep their `code()` methods (returning the code's text); they read
//! it from here, so a code and its status are spelled in one place.

use std::fmt;

use crate::SigningError;

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $text:literal, $status:literal;)+) => {
        /// An AWS error code, with its HTTP status.
        ///
        /// The codes are stable API: a code's text and status never change, new codes may be
        /// added (the enum is `#[non_exhaustive]`).
        ///
        /// ```
        /// use sigv4::ErrorCode;
        /// assert_eq!(ErrorCode::SignatureDoesNotMatch.as_str(), "SignatureDoesNotMatch");
        /// assert_eq!(ErrorCode::SignatureDoesNotMatch.http_status(), 403);
        /// assert_eq!("BadDigest".parse::<ErrorCode>(), Ok(ErrorCode::BadDigest));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $name,)+
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)+];

            /// The code as AWS spells it, such as `SignatureDoesNotMatch`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $text,)+
                }
            }

            /// The HTTP status AWS answers this code with.
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$name => $status,)+
                }
            }
        }
    };
}

codes! {
    /// Access is refused: unsigned, expired or not-yet-valid presigned request, unsigned
    /// `x-amz-*` header, unsigned payload not accepted.
    AccessDenied = "AccessDenied", 403;
    /// A request parameter is invalid.
    InvalidArgument = "InvalidArgument", 400;
    /// The `Authorization` header cannot be used.
    AuthorizationHeaderMalformed = "AuthorizationHeaderMalformed", 400;
    /// The presigned `X-Amz-*` query parameters cannot be used.
    AuthorizationQueryParametersError = "AuthorizationQueryParametersError", 400;
    /// The access key id is not known.
    InvalidAccessKeyId = "InvalidAccessKeyId", 403;
    /// The session token is missing, unexpected or wrong.
    InvalidToken = "InvalidToken", 400;
    /// The session token has expired.
    ExpiredToken = "ExpiredToken", 400;
    /// The request's time is too far from the server's.
    RequestTimeTooSkewed = "RequestTimeTooSkewed", 403;
    /// The signature is not the one the server computed.
    SignatureDoesNotMatch = "SignatureDoesNotMatch", 403;
    /// The body's SHA-256 is not the signed `x-amz-content-sha256`.
    XAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch", 400;
    /// The request itself is invalid.
    InvalidRequest = "InvalidRequest", 400;
    /// The path is not in the form the signature covers.
    InvalidURI = "InvalidURI", 400;
    /// An aws-chunked body ended early or has another length than declared.
    IncompleteBody = "IncompleteBody", 400;
    /// A checksum trailer does not match the body.
    BadDigest = "BadDigest", 400;
    /// The server (or its credential store, or its set-up) failed.
    InternalError = "InternalError", 500;
    /// Event streams: a message's signature or time is wrong.
    InvalidSignatureException = "InvalidSignatureException", 403;
    /// Event streams: a malformed request or message.
    BadRequestException = "BadRequestException", 400;
    /// Event streams: the opening request is not signed.
    MissingAuthenticationToken = "MissingAuthenticationToken", 403;
    /// Event streams: the access key is not the expected one.
    UnrecognizedClientException = "UnrecognizedClientException", 403;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a code of [`ErrorCode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an error code of this crate")
    }
}

impl std::error::Error for UnknownErrorCode {}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or(UnknownErrorCode)
    }
}

/// Declares [`Error`] from one list of its variants: the enum, `From` from each per-area
/// error, and the dispatch of `code`, `Display` and `source` to the inner error.
macro_rules! umbrella {
    (
        $(#[$meta:meta])*
        pub enum Error {
            $($(#[doc = $doc:literal])* $(#[cfg($cfg:meta)])? $variant:ident($ty:ty),)+
        }
    ) => {
        $(#[$meta])*
        pub enum Error {
            $($(#[doc = $doc])* $(#[cfg($cfg)])? $variant($ty),)+
        }

        impl Error {
            /// The error code, from the one table in [`ErrorCode`].
            pub fn code(&self) -> ErrorCode {
                match self {
                    $($(#[cfg($cfg)])? Error::$variant(e) => e.error_code(),)+
                }
            }

            /// The inner error, as a trait object.
            fn inner(&self) -> &(dyn std::error::Error + 'static) {
                match self {
                    $($(#[cfg($cfg)])? Error::$variant(e) => e,)+
                }
            }
        }

        $(
            $(#[cfg($cfg)])?
            impl From<$ty> for Error {
                fn from(e: $ty) -> Self {
                    Error::$variant(e)
                }
            }
        )+
    };
}

umbrella! {
    /// Any error of this crate: the umbrella over the per-area errors, each converting into it
    /// with `From` (so `?` works in a function returning `Result<_, sigv4::Error>`), with one
    /// [`code`](Self::code) table ([`ErrorCode`]) and [`http_status`](Self::http_status).
    ///
    /// The per-area errors stay the return types of their functions (they say exactly what
    /// can go wrong there); convert into this one where several areas meet.
    ///
    /// ```
    /// use sigv4::{Error, ErrorCode, SigningError};
    ///
    /// fn check(region: &str) -> Result<(), Error> {
    ///     if region.is_empty() {
    ///         Err(SigningError::InvalidRegion(region.to_owned()))?;
    ///     }
    ///     Ok(())
    /// }
    /// let e = check("").unwrap_err();
    /// assert_eq!(e.code(), ErrorCode::InvalidArgument);
    /// assert!(matches!(e, Error::Signing(SigningError::InvalidRegion(_))));
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum Error {
        /// Signing failed.
        Signing(SigningError),
        /// A request was refused by the verifier.
        Verify(crate::verify::VerifyError),
        /// An aws-chunked body (SigV4 or SigV4a) was refused by the verifier.
        ChunkVerify(crate::verify::ChunkVerifyError),
        /// The credential store failed.
        Lookup(crate::verify::LookupError),
        /// A streaming (aws-chunked) body could not be set up or encoded.
        Chunked(crate::chunked::ChunkedError),
        /// SigV4a signing or key handling failed.
        #[cfg(feature = "sigv4a")]
        SigV4a(crate::sigv4a::SigV4aError),
        /// An event-stream frame could not be encoded or decoded.
        #[cfg(feature = "event-stream")]
        Frame(crate::eventstream::FrameError),
        /// An event-stream message could not be signed.
        #[cfg(feature = "event-stream")]
        EventSigning(crate::eventstream::EventSigningError),
        /// A signed event-stream message was refused.
        #[cfg(feature = "event-stream")]
        EventVerify(crate::eventstream::EventVerifyError),
        /// The request opening an event stream was refused.
        #[cfg(all(feature = "event-stream", feature = "http"))]
        OpeningRequest(crate::verify::OpeningRequestError),
        /// A POST policy could not be built or signed.
        #[cfg(feature = "post-policy")]
        PostPolicy(crate::post_policy::PostPolicyError),
    }
}

impl Error {
    /// The HTTP status for [`code`](Self::code).
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Transparent: the inner error says everything.
        fmt::Display::fmt(self.inner(), f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner().source()
    }
}

impl SigningError {
    /// The error code: the request could not be signed, so this is what a service would
    /// answer for the same fault in a request it received.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            SigningError::InvalidExpiry(_) => ErrorCode::AuthorizationQueryParametersError,
            SigningError::KeyScopeMismatch { .. } | SigningError::TimeOutOfRange => {
                ErrorCode::InternalError
            }
            _ => ErrorCode::InvalidArgument,
        }
    }
}

mod verify_codes {
    use super::ErrorCode;
    use crate::verify::{AuthMode, ChunkVerifyError, LookupError, VerifyError};

    impl VerifyError {
        /// The AWS error code to answer with, as an [`ErrorCode`]; [`code`](Self::code) is
        /// its text.
        pub fn error_code(&self) -> ErrorCode {
            use ErrorCode as C;
            use VerifyError::*;
            let malformed = |mode: &AuthMode| match mode {
                AuthMode::Header => C::AuthorizationHeaderMalformed,
                AuthMode::Query => C::AuthorizationQueryParametersError,
            };
            match self {
                MissingAuthentication => C::AccessDenied,
                AmbiguousAuthentication => C::InvalidArgument,
                AuthorizationHeaderMalformed(_) => C::AuthorizationHeaderMalformed,
                AuthorizationQueryParametersError(_) => C::AuthorizationQueryParametersError,
                WrongScope { mode, .. }
                | RequiredHeaderNotSigned { mode, .. }
                | SignedHeaderAbsent { mode, .. } => malformed(mode),
                UnsignedAmzHeader(_) => C::AccessDenied,
                InvalidDate { mode, .. } => match mode {
                    AuthMode::Header => C::AccessDenied,
                    AuthMode::Query => C::AuthorizationQueryParametersError,
                },
                InvalidAccessKeyId(_) => C::InvalidAccessKeyId,
                InvalidToken(_) => C::InvalidToken,
                ExpiredToken => C::ExpiredToken,
                RequestTimeTooSkewed { .. } => C::RequestTimeTooSkewed,
                Expired { .. } | NotYetValid { .. } => C::AccessDenied,
                ExpiresOutOfRange(_) => C::AuthorizationQueryParametersError,
                SignatureDoesNotMatch(_) => C::SignatureDoesNotMatch,
                ContentSha256Mismatch { .. } => C::XAmzContentSHA256Mismatch,
                InvalidContentSha256(_) => C::InvalidArgument,
                MissingContentSha256 => C::InvalidRequest,
                UnsignedPayloadNotAllowed(_) => C::AccessDenied,
                BodyRequired | CredentialLookup(_) => C::InternalError,
                InvalidRequest(_) | AuthorityMismatch { .. } | NotAnEventStream => {
                    C::InvalidRequest
                }
                NonNormalizedPath(_) | UnsafePath(_) => C::InvalidURI,
                RawPlusInQuery => C::InvalidArgument,
            }
        }
    }

    impl ChunkVerifyError {
        /// The AWS error code, as an [`ErrorCode`]; [`code`](Self::code) is its text.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                ChunkVerifyError::Malformed(_) => ErrorCode::InvalidRequest,
                ChunkVerifyError::ChunkSignatureMismatch { .. }
                | ChunkVerifyError::TrailerSignatureMismatch => ErrorCode::SignatureDoesNotMatch,
                ChunkVerifyError::LengthMismatch { .. } | ChunkVerifyError::Incomplete => {
                    ErrorCode::IncompleteBody
                }
                ChunkVerifyError::ChecksumMismatch { .. } => ErrorCode::BadDigest,
            }
        }
    }

    impl LookupError {
        /// A failing credential store is the server's fault: `InternalError`.
        pub fn error_code(&self) -> ErrorCode {
            ErrorCode::InternalError
        }
    }
}

mod chunked_codes {
    use super::ErrorCode;
    use crate::chunked::ChunkedError;

    impl ChunkedError {
        /// The error code: a body that does not match its declared length is an
        /// `IncompleteBody`; a signing failure has the signing error's code; the rest are
        /// invalid arguments.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                ChunkedError::LengthMismatch { .. } => ErrorCode::IncompleteBody,
                ChunkedError::Signing(e) => e.error_code(),
                _ => ErrorCode::InvalidArgument,
            }
        }
    }
}

#[cfg(feature = "sigv4a")]
mod sigv4a_codes {
    use super::ErrorCode;
    use crate::sigv4a::SigV4aError;

    impl SigV4aError {
        /// The error code: the signing error's, `InternalError` for a failed key
        /// derivation, `InvalidArgument` otherwise.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                SigV4aError::Signing(e) => e.error_code(),
                SigV4aError::KeyDerivationFailed => ErrorCode::InternalError,
                _ => ErrorCode::InvalidArgument,
            }
        }
    }
}

#[cfg(feature = "event-stream")]
mod eventstream_codes {
    use super::ErrorCode;
    use crate::eventstream::{EventSigningError, EventVerifyError, FrameError};

    impl FrameError {
        /// A malformed frame: `BadRequestException`, as event-stream services answer it.
        pub fn error_code(&self) -> ErrorCode {
            ErrorCode::BadRequestException
        }
    }

    impl EventSigningError {
        /// The error code: the signing error's, `BadRequestException` for a frame that
        /// cannot be encoded, `InvalidArgument` otherwise.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                EventSigningError::Signing(e) => e.error_code(),
                EventSigningError::Frame(e) => e.error_code(),
                _ => ErrorCode::InvalidArgument,
            }
        }
    }

    impl EventVerifyError {
        /// The AWS error code a service answers with, as an [`ErrorCode`];
        /// [`code`](Self::code) is its text.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                EventVerifyError::SignatureMismatch { .. } | EventVerifyError::TimeSkew { .. } => {
                    ErrorCode::InvalidSignatureException
                }
                _ => ErrorCode::BadRequestException,
            }
        }
    }
}

#[cfg(all(feature = "event-stream", feature = "http"))]
mod opening_codes {
    use super::ErrorCode;
    use crate::verify::OpeningRequestError;

    impl OpeningRequestError {
        /// The AWS error code a service answers with, as an [`ErrorCode`];
        /// [`code`](Self::code) is its text.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                OpeningRequestError::MissingAuthorization => ErrorCode::MissingAuthenticationToken,
                OpeningRequestError::WrongAccessKey => ErrorCode::UnrecognizedClientException,
                OpeningRequestError::TimeSkew { .. } | OpeningRequestError::SignatureMismatch => {
                    ErrorCode::InvalidSignatureException
                }
                OpeningRequestError::Rejected(e) => e.error_code(),
                _ => ErrorCode::BadRequestException,
            }
        }
    }
}

#[cfg(feature = "post-policy")]
mod post_policy_codes {
    use super::ErrorCode;
    use crate::post_policy::PostPolicyError;

    impl PostPolicyError {
        /// The error code: the signing error's, `AccessDenied` for a policy that has
        /// already expired (as S3 refuses it), `InvalidArgument` otherwise.
        pub fn error_code(&self) -> ErrorCode {
            match self {
                PostPolicyError::Signing(e) => e.error_code(),
                PostPolicyError::AlreadyExpired { .. } => ErrorCode::AccessDenied,
                _ => ErrorCode::InvalidArgument,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_text() {
        for &c in ErrorCode::ALL {
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!("NoSuchCode".parse::<ErrorCode>(), Err(UnknownErrorCode));
    }

    #[test]
    fn the_umbrella_is_transparent_and_codes_through_the_table() {
        let inner = crate::chunked::ChunkedError::Signing(SigningError::TimeOutOfRange);
        let e = Error::from(inner.clone());
        assert_eq!(e.to_string(), inner.to_string());
        assert_eq!(e.code(), ErrorCode::InternalError);
        assert_eq!(e.http_status(), 500);
        let lookup = Error::from(crate::verify::LookupError("store down".into()));
        assert_eq!(
            (lookup.code().as_str(), lookup.to_string().as_str()),
            ("InternalError", "store down")
        );
    }

    #[test]
    fn statuses_are_the_ones_aws_answers() {
        let forbidden: Vec<&str> = ErrorCode::ALL
            .iter()
            .filter(|c| c.http_status() == 403)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            forbidden,
            [
                "AccessDenied",
                "InvalidAccessKeyId",
                "RequestTimeTooSkewed",
                "SignatureDoesNotMatch",
                "InvalidSignatureException",
                "MissingAuthenticationToken",
                "UnrecognizedClientException"
            ]
        );
        assert_eq!(ErrorCode::InternalError.http_status(), 500);
        assert_eq!(ErrorCode::BadDigest.http_status(), 400);
    }
}
