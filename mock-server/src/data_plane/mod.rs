//! The repository endpoints that `GetRepositoryEndpoint` hands out, path-style on the mock
//! itself: `/d/DOMAIN-OWNER/REGION/FORMAT/REPO/...` (the real host is
//! `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/FORMAT/REPO/...`), serving the package
//! registries: Python (`pypi.rs`) and npm (`npm.rs`).
//!
//! A request must carry a token this mock minted, not expired by the server's clock, for the
//! endpoint's domain, owner and region, in any of the forms package managers send: HTTP Basic
//! with user `aws` (pip, twine, Maven), `Bearer TOKEN` (npm, yarn) or the bare token (cargo).
//! Otherwise the answer is 401 with the challenge CodeArtifact sends,
//! `WWW-Authenticate: Bearer realm="DOMAIN/REPO", Basic realm="DOMAIN/REPO"`. The token's
//! principal then needs `codeartifact:ReadFromRepository` to read and
//! `codeartifact:PublishPackageVersion` to publish, by its own permissions and the domain's
//! and repository's policies (403 otherwise). Tokens never reach a log.

pub mod cargo;
pub mod maven;
pub mod npm;
pub mod nuget;
pub mod pypi;
pub mod ruby;
pub mod swift;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::upload::RequestBody;
use crate::authorization::{self as access, Context};
use crate::body::MockBody;
use crate::clock::unix_seconds;
use crate::endpoint::{Endpoint, Scheme};
use crate::error::ServiceError;
use crate::faults::{FaultAction, FaultEffect, FaultTarget, RepositoryTarget};
use crate::identity::Identity;
use crate::external::{FetchError, Fetched, Listing, Lookup, Miss};
use crate::packages::{Asset, OriginRestrictions, PackageId, PackageVersion, RepositoryKey};
use crate::registry::Registry;
use crate::repository::repository_arn;
use crate::service::{MockService, Reply};

/// The formats whose registries are served.
pub const SERVED_FORMATS: &[&str] = &["pypi", "npm", "cargo", "maven", "nuget", "ruby", "swift"];

/// Answers a request to a repository endpoint, logs it (never its token) and applies the
/// fault rules that target repository requests.
pub async fn serve(service: &MockService, request: Request<RequestBody>) -> Reply {
    let started = Instant::now();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let path = request.uri().path();
    let endpoint = Endpoint::parse(path)
        .or_else(|| Endpoint::from_host(host, path, &service.config().repository_host_suffix));
    // Most requests meet no rule: the rule target is only built when there are rules.
    let rules = !service.faults().is_empty();
    let fault = endpoint.as_ref().filter(|_| rules).and_then(|e| {
        let rest = format!("/{}", e.rest);
        service.faults().fire(&FaultTarget {
            operation: None,
            domain: Some(e.domain),
            access_key_id: None,
            repository: Some(RepositoryTarget {
                format: e.format,
                repository: e.repository,
                path: &rest,
            }),
        })
    });
    let scripted = fault.as_ref().and_then(fault_response);
    let throttled = endpoint.as_ref().and_then(|e| throttled(service, e, &request));
    let response = match (scripted, throttled) {
        (Some(response), _) => response,
        (None, Some(response)) => response,
        (None, None) => answer_committed(service, &request, endpoint.as_ref(), host).await,
    };
    tracing::info!(
        method = %request.method(),
        path = %path,
        status = response.status().as_u16(),
        fault = fault.as_ref().map_or(0, |f| f.rule_id),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "repository request"
    );
    if let Some(delay) = fault.as_ref().and_then(|f| f.delay) {
        tokio::time::sleep(delay).await;
    }
    match fault.and_then(|f| f.action) {
        Some(FaultAction::ResetConnection) => Reply::CloseConnection,
        Some(FaultAction::MalformedBody) => Reply::Respond(respond(
            StatusCode::OK,
            "application/octet-stream",
            Bytes::from_static(b"<html><body><h1>200 OK</h1>This is not the package you are looking for.</body></html>"),
        )),
        Some(FaultAction::TruncateBody) => {
            let (parts, body) = response.into_parts();
            Reply::Respond(Response::from_parts(parts, body.truncate()))
        }
        None => Reply::Respond(response),
    }
}

