//! The control API: unsigned JSON endpoints under `/_mock/` that script the mock and report
//! what it saw. Documented with curl examples in `docs/control-api.md`.
//!
//! | endpoint | does |
//! | --- | --- |
//! | `GET /_mock/health` | 200 while serving |
//! | `POST /_mock/reset` | start fixture, no faults, real clock, empty journal |
//! | `GET`/`PUT /_mock/config` | show (without secrets) / replace the fixture (TOML or JSON) |
//! | `GET`/`DELETE /_mock/requests` | the journal / empty it |
//! | `GET`/`POST`/`DELETE /_mock/faults` | list / add / clear fault rules |
//! | `GET`/`PUT /_mock/clock` | show / set the server clock |
//! | `POST /_mock/scenario` | play a scenario file (TOML) |
//! | `GET /_mock/state` | the world as it is now, as a fixture file (TOML) |

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::MockBody;
use crate::clock::ClockSpec;
use crate::faults::FaultSpec;
use crate::fixture::{Fixture, LoadError};
use crate::scenario::Scenario;
use crate::service::MockService;

/// Answers a control request (the path starts with `/_mock/`).
///
/// Without an admin token, only requests whose `Host` names the loopback interface are
/// answered: a web page the developer visits can make the browser send requests to
/// `127.0.0.1` under a name it controls (DNS rebinding), and the browser then sends that
/// name as `Host`. A client on this machine names the loopback address it dialled.
pub(crate) fn handle(service: &MockService, request: Request<Bytes>) -> Response<MockBody> {
    if service.config().admin_token.is_none() && !is_loopback_host(request.headers().get(header::HOST)) {
        return reply(
            StatusCode::FORBIDDEN,
            json!({"message": "the control API answers only requests to localhost, 127.0.0.1 or [::1] unless an admin token is set (--admin-token)"}),
        );
    }
    if let Some(token) = &service.config().admin_token {
        // RFC 9110: the scheme name is case-insensitive.
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim_start());
        if !presented.is_some_and(|p| token.matches(p)) {
            let mut response = reply(
                StatusCode::UNAUTHORIZED,
                json!({"message": "the control API needs Authorization: Bearer <admin token>"}),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            return response;
        }
    }
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().trim_end_matches('/');
    if parts.method == Method::GET && path == "/_mock/state" {
        return state(service);
    }
    let result = match (&parts.method, path) {
        (&Method::GET, "/_mock/health") => Ok(json!({"status": "ok"})),
        (&Method::POST, "/_mock/reset") => service
            .reset()
            .map(|()| json!({"status": "reset"}))
            .map_err(store_failure),
        (&Method::GET, "/_mock/config") => Ok(config_view(service)),
        (&Method::PUT, "/_mock/config") => put_config(service, &parts.headers, &body),
        (&Method::GET, "/_mock/requests") => Ok(
            json!({"requests": service.journal().entries(), "capacity": service.journal().capacity()}),
        ),
        (&Method::DELETE, "/_mock/requests") => {
            service.journal().clear();
            Ok(json!({"requests": []}))
        }
        (&Method::GET, "/_mock/faults") => Ok(json!({"faults": service.faults().list()})),
        (&Method::POST, "/_mock/faults") => add_fault(service, &body),
        (&Method::DELETE, "/_mock/faults") => {
            service.faults().clear();
            Ok(json!({"faults": []}))
        }
        (&Method::GET, "/_mock/clock") => Ok(clock_view(service)),
        (&Method::PUT, "/_mock/clock") => set_clock(service, &body),
        (&Method::POST, "/_mock/scenario") => play_scenario(service, &body),
        (
            _,
            "/_mock/health" | "/_mock/reset" | "/_mock/config" | "/_mock/requests"
            | "/_mock/faults" | "/_mock/clock" | "/_mock/scenario" | "/_mock/state",
        ) => Err((
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed on {path}", parts.method),
        )),
        _ => Err((
            StatusCode::NOT_FOUND,
            format!("no control endpoint at {path}; see docs/control-api.md"),
        )),
    };
    match result {
        Ok(value) => reply(StatusCode::OK, value),
        Err((status, message)) => reply(status, json!({"message": message})),
    }
}

type ControlResult = Result<Value, (StatusCode, String)>;

