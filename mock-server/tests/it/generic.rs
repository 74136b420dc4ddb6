//! Generic packages through PublishPackageVersion (assets, `unfinished`, conflicts), then the
//! package API that reads them, and CopyPackageVersions between repositories.

use bytes::Bytes;
use serde_json::{json, Value};
use sha2::Digest;

use crate::util::*;

/// Publishes `asset` of my-ns/tool `version` to `releases`.
async fn publish(
    service: &codeartifact_mock::MockService,
    version: &str,
    asset: &str,
    content: &[u8],
    unfinished: bool,
) -> Answer {
    let sha = hex::encode(sha2::Sha256::digest(content));
    let query = format!(
        "domain=acme&repository=releases&format=generic&namespace=my-ns&package=tool&version={version}&asset={asset}{}",
        if unfinished { "&unfinished=true" } else { "" }
    );
    op_with(
        service,
        &admin(),
        "PublishPackageVersion",
        &query,
        &[("x-amz-content-sha256", &sha)],
        Bytes::copy_from_slice(content),
    )
    .await
}

#[tokio::test]
async fn a_generic_version_takes_assets_while_unfinished_and_is_published_by_the_last() {
    let service = service_at(t0());
    let first = publish(&service, "1.0.0", "tool.tar.gz", b"archive", true)
        .await
        .assert_ok();
    assert_eq!(
        (first["status"].as_str(), first["namespace"].as_str()),
        (Some("Unfinished"), Some("my-ns"))
    );
    assert_eq!(
        first["asset"]["hashes"]["SHA-256"],
        hex::encode(sha2::Sha256::digest(b"archive"))
    );
    let last = publish(&service, "1.0.0", "tool.sig", b"signature", false)
        .await
        .assert_ok();
    assert_eq!(last["status"], "Published");
    assert_ne!(first["versionRevision"], last["versionRevision"]);

    publish(&service, "1.0.0", "more.txt", b"x", false)
        .await
        .assert_error(409, "ConflictException");
    let assets = acme_op(
        &service,
        "ListPackageVersionAssets",
        "repository=releases&format=generic&namespace=my-ns&package=tool&version=1.0.0",
        None,
    )
    .await
    .assert_ok();
    let names: Vec<&str> = assets["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tool.sig", "tool.tar.gz"]);
    let blob = acme_op(
        &service,
        "GetPackageVersionAsset",
        "repository=releases&format=generic&namespace=my-ns&package=tool&version=1.0.0&asset=tool.tar.gz",
        None,
    )
    .await;
    assert_eq!((blob.status, &blob.body[..]), (200, &b"archive"[..]));

    // A second asset of the same name in an unfinished version is a conflict too.
    publish(&service, "2.0.0", "a.bin", b"1", true)
        .await
        .assert_ok();
    publish(&service, "2.0.0", "a.bin", b"2", true)
        .await
        .assert_error(409, "ConflictException");
}

