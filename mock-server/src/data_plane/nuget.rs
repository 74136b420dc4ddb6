//! The NuGet v3 feed: the service index, the flat container (`PackageBaseAddress`), the
//! registration index, search, and push, as `dotnet restore`, `dotnet nuget push` and
//! `nuget.exe` use them.
//!
//! Routes, after `/nuget/REPO/`: `v3/index.json`; `v3/package/ID/index.json` (the versions),
//! `v3/package/ID/VERSION/ID.VERSION.nupkg` and `.../ID.nuspec`; `v3/registration/ID/index.json`;
//! `v3/search`; `v2/package` (PUT, a push: the `.nupkg` in a multipart form) and
//! `v2/package/ID/VERSION` (DELETE: `nuget delete`, which unlists, as on nuget.org). Ids are
//! stored lowercased and versions normalised, as NuGet compares them; the nuspec's spelling
//! is kept for display. A version's one asset is `ID.VERSION.nupkg`.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::{json as json_response, respond, text, Served};
use crate::upload::RequestBody;
use crate::nupkg;
use crate::body::MockBody;
use crate::packages::{new_revision, Asset, PackageId, PackageVersion, VersionStatus};

/// Answers a request to a NuGet repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    let path = rest.trim_start_matches('/');
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let method = request.method().clone();
    let read = matches!(method, Method::GET | Method::HEAD);
    match parts.as_slice() {
        ["v3", "index.json"] if read => service_index(served),
        ["v3", "package", id, "index.json"] if read => versions(served, id),
        ["v3", "package", id, version, file] if read => package_file(served, id, version, file),
        ["v3", "registration", id, "index.json"] if read => registration(served, id),
        ["v3", "search"] if read => search(served, request.uri().query().unwrap_or("")),
        ["v2", "package"] if method == Method::PUT => push(served, request),
        ["v2", "package", id, version] if method == Method::DELETE => unlist(served, id, version),
        _ if !read && !matches!(method, Method::PUT | Method::DELETE) => {
            text(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here"))
        }
        _ => text(StatusCode::NOT_FOUND, &format!("'{path}' is not a NuGet v3 resource of this feed")),
    }
}

/// NuGet's rule for an id: words of letters, digits and `_`, joined by `.` or `-`, at most
/// 100 characters.
fn valid_id(id: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    id.len() <= 100 && id.split(['.', '-']).all(word)
}

/// `v3/index.json`: where each resource is, on the endpoint the client reached.
fn service_index(served: &Served<'_>) -> Response<MockBody> {
    let base = &served.base;
    let mut resources = vec![
        json!({ "@id": format!("{base}v3/package/"), "@type": "PackageBaseAddress/3.0.0" }),
        json!({ "@id": format!("{base}v2/package/"), "@type": "PackagePublish/2.0.0" }),
    ];
    for kind in ["RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.4.0", "RegistrationsBaseUrl/3.6.0"] {
        resources.push(json!({ "@id": format!("{base}v3/registration/"), "@type": kind }));
    }
    for kind in ["SearchQueryService", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.5.0"] {
        resources.push(json!({ "@id": format!("{base}v3/search"), "@type": kind }));
    }
    json_response(StatusCode::OK, &json!({ "version": "3.0.0", "resources": resources }))
}

fn not_found(id: &str) -> Response<MockBody> {
    text(StatusCode::NOT_FOUND, &format!("Package '{id}' was not found in the repository"))
}

/// `v3/package/ID/index.json`: the versions (unlisted ones too: a lock file may name them).
fn versions(served: &Served<'_>, id: &str) -> Response<MockBody> {
    let registry = served.ctx.world.read();
    let package = PackageId::nuget(id);
    let listing = served.external_listing(&registry, &package);
    let versions = served.versions_with_external(&registry, listing.as_ref().map(|(_, l)| &**l), &package, |v| v.status.is_served());
    if versions.is_empty() {
        return not_found(id);
    }
    let mut ordered: Vec<&String> = versions.keys().collect();
    ordered.sort_by(|a, b| nupkg::compare_versions(a, b));
    json_response(StatusCode::OK, &json!({ "versions": ordered }))
}

