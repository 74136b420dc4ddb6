//! The database of what users made: SQLite (`DIR/state.sqlite3` with `--data-dir`, in memory
//! without), one row per domain, repository, domain's package groups, package and package
//! version that an operation or a registry changed, each in the region it was changed in.
//!
//! It is an overlay: the served world is the fixture's (`--config`, a scenario's `[fixture]`,
//! `PUT /_mock/config`) with these rows laid over it, so a restart with another fixture or
//! scenario keeps everything users created or published wherever its domain and repository
//! still exist, and serving another fixture never writes the fixture into the folder. A row
//! whose record is `NULL` says the thing was deleted (a fixture's repository, a seeded
//! version). `POST /_mock/reset` empties it.
//!
//! Every request that changes anything is one transaction (`crate::state::Committer`),
//! committed before its answer leaves; WAL with `synchronous = FULL` makes a commit durable
//! when it returns. The folder is locked (`DIR/lock`) for the life of the process, so a
//! second mock on it stops at start instead of writing over the first; `sqlite3
//! DIR/state.sqlite3` can read it meanwhile.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::files::blobs::Blobs;
use super::legacy;
use super::rows::{DomainRow, PackageHeadRow, RepositoryRow};
use crate::package_groups::{DomainGroups, DomainKey};
use crate::packages::{PackageId, PackageVersion, RepositoryKey};
use crate::registry::{Changes, Registry};

/// The database's file name in the data folder.
pub const FILE_NAME: &str = "state.sqlite3";
/// The lock file's name in the data folder.
pub const LOCK_NAME: &str = "lock";
/// `PRAGMA application_id` of this project's databases ("CAMK").
const APPLICATION_ID: i32 = 0x4341_4d4b;
/// The schema this build writes and reads.
const SCHEMA_VERSION: i32 = 1;

const SCHEMA: &str = "
CREATE TABLE domains (
    owner TEXT NOT NULL, name TEXT NOT NULL, region TEXT NOT NULL,
    record TEXT,
    PRIMARY KEY (owner, name, region)
) WITHOUT ROWID;
CREATE TABLE repositories (
    owner TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    record TEXT,
    PRIMARY KEY (owner, domain, region, name)
) WITHOUT ROWID;
CREATE TABLE package_groups (
    owner TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL,
    groups TEXT,
    PRIMARY KEY (owner, domain, region)
) WITHOUT ROWID;
CREATE TABLE packages (
    owner TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL, repository TEXT NOT NULL,
    format TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    head TEXT,
    PRIMARY KEY (owner, domain, region, repository, format, namespace, name)
) WITHOUT ROWID;
CREATE TABLE package_versions (
    owner TEXT NOT NULL, domain TEXT NOT NULL, region TEXT NOT NULL, repository TEXT NOT NULL,
    format TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
    record TEXT,
    PRIMARY KEY (owner, domain, region, repository, format, namespace, name, version)
) WITHOUT ROWID;
CREATE TABLE blobs (
    sha256 TEXT NOT NULL PRIMARY KEY,
    refs INTEGER NOT NULL
) WITHOUT ROWID;
";

/// What cannot be read or written; the text names the file and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// The database of what users made, and the files its versions name.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
    blobs: Blobs,
    /// The database file; `None` in memory.
    file: Option<PathBuf>,
    /// The data folder's lock, held as long as the store lives.
    _lock: Option<File>,
}

impl Store {
    /// A store in memory: what a mock without `--data-dir` keeps, with the same rules.
    pub fn in_memory() -> Self {
        let connection = Connection::open_in_memory().expect("SQLite opens a database in memory");
        connection
            .execute_batch(&format!(
                "PRAGMA synchronous = OFF; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
            ))
            .expect("the schema is valid SQL");
        Self {
            connection: Mutex::new(connection),
            blobs: Blobs::temporary(),
            file: None,
            _lock: None,
        }
    }

