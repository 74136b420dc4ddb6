//! Reading a request's body off the connection, in its [`Shape`]: whole into memory, or
//! streamed chunk by chunk to a thread of the blocking pool that spools files and splits
//! forms (so neither the disk nor the hashing ever stalls a connection's worker), through a
//! small channel (so a fast client cannot make the server buffer what the disk has not
//! taken). Memory stays bounded whatever the upload's size.

use std::time::Duration;

use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tokio::sync::mpsc;

use super::cargo_frame::FrameSplitter;
use super::form::FormSplitter;
use super::{RequestBody, Shape, UploadError};
use crate::files::spool::{Growing, SpoolPlace, IN_MEMORY_LIMIT};

/// Chunks in flight between the connection and the spooling thread.
const CHANNEL_CHUNKS: usize = 8;

/// Why a body was not taken.
#[derive(Debug)]
pub enum Refused {
    /// Longer than its limit (the body's, or one file's in it).
    TooLarge(u64),
    /// The client went away mid-body, or its chunking was broken.
    Broken(String),
    /// The client stopped sending.
    TimedOut,
    /// The disk refused the spool.
    Disk(String),
}

/// Reads `body` in `shape`: `declared` is its `Content-Length`, `patience` how long the whole
/// of a body read into memory, or each chunk of a streamed one, may take; `place` is where
/// files are spooled (the store's folder).
pub async fn receive<B>(
    body: B,
    shape: Shape,
    declared: Option<u64>,
    patience: Duration,
    place: std::io::Result<SpoolPlace>,
) -> Result<RequestBody, Refused>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let limit = shape.limit();
    // Small or whole-by-nature bodies are read into memory; handlers split them there.
    let small = declared.is_some_and(|length| length <= IN_MEMORY_LIMIT as u64);
    if matches!(shape, Shape::Whole(_)) || small || body.is_end_stream() {
        return whole(body, limit, patience).await;
    }
    let place = place.map_err(|e| Refused::Disk(e.to_string()))?;
    stream(body, shape, patience, place).await
}

async fn whole<B>(body: B, limit: u64, patience: Duration) -> Result<RequestBody, Refused>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if body.is_end_stream() {
        return Ok(RequestBody::default());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match tokio::time::timeout(patience, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(RequestBody::from(collected.to_bytes())),
        Ok(Err(error)) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(Refused::TooLarge(limit as u64)),
        Ok(Err(error)) => Err(Refused::Broken(error.to_string())),
        Err(_elapsed) => Err(Refused::TimedOut),
    }
}

