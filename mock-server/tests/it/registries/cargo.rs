//! cargo against the mock's Cargo registry, set up as the AWS user guide says: a sparse
//! index at the repository endpoint and `cargo:token-from-stdout` running
//! `aws codeartifact get-authorization-token` (AWS CLI v1, at the mock) as the credential
//! provider, so every cargo run mints its token through the mock's control plane.

use std::path::Path;
use std::process::{Command, Output};

use super::{aws_ok, ok, text, token_of, Scratch, EXAMPLE, LOCALSTACK};
use crate::util::*;

/// `cargo ARGS` in `dir` with `cargo_home` as CARGO_HOME, the example identity's keys for the
/// credential provider, and `extra` variables; nothing of this machine's cargo configuration.
fn cargo(cargo_home: &Path, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new("cargo");
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cargo_home.parent().unwrap())
        .env("CARGO_HOME", cargo_home)
        .env("CARGO_TERM_COLOR", "never")
        .env("TZ", "UTC")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", EXAMPLE.0)
        .env("AWS_SECRET_ACCESS_KEY", EXAMPLE.1)
        .env("AWS_DEFAULT_REGION", "us-east-1");
    // The toolchain this test runs under, wherever rustup keeps it.
    let rustup_home = std::env::var("RUSTUP_HOME")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.rustup")));
    for (name, value) in [
        ("RUSTUP_HOME", rustup_home),
        ("RUSTUP_TOOLCHAIN", std::env::var("RUSTUP_TOOLCHAIN").ok()),
    ] {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    command.envs(extra.iter().copied());
    command.output().expect("cargo runs")
}

fn cargo_ok(cargo_home: &Path, dir: &Path, args: &[&str]) -> Output {
    ok(
        cargo(cargo_home, dir, args, &[]),
        &format!("cargo {args:?}"),
    )
}

/// The user guide's cargo configuration in `cargo_home`: the sparse index at `endpoint`, and
/// `aws codeartifact get-authorization-token` at the mock (`url`) as the credential provider.
fn use_codeartifact(cargo_home: &Path, endpoint: &str, url: &str) {
    std::fs::write(
        cargo_home.join("config.toml"),
        format!(
            "[registries.codeartifact]\nindex = \"sparse+{endpoint}\"\ncredential-provider = [\"cargo:token-from-stdout\", \"python3\", \"-m\", \"awscli\", \"--endpoint-url\", \"{url}\", \"codeartifact\", \"get-authorization-token\", \"--domain\", \"test-domain\", \"--domain-owner\", \"111122223333\", \"--region\", \"us-east-1\", \"--query\", \"authorizationToken\", \"--output\", \"text\"]\n\n[registry]\ndefault = \"codeartifact\"\n"
        ),
    )
    .unwrap();
}

