//! The RubyGems registry, as CodeArtifact's Ruby endpoint serves it: the compact index
//! (`versions`, `info/NAME`, `names`), the Dependencies API (`api/v1/dependencies`, Marshal
//! and `.json`), gem downloads (`gems/NAME-VERSION.gem`), the gemspecs `gem install` loads
//! first (`quick/Marshal.4.8/NAME-VERSION.gemspec.rz`) and `gem push` (`POST api/v1/gems`,
//! the raw `.gem`). The full index (`specs.4.8.gz` and its siblings) is not served, as
//! CodeArtifact does not serve it, and neither is `gem yank`.
//!
//! `gem push` sends its key as `Authorization` verbatim: `Bearer TOKEN`, as the user guide
//! has it written in `~/.gem/credentials` or `GEM_HOST_API_KEY`; `gem install --source` and
//! Bundler send `aws:TOKEN` as HTTP Basic. A version holds one `.gem` per platform it was
//! built for (`hello-1.0.0.gem`, `hello-1.0.0-x86_64-linux.gem`), each build's specification
//! kept in the version's metadata under `builds`, by platform. Index files carry an `ETag`
//! (the quoted MD5 of the file, which Bundler checks) and answer `If-None-Match` with 304.

use std::collections::BTreeMap;

use bytes::Bytes;
use md5::Digest as _;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::{respond, Served};
use crate::body::MockBody;
use crate::files::read_at::PieceReader;
use crate::gems::{self, compact_index, marshal, GemSpec};
use crate::registry::Registry;
use crate::packages::{new_revision, rfc3339, Asset, PackageId, PackageVersion, VersionStatus, MAX_ASSETS_PER_VERSION};
use crate::upload::RequestBody;

/// Most gems one Dependencies API request may name (rubygems.org's limit).
const MAX_DEPENDENCY_GEMS: usize = 200;

/// Answers a request to a Ruby repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    let path = rest.trim_start_matches('/');
    let method = request.method();
    let read = matches!(*method, Method::GET | Method::HEAD);
    let query = request.uri().query().unwrap_or("");
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let index = |file: Option<String>| match file {
        Some(file) => index_response(&file, if_none_match),
        None => text(StatusCode::NOT_FOUND, &format!("'{path}' was not found in this repository")),
    };
    match path {
        // RubyGems up to 3.5 asks for the source's root (`HEAD`), later ones for `versions`,
        // before it reads the compact index.
        "" if read => respond(StatusCode::OK, "text/plain; charset=utf-8", Bytes::from_static(b"RubyGems repository: compact index at versions and info/NAME\n")),
        "versions" if read => index(Some(versions(served))),
        "names" if read => index(Some(names(served))),
        "api/v1/gems" if *method == Method::POST => push(served, request.body()),
        "api/v1/dependencies" if read => dependencies(served, query, false),
        "api/v1/dependencies.json" if read => dependencies(served, query, true),
        "specs.4.8.gz" | "latest_specs.4.8.gz" | "prerelease_specs.4.8.gz" | "specs.4.8" | "latest_specs.4.8" if read => text(
            StatusCode::NOT_FOUND,
            "The full index is not served by CodeArtifact: use the compact index (Bundler 2.4.11 or later, RubyGems 3.x)",
        ),
        "api/v1/gems/yank" => text(StatusCode::METHOD_NOT_ALLOWED, "gem yank is not supported by CodeArtifact: use UpdatePackageVersionsStatus or DeletePackageVersions"),
        _ if read => {
            if let Some(name) = path.strip_prefix("info/") {
                index(info(served, name))
            } else if let Some(file) = path.strip_prefix("gems/").filter(|f| f.ends_with(".gem")) {
                download(served, file)
            } else if let Some(file) = path.strip_prefix("quick/Marshal.4.8/").and_then(|f| f.strip_suffix(".gemspec.rz")) {
                quick_spec(served, file)
            } else {
                text(StatusCode::NOT_FOUND, &format!("'{path}' is not a RubyGems endpoint CodeArtifact serves"))
            }
        }
        _ => text(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here")),
    }
}

/// A refusal as rubygems.org words one: plain text, which `gem` prints as it is.
fn text(status: StatusCode, message: &str) -> Response<MockBody> {
    respond(status, "text/plain; charset=utf-8", Bytes::from(format!("{message}\n")))
}

