//! Conformance suite for CodeArtifact token clients.
//!
//! `codeartifact-conformance` answers "does my client, wrapper or CI step handle
//! CodeArtifact's token API the way the real service expects?" for any AWS-CLI-compatible
//! command. It runs the client through scenario files (`fixtures/scenarios/*.toml`) against
//! `codeartifact-mock`, in process or at an endpoint started separately, and judges exit
//! status, output, expirations, retries and signatures:
//!
//! ```text
//! $ codeartifact-conformance run --client aws
//! PASS cross-account-with-policy
//! FAIL throttle-then-recover: expected 2 request(s) to reach the server, got 1 [429 ThrottlingException]
//! N/A query-token-text: uses options only the AWS CLI has
//! ...
//! 44 passed, 1 failed
//! ```
//!
//! The scenario format, the clients and how to read a failure are in `docs/conformance.md`.

pub mod client;
pub mod deviations;
pub mod expect;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod target;

use std::path::{Path, PathBuf};

/// The folder of this source tree's `fixtures/`.
fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The scenario folder: `CODEARTIFACT_CONFORMANCE_SCENARIOS`, else `fixtures/scenarios`.
pub fn default_scenarios_dir() -> PathBuf {
    std::env::var_os("CODEARTIFACT_CONFORMANCE_SCENARIOS")
        .map_or_else(|| fixtures_dir().join("scenarios"), PathBuf::from)
}

/// Whether `dir` is the built-in suite's folder, `fixtures/scenarios` of this source tree
/// (however it is spelled).
pub fn is_builtin_suite(dir: &Path) -> bool {
    let builtin = fixtures_dir().join("scenarios");
    match (dir.canonicalize(), builtin.canonicalize()) {
        (Ok(dir), Ok(builtin)) => dir == builtin,
        _ => false,
    }
}

/// The fixture every scenario starts from: `fixtures/conformance.toml`.
pub fn default_fixture_path() -> PathBuf {
    fixtures_dir().join("conformance.toml")
}

/// Known deviations of real clients: `fixtures/known-deviations.toml`.
pub fn default_deviations_path() -> PathBuf {
    fixtures_dir().join("known-deviations.toml")
}

/// Whether a scenario name matches `--filter`: `*` wildcards, otherwise a substring.
pub fn matches_filter(name: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first)
        || !name[first.len()..].ends_with(last)
        || name.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::matches_filter;

    #[test]
    fn filters_by_substring_or_glob() {
        assert!(matches_filter("throttle-then-recover", "throttle"));
        assert!(matches_filter("throttle-then-recover", "throttle*recover"));
        assert!(matches_filter("throttle-then-recover", "*recover"));
        assert!(!matches_filter("throttle-then-recover", "clock*"));
        assert!(matches_filter("clock-ahead", "clock*"));
        assert!(!matches_filter("ab", "a*b*b"));
    }
}
