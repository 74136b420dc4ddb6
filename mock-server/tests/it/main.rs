//! Integration tests of codeartifact-mock, in one binary to keep link time low.

/// Helpers: the test fixture, an independent signer (aws-sigv4), calls with and without sockets.
mod util;

/// The AWS SigV4 signing test suite shipped inside the aws-sigv4 crate, step by step.
mod sigv4_suite;

/// Signature cases through the whole service: presigned, tampered, skewed, scoped, encoded.
mod signatures;

/// Properties: whatever is signed correctly verifies; any single change does not.
mod properties;

/// GetAuthorizationToken semantics: validation, permissions, domains, durations, tokens.
mod operation;

/// GetRepositoryEndpoint and the repository endpoints' token check.
mod repositories;

/// The package registries (pip, twine, npm) and the package operations of the API.
mod packages;

/// One name, one identity: names as the registries store them, tokens by access key.
mod names;

/// The Cargo, Maven and NuGet registries at the protocol level.
mod formats;

/// Package groups: patterns, inheritance, and the publishes and upstream reads they decide.
mod package_groups;

/// Generic packages (PublishPackageVersion) and CopyPackageVersions.
mod generic;

/// Domains and repositories through the API: their life, lists, accounts, reset.
mod control_plane;

/// The control API: faults, journal, config, clock, scenarios, reset, admin token.
mod control;

/// The `codeartifact-mock` binary: start-up line, bad fixtures, logs.
mod binary;

/// `--data-dir` under kills, a full disk, a second process, damage and every scenario.
mod durability;

/// Bad input and abuse on the socket: limits, garbage, mixed concurrent clients.
mod hardening;

/// HTTPS with a generated or a given certificate.
mod tls;

/// Real clients: AWS CLI v1 and v2, boto3, the JS SDK and the Rust SDK.
mod clients;

/// `aws codeartifact login` with AWS CLI v1 and v2: pip, npm, twine, dry runs.
mod login;

/// External connections that fetch, from upstreams on loopback and mirror folders.
mod external;

/// CodeArtifact's request-rate quotas, when enforced.
mod quotas;

/// Files larger than memory: a gibibyte through the server, every registry's spooled upload.
mod large_files;

/// The registries with the real package managers (twine, pip, uv, npm, cargo, Maven) and the
/// AWS CLIs: publish, install, expiry, restart.
mod registries;
