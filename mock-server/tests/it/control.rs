use std::time::Duration;

use codeartifact_mock::service::ServiceConfig;
use codeartifact_mock::sigv4::SecretKey;
use serde_json::{json, Value};

use crate::util::*;

fn journal_statuses(journal: &Value) -> Vec<Value> {
    journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].clone())
        .collect()
}

#[tokio::test]
async fn health_answers_while_serving() {
    let answer = control(&service_at(t0()), "GET", "/_mock/health", "").await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"status": "ok"}))
    );
}

#[tokio::test]
async fn unknown_endpoints_and_methods_are_refused() {
    let service = service_at(t0());
    assert_eq!(
        control(&service, "GET", "/_mock/nothing", "").await.status,
        404
    );
    assert_eq!(
        control(&service, "DELETE", "/_mock/health", "")
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn an_injected_throttle_answers_like_aws_then_lets_requests_through() {
    let service = service_at(t0());
    let added = control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"error": "ThrottlingException", "retry_after_seconds": 2}"#,
    )
    .await;
    assert_eq!((added.status, added.json()), (200, json!({"id": 1})));

    let answer = call(&service, signed("domain=acme", &Signing::dev(t0()))).await;
    answer.assert_error(429, "ThrottlingException");
    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("ThrottlingException")
    );
    assert_eq!(answer.header("retry-after"), Some("2"));
    assert_eq!(answer.json(), json!({"message": "Rate exceeded"}));
    assert!(answer.header("x-amzn-RequestId").is_some() && answer.header("date").is_some());
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();

    let rules = control(&service, "GET", "/_mock/faults", "").await.json();
    assert_eq!(rules["faults"][0]["fired"], 1);
    assert_eq!(rules["faults"][0]["times"], 1);
}

#[tokio::test]
async fn every_error_code_answers_with_its_status_header_and_message() {
    let service = service_at(t0());
    for (rule, status, error_type) in [
        (r#"{"error": "InternalServerException"}"#, 500, "InternalServerException"),
        (r#"{"error": "ServiceUnavailableException"}"#, 503, "ServiceUnavailableException"),
        (r#"{"error": "AccessDeniedException", "message": "nope"}"#, 403, "AccessDeniedException"),
        (
            r#"{"error": "UnrecognizedClientException"}"#,
            403,
            "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        ),
        (r#"{"error": "ThrottlingException", "status": 400}"#, 400, "ThrottlingException"),
    ] {
        control(&service, "POST", "/_mock/faults", rule).await;
        let answer = call(&service, signed("domain=acme", &Signing::dev(t0()))).await;
        assert_eq!((answer.status, answer.header("x-amzn-ErrorType")), (status, Some(error_type)), "{rule}");
        assert!(answer.json()["message"].is_string());
    }
}

#[tokio::test]
async fn a_bare_status_has_no_aws_error_type() {
    let service = service_at(t0());
    for status in [502u16, 504] {
        control(
            &service,
            "POST",
            "/_mock/faults",
            &format!(r#"{{"status": {status}}}"#),
        )
        .await;
        let answer = call(&service, signed("domain=acme", &Signing::dev(t0()))).await;
        assert_eq!(answer.status, status);
        assert_eq!(answer.header("x-amzn-ErrorType"), None);
    }
}

#[tokio::test(start_paused = true)]
async fn a_delay_answers_late_and_then_normally() {
    let service = service_at(t0());
    control(&service, "POST", "/_mock/faults", r#"{"delay_ms": 2500}"#).await;
    let started = tokio::time::Instant::now();
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    let started = tokio::time::Instant::now();
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[tokio::test]
async fn transport_faults_close_or_corrupt_the_answer() {
    let service = service_at(t0());
    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"action": "reset_connection"}"#,
    )
    .await;
    let reply = service
        .handle(signed("domain=acme", &Signing::dev(t0())))
        .await;
    assert!(
        reply.into_response().is_none(),
        "the connection is closed without a response"
    );

    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"action": "malformed_body"}"#,
    )
    .await;
    let answer = call(&service, signed("domain=acme", &Signing::dev(t0()))).await;
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());

    let journal = control(&service, "GET", "/_mock/requests", "").await.json();
    assert_eq!(journal_statuses(&journal), [Value::Null, json!(200)]);
    assert_eq!(journal["requests"][0]["fault"], 1);
}

#[test]
fn transport_faults_reach_the_socket() {
    let server = MockProcess::start(&[]);
    let now = std::time::SystemTime::now();
    let example = || {
        signed(
            "domain=test-domain",
            &Signing::key(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                now,
            ),
        )
    };
    control_http(
        &server.url,
        "POST",
        "/_mock/faults",
        r#"{"action": "reset_connection"}"#,
    );
    let (status, text) = raw_exchange(&server.url, &to_wire(&example()));
    assert_eq!((status, text.as_str()), (0, ""), "no response at all");

    control_http(
        &server.url,
        "POST",
        "/_mock/faults",
        r#"{"action": "truncate_body"}"#,
    );
    let (status, text) = raw_exchange(&server.url, &to_wire(&example()));
    assert_eq!(status, 200);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let declared: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    assert!(
        body.len() < declared,
        "sent {} of {declared} bytes",
        body.len()
    );
}

#[tokio::test]
async fn rules_fire_in_order_on_what_they_match() {
    let service = service_at(t0());
    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"error": "InternalServerException", "domain": "other", "times": 0}"#,
    )
    .await;
    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"error": "ThrottlingException", "access_key_id": "AKIANOSTSEXAMPLE0001"}"#,
    )
    .await;
    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"error": "AccessDeniedException", "operation": "GetAuthorizationToken", "times": 2}"#,
    )
    .await;
    let dev = Signing::dev(t0());
    call(&service, signed("domain=other", &dev))
        .await
        .assert_error(500, "InternalServerException");
    call(&service, signed("domain=other", &dev))
        .await
        .assert_error(500, "InternalServerException");
    call(&service, signed("domain=acme", &dev))
        .await
        .assert_error(403, "AccessDeniedException");
    let no_sts = Signing::key("AKIANOSTSEXAMPLE0001", "nosts/secret/EXAMPLEKEY", t0());
    call(&service, signed("domain=acme", &no_sts))
        .await
        .assert_error(429, "ThrottlingException");
    call(&service, signed("domain=acme", &dev))
        .await
        .assert_error(403, "AccessDeniedException");
    call(&service, signed("domain=acme", &dev))
        .await
        .assert_ok();
}

