//! What every AWS answer carries: status, `Content-Type`, `x-amzn-RequestId`, `Date` (the
//! server's clock), `x-amzn-ErrorType` for errors, `Retry-After` for throttling.

use std::time::SystemTime;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use rand::RngCore;

use crate::api::Output;
use crate::body::MockBody;
use crate::error::{message_body, ErrorCode, ServiceError};
use crate::exchange::Exchange;
use crate::faults::FaultEffect;

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const X_AMZN_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-amzn-requestid");
const X_AMZN_ERROR_TYPE: header::HeaderName = header::HeaderName::from_static("x-amzn-errortype");
pub(super) const AMZ_SDK_REQUEST: header::HeaderName =
    header::HeaderName::from_static("amz-sdk-request");

/// What a proxy might send instead of JSON (the `malformed_body` fault).
pub(super) const MALFORMED_BODY: &str =
    "<html><body><h1>200 OK</h1>This is not the JSON you are looking for.</body></html>";

/// The status, body and error headers of an answer, before the transport sees it.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) body: Bytes,
    pub(super) error: Option<ErrorCode>,
    pub(super) retry_after: Option<u64>,
    /// A blob's header members; a blob is `application/octet-stream`.
    pub(super) blob_headers: Option<Vec<(&'static str, String)>>,
    /// The asset a blob's content is read from (then `body` is empty).
    pub(super) file: Option<crate::packages::Asset>,
}

impl Answer {
    /// What a fired fault answers instead of the normal answer, if it replaces it.
    pub(super) fn injected(fault: &FaultEffect) -> Option<Self> {
        if let Some(error) = &fault.error {
            return Some(Self::from(Err(error.clone())));
        }
        // A bare status, as a load balancer sends it: no AWS error type.
        let status = StatusCode::from_u16(fault.bare_status?).ok()?;
        let reason = status.canonical_reason().unwrap_or("Error");
        let body = Bytes::from(message_body(reason));
        Some(Self {
            status,
            body,
            error: None,
            retry_after: None,
            blob_headers: None,
            file: None,
        })
    }

    /// Puts a blob's content type and header members on its response.
    pub(super) fn add_headers(&self, response: &mut Response<MockBody>) {
        let Some(headers) = &self.blob_headers else {
            return;
        };
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        for (name, value) in headers {
            if let Ok(value) = HeaderValue::try_from(value.as_str()) {
                response.headers_mut().insert(*name, value);
            }
        }
    }
}

impl From<Result<Output, ServiceError>> for Answer {
    fn from(result: Result<Output, ServiceError>) -> Self {
        match result {
            Ok(Output::Json(body)) => Self {
                status: StatusCode::OK,
                body: Bytes::from(body),
                error: None,
                retry_after: None,
                blob_headers: None,
                file: None,
            },
            Ok(Output::Blob(blob)) => Self {
                status: StatusCode::OK,
                body: Bytes::new(),
                error: None,
                retry_after: None,
                blob_headers: Some(blob.headers),
                file: Some(blob.asset),
            },
            Err(error) => Self {
                status: StatusCode::from_u16(error.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body: Bytes::from(error.body()),
                error: Some(error.code),
                retry_after: error.retry_after_seconds,
                blob_headers: None,
                file: None,
            },
        }
    }
}

/// Builds a response with the headers every AWS answer carries.
pub(super) fn aws_response(
    status: StatusCode,
    body: MockBody,
    exchange: &Exchange,
    retry_after: Option<u64>,
    now: SystemTime,
) -> Response<MockBody> {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, APPLICATION_JSON)
        .header(X_AMZN_REQUEST_ID, &exchange.request_id)
        .header(header::DATE, date_header(now));
    if let Some(code) = exchange.error {
        builder = builder.header(X_AMZN_ERROR_TYPE, code.error_type_header());
    }
    if let Some(seconds) = retry_after {
        builder = builder.header(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(MockBody::full(Bytes::new())))
}

/// A random (version 4) UUID, as AWS request ids are.
pub(super) fn request_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut hex = [0u8; 32];
    // The lengths match by construction, the only way it can fail.
    let _ = hex::encode_to_slice(bytes, &mut hex);
    let mut id = String::with_capacity(36);
    for (i, group) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            id.push('-');
        }
        id.extend(hex[group].iter().map(|&b| char::from(b)));
    }
    id
}

/// The `Date` header for the server's now. Formatted once per second per thread: the clock
/// may be scripted, so hyper's own cached header (real time) cannot stand in for it.
fn date_header(now: SystemTime) -> HeaderValue {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(u64, HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    let second = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(u64::MAX, |d| d.as_secs());
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((cached, value)) if *cached == second && second != u64::MAX => value.clone(),
            _ => {
                let value = HeaderValue::try_from(httpdate::fmt_http_date(now))
                    .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
                *last = Some((second, value.clone()));
                value
            }
        }
    })
}
