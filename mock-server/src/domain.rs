//! CodeArtifact domains: who owns them, where they exist, and whom their policy lets in.

use crate::fixture::DomainSpec;
use crate::identity::Identity;

/// A domain, as the fixture defines it.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Domain name.
    pub name: String,
    /// Owning account.
    pub owner: String,
    /// The one region it exists in; `None` for every served region.
    pub region: Option<String>,
    allow_principals: Vec<String>,
}

impl Domain {
    /// A domain with no policy.
    pub fn new(name: &str, owner: &str, region: Option<String>) -> Self {
        Self {
            name: name.to_owned(),
            owner: owner.to_owned(),
            region,
            allow_principals: Vec::new(),
        }
    }

    /// The domain of a fixture entry.
    pub fn from_spec(spec: &DomainSpec) -> Self {
        Self {
            name: spec.name.clone(),
            owner: spec.owner.clone(),
            region: spec.region.clone(),
            allow_principals: spec.allow_principals.clone(),
        }
    }

    /// Whether the domain exists in `region`.
    pub fn exists_in(&self, region: &str) -> bool {
        self.region.as_deref().is_none_or(|r| r == region)
    }

    /// Whether the domain's policy lets `caller` in. The owner's own principals need no policy.
    pub fn admits(&self, caller: &Identity) -> bool {
        caller.account == self.owner
            || self
                .allow_principals
                .iter()
                .any(|p| caller.matches_principal(p))
    }
}

/// `arn:aws:codeartifact:REGION:OWNER:domain/NAME`.
pub fn domain_arn(region: &str, owner: &str, name: &str) -> String {
    format!("arn:aws:codeartifact:{region}:{owner}:domain/{name}")
}
