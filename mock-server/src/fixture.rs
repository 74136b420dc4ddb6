//! The fixture file: which regions are served, which domains and identities exist.
//!
//! The schema is documented in `docs/fixtures.md` and fixed by issue #2; unknown keys are
//! errors so a typo never silently changes behaviour. Every error names the file, the line
//! where it can, and the offending value.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use toml::Spanned;

use crate::sigv4::SecretKey;

mod groups;
mod pieces;
mod plain;
mod seeds;
mod validate;

pub use groups::PackageGroupSpec;
pub use seeds::{FileSource, PackageSpec, SEEDED_FORMATS};
pub use validate::{account_of_arn, domain_name_problem, is_account_id, is_repository_name};
use validate::{line_of, Validator};

/// The fixture compiled into the binary, served when no `--config` is given.
pub const DEFAULT_FIXTURE: &str = include_str!("../fixtures/default.toml");

/// A fixture that failed to load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file (or `<embedded default>`, `<request body>`).
    pub source_name: String,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    /// What is wrong, naming the value.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.source_name, self.message),
            None => write!(f, "{}: {}", self.source_name, self.message),
        }
    }
}

/// A validated fixture.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Regions this endpoint serves, in file order.
    pub regions: Vec<String>,
    /// Domains.
    pub domains: Vec<DomainSpec>,
    /// Identities.
    pub identities: Vec<IdentitySpec>,
    /// Repositories.
    pub repositories: Vec<RepositorySpec>,
    /// Package versions the repositories hold from the start.
    pub packages: Vec<PackageSpec>,
    /// Package groups the domains have from the start.
    pub package_groups: Vec<PackageGroupSpec>,
}

/// One `[[repositories]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepositorySpec {
    /// The domain it belongs to.
    pub domain: String,
    /// The domain's owner.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// The one region it exists in; `None` for every region its domain exists in.
    pub region: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Upstream repositories of the same domain, in priority order.
    pub upstreams: Vec<String>,
    /// The external connection (`public:npmjs`, ...).
    pub external_connection: Option<String>,
    /// The repository's permissions policy (IAM JSON), when it has one.
    pub policy: Option<String>,
}

/// External connections CodeArtifact offers, with the package format of each (the API
/// reference of AssociateExternalConnection).
pub const EXTERNAL_CONNECTIONS: [(&str, &str); 10] = [
    ("public:npmjs", "npm"),
    ("public:nuget-org", "nuget"),
    ("public:pypi", "pypi"),
    ("public:maven-central", "maven"),
    ("public:maven-googleandroid", "maven"),
    ("public:maven-gradleplugins", "maven"),
    ("public:maven-commonsware", "maven"),
    ("public:maven-clojars", "maven"),
    ("public:ruby-gems-org", "ruby"),
    ("public:crates-io", "cargo"),
];

/// Most upstream repositories a repository may have (CodeArtifact's quota).
pub const MAX_UPSTREAMS: usize = 10;

/// One `[[domains]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DomainSpec {
    /// Domain name.
    pub name: String,
    /// Owning account (12 digits).
    pub owner: String,
    /// The one region it exists in; `None` means every served region.
    pub region: Option<String>,
    /// Other accounts or principal ARNs the domain policy lets in (`*` for anyone).
    pub allow_principals: Vec<String>,
    /// The domain's permissions policy (IAM JSON), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// One `[[identities]]` entry.
#[derive(Debug, Clone)]
pub struct IdentitySpec {
    /// Principal ARN.
    pub arn: String,
    /// Account, taken from the ARN.
    pub account: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: SecretKey,
    /// For temporary credentials.
    pub session: Option<SessionSpec>,
    /// Allowed actions (`service:Action`, `service:*` or `*`).
    pub allow: Vec<String>,
}

/// A fixture without its secrets, as the control API shows it.
#[derive(Debug, serde::Serialize)]
pub struct FixtureView<'a> {
    /// Served regions.
    pub regions: &'a [String],
    /// Domains.
    pub domains: &'a [DomainSpec],
    /// Identities, without secret keys and session tokens.
    pub identities: Vec<IdentityView<'a>>,
    /// Repositories.
    pub repositories: &'a [RepositorySpec],
}

