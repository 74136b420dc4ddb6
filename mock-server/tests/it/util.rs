use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use codeartifact_mock::fixture::Fixture;
use codeartifact_mock::service::ServiceConfig;
use codeartifact_mock::MockService;
use http::Request;
use serde_json::Value;

pub(crate) const DEV_KEY: &str = "AKIADEVEXAMPLE000001";
pub(crate) const DEV_SECRET: &str = "dev/secret/EXAMPLEKEY";
pub(crate) const TOKEN_PATH: &str = "/v1/authorization-token";

pub(crate) fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixture.toml")
}

pub(crate) fn fixture() -> Fixture {
    Fixture::load(&fixture_path()).expect("the test fixture is valid")
}

/// A service on the test fixture, its clock frozen at `now`.
pub(crate) fn service_at(now: SystemTime) -> MockService {
    service_with(now, ServiceConfig::default())
}

pub(crate) fn service_with(now: SystemTime, config: ServiceConfig) -> MockService {
    let clock =
        codeartifact_mock::clock::Clock::new(codeartifact_mock::clock::ClockMode::Frozen(now));
    MockService::with_clock(&fixture(), config, clock)
}

/// A fixed, whole-second instant for deterministic tests.
pub(crate) fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_867_200) // 2026-11-28T12:00:00Z
}

/// How a test signs: everything a client chooses.
#[derive(Debug, Clone)]
pub(crate) struct Signing {
    pub(crate) access_key_id: String,
    pub(crate) secret: String,
    pub(crate) session_token: Option<String>,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) time: SystemTime,
    pub(crate) location: SignatureLocation,
    pub(crate) expires_in: Option<Duration>,
}

impl Signing {
    pub(crate) fn dev(time: SystemTime) -> Self {
        Self::key(DEV_KEY, DEV_SECRET, time)
    }

    pub(crate) fn key(access_key_id: &str, secret: &str, time: SystemTime) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            session_token: None,
            region: "us-east-1".into(),
            service: "codeartifact".into(),
            time,
            location: SignatureLocation::Headers,
            expires_in: None,
        }
    }

    pub(crate) fn session(mut self, token: &str) -> Self {
        self.session_token = Some(token.into());
        self
    }

    pub(crate) fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }

    pub(crate) fn presigned(mut self, expires_in: Duration) -> Self {
        self.location = SignatureLocation::QueryParams;
        self.expires_in = Some(expires_in);
        self
    }
}

/// A request to `path_and_query`, with a Host header, not yet signed.
pub(crate) fn request(method: &str, path_and_query: &str, body: &'static [u8]) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", "127.0.0.1:8080")
        .body(Bytes::from_static(body))
        .expect("valid test request")
}

/// Signs with aws-sigv4, the signer the Rust SDK uses: independent of the verifier under test.
pub(crate) fn sign_request(request: &mut Request<Bytes>, signing: &Signing) {
    let body = request.body().clone();
    sign_with_body(request, signing, SignableBody::Bytes(&body));
}

/// Signs a request whose body is sent separately (streamed), by its SHA-256 in hex.
pub(crate) fn sign_streamed(request: &mut Request<Bytes>, signing: &Signing, sha256: &str) {
    sign_with_body(
        request,
        signing,
        SignableBody::Precomputed(sha256.to_owned()),
    );
}

fn sign_with_body(request: &mut Request<Bytes>, signing: &Signing, body: SignableBody<'_>) {
    let identity: Identity = Credentials::new(
        &signing.access_key_id,
        &signing.secret,
        signing.session_token.clone(),
        None,
        "tests",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = signing.location;
    settings.expires_in = signing.expires_in;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&signing.region)
        .name(&signing.service)
        .time(signing.time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().expect("ascii header").to_owned(),
            )
        })
        .collect();
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .expect("signable request");
    let (instructions, _signature) = sign(signable, &params).expect("signing").into_parts();
    instructions.apply_to_request_http1x(request);
}

/// A signed token request with the given query.
pub(crate) fn signed(query: &str, signing: &Signing) -> Request<Bytes> {
    let mut req = request("POST", &format!("{TOKEN_PATH}?{query}"), b"");
    sign_request(&mut req, signing);
    req
}

