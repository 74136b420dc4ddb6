//! External connections that fetch, through the service without a socket, from upstreams
//! that are real HTTP servers on loopback (wiremock) or folders: each format's listing and
//! file, retention in both repositories with origin `EXTERNAL`, serving once the upstream is
//! gone, one fetch for concurrent requests, digests checked, tokens and origin controls
//! checked before any upstream request, an unreachable upstream answered in time.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use codeartifact_mock::archive::tar_gz;
use codeartifact_mock::{ExternalConfig, ExternalSource, MockService, ServiceConfig};
use http::Request;
use serde_json::{json, Value};
use sha2::Digest;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::*;

const ACME: &str = "/d/acme-111122223333/us-east-1";

/// The test fixture with a repository per external connection, all upstreams of `everything`.
fn fixture(extra: &str) -> codeartifact_mock::Fixture {
    let mut text = std::fs::read_to_string(fixture_path()).unwrap();
    for (name, connection) in [
        ("npm-store", "public:npmjs"),
        ("cargo-store", "public:crates-io"),
        ("maven-store", "public:maven-central"),
        ("nuget-store", "public:nuget-org"),
    ] {
        text.push_str(&format!("\n[[repositories]]\ndomain = \"acme\"\nname = \"{name}\"\nexternal_connection = \"{connection}\"\n"));
    }
    text.push_str("\n[[repositories]]\ndomain = \"acme\"\nname = \"everything\"\nupstreams = [\"releases\", \"npm-store\", \"cargo-store\", \"maven-store\", \"nuget-store\"]\n");
    text.push_str(extra);
    codeartifact_mock::Fixture::parse(&text, "external-test").unwrap()
}

/// A service whose connections fetch from `sources`.
fn service(sources: &[(&str, ExternalSource)], extra_fixture: &str) -> MockService {
    let external = ExternalConfig {
        sources: sources
            .iter()
            .map(|(n, s)| ((*n).to_owned(), s.clone()))
            .collect(),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        ..ExternalConfig::default()
    };
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(t0()));
    MockService::with_clock(
        &fixture(extra_fixture),
        ServiceConfig {
            external,
            ..ServiceConfig::default()
        },
        clock,
    )
}

/// `server` answers GETs of `at` with `response`.
async fn mount(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(response)
        .mount(server)
        .await;
}

fn registry_source(server: &MockServer) -> ExternalSource {
    ExternalSource::Registry {
        root: server.uri(),
        authorization: None,
    }
}

fn everything() -> Signing {
    Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1")
}

