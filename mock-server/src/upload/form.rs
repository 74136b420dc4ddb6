//! `multipart/form-data` (RFC 7578), as twine sends an upload and NuGet a push, split as it
//! streams in: each part's name and file name, and its content, in memory while small and
//! spooled past that (a file part is hashed on its way to disk, never held whole). A body
//! that arrived whole is split the same way, in memory.

use super::{Part, UploadError};
use crate::files::spool::{Growing, SpoolPlace};

/// The longest a part's headers may be.
const MAX_HEAD: usize = 16 * 1024;

/// The largest form field that is not a file (twine's longest is the README, in
/// `description`): fields stay in memory.
pub const MAX_FIELD: u64 = 16 * 1024 * 1024;

/// The boundary of a `Content-Type: multipart/form-data; boundary=...` value.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, parameters) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// Where the splitter is in the form.
enum State {
    /// Before the first delimiter (a preamble is skipped).
    Preamble,
    /// Just past a delimiter: `--` ends the form, CRLF starts a part.
    AfterDelimiter,
    /// In a part's headers.
    Head,
    /// In a part's content.
    Content { name: String, filename: Option<String>, content: Growing },
    /// Past the closing delimiter (an epilogue is ignored).
    Done,
}

/// A form being split, fed a chunk at a time.
pub struct FormSplitter {
    /// `CRLF--BOUNDARY`: what ends a part's content.
    delimiter: Vec<u8>,
    /// Bytes received and not yet taken.
    buffer: Vec<u8>,
    state: State,
    parts: Vec<Part>,
    place: Option<SpoolPlace>,
    file_limit: u64,
}

impl std::fmt::Debug for FormSplitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormSplitter").field("parts", &self.parts.len()).finish_non_exhaustive()
    }
}

impl FormSplitter {
    /// A splitter for `boundary`: file parts spooled to `place` (in memory without one), none
    /// longer than `file_limit`.
    pub fn new(boundary: &str, place: Option<SpoolPlace>, file_limit: u64) -> Self {
        Self {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            // The first delimiter needs no CRLF before it: one is supplied.
            buffer: b"\r\n".to_vec(),
            state: State::Preamble,
            parts: Vec::new(),
            place,
            file_limit,
        }
    }

    /// Takes the next bytes of the body.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.buffer.extend_from_slice(chunk);
        let mut taken = 0;
        loop {
            let (consumed, progress) = self.step(taken)?;
            taken = consumed;
            if !progress {
                break;
            }
        }
        self.buffer.drain(..taken);
        Ok(())
    }

    /// The parts, once the whole body was fed.
    pub fn finish(mut self) -> Result<Vec<Part>, UploadError> {
        self.feed(&[])?;
        match self.state {
            State::Done => Ok(self.parts),
            _ => Err(UploadError::Malformed("the form ends before its closing boundary".to_owned())),
        }
    }

    /// One step from `at` in the buffer: where the unread bytes now start, and whether the
    /// step got anywhere (otherwise it needs more bytes).
    fn step(&mut self, at: usize) -> Result<(usize, bool), UploadError> {
        let rest = &self.buffer[at..];
        let keep = self.delimiter.len().saturating_sub(1);
        match &mut self.state {
            State::Done => Ok((self.buffer.len(), false)),
            State::Preamble => match find(rest, &self.delimiter) {
                Some(i) => {
                    self.state = State::AfterDelimiter;
                    Ok((at + i + self.delimiter.len(), true))
                }
                None => Ok((at + rest.len().saturating_sub(keep), false)),
            },
            State::AfterDelimiter => match rest.get(..2) {
                None => Ok((at, false)),
                Some(b"--") => {
                    self.state = State::Done;
                    Ok((self.buffer.len(), false))
                }
                Some(b"\r\n") => {
                    self.state = State::Head;
                    Ok((at + 2, true))
                }
                Some(_) => Err(UploadError::Malformed("a boundary is followed by neither CRLF nor --".to_owned())),
            },
            State::Head => {
                // An empty head ends at once; otherwise at the first blank line.
                let end = if rest.starts_with(b"\r\n") { Some((0, 2)) } else { find(rest, b"\r\n\r\n").map(|i| (i, 4)) };
                let Some((length, separator)) = end else {
                    if rest.len() > MAX_HEAD {
                        return Err(UploadError::Malformed("a part's headers are too long".to_owned()));
                    }
                    return Ok((at, false));
                };
                let head = std::str::from_utf8(&rest[..length])
                    .map_err(|_| UploadError::Malformed("a part's headers are not UTF-8".to_owned()))?;
                let (name, filename) = disposition(head)
                    .ok_or_else(|| UploadError::Malformed("a part has no Content-Disposition name".to_owned()))?;
                // A file: named as one, or binary content without a name (Swift's
                // `source-archive`).
                let (place, limit) = if filename.is_some() || binary(head) {
                    (self.place.clone(), self.file_limit)
                } else {
                    (None, MAX_FIELD)
                };
                self.state = State::Content { name, filename, content: Growing::new(place, limit) };
                Ok((at + length + separator, true))
            }
            State::Content { content, .. } => match find(rest, &self.delimiter) {
                Some(i) => {
                    content.write(&rest[..i]).map_err(UploadError::from)?;
                    let State::Content { name, filename, content } = std::mem::replace(&mut self.state, State::AfterDelimiter) else {
                        unreachable!("matched above");
                    };
                    let content = content.finish().map_err(UploadError::Io)?;
                    self.parts.push(Part { name, filename, content });
                    Ok((at + i + self.delimiter.len(), true))
                }
                None => {
                    // All but what could be the start of a delimiter is content.
                    let safe = rest.len().saturating_sub(keep);
                    content.write(&rest[..safe]).map_err(UploadError::from)?;
                    Ok((at + safe, false))
                }
            },
        }
    }
}

