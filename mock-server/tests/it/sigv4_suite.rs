//! Runs the verifier over the AWS SigV4 signing test suite (`aws-signing-test-suite/v4`, the
//! CRT suite as shipped inside the aws-sigv4 crate 1.6.4), kept in this repository.
//! For each case with `"normalize": true`, in both header and query form: the canonical request
//! and string to sign are rebuilt from the signed request and compared with the suite's files,
//! the request verifies, and flipping one byte of the signature makes it fail.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use codeartifact_mock::sigv4::{
    string_to_sign, AmzDate, AuthError, CanonicalRequest, Credential, CredentialSource, Query,
    RequestParts, SecretKey, SignatureParams, Verifier,
};
use http::HeaderMap;
use serde_json::Value;

/// Cases the aws-sigv4 crate itself skips in its harness, for the same reasons.
const SKIPPED: &[(&str, &str)] = &[
    ("get-header-value-multiline", "obsolete header line folding, which HTTP/1.1 servers reject (RFC 7230 3.2.4)"),
    ("get-space-normalized", "expects a single-encoded path; every AWS service but S3 double-encodes"),
    ("get-utf8", "a raw UTF-8 request line; clients send it percent-encoded, and the path is then double-encoded"),
];

/// Single forms skipped: the suite signs them in a way only a client can produce.
const SKIPPED_FORMS: &[(&str, &str)] = &[(
    "post-sts-header-after/query",
    "the session token is appended after signing; a server puts every query parameter but the signature into the canonical query, as AWS does",
)];

/// The suite, kept in this repository (`tests/aws-signing-test-suite/`, see its PROVENANCE.md):
/// no registry, vendoring or source replacement can move it.
fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws-signing-test-suite/v4")
}

struct SuiteCredentials {
    access_key_id: String,
    secret: SecretKey,
    token: Option<SecretKey>,
    region: String,
}

impl CredentialSource for SuiteCredentials {
    fn credential(&self, access_key_id: &str) -> Option<Credential<'_>> {
        (access_key_id == self.access_key_id).then_some(Credential {
            secret: &self.secret,
            session_token: self.token.as_ref(),
            expires_at: None,
        })
    }

    fn serves_region(&self, region: &str) -> bool {
        region == self.region
    }
}

