//! What the external-connection cases share: an independent upstream registry (Python's
//! `http.server` serving a folder on loopback, its request log kept), and a fixture whose
//! `app` repository reads through one repository per external connection.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A static HTTP server over a folder: the upstream a test points an external connection at.
pub(super) struct StaticServer {
    child: Child,
    pub(super) port: u16,
    log: PathBuf,
}

impl StaticServer {
    /// Serves `dir` on a free loopback port, once it answers.
    pub(super) fn start(dir: &Path) -> Self {
        Self::start_on(dir, free_port())
    }

    /// Serves `dir` on `port` (for documents that must name their own URL).
    pub(super) fn start_on(dir: &Path, port: u16) -> Self {
        let log = dir.with_extension("log");
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("python3 -m http.server");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the upstream did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, log }
    }

    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The paths it was asked for, in order (its own request log).
    pub(super) fn requests(&self) -> Vec<String> {
        let log = std::fs::File::open(&self.log).unwrap();
        BufReader::new(log)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| {
                line.split('"')
                    .nth(1)
                    .and_then(|r| r.split(' ').nth(1))
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Stops it: the connection's upstream is gone.
    pub(super) fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a GET of `path` at the mock `url` with no token (`401`, before any upstream
/// is asked).
pub(super) fn without_token(url: &str, path: &str) -> u16 {
    let host = url.trim_start_matches("http://");
    let request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
    crate::util::raw_exchange(url, request.as_bytes()).0
}

/// Whether the mock at `url` still serves.
pub(super) fn alive(url: &str) -> bool {
    crate::util::raw_exchange(
        url,
        b"GET /_mock/health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
    )
    .0 == 200
}

/// A mock on the external-connection fixture whose `connection` fetches from `url`.
pub(super) fn mock_with(
    config: &Path,
    connection: &str,
    url: &str,
    extra: &[&str],
) -> crate::util::MockProcess {
    let setting = format!("{connection}={url}");
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--external-connection",
        &setting,
    ];
    args.extend_from_slice(extra);
    crate::util::MockProcess::start(&args)
}

/// The URL of a registry that is not there (a loopback port nothing listens on).
pub(super) fn nowhere() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// A loopback port nothing listens on now.
pub(super) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The embedded fixture's identities and repositories (not its seeded packages), plus
/// `pypi-store`, `npm-store`, `cargo-store` and `maven-store` (each with its external
/// connection), `app` reading through all four, and package groups that keep each format's
/// `ext-blocked` from its external connection.
pub(super) fn fixture(dir: &Path) -> PathBuf {
    let default = codeartifact_mock::fixture::DEFAULT_FIXTURE;
    let mut text = default.split("\n[[packages]]").next().unwrap().to_owned();
    for (name, connection) in [
        ("pypi-store", "public:pypi"),
        ("npm-store", "public:npmjs"),
        ("cargo-store", "public:crates-io"),
        ("maven-store", "public:maven-central"),
    ] {
        text.push_str(&format!("\n[[repositories]]\ndomain = \"test-domain\"\nowner = \"111122223333\"\nname = \"{name}\"\nexternal_connection = \"{connection}\"\n"));
    }
    text.push_str("\n[[repositories]]\ndomain = \"test-domain\"\nowner = \"111122223333\"\nname = \"app\"\nupstreams = [\"pypi-store\", \"npm-store\", \"cargo-store\", \"maven-store\"]\n");
    for pattern in [
        "/pypi//ext-blocked$",
        "/npm//ext-blocked$",
        "/cargo//ext-blocked$",
        "/maven/com.acme/ext-blocked$",
    ] {
        text.push_str(&format!("\n[[package_groups]]\ndomain = \"test-domain\"\nowner = \"111122223333\"\npattern = \"{pattern}\"\nexternal_upstream = \"BLOCK\"\n"));
    }
    let path = dir.join("fixture.toml");
    std::fs::write(&path, text).unwrap();
    path
}
