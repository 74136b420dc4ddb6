//! The Swift package registry (SE-0292) at the protocol level, with requests shaped as
//! SwiftPM's `RegistryClient` sends them (there is no Swift toolchain on these machines):
//! `swift package-registry publish`'s multipart PUT, the releases list, release metadata,
//! manifests with their version-specific alternates, the source archive with its digest,
//! identifier lookup, `login`, and the refusals the specification names.

use bytes::Bytes;
use serde_json::json;
use sha2::Digest;

use super::{basic, endpoint, get, send, token};
use crate::util::*;

pub(super) const MANIFEST: &str = "// swift-tools-version:5.9\nimport PackageDescription\n\nlet package = Package(name: \"LinkedList\")\n";
const MANIFEST_57: &str = "// swift-tools-version:5.7\nimport PackageDescription\n\nlet package = Package(name: \"LinkedList\")\n";

/// A source archive as `swift package archive-source` lays it out: one top folder.
pub(super) fn source_archive(with_manifest: bool) -> Vec<u8> {
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("LinkedList/Package@swift-5.7.swift", MANIFEST_57.as_bytes()),
        (
            "LinkedList/Sources/LinkedList/LinkedList.swift",
            b"public struct LinkedList {}\n",
        ),
    ];
    if with_manifest {
        entries.push(("LinkedList/Package.swift", MANIFEST.as_bytes()));
    }
    codeartifact_mock::nupkg::zip(&entries, true)
}

/// `swift package-registry publish`'s body: the archive, then the metadata, as
/// `RegistryClient.publish` writes them.
fn publish_form(archive: &[u8], metadata: Option<&str>) -> (String, Bytes) {
    let boundary = "7D2B9B8E-8E5A-4E2C-9A44-5C1F0C7E3A11";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(archive);
    if let Some(metadata) = metadata {
        body.extend_from_slice(
            format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{metadata}").as_bytes(),
        );
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data;boundary=\"{boundary}\""),
        Bytes::from(body),
    )
}

const METADATA: &str = r#"{"description": "One thing links to another.", "repositoryURLs": ["https://github.com/mona/LinkedList"], "licenseURL": "https://www.apache.org/licenses/LICENSE-2.0", "author": {"name": "Mona Lisa Octocat"}}"#;

async fn publish(
    service: &codeartifact_mock::MockService,
    token: &str,
    path: &str,
    form: (String, Bytes),
) -> Answer {
    let headers = [
        ("content-type", form.0.as_str()),
        ("accept", "application/vnd.swift.registry.v1+json"),
        ("prefer", "respond-async"),
    ];
    send(
        service,
        "PUT",
        path,
        Some(&format!("Bearer {token}")),
        &headers,
        form.1,
    )
    .await
}

/// `publish` of the release at `path` (`.../SCOPE/NAME/VERSION`) with the sample archive and
/// no metadata: the status.
async fn publish_release(service: &codeartifact_mock::MockService, token: &str, path: &str) -> u16 {
    publish(
        service,
        token,
        path,
        publish_form(&source_archive(true), None),
    )
    .await
    .status
}

/// A GET as SwiftPM sends it: the token as Bearer, the media type it wants.
async fn fetch(
    service: &codeartifact_mock::MockService,
    token: &str,
    path: &str,
    media: &str,
) -> Answer {
    let accept = format!("application/vnd.swift.registry.v1+{media}");
    send(
        service,
        "GET",
        path,
        Some(&format!("Bearer {token}")),
        &[("accept", &accept)],
        Bytes::new(),
    )
    .await
}

