//! A cargo upstream: a sparse index (`config.json`'s `dl`, then the crate's index file, one
//! JSON line per version, each kept as the repository's own index serves it), the `.crate`'s
//! SHA-256 (`cksum`) checked when it arrives. A mirror's `.crate` is indexed from the
//! `Cargo.toml` inside it, as `cargo publish` normalised it.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::http::{join, Client};
use super::{listed_version, remote_asset, FetchError, Listing, MAX_LISTING_BYTES};
use crate::packages::{cargo_index_path as index_path, PackageId, PackageVersion, VersionStatus};

/// The crate's listing from the sparse index at `root`.
pub(crate) async fn registry_listing(client: &Client, root: &str, authorization: Option<&str>, package: &PackageId) -> Result<Listing, FetchError> {
    let config = client.get_bytes(&format!("{root}/config.json"), authorization, "application/json", 1024 * 1024).await?;
    let config: Value = serde_json::from_slice(&config).map_err(|e| FetchError::Invalid(format!("config.json: {e}")))?;
    let dl = config["dl"].as_str().ok_or_else(|| FetchError::Invalid("config.json has no dl".to_owned()))?;
    let dl = join(&format!("{root}/"), dl);
    let path = index_path(&package.name).ok_or(FetchError::Status(404))?;
    let lines = client.get_bytes(&format!("{root}/{path}"), authorization, "text/plain", MAX_LISTING_BYTES).await?;
    let mut listing = Listing::default();
    for line in String::from_utf8_lossy(&lines).lines().filter(|l| !l.trim().is_empty()) {
        let Ok(line) = serde_json::from_str::<Value>(line) else { continue };
        let (Some(name), Some(number)) = (line["name"].as_str(), line["vers"].as_str()) else { continue };
        let location = download_url(&dl, name, number, line["cksum"].as_str().unwrap_or(""));
        let (name, number) = (name.to_owned(), number.to_owned());
        let mut version = listed(&name, line, location, 0);
        version.version = number.clone();
        listing.versions.insert(number, version);
    }
    Ok(listing)
}

/// The download URL of a version: `dl` with its markers replaced, or `dl/NAME/VERSION/download`.
fn download_url(dl: &str, name: &str, version: &str, cksum: &str) -> String {
    let markers = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"];
    if !markers.iter().any(|m| dl.contains(m)) {
        return format!("{}/{name}/{version}/download", dl.trim_end_matches('/'));
    }
    let prefix = index_path(name).map(|p| p[..p.rfind('/').unwrap_or(0)].to_owned()).unwrap_or_default();
    dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &prefix)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{sha256-checksum}", cksum)
}

/// A listed version of the index `line`, its `.crate` at `location`.
pub(crate) fn listed(name: &str, line: Value, location: String, size: u64) -> PackageVersion {
    let number = line["vers"].as_str().unwrap_or_default().to_owned();
    let mut version = listed_version(&number, name, None);
    if line["yanked"].as_bool() == Some(true) {
        version.status = VersionStatus::Unlisted;
    }
    let declared: BTreeMap<String, String> = line["cksum"].as_str().map(|c| ("SHA-256".to_owned(), c.to_ascii_lowercase())).into_iter().collect();
    version.assets.push(remote_asset(&format!("{name}-{number}.crate"), location, declared, size));
    version.metadata = line;
    version
}

/// The index line of a normalised `Cargo.toml` (its dependencies of every kind and target,
/// features, links), without `cksum` (the caller knows the file).
pub(crate) fn manifest_to_index(text: &str) -> Option<Value> {
    let manifest: toml::Table = text.parse().ok()?;
    let package = manifest.get("package")?.as_table()?;
    let name = package.get("name")?.as_str()?;
    let version = package.get("version")?.as_str()?;
    let mut deps = Vec::new();
    let mut add = |table: Option<&toml::Value>, kind: &str, target: Option<&str>| {
        for (key, spec) in table.and_then(toml::Value::as_table).into_iter().flatten() {
            deps.push(dependency(key, spec, kind, target));
        }
    };
    add(manifest.get("dependencies"), "normal", None);
    add(manifest.get("dev-dependencies"), "dev", None);
    add(manifest.get("build-dependencies"), "build", None);
    for (target, tables) in manifest.get("target").and_then(toml::Value::as_table).into_iter().flatten() {
        add(tables.get("dependencies"), "normal", Some(target));
        add(tables.get("dev-dependencies"), "dev", Some(target));
        add(tables.get("build-dependencies"), "build", Some(target));
    }
    let features: Map<String, Value> = manifest
        .get("features")
        .and_then(toml::Value::as_table)
        .map(|t| t.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(json!([])))).collect())
        .unwrap_or_default();
    Some(json!({
        "name": name,
        "vers": version,
        "deps": deps,
        "features": features,
        "yanked": false,
        "links": package.get("links").and_then(toml::Value::as_str),
    }))
}

/// One dependency as the index writes it: `name` is what the code calls it, `package` the
/// crate's own name when it is renamed.
fn dependency(key: &str, spec: &toml::Value, kind: &str, target: Option<&str>) -> Value {
    let field = |name: &str| spec.as_table().and_then(|t| t.get(name));
    let requirement = spec.as_str().or_else(|| field("version").and_then(toml::Value::as_str)).unwrap_or("*");
    json!({
        "name": key,
        "req": requirement,
        "features": field("features").map(|f| serde_json::to_value(f).unwrap_or(json!([]))).unwrap_or(json!([])),
        "optional": field("optional").and_then(toml::Value::as_bool).unwrap_or(false),
        "default_features": field("default-features").or_else(|| field("default_features")).and_then(toml::Value::as_bool).unwrap_or(true),
        "target": target,
        "kind": kind,
        "registry": null,
        "package": field("package").and_then(toml::Value::as_str),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normalised_manifest_becomes_an_index_line() {
        let toml = r#"
[package]
name = "tiny"
version = "0.2.0"

[dependencies.serde1]
version = "1.0"
package = "serde"
features = ["derive"]

[dev-dependencies]
proptest = "1"

[target."cfg(unix)".dependencies.libc]
version = "0.2"
optional = true

[features]
default = ["std"]
std = []
"#;
        let line = manifest_to_index(toml).unwrap();
        assert_eq!((line["name"].as_str(), line["vers"].as_str()), (Some("tiny"), Some("0.2.0")));
        let deps = line["deps"].as_array().unwrap();
        let serde = deps.iter().find(|d| d["name"] == "serde1").unwrap();
        assert_eq!((serde["package"].as_str(), serde["req"].as_str()), (Some("serde"), Some("1.0")));
        assert!(deps.iter().any(|d| d["name"] == "proptest" && d["kind"] == "dev"));
        assert!(deps.iter().any(|d| d["name"] == "libc" && d["target"] == "cfg(unix)" && d["optional"] == true));
        assert_eq!(line["features"]["default"], json!(["std"]));
    }

    #[test]
    fn download_urls_follow_the_dl_template() {
        assert_eq!(download_url("https://static.crates.io/crates", "serde", "1.0.0", "x"), "https://static.crates.io/crates/serde/1.0.0/download");
        assert_eq!(download_url("https://h/{crate}/{version}/{prefix}/{sha256-checksum}", "serde", "1.0.0", "ab"), "https://h/serde/1.0.0/se/rd/ab");
    }
}
