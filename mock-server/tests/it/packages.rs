use std::time::Duration;

use bytes::Bytes;
use http::Request;
use serde_json::{json, Value};
use sha2::Digest;

use crate::util::*;

/// The session identity allowed everything: mints tokens, publishes, calls the package API.
fn everything() -> Signing {
    Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1")
}

/// A token for domain `acme`, minted by `service` for `signing`'s identity.
async fn token_of(service: &codeartifact_mock::MockService, signing: &Signing) -> String {
    let answer = call(service, signed("domain=acme", signing)).await;
    answer.assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

const PYPI: &str = "/d/acme-111122223333/us-east-1/pypi/releases/";
const NPM: &str = "/d/acme-111122223333/us-east-1/npm/releases/";
/// `team` reads through `releases`.
const TEAM_PYPI: &str = "/d/acme-111122223333/us-east-1/pypi/team/";
const TEAM_NPM: &str = "/d/acme-111122223333/us-east-1/npm/team/";

/// A request to a repository endpoint with the token as npm sends it.
async fn registry(
    service: &codeartifact_mock::MockService,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Answer {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8080")
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    call(service, builder.body(body).unwrap()).await
}

/// A service whose `releases` holds `hello` 1.0's sdist, and a token that may do anything.
async fn with_an_sdist() -> (codeartifact_mock::MockService, String) {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let form = upload_form("hello", "1.0", "hello-1.0.tar.gz", b"sdist", None);
    assert_eq!(upload(&service, PYPI, &token, form).await.status, 200);
    (service, token)
}

/// A service whose `releases` holds npm's `left-pad` 1.3.0, and a token that may do anything.
async fn with_left_pad() -> (codeartifact_mock::MockService, String) {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let document = publish_document("left-pad", "1.3.0", b"tgz");
    assert_eq!(
        put(&service, &format!("{NPM}left-pad"), &token, document)
            .await
            .status,
        200
    );
    (service, token)
}

/// A GET of a repository endpoint path with the token.
async fn get(service: &codeartifact_mock::MockService, path: &str, token: &str) -> Answer {
    registry(service, "GET", path, token, &[], Bytes::new()).await
}

/// A GET with an `Accept` header (the Simple API's forms).
async fn get_accepting(
    service: &codeartifact_mock::MockService,
    path: &str,
    token: &str,
    accept: &str,
) -> Answer {
    registry(
        service,
        "GET",
        path,
        token,
        &[("accept", accept)],
        Bytes::new(),
    )
    .await
}

/// A PUT of a body (an npm publish) to a repository endpoint path with the token.
async fn put(
    service: &codeartifact_mock::MockService,
    path: &str,
    token: &str,
    body: Bytes,
) -> Answer {
    registry(service, "PUT", path, token, &[], body).await
}

/// twine's upload form for a file.
fn upload_form(
    name: &str,
    version: &str,
    filename: &str,
    content: &[u8],
    sha256: Option<&str>,
) -> (String, Bytes) {
    let boundary = "----twine-boundary-7MA4YWxkTrZu0gW";
    let digest = sha256.map_or_else(|| hex::encode(sha2::Sha256::digest(content)), str::to_owned);
    let mut body = Vec::new();
    for (field, value) in [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("name", name),
        ("version", version),
        ("filetype", "bdist_wheel"),
        ("summary", "A tiny test package"),
        ("requires_python", ">=3.8"),
        ("requires_dist", "requests (>=2.0)"),
        ("description", "# Hello\n"),
        ("sha256_digest", &digest),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

async fn upload(
    service: &codeartifact_mock::MockService,
    endpoint: &str,
    token: &str,
    form: (String, Bytes),
) -> Answer {
    registry(
        service,
        "POST",
        endpoint,
        token,
        &[("content-type", &form.0)],
        form.1,
    )
    .await
}

/// `npm publish`'s document for a version with a tarball.
fn publish_document(name: &str, version: &str, tarball: &[u8]) -> Bytes {
    let integrity = format!(
        "sha512-{}",
        base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(tarball))
    );
    let bare = name.rsplit('/').next().unwrap();
    Bytes::from(
        json!({
            "_id": name,
            "name": name,
            "description": "A tiny test package",
            "dist-tags": { "latest": version },
            "versions": { version: {
                "name": name,
                "version": version,
                "description": "A tiny test package",
                "license": "MIT",
                "dependencies": { "left-pad": "^1.3.0" },
                "dist": { "integrity": integrity, "tarball": format!("http://example.invalid/{name}/-/{bare}-{version}.tgz") },
            }},
            "_attachments": { format!("{name}-{version}.tgz"): {
                "content_type": "application/octet-stream",
                "data": base64_simd::STANDARD.encode_to_string(tarball),
                "length": tarball.len(),
            }},
        })
        .to_string(),
    )
}

/// An API call of the package operations, signed by the all-powerful identity.
async fn api(
    service: &codeartifact_mock::MockService,
    method: &str,
    path_and_query: &str,
    body: &'static [u8],
) -> Answer {
    let mut req = request(method, path_and_query, body);
    sign_request(&mut req, &everything());
    call(service, req).await
}

const WHEEL: &[u8] = b"PK\x03\x04 a wheel's bytes";

#[tokio::test]
async fn a_twine_upload_is_listed_in_both_simple_forms_and_downloads_through_its_link() {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let answer = upload(
        &service,
        PYPI,
        &token,
        upload_form(
            "Hello_World",
            "1.0",
            "hello_world-1.0-py3-none-any.whl",
            WHEEL,
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);

    // HTML (no Accept), with the hash and Requires-Python in the link.
    let page = get(&service, &format!("{PYPI}simple/hello-world/"), &token).await;
    assert_eq!(
        (page.status, page.header("content-type")),
        (200, Some("text/html"))
    );
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    let sha256 = hex::encode(sha2::Sha256::digest(WHEEL));
    let link = format!(
        "<a href=\"http://127.0.0.1:8080{PYPI}simple/hello-world/1.0/hello_world-1.0-py3-none-any.whl#sha256={sha256}\" data-requires-python=\"&gt;=3.8\">hello_world-1.0-py3-none-any.whl</a>"
    );
    assert!(html.contains(&link), "{html}");

    // JSON, as pip asks for it.
    let accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
    let page = get_accepting(
        &service,
        &format!("{PYPI}simple/hello-world/"),
        &token,
        accept,
    )
    .await;
    assert_eq!(
        page.header("content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
    let index = page.json();
    assert_eq!(index["meta"]["api-version"], "1.1");
    assert_eq!(index["versions"], json!(["1.0"]));
    let file = &index["files"][0];
    assert_eq!(file["hashes"]["sha256"], sha256.as_str());
    assert_eq!(
        (file["requires-python"].as_str(), file["size"].as_u64()),
        (Some(">=3.8"), Some(WHEEL.len() as u64))
    );

    // The link downloads the file, with the token.
    let url = file["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080");
    let download = get(&service, url, &token).await;
    assert_eq!((download.status, &download.body[..]), (200, WHEEL));
    let bare = call(&service, request("GET", url, b"")).await;
    assert_eq!(bare.status, 401, "files need the token too");

    // A name not normalised is redirected (PEP 503); a form nobody serves is 406.
    let redirect = get(&service, &format!("{PYPI}simple/Hello_World/"), &token).await;
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.header("location"),
        Some(&*format!("http://127.0.0.1:8080{PYPI}simple/hello-world/"))
    );
    let refused = get_accepting(
        &service,
        &format!("{PYPI}simple/hello-world/"),
        &token,
        "application/xml",
    )
    .await;
    assert_eq!(refused.status, 406);

    // The project index lists it; an unknown project is 404.
    let all = get_accepting(
        &service,
        &format!("{PYPI}simple/"),
        &token,
        "application/vnd.pypi.simple.v1+json",
    )
    .await;
    assert_eq!(all.json()["projects"], json!([{ "name": "hello-world" }]));
    let missing = get(&service, &format!("{PYPI}simple/nope/"), &token).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn an_upload_is_refused_twice_or_with_a_wrong_digest_or_without_the_permission() {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let form = || upload_form("hello", "1.0", "hello-1.0.tar.gz", b"sdist", None);
    assert_eq!(upload(&service, PYPI, &token, form()).await.status, 200);
    let again = upload(&service, PYPI, &token, form()).await;
    assert_eq!(again.status, 409, "an asset cannot be overwritten");
    assert!(again.json()["error"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let wrong = upload(
        &service,
        PYPI,
        &token,
        upload_form(
            "hello",
            "1.1",
            "hello-1.1.tar.gz",
            b"sdist",
            Some(&"0".repeat(64)),
        ),
    )
    .await;
    assert_eq!(wrong.status, 400);
    let garbage = registry(
        &service,
        "POST",
        PYPI,
        &token,
        &[("content-type", "text/plain")],
        Bytes::from_static(b"x"),
    )
    .await;
    assert_eq!(garbage.status, 400);

    // The reader may read, not publish; `dev` may mint a token but not read.
    let reader = token_of(
        &service,
        &Signing::key("AKIAREADEREXAMPLE001", "reader/secret/EXAMPLEKEY", t0()),
    )
    .await;
    let page = get(&service, &format!("{PYPI}simple/hello/"), &reader).await;
    assert_eq!(page.status, 200);
    let refused = upload(
        &service,
        PYPI,
        &reader,
        upload_form("hello", "2.0", "hello-2.0.tar.gz", b"x", None),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("codeartifact:PublishPackageVersion"),
        "{:?}",
        refused.body
    );
    let dev = token_of(
        &service,
        &Signing::key("AKIADEVEXAMPLE000001", "dev/secret/EXAMPLEKEY", t0()),
    )
    .await;
    let page = get(&service, &format!("{PYPI}simple/hello/"), &dev).await;
    assert_eq!(page.status, 403);
    assert!(page.json()["error"]
        .as_str()
        .unwrap()
        .contains("codeartifact:ReadFromRepository"));
}

#[tokio::test]
async fn npm_publish_then_packument_and_tarball_through_an_upstream() {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let tarball = b"\x1f\x8b a tarball";
    let name = "@acme/hello";
    let published = registry(
        &service,
        "PUT",
        &format!("{NPM}@acme%2fhello"),
        &token,
        &[("content-type", "application/json")],
        publish_document(name, "1.0.0", tarball),
    )
    .await;
    assert_eq!(published.status, 200, "{:?}", published.body);

    // Read through `team`, whose upstream is `releases`: the tarball URL is team's own.
    for path in [
        format!("{TEAM_NPM}@acme%2fhello"),
        format!("{TEAM_NPM}@acme/hello"),
    ] {
        let packument = get(&service, &path, &token).await;
        assert_eq!(packument.status, 200, "{path}");
        let body = packument.json();
        assert_eq!(body["dist-tags"]["latest"], "1.0.0");
        let tarball_url = body["versions"]["1.0.0"]["dist"]["tarball"]
            .as_str()
            .unwrap();
        assert_eq!(
            tarball_url,
            format!("http://127.0.0.1:8080{TEAM_NPM}@acme/hello/-/hello-1.0.0.tgz")
        );
        let download = get(
            &service,
            tarball_url.trim_start_matches("http://127.0.0.1:8080"),
            &token,
        )
        .await;
        assert_eq!((download.status, &download.body[..]), (200, &tarball[..]));
    }
    // A second publish of the version, a tarball that is not what its integrity says.
    let again = put(
        &service,
        &format!("{NPM}@acme%2fhello"),
        &token,
        publish_document(name, "1.0.0", tarball),
    )
    .await;
    assert_eq!(again.status, 409);
    let mut forged: Value =
        serde_json::from_slice(&publish_document(name, "1.1.0", tarball)).unwrap();
    forged["_attachments"]["@acme/hello-1.1.0.tgz"]["data"] =
        json!(base64_simd::STANDARD.encode_to_string(b"other bytes"));
    forged["_attachments"]["@acme/hello-1.1.0.tgz"]["length"] = json!(11);
    let refused = registry(
        &service,
        "PUT",
        &format!("{NPM}@acme%2fhello"),
        &token,
        &[],
        Bytes::from(forged.to_string()),
    )
    .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    // The downloads retained 1.0.0 in team, as CodeArtifact does: team lists it, entered
    // through releases.
    let retained = api(
        &service,
        "POST",
        "/v1/package/versions?domain=acme&repository=team&format=npm&namespace=acme&package=hello",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(retained["versions"][0]["version"], "1.0.0");
    assert_eq!(
        retained["versions"][0]["origin"]["domainEntryPoint"]["repositoryName"],
        "releases"
    );
    // team blocks upstream versions of the package: what it retained stays; what releases
    // publishes next is not seen through team (CodeArtifact would not take it in).
    api(
        &service,
        "POST",
        "/v1/package?domain=acme&repository=team&format=npm&namespace=acme&package=hello",
        br#"{"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}"#,
    )
    .await
    .assert_ok();
    let newer = put(
        &service,
        &format!("{NPM}@acme%2fhello"),
        &token,
        publish_document(name, "1.2.0", tarball),
    )
    .await;
    assert_eq!(newer.status, 200);
    let through_team = get(&service, &format!("{TEAM_NPM}@acme%2fhello"), &token)
        .await
        .json();
    assert!(
        through_team["versions"].get("1.0.0").is_some()
            && through_team["versions"].get("1.2.0").is_none(),
        "{through_team}"
    );
    let direct = get(&service, &format!("{NPM}@acme%2fhello"), &token).await;
    assert!(
        direct.json()["versions"].get("1.2.0").is_some(),
        "releases itself serves it"
    );
    // npm ping and dist-tags.
    let ping = get(&service, &format!("{NPM}-/ping?write=true"), &token).await;
    assert_eq!((ping.status, ping.json()), (200, json!({})));
    let tagged = registry(
        &service,
        "PUT",
        &format!("{NPM}-/package/@acme%2fhello/dist-tags/beta"),
        &token,
        &[],
        Bytes::from_static(b"\"1.0.0\""),
    )
    .await;
    assert_eq!(tagged.status, 200);
    let tags = get(
        &service,
        &format!("{NPM}-/package/@acme%2fhello/dist-tags"),
        &token,
    )
    .await;
    assert_eq!(tags.json(), json!({ "beta": "1.0.0", "latest": "1.2.0" }));
}

#[tokio::test]
async fn the_package_api_reports_what_was_published_and_its_changes_show_in_the_registry() {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    for version in ["1.0", "2.0"] {
        let form = upload_form(
            "hello",
            version,
            &format!("hello-{version}-py3-none-any.whl"),
            WHEEL,
            None,
        );
        assert_eq!(upload(&service, PYPI, &token, form).await.status, 200);
    }
    let tarball = b"\x1f\x8b npm";
    put(
        &service,
        &format!("{NPM}@acme%2fhello"),
        &token,
        publish_document("@acme/hello", "1.0.0", tarball),
    )
    .await;

    let q = "domain=acme&repository=releases";
    let list = api(&service, "POST", &format!("/v1/packages?{q}"), b"")
        .await
        .assert_ok();
    assert_eq!(
        list["packages"],
        json!([
            { "format": "npm", "namespace": "acme", "package": "hello", "originConfiguration": { "restrictions": { "publish": "ALLOW", "upstream": "ALLOW" } } },
            { "format": "pypi", "package": "hello", "originConfiguration": { "restrictions": { "publish": "ALLOW", "upstream": "ALLOW" } } },
        ])
    );
    let pypi = format!("{q}&format=pypi&package=hello");
    let versions = api(
        &service,
        "POST",
        &format!("/v1/package/versions?{pypi}"),
        b"",
    )
    .await
    .assert_ok();
    let listed: Vec<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    let assets = api(
        &service,
        "POST",
        &format!("/v1/package/version/assets?{pypi}&version=1.0"),
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(assets["assets"][0]["name"], "hello-1.0-py3-none-any.whl");
    assert_eq!(
        assets["assets"][0]["hashes"]["SHA-256"],
        hex::encode(sha2::Sha256::digest(WHEEL))
    );
    let described = api(
        &service,
        "GET",
        &format!("/v1/package/version?{pypi}&version=1.0"),
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(
        described["packageVersion"]["summary"],
        "A tiny test package"
    );
    let readme = api(
        &service,
        "GET",
        &format!("/v1/package/version/readme?{pypi}&version=1.0"),
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(readme["readme"], "# Hello\n");
    let deps = api(
        &service,
        "POST",
        &format!("/v1/package/version/dependencies?{pypi}&version=1.0"),
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(deps["dependencies"][0]["package"], "requests");
    let npm = format!("{q}&format=npm&namespace=acme&package=hello");
    let asset = api(
        &service,
        "GET",
        &format!("/v1/package/version/asset?{npm}&version=1.0.0&asset=package.tgz"),
        b"",
    )
    .await;
    assert_eq!((asset.status, &asset.body[..]), (200, &tarball[..]));
    assert_eq!(asset.header("x-assetname"), Some("package.tgz"));
    assert_eq!(
        asset.header("content-type"),
        Some("application/octet-stream")
    );

    // Unlisted: not on the page, still downloadable. Archived: neither.
    let file = format!("{PYPI}simple/hello/1.0/hello-1.0-py3-none-any.whl");
    let changed = api(
        &service,
        "POST",
        &format!("/v1/package/versions/update_status?{pypi}"),
        br#"{"versions": ["1.0", "9.9"], "targetStatus": "Unlisted"}"#,
    )
    .await
    .assert_ok();
    assert_eq!(changed["successfulVersions"]["1.0"]["status"], "Unlisted");
    assert_eq!(changed["failedVersions"]["9.9"]["errorCode"], "NOT_FOUND");
    let page = get(&service, &format!("{PYPI}simple/hello/"), &token).await;
    assert!(!String::from_utf8_lossy(&page.body).contains("hello-1.0-py3"));
    assert_eq!(get(&service, &file, &token).await.status, 200);
    api(
        &service,
        "POST",
        &format!("/v1/package/versions/update_status?{pypi}"),
        br#"{"versions": ["1.0"], "targetStatus": "Archived"}"#,
    )
    .await
    .assert_ok();
    assert_eq!(get(&service, &file, &token).await.status, 404);

    // Disposed: the API still lists it, its files are gone.
    let disposed = api(
        &service,
        "POST",
        &format!("/v1/package/versions/dispose?{pypi}"),
        br#"{"versions": ["1.0"]}"#,
    )
    .await
    .assert_ok();
    assert_eq!(disposed["successfulVersions"]["1.0"]["status"], "Disposed");
    let assets = api(
        &service,
        "POST",
        &format!("/v1/package/version/assets?{pypi}&version=1.0"),
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(assets["assets"], json!([]));
    // Deleted: gone from the registry and the API.
    api(
        &service,
        "POST",
        &format!("/v1/package/versions/delete?{pypi}"),
        br#"{"versions": ["2.0"]}"#,
    )
    .await
    .assert_ok();
    let file = format!("{PYPI}simple/hello/2.0/hello-2.0-py3-none-any.whl");
    assert_eq!(get(&service, &file, &token).await.status, 404);
    api(
        &service,
        "GET",
        &format!("/v1/package/version?{pypi}&version=2.0"),
        b"",
    )
    .await
    .assert_error(404, "ResourceNotFoundException");

    // Publishing blocked by the package's origin configuration: the next publish is refused.
    api(
        &service,
        "POST",
        &format!("/v1/package?{npm}"),
        br#"{"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}}"#,
    )
    .await
    .assert_ok();
    let blocked = put(
        &service,
        &format!("{NPM}@acme%2fhello"),
        &token,
        publish_document("@acme/hello", "2.0.0", tarball),
    )
    .await;
    assert_eq!(blocked.status, 403);
    // DeletePackage: the package and its versions are gone.
    let deleted = api(&service, "DELETE", &format!("/v1/package?{npm}"), b"")
        .await
        .assert_ok();
    assert_eq!(deleted["deletedPackage"]["package"], "hello");
    api(&service, "GET", &format!("/v1/package?{npm}"), b"")
        .await
        .assert_error(404, "ResourceNotFoundException");
    let packument = get(&service, &format!("{NPM}@acme%2fhello"), &token).await;
    assert_eq!(packument.status, 404);
}

#[tokio::test]
async fn every_package_answer_is_an_output_of_the_model() {
    let (service, _) = with_an_sdist().await;
    let q = "domain=acme&repository=releases&format=pypi&package=hello";
    let model = codeartifact_mock::model::model();
    for (operation, method, path, body) in [
        (
            "ListPackages",
            "POST",
            "/v1/packages?domain=acme&repository=releases".to_owned(),
            &b""[..],
        ),
        ("DescribePackage", "GET", format!("/v1/package?{q}"), b""),
        (
            "ListPackageVersions",
            "POST",
            format!("/v1/package/versions?{q}"),
            b"",
        ),
        (
            "DescribePackageVersion",
            "GET",
            format!("/v1/package/version?{q}&version=1.0"),
            b"",
        ),
        (
            "ListPackageVersionAssets",
            "POST",
            format!("/v1/package/version/assets?{q}&version=1.0"),
            b"",
        ),
        (
            "GetPackageVersionReadme",
            "GET",
            format!("/v1/package/version/readme?{q}&version=1.0"),
            b"",
        ),
        (
            "ListPackageVersionDependencies",
            "POST",
            format!("/v1/package/version/dependencies?{q}&version=1.0"),
            b"",
        ),
        (
            "UpdatePackageVersionsStatus",
            "POST",
            format!("/v1/package/versions/update_status?{q}"),
            br#"{"versions": ["1.0"], "targetStatus": "Unlisted"}"#,
        ),
        (
            "PutPackageOriginConfiguration",
            "POST",
            format!("/v1/package?{q}"),
            br#"{"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}"#,
        ),
        (
            "DisposePackageVersions",
            "POST",
            format!("/v1/package/versions/dispose?{q}"),
            br#"{"versions": ["1.0"]}"#,
        ),
        (
            "DeletePackageVersions",
            "POST",
            format!("/v1/package/versions/delete?{q}"),
            br#"{"versions": ["1.0"]}"#,
        ),
        ("DeletePackage", "DELETE", format!("/v1/package?{q}"), b""),
    ] {
        let body: &'static [u8] = Box::leak(body.to_vec().into_boxed_slice());
        let answer = api(&service, method, &path, body).await;
        let json = answer.assert_ok();
        let op = model.operation(operation).unwrap();
        codeartifact_mock::model::output::check(model, op, &json)
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
    }
}

#[tokio::test]
async fn a_fault_can_play_a_registry_that_fails_mid_install() {
    let (service, token) = with_left_pad().await;
    service
        .faults()
        .add(serde_json::from_str(r#"{"format": "npm", "path_prefix": "/left-pad/-/", "status": 503, "retry_after_seconds": 2}"#).unwrap())
        .unwrap();
    // The packument is served; the tarball fails once, then is served.
    let packument = get(&service, &format!("{NPM}left-pad"), &token).await;
    assert_eq!(packument.status, 200);
    let tarball = format!("{NPM}left-pad/-/left-pad-1.3.0.tgz");
    let failed = get(&service, &tarball, &token).await;
    assert_eq!(
        (failed.status, failed.header("retry-after")),
        (503, None),
        "a bare status has no Retry-After"
    );
    let served = get(&service, &tarball, &token).await;
    assert_eq!(served.status, 200);
    // An AWS API rule leaves the registry alone.
    service
        .faults()
        .add(serde_json::from_str(r#"{"status": 500, "times": 0}"#).unwrap())
        .unwrap();
    assert_eq!(get(&service, &tarball, &token).await.status, 200);
}

#[tokio::test]
async fn the_clock_past_the_token_expiry_closes_the_registry() {
    let (service, token) = with_left_pad().await;
    assert_eq!(
        get(&service, &format!("{NPM}left-pad"), &token)
            .await
            .status,
        200
    );
    service.clock().set(codeartifact_mock::ClockMode::Frozen(
        t0() + Duration::from_secs(43_201),
    ));
    let refused = get(&service, &format!("{NPM}left-pad"), &token).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("www-authenticate"),
        Some(r#"Bearer realm="acme/releases", Basic realm="acme/releases""#)
    );
}

#[tokio::test]
async fn each_region_of_a_fixture_repository_has_its_own_packages() {
    let (service, token) = with_an_sdist().await;
    let mut eu = request("POST", "/v1/packages?domain=acme&repository=releases", b"");
    sign_request(&mut eu, &everything().region("eu-west-1"));
    assert_eq!(call(&service, eu).await.assert_ok()["packages"], json!([]));
    // And the team repository's own list is empty: it reads through, it does not hold.
    let team = api(
        &service,
        "POST",
        "/v1/packages?domain=acme&repository=team",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(team["packages"], json!([]));
    let page = get(&service, &format!("{TEAM_PYPI}simple/hello/"), &token).await;
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn the_embedded_default_serves_one_tiny_package_per_format_on_a_fresh_start() {
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(t0()));
    let service = codeartifact_mock::MockService::with_clock(
        &codeartifact_mock::Fixture::embedded_default(),
        codeartifact_mock::ServiceConfig::default(),
        clock,
    );
    let example = Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        t0(),
    );
    let answer = call(&service, signed("domain=test-domain", &example)).await;
    let token = answer.assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let wheel = include_bytes!("../../../fixtures/packages/mock_hello-1.0.0-py3-none-any.whl");
    let tarball = include_bytes!("../../../fixtures/packages/mock-hello-1.0.0.tgz");
    // Through test-repo, whose upstream is my-repo, in a region other than the first.
    for region in ["us-east-1", "eu-west-2"] {
        let base = format!("/d/test-domain-111122223333/{region}");
        let token = if region == "us-east-1" {
            token.clone()
        } else {
            let mut req = request("POST", "/v1/authorization-token?domain=test-domain", b"");
            sign_request(&mut req, &example.clone().region(region));
            call(&service, req).await.assert_ok()["authorizationToken"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let page = get(
            &service,
            &format!("{base}/pypi/test-repo/simple/mock-hello/"),
            &token,
        )
        .await;
        assert_eq!(page.status, 200, "{region}");
        assert!(String::from_utf8_lossy(&page.body).contains("data-requires-python=\"&gt;=3.8\""));
        let file = get(
            &service,
            &format!(
                "{base}/pypi/test-repo/simple/mock-hello/1.0.0/mock_hello-1.0.0-py3-none-any.whl"
            ),
            &token,
        )
        .await;
        assert_eq!(&file.body[..], &wheel[..]);
        let packument = get(
            &service,
            &format!("{base}/npm/test-repo/mock-hello"),
            &token,
        )
        .await
        .json();
        let integrity = format!(
            "sha512-{}",
            base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(tarball))
        );
        assert_eq!(
            packument["versions"]["1.0.0"]["dist"]["integrity"],
            integrity.as_str()
        );
        let tgz = get(
            &service,
            &format!("{base}/npm/test-repo/mock-hello/-/mock-hello-1.0.0.tgz"),
            &token,
        )
        .await;
        assert_eq!(&tgz.body[..], &tarball[..]);
    }
}

/// Whatever a client holding a good token sends to a registry, the answer is one of the
/// registries' statuses (never a 5xx but the 501 of a format not served), and the
/// repository stays readable and consistent.
#[test]
fn any_request_with_a_good_token_gets_a_registry_answer_and_leaves_the_store_consistent() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let service = service_at(t0());
    let token = runtime.block_on(token_of(&service, &everything()));
    // Some packages with odd but valid names and versions, for the random requests to meet.
    runtime.block_on(async {
        for (name, version) in [("@acme/x.y", "1.0.0-rc.1+build"), ("a_b", "0.0.1")] {
            let path = format!("{NPM}{}", name.replace('/', "%2f"));
            let answer = put(
                &service,
                &path,
                &token,
                publish_document(name, version, b"t"),
            )
            .await;
            assert_eq!(answer.status, 200, "{name}");
        }
        for (name, version) in [("Weird.Name_X", "1!2.0+local"), ("z", "0")] {
            let file = format!("{}-{version}.tar.gz", name.to_lowercase());
            let form = upload_form(name, version, &file, b"sdist", None);
            assert_eq!(
                upload(&service, PYPI, &token, form).await.status,
                200,
                "{name}"
            );
        }
    });
    let segment = prop_oneof![
        Just("simple".to_owned()),
        Just("-".to_owned()),
        Just("@acme".to_owned()),
        Just("%2f".to_owned()),
        Just("..".to_owned()),
        Just(String::new()),
        "[a-zA-Z0-9._~%@!*'()-]{1,12}",
        "\\PC{1,6}",
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Bytes::from),
        // A publish document with arbitrary name, version and tarball.
        (
            "[a-z@/%-]{0,12}",
            "[0-9.a-z-]{0,8}",
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(name, version, tarball)| publish_document(&name, &version, &tarball)),
        // twine's form with arbitrary fields.
        (
            "[A-Za-z_.-]{0,10}",
            "[0-9.]{0,6}",
            "[ -~]{0,20}",
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(name, version, file, content)| upload_form(
                &name, &version, &file, &content, None
            )
            .1),
    ];
    let strategy = (
        prop_oneof![
            Just("GET"),
            Just("PUT"),
            Just("POST"),
            Just("DELETE"),
            Just("HEAD")
        ],
        prop_oneof![
            Just("pypi"),
            Just("npm"),
            Just("maven"),
            Just("cargo"),
            Just("nuget"),
            Just("ruby")
        ],
        prop::collection::vec(segment, 0..5),
        body,
        prop_oneof![
            Just("application/json".to_owned()),
            Just("multipart/form-data; boundary=----twine-boundary-7MA4YWxkTrZu0gW".to_owned()),
            "[ -~]{0,30}",
        ],
        prop_oneof![
            Just("*/*"),
            Just("application/vnd.pypi.simple.v1+json"),
            Just("text/plain")
        ],
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(400));
    runner
        .run(
            &strategy,
            |(method, format, segments, body, content_type, accept)| {
                let path = format!(
                    "/d/acme-111122223333/us-east-1/{format}/releases/{}",
                    segments.join("/")
                );
                let Ok(uri) = path.parse::<http::Uri>() else {
                    return Ok(());
                };
                let request = Request::builder()
                    .method(method)
                    .uri(uri)
                    .header("host", "127.0.0.1:8080")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", content_type.as_str())
                    .header("accept", accept)
                    .body(body)
                    .unwrap();
                let answer = runtime.block_on(call(&service, request));
                prop_assert!(
                    [200, 201, 204, 301, 400, 403, 404, 405, 406, 409].contains(&answer.status)
                        || (answer.status == 501 && format == "ruby"),
                    "{method} {path}: {}",
                    answer.status
                );
                Ok(())
            },
        )
        .unwrap();
    // Whatever was stored reads back through the API and the registries.
    let list = runtime
        .block_on(api(
            &service,
            "POST",
            "/v1/packages?domain=acme&repository=releases",
            b"",
        ))
        .assert_ok();
    assert!(list["packages"].as_array().unwrap().len() >= 4, "{list}");
    let page = runtime.block_on(get(
        &service,
        &format!("{PYPI}simple/weird-name-x/"),
        &token,
    ));
    assert_eq!(
        page.status, 200,
        "nothing a client sends deletes a Python package"
    );
    let link = String::from_utf8_lossy(&page.body)
        .split("href=\"http://127.0.0.1:8080")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let file = runtime.block_on(get(&service, &link, &token));
    assert_eq!(
        (file.status, &file.body[..]),
        (200, &b"sdist"[..]),
        "{link}"
    );
    for package in list["packages"].as_array().unwrap() {
        let (format, name) = (
            package["format"].as_str().unwrap(),
            package["package"].as_str().unwrap(),
        );
        let namespace = package["namespace"]
            .as_str()
            .map(|n| format!("&namespace={n}"))
            .unwrap_or_default();
        let path = format!("/v1/package/versions?domain=acme&repository=releases&format={format}{namespace}&package={}", percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC));
        let mut req = request("POST", &path, b"");
        sign_request(&mut req, &everything());
        let answer = runtime.block_on(call(&service, req));
        assert_eq!(answer.status, 200, "{package}: {:?}", answer.body);
    }
}

#[tokio::test]
async fn repository_faults_reset_the_connection_or_cut_the_body_short() {
    let (service, token) = with_left_pad().await;
    let tarball = format!("{NPM}left-pad/-/left-pad-1.3.0.tgz");
    let request = || {
        Request::builder()
            .uri(tarball.as_str())
            .header("host", "127.0.0.1:8080")
            .header("authorization", format!("Bearer {token}"))
            .body(Bytes::new())
            .unwrap()
    };
    service
        .faults()
        .add(
            serde_json::from_str(r#"{"repository": "releases", "action": "reset_connection"}"#)
                .unwrap(),
        )
        .unwrap();
    assert!(
        service.handle(request()).await.into_response().is_none(),
        "closed without an answer"
    );
    service
        .faults()
        .add(serde_json::from_str(r#"{"format": "npm", "action": "truncate_body"}"#).unwrap())
        .unwrap();
    let response = service.handle(request()).await.into_response().unwrap();
    let body = response.into_body();
    assert!(
        matches!(
            body,
            codeartifact_mock::body::MockBody::Truncated { declared: 3, .. }
        ),
        "{body:?}"
    );
    // Each rule fired once: the next read is whole.
    assert_eq!(get(&service, &tarball, &token).await.body, &b"tgz"[..]);
}

#[tokio::test]
async fn a_file_fetched_through_an_upstream_is_retained_and_outlives_the_upstreams_copy() {
    let (service, token) = with_an_sdist().await;
    let file = format!("{TEAM_PYPI}simple/hello/1.0/hello-1.0.tar.gz");
    assert_eq!(get(&service, &file, &token).await.status, 200);
    let listed = api(
        &service,
        "POST",
        "/v1/packages?domain=acme&repository=team",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(listed["packages"][0]["package"], "hello", "{listed}");
    api(
        &service,
        "DELETE",
        "/v1/package?domain=acme&repository=releases&format=pypi&package=hello",
        b"",
    )
    .await
    .assert_ok();
    let again = get(&service, &file, &token).await;
    assert_eq!((again.status, &again.body[..]), (200, &b"sdist"[..]));
    let described = api(
        &service,
        "GET",
        "/v1/package/version?domain=acme&repository=team&format=pypi&package=hello&version=1.0",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(
        described["packageVersion"]["origin"]["domainEntryPoint"]["repositoryName"],
        "releases"
    );
}
