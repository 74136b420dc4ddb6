//! The Cargo registry: a sparse index (RFC 2789) with `auth-required` (RFC 3139), crate
//! downloads, `cargo publish`, `cargo yank` and `--undo`.
//!
//! Routes, after `/cargo/REPO/`: `config.json`; index files at Cargo's path scheme (`1/a`,
//! `2/ab`, `3/a/abc`, `se/rd/serde`); `api/v1/crates/new` (PUT, the publish);
//! `api/v1/crates/NAME/VERSION/download`; `api/v1/crates/NAME/VERSION/yank` (DELETE) and
//! `/unyank` (PUT). Cargo asks for `config.json` without a token first; the 401 every
//! endpoint answers without one makes it ask its credential provider and send the token, bare,
//! in `Authorization` (accepted in `super`), on every request after.
//!
//! A crate is stored under its lowercased name (Cargo's names are unique without regard to
//! case), spelled as published in the index. A version's one asset is `NAME-VERSION.crate`. A
//! yanked version is `Unlisted`: still downloadable for lockfiles that name it, listed in the
//! index with `"yanked": true`; `UpdatePackageVersionsStatus` to `Unlisted` yanks it the same
//! way. Errors are Cargo's `{"errors": [{"detail": ...}]}`, the text Cargo prints.


use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::{json as json_response, respond, Refusal, Served};
use crate::packages::cargo_index_path as index_path;
use crate::upload::RequestBody;
use crate::body::MockBody;
use crate::packages::{new_revision, Asset, Dependency, PackageId, PackageVersion, VersionStatus};

/// Answers a request to a Cargo repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    let path = rest.trim_start_matches('/');
    let method = request.method();
    if path == "config.json" {
        return match *method {
            Method::GET | Method::HEAD => config(served),
            _ => not_allowed(method),
        };
    }
    if let Some(api) = path.strip_prefix("api/v1/crates") {
        let parts: Vec<&str> = api.trim_matches('/').split('/').collect();
        return match (method.clone(), parts.as_slice()) {
            (Method::PUT, ["new"]) => publish(served, request.body()),
            (Method::GET | Method::HEAD, [name, version, "download"]) => download(served, name, version),
            (Method::DELETE, [name, version, "yank"]) => yank(served, name, version, VersionStatus::Unlisted),
            (Method::PUT, [name, version, "unyank"]) => yank(served, name, version, VersionStatus::Published),
            (Method::GET, [..]) => error(StatusCode::NOT_FOUND, "Searching and listing crates is not supported by CodeArtifact"),
            _ => not_allowed(method),
        };
    }
    match *method {
        Method::GET | Method::HEAD => index_file(served, path),
        _ => not_allowed(method),
    }
}

/// Cargo's error body: it prints each `detail`.
fn error(status: StatusCode, detail: &str) -> Response<MockBody> {
    json_response(status, &json!({ "errors": [{ "detail": detail }] }))
}

fn refused(refusal: &Refusal) -> Response<MockBody> {
    error(refusal.0, &refusal.1)
}

