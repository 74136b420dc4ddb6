//! An archive read at offsets (a `.nupkg`'s central directory, a `.gem`'s tar headers),
//! whether it is in memory or a spooled upload that is never read whole.

use super::spool::Piece;

/// An archive read at offsets: bytes in memory, or a file (a spooled upload, never read
/// whole).
pub trait ReadAt {
    /// The archive's length.
    fn size(&self) -> usize;
    /// `length` bytes from `offset`; `None` past the end or on a read error.
    fn read_at(&self, offset: usize, length: usize) -> Option<Vec<u8>>;
}

impl ReadAt for [u8] {
    fn size(&self) -> usize {
        self.len()
    }

    fn read_at(&self, offset: usize, length: usize) -> Option<Vec<u8>> {
        self.get(offset..offset.checked_add(length)?).map(<[u8]>::to_vec)
    }
}

/// A piece opened for reading at offsets: its bytes, or its spooled file.
#[derive(Debug)]
pub enum PieceReader<'a> {
    /// In memory.
    Bytes(&'a [u8]),
    /// The spooled file and its size.
    File(std::fs::File, usize),
}

impl<'a> PieceReader<'a> {
    /// `piece` opened; `None` when its spooled file cannot be.
    pub fn open(piece: &'a Piece) -> Option<Self> {
        Some(match piece {
            Piece::Bytes(bytes) => Self::Bytes(bytes),
            Piece::File(spooled) => Self::File(std::fs::File::open(spooled.file.path()).ok()?, usize::try_from(spooled.size).ok()?),
        })
    }
}

impl ReadAt for PieceReader<'_> {
    fn size(&self) -> usize {
        match self {
            Self::Bytes(bytes) => bytes.len(),
            Self::File(_, size) => *size,
        }
    }

    fn read_at(&self, offset: usize, length: usize) -> Option<Vec<u8>> {
        match self {
            Self::Bytes(bytes) => bytes.read_at(offset, length),
            Self::File(file, size) => {
                if offset.checked_add(length)? > *size {
                    return None;
                }
                let mut buffer = vec![0; length];
                std::os::unix::fs::FileExt::read_exact_at(file, &mut buffer, offset as u64).ok()?;
                Some(buffer)
            }
        }
    }
}
