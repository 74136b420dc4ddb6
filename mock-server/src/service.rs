//! The request handler, without sockets: a request in, the AWS-shaped reply out.
//!
//! Order, as AWS applies it: decode the query, authenticate (SigV4), route, validate the
//! input, authorize the caller, look the domain up, mint. Scripted faults are matched before
//! any of that answers (they imitate AWS's front door and network on a bad day), but the
//! signature is still checked so the journal can say whether each request was signed right.
//! Every AWS request ends in exactly one [`Exchange`], the source of the log line and the
//! journal entry. Paths under `/_mock/` go to the control API when it is enabled.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use rand::RngCore;

use crate::api::{self, ExpirationFormat, Operation, ZeroDurationPolicy};
use crate::body::MockBody;
use crate::clock::{Clock, ClockMode};
use crate::control::faults::{FaultAction, FaultEffect, FaultSet, FaultTarget};
use crate::control::journal::{Journal, DEFAULT_CAPACITY};
use crate::directory::Directory;
use crate::error::{message_body, ErrorCode, ServiceError};
use crate::fixture::Fixture;
use crate::sigv4::{
    normalized_path, AuthError, Query, RequestParts, SecretKey, Verified, Verifier,
};
use crate::token::TokenSealer;

/// The signing name of CodeArtifact.
pub const SIGNING_NAME: &str = "codeartifact";
/// AWS's usual clock-skew window: 5 minutes.
pub const DEFAULT_MAX_SKEW_SECONDS: u64 = 300;
/// Prefix of the control API's paths.
pub const CONTROL_PREFIX: &str = "/_mock/";

/// Behaviour switches of the service (flags of the binary).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Accepted distance between a request's `X-Amz-Date` and the server's now.
    pub max_skew_seconds: u64,
    /// What `duration=0` does for long-term keys.
    pub zero_duration: ZeroDurationPolicy,
    /// How `expiration` is spelled.
    pub expiration_format: ExpirationFormat,
    /// Whether `/_mock/` serves the control API.
    pub control_enabled: bool,
    /// When set, control calls need `Authorization: Bearer <token>`.
    pub admin_token: Option<SecretKey>,
    /// Journal entries kept.
    pub journal_capacity: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_skew_seconds: DEFAULT_MAX_SKEW_SECONDS,
            zero_duration: ZeroDurationPolicy::default(),
            expiration_format: ExpirationFormat::default(),
            control_enabled: true,
            admin_token: None,
            journal_capacity: DEFAULT_CAPACITY,
        }
    }
}

/// What to do with a request: answer it, or close the connection without a word.
#[derive(Debug)]
pub enum Reply {
    /// Send this response.
    Respond(Response<MockBody>),
    /// Close the connection with no response (the `reset_connection` fault).
    CloseConnection,
}

impl Reply {
    /// The response, if there is one.
    pub fn into_response(self) -> Option<Response<MockBody>> {
        match self {
            Self::Respond(response) => Some(response),
            Self::CloseConnection => None,
        }
    }
}

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

/// The fixture being served, with its lookup tables.
#[derive(Debug)]
pub struct World {
    /// The fixture (shared with the service's start state: a large one is never copied).
    pub fixture: Arc<Fixture>,
    /// When it was loaded (session expiries count from here).
    pub loaded_at: SystemTime,
    /// Its lookup tables.
    pub directory: Directory,
}

impl World {
    fn new(fixture: Arc<Fixture>, loaded_at: SystemTime) -> Self {
        let directory = Directory::new(&fixture, loaded_at);
        Self {
            fixture,
            loaded_at,
            directory,
        }
    }
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
    start_fixture: Arc<Fixture>,
    world: RwLock<Arc<World>>,
    faults: FaultSet,
    journal: Journal,
    /// Scenarios may change the spelling of `expiration`; reset restores the configured one.
    /// An atomic rather than a lock: it is read by every request on every core.
    expiration_format: AtomicU8,
}

impl MockService {
    /// A service for a fixture, with a fresh token key and the real clock.
    pub fn new(fixture: &Fixture, config: ServiceConfig) -> Self {
        Self::with_clock(fixture, config, Clock::default())
    }

    /// A service that keeps `fixture` rather than a copy of it (a large fixture takes
    /// milliseconds to copy: the binary starts with this).
    pub fn owning(fixture: Fixture, config: ServiceConfig) -> Self {
        Self::sharing(Arc::new(fixture), config, Clock::default())
    }

    /// A service whose clock starts in a given mode; the fixture's session expiries count from
    /// that clock's now.
    pub fn with_clock(fixture: &Fixture, config: ServiceConfig, clock: Clock) -> Self {
        Self::sharing(Arc::new(fixture.clone()), config, clock)
    }

