//! The mock against the clients people use: AWS CLI v1 (pip `awscli`), AWS CLI v2 (Debian
//! `awscli`), boto3, and the JS and Rust SDKs through the wrappers in `conformance/clients/`.
//! Each test runs every client through the same case; `just prepare-clients` (part of
//! `just test`) installs and builds them.
//!
//! They are `#[ignore]`d so that `cargo test` passes on a machine with Rust alone; `just test`
//! (and so CI) runs them with `--ignored` once the clients are prepared, and there a missing
//! client fails the test: it is never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use serde_json::Value;

use crate::util::*;

struct Client {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    aws_cli: bool,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn clients() -> Vec<Client> {
    let root = workspace();
    let env_or =
        |var: &str, default: &str| std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let clients = vec![
        Client {
            name: "aws-cli-v1",
            program: "python3".into(),
            args: vec!["-m".into(), "awscli".into()],
            aws_cli: true,
        },
        Client {
            name: "aws-cli-v2",
            program: env_or("AWS_CLI_V2", "/usr/bin/aws").into(),
            args: vec![],
            aws_cli: true,
        },
        Client {
            name: "boto3",
            program: "python3".into(),
            args: vec![root
                .join("conformance/clients/boto3/client.py")
                .display()
                .to_string()],
            aws_cli: false,
        },
        Client {
            name: "js-sdk",
            program: "node".into(),
            args: vec![
                "--no-warnings".into(),
                root.join("conformance/clients/js-sdk/client.mjs")
                    .display()
                    .to_string(),
            ],
            aws_cli: false,
        },
        Client {
            name: "rust-sdk",
            program: root.join("conformance/clients/rust-sdk/target/release/rust-sdk-client"),
            args: vec![],
            aws_cli: false,
        },
    ];
    let js_sdk = root.join("conformance/clients/js-sdk/node_modules/@aws-sdk/client-codeartifact");
    assert!(
        js_sdk.exists(),
        "the JS SDK is not installed: run `just prepare-clients`"
    );
    assert!(
        clients[4].program.exists(),
        "the Rust SDK client is not built: run `just prepare-clients`"
    );
    assert!(
        clients[1].program.exists(),
        "AWS CLI v2 is not installed at {}: run `just prepare-clients`",
        clients[1].program.display()
    );
    clients
}

/// Credentials, region and the rest of a client's environment.
#[derive(Clone)]
struct Env {
    vars: Vec<(&'static str, String)>,
}

impl Env {
    fn key(id: &str, secret: &str) -> Self {
        Self {
            vars: vec![
                ("AWS_ACCESS_KEY_ID", id.into()),
                ("AWS_SECRET_ACCESS_KEY", secret.into()),
                ("AWS_DEFAULT_REGION", "us-east-1".into()),
                ("AWS_REGION", "us-east-1".into()),
            ],
        }
    }

    fn dev() -> Self {
        Self::key(DEV_KEY, DEV_SECRET)
    }

    fn session(id: &str, secret: &str, token: &str) -> Self {
        let mut env = Self::key(id, secret);
        env.vars.push(("AWS_SESSION_TOKEN", token.into()));
        env
    }

