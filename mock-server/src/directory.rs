//! Everything a fixture defines, indexed for the request path: identities by access key id and
//! domains by (owner, name), so lookups cost the same with ten entries or ten thousand.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use crate::domain::Domain;
use crate::fixture::Fixture;
use crate::identity::Identity;
use crate::sigv4::{Credential, CredentialSource};

/// The regions, domains and identities being served.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    regions: HashSet<String>,
    region_order: Vec<String>,
    identities: HashMap<String, Identity>,
    domains: HashMap<(String, String), Vec<Domain>>,
}

impl Directory {
    /// Builds the directory of a fixture loaded at `loaded_at` (session expiries count from it).
    pub fn new(fixture: &Fixture, loaded_at: SystemTime) -> Self {
        let mut domains: HashMap<(String, String), Vec<Domain>> = HashMap::new();
        for spec in &fixture.domains {
            domains
                .entry((spec.owner.clone(), spec.name.clone()))
                .or_default()
                .push(Domain::from_spec(spec));
        }
        Self {
            regions: fixture.regions.iter().cloned().collect(),
            region_order: fixture.regions.clone(),
            identities: fixture
                .identities
                .iter()
                .map(|spec| {
                    (
                        spec.access_key_id.clone(),
                        Identity::from_spec(spec, loaded_at),
                    )
                })
                .collect(),
            domains,
        }
    }

    /// The identity owning an access key id.
    pub fn identity(&self, access_key_id: &str) -> Option<&Identity> {
        self.identities.get(access_key_id)
    }

    /// The domain `name` owned by `owner` in `region`.
    pub fn domain(&self, owner: &str, name: &str, region: &str) -> Option<&Domain> {
        self.domains
            .get(&(owner.to_owned(), name.to_owned()))?
            .iter()
            .find(|d| d.exists_in(region))
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
        self.domains.values().flatten()
    }
}

impl CredentialSource for Directory {
    fn credential(&self, access_key_id: &str) -> Option<Credential<'_>> {
        self.identity(access_key_id).map(Identity::credential)
    }

    fn serves_region(&self, region: &str) -> bool {
        self.regions.contains(region)
    }
}
