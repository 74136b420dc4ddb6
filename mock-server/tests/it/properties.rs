use std::time::Duration;

use bytes::Bytes;
use codeartifact_mock::sigv4::{AuthError, Query, RequestParts, Verifier};
use proptest::prelude::*;

use crate::util::*;

/// A request a client might send: parameters, extra headers and a body, all arbitrary.
#[derive(Debug, Clone)]
struct ClientRequest {
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    skew_seconds: i64,
}

fn client_request() -> impl Strategy<Value = ClientRequest> {
    let text = "[ -~]{0,12}"; // printable ASCII, spaces and reserved characters included
    (
        prop::collection::vec(("[a-zA-Z0-9_.~-]{1,8}", text), 0..5),
        prop::collection::vec(("x-amz-meta-[a-z]{1,6}", "[!-~]([ -~]{0,10}[!-~])?"), 0..4),
        prop::collection::vec(any::<u8>(), 0..64),
        -299i64..299,
    )
        .prop_map(|(query, headers, body, skew_seconds)| ClientRequest {
            query,
            headers,
            body,
            skew_seconds,
        })
}

fn build(client: &ClientRequest) -> http::Request<Bytes> {
    let mut query = vec![("domain".to_owned(), "acme".to_owned())];
    query.extend(client.query.iter().cloned());
    let encoded: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect();
    let mut req = http::Request::builder()
        .method("POST")
        .uri(format!("/v1/authorization-token?{}", encoded.join("&")))
        .header("host", "127.0.0.1:8080")
        .body(Bytes::from(client.body.clone()))
        .unwrap();
    for (name, value) in &client.headers {
        req.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let signed_at = if client.skew_seconds >= 0 {
        t0() + Duration::from_secs(client.skew_seconds.unsigned_abs())
    } else {
        t0() - Duration::from_secs(client.skew_seconds.unsigned_abs())
    };
    sign_request(&mut req, &Signing::dev(signed_at));
    req
}

fn verify(req: &http::Request<Bytes>) -> Result<(), AuthError> {
    let directory = codeartifact_mock::directory::Directory::new(&fixture(), t0());
    let query =
        Query::parse(req.uri().query().unwrap_or("")).expect("the signer encodes queries validly");
    let parts = RequestParts {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: &query,
        headers: req.headers(),
    };
    Verifier::new("codeartifact", 300)
        .verify(parts, req.body(), t0(), &directory)
        .map(drop)
}

fn is_mismatch(result: &Result<(), AuthError>) -> bool {
    matches!(result, Err(AuthError::SignatureMismatch { .. }))
}

/// One change a man in the middle could make to a signed request.
#[derive(Debug, Clone)]
enum Mutation {
    Method,
    Path,
    AddQueryParameter,
    ChangeDomain,
    SignedHeaderValue,
    Body,
    DateWithinWindow,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Method),
        Just(Mutation::Path),
        Just(Mutation::AddQueryParameter),
        Just(Mutation::ChangeDomain),
        Just(Mutation::SignedHeaderValue),
        Just(Mutation::Body),
        Just(Mutation::DateWithinWindow),
    ]
}

