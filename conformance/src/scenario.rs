//! Conformance scenarios: the mock's scenario file plus `[client]` (how to call the client)
//! and `[expect]` (what a conformant client does).
//!
//! ```toml
//! name = "throttle-then-recover"
//! [[faults]]                      # the mock's part: see docs/scenarios.md
//! error = "ThrottlingException"
//!
//! [client]
//! args = ["--domain", "test-domain"]    # after `codeartifact get-authorization-token`
//! max_attempts = 3                       # AWS_MAX_ATTEMPTS
//!
//! [expect]
//! exit = "success"
//! expiration_seconds = 43200
//! requests = 2
//! ```
//!
//! The format is documented in `docs/conformance.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Credentials of the embedded default fixture's documentation example identity.
pub const EXAMPLE_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// Its secret.
pub const EXAMPLE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Options only the AWS CLI has: scenarios using them are not applicable to SDK clients.
pub const AWS_CLI_ONLY_OPTIONS: &[&str] = &[
    "--query",
    "--output",
    "--cli-input-json",
    "--generate-cli-skeleton",
    "--no-sign-request",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--region",
    "--debug",
    "--no-paginate",
    "--color",
    "--profile",
    "--no-verify-ssl",
    "--ca-bundle",
];

/// A scenario file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// The operation a scenario calls when it names none.
pub const DEFAULT_OPERATION: &str = "get-authorization-token";

/// How the client is called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCall {
    /// The operation, as the AWS CLI names it (`get-repository-endpoint`); default
    /// `get-authorization-token`.
    #[serde(default)]
    pub operation: Option<String>,
    /// Arguments after `codeartifact OPERATION`.
    pub args: Vec<String>,
    /// `AWS_DEFAULT_REGION` and `AWS_REGION`; default `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// `AWS_ACCESS_KEY_ID`; default the documentation example key.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// `AWS_SESSION_TOKEN`.
    #[serde(default)]
    pub session_token: Option<String>,
    /// `AWS_MAX_ATTEMPTS`: total attempts, retries included.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Credentials go into a credentials file under this profile, and `--profile NAME` is
    /// passed, instead of environment variables.
    #[serde(default)]
    pub profile: Option<String>,
    /// More environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `aws-cli` when the scenario needs the AWS CLI itself (derived from `args` otherwise).
    #[serde(default)]
    pub requires: Option<String>,
    /// Serve the mock over HTTPS with a fresh certificate authority; `{ca_bundle}` in `args`
    /// becomes the path of its certificate. Runs with the in-process mock only.
    #[serde(default)]
    pub tls: bool,
}

impl ClientCall {
    /// The operation, as the AWS CLI names it.
    pub fn operation(&self) -> &str {
        self.operation.as_deref().unwrap_or(DEFAULT_OPERATION)
    }

    /// Whether only AWS CLI clients can run this call.
    pub fn needs_aws_cli(&self) -> bool {
        self.requires.as_deref() == Some("aws-cli")
            || self.profile.is_some()
            || self
                .args
                .iter()
                .any(|a| AWS_CLI_ONLY_OPTIONS.contains(&a.as_str()))
    }
}

/// Whether the client succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exit {
    /// Exit status 0.
    Success,
    /// A non-zero exit status.
    Failure,
}

/// What stdout must look like on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// A JSON object with `authorizationToken` and `expiration`.
    Json,
    /// The token alone on one line (`--query authorizationToken --output text`).
    Token,
    /// `TOKEN<TAB>EXPIRATION` (`--output text`).
    Text,
    /// An ASCII table holding the token (`--output table`).
    Table,
    /// A JSON input skeleton and no request (`--generate-cli-skeleton`).
    Skeleton,
}

/// `output` in `[expect]`: a format (`output = "token"`), or members the JSON output must
/// have (`[expect.output]`), the format then being JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutputSpec {
    /// The format of stdout.
    Format(Output),
    /// Members of the JSON output, by path (`repository.name`, `upstreams.0.repositoryName`).
    Members(BTreeMap<String, MemberExpectation>),
}

/// What one member of the JSON output must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MemberExpectation {
    /// A table: `{ equals = V }`, `{ pattern = "regex" }` (the whole text must match),
    /// `{ present = true }` or `{ present = false }`.
    Rule(MemberRule),
    /// This value exactly; the string `"present"` only asks that the member be there (write
    /// `{ equals = "present" }` for the word itself).
    Value(toml::Value),
}

/// The table form of a [`MemberExpectation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRule {
    /// Exactly this value.
    #[serde(default)]
    pub equals: Option<toml::Value>,
    /// A regular expression the member's text must match whole.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Whether the member must be there (`false`: must be absent).
    #[serde(default)]
    pub present: Option<bool>,
}