fn not_allowed(method: &Method) -> Response<MockBody> {
    error(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here"))
}


/// `config.json`: downloads and the API on this endpoint, and a token on every request.
fn config(served: &Served<'_>) -> Response<MockBody> {
    json_response(
        StatusCode::OK,
        &json!({
            "dl": format!("{}api/v1/crates", served.base),
            "api": served.base.trim_end_matches('/'),
            "auth-required": true,
        }),
    )
}

/// A crate's index file: one JSON line per version, through the repository's upstreams (the
/// first repository with a version wins); yanked (`Unlisted`) versions are marked.
fn index_file(served: &Served<'_>, path: &str) -> Response<MockBody> {
    let Some(name) = path
        .rsplit('/')
        .next()
        .filter(|n| index_path(n).is_some_and(|p| p == path.to_ascii_lowercase()))
    else {
        return error(StatusCode::NOT_FOUND, &format!("'{path}' is not an index file"));
    };
    let id = PackageId::cargo(name);
    let registry = served.ctx.world.read();
    let listing = served.external_listing(&registry, &id);
    let versions = served.versions_with_external(&registry, listing.as_ref().map(|(_, l)| &**l), &id, |v| v.status.is_served());
    if versions.is_empty() {
        return error(StatusCode::NOT_FOUND, &format!("Crate '{name}' was not found in the repository"));
    }
    let mut lines = String::new();
    for version in versions.values() {
        let mut line = version.metadata.clone();
        line["yanked"] = json!(version.status == VersionStatus::Unlisted);
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    respond(StatusCode::OK, "text/plain", Bytes::from(lines))
}

/// `api/v1/crates/NAME/VERSION/download`: the `.crate` file.
fn download(served: &Served<'_>, name: &str, version: &str) -> Response<MockBody> {
    match served.served_asset(&PackageId::cargo(name), version, |a| a.name.ends_with(".crate")) {
        Some(asset) => served.file_response(&asset, "application/x-tar"),
        None => error(StatusCode::NOT_FOUND, &format!("Version {version} of crate '{name}' was not found")),
    }
}

/// `cargo yank` (to `Unlisted`) and `cargo yank --undo` (back to `Published`).
fn yank(served: &Served<'_>, name: &str, version: &str, status: VersionStatus) -> Response<MockBody> {
    let id = PackageId::cargo(name);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.permit(&registry, "codeartifact:UpdatePackageVersionsStatus", &id) {
        return refused(&refusal);
    }
    let Some(stored) = registry
        .packages
        .package_mut(&served.key, &id)
        .and_then(|p| p.versions.get_mut(version))
        .filter(|v| v.status.is_served())
    else {
        return error(StatusCode::NOT_FOUND, &format!("Version {version} of crate '{name}' was not found in this repository"));
    };
    stored.status = status;
    drop(registry);
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

/// `PUT api/v1/crates/new`: `cargo publish`.
fn publish(served: &Served<'_>, body: &RequestBody) -> Response<MockBody> {
    let Some((metadata, file)) = body
        .cargo_publish()
        .ok()
        .and_then(|(metadata, file)| Some((serde_json::from_slice::<Value>(&metadata).ok()?, file)))
    else {
        return error(StatusCode::BAD_REQUEST, "The body is not a cargo publish request (metadata and .crate, each after its length)");
    };
    let (Some(name), Some(number)) = (metadata["name"].as_str(), metadata["vers"].as_str()) else {
        return error(StatusCode::BAD_REQUEST, "The metadata needs 'name' and 'vers'");
    };
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return error(StatusCode::BAD_REQUEST, &format!("'{name}' is not a valid crate name"));
    }
    // A SemVer version: letters, digits, `.`, `-` and `+`.
    if number.is_empty() || number.len() > 255 || !number.bytes().all(|b| b.is_ascii_alphanumeric() || b".-+".contains(&b)) {
        return error(StatusCode::BAD_REQUEST, &format!("'{number}' is not a valid crate version"));
    }
    let id = PackageId::cargo(name);
    let asset = Asset::uploaded(&format!("{name}-{number}.crate"), file);
    let line = index_line(&metadata, name, number, asset.hash("SHA-256"));
    let text_of = |key: &str| metadata[key].as_str().map(str::to_owned).filter(|s| !s.is_empty());
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, &id) {
        return refused(&refusal);
    }
    let package = registry.packages.published_entry(&served.key, &id);
    if package.versions.contains_key(number) {
        return error(
            StatusCode::CONFLICT,
            &format!("crate version `{name}@{number}` is already uploaded: a published version cannot be overwritten"),
        );
    }
    package.versions.insert(
        number.to_owned(),
        PackageVersion {
            version: number.to_owned(),
            display_name: name.to_owned(),
            status: VersionStatus::Published,
            published_at: served.now(),
            revision: new_revision(),
            summary: text_of("description"),
            home_page: text_of("homepage").or_else(|| text_of("repository")),
            licenses: text_of("license").into_iter().collect(),
            readme: text_of("readme"),
            dependencies: dependencies(&metadata),
            assets: vec![asset],
            metadata: line,
            entry_point: None,
        },
    );
    drop(registry);
    json_response(
        StatusCode::OK,
        &json!({ "warnings": { "invalid_categories": [], "invalid_badges": [], "other": [] } }),
    )
}

/// The index line of a published version (without `yanked`, set when the index is read):
/// the dependencies as the index spells them (a renamed one under its name in the manifest,
/// with `package`), features using `dep:` or `?/` under `features2` with `"v": 2`.
fn index_line(metadata: &Value, name: &str, number: &str, cksum: &str) -> Value {
    let deps: Vec<Value> = metadata["deps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|dep| {
            let renamed = dep["explicit_name_in_toml"].as_str();
            json!({
                "name": renamed.or(dep["name"].as_str()),
                "req": dep["version_req"],
                "features": dep.get("features").cloned().unwrap_or_else(|| json!([])),
                "optional": dep["optional"].as_bool().unwrap_or(false),
                "default_features": dep["default_features"].as_bool().unwrap_or(true),
                "target": dep["target"],
                "kind": dep["kind"].as_str().unwrap_or("normal"),
                "registry": dep["registry"],
                "package": renamed.and(dep["name"].as_str()),
            })
        })
        .collect();
    let mut features = Map::new();
    let mut features2 = Map::new();
    for (feature, values) in metadata["features"].as_object().into_iter().flatten() {
        let new_syntax = values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|v| v.starts_with("dep:") || v.contains("?/"));
        let target = if new_syntax { &mut features2 } else { &mut features };
        target.insert(feature.clone(), values.clone());
    }
    let mut line = json!({
        "name": name,
        "vers": number,
        "deps": deps,
        "cksum": cksum,
        "features": features,
        "links": metadata["links"],
    });
    if !features2.is_empty() {
        line["features2"] = Value::Object(features2);
        line["v"] = json!(2);
    }
    if let Some(rust_version) = metadata["rust_version"].as_str() {
        line["rust_version"] = json!(rust_version);
    }
    line
}

