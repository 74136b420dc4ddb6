//! The fixture file: which regions are served, which domains and identities exist.
//!
//! The schema is documented in `docs/fixtures.md` and fixed by issue #2; unknown keys are
//! errors so a typo never silently changes behaviour. Every error names the file, the line
//! where it can, and the offending value.

use std::collections::{HashMap, HashSet};
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

pub use groups::PackageGroupSpec;
pub use seeds::{FileSource, PackageSpec, SEEDED_FORMATS};

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

struct Validator<'e, E: Fn(Option<Range<usize>>, String) -> LoadError> {
    error: &'e E,
    /// Where `[[packages]]` files are read from.
    files: &'e FileSource,
}

impl<E: Fn(Option<Range<usize>>, String) -> LoadError> Validator<'_, E> {
    fn at<T>(&self, spanned: &Spanned<T>, message: String) -> LoadError {
        (self.error)(Some(spanned.span()), message)
    }

    fn fixture(&self, raw: RawFixture) -> Result<Fixture, LoadError> {
        if raw.regions.is_empty() {
            return Err((self.error)(
                None,
                "`regions` must list at least one region".into(),
            ));
        }
        let mut regions = Vec::with_capacity(raw.regions.len());
        for region in &raw.regions {
            if !is_region_name(region.get_ref()) {
                return Err(self.at(
                    region,
                    format!("invalid region name '{}'", region.get_ref()),
                ));
            }
            if regions.contains(region.get_ref()) {
                return Err(self.at(
                    region,
                    format!("region '{}' is listed twice", region.get_ref()),
                ));
            }
            regions.push(region.get_ref().clone());
        }
        let domains = raw
            .domains
            .into_iter()
            .map(|d| self.domain(d, &regions))
            .collect::<Result<Vec<_>, _>>()?;
        self.no_overlapping_domains(&domains)?;
        let mut seen_keys = HashSet::new();
        let mut identities = Vec::with_capacity(raw.identities.len());
        for raw_identity in raw.identities {
            if !seen_keys.insert(raw_identity.access_key_id.get_ref().clone()) {
                return Err(self.at(
                    &raw_identity.access_key_id,
                    format!(
                        "duplicate access key id '{}'",
                        raw_identity.access_key_id.get_ref()
                    ),
                ));
            }
            identities.push(self.identity(raw_identity)?);
        }
        let domains: Vec<DomainSpec> = domains.into_iter().map(|(spec, _)| spec).collect();
        let repositories = self.repositories(raw.repositories, &domains, &regions)?;
        let packages = self.packages(raw.packages, &repositories, self.files)?;
        let package_groups = self.package_groups(raw.package_groups, &domains, &repositories)?;
        Ok(Fixture {
            regions,
            domains,
            identities,
            repositories,
            packages,
            package_groups,
        })
    }

    /// Each repository in a domain of the fixture (where it exists), named as CodeArtifact
    /// names them, once; upstreams in the same domain, at most ten, without a cycle.
    fn repositories(
        &self,
        raw: Vec<RawRepository>,
        domains: &[DomainSpec],
        regions: &[String],
    ) -> Result<Vec<RepositorySpec>, LoadError> {
        let mut specs: Vec<RepositorySpec> = Vec::with_capacity(raw.len());
        let mut names = Vec::with_capacity(raw.len());
        for entry in raw {
            let name = entry.name.get_ref();
            if !is_repository_name(name) {
                return Err(self.at(&entry.name, format!("invalid repository name '{name}': 2 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")));
            }
            let domain_name = entry.domain.get_ref();
            let candidates: Vec<&DomainSpec> = domains
                .iter()
                .filter(|d| &d.name == domain_name)
                .filter(|d| entry.owner.as_ref().is_none_or(|o| o.get_ref() == &d.owner))
                .collect();
            let owners: HashSet<&str> = candidates.iter().map(|d| d.owner.as_str()).collect();
            let owner = match (owners.len(), &entry.owner) {
                (0, _) => return Err(self.at(&entry.domain, format!("repository '{name}' names domain '{domain_name}', which no [[domains]] entry defines{}", entry.owner.as_ref().map(|o| format!(" for owner '{}'", o.get_ref())).unwrap_or_default()))),
                (1, _) => candidates[0].owner.clone(),
                (_, _) => return Err(self.at(&entry.domain, format!("domain '{domain_name}' exists for several owners: give the repository '{name}' an `owner`"))),
            };
            if let Some(region) = &entry.region {
                let exists = candidates.iter().any(|d| d.region.as_ref().is_none_or(|r| r == region.get_ref()));
                if !regions.contains(region.get_ref()) || !exists {
                    return Err(self.at(region, format!("repository '{name}': domain '{domain_name}' does not exist in region '{}'", region.get_ref())));
                }
            }
            let region = entry.region.map(Spanned::into_inner);
            let clash = specs.iter().any(|other| {
                other.name == *name
                    && other.domain == *domain_name
                    && other.owner == owner
                    && (other.region.is_none() || region.is_none() || other.region == region)
            });
            if clash {
                return Err(self.at(&entry.name, format!("repository '{name}' is defined twice in domain '{domain_name}'")));
            }
            if entry.upstreams.len() > MAX_UPSTREAMS {
                return Err(self.at(&entry.name, format!("repository '{name}' has {} upstreams; at most {MAX_UPSTREAMS}", entry.upstreams.len())));
            }
            if let Some(connection) = &entry.external_connection {
                if !EXTERNAL_CONNECTIONS.iter().any(|(c, _)| c == connection.get_ref()) {
                    let known: Vec<&str> = EXTERNAL_CONNECTIONS.iter().map(|(c, _)| *c).collect();
                    return Err(self.at(connection, format!("unknown external connection '{}': one of {}", connection.get_ref(), known.join(", "))));
                }
            }
            names.push((entry.name.clone(), entry.upstreams.clone()));
            let policy = self.policy(entry.policy)?;
            specs.push(RepositorySpec {
                domain: domain_name.clone(),
                owner,
                name: name.clone(),
                region,
                description: entry.description,
                upstreams: entry.upstreams.iter().map(|u| u.get_ref().clone()).collect(),
                external_connection: entry.external_connection.map(Spanned::into_inner),
                policy,
            });
        }
        for (spec, (name, upstreams)) in specs.iter().zip(&names) {
            for upstream in upstreams {
                let known = specs.iter().any(|r| {
                    r.name == *upstream.get_ref() && r.domain == spec.domain && r.owner == spec.owner
                });
                if !known {
                    return Err(self.at(upstream, format!("repository '{}' names upstream '{}', which is no repository of domain '{}'", spec.name, upstream.get_ref(), spec.domain)));
                }
            }
            if let Some(cycle) = upstream_cycle(&specs, spec) {
                return Err(self.at(name, format!("repository '{}' is its own upstream through {}", spec.name, cycle.join(" -> "))));
            }
        }
        Ok(specs)
    }

    fn domain(
        &self,
        raw: RawDomain,
        regions: &[String],
    ) -> Result<(DomainSpec, Spanned<String>), LoadError> {
        if let Some(problem) = domain_name_problem(raw.name.get_ref()) {
            return Err(self.at(
                &raw.name,
                format!("invalid domain name '{}': {problem}", raw.name.get_ref()),
            ));
        }
        if !is_account_id(raw.owner.get_ref()) {
            return Err(self.at(
                &raw.owner,
                format!(
                    "invalid domain owner '{}': must be 12 digits",
                    raw.owner.get_ref()
                ),
            ));
        }
        if let Some(region) = &raw.region {
            if !regions.contains(region.get_ref()) {
                return Err(self.at(
                    region,
                    format!(
                        "domain region '{}' is not one of `regions`",
                        region.get_ref()
                    ),
                ));
            }
        }
        for principal in &raw.allow_principals {
            let p = principal.get_ref();
            if !(p == "*" || is_account_id(p) || account_of_arn(p).is_some()) {
                return Err(self.at(principal, format!("invalid principal '{p}': expected a 12-digit account, an IAM or STS ARN, or \"*\"")));
            }
        }
        let policy = self.policy(raw.policy)?;
        let spec = DomainSpec {
            name: raw.name.get_ref().clone(),
            owner: raw.owner.into_inner(),
            region: raw.region.map(Spanned::into_inner),
            allow_principals: raw
                .allow_principals
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            policy,
        };
        Ok((spec, raw.name))
    }

    /// A `policy` key, read as the API reads a permissions policy.
    fn policy(&self, raw: Option<Spanned<String>>) -> Result<Option<String>, LoadError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        if let Err(problem) = crate::policy::Policy::parse(raw.get_ref()) {
            return Err(self.at(&raw, format!("invalid policy: {problem}")));
        }
        Ok(Some(raw.into_inner()))
    }

    fn no_overlapping_domains(
        &self,
        domains: &[(DomainSpec, Spanned<String>)],
    ) -> Result<(), LoadError> {
        // Indexed by (name, owner), so ten thousand domains cost ten thousand lookups.
        let mut seen: HashMap<(&str, &str), Vec<&Option<String>>> = HashMap::new();
        for (b, b_name) in domains {
            let regions = seen.entry((b.name.as_str(), b.owner.as_str())).or_default();
            let clash = regions
                .iter()
                .any(|a| a.is_none() || b.region.is_none() || **a == b.region);
            regions.push(&b.region);
            if clash {
                return Err(self.at(
                    b_name,
                    format!(
                        "domain '{}' owned by '{}' is defined twice in the same region",
                        b.name, b.owner
                    ),
                ));
            }
        }
        Ok(())
    }

    fn identity(&self, raw: RawIdentity) -> Result<IdentitySpec, LoadError> {
        let Some(account) = account_of_arn(raw.arn.get_ref()) else {
            return Err(self.at(&raw.arn, format!("identity ARN '{}' has no account: expected arn:aws:iam::123456789012:user/name or arn:aws:sts::123456789012:assumed-role/role/session", raw.arn.get_ref())));
        };
        let key = raw.access_key_id.get_ref();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(self.at(
                &raw.access_key_id,
                format!("invalid access key id '{key}': letters and digits only"),
            ));
        }
        if raw.secret_access_key.get_ref().is_empty() {
            return Err(self.at(
                &raw.secret_access_key,
                format!("identity '{key}' has an empty secret_access_key"),
            ));
        }
        for action in &raw.allow {
            if !is_action_pattern(action.get_ref()) {
                return Err(self.at(
                    action,
                    format!(
                        "invalid action '{}': expected service:Action, service:* or *",
                        action.get_ref()
                    ),
                ));
            }
        }
        let expiry = match (&raw.expires_in_seconds, &raw.expiration) {
            (Some(_), Some(expiration)) => {
                return Err(self.at(
                    expiration,
                    format!("identity '{key}' sets both expires_in_seconds and expiration"),
                ));
            }
            (Some(seconds), None) => SessionExpiry::AfterLoad(*seconds.get_ref()),
            (None, Some(expiration)) => {
                match humantime::parse_rfc3339_weak(expiration.get_ref()) {
                    Ok(time) => SessionExpiry::At(time),
                    Err(_) => {
                        return Err(self.at(expiration, format!("invalid expiration '{}': expected RFC 3339, e.g. 2026-01-01T00:00:00Z", expiration.get_ref())));
                    }
                }
            }
            (None, None) => SessionExpiry::Never,
        };
        let session = match raw.session_token {
            Some(token) => Some(SessionSpec {
                token: SecretKey::new(token.into_inner()),
                expiry,
            }),
            None if expiry != SessionExpiry::Never => {
                return Err(self.at(&raw.access_key_id, format!("identity '{key}' has an expiry but no session_token: only temporary credentials expire")));
            }
            None => None,
        };
        Ok(IdentitySpec {
            arn: raw.arn.get_ref().clone(),
            account,
            access_key_id: raw.access_key_id.into_inner(),
            secret_access_key: SecretKey::new(raw.secret_access_key.into_inner()),
            session,
            allow: raw.allow.into_iter().map(Spanned::into_inner).collect(),
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Whether `name` is a CodeArtifact repository name (`[A-Za-z0-9][A-Za-z0-9._\-]{1,99}`).
pub fn is_repository_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=100).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The path back to `start` through upstreams of the same domain, if there is one.
fn upstream_cycle(specs: &[RepositorySpec], start: &RepositorySpec) -> Option<Vec<String>> {
    let upstreams_of = |name: &str| {
        specs
            .iter()
            .find(|r| r.name == name && r.domain == start.domain && r.owner == start.owner)
            .map(|r| r.upstreams.clone())
            .unwrap_or_default()
    };
    let mut stack: Vec<Vec<String>> = vec![vec![start.name.clone()]];
    let mut seen = HashSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().cloned().unwrap_or_default();
        for next in upstreams_of(&last) {
            let mut longer = path.clone();
            longer.push(next.clone());
            if next == start.name {
                return Some(longer);
            }
            if seen.insert(next) {
                stack.push(longer);
            }
        }
    }
    None
}