async fn token(service: &MockService) -> String {
    call(service, signed("domain=acme", &everything()))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get(service: &MockService, path: &str, token: Option<&str>) -> Answer {
    let mut request = Request::get(path).header("host", "127.0.0.1:8080");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    call(service, request.body(Bytes::new()).unwrap()).await
}

/// `ListPackageVersions` of `package` in `repository`: version → origin type.
async fn origins(
    service: &MockService,
    repository: &str,
    format: &str,
    package: &str,
) -> BTreeMap<String, String> {
    let query = format!("domain=acme&repository={repository}&format={format}&package={package}");
    let mut request = request("POST", &format!("/v1/package/versions?{query}"), b"");
    sign_request(&mut request, &everything());
    let answer = call(service, request).await;
    answer.assert_ok()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["origin"]["originType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// An upstream PyPI with `hello` 1.0's sdist (its page declares `declared` as the SHA-256).
async fn pypi_upstream(file: &'static [u8], declared: &str) -> MockServer {
    let server = MockServer::start().await;
    let page = format!(
        "<html><body><a href=\"../../files/hello-1.0.tar.gz#sha256={declared}\" data-requires-python=\"&gt;=3.8\">hello-1.0.tar.gz</a></body></html>"
    );
    Mock::given(method("GET"))
        .and(path("/simple/hello/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/hello-1.0.tar.gz"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_bytes(file)
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_python_file_is_fetched_once_kept_in_both_repositories_and_served_when_the_upstream_is_gone(
) {
    let upstream = pypi_upstream(b"sdist bytes", &sha256(b"sdist bytes")).await;
    let service = service(&[("public:pypi", registry_source(&upstream))], "");
    let token = token(&service).await;
    // Through `team`, whose upstream `releases` holds the connection.
    let page = get(
        &service,
        &format!("{ACME}/pypi/team/simple/hello/"),
        Some(&token),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.message());
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let link = format!(
        "http://127.0.0.1:8080{ACME}/pypi/team/simple/hello/1.0/hello-1.0.tar.gz#sha256={}",
        sha256(b"sdist bytes")
    );
    assert!(
        html.contains(&link),
        "the upstream's file, at the mock's URL, with its digest: {html}"
    );
    assert!(html.contains("data-requires-python=\"&gt;=3.8\""), "{html}");
    // Four clients at once: one fetch (the upstream expects exactly one).
    let file = format!("{ACME}/pypi/team/simple/hello/1.0/hello-1.0.tar.gz");
    let downloads = futures_join(&service, &file, &token, 4).await;
    for download in downloads {
        assert_eq!(
            (download.status, &download.body[..]),
            (200, &b"sdist bytes"[..])
        );
    }
    upstream.verify().await;
    for repository in ["releases", "team"] {
        assert_eq!(
            origins(&service, repository, "pypi", "hello").await,
            BTreeMap::from([("1.0".to_owned(), "EXTERNAL".to_owned())]),
            "{repository}"
        );
    }
    // The upstream goes away: what was kept is served, page and file.
    drop(upstream);
    let page = get(
        &service,
        &format!("{ACME}/pypi/team/simple/hello/"),
        Some(&token),
    )
    .await;
    assert!(
        String::from_utf8_lossy(&page.body).contains("hello-1.0.tar.gz"),
        "{}",
        page.message()
    );
    let again = get(&service, &file, Some(&token)).await;
    assert_eq!((again.status, &again.body[..]), (200, &b"sdist bytes"[..]));
}

/// `count` concurrent GETs of `path`.
async fn futures_join(service: &MockService, path: &str, token: &str, count: usize) -> Vec<Answer> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let (service, path, token) = (service.clone(), path.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            get(&service, &path, Some(&token)).await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test]
async fn a_file_that_is_not_what_its_upstream_declares_is_refused_and_not_kept() {
    let upstream = pypi_upstream(b"tampered", &sha256(b"the real sdist")).await;
    let service = service(&[("public:pypi", registry_source(&upstream))], "");
    let token = token(&service).await;
    let file = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/1.0/hello-1.0.tar.gz"),
        Some(&token),
    )
    .await;
    assert_eq!(file.status, 502, "{}", file.message());
    assert!(file.message().contains("SHA-256"), "{}", file.message());
    let query = "domain=acme&repository=releases&format=pypi&package=hello";
    let mut request = request("POST", &format!("/v1/package/versions?{query}"), b"");
    sign_request(&mut request, &everything());
    call(&service, request)
        .await
        .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn no_upstream_request_is_made_without_a_token_nor_past_a_package_group_that_blocks_it() {
    let upstream = MockServer::start().await;
    let blocked = "\n[[package_groups]]\ndomain = \"acme\"\npattern = \"/pypi//hello$\"\nexternal_upstream = \"BLOCK\"\n";
    let service = service(&[("public:pypi", registry_source(&upstream))], blocked);
    let page = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/"),
        None,
    )
    .await;
    assert_eq!(page.status, 401);
    let token = token(&service).await;
    let page = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/"),
        Some(&token),
    )
    .await;
    assert_eq!(
        page.status,
        404,
        "a blocked package is not fetched: {}",
        page.message()
    );
    assert!(
        upstream.received_requests().await.unwrap().is_empty(),
        "the upstream heard nothing"
    );
}

#[tokio::test]
async fn an_unreachable_or_silent_upstream_is_an_answer_in_time() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let root = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let service = service(
        &[(
            "public:pypi",
            ExternalSource::Registry {
                root,
                authorization: None,
            },
        )],
        "",
    );
    let token = token(&service).await;
    let page = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/"),
        Some(&token),
    )
    .await;
    assert_eq!(page.status, 404, "{}", page.message());
    // A server that answers the page but never sends the file: 502 once the read times out.
    let silent = MockServer::start().await;
    mount(
        &silent,
        "/simple/hello/",
        ResponseTemplate::new(200).set_body_raw(
            "<a href=\"/f/hello-1.0.tar.gz\">hello-1.0.tar.gz</a>",
            "text/html",
        ),
    )
    .await;
    mount(
        &silent,
        "/f/hello-1.0.tar.gz",
        ResponseTemplate::new(200)
            .set_body_bytes(b"x".to_vec())
            .set_delay(Duration::from_secs(30)),
    )
    .await;
    let service = self::service(&[("public:pypi", registry_source(&silent))], "");
    let token = self::token(&service).await;
    let started = std::time::Instant::now();
    let file = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/1.0/hello-1.0.tar.gz"),
        Some(&token),
    )
    .await;
    assert_eq!(file.status, 502, "{}", file.message());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the read timeout"
    );
}