/// Counts a repository request against CodeArtifact's quotas (`--enforce-quotas`): with a
/// token this mock can open, its token's and its account's reads or writes; without one, its
/// address's. Past a quota, the answer: `429` with `Retry-After: 1`, as the service throttles.
fn throttled(service: &MockService, endpoint: &Endpoint<'_>, request: &Request<RequestBody>) -> Option<Response<MockBody>> {
    use crate::quotas::{account_of, ClientAddress, Counter};
    if !service.enforces_quotas() {
        return None;
    }
    let now = service.clock().now();
    let claims = token_claims(service, endpoint, request.headers(), now);
    let counters = match (presented_token(request.headers()), claims) {
        (Some(token), Some(claims)) => {
            let (account, region) = (account_of(&claims.principal).to_owned(), claims.region.clone());
            let kind = if is_read(request.method()) { Counter::Reads(account, region) } else { Counter::Writes(account, region) };
            vec![Counter::token(&token), kind]
        }
        _ => {
            let address = request.extensions().get::<ClientAddress>().map_or(std::net::Ipv4Addr::LOCALHOST.into(), |a| a.0);
            vec![Counter::Anonymous(address)]
        }
    };
    let message = service.admit(&counters).err()?;
    let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", &message);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
    Some(response)
}

/// The answer a fired rule scripts instead of the registry's, if it scripts one (a delay or a
/// transport action leaves the registry's answer in place).
fn fault_response(fault: &FaultEffect) -> Option<Response<MockBody>> {
    if let Some(error) = &fault.error {
        let mut response = service_error(error);
        if let Some(seconds) = error.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        return Some(response);
    }
    let status = StatusCode::from_u16(fault.bare_status?).ok()?;
    Some(text(status, status.canonical_reason().unwrap_or("Injected fault")))
}

/// The registry's answer, once what it changed is committed: a request that may change the
/// repository (any method but `GET` and `HEAD`) runs in the writer's turn; a read that
/// fetched a version through an upstream retains it afterwards, in a turn of its own. A
/// commit that fails answers 500 with the reason.
async fn answer_committed(
    service: &MockService,
    request: &Request<RequestBody>,
    endpoint: Option<&Endpoint<'_>>,
    host: &str,
) -> Response<MockBody> {
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let committed = if reads {
        let mut failed = HashMap::new();
        let mut pass = 0;
        loop {
            pass += 1;
            let (response, retained, misses) = {
                let _read = crate::state::ReadOnly::begin();
                answer(service, request, endpoint, host, &failed)
            };
            // A handler that needed an external connection's listing or file answered
            // without it: fetch what it missed, keep what came, and ask it again.
            if !misses.is_empty() && pass <= MAX_PASSES {
                let place = service.store().blobs().spool_place();
                let (fetched, newly_failed) = service.external().resolve(misses, &place, service.config().max_asset_size).await;
                failed.extend(newly_failed);
                if !fetched.is_empty() {
                    let key = endpoint.map(|e| RepositoryKey::new(e.owner, e.domain, e.region, e.repository));
                    let ((), committed) = service.writing(|| keep_fetched(service, key.as_ref(), fetched)).await;
                    if let Err(error) = committed {
                        break Err(error);
                    }
                }
                continue;
            }
            if retained.is_empty() {
                return response;
            }
            let ((), committed) = service.writing(|| retain(service, retained)).await;
            break committed.map(|()| response);
        }
    } else {
        let (response, committed) = service
            .writing(|| {
                let (response, retained, _) = answer(service, request, endpoint, host, &HashMap::new());
                retain(service, retained);
                response
            })
            .await;
        committed.map(|()| response)
    };
    committed.unwrap_or_else(|error| {
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            &crate::state::commit_failure_message(&error),
        )
    })
}

/// How many times a read is answered again after fetching what it missed through an
/// external connection (a listing, then a file, then an answer).
const MAX_PASSES: usize = 3;

