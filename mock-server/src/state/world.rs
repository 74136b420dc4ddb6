//! The world being served: one fixture, its lookup tables, and the domains and repositories
//! that start from it and that operations change. A new fixture, or a reset, is a new world.

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::directory::Directory;
use crate::fixture::{DomainSpec, Fixture, RepositorySpec};
use crate::registry::Registry;
use super::{Store, StoreError};

/// The fixture being served, with its lookup tables.
#[derive(Debug)]
pub struct World {
    /// The fixture (shared with the service's start state: a large one is never copied).
    pub fixture: Arc<Fixture>,
    /// When it was loaded (session expiries count from here).
    pub loaded_at: SystemTime,
    /// Its lookup tables (regions, identities).
    pub directory: Directory,
    /// Its domains and repositories, which the control-plane operations change.
    pub registry: RwLock<Registry>,
}

impl World {
    pub(crate) fn new(fixture: Arc<Fixture>, loaded_at: SystemTime) -> Self {
        let directory = Directory::new(&fixture, loaded_at);
        let registry = RwLock::new(Registry::from_fixture(&fixture, loaded_at));
        Self {
            fixture,
            loaded_at,
            directory,
            registry,
        }
    }

    /// The world of `fixture` with what users made, kept in `store`, laid over it.
    pub(crate) fn over(fixture: Arc<Fixture>, loaded_at: SystemTime, store: &Store) -> Result<Self, StoreError> {
        let world = Self::new(fixture, loaded_at);
        world.rebuild(store)?;
        Ok(world)
    }

    /// Builds the registry again from the fixture and `store` (after a commit failed, the
    /// store holds what was acknowledged, and memory must say the same).
    pub(crate) fn rebuild(&self, store: &Store) -> Result<(), StoreError> {
        let mut registry = Registry::from_fixture(&self.fixture, self.loaded_at);
        store.lay_over(&mut registry, &self.fixture.regions)?;
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = registry;
        Ok(())
    }

    /// The domains and repositories, to read.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The domains and repositories, to change: every change is noted, and committed by
    /// `crate::state::Committer` after the request's handler. A request the router answers as
    /// a read ([`ReadOnly`]) must not call it: its changes would fall outside the writer's
    /// turn (debug builds, and so the tests and the fuzzer, stop there).
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        debug_assert!(
            !READING.with(std::cell::Cell::get),
            "a request answered as a read took the world to change it, outside the writer's turn"
        );
        self.registry.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl World {
    /// The world as it is now, as a fixture: the served regions and identities, and the
    /// domains and repositories as operations left them (what `GET /_mock/state` exports).
    /// Encryption keys and tags have no fixture key and are left out.
    pub fn snapshot(&self) -> Fixture {
        let registry = self.read();
        let (domains, repositories) = registry.all();
        // Upstreams first, so the fixture reads in an order a person would write.
        let mut repositories: Vec<RepositorySpec> = repositories
            .into_iter()
            .map(|r| RepositorySpec {
                domain: r.repository.domain.clone(),
                owner: r.repository.owner.clone(),
                name: r.repository.name.clone(),
                region: r.repository.region.clone(),
                description: r.repository.description.clone(),
                upstreams: r.repository.upstreams.clone(),
                external_connection: r.repository.external_connection.clone(),
                policy: r.repository.policy.as_ref().map(|p| p.document.clone()),
            })
            .collect();
        repositories.sort_by_key(|r| !r.upstreams.is_empty());
        Fixture {
            regions: self.fixture.regions.clone(),
            domains: domains
                .into_iter()
                .map(|d| DomainSpec {
                    name: d.domain.name.clone(),
                    owner: d.domain.owner.clone(),
                    region: d.domain.region.clone(),
                    allow_principals: d.domain.allow_principals().to_vec(),
                    policy: d.domain.policy.as_ref().map(|p| p.document.clone()),
                })
                .collect(),
            identities: self.fixture.identities.clone(),
            repositories,
            // What repositories hold is not a fixture's to say now: it is in the registry
            // (and in --data-dir), with what was published since.
            packages: Vec::new(),
            package_groups: registry.package_group_specs(),
        }
    }
}

thread_local! {
    /// Whether this thread is answering a request the router classed as a read. A handler
    /// runs to its end on one thread without yielding, so the mark is exact.
    static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this thread as answering a read until dropped: [`World::write`] then refuses (in
/// debug builds).
#[derive(Debug)]
pub struct ReadOnly(());

impl ReadOnly {
    /// The mark, set.
    pub fn begin() -> Self {
        READING.with(|r| r.set(true));
        Self(())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        READING.with(|r| r.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "answered as a read took the world to change it")]
    fn a_read_may_not_take_the_world_to_change_it() {
        let world = World::new(Arc::new(Fixture::embedded_default()), SystemTime::UNIX_EPOCH);
        let _read = ReadOnly::begin();
        drop(world.write());
    }

    #[test]
    fn the_mark_ends_with_the_read() {
        let world = World::new(Arc::new(Fixture::embedded_default()), SystemTime::UNIX_EPOCH);
        drop(ReadOnly::begin());
        drop(world.write());
    }
}