async fn stream<B>(mut body: B, shape: Shape, patience: Duration, place: SpoolPlace) -> Result<RequestBody, Refused>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let limit = shape.limit();
    let (sender, receiver) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let consumer = tokio::task::spawn_blocking(move || consume(receiver, shape, place));
    let mut received = 0u64;
    // Whatever stops the read early drops the sender: the consumer then ends, and its
    // spools are removed with its result.
    let stopped = loop {
        let frame = match tokio::time::timeout(patience, body.frame()).await {
            Err(_elapsed) => break Some(Refused::TimedOut),
            Ok(None) => break None,
            Ok(Some(Err(error))) => break Some(Refused::Broken(error.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        received += data.len() as u64;
        if received > limit {
            break Some(Refused::TooLarge(limit));
        }
        if sender.send(data).await.is_err() {
            // The consumer stopped on its own: its result says why.
            break None;
        }
    };
    drop(sender);
    let consumed = consumer.await.map_err(|e| Refused::Disk(e.to_string()))?;
    if let Some(refused) = stopped {
        return Err(refused);
    }
    match consumed {
        Ok(body) => Ok(body),
        Err(UploadError::TooLarge(limit)) => Err(Refused::TooLarge(limit)),
        Err(UploadError::Malformed(why)) => Ok(RequestBody::Malformed(why)),
        Err(UploadError::Io(error)) => Err(Refused::Disk(error.to_string())),
    }
}

/// The spooling thread: takes chunks until the connection side is done, into the shape's
/// sink.
fn consume(mut receiver: mpsc::Receiver<Bytes>, shape: Shape, place: SpoolPlace) -> Result<RequestBody, UploadError> {
    enum Sink {
        File(Growing),
        Form(Box<FormSplitter>),
        Frame(Box<FrameSplitter>),
    }
    let mut sink = match shape {
        Shape::Whole(limit) | Shape::File(limit) => Sink::File(Growing::new(Some(place), limit)),
        Shape::Form(boundary, file_limit) => Sink::Form(Box::new(FormSplitter::new(&boundary, Some(place), file_limit))),
        Shape::CargoFrame(file_limit) => Sink::Frame(Box::new(FrameSplitter::new(Some(place), file_limit))),
    };
    while let Some(chunk) = receiver.blocking_recv() {
        match &mut sink {
            Sink::File(file) => file.write(&chunk)?,
            Sink::Form(form) => form.feed(&chunk)?,
            Sink::Frame(frame) => frame.feed(&chunk)?,
        }
    }
    match sink {
        Sink::File(file) => file.finish().map(RequestBody::Whole).map_err(UploadError::Io),
        Sink::Form(form) => form.finish().map(RequestBody::Parts),
        Sink::Frame(frame) => frame.finish().map(RequestBody::Parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::spool::Piece;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A body of chunks (or errors), ready one after another.
    struct Chunks(VecDeque<Result<Bytes, std::io::Error>>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(self.get_mut().0.pop_front().map(|c| c.map(http_body::Frame::data)))
        }
    }

    fn place(name: &str) -> SpoolPlace {
        let dir = std::env::temp_dir().join(format!("codeartifact-mock-ingest-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        SpoolPlace { dir, durable: false }
    }

    fn left(place: &SpoolPlace) -> usize {
        std::fs::read_dir(&place.dir).unwrap().count()
    }

    #[tokio::test]
    async fn a_large_file_streams_into_a_spool_with_its_digests() {
        let place = place("file");
        let body = Chunks(std::iter::repeat_with(|| Ok(Bytes::from(vec![7u8; 100_000]))).take(5).collect());
        let received = receive(body, Shape::File(1_000_000), None, Duration::from_secs(5), Ok(place.clone())).await.unwrap();
        let RequestBody::Whole(Piece::File(spooled)) = received else { panic!("spooled") };
        assert_eq!(spooled.size, 500_000);
        assert_eq!(spooled.hashes, crate::files::spool::Digests::of(&[7u8; 500_000]));
        drop(spooled);
        assert_eq!(left(&place), 0);
    }

    #[tokio::test]
    async fn a_body_past_its_limit_or_cut_short_is_refused_and_leaves_no_spool() {
        let place = place("refused");
        let long = Chunks(std::iter::repeat_with(|| Ok(Bytes::from(vec![1u8; 300_000]))).take(4).collect());
        let refused = receive(long, Shape::File(1_000_000), None, Duration::from_secs(5), Ok(place.clone())).await;
        assert!(matches!(refused, Err(Refused::TooLarge(1_000_000))), "{refused:?}");
        let cut = Chunks(VecDeque::from([Ok(Bytes::from(vec![1u8; 300_000])), Err(std::io::Error::other("reset"))]));
        let refused = receive(cut, Shape::File(1_000_000), None, Duration::from_secs(5), Ok(place.clone())).await;
        assert!(matches!(refused, Err(Refused::Broken(_))), "{refused:?}");
        assert_eq!(left(&place), 0, "no spool outlives a refused body");
    }

    #[tokio::test]
    async fn a_form_is_split_as_it_streams_and_a_broken_one_says_why() {
        let place = place("form");
        let mut form = b"--b\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.whl\"\r\n\r\n".to_vec();
        form.extend_from_slice(&vec![3u8; 400_000]);
        form.extend_from_slice(b"\r\n--b--\r\n");
        let chunks = form.chunks(65_536).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let shape = Shape::Form("b".to_owned(), 10_000_000);
        let RequestBody::Parts(parts) = receive(Chunks(chunks), shape.clone(), None, Duration::from_secs(5), Ok(place.clone())).await.unwrap() else {
            panic!("split")
        };
        assert_eq!((parts[0].filename.as_deref(), parts[0].content.len()), (Some("a.whl"), 400_000));
        let cut = form[..form.len() - 8].chunks(65_536).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let received = receive(Chunks(cut), shape, None, Duration::from_secs(5), Ok(place)).await.unwrap();
        assert!(matches!(received, RequestBody::Malformed(why) if why.contains("closing boundary")));
    }
}