fn mutate(req: &mut http::Request<Bytes>, mutation: &Mutation) {
    let query = req.uri().query().unwrap_or("").to_owned();
    match mutation {
        Mutation::Method => *req.method_mut() = http::Method::PUT,
        Mutation::Path => {
            *req.uri_mut() = format!("/v1/authorization-tokens?{query}").parse().unwrap()
        }
        Mutation::AddQueryParameter => {
            *req.uri_mut() = format!("/v1/authorization-token?{query}&x=1")
                .parse()
                .unwrap()
        }
        Mutation::ChangeDomain => {
            *req.uri_mut() = format!(
                "/v1/authorization-token?{}",
                query.replacen("domain=acme", "domain=acmf", 1)
            )
            .parse()
            .unwrap();
        }
        Mutation::SignedHeaderValue => {
            req.headers_mut()
                .insert("host", "127.0.0.1:8081".parse().unwrap());
        }
        Mutation::Body => {
            let mut body = req.body().to_vec();
            body.push(b'!');
            *req.body_mut() = Bytes::from(body);
        }
        Mutation::DateWithinWindow => {
            let date = req.headers()["x-amz-date"].to_str().unwrap().to_owned();
            let last = date.as_bytes()[14];
            let changed = format!("{}{}Z", &date[..14], if last == b'0' { '1' } else { '0' });
            req.headers_mut()
                .insert("x-amz-date", changed.parse().unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn whatever_is_signed_correctly_verifies(client in client_request()) {
        let req = build(&client);
        prop_assert!(verify(&req).is_ok(), "{:?}", verify(&req));
    }

    #[test]
    fn any_single_change_after_signing_is_rejected(client in client_request(), mutation in mutation()) {
        let mut req = build(&client);
        mutate(&mut req, &mutation);
        prop_assert!(is_mismatch(&verify(&req)), "{:?} gave {:?}", mutation, verify(&req));
    }

    #[test]
    fn a_wrong_secret_never_verifies(client in client_request(), secret in "[!-~]{1,40}") {
        prop_assume!(secret != DEV_SECRET);
        let mut req = build(&client);
        req.headers_mut().remove("authorization");
        req.headers_mut().remove("x-amz-date");
        sign_request(&mut req, &Signing::key(DEV_KEY, &secret, t0()));
        prop_assert!(is_mismatch(&verify(&req)), "{:?}", verify(&req));
    }

    /// The order of distinct headers never matters; the values of one repeated header keep
    /// their order, because SigV4 joins them with commas in the order they were sent.
    #[test]
    fn header_order_never_matters(client in client_request()) {
        let req = build(&client);
        let mut reordered = req.clone();
        let mut names: Vec<_> = req.headers().keys().cloned().collect();
        names.reverse();
        reordered.headers_mut().clear();
        for name in names {
            for value in req.headers().get_all(&name) {
                reordered.headers_mut().append(name.clone(), value.clone());
            }
        }
        prop_assert!(verify(&reordered).is_ok(), "{:?}", verify(&reordered));
    }

    #[test]
    fn reordering_the_values_of_a_repeated_header_is_rejected(
        client in client_request(),
        first in "[!-~]{1,8}",
        second in "[!-~]{1,8}",
    ) {
        prop_assume!(first != second);
        let mut client = client;
        client.headers.push(("x-amz-meta-repeated".to_owned(), first));
        client.headers.push(("x-amz-meta-repeated".to_owned(), second));
        let req = build(&client);
        let mut swapped = req.clone();
        let values: Vec<_> = req.headers().get_all("x-amz-meta-repeated").iter().cloned().collect();
        swapped.headers_mut().remove("x-amz-meta-repeated");
        for value in values.into_iter().rev() {
            swapped.headers_mut().append("x-amz-meta-repeated", value);
        }
        prop_assert!(is_mismatch(&verify(&swapped)), "{:?}", verify(&swapped));
    }
}

/// Pieces a hostile or broken client might put in an Authorization header.
fn authorization() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("AWS4-HMAC-SHA256".to_owned()),
        Just(" ".to_owned()),
        Just(",".to_owned()),
        Just("=".to_owned()),
        Just("/".to_owned()),
        Just(
            "Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/codeartifact/aws4_request"
                .to_owned()
        ),
        Just("SignedHeaders=host;x-amz-date".to_owned()),
        Just("Signature=".to_owned()),
        "[ -~]{0,12}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever arrives, the answer is an AWS-shaped response: no panic, a 2xx or 4xx status,
    /// and for errors an error type and a JSON message.
    #[test]
    fn any_request_gets_an_aws_shaped_answer(
        method in prop_oneof![Just("POST"), Just("GET"), Just("PUT"), Just("DELETE"), Just("PATCH")],
        path in "(/[a-zA-Z0-9._~%-]{0,12}){0,4}",
        query in "[a-zA-Z0-9=&%+._~-]{0,40}",
        authorization in proptest::option::of(authorization()),
        date in proptest::option::of(prop_oneof![Just("20261128T120000Z".to_owned()), "[0-9TZ]{0,18}"]),
        token in proptest::option::of("[ -~]{0,20}"),
        body in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let target = if path.is_empty() { "/".to_owned() } else { path };
        let target = if query.is_empty() { target } else { format!("{target}?{query}") };
        let Ok(uri) = target.parse::<http::Uri>() else { return Ok(()) };
        let mut request = http::Request::builder().method(method).uri(uri).body(Bytes::from(body)).unwrap();
        request.headers_mut().insert("host", "127.0.0.1".parse().unwrap());
        for (name, value) in [("authorization", authorization), ("x-amz-date", date), ("x-amz-security-token", token)] {
            if let Some(value) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                request.headers_mut().insert(name, value);
            }
        }
        let service = service_at(t0());
        let (reply, exchange, _) = service.respond(request);
        let response = reply.into_response().expect("no fault is set, so a response");
        let status = response.status().as_u16();
        prop_assert!(status == 200 || (400..500).contains(&status), "status {status}");
        prop_assert_eq!(exchange.status, status);
        if status != 200 {
            prop_assert!(response.headers().contains_key("x-amzn-errortype"));
            let json: serde_json::Value = serde_json::from_slice(&response.body().bytes()).expect("a JSON error body");
            prop_assert!(json["message"].is_string());
        }
    }
}
