//! External connections that fetch, as CodeArtifact's do: a package version that neither the
//! repository asked nor its upstreams hold is looked up through the external connection of a
//! repository in the search order, fetched on first request, checked against the digests its
//! upstream declares, and kept (in that repository and the one asked, origin `EXTERNAL`).
//!
//! The sources are configured with `--external-connection NAME=URL` ([`config`]): a
//! registry's root spoken to by [`http`], or an offline mirror folder. What an upstream offers
//! of a package is a [`Listing`]: its versions as a repository would hold them, their files
//! not fetched yet ([`Content::remote`]), read by the format's module (`pypi`, `npm`,
//! `cargo`, `maven`, `nuget`) and kept for a while ([`ExternalConfig::listing_ttl`]).
//!
//! The registries' handlers are synchronous and never wait on a network: when one needs a
//! listing it does not have, or a file that is still remote, it notes a [`Miss`] and answers
//! as if there were none; the data plane then resolves the misses here ([`External::resolve`],
//! concurrent requests for one file fetching it once) and asks the handler again.

mod cargo;
pub mod config;
pub mod http;
mod maven;
mod mirror;
mod npm;
mod nuget;
mod pypi;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use crate::files::content::Content;
use crate::files::spool::SpoolPlace;
use crate::packages::{Asset, PackageId, PackageVersion, VersionStatus};

/// The formats an external connection fetches (Ruby gems and Swift packages are served
/// from what is published and seeded only).
pub const FETCHED_FORMATS: &[&str] = &["pypi", "npm", "cargo", "maven", "nuget"];

pub use config::{ExternalConfig, Source};
pub use http::FetchError;

/// The largest listing document read from an upstream (a packument of thousands of versions
/// fits).
pub const MAX_LISTING_BYTES: u64 = 64 * 1024 * 1024;

/// How long a mirror folder's listing is reused: files added to the folder are found within it.
pub const MIRROR_LISTING_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a listing that could not be had is not asked for again.
const FAILED_LISTING_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// What an upstream offers of one package.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Its versions by version string, their files remote.
    pub versions: BTreeMap<String, PackageVersion>,
    /// npm's dist-tags.
    pub dist_tags: BTreeMap<String, String>,
}

/// Something a handler needed from an external connection and did not have.
#[derive(Debug, Clone)]
pub enum Miss {
    /// The connection's listing of a package.
    Listing {
        /// The connection (`public:pypi`, ...).
        connection: String,
        /// The package.
        package: PackageId,
    },
    /// A file of a listed version, to fetch.
    File {
        /// The connection.
        connection: String,
        /// The package.
        package: PackageId,
        /// The version as listed (the file among its assets, still remote); boxed, as a
        /// version is most of a kilobyte.
        version: Box<PackageVersion>,
        /// The file's name.
        asset: String,
    },
}

/// A file fetched through a connection, ready to be kept: the version with that file's
/// content in a spool (other files of the version stay remote, and are not kept).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The connection it came through.
    pub connection: String,
    /// The package.
    pub package: PackageId,
    /// The version, holding the fetched file only.
    pub version: PackageVersion,
}

/// A file to fetch: through which connection, of which listed version, from where.
#[derive(Debug, Clone, Copy)]
struct FileRequest<'a> {
    connection: &'a str,
    package: &'a PackageId,
    version: &'a PackageVersion,
    asset: &'a str,
    location: &'a str,
}

/// One file's fetch: empty until the first asker is done, then its result for the others.
type FetchSlot = Arc<tokio::sync::Mutex<Option<Result<Fetched, FetchError>>>>;

/// What is known of a connection's listing of a package.
#[derive(Debug)]
pub enum Lookup {
    /// Here it is.
    Listed(Arc<Listing>),
    /// There is none: the connection fetches nothing, or its upstream failed lately.
    Nothing,
    /// It must be fetched first (a [`Miss::Listing`]).
    Fetch,
}

/// A listing kept for a while, or the failure to get one.
#[derive(Debug, Clone)]
struct Cached {
    listing: Result<Arc<Listing>, FetchError>,
    at: Instant,
}

/// The external connections of a service: their sources, the listings read, and the files
/// being fetched.
#[derive(Debug, Default)]
pub struct External {
    config: ExternalConfig,
    listings: Mutex<HashMap<(String, PackageId), Cached>>,
    /// Fetches in flight, by connection and file location: later askers wait for the first.
    in_flight: Mutex<HashMap<String, FetchSlot>>,
    /// Mirror files' digests, by path, size and modification time: a file is hashed once.
    mirror_digests: mirror::DigestCache,
}

