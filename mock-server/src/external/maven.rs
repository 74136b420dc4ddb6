//! A Maven upstream: a repository in Maven's layout. The artifact's `maven-metadata.xml`
//! lists its versions; each file is fetched by its path when a client asks for it (Maven
//! names files the metadata does not list), its `.sha1` beside it checked when the upstream
//! has one.

use super::http::Client;
use super::{listed_version, FetchError, Listing, MAX_LISTING_BYTES};
use crate::packages::PackageId;

/// The checksum files Maven puts beside each file.
const CHECKSUM_SUFFIXES: [&str; 4] = [".md5", ".sha1", ".sha256", ".sha512"];

/// Whether `name` is a checksum of another file.
pub(crate) fn is_checksum(name: &str) -> bool {
    CHECKSUM_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// `GROUP/PATH/ARTIFACT`, the artifact's folder in Maven's layout.
pub(crate) fn artifact_path(package: &PackageId) -> String {
    format!("{}/{}", package.namespace.as_deref().unwrap_or("").replace('.', "/"), package.name)
}

/// The artifact's versions from its `maven-metadata.xml` at `root`.
pub(crate) async fn registry_listing(client: &Client, root: &str, authorization: Option<&str>, package: &PackageId) -> Result<Listing, FetchError> {
    let url = format!("{root}/{}/maven-metadata.xml", artifact_path(package));
    let xml = client.get_bytes(&url, authorization, "application/xml, text/xml, */*", MAX_LISTING_BYTES).await?;
    let xml = String::from_utf8_lossy(&xml);
    let mut listing = Listing::default();
    for version in xml.split("<version>").skip(1).filter_map(|v| v.split("</version>").next()) {
        let number = version.trim();
        // The first <version> may be the artifact's own (in <versioning>'s siblings): only
        // the ones inside <versions> count, which are all of them in practice.
        if !number.is_empty() && !number.contains('<') {
            listing.versions.insert(number.to_owned(), listed_version(number, &package.name, None));
        }
    }
    Ok(listing)
}

/// The declared SHA-1 of a file, from the `.sha1` beside it (`None` when the upstream has
/// none): the first word of its text.
pub(crate) async fn declared_sha1(client: &Client, location: &str, authorization: Option<&str>) -> Option<String> {
    let text = client.get_bytes(&format!("{location}.sha1"), authorization, "text/plain", 4096).await.ok()?;
    let word = String::from_utf8_lossy(&text).split_whitespace().next()?.to_ascii_lowercase();
    (word.len() == 40 && word.bytes().all(|b| b.is_ascii_hexdigit())).then_some(word)
}
