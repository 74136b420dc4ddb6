//! The npm registry: packuments, tarballs, `npm publish`, dist-tags and `npm ping`.
//!
//! Routes, after `/npm/REPO/`: `NAME` or `@SCOPE/NAME` (`@SCOPE%2fNAME` too: npm encodes the
//! slash) for the packument (GET) and publish (PUT), `NAME/-/FILE.tgz` for a tarball,
//! `-/package/NAME/dist-tags[/TAG]` for dist-tags, and `-/ping`. A version's one asset is
//! `package.tgz`, as CodeArtifact names it.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use sha2::Digest;

use super::{json as json_response, text, Served};
use crate::external::Listing;
use crate::upload::RequestBody;
use crate::body::MockBody;
use crate::packages::{new_revision, rfc3339, Asset, Dependency, PackageId, PackageVersion, VersionStatus};

/// The name CodeArtifact gives an npm version's tarball.
pub const ASSET_NAME: &str = "package.tgz";

/// Answers a request to an npm repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy().into_owned();
    let path = decoded.trim_end_matches('/');
    let method = request.method();
    if let Some(command) = path.strip_prefix("-/") {
        return registry_command(served, request, command);
    }
    // npm 7+ unpublishes with `PUT NAME/-rev/REV` (the packument less a version) or `DELETE
    // NAME/-rev/REV` (the whole package); older npm deletes tarballs. CodeArtifact refuses
    // every form, so every client reports a failure instead of "already gone".
    if path.contains("/-rev/") || (*method == Method::DELETE) {
        return unpublish_refused();
    }
    if let Some((name, file)) = path.split_once("/-/") {
        return match *method {
            Method::GET | Method::HEAD => tarball(served, name, file),
            _ => not_allowed(method),
        };
    }
    if !valid_name(path) {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }
    match *method {
        Method::GET | Method::HEAD => packument(served, path),
        Method::PUT => publish(served, path, request.body().bytes()),
        _ => not_allowed(method),
    }
}

/// `405` for `npm unpublish` in any form: CodeArtifact removes versions through its API
/// (DeletePackageVersions, DisposePackageVersions), never through npm.
fn unpublish_refused() -> Response<MockBody> {
    text(
        StatusCode::METHOD_NOT_ALLOWED,
        "npm unpublish is not supported by CodeArtifact: remove package versions with DeletePackageVersions or DisposePackageVersions",
    )
}

fn not_allowed(method: &Method) -> Response<MockBody> {
    text(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here"))
}

/// An npm package name: `name` or `@scope/name`, URL-safe, at most 214 characters.
fn valid_name(name: &str) -> bool {
    let bare = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, bare)) if !scope.is_empty() && !scope.contains('/') => bare,
            _ => return false,
        },
        None => name,
    };
    !bare.is_empty()
        && name.len() <= 214
        && !bare.contains('/')
        && !bare.starts_with(['.', '_'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~@/!*'()".contains(c))
}

/// `-/ping` and `-/package/NAME/dist-tags[/TAG]`.
fn registry_command(served: &Served<'_>, request: &Request<RequestBody>, command: &str) -> Response<MockBody> {
    if command == "ping" {
        return json_response(StatusCode::OK, &json!({}));
    }
    let Some(rest) = command.strip_prefix("package/") else {
        return text(StatusCode::NOT_FOUND, &format!("The npm command '-/{command}' is not supported"));
    };
    let Some((name, tags)) = rest.rsplit_once("/dist-tags").map(|(n, t)| (n, t.trim_start_matches('/'))) else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    let id = PackageId::npm(name);
    match (request.method().clone(), tags) {
        (Method::GET, "") => {
            let registry = served.ctx.world.read();
            let listing = served.external_listing(&registry, &id);
            match versions_through(served, &registry, listing.as_ref().map(|(_, l)| &**l), &id) {
                Some((_, tags)) => json_response(StatusCode::OK, &json!(tags)),
                None => not_found(name),
            }
        }
        (Method::PUT, tag) | (Method::POST, tag) if !tag.is_empty() => {
            let Ok(Value::String(version)) = serde_json::from_slice::<Value>(request.body().bytes()) else {
                return text(StatusCode::BAD_REQUEST, "The body must be the version, as a JSON string");
            };
            change_tags(served, &id, |package| {
                if !package.versions.contains_key(&version) {
                    return Err(format!("Version {version} of {name} does not exist"));
                }
                package.dist_tags.insert(tag.to_owned(), version.clone());
                Ok(())
            })
        }
        (Method::DELETE, tag) if !tag.is_empty() => change_tags(served, &id, |package| {
            if tag == "latest" {
                return Err("The latest tag cannot be removed".to_owned());
            }
            package.dist_tags.remove(tag);
            Ok(())
        }),
        (method, _) => not_allowed(&method),
    }
}

/// Changes a package's dist-tags (a publish permission), answering `{"ok": true}`.
fn change_tags(
    served: &Served<'_>,
    id: &PackageId,
    change: impl FnOnce(&mut crate::packages::Package) -> Result<(), String>,
) -> Response<MockBody> {
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, id) {
        return refusal.response();
    }
    let Some(package) = registry.packages.package_mut(&served.key, id) else {
        return not_found(&id.full_name());
    };
    if let Err(message) = change(package) {
        return text(StatusCode::BAD_REQUEST, &message);
    }
    drop(registry);
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

fn not_found(name: &str) -> Response<MockBody> {
    text(StatusCode::NOT_FOUND, &format!("Package '{name}' was not found in the repository"))
}

/// A package's listed versions by version string, and its dist-tags.
type Resolved<'r> = (BTreeMap<String, &'r PackageVersion>, BTreeMap<String, String>);