/// `GET /_mock/state`: the world as it is now, as a fixture file `--config` accepts, secrets
/// included (it is the user's own test fixture; the admin token guards it like every call).
fn state(service: &MockService) -> Response<MockBody> {
    let document = service.world().snapshot().to_document();
    match toml::to_string(&document) {
        Ok(text) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/toml")
            .body(MockBody::full(text))
            .unwrap_or_else(|_| Response::new(MockBody::full(Bytes::new()))),
        Err(error) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": format!("the state cannot be written as TOML: {error}")}),
        ),
    }
}

/// The store could not be read or written: a 500 naming the file and the problem.
fn store_failure(error: crate::state::StoreError) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

fn bad_request(message: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, message.to_string())
}

fn reply(status: StatusCode, value: Value) -> Response<MockBody> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(MockBody::full(
            serde_json::to_vec_pretty(&value).unwrap_or_default(),
        ))
        .unwrap_or_else(|_| Response::new(MockBody::full(Bytes::new())))
}

/// Whether a `Host` header names the loopback interface: `localhost`, `127.0.0.1` or
/// `[::1]`, with any port.
fn is_loopback_host(host: Option<&header::HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().map(|inner| format!("[{inner}]")).unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default().to_owned(),
    };
    let port_ok = match host.strip_prefix(name.as_str()) {
        Some("") => true,
        Some(rest) => rest.strip_prefix(':').is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    };
    port_ok && ["localhost", "127.0.0.1", "[::1]"].iter().any(|n| n.eq_ignore_ascii_case(&name))
}

fn text(body: &Bytes) -> Result<&str, (StatusCode, String)> {
    std::str::from_utf8(body).map_err(|_| bad_request("the body is not UTF-8"))
}

fn put_config(service: &MockService, headers: &http::HeaderMap, body: &Bytes) -> ControlResult {
    let text = text(body)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
        || text.trim_start().starts_with('{');
    let parsed: Result<Fixture, LoadError> = if is_json {
        Fixture::parse_json(text, "<request body>")
    } else {
        Fixture::parse(text, "<request body>")
    };
    service.replace_fixture(parsed.map_err(bad_request)?).map_err(store_failure)?;
    Ok(config_view(service))
}

/// The fixture being served, without secrets or session tokens (serialised from the fixture's
/// own view of itself).
fn config_view(service: &MockService) -> Value {
    let world = service.world();
    serde_json::to_value(world.fixture.view(world.loaded_at)).unwrap_or_default()
}

fn add_fault(service: &MockService, body: &Bytes) -> ControlResult {
    let spec: FaultSpec = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("invalid fault rule: {e}")))?;
    let id = service
        .faults()
        .add(spec)
        .map_err(|e| bad_request(format!("invalid fault rule: {e}")))?;
    Ok(json!({"id": id}))
}

fn clock_view(service: &MockService) -> Value {
    let clock = service.clock();
    let mut view = serde_json::to_value(ClockSpec::of(clock.mode())).unwrap_or_default();
    view["now"] = humantime::format_rfc3339_millis(clock.now())
        .to_string()
        .into();
    view
}

fn set_clock(service: &MockService, body: &Bytes) -> ControlResult {
    let spec: ClockSpec = if body.iter().all(u8::is_ascii_whitespace) {
        ClockSpec::default()
    } else {
        serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid clock: {e}")))?
    };
    service
        .clock()
        .set(spec.to_mode(service.clock().now()).map_err(bad_request)?);
    Ok(clock_view(service))
}

fn play_scenario(service: &MockService, body: &Bytes) -> ControlResult {
    let scenario = Scenario::parse(text(body)?, "<request body>").map_err(bad_request)?;
    let ids = scenario.apply(service).map_err(bad_request)?;
    Ok(json!({"name": scenario.name, "faults": ids}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_are_loopback_hosts() {
        for host in ["localhost", "localhost:8080", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:0", "[::1]", "[::1]:8080"] {
            assert!(is_loopback_host(Some(&header::HeaderValue::from_static(host))), "{host}");
        }
        for host in [
            "evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example",
            "127.0.0.2", "[::2]:80", "localhost:", "localhost:80x", "[::1]x", "", "0.0.0.0:8080",
        ] {
            assert!(!is_loopback_host(Some(&header::HeaderValue::from_static(host))), "{host}");
        }
        assert!(!is_loopback_host(None));
    }
}