/// The embedded fixture's example identity asking for a token for its domain, signed now, as
/// bytes for the wire.
pub(crate) fn example_request() -> Vec<u8> {
    let signing = Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        SystemTime::now(),
    );
    to_wire(&signed("domain=test-domain", &signing))
}

/// A response, read back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The body as text.
    pub(crate) fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error code, suffix stripped as clients do.
    pub(crate) fn error_code(&self) -> Option<&str> {
        self.header("x-amzn-ErrorType")
            .map(|v| v.split(':').next().unwrap_or(v))
    }

    pub(crate) fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.error_code()),
            (status, Some(code)),
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
    }

    #[track_caller]
    pub(crate) fn assert_ok(&self) -> Value {
        assert_eq!(
            self.status,
            200,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

/// Calls the service without a socket.
pub(crate) async fn call(service: &MockService, request: Request<Bytes>) -> Answer {
    let response = service
        .handle(request)
        .await
        .into_response()
        .expect("a response, not a closed connection");
    let (parts, body) = response.into_parts();
    let body = body.bytes();
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// The `codeartifact-mock` binary, started on an ephemeral port; killed on drop.
pub(crate) struct MockProcess {
    child: Child,
    pub(crate) url: String,
    stderr_path: PathBuf,
}

impl MockProcess {
    pub(crate) fn start(args: &[&str]) -> Self {
        Self::spawn("127.0.0.1:0", args, "info")
    }

    /// Starts with `RUST_LOG` set to `filter`.
    pub(crate) fn start_logging(args: &[&str], filter: &str) -> Self {
        Self::spawn("127.0.0.1:0", args, filter)
    }

    /// Starts on `listen`, with `RUST_LOG` set to `filter`; returns once the listening line
    /// is read.
    pub(crate) fn spawn(listen: &str, args: &[&str], filter: &str) -> Self {
        Self::spawn_with_env(listen, args, filter, &[])
    }

    /// [`MockProcess::spawn`] with extra environment variables.
    pub(crate) fn spawn_with_env(
        listen: &str,
        args: &[&str],
        filter: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let stderr_path = std::env::temp_dir().join(format!(
            "codeartifact-mock-{}-{}.log",
            std::process::id(),
            rand_suffix()
        ));
        let stderr = std::fs::File::create(&stderr_path).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_codeartifact-mock"))
            .args(["--listen", listen])
            .args(args)
            .env("RUST_LOG", filter)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start codeartifact-mock");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first_line)
            .expect("read the listening line");
        let url = first_line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
            .to_owned();
        Self {
            child,
            url,
            stderr_path,
        }
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL")
    }

    /// Sends SIGTERM and waits for the exit code.
    pub(crate) fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM delivered");
        self.child.wait().expect("the mock exits").code()
    }

    /// Its log once it holds `text` (log lines are written in batches), or after 10 s.
    pub(crate) fn logs_with(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.logs().contains(text) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.logs()
    }

    pub(crate) fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr_path);
    }
}

pub(crate) fn rand_suffix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos().into())
        .unwrap_or(0)
}

/// Sends raw bytes on a new connection and reads the response (the server closes it after).
pub(crate) fn raw_exchange(url: &str, request: &[u8]) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request).expect("write");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// The `authorizationToken` of a raw HTTP success response.
pub(crate) fn token_in(response: &str) -> String {
    let after = response
        .split("\"authorizationToken\":\"")
        .nth(1)
        .expect("a token in the response");
    after.split('"').next().unwrap_or_default().to_owned()
}

/// The `Signature=` value of a header-signed request.
pub(crate) fn signature_of(request: &Request<Bytes>) -> String {
    let authorization = request.headers()["authorization"].to_str().expect("ascii");
    authorization
        .rsplit("Signature=")
        .next()
        .expect("a signature")
        .to_owned()
}

/// Serialises a request as HTTP/1.1 bytes, with `Connection: close`.
pub(crate) fn to_wire(request: &Request<Bytes>) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method(), request.uri()).into_bytes();
    for (name, value) in request.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            request.body().len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(request.body());
    out
}

/// A control API call through the service, without a socket.
pub(crate) async fn control(service: &MockService, method: &str, path: &str, body: &str) -> Answer {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8080")
        .body(Bytes::from(body.to_owned()))
        .expect("valid control request");
    call(service, req).await
}

