use std::time::{Duration, SystemTime};

use codeartifact_mock::clock::unix_seconds;
use codeartifact_mock::service::ServiceConfig;
use codeartifact_mock::token::{ExpirationFormat, ZeroDurationPolicy};

use crate::util::*;

const T0: i64 = 1_795_867_200;

fn session(time: SystemTime) -> Signing {
    Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", time)
        .session("session-token-EXAMPLE-1")
}

fn key(id: &str, secret: &str) -> Signing {
    Signing::key(id, secret, t0())
}

#[tokio::test]
async fn mints_a_twelve_hour_token_by_default_with_aws_headers() {
    let service = service_at(t0());
    let answer = call(&service, signed("domain=acme", &Signing::dev(t0()))).await;
    let body = answer.assert_ok();
    assert_eq!(body["expiration"], T0 + 43_200);
    assert_eq!(body.as_object().unwrap().len(), 2);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("date"), Some("Sat, 28 Nov 2026 12:00:00 GMT"));
    let request_id = answer.header("x-amzn-RequestId").unwrap();
    let groups: Vec<usize> = request_id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{request_id}");
    assert!(answer.header("x-amzn-ErrorType").is_none());

    let token = body["authorizationToken"].as_str().unwrap();
    assert!(token.starts_with("eyJ2ZXIiOjEsImlzdSI6"));
    let claims = service.sealer().open(token, T0).unwrap();
    assert_eq!((claims.issued_at, claims.expires_at), (T0, T0 + 43_200));
    assert_eq!(
        (claims.domain.as_str(), claims.domain_owner.as_str()),
        ("acme", "111122223333")
    );
    assert_eq!(claims.principal, "arn:aws:iam::111122223333:user/dev");
    assert_eq!(claims.region, "us-east-1");
}