    /// Opens the data folder `dir` (created if missing): locks it, opens or creates its
    /// database, checks it, imports a `state.json` an earlier version wrote, and removes files
    /// no committed row names. A folder another process holds, a database that is damaged or
    /// not this project's, or a file that cannot be read is an error naming it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        create_folder(dir).map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
        let lock = lock_folder(dir)?;
        let file = dir.join(FILE_NAME);
        let fresh = !file.exists();
        let blobs = Blobs::folder(dir.join("blobs")).map_err(|e| StoreError(format!("{}: {e}", dir.join("blobs").display())))?;
        let at = |e: rusqlite::Error| StoreError(format!("{}: {e}", file.display()));
        let connection = Connection::open(&file).map_err(at)?;
        connection
            .execute_batch("PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;")
            .map_err(at)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(at)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(format!("{}: cannot use write-ahead logging (journal mode {mode})", file.display())));
        }
        check_schema(&connection, &file)?;
        let store = Self {
            connection: Mutex::new(connection),
            blobs,
            file: Some(file),
            _lock: Some(lock),
        };
        if fresh {
            // A folder an earlier version wrote: its state.json, imported once.
            if let Some(changes) = legacy::read(dir).map_err(StoreError)? {
                store.commit(&changes)?;
                legacy::retire(dir).map_err(StoreError)?;
            }
        }
        store.sweep(false)?;
        Ok(store)
    }

    /// Where it is, for messages.
    pub fn location(&self) -> String {
        self.file
            .as_ref()
            .map_or_else(|| "memory".to_owned(), |f| f.display().to_string())
    }

    /// The package files.
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// Whether it is in memory (a commit then touches no disk).
    pub fn is_in_memory(&self) -> bool {
        self.file.is_none()
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn error(&self, what: &str, error: impl std::fmt::Display) -> StoreError {
        StoreError(format!("{}: {what}: {error}", self.location()))
    }

    /// Lays what users made over `registry` (a world just built from its fixture, in
    /// `regions`): each domain, repository, package group set, package and version whose
    /// domain and repository exist in it; then forgets the changes that made.
    pub fn lay_over(&self, registry: &mut Registry, regions: &[String]) -> Result<(), StoreError> {
        let connection = self.connection();
        self.each_row(&connection, "SELECT owner, name, region, record FROM domains", |row| {
            let (owner, name, region): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let record = row
                .get::<_, Option<String>>(3)?
                .map(|json| {
                    let stored: DomainRow = serde_json::from_str(&json).map_err(|e| e.to_string())?;
                    stored.into_record(&owner, &name, &region)
                })
                .transpose()
                .map_err(|e| self.error(&format!("domain {name} of {owner} in {region}"), e))?;
            registry.put_domain(&DomainKey::new(&owner, &name, &region), record, regions);
            Ok(())
        })?;
        self.each_row(&connection, "SELECT owner, domain, region, name, record FROM repositories", |row| {
            let key = RepositoryKey::new(&row.get::<_, String>(0)?, &row.get::<_, String>(1)?, &row.get::<_, String>(2)?, &row.get::<_, String>(3)?);
            if registry.domain(&key.owner, &key.domain, &key.region).is_none() {
                return Ok(());
            }
            let record = row
                .get::<_, Option<String>>(4)?
                .map(|json| {
                    let stored: RepositoryRow = serde_json::from_str(&json).map_err(|e| e.to_string())?;
                    stored.into_record(&key.owner, &key.domain, &key.repository, &key.region)
                })
                .transpose()
                .map_err(|e| self.error(&format!("repository {} of {} in {}", key.repository, key.domain, key.region), e))?;
            registry.put_repository(&key, record, regions);
            Ok(())
        })?;
        self.each_row(&connection, "SELECT owner, domain, region, groups FROM package_groups", |row| {
            let key = DomainKey::new(&row.get::<_, String>(0)?, &row.get::<_, String>(1)?, &row.get::<_, String>(2)?);
            if registry.domain(&key.owner, &key.domain, &key.region).is_none() {
                return Ok(());
            }
            let groups = row
                .get::<_, Option<String>>(3)?
                .map(|json| serde_json::from_str::<DomainGroups>(&json))
                .transpose()
                .map_err(|e| self.error(&format!("package groups of {} in {}", key.domain, key.region), e))?;
            registry.package_groups.put(key, groups);
            Ok(())
        })?;
        // Packages before their versions: a package removed and published again is a head
        // laid first, then the versions it has now.
        self.each_row(&connection, "SELECT owner, domain, region, repository, format, namespace, name, head FROM packages", |row| {
            let (key, id) = package_of(row)?;
            if registry.repository(&key.owner, &key.domain, &key.repository, &key.region).is_none() {
                return Ok(());
            }
            let head = row
                .get::<_, Option<String>>(7)?
                .map(|json| serde_json::from_str::<PackageHeadRow>(&json))
                .transpose()
                .map_err(|e| self.error(&format!("package {} in {}", id.full_name(), key.repository), e))?;
            registry.packages.put_head(&key, &id, head.map(|h| (h.dist_tags, h.origin)));
            Ok(())
        })?;
        let versions = "SELECT owner, domain, region, repository, format, namespace, name, version, record FROM package_versions";
        self.each_row(&connection, versions, |row| {
            let (key, id) = package_of(row)?;
            if registry.repository(&key.owner, &key.domain, &key.repository, &key.region).is_none() {
                return Ok(());
            }
            let number: String = row.get(7)?;
            let what = || format!("version {number} of {} in {}", id.full_name(), key.repository);
            let version = match row.get::<_, Option<String>>(8)? {
                None => None,
                Some(json) => {
                    let version: PackageVersion = serde_json::from_str(&json).map_err(|e| self.error(&what(), e))?;
                    // The files stay on disk (read when served); a missing one is damage.
                    for asset in version.assets.iter().filter(|a| a.size > 0) {
                        self.blobs.check(asset.hash("SHA-256")).map_err(|e| self.error(&what(), e))?;
                    }
                    Some(version)
                }
            };
            registry.packages.put_version(&key, &id, &number, version);
            Ok(())
        })?;
        registry.forget_changes();
        Ok(())
    }

    /// Runs `each` on every row `sql` selects; an SQLite error names the file.
    fn each_row(
        &self,
        connection: &Connection,
        sql: &str,
        mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), RowError>,
    ) -> Result<(), StoreError> {
        let read = |e: rusqlite::Error| self.error("reading", e);
        let mut statement = connection.prepare(sql).map_err(read)?;
        let mut rows = statement.query([]).map_err(read)?;
        while let Some(row) = rows.next().map_err(read)? {
            match each(row) {
                Ok(()) => {}
                Err(RowError::Sql(e)) => return Err(read(e)),
                Err(RowError::Store(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes `changes` as one transaction: new files first, then the rows, then the files no
    /// row names any more are removed. Nothing is written when it fails (the error says
    /// why): the rows are as they were, and a file it wrote is swept at the next start.
    pub fn commit(&self, changes: &Changes) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        // The files the commit puts in place, removed again if it fails: no row named them.
        let mut written = Vec::new();
        let placed = (|| {
            for version in changes.packages.iter().flat_map(|c| &c.versions).filter_map(|(_, v)| v.as_ref()) {
                for asset in version.assets.iter().filter(|a| a.size > 0) {
                    let sha256 = asset.hash("SHA-256");
                    if asset.content.place(&self.blobs, sha256).map_err(|e| self.error("writing a package file", e))? {
                        written.push(sha256.to_owned());
                    }
                }
            }
            if !written.is_empty() {
                self.blobs.sync().map_err(|e| self.error("syncing the package files", e))?;
            }
            let mut connection = self.connection();
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.error("starting a transaction", e))?;
            let freed = write_rows(&transaction, changes).map_err(|e| self.error("writing", e))?;
            transaction.commit().map_err(|e| self.error("committing", e))?;
            Ok(freed)
        })();
        let freed = match placed {
            Ok(freed) => freed,
            Err(error) => {
                for sha256 in &written {
                    self.blobs.remove(sha256);
                }
                return Err(error);
            }
        };
        for sha256 in freed {
            self.blobs.remove(&sha256);
        }
        Ok(())
    }

    /// Forgets everything users made (`POST /_mock/reset`).
    pub fn clear(&self) -> Result<(), StoreError> {
        {
            let mut connection = self.connection();
            let transaction = connection.transaction().map_err(|e| self.error("starting a transaction", e))?;
            transaction
                .execute_batch(
                    "DELETE FROM domains; DELETE FROM repositories; DELETE FROM package_groups;
                     DELETE FROM packages; DELETE FROM package_versions; DELETE FROM blobs;",
                )
                .map_err(|e| self.error("clearing", e))?;
            transaction.commit().map_err(|e| self.error("committing", e))?;
        }
        self.sweep(true).map(|_| ())
    }

    /// Removes the files no row names (and temporary files a kill left).
    fn sweep(&self, live_spools: bool) -> Result<usize, StoreError> {
        let named: std::collections::HashSet<String> = {
            let connection = self.connection();
            let mut statement = connection
                .prepare("SELECT sha256 FROM blobs")
                .map_err(|e| self.error("reading", e))?;
            let names = statement
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(|e| self.error("reading", e))?;
            names.collect::<Result<_, _>>().map_err(|e| self.error("reading", e))?
        };
        self.blobs
            .sweep(|name| named.contains(name), live_spools)
            .map_err(|e| self.error("removing unnamed package files", e))
    }

    /// `PRAGMA integrity_check`: `ok`, or what is wrong.
    pub fn integrity(&self) -> Result<String, StoreError> {
        self.connection()
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| self.error("checking", e))
    }
}

/// Why a row could not be laid over the world: SQLite's reading of it (named with the file
/// by [`Store::each_row`]), or what it holds.
enum RowError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for RowError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sql(error)
    }
}

