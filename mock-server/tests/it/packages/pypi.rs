//! The Python registry: twine uploads, the simple index in both forms, downloads, refusals.

use super::*;

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
