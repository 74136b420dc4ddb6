//! An offline, signature-checking stand-in for AWS CodeArtifact.
//!
//! `codeartifact-mock` speaks CodeArtifact's REST-JSON wire protocol: it verifies AWS
//! Signature Version 4 with AWS's checks, error codes and texts, routes every operation of
//! CodeArtifact's service model and validates its input against the model, enforces
//! identities, permissions and domain ownership from a fixture, and mints tokens shaped like
//! real ones that it can later verify (`GetAuthorizationToken`). Its repository endpoints are
//! the registries of pip, twine and uv, npm, cargo, Maven and NuGet, opened by those tokens,
//! with the package API over what they store, kept in SQLite (`--data-dir`, or in memory).
//! Point any AWS client at it with `--endpoint-url`. Which operations are implemented, and
//! every choice made where AWS's behaviour is unknown, is in `docs/fidelity.md`.
//!
//! # Use it as a process
//!
//! ```text
//! $ codeartifact-mock --listen 127.0.0.1:0
//! listening on http://127.0.0.1:41235
//! $ AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
//!   AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url http://127.0.0.1:41235 \
//!   codeartifact get-authorization-token --domain test-domain --query authorizationToken --output text
//! eyJ2ZXIiOjEsImlzdSI6...
//! ```
//!
//! # Use it in a Rust test
//!
//! [`MockServer`] starts the mock on an ephemeral loopback port, as wiremock does; dropping
//! it stops it:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use codeartifact_mock::{ErrorCode, Fault, MockServer};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = MockServer::builder()
//!     .frozen_clock(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000))
//!     .start()
//!     .await;
//! let credentials = server.credentials(); // the fixture's example identity
//! server
//!     .faults()
//!     .add(Fault::error(ErrorCode::ThrottlingException).retry_after(1))
//!     .unwrap();
//! // Point an SDK at `server.uri()` with `credentials`; then read what it sent:
//! assert!(server.requests().is_empty());
//! server.clock().advance(Duration::from_secs(43_200)); // every token is now expired
//! # let _ = credentials;
//! # });
//! ```
//!
//! # Features
//!
//! - `cli` (default): the `codeartifact-mock` binary (flags, batched logging, mimalloc). An
//!   embedder that only needs [`MockServer`] can turn it off.
//! - `internals`: the implementation's modules (SigV4, tokens, the model, ...) as public
//!   modules, for this project's own tests, benchmarks and fuzz target. Not a stable API.
//!
//! `docs/architecture.md` walks through the modules.

#![cfg_attr(
    not(feature = "internals"),
    allow(unreachable_pub, dead_code, unused_imports)
)]

/// Declares the implementation's modules: public (hidden from the docs) with the
/// `internals` feature, crate-private otherwise.
macro_rules! internal_modules {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
        $(#[$meta])*
        #[cfg(not(feature = "internals"))]
        mod $name;
    )*};
}

/// Declares modules the binary needs as well: public (hidden from the docs) when the `cli`
/// or the `internals` feature is on, crate-private otherwise.
macro_rules! binary_modules {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[cfg(any(feature = "internals", feature = "cli"))]
        #[doc(hidden)]
        pub mod $name;
        $(#[$meta])*
        #[cfg(not(any(feature = "internals", feature = "cli")))]
        mod $name;
    )*};
}

binary_modules! {
    /// The only place hyper is wired.
    server,
    /// The binary's worker threads.
    workers,
}

internal_modules! {
    /// CodeArtifact's operations, one module each.
    api,
    /// One file out of a tar or a gzipped tar.
    archive,
    /// Who may do what, for the API and the repository endpoints alike.
    authorization,
    /// Response bodies, including one cut short on purpose.
    body,
    /// The server's clock.
    clock,
    /// The control API under `/_mock/`.
    control,
    /// The repository endpoints.
    data_plane,
    /// The fixture's lookup tables.
    directory,
    /// Domains.
    domain,
    /// The scheme and the repository endpoint paths.
    endpoint,
    /// Wire errors.
    error,
    /// The record of one request.
    exchange,
    /// External connections that fetch: sources, listings, the HTTP client, mirrors.
    external,
    /// Fault rules.
    faults,
    /// What a Ruby `.gem` says of itself, and the forms RubyGems and Bundler read it in.
    gems,
    /// Package files: the folder they are kept in, uploads spooled to it, their handles.
    files,
    /// The fixture file.
    fixture,
    /// Identities.
    identity,
    /// The request journal.
    journal,
    /// The server facade for Rust tests.
    mock_server,
    /// CodeArtifact's service model.
    model,
    /// What a `.nupkg` says of itself.
    nupkg,
    /// Package groups and their origin controls.
    package_groups,
    /// The packages of each repository.
    packages,
    /// The domains and repositories being served.
    registry,
    /// Repositories.
    repository,
    /// Where a request goes.
    router,
    /// Resource policies.
    policy,
    /// CodeArtifact's request-rate quotas, when enforced.
    quotas,
    /// Scenario files.
    scenario,
    /// The service: state, pipeline, responses.
    service,
    /// SigV4 verification.
    sigv4,
    /// What a Swift source archive says of itself.
    swift_release,
    /// The world, what users made, and the one place it is committed (`--data-dir`).
    state,
    /// Resource tags.
    tag,
    /// HTTPS.
    tls,
    /// Tokens.
    token,
    /// Request bodies, and uploads streamed to disk as they arrive.
    upload,
}