impl From<StoreError> for RowError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// The repository and package a row of `packages` or `package_versions` names (its first
/// seven columns).
fn package_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<(RepositoryKey, PackageId)> {
    let key = RepositoryKey::new(&row.get::<_, String>(0)?, &row.get::<_, String>(1)?, &row.get::<_, String>(2)?, &row.get::<_, String>(3)?);
    let namespace: String = row.get(5)?;
    let id = PackageId::named(&row.get::<_, String>(4)?, &namespace, &row.get::<_, String>(6)?);
    Ok((key, id))
}

/// The rows of `changes`, and the files whose last name they dropped.
fn write_rows(transaction: &rusqlite::Transaction<'_>, changes: &Changes) -> Result<Vec<String>, String> {
    for (key, record) in &changes.domains {
        let record = record.as_ref().map(|r| json(&DomainRow::of(r))).transpose()?;
        transaction
            .execute(
                "INSERT OR REPLACE INTO domains (owner, name, region, record) VALUES (?1, ?2, ?3, ?4)",
                params![key.owner, key.domain, key.region, record],
            )
            .map_err(|e| e.to_string())?;
    }
    for (key, record) in &changes.repositories {
        let record = record.as_ref().map(|r| json(&RepositoryRow::of(r))).transpose()?;
        transaction
            .execute(
                "INSERT OR REPLACE INTO repositories (owner, domain, region, name, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.owner, key.domain, key.region, key.repository, record],
            )
            .map_err(|e| e.to_string())?;
    }
    for (key, groups) in &changes.package_groups {
        let groups = groups.as_ref().map(json).transpose()?;
        transaction
            .execute(
                "INSERT OR REPLACE INTO package_groups (owner, domain, region, groups) VALUES (?1, ?2, ?3, ?4)",
                params![key.owner, key.domain, key.region, groups],
            )
            .map_err(|e| e.to_string())?;
    }
    // How many more (or fewer) versions name each file.
    let mut names: BTreeMap<String, i64> = BTreeMap::new();
    for change in &changes.packages {
        let (key, id) = (&change.repository, &change.id);
        let namespace = id.namespace.as_deref().unwrap_or("");
        let head = change
            .head
            .as_ref()
            .map(|(dist_tags, origin)| json(&PackageHeadRow { dist_tags: dist_tags.clone(), origin: *origin }))
            .transpose()?;
        transaction
            .execute(
                "INSERT OR REPLACE INTO packages (owner, domain, region, repository, format, namespace, name, head)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![key.owner, key.domain, key.region, key.repository, id.format, namespace, id.name, head],
            )
            .map_err(|e| e.to_string())?;
        for (number, version) in &change.versions {
            let where_ = params![key.owner, key.domain, key.region, key.repository, id.format, namespace, id.name, number];
            let before: Option<Option<String>> = transaction
                .query_row(
                    "SELECT record FROM package_versions WHERE owner = ?1 AND domain = ?2 AND region = ?3
                     AND repository = ?4 AND format = ?5 AND namespace = ?6 AND name = ?7 AND version = ?8",
                    where_,
                    |row| row.get(0),
                )
                .optional()
                .map_err(|e| e.to_string())?;
            if let Some(before) = before.flatten() {
                let before: PackageVersion = serde_json::from_str(&before).map_err(|e| e.to_string())?;
                for asset in before.assets.iter().filter(|a| a.size > 0) {
                    *names.entry(asset.hash("SHA-256").to_owned()).or_default() -= 1;
                }
            }
            if let Some(version) = version {
                for asset in version.assets.iter().filter(|a| a.size > 0) {
                    *names.entry(asset.hash("SHA-256").to_owned()).or_default() += 1;
                }
            }
            let record = version.as_ref().map(json).transpose()?;
            transaction
                .execute(
                    "INSERT OR REPLACE INTO package_versions
                     (owner, domain, region, repository, format, namespace, name, version, record)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![key.owner, key.domain, key.region, key.repository, id.format, namespace, id.name, number, record],
                )
                .map_err(|e| e.to_string())?;
        }
    }
    let mut freed = Vec::new();
    for (sha256, delta) in names.into_iter().filter(|(_, d)| *d != 0) {
        transaction
            .execute(
                "INSERT INTO blobs (sha256, refs) VALUES (?1, ?2) ON CONFLICT (sha256) DO UPDATE SET refs = refs + ?2",
                params![sha256, delta],
            )
            .map_err(|e| e.to_string())?;
        let deleted = transaction
            .execute("DELETE FROM blobs WHERE sha256 = ?1 AND refs <= 0", params![sha256])
            .map_err(|e| e.to_string())?;
        if deleted > 0 {
            freed.push(sha256);
        }
    }
    Ok(freed)
}