#[tokio::test]
async fn only_generic_packages_with_a_namespace_and_the_right_hash_are_published() {
    let service = service_at(t0());
    let sha = hex::encode(sha2::Sha256::digest(b"x"));
    let npm = op_with(
        &service,
        &admin(),
        "PublishPackageVersion",
        "domain=acme&repository=releases&format=npm&package=tool&version=1.0.0&asset=a",
        &[("x-amz-content-sha256", &sha)],
        Bytes::from_static(b"x"),
    )
    .await;
    npm.assert_error(400, "ValidationException");
    assert!(
        npm.message().contains("Only generic packages"),
        "{}",
        npm.message()
    );
    let bare = op_with(
        &service,
        &admin(),
        "PublishPackageVersion",
        "domain=acme&repository=releases&format=generic&package=tool&version=1.0.0&asset=a",
        &[("x-amz-content-sha256", &sha)],
        Bytes::from_static(b"x"),
    )
    .await;
    bare.assert_error(400, "ValidationException");
    let missing = acme_op(
        &service,
        "DescribePackage",
        "repository=releases&format=generic&namespace=my-ns&package=tool",
        None,
    )
    .await;
    missing.assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn copies_report_each_version_and_respect_overwrite_and_upstreams() {
    let service = service_at(t0());
    publish(&service, "1.0.0", "a.bin", b"one", false)
        .await
        .assert_ok();
    publish(&service, "2.0.0", "a.bin", b"two", true)
        .await
        .assert_ok();
    let copy = |body: Value, query: &'static str| {
        let service = &service;
        async move {
            acme_op(
                service,
                "CopyPackageVersions",
                &format!("format=generic&namespace=my-ns&package=tool&{query}"),
                Some(body),
            )
            .await
        }
    };
    let first = copy(
        json!({ "versions": ["1.0.0", "2.0.0", "9.9.9"] }),
        "source-repository=releases&destination-repository=team",
    )
    .await
    .assert_ok();
    assert_eq!(first["successfulVersions"]["1.0.0"]["status"], "Published");
    assert_eq!(first["failedVersions"]["2.0.0"]["errorCode"], "SKIPPED");
    assert_eq!(first["failedVersions"]["9.9.9"]["errorCode"], "NOT_FOUND");
    let again = copy(
        json!({ "versions": ["1.0.0"] }),
        "source-repository=releases&destination-repository=team",
    )
    .await
    .assert_ok();
    assert_eq!(
        again["failedVersions"]["1.0.0"]["errorCode"],
        "ALREADY_EXISTS"
    );
    let overwrite = copy(
        json!({ "versions": ["1.0.0"], "allowOverwrite": true }),
        "source-repository=releases&destination-repository=team",
    )
    .await
    .assert_ok();
    assert!(overwrite["successfulVersions"].get("1.0.0").is_some());
    let stale = copy(
        json!({ "versionRevisions": { "1.0.0": "not-the-revision" } }),
        "source-repository=releases&destination-repository=team",
    )
    .await
    .assert_ok();
    assert_eq!(
        stale["failedVersions"]["1.0.0"]["errorCode"],
        "MISMATCHED_REVISION"
    );
    copy(
        json!({ "versions": ["1.0.0"], "versionRevisions": {} }),
        "source-repository=releases&destination-repository=team",
    )
    .await
    .assert_error(400, "ValidationException");

    let blob = acme_op(
        &service,
        "GetPackageVersionAsset",
        "repository=team&format=generic&namespace=my-ns&package=tool&version=1.0.0&asset=a.bin",
        None,
    )
    .await;
    assert_eq!(&blob.body[..], b"one");

    // Generic packages are never read through upstreams (the user guide's constraint): team
    // reads through releases, yet a copy from team finds no generic version there.
    acme_op(
        &service,
        "DeletePackage",
        "repository=team&format=generic&namespace=my-ns&package=tool",
        None,
    )
    .await
    .assert_ok();
    acme_op(&service, "CreateRepository", "repository=staging", None)
        .await
        .assert_ok();
    copy(
        json!({ "versions": ["1.0.0"], "includeFromUpstream": true }),
        "source-repository=team&destination-repository=staging",
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
    // An npm package is: without includeFromUpstream it is not in team, with it it is.
    assert_eq!(
        publish_npm(
            &service,
            &admin(),
            "/d/acme-111122223333/us-east-1/npm/releases/",
            "left-pad",
            "1.3.0"
        )
        .await,
        200
    );
    let npm_copy = |body: Value| {
        let service = &service;
        async move {
            acme_op(
                service,
                "CopyPackageVersions",
                "format=npm&package=left-pad&source-repository=team&destination-repository=staging",
                Some(body),
            )
            .await
        }
    };
    npm_copy(json!({ "versions": ["1.3.0"] }))
        .await
        .assert_error(404, "ResourceNotFoundException");
    let upstream = npm_copy(json!({ "versions": ["1.3.0"], "includeFromUpstream": true }))
        .await
        .assert_ok();
    assert!(
        upstream["successfulVersions"].get("1.3.0").is_some(),
        "{upstream}"
    );
}

#[tokio::test]
async fn a_version_holds_at_most_150_assets() {
    let service = service_at(t0());
    for i in 0..150 {
        publish(
            &service,
            "1.0.0",
            &format!("part-{i:03}.bin"),
            format!("{i}").as_bytes(),
            true,
        )
        .await
        .assert_ok();
    }
    let over = publish(&service, "1.0.0", "part-150.bin", b"150", true).await;
    over.assert_error(402, "ServiceQuotaExceededException");
    // Pages of the asset list follow the name order to the end.
    let first = acme_op(&service, "ListPackageVersionAssets", "repository=releases&format=generic&namespace=my-ns&package=tool&version=1.0.0&max-results=100", None)
        .await
        .assert_ok();
    let next = first["nextToken"].as_str().unwrap();
    let rest = acme_op(&service, "ListPackageVersionAssets", &format!("repository=releases&format=generic&namespace=my-ns&package=tool&version=1.0.0&next-token={next}"), None)
        .await
        .assert_ok();
    assert_eq!(
        first["assets"].as_array().unwrap().len() + rest["assets"].as_array().unwrap().len(),
        150
    );
    assert_eq!(rest["assets"][49]["name"], "part-149.bin");
}

#[tokio::test]
async fn reads_search_at_most_25_upstream_repositories() {
    let service = service_at(t0());
    // chain-0 reads through chain-1, ..., chain-26 through releases.
    let mut previous = "releases".to_owned();
    for i in (0..27).rev() {
        let name = format!("chain-{i}");
        acme_op(
            &service,
            "CreateRepository",
            &format!("repository={name}"),
            Some(json!({ "upstreams": [{ "repositoryName": previous }] })),
        )
        .await
        .assert_ok();
        previous = name;
    }
    assert_eq!(
        publish_npm(
            &service,
            &admin(),
            "/d/acme-111122223333/us-east-1/npm/releases/",
            "left-pad",
            "1.3.0"
        )
        .await,
        200
    );
    let token = call(&service, signed("domain=acme", &admin()))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let packument = |repository: &'static str| {
        let (service, token) = (&service, &token);
        async move {
            let request = http::Request::builder()
                .uri(format!(
                    "/d/acme-111122223333/us-east-1/npm/{repository}/left-pad"
                ))
                .header("host", "127.0.0.1:8080")
                .header("authorization", format!("Bearer {token}"))
                .body(Bytes::new())
                .unwrap();
            call(service, request).await.status
        }
    };
    // releases is the 25th upstream of chain-2 and the 27th of chain-0.
    assert_eq!(packument("chain-2").await, 200);
    assert_eq!(packument("chain-0").await, 404);
}

