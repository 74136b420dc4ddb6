//! A resource tag: of a domain, a repository or a package group (each keeps its own list, in
//! the order given, a key at most once).

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}
