//! The package API over what the registries stored, and its answers held to the model.

use super::*;

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
    // Published here first: CodeArtifact's origin controls for such a package keep upstream
    // versions out.
    assert_eq!(
        list["packages"],
        json!([
            { "format": "npm", "namespace": "acme", "package": "hello", "originConfiguration": { "restrictions": { "publish": "ALLOW", "upstream": "BLOCK" } } },
            { "format": "pypi", "package": "hello", "originConfiguration": { "restrictions": { "publish": "ALLOW", "upstream": "BLOCK" } } },
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