/// The parts of a form that arrived whole.
pub fn split(body: &[u8], boundary: &str) -> Result<Vec<Part>, UploadError> {
    let mut splitter = FormSplitter::new(boundary, None, u64::MAX);
    splitter.feed(body)?;
    splitter.finish()
}

/// The `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    let line = head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    let mut name = None;
    let mut filename = None;
    for parameter in line.split(';').skip(1) {
        let Some((key, value)) = parameter.trim().split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "name" => name = Some(value),
            "filename" => filename = Some(value),
            _ => {}
        }
    }
    Some((name?, filename))
}

/// Whether a part's `Content-Type` says it holds a binary file (`application/zip`,
/// `application/octet-stream`).
fn binary(head: &str) -> bool {
    head.lines().any(|line| {
        line.split_once(':').is_some_and(|(key, value)| {
            let value = value.trim().to_ascii_lowercase();
            key.trim().eq_ignore_ascii_case("content-type") && (value.starts_with("application/zip") || value.starts_with("application/octet-stream"))
        })
    })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut offset = 0;
    while let Some(i) = haystack[offset..].iter().position(|&b| b == first) {
        let at = offset + i;
        match haystack.get(at..at + needle.len()) {
            Some(candidate) if candidate == needle => return Some(at),
            // A needle cut by the end of the buffer: not found yet.
            None => return None,
            Some(_) => offset = at + 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::spool::{Piece, IN_MEMORY_LIMIT};
    use proptest::prelude::*;

    const TWINE: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"hello-1.0-py3-none-any.whl\"\r\n\
Content-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\n--Xy\r\n\r\n--XyZ--\r\n";

    fn bytes(piece: &Piece) -> Vec<u8> {
        piece.bytes_up_to(u64::MAX).unwrap().to_vec()
    }

    #[test]
    fn reads_twines_form() {
        let parts = split(TWINE, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].text().as_str()), (":action", "file_upload"));
        assert_eq!(parts[1].filename.as_deref(), Some("hello-1.0-py3-none-any.whl"));
        // A near-boundary inside the file is content.
        assert_eq!(bytes(&parts[1].content), b"PK\x03\x04\r\n--Xy\r\n");
    }

    #[test]
    fn refuses_what_is_not_a_form() {
        assert!(split(b"garbage", "XyZ").is_err());
        assert!(split(b"--XyZ\r\nno end", "XyZ").is_err());
        assert!(split(b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "XyZ").is_err(), "no name");
        assert!(split(b"--XyZ!!", "XyZ").is_err());
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\"").as_deref(), Some("abc"));
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn a_large_file_part_is_spooled_with_its_digests() {
        let dir = std::env::temp_dir().join(format!("codeartifact-mock-form-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file: Vec<u8> = (0..IN_MEMORY_LIMIT * 2 + 7).map(|i| (i % 13) as u8).collect();
        let mut body = b"--B\r\nContent-Disposition: form-data; name=\"package\"; filename=\"a.nupkg\"\r\n\r\n".to_vec();
        body.extend_from_slice(&file);
        body.extend_from_slice(b"\r\n--B--\r\n");
        let place = SpoolPlace { dir: dir.clone(), durable: false };
        let mut splitter = FormSplitter::new("B", Some(place.clone()), u64::MAX);
        for chunk in body.chunks(4093) {
            splitter.feed(chunk).unwrap();
        }
        let parts = splitter.finish().unwrap();
        let Piece::File(spooled) = &parts[0].content else { panic!("spooled") };
        assert_eq!(spooled.hashes, crate::files::spool::Digests::of(&file));
        assert_eq!(bytes(&parts[0].content), file);
        let mut limited = FormSplitter::new("B", Some(place), 1000);
        assert!(matches!(limited.feed(&body), Err(UploadError::TooLarge(1000))));
        drop((parts, limited));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no spool left behind");
    }

    proptest! {
        /// However the body is cut into chunks, the parts are the same as whole.
        #[test]
        fn chunking_never_changes_the_parts(cuts in proptest::collection::vec(0usize..TWINE.len(), 0..8), content in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".to_vec();
            body.extend_from_slice(&content);
            body.extend_from_slice(b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"g\"\r\n\r\nfield\r\n--XyZ--");
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % body.len()).collect();
            cuts.sort_unstable();
            let mut splitter = FormSplitter::new("XyZ", None, u64::MAX);
            let mut from = 0;
            for cut in cuts {
                splitter.feed(&body[from..cut]).unwrap();
                from = cut;
            }
            splitter.feed(&body[from..]).unwrap();
            let parts = splitter.finish().unwrap();
            prop_assert_eq!(parts.len(), 2);
            prop_assert_eq!(bytes(&parts[0].content), content);
            prop_assert_eq!(parts[1].text(), "field");
        }
    }
}
