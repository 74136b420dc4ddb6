//! `--data-dir`: the world (domains, repositories, packages) and the package files kept on
//! disk, so a restart serves what was published before it.
//!
//! `DIR/state.json` holds the domains and repositories (as the fixture text `GET
//! /_mock/state` exports) and the packages' metadata; `DIR/blobs/SHA256` holds each file
//! once, by its SHA-256. Every write is a new file, synced, then renamed over the old one
//! (and the folder synced): a kill at any moment leaves the previous state or the new one,
//! never half of a file, and a change is on disk before its request is answered. Files are
//! written before the state that names them.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;

use crate::fixture::Fixture;
use crate::package_groups::{DomainGroups, DomainKey, PackageGroupStore};
use crate::packages::{Package, PackageId, PackageStore, RepositoryKey};
use crate::world::World;

/// The state file's format version.
const FORMAT: u32 = 1;

/// A data folder.
#[derive(Debug)]
pub struct Storage {
    dir: PathBuf,
    /// One saver at a time, from the question "has it changed?" to the rename: a request
    /// that finds the world saved by another waits until that save is on disk.
    writing: Mutex<()>,
}

/// What a data folder held at start.
#[derive(Debug)]
pub struct Saved {
    /// The domains and repositories, as a fixture (regions and identities come from the
    /// served fixture, not from here).
    pub world: Fixture,
    /// The packages, their files read back.
    pub packages: PackageStore,
    /// The package groups.
    pub package_groups: PackageGroupStore,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StateFile {
    format: u32,
    /// The fixture text of the domains and repositories.
    world: String,
    repositories: Vec<SavedRepository>,
    /// Package groups of domains that have more than the root's defaults (absent in files
    /// written before package groups were served).
    #[serde(default)]
    package_groups: Vec<(DomainKey, DomainGroups)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedRepository {
    repository: RepositoryKey,
    packages: Vec<(PackageId, Package)>,
}

impl Storage {
    /// Opens (creating) a data folder; temporary files a kill left behind are removed (the
    /// renamed files they were to become were never acknowledged).
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir.join("blobs"))?;
        for folder in [dir.to_owned(), dir.join("blobs")] {
            for entry in fs::read_dir(&folder)? {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    fs::remove_file(&path)?;
                }
            }
        }
        Ok(Self {
            dir: dir.to_owned(),
            writing: Mutex::new(()),
        })
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.dir.join("blobs").join(sha256)
    }

    /// What the folder holds, if anything was saved in it.
    pub fn load(&self) -> Result<Option<Saved>, String> {
        let path = self.state_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let state: StateFile =
            serde_json::from_str(&text).map_err(|e| format!("{}: not a state file: {e}", path.display()))?;
        if state.format != FORMAT {
            return Err(format!(
                "{}: format {} (this build reads {FORMAT})",
                path.display(),
                state.format
            ));
        }
        let world = Fixture::parse(&state.world, &path.display().to_string()).map_err(|e| e.to_string())?;
        let mut packages = PackageStore::default();
        for saved in state.repositories {
            let mut by_id = BTreeMap::new();
            for (id, mut package) in saved.packages {
                for version in package.versions.values_mut() {
                    for asset in version.assets.iter_mut().filter(|a| a.size > 0) {
                        let blob = self.blob_path(asset.hash("SHA-256"));
                        asset.content = Bytes::from(
                            fs::read(&blob).map_err(|e| format!("{}: {e}", blob.display()))?,
                        );
                    }
                }
                by_id.insert(id, package);
            }
            packages.insert_repository(saved.repository, by_id);
        }
        let mut package_groups = PackageGroupStore::default();
        for (domain, groups) in state.package_groups {
            package_groups.insert(domain, groups);
        }
        Ok(Some(Saved {
            world,
            packages,
            package_groups,
        }))
    }

    /// Saves the world if `changed` says it changed since the last save (asked in this
    /// saver's turn, so an answer of "no" means the change is on disk already).
    pub fn save_if(&self, world: &World, changed: impl FnOnce() -> bool) -> io::Result<()> {
        let _turn = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if changed() {
            self.write_world(world)?;
        }
        Ok(())
    }

    /// New files first, then the state that names them.
    fn write_world(&self, world: &World) -> io::Result<()> {
        let mut fixture = world.snapshot().to_document();
        // Identities come from the served fixture at start: their secrets are never written.
        fixture.insert("identities".into(), toml::Value::Array(Vec::new()));
        let text = toml::to_string(&fixture).map_err(io::Error::other)?;
        let registry = world.read();
        let mut repositories = Vec::new();
        for (key, packages) in registry.packages.all() {
            for package in packages.values() {
                for asset in package.versions.values().flat_map(|v| &v.assets) {
                    let blob = self.blob_path(asset.hash("SHA-256"));
                    if !asset.content.is_empty() && !blob.exists() {
                        write_atomically(&blob, &asset.content)?;
                    }
                }
            }
            repositories.push(SavedRepository {
                repository: key.clone(),
                packages: packages.iter().map(|(id, p)| (id.clone(), p.clone())).collect(),
            });
        }
        let mut package_groups: Vec<(DomainKey, DomainGroups)> = registry
            .package_groups
            .all()
            .map(|(domain, groups)| (domain.clone(), groups.clone()))
            .collect();
        drop(registry);
        repositories.sort_by(|a, b| a.repository.cmp(&b.repository));
        package_groups.sort_by(|a, b| a.0.cmp(&b.0));
        let state = StateFile {
            format: FORMAT,
            world: text,
            repositories,
            package_groups,
        };
        let json = serde_json::to_vec(&state).map_err(io::Error::other)?;
        write_atomically(&self.state_path(), &json)
    }
}

