//! Response bodies, including one that is cut short on purpose.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A response body: whole, or (for the `truncate_body` fault) declared whole but ended early.
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
    },
}

impl MockBody {
    /// A whole body.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }

    /// The first half of `bytes`, announced as all of it.
    pub fn truncated(bytes: Bytes) -> Self {
        let declared = bytes.len() as u64;
        Self::Truncated {
            first: Some(bytes.slice(..bytes.len() / 2)),
            declared,
        }
    }

    /// The bytes this body will yield (for tests; a truncated body yields its first part).
    pub fn bytes(&self) -> Bytes {
        match self {
            Self::Full(bytes) | Self::Truncated { first: bytes, .. } => {
                bytes.clone().unwrap_or_default()
            }
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        Poll::Ready(match this {
            Self::Full(bytes) => bytes
                .take()
                .filter(|b| !b.is_empty())
                .map(|b| Ok(Frame::data(b))),
            Self::Truncated { first, .. } => match first.take() {
                Some(bytes) => Some(Ok(Frame::data(bytes))),
                None => Some(Err(std::io::Error::other(
                    "truncate_body fault: body cut short",
                ))),
            },
        })
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Self::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Self::Truncated { declared, .. } => SizeHint::with_exact(*declared),
        }
    }
}
