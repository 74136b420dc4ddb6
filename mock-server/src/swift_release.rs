//! What a Swift source archive says of itself: its manifests, `Package.swift` and each
//! `Package@swift-X.swift`, at the archive's root or in its one top folder (as `swift
//! package archive-source` lays it out), read through the zip's central directory, so an
//! archive is never read whole; and what a release keeps of them.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::files::read_at::PieceReader;
use crate::files::spool::Piece;

/// The largest manifest read out of a source archive.
const MANIFEST_LIMIT: usize = 1024 * 1024;

/// The manifests of a source archive: `Package.swift` and each `Package@swift-X.swift`, at
/// its root or in its one top folder (the first of a name, in the archive's order).
pub fn manifests_of(archive: &Piece) -> Result<BTreeMap<String, String>, String> {
    let reader = PieceReader::open(archive).ok_or("the source archive could not be read")?;
    let entries = crate::archive::zip_entries(&reader, |name| manifest_name(name).is_some(), MANIFEST_LIMIT)
        .ok_or("the source archive is not a zip archive, or a manifest in it cannot be read")?;
    let mut manifests = BTreeMap::new();
    for (name, content) in entries {
        let file = manifest_name(&name).unwrap_or_default().to_owned();
        if manifests.contains_key(&file) {
            continue;
        }
        let text = String::from_utf8(content).map_err(|_| format!("{name} is not UTF-8"))?;
        manifests.insert(file, text);
    }
    if !manifests.contains_key("Package.swift") {
        return Err("the source archive has no Package.swift".to_owned());
    }
    Ok(manifests)
}

/// The manifest an archive entry is (`Package.swift`, `Package@swift-5.7.swift`), if it is
/// one at the archive's root or in a top folder.
fn manifest_name(entry: &str) -> Option<&str> {
    let file = match entry.split_once('/') {
        Some((_, file)) if !file.contains('/') => file,
        None => entry,
        _ => return None,
    };
    let specific = |f: &str| {
        f.strip_prefix("Package@swift-")
            .and_then(|f| f.strip_suffix(".swift"))
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    };
    (file == "Package.swift" || specific(file)).then_some(file)
}

/// What a release keeps beside its archive: its identifier as published, the publication's
/// metadata, and its manifests.
pub fn release_metadata(scope: &str, name: &str, metadata: Value, manifests: &BTreeMap<String, String>) -> Value {
    json!({ "id": format!("{scope}.{name}"), "metadata": metadata, "manifests": manifests })
}

