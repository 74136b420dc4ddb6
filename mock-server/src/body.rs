//! Response bodies: whole, streamed from a package file (never read into memory whole), or
//! cut short on purpose (the `truncate_body` fault).

use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::task::JoinHandle;

use crate::files::content::Source;

/// How long a truncated body waits before failing: long enough for hyper to flush the part.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

/// Files up to this size are read whole when their answer is built.
const INLINE_FILE: u64 = 64 * 1024;

/// How much of a file is read per frame: large enough that a gigabyte is a few thousand
/// reads, small enough that a slow client holds little memory.
const FILE_CHUNK: u64 = 256 * 1024;

/// A response body: whole, streamed from a file, or (for the `truncate_body` fault) declared
/// whole but ended early.
#[derive(Debug)]
pub enum MockBody {
    /// The whole body.
    Full(Option<Bytes>),
    /// `Content-Length: declared`, then only `first`, then the connection is aborted.
    Truncated {
        /// The part that is sent.
        first: Option<Bytes>,
        /// The length announced.
        declared: u64,
        /// A pause between the part and the abort, so the part reaches the socket first.
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
    },
    /// A file, read a chunk at a time on the blocking pool as the client takes it.
    File(FileBody),
}

/// A file being sent.
#[derive(Debug)]
pub struct FileBody {
    /// The file, between reads.
    file: Option<File>,
    /// The read in flight.
    reading: Option<JoinHandle<(File, std::io::Result<Bytes>)>>,
    /// Bytes still to send.
    remaining: u64,
    /// The length announced.
    declared: u64,
    /// Fail once `remaining` is sent (a truncated file), after this pause.
    fail: Option<Option<Pin<Box<tokio::time::Sleep>>>>,
}

impl MockBody {
    /// A whole body.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }

    /// A package file's content: bytes in memory, or an open file streamed. A small file is
    /// read at once: from the page cache that costs less than handing reads to the blocking
    /// pool (a kept wheel reads at half the rate otherwise).
    pub fn source(source: Source) -> Self {
        match source {
            Source::Bytes(bytes) => Self::full(bytes),
            Source::File(file, size) if size <= INLINE_FILE => match Source::File(file, size).read_all() {
                Ok(bytes) if bytes.len() as u64 == size => Self::full(bytes),
                // Shorter than its record: the client must not take it for whole.
                _ => Self::truncated_file(size),
            },
            Source::File(file, size) => Self::File(FileBody {
                file: Some(file),
                reading: None,
                remaining: size,
                declared: size,
                fail: None,
            }),
        }
    }

    /// A body announced as `size` bytes that fails at once (a file that could not be read
    /// whole).
    fn truncated_file(size: u64) -> Self {
        Self::Truncated { declared: size, first: None, pause: None }
    }

    /// The first half of `bytes`, announced as all of it.
    pub fn truncated(bytes: Bytes) -> Self {
        Self::Truncated {
            declared: bytes.len() as u64,
            first: Some(bytes.slice(..bytes.len() / 2)),
            pause: None,
        }
    }

    /// This body cut at half its length, announced whole (the `truncate_body` fault).
    pub fn truncate(self) -> Self {
        match self {
            Self::Full(bytes) => Self::truncated(bytes.unwrap_or_default()),
            Self::File(mut body) => {
                body.remaining = body.declared / 2;
                body.fail = Some(None);
                Self::File(body)
            }
            truncated @ Self::Truncated { .. } => truncated,
        }
    }

    /// The bytes this body yields before it ends (all of a whole body; the part of a
    /// truncated one; a file's, read from its start). For tests without a socket.
    pub fn bytes(&self) -> Bytes {
        match self {
            Self::Full(bytes) | Self::Truncated { first: bytes, .. } => {
                bytes.clone().unwrap_or_default()
            }
            Self::File(body) => body.file.as_ref().map_or_else(Bytes::new, |file| {
                let mut buffer = vec![0; usize::try_from(body.remaining).unwrap_or(0)];
                let read = std::os::unix::fs::FileExt::read_exact_at(file, &mut buffer, 0);
                read.map_or_else(|_| Bytes::new(), |()| Bytes::from(buffer))
            }),
        }
    }
}

impl FileBody {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.remaining == 0 {
            return match &mut self.fail {
                None => Poll::Ready(None),
                Some(pause) => {
                    let pause = pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(TRUNCATE_PAUSE)));
                    match pause.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::other("truncate_body fault: body cut short")))),
                        Poll::Pending => Poll::Pending,
                    }
                }
            };
        }
        if self.reading.is_none() {
            let Some(mut file) = self.file.take() else {
                return Poll::Ready(Some(Err(std::io::Error::other("the file was lost mid-read"))));
            };
            let want = self.remaining.min(FILE_CHUNK) as usize;
            self.reading = Some(tokio::task::spawn_blocking(move || {
                let mut buffer = vec![0; want];
                let read = file.read(&mut buffer).map(|n| {
                    buffer.truncate(n);
                    Bytes::from(buffer)
                });
                (file, read)
            }));
        }
        let Some(reading) = self.reading.as_mut() else {
            return Poll::Ready(None);
        };
        let (file, read) = match Pin::new(reading).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(done)) => done,
            Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(std::io::Error::other(error)))),
        };
        self.reading = None;
        self.file = Some(file);
        match read {
            // A file shorter than its record: the client must not take it for whole.
            Ok(bytes) if bytes.is_empty() => Poll::Ready(Some(Err(std::io::Error::other("the file ended before its recorded size")))),
            Ok(bytes) => {
                self.remaining -= bytes.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Err(error) => Poll::Ready(Some(Err(error))),
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Full(bytes) => Poll::Ready(
                bytes
                    .take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            Self::Truncated { first, pause, .. } => {
                if let Some(bytes) = first.take() {
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                let pause =
                    pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(TRUNCATE_PAUSE)));
                match pause.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::other(
                        "truncate_body fault: body cut short",
                    )))),
                    Poll::Pending => Poll::Pending,
                }
            }
            Self::File(body) => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Self::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Self::Truncated { declared, .. } | Self::File(FileBody { declared, .. }) => SizeHint::with_exact(*declared),
        }
    }
}
