//! The fixture's regions and identities, indexed for the request path (identities by access
//! key id, so lookups cost the same with ten entries or ten thousand). Domains and
//! repositories, which operations change, are in `crate::registry`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::fixture::Fixture;
use crate::identity::Identity;
use crate::sigv4::{Credential, CredentialSource};

/// Numbers directories, so a verifier's cached signing keys are never used for another
/// directory's secrets.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

/// The regions and identities being served.
#[derive(Debug)]
pub struct Directory {
    regions: HashSet<String>,
    region_order: Vec<String>,
    identities: HashMap<String, Identity>,
    /// Access key ids by principal ARN (the first identity of each), for the principal a
    /// token names.
    by_arn: HashMap<String, String>,
    /// This directory's number for the verifier's signing-key cache: a new fixture gets a new
    /// directory, and with it fresh keys.
    generation: u64,
}

impl Directory {
    /// Builds the directory of a fixture loaded at `loaded_at` (session expiries count from it).
    pub fn new(fixture: &Fixture, loaded_at: SystemTime) -> Self {
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
            by_arn: {
                let mut by_arn = HashMap::with_capacity(fixture.identities.len());
                for spec in &fixture.identities {
                    by_arn
                        .entry(spec.arn.clone())
                        .or_insert_with(|| spec.access_key_id.clone());
                }
                by_arn
            },
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The identity of a principal ARN (the one a token was minted for).
    pub fn identity_by_arn(&self, arn: &str) -> Option<&Identity> {
        self.identities.get(self.by_arn.get(arn)?)
    }

    /// The identity owning an access key id.
    pub fn identity(&self, access_key_id: &str) -> Option<&Identity> {
        self.identities.get(access_key_id)
    }

    /// Served regions, in fixture order.
    pub fn regions(&self) -> &[String] {
        &self.region_order
    }

    /// All identities, in no particular order.
    pub fn identities(&self) -> impl Iterator<Item = &Identity> {
        self.identities.values()
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
