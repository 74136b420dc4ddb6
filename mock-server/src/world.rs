//! The world being served: one fixture, its lookup tables, and the domains and repositories
//! that start from it and that operations change. A new fixture, or a reset, is a new world.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::directory::Directory;
use crate::fixture::{DomainSpec, Fixture, RepositorySpec};
use crate::package_groups::PackageGroupStore;
use crate::packages::PackageStore;
use crate::registry::Registry;

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
    /// Whether it may have changed since it was last saved (`--data-dir`): set by every
    /// [`World::write`].
    changed: AtomicBool,
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
            changed: AtomicBool::new(true),
        }
    }

    /// The world of `fixture` with domains, repositories and packages saved earlier
    /// (`--data-dir`): the fixture's regions and identities, the saved rest.
    pub(crate) fn restored(
        fixture: &Fixture,
        saved: Fixture,
        packages: PackageStore,
        package_groups: PackageGroupStore,
        loaded_at: SystemTime,
    ) -> Self {
        let mut merged = fixture.clone();
        merged.domains = saved.domains;
        merged.repositories = saved.repositories;
        let world = Self::new(Arc::new(merged), loaded_at);
        {
            let mut registry = world.write();
            registry.packages = packages;
            registry.package_groups = package_groups;
        }
        world.changed.store(false, Ordering::Release);
        world
    }

    /// Whether the world may have changed since the last call (and forgets it).
    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    /// The domains and repositories, to read.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The domains and repositories, to change.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.changed.store(true, Ordering::Release);
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
