//! The Swift package registry (SE-0292, the registry service specification SwiftPM's
//! `RegistryClient` speaks), as CodeArtifact's Swift endpoint serves it: list releases
//! (`SCOPE/NAME`), release metadata (`SCOPE/NAME/VERSION`), the manifest
//! (`SCOPE/NAME/VERSION/Package.swift`, `?swift-version=` for a version-specific one), the
//! source archive (`SCOPE/NAME/VERSION.zip`), identifier lookup (`identifiers?url=`), `login`
//! and publication (`PUT SCOPE/NAME/VERSION`, `swift package-registry publish`'s multipart
//! form).
//!
//! Every answer carries `Content-Version: 1`; errors are `application/problem+json` with a
//! `detail`, as the specification says. A package's scope is its namespace in the package API
//! and its name the package; both are compared without case (the specification's rule) and
//! stored lowercased, the spelling published kept for display. A release's one asset is its
//! source archive, `NAME-VERSION.zip`; its manifests are read from it when it is published
//! ([`crate::swift_release`]) and kept with its metadata.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::{respond, Served};
use crate::body::MockBody;
use crate::packages::{new_revision, Asset, PackageId, PackageVersion, VersionStatus};
use crate::upload::RequestBody;

/// The largest `metadata` part of a publication.
const METADATA_LIMIT: usize = 1024 * 1024;

/// Answers a request to a Swift repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    if let Some(refusal) = unsupported_accept(request) {
        return refusal;
    }
    let path = rest.trim_matches('/');
    let method = request.method();
    let read = matches!(*method, Method::GET | Method::HEAD);
    let query = request.uri().query().unwrap_or("");
    let segments: Vec<&str> = path.split('/').collect();
    match (method.clone(), segments.as_slice()) {
        (Method::POST, ["login"]) => versioned(respond(StatusCode::OK, "application/json", Bytes::from_static(b"{}"))),
        (_, ["identifiers"]) if read => identifiers(served, query),
        (_, ["availability"]) if read => versioned(respond(StatusCode::OK, "application/json", Bytes::from_static(b"{}"))),
        (_, [scope, name]) if read => with_package(scope, name.trim_end_matches(".json"), |package| releases(served, &package)),
        (_, [scope, name, version]) if read => match version.strip_suffix(".zip") {
            Some(version) => with_package(scope, name, |package| source_archive(served, &package, version)),
            None => with_package(scope, name, |package| release(served, &package, version.trim_end_matches(".json"))),
        },
        (_, [scope, name, version, "Package.swift"]) if read => {
            with_package(scope, name, |package| manifest(served, &package, version, query))
        }
        (Method::PUT, [scope, name, version]) => with_package(scope, name, |package| publish(served, request, &package, version)),
        _ if read => problem(StatusCode::NOT_FOUND, &format!("'{path}' is not a Swift package registry resource")),
        _ => problem(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here")),
    }
}

/// `answer` for the package a path names, or `400` for a scope or name the specification
/// does not allow.
fn with_package<'a>(scope: &'a str, name: &'a str, answer: impl FnOnce(Coordinates<'a>) -> Response<MockBody>) -> Response<MockBody> {
    match Coordinates::parse(scope, name) {
        Ok(package) => answer(package),
        Err(detail) => problem(StatusCode::BAD_REQUEST, &detail),
    }
}

