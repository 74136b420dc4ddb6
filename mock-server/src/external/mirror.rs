//! Offline mirrors: a folder of package files as the package managers make them (`pip
//! download`'s wheels and sdists, `npm pack`'s tarballs, `.crate` files, `.nupkg` files, a
//! Maven repository layout), read as an upstream would list them. Every file is read once at
//! start ([`index`]); the folder is walked again when a listing is wanted (at most every
//! [`super::MIRROR_LISTING_TTL`]), so files added while the mock runs are found, but a file is
//! opened only when it is new or changed: its digests and manifest are kept by path, size and
//! modification time.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{json, Value};

use super::{listed_version, remote_asset, FetchError, Listing};
use crate::files::spool::{Digests, Growing, Piece, SpoolPlace};
use crate::packages::{normalize_python_name, PackageId};

/// How deep a mirror folder is searched for files (a Maven layout is deeper: it is walked by
/// its own paths).
const MAX_DEPTH: usize = 4;

/// The largest manifest-bearing file opened to read its manifest.
const MAX_MANIFEST_SOURCE: u64 = 512 * 1024 * 1024;

/// What was read of one mirror file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    digests: BTreeMap<String, String>,
    manifest: Option<Value>,
}

/// A version of a file: its path, size and modification time.
type FileVersion = (PathBuf, u64, Option<SystemTime>);

/// Mirror files read so far, by path, size and modification time.
#[derive(Debug, Clone, Default)]
pub(crate) struct DigestCache(Arc<Mutex<HashMap<FileVersion, Known>>>);

impl DigestCache {
    /// What `read` says of `path`, read once per version of the file.
    fn known(&self, path: &Path, read: impl FnOnce(&[u8]) -> Option<Value>) -> Option<Known> {
        let metadata = fs::metadata(path).ok()?;
        let key = (path.to_owned(), metadata.len(), metadata.modified().ok());
        if let Some(known) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Some(known.clone());
        }
        if metadata.len() > MAX_MANIFEST_SOURCE {
            return None;
        }
        let content = fs::read(path).ok()?;
        let known = Known { digests: Digests::of(&content), manifest: read(&content) };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key, known.clone());
        Some(known)
    }
}

/// Every file under `dir` (to [`MAX_DEPTH`]) whose name `keep` accepts.
fn files(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, keep: &dyn Fn(&str) -> bool, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && depth < MAX_DEPTH {
                walk(&path, depth + 1, keep, found);
            } else if kind.is_file() && path.file_name().and_then(|n| n.to_str()).is_some_and(keep) {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, 0, keep, &mut found);
    found.sort();
    found
}

/// A format's mirror files: which names are its, and what is read of one (its manifest).
struct Kind {
    is_file: fn(&str) -> bool,
    read: fn(&[u8]) -> Option<Value>,
}

fn kind(format: &str) -> Option<Kind> {
    let kind = |is_file, read| Some(Kind { is_file, read });
    match format {
        "pypi" => kind(|n| [".whl", ".tar.gz", ".zip", ".tar.bz2"].iter().any(|s| n.ends_with(s)), |_| None),
        "npm" => kind(|n| n.ends_with(".tgz"), npm_manifest),
        "cargo" => kind(|n| n.ends_with(".crate"), cargo_line),
        "nuget" => kind(|n| n.to_ascii_lowercase().ends_with(".nupkg"), nuget_identity),
        _ => None,
    }
}

fn npm_manifest(content: &[u8]) -> Option<Value> {
    let json = crate::archive::tar_gz_entry(content, |p| p.split_once('/').is_some_and(|(_, rest)| rest == "package.json"))?;
    serde_json::from_slice::<Value>(&json).ok()
}

fn cargo_line(content: &[u8]) -> Option<Value> {
    let toml = crate::archive::tar_gz_entry(content, |p| p.split_once('/').is_some_and(|(_, rest)| rest == "Cargo.toml"))?;
    super::cargo::manifest_to_index(&String::from_utf8_lossy(&toml))
}

fn nuget_identity(content: &[u8]) -> Option<Value> {
    let nuspec = crate::nupkg::read(content)?;
    Some(json!({ "id": nuspec.id, "version": nuspec.version }))
}

