//! `fake-aws-client`: a small AWS-CLI-compatible CodeArtifact client written in Rust, so the
//! conformance runner can be tested (and tried) on a machine with Rust alone.
//!
//! ```text
//! fake-aws-client [--bug BUG] --endpoint-url URL codeartifact OPERATION --member VALUE ...
//! ```
//!
//! It calls the operations in [`OPERATIONS`], whose members all travel in the query.
//!
//! It behaves like a well-made SDK client: SigV4-signed requests (long-term or session
//! credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, region
//! from `AWS_REGION`/`AWS_DEFAULT_REGION`), up to `AWS_MAX_ATTEMPTS` attempts (default 3) on
//! throttling, 5xx and broken connections, the service's JSON on stdout, and AWS CLI's error
//! line (`An error occurred (CODE) when calling the GetAuthorizationToken operation: ...`)
//! with exit 254 on a service error. `--bug` gives it one deliberate fault, to show what the
//! runner reports:
//!
//! - `ignore-domain-owner`: drops `--domain-owner`;
//! - `lie-about-expiration`: prints an expiration an hour later than the service's;
//! - `never-retry`: makes exactly one attempt, whatever `AWS_MAX_ATTEMPTS` says;
//! - `exit-zero-on-errors`: prints service errors but exits 0.
//!
//! HTTP only (no TLS): it exists to exercise the runner, not to be a general client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const BUGS: [&str; 4] = [
    "ignore-domain-owner",
    "lie-about-expiration",
    "never-retry",
    "exit-zero-on-errors",
];

/// Exit status of the AWS CLI for a service error.
const SERVICE_ERROR_EXIT: u8 = 254;

/// An operation it calls: the AWS CLI's name, method, path, and each option with the query
/// parameter it travels in.
struct Operation {
    cli_name: &'static str,
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
}

const OPERATIONS: &[Operation] = &[
    Operation {
        cli_name: "get-authorization-token",
        name: "GetAuthorizationToken",
        method: "POST",
        path: "/v1/authorization-token",
        query: &[
            ("--domain", "domain"),
            ("--domain-owner", "domain-owner"),
            ("--duration-seconds", "duration"),
        ],
    },
    Operation {
        cli_name: "get-repository-endpoint",
        name: "GetRepositoryEndpoint",
        method: "GET",
        path: "/v1/repository/endpoint",
        query: &[
            ("--domain", "domain"),
            ("--domain-owner", "domain-owner"),
            ("--repository", "repository"),
            ("--format", "format"),
            ("--endpoint-type", "endpointType"),
        ],
    },
    Operation {
        cli_name: "create-domain",
        name: "CreateDomain",
        method: "POST",
        path: "/v1/domain",
        query: &[("--domain", "domain")],
    },
    Operation {
        cli_name: "describe-domain",
        name: "DescribeDomain",
        method: "GET",
        path: "/v1/domain",
        query: &[("--domain", "domain"), ("--domain-owner", "domain-owner")],
    },
    Operation {
        cli_name: "describe-package",
        name: "DescribePackage",
        method: "GET",
        path: "/v1/package",
        query: &[
            ("--domain", "domain"),
            ("--domain-owner", "domain-owner"),
            ("--repository", "repository"),
            ("--format", "format"),
            ("--namespace", "namespace"),
            ("--package", "package"),
        ],
    },
    Operation {
        cli_name: "describe-repository",
        name: "DescribeRepository",
        method: "GET",
        path: "/v1/repository",
        query: &[
            ("--domain", "domain"),
            ("--domain-owner", "domain-owner"),
            ("--repository", "repository"),
        ],
    },
];

struct Call {
    bug: Option<String>,
    endpoint: String,
    operation: &'static Operation,
    /// Query parameters, in the order given.
    query: Vec<(&'static str, String)>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version") {
        println!("fake-aws-client {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let call = match parse_args(&args) {
        Ok(call) => call,
        Err(message) => {
            eprintln!("fake-aws-client: {message}");
            return ExitCode::from(2);
        }
    };
    run(&call)
}

fn parse_args(args: &[String]) -> Result<Call, String> {
    let mut bug = None;
    let mut endpoint = String::new();
    let mut options = Vec::new();
    let mut words = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--bug" => bug = Some(value()?),
            "--endpoint-url" => endpoint = value()?,
            flag if flag.starts_with("--") => options.push((flag.to_owned(), value()?)),
            word => words.push(word.to_owned()),
        }
    }
    let operation = match words.as_slice() {
        [service, name] if service == "codeartifact" => OPERATIONS
            .iter()
            .find(|op| op.cli_name == name)
            .ok_or_else(|| format!("this client does not call {name}"))?,
        _ => return Err(format!("expected `codeartifact OPERATION`, got {words:?}")),
    };
    let mut query = Vec::new();
    for (option, value) in options {
        let (_, parameter) = operation
            .query
            .iter()
            .find(|(o, _)| *o == option)
            .ok_or_else(|| format!("unknown option {option} for {}", operation.cli_name))?;
        query.push((*parameter, value));
    }
    if let Some(bug) = &bug {
        if !BUGS.contains(&bug.as_str()) {
            return Err(format!("unknown bug {bug:?}; one of {BUGS:?}"));
        }
    }
    if endpoint.is_empty() {
        return Err("--endpoint-url is required".into());
    }
    Ok(Call {
        bug,
        endpoint,
        operation,
        query,
    })
}

