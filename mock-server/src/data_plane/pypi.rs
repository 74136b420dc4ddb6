//! The Python registry: the Simple Repository API (PEP 503 HTML and PEP 691 JSON, chosen by
//! `Accept`, API version 1.1 with PEP 700's sizes and upload times), file downloads, and
//! twine's upload (the legacy upload API, a `multipart/form-data` POST to the repository
//! root).
//!
//! Routes, after `/pypi/REPO/`: `simple/` (every project), `simple/PROJECT/` (its files),
//! `simple/PROJECT/VERSION/FILE` (a file: the links point here, under the same token), and
//! `POST` to the root (an upload).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::{is_read, respond, text, Served};
use crate::upload::{Part, RequestBody};
use crate::body::MockBody;
use crate::packages::{
    new_revision, normalize_python_name, rfc3339, Asset, Dependency, PackageId, PackageVersion,
    VersionStatus, MAX_ASSETS_PER_VERSION,
};

/// The JSON form of the Simple API (PEP 691).
const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
/// The HTML form, when asked for by its PEP 691 name.
const HTML_TYPE: &str = "application/vnd.pypi.simple.v1+html";

/// Answers a request to a Python repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    let method = request.method();
    if rest.is_empty() && method == Method::POST {
        return upload(served, request);
    }
    if !is_read(method) {
        return text(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here"));
    }
    let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
    let segments: Vec<&str> = decoded.split('/').collect();
    match segments[..] {
        ["simple", ""] => index(served, request),
        ["simple", project, ""] => project_page(served, request, project),
        // PEP 503: a project URL without its slash is redirected to it.
        ["simple", project] => redirect(&format!("{}simple/{project}/", served.base)),
        ["simple", project, version, file] => download(served, project, version, file),
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Which form of the Simple API a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Json,
    /// HTML, answered with the PEP 691 type name or as `text/html`.
    Html(&'static str),
}

/// The form `Accept` asks for, by quality then order (PEP 691); `None` when it names none
/// this serves (406). No header, `text/html` and `*/*` are HTML.
fn negotiate(accept: Option<&str>) -> Option<Form> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Form::Html("text/html"));
    };
    let mut best: Option<(f32, Form)> = None;
    for item in accept.split(',') {
        let mut pieces = item.split(';');
        let kind = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let form = match kind.as_str() {
            "application/vnd.pypi.simple.v1+json" | "application/vnd.pypi.simple.latest+json" => {
                Form::Json
            }
            "application/vnd.pypi.simple.v1+html" | "application/vnd.pypi.simple.latest+html" => {
                Form::Html(HTML_TYPE)
            }
            "text/html" | "*/*" | "text/*" => Form::Html("text/html"),
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, form));
        }
    }
    best.map(|(_, form)| form)
}

fn not_acceptable() -> Response<MockBody> {
    text(
        StatusCode::NOT_ACCEPTABLE,
        "Not Acceptable: this index serves application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html and text/html",
    )
}

