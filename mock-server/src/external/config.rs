//! Where each external connection fetches from: `--external-connection NAME=URL`, where URL
//! is a registry's root (`http://`, `https://`; credentials in its userinfo are sent to that
//! registry only) or an offline mirror folder (`file:///DIR`). A connection without a URL
//! fetches nothing, as before: nothing goes to the network unless a URL says so.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::fixture::EXTERNAL_CONNECTIONS;

/// How long connecting to an upstream may take, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an upstream may go without sending a byte, by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an upstream's list of a package's versions is reused before it is asked again.
pub const DEFAULT_LISTING_TTL: Duration = Duration::from_secs(300);

/// Where one external connection fetches from.
#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// A registry that speaks the format, at this root (no trailing slash), with the
    /// `Authorization` its URL's userinfo makes, if any.
    Registry {
        /// The root, without userinfo.
        root: String,
        /// `Basic base64(user:password)` from the URL; sent to this registry's host only.
        authorization: Option<String>,
    },
    /// A folder of package files as the package managers make them.
    Mirror(PathBuf),
}

/// The credentials never reach a log or a debug print.
impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry { root, authorization } => f
                .debug_struct("Registry")
                .field("root", root)
                .field("authorization", &authorization.as_ref().map(|_| "<redacted>"))
                .finish(),
            Self::Mirror(dir) => f.debug_tuple("Mirror").field(dir).finish(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry { root, .. } => f.write_str(root),
            Self::Mirror(dir) => write!(f, "file://{}", dir.display()),
        }
    }
}

/// The external connections that fetch, and how patiently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalConfig {
    /// Sources by connection name (`public:pypi`, ...).
    pub sources: BTreeMap<String, Source>,
    /// How long connecting to an upstream may take.
    pub connect_timeout: Duration,
    /// How long an upstream may go without sending a byte.
    pub read_timeout: Duration,
    /// How long an upstream's list of a package's versions is reused.
    pub listing_ttl: Duration,
}

impl Default for ExternalConfig {
    fn default() -> Self {
        Self {
            sources: BTreeMap::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            listing_ttl: DEFAULT_LISTING_TTL,
        }
    }
}

impl ExternalConfig {
    /// Adds `NAME=URL`; the error names what is wrong (never the URL's credentials).
    pub fn add(&mut self, setting: &str) -> Result<(), String> {
        let (name, url) = setting
            .split_once('=')
            .ok_or_else(|| format!("'{}' is not NAME=URL (for example public:pypi=https://pypi.org)", redact(setting)))?;
        let name = name.trim();
        if !EXTERNAL_CONNECTIONS.iter().any(|(known, _)| *known == name) {
            let known: Vec<&str> = EXTERNAL_CONNECTIONS.iter().map(|(n, _)| *n).collect();
            return Err(format!("unknown external connection '{name}': CodeArtifact's are {}", known.join(", ")));
        }
        let source = parse_source(url.trim())?;
        self.sources.insert(name.to_owned(), source);
        Ok(())
    }

    /// What a start should say of these connections: a note for each one whose format is
    /// not among `fetched` (it fetches nothing); an error for a mirror that is not a folder.
    pub fn check(&self, fetched: &[&str]) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        for (name, source) in &self.sources {
            let format = Self::format_of(name).unwrap_or("");
            if !fetched.contains(&format) {
                notes.push(format!("{name} fetches nothing: {format} packages are not fetched through external connections"));
            }
            if let Source::Mirror(dir) = source {
                if !dir.is_dir() {
                    return Err(format!("--external-connection {name}: {} is not a folder", dir.display()));
                }
            }
        }
        Ok(notes)
    }

    /// The format a connection serves (`pypi` for `public:pypi`, ...).
    pub fn format_of(name: &str) -> Option<&'static str> {
        EXTERNAL_CONNECTIONS.iter().find(|(known, _)| *known == name).map(|(_, format)| *format)
    }
}

/// A URL's source; credentials in the userinfo become an `Authorization` header.
fn parse_source(url: &str) -> Result<Source, String> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(format!("'{url}' is not an absolute file:// URL (file:///DIR)"));
        }
        let dir = PathBuf::from(percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned());
        return Ok(Source::Mirror(dir));
    }
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
        .ok_or_else(|| format!("'{}' is neither http://, https:// nor file:///", redact(url)))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(format!("'{}' names no host", redact(url)));
    }
    let authorization = userinfo.map(|userinfo| {
        let decoded = percent_encoding::percent_decode_str(userinfo).decode_utf8_lossy();
        format!("Basic {}", base64_simd::STANDARD.encode_to_string(decoded.as_bytes()))
    });
    let root = format!("{scheme}://{host}{}", path.trim_end_matches('/'));
    Ok(Source::Registry { root, authorization })
}

/// `url` with any userinfo replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => {
            format!("{}<credentials>{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_sources_and_credentials_a_header_never_printed() {
        let mut config = ExternalConfig::default();
        config.add("public:pypi=https://user:p%40ss@mirror.example/pypi/").unwrap();
        config.add("public:npmjs = file:///srv/npm%20mirror").unwrap();
        let Source::Registry { root, authorization } = &config.sources["public:pypi"] else { panic!("a registry") };
        assert_eq!(root, "https://mirror.example/pypi");
        assert_eq!(authorization.as_deref(), Some("Basic dXNlcjpwQHNz"), "user:p@ss");
        assert!(!format!("{config:?}").contains("dXNlcjpwQHNz"));
        assert_eq!(config.sources["public:npmjs"], Source::Mirror(PathBuf::from("/srv/npm mirror")));
        assert_eq!(ExternalConfig::format_of("public:crates-io"), Some("cargo"));
    }

    #[test]
    fn wrong_settings_are_named_without_their_credentials() {
        let mut config = ExternalConfig::default();
        assert!(config.add("public:pypi").unwrap_err().contains("NAME=URL"));
        assert!(config.add("public:npm=http://x").unwrap_err().contains("unknown external connection 'public:npm'"));
        let error = config.add("public:pypi=ftp://user:secret@x").unwrap_err();
        assert!(!error.contains("secret"), "{error}");
        assert!(config.add("public:pypi=file://relative").is_err());
        assert!(config.add("public:pypi=http://").is_err());
    }
}
