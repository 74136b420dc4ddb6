//! Server-side AWS Signature Version 4 verification.
//!
//! What is checked, in the order AWS's front door reports problems (as reconstructed by the
//! scratchstack-aws-signature project, "AWS Auth Error Ordering"):
//!
//! 1. an `Authorization` header or an `X-Amz-Algorithm` query parameter, not both;
//! 2. the algorithm, `key=value` syntax and the required parameters (`Credential`,
//!    `SignedHeaders`, `Signature`, a date);
//! 3. `host` among the signed headers;
//! 4. the date in ISO 8601 basic format, then inside the clock-skew window;
//! 5. the credential scope: five parts, a served region, this service, `aws4_request`, the
//!    request's own date;
//! 6. the access key, its session token and the session's expiry;
//! 7. `x-amz-content-sha256`, when sent, equal to the body's hash;
//! 8. the signature itself, compared in constant time.
//!
//! Failures are an [`AuthError`] that says why; [`AuthError::to_service_error`] is the one place
//! they become wire errors. Time is an input (`now`), never read from the system here.

mod amz_date;
mod canonical;
mod key;
mod key_cache;
mod parse;
mod query;
mod verify;

pub use amz_date::AmzDate;
pub use canonical::{
    canonical_query, canonical_uri, normalized_path, string_to_sign, CanonicalRequest, RequestParts,
};
pub use key::{SecretKey, Signature, SigningKey};
pub use parse::{SignatureLocation, SignatureParams};
pub use query::{uri_encode, Query, QueryError, QueryParam};
pub use verify::{Credential, CredentialSource, Verified, Verifier};

use crate::error::{ErrorCode, ServiceError};

/// Text AWS sends for a signature that does not match.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Why a request failed authentication. `Display` is the message AWS sends.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Neither an `Authorization` header nor a presigned query.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// Both an `Authorization` header and `X-Amz-Algorithm` in the query.
    #[error("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")]
    BothSignatureLocations,
    /// The `Authorization` header names another scheme.
    #[error("Unsupported AWS 'algorithm': '{0}'.")]
    UnsupportedAlgorithm(String),
    /// A comma-separated piece of the header is not `key=value`.
    #[error("'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'")]
    NotKeyValuePair {
        /// The offending piece.
        pair: String,
        /// The whole header.
        header: String,
    },
    /// Required `Authorization` header parameters are absent.
    #[error("{} Authorization=AWS4-HMAC-SHA256", .0.join(" "))]
    MissingHeaderParameters(Vec<&'static str>),
    /// Required presigned query parameters are absent.
    #[error("{} Re-examine the query-string parameters.", .0.join(" "))]
    MissingQueryParameters(Vec<&'static str>),
    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,
    /// The date is not `YYYYMMDD'T'HHMMSS'Z'`.
    #[error("Date must be in ISO-8601 'basic format'. Got '{0}'. See http://en.wikipedia.org/wiki/ISO_8601")]
    MalformedDate(String),
    /// `X-Amz-Expires` is not a whole number of seconds between 1 and a week.
    #[error("{0}")]
    InvalidExpires(&'static str),
    /// The request is older than the window allows.
    #[error("Signature expired: {request} is now earlier than {earliest} ({now} - {window}.)")]
    SignatureExpired {
        /// The request's date.
        request: AmzDate,
        /// The oldest date still accepted.
        earliest: AmzDate,
        /// The server's now.
        now: AmzDate,
        /// The window, as AWS words it (`5 min`).
        window: String,
    },
    /// The request is dated further in the future than the window allows.
    #[error(
        "Signature not yet current: {request} is still later than {latest} ({now} + {window}.)"
    )]
    SignatureNotYetCurrent {
        /// The request's date.
        request: AmzDate,
        /// The latest date still accepted.
        latest: AmzDate,
        /// The server's now.
        now: AmzDate,
        /// The window, as AWS words it.
        window: String,
    },
    /// The credential is not `key/date/region/service/aws4_request`.
    #[error("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{0}'")]
    MalformedCredential(String),
    /// The credential scope names another region, service, terminator or date.
    #[error("{}", .0.join(" "))]
    WrongScope(Vec<String>),
    /// No identity has this access key id.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// The session token is missing, unexpected or not the one issued with the key.
    #[error("The security token included in the request is invalid.")]
    InvalidSessionToken,
    /// The session credentials have expired.
    #[error("The security token included in the request is expired")]
    ExpiredSessionToken,
    /// `x-amz-content-sha256` names another payload than the one sent.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,
    /// The signature does not match. Carries what the server computed, for debug logs.
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    SignatureMismatch {
        /// What the server built, session token redacted.
        canonical_request: String,
        /// What the server signed.
        string_to_sign: String,
    },
}

impl AuthError {
    /// The wire error code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingAuthenticationToken => ErrorCode::MissingAuthenticationTokenException,
            Self::UnsupportedAlgorithm(_)
            | Self::NotKeyValuePair { .. }
            | Self::MissingHeaderParameters(_)
            | Self::MissingQueryParameters(_)
            | Self::MalformedDate(_)
            | Self::InvalidExpires(_)
            | Self::MalformedCredential(_) => ErrorCode::IncompleteSignatureException,
            Self::BothSignatureLocations
            | Self::HostNotSigned
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::WrongScope(_)
            | Self::ContentSha256Mismatch
            | Self::SignatureMismatch { .. } => ErrorCode::InvalidSignatureException,
            Self::UnknownAccessKey | Self::InvalidSessionToken => {
                ErrorCode::UnrecognizedClientException
            }
            Self::ExpiredSessionToken => ErrorCode::ExpiredTokenException,
        }
    }

    /// The error answer AWS sends for this failure.
    pub fn to_service_error(&self) -> ServiceError {
        ServiceError::new(self.code(), self.to_string())
    }
}
