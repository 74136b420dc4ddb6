//! Request bodies as handlers receive them, and how an upload gets there without ever being
//! held whole: the server streams a package upload into a spool (a file's digests computed
//! on the way) or splits a form or a cargo publish as it arrives ([`ingest`]); a body that is
//! small, or that a test or an embedder passed whole, is in memory and split the same way
//! when a handler asks ([`RequestBody::form`], [`RequestBody::cargo_publish`]).
//!
//! Which requests stream, and their limits, are decided from the request's head before a
//! byte of the body is read ([`Shape::of`]): CodeArtifact's 5 GB asset quota (or
//! `--max-asset-size`) for a file, a little more for the form or frame around it; npm's
//! publish JSON, which carries its tarball in base64, is read whole up to
//! [`NPM_PUBLISH_MAX_BYTES`].

pub mod cargo_frame;
pub mod form;
pub mod ingest;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::endpoint::Endpoint;
use crate::files::spool::{Piece, SpoolError};

/// CodeArtifact's quota on one asset: 5 GB (taken as GiB, as S3 reads its own 5 GB).
pub const DEFAULT_MAX_ASSET_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The largest npm publish document read (it is JSON, read whole: the tarball inside is
/// base64, about 4/3 of its size).
pub const NPM_PUBLISH_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// What a form may carry beside its file: the other fields (twine's README) and headers.
pub const FORM_OVERHEAD: u64 = 2 * form::MAX_FIELD;

/// The largest body of a repository request that is neither an upload nor a publish (dist
/// tags, yanks, owners).
pub const REPOSITORY_OTHER_MAX_BYTES: u64 = 1024 * 1024;

/// A request's body.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// Whole: in memory, or (a large upload) in a spool.
    Whole(Piece),
    /// A form or a cargo publish, split as it streamed in.
    Parts(Vec<Part>),
    /// A body that streamed in but was not what its head said: why.
    Malformed(String),
}

impl Default for RequestBody {
    fn default() -> Self {
        Self::Whole(Piece::Bytes(Bytes::new()))
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        Self::Whole(Piece::Bytes(bytes))
    }
}

impl RequestBody {
    /// The bytes of a body held in memory whole (a JSON document, a small upload); empty for
    /// one that was spooled or split.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Whole(Piece::Bytes(bytes)) => bytes,
            _ => &[],
        }
    }

    /// The bytes of a body held in memory whole, without a copy; empty otherwise.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Self::Whole(Piece::Bytes(bytes)) => bytes,
            _ => Bytes::new(),
        }
    }

    /// The whole body as one piece (an asset's content); an empty one if it was split.
    pub fn piece(&self) -> Piece {
        match self {
            Self::Whole(piece) => piece.clone(),
            _ => Piece::Bytes(Bytes::new()),
        }
    }

    /// The parts of a `multipart/form-data` body of `content_type`; why it is not one.
    pub fn form(&self, content_type: &str) -> Result<Vec<Part>, String> {
        match self {
            Self::Parts(parts) => Ok(parts.clone()),
            Self::Malformed(why) => Err(why.clone()),
            Self::Whole(Piece::Bytes(bytes)) => {
                let boundary = form::boundary(content_type).ok_or("not multipart/form-data with a boundary")?;
                form::split(bytes, &boundary).map_err(|e| e.to_string())
            }
            Self::Whole(Piece::File(_)) => Err("not multipart/form-data with a boundary".to_owned()),
        }
    }

    /// The metadata and `.crate` of a `cargo publish` body; why it is not one.
    pub fn cargo_publish(&self) -> Result<(Bytes, Piece), String> {
        let parts = match self {
            Self::Parts(parts) => parts.clone(),
            Self::Malformed(why) => return Err(why.clone()),
            Self::Whole(Piece::Bytes(bytes)) => cargo_frame::split(bytes).map_err(|e| e.to_string())?,
            Self::Whole(Piece::File(_)) => return Err("not a cargo publish frame".to_owned()),
        };
        let part = |name: &str| parts.iter().find(|p| p.name == name).map(|p| p.content.clone());
        match (part(cargo_frame::METADATA), part(cargo_frame::CRATE)) {
            (Some(Piece::Bytes(metadata)), Some(file)) => Ok((metadata, file)),
            _ => Err("not a cargo publish frame".to_owned()),
        }
    }
}

/// One part of a form (or of a cargo publish).
#[derive(Debug, Clone)]
pub struct Part {
    /// The form field's name.
    pub name: String,
    /// The file name, for a file field.
    pub filename: Option<String>,
    /// The content: a field's in memory, a file's in memory or spooled.
    pub content: Piece,
}

impl Part {
    /// The content as text (form fields are UTF-8 and in memory).
    pub fn text(&self) -> String {
        match &self.content {
            Piece::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Piece::File(_) => String::new(),
        }
    }
}

/// Why an upload could not be taken.
#[derive(Debug)]
pub enum UploadError {
    /// A file in it is longer than the limit.
    TooLarge(u64),
    /// It is not the form or frame it should be.
    Malformed(String),
    /// The disk refused a spool.
    Io(std::io::Error),
}