/// Command-line flags.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod config;
/// `codeartifact-mock healthcheck`.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod health_probe;
/// Log line formatting for files and pipes.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod log_format;
/// The batched log writer.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod log_writer;

pub use clock::ClockMode;
pub use data_plane::SERVED_FORMATS;
pub use error::ErrorCode;
pub use external::{ExternalConfig, Source as ExternalSource, FETCHED_FORMATS};
pub use faults::{FaultAction, FaultRule, FaultSpec};
pub use fixture::{Fixture, LoadError};
pub use journal::JournalEntry;
pub use mock_server::{Credentials, Fault, Faults, MockServer, MockServerBuilder, ServerClock};
pub use scenario::Scenario;
pub use server::ServerHandle;
pub use service::{MockService, Reply, ServiceConfig};
pub use tls::Tls;
pub use token::{ExpirationFormat, ZeroDurationPolicy};

/// Starts the mock on an ephemeral loopback port in the current tokio runtime: the server's
/// handle alone ([`MockServer`] is the richer handle).
pub async fn start(fixture: &Fixture, config: ServiceConfig) -> std::io::Result<ServerHandle> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    server::serve(listener, MockService::new(fixture, config))
}

#[cfg(test)]
mod architecture {
    //! The module graph stays a one-way street: no two modules import each other, however
    //! indirectly (docs/architecture.md draws it).

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// `use`/path references to sibling modules in the files under `dir`, by the module
    /// (file or folder) each file belongs to. `prefix` is how siblings are named (`crate::`
    /// at the top, `super::` inside a folder module).
    fn edges(dir: &Path, prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut visit = |module: &str, text: &str| {
            for line in text.lines().map(str::trim_start) {
                if line.starts_with("//") || line.starts_with("#[cfg(test)]") {
                    continue;
                }
                for piece in line.split(prefix).skip(1) {
                    // `crate::name::...`, or a group: `crate::{a::X, b}`.
                    let names = match piece.strip_prefix('{') {
                        Some(group) => group.split('}').next().unwrap_or_default(),
                        None => piece,
                    };
                    for name in names.split(',') {
                        let target: String = name
                            .trim_start()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !target.is_empty() && target != module && target != "self" {
                            graph.entry(module.to_owned()).or_default().insert(target);
                        }
                    }
                }
            }
        };
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name == "lib" || name == "main" || name == "mod" {
                continue;
            }
            let files: Vec<_> = if path.is_dir() {
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                    .collect()
            } else {
                vec![path]
            };
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                // Tests may look anywhere.
                let text = text.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
                visit(&name, text);
            }
        }
        graph
    }

    /// A cycle in the graph, if there is one.
    fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn walk(
            node: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|n| n == node) {
                let mut found = path[start..].to_vec();
                found.push(node.to_owned());
                return Some(found);
            }
            if !done.insert(node.to_owned()) {
                return None;
            }
            path.push(node.to_owned());
            for next in graph.get(node).into_iter().flatten() {
                if let Some(found) = walk(next, graph, path, done) {
                    return Some(found);
                }
            }
            path.pop();
            None
        }
        let mut done = BTreeSet::new();
        graph
            .keys()
            .find_map(|node| walk(node, graph, &mut Vec::new(), &mut done))
    }

    #[test]
    fn modules_import_each_other_in_one_direction_only() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let top = edges(&src, "crate::");
        assert_eq!(cycle(&top), None, "{top:#?}");
        // Inside every folder module, its files name each other as `super::`.
        let mut folders = 0;
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let inner = edges(&path, "super::");
                assert_eq!(cycle(&inner), None, "{}: {inner:#?}", path.display());
                folders += 1;
            }
        }
        assert!(folders >= 8, "every folder was read: {folders}");
    }

    #[test]
    fn a_cycle_is_found() {
        let graph: BTreeMap<String, BTreeSet<String>> = [
            ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
            ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
        ]
        .into();
        assert_eq!(
            cycle(&graph),
            Some(vec!["a".into(), "b".into(), "a".into()])
        );
    }
}
