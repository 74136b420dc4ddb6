//! The files of package versions, each kept once by its SHA-256 in one folder
//! (`DIR/blobs/SHA256` with `--data-dir`; a private temporary folder without, removed when
//! the mock exits), whatever the number of versions naming it. The database counts the
//! versions that name each one; a file none names is removed after the commit that dropped
//! the last name, and one that a crash left unnamed at the next start.
//!
//! A file is in place before the commit that names it: an upload's spool (written in this
//! folder, so adopting it is a rename) or a temporary file beside it, synced, renamed, the
//! folder synced once per commit. A crash in between leaves a file no row names (swept at
//! start), never a row naming a missing file.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::spool::{SpoolPlace, TempFile};

/// The folder package files are kept in.
#[derive(Debug)]
pub struct Blobs {
    dir: PathBuf,
    /// Files are synced before their commit (a `--data-dir` store); a temporary folder's
    /// files would not outlive the process anyway.
    durable: bool,
    /// The folder is the process's own and goes with it.
    temporary: bool,
    /// Why the folder could not be made (a temporary one): every write says so.
    unusable: Option<String>,
}

impl Drop for Blobs {
    fn drop(&mut self) {
        if self.temporary {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Blobs {
    /// Files kept in a new private folder under the system's temporary folder (`TMPDIR`),
    /// readable by this user only, removed when the store is dropped (the mock's exit). A
    /// folder that cannot be made is reported by [`Blobs::unusable`] and by every write.
    pub fn temporary() -> Self {
        let base = std::env::temp_dir();
        let mut failure = format!("{}: no free name for a temporary folder", base.display());
        for _ in 0..16 {
            let dir = base.join(format!("codeartifact-mock-{}-{:08x}", std::process::id(), rand::random::<u32>()));
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&dir) {
                Ok(()) => return Self { dir, durable: false, temporary: true, unusable: None },
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => {
                    failure = format!("{}: {error}", base.display());
                    break;
                }
            }
        }
        Self { dir: base, durable: false, temporary: false, unusable: Some(failure) }
    }

    /// Files kept in `dir` (created if missing), synced before their commit.
    pub fn folder(dir: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&dir)?;
        Ok(Self { dir, durable: true, temporary: false, unusable: None })
    }

    /// Why no file can be kept, if the folder could not be made.
    pub fn unusable(&self) -> Option<&str> {
        self.unusable.as_deref()
    }

    fn usable(&self) -> io::Result<()> {
        self.unusable.as_ref().map_or(Ok(()), |why| Err(io::Error::other(why.clone())))
    }

    /// Where uploads are spooled: this folder, so that adopting one is a rename.
    pub fn spool_place(&self) -> io::Result<SpoolPlace> {
        self.usable()?;
        Ok(SpoolPlace { dir: self.dir.clone(), durable: self.durable })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `sha256`; `None` for a name that is not a SHA-256 in lower-case hex, so a
    /// stored name can never reach outside the folder.
    fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.dir.join(sha256))
    }

    fn checked_path(&self, sha256: &str) -> io::Result<PathBuf> {
        self.usable()?;
        self.path(sha256).ok_or_else(|| io::Error::other(format!("not a SHA-256: {sha256:?}")))
    }

    /// Keeps `content` as the file of `sha256` unless it is kept already; whether a new file
    /// was written (then [`Blobs::sync`] must run before the commit that names it).
    pub fn keep(&self, sha256: &str, content: &Bytes) -> io::Result<bool> {
        let path = self.checked_path(sha256)?;
        if path.exists() {
            return Ok(false);
        }
        let temporary = self.dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(content)?;
            if self.durable {
                file.sync_all()?;
            }
            fs::rename(&temporary, &path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written.map(|()| true)
    }

    /// Makes `spool` (a file written and synced in this folder) the file of `sha256`, unless
    /// one is kept already; whether it was adopted.
    pub fn adopt(&self, sha256: &str, spool: &TempFile) -> io::Result<bool> {
        let path = self.checked_path(sha256)?;
        if path.exists() {
            return Ok(false);
        }
        fs::rename(spool.path(), &path)?;
        spool.mark_adopted();
        Ok(true)
    }

    /// Makes the files written so far survive a crash (their folder entries synced).
    pub fn sync(&self) -> io::Result<()> {
        if self.durable && self.unusable.is_none() {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Opens the file of `sha256`.
    pub fn open(&self, sha256: &str) -> io::Result<File> {
        let path = self.checked_path(sha256)?;
        File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    /// Whether the file of `sha256` is there; the error names the file and the problem.
    pub fn check(&self, sha256: &str) -> Result<(), String> {
        let path = self.path(sha256).ok_or_else(|| format!("{}: not a SHA-256: {sha256:?}", self.dir.display()))?;
        match fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => Ok(()),
            Ok(_) => Err(format!("{}: not a file", path.display())),
            Err(error) => Err(format!("{}: {error}", path.display())),
        }
    }

    /// Removes the file of `sha256` (no longer named by any version).
    pub fn remove(&self, sha256: &str) {
        if let Some(path) = self.path(sha256) {
            if let Err(error) = fs::remove_file(&path) {
                if error.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(%error, file = %path.display(), "cannot remove a file no version names");
                }
            }
        }
    }

    /// Removes every file `named` does not name, and temporary files a kill left: what no
    /// committed row points at. How many were removed. Run at start (everything goes) and at
    /// a reset (`live_spools` spares this process's uploads being received meanwhile).
    pub fn sweep(&self, named: impl Fn(&str) -> bool, live_spools: bool) -> io::Result<usize> {
        let ours = format!(".spool-{}-", std::process::id());
        let mut removed = 0;
        if self.unusable.is_some() {
            return Ok(0);
        }
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let live = live_spools && name.starts_with(&ours);
            if !(named(name) || live) {
                fs::remove_file(&path)?;
                removed += 1;
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
        assert_eq!(fs::read(dir.join(ABC)).unwrap(), b"abc");
        assert!(blobs.check(ABC).is_ok());
        fs::write(dir.join(".half.1.tmp"), b"half").unwrap();
        assert_eq!(blobs.sweep(|name| name == ABC, false).unwrap(), 1);
        assert_eq!(blobs.sweep(|_| false, false).unwrap(), 1);
        assert!(blobs.check(ABC).unwrap_err().contains(ABC), "the error names the file");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_name_that_is_not_a_sha256_never_becomes_a_path() {
        let blobs = Blobs::temporary();
        for name in ["../etc/passwd", "/etc/passwd", "ABC", ""] {
            assert!(blobs.keep(name, &Bytes::new()).is_err(), "{name}");
            assert!(blobs.open(name).is_err(), "{name}");
            assert!(blobs.check(name).is_err(), "{name}");
        }
    }

    #[test]
    fn a_temporary_folder_is_private_and_goes_with_its_store() {
        let blobs = Blobs::temporary();
        assert_eq!(blobs.unusable(), None);
        let dir = blobs.dir().to_owned();
        #[cfg(unix)]
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&dir).unwrap().permissions()) & 0o777, 0o700);
        assert!(blobs.keep(ABC, &Bytes::from_static(b"abc")).unwrap());
        drop(blobs);
        assert!(!dir.exists(), "removed with the store");
    }
}
