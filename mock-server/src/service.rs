//! The request handler, without sockets: a request in, the AWS-shaped response out.
//!
//! Order, as AWS applies it: decode the query, authenticate (SigV4), route, validate the
//! input, authorize the caller, look the domain up, mint. Every request ends in exactly one
//! [`Exchange`] record, which is what the per-request log line is made of.

use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use rand::RngCore;

use crate::api::get_authorization_token::{self, ExpirationFormat, ZeroDurationPolicy};
use crate::api::Operation;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{ErrorCode, ServiceError};
use crate::fixture::Fixture;
use crate::sigv4::{normalized_path, AuthError, Query, RequestParts, Verifier};
use crate::token::TokenSealer;

/// The signing name of CodeArtifact.
pub const SIGNING_NAME: &str = "codeartifact";
/// AWS's usual clock-skew window: 5 minutes.
pub const DEFAULT_MAX_SKEW_SECONDS: u64 = 300;

/// Behaviour switches of the service (flags of the binary).
#[derive(Debug, Clone, Copy)]
pub struct ServiceConfig {
    /// Accepted distance between a request's `X-Amz-Date` and the server's now.
    pub max_skew_seconds: u64,
    /// What `duration=0` does for long-term keys.
    pub zero_duration: ZeroDurationPolicy,
    /// How `expiration` is spelled.
    pub expiration_format: ExpirationFormat,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_skew_seconds: DEFAULT_MAX_SKEW_SECONDS,
            zero_duration: ZeroDurationPolicy::default(),
            expiration_format: ExpirationFormat::default(),
        }
    }
}

/// The response body type.
pub type Body = Full<Bytes>;

/// What happened to one request: the facts the log line (and the journal) record. Never holds
/// a secret, a session token, a signature or an issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Decoded query parameters, signature values removed.
    pub query: Vec<(String, String)>,
    /// The operation, once routed.
    pub operation: Option<&'static str>,
    /// The access key id the request claimed, when it named one.
    pub access_key_id: Option<String>,
    /// HTTP status sent.
    pub status: u16,
    /// Error code sent, if any.
    pub error: Option<ErrorCode>,
    /// `x-amzn-RequestId` sent.
    pub request_id: String,
    /// The server's now when the request arrived.
    pub received_at: SystemTime,
}

/// The mock CodeArtifact service. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct MockService {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: ServiceConfig,
    verifier: Verifier,
    sealer: TokenSealer,
    clock: Clock,
    directory: RwLock<Arc<Directory>>,
}

impl MockService {
    /// A service for a fixture, with a fresh token key and the real clock.
    pub fn new(fixture: &Fixture, config: ServiceConfig) -> Self {
        Self::with_clock(fixture, config, Clock::default())
    }

    /// A service whose clock starts in a given mode; the fixture's session expiries count from
    /// that clock's now.
    pub fn with_clock(fixture: &Fixture, config: ServiceConfig, clock: Clock) -> Self {
        let directory = Directory::new(fixture, clock.now());
        Self {
            shared: Arc::new(Shared {
                config,
                verifier: Verifier::new(SIGNING_NAME, config.max_skew_seconds),
                sealer: TokenSealer::random(),
                clock,
                directory: RwLock::new(Arc::new(directory)),
            }),
        }
    }

    /// The server's clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The token sealer, to check tokens this server issued.
    pub fn sealer(&self) -> &TokenSealer {
        &self.shared.sealer
    }

    /// The directory being served.
    pub fn directory(&self) -> Arc<Directory> {
        let guard = self
            .shared
            .directory
            .read()
            .unwrap_or_else(|p| p.into_inner());
        Arc::clone(&guard)
    }