/// The listed versions of a package through the repository and its upstreams (the first
/// repository with a version wins), and its dist-tags (the first repository's that has the
/// package), `latest` pointing at a listed version.
fn versions_through<'r>(
    served: &Served<'_>,
    registry: &'r crate::registry::Registry,
    listing: Option<&'r Listing>,
    id: &PackageId,
) -> Option<Resolved<'r>> {
    let mut versions: BTreeMap<String, &PackageVersion> = BTreeMap::new();
    let mut tags: Option<BTreeMap<String, String>> = None;
    for key in served.chain(registry, Some(id)) {
        let Some(package) = registry.packages.package(&key, id) else {
            continue;
        };
        for version in package.versions.values().filter(|v| v.status.is_listed()) {
            versions.entry(version.version.clone()).or_insert(version);
        }
        tags.get_or_insert_with(|| package.dist_tags.clone());
    }
    // Then the external connection's versions, and its tags where none were kept here.
    if let Some(listing) = listing {
        for version in listing.versions.values().filter(|v| v.status.is_listed()) {
            versions.entry(version.version.clone()).or_insert(version);
        }
        let tags = tags.get_or_insert_with(BTreeMap::new);
        for (tag, version) in &listing.dist_tags {
            tags.entry(tag.clone()).or_insert_with(|| version.clone());
        }
    }
    let mut tags = tags?;
    tags.retain(|_, version| versions.contains_key(version));
    if !tags.contains_key("latest") {
        if let Some(last) = versions.values().max_by_key(|v| v.published_at) {
            tags.insert("latest".to_owned(), last.version.clone());
        }
    }
    (!versions.is_empty()).then_some((versions, tags))
}

/// The tarball URL of a version, under the endpoint the client reached.
fn tarball_url(served: &Served<'_>, id: &PackageId, version: &str) -> String {
    format!("{}{}/-/{}-{version}.tgz", served.base, id.full_name(), id.name)
}

/// `GET NAME`: the packument, its tarball URLs pointing at this endpoint.
fn packument(served: &Served<'_>, name: &str) -> Response<MockBody> {
    let id = PackageId::npm(name);
    let registry = served.ctx.world.read();
    let listing = served.external_listing(&registry, &id);
    let Some((versions, tags)) = versions_through(served, &registry, listing.as_ref().map(|(_, l)| &**l), &id) else {
        return not_found(name);
    };
    let mut manifests = Map::new();
    let mut times = Map::new();
    for (number, version) in &versions {
        let mut manifest = version.metadata.clone();
        if !manifest.is_object() {
            manifest = json!({ "name": name, "version": number });
        }
        manifest["dist"]["tarball"] = json!(tarball_url(served, &id, number));
        manifests.insert(number.clone(), manifest);
        times.insert(number.clone(), json!(rfc3339(version.published_at)));
    }
    let created = versions.values().map(|v| v.published_at).min();
    let modified = versions.values().map(|v| v.published_at).max();
    if let (Some(created), Some(modified)) = (created, modified) {
        times.insert("created".into(), json!(rfc3339(created)));
        times.insert("modified".into(), json!(rfc3339(modified)));
    }
    let latest = tags.get("latest").and_then(|v| versions.get(v));
    let mut body = json!({
        "_id": name,
        "name": name,
        "dist-tags": tags,
        "versions": manifests,
        "time": times,
    });
    if let Some(latest) = latest {
        if let Some(description) = &latest.summary {
            body["description"] = json!(description);
        }
        if let Some(readme) = &latest.readme {
            body["readme"] = json!(readme);
        }
    }
    json_response(StatusCode::OK, &body)
}