/// Reads every file of `format` in `dir` once (its digests and manifest), so the first
/// request after a start finds the mirror indexed. How many files were read.
pub(crate) fn index(dir: &Path, format: &str, cache: &DigestCache) -> usize {
    let Some(kind) = kind(format) else { return 0 };
    files(dir, &kind.is_file).iter().filter(|path| cache.known(path, kind.read).is_some()).count()
}

/// The mirror's listing of `package`.
pub(crate) fn listing(dir: &Path, format: &str, package: &PackageId, cache: &DigestCache) -> Result<Listing, FetchError> {
    if !dir.is_dir() {
        return Err(FetchError::Unreachable(format!("{}: not a folder", dir.display())));
    }
    let listing = match format {
        "pypi" => pypi(dir, package, cache),
        "npm" => npm(dir, package, cache),
        "cargo" => cargo(dir, package, cache),
        "maven" => maven(dir, package),
        "nuget" => nuget(dir, package, cache),
        _ => Listing::default(),
    };
    if listing.versions.is_empty() {
        return Err(FetchError::Status(404));
    }
    Ok(listing)
}

/// Copies a mirror file into a spool, at most `limit` bytes.
pub(crate) fn copy(path: &Path, place: &SpoolPlace, limit: u64) -> Result<Piece, FetchError> {
    let missing = |e: std::io::Error| FetchError::Unreachable(format!("{}: {e}", path.display()));
    let mut file = fs::File::open(path).map_err(missing)?;
    let mut growing = Growing::new(Some(place.clone()), limit);
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let n = file.read(&mut buffer).map_err(missing)?;
        if n == 0 {
            break;
        }
        growing.write(&buffer[..n]).map_err(|e| match e {
            crate::files::spool::SpoolError::TooLarge(limit) => FetchError::TooLarge(limit),
            crate::files::spool::SpoolError::Io(e) => FetchError::Unreachable(e.to_string()),
        })?;
    }
    growing.finish().map_err(|e| FetchError::Unreachable(e.to_string()))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn location(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Wheels and sdists: the project and version from the file name (PEP 427, PEP 625).
fn pypi(dir: &Path, package: &PackageId, cache: &DigestCache) -> Listing {
    let mut listing = Listing::default();
    let Some(kind) = kind("pypi") else { return listing };
    for path in files(dir, &kind.is_file) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let Some((project, number)) = super::pypi::project_and_version(&name) else { continue };
        if normalize_python_name(&project) != package.name {
            continue;
        }
        let Some(known) = cache.known(&path, kind.read) else { continue };
        let sha256 = BTreeMap::from([("SHA-256".to_owned(), known.digests["SHA-256"].clone())]);
        let size = fs::metadata(&path).map_or(0, |m| m.len());
        let version = listing.versions.entry(number.clone()).or_insert_with(|| listed_version(&number, &project, modified(&path)));
        version.metadata = json!({});
        version.assets.push(remote_asset(&name, location(&path), sha256, size));
    }
    listing
}

/// `npm pack` tarballs: the manifest from `package/package.json`.
fn npm(dir: &Path, package: &PackageId, cache: &DigestCache) -> Listing {
    let mut listing = Listing::default();
    let Some(kind) = kind("npm") else { return listing };
    for path in files(dir, &kind.is_file) {
        let Some(known) = cache.known(&path, kind.read) else { continue };
        let Some(manifest) = known.manifest.clone() else { continue };
        if manifest["name"].as_str() != Some(package.full_name().as_str()) {
            continue;
        }
        let Some(number) = manifest["version"].as_str().map(str::to_owned) else { continue };
        let size = fs::metadata(&path).map_or(0, |m| m.len());
        let version = super::npm::listed(package, &number, manifest, &known.digests, location(&path), size, modified(&path));
        listing.versions.insert(number, version);
    }
    if let Some(latest) = listing.versions.values().max_by_key(|v| v.published_at) {
        listing.dist_tags.insert("latest".to_owned(), latest.version.clone());
    }
    listing
}