struct ParsedRequest {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Parses a suite request file; non-ASCII in the request line is percent-encoded, as a client
/// would send it.
fn parse_request(text: &str) -> ParsedRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let (method, rest) = request_line.split_once(' ').expect("method");
    let target = rest
        .rsplit_once(' ')
        .map_or(rest, |(target, _version)| target);
    let mut encoded = String::new();
    for b in target.bytes() {
        if b.is_ascii() {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let (path, query) = encoded.split_once('?').unwrap_or((&encoded, ""));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    ParsedRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn run_case(dir: &Path, form: &str) {
    let case = dir.file_name().unwrap().to_string_lossy().into_owned();
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(format!("{form}-{name}")))
            .unwrap_or_else(|e| panic!("{case}: {form}-{name}: {e}"))
    };
    let context: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).unwrap()).unwrap();
    let request = parse_request(&read("signed-request.txt"));
    let query = Query::parse(&request.query).expect("suite queries decode");
    let parts = RequestParts {
        method: &request.method,
        path: &request.path,
        query: &query,
        headers: &request.headers,
    };

    let params = SignatureParams::extract(&request.headers, &query)
        .unwrap_or_else(|e| panic!("{case}/{form}: {e}"));
    let payload_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&request.body));
    let canonical = CanonicalRequest::new(
        parts,
        form == "query",
        &params.signed_headers,
        &payload_hash,
    );
    assert_eq!(
        String::from_utf8_lossy(canonical.as_bytes()),
        read("canonical-request.txt"),
        "{case}/{form}: canonical request"
    );
    let date = AmzDate::parse(&params.date).expect("suite date");
    let scope = params.credential.split_once('/').unwrap().1;
    assert_eq!(
        string_to_sign(date, scope, &canonical),
        read("string-to-sign.txt"),
        "{case}/{form}: string to sign"
    );

    let credentials = &context["credentials"];
    let source = SuiteCredentials {
        access_key_id: credentials["access_key_id"].as_str().unwrap().into(),
        secret: SecretKey::new(credentials["secret_access_key"].as_str().unwrap()),
        token: credentials["token"].as_str().map(SecretKey::new),
        region: context["region"].as_str().unwrap().into(),
    };
    let now: SystemTime = humantime::parse_rfc3339(context["timestamp"].as_str().unwrap()).unwrap();
    let verifier = Verifier::new(context["service"].as_str().unwrap(), 300);
    if let Err(e) = verifier.verify(parts, &request.body, now, &source) {
        panic!("{case}/{form}: signature should verify: {e}");
    }

    // Flip one character of the signature: rejected as a mismatch.
    let signature = read("signature.txt");
    let flipped_char = if signature.starts_with('0') { "1" } else { "0" };
    let flipped = format!("{flipped_char}{}", &signature[1..]);
    let mut tampered_headers = request.headers.clone();
    let mut tampered_query = request.query.clone();
    if form == "header" {
        let auth = tampered_headers["authorization"]
            .to_str()
            .unwrap()
            .replace(signature.trim(), flipped.trim());
        tampered_headers.insert("authorization", auth.parse().unwrap());
    } else {
        tampered_query = tampered_query.replace(signature.trim(), flipped.trim());
    }
    let tampered_query = Query::parse(&tampered_query).unwrap();
    let tampered = RequestParts {
        method: &request.method,
        path: &request.path,
        query: &tampered_query,
        headers: &tampered_headers,
    };
    assert!(
        matches!(
            verifier.verify(tampered, &request.body, now, &source),
            Err(AuthError::SignatureMismatch { .. })
        ),
        "{case}/{form}: a flipped signature must not verify"
    );
}

#[test]
fn verifies_every_normalized_case_of_the_aws_signing_suite() {
    let dir = suite_dir();
    let mut ran = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let case_dir = entry.unwrap().path();
        let name = case_dir.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(context) = std::fs::read_to_string(case_dir.join("context.json")) else {
            continue;
        };
        let context: Value = serde_json::from_str(&context).unwrap();
        if context["normalize"] != true || SKIPPED.iter().any(|(skipped, _)| *skipped == name) {
            continue;
        }
        for form in ["header", "query"] {
            let case_form = format!("{name}/{form}");
            if SKIPPED_FORMS
                .iter()
                .any(|(skipped, _)| *skipped == case_form)
            {
                continue;
            }
            if case_dir.join(format!("{form}-signed-request.txt")).exists() {
                run_case(&case_dir, form);
                ran.push(format!("{name}/{form}"));
            }
        }
    }
    // The suite has 31 normalized cases in two forms; 3 cases and 1 form are skipped above.
    assert!(
        ran.len() >= 55,
        "only {} suite cases ran: {ran:?}",
        ran.len()
    );
}

#[test]
fn double_encodes_paths_like_the_suite_s_legacy_cases() {
    let dir = suite_dir();
    for case in ["double-encode-path", "double-url-encode"] {
        let case_dir = dir.join(case);
        let request = parse_request(
            &std::fs::read_to_string(case_dir.join("header-signed-request.txt")).unwrap(),
        );
        let query = Query::parse(&request.query).unwrap();
        let parts = RequestParts {
            method: &request.method,
            path: &request.path,
            query: &query,
            headers: &request.headers,
        };
        let params = SignatureParams::extract(&request.headers, &query).unwrap();
        let payload_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&request.body));
        let canonical = CanonicalRequest::new(parts, false, &params.signed_headers, &payload_hash);
        // Only the canonical URI: these legacy cases were signed on another date than the
        // one their request file carries.
        let expected =
            std::fs::read_to_string(case_dir.join("header-canonical-request.txt")).unwrap();
        let ours = String::from_utf8_lossy(canonical.as_bytes()).into_owned();
        assert_eq!(ours.lines().nth(1), expected.lines().nth(1), "{case}");
    }
}
