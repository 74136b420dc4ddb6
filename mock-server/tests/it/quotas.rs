//! CodeArtifact's request-rate quotas with `--enforce-quotas`, on the server's clock (stopped
//! here, so every run counts the same): an operation's quota on the API, an account's reads
//! and an address's requests without a token at the repositories, each answered as the
//! service throttles and reset by the next second; and nothing of it without the switch.

use std::time::Duration;

use bytes::Bytes;
use codeartifact_mock::{MockService, ServiceConfig};
use http::Request;

use crate::util::*;

fn service(enforce_quotas: bool) -> MockService {
    service_with(
        t0(),
        ServiceConfig {
            enforce_quotas,
            ..ServiceConfig::default()
        },
    )
}

fn dev() -> Signing {
    Signing::dev(t0())
}

#[tokio::test]
async fn the_token_api_takes_40_a_second_then_throttles_until_the_next_second() {
    let service = service(true);
    for _ in 0..40 {
        call(&service, signed("domain=acme", &dev()))
            .await
            .assert_ok();
    }
    let throttled = call(&service, signed("domain=acme", &dev())).await;
    throttled.assert_error(429, "ThrottlingException");
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert!(
        throttled
            .message()
            .contains("GetAuthorizationToken requests per second (40)"),
        "{}",
        throttled.message()
    );
    // One second later on the server's clock (requests signed then, too).
    control(
        &service,
        "PUT",
        "/_mock/clock",
        r#"{"frozen_at": "2026-11-28T12:00:01Z"}"#,
    )
    .await
    .assert_ok();
    let later = Signing::dev(t0() + Duration::from_secs(1));
    call(&service, signed("domain=acme", &later))
        .await
        .assert_ok();
}

#[tokio::test]
async fn without_the_switch_nothing_is_throttled() {
    let service = service(false);
    for _ in 0..100 {
        call(&service, signed("domain=acme", &dev()))
            .await
            .assert_ok();
    }
}

async fn repository_get(service: &MockService, token: Option<&str>) -> Answer {
    let mut request = Request::get("/d/acme-111122223333/us-east-1/npm/releases/left-pad")
        .header("host", "127.0.0.1:8080");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    call(service, request.body(Bytes::new()).unwrap()).await
}

#[tokio::test]
async fn the_repositories_throttle_an_accounts_reads_past_800_and_an_address_without_a_token_past_600(
) {
    let service = service(true);
    let everything = Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1");
    let token = call(&service, signed("domain=acme", &everything))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..600 {
        assert_eq!(repository_get(&service, None).await.status, 401);
    }
    let anonymous = repository_get(&service, None).await;
    assert_eq!(
        (anonymous.status, anonymous.header("retry-after")),
        (429, Some("1"))
    );
    assert!(
        anonymous
            .message()
            .contains("without a token from one address (600)"),
        "{}",
        anonymous.message()
    );
    // The token's own quota is apart from the address's; the account has made one read (the
    // token request) of its 800.
    for _ in 0..799 {
        assert_eq!(
            repository_get(&service, Some(&token)).await.status,
            404,
            "nothing published: 404, counted"
        );
    }
    let reads = repository_get(&service, Some(&token)).await;
    assert_eq!(
        reads.status,
        429,
        "800 reads a second from one account: {}",
        reads.message()
    );
    assert!(
        reads
            .message()
            .contains("read requests per second from one account (800)"),
        "{}",
        reads.message()
    );
}

/// A scenario's `[quotas]` turns the quotas on without the switch and spends one, so the next
/// call is throttled; a reset turns them off again.
#[tokio::test]
async fn a_scenario_applies_the_quotas_and_spends_them_until_a_reset() {
    let service = service(false);
    let scenario = r#"
name = "burst"
clock = { frozen_at = "2026-11-28T12:00:00Z" }
[quotas]
enforce = true
[[quotas.spent]]
operation = "GetAuthorizationToken"
account = "111122223333"
requests = 40
"#;
    control(&service, "POST", "/_mock/scenario", scenario)
        .await
        .assert_ok();
    call(&service, signed("domain=acme", &dev()))
        .await
        .assert_error(429, "ThrottlingException");
    control(&service, "POST", "/_mock/reset", "")
        .await
        .assert_ok();
    control(
        &service,
        "PUT",
        "/_mock/clock",
        r#"{"frozen_at": "2026-11-28T12:00:00Z"}"#,
    )
    .await
    .assert_ok();
    call(&service, signed("domain=acme", &dev()))
        .await
        .assert_ok();
    let refused = control(
        &service,
        "POST",
        "/_mock/scenario",
        "name = \"x\"\n[[quotas.spent]]\noperation = \"DescribeDomain\"\naccount = \"111122223333\"\nrequests = 1\n",
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body_text());
    assert!(
        refused.body_text().contains("has no quota of its own"),
        "{}",
        refused.body_text()
    );
}
