//! A NuGet upstream: a v3 service index, its `PackageBaseAddress` (the flat container) listing
//! a package's versions and serving its `.nupkg`. What the nuspec says (description, authors,
//! dependencies) is read from the package once it is fetched.

use serde_json::{json, Value};

use super::http::{join, Client};
use super::{listed_version, remote_asset, FetchError, Listing, MAX_LISTING_BYTES};
use crate::files::spool::Piece;
use crate::packages::{PackageId, PackageVersion};

/// The package's versions from the flat container of the service index at `root`.
pub(crate) async fn registry_listing(client: &Client, root: &str, authorization: Option<&str>, package: &PackageId) -> Result<Listing, FetchError> {
    let index = client.get_bytes(root, authorization, "application/json", MAX_LISTING_BYTES).await?;
    let index: Value = serde_json::from_slice(&index).map_err(|e| FetchError::Invalid(format!("the service index: {e}")))?;
    let base = index["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["@type"].as_str().is_some_and(|t| t.starts_with("PackageBaseAddress/3.0.0")))
        .and_then(|r| r["@id"].as_str())
        .ok_or_else(|| FetchError::Invalid("the service index has no PackageBaseAddress/3.0.0".to_owned()))?;
    let base = join(root, base);
    let base = base.trim_end_matches('/');
    let id = &package.name;
    let versions = client.get_bytes(&format!("{base}/{id}/index.json"), authorization, "application/json", MAX_LISTING_BYTES).await?;
    let versions: Value = serde_json::from_slice(&versions).map_err(|e| FetchError::Invalid(format!("the versions of {id}: {e}")))?;
    let mut listing = Listing::default();
    for number in versions["versions"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let number = crate::nupkg::normalize_version(number);
        let mut version = listed_version(&number, id, None);
        let file = format!("{id}.{number}.nupkg");
        version.assets.push(remote_asset(&file, format!("{base}/{id}/{number}/{file}"), Default::default(), 0));
        listing.versions.insert(number, version);
    }
    Ok(listing)
}

/// Fills in what the fetched `.nupkg`'s nuspec says, as a push would have stored it.
pub(crate) fn describe(version: &mut PackageVersion, nupkg: &Piece) {
    let Some(nuspec) = crate::nupkg::read_piece(nupkg) else { return };
    version.display_name = nuspec.id.clone();
    version.summary = nuspec.description.clone();
    version.home_page = nuspec.project_url.clone();
    version.licenses = nuspec.license.clone().into_iter().collect();
    version.dependencies = nuspec.package_dependencies();
    version.metadata = json!({ "nuspec": nuspec.text, "authors": nuspec.authors });
}
