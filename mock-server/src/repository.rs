//! CodeArtifact repositories: where they exist, their upstreams and external connection.

use crate::fixture::RepositorySpec;
use crate::policy::Policy;

/// A repository, as the fixture defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Repository name.
    pub name: String,
    /// Its domain.
    pub domain: String,
    /// The domain's owner (the repository's administrator account).
    pub owner: String,
    /// The one region it exists in; `None` for every region its domain exists in.
    pub region: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Upstreams, in priority order.
    pub upstreams: Vec<String>,
    /// External connection (`public:npmjs`, ...).
    pub external_connection: Option<String>,
    /// Its permissions policy, when it has one.
    pub policy: Option<Policy>,
}

impl Repository {
    /// The repository of a fixture entry.
    pub fn from_spec(spec: &RepositorySpec) -> Self {
        Self {
            name: spec.name.clone(),
            domain: spec.domain.clone(),
            owner: spec.owner.clone(),
            region: spec.region.clone(),
            description: spec.description.clone(),
            upstreams: spec.upstreams.clone(),
            external_connection: spec.external_connection.clone(),
            // Validated when the fixture was read.
            policy: spec.policy.as_deref().and_then(|d| Policy::parse(d).ok()),
        }
    }

    /// Whether the repository exists in `region` (its domain's existence is checked apart).
    pub fn exists_in(&self, region: &str) -> bool {
        self.region.as_deref().is_none_or(|r| r == region)
    }
}

/// `arn:aws:codeartifact:REGION:OWNER:repository/DOMAIN/NAME`.
pub fn repository_arn(region: &str, owner: &str, domain: &str, name: &str) -> String {
    format!("arn:aws:codeartifact:{region}:{owner}:repository/{domain}/{name}")
}
