//! Uploads on their way to the store: a file is written to a temporary file beside the
//! package files while the four digests CodeArtifact reports are computed, so no upload is
//! ever held in memory and no file is read twice. The commit that names it renames it to its
//! content address ([`super::blobs::Blobs::adopt`]); one that never comes (a refused
//! publish, a client that went away) leaves nothing behind, as the temporary file is removed
//! when its last holder lets go.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use md5::Digest;

/// Bytes an upload keeps in memory before it moves to a file: small files (most npm, pip
/// and Maven metadata) never touch the disk before their commit.
pub const IN_MEMORY_LIMIT: usize = 256 * 1024;

/// The four digests of a file, computed as it streams past.
pub struct Digests {
    md5: md5::Md5,
    sha1: ring::digest::Context,
    sha256: sha2::Sha256,
    sha512: sha2::Sha512,
}

impl Default for Digests {
    fn default() -> Self {
        Self {
            md5: md5::Md5::new(),
            sha1: ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            sha256: sha2::Sha256::new(),
            sha512: sha2::Sha512::new(),
        }
    }
}

impl std::fmt::Debug for Digests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Digests")
    }
}

impl Digests {
    /// Adds `bytes` to every digest.
    pub fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.sha1.update(bytes);
        self.sha256.update(bytes);
        self.sha512.update(bytes);
    }

    /// Hex digests by the API's algorithm names (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`).
    pub fn finish(self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("MD5".to_owned(), hex::encode(self.md5.finalize())),
            ("SHA-1".to_owned(), hex::encode(self.sha1.finish())),
            ("SHA-256".to_owned(), hex::encode(self.sha256.finalize())),
            ("SHA-512".to_owned(), hex::encode(self.sha512.finalize())),
        ])
    }

    /// The digests of `bytes`.
    pub fn of(bytes: &[u8]) -> BTreeMap<String, String> {
        let mut digests = Self::default();
        digests.update(bytes);
        digests.finish()
    }
}

/// A temporary file, removed when dropped unless it was adopted (renamed into the store).
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    adopted: AtomicBool,
}

impl TempFile {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Says the file was renamed away: nothing to remove any more.
    pub fn mark_adopted(&self) {
        self.adopted.store(true, Ordering::Release);
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.adopted.load(Ordering::Acquire) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A file written whole, with its size and digests: the content of an asset to be.
#[derive(Debug, Clone)]
pub struct Spooled {
    /// The file; shared by every copy of the asset until its commit adopts it.
    pub file: Arc<TempFile>,
    /// Its length.
    pub size: u64,
    /// Its digests.
    pub hashes: BTreeMap<String, String>,
}

impl Spooled {
    /// A file of `bytes` in `dir` (for a test, or a piece that must become a file).
    pub fn write(dir: &Path, bytes: &[u8]) -> io::Result<Self> {
        let mut writer = SpoolWriter::create(dir, false)?;
        writer.write(bytes)?;
        writer.finish()
    }
}

/// Writes one file into `dir`, computing its digests.
#[derive(Debug)]
pub struct SpoolWriter {
    file: File,
    temp: TempFile,
    digests: Digests,
    size: u64,
    durable: bool,
}

impl SpoolWriter {
    /// A new temporary file in `dir`; `durable` syncs it when finished (a store on disk).
    pub fn create(dir: &Path, durable: bool) -> io::Result<Self> {
        let name = format!(".spool-{}-{:016x}.tmp", std::process::id(), rand::random::<u64>());
        let path = dir.join(name);
        let file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok(Self {
            file,
            temp: TempFile { path, adopted: AtomicBool::new(false) },
            digests: Digests::default(),
            size: 0,
            durable,
        })
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.digests.update(bytes);
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// How many bytes were written.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The whole file, synced when durable.
    pub fn finish(mut self) -> io::Result<Spooled> {
        self.file.flush()?;
        if self.durable {
            self.file.sync_all()?;
        }
        Ok(Spooled {
            file: Arc::new(self.temp),
            size: self.size,
            hashes: self.digests.finish(),
        })
    }
}

/// Where spooled files go and whether they are synced: the store's folder.
#[derive(Debug, Clone)]
pub struct SpoolPlace {
    /// The folder (the package files' own, so adopting one is a rename).
    pub dir: PathBuf,
    /// Whether files are synced before their commit (a store on disk).
    pub durable: bool,
}

/// Bytes of one file, in memory while small and in a spool past [`IN_MEMORY_LIMIT`], never
/// more than `limit` in all.
pub struct Growing {
    place: Option<SpoolPlace>,
    memory: BytesMut,
    /// Boxed: the digests' state is most of a kilobyte, kept off every splitter's state.
    spool: Option<Box<SpoolWriter>>,
    limit: u64,
}

/// Why a file could not be taken.
#[derive(Debug)]
pub enum SpoolError {
    /// It is longer than the limit.
    TooLarge(u64),
    /// The disk said no.
    Io(io::Error),
}

impl From<io::Error> for SpoolError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl std::fmt::Display for SpoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge(limit) => write!(f, "the file exceeds the limit of {limit} bytes"),
            Self::Io(error) => write!(f, "the file could not be written: {error}"),
        }
    }
}

