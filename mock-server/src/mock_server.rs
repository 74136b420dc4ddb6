//! [`MockServer`]: the mock in a Rust test, the way wiremock users expect. Start it, point a
//! client at [`MockServer::uri`], script faults and the clock, read what it saw; dropping it
//! stops it.

use std::time::{Duration, SystemTime};

use crate::clock::{Clock, ClockMode};
use crate::error::ErrorCode;
use crate::faults::{FaultAction, FaultRule, FaultSpec};
use crate::fixture::Fixture;
use crate::journal::JournalEntry;
use crate::scenario::Scenario;
use crate::server::{self, ServerHandle};
use crate::service::{MockService, ServiceConfig};
use crate::tls::Tls;

/// The embedded fixture's example identity (the AWS documentation's key pair), allowed
/// everything the fixture allows, in account `111122223333`.
const EXAMPLE_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const EXAMPLE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A running mock on an ephemeral loopback port.
///
/// ```
/// use codeartifact_mock::{ErrorCode, Fault, MockServer};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let server = MockServer::start().await;
/// server.faults().add(Fault::error(ErrorCode::ThrottlingException).retry_after(1)).unwrap();
///
/// // A signed request, as any AWS client sends it (here with the aws-sigv4 crate).
/// let credentials = server.credentials();
/// # let request = signed_token_request(&server.uri(), &credentials);
/// let (status, _) = send(request).await;
/// assert_eq!(status, 429);
/// let (status, body) = send(signed_token_request(&server.uri(), &credentials)).await;
/// assert_eq!(status, 200);
/// assert!(body.contains("authorizationToken"));
///
/// let requests = server.requests();
/// assert_eq!(requests.len(), 2);
/// assert_eq!(requests[0].error, Some("ThrottlingException"));
/// assert_eq!(requests[1].operation, Some("GetAuthorizationToken"));
/// # });
/// # fn signed_token_request(uri: &str, c: &codeartifact_mock::Credentials) -> http::Request<String> {
/// #     use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
/// #     let url = format!("{uri}/v1/authorization-token?domain=test-domain");
/// #     let mut request = http::Request::post(&url)
/// #         .header("host", uri.trim_start_matches("http://"))
/// #         .body(String::new()).unwrap();
/// #     let identity = aws_credential_types::Credentials::new(
/// #         &c.access_key_id, &c.secret_access_key, None, None, "doc").into();
/// #     let params = aws_sigv4::sign::v4::SigningParams::builder().identity(&identity)
/// #         .region(&c.region).name("codeartifact").time(std::time::SystemTime::now())
/// #         .settings(SigningSettings::default()).build().unwrap().into();
/// #     let headers = [("host", uri.trim_start_matches("http://"))];
/// #     let signable = SignableRequest::new("POST", &url, headers.into_iter(),
/// #         SignableBody::Bytes(b"")).unwrap();
/// #     let (instructions, _) = sign(signable, &params).unwrap().into_parts();
/// #     instructions.apply_to_request_http1x(&mut request);
/// #     request
/// # }
/// # async fn send(request: http::Request<String>) -> (u16, String) {
/// #     use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// #     let host = request.headers()["host"].to_str().unwrap().to_owned();
/// #     let mut wire = format!("POST {} HTTP/1.1\r\n", request.uri().path_and_query().unwrap());
/// #     for (name, value) in request.headers() {
/// #         wire.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
/// #     }
/// #     wire.push_str("content-length: 0\r\nconnection: close\r\n\r\n");
/// #     let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
/// #     stream.write_all(wire.as_bytes()).await.unwrap();
/// #     let mut answer = String::new();
/// #     stream.read_to_string(&mut answer).await.unwrap();
/// #     let status = answer[9..12].parse().unwrap();
/// #     (status, answer)
/// # }
/// ```
#[derive(Debug)]
pub struct MockServer {
    handle: ServerHandle,
    service: MockService,
}

/// Credentials of an identity of the fixture, ready for an SDK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// A region the fixture serves.
    pub region: String,
}

impl MockServer {
    /// Starts a mock on the embedded default fixture. Panics if no loopback port can be
    /// bound, as wiremock's does: a test cannot go on without its server.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// A builder for a mock with another fixture, a frozen clock, an admin token, TLS, ...
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (or `https://`): the `--endpoint-url` of an AWS client.
    pub fn uri(&self) -> String {
        self.handle.uri()
    }

    /// The example identity of the embedded fixture (the AWS documentation's key pair), in
    /// `us-east-1` when the fixture serves it, else in its first region.
    pub fn credentials(&self) -> Credentials {
        let world = self.service.world();
        let regions = world.directory.regions();
        let region = regions
            .iter()
            .find(|r| *r == "us-east-1")
            .or_else(|| regions.first())
            .cloned()
            .unwrap_or_else(|| "us-east-1".to_owned());
        Credentials {
            access_key_id: EXAMPLE_ACCESS_KEY_ID.to_owned(),
            secret_access_key: EXAMPLE_SECRET_ACCESS_KEY.to_owned(),
            region,
        }
    }