    /// Answers one request, and logs it.
    pub fn handle(&self, request: Request<Bytes>) -> Response<Body> {
        let started = Instant::now();
        let (response, exchange) = self.respond(request);
        tracing::info!(
            method = %exchange.method,
            path = %exchange.path,
            operation = %exchange.operation.unwrap_or("-"),
            access_key_id = %exchange.access_key_id.as_deref().unwrap_or("-"),
            status = exchange.status,
            error = %exchange.error.map_or("-", ErrorCode::as_str),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        response
    }

    /// Answers one request and says what happened.
    pub fn respond(&self, request: Request<Bytes>) -> (Response<Body>, Exchange) {
        let now = self.shared.clock.now();
        let (parts, body) = request.into_parts();
        let mut exchange = Exchange {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: Vec::new(),
            operation: None,
            access_key_id: claimed_access_key(&parts.headers, parts.uri.query()),
            status: 200,
            error: None,
            request_id: request_id(),
            received_at: now,
        };
        let result = self.run(
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
            now,
            &mut exchange,
        );
        let (status, body, retry_after) = match result {
            Ok(body) => (StatusCode::OK, body, None),
            Err(error) => {
                exchange.error = Some(error.code);
                let status = StatusCode::from_u16(error.code.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, error.body(), error.retry_after_seconds)
            }
        };
        exchange.status = status.as_u16();
        let response = aws_response(status, body, &exchange, retry_after, now);
        (response, exchange)
    }

    fn run(
        &self,
        method: &Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        body: &[u8],
        now: SystemTime,
        exchange: &mut Exchange,
    ) -> Result<Vec<u8>, ServiceError> {
        let query = Query::parse(uri.query().unwrap_or("")).map_err(|e| {
            ServiceError::new(ErrorCode::MalformedQueryStringException, e.to_string())
        })?;
        exchange.query = journal_query(&query);
        let directory = self.directory();
        let parts = RequestParts {
            method: method.as_str(),
            path: uri.path(),
            query: &query,
            headers,
        };
        let verified = self
            .shared
            .verifier
            .verify(parts, body, now, &*directory)
            .map_err(|e| {
                if let AuthError::SignatureMismatch { canonical_request, string_to_sign } = &e {
                    tracing::debug!(%canonical_request, %string_to_sign, "signature mismatch: this is what the server signed");
                }
                e.to_service_error()
            })?;
        let operation =
            Operation::route(method, &normalized_path(uri.path())).ok_or_else(|| {
                ServiceError::new(ErrorCode::UnknownOperationException, "Unknown operation")
            })?;
        exchange.operation = Some(operation.name());
        let caller = directory
            .identity(&verified.access_key_id)
            .ok_or_else(|| AuthError::UnknownAccessKey.to_service_error())?;
        match operation {
            Operation::GetAuthorizationToken => {
                let input = get_authorization_token::parse_input(&query)?;
                let ctx = get_authorization_token::Context {
                    directory: &directory,
                    sealer: &self.shared.sealer,
                    now,
                    region: &verified.region,
                    zero_duration: self.shared.config.zero_duration,
                    expiration_format: self.shared.config.expiration_format,
                };
                get_authorization_token::handle(&ctx, caller, &input)
            }
        }
    }
}

/// Builds a response with the headers every AWS answer carries.
fn aws_response(
    status: StatusCode,
    body: Vec<u8>,
    exchange: &Exchange,
    retry_after: Option<u64>,
    now: SystemTime,
) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-amzn-RequestId", &exchange.request_id)
        .header(header::DATE, httpdate::fmt_http_date(now));
    if let Some(code) = exchange.error {
        builder = builder.header("x-amzn-ErrorType", code.error_type_header());
    }
    if let Some(seconds) = retry_after {
        builder = builder.header(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// The access key id a request names (header or presigned query), for logs: not a secret,
/// and useful even when the request fails authentication.
fn claimed_access_key(headers: &http::HeaderMap, query: Option<&str>) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|rest| rest.to_owned());
    let from_query = || Query::parse(query?).ok()?.first("X-Amz-Credential");
    let credential = from_header.or_else(from_query)?;
    let key: String = credential
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(128)
        .collect();
    (!key.is_empty()).then_some(key)
}

/// Query parameters as the journal keeps them: the signature and session token left out.
fn journal_query(query: &Query) -> Vec<(String, String)> {
    query
        .params()
        .iter()
        .map(|p| {
            (
                String::from_utf8_lossy(&p.key).into_owned(),
                String::from_utf8_lossy(&p.value).into_owned(),
            )
        })
        .filter(|(k, _)| k != "X-Amz-Signature" && k != "X-Amz-Security-Token")
        .collect()
}

/// A random (version 4) UUID, as AWS request ids are.
fn request_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