impl External {
    /// The connections of `config`.
    pub fn new(config: ExternalConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// The configuration.
    pub fn config(&self) -> &ExternalConfig {
        &self.config
    }

    /// Reads every mirror folder's files once (their digests and manifests), so the first
    /// request after a start finds them indexed; blocking: run it off the serving threads.
    pub fn index_mirrors(&self) {
        for (name, source) in &self.config.sources {
            if let (Source::Mirror(dir), Some(format)) = (source, ExternalConfig::format_of(name)) {
                let files = mirror::index(dir, format, &self.mirror_digests);
                tracing::info!(connection = %name, folder = %dir.display(), files, "mirror indexed");
            }
        }
    }

    /// Where a file at `path` (relative to the registry's root) is fetched from through
    /// `connection`: a Maven file no listing names beforehand. `None` for a mirror (whose
    /// listing names its files) or a connection that fetches nothing.
    pub fn file_location(&self, connection: &str, path: &str) -> Option<String> {
        match self.config.sources.get(connection)? {
            Source::Registry { root, .. } => Some(format!("{root}/{}", path.trim_start_matches('/'))),
            Source::Mirror(_) => None,
        }
    }

    /// Whether any connection reads a mirror folder (then [`External::index_mirrors`] has work).
    pub fn has_mirrors(&self) -> bool {
        self.config.sources.values().any(|s| matches!(s, Source::Mirror(_)))
    }

    /// Whether any connection fetches from anywhere (`--external-connection` was given).
    pub fn fetches_anything(&self) -> bool {
        !self.config.sources.is_empty()
    }

    /// Whether `connection` fetches from anywhere.
    pub fn fetches(&self, connection: &str) -> bool {
        self.config.sources.contains_key(connection)
    }

    /// The listing of `package` through `connection`, as far as it is known now.
    pub fn listing(&self, connection: &str, package: &PackageId) -> Lookup {
        if !self.fetches(connection) {
            return Lookup::Nothing;
        }
        let listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
        let Some(cached) = listings.get(&(connection.to_owned(), package.clone())) else {
            return Lookup::Fetch;
        };
        let ttl = match (&cached.listing, self.config.sources.get(connection)) {
            (Err(_), _) => FAILED_LISTING_TTL,
            (Ok(_), Some(Source::Mirror(_))) => MIRROR_LISTING_TTL,
            (Ok(_), _) => self.config.listing_ttl,
        };
        match &cached.listing {
            _ if cached.at.elapsed() > ttl => Lookup::Fetch,
            Ok(listing) => Lookup::Listed(Arc::clone(listing)),
            Err(_) => Lookup::Nothing,
        }
    }

    /// Fetches what the misses name: listings are kept for the next pass of the handler;
    /// files are returned to be kept in the repositories (or the reason they could not be
    /// had, by file location).
    pub async fn resolve(&self, misses: Vec<Miss>, place: &std::io::Result<SpoolPlace>, max_asset_size: u64) -> (Vec<Fetched>, HashMap<String, FetchError>) {
        let mut fetched = Vec::new();
        let mut failed = HashMap::new();
        for miss in misses {
            match miss {
                Miss::Listing { connection, package } => {
                    let listing = self.read_listing(&connection, &package).await;
                    if let Err(error) = &listing {
                        tracing::warn!(connection = %connection, package = %package.full_name(), %error, "an external connection's listing could not be read");
                    }
                    let cached = Cached { listing: listing.map(Arc::new), at: Instant::now() };
                    self.listings.lock().unwrap_or_else(|p| p.into_inner()).insert((connection, package), cached);
                }
                Miss::File { connection, package, version, asset } => {
                    let Some(location) = version.assets.iter().find(|a| a.name == asset).and_then(|a| a.content.remote_location()) else {
                        continue;
                    };
                    let file = FileRequest { connection: &connection, package: &package, version: &version, asset: &asset, location: &location };
                    match self.fetch_once(&file, place, max_asset_size).await {
                        Ok(file) => fetched.push(file),
                        Err(error) => {
                            tracing::warn!(connection = %connection, package = %package.full_name(), file = %asset, %error, "an external connection's file could not be fetched");
                            failed.insert(location, error);
                        }
                    }
                }
            }
        }
        (fetched, failed)
    }

    /// Reads the listing of `package` from its source (one of [`FETCHED_FORMATS`]).
    async fn read_listing(&self, connection: &str, package: &PackageId) -> Result<Listing, FetchError> {
        let source = self.config.sources.get(connection).ok_or(FetchError::Status(404))?;
        let client = self.client();
        let mut listing = match (source, package.format.as_str()) {
            (Source::Registry { root, authorization }, format) => {
                let auth = authorization.as_deref();
                match format {
                    "pypi" => pypi::registry_listing(&client, root, auth, package).await,
                    "npm" => npm::registry_listing(&client, root, auth, package).await,
                    "cargo" => cargo::registry_listing(&client, root, auth, package).await,
                    "maven" => maven::registry_listing(&client, root, auth, package).await,
                    "nuget" => nuget::registry_listing(&client, root, auth, package).await,
                    _ => Err(FetchError::Status(404)),
                }
            }
            (Source::Mirror(dir), format) => {
                let (dir, package, digests) = (dir.clone(), package.clone(), self.mirror_digests.clone());
                let format = format.to_owned();
                tokio::task::spawn_blocking(move || mirror::listing(&dir, &format, &package, &digests))
                    .await
                    .map_err(|e| FetchError::Invalid(e.to_string()))?
            }
        }?;
        for version in listing.versions.values_mut() {
            version.entry_point = Some(connection.to_owned());
            version.status = VersionStatus::Published;
        }
        Ok(listing)
    }

    fn client(&self) -> http::Client {
        http::Client { connect_timeout: self.config.connect_timeout, read_timeout: self.config.read_timeout }
    }

    /// Fetches one file, once however many requests want it at the same time.
    async fn fetch_once(&self, file: &FileRequest<'_>, place: &std::io::Result<SpoolPlace>, max_asset_size: u64) -> Result<Fetched, FetchError> {
        let key = format!("{} {}", file.connection, file.location);
        let slot = Arc::clone(self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).entry(key.clone()).or_default());
        let mut result = slot.lock().await;
        if let Some(done) = result.as_ref() {
            return done.clone();
        }
        let fetched = self.fetch(file, place, max_asset_size).await;
        *result = Some(fetched.clone());
        drop(result);
        // The next request after this one finds the file kept, or tries again.
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
        fetched
    }