/// The dependencies the metadata declares, by kind (`normal`, `dev`, `build`).
fn dependencies(metadata: &Value) -> Vec<Dependency> {
    metadata["deps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|dep| {
            let package = dep["name"].as_str().unwrap_or_default().to_owned();
            let kind = dep["kind"].as_str().unwrap_or("normal");
            Dependency::new(None, package, kind, dep["version_req"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_cargos_scheme() {
        assert_eq!(index_path("a").as_deref(), Some("1/a"));
        assert_eq!(index_path("ab").as_deref(), Some("2/ab"));
        assert_eq!(index_path("abc").as_deref(), Some("3/a/abc"));
        assert_eq!(index_path("Serde").as_deref(), Some("se/rd/serde"));
        assert_eq!(index_path("ወ"), None);
        assert_eq!(index_path(""), None);
    }

    #[test]
    fn a_renamed_dependency_is_indexed_under_its_manifest_name() {
        let metadata = json!({
            "deps": [{ "name": "serde", "version_req": "^1", "explicit_name_in_toml": "serde1", "kind": "normal" }],
            "features": { "default": ["std"], "json": ["dep:serde_json"] },
        });
        let line = index_line(&metadata, "tiny", "0.1.0", "00");
        assert_eq!((line["deps"][0]["name"].as_str(), line["deps"][0]["package"].as_str()), (Some("serde1"), Some("serde")));
        assert_eq!(line["features"]["default"], json!(["std"]));
        assert_eq!((line["features2"]["json"].clone(), line["v"].clone()), (json!(["dep:serde_json"]), json!(2)));
    }
}
