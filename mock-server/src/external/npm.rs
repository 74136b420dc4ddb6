//! An npm upstream: the packument of one package (`GET ROOT/NAME`, a scope's slash encoded),
//! each version's manifest kept as the repository would serve it, its tarball's URL, and
//! the digests its `dist` declares (`integrity`'s SHA-512, `shasum`'s SHA-1), checked when
//! the tarball arrives.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::http::Client;
use super::{listed_version, remote_asset, FetchError, Listing, MAX_LISTING_BYTES};
use crate::packages::{PackageId, PackageVersion};

/// The file name a version's tarball is kept under (as a publish keeps it).
const ASSET_NAME: &str = "package.tgz";

/// The package's listing from the registry at `root`.
pub(crate) async fn registry_listing(client: &Client, root: &str, authorization: Option<&str>, package: &PackageId) -> Result<Listing, FetchError> {
    let url = format!("{root}/{}", package.full_name().replace('/', "%2f"));
    let body = client.get_bytes(&url, authorization, "application/json", MAX_LISTING_BYTES).await?;
    let packument: Value = serde_json::from_slice(&body).map_err(|e| FetchError::Invalid(format!("the packument is not JSON: {e}")))?;
    let mut listing = Listing::default();
    for (number, manifest) in packument["versions"].as_object().into_iter().flatten() {
        let Some(tarball) = manifest["dist"]["tarball"].as_str().map(str::to_owned) else { continue };
        let at = packument["time"][number].as_str().and_then(super::upstream_time);
        let mut declared = BTreeMap::new();
        if let Some(sha512) = manifest["dist"]["integrity"].as_str().and_then(integrity_hex) {
            declared.insert("SHA-512".to_owned(), sha512);
        }
        if let Some(sha1) = manifest["dist"]["shasum"].as_str() {
            declared.insert("SHA-1".to_owned(), sha1.to_ascii_lowercase());
        }
        let version = listed(package, number, manifest.clone(), &declared, tarball, 0, at);
        listing.versions.insert(number.clone(), version);
    }
    for (tag, version) in packument["dist-tags"].as_object().into_iter().flatten() {
        if let Some(version) = version.as_str() {
            listing.dist_tags.insert(tag.clone(), version.to_owned());
        }
    }
    Ok(listing)
}

/// The hex SHA-512 of an SRI `integrity` value (`sha512-BASE64`), if it has one.
fn integrity_hex(integrity: &str) -> Option<String> {
    let base64 = integrity.split_whitespace().find_map(|i| i.strip_prefix("sha512-"))?;
    base64_simd::STANDARD.decode_to_vec(base64).ok().map(hex::encode)
}

/// A listed version of `manifest`, its tarball at `location`: `digests` are what its `dist`
/// declares (or, for a mirror's file, what it is), by the API's algorithm names.
pub(crate) fn listed(
    package: &PackageId,
    number: &str,
    mut manifest: Value,
    digests: &BTreeMap<String, String>,
    location: String,
    size: u64,
    at: Option<SystemTime>,
) -> PackageVersion {
    let mut version = listed_version(number, &package.full_name(), at);
    version.summary = manifest["description"].as_str().map(str::to_owned);
    let declared: BTreeMap<String, String> = digests
        .iter()
        .filter(|(algorithm, _)| matches!(algorithm.as_str(), "SHA-512" | "SHA-1"))
        .map(|(a, h)| (a.clone(), h.clone()))
        .collect();
    if let Some(sha512) = declared.get("SHA-512").and_then(|h| hex::decode(h).ok()) {
        manifest["dist"]["integrity"] = json!(format!("sha512-{}", base64_simd::STANDARD.encode_to_string(sha512)));
    }
    if let Some(sha1) = declared.get("SHA-1") {
        manifest["dist"]["shasum"] = json!(sha1);
    }
    version.metadata = manifest;
    version.assets.push(remote_asset(ASSET_NAME, location, declared, size));
    version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_read_as_hex() {
        // sha512 of the empty string.
        let empty = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
        assert!(integrity_hex(empty).unwrap().starts_with("cf83e1357eefb8bd"));
        assert_eq!(integrity_hex("sha1-abc"), None);
    }
}
