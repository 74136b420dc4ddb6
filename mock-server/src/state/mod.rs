//! Where what users make is kept, and the one place it is committed.
//!
//! The world a request reads is in memory ([`World`], `crate::registry`): reads never
//! wait on a disk. What users make (domains, repositories, package groups, packages and
//! versions created, changed or deleted through the API and the registries) is also in a
//! [`Store`]: SQLite in the data folder (`--data-dir`), or in memory, laid over whatever
//! fixture is served. The stores note every change where it is made (`Registry`,
//! `PackageStore`, `Versions`, `PackageGroupStore`), so no handler writes to the database
//! itself: the [`Committer`] takes a request's changes after its handler ran and commits
//! them as one transaction, before the answer leaves.
//!
//! Locks, in the order they are taken:
//!
//! 1. the writer's turn ([`Committer::turn`], async): held by one request that may change
//!    the world, from before its handler runs until its commit is done, so a commit holds
//!    that request's changes alone and a failed one can be undone whole;
//! 2. the world's lock (`World::read`/`World::write`): a handler's reads and changes, and the
//!    commit's taking of the changes, each briefly; never held across a disk write;
//! 3. the database's connection, inside the commit (on the blocking pool with `--data-dir`).
//!
//! A commit that fails (a full disk, an I/O error) answers 500 and rebuilds the world's
//! registry from its fixture and the store, which the failed transaction left as it was:
//! memory says what the disk says, and the same request succeeds once the cause is gone.

pub mod database;
mod legacy;
pub mod rows;
mod world;

use std::sync::{Arc, RwLock};

pub use database::{Store, StoreError};
pub use world::{ReadOnly, World};

/// The one place requests' changes are committed, and the turn writers take.
#[derive(Debug)]
pub struct Committer {
    writer: tokio::sync::Mutex<()>,
    store: RwLock<Arc<Store>>,
}

impl Default for Committer {
    fn default() -> Self {
        Self {
            writer: tokio::sync::Mutex::new(()),
            store: RwLock::new(Arc::new(Store::in_memory())),
        }
    }
}

/// A writer's turn: while it is held, no other request changes the world.
pub type Turn<'a> = tokio::sync::MutexGuard<'a, ()>;

impl Committer {
    /// The store changes go to.
    pub fn store(&self) -> Arc<Store> {
        Arc::clone(&self.store.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Sends changes to `store` from now on (`--data-dir`, at start).
    pub fn set_store(&self, store: Store) {
        *self.store.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(store);
    }

    /// Waits for the writer's turn.
    pub async fn turn(&self) -> Turn<'_> {
        self.writer.lock().await
    }

    /// Commits what changed in `world` since the last commit, in the writer's turn. When it
    /// fails, the world's registry is rebuilt from its fixture and the store, so the change
    /// is gone from memory as it is from disk, and the error says why.
    pub async fn commit(&self, _turn: &Turn<'_>, world: &Arc<World>) -> Result<(), StoreError> {
        let changes = world.write().take_changes();
        if changes.is_empty() {
            return Ok(());
        }
        let store = self.store();
        let committed = if store.is_in_memory() {
            store.commit(&changes)
        } else {
            let on_disk = Arc::clone(&store);
            tokio::task::spawn_blocking(move || on_disk.commit(&changes))
                .await
                .unwrap_or_else(|e| Err(StoreError(format!("the commit stopped: {e}"))))
        };
        if let Err(error) = &committed {
            tracing::error!(%error, "a change could not be committed: its request is answered 500 and the change undone");
            let (world, rebuilt_from) = (Arc::clone(world), Arc::clone(&store));
            let rebuilt = tokio::task::spawn_blocking(move || world.rebuild(&rebuilt_from))
                .await
                .unwrap_or_else(|e| Err(StoreError(e.to_string())));
            if let Err(error) = rebuilt {
                tracing::error!(%error, "the world could not be read back from the store after a failed commit");
            }
        }
        committed
    }
}

/// What a client is told when its change could not be committed (the AWS API's
/// `InternalServerException`, a registry's 500).
pub fn commit_failure_message(error: &StoreError) -> String {
    format!("The change could not be saved, so nothing was changed ({error}). Try again once the cause is fixed.")
}
