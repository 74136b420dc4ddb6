use std::time::Duration;

use codeartifact_mock::service::ServiceConfig;

use crate::util::*;

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test]
async fn accepts_a_header_signed_request() {
    let answer = call(
        &service_at(t0()),
        signed("domain=acme", &Signing::dev(t0())),
    )
    .await;
    answer.assert_ok();
}

#[tokio::test]
async fn accepts_a_presigned_request() {
    let signing = Signing::dev(t0()).presigned(secs(300));
    let req = signed("domain=acme", &signing);
    assert!(req.uri().query().unwrap().contains("X-Amz-Signature="));
    assert!(req.headers().get("authorization").is_none());
    call(&service_at(t0()), req).await.assert_ok();
}

#[tokio::test]
async fn rejects_a_presigned_request_past_its_expiry() {
    let req = signed("domain=acme", &Signing::dev(t0()).presigned(secs(60)));
    let answer = call(&service_at(t0() + secs(61)), req).await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "Signature expired: 20261128T120000Z is now earlier than 20261128T120001Z (20261128T120101Z - 1 min.)"
    );
}

#[tokio::test]
async fn rejects_a_signature_older_than_the_skew_window() {
    let answer = call(
        &service_at(t0() + secs(301)),
        signed("domain=acme", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "Signature expired: 20261128T120000Z is now earlier than 20261128T120001Z (20261128T120501Z - 5 min.)"
    );
}

#[tokio::test]
async fn rejects_a_signature_dated_beyond_the_skew_window() {
    let answer = call(
        &service_at(t0() - secs(301)),
        signed("domain=acme", &Signing::dev(t0())),
    )
    .await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "Signature not yet current: 20261128T120000Z is still later than 20261128T115959Z (20261128T115459Z + 5 min.)"
    );
}

#[tokio::test]
async fn accepts_signatures_at_both_edges_of_the_window() {
    for now in [t0() + secs(300), t0() - secs(300)] {
        call(&service_at(now), signed("domain=acme", &Signing::dev(t0())))
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn the_skew_window_is_configurable() {
    let config = ServiceConfig {
        max_skew_seconds: 900,
        ..ServiceConfig::default()
    };
    let service = service_with(t0() + secs(899), config.clone());
    call(&service, signed("domain=acme", &Signing::dev(t0())))
        .await
        .assert_ok();
    let late = service_with(t0() + secs(901), config);
    let answer = call(&late, signed("domain=acme", &Signing::dev(t0()))).await;
    assert!(
        answer.message().ends_with("- 15 min.)"),
        "{}",
        answer.message()
    );
}

#[tokio::test]
async fn rejects_a_credential_scoped_to_another_service() {
    let mut signing = Signing::dev(t0());
    signing.service = "s3".into();
    let answer = call(&service_at(t0()), signed("domain=acme", &signing)).await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "Credential should be scoped to correct service: 'codeartifact'."
    );
}

#[tokio::test]
async fn rejects_a_region_that_is_not_served() {
    let answer = call(
        &service_at(t0()),
        signed("domain=acme", &Signing::dev(t0()).region("ap-south-1")),
    )
    .await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "Credential should be scoped to a valid region, not 'ap-south-1'."
    );
}

#[tokio::test]
async fn rejects_a_wrong_secret_with_aws_text() {
    let signing = Signing::key(DEV_KEY, "not-the-secret", t0());
    let answer = call(&service_at(t0()), signed("domain=acme", &signing)).await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(answer.message(), MISMATCH);
}

#[tokio::test]
async fn rejects_an_unknown_access_key() {
    let signing = Signing::key("AKIAUNKNOWNEXAMPLE00", "x", t0());
    let answer = call(&service_at(t0()), signed("domain=acme", &signing)).await;
    answer.assert_error(403, "UnrecognizedClientException");
    assert_eq!(
        answer.message(),
        "The security token included in the request is invalid."
    );
}

#[tokio::test]
async fn session_credentials_need_their_own_token() {
    let service = service_at(t0());
    let session = Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0());
    call(
        &service,
        signed(
            "domain=acme",
            &session.clone().session("session-token-EXAMPLE-1"),
        ),
    )
    .await
    .assert_ok();
    for wrong in [session.clone().session("session-token-EXAMPLE-0"), session] {
        call(&service, signed("domain=acme", &wrong))
            .await
            .assert_error(403, "UnrecognizedClientException");
    }
    // A long-term key presented with a session token.
    let dev_with_token = Signing::dev(t0()).session("session-token-EXAMPLE-1");
    call(&service, signed("domain=acme", &dev_with_token))
        .await
        .assert_error(403, "UnrecognizedClientException");
}

