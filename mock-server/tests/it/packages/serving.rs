//! Serving on a bad day and across the world: faults, expiry, regions, the embedded default's packages, retention through upstreams.

use super::*;

#[tokio::test]
async fn a_fault_can_play_a_registry_that_fails_mid_install() {
    let (service, token) = with_left_pad().await;
    service
        .faults()
        .add(serde_json::from_str(r#"{"format": "npm", "path_prefix": "/left-pad/-/", "status": 503, "retry_after_seconds": 2}"#).unwrap())
        .unwrap();
    // The packument is served; the tarball fails once, then is served.
    let packument = get(&service, &format!("{NPM}left-pad"), &token).await;
    assert_eq!(packument.status, 200);
    let tarball = format!("{NPM}left-pad/-/left-pad-1.3.0.tgz");
    let failed = get(&service, &tarball, &token).await;
    assert_eq!(
        (failed.status, failed.header("retry-after")),
        (503, None),
        "a bare status has no Retry-After"
    );
    let served = get(&service, &tarball, &token).await;
    assert_eq!(served.status, 200);
    // An AWS API rule leaves the registry alone.
    service
        .faults()
        .add(serde_json::from_str(r#"{"status": 500, "times": 0}"#).unwrap())
        .unwrap();
    assert_eq!(get(&service, &tarball, &token).await.status, 200);
}

#[tokio::test]
async fn the_clock_past_the_token_expiry_closes_the_registry() {
    let (service, token) = with_left_pad().await;
    assert_eq!(
        get(&service, &format!("{NPM}left-pad"), &token)
            .await
            .status,
        200
    );
    service.clock().set(codeartifact_mock::ClockMode::Frozen(
        t0() + Duration::from_secs(43_201),
    ));
    let refused = get(&service, &format!("{NPM}left-pad"), &token).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("www-authenticate"),
        Some(r#"Bearer realm="acme/releases", Basic realm="acme/releases""#)
    );
}

#[tokio::test]
async fn each_region_of_a_fixture_repository_has_its_own_packages() {
    let (service, token) = with_an_sdist().await;
    let mut eu = request("POST", "/v1/packages?domain=acme&repository=releases", b"");
    sign_request(&mut eu, &everything().region("eu-west-1"));
    assert_eq!(call(&service, eu).await.assert_ok()["packages"], json!([]));
    // And the team repository's own list is empty: it reads through, it does not hold.
    let team = api(
        &service,
        "POST",
        "/v1/packages?domain=acme&repository=team",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(team["packages"], json!([]));
    let page = get(&service, &format!("{TEAM_PYPI}simple/hello/"), &token).await;
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn the_embedded_default_serves_one_tiny_package_per_format_on_a_fresh_start() {
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(t0()));
    let service = codeartifact_mock::MockService::with_clock(
        &codeartifact_mock::Fixture::embedded_default(),
        codeartifact_mock::ServiceConfig::default(),
        clock,
    );
    let example = Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        t0(),
    );
    let answer = call(&service, signed("domain=test-domain", &example)).await;
    let token = answer.assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let wheel = include_bytes!("../../../fixtures/packages/mock_hello-1.0.0-py3-none-any.whl");
    let tarball = include_bytes!("../../../fixtures/packages/mock-hello-1.0.0.tgz");
    // Through test-repo, whose upstream is my-repo, in a region other than the first.
    for region in ["us-east-1", "eu-west-2"] {
        let base = format!("/d/test-domain-111122223333/{region}");
        let token = if region == "us-east-1" {
            token.clone()
        } else {
            let mut req = request("POST", "/v1/authorization-token?domain=test-domain", b"");
            sign_request(&mut req, &example.clone().region(region));
            call(&service, req).await.assert_ok()["authorizationToken"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let page = get(
            &service,
            &format!("{base}/pypi/test-repo/simple/mock-hello/"),
            &token,
        )
        .await;
        assert_eq!(page.status, 200, "{region}");
        assert!(String::from_utf8_lossy(&page.body).contains("data-requires-python=\"&gt;=3.8\""));
        let file = get(
            &service,
            &format!(
                "{base}/pypi/test-repo/simple/mock-hello/1.0.0/mock_hello-1.0.0-py3-none-any.whl"
            ),
            &token,
        )
        .await;
        assert_eq!(&file.body[..], &wheel[..]);
        let packument = get(
            &service,
            &format!("{base}/npm/test-repo/mock-hello"),
            &token,
        )
        .await
        .json();
        let integrity = format!(
            "sha512-{}",
            base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(tarball))
        );
        assert_eq!(
            packument["versions"]["1.0.0"]["dist"]["integrity"],
            integrity.as_str()
        );
        let tgz = get(
            &service,
            &format!("{base}/npm/test-repo/mock-hello/-/mock-hello-1.0.0.tgz"),
            &token,
        )
        .await;
        assert_eq!(&tgz.body[..], &tarball[..]);
    }
}

/// Whatever a client holding a good token sends to a registry, the answer is one of the
/// registries' statuses (never a 5xx but the 501 of a format not served), and the
/// repository stays readable and consistent.

#[tokio::test]
async fn repository_faults_reset_the_connection_or_cut_the_body_short() {
    let (service, token) = with_left_pad().await;
    let tarball = format!("{NPM}left-pad/-/left-pad-1.3.0.tgz");
    let request = || {
        Request::builder()
            .uri(tarball.as_str())
            .header("host", "127.0.0.1:8080")
            .header("authorization", format!("Bearer {token}"))
            .body(Bytes::new())
            .unwrap()
    };
    service
        .faults()
        .add(
            serde_json::from_str(r#"{"repository": "releases", "action": "reset_connection"}"#)
                .unwrap(),
        )
        .unwrap();
    assert!(
        service.handle(request()).await.into_response().is_none(),
        "closed without an answer"
    );
    service
        .faults()
        .add(serde_json::from_str(r#"{"format": "npm", "action": "truncate_body"}"#).unwrap())
        .unwrap();
    let response = service.handle(request()).await.into_response().unwrap();
    let mut body = response.into_body();
    assert_eq!(
        http_body::Body::size_hint(&body).exact(),
        Some(3),
        "announced whole"
    );
    let first = http_body_util::BodyExt::frame(&mut body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.into_data().unwrap(), &b"t"[..], "the first half");
    assert!(
        http_body_util::BodyExt::frame(&mut body)
            .await
            .unwrap()
            .is_err(),
        "then cut off"
    );
    // Each rule fired once: the next read is whole.
    assert_eq!(get(&service, &tarball, &token).await.body, &b"tgz"[..]);
}

#[tokio::test]
async fn a_file_fetched_through_an_upstream_is_retained_and_outlives_the_upstreams_copy() {
    let (service, token) = with_an_sdist().await;
    let file = format!("{TEAM_PYPI}simple/hello/1.0/hello-1.0.tar.gz");
    assert_eq!(get(&service, &file, &token).await.status, 200);
    let listed = api(
        &service,
        "POST",
        "/v1/packages?domain=acme&repository=team",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(listed["packages"][0]["package"], "hello", "{listed}");
    api(
        &service,
        "DELETE",
        "/v1/package?domain=acme&repository=releases&format=pypi&package=hello",
        b"",
    )
    .await
    .assert_ok();
    let again = get(&service, &file, &token).await;
    assert_eq!((again.status, &again.body[..]), (200, &b"sdist"[..]));
    let described = api(
        &service,
        "GET",
        "/v1/package/version?domain=acme&repository=team&format=pypi&package=hello&version=1.0",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(
        described["packageVersion"]["origin"]["domainEntryPoint"]["repositoryName"],
        "releases"
    );
}
