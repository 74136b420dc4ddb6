//! Scenario files: a named script of fixture overrides, a clock and an ordered list of faults.
//!
//! ```toml
//! name = "throttle-then-recover"
//! description = "The first call is throttled; a retrying client succeeds on the second."
//! clock = { offset_seconds = 0 }          # optional; or { frozen_at = "now" }
//! expiration_format = "java-double"       # optional: `1.76433E9` instead of `1764330000`
//!
//! [fixture]                               # optional: replaces these top-level fixture keys
//! regions = ["us-east-1"]
//!
//! [[faults]]                              # same fields as POST /_mock/faults
//! error = "ThrottlingException"
//! retry_after_seconds = 1
//! times = 1
//!
//! [quotas]                                # optional: CodeArtifact's request-rate quotas
//! enforce = true                          # as --enforce-quotas, until the next reset
//! [[quotas.spent]]                        # requests already made in the current second
//! operation = "GetAuthorizationToken"
//! account = "111122223333"
//! region = "us-east-1"                    # optional; us-east-1
//! requests = 40
//! ```
//!
//! The same files carry `[client]` and `[expect]` tables for the conformance suite; the mock
//! reads past them. The format is documented in `docs/scenarios.md`.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::token::ExpirationFormat;
use crate::clock::ClockSpec;
use crate::faults::FaultSpec;
use crate::fixture::LoadError;
use crate::service::MockService;

/// Top-level fixture keys a scenario may replace.
const FIXTURE_KEYS: [&str; 5] = ["regions", "domains", "identities", "repositories", "package_groups"];

/// A parsed, checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// What real-world incident it imitates.
    pub description: Option<String>,
    /// The clock it sets, if any.
    pub clock: Option<ClockSpec>,
    /// The spelling of `expiration` it sets, if any.
    pub expiration_format: Option<ExpirationFormat>,
    /// Fixture keys it replaces.
    pub fixture: Option<toml::Table>,
    /// Faults, in order.
    pub faults: Vec<FaultSpec>,
    /// Quotas it applies and spends, if any.
    pub quotas: Option<QuotaSpec>,
    source_name: String,
}

/// A scenario's `[quotas]`: whether the quotas apply, and what is spent of them already.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSpec {
    /// Apply the quotas (or stop), until the next reset.
    pub enforce: Option<bool>,
    /// Requests counted in the current second of the server's clock, as if just made.
    #[serde(default)]
    pub spent: Vec<SpentQuota>,
}

/// Requests of one operation by one account, already counted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpentQuota {
    /// An operation with a quota of its own (`GetAuthorizationToken`, `PublishPackageVersion`, ...).
    pub operation: String,
    /// The account (12 digits).
    pub account: String,
    /// The region; `us-east-1` when not given.
    pub region: Option<String>,
    /// How many.
    pub requests: u32,
}

