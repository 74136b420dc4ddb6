//! Known deviations: scenarios a real client is known not to conform to, each with the reason
//! (after rustls' bogo shim). A listed failure is reported as `XFAIL`, not hidden; a listed
//! scenario that passes is a failure, so the list only ever holds real deviations.
//!
//! ```toml
//! [aws-cli-v1]                      # a client id: aws-cli-v1, aws-cli-v2, boto3, js-sdk, rust-sdk
//! malformed-response = "why, with a link to the client's source"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

/// Client id, then scenario name, then reason.
#[derive(Debug, Clone, Default)]
pub struct KnownDeviations {
    entries: BTreeMap<String, BTreeMap<String, String>>,
}

impl KnownDeviations {
    /// Reads the file; a missing file means no deviations.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let entries = toml::from_str(&text)
            .map_err(|e| format!("{}: {}", path.display(), e.message().trim()))?;
        Ok(Self { entries })
    }

    /// Why `client` is known not to conform to `scenario`, if it is.
    pub fn reason(&self, client: &str, scenario: &str) -> Option<&str> {
        self.entries.get(client)?.get(scenario).map(String::as_str)
    }

    /// Entries that name a scenario not in `names`: stale after a rename or removal.
    pub fn unknown_scenarios<'a>(&'a self, names: &[&str]) -> Vec<(&'a str, &'a str)> {
        self.entries
            .iter()
            .flat_map(|(client, scenarios)| {
                scenarios.keys().map(move |s| (client.as_str(), s.as_str()))
            })
            .filter(|(_, scenario)| !names.contains(scenario))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_reasons_and_stale_entries() {
        let deviations = KnownDeviations {
            entries: toml::from_str(
                "[aws-cli-v1]\nmalformed-response = \"botocore\"\ngone = \"x\"\n",
            )
            .unwrap(),
        };
        assert_eq!(
            deviations.reason("aws-cli-v1", "malformed-response"),
            Some("botocore")
        );
        assert_eq!(deviations.reason("aws-cli-v2", "malformed-response"), None);
        assert_eq!(
            deviations.unknown_scenarios(&["malformed-response"]),
            [("aws-cli-v1", "gone")]
        );
    }
}
