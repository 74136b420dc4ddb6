//! The Maven repository: artifact files by path, `maven-metadata.xml`, checksums and
//! snapshots, as `mvn deploy` writes them and Maven (or Gradle) reads them.
//!
//! Paths, after `/maven/REPO/`: `GROUP/AS/PATH/ARTIFACT/VERSION/FILE` for a version's files,
//! `GROUP/AS/PATH/ARTIFACT/maven-metadata.xml` for the artifact's metadata, and
//! `.../VERSION-SNAPSHOT/maven-metadata.xml` for a snapshot's. Each name may carry a checksum
//! suffix (`.md5`, `.sha1`, `.sha256`, `.sha512`): a GET answers the file's digest in hex, a
//! PUT of one is accepted and not stored (the digests are computed from the file).
//!
//! A package is the group id (its namespace) and artifact id (its name); each file is an
//! asset of its version. As in CodeArtifact, a version whose files were put is `Unfinished`
//! until a `maven-metadata.xml` listing it is put; then it is `Published` and served. The
//! artifact's `maven-metadata.xml` is written by the repository from the versions it serves
//! (through its upstreams), so it is current after every deploy; a snapshot's is the one
//! Maven put, kept as an asset of the snapshot version. A release version's file cannot be
//! put twice (409); a snapshot's metadata can.


use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use super::{respond, text, Served};
use crate::upload::RequestBody;
use crate::body::MockBody;
use crate::files::spool::{Digests, Piece};
use crate::packages::{
    new_revision, Asset, Dependency, PackageId, PackageVersion, VersionStatus, MAX_ASSETS_PER_VERSION,
};
use crate::registry::Registry;

/// The metadata file's name.
const METADATA: &str = "maven-metadata.xml";

/// Checksum suffixes and the digest each names.
const CHECKSUMS: &[(&str, &str)] = &[(".md5", "MD5"), (".sha1", "SHA-1"), (".sha256", "SHA-256"), (".sha512", "SHA-512")];

/// What a path names.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A version's file.
    File { id: PackageId, version: String, file: String },
    /// The artifact's metadata.
    ArtifactMetadata { id: PackageId },
    /// A snapshot version's metadata.
    SnapshotMetadata { id: PackageId, version: String },
}

fn maven_id(group: &[String], artifact: &str) -> PackageId {
    PackageId::named("maven", &group.join("."), artifact)
}

/// A path segment as Maven coordinates and file names spell them: ASCII letters, digits and
/// `-_.+~`, not `.` or `..` alone.
fn valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+~".contains(&b))
}

/// The target of a path (without its checksum suffix), each segment percent-decoded.
fn parse(path: &str) -> Option<Target> {
    let parts: Vec<String> = path
        .split('/')
        .map(|p| percent_encoding::percent_decode_str(p).decode_utf8().ok().map(|s| s.into_owned()))
        .collect::<Option<_>>()?;
    if !parts.iter().all(|p| valid_segment(p)) {
        return None;
    }
    let n = parts.len();
    let file = &parts[n - 1];
    if file == METADATA {
        if n >= 4 && parts[n - 2].ends_with("-SNAPSHOT") {
            return Some(Target::SnapshotMetadata {
                id: maven_id(&parts[..n - 3], &parts[n - 3]),
                version: parts[n - 2].clone(),
            });
        }
        return (n >= 3).then(|| Target::ArtifactMetadata {
            id: maven_id(&parts[..n - 2], &parts[n - 2]),
        });
    }
    (n >= 4).then(|| Target::File {
        id: maven_id(&parts[..n - 3], &parts[n - 3]),
        version: parts[n - 2].clone(),
        file: file.clone(),
    })
}