    /// The fault rules, to add typed [`Fault`]s.
    pub fn faults(&self) -> Faults<'_> {
        Faults(&self.service)
    }

    /// What the mock saw, oldest first.
    pub fn requests(&self) -> Vec<JournalEntry> {
        self.service.journal().entries()
    }

    /// The server's clock, to move time.
    pub fn clock(&self) -> ServerClock<'_> {
        ServerClock(self.service.clock())
    }

    /// Plays a scenario (its clock, fixture overrides and faults): the ids of the fault
    /// rules it added.
    pub fn play(&self, scenario: &Scenario) -> Result<Vec<u64>, crate::fixture::LoadError> {
        scenario.apply(&self.service)
    }

    /// Back to the start: the start fixture, no faults, the real clock, an empty journal,
    /// nothing users made.
    pub fn reset(&self) {
        // The in-process mock keeps what users made in memory, where clearing cannot fail.
        if let Err(error) = self.service.reset() {
            tracing::error!(%error, "reset");
        }
    }

    /// The request handler behind the socket, for calls without one.
    pub fn service(&self) -> &MockService {
        &self.service
    }

    /// Stops accepting, lets requests in flight finish, and waits. Dropping the server stops
    /// it too, without waiting.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

/// Builds a [`MockServer`].
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    fixture: Option<Fixture>,
    config: ServiceConfig,
    clock: Option<ClockMode>,
    tls: Option<Tls>,
}

impl MockServerBuilder {
    /// Serves this fixture instead of the embedded default.
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.fixture = Some(fixture);
        self
    }

    /// Starts with the clock stopped at `at`: expirations are then exact.
    pub fn frozen_clock(mut self, at: SystemTime) -> Self {
        self.clock = Some(ClockMode::Frozen(at));
        self
    }

    /// Control calls need `Authorization: Bearer TOKEN`.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.config.admin_token = Some(crate::sigv4::SecretKey::new(token.into()));
        self
    }

    /// The largest package file taken, in bytes (CodeArtifact's 5 GB quota by default);
    /// past it an upload is answered 413.
    pub fn max_asset_size(mut self, bytes: u64) -> Self {
        self.config.max_asset_size = bytes;
        self
    }

    /// The repositories' external connection `name` (`public:pypi`, ...) fetches from `url`:
    /// a registry's root (`http://`, `https://`) or an offline mirror folder (`file:///DIR`).
    /// Panics on a name or URL the binary's `--external-connection` would refuse.
    pub fn external_connection(mut self, name: &str, url: &str) -> Self {
        if let Err(error) = self.config.external.add(&format!("{name}={url}")) {
            panic!("external_connection: {error}");
        }
        self
    }

    /// All the service's switches at once (skew window, expiration spelling, ...).
    pub fn config(mut self, config: ServiceConfig) -> Self {
        self.config = config;
        self
    }

    /// Serves HTTPS with this certificate.
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Starts the server on an ephemeral loopback port in the current tokio runtime. Panics
    /// if no port can be bound.
    pub async fn start(self) -> MockServer {
        self.try_start()
            .await
            .unwrap_or_else(|e| panic!("codeartifact-mock cannot listen on loopback: {e}"))
    }

    /// [`MockServerBuilder::start`], returning the error instead of panicking.
    pub async fn try_start(self) -> std::io::Result<MockServer> {
        let fixture = self.fixture.unwrap_or_else(Fixture::embedded_default);
        let clock = Clock::new(self.clock.unwrap_or(ClockMode::Real));
        let service = MockService::with_clock(&fixture, self.config, clock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let handle = server::serve_with(listener, service.clone(), self.tls)?;
        Ok(MockServer { handle, service })
    }
}

/// The fault rules of a running [`MockServer`].
#[derive(Debug, Clone, Copy)]
pub struct Faults<'a>(&'a MockService);

impl Faults<'_> {
    /// Adds a rule after the others; its id, or why it is refused.
    pub fn add(&self, fault: Fault) -> Result<u64, String> {
        self.0.faults().add(fault.0)
    }

    /// The rules, with how often each fired.
    pub fn list(&self) -> Vec<FaultRule> {
        self.0.faults().list()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.0.faults().clear();
    }
}

/// A fault rule, built in code: what to do, then what to match.
///
/// ```
/// use std::time::Duration;
/// use codeartifact_mock::{ErrorCode, Fault};
///
/// // The first two token requests for `acme` are throttled, then it recovers.
/// let throttle = Fault::error(ErrorCode::ThrottlingException)
///     .retry_after(1)
///     .operation("GetAuthorizationToken")
///     .domain("acme")
///     .times(2);
/// // Every request is answered 30 seconds late.
/// let slow = Fault::delay(Duration::from_secs(30)).always();
/// # let _ = (throttle, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault(FaultSpec);

impl Fault {
    fn with(build: impl FnOnce(&mut FaultSpec)) -> Self {
        let mut spec = FaultSpec {
            operation: None,
            domain: None,
            access_key_id: None,
            format: None,
            repository: None,
            path_prefix: None,
            times: 1,
            error: None,
            message: None,
            status: None,
            retry_after_seconds: None,
            delay_ms: None,
            action: None,
        };
        build(&mut spec);
        Self(spec)
    }

