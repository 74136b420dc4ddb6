//! Where scenarios run: a fresh in-process mock per scenario, or an endpoint started
//! separately, driven through its control API (`/_mock/`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codeartifact_mock::{Fixture, MockServer, Tls};
use serde_json::Value;

use crate::scenario::ConformanceScenario;

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeenRequest {
    /// Status sent; `None` when the connection was closed without a response.
    pub status: Option<u16>,
    /// Error code sent.
    pub error: Option<String>,
    /// Whether the signature verified.
    pub authenticated: bool,
    /// Query parameters (first value of each).
    pub query: serde_json::Map<String, Value>,
}

/// The server's time when the client was started.
#[derive(Debug, Clone, Copy)]
pub struct ServerTime {
    /// Epoch seconds.
    pub now: i64,
    /// Whether the clock is frozen (expirations must then be exact).
    pub frozen: bool,
}

/// Where scenarios run.
#[derive(Debug, Clone)]
pub enum Target {
    /// A mock in this process, fresh for every scenario.
    InProcess {
        /// Runs the servers.
        runtime: Arc<tokio::runtime::Runtime>,
        /// The fixture each scenario starts from.
        fixture: Fixture,
    },
    /// A mock started separately.
    External {
        /// `http://IP:PORT`.
        url: String,
        /// The fixture each scenario starts from, as TOML.
        fixture_toml: String,
    },
}

/// A mock ready for one scenario.
#[derive(Debug)]
pub enum Prepared {
    /// In-process: the server and its certificate authority when over TLS.
    InProcess(MockServer, Option<std::path::PathBuf>),
    /// External: its URL.
    External(String),
}

impl Target {
    /// An in-process target.
    pub fn in_process(fixture: Fixture) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(Self::InProcess {
            runtime: Arc::new(runtime),
            fixture,
        })
    }

    /// Whether scenarios may run in parallel (not on a shared external mock).
    pub fn parallel(&self) -> bool {
        matches!(self, Self::InProcess { .. })
    }

    /// Sets a mock up for `scenario`: its fixture, then the scenario's own script.
    pub fn prepare(&self, scenario: &ConformanceScenario) -> Result<Prepared, String> {
        match self {
            Self::InProcess { runtime, fixture } => {
                let mut builder = MockServer::builder().fixture(fixture.clone());
                let ca = if scenario.client.tls {
                    let ca = std::env::temp_dir().join(format!(
                        "codeartifact-conformance-{}-{}-ca.pem",
                        std::process::id(),
                        scenario.name
                    ));
                    builder = builder.tls(Tls::generated(&ca).map_err(|e| e.to_string())?);
                    Some(ca)
                } else {
                    None
                };
                let server = runtime
                    .block_on(builder.try_start())
                    .map_err(|e| format!("cannot start the mock: {e}"))?;
                server.play(&scenario.mock).map_err(|e| e.to_string())?;
                Ok(Prepared::InProcess(server, ca))
            }
            Self::External { url, fixture_toml } => {
                control(url, "POST", "/_mock/reset", "")?;
                control(url, "PUT", "/_mock/config", fixture_toml)?;
                control(url, "POST", "/_mock/scenario", &scenario.text)?;
                Ok(Prepared::External(url.clone()))
            }
        }
    }
}

impl Prepared {
    /// The URL to give the client as `--endpoint-url`.
    pub fn endpoint(&self) -> String {
        match self {
            Self::InProcess(server, _) => server.uri(),
            Self::External(url) => url.clone(),
        }
    }

    /// The certificate authority of a TLS mock.
    pub fn ca_bundle(&self) -> Option<&std::path::Path> {
        match self {
            Self::InProcess(_, ca) => ca.as_deref(),
            Self::External(_) => None,
        }
    }

    /// The server's clock now.
    pub fn server_time(&self) -> Result<ServerTime, String> {
        match self {
            Self::InProcess(server, _) => Ok(ServerTime {
                now: unix_seconds(server.clock().now()),
                frozen: server.clock().is_frozen(),
            }),
            Self::External(url) => {
                let clock = control(url, "GET", "/_mock/clock", "")?;
                let now = clock["now"]
                    .as_str()
                    .ok_or("GET /_mock/clock has no `now`")?;
                let now = humantime::parse_rfc3339_weak(now)
                    .map_err(|e| format!("GET /_mock/clock: bad `now` {now:?}: {e}"))?;
                Ok(ServerTime {
                    now: unix_seconds(now),
                    frozen: clock.get("frozen_at").is_some(),
                })
            }
        }
    }

    /// The requests the mock saw, oldest first.
    pub fn requests(&self) -> Result<Vec<SeenRequest>, String> {
        let entries: Vec<Value> = match self {
            Self::InProcess(server, _) => server
                .requests()
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or_default())
                .collect(),
            Self::External(url) => control(url, "GET", "/_mock/requests", "")?["requests"]
                .as_array()
                .cloned()
                .ok_or("GET /_mock/requests has no `requests` list")?,
        };
        entries
            .iter()
            .map(|e| {
                Ok(SeenRequest {
                    status: e["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
                    error: e["error"].as_str().map(str::to_owned),
                    authenticated: e["authenticated"]
                        .as_bool()
                        .ok_or("a journal entry has no `authenticated`")?,
                    query: e["query"].as_object().cloned().unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Whole seconds since the Unix epoch, as `expiration` is written.
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// One control API call over plain HTTP/1.1; the JSON answer, or why it failed.
pub fn control(url: &str, method: &str, path: &str, body: &str) -> Result<Value, String> {
    let host = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: the control API is reached over http:// only"))?
        .trim_end_matches('/');
    let fail = |what: String| format!("{method} {url}{path}: {what}");
    let mut stream = TcpStream::connect(host).map_err(|e| fail(format!("cannot connect: {e}")))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| fail(e.to_string()))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/toml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| fail(e.to_string()))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| fail(e.to_string()))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail("not an HTTP response".into()))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail("no status".into()))?;
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    if status != 200 {
        let detail = json["message"]
            .as_str()
            .map_or_else(|| body.chars().take(200).collect(), str::to_owned);
        let hint = if status == 404 || status == 403 {
            " (is this a codeartifact-mock with its control API on?)"
        } else {
            ""
        };
        return Err(fail(format!("status {status}: {detail}{hint}")));
    }
    if json.is_null() {
        return Err(fail(format!(
            "the answer is not JSON: {}",
            body.chars().take(200).collect::<String>()
        )));
    }
    Ok(json)
}
