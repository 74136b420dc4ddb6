//! Package groups through the API (patterns, hierarchy, inheritance, allowed repositories,
//! associations) and their effect where it counts: a publish the group blocks is refused
//! at the repository endpoint. Every success body is checked against the model.

use bytes::Bytes;
use http::Request;
use serde_json::{json, Value};

use crate::util::*;

const NPM: &str = "/d/acme-111122223333/us-east-1/npm/releases/";

async fn create(service: &codeartifact_mock::MockService, pattern: &str) -> Value {
    acme_op(
        service,
        "CreatePackageGroup",
        "",
        Some(json!({ "packageGroup": pattern })),
    )
    .await
    .assert_ok()
}

fn q(pattern: &str) -> String {
    format!(
        "package-group={}",
        percent_encoding::utf8_percent_encode(pattern, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// npm publishes `name` 1.0.0 to `releases` with a token of the all-powerful identity.
async fn npm_publish(service: &codeartifact_mock::MockService, name: &str) -> u16 {
    publish_npm(service, &admin(), NPM, name, "1.0.0").await
}

#[tokio::test]
async fn every_domain_has_a_root_group_and_new_groups_inherit_from_their_parent() {
    let service = service_at(t0());
    let root = acme_op(&service, "DescribePackageGroup", &q("/*"), None)
        .await
        .assert_ok();
    assert_eq!(root["packageGroup"]["pattern"], "/*");
    assert_eq!(
        root["packageGroup"]["originConfiguration"]["restrictions"]["PUBLISH"]["mode"],
        "ALLOW"
    );
    assert!(root["packageGroup"].get("parent").is_none());

    let npm = create(&service, "/npm/*").await["packageGroup"].clone();
    assert_eq!(
        npm["arn"],
        "arn:aws:codeartifact:us-east-1:111122223333:package-group/acme/npm/*"
    );
    assert_eq!(npm["parent"]["pattern"], "/*");
    let publish = &npm["originConfiguration"]["restrictions"]["PUBLISH"];
    assert_eq!(
        (publish["mode"].as_str(), publish["effectiveMode"].as_str()),
        (Some("INHERIT"), Some("ALLOW"))
    );
    assert_eq!(publish["inheritedFrom"]["pattern"], "/*");

    let scoped = create(&service, "/npm/acme/*").await["packageGroup"].clone();
    assert_eq!(scoped["parent"]["pattern"], "/npm/*");
    acme_op(
        &service,
        "CreatePackageGroup",
        "",
        Some(json!({ "packageGroup": "/npm/*" })),
    )
    .await
    .assert_error(409, "ConflictException");
    let invalid = acme_op(
        &service,
        "CreatePackageGroup",
        "",
        Some(json!({ "packageGroup": "/pypi/ns/requests$" })),
    )
    .await;
    invalid.assert_error(400, "ValidationException");
    assert!(
        invalid
            .message()
            .contains("pypi packages have no namespace"),
        "{}",
        invalid.message()
    );

    let subs = acme_op(&service, "ListSubPackageGroups", &q("/*"), None)
        .await
        .assert_ok();
    let patterns: Vec<&str> = subs["packageGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(patterns, ["/npm/*"]);
    let all = acme_op(&service, "ListPackageGroups", "max-results=2", None)
        .await
        .assert_ok();
    assert_eq!(all["packageGroups"].as_array().unwrap().len(), 2);
    let next = all["nextToken"].as_str().unwrap();
    let rest = acme_op(
        &service,
        "ListPackageGroups",
        &format!("next-token={next}"),
        None,
    )
    .await
    .assert_ok();
    assert_eq!(rest["packageGroups"][0]["pattern"], "/npm/acme/*");

    // Deleting the middle group hands its child to the root; the root cannot go.
    acme_op(&service, "DeletePackageGroup", &q("/npm/*"), None)
        .await
        .assert_ok();
    let scoped = acme_op(&service, "DescribePackageGroup", &q("/npm/acme/*"), None)
        .await
        .assert_ok();
    assert_eq!(scoped["packageGroup"]["parent"]["pattern"], "/*");
    acme_op(&service, "DeletePackageGroup", &q("/*"), None)
        .await
        .assert_error(400, "ValidationException");
    acme_op(&service, "DescribePackageGroup", &q("/npm/*"), None)
        .await
        .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn a_group_that_blocks_publishing_makes_the_next_publish_fail_and_an_allowed_repository_passes(
) {
    let service = service_at(t0());
    create(&service, "/npm/*").await;
    let updated = acme_op(
        &service,
        "UpdatePackageGroupOriginConfiguration",
        &q("/npm/*"),
        Some(json!({ "restrictions": { "PUBLISH": "BLOCK" } })),
    )
    .await
    .assert_ok();
    assert_eq!(
        updated["packageGroup"]["originConfiguration"]["restrictions"]["PUBLISH"]["effectiveMode"],
        "BLOCK"
    );
    assert_eq!(npm_publish(&service, "left-pad").await, 403);

    // A more specific group that allows `releases` only lets that one package through there.
    create(&service, "/npm//left-pad$").await;
    let allowed = acme_op(
        &service,
        "UpdatePackageGroupOriginConfiguration",
        &q("/npm//left-pad$"),
        Some(json!({
            "restrictions": { "PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES" },
            "addAllowedRepositories": [{ "repositoryName": "releases", "originRestrictionType": "PUBLISH" }],
        })),
    )
    .await
    .assert_ok();
    assert_eq!(
        allowed["allowedRepositoryUpdates"]["PUBLISH"]["ADDED"],
        json!(["releases"])
    );
    assert_eq!(npm_publish(&service, "left-pad").await, 200);
    assert_eq!(npm_publish(&service, "right-pad").await, 403);
    let listed = acme_op(
        &service,
        "ListAllowedRepositoriesForGroup",
        &format!("{}&originRestrictionType=PUBLISH", q("/npm//left-pad$")),
        None,
    )
    .await
    .assert_ok();
    assert_eq!(listed["allowedRepositories"], json!(["releases"]));

    let associated = acme_op(
        &service,
        "GetAssociatedPackageGroup",
        "format=npm&package=left-pad",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(associated["packageGroup"]["pattern"], "/npm//left-pad$");
    assert_eq!(associated["associationType"], "STRONG");
    let packages = acme_op(
        &service,
        "ListAssociatedPackages",
        &q("/npm//left-pad$"),
        None,
    )
    .await
    .assert_ok();
    assert_eq!(packages["packages"][0]["package"], "left-pad");
    let preview = acme_op(
        &service,
        "ListAssociatedPackages",
        &format!("{}&preview=true", q("/npm/~")),
        None,
    )
    .await;
    preview.assert_error(400, "ValidationException");
    let preview = acme_op(
        &service,
        "ListAssociatedPackages",
        &format!("{}&preview=true", q("/npm//left~")),
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        preview["packages"].as_array().unwrap().len(),
        0,
        "left-pad's exact group is more specific"
    );

    // A repository that does not exist cannot be allowed.
    acme_op(
        &service,
        "UpdatePackageGroupOriginConfiguration",
        &q("/npm/*"),
        Some(json!({ "addAllowedRepositories": [{ "repositoryName": "nope", "originRestrictionType": "PUBLISH" }] })),
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn a_group_that_blocks_internal_upstreams_hides_the_upstreams_versions() {
    let service = service_at(t0());
    assert_eq!(npm_publish(&service, "left-pad").await, 200);
    let token = call(&service, signed("domain=acme", &admin()))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let through_team = || async {
        let request = Request::builder()
            .uri("/d/acme-111122223333/us-east-1/npm/team/left-pad")
            .header("host", "127.0.0.1:8080")
            .header("authorization", format!("Bearer {token}"))
            .body(Bytes::new())
            .unwrap();
        call(&service, request).await.status
    };
    assert_eq!(through_team().await, 200);
    create(&service, "/npm/*").await;
    acme_op(
        &service,
        "UpdatePackageGroupOriginConfiguration",
        &q("/npm/*"),
        Some(json!({ "restrictions": { "INTERNAL_UPSTREAM": "BLOCK" } })),
    )
    .await
    .assert_ok();
    assert_eq!(through_team().await, 404);
}

#[tokio::test]
async fn package_groups_survive_a_restart_from_the_data_folder() {
    let dir = std::env::temp_dir().join(format!("codeartifact-mock-groups-{}", rand_suffix()));
    let config = || codeartifact_mock::ServiceConfig::default();
    let service = service_with(t0(), config());
    service
        .attach_store(codeartifact_mock::state::Store::open(&dir).unwrap())
        .unwrap();
    create(&service, "/npm/acme/*").await;
    // The folder is the first service's as long as it lives.
    let refused = codeartifact_mock::state::Store::open(&dir).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("in use by another codeartifact-mock"),
        "{refused}"
    );
    drop(service);
    let again = service_with(t0(), config());
    again
        .attach_store(codeartifact_mock::state::Store::open(&dir).unwrap())
        .unwrap();
    acme_op(&again, "DescribePackageGroup", &q("/npm/acme/*"), None)
        .await
        .assert_ok();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_group_is_tagged_at_creation_and_by_its_arn() {
    let service = service_at(t0());
    let created = acme_op(
        &service,
        "CreatePackageGroup",
        "",
        Some(json!({ "packageGroup": "/maven/com.acme~", "tags": [{ "key": "team", "value": "platform" }] })),
    )
    .await
    .assert_ok();
    let arn = created["packageGroup"]["arn"].as_str().unwrap().to_owned();
    let by_arn = format!(
        "resourceArn={}",
        percent_encoding::utf8_percent_encode(&arn, percent_encoding::NON_ALPHANUMERIC)
    );
    op(
        &service,
        &admin(),
        "TagResource",
        &by_arn,
        Some(json!({ "tags": [{ "key": "tier", "value": "1" }] })),
    )
    .await
    .assert_ok();
    let tags = op(&service, &admin(), "ListTagsForResource", &by_arn, None)
        .await
        .assert_ok();
    assert_eq!(
        tags["tags"],
        json!([{ "key": "team", "value": "platform" }, { "key": "tier", "value": "1" }])
    );
    let root = "resourceArn=arn%3Aaws%3Acodeartifact%3Aus-east-1%3A111122223333%3Apackage-group%2Facme%2F%2A";
    op(&service, &admin(), "ListTagsForResource", root, None)
        .await
        .assert_ok();
    let missing = "resourceArn=arn%3Aaws%3Acodeartifact%3Aus-east-1%3A111122223333%3Apackage-group%2Facme%2Fnpm%2F%2A";
    op(&service, &admin(), "ListTagsForResource", missing, None)
        .await
        .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn groups_come_from_the_fixture_and_the_state_export_brings_them_back() {
    let service = service_at(t0());
    // A fixture's group: /npm/* blocks publishing in every repository but `team`.
    let mut fixture = std::fs::read_to_string(fixture_path()).unwrap();
    fixture.push_str(
        "\n[[package_groups]]\ndomain = \"acme\"\npattern = \"/npm/*\"\ndescription = \"npm\"\npublish = \"ALLOW_SPECIFIC_REPOSITORIES\"\nallowed_repositories = { publish = [\"team\"] }\n",
    );
    assert_eq!(
        control(&service, "PUT", "/_mock/config", &fixture)
            .await
            .status,
        200
    );
    assert_eq!(npm_publish(&service, "left-pad").await, 403);
    let described = acme_op(&service, "DescribePackageGroup", &q("/npm/*"), None)
        .await
        .assert_ok();
    let publish = &described["packageGroup"]["originConfiguration"]["restrictions"]["PUBLISH"];
    assert_eq!(
        (
            publish["mode"].as_str(),
            publish["repositoriesCount"].as_u64()
        ),
        (Some("ALLOW_SPECIFIC_REPOSITORIES"), Some(1))
    );

    // A group made through the API is in the state export, and a mock started on it has it.
    create(&service, "/pypi//requests$").await;
    let state = control(&service, "GET", "/_mock/state", "").await;
    let text = String::from_utf8(state.body.to_vec()).unwrap();
    assert!(
        text.contains("/pypi//requests$") && text.contains("/npm/*"),
        "{text}"
    );
    let again = service_at(t0());
    assert_eq!(
        control(&again, "PUT", "/_mock/config", &text).await.status,
        200
    );
    acme_op(&again, "DescribePackageGroup", &q("/pypi//requests$"), None)
        .await
        .assert_ok();
    assert_eq!(npm_publish(&again, "left-pad").await, 403);
}