#[tokio::test]
async fn npm_packages_come_from_a_folder_of_tarballs_with_their_integrity() {
    let folder = std::env::temp_dir().join(format!("codeartifact-external-npm-{}", rand_suffix()));
    std::fs::create_dir_all(&folder).unwrap();
    let manifest = json!({ "name": "left-pad", "version": "1.3.0", "description": "pads", "dependencies": { "is-number": "^7.0.0" } });
    let tarball = tar_gz(&[
        ("package/package.json", manifest.to_string().as_bytes()),
        ("package/index.js", b"module.exports = 1;"),
    ]);
    std::fs::write(folder.join("left-pad-1.3.0.tgz"), &tarball).unwrap();
    let service = service(
        &[("public:npmjs", ExternalSource::Mirror(folder.clone()))],
        "",
    );
    let token = token(&service).await;
    let packument = get(
        &service,
        &format!("{ACME}/npm/everything/left-pad"),
        Some(&token),
    )
    .await;
    assert_eq!(packument.status, 200, "{}", packument.message());
    let document = packument.json();
    let version = &document["versions"]["1.3.0"];
    let integrity = format!(
        "sha512-{}",
        base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(&tarball))
    );
    assert_eq!(version["dist"]["integrity"], integrity.as_str());
    assert_eq!(version["dependencies"]["is-number"], "^7.0.0");
    assert_eq!(document["dist-tags"]["latest"], "1.3.0");
    let url = version["dist"]["tarball"]
        .as_str()
        .unwrap()
        .replace("http://127.0.0.1:8080", "");
    let file = get(&service, &url, Some(&token)).await;
    assert_eq!(
        (file.status, file.body.len()),
        (200, tarball.len()),
        "{}",
        file.message()
    );
    assert_eq!(
        origins(&service, "npm-store", "npm", "left-pad").await["1.3.0"],
        "EXTERNAL"
    );
    std::fs::remove_dir_all(&folder).unwrap();
    // The folder is gone: the kept tarball is still served.
    assert_eq!(get(&service, &url, Some(&token)).await.status, 200);
}