/// Answers a request to a Maven repository endpoint.
pub fn serve(served: &Served<'_>, request: &Request<RequestBody>, rest: &str) -> Response<MockBody> {
    let path = rest.trim_matches('/');
    let (path, checksum) = CHECKSUMS
        .iter()
        .find_map(|(suffix, algorithm)| path.strip_suffix(suffix).map(|p| (p, Some(*algorithm))))
        .unwrap_or((path, None));
    let Some(target) = parse(path) else {
        return text(StatusCode::NOT_FOUND, &format!("'{rest}' is not a Maven artifact path"));
    };
    match (request.method().clone(), checksum) {
        (Method::GET | Method::HEAD, None) => match read(served, &target, path) {
            Some(Read::Stored(asset)) => served.file_response(&asset, content_type(path)),
            Some(Read::Made(content)) => respond(StatusCode::OK, content_type(path), Bytes::from(content)),
            None => text(StatusCode::NOT_FOUND, &format!("'{path}' was not found")),
        },
        // A stored file's checksum is one of its recorded digests; a made one's is computed.
        (Method::GET | Method::HEAD, Some(algorithm)) => match read(served, &target, path) {
            Some(Read::Stored(asset)) if asset.content.remote_location().is_some() => served.file_response(&asset, "text/plain"),
            Some(Read::Stored(asset)) => respond(StatusCode::OK, "text/plain", Bytes::from(asset.hash(algorithm).to_owned())),
            Some(Read::Made(content)) => respond(StatusCode::OK, "text/plain", Bytes::from(Digests::of(content.as_bytes()).remove(algorithm).unwrap_or_default())),
            None => text(StatusCode::NOT_FOUND, &format!("'{path}' was not found")),
        },
        // A checksum of a file put before: the repository computes its own.
        (Method::PUT, Some(_)) => put_checksum(served, &target),
        (Method::PUT, None) => put(served, target, request.body().piece()),
        (method, _) => text(StatusCode::METHOD_NOT_ALLOWED, &format!("{method} is not allowed here")),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("pom" | "xml") => "text/xml",
        Some("jar") => "application/java-archive",
        _ => "application/octet-stream",
    }
}

/// What a GET of a target answers: a stored file, or metadata made on the spot.
enum Read {
    Stored(Asset),
    Made(String),
}

/// The content a GET of the target (at `path` in the repository) answers: held here or
/// upstream, or through the external connection (a file it is asked for by its path).
fn read(served: &Served<'_>, target: &Target, path: &str) -> Option<Read> {
    match target {
        Target::File { id, version, file } => served
            .served_asset(id, version, |a| a.name == *file)
            .or_else(|| served.external_file(id, version, file, path))
            .map(Read::Stored),
        Target::SnapshotMetadata { id, version } => served.served_asset(id, version, |a| a.name == METADATA).map(Read::Stored),
        Target::ArtifactMetadata { id } => artifact_metadata(served, &served.ctx.world.read(), id).map(Read::Made),
    }
}

/// The artifact's `maven-metadata.xml`, from the versions served through the repository and
/// its upstreams, oldest first.
fn artifact_metadata(served: &Served<'_>, registry: &Registry, id: &PackageId) -> Option<String> {
    let listing = served.external_listing(registry, id);
    let versions = served.versions_with_external(registry, listing.as_ref().map(|(_, l)| &**l), id, |v| v.status.is_listed());
    let mut ordered: Vec<&PackageVersion> = versions.into_values().collect();
    ordered.sort_by(|a, b| a.published_at.cmp(&b.published_at).then(a.version.cmp(&b.version)));
    let latest = ordered.last()?;
    let release = ordered.iter().rev().find(|v| !v.version.ends_with("-SNAPSHOT"));
    let updated = humantime::format_rfc3339_seconds(latest.published_at)
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n");
    xml.push_str(&format!("  <groupId>{}</groupId>\n", escape(id.namespace.as_deref().unwrap_or(""))));
    xml.push_str(&format!("  <artifactId>{}</artifactId>\n  <versioning>\n", escape(&id.name)));
    xml.push_str(&format!("    <latest>{}</latest>\n", escape(&latest.version)));
    if let Some(release) = release {
        xml.push_str(&format!("    <release>{}</release>\n", escape(&release.version)));
    }
    xml.push_str("    <versions>\n");
    for version in &ordered {
        xml.push_str(&format!("      <version>{}</version>\n", escape(&version.version)));
    }
    xml.push_str(&format!("    </versions>\n    <lastUpdated>{updated}</lastUpdated>\n  </versioning>\n</metadata>\n"));
    Some(xml)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The versions a `maven-metadata.xml` lists (`<version>` elements).
fn listed_versions(xml: &str) -> Vec<String> {
    xml.split("<version>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</version>").map(|(v, _)| v.trim().to_owned()))
        .collect()
}

