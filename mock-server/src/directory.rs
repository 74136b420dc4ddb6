//! Everything a fixture defines, indexed for the request path: identities by access key id and
//! domains by (owner, name), so lookups cost the same with ten entries or ten thousand.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::domain::Domain;
use crate::fixture::Fixture;
use crate::identity::Identity;
use crate::sigv4::{AmzDate, Credential, CredentialSource, SecretKey, SigningKey};

/// Signing keys kept at most per thread; past it the cache starts over (keys change daily
/// anyway).
const SIGNING_KEY_CACHE_LIMIT: usize = 65_536;

/// Numbers directories, so a thread's cached keys are never used for another directory's.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Derived signing keys by credential scope (`AKID/DATE/REGION/SERVICE`), with the
    /// generation of the directory they were derived for: four HMACs saved per request. One
    /// cache per thread, so the request path takes no lock and shares no cache line with the
    /// other workers; each worker derives a scope's key once.
    static SIGNING_KEYS: RefCell<(u64, HashMap<String, SigningKey>)> =
        RefCell::new((0, HashMap::new()));
}

/// The regions, domains and identities being served.
#[derive(Debug)]
pub struct Directory {
    regions: HashSet<String>,
    region_order: Vec<String>,
    identities: HashMap<String, Identity>,
    /// Owner, then name: a lookup hashes the request's strings without copying them.
    domains: HashMap<String, HashMap<String, Vec<Domain>>>,
    /// This directory's number for the threads' signing-key caches: a new fixture gets a new
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
        SIGNING_KEYS.with_borrow_mut(|(generation, keys)| {
            if *generation != self.generation {
                keys.clear();
                *generation = self.generation;
            }
            if let Some(key) = keys.get(scope) {
                return *key;
            }
            let key = SigningKey::derive(secret, date, region, service);
            if keys.len() >= SIGNING_KEY_CACHE_LIMIT {
                keys.clear();
            }
            keys.insert(scope.to_owned(), key);
            key
        })
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
    }

    #[test]
    fn a_new_directory_never_uses_the_keys_cached_for_another() {
        let fixture = Fixture::embedded_default();
        let date = AmzDate::parse("20261128T120000Z").unwrap();
        let scope = "AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/codeartifact";
        let key = |directory: &Directory, secret: &str| {
            let secret = SecretKey::new(secret);
            directory.signing_key(scope, &secret, date, "us-east-1", "codeartifact")
        };
        let old = Directory::new(&fixture, SystemTime::now());
        let new = Directory::new(&fixture, SystemTime::now());
        // Same scope, another secret (as after a fixture reload that changed it).
        let from_old = key(&old, "old secret");
        let from_new = key(&new, "new secret");
        assert_ne!(from_old.sign("x"), from_new.sign("x"));
        assert_eq!(key(&new, "ignored").sign("x"), from_new.sign("x"));
    }
}