#[tokio::test]
async fn crates_come_from_a_sparse_index_and_their_checksum_is_checked() {
    let server = MockServer::start().await;
    let crate_file = tar_gz(&[(
        "tiny-0.1.0/Cargo.toml",
        b"[package]\nname = \"tiny\"\nversion = \"0.1.0\"\n",
    )]);
    let line = json!({ "name": "tiny", "vers": "0.1.0", "deps": [], "cksum": sha256(&crate_file), "features": {}, "yanked": false });
    mount(
        &server,
        "/config.json",
        ResponseTemplate::new(200)
            .set_body_json(json!({ "dl": format!("{}/crates", server.uri()) })),
    )
    .await;
    mount(
        &server,
        "/ti/ny/tiny",
        ResponseTemplate::new(200).set_body_string(format!("{line}\n")),
    )
    .await;
    mount(&server, "/3/t/tiny", ResponseTemplate::new(404)).await;
    Mock::given(path("/crates/tiny/0.1.0/download"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(crate_file.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let service = service(&[("public:crates-io", registry_source(&server))], "");
    let token = token(&service).await;
    let index = get(
        &service,
        &format!("{ACME}/cargo/everything/ti/ny/tiny"),
        Some(&token),
    )
    .await;
    assert_eq!(index.status, 200, "{}", index.message());
    let served: Value = serde_json::from_slice(&index.body).unwrap();
    assert_eq!(served["cksum"], sha256(&crate_file).as_str());
    let file = get(
        &service,
        &format!("{ACME}/cargo/everything/api/v1/crates/tiny/0.1.0/download"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (file.status, &file.body[..]),
        (200, &crate_file[..]),
        "{}",
        file.message()
    );
    server.verify().await;
}

#[tokio::test]
async fn maven_files_come_from_a_folder_in_maven_layout_and_nuget_packages_from_a_service_index() {
    let folder =
        std::env::temp_dir().join(format!("codeartifact-external-maven-{}", rand_suffix()));
    let version_dir = folder.join("com/acme/widget/2.0");
    std::fs::create_dir_all(&version_dir).unwrap();
    std::fs::write(
        version_dir.join("widget-2.0.pom"),
        b"<project><artifactId>widget</artifactId></project>",
    )
    .unwrap();
    std::fs::write(version_dir.join("widget-2.0.jar"), b"jar bytes").unwrap();
    let nuget = MockServer::start().await;
    let nupkg = codeartifact_mock::nupkg::zip(
        &[("Acme.Tiny.nuspec", b"<package><metadata><id>Acme.Tiny</id><version>1.0.0</version><description>tiny</description><authors>me</authors></metadata></package>")],
        true,
    );
    mount(&nuget, "/v3/index.json", ResponseTemplate::new(200).set_body_json(json!({ "version": "3.0.0", "resources": [{ "@id": format!("{}/flat/", nuget.uri()), "@type": "PackageBaseAddress/3.0.0" }] }))).await;
    mount(
        &nuget,
        "/flat/acme.tiny/index.json",
        ResponseTemplate::new(200).set_body_json(json!({ "versions": ["1.0.0"] })),
    )
    .await;
    mount(
        &nuget,
        "/flat/acme.tiny/1.0.0/acme.tiny.1.0.0.nupkg",
        ResponseTemplate::new(200).set_body_bytes(nupkg.clone()),
    )
    .await;
    let index = ExternalSource::Registry {
        root: format!("{}/v3/index.json", nuget.uri()),
        authorization: None,
    };
    let service = service(
        &[
            (
                "public:maven-central",
                ExternalSource::Mirror(folder.clone()),
            ),
            ("public:nuget-org", index),
        ],
        "",
    );
    let token = token(&service).await;
    let metadata = get(
        &service,
        &format!("{ACME}/maven/everything/com/acme/widget/maven-metadata.xml"),
        Some(&token),
    )
    .await;
    assert_eq!(metadata.status, 200, "{}", metadata.message());
    assert!(String::from_utf8_lossy(&metadata.body).contains("<version>2.0</version>"));
    let jar = get(
        &service,
        &format!("{ACME}/maven/everything/com/acme/widget/2.0/widget-2.0.jar"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (jar.status, &jar.body[..]),
        (200, &b"jar bytes"[..]),
        "{}",
        jar.message()
    );
    let sha1 = get(
        &service,
        &format!("{ACME}/maven/everything/com/acme/widget/2.0/widget-2.0.jar.sha1"),
        Some(&token),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&sha1.body),
        hex::encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            b"jar bytes"
        ))
    );
    let versions = get(
        &service,
        &format!("{ACME}/nuget/everything/v3/package/acme.tiny/index.json"),
        Some(&token),
    )
    .await;
    assert_eq!(
        versions.json()["versions"],
        json!(["1.0.0"]),
        "{}",
        versions.message()
    );
    let package = get(
        &service,
        &format!("{ACME}/nuget/everything/v3/package/acme.tiny/1.0.0/acme.tiny.1.0.0.nupkg"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (package.status, package.body.len()),
        (200, nupkg.len()),
        "{}",
        package.message()
    );
    let nuspec = get(
        &service,
        &format!("{ACME}/nuget/everything/v3/package/acme.tiny/1.0.0/acme.tiny.nuspec"),
        Some(&token),
    )
    .await;
    assert!(
        String::from_utf8_lossy(&nuspec.body).contains("<id>Acme.Tiny</id>"),
        "the nuspec is read once fetched: {}",
        nuspec.message()
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

#[tokio::test]
async fn a_rust_test_names_the_source_with_the_builder_and_a_wrong_one_is_refused_by_name() {
    let upstream = pypi_upstream(b"sdist bytes", &sha256(b"sdist bytes")).await;
    let mock = codeartifact_mock::MockServer::builder()
        .fixture(fixture(""))
        .frozen_clock(t0())
        .external_connection("public:pypi", &upstream.uri())
        .start()
        .await;
    let token = token(mock.service()).await;
    let file = get(
        mock.service(),
        &format!("{ACME}/pypi/releases/simple/hello/1.0/hello-1.0.tar.gz"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (file.status, &file.body[..]),
        (200, &b"sdist bytes"[..]),
        "{}",
        file.message()
    );
    let refused = std::panic::catch_unwind(|| {
        codeartifact_mock::MockServer::builder()
            .external_connection("public:pip", "https://pypi.org")
    });
    let message = refused
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("unknown external connection 'public:pip'"),
        "{message}"
    );
}

#[tokio::test]
async fn the_shipped_fixture_serves_local_and_fetched_packages_through_app() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/external-connections.toml");
    let fixture = codeartifact_mock::Fixture::load(&path).expect("the shipped fixture loads");
    let wheelhouse = std::env::temp_dir().join(format!(
        "codeartifact-external-wheelhouse-{}",
        rand_suffix()
    ));
    std::fs::create_dir_all(&wheelhouse).unwrap();
    std::fs::write(
        wheelhouse.join("requests-2.0.0-py3-none-any.whl"),
        b"a wheel",
    )
    .unwrap();
    let external = ExternalConfig {
        sources: [(
            "public:pypi".to_owned(),
            ExternalSource::Mirror(wheelhouse.clone()),
        )]
        .into(),
        ..ExternalConfig::default()
    };
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(t0()));
    let service = MockService::with_clock(
        &fixture,
        ServiceConfig {
            external,
            ..ServiceConfig::default()
        },
        clock,
    );
    let example = Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        t0(),
    );
    let token = call(&service, signed("domain=test-domain", &example))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let app = "/d/test-domain-111122223333/us-east-1/pypi/app/simple";
    let local = get(
        &service,
        &format!("{app}/mock-hello/1.0.0/mock_hello-1.0.0-py3-none-any.whl"),
        Some(&token),
    )
    .await;
    assert_eq!(local.status, 200, "{}", local.message());
    let fetched = get(
        &service,
        &format!("{app}/requests/2.0.0/requests-2.0.0-py3-none-any.whl"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (fetched.status, &fetched.body[..]),
        (200, &b"a wheel"[..]),
        "{}",
        fetched.message()
    );
    std::fs::remove_dir_all(&wheelhouse).unwrap();
}

#[tokio::test]
async fn credentials_go_to_their_own_upstream_only_and_a_file_past_the_asset_limit_is_refused() {
    let other = MockServer::start().await;
    mount(
        &other,
        "/elsewhere/hello-1.0.tar.gz",
        ResponseTemplate::new(200).set_body_bytes(b"0123456789 too long".to_vec()),
    )
    .await;
    let upstream = MockServer::start().await;
    let basic = format!(
        "Basic {}",
        base64_simd::STANDARD.encode_to_string("ci:s3cret")
    );
    Mock::given(path("/simple/hello/"))
        .and(wiremock::matchers::header("authorization", basic.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<a href=\"/f/hello-1.0.tar.gz\">hello-1.0.tar.gz</a>",
            "text/html",
        ))
        .mount(&upstream)
        .await;
    mount(
        &upstream,
        "/f/hello-1.0.tar.gz",
        ResponseTemplate::new(302).insert_header(
            "location",
            format!("{}/elsewhere/hello-1.0.tar.gz", other.uri()),
        ),
    )
    .await;
    let mut external = ExternalConfig::default();
    external
        .add(&format!(
            "public:pypi={}",
            upstream.uri().replace("http://", "http://ci:s3cret@")
        ))
        .unwrap();
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(t0()));
    let config = ServiceConfig {
        external,
        max_asset_size: 10,
        ..ServiceConfig::default()
    };
    let service = MockService::with_clock(&fixture(""), config, clock);
    let token = token(&service).await;
    let page = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/"),
        Some(&token),
    )
    .await;
    assert_eq!(
        page.status,
        200,
        "the page was asked with the URL's credentials: {}",
        page.message()
    );
    let file = get(
        &service,
        &format!("{ACME}/pypi/releases/simple/hello/1.0/hello-1.0.tar.gz"),
        Some(&token),
    )
    .await;
    assert_eq!(file.status, 502, "{}", file.message());
    assert!(
        file.message().contains("exceeds the limit of 10 bytes"),
        "{}",
        file.message()
    );
    let redirected = other.received_requests().await.unwrap();
    assert_eq!(redirected.len(), 1);
    assert!(
        redirected[0].headers.get("authorization").is_none(),
        "credentials never follow a redirect to another host"
    );
    for request in upstream.received_requests().await.unwrap() {
        let sent = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            !sent.contains(&token),
            "the client's token never goes upstream"
        );
    }
}

