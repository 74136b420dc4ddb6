//! Any bytes, read as an HTTP request (`METHOD TARGET`, header lines, a blank line, a body),
//! go through the whole service as the server hands it requests (`MockService::handle`): the
//! router, the control API, the registries' parsers (pip's simple index and twine's form,
//! npm's documents, cargo's publish frame, Maven paths, NuGet pushes and their nupkgs) and
//! the AWS pipeline (query decoding, SigV4, routing, validation, the operations). The word
//! `TOKEN` in the input is replaced with a real token for the embedded fixture's
//! `test-domain`, so the fuzzer gets past the repository endpoints' token check. The service
//! must never panic and never answer a 5xx but `501` (a format it does not serve); an AWS API
//! error carries its `x-amzn-ErrorType`.

#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use codeartifact_mock::Fixture;
use codeartifact_mock::MockService;
use codeartifact_mock::ServiceConfig;
use libfuzzer_sys::fuzz_target;

struct Harness {
    runtime: tokio::runtime::Runtime,
    service: MockService,
    token: String,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let service = MockService::new(&Fixture::embedded_default(), ServiceConfig::default());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let token = service.sealer().seal(&codeartifact_mock::token::TokenClaims {
            domain: "test-domain".into(),
            domain_owner: "111122223333".into(),
            region: "us-east-1".into(),
            principal: "arn:aws:iam::111122223333:user/test-user".into(),
            access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
            issued_at: now,
            expires_at: now + 12 * 3600,
        });
        Harness { runtime, service, token }
    })
}

fn request(data: &[u8], token: &str) -> Option<http::Request<Bytes>> {
    let split = data.windows(2).position(|w| w == b"\n\n").unwrap_or(data.len());
    let (head, body) = (&data[..split], data.get(split + 2..).unwrap_or_default());
    let head = String::from_utf8_lossy(head).replace("TOKEN", token);
    let mut lines = head.split('\n');
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut builder = http::Request::builder().method(method).uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        builder = builder.header(name, value.trim_start());
    }
    builder.body(Bytes::copy_from_slice(body)).ok()
}

fuzz_target!(|data: &[u8]| {
    let harness = harness();
    let Some(request) = request(data, &harness.token) else { return };
    let aws = !request.uri().path().starts_with("/d/") && !request.uri().path().starts_with("/_mock/");
    let Some(response) = harness.runtime.block_on(harness.service.handle(request)).into_response() else {
        return;
    };
    let status = response.status().as_u16();
    assert!(status < 500 || status == 501, "status {status}");
    if aws && status >= 400 {
        assert!(response.headers().contains_key("x-amzn-errortype"), "status {status} without an error type");
    }
});
