use std::time::Duration;

use bytes::Bytes;
use http::Request;

use crate::util::*;

/// The identity allowed every CodeArtifact action (not sts:GetServiceBearerToken).
fn all_codeartifact() -> Signing {
    Signing::key("AKIANOSTSEXAMPLE0001", "nosts/secret/EXAMPLEKEY", t0())
}

/// The session identity allowed everything, for tokens.
fn everything() -> Signing {
    Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1")
}

fn endpoint_request(query: &str, signing: &Signing) -> Request<Bytes> {
    let mut req = request("GET", &format!("/v1/repository/endpoint?{query}"), b"");
    sign_request(&mut req, signing);
    req
}

#[tokio::test]
async fn the_endpoint_is_a_url_on_the_mock_itself_ending_in_a_slash() {
    let service = service_at(t0());
    let answer = call(
        &service,
        endpoint_request(
            "domain=acme&repository=releases&format=pypi",
            &all_codeartifact(),
        ),
    )
    .await;
    let body = answer.assert_ok();
    assert_eq!(
        body,
        serde_json::json!({"repositoryEndpoint": "http://127.0.0.1:8080/d/acme-111122223333/us-east-1/pypi/releases/"})
    );
    let model = codeartifact_mock::model::model();
    let op = model.operation("GetRepositoryEndpoint").unwrap();
    codeartifact_mock::model::output::check(model, op, &body).unwrap();
    // Another format, the dual-stack type: the same address.
    let body = call(
        &service,
        endpoint_request(
            "domain=acme&repository=team&format=npm&endpointType=dualstack&domain-owner=111122223333",
            &all_codeartifact(),
        ),
    )
    .await
    .assert_ok();
    assert_eq!(
        body["repositoryEndpoint"],
        "http://127.0.0.1:8080/d/acme-111122223333/us-east-1/npm/team/"
    );
}

#[tokio::test]
async fn unknown_repositories_domains_and_permissions_are_refused_as_aws_does() {
    let service = service_at(t0());
    let answer = call(
        &service,
        endpoint_request(
            "domain=acme&repository=nope&format=npm",
            &all_codeartifact(),
        ),
    )
    .await;
    answer.assert_error(404, "ResourceNotFoundException");
    assert_eq!(answer.json()["resourceType"], "repository");
    assert_eq!(answer.json()["resourceId"], "nope");
    assert_eq!(
        answer.message(),
        "Repository not found. Repository 'nope' in domain 'acme' owned by account '111122223333' does not exist"
    );
    let answer = call(
        &service,
        endpoint_request(
            "domain=ghost&repository=releases&format=npm",
            &all_codeartifact(),
        ),
    )
    .await;
    answer.assert_error(404, "ResourceNotFoundException");
    assert_eq!(answer.json()["resourceType"], "domain");
    // The dev identity may only get tokens.
    let answer = call(
        &service,
        endpoint_request(
            "domain=acme&repository=releases&format=npm",
            &Signing::dev(t0()),
        ),
    )
    .await;
    answer.assert_error(403, "AccessDeniedException");
    assert_eq!(
        answer.message(),
        "User: arn:aws:iam::111122223333:user/dev is not authorized to perform: codeartifact:GetRepositoryEndpoint on resource: arn:aws:codeartifact:us-east-1:111122223333:repository/acme/releases because no identity-based policy allows the codeartifact:GetRepositoryEndpoint action"
    );
    // A format outside the model's enum is the model's validation error.
    call(
        &service,
        endpoint_request(
            "domain=acme&repository=releases&format=zip",
            &all_codeartifact(),
        ),
    )
    .await
    .assert_error(400, "ValidationException");
}

/// A token for `domain` (owned by 111122223333), minted by `service` for the session identity.
async fn token(service: &codeartifact_mock::MockService, domain: &str) -> String {
    let answer = call(service, signed(&format!("domain={domain}"), &everything())).await;
    answer.assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn repository_get(
    service: &codeartifact_mock::MockService,
    path: &str,
    authorization: Option<String>,
) -> Answer {
    let mut builder = Request::builder()
        .method("GET")
        .uri(path)
        .header("host", "127.0.0.1:8080");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    call(service, builder.body(Bytes::new()).unwrap()).await
}

const SIMPLE: &str = "/d/acme-111122223333/us-east-1/pypi/releases/simple/";

#[tokio::test]
async fn a_repository_endpoint_asks_for_a_token_with_codeartifacts_challenge() {
    let service = service_at(t0());
    let answer = repository_get(&service, SIMPLE, None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(r#"Bearer realm="acme/releases", Basic realm="acme/releases""#)
    );
    for wrong in [
        "Bearer not-a-token",
        "Basic YXdzOm5vcGU=",
        "eyJ2ZXIiOjEsImlzdSI6",
    ] {
        let answer = repository_get(&service, SIMPLE, Some(wrong.to_owned())).await;
        assert_eq!(answer.status, 401, "{wrong}");
    }
}

#[tokio::test]
async fn the_mocks_own_token_opens_the_endpoint_in_every_form_until_it_expires() {
    let service = service_at(t0());
    let token = token(&service, "acme").await;
    let basic = format!(
        "Basic {}",
        base64_simd::STANDARD.encode_to_string(format!("aws:{token}"))
    );
    for authorization in [format!("Bearer {token}"), basic, token.clone()] {
        let answer = repository_get(&service, SIMPLE, Some(authorization)).await;
        // Accepted: the (empty) simple index.
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert!(std::str::from_utf8(&answer.body)
            .unwrap()
            .contains("<title>Simple index</title>"));
    }
    // A repository the domain does not have, with a good token: 404.
    let answer = repository_get(
        &service,
        "/d/acme-111122223333/us-east-1/npm/nope/left-pad",
        Some(format!("Bearer {token}")),
    )
    .await;
    assert_eq!(answer.status, 404);
    // Past the token's expiry by the server's clock: 401 again.
    service.clock().set(codeartifact_mock::ClockMode::Frozen(
        t0() + Duration::from_secs(43_201),
    ));
    let answer = repository_get(&service, SIMPLE, Some(format!("Bearer {token}"))).await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn a_token_for_another_domain_or_region_is_refused() {
    let service = service_at(t0());
    let shared = token(&service, "shared&domain-owner=444455556666").await;
    let answer = repository_get(&service, SIMPLE, Some(format!("Bearer {shared}"))).await;
    assert_eq!(answer.status, 401);
    let acme = token(&service, "acme").await;
    let answer = repository_get(
        &service,
        "/d/acme-111122223333/eu-west-1/pypi/releases/simple/",
        Some(format!("Bearer {acme}")),
    )
    .await;
    assert_eq!(
        answer.status, 401,
        "a us-east-1 token is no eu-west-1 token"
    );
}

#[tokio::test]
async fn the_real_host_shape_reaches_the_same_endpoint() {
    let service = service_at(t0());
    let host = "acme-111122223333.d.codeartifact.us-east-1.localhost:8080";
    let get = |authorization: Option<String>| {
        let mut builder = Request::builder()
            .method("GET")
            .uri("/pypi/releases/simple/")
            .header("host", host);
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(Bytes::new()).unwrap()
    };
    let answer = call(&service, get(None)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(r#"Bearer realm="acme/releases", Basic realm="acme/releases""#)
    );
    let token = token(&service, "acme").await;
    let answer = call(&service, get(Some(format!("Bearer {token}")))).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
}
