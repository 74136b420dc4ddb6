//! `aws codeartifact login` against the mock, with AWS CLI v1 (pip `awscli`) and v2 (Debian
//! `awscli`), in a throwaway HOME: the files each tool's login writes point at the mock's
//! repository endpoint with a token that the endpoint accepts, and the printed expiry is the
//! token's. Real clients: `#[ignore]`d in a plain `cargo test`, run by `just test` (the
//! `login::` cases of `just clients`); pip and npm must be installed, as `login` runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::*;

struct Cli {
    name: &'static str,
    program: PathBuf,
    args: Vec<&'static str>,
}

fn clis() -> Vec<Cli> {
    let v2 = std::env::var("AWS_CLI_V2").unwrap_or_else(|_| "/usr/bin/aws".into());
    assert!(
        Path::new(&v2).exists(),
        "AWS CLI v2 is not installed at {v2}: run `just prepare-clients`"
    );
    vec![
        Cli {
            name: "aws-cli-v1",
            program: "python3".into(),
            args: vec!["-m", "awscli"],
        },
        Cli {
            name: "aws-cli-v2",
            program: v2.into(),
            args: vec![],
        },
    ]
}

/// A HOME of its own for one login, removed when dropped.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "codeartifact-login-{}-{name}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.0.join(file))
            .unwrap_or_else(|e| panic!("{file} was not written: {e}"))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Who runs a command: access key id, secret, session token.