#[tokio::test]
async fn expired_session_credentials_are_refused() {
    let signing = Signing::key("ASIAEXPIREDEXAMPLE01", "expired/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-0");
    let answer = call(&service_at(t0()), signed("domain=acme", &signing)).await;
    answer.assert_error(403, "ExpiredTokenException");
    assert_eq!(
        answer.message(),
        "The security token included in the request is expired"
    );
}

#[tokio::test]
async fn session_credentials_expire_with_the_server_clock() {
    let service = service_at(t0());
    let signing_at = |t| {
        Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t)
            .session("session-token-EXAMPLE-1")
    };
    call(&service, signed("domain=acme", &signing_at(t0())))
        .await
        .assert_ok();
    let later = t0() + secs(3600);
    service
        .clock()
        .set(codeartifact_mock::clock::ClockMode::Frozen(later));
    call(&service, signed("domain=acme", &signing_at(later)))
        .await
        .assert_error(403, "ExpiredTokenException");
}

#[tokio::test]
async fn an_unsigned_request_is_missing_its_token_with_the_coral_suffix() {
    let answer = call(
        &service_at(t0()),
        request("POST", "/v1/authorization-token?domain=acme", b""),
    )
    .await;
    answer.assert_error(403, "MissingAuthenticationTokenException");
    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/")
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"message": "Missing Authentication Token"})
    );
}

#[tokio::test]
async fn a_malformed_authorization_header_is_an_incomplete_signature() {
    let mut req = request("POST", "/v1/authorization-token?domain=acme", b"");
    req.headers_mut().insert("authorization", "AWS4-HMAC-SHA256 Credential=AKIADEVEXAMPLE000001/20261128/us-east-1/codeartifact/aws4_request".parse().unwrap());
    let answer = call(&service_at(t0()), req).await;
    answer.assert_error(403, "IncompleteSignatureException");
    assert!(
        answer
            .message()
            .starts_with("Authorization header requires 'Signature' parameter."),
        "{}",
        answer.message()
    );
}

