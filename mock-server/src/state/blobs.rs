//! The files of package versions, each kept once by its SHA-256 (`DIR/blobs/SHA256` with
//! `--data-dir`, a map in memory without), whatever the number of versions naming it. The
//! database counts the versions that name each one; a file none names is removed after the
//! commit that dropped the last name, and one that a crash left unnamed at the next start.
//!
//! A file is written before the commit that names it: a temporary file beside it, synced,
//! renamed, the folder synced once per commit. A crash in between leaves a file no row names
//! (swept at start), never a row naming a missing file.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;

/// Where package files are kept.
#[derive(Debug)]
pub enum Blobs {
    /// In memory, for a mock without `--data-dir`.
    Memory(Mutex<HashMap<String, Bytes>>),
    /// In a folder, one file per content.
    Folder(PathBuf),
}

impl Blobs {
    /// Files kept in memory.
    pub fn memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    /// Files kept in `dir` (created if missing).
    pub fn folder(dir: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&dir)?;
        Ok(Self::Folder(dir))
    }

    /// The file of `sha256`; `None` for a name that is not a SHA-256 in lower-case hex, so a
    /// stored name can never reach outside the folder.
    fn path(dir: &Path, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| dir.join(sha256))
    }

    /// Keeps `content` as the file of `sha256` unless it is kept already; whether a new file
    /// was written (then [`Blobs::sync`] must run before the commit that names it).
    pub fn keep(&self, sha256: &str, content: &Bytes) -> io::Result<bool> {
        match self {
            Self::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                Ok(map.insert(sha256.to_owned(), content.clone()).is_none())
            }
            Self::Folder(dir) => {
                let path = Self::path(dir, sha256).ok_or_else(|| io::Error::other(format!("not a SHA-256: {sha256:?}")))?;
                if path.exists() {
                    return Ok(false);
                }
                let temporary = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
                let written = (|| {
                    let mut file = File::create(&temporary)?;
                    file.write_all(content)?;
                    file.sync_all()?;
                    fs::rename(&temporary, &path)
                })();
                if written.is_err() {
                    let _ = fs::remove_file(&temporary);
                }
                written.map(|()| true)
            }
        }
    }

    /// Makes the files written so far survive a crash (their folder entries synced).
    pub fn sync(&self) -> io::Result<()> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Folder(dir) => File::open(dir)?.sync_all(),
        }
    }

    /// The content of `sha256`; the error names the file and the problem.
    pub fn read(&self, sha256: &str) -> Result<Bytes, String> {
        match self {
            Self::Memory(map) => map
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(sha256)
                .cloned()
                .ok_or_else(|| format!("no file {sha256} in memory")),
            Self::Folder(dir) => {
                let path = Self::path(dir, sha256).ok_or_else(|| format!("{}: not a SHA-256: {sha256:?}", dir.display()))?;
                fs::read(&path)
                    .map(Bytes::from)
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }

    /// Removes the file of `sha256` (no longer named by any version).
    pub fn remove(&self, sha256: &str) {
        match self {
            Self::Memory(map) => {
                map.lock().unwrap_or_else(|p| p.into_inner()).remove(sha256);
            }
            Self::Folder(dir) => {
                if let Some(path) = Self::path(dir, sha256) {
                    if let Err(error) = fs::remove_file(&path) {
                        if error.kind() != io::ErrorKind::NotFound {
                            tracing::warn!(%error, file = %path.display(), "cannot remove a file no version names");
                        }
                    }
                }
            }
        }
    }

    /// Removes every file `named` does not name, and temporary files a kill left: what no
    /// committed row points at. How many were removed.
    pub fn sweep(&self, named: impl Fn(&str) -> bool) -> io::Result<usize> {
        let mut removed = 0;
        match self {
            Self::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                let before = map.len();
                map.retain(|sha256, _| named(sha256));
                removed += before - map.len();
            }
            Self::Folder(dir) => {
                for entry in fs::read_dir(dir)? {
                    let path = entry?.path();
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    if !named(name) {
                        fs::remove_file(&path)?;
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn a_folder_keeps_each_content_once_and_sweeps_what_nothing_names() {
        let dir = std::env::temp_dir().join(format!("ca-mock-blobs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let blobs = Blobs::folder(dir.clone()).unwrap();
        assert!(blobs.keep(ABC, &Bytes::from_static(b"abc")).unwrap());
        assert!(!blobs.keep(ABC, &Bytes::from_static(b"abc")).unwrap(), "kept once");
        blobs.sync().unwrap();
        assert_eq!(&blobs.read(ABC).unwrap()[..], b"abc");
        fs::write(dir.join(".half.1.tmp"), b"half").unwrap();
        assert_eq!(blobs.sweep(|name| name == ABC).unwrap(), 1);
        assert_eq!(blobs.sweep(|_| false).unwrap(), 1);
        assert!(blobs.read(ABC).unwrap_err().contains(ABC), "the error names the file");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_name_that_is_not_a_sha256_never_becomes_a_path() {
        let blobs = Blobs::Folder(PathBuf::from("/tmp"));
        for name in ["../etc/passwd", "/etc/passwd", "ABC", ""] {
            assert!(blobs.keep(name, &Bytes::new()).is_err(), "{name}");
            assert!(blobs.read(name).is_err(), "{name}");
        }
    }
}
