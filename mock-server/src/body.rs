//! Response bodies, including one that is cut short on purpose.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// How long a truncated body waits before failing: long enough for hyper to flush the part.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

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
        /// A pause between the part and the abort, so the part reaches the socket first.
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
    },
}

impl MockBody {
    /// A whole body.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }

    /// The first half of `bytes`, announced as all of it.
    pub fn truncated(bytes: Bytes) -> Self {
        Self::Truncated {
            declared: bytes.len() as u64,
            first: Some(bytes.slice(..bytes.len() / 2)),
            pause: None,
        }
    }

    /// The bytes this body yields before it ends (all of a whole body; the part of a
    /// truncated one). For tests without a socket.
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
        }
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
