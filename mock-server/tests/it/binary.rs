use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use crate::util::*;

fn mock() -> Command {
    Command::cargo_bin("codeartifact-mock").expect("binary built")
}

#[test]
fn prints_the_listening_line_first_and_serves_the_embedded_fixture() {
    let server = MockProcess::start(&[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    // The manual page's example identity and domain exist.
    let (status, text) = raw_exchange(&server.url, &example_request());
    assert_eq!(status, 200, "{text}");
}

/// Starts the binary expecting it to refuse: its exit code and stderr.
pub(crate) fn start_failure(args: &[&str]) -> (Option<i32>, String) {
    let output = mock()
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout before listening"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code(), stderr)
}

#[test]
fn a_bad_fixture_stops_the_server_naming_file_line_and_value() {
    let dir = std::env::temp_dir().join(format!("ca-mock-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("regions = [\"us-east-1\"]\n[[domains]]\nname = \"Bad_Name\"\nowner = \"111122223333\"\n", ":3: invalid domain name 'Bad_Name'"),
        ("regions = [\"us-east-1\"]\n[[domains]]\nname = \"ok\"\nowner = \"12\"\n", ":4: invalid domain owner '12'"),
        ("regions = [\"us-east-1\"]\ncolour = 1\n", ":2: unknown field `colour`"),
        // toml names the line where the unclosed array opens.
        ("regions = [\"us-east-1\"\n", ":1: unclosed array, expected `]`"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad-{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let (code, stderr) = start_failure(&["--config", path.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{}{expected}", path.display())),
            "{stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
    let (code, stderr) = start_failure(&["--config", "/nonexistent/fixture.toml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("/nonexistent/fixture.toml: cannot read the fixture"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_a_one_line_error() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let output = mock().args(["--listen", &addr]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

/// The `X-Amz-Signature` of a presigned request.
fn presigned_signature_of(request: &http::Request<bytes::Bytes>) -> String {
    let query = request.uri().query().expect("a presigned query");
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("X-Amz-Signature="))
        .expect("a signature in the query")
        .to_owned()
}

#[test]
fn logs_one_line_per_request_and_never_a_secret_even_at_trace() {
    let server =
        MockProcess::start_logging(&["--config", fixture_path().to_str().unwrap()], "trace");
    let now = std::time::SystemTime::now();
    let right = Signing::key("ASIASESSIONEXAMPLE01", "session/secret/EXAMPLEKEY", now)
        .session("session-token-EXAMPLE-1");
    let wrong = Signing::key("ASIASESSIONEXAMPLE01", "wrong/secret/EXAMPLEKEY", now)
        .session("session-token-EXAMPLE-1");
    let presigned = |signing: &Signing| {
        signing
            .clone()
            .presigned(std::time::Duration::from_secs(60))
    };
    // Both signing locations (header, presigned query), each signed right and wrong.
    let requests = [
        (signed("domain=acme", &right), 200),
        (signed("domain=acme", &wrong), 403),
        (signed("domain=acme", &presigned(&right)), 200),
        (signed("domain=acme", &presigned(&wrong)), 403),
    ];
    let mut secrets = vec![
        "session/secret/EXAMPLEKEY".to_owned(),
        "session-token-EXAMPLE-1".to_owned(),
        "wrong/secret/EXAMPLEKEY".to_owned(),
    ];
    for (i, (request, expected)) in requests.iter().enumerate() {
        let presigned = request
            .uri()
            .query()
            .is_some_and(|q| q.contains("X-Amz-Signature="));
        secrets.push(if presigned {
            presigned_signature_of(request)
        } else {
            signature_of(request)
        });
        let (status, response) = raw_exchange(&server.url, &to_wire(request));
        assert_eq!(status, *expected, "request {i}: {response}");
        if status == 200 {
            secrets.push(token_in(&response));
        }
    }

    // Wait for every line to be written.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.logs().matches(" request ").count() < requests.len()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let logs = server.logs();
    let request_lines: Vec<&str> = logs.lines().filter(|l| l.contains(" request ")).collect();
    assert_eq!(request_lines.len(), requests.len(), "{logs}");
    assert!(request_lines[0].contains("method=POST path=/v1/authorization-token operation=GetAuthorizationToken access_key_id=ASIASESSIONEXAMPLE01 status=200 error=-"), "{}", request_lines[0]);
    for line in [request_lines[1], request_lines[3]] {
        assert!(
            line.contains("status=403 error=InvalidSignatureException"),
            "{line}"
        );
    }
    assert!(request_lines[0].contains("latency_us="));
    assert_eq!(
        logs.matches("signature mismatch").count(),
        2,
        "the debug line that explains mismatches, for both locations: {logs}"
    );
    assert!(
        logs.contains("X-Amz-Security-Token=<redacted>"),
        "the presigned canonical request shows where the token was: {logs}"
    );
    assert!(logs.contains("x-amz-security-token:<redacted>"), "{logs}");
    let (_, journal) = control_http(&server.url, "GET", "/_mock/requests", "");
    let journal = journal.to_string();
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret leaked into the logs: {secret}"
        );
        assert!(
            !journal.contains(secret.as_str()),
            "a secret leaked into the journal: {secret}"
        );
    }
}

#[test]
fn serves_connections_on_the_workers_it_is_given() {
    let server = MockProcess::start(&["--workers", "3"]);
    #[cfg(target_os = "linux")]
    {
        let workers: std::collections::BTreeSet<String> =
            std::fs::read_dir(format!("/proc/{}/task", server.pid()))
                .unwrap()
                .map(|task| std::fs::read_to_string(task.unwrap().path().join("comm")).unwrap())
                .map(|name| name.trim_end().to_owned())
                .filter(|name| name.starts_with("worker-"))
                .collect();
        assert_eq!(
            workers.into_iter().collect::<Vec<_>>(),
            ["worker-0", "worker-1", "worker-2"]
        );
    }
    // Connections at once, dealt over the three workers in turn: every one is answered.
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let url = server.url.clone();
            std::thread::spawn(move || raw_exchange(&url, &example_request()))
        })
        .collect();
    for client in clients {
        let (status, text) = client.join().unwrap();
        assert_eq!(status, 200, "{text}");
    }
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let server = MockProcess::start(&["--workers", "2"]);
    let (status, body) = control_http(
        &server.url,
        "POST",
        "/_mock/faults",
        r#"{"delay_ms": 1500}"#,
    );
    assert!((200..300).contains(&status), "{status} {body}");
    let url = server.url.clone();
    let client = std::thread::spawn(move || raw_exchange(&url, &example_request()));
    // The journal records a request on arrival, before the scripted delay holds it: once it
    // is there, the request is in flight when the signal arrives.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, journal) = control_http(&server.url, "GET", "/_mock/requests", "");
        if journal["requests"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the request never arrived: {journal}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(server.terminate(), Some(0));
    let (status, text) = client.join().unwrap();
    assert_eq!(status, 200, "{text}");
}

#[test]
fn flags_are_read_from_their_environment_variables() {
    let scenarios = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    let list = format!(
        "{},{}",
        scenarios.join("throttle-then-recover.toml").display(),
        scenarios.join("slow-service.toml").display()
    );
    let server = MockProcess::spawn_with_env(
        "127.0.0.1:0",
        &[],
        "info",
        &[
            ("CODEARTIFACT_MOCK_NO_CONTROL", "true"),
            ("CODEARTIFACT_MOCK_SCENARIO", &list),
        ],
    );
    let (status, _) = control_http(&server.url, "GET", "/_mock/health", "");
    assert_eq!(
        status, 403,
        "CODEARTIFACT_MOCK_NO_CONTROL turned the control API off"
    );
    // Log lines are written in batches: wait for the two scenario lines.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.logs().matches("scenario loaded").count() < 2
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let logs = server.logs();
    assert_eq!(logs.matches("scenario loaded").count(), 2, "{logs}");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let server = MockProcess::start(&[]);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn control_flags_switch_and_guard_the_control_api() {
    let open = MockProcess::start(&[]);
    assert_eq!(control_http(&open.url, "GET", "/_mock/health", "").0, 200);

    let off = MockProcess::start(&["--no-control"]);
    let (status, body) = control_http(&off.url, "GET", "/_mock/health", "");
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("Missing Authentication Token"))
    );

    let guarded = MockProcess::start(&["--admin-token", "s3cret"]);
    assert_eq!(
        control_http(&guarded.url, "GET", "/_mock/health", "").0,
        401
    );
    let host = guarded.url.trim_start_matches("http://");
    let request = format!("GET /_mock/health HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer s3cret\r\nconnection: close\r\n\r\n");
    assert_eq!(raw_exchange(&guarded.url, request.as_bytes()).0, 200);
}

#[test]
fn the_control_api_is_off_on_a_non_loopback_address_without_an_admin_token() {
    let server = MockProcess::spawn("0.0.0.0:0", &[], "info");
    // Reached over loopback only, as every test here is.
    let (status, _) = control_http(
        &format!("http://127.0.0.1:{}", server.port()),
        "GET",
        "/_mock/health",
        "",
    );
    assert_eq!(status, 403, "served as an AWS path");
    let logs = server.logs();
    assert!(
        logs.contains(
            "the control API (/_mock/) is off because 0.0.0.0:0 is not a loopback address"
        ),
        "{logs}"
    );
}

#[test]
fn a_bad_scenario_stops_the_server_naming_file_and_line() {
    let path = std::env::temp_dir().join(format!("ca-mock-scenario-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "name = \"x\"\n[[faults]]\nerror = \"ThrottlingExceptoin\"\n",
    )
    .unwrap();
    let (code, stderr) = start_failure(&["--scenario", path.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!(
            "{}:2: invalid fault: unknown error code 'ThrottlingExceptoin'",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn an_invalid_flag_is_a_one_line_error() {
    for (args, expected) in [
        (vec!["--listen", "nonsense"], "codeartifact-mock: error: invalid value 'nonsense' for '--listen <LISTEN>'"),
        (vec!["--tls-cert", "x"], "codeartifact-mock: error: the following required arguments were not provided --tls-key <FILE> (see --help)"),
        (vec!["--no-such-flag"], "codeartifact-mock: error: unexpected argument '--no-such-flag' found"),
        (vec!["--workers", "0"], "codeartifact-mock: error: invalid value '0' for '--workers <N>': 0 is not in 1..=65535"),
    ] {
        let output = mock().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
    }
    let help = mock().arg("--help").output().unwrap();
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("--listen"));
}

/// Runs `codeartifact-mock [args] healthcheck`: its exit code, stdout and stderr.
fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let output = mock()
        .args(args)
        .arg("healthcheck")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn healthcheck_exits_0_while_the_server_serves_and_1_once_it_stopped() {
    let guarded = MockProcess::start(&["--admin-token", "s3cret"]);
    let listen = format!("127.0.0.1:{}", guarded.port());
    // The token comes from the same environment variable the server reads.
    let (code, stdout, stderr) = healthcheck(
        &[],
        &[
            ("CODEARTIFACT_MOCK_LISTEN", &listen),
            ("CODEARTIFACT_MOCK_ADMIN_TOKEN", "s3cret"),
        ],
    );
    assert_eq!(
        (code, stdout.trim()),
        (Some(0), "healthy: HTTP/1.1 200 OK"),
        "{stderr}"
    );
    let (code, _, stderr) = healthcheck(&["--listen", &listen], &[]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("unhealthy: answered HTTP/1.1 401"),
        "{stderr}"
    );

    let open = MockProcess::spawn("0.0.0.0:0", &[], "info");
    let listen = format!("0.0.0.0:{}", open.port());
    let (code, stdout, stderr) = healthcheck(&["--listen", &listen], &[]);
    assert_eq!(
        (code, stdout.trim()),
        (Some(0), "healthy: HTTP/1.1 403 Forbidden"),
        "{stderr}"
    );
    assert_eq!(open.terminate(), Some(0));
    let (code, stdout, stderr) = healthcheck(&["--listen", &listen], &[]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(
        stderr.contains("unhealthy: cannot connect to 127.0.0.1:"),
        "{stderr}"
    );

    // Container runtimes reserve exit code 2: a bad flag is unhealthy too.
    let (code, _, stderr) = healthcheck(&["--listen", "nonsense"], &[]);
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn healthcheck_speaks_tls_to_a_tls_server() {
    let server = MockProcess::start(&["--tls"]);
    let listen = format!("127.0.0.1:{}", server.port());
    let (code, stdout, stderr) = healthcheck(&["--listen", &listen, "--tls"], &[]);
    assert_eq!(
        (code, stdout.trim()),
        (Some(0), "healthy: HTTP/1.1 200 OK"),
        "{stderr}"
    );
    // Plain HTTP to a TLS port is no answer.
    let (code, _, _) = healthcheck(&["--listen", &listen], &[]);
    assert_eq!(code, Some(1));
}

#[test]
fn a_restart_with_the_same_data_dir_and_key_file_serves_what_was_published_to_the_same_token() {
    let dir = std::env::temp_dir().join(format!(
        "ca-mock-data-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let key = dir.join("token.key");
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let args = [
        "--data-dir",
        data.to_str().unwrap(),
        "--token-key-file",
        key.to_str().unwrap(),
    ];
    let first = MockProcess::start(&args);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is its owner's alone");
    }
    let token = token_from(&first.url);
    let npm = "/d/test-domain-111122223333/us-east-1/npm/my-repo/";
    let tarball = base64_simd::STANDARD.encode_to_string(b"a tarball");
    let document = serde_json::json!({
        "name": "kept", "versions": { "1.0.0": { "name": "kept", "version": "1.0.0" } },
        "dist-tags": { "latest": "1.0.0" },
        "_attachments": { "kept-1.0.0.tgz": { "data": tarball, "length": 9 } },
    });
    let (status, body) = repository_call(
        &first.url,
        "PUT",
        &format!("{npm}kept"),
        &token,
        &document.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(first.terminate(), Some(0));

    let second = MockProcess::start(&args);
    let (status, body) = repository_call(
        &second.url,
        "GET",
        &format!("{npm}kept/-/kept-1.0.0.tgz"),
        &token,
        "",
    );
    assert_eq!(
        (status, body.as_str()),
        (200, "a tarball"),
        "the same token opens the same package"
    );
    // The seeded package is there too, once (the data folder's world, not a second seed).
    let (status, body) =
        repository_call(&second.url, "GET", &format!("{npm}mock-hello"), &token, "");
    assert_eq!(status, 200, "{body}");
    drop(second);

    // Without the key file, the old token is foreign to a new mock.
    let third = MockProcess::start(&["--data-dir", data.to_str().unwrap()]);
    let (status, _) = repository_call(&third.url, "GET", &format!("{npm}kept"), &token, "");
    assert_eq!(status, 401);
    drop(third);
    std::fs::write(&key, "not hex\n").unwrap();
    let (code, stderr) = start_failure(&["--token-key-file", key.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("token.key"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn repository_requests_never_log_the_token_in_any_form_even_at_trace() {
    let server = MockProcess::start_logging(&[], "trace");
    let token = token_from(&server.url);
    let npm = "/d/test-domain-111122223333/us-east-1/npm/my-repo/";
    let basic = base64_simd::STANDARD.encode_to_string(format!("aws:{token}"));
    let host = server.url.trim_start_matches("http://");
    for authorization in [
        format!("Bearer {token}"),
        format!("Basic {basic}"),
        token.clone(),
        format!("Bearer {token}x"),
    ] {
        for path in [
            format!("{npm}mock-hello"),
            format!("{npm}nope"),
            "/d/test-domain-111122223333/us-east-1/pypi/my-repo/simple/mock-hello/".to_owned(),
        ] {
            let request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: {authorization}\r\nconnection: close\r\n\r\n");
            let (status, _) = raw_exchange(&server.url, request.as_bytes());
            assert!(status > 0);
        }
    }
    // Log lines are written in batches: wait for the last request's line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.logs().matches("repository request").count() < 12
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let logs = server.logs();
    assert_eq!(logs.matches("repository request").count(), 12, "{logs}");
    // The token's parts, its Basic form, and its signature-like tail are nowhere.
    for secret in [
        token.as_str(),
        &basic,
        token.rsplit('.').next().unwrap(),
        token.split('.').nth(3).unwrap(),
    ] {
        assert!(!logs.contains(secret), "a token leaked into the logs");
    }
}

#[test]
fn an_upload_over_the_repository_limit_is_refused_before_its_body() {
    let server = MockProcess::start(&[]);
    let host = server.url.trim_start_matches("http://");
    // npm's publish document is read whole, up to 256 MiB.
    let request = format!(
        "PUT /d/test-domain-111122223333/us-east-1/npm/my-repo/big HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        300 * 1024 * 1024
    );
    let (status, text) = raw_exchange(&server.url, request.as_bytes());
    assert_eq!(status, 413, "{text}");
    assert!(text.contains(&(256 * 1024 * 1024).to_string()), "{text}");
}
