//! Command-line flags and the configuration built from them; the only place the environment
//! is read.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

use crate::fixture::{Fixture, LoadError};
use crate::journal::DEFAULT_CAPACITY;
use crate::service::{ServiceConfig, DEFAULT_MAX_SKEW_SECONDS};
use crate::sigv4::SecretKey;
use crate::state::Store;
use crate::tls::{Tls, TlsError};
use crate::token::TokenKey;
use crate::token::{ExpirationFormat, ZeroDurationPolicy};
use crate::workers::Workers;

/// An offline, signature-checking stand-in for AWS CodeArtifact's token API.
///
/// Point any AWS client at it with `--endpoint-url http://IP:PORT`. Once the socket accepts,
/// the first line on stdout is `listening on http://IP:PORT`; logs go to stderr (RUST_LOG).
#[derive(Debug, Parser)]
#[command(name = "codeartifact-mock", version)]
pub struct Options {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "CODEARTIFACT_MOCK_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Fixture file (TOML) with regions, domains and identities; without it, the embedded
    /// default fixture is served.
    #[arg(long, env = "CODEARTIFACT_MOCK_CONFIG")]
    pub config: Option<PathBuf>,

    /// Largest accepted distance, in seconds, between a request's X-Amz-Date and the server's now.
    #[arg(long, env = "CODEARTIFACT_MOCK_MAX_SKEW_SECONDS", default_value_t = DEFAULT_MAX_SKEW_SECONDS)]
    pub max_skew_seconds: u64,

