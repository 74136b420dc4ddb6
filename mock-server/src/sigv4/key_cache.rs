//! Derived signing keys, kept by the verifier that derived them.
//!
//! Deriving `kSigning` takes four HMACs, a fifth of verification; a key stays the same for an
//! access key's whole day, so each verifier keeps the keys it derived. The cache belongs to
//! one verifier (one service): services in one process (the conformance runner starts many)
//! never evict each other's keys.
//!
//! Keys are sharded by thread, so the request path takes an uncontended lock on a cache line
//! no other worker writes. Each shard remembers the credential source's generation it was
//! filled for and starts over when a new one (a replaced fixture) asks: a key derived from an
//! old secret is never used for a new one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::key::SigningKey;

/// Shards per cache: more than the worker threads of any machine this runs on, so workers
/// rarely share one.
const SHARDS: usize = 16;

/// Keys kept at most per shard; past it the shard starts over (keys change daily anyway).
const SHARD_LIMIT: usize = 4096;

/// Hands each thread a shard number the first time it asks.
static NEXT_THREAD_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_SLOT: usize = NEXT_THREAD_SLOT.fetch_add(1, Ordering::Relaxed);
}

/// A shard on its own cache line, so two workers never write the same line.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(Mutex<ShardKeys>);

#[derive(Debug, Default)]
struct ShardKeys {
    generation: u64,
    keys: HashMap<String, SigningKey>,
}

/// The signing keys one verifier derived, by credential scope (`AKID/DATE/REGION/SERVICE`).
#[derive(Debug)]
pub(crate) struct SigningKeyCache {
    shards: Box<[Shard]>,
    derived: AtomicU64,
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            derived: AtomicU64::new(0),
        }
    }
}

impl SigningKeyCache {
    /// The key for `scope` under the source's `generation`, derived with `derive` when this
    /// thread's shard does not have it yet.
    pub(crate) fn get_or_derive(
        &self,
        generation: u64,
        scope: &str,
        derive: impl FnOnce() -> SigningKey,
    ) -> SigningKey {
        let shard = &self.shards[THREAD_SLOT.with(|slot| *slot) % SHARDS];
        let mut shard = shard.0.lock().unwrap_or_else(|p| p.into_inner());
        if shard.generation != generation {
            shard.keys.clear();
            shard.generation = generation;
        }
        if let Some(key) = shard.keys.get(scope) {
            return *key;
        }
        let key = derive();
        self.derived.fetch_add(1, Ordering::Relaxed);
        if shard.keys.len() >= SHARD_LIMIT {
            shard.keys.clear();
        }
        shard.keys.insert(scope.to_owned(), key);
        key
    }

    /// How many keys were derived (cache misses) since the cache was made.
    pub(crate) fn derived(&self) -> u64 {
        self.derived.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::{AmzDate, SecretKey};

    const SCOPE: &str = "AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/codeartifact";

    fn derive(secret: &str) -> SigningKey {
        let date = AmzDate::parse("20261128T120000Z").unwrap();
        SigningKey::derive(&SecretKey::new(secret), date, "us-east-1", "codeartifact")
    }

    #[test]
    fn a_scope_is_derived_once_per_generation() {
        let cache = SigningKeyCache::default();
        let first = cache.get_or_derive(1, SCOPE, || derive("secret"));
        let cached = cache.get_or_derive(1, SCOPE, || derive("ignored once cached"));
        assert_eq!(first.sign("x"), derive("secret").sign("x"));
        assert_eq!(cached.sign("x"), first.sign("x"));
        assert_eq!(cache.derived(), 1);
    }

    #[test]
    fn a_new_generation_never_uses_the_keys_of_an_older_one() {
        let cache = SigningKeyCache::default();
        let old = cache.get_or_derive(1, SCOPE, || derive("old secret"));
        let new = cache.get_or_derive(2, SCOPE, || derive("new secret"));
        assert_ne!(old.sign("x"), new.sign("x"));
        assert_eq!(new.sign("x"), derive("new secret").sign("x"));
        assert_eq!(cache.derived(), 2);
    }

    #[test]
    fn two_caches_on_one_thread_keep_their_own_keys() {
        // Two services in one process, requests alternating on one thread: each cache
        // derives each scope once (a process-wide cache evicted the other's keys every time).
        let (a, b) = (SigningKeyCache::default(), SigningKeyCache::default());
        for _ in 0..10 {
            a.get_or_derive(1, SCOPE, || derive("a"));
            b.get_or_derive(2, SCOPE, || derive("b"));
        }
        assert_eq!((a.derived(), b.derived()), (1, 1));
    }
}