/// A row's record as JSON.
fn json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

/// Creates `dir` if missing, syncing its parent so the new folder survives a crash.
fn create_folder(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Takes the folder's lock for this process, or says which process holds it.
fn lock_folder(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_NAME);
    let at = |e: io::Error| StoreError(format!("{}: {e}", path.display()));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(at)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let by = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
            return Err(StoreError(format!(
                "{}: in use by another codeartifact-mock{by}; one process per data folder",
                dir.display()
            )));
        }
        Err(fs::TryLockError::Error(e)) => return Err(at(e)),
    }
    file.set_len(0).map_err(at)?;
    writeln!(file, "{}", std::process::id()).map_err(at)?;
    Ok(file)
}

/// Creates the schema in a new database, or checks an existing one is this project's, of a
/// schema this build reads, and undamaged.
fn check_schema(connection: &Connection, file: &Path) -> Result<(), StoreError> {
    let at = |e: rusqlite::Error| StoreError(format!("{}: {e}", file.display()));
    let application: i32 = connection.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(at)?;
    let version: i32 = connection.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(at)?;
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(at)?;
    match (application, version) {
        (0, 0) if tables == 0 => connection
            .execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(at)?,
        (APPLICATION_ID, SCHEMA_VERSION) => {}
        (APPLICATION_ID, newer) if newer > SCHEMA_VERSION => {
            return Err(StoreError(format!(
                "{}: written by a newer codeartifact-mock (schema {newer}; this build reads {SCHEMA_VERSION})",
                file.display()
            )))
        }
        _ => {
            return Err(StoreError(format!(
                "{}: not a codeartifact-mock database (application id {application:#x}, schema {version})",
                file.display()
            )))
        }
    }
    let check: String = connection.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(at)?;
    if check != "ok" {
        let check = check.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(StoreError(format!("{}: damaged: {check}", file.display())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::fixture::Fixture;
    use crate::packages::{Asset, VersionStatus};
    use crate::state::World;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ca-mock-db-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn my_repo(region: &str) -> RepositoryKey {
        RepositoryKey::new("111122223333", "test-domain", region, "my-repo")
    }

    fn version(number: &str, content: &'static [u8]) -> PackageVersion {
        let mut version = PackageVersion::unfinished(number, "kept", SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        version.status = VersionStatus::Published;
        version.assets.push(Asset::new(&format!("kept-{number}.tgz"), Bytes::from_static(content)));
        version
    }

    /// Commits what changed in `world` to `store`, as the committer does.
    fn commit(world: &World, store: &Store) {
        let changes = world.write().take_changes();
        store.commit(&changes).unwrap();
    }

    /// The world of the embedded fixture with `store` laid over it.
    fn restarted(store: &Store) -> World {
        World::over(Arc::new(Fixture::embedded_default()), SystemTime::UNIX_EPOCH, store).unwrap()
    }

    #[test]
    fn what_is_committed_comes_back_over_the_fixture_and_deletions_stay_deleted() {
        let dir = folder("overlay");
        let store = Store::open(&dir).unwrap();
        let world = restarted(&store);
        let (npm, pypi) = (PackageId::npm("kept"), PackageId::pypi("mock-hello"));
        {
            let mut registry = world.write();
            let package = registry.packages.package_entry(&my_repo("us-east-1"), &npm);
            package.versions.insert("1.0.0".into(), version("1.0.0", b"one"));
            package.dist_tags.insert("latest".into(), "1.0.0".into());
            // A seeded version deleted, a fixture repository deleted in one region.
            registry.packages.package_mut(&my_repo("us-east-1"), &pypi).unwrap().versions.remove("1.0.0");
            let regions = Fixture::embedded_default().regions;
            registry.remove_repository("111122223333", "test-domain", "test-repo", "eu-west-1", &regions);
        }
        commit(&world, &store);
        drop(store);

        let store = Store::open(&dir).unwrap();
        let again = restarted(&store);
        let registry = again.read();
        let kept = registry.packages.package(&my_repo("us-east-1"), &npm).unwrap();
        let file = kept.versions["1.0.0"].assets[0].open(store.blobs()).unwrap().read_all().unwrap();
        assert_eq!(&file[..], b"one", "files come back");
        assert_eq!(kept.dist_tags["latest"], "1.0.0");
        assert!(registry.packages.package(&my_repo("us-east-1"), &pypi).unwrap().versions.is_empty(), "a deleted seed stays deleted");
        assert!(registry.packages.package(&my_repo("us-west-2"), &pypi).is_some(), "other regions keep their seed");
        assert!(registry.repository("111122223333", "test-domain", "test-repo", "eu-west-1").is_none());
        assert!(registry.repository("111122223333", "test-domain", "test-repo", "us-east-1").is_some());
        assert_eq!(store.integrity().unwrap(), "ok");
        drop(registry);
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_is_removed_when_the_last_version_naming_it_goes() {
        let dir = folder("refs");
        let store = Store::open(&dir).unwrap();
        let world = restarted(&store);
        let npm = PackageId::npm("kept");
        let blob = dir.join("blobs").join(version("1.0.0", b"same").assets[0].hash("SHA-256"));
        {
            let mut registry = world.write();
            let package = registry.packages.package_entry(&my_repo("us-east-1"), &npm);
            package.versions.insert("1.0.0".into(), version("1.0.0", b"same"));
            package.versions.insert("2.0.0".into(), version("2.0.0", b"same"));
        }
        commit(&world, &store);
        assert!(blob.exists());
        world.write().packages.package_mut(&my_repo("us-east-1"), &npm).unwrap().versions.remove("1.0.0");
        commit(&world, &store);
        assert!(blob.exists(), "another version still names it");
        world.write().packages.remove_package(&my_repo("us-east-1"), &npm);
        commit(&world, &store);
        assert!(!blob.exists(), "no version names it");
        // A file a crash left unnamed is swept at the next open.
        let orphan = dir.join("blobs").join("a".repeat(64));
        fs::write(&orphan, b"orphan").unwrap();
        drop(store);
        let store = Store::open(&dir).unwrap();
        assert!(!orphan.exists());
        store.clear().unwrap();
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_database_of_another_schema_or_application_is_refused_by_name() {
        let dir = folder("schema");
        drop(Store::open(&dir).unwrap());
        let file = dir.join(FILE_NAME);
        Connection::open(&file).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
        let error = Store::open(&dir).unwrap_err().to_string();
        assert!(error.contains("state.sqlite3") && error.contains("newer"), "{error}");
        Connection::open(&file).unwrap().execute_batch("PRAGMA application_id = 7").unwrap();
        let error = Store::open(&dir).unwrap_err().to_string();
        assert!(error.contains("not a codeartifact-mock database"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