#[tokio::test]
async fn a_malformed_date_is_named() {
    let mut req = signed("domain=acme", &Signing::dev(t0()));
    req.headers_mut()
        .insert("x-amz-date", "2026-11-28T12:00:00Z".parse().unwrap());
    let answer = call(&service_at(t0()), req).await;
    answer.assert_error(403, "IncompleteSignatureException");
    assert_eq!(
        answer.message(),
        "Date must be in ISO-8601 'basic format'. Got '2026-11-28T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[tokio::test]
async fn the_host_header_must_be_signed() {
    let mut req = signed("domain=acme", &Signing::dev(t0()));
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("SignedHeaders=host;", "SignedHeaders=");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    let answer = call(&service_at(t0()), req).await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[tokio::test]
async fn a_credential_without_five_parts_is_incomplete() {
    let mut req = signed("domain=acme", &Signing::dev(t0()));
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("/aws4_request", "");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    let answer = call(&service_at(t0()), req).await;
    answer.assert_error(403, "IncompleteSignatureException");
    assert!(
        answer
            .message()
            .starts_with("Credential must have exactly 5 slash-delimited elements"),
        "{}",
        answer.message()
    );
}

#[tokio::test]
async fn both_signature_locations_at_once_are_refused() {
    let mut req = signed(
        "domain=acme&X-Amz-Algorithm=AWS4-HMAC-SHA256",
        &Signing::dev(t0()),
    );
    assert!(req.headers().contains_key("authorization"));
    req.headers_mut().insert("x-extra", "1".parse().unwrap());
    call(&service_at(t0()), req)
        .await
        .assert_error(403, "InvalidSignatureException");
}

#[tokio::test]
async fn any_change_after_signing_is_detected() {
    let service = service_at(t0());
    let original = || signed("domain=acme&duration=900", &Signing::dev(t0()));
    type Tamper = Box<dyn Fn(&mut http::Request<bytes::Bytes>)>;
    let tamperings: Vec<(&str, Tamper)> = vec![
        (
            "query value",
            Box::new(|r| {
                *r.uri_mut() = "/v1/authorization-token?domain=acme&duration=901"
                    .parse()
                    .unwrap()
            }),
        ),
        (
            "extra query parameter",
            Box::new(|r| {
                *r.uri_mut() = "/v1/authorization-token?domain=acme&duration=900&x=1"
                    .parse()
                    .unwrap()
            }),
        ),
        (
            "host",
            Box::new(|r| {
                r.headers_mut()
                    .insert("host", "127.0.0.1:8081".parse().unwrap());
            }),
        ),
        (
            "date within the window",
            Box::new(|r| {
                r.headers_mut()
                    .insert("x-amz-date", "20261128T120001Z".parse().unwrap());
            }),
        ),
        ("method", Box::new(|r| *r.method_mut() = http::Method::PUT)),
        (
            "body",
            Box::new(|r| *r.body_mut() = bytes::Bytes::from_static(b"{}")),
        ),
    ];
    for (what, tamper) in tamperings {
        let mut req = original();
        tamper(&mut req);
        let answer = call(&service, req).await;
        assert_eq!(
            answer.error_code(),
            Some("InvalidSignatureException"),
            "{what}: {}",
            answer.message()
        );
        assert_eq!(answer.message(), MISMATCH, "{what}");
    }
}

#[tokio::test]
async fn odd_but_valid_encodings_verify_and_route() {
    let service = service_at(t0());
    for (target, domain) in [
        ("/v1/authorization-token?domain=%61%63%6d%65", "acme"),
        ("/v1/./authorization-token?domain=acme", "acme"),
        ("/v1//authorization-token?domain=acme", "acme"),
        (
            "/v1/authorization-token?zzz=last&domain=acme&aaa=first&empty=",
            "acme",
        ),
        (
            "/v1/authorization-token?domain=acme&note=a%20b%2Bc~",
            "acme",
        ),
    ] {
        let mut req = request("POST", target, b"");
        sign_request(&mut req, &Signing::dev(t0()));
        let body = call(&service, req).await.assert_ok();
        let token = body["authorizationToken"].as_str().unwrap();
        let claims = service.sealer().open(token, 0).unwrap();
        assert_eq!(claims.domain, domain, "{target}");
    }
}

#[tokio::test]
async fn header_values_are_folded_and_any_client_header_can_be_signed() {
    let mut req = request("POST", "/v1/authorization-token?domain=acme", b"");
    req.headers_mut().insert(
        "x-amz-user-agent",
        "aws-sdk-rust/1.0   os/linux".parse().unwrap(),
    );
    req.headers_mut()
        .insert("amz-sdk-invocation-id", "  0b1c  ".parse().unwrap());
    sign_request(&mut req, &Signing::dev(t0()));
    let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
    assert!(auth.contains("amz-sdk-invocation-id"), "{auth}");
    call(&service_at(t0()), req).await.assert_ok();
}

#[tokio::test]
async fn authorization_parameters_tolerate_other_spacing() {
    let mut req = signed("domain=acme", &Signing::dev(t0()));
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace(", ", ",");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    call(&service_at(t0()), req).await.assert_ok();
}

#[tokio::test]
async fn a_signed_body_is_covered_by_the_signature() {
    let service = service_at(t0());
    let mut req = request(
        "POST",
        "/v1/authorization-token?domain=acme",
        b"{\"ignored\":true}",
    );
    sign_request(&mut req, &Signing::dev(t0()));
    call(&service, req).await.assert_ok();

    // With x-amz-content-sha256 sent, as S3-style signers do.
    let mut req = request("POST", "/v1/authorization-token?domain=acme", b"{}");
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"{}"));
    req.headers_mut()
        .insert("x-amz-content-sha256", hash.parse().unwrap());
    sign_request(&mut req, &Signing::dev(t0()));
    call(&service, req).await.assert_ok();

    // A header claiming another payload than the one sent.
    let mut req = request("POST", "/v1/authorization-token?domain=acme", b"{}");
    req.headers_mut().insert(
        "x-amz-content-sha256",
        hex::encode([0u8; 32]).parse().unwrap(),
    );
    sign_request(&mut req, &Signing::dev(t0()));
    let answer = call(&service, req).await;
    answer.assert_error(403, "InvalidSignatureException");
    assert_eq!(
        answer.message(),
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
}

#[tokio::test]
async fn a_presigned_request_carries_its_session_token_in_the_query() {
    let signing = Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1")
        .presigned(secs(900));
    let req = signed("domain=acme", &signing);
    assert!(req.uri().query().unwrap().contains("X-Amz-Security-Token="));
    call(&service_at(t0()), req).await.assert_ok();
}

#[tokio::test]
async fn a_malformed_query_string_is_refused_before_authentication() {
    let answer = call(
        &service_at(t0()),
        request("POST", "/v1/authorization-token?domain=%zz", b""),
    )
    .await;
    answer.assert_error(400, "MalformedQueryStringException");
    assert_eq!(
        answer.message(),
        "Illegal hex character in escape % pattern: %zz"
    );
}
