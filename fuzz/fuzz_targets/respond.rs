//! Any bytes, read as an HTTP request (`METHOD TARGET`, header lines, a blank line, a body),
//! go through the whole service: query decoding, SigV4 parsing and verification, routing,
//! validation. The service must answer every one with a 2xx or an AWS-shaped 4xx, never
//! panic.

#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use codeartifact_mock::Fixture;
use codeartifact_mock::ServiceConfig;
use codeartifact_mock::MockService;
use libfuzzer_sys::fuzz_target;

fn service() -> &'static MockService {
    static SERVICE: OnceLock<MockService> = OnceLock::new();
    SERVICE.get_or_init(|| MockService::new(&Fixture::embedded_default(), ServiceConfig::default()))
}

fn request(data: &[u8]) -> Option<http::Request<Bytes>> {
    let split = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(data.len());
    let (head, body) = (&data[..split], data.get(split + 2..).unwrap_or_default());
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = std::str::from_utf8(lines.next()?).ok()?;
    let (method, target) = request_line.split_once(' ')?;
    let mut builder = http::Request::builder().method(method).uri(target);
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        builder = builder.header(&line[..colon], &line[colon + 1..]);
    }
    builder.body(Bytes::copy_from_slice(body)).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = request(data) else { return };
    let (reply, exchange, _) = service().respond(request);
    let response = reply
        .into_response()
        .expect("no fault is set, so a response");
    let status = response.status().as_u16();
    assert!(
        status == 200 || (400..500).contains(&status),
        "status {status}"
    );
    assert_eq!(exchange.status, status);
    if status != 200 {
        assert!(response.headers().contains_key("x-amzn-errortype"));
    }
});