/// An index file with its `ETag`, or `304` when the client's copy is current.
fn index_response(file: &str, if_none_match: Option<&str>) -> Response<MockBody> {
    let etag = format!("\"{}\"", hex::encode(md5::Md5::digest(file.as_bytes())));
    let current = if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let mut response = if current {
        respond(StatusCode::NOT_MODIFIED, "text/plain; charset=utf-8", Bytes::new())
    } else {
        respond(StatusCode::OK, "text/plain; charset=utf-8", Bytes::from(file.to_owned()))
    };
    if let Ok(value) = HeaderValue::try_from(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The builds of `version` that still have their `.gem`: each specification with the
/// SHA-256 of its file.
fn builds(version: &PackageVersion) -> Vec<(GemSpec, String)> {
    let specs = version.metadata["builds"].as_object().into_iter().flat_map(|b| b.values());
    specs
        .filter_map(|spec| serde_json::from_value::<GemSpec>(spec.clone()).ok())
        .filter_map(|spec| {
            let file = format!("{}.gem", spec.full_name());
            let asset = version.assets.iter().find(|a| a.name == file)?;
            let sha256 = asset.hash("SHA-256").to_owned();
            Some((spec, sha256))
        })
        .collect()
}

/// The listed builds of gem `name`, through the repository and its upstreams.
fn listed_builds(served: &Served<'_>, registry: &Registry, name: &str) -> Vec<(GemSpec, String)> {
    let versions = served.versions_through(registry, &PackageId::ruby(name), |v| v.status.is_listed());
    versions.values().flat_map(|v| builds(v)).collect()
}

/// Every gem the repository and its upstreams list, with its listed builds.
fn listed_gems(served: &Served<'_>) -> BTreeMap<String, Vec<(GemSpec, String)>> {
    let registry = served.ctx.world.read();
    let mut names = std::collections::BTreeSet::new();
    for key in served.chain(&registry, None) {
        for (id, package) in registry.packages.of(&key).into_iter().flatten() {
            if id.format == "ruby" && package.versions.values().any(|v| v.status.is_listed()) {
                names.insert(id.name.clone());
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let builds = listed_builds(served, &registry, &name);
            (name, builds)
        })
        .filter(|(_, builds)| !builds.is_empty())
        .collect()
}

/// `versions`: each gem's builds and its info file's MD5.
fn versions(served: &Served<'_>) -> String {
    let gems: Vec<(String, Vec<String>, String)> = listed_gems(served)
        .into_iter()
        .map(|(name, builds)| {
            let info = compact_index::info_file(&builds);
            let numbers = builds.iter().map(|(spec, _)| spec.version_and_platform()).collect();
            (name, numbers, hex::encode(md5::Md5::digest(info.as_bytes())))
        })
        .collect();
    compact_index::versions_file(&rfc3339(served.now()), &gems)
}

/// `names`: every gem listed.
fn names(served: &Served<'_>) -> String {
    let gems = listed_gems(served);
    compact_index::names_file(gems.keys().map(String::as_str))
}

/// `info/NAME`: a line per listed build; `None` (404) for a gem with none.
fn info(served: &Served<'_>, name: &str) -> Option<String> {
    let builds = listed_builds(served, &served.ctx.world.read(), name);
    (!builds.is_empty()).then(|| compact_index::info_file(&builds))
}

/// `api/v1/dependencies?gems=a,b`: each listed build of the gems named, in Marshal (or JSON
/// for `.json`); without `gems`, an empty answer (Bundler's probe that the API is there).
fn dependencies(served: &Served<'_>, query: &str, as_json: bool) -> Response<MockBody> {
    let requested: Vec<String> = super::query_values(query, "gems")
        .flat_map(|list| list.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|g| !g.is_empty())
        .collect();
    if requested.is_empty() && !as_json {
        return respond(StatusCode::OK, "application/octet-stream", Bytes::new());
    }
    if requested.len() > MAX_DEPENDENCY_GEMS {
        return text(StatusCode::UNPROCESSABLE_ENTITY, &format!("Too many gems (use --full-index instead): at most {MAX_DEPENDENCY_GEMS}"));
    }
    let specs: Vec<GemSpec> = {
        let registry = served.ctx.world.read();
        requested.iter().flat_map(|name| listed_builds(served, &registry, name)).map(|(spec, _)| spec).collect()
    };
    if as_json {
        let entries: Vec<Value> = specs
            .iter()
            .map(|spec| {
                let dependencies: Vec<Value> = spec.runtime_requirements().map(|(name, requirement)| json!([name, requirement])).collect();
                json!({ "name": spec.name, "number": spec.version, "platform": spec.platform, "dependencies": dependencies })
            })
            .collect();
        return super::json(StatusCode::OK, &Value::Array(entries));
    }
    respond(StatusCode::OK, "application/octet-stream", Bytes::from(marshal::dependencies_answer(specs.iter())))
}

/// The gems and versions a file stem (`NAME-VERSION[-PLATFORM]`) may name: a name, a
/// version and a platform may each hold `-`, so the gem is split before each `-` and a
/// digit, and the version at each `-` after it.
fn stem_candidates(stem: &str) -> Vec<(PackageId, &str)> {
    let mut candidates = Vec::new();
    for (at, _) in stem.match_indices('-').filter(|(at, _)| stem[at + 1..].starts_with(|c: char| c.is_ascii_digit())) {
        let rest = &stem[at + 1..];
        for end in rest.match_indices('-').map(|(end, _)| end).chain([rest.len()]) {
            candidates.push((PackageId::ruby(&stem[..at]), &rest[..end]));
        }
    }
    candidates
}

/// The build a file stem names, of a served version, through the repository and its upstreams.
fn find_build(served: &Served<'_>, stem: &str) -> Option<GemSpec> {
    let registry = served.ctx.world.read();
    stem_candidates(stem).into_iter().find_map(|(id, number)| {
        let versions = served.versions_through(&registry, &id, |v| v.status.is_served() && v.version == number);
        let version = versions.get(number)?;
        builds(version).into_iter().map(|(spec, _)| spec).find(|spec| spec.full_name() == stem)
    })
}

/// `gems/NAME-VERSION[-PLATFORM].gem`: the file (fetched through an upstream retains it).
fn download(served: &Served<'_>, file: &str) -> Response<MockBody> {
    let stem = file.trim_end_matches(".gem");
    let found = stem_candidates(stem).into_iter().find_map(|(id, number)| served.served_asset(&id, number, |a| a.name == file));
    match found {
        Some(asset) => served.file_response(&asset, "application/octet-stream"),
        None => text(StatusCode::NOT_FOUND, &format!("'{file}' was not found in this repository")),
    }
}

/// `quick/Marshal.4.8/STEM.gemspec.rz`: the build's specification as `gem install` loads it.
fn quick_spec(served: &Served<'_>, stem: &str) -> Response<MockBody> {
    match find_build(served, stem) {
        Some(spec) => respond(StatusCode::OK, "application/octet-stream", Bytes::from(marshal::quick_spec(&spec))),
        None => text(StatusCode::NOT_FOUND, &format!("'{stem}.gemspec.rz' was not found in this repository")),
    }
}

/// `POST api/v1/gems`: `gem push`, the `.gem` as the body.
fn push(served: &Served<'_>, body: &RequestBody) -> Response<MockBody> {
    let piece = body.piece();
    let spec = PieceReader::open(&piece)
        .ok_or_else(|| "the upload could not be read".to_owned())
        .and_then(|reader| gems::read_gem(&reader));
    let spec = match spec {
        Ok(spec) => spec,
        Err(why) => return text(StatusCode::UNPROCESSABLE_ENTITY, &format!("RubyGems.org cannot process this gem: {why}")),
    };
    if let Some(problem) = spec.problem() {
        return text(StatusCode::UNPROCESSABLE_ENTITY, &format!("RubyGems.org cannot process this gem: {problem}"));
    }
    let file = format!("{}.gem", spec.full_name());
    let asset = Asset::uploaded(&file, piece);
    let id = PackageId::ruby(&spec.name);
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, &id) {
        return refusal.response();
    }
    let package = registry.packages.published_entry(&served.key, &id);
    let now = served.now();
    let entry = package.versions.get_or_insert_with(&spec.version, || PackageVersion {
        version: spec.version.clone(),
        display_name: spec.name.clone(),
        status: VersionStatus::Published,
        published_at: now,
        revision: String::new(),
        summary: spec.summary.clone(),
        home_page: spec.homepage.clone(),
        licenses: spec.licenses.clone(),
        readme: None,
        dependencies: gems::dependencies_of(&spec),
        assets: Vec::new(),
        metadata: json!({ "builds": {} }),
        entry_point: None,
    });
    if entry.assets.iter().any(|a| a.name == file) {
        return text(
            StatusCode::CONFLICT,
            &format!("Repushing of gem versions is not allowed: {file} is already in this repository. Please bump the version number and push a new gem."),
        );
    }
    if !entry.status.is_served() {
        return text(StatusCode::CONFLICT, &format!("{} {} is {}: no gem can be added to it", spec.name, spec.version, entry.status.as_str()));
    }
    if entry.assets.len() >= MAX_ASSETS_PER_VERSION {
        return text(StatusCode::BAD_REQUEST, &format!("{} {} has {MAX_ASSETS_PER_VERSION} files, the most a package version may have", spec.name, spec.version));
    }
    entry.metadata["builds"][&spec.platform] = serde_json::to_value(&spec).unwrap_or(Value::Null);
    entry.assets.push(asset);
    entry.revision = new_revision();
    drop(registry);
    respond(
        StatusCode::OK,
        "text/plain; charset=utf-8",
        Bytes::from(format!("Successfully registered gem: {} ({})", spec.name, spec.version_and_platform())),
    )
}