    fn region(mut self, region: &str) -> Self {
        self.vars.retain(|(k, _)| !k.ends_with("REGION"));
        self.vars.push(("AWS_DEFAULT_REGION", region.into()));
        self.vars.push(("AWS_REGION", region.into()));
        self
    }
}

fn run(client: &Client, url: &str, env: &Env, args: &[&str]) -> Output {
    let mut command = Command::new(&client.program);
    command
        .args(&client.args)
        .args([
            "--endpoint-url",
            url,
            "codeartifact",
            "get-authorization-token",
        ])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("TZ", "UTC")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "");
    if let Ok(pyenv_root) = std::env::var("PYENV_ROOT") {
        command.env("PYENV_ROOT", pyenv_root);
    }
    for (name, value) in &env.vars {
        command.env(name, value);
    }
    command.output().unwrap_or_else(|e| {
        panic!(
            "{}: cannot run {}: {e}",
            client.name,
            client.program.display()
        )
    })
}

fn server() -> MockProcess {
    MockProcess::start(&["--config", fixture_path().to_str().unwrap()])
}

fn now() -> i64 {
    codeartifact_mock::clock::unix_seconds(SystemTime::now())
}

/// Parses `expiration` as printed: a number (CLI v1) or an ISO 8601 string (the others).
fn expiration_of(stdout: &str) -> i64 {
    let json: Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    match &json["expiration"] {
        Value::Number(n) => n.as_f64().unwrap() as i64,
        Value::String(s) => {
            let utc = s.replace("+00:00", "Z");
            codeartifact_mock::clock::unix_seconds(
                humantime::parse_rfc3339_weak(&utc).unwrap_or_else(|e| panic!("{s}: {e}")),
            )
        }
        other => panic!("unexpected expiration {other}"),
    }
}

/// Runs `check` for every client and reports all failures together.
fn for_every_client(check: impl Fn(&Client) -> Result<(), String>) {
    let failures: Vec<String> = clients()
        .iter()
        .filter_map(|client| check(client).err().map(|e| format!("{}: {e}", client.name)))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn expect_success(output: &Output, expected_expiration: i64) -> Result<String, String> {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let json: Value = serde_json::from_str(&stdout).map_err(|e| format!("{e}: {stdout}"))?;
    let token = json["authorizationToken"].as_str().unwrap_or_default();
    if !token.starts_with("eyJ2ZXIiOjEsImlzdSI6") {
        return Err(format!("not a token: {token}"));
    }
    let expiration = expiration_of(&stdout);
    if (expiration - expected_expiration).abs() > 30 {
        return Err(format!(
            "expiration {expiration}, expected about {expected_expiration}"
        ));
    }
    Ok(token.to_owned())
}

/// Checks the CLI's error line, `An error occurred (CODE) when calling the
/// GetAuthorizationToken operation: MESSAGE`, in which CLI v2 puts ` (reached max retries: N)`
/// before the colon.
fn expect_error(output: &Output, code: &str, message: &str) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return Err(format!("succeeded, expected {code}"));
    }
    let prefix =
        format!("An error occurred ({code}) when calling the GetAuthorizationToken operation");
    let rest = stderr.split_once(&prefix).map(|(_, rest)| rest);
    let rest = rest.map(|r| match r.strip_prefix(" (reached max retries: ") {
        Some(retries) => retries.split_once("): ").map_or("", |(_, m)| m),
        None => r.strip_prefix(": ").unwrap_or(""),
    });
    match rest {
        Some(actual) if actual.starts_with(message) => Ok(()),
        _ => Err(format!(
            "expected `{prefix}: {message}`, stderr was: {stderr}"
        )),
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_gets_a_twelve_hour_token_by_default() {
    let server = server();
    for_every_client(|client| {
        let before = now();
        expect_success(
            &run(client, &server.url, &Env::dev(), &["--domain", "acme"]),
            before + 43_200,
        )
        .map(drop)
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_sends_duration_seconds() {
    let server = server();
    for_every_client(|client| {
        let before = now();
        expect_success(
            &run(
                client,
                &server.url,
                &Env::dev(),
                &["--domain", "acme", "--duration-seconds", "900"],
            ),
            before + 900,
        )
        .map(drop)
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_with_session_credentials_and_duration_zero_gets_the_session_expiry() {
    let server = server();
    // The fixture's session expires an hour after the server loaded it.
    let loaded = now();
    let env = Env::session(
        "ASIASESSIONEXAMPLE01",
        "session/secret/EXAMPLEKEY",
        "session-token-EXAMPLE-1",
    );
    for_every_client(|client| {
        expect_success(
            &run(
                client,
                &server.url,
                &env,
                &["--domain", "acme", "--duration-seconds", "0"],
            ),
            loaded + 3600,
        )
        .map(drop)
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_a_wrong_secret_as_an_invalid_signature() {
    let server = server();
    for_every_client(|client| {
        let output = run(
            client,
            &server.url,
            &Env::key(DEV_KEY, "wrong-secret"),
            &["--domain", "acme"],
        );
        expect_error(
            &output,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_an_unknown_key() {
    let server = server();
    for_every_client(|client| {
        let output = run(
            client,
            &server.url,
            &Env::key("AKIAUNKNOWNEXAMPLE00", "x"),
            &["--domain", "acme"],
        );
        expect_error(
            &output,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_expired_session_credentials() {
    let server = server();
    let env = Env::session(
        "ASIAEXPIREDEXAMPLE01",
        "expired/secret/EXAMPLEKEY",
        "session-token-EXAMPLE-0",
    );
    for_every_client(|client| {
        expect_error(
            &run(client, &server.url, &env, &["--domain", "acme"]),
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_an_unknown_domain() {
    let server = server();
    for_every_client(|client| {
        expect_error(
            &run(client, &server.url, &Env::dev(), &["--domain", "nope"]),
            "ResourceNotFoundException",
            "Domain not found. Domain 'nope' owned by account '111122223333' does not exist",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_sends_domain_owner_for_cross_account_domains() {
    let server = server();
    for_every_client(|client| {
        let before = now();
        expect_success(
            &run(
                client,
                &server.url,
                &Env::dev(),
                &["--domain", "shared", "--domain-owner", "444455556666"],
            ),
            before + 43_200,
        )?;
        expect_error(
            &run(client, &server.url, &Env::dev(), &["--domain", "private", "--domain-owner", "444455556666"]),
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/dev is not authorized to perform: codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:us-east-1:444455556666:domain/private",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_a_missing_permission() {
    let server = server();
    for_every_client(|client| {
        expect_error(
            &run(client, &server.url, &Env::key("AKIANOSTSEXAMPLE0001", "nosts/secret/EXAMPLEKEY"), &["--domain", "acme"]),
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/no-sts is not authorized to perform: sts:GetServiceBearerToken",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_a_duration_out_of_range() {
    let server = server();
    for_every_client(|client| {
        expect_error(
            &run(client, &server.url, &Env::dev(), &["--domain", "acme", "--duration-seconds", "100"]),
            "ValidationException",
            "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must be 0 or have value greater than or equal to 900",
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_reports_a_region_that_is_not_served() {
    let server = server();
    for_every_client(|client| {
        expect_error(
            &run(
                client,
                &server.url,
                &Env::dev().region("ap-south-1"),
                &["--domain", "acme"],
            ),
            "InvalidSignatureException",
            "Credential should be scoped to a valid region, not 'ap-south-1'.",
        )
    });
}

fn aws_clis() -> Vec<Client> {
    clients().into_iter().filter(|c| c.aws_cli).collect()
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn the_manual_page_example_prints_the_token_alone() {
    let server = server();
    for client in aws_clis() {
        let output = run(
            &client,
            &server.url,
            &Env::dev(),
            &[
                "--domain",
                "acme",
                "--query",
                "authorizationToken",
                "--output",
                "text",
            ],
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {}",
            client.name,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.starts_with("eyJ2ZXIiOjEsImlzdSI6") && stdout.ends_with('\n'),
            "{}: {stdout}",
            client.name
        );
        assert_eq!(stdout.trim_end().lines().count(), 1, "{}", client.name);
        assert!(
            !stdout.trim_end().contains(char::is_whitespace),
            "{}: {stdout}",
            client.name
        );
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn text_output_is_the_token_a_tab_and_the_expiration() {
    let server = server();
    for client in aws_clis() {
        let output = run(
            &client,
            &server.url,
            &Env::dev(),
            &["--domain", "acme", "--output", "text"],
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = stdout.trim_end().split('\t').collect();
        assert_eq!(fields.len(), 2, "{}: {stdout}", client.name);
        assert!(fields[0].starts_with("eyJ2ZXIiOjEsImlzdSI6"));
        // CLI v1 prints the wire number as sent; v2 an ISO 8601 time.
        let expected = if client.name == "aws-cli-v1" {
            fields[1].parse::<i64>().is_ok()
        } else {
            fields[1].ends_with("+00:00")
        };
        assert!(expected, "{}: {}", client.name, fields[1]);
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn an_unsigned_request_is_refused() {
    let server = server();
    for client in aws_clis() {
        let output = run(
            &client,
            &server.url,
            &Env::dev(),
            &["--domain", "acme", "--no-sign-request"],
        );
        expect_error(
            &output,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
        .unwrap_or_else(|e| panic!("{}: {e}", client.name));
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn cli_input_json_supplies_the_parameters() {
    let server = server();
    for client in aws_clis() {
        let before = now();
        let input =
            r#"{"domain": "shared", "domainOwner": "444455556666", "durationSeconds": 1800}"#;
        let output = run(
            &client,
            &server.url,
            &Env::dev(),
            &["--cli-input-json", input],
        );
        expect_success(&output, before + 1800).unwrap_or_else(|e| panic!("{}: {e}", client.name));
    }
}

// Scripted faults and time (issue #3), through every client.

fn retries(env: Env, attempts: u32) -> Env {
    let mut env = env;
    env.vars.push(("AWS_MAX_ATTEMPTS", attempts.to_string()));
    env
}

/// Resets the server, adds fault rules, runs the client, and returns its output and the
/// journal's (status, error) pairs.
fn run_with_faults(
    client: &Client,
    server: &MockProcess,
    faults: &[&str],
    env: &Env,
    args: &[&str],
) -> (Output, Vec<(Value, Value)>) {
    control_http(&server.url, "POST", "/_mock/reset", "");
    for fault in faults {
        let (status, body) = control_http(&server.url, "POST", "/_mock/faults", fault);
        assert_eq!(status, 200, "{body}");
    }
    let output = run(client, &server.url, env, args);
    (output, journal(server))
}

fn journal(server: &MockProcess) -> Vec<(Value, Value)> {
    let (_, journal) = control_http(&server.url, "GET", "/_mock/requests", "");
    journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].clone(), e["error"].clone()))
        .collect()
}

fn expect_journal(journal: &[(Value, Value)], expected: &[(Value, Value)]) -> Result<(), String> {
    if journal == expected {
        Ok(())
    } else {
        Err(format!("journal {journal:?}, expected {expected:?}"))
    }
}

fn ok() -> (Value, Value) {
    (Value::from(200), Value::Null)
}

fn failed(status: u16, code: &str) -> (Value, Value) {
    (Value::from(status), Value::from(code))
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_succeeds_on_its_retry_after_one_throttle() {
    let server = server();
    for_every_client(|client| {
        let before = now();
        let (output, journal) = run_with_faults(
            client,
            &server,
            &[r#"{"error": "ThrottlingException", "retry_after_seconds": 1}"#],
            &retries(Env::dev(), 3),
            &["--domain", "acme"],
        );
        expect_success(&output, before + 43_200)?;
        expect_journal(&journal, &[failed(429, "ThrottlingException"), ok()])
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_client_fails_after_exactly_three_attempts_on_persistent_internal_errors() {
    let server = server();
    for_every_client(|client| {
        let (output, journal) = run_with_faults(
            client,
            &server,
            &[r#"{"error": "InternalServerException", "times": 0}"#],
            &retries(Env::dev(), 3),
            &["--domain", "acme"],
        );
        expect_error(
            &output,
            "InternalServerException",
            "An internal error occurred. Try again later.",
        )?;
        expect_journal(
            &journal,
            &[
                failed(500, "InternalServerException"),
                failed(500, "InternalServerException"),
                failed(500, "InternalServerException"),
            ],
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn the_aws_cli_times_out_when_the_service_is_slower_than_its_read_timeout() {
    let server = server();
    for client in aws_clis() {
        let (output, _) = run_with_faults(
            &client,
            &server,
            &[r#"{"delay_ms": 3000, "times": 0}"#],
            &Env::dev(),
            &["--domain", "acme", "--cli-read-timeout", "1"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{}", client.name);
        assert!(
            stderr.contains("Read timeout on endpoint URL"),
            "{}: {stderr}",
            client.name
        );
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn every_retrying_client_survives_a_connection_reset() {
    let server = server();
    for_every_client(|client| {
        let before = now();
        let (output, journal) = run_with_faults(
            client,
            &server,
            &[r#"{"action": "reset_connection"}"#],
            &retries(Env::dev(), 3),
            &["--domain", "acme"],
        );
        expect_success(&output, before + 43_200)?;
        expect_journal(&journal, &[(Value::Null, Value::Null), ok()])
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn with_the_server_clock_twenty_minutes_ahead_only_clock_correcting_sdks_recover() {
    let server = server();
    for_every_client(|client| {
        control_http(&server.url, "POST", "/_mock/reset", "");
        control_http(
            &server.url,
            "PUT",
            "/_mock/clock",
            r#"{"offset_seconds": 1200}"#,
        );
        let output = run(
            client,
            &server.url,
            &retries(Env::dev(), 3),
            &["--domain", "acme"],
        );
        let journal = journal(&server);
        let skewed = failed(403, "InvalidSignatureException");
        match client.name {
            // The JS and Rust SDKs read the server's Date and re-sign with a corrected clock.
            "js-sdk" | "rust-sdk" => {
                expect_success(&output, now() + 1200 + 43_200)?;
                expect_journal(&journal, &[skewed, ok()])
            }
            // botocore never corrects its clock: the error must surface, not be hidden.
            _ => {
                expect_error(&output, "InvalidSignatureException", "Signature expired: ")?;
                expect_journal(&journal, &[skewed])
            }
        }
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn a_frozen_clock_makes_expirations_exact() {
    let server = server();
    let frozen = now();
    let frozen_at = humantime::format_rfc3339(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(frozen as u64),
    )
    .to_string();
    for_every_client(|client| {
        control_http(
            &server.url,
            "PUT",
            "/_mock/clock",
            &format!(r#"{{"frozen_at": "{frozen_at}"}}"#),
        );
        let output = run(
            client,
            &server.url,
            &Env::dev(),
            &["--domain", "acme", "--duration-seconds", "900"],
        );
        expect_success(&output, frozen + 900)?;
        let expiration = expiration_of(&String::from_utf8_lossy(&output.stdout));
        if expiration == frozen + 900 {
            Ok(())
        } else {
            Err(format!(
                "expiration {expiration}, expected exactly {}",
                frozen + 900
            ))
        }
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn a_scenario_given_at_start_is_played_in_order() {
    let scenario = workspace().join("fixtures/scenarios/throttle-then-internal-error.toml");
    for_every_client(|client| {
        let server = MockProcess::start(&[
            "--config",
            fixture_path().to_str().unwrap(),
            "--scenario",
            scenario.to_str().unwrap(),
        ]);
        let before = now();
        let output = run(
            client,
            &server.url,
            &retries(Env::dev(), 3),
            &["--domain", "acme"],
        );
        expect_success(&output, before + 43_200)?;
        expect_journal(
            &journal(&server),
            &[
                failed(429, "ThrottlingException"),
                failed(500, "InternalServerException"),
                ok(),
            ],
        )
    });
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn the_aws_clis_retry_a_throttled_token_request_and_succeed_the_next_second_with_quotas_enforced() {
    let server = MockProcess::start(&[
        "--config",
        fixture_path().to_str().unwrap(),
        "--enforce-quotas",
    ]);
    let host = server.url.trim_start_matches("http://").to_owned();
    for client in aws_clis() {
        control_http(&server.url, "POST", "/_mock/reset", "");
        // The server's clock stopped at this second: the 40 a second are used up and stay so.
        let (status, _) = control_http(
            &server.url,
            "PUT",
            "/_mock/clock",
            r#"{"frozen_at": "now"}"#,
        );
        assert_eq!(status, 200);
        for _ in 0..40 {
            let mut request =
                crate::util::request("POST", &format!("{TOKEN_PATH}?domain=acme"), b"");
            request.headers_mut().insert("host", host.parse().unwrap());
            sign_request(&mut request, &Signing::dev(SystemTime::now()));
            assert_eq!(raw_exchange(&server.url, &to_wire(&request)).0, 200);
        }
        let output = run(
            &client,
            &server.url,
            &retries(Env::dev(), 3),
            &["--domain", "acme"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{}: {stderr}", client.name);
        assert!(
            stderr.contains("ThrottlingException"),
            "{}: {stderr}",
            client.name
        );
        let throttled = journal(&server)
            .iter()
            .filter(|e| **e == failed(429, "ThrottlingException"))
            .count();
        assert_eq!(
            throttled, 3,
            "{}: every attempt of the CLI's retries was throttled",
            client.name
        );
        // The clock runs again (a new second): the next call goes through.
        control_http(&server.url, "PUT", "/_mock/clock", "{}");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let output = run(&client, &server.url, &Env::dev(), &["--domain", "acme"]);
        assert!(
            output.status.success(),
            "{}: {}",
            client.name,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
