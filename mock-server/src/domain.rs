//! CodeArtifact domains: who owns them, where they exist, and whom their policy lets in.

use crate::fixture::DomainSpec;
use crate::identity::Identity;
use crate::policy::{Effect, Policy};

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
    /// Its permissions policy, when it has one.
    pub policy: Option<Policy>,
}

impl Domain {
    /// A domain with no policy.
    pub fn new(name: &str, owner: &str, region: Option<String>) -> Self {
        Self {
            name: name.to_owned(),
            owner: owner.to_owned(),
            region,
            allow_principals: Vec::new(),
            policy: None,
        }
    }

    /// A domain as a data folder keeps it, in one region.
    pub fn restored(name: &str, owner: &str, region: &str, allow_principals: Vec<String>, policy: Option<Policy>) -> Self {
        Self {
            name: name.to_owned(),
            owner: owner.to_owned(),
            region: Some(region.to_owned()),
            allow_principals,
            policy,
        }
    }

    /// The domain of a fixture entry.
    pub fn from_spec(spec: &DomainSpec) -> Self {
        Self {
            name: spec.name.clone(),
            owner: spec.owner.clone(),
            region: spec.region.clone(),
            allow_principals: spec.allow_principals.clone(),
            // Validated when the fixture was read.
            policy: spec.policy.as_deref().and_then(|d| Policy::parse(d).ok()),
        }
    }

    /// The principals of other accounts its policy lets in.
    pub fn allow_principals(&self) -> &[String] {
        &self.allow_principals
    }

    /// Whether the domain exists in `region`.
    pub fn exists_in(&self, region: &str) -> bool {
        self.region.as_deref().is_none_or(|r| r == region)
    }

    /// Whether a policy speaks for this domain (a permissions policy, or the fixture's
    /// `allow_principals`).
    pub fn has_policy(&self) -> bool {
        self.policy.is_some() || !self.allow_principals.is_empty()
    }

    /// What the domain's policy says of `caller` doing `action` on `resource`: `Deny` if a
    /// statement denies it, `Allow` if one allows it (`allow_principals` allows every
    /// CodeArtifact action), else nothing.
    pub fn decide(&self, caller: &Identity, action: &str, resource: &str) -> Option<Effect> {
        let explicit = self
            .policy
            .as_ref()
            .and_then(|p| p.decide(|principal| caller.is_named_by(principal), action, resource));
        if explicit == Some(Effect::Deny) {
            return explicit;
        }
        let listed = self
            .allow_principals
            .iter()
            .any(|p| caller.matches_principal(p));
        (explicit.is_some() || listed).then_some(Effect::Allow)
    }
}

/// `arn:aws:codeartifact:REGION:OWNER:domain/NAME`.
pub fn domain_arn(region: &str, owner: &str, name: &str) -> String {
    format!("arn:aws:codeartifact:{region}:{owner}:domain/{name}")
}