/// Keeps each file fetched through an external connection in the repository that holds the
/// connection and in the one asked (`asked`), as CodeArtifact retains what it ingested: the
/// version is added, or the file joins a version kept before. A package first kept this way
/// takes no direct publishing and takes upstream versions (CodeArtifact's origin controls for
/// a package ingested from upstream).
fn keep_fetched(service: &MockService, asked: Option<&RepositoryKey>, fetched: Vec<Fetched>) {
    let Some(asked) = asked else { return };
    let world = service.world();
    let mut registry = world.write();
    for Fetched { connection, package, version } in fetched {
        let holder = registry.search_order(asked, Some(&package)).into_iter().find(|key| {
            registry
                .repository(&key.owner, &key.domain, &key.repository, &key.region)
                .is_some_and(|r| r.repository.external_connection.as_deref() == Some(connection.as_str()))
        });
        let mut keys: Vec<RepositoryKey> = holder.into_iter().collect();
        if !keys.contains(asked) {
            keys.push(asked.clone());
        }
        for key in keys {
            let new = registry.packages.package(&key, &package).is_none();
            let entry = registry.packages.package_entry(&key, &package);
            if new {
                entry.origin = OriginRestrictions { publish: false, upstream: true };
            }
            match entry.versions.get_mut(&version.version) {
                Some(kept) => {
                    for asset in &version.assets {
                        if !kept.assets.iter().any(|a| a.name == asset.name) {
                            kept.assets.push(asset.clone());
                            kept.revision = crate::packages::new_revision();
                        }
                    }
                }
                None => {
                    entry.versions.insert(version.version.clone(), version.clone());
                }
            }
        }
    }
}

/// A version fetched through an upstream, to be kept in the repository asked.
#[derive(Debug)]
pub struct Retained {
    key: RepositoryKey,
    package: PackageId,
    version: PackageVersion,
}

/// Keeps each version fetched through an upstream in the repository that was asked, unless
/// it has it by now.
fn retain(service: &MockService, retained: Vec<Retained>) {
    if retained.is_empty() {
        return;
    }
    let world = service.world();
    let mut registry = world.write();
    for Retained { key, package, version } in retained {
        let exists = registry
            .packages
            .package(&key, &package)
            .is_some_and(|p| p.versions.contains_key(&version.version));
        if !exists {
            let number = version.version.clone();
            registry.packages.package_entry(&key, &package).versions.insert(number, version);
        }
    }
}

/// A JSON error as the registries answer one: `{"error": ..., "message": ...}`.
fn json_error(status: StatusCode, error: &str, message: &str) -> Response<MockBody> {
    let body = serde_json::json!({ "error": error, "message": message }).to_string();
    respond(status, "application/json", Bytes::from(body))
}

