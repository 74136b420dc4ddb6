//! The data folder an earlier version wrote: `DIR/state.json` (the whole world as fixture
//! text and the packages' metadata) beside `DIR/blobs/SHA256`. A new database in such a
//! folder imports it once, everything in it as made by users, and renames it
//! `state.json.imported`: an upgrade loses nothing that was acknowledged.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::fixture::Fixture;
use crate::package_groups::{DomainGroups, DomainKey};
use crate::packages::{OriginRestrictions, PackageChange, PackageId, PackageVersion, RepositoryKey};
use crate::registry::{Changes, Registry};

/// The only format that version wrote.
const FORMAT: u32 = 1;

#[derive(serde::Deserialize)]
struct StateFile {
    format: u32,
    world: String,
    repositories: Vec<SavedRepository>,
    #[serde(default)]
    package_groups: Vec<(DomainKey, DomainGroups)>,
}

#[derive(serde::Deserialize)]
struct SavedRepository {
    repository: RepositoryKey,
    packages: Vec<(PackageId, SavedPackage)>,
}

#[derive(serde::Deserialize)]
struct SavedPackage {
    versions: BTreeMap<String, PackageVersion>,
    dist_tags: BTreeMap<String, String>,
    origin: OriginRestrictions,
}

/// What `DIR/state.json` holds, as changes to commit, if there is such a file; the error
/// names the file and the problem.
pub(super) fn read(dir: &Path) -> Result<Option<Changes>, String> {
    let path = dir.join("state.json");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let at = |e: String| format!("{}: {e}", path.display());
    let state: StateFile = serde_json::from_str(&text).map_err(|e| at(format!("not a state file: {e}")))?;
    if state.format != FORMAT {
        return Err(at(format!("format {} (this build imports {FORMAT})", state.format)));
    }
    let world = Fixture::parse(&state.world, &path.display().to_string()).map_err(|e| at(e.to_string()))?;
    let mut changes = Changes::default();
    let registry = Registry::from_fixture(&world, std::time::SystemTime::now());
    let (domains, repositories) = registry.all();
    for record in domains {
        let domain = &record.domain;
        for region in domain.region.clone().map_or_else(|| world.regions.clone(), |r| vec![r]) {
            changes.domains.push((DomainKey::new(&domain.owner, &domain.name, &region), Some(record.clone())));
        }
    }
    for record in repositories {
        let repository = &record.repository;
        let regions = repository.region.clone().map_or_else(
            || registry.domain_regions(&repository.owner, &repository.domain, &world.regions),
            |r| vec![r],
        );
        for region in regions {
            let key = RepositoryKey::new(&repository.owner, &repository.domain, &region, &repository.name);
            changes.repositories.push((key, Some(record.clone())));
        }
    }
    changes.package_groups = state.package_groups.into_iter().map(|(k, g)| (k, Some(g))).collect();
    let blobs = dir.join("blobs");
    for saved in state.repositories {
        for (id, package) in saved.packages {
            let mut versions = Vec::new();
            for (number, version) in package.versions {
                // The files are where the store keeps them already (`DIR/blobs/SHA256`).
                for asset in version.assets.iter().filter(|a| a.size > 0) {
                    let file = blobs.join(asset.hash("SHA-256"));
                    fs::metadata(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                }
                versions.push((number, Some(version)));
            }
            changes.packages.push(PackageChange {
                repository: saved.repository.clone(),
                id,
                head: Some((package.dist_tags, package.origin)),
                versions,
            });
        }
    }
    Ok(Some(changes))
}

/// Renames `DIR/state.json` once what it held is committed, so it is imported once.
pub(super) fn retire(dir: &Path) -> Result<(), String> {
    let (from, to) = (dir.join("state.json"), dir.join("state.json.imported"));
    fs::rename(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
    tracing::info!(from = %from.display(), "imported the data folder an earlier version wrote");
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::packages::{Asset, VersionStatus};

    #[test]
    fn a_folder_an_earlier_version_wrote_is_imported_once() {
        let dir = std::env::temp_dir().join(format!("ca-mock-legacy-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("blobs")).unwrap();
        let mut version = PackageVersion::unfinished("1.0.0", "old", std::time::SystemTime::UNIX_EPOCH);
        version.status = VersionStatus::Published;
        version.assets.push(Asset::new("old-1.0.0.tgz", Bytes::from_static(b"old")));
        fs::write(dir.join("blobs").join(version.assets[0].hash("SHA-256")), b"old").unwrap();
        let world = "regions = [\"us-east-1\"]\n[[domains]]\nname = \"acme\"\nowner = \"111122223333\"\n\
                     [[repositories]]\ndomain = \"acme\"\nowner = \"111122223333\"\nname = \"made-later\"\n";
        let key = RepositoryKey::new("111122223333", "acme", "us-east-1", "made-later");
        let state = serde_json::json!({
            "format": 1,
            "world": world,
            "repositories": [{
                "repository": key,
                "packages": [[PackageId::npm("old"), {
                    "versions": { "1.0.0": version },
                    "dist_tags": { "latest": "1.0.0" },
                    "origin": { "publish": true, "upstream": true },
                }]],
            }],
        });
        fs::write(dir.join("state.json"), state.to_string()).unwrap();
        let store = super::super::Store::open(&dir).unwrap();
        assert!(!dir.join("state.json").exists() && dir.join("state.json.imported").exists());
        // Served over a fixture that knows nothing of acme: the import made it the user's.
        let fixture = Fixture::parse("regions = [\"us-east-1\"]\n", "test").unwrap();
        let mut registry = Registry::from_fixture(&fixture, std::time::SystemTime::UNIX_EPOCH);
        store.lay_over(&mut registry, &fixture.regions).unwrap();
        let package = registry.packages.package(&key, &PackageId::npm("old")).unwrap();
        let file = package.versions["1.0.0"].assets[0].open(store.blobs()).unwrap().read_all().unwrap();
        assert_eq!(&file[..], b"old");
        assert_eq!(package.dist_tags["latest"], "1.0.0");
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }
}
