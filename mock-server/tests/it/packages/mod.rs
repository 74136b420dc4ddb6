//! The package registries (pip and twine, npm) and the package operations of the API, through
//! the service without a socket: shared helpers here, the cases by concern below.

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

/// The package API over what the registries stored, and its answers held to the model.
mod api;
/// The npm registry: publish, packuments and tarballs, through an upstream.
mod npm;
/// Whatever a client with a good token sends, the registry answers and the store stays consistent.
mod properties;
/// The Python registry: twine uploads, the simple index in both forms, downloads, refusals.
mod pypi;
/// Serving on a bad day and across the world: faults, expiry, regions, the embedded default's packages, retention through upstreams.
mod serving;