    async fn fetch(&self, file: &FileRequest<'_>, place: &std::io::Result<SpoolPlace>, max_asset_size: u64) -> Result<Fetched, FetchError> {
        let FileRequest { connection, package, version, asset, location } = *file;
        let listed = version.assets.iter().find(|a| a.name == asset).ok_or(FetchError::Status(404))?;
        let place = place.as_ref().map_err(|e| FetchError::Unreachable(format!("no folder for package files: {e}")))?;
        let source = self.config.sources.get(connection).ok_or(FetchError::Status(404))?;
        let mut declared = listed.hashes.clone();
        let piece = match source {
            Source::Registry { authorization, .. } => {
                if package.format == "maven" && declared.is_empty() {
                    if let Some(sha1) = maven::declared_sha1(&self.client(), location, authorization.as_deref()).await {
                        declared.insert("SHA-1".to_owned(), sha1);
                    }
                }
                let response = self.client().get(location, authorization.as_deref(), "*/*").await?;
                let declared = response
                    .headers()
                    .get(::http::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                if declared.is_some_and(|length| length > max_asset_size) {
                    return Err(FetchError::TooLarge(max_asset_size));
                }
                let shape = crate::upload::Shape::File(max_asset_size);
                let received = crate::upload::ingest::receive(response.into_body(), shape, None, self.config.read_timeout, Ok(place.clone())).await;
                match received {
                    Ok(crate::upload::RequestBody::Whole(piece)) => piece,
                    Ok(_) => return Err(FetchError::Invalid("an unexpected body".to_owned())),
                    Err(crate::upload::ingest::Refused::TooLarge(limit)) => return Err(FetchError::TooLarge(limit)),
                    Err(crate::upload::ingest::Refused::TimedOut) => return Err(FetchError::TimedOut),
                    Err(other) => return Err(FetchError::Unreachable(format!("{other:?}"))),
                }
            }
            Source::Mirror(_) => {
                let (path, place) = (std::path::PathBuf::from(location), place.clone());
                tokio::task::spawn_blocking(move || mirror::copy(&path, &place, max_asset_size))
                    .await
                    .map_err(|e| FetchError::Invalid(e.to_string()))??
            }
        };
        let mut fetched = Asset::uploaded(asset, piece.clone());
        // Every digest the upstream declared must be the file's.
        for (algorithm, declared) in &declared {
            if !declared.eq_ignore_ascii_case(fetched.hash(algorithm)) {
                return Err(FetchError::Invalid(format!("the {algorithm} of {asset} is not the one its upstream declares")));
            }
        }
        fetched.name = asset.to_owned();
        let mut kept = version.clone();
        kept.assets = vec![fetched];
        kept.revision = crate::packages::new_revision();
        if package.format == "nuget" {
            nuget::describe(&mut kept, &piece);
        }
        Ok(Fetched { connection: connection.to_owned(), package: package.clone(), version: kept })
    }
}

/// An upstream's RFC 3339 time (`2024-01-02T03:04:05.123456Z`), to the second.
pub(crate) fn upstream_time(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z').split('.').next()?).ok()
}

/// A listed file: its name, where it is fetched from, and the digests its upstream declares
/// (hex, by the API's algorithm names).
pub(crate) fn remote_asset(name: &str, location: String, hashes: BTreeMap<String, String>, size: u64) -> Asset {
    Asset { name: name.to_owned(), size, hashes, content: Content::remote(location) }
}

/// A listed version with nothing but its number and files (the format's module fills in the
/// rest), published at `at` (the upstream's time, when it says).
pub(crate) fn listed_version(number: &str, display_name: &str, at: Option<SystemTime>) -> PackageVersion {
    let mut version = PackageVersion::unfinished(number, display_name, at.unwrap_or(SystemTime::UNIX_EPOCH));
    version.status = VersionStatus::Published;
    version
}
