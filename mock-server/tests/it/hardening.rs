//! Bad input and abuse on the socket: limits, garbage, mixed concurrent clients. Every answer
//! is an AWS-shaped 4xx or a closed connection, and the server keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use crate::util::*;

/// The server still answers a good request.
fn still_serving(server: &MockProcess) {
    let (status, text) = raw_exchange(&server.url, &example_request());
    assert_eq!(status, 200, "{text}");
}

/// Sends bytes, reads whatever comes back until the server closes or 2 s pass (a partial
/// request is held until the header read timeout, by design).
fn send_raw(server: &MockProcess, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Sends bytes and reads until the server closes the connection: the answer, or `None` if
/// the server neither answered nor closed within 5 s (a hang, which no test may pass on).
fn send_and_close(server: &MockProcess, bytes: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        _ => Some(String::from_utf8_lossy(&answer).into_owned()),
    }
}

#[test]
fn oversized_headers_are_refused_with_431() {
    let server = MockProcess::start(&[]);
    let big = "a".repeat(20 * 1024);
    let answer = send_raw(
        &server,
        format!("POST /v1/authorization-token HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n")
            .as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.80}");
    still_serving(&server);
}

#[test]
fn an_oversized_body_is_refused_before_it_is_read() {
    let server = MockProcess::start(&[]);
    // Only the headers are sent: the answer must not wait for the megabyte announced.
    let answer = send_raw(
        &server,
        b"POST /v1/authorization-token HTTP/1.1\r\nhost: x\r\ncontent-length: 1048576\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.120}");
    assert!(
        answer.contains("Request body exceeds the limit of 65536 bytes"),
        "{answer}"
    );
    still_serving(&server);
}

#[test]
fn garbage_and_tls_on_the_plain_port_get_400_or_a_closed_connection() {
    let server = MockProcess::start(&[]);
    let tls_client_hello = [
        0x16u8, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
    ];
    for bytes in [
        &b"\x00\xff\xfe garbage \r\n\r\n"[..],
        &tls_client_hello[..],
        b"GET /\xff\xfe HTTP/1.1\r\nhost: x\r\n\r\n",
        b"POST\r\n\r\n",
    ] {
        let answer = send_and_close(&server, bytes)
            .unwrap_or_else(|| panic!("{bytes:?}: neither answered nor closed"));
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
            "{bytes:?}: {answer:.80}"
        );
    }
    still_serving(&server);
}

#[test]
fn odd_bytes_in_query_and_authorization_get_aws_shaped_4xx() {
    let server = MockProcess::start(&[]);
    for request in [
        "POST /v1/authorization-token?domain=%ff%fe HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n".as_bytes().to_vec(),
        "POST /v1/authorization-token?domain=%zz HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n".as_bytes().to_vec(),
        [&b"POST /v1/authorization-token?domain=a HTTP/1.1\r\nhost: x\r\nauthorization: AWS4-HMAC-SHA256 Credential=\xff\xfe, SignedHeaders=host, Signature=0\r\ncontent-length: 0\r\n\r\n"[..]].concat(),
        b"POST /v1/authorization-token?domain=a HTTP/1.1\r\nhost: x\r\nx-amz-date: 99999999T999999Z\r\nauthorization: AWS4-HMAC-SHA256 Credential=A/1/2/3/aws4_request, SignedHeaders=host, Signature=0\r\ncontent-length: 0\r\n\r\n".to_vec(),
    ] {
        let answer = send_raw(&server, &[request.as_slice(), b""].concat());
        let status: u16 = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        assert!((400..500).contains(&status), "{answer:.200}");
        assert!(answer.to_ascii_lowercase().contains("x-amzn-errortype: "), "{answer:.300}");
    }
    still_serving(&server);
}

#[test]
fn sixteen_concurrent_clients_mixing_good_and_bad_requests_each_get_the_right_answer() {
    let server = MockProcess::start(&[]);
    let tokens = std::sync::Mutex::new(std::collections::HashSet::new());
    std::thread::scope(|scope| {
        for client in 0..16 {
            let (server, tokens) = (&server, &tokens);
            scope.spawn(move || {
                for round in 0..25 {
                    let now = SystemTime::now();
                    let (query, secret, expected) = match (client + round) % 4 {
                        0 => (
                            "domain=test-domain",
                            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                            (200, None),
                        ),
                        1 => (
                            "domain=test-domain",
                            "wrong",
                            (403, Some("InvalidSignatureException")),
                        ),
                        2 => (
                            "domain=nope",
                            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                            (404, Some("ResourceNotFoundException")),
                        ),
                        _ => (
                            "domain=BAD_NAME",
                            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                            (400, Some("ValidationException")),
                        ),
                    };
                    let request = signed(query, &Signing::key("AKIAIOSFODNN7EXAMPLE", secret, now));
                    let (status, text) = raw_exchange(&server.url, &to_wire(&request));
                    let error = text.lines().find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("x-amzn-errortype: ")
                            .map(|v| v.split(':').next().unwrap_or("").to_owned())
                    });
                    let expected_error = expected.1.map(str::to_ascii_lowercase);
                    assert_eq!(
                        (status, error),
                        (expected.0, expected_error),
                        "client {client} round {round}"
                    );
                    if status == 200 {
                        let token = token_in(&text);
                        assert!(
                            tokens.lock().unwrap().insert(token),
                            "a token was issued twice"
                        );
                    }
                }
            });
        }
    });
    assert_eq!(tokens.lock().unwrap().len(), 100);
}

#[test]
fn half_sent_requests_do_not_starve_real_clients() {
    let server = MockProcess::start(&[]);
    let address = server.url.trim_start_matches("http://").to_owned();
    // Sixty-four slowloris connections, each stuck in the middle of its headers.
    let stalled: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .write_all(b"POST /v1/authorization-token HTTP/1.1\r\nhost: x\r\nx-slow: ")
                .unwrap();
            stream
        })
        .collect();
    for _ in 0..5 {
        still_serving(&server);
    }
    drop(stalled);
}

#[test]
fn a_body_badly_chunked_or_cut_short_is_refused_and_nothing_is_stored() {
    let server = MockProcess::start(&[]);
    let token = token_from(&server.url);
    let host = server.url.trim_start_matches("http://").to_owned();
    let jar = "/d/test-domain-111122223333/us-east-1/maven/my-repo/com/acme/cut/1.0/cut-1.0.jar";
    let headers = |extra: &str| {
        format!("PUT {jar} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\nconnection: close\r\n{extra}\r\n")
    };
    // A chunk size that is not hex.
    let chunked = format!(
        "{}5\r\nhello\r\nzz\r\n",
        headers("transfer-encoding: chunked\r\n")
    );
    let answer = send_and_close(&server, chunked.as_bytes()).expect("an answer or a close");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer:.200}"
    );
    // A hundred bytes announced, ten sent, then the client stops sending.
    let mut stream = TcpStream::connect(&host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(format!("{}0123456789", headers("content-length: 100\r\n")).as_bytes())
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer:.200}"
    );
    // Neither left a file behind.
    let (status, body) = repository_call(&server.url, "GET", jar, &token, "");
    assert_eq!(status, 404, "{body}");
    still_serving(&server);
}