fn accept(request: &Request<RequestBody>) -> Option<&str> {
    request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

/// `simple/`: every project the repository and its upstreams list.
fn index(served: &Served<'_>, request: &Request<RequestBody>) -> Response<MockBody> {
    let Some(form) = negotiate(accept(request)) else {
        return not_acceptable();
    };
    let registry = served.ctx.world.read();
    let mut projects: BTreeMap<String, String> = BTreeMap::new();
    for key in served.chain(&registry, None) {
        for (id, package) in registry.packages.of(&key).into_iter().flatten() {
            let listed = package.versions.values().find(|v| v.status.is_listed());
            if let (Some(version), "pypi") = (listed, id.format.as_str()) {
                projects.entry(id.name.clone()).or_insert_with(|| version.display_name.clone());
            }
        }
    }
    match form {
        Form::Json => {
            let list: Vec<Value> = projects.keys().map(|name| json!({ "name": name })).collect();
            json_response(&json!({ "meta": { "api-version": "1.1" }, "projects": list }))
        }
        Form::Html(content_type) => {
            let mut html = String::from("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Simple index</title>\n  </head>\n  <body>\n");
            for name in projects.keys() {
                html.push_str(&format!(
                    "    <a href=\"{}simple/{}/\">{}</a><br/>\n",
                    served.base,
                    escape(name),
                    escape(name)
                ));
            }
            html.push_str("  </body>\n</html>\n");
            respond(StatusCode::OK, content_type, Bytes::from(html))
        }
    }
}

/// A file the project page lists.
struct Listed {
    version: String,
    asset: Asset,
    requires_python: Option<String>,
    uploaded: String,
}

/// `simple/PROJECT/`: the files of the project's listed versions, through the upstreams.
fn project_page(served: &Served<'_>, request: &Request<RequestBody>, project: &str) -> Response<MockBody> {
    let Some(form) = negotiate(accept(request)) else {
        return not_acceptable();
    };
    let normal = normalize_python_name(project);
    if normal != project {
        // PEP 503: redirect to the normalised name.
        return redirect(&format!("{}simple/{normal}/", served.base));
    }
    let id = PackageId::pypi(project);
    let registry = served.ctx.world.read();
    let mut versions: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
    let mut found = false;
    for key in served.chain(&registry, Some(&id)) {
        let Some(package) = registry.packages.package(&key, &id) else {
            continue;
        };
        found = true;
        for version in package.versions.values().filter(|v| v.status.is_listed()) {
            versions.entry(version.version.clone()).or_insert_with(|| {
                version
                    .assets
                    .iter()
                    .map(|asset| Listed {
                        version: version.version.clone(),
                        asset: asset.clone(),
                        requires_python: version.metadata["requires_python"].as_str().map(str::to_owned),
                        uploaded: rfc3339(version.published_at),
                    })
                    .collect()
            });
        }
    }
    // Then what the external connection offers: versions not held here, and the files a
    // version kept here does not have yet.
    let listing = served.external_listing(&registry, &id);
    for version in listing.iter().flat_map(|(_, l)| l.versions.values()).filter(|v| v.status.is_listed()) {
        found = true;
        let files = versions.entry(version.version.clone()).or_default();
        for asset in &version.assets {
            if !files.iter().any(|f| f.asset.name == asset.name) {
                files.push(Listed {
                    version: version.version.clone(),
                    asset: asset.clone(),
                    requires_python: version.metadata["requires_python"].as_str().map(str::to_owned),
                    uploaded: rfc3339(version.published_at),
                });
            }
        }
    }
    if !found {
        return text(StatusCode::NOT_FOUND, &format!("Package '{project}' was not found in the repository"));
    }
    let url = |file: &Listed| {
        format!(
            "{}simple/{normal}/{}/{}",
            served.base,
            encode(&file.version),
            encode(&file.asset.name)
        )
    };
    match form {
        Form::Json => {
            let files: Vec<Value> = versions
                .values()
                .flatten()
                .map(|file| {
                    let mut entry = json!({
                        "filename": file.asset.name,
                        "url": url(file),
                        "hashes": { "sha256": file.asset.hash("SHA-256") },
                        "size": file.asset.size,
                        "upload-time": file.uploaded,
                    });
                    if let Some(requires) = &file.requires_python {
                        entry["requires-python"] = json!(requires);
                    }
                    entry
                })
                .collect();
            json_response(&json!({
                "meta": { "api-version": "1.1" },
                "name": normal,
                "versions": versions.keys().collect::<Vec<_>>(),
                "files": files,
            }))
        }
        Form::Html(content_type) => {
            let mut html = format!(
                "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for {0}</title>\n  </head>\n  <body>\n    <h1>Links for {0}</h1>\n",
                escape(&normal)
            );
            for file in versions.values().flatten() {
                let requires = file
                    .requires_python
                    .as_ref()
                    .map(|r| format!(" data-requires-python=\"{}\"", escape(r)))
                    .unwrap_or_default();
                html.push_str(&format!(
                    "    <a href=\"{}#sha256={}\"{requires}>{}</a><br/>\n",
                    escape(&url(file)),
                    file.asset.hash("SHA-256"),
                    escape(&file.asset.name)
                ));
            }
            html.push_str("  </body>\n</html>\n");
            respond(StatusCode::OK, content_type, Bytes::from(html))
        }
    }
}

/// `simple/PROJECT/VERSION/FILE`: a file of a version that is served (not archived or
/// disposed), from the repository or the first upstream that has it.
fn download(served: &Served<'_>, project: &str, version: &str, file: &str) -> Response<MockBody> {
    let id = PackageId::pypi(project);
    if let Some(asset) = served.served_asset(&id, version, |a| a.name == file) {
        return served.file_response(&asset, "application/octet-stream");
    }
    text(StatusCode::NOT_FOUND, &format!("File '{file}' of {project} {version} was not found"))
}

/// A `POST` of twine's upload form: checks its digests, then adds the file to the version
/// (creating the package and the version as needed).
fn upload(served: &Served<'_>, request: &Request<RequestBody>) -> Response<MockBody> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Ok(parts) = request.body().form(content_type) else {
        return bad_request("Invalid upload: expected a multipart/form-data body (twine upload)");
    };
    let field = |name: &str| parts.iter().find(|p| p.name == name && p.filename.is_none()).map(Part::text);
    if field(":action").as_deref() != Some("file_upload") {
        return bad_request("Invalid upload: ':action' must be 'file_upload'");
    }
    let (Some(name), Some(version)) = (field("name"), field("version")) else {
        return bad_request("Invalid upload: 'name' and 'version' are required");
    };
    let Some(file) = parts.iter().find(|p| p.name == "content" && p.filename.is_some()) else {
        return bad_request("Invalid upload: no file in the 'content' field");
    };
    let filename = file.filename.clone().unwrap_or_default();
    if name.trim().is_empty()
        || version.trim().is_empty()
        || filename.is_empty()
        || filename.contains(['/', '\\'])
        || file.content.is_empty()
    {
        return bad_request("Invalid upload: empty name, version or file, or a file name with a path");
    }
    if !is_valid_project_name(&name) {
        return bad_request(&format!(
            "Invalid value for name: '{name}'. A project name starts and ends with a letter or numeral and holds only ASCII letters, numerals, '.', '_' and '-' (PEP 508)"
        ));
    }
    let asset = Asset::uploaded(&filename, file.content.clone());
    for (field_name, algorithm) in [("sha256_digest", "SHA-256"), ("md5_digest", "MD5")] {
        if let Some(claimed) = field(field_name).filter(|d| !d.is_empty()) {
            if !claimed.eq_ignore_ascii_case(asset.hash(algorithm)) {
                return bad_request(&format!(
                    "The {field_name} supplied does not match the digest calculated from the uploaded file"
                ));
            }
        }
    }
    let id = PackageId::pypi(&name);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, &id) {
        return refusal.response();
    }
    let package = registry.packages.published_entry(&served.key, &id);
    let now = served.now();
    let entry = package.versions.get_or_insert_with(&version, || PackageVersion {
        version: version.clone(),
        display_name: name.clone(),
        status: VersionStatus::Published,
        published_at: now,
        revision: String::new(),
        summary: field("summary").filter(|s| !s.is_empty()),
        home_page: field("home_page").filter(|s| !s.is_empty()),
        licenses: field("license").filter(|s| !s.is_empty()).into_iter().collect(),
        readme: field("description").filter(|s| !s.is_empty()),
        dependencies: requirements(&parts),
        assets: Vec::new(),
        metadata: json!({ "requires_python": field("requires_python").filter(|s| !s.is_empty()) }),
        entry_point: None,
    });
    if matches!(entry.status, VersionStatus::Archived | VersionStatus::Disposed) {
        return text(
            StatusCode::CONFLICT,
            &format!("{} {version} is {}: no file can be added to it", id.name, entry.status.as_str()),
        );
    }
    if entry.assets.len() >= MAX_ASSETS_PER_VERSION {
        return text(
            StatusCode::BAD_REQUEST,
            &format!("{} {version} has {MAX_ASSETS_PER_VERSION} files, the most a package version may have", id.name),
        );
    }
    if entry.assets.iter().any(|a| a.name == filename) {
        return text(
            StatusCode::CONFLICT,
            &format!("File '{filename}' already exists in {} {version}: an asset cannot be overwritten", id.name),
        );
    }
    entry.assets.push(asset);
    entry.revision = new_revision();
    drop(registry);
    respond(StatusCode::OK, "text/plain", Bytes::from_static(b"OK"))
}