fn run(call: &Call) -> ExitCode {
    let bug = call.bug.as_deref();
    let attempts = if bug == Some("never-retry") {
        1
    } else {
        std::env::var("AWS_MAX_ATTEMPTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3u32)
            .max(1)
    };
    let query: Vec<(&str, String)> = call
        .query
        .iter()
        .filter(|(name, _)| !(*name == "domain-owner" && bug == Some("ignore-domain-owner")))
        .cloned()
        .collect();
    let mut last_problem = String::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            std::thread::sleep(Duration::from_millis(100 * u64::from(attempt)));
        }
        let Answer {
            status,
            error_type,
            body,
        } = match send(&call.endpoint, call.operation, &query) {
            Ok(answer) => answer,
            Err(e) => {
                last_problem = format!("Could not connect to the endpoint URL: {e}");
                continue;
            }
        };
        if status == 200 {
            return print_output(&body, bug);
        }
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        // restJson1: the code is `x-amzn-ErrorType` up to the first `:`.
        let code = error_type
            .map(|t| t.split(':').next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| status.to_string());
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        last_problem = format!(
            "An error occurred ({code}) when calling the {} operation: {message}",
            call.operation.name
        );
        // As the SDKs: throttling and the transient 5xx (501 Not Implemented is final).
        let retryable = matches!(status, 429 | 500 | 502 | 503 | 504);
        if !retryable {
            break;
        }
    }
    eprintln!("\n{last_problem}");
    if bug == Some("exit-zero-on-errors") {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(SERVICE_ERROR_EXIT)
    }
}

/// Prints the service's JSON as it came (`expiration` as the number it is).
fn print_output(body: &[u8], bug: Option<&str>) -> ExitCode {
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else {
        eprintln!("\nthe service's answer is not JSON");
        return ExitCode::from(SERVICE_ERROR_EXIT);
    };
    if bug == Some("lie-about-expiration") {
        if let Some(expiration) = json.get_mut("expiration") {
            *expiration = (expiration.as_f64().unwrap_or_default() + 3600.0).into();
        }
    }
    println!("{json}");
    ExitCode::SUCCESS
}

/// What the service answered.
struct Answer {
    status: u16,
    error_type: Option<String>,
    body: Vec<u8>,
}

/// Sends one signed request of `operation`.
fn send(
    endpoint: &str,
    operation: &Operation,
    query: &[(&str, String)],
) -> std::io::Result<Answer> {
    let host = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("only http:// endpoints"))?
        .trim_end_matches('/');
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    let query_text = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let (method, path) = (operation.method, operation.path);
    let amz_date = amz_date(SystemTime::now());
    let token = std::env::var("AWS_SESSION_TOKEN").ok();
    let authorization = authorization(method, host, path, &query_text, &amz_date, token.as_deref());
    let mut request = format!(
        "{method} {path}?{query_text} HTTP/1.1\r\nhost: {host}\r\nx-amz-date: {amz_date}\r\nauthorization: {authorization}\r\n"
    );
    if let Some(token) = &token {
        request.push_str(&format!("x-amz-security-token: {token}\r\n"));
    }
    request
        .push_str("user-agent: fake-aws-client\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    parse_response(&answer)
}

fn parse_response(answer: &[u8]) -> std::io::Result<Answer> {
    let broken = || std::io::Error::other("a broken HTTP answer");
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(broken)?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(broken)?;
    let header = |wanted: &str| {
        head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    let length = header("content-length").and_then(|v| v.parse::<usize>().ok());
    let body = &answer[end + 4..];
    if length.is_some_and(|length| body.len() < length) {
        return Err(std::io::Error::other("the answer ended early"));
    }
    Ok(Answer {
        status,
        error_type: header("x-amzn-errortype"),
        body: body.to_vec(),
    })
}

/// The `Authorization` header of SigV4 for a request with an empty body (signed headers:
/// host, x-amz-date and the session token when there is one).
fn authorization(
    method: &str,
    host: &str,
    path: &str,
    query: &str,
    amz_date: &str,
    token: Option<&str>,
) -> String {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let access_key_id = env("AWS_ACCESS_KEY_ID");
    let secret = env("AWS_SECRET_ACCESS_KEY");
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".into());
    let date = &amz_date[..8];
    let mut headers = format!("host:{host}\nx-amz-date:{amz_date}\n");
    let mut signed = String::from("host;x-amz-date");
    if let Some(token) = token {
        headers.push_str(&format!("x-amz-security-token:{token}\n"));
        signed.push_str(";x-amz-security-token");
    }
    let empty_hash = hex::encode(Sha256::digest(b""));
    let canonical = format!("{method}\n{path}\n{query}\n{headers}\n{signed}\n{empty_hash}");
    let scope = format!("{date}/{region}/codeartifact/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [region.as_str(), "codeartifact", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}")
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ`.
fn amz_date(now: SystemTime) -> String {
    humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect()
}

/// Percent-encodes all but SigV4's unreserved characters.
fn uri_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