/// A control API call over HTTP, to a server process.
pub(crate) fn control_http(url: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    let host = url.trim_start_matches("http://");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw_exchange(url, request.as_bytes());
    let json = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

/// The session identity of account 111122223333, allowed everything.
pub(crate) fn admin() -> Signing {
    Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", t0())
        .session("session-token-EXAMPLE-1")
}

/// Calls `operation` at its method and path with `query` and a JSON `body`, signed; checks a
/// success body against the model's output shape.
pub(crate) async fn op(
    service: &MockService,
    signing: &Signing,
    operation: &str,
    query: &str,
    body: Option<Value>,
) -> Answer {
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    op_with(service, signing, operation, query, &[], body).await
}

/// A package group `pattern` in domain `acme` whose `PUBLISH` restriction is `BLOCK`.
pub(crate) async fn block_publishing(service: &MockService, pattern: &str) {
    acme_op(
        service,
        "CreatePackageGroup",
        "",
        Some(serde_json::json!({ "packageGroup": pattern })),
    )
    .await
    .assert_ok();
    let group = percent_encoding::utf8_percent_encode(pattern, percent_encoding::NON_ALPHANUMERIC);
    acme_op(
        service,
        "UpdatePackageGroupOriginConfiguration",
        &format!("package-group={group}"),
        Some(serde_json::json!({ "restrictions": { "PUBLISH": "BLOCK" } })),
    )
    .await
    .assert_ok();
}

/// [`op`] by the all-powerful [`admin`] on domain `acme` (`query` continues the query).
pub(crate) async fn acme_op(
    service: &MockService,
    operation: &str,
    query: &str,
    body: Option<Value>,
) -> Answer {
    op(
        service,
        &admin(),
        operation,
        &format!("domain=acme&{query}"),
        body,
    )
    .await
}

/// [`op`] with headers and a raw body (PublishPackageVersion's asset).
pub(crate) async fn op_with(
    service: &MockService,
    signing: &Signing,
    operation: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Answer {
    let model = codeartifact_mock::model::model();
    let spec = model.operation(operation).unwrap();
    let mut builder = Request::builder()
        .method(spec.method.clone())
        .uri(format!("{}?{query}", spec.path))
        .header("host", "127.0.0.1:8080");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut req = builder.body(body).unwrap();
    sign_request(&mut req, signing);
    let answer = call(service, req).await;
    if answer.status == 200 && answer.header("content-type") == Some("application/json") {
        codeartifact_mock::model::output::check(model, spec, &answer.json())
            .unwrap_or_else(|e| panic!("{operation}: {e}"));
    }
    answer
}

/// `npm publish` of `name` at `version` (a three-byte tarball) to the npm endpoint `endpoint`
/// (`/d/.../npm/REPO/`) with a token minted for `signing`'s identity in domain `acme`: the
/// status.
pub(crate) async fn publish_npm(
    service: &MockService,
    signing: &Signing,
    endpoint: &str,
    name: &str,
    version: &str,
) -> u16 {
    use sha2::Digest;
    let token = call(service, signed("domain=acme", signing))
        .await
        .assert_ok()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let tarball = b"tgz";
    let integrity = format!(
        "sha512-{}",
        base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(tarball))
    );
    let document = serde_json::json!({
        "name": name,
        "versions": { version: { "name": name, "version": version, "dist": { "integrity": integrity } } },
        "dist-tags": { "latest": version },
        "_attachments": { format!("{name}-{version}.tgz"): { "data": base64_simd::STANDARD.encode_to_string(tarball), "length": 3 } },
    });
    let request = Request::builder()
        .method("PUT")
        .uri(format!("{endpoint}{}", name.replace('/', "%2f")))
        .header("host", "127.0.0.1:8080")
        .header("authorization", format!("Bearer {token}"))
        .body(Bytes::from(document.to_string()))
        .unwrap();
    call(service, request).await.status
}

/// A token from the mock at `url` for the embedded fixture's example identity.
pub(crate) fn token_from(url: &str) -> String {
    let (status, text) = raw_exchange(url, &example_request());
    assert_eq!(status, 200, "{text}");
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json["authorizationToken"].as_str().unwrap().to_owned()
}

/// An HTTP/1.1 request to a repository endpoint with a bearer token: status and body.
pub(crate) fn repository_call(
    url: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, String) {
    let host = url.trim_start_matches("http://");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw_exchange(url, request.as_bytes());
    (
        status,
        text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned(),
    )
}
