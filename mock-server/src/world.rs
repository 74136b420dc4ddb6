//! The world being served: one fixture, its lookup tables, and the domains and repositories
//! that start from it and that operations change. A new fixture, or a reset, is a new world.

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::directory::Directory;
use crate::fixture::Fixture;
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

    /// The domains and repositories, to read.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The domains and repositories, to change.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|p| p.into_inner())
    }
}

