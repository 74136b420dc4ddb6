//! Everything a fixture defines, indexed for the request path: identities by access key id and
//! domains by (owner, name), so lookups cost the same with ten entries or ten thousand.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::domain::Domain;
use crate::fixture::Fixture;
use crate::identity::Identity;
use crate::repository::Repository;
use crate::sigv4::{Credential, CredentialSource};

/// Numbers directories, so a verifier's cached signing keys are never used for another
/// directory's secrets.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

/// The regions, domains and identities being served.
#[derive(Debug)]
pub struct Directory {
    regions: HashSet<String>,
    region_order: Vec<String>,
    identities: HashMap<String, Identity>,
    /// Owner, then name: a lookup hashes the request's strings without copying them.
    domains: HashMap<String, HashMap<String, Vec<Domain>>>,
    /// Owner, then domain name, then the domain's repositories.
    repositories: HashMap<String, HashMap<String, Vec<Repository>>>,
    /// This directory's number for the verifier's signing-key cache: a new fixture gets a new
    /// directory, and with it fresh keys.
    generation: u64,
}

impl Directory {
    /// Builds the directory of a fixture loaded at `loaded_at` (session expiries count from it).
    pub fn new(fixture: &Fixture, loaded_at: SystemTime) -> Self {
        // Sized up front: growing a map of 10,000 entries rehashes it a dozen times.
        let mut domains: HashMap<String, HashMap<String, Vec<Domain>>> =
            HashMap::with_capacity(fixture.domains.len());
        for spec in &fixture.domains {
            domains
                .entry(spec.owner.clone())
                .or_default()
                .entry(spec.name.clone())
                .or_default()
                .push(Domain::from_spec(spec));
        }
        let mut repositories: HashMap<String, HashMap<String, Vec<Repository>>> = HashMap::new();
        for spec in &fixture.repositories {
            repositories
                .entry(spec.owner.clone())
                .or_default()
                .entry(spec.domain.clone())
                .or_default()
                .push(Repository::from_spec(spec));
        }
        Self {
            regions: fixture.regions.iter().cloned().collect(),
            region_order: fixture.regions.clone(),
            identities: {
                let mut identities = HashMap::with_capacity(fixture.identities.len());
                identities.extend(fixture.identities.iter().map(|spec| {
                    (
                        spec.access_key_id.clone(),
                        Identity::from_spec(spec, loaded_at),
                    )
                }));
                identities
            },
            domains,
            repositories,
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The identity owning an access key id.
    pub fn identity(&self, access_key_id: &str) -> Option<&Identity> {
        self.identities.get(access_key_id)
    }

    /// The domain `name` owned by `owner` in `region`.
    pub fn domain(&self, owner: &str, name: &str, region: &str) -> Option<&Domain> {
        self.domains
            .get(owner)?
            .get(name)?
            .iter()
            .find(|d| d.exists_in(region))
    }

    /// The repository `name` of domain `domain` owned by `owner`, in `region`.
    pub fn repository(
        &self,
        owner: &str,
        domain: &str,
        name: &str,
        region: &str,
    ) -> Option<&Repository> {
        self.repositories
            .get(owner)?
            .get(domain)?
            .iter()
            .find(|r| r.name == name && r.exists_in(region))
    }

    /// Served regions, in fixture order.
    pub fn regions(&self) -> &[String] {
        &self.region_order
    }

    /// All identities, in no particular order.
    pub fn identities(&self) -> impl Iterator<Item = &Identity> {
        self.identities.values()
    }

    /// All domains, in no particular order.
    pub fn domains(&self) -> impl Iterator<Item = &Domain> {
        self.domains.values().flat_map(HashMap::values).flatten()
    }
}

impl CredentialSource for Directory {
    fn credential(&self, access_key_id: &str) -> Option<Credential<'_>> {
        self.identity(access_key_id).map(Identity::credential)
    }

    fn serves_region(&self, region: &str) -> bool {
        self.regions.contains(region)
    }

    fn key_generation(&self) -> Option<u64> {
        Some(self.generation)
    }
}