    fn sharing(start_fixture: Arc<Fixture>, config: ServiceConfig, clock: Clock) -> Self {
        let world = World::new(Arc::clone(&start_fixture), clock.now());
        Self {
            shared: Arc::new(Shared {
                verifier: Verifier::new(SIGNING_NAME, config.max_skew_seconds),
                journal: Journal::new(config.journal_capacity),
                expiration_format: AtomicU8::new(format_code(config.expiration_format)),
                config,
                sealer: TokenSealer::random(),
                clock,
                start_fixture,
                world: RwLock::new(Arc::new(world)),
                faults: FaultSet::default(),
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

    /// The fault rules.
    pub fn faults(&self) -> &FaultSet {
        &self.shared.faults
    }

    /// The request journal.
    pub fn journal(&self) -> &Journal {
        &self.shared.journal
    }

    /// The service's switches.
    pub fn config(&self) -> &ServiceConfig {
        &self.shared.config
    }

    /// The fixture being served, with its lookup tables.
    pub fn world(&self) -> Arc<World> {
        Arc::clone(&self.shared.world.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Serves another fixture from now on; its session expiries count from the server's now.
    pub fn replace_fixture(&self, fixture: Fixture) {
        self.serve_fixture(Arc::new(fixture));
    }

    fn serve_fixture(&self, fixture: Arc<Fixture>) {
        let world = Arc::new(World::new(fixture, self.shared.clock.now()));
        *self.shared.world.write().unwrap_or_else(|p| p.into_inner()) = world;
    }

    /// How `expiration` is spelled from now on.
    pub fn set_expiration_format(&self, format: ExpirationFormat) {
        self.shared
            .expiration_format
            .store(format_code(format), Ordering::Relaxed);
    }

    /// How `expiration` is spelled.
    pub fn expiration_format(&self) -> ExpirationFormat {
        match self.shared.expiration_format.load(Ordering::Relaxed) {
            1 => ExpirationFormat::JavaDouble,
            _ => ExpirationFormat::Integer,
        }
    }

    /// Back to the start: the fixture loaded at start, no faults, the real clock, an empty
    /// journal, the configured `expiration` spelling.
    pub fn reset(&self) {
        self.shared.clock.set(ClockMode::Real);
        self.set_expiration_format(self.shared.config.expiration_format);
        self.shared.faults.clear();
        self.shared.journal.clear();
        self.serve_fixture(Arc::clone(&self.shared.start_fixture));
    }

    /// Answers one request, journals and logs it.
    pub async fn handle(&self, request: Request<Bytes>) -> Reply {
        if self.shared.config.control_enabled && request.uri().path().starts_with(CONTROL_PREFIX) {
            return Reply::Respond(crate::control::handle(self, request));
        }
        let started = Instant::now();
        let (reply, exchange, delay) = self.respond(request);
        tracing::info!(
            method = %exchange.method,
            path = %exchange.path,
            operation = %exchange.operation.unwrap_or("-"),
            access_key_id = %exchange.access_key_id.as_deref().unwrap_or("-"),
            status = exchange.status,
            error = %exchange.error.map_or("-", ErrorCode::as_str),
            fault = exchange.fault.unwrap_or(0),
            delay_ms = delay.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        // Journaled on arrival, so a client that gives up during a scripted delay still
        // leaves its request in the journal.
        self.shared.journal.record(exchange);
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        reply
    }

    /// Decides the answer to one AWS request, says what happened, and how long a scripted
    /// fault wants the answer held back.
    pub fn respond(
        &self,
        request: Request<Bytes>,
    ) -> (Reply, Exchange, Option<std::time::Duration>) {
        let now = self.shared.clock.now();
        let (parts, body) = request.into_parts();
        let header_text = |name: &header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let operation = Operation::route(&parts.method, &normalized_path(parts.uri.path()));
        let query = Query::parse(parts.uri.query().unwrap_or(""));
        let mut exchange = Exchange {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: Query::default(),
            operation: operation.map(Operation::name),
            access_key_id: claimed_access_key(&parts.headers, query.as_ref().ok()),
            authenticated: false,
            status: 0,
            error: None,
            fault: None,
            request_id: request_id(),
            received_at: now,
            user_agent: header_text(&header::USER_AGENT),
            amz_sdk_request: header_text(&AMZ_SDK_REQUEST),
        };
        let world = self.world();
        // Authentication, carrying the decoded query on to the operation.
        let auth = match &query {
            Err(e) => Err(ServiceError::new(
                ErrorCode::MalformedQueryStringException,
                e.to_string(),
            )),
            Ok(query) => {
                let request_parts = RequestParts {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query,
                    headers: &parts.headers,
                };
                self.shared
                    .verifier
                    .verify(request_parts, &body, now, &world.directory)
                    .map(|verified| (verified, query))
                    .map_err(|e| {
                        if let AuthError::SignatureMismatch { canonical_request, string_to_sign } = &e {
                            tracing::debug!(%canonical_request, %string_to_sign, "signature mismatch: this is what the server signed");
                        }
                        e.to_service_error()
                    })
            }
        };
        exchange.authenticated = auth.is_ok();

        let domain = query.as_ref().ok().and_then(|q| q.first("domain"));
        let fault = self.shared.faults.fire(&FaultTarget {
            operation: exchange.operation,
            domain: domain.as_deref(),
            access_key_id: exchange.access_key_id.as_deref(),
        });
        let delay = fault.as_ref().and_then(|f| f.delay);
        exchange.fault = fault.as_ref().map(|f| f.rule_id);

        let answer = match fault.as_ref().and_then(Answer::injected) {
            Some(answer) => answer,
            None => match auth {
                Ok((verified, query)) => Answer::from(self.run(
                    operation,
                    query,
                    &parts.headers,
                    &body,
                    &verified,
                    &world,
                    now,
                )),
                Err(error) => Answer::from(Err(error)),
            },
        };
        if let Ok(query) = query {
            exchange.query = query.without_secrets();
        }
        let action = fault.and_then(|f| f.action);
        if action == Some(FaultAction::ResetConnection) {
            return (Reply::CloseConnection, exchange, delay);
        }
        exchange.status = answer.status.as_u16();
        exchange.error = answer.error;
        let body = match action {
            Some(FaultAction::MalformedBody) => MockBody::full(MALFORMED_BODY),
            Some(FaultAction::TruncateBody) => MockBody::truncated(Bytes::from(answer.body)),
            _ => MockBody::full(answer.body),
        };
        (
            Reply::Respond(aws_response(
                answer.status,
                body,
                &exchange,
                answer.retry_after,
                now,
            )),
            exchange,
            delay,
        )
    }

    /// Runs an authenticated request through its operation: the model validates its input,
    /// then its handler runs, or the documented `NotImplementedException` answers.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        operation: Option<Operation>,
        query: &Query,
        headers: &http::HeaderMap,
        body: &Bytes,
        verified: &Verified,
        world: &World,
        now: SystemTime,
    ) -> Result<Vec<u8>, ServiceError> {
        let operation = operation.ok_or_else(|| {
            ServiceError::new(ErrorCode::UnknownOperationException, "Unknown operation")
        })?;
        let caller = world
            .directory
            .identity(&verified.access_key_id)
            .ok_or_else(|| AuthError::UnknownAccessKey.to_service_error())?;
        let handler = operation.handler();
        let input = crate::model::validate::decode(
            crate::model::model(),
            operation.model(),
            query,
            headers,
            body,
            handler.and_then(|h| h.extra),
        )?;
        let Some(handler) = handler else {
            return Err(api::not_implemented(operation.name()));
        };
        let ctx = api::Context {
            directory: &world.directory,
            sealer: &self.shared.sealer,
            now,
            region: &verified.region,
            zero_duration: self.shared.config.zero_duration,
            expiration_format: self.expiration_format(),
        };
        (handler.handle)(&ctx, caller, &input)
    }
}

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const X_AMZN_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-amzn-requestid");
const X_AMZN_ERROR_TYPE: header::HeaderName = header::HeaderName::from_static("x-amzn-errortype");
const AMZ_SDK_REQUEST: header::HeaderName = header::HeaderName::from_static("amz-sdk-request");

/// What a proxy might send instead of JSON (the `malformed_body` fault).
const MALFORMED_BODY: &str =
    "<html><body><h1>200 OK</h1>This is not the JSON you are looking for.</body></html>";

/// The status, body and error headers of an answer, before the transport sees it.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
    error: Option<ErrorCode>,
    retry_after: Option<u64>,
}

impl Answer {
    /// What a fired fault answers instead of the normal answer, if it replaces it.
    fn injected(fault: &FaultEffect) -> Option<Self> {
        if let Some(error) = &fault.error {
            return Some(Self::from(Err(error.clone())));
        }
        // A bare status, as a load balancer sends it: no AWS error type.
        let status = StatusCode::from_u16(fault.bare_status?).ok()?;
        let reason = status.canonical_reason().unwrap_or("Error");
        let body = message_body(reason);
        Some(Self {
            status,
            body,
            error: None,
            retry_after: None,
        })
    }
}

impl From<Result<Vec<u8>, ServiceError>> for Answer {
    fn from(result: Result<Vec<u8>, ServiceError>) -> Self {
        match result {
            Ok(body) => Self {
                status: StatusCode::OK,
                body,
                error: None,
                retry_after: None,
            },
            Err(error) => Self {
                status: StatusCode::from_u16(error.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body: error.body(),
                error: Some(error.code),
                retry_after: error.retry_after_seconds,
            },
        }
    }
}

/// Builds a response with the headers every AWS answer carries.
fn aws_response(
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

/// The access key id a request names (header or presigned query), for logs: not a secret,
/// and useful even when the request fails authentication.
fn claimed_access_key(headers: &http::HeaderMap, query: Option<&Query>) -> Option<String> {
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

/// The stored form of an `expiration` spelling (see [`MockService::expiration_format`]).
fn format_code(format: ExpirationFormat) -> u8 {
    match format {
        ExpirationFormat::Integer => 0,
        ExpirationFormat::JavaDouble => 1,
    }
}

/// A random (version 4) UUID, as AWS request ids are.
fn request_id() -> String {
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
