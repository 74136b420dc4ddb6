//! Micro-benchmarks of the request path's hot pieces (`cargo bench -p codeartifact-mock`):
//! parsing the Authorization header, canonicalising and verifying a signature, sealing a
//! token, and the whole handler without sockets; and of start-up's: reading a fixture of
//! 10,000 identities and domains. `just bench` measures the server end to end.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use bytes::Bytes;
use codeartifact_mock::directory::Directory;
use codeartifact_mock::fixture::Fixture;
use codeartifact_mock::service::ServiceConfig;
use codeartifact_mock::sigv4::{Query, RequestParts, SignatureParams, Verifier};
use codeartifact_mock::token::{TokenClaims, TokenSealer};
use codeartifact_mock::MockService;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// The binary's allocator, so these figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PATH: &str = "/v1/authorization-token?domain=test-domain&duration=3600";

/// A request signed now by the embedded fixture's example identity, as botocore signs it.
fn signed_request() -> http::Request<Bytes> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri(PATH)
        .header("host", "127.0.0.1:8080")
        .header(
            "user-agent",
            "aws-cli/2.9.19 Python/3.11 command/codeartifact.get-authorization-token",
        )
        .body(Bytes::new())
        .unwrap();
    let identity = aws_credential_types::Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "bench",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("codeartifact")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let signable = SignableRequest::new(
        "POST",
        PATH,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(b""),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}

fn hot_paths(c: &mut Criterion) {
    let request = signed_request();
    let query = Query::parse(request.uri().query().unwrap()).unwrap();
    let fixture = Fixture::embedded_default();
    let directory = Directory::new(&fixture, SystemTime::now());
    let verifier = Verifier::new("codeartifact", 300);
    let parts = RequestParts {
        method: "POST",
        path: request.uri().path(),
        query: &query,
        headers: request.headers(),
    };

    c.bench_function("parse_authorization_header", |b| {
        b.iter(|| {
            SignatureParams::extract(black_box(request.headers()), black_box(&query)).unwrap()
        })
    });
    c.bench_function("parse_query", |b| {
        b.iter(|| Query::parse(black_box(request.uri().query().unwrap())).unwrap())
    });
    // GetAuthorizationToken's hand-written reading of its query, and the model's generic
    // decoding it is held to (typed, as a handler reads it): the difference is why the
    // hand-written one stays.
    c.bench_function("validate_input_by_hand", |b| {
        b.iter(|| {
            codeartifact_mock::api::get_authorization_token::parse_input(black_box(&query)).unwrap()
        })
    });
    let model = codeartifact_mock::model::model();
    let operation = model.operation("GetAuthorizationToken").unwrap();
    let no_headers = http::HeaderMap::new();
    let no_body = codeartifact_mock::files::spool::Piece::Bytes(Bytes::new());
    c.bench_function("validate_input_against_the_model", |b| {
        b.iter(|| {
            let input = codeartifact_mock::model::validate::decode(
                model,
                operation,
                black_box(&query),
                &no_headers,
                &no_body,
                Some(codeartifact_mock::api::get_authorization_token::extra_constraint),
            )
            .unwrap();
            input
                .typed::<codeartifact_mock::api::get_authorization_token::Input>()
                .unwrap()
        })
    });
    c.bench_function("verify_signature", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(parts), b"", SystemTime::now(), &directory)
                .unwrap()
        })
    });

    let sealer = TokenSealer::random();
    let claims = TokenClaims {
        domain: "test-domain".into(),
        domain_owner: "111122223333".into(),
        region: "us-east-1".into(),
        principal: "arn:aws:iam::111122223333:user/test-user".into(),
        access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
        issued_at: 1_795_867_200,
        expires_at: 1_795_910_400,
    };
    c.bench_function("seal_token", |b| b.iter(|| sealer.seal(black_box(&claims))));

    let service = MockService::new(
        &fixture,
        ServiceConfig {
            journal_capacity: 1000,
            ..ServiceConfig::default()
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    c.bench_function("handle_request_without_sockets", |b| {
        b.iter(|| {
            let reply = runtime.block_on(service.handle(request.clone()));
            assert!(reply.into_response().is_some_and(|r| r.status() == 200));
        })
    });
}

/// A fixture of `n` identities and domains, shaped like `codeartifact-bench fixture n`.
fn large_fixture(n: usize) -> String {
    let mut text = String::from("regions = [\"us-east-1\", \"eu-west-1\"]\n");
    for i in 0..n {
        let owner = 200_000_000_000u64 + i as u64;
        text.push_str(&format!(
            "[[domains]]\nname = \"domain-{i}\"\nowner = \"{owner:012}\"\n[[identities]]\narn = \"arn:aws:iam::{owner:012}:user/u{i}\"\naccess_key_id = \"AKIABENCH{i:011}\"\nsecret_access_key = \"secret-{i}\"\nallow = [\"*\"]\n"
        ));
    }
    text
}

fn start_up(c: &mut Criterion) {
    let text = large_fixture(10_000);
    let mut group = c.benchmark_group("start_up");
    group.sample_size(20);
    group.bench_function("load_fixture_10000", |b| {
        b.iter(|| Fixture::parse(black_box(&text), "bench").unwrap())
    });
    let fixture = Fixture::parse(&text, "bench").unwrap();
    group.bench_function("service_for_fixture_10000", |b| {
        b.iter(|| MockService::owning(fixture.clone(), ServiceConfig::default()))
    });
    group.finish();
}

criterion_group!(benches, hot_paths, start_up);
criterion_main!(benches);