impl From<SpoolError> for UploadError {
    fn from(error: SpoolError) -> Self {
        match error {
            SpoolError::TooLarge(limit) => Self::TooLarge(limit),
            SpoolError::Io(error) => Self::Io(error),
        }
    }
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge(limit) => write!(f, "a file in the request exceeds the limit of {limit} bytes"),
            Self::Malformed(why) => f.write_str(why),
            Self::Io(error) => write!(f, "the upload could not be written: {error}"),
        }
    }
}

/// How a request's body is read, and how much of it is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Read whole into memory, up to the limit.
    Whole(u64),
    /// One file (a Maven PUT, PublishPackageVersion's asset): spooled past a small size.
    File(u64),
    /// A `multipart/form-data` form of this boundary (twine, NuGet): its file parts spooled,
    /// none longer than the limit.
    Form(String, u64),
    /// A `cargo publish` frame: its `.crate` spooled, no longer than the limit.
    CargoFrame(u64),
}

impl Shape {
    /// The most bytes the body may have: the file's limit, and what may surround the file.
    pub fn limit(&self) -> u64 {
        match self {
            Self::Whole(limit) | Self::File(limit) => *limit,
            Self::Form(_, file) => file.saturating_add(FORM_OVERHEAD),
            Self::CargoFrame(file) => file.saturating_add(u64::from(cargo_frame::MAX_METADATA) + 8),
        }
    }

    /// How a repository request (`endpoint`) with this method and headers is read, for an
    /// asset limit of `max_asset`.
    pub fn of_repository(endpoint: Option<&Endpoint<'_>>, method: &Method, headers: &HeaderMap, max_asset: u64) -> Self {
        let Some(endpoint) = endpoint.filter(|_| matches!(*method, Method::PUT | Method::POST)) else {
            return Self::Whole(REPOSITORY_OTHER_MAX_BYTES);
        };
        let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let form = || form::boundary(content_type).map(|boundary| Self::Form(boundary, max_asset));
        let shape = match endpoint.format {
            "npm" => Some(Self::Whole(NPM_PUBLISH_MAX_BYTES)),
            "cargo" if endpoint.rest.trim_matches('/').ends_with("api/v1/crates/new") => {
                Some(Self::CargoFrame(max_asset))
            }
            // A checksum is a line of hex; anything else is an artifact.
            "maven" if *method == Method::PUT => Some(Self::File(max_asset)),
            "pypi" | "nuget" => form(),
            // `swift package-registry publish`: the source archive in a form.
            "swift" if *method == Method::PUT => form(),
            // `gem push`: the `.gem` is the body.
            "ruby" if endpoint.rest.trim_matches('/').ends_with("api/v1/gems") => Some(Self::File(max_asset)),
            _ => None,
        };
        shape.unwrap_or(Self::Whole(REPOSITORY_OTHER_MAX_BYTES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, content_type.parse().unwrap());
        headers
    }

    #[test]
    fn uploads_stream_and_everything_else_is_read_whole() {
        let endpoint = |path: &'static str| Endpoint::parse(path);
        let max = 1000;
        let twine = endpoint("/d/acme-111122223333/us-east-1/pypi/team/");
        assert_eq!(
            Shape::of_repository(twine.as_ref(), &Method::POST, &headers("multipart/form-data; boundary=x"), max),
            Shape::Form("x".to_owned(), max)
        );
        assert_eq!(Shape::of_repository(twine.as_ref(), &Method::GET, &HeaderMap::new(), max), Shape::Whole(REPOSITORY_OTHER_MAX_BYTES));
        let maven = endpoint("/d/acme-111122223333/us-east-1/maven/team/com/acme/a/1.0/a-1.0.jar");
        assert_eq!(Shape::of_repository(maven.as_ref(), &Method::PUT, &HeaderMap::new(), max), Shape::File(max));
        let cargo = endpoint("/d/acme-111122223333/us-east-1/cargo/team/api/v1/crates/new");
        assert!(matches!(Shape::of_repository(cargo.as_ref(), &Method::PUT, &HeaderMap::new(), max), Shape::CargoFrame(_)));
        let npm = endpoint("/d/acme-111122223333/us-east-1/npm/team/left-pad");
        assert_eq!(Shape::of_repository(npm.as_ref(), &Method::PUT, &headers("application/json"), max), Shape::Whole(NPM_PUBLISH_MAX_BYTES));
    }

    #[test]
    fn a_body_in_memory_is_split_as_one_that_streamed() {
        let body = RequestBody::from(Bytes::from_static(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--"));
        let parts = body.form("multipart/form-data; boundary=b").unwrap();
        assert_eq!(parts[0].text(), "1");
        assert!(body.form("application/json").is_err());
        assert!(RequestBody::Malformed("cut".to_owned()).form("multipart/form-data; boundary=b").unwrap_err().contains("cut"));
        let mut frame = 2u32.to_le_bytes().to_vec();
        frame.extend_from_slice(b"{}");
        frame.extend_from_slice(&1u32.to_le_bytes());
        frame.push(b'x');
        let (metadata, file) = RequestBody::from(Bytes::from(frame)).cargo_publish().unwrap();
        assert_eq!((&metadata[..], file.len()), (&b"{}"[..], 1));
    }
}