/// An identity without its secrets.
#[derive(Debug, serde::Serialize)]
pub struct IdentityView<'a> {
    /// Principal ARN.
    pub arn: &'a str,
    /// Account.
    pub account: &'a str,
    /// Access key id (not a secret).
    pub access_key_id: &'a str,
    /// Whether the credentials are temporary (session credentials).
    pub temporary: bool,
    /// When temporary credentials expire (RFC 3339), if they do.
    pub expires_at: Option<String>,
    /// Allowed actions.
    pub allow: &'a [String],
}

/// The temporary part of session credentials.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    /// The session token the key was issued with.
    pub token: SecretKey,
    /// When the credentials stop working.
    pub expiry: SessionExpiry,
}

/// When session credentials expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionExpiry {
    /// Never (no `expires_in_seconds` nor `expiration`).
    Never,
    /// Seconds after the fixture is loaded (negative: already expired).
    AfterLoad(i64),
    /// At a fixed time.
    At(SystemTime),
}

impl SessionExpiry {
    /// The expiry as a point in time, for a fixture loaded at `loaded_at`.
    pub fn resolve(self, loaded_at: SystemTime) -> Option<SystemTime> {
        match self {
            Self::Never => None,
            Self::AfterLoad(seconds) if seconds >= 0 => {
                Some(loaded_at + Duration::from_secs(seconds.unsigned_abs()))
            }
            Self::AfterLoad(seconds) => {
                Some(loaded_at - Duration::from_secs(seconds.unsigned_abs()))
            }
            Self::At(time) => Some(time),
        }
    }
}

/// The array a table-header line opens. Both fast paths (`plain`, `pieces`) recognise entries
/// by this one rule: exactly `[[domains]]` or `[[identities]]`, trailing blanks allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryTable {
    Domains,
    Identities,
}

