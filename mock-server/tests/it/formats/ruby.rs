//! The RubyGems registry at the protocol level, with requests shaped as `gem push`, `gem
//! install` (RubyGems 3.3) and Bundler send them: the compact index with its ETags and MD5s,
//! the Marshal gemspecs and Dependencies API, downloads through an upstream, and refusals.
//! Debian's ruby and bundler run against it in `registries/ruby.rs`.

use bytes::Bytes;
use serde_json::json;
use sha2::Digest;

use super::{basic, endpoint, get, send, token};
use crate::util::*;

/// A gem's specification as `gem build` writes it into `metadata.gz`.
pub(super) fn spec_yaml(name: &str, version: &str, platform: &str) -> String {
    codeartifact_mock::gems::sample_spec_yaml(name, version, platform)
}

/// `gem push` of `gem` with the key `Bearer TOKEN`.
async fn push(service: &codeartifact_mock::MockService, token: &str, gem: Vec<u8>) -> Answer {
    let path = format!("{}api/v1/gems", endpoint("ruby"));
    let headers = [("content-type", "application/octet-stream")];
    send(
        service,
        "POST",
        &path,
        Some(&format!("Bearer {token}")),
        &headers,
        Bytes::from(gem),
    )
    .await
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}

#[tokio::test]
async fn gem_push_then_the_compact_index_gemspecs_and_downloads_serve_it() {
    let service = service_at(t0());
    let token = token(&service).await;
    let auth = basic(&token);
    let base = endpoint("ruby");
    let gem = codeartifact_mock::gems::build_gem(&spec_yaml("hello", "1.0.0", "ruby"));
    let pushed = push(&service, &token, gem.clone()).await;
    assert_eq!(
        (pushed.status, pushed.body_text().as_str()),
        (200, "Successfully registered gem: hello (1.0.0)")
    );

    let info = get(&service, &format!("{base}info/hello"), &auth).await;
    let sha256 = hex::encode(sha2::Sha256::digest(&gem));
    assert_eq!(
        info.body_text(),
        format!("---\n1.0.0 rack:~> 2.0&>= 2.0.1|checksum:{sha256},ruby:>= 2.7.0\n")
    );
    // Bundler checks the ETag against the MD5 of what it received, quoted.
    assert_eq!(
        info.header("etag").map(str::to_owned),
        Some(format!("\"{}\"", md5_hex(info.body_text().as_bytes())))
    );
    let versions = get(&service, &format!("{base}versions"), &auth).await;
    let text = versions.body_text();
    assert!(
        text.starts_with("created_at: ") && text.contains("\n---\n"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "\nhello 1.0.0 {}\n",
            md5_hex(info.body_text().as_bytes())
        )),
        "{text}"
    );
    let etag = versions.header("etag").unwrap().to_owned();
    let cached = send(
        &service,
        "GET",
        &format!("{base}versions"),
        Some(&auth),
        &[("if-none-match", &etag)],
        Bytes::new(),
    )
    .await;
    assert_eq!(cached.status, 304);
    assert_eq!(
        get(&service, &format!("{base}names"), &auth)
            .await
            .body_text(),
        "---\nhello\n"
    );
    // RubyGems 3.3 asks the root before it reads info files.
    assert_eq!(
        send(&service, "HEAD", &base, Some(&auth), &[], Bytes::new())
            .await
            .status,
        200
    );

    let download = get(&service, &format!("{base}gems/hello-1.0.0.gem"), &auth).await;
    assert_eq!((download.status, &download.body[..]), (200, &gem[..]));
    let quick = get(
        &service,
        &format!("{base}quick/Marshal.4.8/hello-1.0.0.gemspec.rz"),
        &auth,
    )
    .await;
    let marshal = miniz_oxide::inflate::decompress_to_vec_zlib(&quick.body).unwrap();
    assert!(
        marshal.starts_with(b"\x04\x08u:\x17Gem::Specification"),
        "{marshal:?}"
    );
    let marshal = String::from_utf8_lossy(&marshal);
    assert!(
        marshal.contains("hello")
            && marshal.contains("rack")
            && marshal.contains("Gem::Requirement"),
        "{marshal}"
    );

    let dependencies = get(
        &service,
        &format!("{base}api/v1/dependencies?gems=hello,absent"),
        &auth,
    )
    .await;
    assert!(
        dependencies
            .body
            .starts_with(b"\x04\x08[\x06{\x09:\x09name"),
        "{:?}",
        dependencies.body
    );
    assert_eq!(
        get(&service, &format!("{base}api/v1/dependencies"), &auth)
            .await
            .status,
        200
    );
    let as_json = get(
        &service,
        &format!("{base}api/v1/dependencies.json?gems=hello"),
        &auth,
    )
    .await
    .assert_ok();
    assert_eq!(
        as_json,
        json!([{ "name": "hello", "number": "1.0.0", "platform": "ruby", "dependencies": [["rack", "~> 2.0, >= 2.0.1"]] }])
    );

    for missing in [
        "specs.4.8.gz",
        "latest_specs.4.8.gz",
        "info/absent",
        "gems/hello-9.0.gem",
        "quick/Marshal.4.8/absent-1.0.gemspec.rz",
    ] {
        assert_eq!(
            get(&service, &format!("{base}{missing}"), &auth)
                .await
                .status,
            404,
            "{missing}"
        );
    }

    let described = op(
        &service,
        &admin(),
        "ListPackageVersionDependencies",
        "domain=acme&repository=releases&format=ruby&package=hello&version=1.0.0",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        described["dependencies"],
        json!([
            { "package": "rack", "dependencyType": "runtime", "versionRequirement": "~> 2.0, >= 2.0.1" },
            { "package": "rspec", "dependencyType": "development", "versionRequirement": ">= 0" },
        ])
    );
    let assets = op(
        &service,
        &admin(),
        "ListPackageVersionAssets",
        "domain=acme&repository=releases&format=ruby&package=hello&version=1.0.0",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(assets["assets"][0]["name"], "hello-1.0.0.gem");
    assert_eq!(assets["assets"][0]["hashes"]["SHA-256"], json!(sha256));
}