/// Whether `name` is a valid Python project name (PEP 508: letters, numerals, `.`, `_` and
/// `-`, starting and ending with a letter or numeral), as PyPI requires of an upload.
fn is_valid_project_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    edge(bytes.first())
        && edge(bytes.last())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The `requires_dist` fields of an upload, as dependencies (`requests (>=2)`, PEP 508).
fn requirements(parts: &[Part]) -> Vec<Dependency> {
    parts
        .iter()
        .filter(|p| p.name == "requires_dist")
        .map(Part::text)
        .filter_map(|requirement| {
            let requirement = requirement.trim().to_owned();
            let end = requirement
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(requirement.len());
            let package = normalize_python_name(&requirement[..end]);
            (!package.is_empty()).then(|| Dependency::new(None, package, "Requires-Dist", requirement[end..].trim().to_owned()))
        })
        .collect()
}

fn bad_request(message: &str) -> Response<MockBody> {
    text(StatusCode::BAD_REQUEST, message)
}

fn json_response(value: &Value) -> Response<MockBody> {
    respond(StatusCode::OK, JSON_TYPE, Bytes::from(value.to_string()))
}

fn redirect(location: &str) -> Response<MockBody> {
    let mut response = respond(StatusCode::MOVED_PERMANENTLY, "text/plain", Bytes::new());
    if let Ok(value) = http::HeaderValue::try_from(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// HTML-escapes text and attribute values.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Percent-encodes a path segment.
fn encode(segment: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'+')
        .remove(b'!');
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_chooses_the_form_as_pep_691_says() {
        // What pip sends.
        let pip = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
        assert_eq!(negotiate(Some(pip)), Some(Form::Json));
        assert_eq!(negotiate(None), Some(Form::Html("text/html")));
        assert_eq!(negotiate(Some("*/*")), Some(Form::Html("text/html")));
        assert_eq!(
            negotiate(Some("application/vnd.pypi.simple.v1+json;q=0.2, application/vnd.pypi.simple.latest+html")),
            Some(Form::Html(HTML_TYPE))
        );
        assert_eq!(negotiate(Some("application/xml")), None);
    }

    #[test]
    fn project_names_are_checked_as_pep_508_says() {
        for valid in ["a", "requests", "Hello_World", "zope.interface", "x-1"] {
            assert!(is_valid_project_name(valid), "{valid}");
        }
        for invalid in ["", "---", "-a", "a-", "a b", "é", "a/b", "."] {
            assert!(!is_valid_project_name(invalid), "{invalid}");
        }
    }

    #[test]
    fn requirements_are_split_into_name_and_range() {
        let parts = vec![Part {
            name: "requires_dist".into(),
            filename: None,
            content: crate::files::spool::Piece::Bytes(Bytes::from_static(b"Requests_OAuth (>=1.0) ; extra == 'x'")),
        }];
        let deps = requirements(&parts);
        assert_eq!(deps[0].package, "requests-oauth");
        assert_eq!(deps[0].version_requirement, "(>=1.0) ; extra == 'x'");
    }
}
