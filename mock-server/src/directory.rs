//! Everything a fixture defines, indexed for the request path: identities by access key id and
//! domains by (owner, name), so lookups cost the same with ten entries or ten thousand.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::time::SystemTime;

use crate::domain::Domain;
use crate::fixture::Fixture;
use crate::identity::Identity;
use crate::sigv4::{AmzDate, Credential, CredentialSource, SecretKey, SigningKey};

/// Signing keys kept at most; past it the cache starts over (keys change daily anyway).
const SIGNING_KEY_CACHE_LIMIT: usize = 65_536;

/// The regions, domains and identities being served.
#[derive(Debug, Default)]
pub struct Directory {
    regions: HashSet<String>,
    region_order: Vec<String>,
    identities: HashMap<String, Identity>,
    /// Owner, then name: a lookup hashes the request's strings without copying them.
    domains: HashMap<String, HashMap<String, Vec<Domain>>>,
    /// Derived signing keys by credential scope (`AKID/DATE/REGION/SERVICE`): four HMACs saved
    /// per request. Lives and dies with the directory, so a new fixture starts it afresh.
    signing_keys: RwLock<HashMap<String, SigningKey>>,
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
            signing_keys: RwLock::default(),
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

    fn signing_key(
        &self,
        scope: &str,
        secret: &SecretKey,
        date: AmzDate,
        region: &str,
        service: &str,
    ) -> SigningKey {
        if let Some(key) = self
            .signing_keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(scope)
        {
            return *key;
        }
        let key = SigningKey::derive(secret, date, region, service);
        let mut cache = self.signing_keys.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= SIGNING_KEY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(scope.to_owned(), key);
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_keys_are_derived_once_per_scope() {
        let directory = Directory::new(&Fixture::embedded_default(), SystemTime::now());
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let date = AmzDate::parse("20261128T120000Z").unwrap();
        let scope = "AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/codeartifact";
        let fresh = SigningKey::derive(&secret, date, "us-east-1", "codeartifact");
        let first = directory.signing_key(scope, &secret, date, "us-east-1", "codeartifact");
        let cached = directory.signing_key(
            scope,
            &SecretKey::new("ignored once cached"),
            date,
            "us-east-1",
            "codeartifact",
        );
        assert_eq!(first.sign("x"), fresh.sign("x"));
        assert_eq!(cached.sign("x"), fresh.sign("x"));
        assert_eq!(directory.signing_keys.read().unwrap().len(), 1);
    }
}
