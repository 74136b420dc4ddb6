//! How clients reach the mock: the scheme a request arrived over, and the paths of the
//! repository endpoints that `GetRepositoryEndpoint` hands out, path-style on the mock itself
//! (`/d/DOMAIN-OWNER/REGION/FORMAT/REPO/...`; the real host is
//! `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/FORMAT/REPO/...`).

/// The scheme a request arrived over, set by the server as a request extension (absent on
/// requests made without a socket, which count as `http`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// Where repository endpoints start.
pub const PREFIX: &str = "/d/";

/// The path of a repository's endpoint for a format, ending in `/`.
pub fn endpoint_path(domain: &str, owner: &str, region: &str, format: &str, repo: &str) -> String {
    format!("{PREFIX}{domain}-{owner}/{region}/{format}/{repo}/")
}

/// A repository endpoint named by a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint<'a> {
    /// Domain name.
    pub domain: &'a str,
    /// Domain owner.
    pub owner: &'a str,
    /// Region.
    pub region: &'a str,
    /// Package format (`npm`, `pypi`, ...).
    pub format: &'a str,
    /// Repository name.
    pub repository: &'a str,
    /// The rest of the path, after the repository's `/`.
    pub rest: &'a str,
}

impl<'a> Endpoint<'a> {
    /// The endpoint a path names, if it is one.
    pub fn parse(path: &'a str) -> Option<Self> {
        let mut parts = path.strip_prefix(PREFIX)?.splitn(5, '/');
        let (domain, owner) = parts.next()?.rsplit_once('-')?;
        let (region, format, repository) = (parts.next()?, parts.next()?, parts.next()?);
        Self::checked([domain, owner, region, format, repository], parts.next().unwrap_or(""))
    }

    /// An endpoint of these parts, if they can name one: a 12-digit owner, none empty, a
    /// region without dots.
    fn checked(
        [domain, owner, region, format, repository]: [&'a str; 5],
        rest: &'a str,
    ) -> Option<Self> {
        let valid = owner.len() == 12
            && owner.bytes().all(|b| b.is_ascii_digit())
            && !region.contains('.')
            && [domain, region, format, repository].iter().all(|p| !p.is_empty());
        valid.then_some(Self {
            domain,
            owner,
            region,
            format,
            repository,
            rest,
        })
    }

    /// The endpoint a request names by its `Host`, in the real endpoint's shape
    /// (`DOMAIN-OWNER.d.codeartifact.REGION.SUFFIX[:PORT]`, the path then `/FORMAT/REPO/...`),
    /// for users who map such names to the mock.
    pub fn from_host(host: &'a str, path: &'a str, suffix: &str) -> Option<Self> {
        let name = host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        });
        let rest = name.strip_suffix(suffix)?.strip_suffix('.')?;
        let (label, region) = rest.split_once(".d.codeartifact.")?;
        let (domain, owner) = label.rsplit_once('-')?;
        let mut parts = path.strip_prefix('/')?.splitn(3, '/');
        let (format, repository) = (parts.next()?, parts.next()?);
        Self::checked([domain, owner, region, format, repository], parts.next().unwrap_or(""))
    }

    /// `DOMAIN/REPO`, the realm of the challenge.
    pub fn realm(&self) -> String {
        format!("{}/{}", self.domain, self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_paths_read_back() {
        let path = endpoint_path("test-domain", "111122223333", "us-east-1", "pypi", "my-repo");
        assert_eq!(path, "/d/test-domain-111122223333/us-east-1/pypi/my-repo/");
        let simple = format!("{path}simple/requests/");
        let endpoint = Endpoint::parse(&simple).unwrap();
        assert_eq!(
            (endpoint.domain, endpoint.owner, endpoint.region, endpoint.format, endpoint.repository, endpoint.rest),
            ("test-domain", "111122223333", "us-east-1", "pypi", "my-repo", "simple/requests/")
        );
        assert!(Endpoint::parse("/d/nodash/us-east-1/npm/r/").is_none());
        assert!(Endpoint::parse("/d/a-12/us-east-1/npm/r/").is_none());
        assert!(Endpoint::parse("/v1/authorization-token").is_none());
        let by_name = Endpoint::from_host(
            "acme-111122223333.d.codeartifact.us-east-1.localhost:8080",
            "/npm/team/left-pad",
            "localhost",
        )
        .unwrap();
        assert_eq!(
            (by_name.domain, by_name.owner, by_name.region, by_name.format, by_name.repository, by_name.rest),
            ("acme", "111122223333", "us-east-1", "npm", "team", "left-pad")
        );
        assert!(Endpoint::from_host("127.0.0.1:8080", "/npm/team/", "localhost").is_none());
        assert!(Endpoint::from_host("acme-111122223333.d.codeartifact.us-east-1.example.com", "/npm/team/", "localhost").is_none());
    }
}
