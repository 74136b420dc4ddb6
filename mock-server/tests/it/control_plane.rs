//! Domains and repositories through the API: create, describe, list (following nextToken to
//! the end), update, delete in the wrong and the right order, across accounts. Every success
//! body is checked against the model's output shape.

use serde_json::json;

use crate::util::*;

/// An identity of account 999999999999, allowed everything in its own account.
fn outsider() -> Signing {
    Signing::key("AKIAOUTSIDEREXAMPLE1", "outsider/secret/EXAMPLEKEY", t0())
}

#[tokio::test]
async fn a_domain_and_its_repositories_live_from_creation_to_deletion() {
    let service = service_at(t0());
    let created = op(
        &service,
        &admin(),
        "CreateDomain",
        "domain=new-domain",
        None,
    )
    .await
    .assert_ok();
    let domain = &created["domain"];
    assert_eq!(domain["name"], "new-domain");
    assert_eq!(domain["owner"], "111122223333");
    assert_eq!(
        domain["arn"],
        "arn:aws:codeartifact:us-east-1:111122223333:domain/new-domain"
    );
    assert_eq!(domain["status"], "Active");
    assert_eq!(domain["repositoryCount"], 0);
    assert_eq!(domain["createdTime"], 1_795_867_200);
    assert!(domain["encryptionKey"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:kms:us-east-1:111122223333:key/"));
    op(
        &service,
        &admin(),
        "CreateDomain",
        "domain=new-domain",
        None,
    )
    .await
    .assert_error(409, "ConflictException");

    // Two repositories, one reading through the other.
    op(
        &service,
        &admin(),
        "CreateRepository",
        "domain=new-domain&repository=base",
        Some(json!({"description": "the base"})),
    )
    .await
    .assert_ok();
    let app = op(
        &service,
        &admin(),
        "CreateRepository",
        "domain=new-domain&repository=app",
        Some(json!({"upstreams": [{"repositoryName": "base"}]})),
    )
    .await
    .assert_ok();
    assert_eq!(
        app["repository"]["upstreams"],
        json!([{"repositoryName": "base"}])
    );
    assert_eq!(
        app["repository"]["arn"],
        "arn:aws:codeartifact:us-east-1:111122223333:repository/new-domain/app"
    );
    op(
        &service,
        &admin(),
        "CreateRepository",
        "domain=new-domain&repository=app",
        None,
    )
    .await
    .assert_error(409, "ConflictException");
    // An upstream that would lead back is a conflict; one that does not exist, not found.
    op(
        &service,
        &admin(),
        "UpdateRepository",
        "domain=new-domain&repository=base",
        Some(json!({"upstreams": [{"repositoryName": "app"}]})),
    )
    .await
    .assert_error(409, "ConflictException");
    op(
        &service,
        &admin(),
        "CreateRepository",
        "domain=new-domain&repository=third",
        Some(json!({"upstreams": [{"repositoryName": "ghost"}]})),
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
    let updated = op(
        &service,
        &admin(),
        "UpdateRepository",
        "domain=new-domain&repository=base",
        Some(json!({"description": "renamed"})),
    )
    .await
    .assert_ok();
    assert_eq!(updated["repository"]["description"], "renamed");
    let described = op(
        &service,
        &admin(),
        "DescribeDomain",
        "domain=new-domain",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(described["domain"]["repositoryCount"], 2);

    // The endpoint of a new repository.
    let endpoint = op(
        &service,
        &admin(),
        "GetRepositoryEndpoint",
        "domain=new-domain&repository=app&format=npm",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        endpoint["repositoryEndpoint"],
        "http://127.0.0.1:8080/d/new-domain-111122223333/us-east-1/npm/app/"
    );

    // Deleting in the wrong order is a conflict each time; in the right order it works.
    op(
        &service,
        &admin(),
        "DeleteDomain",
        "domain=new-domain",
        None,
    )
    .await
    .assert_error(409, "ConflictException");
    op(
        &service,
        &admin(),
        "DeleteRepository",
        "domain=new-domain&repository=base",
        None,
    )
    .await
    .assert_error(409, "ConflictException");
    for repository in ["app", "base"] {
        let deleted = op(
            &service,
            &admin(),
            "DeleteRepository",
            &format!("domain=new-domain&repository={repository}"),
            None,
        )
        .await
        .assert_ok();
        assert_eq!(deleted["repository"]["name"], repository);
    }
    let deleted = op(
        &service,
        &admin(),
        "DeleteDomain",
        "domain=new-domain",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(deleted["domain"]["status"], "Deleted");
    op(
        &service,
        &admin(),
        "DescribeDomain",
        "domain=new-domain",
        None,
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn lists_are_the_callers_and_a_client_can_follow_them_to_the_end() {
    let service = service_at(t0());
    for i in 0..5 {
        op(
            &service,
            &admin(),
            "CreateRepository",
            &format!("domain=acme&repository=repo-{i}"),
            None,
        )
        .await
        .assert_ok();
    }
    let mut names = Vec::new();
    let mut query = "domain=acme&max-results=2".to_owned();
    loop {
        let page = op(&service, &admin(), "ListRepositoriesInDomain", &query, None)
            .await
            .assert_ok();
        let repositories = page["repositories"].as_array().unwrap();
        assert!(repositories.len() <= 2);
        names.extend(
            repositories
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_owned()),
        );
        match page["nextToken"].as_str() {
            Some(token) => query = format!("domain=acme&max-results=2&next-token={token}"),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["releases", "repo-0", "repo-1", "repo-2", "repo-3", "repo-4", "team"]
    );
    // ListRepositories: every repository the caller's account administers, with a prefix.
    let listed = op(
        &service,
        &admin(),
        "ListRepositories",
        "repository-prefix=repo-",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(listed["repositories"].as_array().unwrap().len(), 5);
    // ListDomains: the caller's account's domains in the region.
    let domains = op(&service, &admin(), "ListDomains", "", Some(json!({})))
        .await
        .assert_ok();
    let names: Vec<&str> = domains["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme"], "euro-only exists in eu-west-1 only");
    let outsiders = op(&service, &outsider(), "ListDomains", "", None)
        .await
        .assert_ok();
    assert_eq!(outsiders["domains"], json!([]));
    op(
        &service,
        &admin(),
        "ListDomains",
        "",
        Some(json!({"nextToken": "not base64!"})),
    )
    .await
    .assert_error(400, "ValidationException");
}

#[tokio::test]
async fn another_accounts_domain_needs_its_policy() {
    let service = service_at(t0());
    // No policy on acme for account 999999999999.
    let answer = op(
        &service,
        &outsider(),
        "DescribeDomain",
        "domain=acme&domain-owner=111122223333",
        None,
    )
    .await;
    answer.assert_error(403, "AccessDeniedException");
    assert_eq!(
        answer.message(),
        "User: arn:aws:iam::999999999999:user/outsider is not authorized to perform: codeartifact:DescribeDomain on resource: arn:aws:codeartifact:us-east-1:111122223333:domain/acme"
    );
    // `shared` (444455556666) admits account 111122223333.
    let described = op(
        &service,
        &admin(),
        "DescribeRepository",
        "domain=shared&domain-owner=444455556666&repository=shared-repo",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        described["repository"]["administratorAccount"],
        "444455556666"
    );
    // The dev identity may only get tokens.
    op(
        &service,
        &Signing::dev(t0()),
        "CreateDomain",
        "domain=mine",
        None,
    )
    .await
    .assert_error(403, "AccessDeniedException");
}

#[tokio::test]
async fn a_reset_brings_back_the_fixtures_domains_and_repositories() {
    let service = service_at(t0());
    op(
        &service,
        &admin(),
        "DeleteRepository",
        "domain=acme&repository=team",
        None,
    )
    .await
    .assert_ok();
    op(&service, &admin(), "CreateDomain", "domain=fresh", None)
        .await
        .assert_ok();
    control(&service, "POST", "/_mock/reset", "").await;
    // A reset also brings back the real clock: freeze it again for these signatures.
    service
        .clock()
        .set(codeartifact_mock::ClockMode::Frozen(t0()));
    op(
        &service,
        &admin(),
        "DescribeRepository",
        "domain=acme&repository=team",
        None,
    )
    .await
    .assert_ok();
    op(&service, &admin(), "DescribeDomain", "domain=fresh", None)
        .await
        .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn one_external_connection_per_repository() {
    let service = service_at(t0());
    let query = "domain=acme&repository=team&external-connection=public:npmjs";
    let connected = op(
        &service,
        &admin(),
        "AssociateExternalConnection",
        query,
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        connected["repository"]["externalConnections"],
        json!([{"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "Available"}])
    );
    op(
        &service,
        &admin(),
        "AssociateExternalConnection",
        "domain=acme&repository=team&external-connection=public:pypi",
        None,
    )
    .await
    .assert_error(409, "ConflictException");
    op(
        &service,
        &admin(),
        "AssociateExternalConnection",
        "domain=acme&repository=releases&external-connection=public:nope",
        None,
    )
    .await
    .assert_error(400, "ValidationException");
    let disconnected = op(
        &service,
        &admin(),
        "DisassociateExternalConnection",
        query,
        None,
    )
    .await
    .assert_ok();
    assert_eq!(disconnected["repository"]["externalConnections"], json!([]));
    op(
        &service,
        &admin(),
        "DisassociateExternalConnection",
        query,
        None,
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn tags_are_set_replaced_listed_and_removed_by_arn() {
    let service = service_at(t0());
    let arn = "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/releases";
    let query = format!(
        "resourceArn={}",
        codeartifact_mock::sigv4::uri_encode(arn.as_bytes())
    );
    op(
        &service,
        &admin(),
        "TagResource",
        &query,
        Some(json!({"tags": [{"key": "team", "value": "a"}, {"key": "env", "value": "ci"}]})),
    )
    .await
    .assert_ok();
    op(
        &service,
        &admin(),
        "TagResource",
        &query,
        Some(json!({"tags": [{"key": "team", "value": "b"}]})),
    )
    .await
    .assert_ok();
    let listed = op(&service, &admin(), "ListTagsForResource", &query, None)
        .await
        .assert_ok();
    assert_eq!(
        listed["tags"],
        json!([{"key": "team", "value": "b"}, {"key": "env", "value": "ci"}])
    );
    op(
        &service,
        &admin(),
        "UntagResource",
        &query,
        Some(json!({"tagKeys": ["team"]})),
    )
    .await
    .assert_ok();
    let listed = op(&service, &admin(), "ListTagsForResource", &query, None)
        .await
        .assert_ok();
    assert_eq!(listed["tags"], json!([{"key": "env", "value": "ci"}]));
    // A domain's tags too; an ARN of another region or shape is a ValidationException.
    let domain = "resourceArn=arn%3Aaws%3Acodeartifact%3Aus-east-1%3A111122223333%3Adomain%2Facme";
    op(&service, &admin(), "ListTagsForResource", domain, None)
        .await
        .assert_ok();
    let elsewhere =
        "resourceArn=arn%3Aaws%3Acodeartifact%3Aeu-west-1%3A111122223333%3Adomain%2Facme";
    op(&service, &admin(), "ListTagsForResource", elsewhere, None)
        .await
        .assert_error(400, "ValidationException");
}

#[tokio::test]
async fn the_state_exports_as_a_fixture_that_serves_the_same_world() {
    let service = service_at(t0());
    op(&service, &admin(), "CreateDomain", "domain=built", None)
        .await
        .assert_ok();
    op(
        &service,
        &admin(),
        "CreateRepository",
        "domain=built&repository=base",
        None,
    )
    .await
    .assert_ok();
    op(
        &service,
        &admin(),
        "CreateRepository",
        "domain=built&repository=app",
        Some(json!({"description": "ours", "upstreams": [{"repositoryName": "base"}]})),
    )
    .await
    .assert_ok();
    op(
        &service,
        &admin(),
        "DeleteRepository",
        "domain=acme&repository=team",
        None,
    )
    .await
    .assert_ok();
    let answer = control(&service, "GET", "/_mock/state", "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/toml"));
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    let fixture =
        codeartifact_mock::Fixture::parse(&text, "state").unwrap_or_else(|e| panic!("{e}\n{text}"));
    // Identities keep their keys: it is the user's own test fixture.
    assert!(text.contains("session/secret/EXAMPLEKEY"));
    // A mock started from it serves the same world.
    let again = codeartifact_mock::MockService::with_clock(
        &fixture,
        codeartifact_mock::ServiceConfig::default(),
        codeartifact_mock::clock::Clock::new(codeartifact_mock::ClockMode::Frozen(t0())),
    );
    let app = op(
        &again,
        &admin(),
        "DescribeRepository",
        "domain=built&repository=app",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(app["repository"]["description"], "ours");
    assert_eq!(
        app["repository"]["upstreams"],
        json!([{"repositoryName": "base"}])
    );
    op(
        &again,
        &admin(),
        "DescribeRepository",
        "domain=acme&repository=team",
        None,
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
    op(
        &again,
        &admin(),
        "DescribeRepository",
        "domain=acme&repository=releases",
        None,
    )
    .await
    .assert_ok();
}

fn admits(principal: &str, action: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"}
    ]})
    .to_string()
}

#[tokio::test]
async fn a_domain_policy_admits_another_account_until_it_is_deleted() {
    let service = service_at(t0());
    let describe = "domain=acme&domain-owner=111122223333";
    op(&service, &outsider(), "DescribeDomain", describe, None)
        .await
        .assert_error(403, "AccessDeniedException");
    let document = admits("999999999999", "codeartifact:*");
    let put = op(
        &service,
        &admin(),
        "PutDomainPermissionsPolicy",
        "",
        Some(json!({"domain": "acme", "policyDocument": document})),
    )
    .await
    .assert_ok();
    assert_eq!(put["policy"]["revision"], "1");
    assert_eq!(
        put["policy"]["resourceArn"],
        "arn:aws:codeartifact:us-east-1:111122223333:domain/acme"
    );
    let got = op(
        &service,
        &admin(),
        "GetDomainPermissionsPolicy",
        "domain=acme",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        got["policy"]["document"],
        document.as_str(),
        "returned verbatim"
    );
    // Now the other account is in: the domain, a repository's endpoint, a token.
    op(&service, &outsider(), "DescribeDomain", describe, None)
        .await
        .assert_ok();
    op(
        &service,
        &outsider(),
        "GetRepositoryEndpoint",
        "domain=acme&domain-owner=111122223333&repository=releases&format=pypi",
        None,
    )
    .await
    .assert_ok();
    op(
        &service,
        &outsider(),
        "GetAuthorizationToken",
        describe,
        None,
    )
    .await
    .assert_ok();
    // Optimistic locking: a stale revision is a conflict.
    op(
        &service,
        &admin(),
        "PutDomainPermissionsPolicy",
        "",
        Some(json!({"domain": "acme", "policyDocument": document, "policyRevision": "7"})),
    )
    .await
    .assert_error(409, "ConflictException");
    let deleted = op(
        &service,
        &admin(),
        "DeleteDomainPermissionsPolicy",
        "domain=acme&policy-revision=1",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(deleted["policy"]["revision"], "2");
    op(&service, &outsider(), "DescribeDomain", describe, None)
        .await
        .assert_error(403, "AccessDeniedException");
    op(
        &service,
        &admin(),
        "GetDomainPermissionsPolicy",
        "domain=acme",
        None,
    )
    .await
    .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn an_explicit_deny_wins_even_in_the_owners_account() {
    let service = service_at(t0());
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:role/builder"}, "Action": "codeartifact:Delete*", "Resource": "*"}
    ]})
    .to_string();
    op(
        &service,
        &admin(),
        "PutRepositoryPermissionsPolicy",
        "domain=acme&repository=team",
        Some(json!({"policyDocument": deny})),
    )
    .await
    .assert_ok();
    let answer = op(
        &service,
        &admin(),
        "DeleteRepository",
        "domain=acme&repository=team",
        None,
    )
    .await;
    answer.assert_error(403, "AccessDeniedException");
    assert_eq!(
        answer.message(),
        "User: arn:aws:sts::111122223333:assumed-role/builder/job-1 is not authorized to perform: codeartifact:DeleteRepository on resource: arn:aws:codeartifact:us-east-1:111122223333:repository/acme/team with an explicit deny in a resource-based policy"
    );
    // Other actions, and other repositories, are untouched.
    op(
        &service,
        &admin(),
        "DescribeRepository",
        "domain=acme&repository=team",
        None,
    )
    .await
    .assert_ok();
    let got = op(
        &service,
        &admin(),
        "GetRepositoryPermissionsPolicy",
        "domain=acme&repository=team",
        None,
    )
    .await
    .assert_ok();
    assert_eq!(
        got["policy"]["resourceArn"],
        "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/team"
    );
}

#[tokio::test]
async fn a_repository_policy_admits_another_account_to_that_repository_only() {
    let service = service_at(t0());
    op(
        &service,
        &admin(),
        "PutRepositoryPermissionsPolicy",
        "domain=acme&repository=releases",
        Some(json!({"policyDocument": admits("arn:aws:iam::999999999999:root", "codeartifact:Describe*")})),
    )
    .await
    .assert_ok();
    op(
        &service,
        &outsider(),
        "DescribeRepository",
        "domain=acme&domain-owner=111122223333&repository=releases",
        None,
    )
    .await
    .assert_ok();
    op(
        &service,
        &outsider(),
        "DescribeRepository",
        "domain=acme&domain-owner=111122223333&repository=team",
        None,
    )
    .await
    .assert_error(403, "AccessDeniedException");
}

#[tokio::test]
async fn policies_the_mock_would_not_enforce_are_refused() {
    let service = service_at(t0());
    let with_condition =
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}]})
        .to_string();
    let answer = op(
        &service,
        &admin(),
        "PutDomainPermissionsPolicy",
        "",
        Some(json!({"domain": "acme", "policyDocument": with_condition})),
    )
    .await;
    answer.assert_error(400, "ValidationException");
    assert!(
        answer.message().contains("Condition is not supported"),
        "{}",
        answer.message()
    );
}