/// The registry's answer to a request for `endpoint` (the one its path or `host` names), the
/// versions it fetched through upstreams, for [`retain`], and what it missed of external
/// connections; `failed` says which external files could not be fetched (answered 502).
fn answer(
    service: &MockService,
    request: &Request<RequestBody>,
    endpoint: Option<&Endpoint<'_>>,
    host: &str,
    failed: &HashMap<String, FetchError>,
) -> (Response<MockBody>, Vec<Retained>, Vec<Miss>) {
    let path = request.uri().path();
    let Some(endpoint) = endpoint else {
        return (text(StatusCode::NOT_FOUND, "Not a repository endpoint: expected /d/DOMAIN-OWNER/REGION/FORMAT/REPOSITORY/"), Vec::new(), Vec::new());
    };
    let now = service.clock().now();
    let world = service.world();
    let Some(caller) = token_claims(service, endpoint, request.headers(), now).and_then(|claims| {
        match &claims.access_key_id {
            // The identity that asked for the token, if it is still the same principal.
            Some(key) => world.directory.identity(key).filter(|i| i.arn == claims.principal),
            None => world.directory.identity_by_arn(&claims.principal),
        }
    }) else {
        let mut response = text(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: a CodeArtifact authorization token for this domain is required",
        );
        for challenge in challenges(endpoint) {
            if let Ok(value) = HeaderValue::try_from(challenge) {
                response.headers_mut().append(header::WWW_AUTHENTICATE, value);
            }
        }
        return (response, Vec::new(), Vec::new());
    };
    let ctx = Context {
        world: &world,
        sealer: service.sealer(),
        now,
        region: endpoint.region,
        zero_duration: service.config().zero_duration,
        expiration_format: service.config().expiration_format,
    };
    let key = RepositoryKey::new(endpoint.owner, endpoint.domain, endpoint.region, endpoint.repository);
    // The repository must exist, and the caller may read it, before anything else is said.
    let read = {
        let registry = world.read();
        authorize(&registry, &ctx, caller, &key, "codeartifact:ReadFromRepository", || {
            repository_arn(&key.region, &key.owner, &key.domain, &key.repository)
        })
    };
    if let Err(error) = read {
        return (service_error(&error), Vec::new(), Vec::new());
    }
    // The endpoint's own URL, as the client reached it: links and tarball URLs start here.
    let prefix = &path[..path.len() - endpoint.rest.len()];
    let scheme = request.extensions().get::<Scheme>().copied().unwrap_or_default();
    let served = Served {
        service,
        ctx,
        caller,
        key,
        base: format!("{}://{host}{prefix}", scheme.as_str()),
        retained: std::cell::RefCell::new(Vec::new()),
        misses: std::cell::RefCell::new(Vec::new()),
        failed,
    };
    let response = match endpoint.format {
        "pypi" => pypi::serve(&served, request, endpoint.rest),
        "npm" => npm::serve(&served, request, endpoint.rest),
        "cargo" => cargo::serve(&served, request, endpoint.rest),
        "maven" => maven::serve(&served, request, endpoint.rest),
        "nuget" => nuget::serve(&served, request, endpoint.rest),
        "ruby" => ruby::serve(&served, request, endpoint.rest),
        "swift" => swift::serve(&served, request, endpoint.rest),
        "generic" => text(
            StatusCode::NOT_FOUND,
            "Generic packages have no package-manager endpoint: publish with PublishPackageVersion and download with GetPackageVersionAsset",
        ),
        format => text(
            StatusCode::NOT_FOUND,
            &format!("'{format}' is not a package format CodeArtifact serves: one of {}, generic", SERVED_FORMATS.join(", ")),
        ),
    };
    (response, served.retained.into_inner(), served.misses.into_inner())
}

/// The `WWW-Authenticate` values of a 401: Bearer and Basic, for the endpoint's realm
/// (`DOMAIN/REPO`). npm and Python endpoints send both in one header, as CodeArtifact's
/// captured answers do (npm prints it whole); Maven and NuGet endpoints send one header each,
/// because Apache HttpClient (Maven's transport) and NuGet read one scheme per header and
/// would otherwise see no Basic challenge and never send the token.
fn challenges(endpoint: &Endpoint<'_>) -> Vec<String> {
    let realm = endpoint.realm();
    let (bearer, basic) = (format!("Bearer realm=\"{realm}\""), format!("Basic realm=\"{realm}\""));
    match endpoint.format {
        "maven" | "nuget" => vec![bearer, basic],
        _ => vec![format!("{bearer}, {basic}")],
    }
}

/// What a format's registry needs of a request that passed the token and read checks.
#[derive(Debug)]
pub struct Served<'a> {
    /// The service.
    pub service: &'a MockService,
    /// The request's context (world, clock, region).
    pub ctx: Context<'a>,
    /// The token's principal.
    pub caller: &'a Identity,
    /// The repository.
    pub key: RepositoryKey,
    /// `scheme://host/...FORMAT/REPO/`, the endpoint as the client reached it.
    pub base: String,
    /// Versions this request fetched through upstreams, kept in the repository once the
    /// handler is done ([`retain`]), in the writer's turn.
    retained: std::cell::RefCell<Vec<Retained>>,
    /// What the handler needed of external connections and did not have.
    misses: std::cell::RefCell<Vec<Miss>>,
    /// External files that could not be fetched for this request, by location.
    failed: &'a HashMap<String, FetchError>,
}