#[tokio::test]
async fn invalid_rules_are_refused_with_the_reason() {
    let service = service_at(t0());
    for (rule, reason) in [
        (
            r#"{"error": "NoSuchException"}"#,
            "unknown error code 'NoSuchException'",
        ),
        (r#"{"times": 1}"#, "needs at least one of"),
        (r#"{"eror": "ThrottlingException"}"#, "unknown field `eror`"),
        (r#"{"action": "explode"}"#, "unknown variant `explode`"),
        ("not json", "invalid fault rule"),
    ] {
        let answer = control(&service, "POST", "/_mock/faults", rule).await;
        assert_eq!(answer.status, 400, "{rule}");
        assert!(
            answer.message().contains(reason),
            "{rule}: {}",
            answer.message()
        );
    }
    assert_eq!(
        control(&service, "GET", "/_mock/faults", "").await.json(),
        json!({"faults": []})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_fires_exactly_times_under_parallel_requests() {
    let service = service_at(t0());
    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"error": "ThrottlingException", "times": 5}"#,
    )
    .await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move {
                call(&service, signed("domain=acme", &Signing::dev(t0())))
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 5);
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 11);
    assert_eq!(
        control(&service, "GET", "/_mock/faults", "").await.json()["faults"][0]["fired"],
        5
    );
}

#[tokio::test]
async fn the_journal_records_requests_in_order_without_secrets() {
    let service = service_at(t0());
    let session = Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1");
    let mut ok = signed("domain=acme&duration=900", &session);
    ok.headers_mut().insert(
        "user-agent",
        "aws-cli/2.9.19 command/codeartifact.get-authorization-token"
            .parse()
            .unwrap(),
    );
    let signature = signature_of(&ok);
    let token = call(&service, ok).await.assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let presigned = signed(
        "domain=nope",
        &Signing::dev(t0()).presigned(Duration::from_secs(60)),
    );
    call(&service, presigned)
        .await
        .assert_error(404, "ResourceNotFoundException");
    call(
        &service,
        request("POST", "/v1/authorization-token?domain=acme", b""),
    )
    .await;

    let journal = control(&service, "GET", "/_mock/requests", "").await.json();
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let first = &entries[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1/authorization-token");
    assert_eq!(first["query"], json!({"domain": "acme", "duration": "900"}));
    assert_eq!(first["operation"], "GetAuthorizationToken");
    assert_eq!(first["access_key_id"], "ASIASESSIONEXAMPLE01");
    assert_eq!(
        (first["status"].clone(), first["error"].clone()),
        (json!(200), Value::Null)
    );
    assert_eq!(first["authenticated"], true);
    assert_eq!(first["timestamp"], "2026-11-28T12:00:00.000Z");
    assert_eq!(
        first["user_agent"],
        "aws-cli/2.9.19 command/codeartifact.get-authorization-token"
    );
    assert_eq!(
        (entries[1]["status"].clone(), entries[1]["error"].clone()),
        (json!(404), json!("ResourceNotFoundException"))
    );
    assert_eq!(entries[1]["access_key_id"], DEV_KEY);
    assert!(entries[1]["query"].get("X-Amz-Signature").is_none());
    assert_eq!(
        (
            entries[2]["authenticated"].clone(),
            entries[2]["access_key_id"].clone()
        ),
        (json!(false), Value::Null)
    );

    let text = journal.to_string();
    for secret in [
        "session/secret/EXAMPLEKEY",
        "session-token-EXAMPLE-1",
        DEV_SECRET,
        &signature,
        &token,
    ] {
        assert!(!text.contains(secret), "the journal leaked {secret}");
    }
    control(&service, "DELETE", "/_mock/requests", "").await;
    assert_eq!(
        control(&service, "GET", "/_mock/requests", "").await.json()["requests"],
        json!([])
    );
}

#[tokio::test]
async fn the_journal_keeps_only_the_newest_entries() {
    let config = ServiceConfig {
        journal_capacity: 3,
        ..ServiceConfig::default()
    };
    let service = service_with(t0(), config);
    for duration in [900, 1000, 1100, 1200, 1300] {
        call(
            &service,
            signed(
                &format!("domain=acme&duration={duration}"),
                &Signing::dev(t0()),
            ),
        )
        .await
        .assert_ok();
    }
    let journal = control(&service, "GET", "/_mock/requests", "").await.json();
    let durations: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["query"]["duration"].as_str().unwrap())
        .collect();
    assert_eq!(durations, ["1100", "1200", "1300"]);
    assert_eq!(journal["capacity"], 3);
}

#[tokio::test]
async fn config_is_shown_without_secrets_and_replaced_as_toml_or_json() {
    let service = service_at(t0());
    let shown = control(&service, "GET", "/_mock/config", "").await.json();
    let text = shown.to_string();
    assert!(
        text.contains("AKIADEVEXAMPLE000001")
            && text.contains("arn:aws:iam::111122223333:user/dev")
    );
    assert!(!text.contains("dev/secret/EXAMPLEKEY") && !text.contains("session-token-EXAMPLE"));
    let session = shown["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["access_key_id"] == "ASIASESSIONEXAMPLE01")
        .unwrap();
    assert_eq!(session["expires_at"], "2026-11-28T13:00:00Z");

    let toml = "regions = [\"us-east-1\"]\n[[domains]]\nname = \"fresh\"\nowner = \"123456789012\"\n[[identities]]\narn = \"arn:aws:iam::123456789012:user/new\"\naccess_key_id = \"AKIANEWEXAMPLE000001\"\nsecret_access_key = \"new-secret\"\nallow = [\"*\"]\n";
    assert_eq!(
        control(&service, "PUT", "/_mock/config", toml).await.status,
        200
    );
    call(
        &service,
        signed(
            "domain=fresh",
            &Signing::key("AKIANEWEXAMPLE000001", "new-secret", t0()),
        ),
    )
    .await
    .assert_ok();
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_error(403, "UnrecognizedClientException");

    let json_fixture = r#"{"regions": ["us-east-1"], "domains": [{"name": "json-domain", "owner": "123456789012"}], "identities": [{"arn": "arn:aws:iam::123456789012:user/j", "access_key_id": "AKIAJSONEXAMPLE00001", "secret_access_key": "j", "allow": ["*"]}]}"#;
    assert_eq!(
        control(&service, "PUT", "/_mock/config", json_fixture)
            .await
            .status,
        200
    );
    call(
        &service,
        signed(
            "domain=json-domain",
            &Signing::key("AKIAJSONEXAMPLE00001", "j", t0()),
        ),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn a_bad_config_is_refused_with_the_fixture_error_and_changes_nothing() {
    let service = service_at(t0());
    let answer = control(
        &service,
        "PUT",
        "/_mock/config",
        "regions = [\"us-east-1\"]\n[[domains]]\nname = \"Bad\"\nowner = \"111122223333\"\n",
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.message(),
        r"<request body>:3: invalid domain name 'Bad': must match [a-z][a-z0-9\-]{0,48}[a-z0-9]"
    );
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();
}

#[tokio::test]
async fn the_clock_can_be_shifted_frozen_and_restored() {
    let service = service_at(t0());
    let shown = control(
        &service,
        "PUT",
        "/_mock/clock",
        r#"{"frozen_at": "2026-11-28T12:03:00Z"}"#,
    )
    .await
    .json();
    assert_eq!(shown["frozen_at"], "2026-11-28T12:03:00Z");
    let answer = call(
        &service,
        signed("domain=acme&duration=900", &Signing::dev(t0())),
    )
    .await;
    assert_eq!(answer.header("date"), Some("Sat, 28 Nov 2026 12:03:00 GMT"));
    assert_eq!(answer.json()["expiration"], 1_795_867_380 + 900);

    // Twenty minutes ahead: a signature made now is already expired.
    let shown = control(
        &service,
        "PUT",
        "/_mock/clock",
        r#"{"offset_seconds": 1200}"#,
    )
    .await
    .json();
    assert_eq!(shown["offset_seconds"], 1200);
    let now = std::time::SystemTime::now();
    let answer = call(&service, signed("domain=acme", &Signing::dev(now))).await;
    answer.assert_error(403, "InvalidSignatureException");
    assert!(
        answer.message().starts_with("Signature expired: "),
        "{}",
        answer.message()
    );

    control(&service, "PUT", "/_mock/clock", "{}").await;
    call(
        &service,
        signed("domain=acme", &Signing::dev(std::time::SystemTime::now())),
    )
    .await
    .assert_ok();
    let answer = control(
        &service,
        "PUT",
        "/_mock/clock",
        r#"{"offset_seconds": 1, "frozen_at": "2026-01-01T00:00:00Z"}"#,
    )
    .await;
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn reset_returns_to_the_start() {
    let service = service_at(t0());
    control(
        &service,
        "POST",
        "/_mock/faults",
        r#"{"error": "ThrottlingException", "times": 0}"#,
    )
    .await;
    control(&service, "PUT", "/_mock/clock", r#"{"offset_seconds": 99}"#).await;
    control(
        &service,
        "PUT",
        "/_mock/config",
        "regions = [\"eu-west-1\"]\n",
    )
    .await;
    call(&service, signed("domain=acme", &Signing::dev(t0()))).await;
    assert_eq!(
        control(&service, "POST", "/_mock/reset", "").await.status,
        200
    );
    assert_eq!(
        control(&service, "GET", "/_mock/faults", "").await.json(),
        json!({"faults": []})
    );
    assert_eq!(
        control(&service, "GET", "/_mock/requests", "").await.json()["requests"],
        json!([])
    );
    let clock = control(&service, "GET", "/_mock/clock", "").await.json();
    assert!(
        clock.get("offset_seconds").is_none() && clock.get("frozen_at").is_none(),
        "{clock}"
    );
    call(
        &service,
        signed("domain=acme", &Signing::dev(std::time::SystemTime::now())),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn a_posted_scenario_is_played_in_order() {
    let service = service_at(t0());
    let scenario = "name = \"flaky\"\n[fixture]\nregions = [\"us-east-1\", \"eu-west-1\", \"ap-south-1\"]\n[[faults]]\nerror = \"ThrottlingException\"\n[[faults]]\nerror = \"InternalServerException\"\n";
    let answer = control(&service, "POST", "/_mock/scenario", scenario).await;
    assert_eq!(answer.json(), json!({"name": "flaky", "faults": [1, 2]}));
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_error(429, "ThrottlingException");
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_error(500, "InternalServerException");
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();
    // The fixture override added a region.
    call(
        &service,
        signed("domain=acme", &Signing::dev(t0()).region("ap-south-1")),
    )
    .await
    .assert_ok();

    let bad = control(
        &service,
        "POST",
        "/_mock/scenario",
        "name = \"x\"\n[[faults]]\nerror = \"Nope\"\n",
    )
    .await;
    assert_eq!(
        (bad.status, bad.message()),
        (
            400,
            "<request body>:2: invalid fault: unknown error code 'Nope'".to_owned()
        )
    );
}

#[tokio::test]
async fn an_admin_token_guards_the_control_api_only() {
    let config = ServiceConfig {
        admin_token: Some(SecretKey::new("s3cret")),
        ..ServiceConfig::default()
    };
    let service = service_with(t0(), config);
    let answer = control(&service, "GET", "/_mock/health", "").await;
    assert_eq!(
        (answer.status, answer.header("www-authenticate")),
        (401, Some("Bearer"))
    );
    let mut req = http::Request::builder()
        .method("GET")
        .uri("/_mock/health")
        .header("authorization", "Bearer wrong")
        .body(bytes::Bytes::new())
        .unwrap();
    assert_eq!(call(&service, req.clone()).await.status, 401);
    req.headers_mut()
        .insert("authorization", "Bearer s3cret".parse().unwrap());
    assert_eq!(call(&service, req).await.status, 200);
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();
}

#[tokio::test]
async fn without_the_control_api_mock_paths_are_plain_aws_requests() {
    let config = ServiceConfig {
        control_enabled: false,
        ..ServiceConfig::default()
    };
    let answer = control(&service_with(t0(), config), "GET", "/_mock/health", "").await;
    answer.assert_error(403, "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn every_shipped_scenario_loads_and_plays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    let mut played = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# "),
            "{}: starts with a comment naming the incident",
            path.display()
        );
        let scenario =
            codeartifact_mock::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            path.file_stem().unwrap().to_str().unwrap(),
            scenario.name,
            "file name and scenario name agree"
        );
        let service = codeartifact_mock::MockService::new(
            &codeartifact_mock::fixture::Fixture::embedded_default(),
            ServiceConfig::default(),
        );
        let ids = scenario.apply(&service).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids.len(), scenario.faults.len());
        played += 1;
    }
    assert!(played >= 12, "only {played} scenarios");
}

/// A control call with `host` as its `Host` header (none for `None`).
async fn control_at(
    service: &codeartifact_mock::MockService,
    host: Option<&str>,
    authorization: Option<&str>,
) -> u16 {
    let mut builder = http::Request::builder().method("GET").uri("/_mock/health");
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    if let Some(authorization) = authorization {
        builder = builder.header("authorization", authorization);
    }
    call(service, builder.body(bytes::Bytes::new()).unwrap())
        .await
        .status
}

#[tokio::test]
async fn without_an_admin_token_only_requests_to_a_loopback_name_reach_the_control_api() {
    let service = service_at(t0());
    for host in ["localhost:8080", "127.0.0.1:1", "[::1]:8080", "localhost"] {
        assert_eq!(control_at(&service, Some(host), None).await, 200, "{host}");
    }
    // What a browser sends after a page rebinds its own name to 127.0.0.1.
    for host in [
        Some("attacker.example"),
        Some("attacker.example:8080"),
        Some("127.0.0.1.attacker.example:8080"),
        None,
    ] {
        assert_eq!(control_at(&service, host, None).await, 403, "{host:?}");
    }
    let helper = control(&service, "GET", "/_mock/health", "").await;
    assert_eq!(helper.status, 200, "the test helper names 127.0.0.1");
    // With an admin token the token decides, whatever the name; its scheme in any case.
    let guarded = service_with(
        t0(),
        ServiceConfig {
            admin_token: Some(SecretKey::new("s3cret")),
            ..ServiceConfig::default()
        },
    );
    assert_eq!(
        control_at(
            &guarded,
            Some("mock.ci.internal:8080"),
            Some("bearer s3cret")
        )
        .await,
        200
    );
    assert_eq!(
        control_at(
            &guarded,
            Some("mock.ci.internal:8080"),
            Some("BEARER  s3cret")
        )
        .await,
        200
    );
    assert_eq!(
        control_at(
            &guarded,
            Some("mock.ci.internal:8080"),
            Some("Basic s3cret")
        )
        .await,
        401
    );
}

#[tokio::test]
async fn a_fixture_sent_to_the_control_api_seeds_only_the_built_in_files() {
    let service = service_at(t0());
    let fixture = |file: &str| {
        format!(
            "regions = [\"us-east-1\"]\n[[domains]]\nname = \"acme\"\nowner = \"111122223333\"\n\
             [[repositories]]\ndomain = \"acme\"\nowner = \"111122223333\"\nname = \"store\"\n\
             [[packages]]\ndomain = \"acme\"\nowner = \"111122223333\"\nrepository = \"store\"\nformat = \"generic\"\n\
             namespace = \"x\"\nname = \"f\"\nversion = \"1\"\nfile = \"{file}\"\n"
        )
    };
    for file in [
        "/etc/passwd",
        "../../../../etc/passwd",
        "/dev/zero",
        "Cargo.toml",
    ] {
        let answer = control(&service, "PUT", "/_mock/config", &fixture(file)).await;
        assert_eq!(answer.status, 400, "{file}");
        let message = answer.message();
        assert!(
            message.contains("`file`") && message.contains("only the built-in files"),
            "{file}: {message}"
        );
    }
    let answer = control(
        &service,
        "PUT",
        "/_mock/config",
        &fixture("packages/mock-hello-1.0.0.tgz"),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
}