/// Why a domain name breaks CodeArtifact's rules (2-50 characters,
/// `[a-z][a-z0-9\-]{0,48}[a-z0-9]`), or `None` when it is valid.
pub fn domain_name_problem(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if !(2..=50).contains(&bytes.len()) {
        return Some("must be 2 to 50 characters long");
    }
    let first_ok = bytes[0].is_ascii_lowercase();
    let last_ok =
        bytes[bytes.len() - 1].is_ascii_lowercase() || bytes[bytes.len() - 1].is_ascii_digit();
    let middle_ok = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if first_ok && last_ok && middle_ok {
        None
    } else {
        Some(r"must match [a-z][a-z0-9\-]{0,48}[a-z0-9]")
    }
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The account of an IAM or STS ARN (`arn:aws:iam::123456789012:user/x`).
pub fn account_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let known = matches!(service, "iam" | "sts") && !partition.is_empty() && !resource.is_empty();
    (known && is_account_id(account)).then(|| account.to_owned())
}

fn is_region_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_action_pattern(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    word(service) && (name == "*" || word(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        Fixture::parse(text, "f.toml").unwrap_err().to_string()
    }

    #[test]
    fn the_embedded_default_is_valid_and_serves_the_manual_page_example() {
        let fixture = Fixture::embedded_default();
        assert!(fixture.regions.iter().any(|r| r == "us-east-1"));
        assert!(fixture
            .domains
            .iter()
            .any(|d| d.name == "test-domain" && d.owner == "111122223333" && d.region.is_none()));
        let example = fixture
            .identities
            .iter()
            .find(|i| i.access_key_id == "AKIAIOSFODNN7EXAMPLE")
            .unwrap();
        assert!(example
            .secret_access_key
            .matches("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(fixture.identities.iter().any(|i| i.access_key_id == "test"));
        assert!(fixture.identities.iter().any(|i| i.session.is_some()));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        assert!(error_of("regions = [\"us-east-1\"]\n[[domains]\n").starts_with("f.toml:2: "));
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let e = error_of("regions = [\"us-east-1\"]\n\n[[domains]]\nname = \"acme\"\nowner = \"111122223333\"\nonwer = \"x\"\n");
        assert!(e.starts_with("f.toml:6: unknown field `onwer`"), "{e}");
    }

    #[test]
    fn invalid_domain_names_and_owners_are_named() {
        let e = error_of(
            "regions = [\"us-east-1\"]\n[[domains]]\nname = \"Acme\"\nowner = \"111122223333\"\n",
        );
        assert_eq!(
            e,
            r"f.toml:3: invalid domain name 'Acme': must match [a-z][a-z0-9\-]{0,48}[a-z0-9]"
        );
        let e = error_of(
            "regions = [\"us-east-1\"]\n[[domains]]\nname = \"acme\"\nowner = \"1111-2222-3333\"\n",
        );
        assert_eq!(
            e,
            "f.toml:4: invalid domain owner '1111-2222-3333': must be 12 digits"
        );
    }

    #[test]
    fn duplicate_access_keys_are_refused() {
        let identity = "[[identities]]\narn = \"arn:aws:iam::111122223333:user/a\"\naccess_key_id = \"AKIA1\"\nsecret_access_key = \"s\"\n";
        let e = error_of(&format!("regions = [\"us-east-1\"]\n{identity}{identity}"));
        assert_eq!(e, "f.toml:8: duplicate access key id 'AKIA1'");
    }

    #[test]
    fn an_arn_without_an_account_is_refused() {
        let e = error_of("regions = [\"us-east-1\"]\n[[identities]]\narn = \"arn:aws:iam:::user/a\"\naccess_key_id = \"AKIA1\"\nsecret_access_key = \"s\"\n");
        assert!(
            e.starts_with("f.toml:3: identity ARN 'arn:aws:iam:::user/a' has no account"),
            "{e}"
        );
    }

    #[test]
    fn session_expiry_needs_a_session_token() {
        let e = error_of("regions = [\"us-east-1\"]\n[[identities]]\narn = \"arn:aws:iam::111122223333:user/a\"\naccess_key_id = \"AKIA1\"\nsecret_access_key = \"s\"\nexpires_in_seconds = 5\n");
        assert!(e.contains("has an expiry but no session_token"), "{e}");
    }

    #[test]
    fn domain_region_must_be_served() {
        let e = error_of("regions = [\"us-east-1\"]\n[[domains]]\nname = \"acme\"\nowner = \"111122223333\"\nregion = \"eu-west-1\"\n");
        assert_eq!(
            e,
            "f.toml:5: domain region 'eu-west-1' is not one of `regions`"
        );
    }

    #[test]
    fn json_fixtures_use_the_same_schema_and_checks() {
        let ok = Fixture::parse_json(
            r#"{"regions": ["us-east-1"], "domains": [{"name": "acme", "owner": "111122223333"}]}"#,
            "body",
        )
        .unwrap();
        assert_eq!(ok.domains[0].name, "acme");
        let e = Fixture::parse_json(
            r#"{"regions": ["us-east-1"], "domains": [{"name": "A", "owner": "111122223333"}]}"#,
            "body",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("body: invalid domain name 'A'"),
            "{e}"
        );
    }

    #[test]
    fn package_groups_name_a_domain_a_valid_pattern_modes_and_its_repositories() {
        let base = "regions = [\"us-east-1\"]\n[[domains]]\nname = \"acme\"\nowner = \"111122223333\"\n[[repositories]]\ndomain = \"acme\"\nname = \"store\"\n[[package_groups]]\ndomain = \"acme\"\n";
        let with = |rest: &str| Fixture::parse(&format!("{base}{rest}"), "f.toml").map_err(|e| e.to_string());
        let good = "pattern = \"/npm/internal~\"\npublish = \"ALLOW_SPECIFIC_REPOSITORIES\"\ninternal_upstream = \"BLOCK\"\nallowed_repositories = { publish = [\"store\"] }\ndescription = \"Internal\"\n";
        let fixture = with(good).unwrap();
        let group = &fixture.package_groups[0];
        assert_eq!((group.owner.as_str(), group.pattern.as_str()), ("111122223333", "/npm/internal~"));
        assert_eq!(group.allowed[&crate::package_groups::RestrictionType::Publish], ["store"]);
        // Written back and read again, it is the same.
        let text = toml::to_string(&fixture.to_document()).unwrap();
        assert_eq!(Fixture::parse(&text, "again").unwrap().package_groups, fixture.package_groups);
        let cases = [
            (good.replace("/npm/internal~", "npm/*"), "Invalid package group pattern 'npm/*'"),
            (good.replace("\"BLOCK\"", "\"NEVER\""), "'NEVER' is not a restriction mode"),
            (good.replace("[\"store\"]", "[\"nope\"]"), "allows repository 'nope'"),
            ("pattern = \"/*\"\npublish = \"INHERIT\"\n".to_owned(), "no parent to inherit from"),
            (format!("{good}[[package_groups]]\ndomain = \"acme\"\n{good}"), "is defined twice"),
            (format!("{good}[[package_groups]]\ndomain = \"other\"\npattern = \"/*\"\n"), "names domain 'other'"),
        ];
        for (rest, expected) in cases {
            let error = with(&rest).unwrap_err();
            assert!(error.contains(expected), "{rest}: {error}");
            assert!(error.starts_with("f.toml:"), "a line for {rest}: {error}");
        }
    }

    #[test]
    fn packages_name_a_repository_a_served_format_and_a_readable_file() {
        let base = "regions = [\"us-east-1\"]\n[[domains]]\nname = \"acme\"\nowner = \"111122223333\"\n[[repositories]]\ndomain = \"acme\"\nname = \"store\"\n[[packages]]\ndomain = \"acme\"\n";
        let with = |rest: &str| {
            Fixture::parse_with_files(&format!("{base}{rest}"), "f.toml", &FileSource::Embedded)
                .map_err(|e| e.to_string())
        };
        let good = "repository = \"store\"\nformat = \"npm\"\nname = \"mock-hello\"\nversion = \"1.0.0\"\nfile = \"packages/mock-hello-1.0.0.tgz\"\n";
        let fixture = with(good).unwrap();
        assert_eq!(fixture.packages[0].owner, "111122223333");
        assert!(!fixture.packages[0].content.is_empty());
        let cases = [
            (good.replace("store", "nope"), "names repository 'nope' of domain 'acme'"),
            (good.replace("\"npm\"", "\"ruby\""), "format 'ruby' cannot be seeded"),
            (good.replace("\"npm\"", "\"maven\""), "maven package 'mock-hello' needs a `namespace`"),
            (format!("namespace = \"acme\"\n{good}"), "npm packages take no `namespace` (an npm scope"),
            (good.replace("\"npm\"", "\"nuget\""), "is not a .nupkg of mock-hello 1.0.0"),
            (good.replace("1.0.0", "1.0 0"), "without '#', '/' or spaces"),
            (good.replace("mock-hello-1.0.0.tgz", "missing.tgz"), "seeds only the built-in files"),
            (format!("{good}[[packages]]\ndomain = \"acme\"\n{good}"), "is seeded twice"),
        ];
        for (rest, expected) in cases {
            let error = with(&rest).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
        // From a file, package files are read next to it.
        let error = Fixture::parse_with_files(
            &format!("{base}{}", good.replace("packages/", "no-such-dir/")),
            "f.toml",
            &FileSource::Dir(".".into()),
        )
        .unwrap_err();
        assert!(error.to_string().contains("cannot read ./no-such-dir/mock-hello-1.0.0.tgz"), "{error}");
    }

    #[test]
    fn overrides_replace_whole_keys_and_revalidate() {
        let base = Fixture::embedded_default();
        let overrides: toml::Table = toml::from_str("regions = [\"eu-west-1\"]").unwrap();
        let merged = base.with_overrides(&overrides, "scenario").unwrap();
        assert_eq!(merged.regions, ["eu-west-1"]);
        assert_eq!(merged.identities.len(), base.identities.len());
        let bad: toml::Table = toml::from_str("regions = []").unwrap();
        assert!(base.with_overrides(&bad, "scenario").is_err());
    }

    #[test]
    fn overriding_domains_alone_takes_their_repositories_along() {
        // The embedded default has repositories in test-domain; an override written before
        // fixtures had repositories replaces the domains and keeps working.
        let base = Fixture::embedded_default();
        assert!(!base.repositories.is_empty());
        let overrides: toml::Table =
            toml::from_str("domains = [{ name = \"acme\", owner = \"111122223333\" }]").unwrap();
        let merged = base.with_overrides(&overrides, "scenario").unwrap();
        assert!(merged.repositories.is_empty());
        // Keeping test-domain of one owner keeps its repositories only.
        let overrides: toml::Table = toml::from_str(
            "domains = [{ name = \"test-domain\", owner = \"111122223333\" }]",
        )
        .unwrap();
        let merged = base.with_overrides(&overrides, "scenario").unwrap();
        assert_eq!(merged.repositories.len(), 2);
        assert!(merged.repositories.iter().all(|r| r.owner == "111122223333"));
    }

    #[test]
    fn overrides_keep_edits_made_in_code() {
        let mut edited = Fixture::embedded_default();
        edited.repositories.clear();
        edited.domains.truncate(1);
        edited.domains[0].name = "edited-in-code".into();
        edited.identities[0].allow = vec!["codeartifact:GetAuthorizationToken".into()];
        let overrides: toml::Table = toml::from_str("regions = [\"eu-west-1\"]").unwrap();
        let merged = edited.with_overrides(&overrides, "scenario").unwrap();
        assert_eq!(merged.regions, ["eu-west-1"]);
        assert_eq!(merged.domains, edited.domains);
        assert_eq!(merged.identities[0].allow, edited.identities[0].allow);
    }

    #[test]
    fn the_document_of_a_fixture_reads_back_as_the_same_fixture() {
        let text = "regions = [\"us-east-1\", \"eu-west-1\"]\n\
            [[domains]]\nname = \"acme\"\nowner = \"111122223333\"\nregion = \"eu-west-1\"\nallow_principals = [\"*\"]\n\
            [[identities]]\narn = \"arn:aws:iam::111122223333:user/a\"\naccess_key_id = \"AKIA1\"\nsecret_access_key = \"s1\"\nallow = [\"*\"]\n\
            [[identities]]\narn = \"arn:aws:sts::111122223333:assumed-role/r/s\"\naccess_key_id = \"ASIA2\"\nsecret_access_key = \"s2\"\nsession_token = \"t2\"\nexpires_in_seconds = -60\n\
            [[identities]]\narn = \"arn:aws:sts::111122223333:assumed-role/r/t\"\naccess_key_id = \"ASIA3\"\nsecret_access_key = \"s3\"\nsession_token = \"t3\"\nexpiration = \"2030-01-02T03:04:05Z\"\n";
        let fixture = Fixture::parse(text, "t").unwrap();
        let again = Fixture::parse(&toml::to_string(&fixture.to_document()).unwrap(), "t").unwrap();
        assert_eq!(
            format!("{:?}", fixture.regions),
            format!("{:?}", again.regions)
        );
        assert_eq!(fixture.domains, again.domains);
        for (a, b) in fixture.identities.iter().zip(&again.identities) {
            assert_eq!(
                (&a.arn, &a.access_key_id, &a.allow),
                (&b.arn, &b.access_key_id, &b.allow)
            );
            assert_eq!(a.secret_access_key.expose(), b.secret_access_key.expose());
            let session = |i: &IdentitySpec| {
                i.session
                    .as_ref()
                    .map(|s| (s.token.expose().to_owned(), s.expiry))
            };
            assert_eq!(session(a), session(b));
        }
        assert_eq!(again.identities.len(), 3);
    }

    const WITH_REPOSITORIES: &str = "regions = [\"us-east-1\", \"eu-west-1\"]\n\
        [[domains]]\nname = \"acme\"\nowner = \"111122223333\"\n\
        [[domains]]\nname = \"euro\"\nowner = \"111122223333\"\nregion = \"eu-west-1\"\n\
        [[repositories]]\ndomain = \"acme\"\nname = \"store\"\nexternal_connection = \"public:npmjs\"\n\
        [[repositories]]\ndomain = \"acme\"\nname = \"team\"\ndescription = \"ours\"\nupstreams = [\"store\"]\n";

    fn repository_error(extra: &str) -> String {
        Fixture::parse(&format!("{WITH_REPOSITORIES}{extra}"), "f")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn repositories_belong_to_a_domain_of_the_fixture() {
        let fixture = Fixture::parse(WITH_REPOSITORIES, "f").unwrap();
        assert_eq!(fixture.repositories.len(), 2);
        let team = &fixture.repositories[1];
        assert_eq!((team.owner.as_str(), team.upstreams.as_slice()), ("111122223333", &["store".to_owned()][..]));
        let again = Fixture::parse(&toml::to_string(&fixture.to_document()).unwrap(), "f").unwrap();
        assert_eq!(again.repositories, fixture.repositories);
        for (extra, expected) in [
            ("[[repositories]]\ndomain = \"nope\"\nname = \"r1\"\n", "names domain 'nope', which no [[domains]] entry defines"),
            ("[[repositories]]\ndomain = \"acme\"\nname = \"-bad\"\n", "invalid repository name '-bad'"),
            ("[[repositories]]\ndomain = \"acme\"\nname = \"store\"\n", "repository 'store' is defined twice in domain 'acme'"),
            ("[[repositories]]\ndomain = \"acme\"\nname = \"r1\"\nupstreams = [\"ghost\"]\n", "names upstream 'ghost', which is no repository of domain 'acme'"),
            ("[[repositories]]\ndomain = \"acme\"\nname = \"r1\"\nexternal_connection = \"public:npm\"\n", "unknown external connection 'public:npm'"),
            ("[[repositories]]\ndomain = \"euro\"\nname = \"r1\"\nregion = \"us-east-1\"\n", "domain 'euro' does not exist in region 'us-east-1'"),
            ("[[repositories]]\ndomain = \"acme\"\nname = \"a1\"\nupstreams = [\"b1\"]\n[[repositories]]\ndomain = \"acme\"\nname = \"b1\"\nupstreams = [\"a1\"]\n", "repository 'a1' is its own upstream through a1 -> b1 -> a1"),
            ("[[repositories]]\ndomain = \"acme\"\nname = \"r1\"\ncolour = 1\n", "unknown field `colour`"),
        ] {
            let error = repository_error(extra);
            assert!(error.contains(expected), "{extra}: {error}");
        }
        let two_owners = format!("{WITH_REPOSITORIES}[[domains]]\nname = \"acme\"\nowner = \"444455556666\"\n[[repositories]]\ndomain = \"acme\"\nname = \"r1\"\n");
        let error = Fixture::parse(&two_owners, "f").unwrap_err().to_string();
        assert!(error.contains("exists for several owners: give the repository 'store' an `owner`"), "{error}");
    }

    #[test]
    fn domain_names_follow_the_codeartifact_pattern() {
        assert_eq!(domain_name_problem("ab"), None);
        assert_eq!(domain_name_problem("a-1"), None);
        assert!(domain_name_problem("a").is_some());
        assert!(domain_name_problem("1abc").is_some());
        assert!(domain_name_problem("abc-").is_some());
        assert!(domain_name_problem(&"a".repeat(51)).is_some());
        assert_eq!(domain_name_problem(&"a".repeat(50)), None);
    }

    #[test]
    fn accounts_come_from_iam_and_sts_arns() {
        assert_eq!(
            account_of_arn("arn:aws:iam::111122223333:user/dev").as_deref(),
            Some("111122223333")
        );
        assert_eq!(
            account_of_arn("arn:aws:sts::111122223333:assumed-role/ci/job").as_deref(),
            Some("111122223333")
        );
        assert_eq!(account_of_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(account_of_arn("not-an-arn"), None);
    }
}