/// Which requests the server must have found correctly signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signed {
    /// Every request.
    All,
    /// No request.
    None,
    /// The last request (earlier ones may have failed authentication).
    Last,
}

/// What a conformant client does. `one_of` lists alternatives, any of which conforms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Success or failure.
    #[serde(default)]
    pub exit: Option<Exit>,
    /// The AWS error code the client reports (`An error occurred (CODE) ...`).
    #[serde(default)]
    pub error: Option<String>,
    /// Text the error message must contain.
    #[serde(default)]
    pub message_contains: Option<String>,
    /// Text stderr must contain.
    #[serde(default)]
    pub stderr_contains: Option<String>,
    /// Text stdout must contain (for output that is not JSON: `aws codeartifact login`).
    #[serde(default)]
    pub stdout_contains: Option<String>,
    /// Format of stdout on success (default `json`), or members its JSON must have.
    #[serde(default)]
    pub output: Option<OutputSpec>,
    /// The token's expiration, in seconds after the server's now at the call (exact when the
    /// server clock is frozen).
    #[serde(default)]
    pub expiration_seconds: Option<i64>,
    /// How many requests the server saw (retries included).
    #[serde(default)]
    pub requests: Option<usize>,
    /// Which requests were correctly signed (default: all on success, none for
    /// authentication errors).
    #[serde(default)]
    pub signed: Option<Signed>,
    /// Query parameters every request must carry.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Alternatives: the client conforms when any matches.
    #[serde(default)]
    pub one_of: Vec<Expectation>,
}

/// A conformance scenario.
#[derive(Debug, Clone)]
pub struct ConformanceScenario {
    /// Name (the file's stem).
    pub name: String,
    /// One line on what it checks.
    pub description: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// The whole file, which the mock plays.
    pub text: String,
    /// The mock's part, parsed and checked.
    pub mock: codeartifact_mock::Scenario,
    /// How the client is called.
    pub client: ClientCall,
    /// What a conformant client does.
    pub expect: Expectation,
}

#[derive(Deserialize)]
struct ConformanceParts {
    client: Option<ClientCall>,
    expect: Option<Expectation>,
}

impl ConformanceScenario {
    /// Reads a scenario file; it needs `[client]` and `[expect]`.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let error = |message: String| ScenarioError {
            path: path.to_owned(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
        let mock = codeartifact_mock::Scenario::parse(&text, &path.display().to_string()).map_err(
            |e| {
                error(
                    e.message.clone() + &e.line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                )
            },
        )?;
        let parts: ConformanceParts =
            toml::from_str(&text).map_err(|e| error(e.message().trim().replace('\n', ": ")))?;
        let client = parts
            .client
            .ok_or_else(|| error("no [client] table: not a conformance scenario".into()))?;
        let expect = parts
            .expect
            .ok_or_else(|| error("no [expect] table: not a conformance scenario".into()))?;
        check_expectation(&expect).map_err(error)?;
        Ok(Self {
            name: mock.name.clone(),
            description: mock.description.clone(),
            path: path.to_owned(),
            text,
            mock,
            client,
            expect,
        })
    }

    /// Every `*.toml` scenario in a folder, sorted by name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, ScenarioError> {
        let error = |message: String| ScenarioError {
            path: dir.to_owned(),
            message,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| error(format!("cannot read the scenario folder: {e}")))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let scenarios = paths
            .iter()
            .map(|p| Self::load(p))
            .collect::<Result<Vec<_>, _>>()?;
        if scenarios.is_empty() {
            return Err(error("no *.toml scenarios in the folder".into()));
        }
        Ok(scenarios)
    }
}

fn check_expectation(expect: &Expectation) -> Result<(), String> {
    if let Some(OutputSpec::Members(members)) = &expect.output {
        for (path, expectation) in members {
            if let MemberExpectation::Rule(rule) = expectation {
                if let Some(pattern) = &rule.pattern {
                    regex::Regex::new(pattern)
                        .map_err(|e| format!("[expect.output] {path}: bad pattern: {e}"))?;
                }
                if rule.equals.is_none() && rule.pattern.is_none() && rule.present.is_none() {
                    return Err(format!(
                        "[expect.output] {path}: give `equals`, `pattern` or `present`"
                    ));
                }
            }
        }
    }
    if expect.one_of.is_empty() {
        if expect.exit.is_none() {
            return Err("[expect] needs `exit` (or `one_of` alternatives)".into());
        }
        if expect.exit == Some(Exit::Success)
            && (expect.error.is_some() || expect.message_contains.is_some())
        {
            return Err(
                "[expect] `error` and `message_contains` go with exit = \"failure\"".into(),
            );
        }
    }
    expect.one_of.iter().try_for_each(check_expectation)
}