type Who = (&'static str, &'static str, Option<&'static str>);

/// The fixture's session identity of account 111122223333, allowed everything.
const BUILDER: Who = (
    "ASIASESSIONEXAMPLE01",
    "session/secret/EXAMPLEKEY",
    Some("session-token-EXAMPLE-1"),
);

/// The fixture's identity of account 999999999999, allowed everything in its own account.
const OUTSIDER: Who = ("AKIAOUTSIDEREXAMPLE1", "outsider/secret/EXAMPLEKEY", None);

/// `aws --endpoint-url URL codeartifact ARGS` as `who`, in `home`.
fn aws(cli: &Cli, url: &str, home: &Home, who: Who, args: &[&str]) -> Output {
    let mut command = Command::new(&cli.program);
    command
        .args(&cli.args)
        .args(["--endpoint-url", url, "codeartifact"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .env("TZ", "UTC")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_ACCESS_KEY_ID", who.0)
        .env("AWS_SECRET_ACCESS_KEY", who.1)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("npm_config_update_notifier", "false");
    if let Some(token) = who.2 {
        command.env("AWS_SESSION_TOKEN", token);
    }
    for name in ["PYENV_ROOT", "PYENV_VERSION", "LANG"] {
        if let Ok(value) = std::env::var(name) {
            command.env(name, value);
        }
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("{}: cannot run: {e}", cli.name))
}

/// `aws aws ... ARGS` that must succeed: its output.
fn aws_ok(cli: &Cli, url: &str, home: &Home, who: Who, args: &[&str]) -> Output {
    let output = aws(cli, url, home, who, args);
    assert!(
        output.status.success(),
        "{} {args:?}: {}{}",
        cli.name,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `aws --endpoint-url URL codeartifact login ARGS` as the fixture's session identity.
fn login(cli: &Cli, url: &str, home: &Home, args: &[&str]) -> Output {
    let mut all = vec!["login"];
    all.extend_from_slice(args);
    aws_ok(cli, url, home, BUILDER, &all)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `exp` of a token's protected header.
fn token_expiry(token: &str) -> i64 {
    let header = token.split('.').next().unwrap();
    let json = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(header).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&json).unwrap();
    header["exp"].as_i64().unwrap()
}

/// `Login expires in 12 hours at 2026-12-02 15:59:13+00:00` as epoch seconds.
fn printed_expiry(text: &str) -> i64 {
    let at = text
        .split("Login expires in ")
        .nth(1)
        .and_then(|rest| rest.split(" at ").nth(1))
        .unwrap_or_else(|| panic!("no expiry line in {text}"))
        .lines()
        .next()
        .unwrap()
        .trim();
    let utc = at.replace(' ', "T").replace("+00:00", "Z");
    let time = humantime::parse_rfc3339_weak(&utc).unwrap_or_else(|e| panic!("{at}: {e}"));
    codeartifact_mock::clock::unix_seconds(time)
}

/// What the repository endpoint answers to a GET with this `Authorization`.
fn endpoint_status(url: &str, path: &str, authorization: Option<String>) -> u16 {
    let host = url.trim_start_matches("http://");
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    if let Some(value) = authorization {
        request.push_str(&format!("authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    raw_exchange(url, request.as_bytes()).0
}

fn endpoint(url: &str, format: &str) -> String {
    format!("{url}/d/acme-111122223333/us-east-1/{format}/releases/")
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn pip_login_writes_an_index_url_whose_token_the_endpoint_accepts() {
    let server = MockProcess::start(&["--config", fixture_path().to_str().unwrap()]);
    for cli in clis() {
        let home = Home::new("pip");
        let output = login(
            &cli,
            &server.url,
            &home,
            &[
                "--tool",
                "pip",
                "--domain",
                "acme",
                "--repository",
                "releases",
            ],
        );
        let printed = stdout(&output);
        assert!(
            printed.contains(&format!(
                "Successfully configured pip to use AWS CodeArtifact repository {}",
                endpoint(&server.url, "pypi")
            )),
            "{}: {printed}",
            cli.name
        );
        let config = home.read(".config/pip/pip.conf");
        let host = server.url.trim_start_matches("http://");
        let prefix = "index-url = http://aws:";
        let line = config
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{}: no index-url in {config}", cli.name));
        let (token, rest) = line[prefix.len()..].split_once('@').unwrap();
        assert_eq!(
            rest,
            format!("{host}/d/acme-111122223333/us-east-1/pypi/releases/simple/")
        );
        assert_eq!(
            printed_expiry(&printed),
            token_expiry(token),
            "{}",
            cli.name
        );
        let simple = "/d/acme-111122223333/us-east-1/pypi/releases/simple/";
        assert_eq!(endpoint_status(&server.url, simple, None), 401);
        let basic = base64_simd::STANDARD.encode_to_string(format!("aws:{token}"));
        assert_eq!(
            endpoint_status(&server.url, simple, Some(format!("Basic {basic}"))),
            200,
            "{}: the token pip was given opens the endpoint",
            cli.name
        );
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn npm_login_writes_the_registry_and_its_token_with_and_without_a_scope() {
    let server = MockProcess::start(&["--config", fixture_path().to_str().unwrap()]);
    let npm_endpoint = endpoint(&server.url, "npm");
    let registry_key = npm_endpoint.trim_start_matches("http:");
    for cli in clis() {
        for scope in [None, Some("myscope")] {
            let home = Home::new("npm");
            let mut args = vec![
                "--tool",
                "npm",
                "--domain",
                "acme",
                "--repository",
                "releases",
            ];
            if let Some(scope) = scope {
                args.extend(["--namespace", scope]);
            }
            login(&cli, &server.url, &home, &args);
            let npmrc = home.read(".npmrc");
            let registry_line = match scope {
                None => format!("registry={npm_endpoint}"),
                Some(scope) => format!("@{scope}:registry={npm_endpoint}"),
            };
            assert!(
                npmrc.lines().any(|l| l == registry_line),
                "{}: {npmrc}",
                cli.name
            );
            let token = npmrc
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{registry_key}:_authToken=")))
                .unwrap_or_else(|| panic!("{}: no _authToken in {npmrc}", cli.name));
            let path = "/d/acme-111122223333/us-east-1/npm/releases/left-pad";
            assert_eq!(
                endpoint_status(&server.url, path, Some(format!("Bearer {token}"))),
                404,
                "{}: npm's token opens the endpoint (the package does not exist: not 401)",
                cli.name
            );
        }
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn twine_login_writes_a_pypirc_for_the_mock() {
    let server = MockProcess::start(&["--config", fixture_path().to_str().unwrap()]);
    for cli in clis() {
        let home = Home::new("twine");
        let output = login(
            &cli,
            &server.url,
            &home,
            &[
                "--tool",
                "twine",
                "--domain",
                "acme",
                "--repository",
                "releases",
            ],
        );
        let pypirc = home.read(".pypirc");
        assert!(
            pypirc.contains(&format!(
                "[codeartifact]\nrepository = {}\nusername = aws\npassword = eyJ2ZXIiOjEsImlzdSI6",
                endpoint(&server.url, "pypi")
            )),
            "{}: {pypirc}",
            cli.name
        );
        let token = pypirc
            .lines()
            .find_map(|l| l.strip_prefix("password = "))
            .unwrap();
        assert_eq!(printed_expiry(&stdout(&output)), token_expiry(token));
    }
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn dry_runs_print_what_each_tool_would_be_told() {
    let server = MockProcess::start(&["--config", fixture_path().to_str().unwrap()]);
    let args = |tool| {
        vec![
            "--tool",
            tool,
            "--domain",
            "acme",
            "--repository",
            "releases",
            "--dry-run",
        ]
    };
    for cli in clis() {
        let home = Home::new("dry-run");
        let pip = stdout(&login(&cli, &server.url, &home, &args("pip")));
        let host = server.url.trim_start_matches("http://");
        assert!(
            pip.starts_with("pip config set global.index-url http://aws:eyJ2ZXIiOjEsImlzdSI6"),
            "{}: {pip}",
            cli.name
        );
        assert!(
            pip.trim_end().ends_with(&format!(
                "@{host}/d/acme-111122223333/us-east-1/pypi/releases/simple/"
            )),
            "{}: {pip}",
            cli.name
        );
        let npm = stdout(&login(&cli, &server.url, &home, &args("npm")));
        assert!(
            npm.starts_with(&format!(
                "npm config set registry {}",
                endpoint(&server.url, "npm")
            )),
            "{}: {npm}",
            cli.name
        );
        let twine = stdout(&login(&cli, &server.url, &home, &args("twine")));
        assert!(
            twine.contains("Dryrun mode is enabled, not writing to pypirc."),
            "{}: {twine}",
            cli.name
        );
        // Nothing was written.
        assert!(!home.0.join(".pypirc").exists() && !home.0.join(".npmrc").exists());
    }
    // Swift (CLI v1; Debian's CLI v2 2.9 predates it): the .netrc line and the registry.
    let home = Home::new("swift");
    let swift = stdout(&login(&clis()[0], &server.url, &home, &args("swift")));
    assert!(
        swift.contains("machine 127.0.0.1 login token password eyJ2ZXIiOjEsImlzdSI6"),
        "{swift}"
    );
    assert!(
        swift.contains(&format!(
            "swift package-registry set {}",
            endpoint(&server.url, "swift")
        )),
        "{swift}"
    );
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

#[test]
#[ignore = "needs the real clients: `just test` prepares and runs them"]
fn a_script_of_aws_cli_calls_builds_a_domain_that_another_account_logs_in_to() {
    let server = MockProcess::start(&["--config", fixture_path().to_str().unwrap()]);
    for cli in clis() {
        let home = Home::new("script");
        let url = server.url.as_str();
        let domain = format!("scripted-{}", cli.name);
        let run = |who, args: &[&str]| aws_ok(&cli, url, &home, who, args);
        let created = json(&run(BUILDER, &["create-domain", "--domain", &domain]));
        assert_eq!(created["domain"]["status"], "Active", "{}", cli.name);
        let base = json(&run(
            BUILDER,
            &[
                "create-repository",
                "--domain",
                &domain,
                "--repository",
                "base",
                "--description",
                "the base",
            ],
        ));
        assert_eq!(base["repository"]["description"], "the base");
        run(
            BUILDER,
            &[
                "associate-external-connection",
                "--domain",
                &domain,
                "--repository",
                "base",
                "--external-connection",
                "public:pypi",
            ],
        );
        let app = json(&run(
            BUILDER,
            &[
                "create-repository",
                "--domain",
                &domain,
                "--repository",
                "app",
                "--upstreams",
                "repositoryName=base",
            ],
        ));
        assert_eq!(
            app["repository"]["upstreams"][0]["repositoryName"], "base",
            "{}",
            cli.name
        );
        let described = json(&run(
            BUILDER,
            &[
                "describe-repository",
                "--domain",
                &domain,
                "--repository",
                "base",
            ],
        ));
        assert_eq!(
            described["repository"]["externalConnections"][0]["packageFormat"],
            "pypi"
        );
        // Deleting in the wrong order is a ConflictException.
        let refused = aws(
            &cli,
            url,
            &home,
            BUILDER,
            &["delete-domain", "--domain", &domain],
        );
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("(ConflictException)"),
            "{}",
            cli.name
        );
        // A domain policy admits the second account, which then logs pip and npm in.
        let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"], "Resource": "*"}]}"#;
        run(
            BUILDER,
            &[
                "put-domain-permissions-policy",
                "--domain",
                &domain,
                "--policy-document",
                policy,
            ],
        );
        let before = aws(
            &cli,
            url,
            &home,
            OUTSIDER,
            &[
                "describe-domain",
                "--domain",
                &domain,
                "--domain-owner",
                "111122223333",
            ],
        );
        assert!(
            String::from_utf8_lossy(&before.stderr).contains("(AccessDeniedException)"),
            "{}: the policy allows no DescribeDomain",
            cli.name
        );
        let token = json(&run(
            OUTSIDER,
            &[
                "get-authorization-token",
                "--domain",
                &domain,
                "--domain-owner",
                "111122223333",
            ],
        ));
        assert!(token["authorizationToken"]
            .as_str()
            .unwrap()
            .starts_with("eyJ2ZXIiOjEsImlzdSI6"));
        for tool in ["pip", "npm"] {
            let printed = stdout(&run(
                OUTSIDER,
                &[
                    "login",
                    "--tool",
                    tool,
                    "--domain",
                    &domain,
                    "--domain-owner",
                    "111122223333",
                    "--repository",
                    "app",
                ],
            ));
            let format = if tool == "pip" { "pypi" } else { "npm" };
            assert!(
                printed.contains(&format!(
                    "{url}/d/{domain}-111122223333/us-east-1/{format}/app/"
                )),
                "{}: {printed}",
                cli.name
            );
        }
        let npmrc = home.read(".npmrc");
        let token = npmrc
            .lines()
            .find_map(|l| l.split_once(":_authToken=").map(|(_, t)| t.to_owned()))
            .unwrap();
        let path = format!("/d/{domain}-111122223333/us-east-1/npm/app/left-pad");
        assert_eq!(
            endpoint_status(url, &path, Some(format!("Bearer {token}"))),
            404,
            "{}: the token opens the endpoint (no such package: not 401)",
            cli.name
        );
        // Deleting in the right order works.
        for repository in ["app", "base"] {
            run(
                BUILDER,
                &[
                    "delete-repository",
                    "--domain",
                    &domain,
                    "--repository",
                    repository,
                ],
            );
        }
        let deleted = json(&run(BUILDER, &["delete-domain", "--domain", &domain]));
        assert_eq!(deleted["domain"]["status"], "Deleted", "{}", cli.name);
    }
}
