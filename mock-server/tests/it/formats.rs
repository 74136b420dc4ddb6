//! The Cargo, Maven and NuGet registries at the protocol level, with requests shaped as the
//! clients send them (cargo's bare token and publish body, Maven's PUTs and checksums after a
//! Basic challenge, NuGet's service index, flat container and multipart push), and the
//! package API reporting what each published. The real clients run in `registries.rs`.

use bytes::Bytes;
use http::Request;
use serde_json::{json, Value};
use sha2::Digest;

use crate::util::*;

/// The RubyGems registry.
mod ruby;
/// The Swift package registry.
mod swift;

fn endpoint(format: &str) -> String {
    format!("/d/acme-111122223333/us-east-1/{format}/releases/")
}

async fn token(service: &codeartifact_mock::MockService) -> String {
    call(service, signed("domain=acme", &admin()))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A request with `authorization` as given (or none).
async fn send(
    service: &codeartifact_mock::MockService,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Answer {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8080");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    call(service, builder.body(body).unwrap()).await
}

/// A GET with `authorization`.
async fn get(service: &codeartifact_mock::MockService, path: &str, authorization: &str) -> Answer {
    send(service, "GET", path, Some(authorization), &[], Bytes::new()).await
}

/// A PUT of `body` with `authorization`.
async fn put(
    service: &codeartifact_mock::MockService,
    path: &str,
    authorization: &str,
    body: Bytes,
) -> Answer {
    send(service, "PUT", path, Some(authorization), &[], body).await
}

fn basic(token: &str) -> String {
    format!(
        "Basic {}",
        base64_simd::STANDARD.encode_to_string(format!("aws:{token}"))
    )
}

/// cargo's publish body: the metadata and the `.crate`, each after its length.
fn cargo_publish_body(name: &str, version: &str, file: &[u8]) -> Bytes {
    let metadata = json!({
        "name": name, "vers": version, "description": "A tiny crate", "license": "MIT",
        "deps": [{ "name": "serde", "version_req": "^1", "features": [], "optional": false,
                   "default_features": true, "target": null, "kind": "normal", "registry": null }],
        "features": {},
    })
    .to_string();
    let mut body = Vec::new();
    body.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
    body.extend_from_slice(metadata.as_bytes());
    body.extend_from_slice(&(file.len() as u32).to_le_bytes());
    body.extend_from_slice(file);
    Bytes::from(body)
}

#[tokio::test]
async fn cargo_finds_the_sparse_index_publishes_yanks_and_downloads_with_its_bare_token() {
    let service = service_at(t0());
    let token = token(&service).await;
    let base = endpoint("cargo");
    // cargo asks for config.json without a token first: the 401 makes it use its provider.
    let first = send(
        &service,
        "GET",
        &format!("{base}config.json"),
        None,
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(first.status, 401);
    let config = get(&service, &format!("{base}config.json"), &token)
        .await
        .assert_ok();
    assert_eq!(config["auth-required"], true);
    assert_eq!(
        config["api"],
        format!("http://127.0.0.1:8080{}", base.trim_end_matches('/'))
    );
    assert_eq!(
        config["dl"],
        format!("http://127.0.0.1:8080{base}api/v1/crates")
    );

    let crate_file = b"a .crate is a gzipped tar";
    let published = put(
        &service,
        &format!("{base}api/v1/crates/new"),
        &token,
        cargo_publish_body("Tiny-Mock", "0.1.0", crate_file),
    )
    .await;
    assert_eq!(published.status, 200, "{:?}", published.body);
    let again = put(
        &service,
        &format!("{base}api/v1/crates/new"),
        &token,
        cargo_publish_body("tiny-mock", "0.1.0", crate_file),
    )
    .await;
    assert_eq!(again.status, 409);
    assert!(again.json()["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("already uploaded"));

    let index = get(&service, &format!("{base}ti/ny/tiny-mock"), &token).await;
    let line: Value = serde_json::from_slice(&index.body).unwrap();
    assert_eq!(
        (
            line["name"].as_str(),
            line["vers"].as_str(),
            line["yanked"].as_bool()
        ),
        (Some("Tiny-Mock"), Some("0.1.0"), Some(false))
    );
    assert_eq!(line["cksum"], hex::encode(sha2::Sha256::digest(crate_file)));
    assert_eq!(line["deps"][0]["req"], "^1");
    let download = get(
        &service,
        &format!("{base}api/v1/crates/tiny-mock/0.1.0/download"),
        &token,
    )
    .await;
    assert_eq!(&download.body[..], crate_file);

    let yank = send(
        &service,
        "DELETE",
        &format!("{base}api/v1/crates/tiny-mock/0.1.0/yank"),
        Some(&token),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(yank.assert_ok()["ok"], true);
    let index = get(&service, &format!("{base}ti/ny/tiny-mock"), &token).await;
    assert_eq!(
        serde_json::from_slice::<Value>(&index.body).unwrap()["yanked"],
        true
    );
    let status = op(
        &service,
        &admin(),
        "DescribePackageVersion",
        "domain=acme&repository=releases&format=cargo&package=tiny-mock&version=0.1.0",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(status["packageVersion"]["status"], "Unlisted");
    let still = get(
        &service,
        &format!("{base}api/v1/crates/tiny-mock/0.1.0/download"),
        &token,
    )
    .await;
    assert_eq!(still.status, 200, "a yanked version stays downloadable");
    put(
        &service,
        &format!("{base}api/v1/crates/tiny-mock/0.1.0/unyank"),
        &token,
        Bytes::new(),
    )
    .await
    .assert_ok();

    // A group that blocks publishing refuses the next cargo publish, in cargo's error shape.
    op(
        &service,
        &admin(),
        "CreatePackageGroup",
        "domain=acme",
        Some(json!({ "packageGroup": "/cargo/*" })),
    )
    .await
    .assert_ok();
    op(
        &service,
        &admin(),
        "UpdatePackageGroupOriginConfiguration",
        "domain=acme&package-group=%2Fcargo%2F%2A",
        Some(json!({ "restrictions": { "PUBLISH": "BLOCK" } })),
    )
    .await
    .assert_ok();
    let blocked = put(
        &service,
        &format!("{base}api/v1/crates/new"),
        &token,
        cargo_publish_body("tiny-mock", "0.2.0", crate_file),
    )
    .await;
    assert_eq!(blocked.status, 403);
    assert!(
        blocked.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("/cargo/*"),
        "{:?}",
        blocked.body
    );
    let garbage = put(
        &service,
        &format!("{base}api/v1/crates/new"),
        &token,
        Bytes::from_static(b"\xff\xff\xff\xff{}"),
    )
    .await;
    assert_eq!(garbage.status, 400);
}

#[tokio::test]
async fn maven_gets_a_basic_challenge_and_a_version_is_published_by_its_metadata() {
    let service = service_at(t0());
    let token = token(&service).await;
    let auth = basic(&token);
    let base = endpoint("maven");
    let jar = format!("{base}com/acme/tiny/1.0.0/tiny-1.0.0.jar");
    let challenge = send(&service, "GET", &jar, None, &[], Bytes::new()).await;
    assert_eq!(challenge.status, 401);
    let schemes: Vec<&str> = challenge
        .headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        schemes,
        [
            r#"Bearer realm="acme/releases""#,
            r#"Basic realm="acme/releases""#
        ]
    );

    assert_eq!(
        put(&service, &jar, &auth, Bytes::from_static(b"PK jar"))
            .await
            .status,
        201
    );
    let pom = "<project><groupId>com.acme</groupId><artifactId>tiny</artifactId><version>1.0.0</version><description>A tiny artifact</description><dependencies><dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency></dependencies></project>";
    assert_eq!(
        put(
            &service,
            &format!("{base}com/acme/tiny/1.0.0/tiny-1.0.0.pom"),
            &auth,
            Bytes::from(pom)
        )
        .await
        .status,
        201
    );
    assert_eq!(
        put(
            &service,
            &format!("{jar}.sha1"),
            &auth,
            Bytes::from_static(b"ignored")
        )
        .await
        .status,
        201
    );
    // A checksum of a file that was never put sums nothing.
    let missing = format!("{base}com/acme/tiny/1.0.0/tiny-1.0.0-sources.jar.sha1");
    assert_eq!(
        put(&service, &missing, &auth, Bytes::from_static(b"ignored"))
            .await
            .status,
        404
    );
    // Unfinished until the metadata names it.
    assert_eq!(get(&service, &jar, &auth).await.status, 404);
    let described = op(&service, &admin(), "DescribePackageVersion", "domain=acme&repository=releases&format=maven&namespace=com.acme&package=tiny&version=1.0.0", None).await.assert_ok();
    assert_eq!(described["packageVersion"]["status"], "Unfinished");
    let metadata = "<metadata><groupId>com.acme</groupId><artifactId>tiny</artifactId><versioning><versions><version>1.0.0</version></versions></versioning></metadata>";
    assert_eq!(
        put(
            &service,
            &format!("{base}com/acme/tiny/maven-metadata.xml"),
            &auth,
            Bytes::from(metadata)
        )
        .await
        .status,
        201
    );

    let got = get(&service, &jar, &auth).await;
    assert_eq!((got.status, &got.body[..]), (200, &b"PK jar"[..]));
    let sha1 = get(&service, &format!("{jar}.sha1"), &auth).await;
    assert_eq!(
        std::str::from_utf8(&sha1.body).unwrap(),
        hex::encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            b"PK jar"
        ))
    );
    let served = get(
        &service,
        &format!("{base}com/acme/tiny/maven-metadata.xml"),
        &auth,
    )
    .await;
    let xml = String::from_utf8(served.body.to_vec()).unwrap();
    assert!(
        xml.contains("<release>1.0.0</release>") && xml.contains("<version>1.0.0</version>"),
        "{xml}"
    );
    let described = op(&service, &admin(), "DescribePackageVersion", "domain=acme&repository=releases&format=maven&namespace=com.acme&package=tiny&version=1.0.0", None).await.assert_ok();
    assert_eq!(
        (
            described["packageVersion"]["status"].as_str(),
            described["packageVersion"]["summary"].as_str()
        ),
        (Some("Published"), Some("A tiny artifact"))
    );
    let dependencies = op(
        &service,
        &admin(),
        "ListPackageVersionDependencies",
        "domain=acme&repository=releases&format=maven&namespace=com.acme&package=tiny&version=1.0.0",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        (
            dependencies["dependencies"][0]["namespace"].as_str(),
            dependencies["dependencies"][0]["package"].as_str(),
            dependencies["dependencies"][0]["dependencyType"].as_str()
        ),
        (Some("org.slf4j"), Some("slf4j-api"), Some("compile"))
    );
    assert_eq!(
        put(&service, &jar, &auth, Bytes::from_static(b"other"))
            .await
            .status,
        409
    );
    assert_eq!(
        get(&service, &format!("{base}tiny-1.0.0.jar"), &auth)
            .await
            .status,
        404
    );
}

fn nupkg(id: &str, version: &str) -> Vec<u8> {
    let nuspec = format!(
        r#"<?xml version="1.0"?><package><metadata><id>{id}</id><version>{version}</version><authors>Acme</authors><description>Tiny</description></metadata></package>"#
    );
    codeartifact_mock::nupkg::zip(
        &[
            (&format!("{id}.nuspec"), nuspec.as_bytes()),
            ("lib/net8.0/Tiny.dll", b"MZ"),
        ],
        true,
    )
}

/// `dotnet nuget push`'s form: one file part holding the package.
fn push_form(package: &[u8]) -> (String, Bytes) {
    let boundary = "8d7c2e0e-5c34-4d68-9f6a-1b7c0f3a2b11";
    let mut body = format!("--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name=package; filename=package.nupkg; filename*=utf-8''package.nupkg\r\n\r\n").into_bytes();
    body.extend_from_slice(package);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary=\"{boundary}\""),
        Bytes::from(body),
    )
}

#[tokio::test]
async fn nuget_reads_the_service_index_pushes_and_restores_through_the_flat_container() {
    let service = service_at(t0());
    let token = token(&service).await;
    let auth = basic(&token);
    let base = endpoint("nuget");
    let index_url = format!("{base}v3/index.json");
    assert_eq!(
        send(&service, "GET", &index_url, None, &[], Bytes::new())
            .await
            .status,
        401
    );
    let index = get(&service, &index_url, &auth).await.assert_ok();
    let resource = |kind: &str| {
        index["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["@type"] == kind)
            .map(|r| r["@id"].as_str().unwrap().to_owned())
    };
    let flat = resource("PackageBaseAddress/3.0.0").unwrap();
    let publish = resource("PackagePublish/2.0.0").unwrap();
    assert!(
        resource("RegistrationsBaseUrl/3.6.0").is_some()
            && resource("SearchQueryService/3.5.0").is_some()
    );
    let path = |url: &str| url.trim_start_matches("http://127.0.0.1:8080").to_owned();

    let (content_type, body) = push_form(&nupkg("Acme.Tiny", "1.0"));
    let pushed = send(
        &service,
        "PUT",
        &path(&publish),
        Some(&auth),
        &[
            ("content-type", &content_type),
            ("x-nuget-apikey", "anything"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(pushed.status, 201, "{:?}", pushed.body);
    assert_eq!(
        send(
            &service,
            "PUT",
            &path(&publish),
            Some(&auth),
            &[("content-type", &content_type)],
            body
        )
        .await
        .status,
        409
    );

    let versions = get(
        &service,
        &format!("{}acme.tiny/index.json", path(&flat)),
        &auth,
    )
    .await
    .assert_ok();
    assert_eq!(versions["versions"], json!(["1.0.0"]));
    let package = get(
        &service,
        &format!("{}acme.tiny/1.0.0/acme.tiny.1.0.0.nupkg", path(&flat)),
        &auth,
    )
    .await;
    assert_eq!(&package.body[..], &nupkg("Acme.Tiny", "1.0")[..]);
    let nuspec = get(
        &service,
        &format!("{}acme.tiny/1.0.0/acme.tiny.nuspec", path(&flat)),
        &auth,
    )
    .await;
    assert!(String::from_utf8_lossy(&nuspec.body).contains("<id>Acme.Tiny</id>"));
    let registration = get(
        &service,
        &format!("{base}v3/registration/acme.tiny/index.json"),
        &auth,
    )
    .await
    .assert_ok();
    assert_eq!(
        registration["items"][0]["items"][0]["catalogEntry"]["id"],
        "Acme.Tiny"
    );
    let search = get(&service, &format!("{base}v3/search?q=tiny&take=5"), &auth)
        .await
        .assert_ok();
    assert_eq!(search["totalHits"], 1);

    // nuget delete unlists: still restorable, no longer listed.
    assert_eq!(
        send(
            &service,
            "DELETE",
            &format!("{}acme.tiny/1.0.0", path(&publish)),
            Some(&auth),
            &[],
            Bytes::new()
        )
        .await
        .status,
        204
    );
    let registration = get(
        &service,
        &format!("{base}v3/registration/acme.tiny/index.json"),
        &auth,
    )
    .await
    .assert_ok();
    assert_eq!(
        registration["items"][0]["items"][0]["catalogEntry"]["listed"],
        false
    );

    let (content_type, body) = push_form(b"not a zip");
    assert_eq!(
        send(
            &service,
            "PUT",
            &path(&publish),
            Some(&auth),
            &[("content-type", &content_type)],
            body
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn the_package_api_reports_what_each_format_published_and_unserved_formats_say_so() {
    let service = service_at(t0());
    let token = token(&service).await;
    let (content_type, body) = push_form(&nupkg("Acme.Tiny", "1.0"));
    send(
        &service,
        "PUT",
        &format!("{}v2/package", endpoint("nuget")),
        Some(&basic(&token)),
        &[("content-type", &content_type)],
        body,
    )
    .await;
    put(
        &service,
        &format!("{}api/v1/crates/new", endpoint("cargo")),
        &token,
        cargo_publish_body("tiny", "1.0.0", b"c"),
    )
    .await;
    let listed = op(
        &service,
        &admin(),
        "ListPackages",
        "domain=acme&repository=releases",
        None,
    )
    .await
    .assert_ok();
    let formats: Vec<&str> = listed["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["format"].as_str().unwrap())
        .collect();
    assert!(
        formats.contains(&"nuget") && formats.contains(&"cargo"),
        "{formats:?}"
    );
    let assets = op(
        &service,
        &admin(),
        "ListPackageVersionAssets",
        "domain=acme&repository=releases&format=nuget&package=acme.tiny&version=1.0.0",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(assets["assets"][0]["name"], "acme.tiny.1.0.0.nupkg");

    let swift = get(&service, &format!("{}acme/tiny", endpoint("swift")), &token).await;
    assert_eq!(swift.status, 404, "a package the repository does not have");
    let generic = get(
        &service,
        &format!("{}anything", endpoint("generic")),
        &token,
    )
    .await;
    assert_eq!(generic.status, 404);
    let endpoint = op(
        &service,
        &admin(),
        "GetRepositoryEndpoint",
        "domain=acme&repository=releases&format=swift",
        None,
    )
    .await
    .assert_ok();
    assert!(endpoint["repositoryEndpoint"]
        .as_str()
        .unwrap()
        .ends_with("/swift/releases/"));
}

#[tokio::test]
async fn a_fixture_seeds_a_crate_a_nupkg_a_jar_a_gem_and_a_generic_file() {
    let dir = std::env::temp_dir().join(format!("codeartifact-mock-seeds-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tiny-1.0.0.crate"), b"a crate").unwrap();
    std::fs::write(dir.join("acme.tiny.1.0.0.nupkg"), nupkg("Acme.Tiny", "1.0")).unwrap();
    std::fs::write(dir.join("tiny-1.0.0.jar"), b"PK jar").unwrap();
    std::fs::write(dir.join("tool.tar.gz"), b"tool").unwrap();
    let gem = codeartifact_mock::gems::build_gem(&ruby::spec_yaml("hello", "1.0.0", "ruby"));
    std::fs::write(dir.join("hello-1.0.0.gem"), &gem).unwrap();
    std::fs::write(
        dir.join("LinkedList-1.0.0.zip"),
        swift::source_archive(true),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(fixture_path()).unwrap();
    for (format, namespace, name, file) in [
        ("cargo", "", "tiny", "tiny-1.0.0.crate"),
        ("nuget", "", "Acme.Tiny", "acme.tiny.1.0.0.nupkg"),
        (
            "maven",
            "namespace = \"com.acme\"\n",
            "tiny",
            "tiny-1.0.0.jar",
        ),
        ("generic", "namespace = \"tools\"\n", "tool", "tool.tar.gz"),
        ("ruby", "", "hello", "hello-1.0.0.gem"),
        (
            "swift",
            "namespace = \"mona\"\n",
            "LinkedList",
            "LinkedList-1.0.0.zip",
        ),
    ] {
        text.push_str(&format!(
            "\n[[packages]]\ndomain = \"acme\"\nrepository = \"releases\"\nformat = \"{format}\"\n{namespace}name = \"{name}\"\nversion = \"1.0.0\"\nfile = \"{file}\"\n"
        ));
    }
    let fixture = codeartifact_mock::fixture::Fixture::parse_with_files(
        &text,
        "seeds.toml",
        &codeartifact_mock::fixture::FileSource::Dir(dir.clone()),
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(t0()));
    let service = codeartifact_mock::MockService::with_clock(
        &fixture,
        codeartifact_mock::ServiceConfig::default(),
        clock,
    );
    let token = token(&service).await;
    let auth = basic(&token);

    let index = get(
        &service,
        &format!("{}ti/ny/tiny", endpoint("cargo")),
        &token,
    )
    .await;
    let line: Value = serde_json::from_slice(&index.body).unwrap();
    assert_eq!(
        (line["vers"].as_str(), line["cksum"].as_str()),
        (
            Some("1.0.0"),
            Some(hex::encode(sha2::Sha256::digest(b"a crate")).as_str())
        )
    );
    let versions = get(
        &service,
        &format!("{}v3/package/acme.tiny/index.json", endpoint("nuget")),
        &auth,
    )
    .await
    .assert_ok();
    assert_eq!(versions["versions"], json!(["1.0.0"]));
    let jar = get(
        &service,
        &format!("{}com/acme/tiny/1.0.0/tiny-1.0.0.jar", endpoint("maven")),
        &auth,
    )
    .await;
    assert_eq!(&jar.body[..], b"PK jar");
    let asset = op(&service, &admin(), "GetPackageVersionAsset", "domain=acme&repository=releases&format=generic&namespace=tools&package=tool&version=1.0.0&asset=tool.tar.gz", None).await;
    assert_eq!(&asset.body[..], b"tool");
    let described = op(
        &service,
        &admin(),
        "DescribePackageVersion",
        "domain=acme&repository=releases&format=nuget&package=acme.tiny&version=1.0.0",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        described["packageVersion"]["summary"], "Tiny",
        "from the nuspec"
    );
    let info = get(&service, &format!("{}info/hello", endpoint("ruby")), &auth).await;
    let sha256 = hex::encode(sha2::Sha256::digest(&gem));
    assert_eq!(
        info.body_text(),
        format!("---\n1.0.0 rack:~> 2.0&>= 2.0.1|checksum:{sha256},ruby:>= 2.7.0\n")
    );
    let download = get(
        &service,
        &format!("{}gems/hello-1.0.0.gem", endpoint("ruby")),
        &auth,
    )
    .await;
    assert_eq!(&download.body[..], &gem[..]);
}