impl Served<'_> {
    /// The server's now.
    pub fn now(&self) -> SystemTime {
        self.ctx.now
    }

    /// Refuses `action` on `package` unless the caller may, by its own permissions and the
    /// domain's and repository's policies.
    pub fn permit(&self, registry: &Registry, action: &str, package: &PackageId) -> Result<(), Refusal> {
        let arn = package_arn(&self.key, package);
        authorize(registry, &self.ctx, self.caller, &self.key, action, || arn.clone())
            .map_err(|e| Refusal(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN), e.message))
    }

    /// Refuses publishing `package` unless the caller may (`PublishPackageVersion` on the
    /// package's ARN) and the package's origin configuration and package group let it be
    /// published to directly.
    pub fn authorize_publish(&self, registry: &Registry, package: &PackageId) -> Result<(), Refusal> {
        self.permit(registry, "codeartifact:PublishPackageVersion", package)?;
        if let Some(why) = registry.publish_refusal(&self.key, package) {
            return Err(Refusal(StatusCode::FORBIDDEN, why));
        }
        Ok(())
    }

    /// The repository, then its upstreams in the order CodeArtifact searches them (depth
    /// first, in the order each lists them, each repository once), for `package`: a
    /// repository whose package blocks upstream versions (its origin configuration or its
    /// package group's `INTERNAL_UPSTREAM`) is not searched past. `None` reads every package's (the simple index).
    pub fn chain(&self, registry: &Registry, package: Option<&PackageId>) -> Vec<RepositoryKey> {
        registry.search_order(&self.key, package)
    }
}

/// Why a publish is refused: the status and message the registry answers.
#[derive(Debug)]
pub struct Refusal(pub StatusCode, pub String);

impl Refusal {
    /// The registry's answer.
    pub fn response(&self) -> Response<MockBody> {
        text(self.0, &self.1)
    }
}

