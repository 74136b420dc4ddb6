//! `cargo publish`'s body, split as it streams in: the metadata JSON, then the `.crate`
//! file, each after its length as a 32-bit little-endian number. The metadata stays in
//! memory; the file is spooled past a small size, hashed on its way.

use bytes::Bytes;

use super::{Part, UploadError};
use crate::files::spool::{Growing, Piece, SpoolPlace};

/// The longest metadata document taken (crates.io's own limit is far below).
pub const MAX_METADATA: u32 = 10 * 1024 * 1024;

/// The name of the metadata part.
pub const METADATA: &str = "metadata";
/// The name of the file part.
pub const CRATE: &str = "crate";

enum State {
    /// Reading a length (metadata's, then the file's): the bytes so far.
    Length(Vec<u8>, bool),
    /// Reading the metadata: the bytes so far, of this many.
    Metadata(Vec<u8>, usize),
    /// Reading the file: what is left of it.
    File(Growing, u64),
    /// Both read.
    Done,
}

/// A publish body being split, fed a chunk at a time.
pub struct FrameSplitter {
    state: State,
    metadata: Bytes,
    crate_file: Option<Piece>,
    place: Option<SpoolPlace>,
    file_limit: u64,
}

impl std::fmt::Debug for FrameSplitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameSplitter").field("parts", &self.crate_file.is_some()).finish_non_exhaustive()
    }
}

impl FrameSplitter {
    /// A splitter whose file is spooled to `place` (in memory without one), refused past
    /// `file_limit`.
    pub fn new(place: Option<SpoolPlace>, file_limit: u64) -> Self {
        Self { state: State::Length(Vec::new(), false), metadata: Bytes::new(), crate_file: None, place, file_limit }
    }

    /// Takes the next bytes of the body.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), UploadError> {
        while !chunk.is_empty() {
            match &mut self.state {
                State::Length(bytes, second) => {
                    let take = (4 - bytes.len()).min(chunk.len());
                    bytes.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if bytes.len() == 4 {
                        let length = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                        self.state = if *second {
                            if u64::from(length) > self.file_limit {
                                return Err(UploadError::TooLarge(self.file_limit));
                            }
                            State::File(Growing::new(self.place.clone(), self.file_limit), u64::from(length))
                        } else {
                            if length > MAX_METADATA {
                                return Err(UploadError::Malformed(format!("the metadata is longer than {MAX_METADATA} bytes")));
                            }
                            State::Metadata(Vec::with_capacity(length as usize), length as usize)
                        };
                    }
                }
                State::Metadata(bytes, length) => {
                    let take = (*length - bytes.len()).min(chunk.len());
                    bytes.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if bytes.len() == *length {
                        self.metadata = Bytes::from(std::mem::take(bytes));
                        self.state = State::Length(Vec::new(), true);
                    }
                }
                State::File(file, left) => {
                    let take = usize::try_from(*left).unwrap_or(usize::MAX).min(chunk.len());
                    file.write(&chunk[..take])?;
                    chunk = &chunk[take..];
                    *left -= take as u64;
                    if *left == 0 {
                        let State::File(file, _) = std::mem::replace(&mut self.state, State::Done) else {
                            unreachable!("matched above");
                        };
                        self.crate_file = Some(file.finish().map_err(UploadError::Io)?);
                    }
                }
                State::Done => return Err(UploadError::Malformed("bytes after the .crate file".to_owned())),
            }
        }
        // A file of length zero is complete as soon as its length is read.
        if let State::File(_, 0) = self.state {
            if let State::File(file, _) = std::mem::replace(&mut self.state, State::Done) {
                self.crate_file = Some(file.finish().map_err(UploadError::Io)?);
            }
        }
        Ok(())
    }

    /// The two parts (`metadata`, `crate`), once the whole body was fed.
    pub fn finish(self) -> Result<Vec<Part>, UploadError> {
        match (self.state, self.crate_file) {
            (State::Done, Some(file)) => Ok(vec![
                Part { name: METADATA.to_owned(), filename: None, content: Piece::Bytes(self.metadata) },
                Part { name: CRATE.to_owned(), filename: None, content: file },
            ]),
            _ => Err(UploadError::Malformed("the body ends before the .crate file does".to_owned())),
        }
    }
}

/// The parts of a publish body that arrived whole.
pub fn split(body: &[u8]) -> Result<Vec<Part>, UploadError> {
    let mut splitter = FrameSplitter::new(None, u64::MAX);
    splitter.feed(body)?;
    splitter.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(metadata: &[u8], file: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
        body.extend_from_slice(metadata);
        body.extend_from_slice(&(file.len() as u32).to_le_bytes());
        body.extend_from_slice(file);
        body
    }

    #[test]
    fn splits_a_publish_whatever_the_chunks() {
        let body = frame(br#"{"name":"a"}"#, b"crate bytes");
        for size in 1..body.len() {
            let mut splitter = FrameSplitter::new(None, u64::MAX);
            for chunk in body.chunks(size) {
                splitter.feed(chunk).unwrap();
            }
            let parts = splitter.finish().unwrap();
            assert_eq!(parts[0].text(), r#"{"name":"a"}"#);
            assert_eq!(&parts[1].content.bytes_up_to(100).unwrap()[..], b"crate bytes");
        }
    }

    #[test]
    fn refuses_short_long_and_oversized_bodies() {
        let body = frame(b"{}", b"file");
        assert!(split(&body[..body.len() - 1]).is_err(), "cut short");
        let mut longer = body.clone();
        longer.push(0);
        assert!(split(&longer).is_err(), "trailing bytes");
        let mut limited = FrameSplitter::new(None, 3);
        assert!(matches!(limited.feed(&body), Err(UploadError::TooLarge(3))));
        assert!(split(&frame(b"{}", b"")).is_ok(), "an empty file is a file");
        assert!(split(&[0xff, 0xff, 0xff, 0xff]).is_err(), "metadata too long");
    }
}
