//! One name, one identity: the package API and package groups name a package as the
//! registries store it, and a token speaks for the identity that asked for it, not for
//! whichever identity shares its ARN.

use std::time::SystemTime;

use bytes::Bytes;
use codeartifact_mock::fixture::Fixture;
use codeartifact_mock::packages::{Asset, PackageId, PackageVersion, RepositoryKey, VersionStatus};
use codeartifact_mock::MockService;
use serde_json::json;

use crate::util::*;

/// Two access keys of one principal: one may publish, the other only read.
const FIXTURE: &str = r#"
regions = ["us-east-1"]
[[domains]]
name = "acme"
owner = "111122223333"
[[repositories]]
domain = "acme"
owner = "111122223333"
name = "store"
[[identities]]
arn = "arn:aws:iam::111122223333:user/ci"
access_key_id = "AKIAPUBLISHER0000001"
secret_access_key = "publisher/secret"
allow = ["codeartifact:*", "sts:GetServiceBearerToken"]
[[identities]]
arn = "arn:aws:iam::111122223333:user/ci"
access_key_id = "AKIAREADER000000001"
secret_access_key = "reader/secret"
allow = ["codeartifact:GetAuthorizationToken", "codeartifact:ReadFromRepository", "sts:GetServiceBearerToken"]
"#;

fn service() -> MockService {
    MockService::new(
        &Fixture::parse(FIXTURE, "names.toml").unwrap(),
        Default::default(),
    )
}

fn publisher() -> Signing {
    Signing::key(
        "AKIAPUBLISHER0000001",
        "publisher/secret",
        SystemTime::now(),
    )
}

fn reader() -> Signing {
    Signing::key("AKIAREADER000000001", "reader/secret", SystemTime::now())
}

fn store() -> RepositoryKey {
    RepositoryKey::new("111122223333", "acme", "us-east-1", "store")
}

/// A version of `id` put straight into the store, as a registry would have published it.
fn stored(service: &MockService, id: &PackageId) {
    let mut version = PackageVersion::unfinished("1.0.0", &id.name, SystemTime::now());
    version.status = VersionStatus::Published;
    version
        .assets
        .push(Asset::new("file", Bytes::from_static(b"content")));
    service
        .world()
        .write()
        .packages
        .package_entry(&store(), id)
        .versions
        .insert("1.0.0".into(), version);
}

#[tokio::test]
async fn the_package_api_names_crates_and_nuget_packages_as_their_registries_store_them() {
    let service = service();
    stored(&service, &PackageId::nuget("Acme.Tiny"));
    stored(&service, &PackageId::cargo("Serde_Json"));
    stored(&service, &PackageId::pypi("Hello_World"));
    for (format, spelling, stored_as) in [
        ("nuget", "Acme.Tiny", "acme.tiny"),
        ("nuget", "ACME.TINY", "acme.tiny"),
        ("cargo", "Serde_Json", "serde_json"),
        ("pypi", "hello.world", "hello-world"),
    ] {
        let answer = op(
            &service,
            &publisher(),
            "DescribePackage",
            &format!("domain=acme&repository=store&format={format}&package={spelling}"),
            None,
        )
        .await
        .assert_ok();
        assert_eq!(answer["package"]["name"], stored_as, "{format} {spelling}");
    }
}

#[tokio::test]
async fn a_package_group_pattern_matches_crate_names_as_they_are_stored() {
    let service = service();
    op(
        &service,
        &publisher(),
        "CreatePackageGroup",
        "domain=acme",
        Some(json!({ "packageGroup": "/cargo//Serde$" })),
    )
    .await
    .assert_ok();
    let answer = op(
        &service,
        &publisher(),
        "GetAssociatedPackageGroup",
        "domain=acme&format=cargo&package=serde",
        None,
    )
    .await
    .assert_ok();
    // The crate's group, not the root; its pattern kept as crate names are stored.
    assert_eq!(answer["packageGroup"]["pattern"], "/cargo//serde$");
}

#[tokio::test]
async fn a_token_speaks_for_the_access_key_that_asked_not_for_its_arns_first_identity() {
    let service = service();
    // The reader's token is the reader's, though the publisher has the same ARN.
    let store = "/d/acme-111122223333/us-east-1/npm/store/";
    assert_eq!(
        publish_npm(&service, &reader(), store, "by-the-reader", "1.0.0").await,
        403
    );
    assert_eq!(
        publish_npm(&service, &publisher(), store, "by-the-publisher", "1.0.0").await,
        200
    );
}
