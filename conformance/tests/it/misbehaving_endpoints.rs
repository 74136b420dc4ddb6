//! Endpoints that are not a healthy codeartifact-mock, served by wiremock: the runner must
//! say clearly what is wrong, as a failed scenario or as a harness error (exit 2).

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::*;

/// Runs the suite (blocking) against an endpoint without stalling wiremock's runtime.
async fn run_against(url: String, args: &'static [&'static str]) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let client = fake();
        let mut all = vec!["--endpoint-url", url.as_str(), "--client", client.as_str()];
        all.extend_from_slice(args);
        run(&all)
    })
    .await
    .expect("runner thread")
}

/// A control API that accepts everything and reports an empty journal.
async fn fake_control_api(server: &MockServer, journal: ResponseTemplate) {
    for (verb, route) in [
        ("GET", "/_mock/health"),
        ("POST", "/_mock/reset"),
        ("PUT", "/_mock/config"),
        ("POST", "/_mock/scenario"),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/_mock/clock"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"now": humantime::format_rfc3339(std::time::SystemTime::now()).to_string()}),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/_mock/requests"))
        .respond_with(journal)
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_without_a_control_api_is_a_harness_error() {
    let server = MockServer::start().await;
    let output = run_against(server.uri(), &["--filter", "default-duration"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&format!("GET {}/_mock/health: status 404", server.uri())),
        "{err}"
    );
    assert!(
        err.contains("is this a codeartifact-mock with its control API on?"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_hands_out_garbage_fails_the_scenario_with_reasons() {
    let server = MockServer::start().await;
    fake_control_api(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"requests": []})),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/authorization-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"authorizationToken": "not-a-token", "expiration": 0})),
        )
        .mount(&server)
        .await;
    let output = run_against(server.uri(), &["--filter", "default-duration"]).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let line = line_of(&out, "default-duration");
    assert!(line.contains("expected a CodeArtifact token (five base64url parts starting eyJ2ZXIiOjEsImlzdSI6), got \"not-a-token\""), "{line}");
    assert!(line.contains("expected expiration"), "{line}");
    assert!(
        line.contains("expected 1 request(s) to reach the server, got 0"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_is_not_json_is_an_error_for_the_scenario() {
    let server = MockServer::start().await;
    fake_control_api(
        &server,
        ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
    )
    .await;
    let output = run_against(server.uri(), &["--filter", "unknown-domain"]).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let line = line_of(&out, "unknown-domain");
    assert!(line.starts_with("ERROR unknown-domain: "), "{line}");
    assert!(
        line.contains("/_mock/requests: the answer is not JSON: <html>oops</html>"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stuck_on_a_silent_endpoint_is_stopped_and_reported() {
    let server = MockServer::start().await;
    fake_control_api(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"requests": []})),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/authorization-token"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(30)))
        .mount(&server)
        .await;
    let output = run_against(
        server.uri(),
        &["--filter", "default-duration", "--timeout-seconds", "2"],
    )
    .await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        line_of(&out, "default-duration").contains("the client did not finish within 2 s"),
        "{out}"
    );
}