/// A `400` for an `Accept` naming an API version that is not one, a `415` for one this
/// registry does not speak (only version 1 exists); `None` for anything else, answered as v1.
fn unsupported_accept(request: &Request<RequestBody>) -> Option<Response<MockBody>> {
    let accept = request.headers().get(header::ACCEPT)?.to_str().ok()?;
    let media = accept.split(',').map(str::trim).find_map(|m| m.strip_prefix("application/vnd.swift.registry"))?;
    let version = media.strip_prefix(".v")?.split('+').next().unwrap_or("");
    match version.parse::<u32>() {
        Ok(1) => None,
        Ok(_) => Some(problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported API version")),
        Err(_) => Some(problem(StatusCode::BAD_REQUEST, "invalid API version")),
    }
}

/// `response` with `Content-Version: 1`.
fn versioned(mut response: Response<MockBody>) -> Response<MockBody> {
    response.headers_mut().insert("content-version", HeaderValue::from_static("1"));
    response
}

/// An error as the specification words one: `application/problem+json` with a `detail`.
fn problem(status: StatusCode, detail: &str) -> Response<MockBody> {
    let body = json!({ "detail": detail }).to_string();
    let mut response = versioned(respond(status, "application/problem+json", Bytes::from(body)));
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<MockBody> {
    versioned(respond(status, "application/json", Bytes::from(value.to_string())))
}

/// A package's scope and name, as the client spelled them.
struct Coordinates<'a> {
    scope: &'a str,
    name: &'a str,
}

impl<'a> Coordinates<'a> {
    /// The scope and name of a path, if the specification allows them: a scope of letters,
    /// digits and inner hyphens (39 at most), a name of letters, digits and inner hyphens or
    /// underscores (100 at most).
    fn parse(scope: &'a str, name: &'a str) -> Result<Self, String> {
        let inner = |text: &str, max: usize, joiners: &[u8]| {
            let bytes = text.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= max
                && bytes[0].is_ascii_alphanumeric()
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || joiners.contains(b))
                && bytes.windows(2).all(|w| w[0].is_ascii_alphanumeric() || w[1].is_ascii_alphanumeric())
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        };
        if !inner(scope, 39, b"-") {
            return Err(format!("invalid scope '{scope}'"));
        }
        if !inner(name, 100, b"-_") {
            return Err(format!("invalid package name '{name}'"));
        }
        Ok(Self { scope, name })
    }

    fn id(&self) -> PackageId {
        PackageId::swift(self.scope, self.name)
    }
}

/// Whether `version` is a semantic version (`MAJOR.MINOR.PATCH`, a pre-release and build
/// after `-` and `+`), as SwiftPM resolves registry releases.
fn is_semantic_version(version: &str) -> bool {
    let (core, _) = version.split_once('+').unwrap_or((version, ""));
    let (numbers, pre) = core.split_once('-').map_or((core, None), |(n, p)| (n, Some(p)));
    let parts: Vec<&str> = numbers.split('.').collect();
    let identifiers_ok = |text: &str| text.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')))
        && pre.is_none_or(identifiers_ok)
        && version.split_once('+').is_none_or(|(_, build)| identifiers_ok(build))
        && version.len() <= 255
}

/// The listed releases of `package` through the repository and its upstreams, newest first.
fn listed_releases(served: &Served<'_>, package: &Coordinates<'_>) -> Vec<String> {
    let registry = served.ctx.world.read();
    let mut releases: Vec<String> = served.versions_through(&registry, &package.id(), |v| v.status.is_listed()).into_keys().collect();
    releases.sort_by(|a, b| crate::nupkg::compare_versions(b, a));
    releases
}

fn release_url(served: &Served<'_>, package: &Coordinates<'_>, version: &str) -> String {
    format!("{}{}/{}/{version}", served.base, package.scope, package.name)
}

