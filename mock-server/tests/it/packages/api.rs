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

/// ListPackageVersionDependencies types npm's dependencies as the service model documents
/// them (`regular`, `dev`, `peer`, `optional`) and Python's as `Requires-Dist`.
#[tokio::test]
async fn dependency_types_are_the_service_models() {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let form = upload_form("hello", "1.0", "hello-1.0-py3-none-any.whl", WHEEL, None);
    assert_eq!(upload(&service, PYPI, &token, form).await.status, 200);
    let mut document: Value =
        serde_json::from_slice(&publish_document("tiny", "1.0.0", b"tgz")).unwrap();
    let manifest = &mut document["versions"]["1.0.0"];
    manifest["devDependencies"] = json!({ "@types/node": "^20" });
    manifest["peerDependencies"] = json!({ "react": ">=18" });
    manifest["optionalDependencies"] = json!({ "fsevents": "^2" });
    let document = Bytes::from(document.to_string());
    assert_eq!(
        put(&service, &format!("{NPM}tiny"), &token, document)
            .await
            .status,
        200
    );

    let dependencies = |format: &'static str, package: &'static str, version: &'static str| {
        let service = &service;
        async move {
            let path = format!("/v1/package/version/dependencies?domain=acme&repository=releases&format={format}&package={package}&version={version}");
            api(service, "POST", &path, b"").await.assert_ok()["dependencies"].clone()
        }
    };
    assert_eq!(
        dependencies("npm", "tiny", "1.0.0").await,
        json!([
            { "package": "left-pad", "dependencyType": "regular", "versionRequirement": "^1.3.0" },
            { "namespace": "types", "package": "node", "dependencyType": "dev", "versionRequirement": "^20" },
            { "package": "react", "dependencyType": "peer", "versionRequirement": ">=18" },
            { "package": "fsevents", "dependencyType": "optional", "versionRequirement": "^2" },
        ])
    );
    assert_eq!(
        dependencies("pypi", "hello", "1.0").await,
        json!([{ "package": "requests", "dependencyType": "Requires-Dist", "versionRequirement": "(>=2.0)" }])
    );
}

/// A data folder written before the model's spelling answers in it too; NuGet's framework
/// is never a dependency type.
#[test]
fn stored_manifest_spellings_are_answered_in_the_models() {
    use codeartifact_mock::packages::Dependency;
    let stored = |kind: &str| Dependency::new(None, "x".into(), kind, String::new());
    assert_eq!(stored("devDependencies").api_type("npm"), Some("dev"));
    assert_eq!(
        stored("requires_dist").api_type("pypi"),
        Some("Requires-Dist")
    );
    assert_eq!(stored("net8.0").api_type("nuget"), None);
    assert_eq!(stored("compile").api_type("maven"), Some("compile"));
    let nuget = Dependency::nuget(
        "net8.0".into(),
        "Newtonsoft.Json".into(),
        "[13.0.1, )".into(),
    );
    assert_eq!(
        (nuget.api_type("nuget"), nuget.framework()),
        (None, "net8.0")
    );
}