    /// What `--duration-seconds 0` does for long-term (IAM user) access keys.
    #[arg(
        long,
        env = "CODEARTIFACT_MOCK_ZERO_DURATION",
        value_enum,
        default_value_t
    )]
    pub zero_duration_with_long_term_keys: ZeroDurationPolicy,

    /// How `expiration` is written in the JSON body.
    #[arg(
        long,
        env = "CODEARTIFACT_MOCK_EXPIRATION_FORMAT",
        value_enum,
        default_value_t
    )]
    pub expiration_format: ExpirationFormat,

    /// Scenario file to play at start (repeatable; played in order). The environment
    /// variable takes a comma-separated list.
    #[arg(
        long = "scenario",
        value_name = "FILE",
        env = "CODEARTIFACT_MOCK_SCENARIO",
        value_delimiter = ','
    )]
    pub scenarios: Vec<PathBuf>,

    /// Require `Authorization: Bearer SECRET` on every control API call (/_mock/...).
    #[arg(
        long,
        env = "CODEARTIFACT_MOCK_ADMIN_TOKEN",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// Turn the control API off: /_mock/ paths are then ordinary (unsigned) AWS requests.
    /// The environment variable takes true/false, yes/no, on/off or 1/0.
    #[arg(long, env = "CODEARTIFACT_MOCK_NO_CONTROL", value_parser = BoolishValueParser::new())]
    pub no_control: bool,

    /// Serve HTTPS with a certificate generated at start for 127.0.0.1, ::1 and localhost; its
    /// certificate authority is written to --tls-ca-out and named on stdout's second line.
    /// The environment variable takes true/false, yes/no, on/off or 1/0.
    #[arg(long, env = "CODEARTIFACT_MOCK_TLS", value_parser = BoolishValueParser::new())]
    pub tls: bool,

    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        env = "CODEARTIFACT_MOCK_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) of --tls-cert.
    #[arg(
        long,
        value_name = "FILE",
        env = "CODEARTIFACT_MOCK_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Where --tls writes its certificate authority (default: a file in the temp folder).
    #[arg(long, value_name = "FILE", env = "CODEARTIFACT_MOCK_TLS_CA_OUT")]
    pub tls_ca_out: Option<PathBuf>,

    /// Requests kept in the journal (GET /_mock/requests); older ones are dropped.
    #[arg(long, env = "CODEARTIFACT_MOCK_JOURNAL_CAPACITY", default_value_t = DEFAULT_CAPACITY)]
    pub journal_capacity: usize,

    /// Requests whose Host is DOMAIN-OWNER.d.codeartifact.REGION.SUFFIX go to that
    /// repository endpoint (map such names to the mock, e.g. in /etc/hosts).
    #[arg(
        long,
        value_name = "SUFFIX",
        env = "CODEARTIFACT_MOCK_REPOSITORY_HOST_SUFFIX",
        default_value = crate::service::DEFAULT_REPOSITORY_HOST_SUFFIX
    )]
    pub repository_host_suffix: String,

    /// Threads serving connections; each connection stays on one [default: one per core].
    #[arg(long, value_name = "N", env = "CODEARTIFACT_MOCK_WORKERS",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: Option<u16>,

    /// Keep the world (domains, repositories, packages and their files) in this folder, so a
    /// restart serves what was published before it; without it everything is in memory.
    #[arg(long, value_name = "DIR", env = "CODEARTIFACT_MOCK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// The largest package file taken, in bytes (a plain number, or with a suffix: 64MiB,
    /// 500MB, 2GiB); past it an upload is answered 413, before its body is read when its
    /// length is declared. CodeArtifact's quota is 5 GB per asset.
    #[arg(long, value_name = "BYTES", env = "CODEARTIFACT_MOCK_MAX_ASSET_SIZE",
          default_value = "5GiB", value_parser = parse_size)]
    pub max_asset_size: u64,

    /// Where an external connection fetches from: NAME=URL, NAME one of CodeArtifact's
    /// (public:pypi, public:npmjs, public:crates-io, public:maven-central, public:nuget-org,
    /// ...), URL a registry's root (http:// or https://; credentials in it go to that registry
    /// only) or an offline mirror folder (file:///DIR). Repeatable; the environment variable
    /// takes a comma-separated list. Without one, a connection fetches nothing.
    #[arg(long = "external-connection", value_name = "NAME=URL", env = "CODEARTIFACT_MOCK_EXTERNAL_CONNECTION",
          value_delimiter = ',', value_parser = parse_external_connection)]
    pub external_connections: Vec<(String, crate::external::Source)>,

    /// How long connecting to an external connection's registry may take.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CODEARTIFACT_MOCK_EXTERNAL_CONNECT_TIMEOUT_SECONDS",
        default_value_t = 5
    )]
    pub external_connect_timeout_seconds: u64,

    /// How long an external connection's registry may go without sending a byte.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CODEARTIFACT_MOCK_EXTERNAL_READ_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub external_read_timeout_seconds: u64,

    /// How long an upstream's list of a package's versions is reused before it is asked again.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CODEARTIFACT_MOCK_EXTERNAL_LISTING_TTL_SECONDS",
        default_value_t = 300
    )]
    pub external_listing_ttl_seconds: u64,

    /// Apply CodeArtifact's request-rate quotas (per second of the server's clock: 40
    /// GetAuthorizationToken, 10 PublishPackageVersion, 5 CopyPackageVersions, 800 reads and 100
    /// writes per account, 1,200 requests per token, 600 without a token per address, ...):
    /// ThrottlingException with Retry-After on the API, 429 at the repositories. Off by default.
    #[arg(long, env = "CODEARTIFACT_MOCK_ENFORCE_QUOTAS", value_parser = BoolishValueParser::new())]
    pub enforce_quotas: bool,

    /// Seal tokens with the key in this file (created with a new key if missing), so tokens
    /// survive a restart and mocks sharing the file accept each other's tokens.
    #[arg(long, value_name = "FILE", env = "CODEARTIFACT_MOCK_TOKEN_KEY_FILE")]
    pub token_key_file: Option<PathBuf>,

    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The binary's subcommands; without one, it serves.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask the mock these flags and environment variables start whether it serves: exit 0 if
    /// it does, 1 (with the reason on stderr) if not. The container image's health check.
    Healthcheck(HealthcheckArgs),
}

/// Flags of `healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// How long to wait for the connection and for the answer.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CODEARTIFACT_MOCK_HEALTHCHECK_TIMEOUT_SECONDS",
        default_value_t = 5
    )]
    pub timeout_seconds: u64,
}

/// Whether the control API is served, and why not when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlAccess {
    /// Served.
    Enabled,
    /// Turned off with `--no-control`.
    Disabled,
    /// Off: the address is not loopback and no `--admin-token` protects it.
    DisabledOnOpenAddress,
}

/// Every flag's environment variable, as `--help` shows it (`docs` and tests read this).
pub fn environment_variables() -> Vec<(String, String)> {
    use clap::CommandFactory;
    let command = Options::command();
    command
        .get_arguments()
        .chain(command.get_subcommands().flat_map(|c| c.get_arguments()))
        .filter_map(|arg| {
            let env = arg.get_env()?.to_string_lossy().into_owned();
            Some((format!("--{}", arg.get_long()?), env))
        })
        .collect()
}

impl Options {
    /// The fixture to serve: `--config`, or the embedded default.
    pub fn fixture(&self) -> Result<Fixture, LoadError> {
        match &self.config {
            Some(path) => Fixture::load(path),
            None => Ok(Fixture::embedded_default()),
        }
    }