/// A file taken whole: in memory, or spooled.
#[derive(Debug, Clone)]
pub enum Piece {
    /// Small enough to stay in memory.
    Bytes(Bytes),
    /// In a temporary file, its digests computed.
    File(Spooled),
}

impl Piece {
    /// Its length.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::File(spooled) => spooled.size,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its bytes, when at most `limit` of them (metadata a handler must parse: a POM, a
    /// form field); `None` past it or when the file cannot be read.
    pub fn bytes_up_to(&self, limit: u64) -> Option<Bytes> {
        match self {
            Self::Bytes(bytes) => (bytes.len() as u64 <= limit).then(|| bytes.clone()),
            Self::File(spooled) if spooled.size <= limit => std::fs::read(spooled.file.path()).ok().map(Bytes::from),
            Self::File(_) => None,
        }
    }

    /// Its SHA-256 in lower-case hex.
    pub fn sha256(&self) -> String {
        match self {
            Self::Bytes(bytes) => hex::encode(sha2::Sha256::digest(bytes)),
            Self::File(spooled) => spooled.hashes.get("SHA-256").cloned().unwrap_or_default(),
        }
    }
}

impl std::fmt::Debug for Growing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Growing")
            .field("in_memory", &self.memory.len())
            .field("spool", &self.spool)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Growing {
    /// An empty file; `place` `None` keeps everything in memory (a body that arrived whole).
    pub fn new(place: Option<SpoolPlace>, limit: u64) -> Self {
        Self { place, memory: BytesMut::new(), spool: None, limit }
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), SpoolError> {
        let size = self.spool.as_ref().map_or(self.memory.len() as u64, |spool| spool.size());
        if size + bytes.len() as u64 > self.limit {
            return Err(SpoolError::TooLarge(self.limit));
        }
        if let Some(spool) = &mut self.spool {
            return Ok(spool.write(bytes)?);
        }
        match &self.place {
            Some(place) if self.memory.len() + bytes.len() > IN_MEMORY_LIMIT => {
                let mut spool = SpoolWriter::create(&place.dir, place.durable)?;
                spool.write(&self.memory)?;
                spool.write(bytes)?;
                self.memory = BytesMut::new();
                self.spool = Some(Box::new(spool));
            }
            _ => self.memory.extend_from_slice(bytes),
        }
        Ok(())
    }

    /// The whole file.
    pub fn finish(self) -> io::Result<Piece> {
        match self.spool {
            Some(spool) => spool.finish().map(Piece::File),
            None => Ok(Piece::Bytes(self.memory.freeze())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("codeartifact-mock-spool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn digests_are_the_well_known_ones() {
        let hashes = Digests::of(b"abc");
        assert_eq!(hashes["MD5"], "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hashes["SHA-1"], "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hashes["SHA-256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(hashes["SHA-512"].starts_with("ddaf35a193617aba"));
    }

    #[test]
    fn a_file_grows_from_memory_into_a_spool_with_the_same_digests() {
        let dir = folder("grow");
        let place = SpoolPlace { dir: dir.clone(), durable: true };
        let content: Vec<u8> = (0..IN_MEMORY_LIMIT * 3).map(|i| (i % 251) as u8).collect();
        let mut growing = Growing::new(Some(place), u64::MAX);
        for chunk in content.chunks(10_000) {
            growing.write(chunk).unwrap();
        }
        let Piece::File(spooled) = growing.finish().unwrap() else { panic!("a large file is spooled") };
        assert_eq!(spooled.hashes, Digests::of(&content));
        assert_eq!(std::fs::read(spooled.file.path()).unwrap(), content);
        let path = spooled.file.path().to_owned();
        drop(spooled);
        assert!(!path.exists(), "a spool no one holds is removed");
        let mut small = Growing::new(Some(SpoolPlace { dir: dir.clone(), durable: false }), u64::MAX);
        small.write(b"tiny").unwrap();
        assert!(matches!(small.finish().unwrap(), Piece::Bytes(b) if &b[..] == b"tiny"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing left behind");
    }

    #[test]
    fn a_file_past_its_limit_is_refused_and_leaves_nothing() {
        let dir = folder("limit");
        let mut growing = Growing::new(Some(SpoolPlace { dir: dir.clone(), durable: false }), 300_000);
        growing.write(&[0; 290_000]).unwrap();
        assert!(matches!(growing.write(&[0; 20_000]), Err(SpoolError::TooLarge(300_000))));
        drop(growing);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
}