    /// Answer this AWS error, with its real status, header and body.
    pub fn error(code: ErrorCode) -> Self {
        Self::with(|s| s.error = Some(code.as_str().to_owned()))
    }

    /// Answer a bare status, as a load balancer does (502, 504, ...).
    pub fn status(status: u16) -> Self {
        Self::with(|s| s.status = Some(status))
    }

    /// Answer this much later, and otherwise normally.
    pub fn delay(delay: Duration) -> Self {
        Self::with(|s| s.delay_ms = Some(millis(delay)))
    }

    /// Close the connection without a response.
    pub fn reset_connection() -> Self {
        Self::with(|s| s.action = Some(FaultAction::ResetConnection))
    }

    /// Answer 200 with a body that is not JSON.
    pub fn malformed_body() -> Self {
        Self::with(|s| s.action = Some(FaultAction::MalformedBody))
    }

    /// Declare the whole body, send half, close.
    pub fn truncated_body() -> Self {
        Self::with(|s| s.action = Some(FaultAction::TruncateBody))
    }

    /// The error's message (each code has a default).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.0.message = Some(message.into());
        self
    }

    /// `Retry-After` seconds.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after_seconds = Some(seconds);
        self
    }

    /// Also wait this long before answering.
    pub fn after(mut self, delay: Duration) -> Self {
        self.0.delay_ms = Some(millis(delay));
        self
    }

    /// Only requests routed to this operation (any of the service model's).
    pub fn operation(mut self, name: impl Into<String>) -> Self {
        self.0.operation = Some(name.into());
        self
    }

    /// Only requests for this domain.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.0.domain = Some(domain.into());
        self
    }

    /// Only requests signed with this access key id.
    pub fn access_key_id(mut self, id: impl Into<String>) -> Self {
        self.0.access_key_id = Some(id.into());
        self
    }

    /// Only repository-endpoint requests of this package format (`pypi`, `npm`): the rule
    /// then plays a registry on a bad day, not the AWS API.
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.0.format = Some(format.into());
        self
    }

    /// Only repository-endpoint requests to this repository.
    pub fn repository(mut self, repository: impl Into<String>) -> Self {
        self.0.repository = Some(repository.into());
        self
    }

    /// Only repository-endpoint requests whose path after `/FORMAT/REPO` starts with this.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.0.path_prefix = Some(prefix.into());
        self
    }

    /// Fire this many times (1 unless set).
    pub fn times(mut self, times: u64) -> Self {
        self.0.times = times.max(1);
        self
    }

    /// Fire on every matching request.
    pub fn always(mut self) -> Self {
        self.0.times = 0;
        self
    }

    /// The rule as the control API and scenario files write it.
    pub fn spec(&self) -> &FaultSpec {
        &self.0
    }
}

fn millis(delay: Duration) -> u64 {
    u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)
}

/// The clock of a running [`MockServer`].
#[derive(Debug, Clone, Copy)]
pub struct ServerClock<'a>(&'a Clock);

impl ServerClock<'_> {
    /// Now, as the server sees it.
    pub fn now(&self) -> SystemTime {
        self.0.now()
    }

    /// Whether the clock is stopped (expirations are then exact).
    pub fn is_frozen(&self) -> bool {
        matches!(self.0.mode(), ClockMode::Frozen(_))
    }

    /// Stops the clock at `at`.
    pub fn freeze_at(&self, at: SystemTime) {
        self.0.set(ClockMode::Frozen(at));
    }

    /// Moves the clock forward: a frozen clock by `by`, a running one runs `by` ahead from
    /// now on (past a token's `exp`, the token is expired).
    pub fn advance(&self, by: Duration) {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let mode = match self.0.mode() {
            ClockMode::Frozen(at) => ClockMode::Frozen(at + by),
            ClockMode::Offset(offset) => ClockMode::Offset(offset.saturating_add(seconds)),
            ClockMode::Real => ClockMode::Offset(seconds),
        };
        self.0.set(mode);
    }

    /// Back to the machine's clock.
    pub fn real(&self) {
        self.0.set(ClockMode::Real);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_frozen_clock_moves_only_when_told() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let server = MockServer::builder().frozen_clock(at).start().await;
        assert_eq!(server.clock().now(), at);
        server.clock().advance(Duration::from_secs(60));
        assert_eq!(server.clock().now(), at + Duration::from_secs(60));
        assert!(server.uri().starts_with("http://127.0.0.1:"));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn typed_faults_are_rules_of_the_control_api() {
        let server = MockServer::start().await;
        let id = server
            .faults()
            .add(Fault::status(502).operation("CreateDomain").times(3))
            .unwrap();
        let rules = server.faults().list();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, id);
        assert_eq!(rules[0].spec.status, Some(502));
        assert_eq!(rules[0].spec.times, 3);
        assert!(server
            .faults()
            .add(Fault::status(502).operation("NoSuchOperation"))
            .is_err());
        server.faults().clear();
        assert!(server.faults().list().is_empty());
        assert_eq!(server.credentials().region, "us-east-1");
    }
}
