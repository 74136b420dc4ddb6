//! Package files: where they are kept ([`blobs`], one file per content under its SHA-256),
//! how an upload reaches them without being held in memory ([`spool`]: written to a
//! temporary file while its digests are computed), and the handle a version holds for each
//! of its files ([`content`]). Nothing here knows packages or requests: the state layer,
//! the registries and the transport all build on it.

pub mod blobs;
pub mod content;
pub mod read_at;
pub mod spool;
