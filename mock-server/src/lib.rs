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
pub mod fixture;
pub mod identity;
pub mod log_format;
pub mod log_writer;
pub mod model;
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