/// `v3/package/ID/VERSION/ID.VERSION.nupkg` and `v3/package/ID/VERSION/ID.nuspec`.
fn package_file(served: &Served<'_>, id: &str, version: &str, file: &str) -> Response<MockBody> {
    let package = PackageId::nuget(id);
    let version = nupkg::normalize_version(version);
    let lower = file.to_ascii_lowercase();
    if lower == format!("{}.{version}.nupkg", package.name) {
        return match served.served_asset(&package, &version, |a| a.name.ends_with(".nupkg")) {
            Some(asset) => served.file_response(&asset, "application/octet-stream"),
            None => not_found(id),
        };
    }
    if lower == format!("{}.nuspec", package.name) {
        let registry = served.ctx.world.read();
        let listing = served.external_listing(&registry, &package);
        let nuspec = served.versions_with_external(&registry, listing.as_ref().map(|(_, l)| &**l), &package, |v| v.status.is_served())
            .get(&version)
            .and_then(|v| v.metadata["nuspec"].as_str().map(str::to_owned));
        return match nuspec {
            Some(text) => respond(StatusCode::OK, "application/xml", Bytes::from(text)),
            None => not_found(id),
        };
    }
    text(StatusCode::NOT_FOUND, &format!("'{file}' is not a file of {id} {version}"))
}

fn content_url(served: &Served<'_>, id: &PackageId, version: &str) -> String {
    format!("{}v3/package/{}/{version}/{}.{version}.nupkg", served.base, id.name, id.name)
}

/// One version as the registration and search resources describe it.
fn catalog_entry(served: &Served<'_>, id: &PackageId, version: &PackageVersion) -> Value {
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for dependency in &version.dependencies {
        groups
            .entry(dependency.framework().to_owned())
            .or_default()
            .push(json!({ "id": dependency.package, "range": dependency.version_requirement }));
    }
    let dependency_groups: Vec<Value> = groups
        .into_iter()
        .map(|(framework, dependencies)| json!({ "targetFramework": framework, "dependencies": dependencies }))
        .collect();
    json!({
        "@id": format!("{}v3/registration/{}/{}.json", served.base, id.name, version.version),
        "id": version.display_name,
        "version": version.version,
        "listed": version.status.is_listed(),
        "description": version.summary.clone().unwrap_or_default(),
        "authors": version.metadata["authors"].as_str().unwrap_or_default(),
        "projectUrl": version.home_page.clone().unwrap_or_default(),
        "published": crate::packages::rfc3339(version.published_at),
        "packageContent": content_url(served, id, &version.version),
        "dependencyGroups": dependency_groups,
    })
}