#[tokio::test]
async fn publish_then_releases_metadata_manifests_archive_and_identifiers() {
    let service = service_at(t0());
    let token = token(&service).await;
    let base = endpoint("swift");
    let archive = source_archive(true);
    let published = publish(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.1.1"),
        publish_form(&archive, Some(METADATA)),
    )
    .await;
    assert_eq!(published.status, 201, "{}", published.body_text());
    assert_eq!(published.header("content-version"), Some("1"));
    assert_eq!(
        published.header("location"),
        Some(&*format!(
            "http://127.0.0.1:8080{base}mona/LinkedList/1.1.1"
        ))
    );
    let older = publish(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.0.0"),
        publish_form(&archive, None),
    )
    .await;
    assert_eq!(older.status, 201);

    // Scope and name are compared without case.
    let releases = fetch(&service, &token, &format!("{base}MONA/linkedlist"), "json").await;
    assert_eq!(
        (
            releases.status,
            releases.header("content-version"),
            releases.header("content-type")
        ),
        (200, Some("1"), Some("application/json"))
    );
    assert_eq!(
        releases.json(),
        json!({ "releases": {
            "1.1.1": { "url": format!("http://127.0.0.1:8080{base}MONA/linkedlist/1.1.1") },
            "1.0.0": { "url": format!("http://127.0.0.1:8080{base}MONA/linkedlist/1.0.0") },
        }})
    );
    assert_eq!(
        releases.header("link"),
        Some(&*format!(
            "<http://127.0.0.1:8080{base}MONA/linkedlist/1.1.1>; rel=\"latest-version\""
        ))
    );
    assert_eq!(
        fetch(
            &service,
            &token,
            &format!("{base}mona/LinkedList.json"),
            "json"
        )
        .await
        .status,
        200
    );

    let release = fetch(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.1.1"),
        "json",
    )
    .await
    .assert_ok();
    let checksum = hex::encode(sha2::Sha256::digest(&archive));
    assert_eq!(release["id"], "mona.LinkedList");
    assert_eq!(release["version"], "1.1.1");
    assert_eq!(
        release["resources"],
        json!([{ "name": "source-archive", "type": "application/zip", "checksum": checksum }])
    );
    assert_eq!(release["metadata"]["author"]["name"], "Mona Lisa Octocat");
    assert_eq!(
        release["publishedAt"], "2026-11-28T12:00:00Z",
        "whole seconds, as Foundation decodes them"
    );

    let manifest = fetch(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.1.1/Package.swift"),
        "swift",
    )
    .await;
    assert_eq!(
        (
            manifest.status,
            manifest.header("content-type"),
            manifest.body_text().as_str()
        ),
        (200, Some("text/x-swift"), MANIFEST)
    );
    assert_eq!(manifest.header("content-version"), Some("1"));
    assert_eq!(
        manifest.header("link"),
        Some(&*format!("<http://127.0.0.1:8080{base}mona/LinkedList/1.1.1/Package.swift?swift-version=5.7>; rel=\"alternate\"; filename=\"Package@swift-5.7.swift\"; swift-tools-version=\"5.7\""))
    );
    let specific = fetch(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.1.1/Package.swift?swift-version=5.7"),
        "swift",
    )
    .await;
    assert_eq!(specific.body_text(), MANIFEST_57);
    assert_eq!(
        specific.header("content-disposition"),
        Some("attachment; filename=\"Package@swift-5.7.swift\"")
    );
    let other = fetch(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.1.1/Package.swift?swift-version=6.0"),
        "swift",
    )
    .await;
    assert_eq!(
        (other.status, other.header("location")),
        (
            303,
            Some(&*format!(
                "http://127.0.0.1:8080{base}mona/LinkedList/1.1.1/Package.swift"
            ))
        )
    );

    let download = fetch(
        &service,
        &token,
        &format!("{base}mona/LinkedList/1.1.1.zip"),
        "zip",
    )
    .await;
    assert_eq!(
        (download.status, download.header("content-type")),
        (200, Some("application/zip"))
    );
    assert_eq!(&download.body[..], &archive[..]);
    let digest = base64_simd::STANDARD.encode_to_string(sha2::Sha256::digest(&archive));
    assert_eq!(
        download.header("digest"),
        Some(&*format!("sha-256={digest}"))
    );
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"LinkedList-1.1.1.zip\"")
    );

    let lookup = |url: &'static str| {
        let service = &service;
        let token = &token;
        let base = &base;
        async move {
            fetch(
                service,
                token,
                &format!("{base}identifiers?url={url}"),
                "json",
            )
            .await
        }
    };
    assert_eq!(
        lookup("git@github.com:mona/LinkedList.git")
            .await
            .assert_ok(),
        json!({ "identifiers": ["mona.LinkedList"] })
    );
    assert_eq!(
        lookup("https%3A%2F%2Fgithub.com%2Fmona%2FLinkedList")
            .await
            .status,
        200
    );
    assert_eq!(lookup("https://github.com/mona/Other").await.status, 404);
    assert_eq!(
        fetch(&service, &token, &format!("{base}identifiers"), "json")
            .await
            .status,
        400
    );

    // The package API: the scope is the namespace.
    let described = op(
        &service,
        &admin(),
        "DescribePackageVersion",
        "domain=acme&repository=releases&format=swift&namespace=mona&package=linkedlist&version=1.1.1",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(described["packageVersion"]["displayName"], "LinkedList");
    assert_eq!(
        described["packageVersion"]["summary"],
        "One thing links to another."
    );
    let assets = op(
        &service,
        &admin(),
        "ListPackageVersionAssets",
        "domain=acme&repository=releases&format=swift&namespace=mona&package=linkedlist&version=1.1.1",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(assets["assets"][0]["hashes"]["SHA-256"], json!(checksum));

    // An upstream serves it to `team`, which keeps what it downloaded.
    let team = "/d/acme-111122223333/us-east-1/swift/team/";
    assert_eq!(
        fetch(
            &service,
            &token,
            &format!("{team}mona/LinkedList/1.0.0.zip"),
            "zip"
        )
        .await
        .status,
        200
    );
    let kept = op(
        &service,
        &admin(),
        "ListPackageVersions",
        "domain=acme&repository=team&format=swift&namespace=mona&package=linkedlist",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(kept["versions"][0]["version"], "1.0.0");
}

#[tokio::test]
async fn login_versions_conflicts_and_bad_archives_answer_as_the_specification_says() {
    let service = service_at(t0());
    let token = token(&service).await;
    let base = endpoint("swift");
    let bearer = format!("Bearer {token}");
    // `swift package-registry login ENDPOINT/login`: the token as Bearer, or with Basic.
    assert_eq!(
        send(
            &service,
            "POST",
            &format!("{base}login"),
            Some(&bearer),
            &[],
            Bytes::new()
        )
        .await
        .status,
        200
    );
    assert_eq!(
        get(&service, &format!("{base}mona/LinkedList"), &basic(&token))
            .await
            .status,
        404
    );
    let anonymous = send(
        &service,
        "POST",
        &format!("{base}login"),
        None,
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(anonymous.status, 401);

    let path = format!("{base}mona/LinkedList/1.0.0");
    assert_eq!(publish_release(&service, &token, &path).await, 201);
    let again = publish(
        &service,
        &token,
        &path,
        publish_form(&source_archive(true), None),
    )
    .await;
    assert_eq!(
        (again.status, again.header("content-type")),
        (409, Some("application/problem+json"))
    );
    assert_eq!(
        again.json()["detail"],
        "a release with version 1.0.0 already exists"
    );
    let no_manifest = publish(
        &service,
        &token,
        &format!("{base}mona/LinkedList/2.0.0"),
        publish_form(&source_archive(false), None),
    )
    .await;
    assert_eq!(no_manifest.status, 422);
    let not_zip = publish(
        &service,
        &token,
        &format!("{base}mona/LinkedList/2.0.0"),
        publish_form(b"not a zip", None),
    )
    .await;
    assert_eq!(not_zip.status, 422);
    let bad_metadata = publish(
        &service,
        &token,
        &format!("{base}mona/LinkedList/2.0.0"),
        publish_form(&source_archive(true), Some("[1]")),
    )
    .await;
    assert_eq!(bad_metadata.status, 422);
    for (path, status) in [
        ("mona/LinkedList/1.0", 400),
        ("-mona/LinkedList/1.0.0", 400),
        ("mona/Linked__List/1.0.0", 400),
    ] {
        let refused = publish(
            &service,
            &token,
            &format!("{base}{path}"),
            publish_form(&source_archive(true), None),
        )
        .await;
        assert_eq!(refused.status, status, "{path}");
    }

    let with_accept = |accept: &'static str| {
        let service = &service;
        let bearer = &bearer;
        let base = &base;
        async move {
            send(
                service,
                "GET",
                &format!("{base}mona/LinkedList"),
                Some(bearer),
                &[("accept", accept)],
                Bytes::new(),
            )
            .await
            .status
        }
    };
    assert_eq!(
        with_accept("application/vnd.swift.registry.v1+json").await,
        200
    );
    assert_eq!(
        with_accept("application/vnd.swift.registry.v2+json").await,
        415
    );
    assert_eq!(
        with_accept("application/vnd.swift.registry.vx+json").await,
        400
    );
    assert_eq!(with_accept("application/json").await, 200);
    assert_eq!(
        fetch(
            &service,
            &token,
            &format!("{base}mona/LinkedList/9.9.9.zip"),
            "zip"
        )
        .await
        .status,
        404
    );
}

/// A release is copied between repositories like any package, and a package group over the
/// scope (matched without case) refuses publishing with 403 as problem details.
#[tokio::test]
async fn copies_and_package_groups_cover_swift_releases() {
    let service = service_at(t0());
    let token = token(&service).await;
    let base = endpoint("swift");
    let path = format!("{base}mona/LinkedList/1.0.0");
    assert_eq!(publish_release(&service, &token, &path).await, 201);
    let copied = acme_op(
        &service,
        "CopyPackageVersions",
        "format=swift&namespace=mona&package=linkedlist&source-repository=releases&destination-repository=team",
        Some(json!({ "versions": ["1.0.0"] })),
    )
    .await
    .assert_ok();
    assert_eq!(copied["successfulVersions"]["1.0.0"]["status"], "Published");

    block_publishing(&service, "/swift/Octo/*").await;
    let refused = publish(
        &service,
        &token,
        &format!("{base}octo/Thing/1.0.0"),
        publish_form(&source_archive(true), None),
    )
    .await;
    assert_eq!(
        (refused.status, refused.header("content-type")),
        (403, Some("application/problem+json"))
    );
}