#[tokio::test]
async fn a_platform_build_joins_its_version_and_an_upstream_serves_both() {
    let service = service_at(t0());
    let token = token(&service).await;
    let auth = basic(&token);
    for platform in ["ruby", "x86_64-linux"] {
        let gem = codeartifact_mock::gems::build_gem(&spec_yaml("native", "2.0.0", platform));
        assert_eq!(push(&service, &token, gem).await.status, 200, "{platform}");
    }
    // `team` reads through `releases`.
    let team = "/d/acme-111122223333/us-east-1/ruby/team/";
    let info = get(&service, &format!("{team}info/native"), &auth)
        .await
        .body_text();
    let lines: Vec<&str> = info.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(lines, ["---", "2.0.0", "2.0.0-x86_64-linux"], "{info}");
    assert!(get(&service, &format!("{team}versions"), &auth)
        .await
        .body_text()
        .contains("\nnative 2.0.0,2.0.0-x86_64-linux "));
    let download = get(
        &service,
        &format!("{team}gems/native-2.0.0-x86_64-linux.gem"),
        &auth,
    )
    .await;
    assert_eq!(download.status, 200);
    // The download retained the version in `team`.
    let listed = op(
        &service,
        &admin(),
        "ListPackageVersions",
        "domain=acme&repository=team&format=ruby&package=native",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(listed["versions"][0]["version"], "2.0.0");
    assert_eq!(
        listed["versions"][0]["origin"]["domainEntryPoint"]["repositoryName"],
        "releases"
    );
}

#[tokio::test]
async fn a_repush_a_broken_gem_and_a_missing_token_are_refused() {
    let service = service_at(t0());
    let token = token(&service).await;
    let gem = codeartifact_mock::gems::build_gem(&spec_yaml("hello", "1.0.0", "ruby"));
    assert_eq!(push(&service, &token, gem.clone()).await.status, 200);
    let again = push(&service, &token, gem).await;
    assert_eq!(again.status, 409);
    assert!(
        again
            .body_text()
            .contains("Repushing of gem versions is not allowed"),
        "{}",
        again.body_text()
    );
    for broken in [
        b"not a gem".to_vec(),
        codeartifact_mock::gems::build_gem("name: ["),
    ] {
        assert_eq!(push(&service, &token, broken).await.status, 422);
    }
    let bad_name = codeartifact_mock::gems::build_gem(&spec_yaml("../escape", "1.0.0", "ruby"));
    assert_eq!(push(&service, &token, bad_name).await.status, 422);
    let base = endpoint("ruby");
    let anonymous = send(
        &service,
        "GET",
        &format!("{base}versions"),
        None,
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(anonymous.status, 401);
    let yank = send(
        &service,
        "DELETE",
        &format!("{base}api/v1/gems/yank"),
        Some(&format!("Bearer {token}")),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(yank.status, 405);
    // Unlisted by the API: gone from the index, still downloadable for lockfiles.
    op(
        &service,
        &admin(),
        "UpdatePackageVersionsStatus",
        "domain=acme&repository=releases&format=ruby&package=hello",
        Some(json!({ "versions": ["1.0.0"], "targetStatus": "Unlisted" })),
    )
    .await
    .assert_ok();
    let auth = basic(&token);
    assert_eq!(
        get(&service, &format!("{base}info/hello"), &auth)
            .await
            .status,
        404
    );
    assert_eq!(
        get(&service, &format!("{base}gems/hello-1.0.0.gem"), &auth)
            .await
            .status,
        200
    );
}

/// A gem is copied between repositories like any package, and a package group that blocks
/// publishing refuses `gem push` with the group named.
#[tokio::test]
async fn copies_and_package_groups_cover_gems() {
    let service = service_at(t0());
    let token = token(&service).await;
    let gem = codeartifact_mock::gems::build_gem(&spec_yaml("hello", "1.0.0", "ruby"));
    assert_eq!(push(&service, &token, gem).await.status, 200);
    let copied = acme_op(
        &service,
        "CopyPackageVersions",
        "format=ruby&package=hello&source-repository=releases&destination-repository=team",
        Some(json!({ "versions": ["1.0.0"] })),
    )
    .await
    .assert_ok();
    assert_eq!(copied["successfulVersions"]["1.0.0"]["status"], "Published");
    let team = "/d/acme-111122223333/us-east-1/ruby/team/";
    let download = get(
        &service,
        &format!("{team}gems/hello-1.0.0.gem"),
        &basic(&token),
    )
    .await;
    assert_eq!(download.status, 200);

    block_publishing(&service, "/ruby//blocked$").await;
    let blocked = codeartifact_mock::gems::build_gem(&spec_yaml("blocked", "1.0.0", "ruby"));
    let refused = push(&service, &token, blocked).await;
    assert_eq!(refused.status, 403, "{}", refused.body_text());
    assert!(
        refused.body_text().contains("/ruby//blocked$"),
        "{}",
        refused.body_text()
    );
}