/// A library crate `name` at `version` in `dir`, publishable to the `codeartifact` registry.
fn write_crate(dir: &Path, name: &str, version: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\ndescription = \"A tiny test crate\"\nlicense = \"MIT\"\npublish = [\"codeartifact\"]\n\n[dependencies]\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub fn add(a: u32, b: u32) -> u32 { a + b }\n",
    )
    .unwrap();
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn cargo_publishes_and_builds_through_the_credential_provider_and_a_blocking_group_stops_it() {
    let mock = MockProcess::start(&[]);
    let url = mock.url.clone();
    let home = Scratch::new("cargo");
    let h = home.0.as_path();
    let cargo_home = home.join(".cargo/.keep");
    let cargo_home = cargo_home.parent().unwrap().to_owned();
    let endpoint = super::endpoint_of(h, &url, "my-repo", "cargo");
    // The user guide's configuration, the CLI pointed at the mock.
    use_codeartifact(&cargo_home, &endpoint, &url);

    let lib = home.join("tiny-mock-crate/.keep");
    let lib = lib.parent().unwrap();
    write_crate(lib, "tiny-mock-crate", "0.1.0");
    let published = cargo_ok(
        &cargo_home,
        lib,
        &["publish", "--registry", "codeartifact", "--allow-dirty"],
    );
    assert!(
        text(&published).contains("Published tiny-mock-crate v0.1.0"),
        "{}",
        text(&published)
    );

    let app = home.join("app/.keep");
    let app = app.parent().unwrap();
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\ntiny-mock-crate = { version = \"0.1\", registry = \"codeartifact\" }\n",
    )
    .unwrap();
    std::fs::write(
        app.join("src/main.rs"),
        "fn main() { println!(\"{}\", tiny_mock_crate::add(2, 2)); }\n",
    )
    .unwrap();
    let ran = cargo_ok(&cargo_home, app, &["run", "--quiet"]);
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "4");

    // The package API reports it.
    let versions = super::list_versions(h, &url, "my-repo", "cargo", "tiny-mock-crate");
    assert_eq!(versions["versions"][0]["version"], "0.1.0");
    assert_eq!(versions["versions"][0]["status"], "Published");

    // A package group that blocks direct publishing makes the next publish fail, as AWS would.
    aws_ok(
        h,
        &url,
        &[
            "create-package-group",
            "--domain",
            "test-domain",
            "--package-group",
            "/cargo/*",
        ],
    );
    aws_ok(
        h,
        &url,
        &[
            "update-package-group-origin-configuration",
            "--domain",
            "test-domain",
            "--package-group",
            "/cargo/*",
            "--restrictions",
            "PUBLISH=BLOCK",
        ],
    );
    write_crate(lib, "tiny-mock-crate", "0.2.0");
    let blocked = cargo(
        &cargo_home,
        lib,
        &[
            "publish",
            "--registry",
            "codeartifact",
            "--allow-dirty",
            "--no-verify",
        ],
        &[],
    );
    assert!(!blocked.status.success(), "{}", text(&blocked));
    assert!(
        text(&blocked).contains("403") && text(&blocked).contains("/cargo/*"),
        "{}",
        text(&blocked)
    );

    // A fixed token (cargo:token) stops working once the server's clock passes its expiry,
    // and a token of another domain never works.
    let token = token_of(h, &url, EXAMPLE);
    let fixed = |token: &str| {
        cargo(
            &cargo_home,
            app,
            &["update", "--quiet"],
            &[
                (
                    "CARGO_REGISTRIES_CODEARTIFACT_CREDENTIAL_PROVIDER",
                    "cargo:token",
                ),
                ("CARGO_REGISTRIES_CODEARTIFACT_TOKEN", token),
            ],
        )
    };
    ok(fixed(&token), "cargo update with a fresh token");
    let foreign = token_of(h, &url, LOCALSTACK);
    let refused = fixed(&foreign);
    assert!(
        !refused.status.success() && text(&refused).contains("401"),
        "{}",
        text(&refused)
    );
    let (status, _) = control_http(&url, "PUT", "/_mock/clock", r#"{"offset_seconds": 46800}"#);
    assert_eq!(status, 200, "13 hours ahead");
    let expired = fixed(&token);
    assert!(
        !expired.status.success() && text(&expired).contains("401"),
        "{}",
        text(&expired)
    );
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn cargo_builds_a_project_whose_dependency_comes_through_public_crates_io_from_a_sparse_index() {
    use sha2::Digest;
    let home = Scratch::new("cargo-external");
    let h = home.0.as_path();
    let cargo_home = home.join(".cargo/.keep");
    let cargo_home = cargo_home.parent().unwrap().to_owned();
    // A crate as crates.io would hold it: `cargo package`'s .crate.
    let lib = home.join("ext-tiny/.keep");
    let lib = lib.parent().unwrap();
    write_crate(lib, "ext-tiny", "0.1.0");
    let manifest = std::fs::read_to_string(lib.join("Cargo.toml"))
        .unwrap()
        .replace("publish = [\"codeartifact\"]\n", "");
    std::fs::write(lib.join("Cargo.toml"), manifest).unwrap();
    cargo_ok(
        &cargo_home,
        lib,
        &["package", "--no-verify", "--allow-dirty", "--quiet"],
    );
    let packaged = std::fs::read(lib.join("target/package/ext-tiny-0.1.0.crate")).unwrap();
    // The upstream: a static sparse index over it.
    let index = home.join("index/.keep");
    let index = index.parent().unwrap();
    let port = super::upstream::free_port();
    std::fs::write(
        index.join("config.json"),
        format!("{{\"dl\": \"http://127.0.0.1:{port}/crates\"}}"),
    )
    .unwrap();
    let line = serde_json::json!({ "name": "ext-tiny", "vers": "0.1.0", "deps": [], "cksum": hex::encode(sha2::Sha256::digest(&packaged)), "features": {}, "yanked": false });
    std::fs::create_dir_all(index.join("ex/t-")).unwrap();
    std::fs::write(index.join("ex/t-/ext-tiny"), format!("{line}\n")).unwrap();
    std::fs::create_dir_all(index.join("crates/ext-tiny/0.1.0")).unwrap();
    std::fs::write(index.join("crates/ext-tiny/0.1.0/download"), &packaged).unwrap();
    // The same crate under a name a package group keeps from the connection.
    let blocked_line = serde_json::json!({ "name": "ext-blocked", "vers": "0.1.0", "deps": [], "cksum": line["cksum"], "features": {}, "yanked": false });
    std::fs::write(index.join("ex/t-/ext-blocked"), format!("{blocked_line}\n")).unwrap();
    let upstream = super::upstream::StaticServer::start_on(index, port);

    let config = super::upstream::fixture(h);
    let mock = super::upstream::mock_with(&config, "public:crates-io", &upstream.url(), &[]);
    let url = mock.url.clone();
    let endpoint = super::endpoint_of(h, &url, "app", "cargo");
    use_codeartifact(&cargo_home, &endpoint, &url);
    let app = home.join("app/.keep");
    let app = app.parent().unwrap();
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(app.join("Cargo.toml"), "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\next-tiny = { version = \"0.1\", registry = \"codeartifact\" }\n").unwrap();
    std::fs::write(
        app.join("src/main.rs"),
        "fn main() { println!(\"{}\", ext_tiny::add(2, 3)); }\n",
    )
    .unwrap();
    let ran = cargo_ok(&cargo_home, app, &["run", "--quiet"]);
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "5");
    assert!(
        upstream
            .requests()
            .iter()
            .any(|p| p == "/crates/ext-tiny/0.1.0/download"),
        "{:?}",
        upstream.requests()
    );

    // A package group that blocks EXTERNAL_UPSTREAM: the upstream is never asked for the
    // crate (cargo then probes `ext_blocked`, another name, which the upstream does not have).
    let blocked_app = home.join("blocked-app/.keep");
    let blocked_app = blocked_app.parent().unwrap();
    std::fs::create_dir_all(blocked_app.join("src")).unwrap();
    std::fs::write(blocked_app.join("Cargo.toml"), "[package]\nname = \"blocked-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\next-blocked = { version = \"0.1\", registry = \"codeartifact\" }\n").unwrap();
    std::fs::write(blocked_app.join("src/main.rs"), "fn main() {}\n").unwrap();
    let refused = cargo(&cargo_home, blocked_app, &["generate-lockfile"], &[]);
    assert!(!refused.status.success(), "{}", text(&refused));
    let asked = upstream.requests();
    assert!(
        !asked.iter().any(|p| p.ends_with("/ext-blocked")),
        "{asked:?}"
    );
    // No token: 401 before anything is asked upstream.
    let index_file = "/d/test-domain-111122223333/us-east-1/cargo/app/ex/t-/ext-other";
    assert_eq!(super::upstream::without_token(&url, index_file), 401);
    assert_eq!(
        upstream.requests().len(),
        asked.len(),
        "nothing was asked upstream"
    );

    // The upstream goes away: a clean build, its caches gone, still finds the crate.
    upstream.stop();
    let _ = std::fs::remove_dir_all(cargo_home.join("registry"));
    let _ = std::fs::remove_dir_all(app.join("target"));
    let _ = std::fs::remove_file(app.join("Cargo.lock"));
    let ran = cargo_ok(&cargo_home, app, &["run", "--quiet"]);
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "5");
    let versions = super::list_versions(h, &url, "cargo-store", "cargo", "ext-tiny");
    assert_eq!(versions["versions"][0]["origin"]["originType"], "EXTERNAL");

    // An upstream that is not there: cargo fails in time, the mock serves on.
    let nowhere = super::upstream::mock_with(
        &config,
        "public:crates-io",
        &super::upstream::nowhere(),
        &["--external-connect-timeout-seconds", "2"],
    );
    let endpoint = super::endpoint_of(h, &nowhere.url, "app", "cargo");
    use_codeartifact(&cargo_home, &endpoint, &nowhere.url);
    let _ = std::fs::remove_dir_all(cargo_home.join("registry"));
    let _ = std::fs::remove_file(app.join("Cargo.lock"));
    let started = std::time::Instant::now();
    let failed = cargo(&cargo_home, app, &["generate-lockfile"], &[]);
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "in time"
    );
    assert!(super::upstream::alive(&nowhere.url), "the mock serves on");
}