impl Served<'_> {
    /// The versions of `package` that `keep` keeps, through the repository and its upstreams
    /// (the first repository with a version wins), by version string.
    pub fn versions_through<'r>(
        &self,
        registry: &'r Registry,
        package: &PackageId,
        keep: impl Fn(&PackageVersion) -> bool,
    ) -> BTreeMap<String, &'r PackageVersion> {
        let mut versions = BTreeMap::new();
        for key in self.chain(registry, Some(package)) {
            let stored = registry.packages.package(&key, package).into_iter().flat_map(|p| p.versions.values());
            for version in stored.filter(|v| keep(v)) {
                versions.entry(version.version.clone()).or_insert(version);
            }
        }
        versions
    }

    /// The first asset `pick` chooses of a served version (not archived or disposed) of
    /// `package`, from the repository or the first upstream that has it. A
    /// version found in an upstream is retained in the repository, as CodeArtifact retains
    /// what a package manager fetched through it: from then on the repository lists and
    /// serves it itself (its `origin` naming the repository it entered the domain through),
    /// whatever becomes of the upstream.
    pub fn served_asset(
        &self,
        package: &PackageId,
        version: &str,
        pick: impl Fn(&Asset) -> bool,
    ) -> Option<Asset> {
        let (asset, retained) = {
            let registry = self.ctx.world.read();
            let local = self.chain(&registry, Some(package)).iter().find_map(|key| {
                let found = registry
                    .packages
                    .package(key, package)
                    .and_then(|p| p.versions.get(version))
                    .filter(|v| v.status.is_served())?;
                let asset = found.assets.iter().find(|a| pick(a))?.clone();
                let retained = (*key != self.key).then(|| {
                    let mut copy = found.clone();
                    copy.entry_point.get_or_insert_with(|| key.repository.clone());
                    copy
                });
                Some((asset, retained))
            });
            match local {
                Some(found) => found,
                None => return self.external_asset(&registry, package, version, &pick),
            }
        };
        if let Some(copy) = retained {
            self.retained.borrow_mut().push(Retained {
                key: self.key.clone(),
                package: package.clone(),
                version: copy,
            });
        }
        Some(asset)
    }

    /// The first asset `pick` chooses of `version` of `package` as an external connection
    /// lists it, noting that it must be fetched.
    fn external_asset(&self, registry: &Registry, package: &PackageId, version: &str, pick: &dyn Fn(&Asset) -> bool) -> Option<Asset> {
        let (connection, listing) = self.external_listing(registry, package)?;
        let listed = listing.versions.get(version).filter(|v| v.status.is_served())?;
        let asset = listed.assets.iter().find(|a| pick(a))?.clone();
        self.note_fetch(&connection, package, listed.clone(), &asset);
        Some(asset)
    }

    /// A file at `path` (under the registry's root) of a version an external connection
    /// lists without naming its files (Maven's), noting that it must be fetched.
    pub fn external_file(&self, package: &PackageId, version: &str, name: &str, path: &str) -> Option<Asset> {
        let registry = self.ctx.world.read();
        let (connection, listing) = self.external_listing(&registry, package)?;
        let mut listed = listing.versions.get(version)?.clone();
        let asset = match listed.assets.iter().find(|a| a.name == name) {
            Some(asset) => asset.clone(),
            None => {
                let location = self.service.external().file_location(&connection, path)?;
                let asset = crate::external::remote_asset(name, location, Default::default(), 0);
                listed.assets.push(asset.clone());
                asset
            }
        };
        self.note_fetch(&connection, package, listed, &asset);
        Some(asset)
    }

    fn note_fetch(&self, connection: &str, package: &PackageId, version: PackageVersion, asset: &Asset) {
        let pending = asset.content.remote_location().is_some_and(|l| !self.failed.contains_key(&l));
        if pending {
            self.misses.borrow_mut().push(Miss::File {
                connection: connection.to_owned(),
                package: package.clone(),
                version: Box::new(version),
                asset: asset.name.clone(),
            });
        }
    }

    /// The external connection the search order reaches for `package` (the first repository
    /// with one that fetches, of the package's format, whose origin controls let its versions
    /// in) and its listing, when at hand; when it is not, the handler's miss is noted and
    /// `None` answered for now.
    pub fn external_listing(&self, registry: &Registry, package: &PackageId) -> Option<(String, Arc<Listing>)> {
        // The offline default costs nothing: no connection fetches, nothing to look for.
        if package.format == "generic" || !self.service.external().fetches_anything() {
            return None;
        }
        for key in self.chain(registry, Some(package)) {
            let record = registry.repository(&key.owner, &key.domain, &key.repository, &key.region);
            let Some(connection) = record.and_then(|r| r.repository.external_connection.as_deref()) else {
                continue;
            };
            let serves = crate::external::ExternalConfig::format_of(connection) == Some(package.format.as_str());
            if !serves || !self.service.external().fetches(connection) || registry.external_blocked(&key, package) {
                continue;
            }
            return match self.service.external().listing(connection, package) {
                Lookup::Listed(listing) => Some((connection.to_owned(), listing)),
                Lookup::Nothing => None,
                Lookup::Fetch => {
                    self.misses.borrow_mut().push(Miss::Listing { connection: connection.to_owned(), package: package.clone() });
                    None
                }
            };
        }
        None
    }

    /// The versions `keep` keeps of `package` through the repository, its upstreams, then
    /// the external connection they reach (the first to have a version wins).
    pub fn versions_with_external<'r>(
        &self,
        registry: &'r Registry,
        listing: Option<&'r Listing>,
        package: &PackageId,
        keep: impl Fn(&PackageVersion) -> bool,
    ) -> BTreeMap<String, &'r PackageVersion> {
        let mut versions = self.versions_through(registry, package, &keep);
        for version in listing.into_iter().flat_map(|l| l.versions.values()).filter(|v| keep(v)) {
            versions.entry(version.version.clone()).or_insert(version);
        }
        versions
    }

    /// A `200` with the content of `asset`, streamed from its file; a file that cannot be
    /// opened is a 500 naming the problem (never a short or empty download). A file an
    /// external connection could not give is a 502 saying why.
    pub fn file_response(&self, asset: &Asset, content_type: &str) -> Response<MockBody> {
        if let Some(location) = asset.content.remote_location() {
            let failure = self.failed.get(&location);
            let why = failure.map_or_else(|| "it is not fetched yet".to_owned(), ToString::to_string);
            let status = match failure {
                Some(FetchError::Status(404)) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_GATEWAY,
            };
            return json_error(status, "BadGateway", &format!("'{}' could not be fetched through the external connection: {why}", asset.name));
        }
        match self.service.asset_body(asset) {
            Some(body) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .body(body)
                .unwrap_or_else(|_| Response::new(MockBody::full(Bytes::new()))),
            None => json_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", &format!("The file '{}' cannot be read", asset.name)),
        }
    }
}