/// A PUT of a checksum: accepted when the file it sums was put (the repository keeps its own
/// digests); a checksum of a file that is not there is refused, as nothing could answer it.
fn put_checksum(served: &Served<'_>, target: &Target) -> Response<MockBody> {
    let id = match target {
        Target::File { id, .. } | Target::ArtifactMetadata { id } | Target::SnapshotMetadata { id, .. } => id,
    };
    let registry = served.ctx.world.read();
    if let Err(refusal) = served.authorize_publish(&registry, id) {
        return refusal.response();
    }
    if let Target::File { id, version, file } = target {
        let summed = registry
            .packages
            .package(&served.key, id)
            .and_then(|p| p.versions.get(version))
            .is_some_and(|v| v.assets.iter().any(|a| a.name == *file));
        if !summed {
            return text(StatusCode::NOT_FOUND, &format!("No file {file} was put for this checksum to sum"));
        }
    }
    respond(StatusCode::CREATED, "text/plain", Bytes::new())
}

/// The longest POM or metadata file read for what it says (real ones are kilobytes).
const MAX_XML: u64 = 16 * 1024 * 1024;

/// A PUT of a file or a metadata file.
fn put(served: &Served<'_>, target: Target, body: Piece) -> Response<MockBody> {
    let (id, version, name) = match &target {
        Target::File { id, version, file } => (id, Some(version.as_str()), file.as_str()),
        Target::SnapshotMetadata { id, version } => (id, Some(version.as_str()), METADATA),
        Target::ArtifactMetadata { id } => (id, None, METADATA),
    };
    // XML is read for what it says; any other file is only recorded.
    let xml = (name.ends_with(".pom") || name == METADATA).then(|| body.bytes_up_to(MAX_XML));
    if xml.as_ref().is_some_and(Option::is_none) {
        return text(StatusCode::BAD_REQUEST, &format!("'{name}' is longer than {MAX_XML} bytes"));
    }
    let xml = xml.flatten().map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default();
    // Hashed (when in memory) before the world's lock is taken.
    let asset = version.is_some().then(|| Asset::uploaded(name, body));
    let mut registry = served.ctx.world.write();
    if let Err(refusal) = served.authorize_publish(&registry, id) {
        return refusal.response();
    }
    let now = served.now();
    let Some(number) = version else {
        // The artifact's metadata: the versions it lists that were being deployed are done.
        let listed = listed_versions(&xml);
        let Some(package) = registry.packages.package_mut(&served.key, id) else {
            return text(StatusCode::NOT_FOUND, &format!("No version of {}:{} was deployed here", id.namespace.as_deref().unwrap_or(""), id.name));
        };
        for number in listed {
            if let Some(version) = package.versions.get_mut(&number).filter(|v| v.status == VersionStatus::Unfinished) {
                version.status = VersionStatus::Published;
                version.published_at = now;
                version.revision = new_revision();
            }
        }
        drop(registry);
        return respond(StatusCode::CREATED, "text/plain", Bytes::new());
    };
    let package = registry.packages.published_entry(&served.key, id);
    let version = package
        .versions
        .get_or_insert_with(number, || PackageVersion::unfinished(number, &id.name, now));
    let snapshot = number.ends_with("-SNAPSHOT");
    if let Some(index) = version.assets.iter().position(|a| a.name == name) {
        if !snapshot && version.status != VersionStatus::Unfinished {
            return text(
                StatusCode::CONFLICT,
                &format!("'{name}' of version {number} of {}:{} exists: a published file cannot be overwritten", id.namespace.as_deref().unwrap_or(""), id.name),
            );
        }
        version.assets.remove(index);
    }
    if version.assets.len() >= MAX_ASSETS_PER_VERSION {
        return text(
            StatusCode::BAD_REQUEST,
            &format!("Version {number} has {MAX_ASSETS_PER_VERSION} files, the most a package version may have"),
        );
    }
    if name.ends_with(".pom") {
        let pom = &xml;
        version.summary = element(pom, "description").or_else(|| element(pom, "name"));
        version.home_page = element(pom, "url");
        version.dependencies = pom_dependencies(pom);
        version.licenses = pom.split("<license>").skip(1).filter_map(|l| inner(l, "name")).collect();
    }
    version.assets.extend(asset);
    version.revision = new_revision();
    drop(registry);
    respond(StatusCode::CREATED, "text/plain", Bytes::new())
}