    /// Whether the control API is served: not with `--no-control`, and not on a non-loopback
    /// address unless an admin token protects it (anyone who can reach the port could
    /// otherwise rewrite identities and faults).
    pub fn control_access(&self) -> ControlAccess {
        if self.no_control {
            ControlAccess::Disabled
        } else if !self.listen.ip().is_loopback() && self.admin_token.is_none() {
            ControlAccess::DisabledOnOpenAddress
        } else {
            ControlAccess::Enabled
        }
    }

    /// The TLS setup asked for, and the certificate authority file written for `--tls`.
    pub fn tls(&self) -> Result<Option<(Tls, Option<PathBuf>)>, TlsError> {
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            return Ok(Some((Tls::from_files(cert, key)?, None)));
        }
        if !self.tls {
            return Ok(None);
        }
        let ca_path = self.tls_ca_out.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("codeartifact-mock-ca-{}.pem", std::process::id()))
        });
        Ok(Some((Tls::generated(&ca_path)?, Some(ca_path))))
    }

    /// The worker threads to serve connections on (`--workers`, or one per core).
    pub fn workers(&self) -> std::io::Result<Workers> {
        match self.workers {
            Some(count) => Workers::start(count.into()),
            None => Workers::per_core(),
        }
    }

    /// The token key of `--token-key-file`, read or created.
    pub fn token_key(&self) -> Result<Option<TokenKey>, String> {
        self.token_key_file
            .as_deref()
            .map(TokenKey::load_or_create)
            .transpose()
    }

    /// The data folder of `--data-dir`, opened (created if missing) and locked.
    pub fn store(&self) -> Result<Option<Store>, String> {
        self.data_dir
            .as_deref()
            .map(|dir| Store::open(dir).map_err(|e| format!("--data-dir: {e}")))
            .transpose()
    }

    /// The service's behaviour switches (the token key apart: see [`Options::token_key`]).
    pub fn service_config(&self) -> ServiceConfig {
        ServiceConfig {
            max_skew_seconds: self.max_skew_seconds,
            zero_duration: self.zero_duration_with_long_term_keys,
            expiration_format: self.expiration_format,
            control_enabled: self.control_access() == ControlAccess::Enabled,
            admin_token: self.admin_token.clone().map(SecretKey::new),
            journal_capacity: self.journal_capacity,
            repository_host_suffix: self.repository_host_suffix.clone(),
            token_key: None,
            max_asset_size: self.max_asset_size,
            enforce_quotas: self.enforce_quotas,
            external: crate::external::ExternalConfig {
                sources: self.external_connections.iter().cloned().collect(),
                connect_timeout: std::time::Duration::from_secs(
                    self.external_connect_timeout_seconds,
                ),
                read_timeout: std::time::Duration::from_secs(self.external_read_timeout_seconds),
                listing_ttl: std::time::Duration::from_secs(self.external_listing_ttl_seconds),
            },
        }
    }
}

/// One `--external-connection NAME=URL`.
fn parse_external_connection(text: &str) -> Result<(String, crate::external::Source), String> {
    let mut config = crate::external::ExternalConfig::default();
    config.add(text)?;
    config
        .sources
        .into_iter()
        .next()
        .ok_or_else(|| "no connection".to_owned())
}

/// A size in bytes: a plain number, or a number with a decimal (`kB`, `MB`, `GB`, `TB`) or
/// binary (`KiB`, `MiB`, `GiB`, `TiB`) suffix, case aside; at least one byte.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| {
        format!("'{text}' is not a size: a number of bytes, perhaps with a suffix such as 64MiB")
    })?;
    let unit: u64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        "tb" => 1_000_000_000_000,
        "tib" | "t" => 1 << 40,
        other => {
            return Err(format!(
                "'{other}' is not a size suffix: use kB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ))
        }
    };
    match number.checked_mul(unit) {
        Some(0) => Err("the size must be at least one byte".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("'{text}' is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn sizes_are_bytes_with_decimal_or_binary_suffixes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("500 MB"), Ok(500_000_000));
        assert_eq!(
            parse_size("5GiB"),
            Ok(crate::upload::DEFAULT_MAX_ASSET_SIZE)
        );
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        for bad in ["", "MiB", "0", "12 parsecs", "-1", "99999999999TiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_flag_reads_an_environment_variable() {
        let command = Options::command();
        let flags: Vec<&str> = command
            .get_arguments()
            .chain(command.get_subcommands().flat_map(|c| c.get_arguments()))
            .filter_map(|arg| arg.get_long())
            .filter(|long| !matches!(*long, "help" | "version"))
            .collect();
        let with_env: Vec<String> = environment_variables()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        for flag in flags {
            assert!(
                with_env.contains(&format!("--{flag}")),
                "--{flag} has no environment variable"
            );
        }
    }
}