/// `.crate` files: the index line from the `Cargo.toml` inside.
fn cargo(dir: &Path, package: &PackageId, cache: &DigestCache) -> Listing {
    let mut listing = Listing::default();
    let Some(kind) = kind("cargo") else { return listing };
    for path in files(dir, &kind.is_file) {
        let Some(known) = cache.known(&path, kind.read) else { continue };
        let Some(mut line) = known.manifest.clone() else { continue };
        let name = line["name"].as_str().unwrap_or_default().to_owned();
        if name.to_ascii_lowercase() != package.name {
            continue;
        }
        line["cksum"] = json!(known.digests["SHA-256"]);
        let size = fs::metadata(&path).map_or(0, |m| m.len());
        let version = super::cargo::listed(&name, line, location(&path), size);
        listing.versions.insert(version.version.clone(), version);
    }
    listing
}

/// A Maven repository layout: `GROUP/PATH/ARTIFACT/VERSION/FILE`.
fn maven(dir: &Path, package: &PackageId) -> Listing {
    let mut listing = Listing::default();
    let group = package.namespace.as_deref().unwrap_or("").replace('.', "/");
    let artifact = dir.join(group).join(&package.name);
    let Ok(versions) = fs::read_dir(&artifact) else { return listing };
    for entry in versions.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())) {
        let number = entry.file_name().to_string_lossy().into_owned();
        let mut version = listed_version(&number, &package.name, modified(&entry.path()));
        for file in fs::read_dir(entry.path()).into_iter().flatten().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if file.file_type().is_ok_and(|t| t.is_file()) && !super::maven::is_checksum(&name) {
                let size = file.metadata().map_or(0, |m| m.len());
                version.assets.push(remote_asset(&name, location(&file.path()), BTreeMap::new(), size));
            }
        }
        listing.versions.insert(number, version);
    }
    listing
}

/// `.nupkg` files: the id and version from the nuspec inside.
fn nuget(dir: &Path, package: &PackageId, cache: &DigestCache) -> Listing {
    let mut listing = Listing::default();
    let Some(kind) = kind("nuget") else { return listing };
    for path in files(dir, &kind.is_file) {
        let Some(known) = cache.known(&path, kind.read) else { continue };
        let Some(manifest) = known.manifest else { continue };
        let id = manifest["id"].as_str().unwrap_or_default();
        if id.to_ascii_lowercase() != package.name {
            continue;
        }
        let number = crate::nupkg::normalize_version(manifest["version"].as_str().unwrap_or_default());
        let size = fs::metadata(&path).map_or(0, |m| m.len());
        let sha512 = BTreeMap::from([("SHA-512".to_owned(), known.digests["SHA-512"].clone())]);
        let mut version = listed_version(&number, id, modified(&path));
        version.assets.push(remote_asset(&format!("{}.{number}.nupkg", package.name), location(&path), sha512, size));
        listing.versions.insert(number, version);
    }
    listing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_indexed_once_and_files_added_later_are_listed() {
        let dir = std::env::temp_dir().join(format!("codeartifact-mirror-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("nested")).unwrap();
        fs::write(dir.join("hello-1.0-py3-none-any.whl"), b"one").unwrap();
        let cache = DigestCache::default();
        assert_eq!(index(&dir, "pypi", &cache), 1);
        let package = PackageId::pypi("hello");
        let listed = listing(&dir, "pypi", &package, &cache).unwrap();
        assert_eq!(listed.versions.keys().collect::<Vec<_>>(), ["1.0"]);
        assert_eq!(listed.versions["1.0"].assets[0].hash("SHA-256"), Digests::of(b"one")["SHA-256"]);
        fs::write(dir.join("nested/hello-2.0.tar.gz"), b"two").unwrap();
        let listed = listing(&dir, "pypi", &package, &cache).unwrap();
        assert_eq!(listed.versions.keys().collect::<Vec<_>>(), ["1.0", "2.0"], "a file added later is found");
        assert!(matches!(listing(&dir, "pypi", &PackageId::pypi("other"), &cache), Err(FetchError::Status(404))));
        fs::remove_dir_all(&dir).unwrap();
    }
}