/// `arn:aws:codeartifact:REGION:OWNER:package/DOMAIN/REPO/FORMAT/NAMESPACE/NAME`.
pub fn package_arn(key: &RepositoryKey, package: &PackageId) -> String {
    format!(
        "arn:aws:codeartifact:{}:{}:package/{}/{}/{}/{}/{}",
        key.region,
        key.owner,
        key.domain,
        key.repository,
        package.format,
        package.namespace.as_deref().unwrap_or(""),
        package.name
    )
}

/// The caller may do `action` on the repository: its own permission, then the domain's and
/// the repository's policies (404 for a repository that does not exist).
fn authorize(
    registry: &Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    key: &RepositoryKey,
    action: &str,
    resource: impl Fn() -> String,
) -> Result<(), ServiceError> {
    access::permitted_repository(registry, ctx, caller, action, &key.owner, &key.domain, &key.repository, resource)?;
    Ok(())
}

/// The claims of the token the request carries, if it is one this mock minted for the
/// endpoint's domain, owner and region, not expired at `now`.
fn token_claims(
    service: &MockService,
    endpoint: &Endpoint<'_>,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<crate::token::TokenClaims> {
    let token = presented_token(headers)?;
    let claims = service.sealer().open(&token, unix_seconds(now)).ok()?;
    (claims.domain == endpoint.domain
        && claims.domain_owner == endpoint.owner
        && claims.region == endpoint.region)
        .then_some(claims)
}

/// The token in `Authorization`: `Bearer TOKEN`, `Basic base64(aws:TOKEN)`, or the bare token.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or(("", value));
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64_simd::STANDARD.decode_to_vec(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return (user == "aws").then(|| password.to_owned());
    }
    Some(value.to_owned())
}

/// An error of the API's, as a registry answers it: its status and message.
fn service_error(error: &ServiceError) -> Response<MockBody> {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    text(status, &error.message)
}

/// A short JSON answer: `error` is what npm prints of a registry's refusal, `message` what
/// AWS's answers (and this endpoint's before the registries) carry.
pub fn text(status: StatusCode, message: &str) -> Response<MockBody> {
    let body = serde_json::json!({ "error": message, "message": message }).to_string();
    respond(status, "application/json", Bytes::from(body))
}

/// A response of `content_type` with `body`.
pub fn respond(status: StatusCode, content_type: &str, body: Bytes) -> Response<MockBody> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(MockBody::full(body))
        .unwrap_or_else(|_| Response::new(MockBody::full(Bytes::new())))
}

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<MockBody> {
    respond(status, "application/json", Bytes::from(value.to_string()))
}

/// The values of `key` in a request's query, percent-decoded (`+` is kept: a URL or a list of
/// names, not a form).
pub fn query_values<'q>(query: &'q str, key: &'q str) -> impl Iterator<Item = String> + 'q {
    query
        .split('&')
        .filter_map(move |pair| pair.strip_prefix(key)?.strip_prefix('='))
        .map(|value| percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
}

/// Whether the method only reads.
pub fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_in_every_form_package_managers_send() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            presented_token(&headers)
        };
        assert_eq!(with("Bearer eyJ.a").as_deref(), Some("eyJ.a"));
        let basic = base64_simd::STANDARD.encode_to_string("aws:eyJ.b");
        assert_eq!(with(&format!("Basic {basic}")).as_deref(), Some("eyJ.b"));
        let other_user = base64_simd::STANDARD.encode_to_string("bob:eyJ.b");
        assert_eq!(with(&format!("Basic {other_user}")), None);
        assert_eq!(with("eyJ.c").as_deref(), Some("eyJ.c"));
        assert_eq!(presented_token(&HeaderMap::new()), None);
    }
}