/// Writes `bytes` to `path` so that `path` is either what it was or all of `bytes`: a
/// temporary file beside it, synced, renamed over it, and the folder synced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::{Asset, PackageVersion, VersionStatus};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    #[test]
    fn a_saved_world_loads_back_with_its_files() {
        let dir = std::env::temp_dir().join(format!("ca-mock-storage-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let storage = Storage::open(&dir).unwrap();
        assert!(storage.load().unwrap().is_none());
        let world = World::new(Arc::new(Fixture::embedded_default()), SystemTime::UNIX_EPOCH);
        let key = RepositoryKey::new("111122223333", "test-domain", "us-east-1", "my-repo");
        let id = PackageId::pypi("Hello_World");
        let published_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        world.write().packages.package_entry(&key, &id).versions.insert(
            "1.0".into(),
            PackageVersion {
                version: "1.0".into(),
                display_name: "Hello_World".into(),
                status: VersionStatus::Published,
                published_at,
                revision: "r".into(),
                summary: None,
                home_page: None,
                licenses: vec![],
                readme: None,
                dependencies: vec![],
                assets: vec![Asset::new("hello_world-1.0-py3-none-any.whl", Bytes::from_static(b"PK..."))],
                metadata: serde_json::json!({}),
                entry_point: None,
            },
        );
        storage.save_if(&world, || true).unwrap();
        let state = fs::read_to_string(dir.join("state.json")).unwrap();
        assert!(!state.contains("wJalrXUtnFEMI"), "no secret key is written");
        let saved = Storage::open(&dir).unwrap().load().unwrap().unwrap();
        let version = &saved.packages.package(&key, &id).unwrap().versions["1.0"];
        assert_eq!(&version.assets[0].content[..], b"PK...");
        assert_eq!(version.published_at, published_at);
        assert_eq!(saved.world.repositories.len(), Fixture::embedded_default().repositories.len());
        // Nothing temporary is left behind, and what a kill left is swept at the next open.
        fs::write(dir.join(".state.json.1.tmp"), b"half").unwrap();
        Storage::open(&dir).unwrap();
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
