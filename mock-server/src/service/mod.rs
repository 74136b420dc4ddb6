//! The mock CodeArtifact service: its state (the world being served, clock, token key,
//! faults, journal) and its switches. How a request is answered is in [`pipeline`]; the
//! headers every AWS answer carries in [`response`]; which requests reach the pipeline is
//! decided by `crate::router`.

mod pipeline;
mod response;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use http::Response;

use crate::token::{ExpirationFormat, ZeroDurationPolicy};
use crate::body::MockBody;
use crate::clock::{Clock, ClockMode};
use crate::faults::FaultSet;
use crate::fixture::Fixture;
use crate::journal::{Journal, DEFAULT_CAPACITY};
use crate::sigv4::{SecretKey, Verifier};
use crate::state::{Committer, Store, StoreError};
use crate::token::{TokenKey, TokenSealer};

pub use crate::exchange::Exchange;
pub use crate::state::World;

/// The signing name of CodeArtifact.
pub const SIGNING_NAME: &str = "codeartifact";
/// AWS's usual clock-skew window: 5 minutes.
pub const DEFAULT_MAX_SKEW_SECONDS: u64 = 300;
/// The host suffix of repository endpoints reached by name (`--repository-host-suffix`).
pub const DEFAULT_REPOSITORY_HOST_SUFFIX: &str = "localhost";
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
    /// Requests whose `Host` is `DOMAIN-OWNER.d.codeartifact.REGION.SUFFIX` (the real
    /// endpoint's shape, mapped to the mock by the user) go to that repository endpoint.
    pub repository_host_suffix: String,
    /// The key tokens are sealed with; a random one per service when `None`.
    pub token_key: Option<TokenKey>,
    /// The largest asset taken (`--max-asset-size`): CodeArtifact's 5 GB quota by default.
    pub max_asset_size: u64,
    /// Where external connections fetch from (`--external-connection`); none by default.
    pub external: crate::external::ExternalConfig,
    /// Whether CodeArtifact's request-rate quotas are applied (`--enforce-quotas`).
    pub enforce_quotas: bool,
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
            repository_host_suffix: DEFAULT_REPOSITORY_HOST_SUFFIX.to_owned(),
            token_key: None,
            max_asset_size: crate::upload::DEFAULT_MAX_ASSET_SIZE,
            external: crate::external::ExternalConfig::default(),
            enforce_quotas: false,
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
    /// Where what users make is committed (memory, or `--data-dir`), and the writers' turn.
    committer: Committer,
    /// The external connections' sources, listings and fetches.
    external: crate::external::External,
    /// The request-rate quotas' counts (`--enforce-quotas`).
    quotas: crate::quotas::Quotas,
    /// Whether the quotas are applied: `--enforce-quotas`, or a scenario's `[quotas]` until
    /// the next reset.
    enforce_quotas: std::sync::atomic::AtomicBool,
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
        let sealer = match &config.token_key {
            Some(key) => TokenSealer::with_key(key.0),
            None => TokenSealer::random(),
        };
        let world = World::new(Arc::clone(&start_fixture), clock.now());
        let config_external = config.external.clone();
        let config_enforce_quotas = config.enforce_quotas;
        Self {
            shared: Arc::new(Shared {
                verifier: Verifier::new(SIGNING_NAME, config.max_skew_seconds),
                journal: Journal::new(config.journal_capacity),
                expiration_format: AtomicU8::new(format_code(config.expiration_format)),
                config,
                sealer,
                clock,
                start_fixture,
                world: RwLock::new(Arc::new(world)),
                faults: FaultSet::default(),
                committer: Committer::default(),
                external: crate::external::External::new(config_external),
                quotas: crate::quotas::Quotas::default(),
                enforce_quotas: std::sync::atomic::AtomicBool::new(config_enforce_quotas),
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

    /// The external connections.
    pub fn external(&self) -> &crate::external::External {
        &self.shared.external
    }

    /// The body of a package file, streamed from wherever it is; `None` (the reason logged)
    /// when it cannot be opened, which the caller answers as the server's own error.
    pub fn asset_body(&self, asset: &crate::packages::Asset) -> Option<MockBody> {
        match asset.open(self.store().blobs()) {
            Ok(source) => Some(MockBody::source(source)),
            Err(error) => {
                tracing::error!(%error, asset = %asset.name, "a package file cannot be read");
                None
            }
        }
    }

    /// Counts a request against CodeArtifact's quotas when they are enforced; the quota it
    /// would break, if any.
    pub fn admit(&self, counters: &[crate::quotas::Counter]) -> Result<(), String> {
        if !self.enforces_quotas() {
            return Ok(());
        }
        self.shared.quotas.admit(self.shared.clock.now(), counters)
    }

    /// Whether CodeArtifact's request-rate quotas are applied.
    pub fn enforces_quotas(&self) -> bool {
        self.shared.enforce_quotas.load(Ordering::Relaxed)
    }

    /// Applies the quotas (or stops) until the next reset.
    pub fn set_enforce_quotas(&self, enforce: bool) {
        self.shared.enforce_quotas.store(enforce, Ordering::Relaxed);
    }

    /// Counts `requests` against `counter` in the current second of the server's clock, as
    /// if they had just been made (a scenario's `[[quotas.spent]]`).
    pub fn spend_quota(&self, counter: &crate::quotas::Counter, requests: u32) {
        self.shared.quotas.spend(self.shared.clock.now(), counter, requests);
    }

    /// The fixture being served, with its lookup tables.
    pub fn world(&self) -> Arc<World> {
        Arc::clone(&self.shared.world.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Serves another fixture from now on, with what users made laid over it; its session
    /// expiries count from the server's now.
    pub fn replace_fixture(&self, fixture: Fixture) -> Result<(), StoreError> {
        self.serve_fixture(Arc::new(fixture))
    }

    fn serve_fixture(&self, fixture: Arc<Fixture>) -> Result<(), StoreError> {
        self.serve(fixture, &self.shared.committer.store())
    }

    /// Serves `fixture` with what `store` holds laid over it, from now on.
    fn serve(&self, fixture: Arc<Fixture>, store: &Store) -> Result<(), StoreError> {
        let world = World::over(fixture, self.shared.clock.now(), store)?;
        *self.shared.world.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(world);
        Ok(())
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
    /// journal, no request counted against a quota and quotas applied as configured, the
    /// configured `expiration` spelling, and
    /// nothing of what users made (with `--data-dir`, the folder is emptied too).
    pub fn reset(&self) -> Result<(), StoreError> {
        self.shared.clock.set(ClockMode::Real);
        self.shared.quotas.clear();
        self.set_enforce_quotas(self.shared.config.enforce_quotas);
        self.set_expiration_format(self.shared.config.expiration_format);
        self.shared.faults.clear();
        self.shared.journal.clear();
        self.shared.committer.store().clear()?;
        self.serve_fixture(Arc::clone(&self.shared.start_fixture))
    }

    /// Keeps what users make in `store` from now on (`--data-dir`): what it holds is laid
    /// over the start fixture, and every change is committed to it before its request is
    /// answered.
    pub fn attach_store(&self, store: Store) -> Result<(), StoreError> {
        self.serve(Arc::clone(&self.shared.start_fixture), &store)?;
        self.shared.committer.set_store(store);
        Ok(())
    }

    /// The store what users make is committed to.
    pub fn store(&self) -> Arc<Store> {
        self.shared.committer.store()
    }

    /// The writers' turn: a control call that replaces the world takes it, so it never
    /// interleaves with a request's commit.
    pub(crate) async fn writers_turn(&self) -> crate::state::Turn<'_> {
        self.shared.committer.turn().await
    }

    /// Runs `change` (a request's handler that may change the world) as the one writer, then
    /// commits what it changed: its value, and whether the commit held. The answer must not
    /// leave before this returns.
    pub(crate) async fn writing<T>(&self, change: impl FnOnce() -> T) -> (T, Result<(), StoreError>) {
        let turn = self.shared.committer.turn().await;
        let value = change();
        let committed = self.shared.committer.commit(&turn, &self.world()).await;
        (value, committed)
    }
}

/// The stored form of an `expiration` spelling (see [`MockService::expiration_format`]).
fn format_code(format: ExpirationFormat) -> u8 {
    match format {
        ExpirationFormat::Integer => 0,
        ExpirationFormat::JavaDouble => 1,
    }
}