impl SpentQuota {
    /// The counter it fills, or why it names none.
    fn counter(&self) -> Result<crate::quotas::Counter, String> {
        if self.account.len() != 12 || !self.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("account '{}' is not 12 digits", self.account));
        }
        let region = self.region.as_deref().unwrap_or("us-east-1");
        crate::quotas::Counter::operation(&self.operation, &self.account, region).ok_or_else(|| {
            let names: Vec<&str> = crate::quotas::OPERATION_QUOTAS.iter().map(|(n, _)| *n).collect();
            format!("operation '{}' has no quota of its own: one of {}", self.operation, names.join(", "))
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    description: Option<String>,
    clock: Option<Spanned<ClockSpec>>,
    expiration_format: Option<ExpirationFormat>,
    fixture: Option<Spanned<toml::Table>>,
    #[serde(default)]
    faults: Vec<Spanned<FaultSpec>>,
    quotas: Option<Spanned<QuotaSpec>>,
    // Read by the conformance suite, not by the mock.
    #[serde(rename = "client")]
    _client: Option<toml::Value>,
    #[serde(rename = "expect")]
    _expect: Option<toml::Value>,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            source_name: path.display().to_string(),
            line: None,
            message: format!("cannot read the scenario: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks scenario TOML; `source_name` goes into error messages.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, LoadError> {
        let at = |offset: Option<usize>, message: String| LoadError {
            source_name: source_name.to_owned(),
            line: offset.map(|o| text[..o.min(text.len())].matches('\n').count() + 1),
            message,
        };
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            at(
                e.span().map(|s| s.start),
                e.message().trim().lines().collect::<Vec<_>>().join(": "),
            )
        })?;
        if let Some(clock) = &raw.clock {
            clock
                .get_ref()
                .to_mode(std::time::SystemTime::now())
                .map_err(|e| at(Some(clock.span().start), e))?;
        }
        if let Some(fixture) = &raw.fixture {
            if let Some(key) = fixture
                .get_ref()
                .keys()
                .find(|k| !FIXTURE_KEYS.contains(&k.as_str()))
            {
                return Err(at(Some(fixture.span().start), format!("unknown fixture key `{key}` in [fixture]: expected one of regions, domains, identities, repositories, package_groups")));
            }
        }
        for fault in &raw.faults {
            fault
                .get_ref()
                .validate()
                .map_err(|e| at(Some(fault.span().start), format!("invalid fault: {e}")))?;
        }
        if let Some(quotas) = &raw.quotas {
            for spent in &quotas.get_ref().spent {
                spent.counter().map_err(|e| at(Some(quotas.span().start), format!("invalid [[quotas.spent]]: {e}")))?;
            }
        }
        Ok(Self {
            name: raw.name,
            description: raw.description,
            clock: raw.clock.map(Spanned::into_inner),
            expiration_format: raw.expiration_format,
            fixture: raw.fixture.map(Spanned::into_inner),
            faults: raw.faults.into_iter().map(Spanned::into_inner).collect(),
            quotas: raw.quotas.map(Spanned::into_inner),
            source_name: source_name.to_owned(),
        })
    }

    /// Plays the scenario on a service: fixture overrides, then the clock, the `expiration`
    /// spelling and the quotas, then the faults (appended after any already there). Returns the ids of the faults added. Nothing
    /// changes when the fixture overrides do not validate.
    pub fn apply(&self, service: &MockService) -> Result<Vec<u64>, LoadError> {
        if let Some(overrides) = &self.fixture {
            let current = service.world();
            let fixture = current
                .fixture
                .with_overrides(overrides, &format!("{} [fixture]", self.source_name))?;
            service.replace_fixture(fixture).map_err(|e| LoadError {
                source_name: self.source_name.clone(),
                line: None,
                message: e.to_string(),
            })?;
        }
        if let Some(clock) = &self.clock {
            // Checked in `parse`.
            if let Ok(mode) = clock.to_mode(service.clock().now()) {
                service.clock().set(mode);
            }
        }
        if let Some(format) = self.expiration_format {
            service.set_expiration_format(format);
        }
        if let Some(quotas) = &self.quotas {
            if let Some(enforce) = quotas.enforce {
                service.set_enforce_quotas(enforce);
            }
            // Checked in `parse`; spent in the second of the clock just set.
            for spent in &quotas.spent {
                if let Ok(counter) = spent.counter() {
                    service.spend_quota(&counter, spent.requests);
                }
            }
        }
        let ids = self
            .faults
            .iter()
            .filter_map(|fault| service.faults().add(fault.clone()).ok())
            .collect();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_scenario_and_reads_past_conformance_tables() {
        let s = Scenario::parse(
            "name = \"t\"\nclock = { offset_seconds = 1200 }\n[[faults]]\nerror = \"ThrottlingException\"\n[client]\nargs = []\n[expect]\nexit = 0\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!((s.name.as_str(), s.faults.len()), ("t", 1));
        assert_eq!(s.clock.unwrap().offset_seconds, Some(1200));
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        let e = Scenario::parse("name = \"t\"\n\n[[faults]]\nerror = \"Nope\"\n", "t.toml")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.toml:3: invalid fault: unknown error code 'Nope'"
        );
        let e = Scenario::parse("name = \"t\"\nclock = { frozen_at = \"soon\" }\n", "t.toml")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.toml:2: invalid frozen_at 'soon'"),
            "{e}"
        );
        let e = Scenario::parse("name = \"t\"\nfautls = []\n", "t.toml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.toml:2: unknown field `fautls`"),
            "{e}"
        );
    }
}
