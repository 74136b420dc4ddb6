//! Where an asset's bytes are: in the store under their SHA-256 (every committed file), or,
//! between a handler and its commit, in memory or a spool; a fixture's seeded files stay in
//! memory with the fixture. The world holds this handle, never the bytes of a stored file,
//! so memory does not grow with what was published.
//!
//! Copies of an asset share one handle: the commit that adopts an upload into the store
//! turns every copy into a stored one at once, and a reader that opened the file before
//! keeps reading it (an open file outlives its rename or removal).

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::blobs::Blobs;
use super::spool::{Piece, Spooled};

/// Where an asset's content is; the default is the store (every committed file, and every
/// file a restart reads back).
#[derive(Debug, Clone, Default)]
pub struct Content(Option<Arc<Mutex<Held>>>);

#[derive(Debug)]
enum Held {
    /// An upload small enough to stay in memory until its commit writes it.
    Upload(Bytes),
    /// An upload spooled to a temporary file until its commit adopts it.
    Spool(Spooled),
    /// A fixture's file: in memory as long as the fixture is served, written to the store
    /// only when a version that users made names it (a copy), and never moved from here.
    Fixed(Bytes),
    /// In the store, by SHA-256.
    Stored,
    /// Not fetched yet: an upstream's file, at this URL or path. Never stored as it is.
    Remote(String),
}

/// An asset's bytes, ready to be sent.
#[derive(Debug)]
pub enum Source {
    /// In memory.
    Bytes(Bytes),
    /// An open file of this length.
    File(File, u64),
}

impl Source {
    /// The whole content in memory (tests, and files a handler parses).
    pub fn read_all(self) -> io::Result<Bytes> {
        match self {
            Self::Bytes(bytes) => Ok(bytes),
            Self::File(mut file, size) => {
                let mut buffer = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                io::Read::read_to_end(&mut file, &mut buffer)?;
                Ok(Bytes::from(buffer))
            }
        }
    }
}

impl Content {
    fn holding(held: Held) -> Self {
        Self(Some(Arc::new(Mutex::new(held))))
    }

    /// An upload's content, in memory or spooled, until its commit.
    pub fn upload(piece: Piece) -> Self {
        match piece {
            Piece::Bytes(bytes) => Self::holding(Held::Upload(bytes)),
            Piece::File(spooled) => Self::holding(Held::Spool(spooled)),
        }
    }

    /// A fixture's seeded file.
    pub fn fixed(bytes: Bytes) -> Self {
        Self::holding(Held::Fixed(bytes))
    }

    /// An upstream's file, not fetched yet, at `location` (a URL or a mirror's path).
    pub fn remote(location: String) -> Self {
        Self::holding(Held::Remote(location))
    }

    /// Where a file not fetched yet is; `None` for one at hand.
    pub fn remote_location(&self) -> Option<String> {
        let held = self.0.as_ref()?.lock().unwrap_or_else(|p| p.into_inner());
        match &*held {
            Held::Remote(location) => Some(location.clone()),
            _ => None,
        }
    }

    /// Opens the content of an asset of `size` bytes whose SHA-256 is `sha256`.
    pub fn open(&self, blobs: &Blobs, sha256: &str, size: u64) -> io::Result<Source> {
        if size == 0 && self.remote_location().is_none() {
            return Ok(Source::Bytes(Bytes::new()));
        }
        let Some(held) = &self.0 else {
            return blobs.open(sha256).map(|file| Source::File(file, size));
        };
        // Held while the file is opened, so an adoption cannot rename it in between.
        let held = held.lock().unwrap_or_else(|p| p.into_inner());
        match &*held {
            Held::Upload(bytes) | Held::Fixed(bytes) => Ok(Source::Bytes(bytes.clone())),
            Held::Spool(spooled) => File::open(spooled.file.path()).map(|file| Source::File(file, size)),
            Held::Stored => blobs.open(sha256).map(|file| Source::File(file, size)),
            Held::Remote(location) => Err(io::Error::new(io::ErrorKind::NotFound, format!("{location} is not fetched yet"))),
        }
    }

    /// Puts the content in `blobs` as the file of `sha256`, unless it is there already;
    /// whether a new file was written. An upload is stored from then on, every copy of it.
    pub fn place(&self, blobs: &Blobs, sha256: &str) -> io::Result<bool> {
        let Some(held) = &self.0 else {
            return Ok(false);
        };
        let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
        let written = match &*held {
            Held::Upload(bytes) | Held::Fixed(bytes) => blobs.keep(sha256, bytes)?,
            Held::Spool(spooled) => blobs.adopt(sha256, &spooled.file)?,
            Held::Stored => false,
            Held::Remote(location) => return Err(io::Error::other(format!("{location} was never fetched: it cannot be kept"))),
        };
        if !matches!(*held, Held::Fixed(_)) {
            *held = Held::Stored;
        }
        Ok(written)
    }
}

/// Content is compared by what it is, which the asset's digests say: where it lies is not
/// part of an asset's identity.
impl PartialEq for Content {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Content {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::spool::{Digests, Spooled};

    fn sha256(bytes: &[u8]) -> String {
        Digests::of(bytes)["SHA-256"].clone()
    }

    #[test]
    fn an_upload_is_readable_before_its_commit_and_stored_by_every_copy_after() {
        let blobs = Blobs::temporary();
        let spooled = Spooled::write(blobs.dir(), b"spooled file").unwrap();
        let spool_path = spooled.file.path().to_owned();
        let content = Content::upload(Piece::File(spooled));
        let copy = content.clone();
        let name = sha256(b"spooled file");
        let read = |c: &Content| c.open(&blobs, &name, 12).unwrap().read_all().unwrap();
        assert_eq!(&read(&content)[..], b"spooled file", "served from its spool");
        assert!(content.place(&blobs, &name).unwrap(), "adopted");
        assert!(!spool_path.exists(), "renamed, not copied");
        assert!(blobs.dir().join(&name).exists());
        assert_eq!(&read(&copy)[..], b"spooled file", "the copy is stored too");
        assert!(!copy.place(&blobs, &name).unwrap(), "placed once");
    }

    #[test]
    fn a_seeded_file_is_written_for_a_copy_but_stays_in_memory() {
        let blobs = Blobs::temporary();
        let seed = Content::fixed(Bytes::from_static(b"seed"));
        let name = sha256(b"seed");
        assert!(seed.place(&blobs, &name).unwrap());
        std::fs::remove_file(blobs.dir().join(&name)).unwrap();
        let read = seed.open(&blobs, &name, 4).unwrap().read_all().unwrap();
        assert_eq!(&read[..], b"seed", "a seed never depends on the store");
        let small = Content::upload(Piece::Bytes(Bytes::from_static(b"small")));
        assert!(small.place(&blobs, &sha256(b"small")).unwrap());
        assert!(matches!(small.open(&blobs, &sha256(b"small"), 5).unwrap(), Source::File(..)), "stored after its commit");
        assert!(Content::default().open(&blobs, &sha256(b"gone"), 4).is_err(), "a stored file that is missing is an error");
    }
}