/// `v3/registration/ID/index.json`: one inline page of every version.
fn registration(served: &Served<'_>, id: &str) -> Response<MockBody> {
    let package = PackageId::nuget(id);
    let registry = served.ctx.world.read();
    let listing = served.external_listing(&registry, &package);
    let versions = served.versions_with_external(&registry, listing.as_ref().map(|(_, l)| &**l), &package, |v| v.status.is_served());
    let mut ordered: Vec<&PackageVersion> = versions.into_values().collect();
    ordered.sort_by(|a, b| nupkg::compare_versions(&a.version, &b.version));
    let (Some(lower), Some(upper)) = (ordered.first().map(|v| &v.version), ordered.last().map(|v| &v.version)) else {
        return not_found(id);
    };
    let index = format!("{}v3/registration/{}/index.json", served.base, package.name);
    let items: Vec<Value> = ordered
        .iter()
        .map(|v| {
            json!({
                "@id": format!("{}v3/registration/{}/{}.json", served.base, package.name, v.version),
                "catalogEntry": catalog_entry(served, &package, v),
                "packageContent": content_url(served, &package, &v.version),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "@id": index,
            "count": 1,
            "items": [{ "@id": format!("{index}#page/{lower}/{upper}"), "count": items.len(), "lower": lower, "upper": upper, "items": items }],
        }),
    )
}

/// `v3/search?q=&skip=&take=&prerelease=`: the repository's packages whose id contains `q`.
fn search(served: &Served<'_>, query: &str) -> Response<MockBody> {
    let mut q = String::new();
    let (mut skip, mut take, mut prerelease) = (0usize, 20usize, false);
    for (key, value) in query.split('&').filter_map(|p| p.split_once('=')) {
        let value = percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned();
        match key {
            "q" => q = value.to_ascii_lowercase(),
            "skip" => skip = value.parse().unwrap_or(0),
            "take" => take = value.parse::<usize>().unwrap_or(20).min(1000),
            "prerelease" => prerelease = value == "true",
            _ => {}
        }
    }
    let registry = served.ctx.world.read();
    let mut data = Vec::new();
    let ids: Vec<&PackageId> = registry
        .packages
        .of(&served.key)
        .into_iter()
        .flat_map(|p| p.keys())
        .filter(|id| id.format == "nuget" && id.name.contains(q.trim()))
        .collect();
    for id in ids {
        let mut listed: Vec<&PackageVersion> = served
            .versions_through(&registry, id, |v| v.status.is_listed() && (prerelease || !v.version.contains('-')))
            .into_values()
            .collect();
        listed.sort_by(|a, b| nupkg::compare_versions(&a.version, &b.version));
        // The highest version stands for the package, as on nuget.org.
        let Some(latest) = listed.last() else {
            continue;
        };
        let mut entry = catalog_entry(served, id, latest);
        entry["versions"] = json!(listed
            .iter()
            .map(|v| json!({ "version": v.version, "downloads": 0, "@id": format!("{}v3/registration/{}/{}.json", served.base, id.name, v.version) }))
            .collect::<Vec<_>>());
        entry["registration"] = json!(format!("{}v3/registration/{}/index.json", served.base, id.name));
        entry["totalDownloads"] = json!(0);
        data.push(entry);
    }
    let total = data.len();
    let page: Vec<Value> = data.into_iter().skip(skip).take(take).collect();
    json_response(StatusCode::OK, &json!({ "totalHits": total, "data": page }))
}

/// `PUT v2/package`: a push, the `.nupkg` as the form's file.
fn push(served: &Served<'_>, request: &Request<RequestBody>) -> Response<MockBody> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let file = request.body().form(content_type).ok().and_then(|parts| parts.into_iter().next()).map(|part| part.content);
    let Some(file) = file else {
        return text(StatusCode::BAD_REQUEST, "A push is a multipart form with the .nupkg as its file");
    };
    let Some(nuspec) = nupkg::read_piece(&file) else {
        return text(StatusCode::BAD_REQUEST, "The package is not a .nupkg with a nuspec (id and version) at its root");
    };
    let id = PackageId::nuget(&nuspec.id);
    let number = nupkg::normalize_version(&nuspec.version);
    if !valid_id(&nuspec.id) || !number.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b)) {
        return text(
            StatusCode::BAD_REQUEST,
            &format!("'{}' {} is not a valid NuGet package id and version", nuspec.id, nuspec.version),
        );
    }
    // Hashed (when in memory) before the world's lock is taken.
    let asset = Asset::uploaded(&format!("{}.{number}.nupkg", id.name), file);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, &id) {
        return refusal.response();
    }
    let package = registry.packages.published_entry(&served.key, &id);
    if package.versions.contains_key(&number) {
        return text(
            StatusCode::CONFLICT,
            &format!("Version {number} of {} already exists: a published version cannot be overwritten", nuspec.id),
        );
    }
    package.versions.insert(
        number.clone(),
        PackageVersion {
            version: number.clone(),
            display_name: nuspec.id.clone(),
            status: VersionStatus::Published,
            published_at: served.now(),
            revision: new_revision(),
            summary: nuspec.description.clone(),
            home_page: nuspec.project_url.clone(),
            licenses: nuspec.license.clone().into_iter().collect(),
            readme: None,
            dependencies: nuspec.package_dependencies(),
            assets: vec![asset],
            metadata: json!({ "nuspec": nuspec.text, "authors": nuspec.authors }),
            entry_point: None,
        },
    );
    drop(registry);
    respond(StatusCode::CREATED, "text/plain", Bytes::new())
}

/// `DELETE v2/package/ID/VERSION`: unlists the version (it stays restorable).
fn unlist(served: &Served<'_>, id: &str, version: &str) -> Response<MockBody> {
    let package = PackageId::nuget(id);
    let number = nupkg::normalize_version(version);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.permit(&registry, "codeartifact:UpdatePackageVersionsStatus", &package) {
        return refusal.response();
    }
    let Some(stored) = registry
        .packages
        .package_mut(&served.key, &package)
        .and_then(|p| p.versions.get_mut(&number))
        .filter(|v| v.status.is_served())
    else {
        return not_found(id);
    };
    stored.status = VersionStatus::Unlisted;
    drop(registry);
    respond(StatusCode::NO_CONTENT, "text/plain", Bytes::new())
}
