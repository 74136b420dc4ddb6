//! An offline, signature-checking stand-in for AWS CodeArtifact's token API.
//!
//! `codeartifact-mock` speaks CodeArtifact's REST-JSON wire protocol for
//! `GetAuthorizationToken`: it verifies AWS Signature Version 4 the way AWS does (same checks,
//! same order, same error codes and messages), validates `domain`, `domain-owner` and
//! `duration`, enforces identities, permissions and domain ownership from a fixture, and mints
//! tokens shaped like real ones that it can later verify. Point any AWS client at it with
//! `--endpoint-url`.
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
//! # Use it in-process (Rust tests)
//!
//! ```
//! use codeartifact_mock::{fixture::Fixture, service::ServiceConfig};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let server = codeartifact_mock::start(&Fixture::embedded_default(), ServiceConfig::default())
//!     .await
//!     .expect("loopback port");
//! assert!(server.uri().starts_with("http://127.0.0.1:"));
//! // Point an SDK at `server.uri()`; dropping `server` stops it.
//! server.shutdown().await;
//! # });
//! ```
//!
//! # Layout
//!
//! - [`sigv4`]: server-side SigV4 verification (parse, canonicalise, verify), in AWS's order.
//! - [`api`]: the operations, one module each; [`service`] runs a request through them
//!   without sockets; [`server`] is the only place hyper is wired, and [`workers`] the
//!   threads the binary serves connections on.
//! - [`fixture`] (the file format), [`directory`], [`identity`] and [`domain`] (who and what
//!   exists), [`token`] (sealing), [`clock`] (the server's now), [`error`] (wire errors).
//!
//! The fixture format is in `docs/fixtures.md`; what matches AWS and what is a documented
//! choice is in `docs/fidelity.md`.

pub mod api;
pub mod body;
pub mod clock;
pub mod config;
pub mod control;
pub mod directory;
pub mod domain;
pub mod error;
pub mod exchange;
pub mod faults;
pub mod fixture;
pub mod identity;
pub mod journal;
pub mod log_format;
pub mod log_writer;
pub mod model;
pub mod router;
pub mod scenario;
pub mod server;
pub mod service;
pub mod sigv4;
pub mod tls;
pub mod token;
pub mod workers;

pub use server::ServerHandle;
pub use service::MockService;

/// Starts the mock on an ephemeral loopback port in the current tokio runtime.
pub async fn start(
    fixture: &fixture::Fixture,
    config: service::ServiceConfig,
) -> std::io::Result<ServerHandle> {
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
        let sigv4 = edges(&src.join("sigv4"), "super::");
        assert_eq!(cycle(&sigv4), None, "{sigv4:#?}");
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
