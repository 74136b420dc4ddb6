//! The record of one AWS request: what arrived and what was answered. The pipeline fills it
//! in, the log line and the journal read it. It never holds a secret, a session token, a
//! signature or an issued token.

use std::time::SystemTime;

use http::header;

use crate::error::ErrorCode;
use crate::sigv4::Query;

/// What happened to one request: the facts the log line and the journal record. Never holds
/// a secret, a session token, a signature or an issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Decoded query parameters, signature and session token removed.
    pub query: Query,
    /// The operation, once routed.
    pub operation: Option<&'static str>,
    /// The access key id the request claimed, when it named one.
    pub access_key_id: Option<String>,
    /// Whether the signature verified.
    pub authenticated: bool,
    /// HTTP status sent; 0 when the connection was closed without a response.
    pub status: u16,
    /// Error code sent, if any.
    pub error: Option<ErrorCode>,
    /// The fault rule that fired, if any.
    pub fault: Option<u64>,
    /// `x-amzn-RequestId` sent.
    pub request_id: String,
    /// The server's now when the request arrived.
    pub received_at: SystemTime,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `amz-sdk-request`.
    pub amz_sdk_request: Option<String>,
}

/// The access key id a request names (header or presigned query), for logs: not a secret,
/// and useful even when the request fails authentication.
pub(crate) fn claimed_access_key(
    headers: &http::HeaderMap,
    query: Option<&Query>,
) -> Option<String> {
    let key_of = |credential: &[u8]| {
        let length = credential
            .iter()
            .take(128)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        // ASCII alphanumerics only: always UTF-8.
        std::str::from_utf8(&credential[..length])
            .ok()
            .filter(|key| !key.is_empty())
            .map(str::to_owned)
    };
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("Credential="))
        .map(|(_, rest)| key_of(rest.as_bytes()));
    match from_header {
        Some(key) => key,
        None => query?
            .params()
            .iter()
            .find(|p| p.key == b"X-Amz-Credential")
            .and_then(|p| key_of(&p.value)),
    }
}