#[tokio::test]
async fn every_token_is_different() {
    let service = service_at(t0());
    let mut tokens = std::collections::HashSet::new();
    for _ in 0..20 {
        let body = call(&service, signed("domain=acme", &Signing::dev(t0())))
            .await
            .assert_ok();
        assert!(tokens.insert(body["authorizationToken"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test]
async fn custom_durations_set_the_expiration_exactly() {
    let service = service_at(t0());
    for duration in [900, 3600, 43_200] {
        let body = call(
            &service,
            signed(
                &format!("domain=acme&duration={duration}"),
                &Signing::dev(t0()),
            ),
        )
        .await
        .assert_ok();
        assert_eq!(body["expiration"], T0 + duration, "duration {duration}");
    }
}

#[tokio::test]
async fn durations_outside_zero_and_900_to_43200_are_invalid() {
    let service = service_at(t0());
    for (duration, constraint) in [
        (
            "899",
            "Member must be 0 or have value greater than or equal to 900",
        ),
        (
            "1",
            "Member must be 0 or have value greater than or equal to 900",
        ),
        (
            "43201",
            "Member must have value less than or equal to 43200",
        ),
        ("-1", "Member must have value greater than or equal to 0"),
    ] {
        let answer = call(
            &service,
            signed(
                &format!("domain=acme&duration={duration}"),
                &Signing::dev(t0()),
            ),
        )
        .await;
        answer.assert_error(400, "ValidationException");
        assert_eq!(
            answer.json(),
            serde_json::json!({
                "message": format!("1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: {constraint}"),
                "reason": "FIELD_VALIDATION_FAILED",
            })
        );
        assert_eq!(
            answer.header("x-amzn-ErrorType"),
            Some("ValidationException")
        );
    }
    let answer = call(
        &service,
        signed("domain=acme&duration=soon", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(400, "ValidationException");
    assert_eq!(answer.json()["reason"], "CANNOT_PARSE");
}

#[tokio::test]
async fn duration_zero_follows_the_session_credentials() {
    let service = service_at(t0());
    let body = call(&service, signed("domain=acme&duration=0", &session(t0())))
        .await
        .assert_ok();
    assert_eq!(body["expiration"], T0 + 3600);
    // Without duration, the session's lifetime does not matter: 12 hours.
    let body = call(&service, signed("domain=acme", &session(t0())))
        .await
        .assert_ok();
    assert_eq!(body["expiration"], T0 + 43_200);
}

#[tokio::test]
async fn duration_zero_with_long_term_keys_is_a_documented_choice() {
    let body = call(
        &service_at(t0()),
        signed("domain=acme&duration=0", &Signing::dev(t0())),
    )
    .await
    .assert_ok();
    assert_eq!(body["expiration"], T0 + 43_200);
    let strict = ServiceConfig {
        zero_duration: ZeroDurationPolicy::Reject,
        ..ServiceConfig::default()
    };
    let answer = call(
        &service_with(t0(), strict),
        signed("domain=acme&duration=0", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(400, "ValidationException");
}

#[tokio::test]
async fn expiration_can_be_spelled_as_a_java_double() {
    let config = ServiceConfig {
        expiration_format: ExpirationFormat::JavaDouble,
        ..ServiceConfig::default()
    };
    let answer = call(
        &service_with(t0(), config),
        signed("domain=acme", &Signing::dev(t0())),
    )
    .await;
    assert!(String::from_utf8_lossy(&answer.body).ends_with(",\"expiration\":1.7959104E9}"));
    assert_eq!(answer.json()["expiration"].as_f64(), Some(1_795_910_400.0));
}

#[tokio::test]
async fn the_domain_owner_defaults_to_the_callers_account() {
    let service = service_at(t0());
    call(
        &service,
        signed("domain=acme&domain-owner=111122223333", &Signing::dev(t0())),
    )
    .await
    .assert_ok();
    let answer = call(
        &service,
        signed("domain=acme&domain-owner=444455556666", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(404, "ResourceNotFoundException");
    assert_eq!(
        answer.message(),
        "Domain not found. Domain 'acme' owned by account '444455556666' does not exist"
    );
}

#[tokio::test]
async fn an_unknown_domain_is_not_found_with_its_modeled_members() {
    let answer = call(
        &service_at(t0()),
        signed("domain=nope", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(404, "ResourceNotFoundException");
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "message": "Domain not found. Domain 'nope' owned by account '111122223333' does not exist",
            "resourceId": "nope",
            "resourceType": "domain",
        })
    );
}

#[tokio::test]
async fn a_regional_domain_exists_only_in_its_region() {
    let service = service_at(t0());
    call(
        &service,
        signed("domain=euro-only", &Signing::dev(t0()).region("eu-west-1")),
    )
    .await
    .assert_ok();
    call(&service, signed("domain=euro-only", &Signing::dev(t0())))
        .await
        .assert_error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn another_accounts_domain_needs_its_policy() {
    let service = service_at(t0());
    call(
        &service,
        signed(
            "domain=shared&domain-owner=444455556666",
            &Signing::dev(t0()),
        ),
    )
    .await
    .assert_ok();
    let answer = call(
        &service,
        signed(
            "domain=private&domain-owner=444455556666",
            &Signing::dev(t0()),
        ),
    )
    .await;
    answer.assert_error(403, "AccessDeniedException");
    assert_eq!(
        answer.message(),
        "User: arn:aws:iam::111122223333:user/dev is not authorized to perform: codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:us-east-1:444455556666:domain/private"
    );
    let outsider = key("AKIAOUTSIDEREXAMPLE1", "outsider/secret/EXAMPLEKEY");
    call(
        &service,
        signed("domain=shared&domain-owner=444455556666", &outsider),
    )
    .await
    .assert_error(403, "AccessDeniedException");
}

#[tokio::test]
async fn a_domain_policy_can_name_a_role_for_all_its_sessions() {
    let service = service_at(t0());
    let ci =
        key("ASIACIEXAMPLE0000001", "ci/secret/EXAMPLEKEY").session("session-token-EXAMPLE-ci");
    call(
        &service,
        signed("domain=role-only&domain-owner=444455556666", &ci),
    )
    .await
    .assert_ok();
    call(
        &service,
        signed(
            "domain=role-only&domain-owner=444455556666",
            &Signing::dev(t0()),
        ),
    )
    .await
    .assert_error(403, "AccessDeniedException");
}

#[tokio::test]
async fn each_missing_permission_is_named() {
    let service = service_at(t0());
    let answer = call(
        &service,
        signed(
            "domain=acme",
            &key("AKIANOCAEXAMPLE00001", "noca/secret/EXAMPLEKEY"),
        ),
    )
    .await;
    answer.assert_error(403, "AccessDeniedException");
    assert_eq!(
        answer.message(),
        "User: arn:aws:iam::111122223333:user/no-codeartifact is not authorized to perform: codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:us-east-1:111122223333:domain/acme because no identity-based policy allows the codeartifact:GetAuthorizationToken action"
    );
    let answer = call(
        &service,
        signed(
            "domain=acme",
            &key("AKIANOSTSEXAMPLE0001", "nosts/secret/EXAMPLEKEY"),
        ),
    )
    .await;
    answer.assert_error(403, "AccessDeniedException");
    assert_eq!(
        answer.message(),
        "User: arn:aws:iam::111122223333:user/no-sts is not authorized to perform: sts:GetServiceBearerToken on resource: arn:aws:iam::111122223333:user/no-sts because no identity-based policy allows the sts:GetServiceBearerToken action"
    );
}

#[tokio::test]
async fn checks_run_in_aws_order() {
    let service = service_at(t0());
    let no_permission = key("AKIANOCAEXAMPLE00001", "noca/secret/EXAMPLEKEY");
    // Authentication before validation.
    call(
        &service,
        request("POST", "/v1/authorization-token?domain=BAD", b""),
    )
    .await
    .assert_error(403, "MissingAuthenticationTokenException");
    // Validation before authorization.
    call(&service, signed("domain=BAD", &no_permission))
        .await
        .assert_error(400, "ValidationException");
    // Authorization before the domain lookup.
    call(&service, signed("domain=nope", &no_permission))
        .await
        .assert_error(403, "AccessDeniedException");
}

#[tokio::test]
async fn validation_reports_every_problem_at_once() {
    let answer = call(
        &service_at(t0()),
        signed("domain-owner=12345", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(400, "ValidationException");
    assert_eq!(
        answer.message(),
        "3 validation errors detected: Value null at 'domain' failed to satisfy constraint: Member must not be null; Value '12345' at 'domainOwner' failed to satisfy constraint: Member must have length greater than or equal to 12; Value '12345' at 'domainOwner' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}"
    );
}

#[tokio::test]
async fn the_first_of_repeated_parameters_counts() {
    let body = call(
        &service_at(t0()),
        signed(
            "domain=acme&domain=other&duration=900&duration=1",
            &Signing::dev(t0()),
        ),
    )
    .await
    .assert_ok();
    assert_eq!(body["expiration"], T0 + 900);
}

#[tokio::test]
async fn other_paths_and_methods_are_unknown_operations() {
    let service = service_at(t0());
    for (method, target) in [
        ("GET", "/v1/authorization-token?domain=acme"),
        ("PATCH", "/v1/domain?domain=acme"),
        ("POST", "/v1/no-such-operation"),
        ("POST", "/"),
    ] {
        let mut req = request(method, target, b"");
        sign_request(&mut req, &Signing::dev(t0()));
        call(&service, req)
            .await
            .assert_error(404, "UnknownOperationException");
    }
}

#[tokio::test]
async fn every_modeled_operation_is_routed_validated_and_journaled() {
    let service = service_at(t0());
    let model = codeartifact_mock::model::model();
    for op in model.operations() {
        // No parameters at all: the model's required members are missing.
        let mut req = request(op.method.as_str(), &op.path, b"");
        sign_request(&mut req, &Signing::dev(t0()));
        let answer = call(&service, req).await;
        let input = op
            .input
            .as_deref()
            .and_then(|name| model.shape(name))
            .unwrap();
        let required: Vec<&str> = input
            .members
            .iter()
            .filter(|m| input.required.contains(&m.name))
            .map(|m| m.name.as_str())
            .collect();
        let implemented = codeartifact_mock::api::Operation::named(&op.name)
            .unwrap()
            .is_implemented();
        if required.is_empty() && implemented {
            // The dev identity may only get tokens: the operation itself refuses it.
            answer.assert_error(403, "AccessDeniedException");
        } else if required.is_empty() {
            answer.assert_error(501, "NotImplementedException");
            assert!(answer.message().contains(&op.name), "{}", answer.message());
        } else {
            answer.assert_error(400, "ValidationException");
            for member in required {
                assert!(
                    answer
                        .message()
                        .contains(&format!("Value null at '{member}' failed to satisfy constraint: Member must not be null")),
                    "{}: {}",
                    op.name,
                    answer.message()
                );
            }
        }
    }
    let journal = control(&service, "GET", "/_mock/requests", "").await.json();
    let operations: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = model
        .operations()
        .iter()
        .map(|op| op.name.as_str())
        .collect();
    assert_eq!(
        operations, expected,
        "the journal names every routed operation"
    );
}

#[tokio::test]
async fn the_date_header_follows_the_server_clock() {
    let later = t0() + Duration::from_secs(86_400);
    let answer = call(
        &service_at(later),
        signed("domain=acme", &Signing::dev(later)),
    )
    .await;
    assert_eq!(answer.header("date"), Some("Sun, 29 Nov 2026 12:00:00 GMT"));
    assert_eq!(answer.json()["expiration"], unix_seconds(later) + 43_200);
}