/// The text of the first top-level-looking `<name>` element of a POM (before any
/// `<dependencies>` or `<build>`, where nested elements reuse the names).
fn element(pom: &str, name: &str) -> Option<String> {
    let head = pom.split("<dependencies>").next()?.split("<build>").next()?;
    let head = head.split("</parent>").last()?;
    inner(head, name)
}

/// The text of the first `<name>` element in `xml`.
fn inner(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim().to_owned()).filter(|s| !s.is_empty())
}

/// A POM's `<dependencies>` (not those of `<dependencyManagement>` or plugins): each group
/// and artifact id, its version (or range) and its scope (`compile` when none is given).
fn pom_dependencies(pom: &str) -> Vec<Dependency> {
    let without_management = match (pom.find("<dependencyManagement>"), pom.find("</dependencyManagement>")) {
        (Some(start), Some(end)) if start < end => format!("{}{}", &pom[..start], &pom[end..]),
        _ => pom.to_owned(),
    };
    let project_level = without_management.split("<build>").next().unwrap_or_default();
    let Some(block) = project_level.split("<dependencies>").nth(1).and_then(|b| b.split("</dependencies>").next()) else {
        return Vec::new();
    };
    block
        .split("<dependency>")
        .skip(1)
        .filter_map(|dependency| {
            let scope = inner(dependency, "scope").unwrap_or_else(|| "compile".to_owned());
            let version = inner(dependency, "version").unwrap_or_default();
            Some(Dependency::new(inner(dependency, "groupId"), inner(dependency, "artifactId")?, &scope, version))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_files_and_metadata() {
        let acme = ["com".to_owned(), "acme".to_owned()];
        assert_eq!(
            parse("com/acme/tiny/1.0/tiny-1.0.jar"),
            Some(Target::File { id: maven_id(&acme, "tiny"), version: "1.0".into(), file: "tiny-1.0.jar".into() })
        );
        assert_eq!(
            parse("com/acme/tiny/maven-metadata.xml"),
            Some(Target::ArtifactMetadata { id: maven_id(&acme, "tiny") })
        );
        assert_eq!(
            parse("com/acme/tiny/1.0-SNAPSHOT/maven-metadata.xml"),
            Some(Target::SnapshotMetadata { id: maven_id(&acme, "tiny"), version: "1.0-SNAPSHOT".into() })
        );
        assert_eq!(parse("com/acme/tiny/1.0/tiny%2D1.0.jar").map(|_| ()), Some(()));
        for bad in ["tiny-1.0.jar", "com/../tiny/1.0/x.jar", "com//tiny/1.0/x.jar", "com/%2f/tiny/1.0/x.jar", "com/a%20b/tiny/1.0/x.jar", "com/ä/tiny/1.0/x.jar"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn metadata_lists_are_read_and_pom_fields_found_outside_dependencies() {
        let xml = "<metadata><versioning><versions><version>1.0</version><version> 1.1 </version></versions></versioning></metadata>";
        assert_eq!(listed_versions(xml), ["1.0", "1.1"]);
        let pom = "<project><parent><name>p</name></parent><name>tiny</name><url>https://x</url><dependencies><dependency><name>d</name></dependency></dependencies></project>";
        assert_eq!(element(pom, "name").as_deref(), Some("tiny"));
        assert_eq!(element(pom, "url").as_deref(), Some("https://x"));
        assert_eq!(element(pom, "description"), None);
    }

    #[test]
    fn pom_dependencies_are_the_projects_own() {
        let pom = "<project><dependencyManagement><dependencies><dependency><groupId>m</groupId><artifactId>managed</artifactId></dependency></dependencies></dependencyManagement>\
            <dependencies><dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>[2.0,3.0)</version></dependency>\
            <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13</version><scope>test</scope></dependency></dependencies>\
            <build><plugins><plugin><dependencies><dependency><artifactId>plugin-dep</artifactId></dependency></dependencies></plugin></plugins></build></project>";
        let found: Vec<(String, String, String)> = pom_dependencies(pom)
            .into_iter()
            .map(|d| (d.package, d.dependency_type, d.version_requirement))
            .collect();
        assert_eq!(
            found,
            [
                ("slf4j-api".to_owned(), "compile".to_owned(), "[2.0,3.0)".to_owned()),
                ("junit".to_owned(), "test".to_owned(), "4.13".to_owned())
            ]
        );
        assert!(pom_dependencies("<project/>").is_empty());
    }
}