#[test]
fn an_upstreams_credentials_never_reach_the_log() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/external-connections.toml");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let connection = format!("public:pypi=http://ci:s3cr3tpass@127.0.0.1:{port}");
    let args = [
        "--config",
        fixture.to_str().unwrap(),
        "--external-connection",
        &connection,
    ];
    let server = MockProcess::start_logging(&args, "debug");
    let token = token_from(&server.url);
    let (status, _) = repository_call(
        &server.url,
        "GET",
        "/d/test-domain-111122223333/us-east-1/pypi/app/simple/requests/",
        &token,
        "",
    );
    assert_eq!(status, 404, "the upstream is down and nothing is local");
    let logs = server.logs_with("could not be read");
    assert!(
        logs.contains("could not be read"),
        "the failure is logged: {logs}"
    );
    let encoded = base64_simd::STANDARD.encode_to_string("ci:s3cr3tpass");
    assert!(
        !logs.contains("s3cr3tpass") && !logs.contains(&encoded),
        "{logs}"
    );
}

#[test]
fn a_fetched_file_is_kept_in_the_data_folder_and_served_after_a_restart_without_the_connection() {
    let root =
        std::env::temp_dir().join(format!("codeartifact-external-restart-{}", rand_suffix()));
    let (wheelhouse, data) = (root.join("wheelhouse"), root.join("data"));
    std::fs::create_dir_all(&wheelhouse).unwrap();
    std::fs::write(
        wheelhouse.join("requests-2.0.0-py3-none-any.whl"),
        b"a kept wheel",
    )
    .unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/external-connections.toml");
    let connection = format!("public:pypi=file://{}", wheelhouse.display());
    let file = "/d/test-domain-111122223333/us-east-1/pypi/app/simple/requests/2.0.0/requests-2.0.0-py3-none-any.whl";
    let common = [
        "--config",
        fixture.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    {
        let args: Vec<&str> = common
            .iter()
            .copied()
            .chain(["--external-connection", connection.as_str()])
            .collect();
        let server = MockProcess::start(&args);
        let token = token_from(&server.url);
        let (status, body) = repository_call(&server.url, "GET", file, &token, "");
        assert_eq!((status, body.as_str()), (200, "a kept wheel"));
        assert_eq!(server.terminate(), Some(0));
    }
    std::fs::remove_dir_all(&wheelhouse).unwrap();
    let server = MockProcess::start(&common);
    let token = token_from(&server.url);
    let (status, body) = repository_call(&server.url, "GET", file, &token, "");
    assert_eq!(
        (status, body.as_str()),
        (200, "a kept wheel"),
        "kept, and served with no connection at all"
    );
    drop(server);
    std::fs::remove_dir_all(&root).unwrap();
}