#[tokio::test]
async fn an_upper_case_asset_digest_is_refused_by_the_models_pattern() {
    let service = service_at(t0());
    let sha = hex::encode(sha2::Sha256::digest(b"archive")).to_ascii_uppercase();
    let answer = op_with(
        &service,
        &admin(),
        "PublishPackageVersion",
        "domain=acme&repository=releases&format=generic&namespace=my-ns&package=tool&version=1.0.0&asset=a.tgz",
        &[("x-amz-content-sha256", &sha)],
        Bytes::from_static(b"archive"),
    )
    .await;
    // The signature layer reads the digest in either case; the model allows `[0-9a-f]+`.
    answer.assert_error(400, "ValidationException");
    assert!(
        answer.message().contains("at 'assetSHA256'"),
        "{}",
        answer.message()
    );
}

#[tokio::test]
async fn a_version_published_between_two_pages_shifts_nothing() {
    let service = service_at(t0());
    for version in ["1.0.0", "1.0.1", "1.0.2", "1.0.3"] {
        publish(&service, version, "a.tgz", version.as_bytes(), false)
            .await
            .assert_ok();
    }
    let list = |token: Option<String>| {
        let service = service.clone();
        async move {
            let query = format!(
                "domain=acme&repository=releases&format=generic&namespace=my-ns&package=tool&max-results=2{}",
                token.map(|t| format!("&next-token={t}")).unwrap_or_default()
            );
            op(&service, &admin(), "ListPackageVersions", &query, None)
                .await
                .assert_ok()
        }
    };
    let versions = |page: &Value| -> Vec<String> {
        page["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = list(None).await;
    // Published at the same frozen instant: the version string orders them.
    assert_eq!(versions(&first), ["1.0.0", "1.0.1"]);
    publish(&service, "0.9.0", "a.tgz", b"late", false)
        .await
        .assert_ok();
    let second = list(first["nextToken"].as_str().map(str::to_owned)).await;
    assert_eq!(
        versions(&second),
        ["1.0.2", "1.0.3"],
        "no version seen twice or skipped"
    );
}