/// `GET NAME/-/NAME-VERSION.tgz`: a served version's tarball.
fn tarball(served: &Served<'_>, name: &str, file: &str) -> Response<MockBody> {
    let id = PackageId::npm(name);
    let version = file
        .strip_prefix(&format!("{}-", id.name))
        .and_then(|v| v.strip_suffix(".tgz"));
    let Some(version) = version else {
        return text(StatusCode::NOT_FOUND, &format!("'{file}' is not a tarball of {name}"));
    };
    if let Some(asset) = served.served_asset(&id, version, |_| true) {
        return served.file_response(&asset, "application/octet-stream");
    }
    text(StatusCode::NOT_FOUND, &format!("Version {version} of {name} was not found"))
}

/// `PUT NAME` without attachments: `npm deprecate` (and `npm undeprecate`) sends the packument
/// it read with `deprecated` set on the versions it names (an empty string removes it). Every
/// version it lists must be this repository's own; the change needs the publish permission.
fn change_metadata(served: &Served<'_>, name: &str, document: &Value) -> Response<MockBody> {
    let Some(versions) = document["versions"].as_object() else {
        return text(StatusCode::BAD_REQUEST, "Changing metadata needs 'versions'");
    };
    let id = PackageId::npm(name);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.permit(&registry, "codeartifact:PublishPackageVersion", &id) {
        return refusal.response();
    }
    let Some(package) = registry.packages.package_mut(&served.key, &id) else {
        return not_found(name);
    };
    if let Some(missing) = versions.keys().find(|number| !package.versions.contains_key(number.as_str())) {
        return text(StatusCode::NOT_FOUND, &format!("Version {missing} of {name} is not in this repository"));
    }
    for (number, manifest) in versions {
        let wanted = manifest["deprecated"].as_str().filter(|m| !m.is_empty());
        let Some(version) = package.versions.get(number) else { continue };
        if version.metadata["deprecated"].as_str() == wanted {
            continue;
        }
        let Some(version) = package.versions.get_mut(number) else { continue };
        match (wanted, version.metadata.as_object_mut()) {
            (Some(message), Some(metadata)) => {
                metadata.insert("deprecated".to_owned(), json!(message));
            }
            (None, Some(metadata)) => {
                metadata.remove("deprecated");
            }
            (Some(message), None) => version.metadata = json!({ "name": name, "version": number, "deprecated": message }),
            (None, None) => {}
        }
        version.revision = crate::packages::new_revision();
    }
    drop(registry);
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

/// `PUT NAME`: `npm publish`'s document, one version and its tarball (base64), checked
/// against the integrity and shasum npm computed.
fn publish(served: &Served<'_>, name: &str, body: &[u8]) -> Response<MockBody> {
    let Ok(document) = serde_json::from_slice::<Value>(body) else {
        return text(StatusCode::BAD_REQUEST, "The publish body is not JSON");
    };
    if document["name"].as_str() != Some(name) {
        return text(StatusCode::BAD_REQUEST, "The document's name does not match the URL");
    }
    // No tarball: the packument sent back with changed metadata (`npm deprecate`).
    if document["_attachments"].as_object().is_none_or(serde_json::Map::is_empty) {
        return change_metadata(served, name, &document);
    }
    let (Some(versions), Some(attachments)) = (document["versions"].as_object(), document["_attachments"].as_object())
    else {
        return text(
            StatusCode::BAD_REQUEST,
            "Publishing needs 'versions' and '_attachments' (changing metadata without a tarball is not supported)",
        );
    };
    let (Some((number, manifest)), 1, 1) = (versions.iter().next(), versions.len(), attachments.len()) else {
        return text(StatusCode::BAD_REQUEST, "Publish one version with one tarball at a time");
    };
    let Some(attachment) = attachments.values().next() else {
        return text(StatusCode::BAD_REQUEST, "No tarball attached");
    };
    let Some(content) = attachment["data"]
        .as_str()
        .and_then(|data| base64_simd::STANDARD.decode_to_vec(data).ok())
    else {
        return text(StatusCode::BAD_REQUEST, "The tarball is not base64");
    };
    if attachment["length"].as_u64().is_some_and(|l| l != content.len() as u64) {
        return text(StatusCode::BAD_REQUEST, "The tarball's length does not match its declared length");
    }
    let dist = &manifest["dist"];
    if let Some(integrity) = dist["integrity"].as_str() {
        let computed = format!(
            "sha512-{}",
            base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(&content))
        );
        let claimed: Vec<&str> = integrity.split_whitespace().filter(|i| i.starts_with("sha512-")).collect();
        if !claimed.is_empty() && !claimed.contains(&computed.as_str()) {
            return text(StatusCode::BAD_REQUEST, "The tarball does not match the integrity in its manifest");
        }
    }
    let asset = Asset::new(ASSET_NAME, Bytes::from(content));
    if dist["shasum"].as_str().is_some_and(|s| !s.eq_ignore_ascii_case(asset.hash("SHA-1"))) {
        return text(StatusCode::BAD_REQUEST, "The tarball does not match the shasum in its manifest");
    }
    let id = PackageId::npm(name);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, &id) {
        return refusal.response();
    }
    let package = registry.packages.published_entry(&served.key, &id);
    if package.versions.contains_key(number) {
        return text(
            StatusCode::CONFLICT,
            &format!("Version {number} of {name} already exists: a published version cannot be overwritten"),
        );
    }
    let text_of = |key: &str| manifest[key].as_str().map(str::to_owned).filter(|s| !s.is_empty());
    let mut stored = manifest.clone();
    if let Some(object) = stored.as_object_mut() {
        object.remove("readme");
    }
    package.versions.insert(
        number.clone(),
        PackageVersion {
            version: number.clone(),
            display_name: name.to_owned(),
            status: VersionStatus::Published,
            published_at: served.now(),
            revision: new_revision(),
            summary: text_of("description"),
            home_page: text_of("homepage"),
            licenses: text_of("license").into_iter().collect(),
            readme: text_of("readme").or_else(|| document["readme"].as_str().map(str::to_owned)),
            dependencies: dependencies(manifest),
            assets: vec![asset],
            metadata: stored,
            entry_point: None,
        },
    );
    if let Some(tags) = document["dist-tags"].as_object() {
        for (tag, version) in tags {
            if let Some(version) = version.as_str() {
                package.dist_tags.insert(tag.clone(), version.to_owned());
            }
        }
    }
    package.dist_tags.entry("latest".to_owned()).or_insert_with(|| number.clone());
    drop(registry);
    json_response(StatusCode::OK, &json!({ "ok": true, "id": name }))
}

/// A manifest's dependencies, typed by the manifest key that declares them as the service
/// model names it (`dependencies` is `regular`, `devDependencies` `dev`, ...).
fn dependencies(manifest: &Value) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (key, kind) in crate::packages::NPM_DEPENDENCY_KINDS {
        for (name, range) in manifest[key].as_object().into_iter().flatten() {
            let id = PackageId::npm(name);
            let range = range.as_str().unwrap_or_default().to_owned();
            out.push(Dependency::new(id.namespace, id.name, kind, range));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_checked_as_npm_does() {
        for good in ["left-pad", "@acme/left-pad", "a.b_c", "@a/b"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "@acme", "@/x", ".hidden", "a/b", "@a/b/c", "has space"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn dependencies_keep_their_kind_and_scope() {
        let deps = dependencies(&json!({
            "dependencies": { "@acme/util": "^1.0.0" },
            "devDependencies": { "tap": "16" },
        }));
        assert_eq!(deps.len(), 2);
        assert_eq!((deps[0].namespace.as_deref(), deps[0].package.as_str()), (Some("acme"), "util"));
        assert_eq!(deps[1].dependency_type, "dev");
    }
}