fn entry_table(line: &str) -> Option<EntryTable> {
    match line.trim_end_matches([' ', '\t', '\r']) {
        "[[domains]]" => Some(EntryTable::Domains),
        "[[identities]]" => Some(EntryTable::Identities),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixture {
    regions: Vec<Spanned<String>>,
    #[serde(default)]
    domains: Vec<RawDomain>,
    #[serde(default)]
    identities: Vec<RawIdentity>,
    #[serde(default)]
    repositories: Vec<RawRepository>,
    #[serde(default)]
    packages: Vec<seeds::RawPackage>,
    #[serde(default)]
    package_groups: Vec<groups::RawPackageGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepository {
    domain: Spanned<String>,
    owner: Option<Spanned<String>>,
    name: Spanned<String>,
    region: Option<Spanned<String>>,
    description: Option<String>,
    #[serde(default)]
    upstreams: Vec<Spanned<String>>,
    external_connection: Option<Spanned<String>>,
    policy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    name: Spanned<String>,
    owner: Spanned<String>,
    region: Option<Spanned<String>>,
    #[serde(default)]
    allow_principals: Vec<Spanned<String>>,
    policy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    arn: Spanned<String>,
    access_key_id: Spanned<String>,
    secret_access_key: Spanned<String>,
    session_token: Option<Spanned<String>>,
    expires_in_seconds: Option<Spanned<i64>>,
    expiration: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
}

impl Fixture {
    /// The embedded default fixture.
    pub fn embedded_default() -> Self {
        Self::parse_with_files(DEFAULT_FIXTURE, "<embedded default>", &FileSource::Embedded)
            .unwrap_or_else(|e| unreachable!("the embedded fixture is tested to be valid: {e}"))
    }

    /// Reads and validates a fixture file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            source_name: path.display().to_string(),
            line: None,
            message: format!("cannot read the fixture: {e}"),
        })?;
        let dir = path.parent().map_or_else(|| Path::new(".").to_owned(), Path::to_owned);
        Self::parse_with_files(&text, &path.display().to_string(), &FileSource::Dir(dir))
    }

    /// Parses and validates fixture TOML that came as text; `source_name` goes into error
    /// messages; it may seed only the built-in package files (a text names no folder, and a
    /// caller of the control API must not make the mock serve files of its choosing).
    pub fn parse(text: &str, source_name: &str) -> Result<Self, LoadError> {
        Self::parse_with_files(text, source_name, &FileSource::Embedded)
    }

    /// [`Fixture::parse`], package files read from `files`.
    pub fn parse_with_files(text: &str, source_name: &str, files: &FileSource) -> Result<Self, LoadError> {
        let error = |span: Option<Range<usize>>, message: String| LoadError {
            source_name: source_name.to_owned(),
            line: span.map(|s| line_of(text, s.start)),
            message,
        };
        let validator = Validator { error: &error, files };
        // Fast paths first (plain TOML read directly; large documents in parallel pieces);
        // whatever they cannot vouch for goes to the whole parse below.
        let in_pieces = plain::parse(text)
            .or_else(|| pieces::parse(text))
            .and_then(|raw| validator.fixture(raw).ok());
        let fixture = match in_pieces {
            Some(fixture) => fixture,
            // The whole text at once: what a mistake's line is named from.
            None => {
                // toml's messages can span lines; errors here are one line.
                let raw: RawFixture = toml::from_str(text).map_err(|e| {
                    error(
                        e.span(),
                        e.message().trim().lines().collect::<Vec<_>>().join(": "),
                    )
                })?;
                validator.fixture(raw)?
            }
        };
        Ok(fixture)
    }

    /// Parses a fixture sent as JSON (same schema as the TOML file).
    pub fn parse_json(text: &str, source_name: &str) -> Result<Self, LoadError> {
        let no_line = |message: String| LoadError {
            source_name: source_name.to_owned(),
            line: None,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| no_line(format!("invalid JSON: {e}")))?;
        let toml_text =
            toml::to_string(&value).map_err(|e| no_line(format!("not a fixture: {e}")))?;
        Self::parse(&toml_text, source_name).map_err(|e| LoadError { line: None, ..e })
    }

    /// What `GET /_mock/config` shows of this fixture, loaded at `loaded_at`: everything but
    /// secret keys and session tokens, session expiries as points in time.
    pub fn view(&self, loaded_at: SystemTime) -> FixtureView<'_> {
        FixtureView {
            regions: &self.regions,
            domains: &self.domains,
            identities: self
                .identities
                .iter()
                .map(|i| IdentityView {
                    arn: &i.arn,
                    account: &i.account,
                    access_key_id: &i.access_key_id,
                    temporary: i.session.is_some(),
                    expires_at: i
                        .session
                        .as_ref()
                        .and_then(|s| s.expiry.resolve(loaded_at))
                        .map(|t| humantime::format_rfc3339(t).to_string()),
                    allow: &i.allow,
                })
                .collect(),
            repositories: &self.repositories,
        }
    }

    /// This fixture as a document of the file's schema (secrets included: it is what a
    /// fixture file holding the same world would say).
    pub fn to_document(&self) -> toml::Table {
        use toml::Value;
        let strings =
            |items: &[String]| Value::Array(items.iter().cloned().map(Value::from).collect());
        let domains = self.domains.iter().map(|d| {
            let mut entry = toml::Table::new();
            entry.insert("name".into(), d.name.clone().into());
            entry.insert("owner".into(), d.owner.clone().into());
            if let Some(region) = &d.region {
                entry.insert("region".into(), region.clone().into());
            }
            if !d.allow_principals.is_empty() {
                entry.insert("allow_principals".into(), strings(&d.allow_principals));
            }
            if let Some(policy) = &d.policy {
                entry.insert("policy".into(), policy.clone().into());
            }
            Value::Table(entry)
        });
        let identities = self.identities.iter().map(|i| {
            let mut entry = toml::Table::new();
            entry.insert("arn".into(), i.arn.clone().into());
            entry.insert("access_key_id".into(), i.access_key_id.clone().into());
            entry.insert(
                "secret_access_key".into(),
                i.secret_access_key.expose().into(),
            );
            if let Some(session) = &i.session {
                entry.insert("session_token".into(), session.token.expose().into());
                match session.expiry {
                    SessionExpiry::Never => {}
                    SessionExpiry::AfterLoad(seconds) => {
                        entry.insert("expires_in_seconds".into(), seconds.into());
                    }
                    SessionExpiry::At(time) => {
                        let text = humantime::format_rfc3339(time).to_string();
                        entry.insert("expiration".into(), text.into());
                    }
                }
            }
            if !i.allow.is_empty() {
                entry.insert("allow".into(), strings(&i.allow));
            }
            Value::Table(entry)
        });
        let repositories = self.repositories.iter().map(|r| {
            let mut entry = toml::Table::new();
            entry.insert("domain".into(), r.domain.clone().into());
            entry.insert("owner".into(), r.owner.clone().into());
            entry.insert("name".into(), r.name.clone().into());
            if let Some(region) = &r.region {
                entry.insert("region".into(), region.clone().into());
            }
            if let Some(description) = &r.description {
                entry.insert("description".into(), description.clone().into());
            }
            if !r.upstreams.is_empty() {
                entry.insert("upstreams".into(), strings(&r.upstreams));
            }
            if let Some(connection) = &r.external_connection {
                entry.insert("external_connection".into(), connection.clone().into());
            }
            if let Some(policy) = &r.policy {
                entry.insert("policy".into(), policy.clone().into());
            }
            Value::Table(entry)
        });
        let mut document = toml::Table::new();
        document.insert("regions".into(), strings(&self.regions));
        document.insert("domains".into(), Value::Array(domains.collect()));
        document.insert("identities".into(), Value::Array(identities.collect()));
        document.insert("repositories".into(), Value::Array(repositories.collect()));
        if !self.package_groups.is_empty() {
            let groups = self.package_groups.iter().map(|g| Value::Table(g.to_document()));
            document.insert("package_groups".into(), Value::Array(groups.collect()));
        }
        document
    }

    /// This fixture with some top-level keys (`regions`, `domains`, `identities`,
    /// `repositories`, `package_groups`) replaced, validated as a whole. The fixture's own
    /// values are the base, whether it was read from a file or built or edited in code.
    /// Replacing `domains` without `repositories` (or `package_groups`) drops those of domains
    /// that are gone (they go with their domain), so an override written before fixtures had
    /// repositories keeps working.
    pub fn with_overrides(
        &self,
        overrides: &toml::Table,
        source_name: &str,
    ) -> Result<Self, LoadError> {
        let mut merged = self.to_document();
        for (key, value) in overrides {
            merged.insert(key.clone(), value.clone());
        }
        if overrides.contains_key("domains") {
            let names: Vec<(String, Option<String>)> = merged
                .get("domains")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .map(|d| {
                    let text = |key: &str| d.get(key).and_then(toml::Value::as_str).map(str::to_owned);
                    (text("name").unwrap_or_default(), text("owner"))
                })
                .collect();
            for (table, given) in [("repositories", "repositories"), ("package_groups", "package_groups")] {
                if overrides.contains_key(given) {
                    continue;
                }
                if let Some(toml::Value::Array(entries)) = merged.get_mut(table) {
                    entries.retain(|r| {
                        let text = |key: &str| r.get(key).and_then(toml::Value::as_str).map(str::to_owned);
                        let (domain, owner) = (text("domain").unwrap_or_default(), text("owner"));
                        names.iter().any(|(name, o)| *name == domain && (owner.is_none() || *o == owner))
                    });
                }
            }
        }
        let text = toml::to_string(&merged).map_err(|e| LoadError {
            source_name: source_name.to_owned(),
            line: None,
            message: e.to_string(),
        })?;
        // Lines would point into the merged text, not the user's file: leave them out.
        let mut fixture = Self::parse(&text, source_name).map_err(|e| LoadError { line: None, ..e })?;
        // Seeded packages have no document form (their files were read): they stay, in the
        // repositories that stay.
        fixture.packages = self
            .packages
            .iter()
            .filter(|p| {
                fixture.repositories.iter().any(|r| {
                    r.name == p.repository && r.domain == p.domain && r.owner == p.owner
                })
            })
            .cloned()
            .collect();
        Ok(fixture)
    }
}

#[cfg(test)]
mod tests;
