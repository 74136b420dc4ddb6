//! The stored form of each record: JSON in one column of its table, so a person can read it
//! with `sqlite3` and a new field is a `#[serde(default)]` away.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::domain::Domain;
use crate::packages::OriginRestrictions;
use crate::policy::Policy;
use crate::registry::{DomainRecord, RepositoryRecord, Tag};
use crate::repository::Repository;

/// A domain in one region, as stored.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct DomainRow {
    allow_principals: Vec<String>,
    policy: Option<String>,
    created_at: SystemTime,
    encryption_key: Option<String>,
    tags: Vec<Tag>,
    policy_revision: u64,
}

impl DomainRow {
    /// The stored form of `record`.
    pub fn of(record: &DomainRecord) -> Self {
        Self {
            allow_principals: record.domain.allow_principals().to_vec(),
            policy: record.domain.policy.as_ref().map(|p| p.document.clone()),
            created_at: record.created_at,
            encryption_key: record.encryption_key.clone(),
            tags: record.tags.clone(),
            policy_revision: record.policy_revision,
        }
    }

    /// The record of domain `name` of `owner` in `region`.
    pub fn into_record(self, owner: &str, name: &str, region: &str) -> Result<DomainRecord, String> {
        let policy = self.policy.as_deref().map(Policy::parse).transpose()?;
        Ok(DomainRecord {
            domain: Domain::restored(name, owner, region, self.allow_principals, policy),
            created_at: self.created_at,
            encryption_key: self.encryption_key,
            tags: self.tags,
            policy_revision: self.policy_revision,
        })
    }
}

/// A repository in one region, as stored.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct RepositoryRow {
    description: Option<String>,
    upstreams: Vec<String>,
    external_connection: Option<String>,
    policy: Option<String>,
    created_at: SystemTime,
    tags: Vec<Tag>,
    policy_revision: u64,
}

impl RepositoryRow {
    /// The stored form of `record`.
    pub fn of(record: &RepositoryRecord) -> Self {
        let repository = &record.repository;
        Self {
            description: repository.description.clone(),
            upstreams: repository.upstreams.clone(),
            external_connection: repository.external_connection.clone(),
            policy: repository.policy.as_ref().map(|p| p.document.clone()),
            created_at: record.created_at,
            tags: record.tags.clone(),
            policy_revision: record.policy_revision,
        }
    }

    /// The record of repository `name` of `domain` of `owner` in `region`.
    pub fn into_record(self, owner: &str, domain: &str, name: &str, region: &str) -> Result<RepositoryRecord, String> {
        let policy = self.policy.as_deref().map(Policy::parse).transpose()?;
        Ok(RepositoryRecord {
            repository: Repository {
                name: name.to_owned(),
                domain: domain.to_owned(),
                owner: owner.to_owned(),
                region: Some(region.to_owned()),
                description: self.description,
                upstreams: self.upstreams,
                external_connection: self.external_connection,
                policy,
            },
            created_at: self.created_at,
            tags: self.tags,
            policy_revision: self.policy_revision,
        })
    }
}

/// What a package holds besides its versions, as stored.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PackageHeadRow {
    /// npm dist-tags.
    pub dist_tags: BTreeMap<String, String>,
    /// Its origin restrictions.
    pub origin: OriginRestrictions,
}