/// `SCOPE/NAME`: each listed release and its URL, the newest as `latest-version`.
fn releases(served: &Served<'_>, package: &Coordinates<'_>) -> Response<MockBody> {
    let releases = listed_releases(served, package);
    let Some(latest) = releases.first() else {
        return problem(StatusCode::NOT_FOUND, &format!("package '{}.{}' was not found", package.scope, package.name));
    };
    let latest = release_url(served, package, latest);
    let listed: serde_json::Map<String, Value> = releases
        .iter()
        .map(|version| (version.clone(), json!({ "url": release_url(served, package, version) })))
        .collect();
    let mut response = json_response(StatusCode::OK, &json!({ "releases": listed }));
    if let Ok(link) = HeaderValue::try_from(format!("<{latest}>; rel=\"latest-version\"")) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// A served (published or unlisted) release of `package`: its version and asset.
fn served_release(served: &Served<'_>, package: &Coordinates<'_>, version: &str) -> Option<PackageVersion> {
    let registry = served.ctx.world.read();
    let versions = served.versions_through(&registry, &package.id(), |v| v.status.is_served());
    versions.get(version).map(|v| (*v).clone())
}

/// `SCOPE/NAME/VERSION`: the release's id, its source archive's checksum, its metadata and
/// when it was published.
fn release(served: &Served<'_>, package: &Coordinates<'_>, version: &str) -> Response<MockBody> {
    let Some(found) = served_release(served, package, version) else {
        return problem(StatusCode::NOT_FOUND, &format!("release {version} of '{}.{}' was not found", package.scope, package.name));
    };
    let checksum = found.assets.iter().find(|a| a.name.ends_with(".zip")).map(|a| a.hash("SHA-256").to_owned());
    let mut body = json!({
        "id": found.metadata["id"].as_str().map_or_else(|| format!("{}.{}", package.scope, package.name), str::to_owned),
        "version": found.version,
        "resources": [{ "name": "source-archive", "type": "application/zip", "checksum": checksum }],
        // Whole seconds: Foundation's `.iso8601` date strategy, which SwiftPM decodes with,
        // refuses fractional ones.
        "publishedAt": humantime::format_rfc3339_seconds(found.published_at).to_string(),
    });
    if found.metadata["metadata"].is_object() {
        body["metadata"] = found.metadata["metadata"].clone();
    }
    let mut response = json_response(StatusCode::OK, &body);
    if let Some(latest) = listed_releases(served, package).first() {
        if let Ok(link) = HeaderValue::try_from(format!("<{}>; rel=\"latest-version\"", release_url(served, package, latest))) {
            response.headers_mut().insert(header::LINK, link);
        }
    }
    response
}

/// `SCOPE/NAME/VERSION/Package.swift`: the manifest, with a `Link` to each version-specific
/// one; `?swift-version=X` answers `Package@swift-X.swift`, or `303` to the unqualified one
/// when the archive has none.
fn manifest(served: &Served<'_>, package: &Coordinates<'_>, version: &str, query: &str) -> Response<MockBody> {
    let Some(found) = served_release(served, package, version) else {
        return problem(StatusCode::NOT_FOUND, &format!("release {version} of '{}.{}' was not found", package.scope, package.name));
    };
    let manifests: BTreeMap<String, String> = serde_json::from_value(found.metadata["manifests"].clone()).unwrap_or_default();
    let unqualified = format!("{}/Package.swift", release_url(served, package, version));
    let wanted = super::query_values(query, "swift-version").next().filter(|v| !v.is_empty());
    let file = wanted.as_ref().map_or_else(|| "Package.swift".to_owned(), |v| format!("Package@swift-{v}.swift"));
    let Some(content) = manifests.get(&file) else {
        if wanted.is_some() {
            let mut response = versioned(respond(StatusCode::SEE_OTHER, "text/plain", Bytes::new()));
            if let Ok(location) = HeaderValue::try_from(unqualified) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return response;
        }
        return problem(StatusCode::NOT_FOUND, &format!("release {version} of '{}.{}' has no Package.swift", package.scope, package.name));
    };
    let mut response = versioned(respond(StatusCode::OK, "text/x-swift", Bytes::from(content.clone())));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::try_from(format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, immutable"));
    if wanted.is_none() {
        let links: Vec<String> = manifests
            .iter()
            .filter_map(|(name, text)| {
                let swift = name.strip_prefix("Package@swift-")?.strip_suffix(".swift")?;
                let tools = tools_version(text).unwrap_or_else(|| swift.to_owned());
                Some(format!("<{unqualified}?swift-version={swift}>; rel=\"alternate\"; filename=\"{name}\"; swift-tools-version=\"{tools}\""))
            })
            .collect();
        if let (false, Ok(value)) = (links.is_empty(), HeaderValue::try_from(links.join(", "))) {
            headers.insert(header::LINK, value);
        }
    }
    response
}

/// The tools version a manifest's first line declares (`// swift-tools-version:5.7`).
fn tools_version(manifest: &str) -> Option<String> {
    let first = manifest.lines().next()?.trim().strip_prefix("//")?.trim();
    let version = first.strip_prefix("swift-tools-version")?.trim_start_matches([':', ' ']);
    let version = version.split(';').next()?.trim();
    (!version.is_empty()).then(|| version.to_owned())
}

/// `SCOPE/NAME/VERSION.zip`: the source archive, with its SHA-256 as `Digest`.
fn source_archive(served: &Served<'_>, package: &Coordinates<'_>, version: &str) -> Response<MockBody> {
    let id = package.id();
    let Some(asset) = served.served_asset(&id, version, |a| a.name.ends_with(".zip")) else {
        return problem(StatusCode::NOT_FOUND, &format!("release {version} of '{}.{}' was not found", package.scope, package.name));
    };
    let mut response = versioned(served.file_response(&asset, "application/zip"));
    if response.status() == StatusCode::OK {
        let digest = hex::decode(asset.hash("SHA-256")).map(|d| base64_simd::STANDARD.encode_to_string(d)).unwrap_or_default();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::try_from(format!("sha-256={digest}")) {
            headers.insert("digest", value);
        }
        if let Ok(value) = HeaderValue::try_from(format!("attachment; filename=\"{}\"", asset.name)) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, immutable"));
    }
    response
}

/// A repository URL as compared for identifier lookup: without scheme, user, `.git` and
/// trailing slash, lowercased (`git@github.com:mona/LinkedList.git` is
/// `github.com/mona/linkedlist`).
fn comparable_url(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let url = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let url = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
    url.replacen(':', "/", 1).trim_end_matches('/').trim_end_matches(".git").trim_end_matches('/').to_owned()
}

/// `identifiers?url=URL`: the packages whose release metadata lists the URL among its
/// `repositoryURLs`.
fn identifiers(served: &Served<'_>, query: &str) -> Response<MockBody> {
    let Some(url) = super::query_values(query, "url").next().filter(|u| !u.is_empty()) else {
        return problem(StatusCode::BAD_REQUEST, "the url query parameter is required");
    };
    let wanted = comparable_url(&url);
    let registry = served.ctx.world.read();
    let mut found = std::collections::BTreeSet::new();
    for key in served.chain(&registry, None) {
        for (id, package) in registry.packages.of(&key).into_iter().flatten() {
            if id.format != "swift" {
                continue;
            }
            for version in package.versions.values().filter(|v| v.status.is_listed()) {
                let urls = version.metadata["metadata"]["repositoryURLs"].as_array().into_iter().flatten().filter_map(Value::as_str);
                if urls.map(comparable_url).any(|u| u == wanted) {
                    found.insert(version.metadata["id"].as_str().map_or_else(|| id.full_name(), str::to_owned));
                }
            }
        }
    }
    if found.is_empty() {
        return problem(StatusCode::NOT_FOUND, &format!("no package is associated with {url}"));
    }
    json_response(StatusCode::OK, &json!({ "identifiers": found }))
}

/// `PUT SCOPE/NAME/VERSION`: `swift package-registry publish`, a form of the source archive
/// (`source-archive`), its metadata (`metadata`, JSON) and optional signatures; `201` with
/// the release's `Location`.
fn publish(served: &Served<'_>, request: &Request<RequestBody>, package: &Coordinates<'_>, version: &str) -> Response<MockBody> {
    if !is_semantic_version(version) {
        return problem(StatusCode::BAD_REQUEST, &format!("invalid version '{version}': a semantic version is required"));
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parts = match request.body().form(content_type) {
        Ok(parts) => parts,
        Err(why) => return problem(StatusCode::UNPROCESSABLE_ENTITY, &format!("the body must be multipart/form-data: {why}")),
    };
    let Some(archive) = parts.iter().find(|p| p.name == "source-archive") else {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "the form has no source-archive");
    };
    let metadata = match parts.iter().find(|p| p.name == "metadata") {
        None => Value::Null,
        Some(part) if part.content.len() as usize > METADATA_LIMIT => {
            return problem(StatusCode::PAYLOAD_TOO_LARGE, "the metadata is too large");
        }
        Some(part) => match serde_json::from_str::<Value>(&part.text()) {
            Ok(value @ Value::Object(_)) => value,
            _ => return problem(StatusCode::UNPROCESSABLE_ENTITY, "the metadata is not a JSON object"),
        },
    };
    let manifests = match crate::swift_release::manifests_of(&archive.content) {
        Ok(manifests) => manifests,
        Err(why) => return problem(StatusCode::UNPROCESSABLE_ENTITY, &why),
    };
    let id = package.id();
    let asset = Asset::uploaded(&format!("{}-{version}.zip", package.name), archive.content.clone());
    let text_of = |key: &str| metadata[key].as_str().map(str::to_owned).filter(|s| !s.is_empty());
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, &id) {
        return problem(refusal.0, &refusal.1);
    }
    let entry = registry.packages.published_entry(&served.key, &id);
    if entry.versions.contains_key(version) {
        return problem(StatusCode::CONFLICT, &format!("a release with version {version} already exists"));
    }
    entry.versions.insert(
        version.to_owned(),
        PackageVersion {
            version: version.to_owned(),
            display_name: package.name.to_owned(),
            status: VersionStatus::Published,
            published_at: served.now(),
            revision: new_revision(),
            summary: text_of("description"),
            home_page: metadata["repositoryURLs"][0].as_str().map(str::to_owned),
            licenses: text_of("licenseURL").into_iter().collect(),
            readme: None,
            dependencies: Vec::new(),
            assets: vec![asset],
            metadata: crate::swift_release::release_metadata(package.scope, package.name, metadata, &manifests),
            entry_point: None,
        },
    );
    drop(registry);
    let mut response = versioned(respond(StatusCode::CREATED, "application/json", Bytes::from_static(b"{}")));
    if let Ok(location) = HeaderValue::try_from(release_url(served, package, version)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_must_be_semantic() {
        for good in ["1.0.0", "0.1.2-beta.1", "1.2.3+build.7", "10.20.30-rc-1+x"] {
            assert!(is_semantic_version(good), "{good}");
        }
        for bad in ["1.0", "01.0.0", "1.0.0-", "1.0.0-a..b", "v1.0.0", "1.0.0/x"] {
            assert!(!is_semantic_version(bad), "{bad}");
        }
    }

    #[test]
    fn repository_urls_compare_without_scheme_case_or_git_suffix() {
        let canonical = comparable_url("https://github.com/mona/LinkedList");
        for same in ["git@github.com:mona/LinkedList.git", "ssh://git@github.com/mona/linkedlist.git", "https://github.com/mona/LinkedList/"] {
            assert_eq!(comparable_url(same), canonical, "{same}");
        }
        assert_ne!(comparable_url("https://github.com/mona/Other"), canonical);
    }

    #[test]
    fn a_manifests_first_line_gives_its_tools_version() {
        assert_eq!(tools_version("// swift-tools-version:5.7\nimport PackageDescription").as_deref(), Some("5.7"));
        assert_eq!(tools_version("// swift-tools-version: 5.9.0\n").as_deref(), Some("5.9.0"));
        assert_eq!(tools_version("import PackageDescription"), None);
    }
}
