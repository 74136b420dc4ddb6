//! Judging a client run against a scenario's expectation. Every problem is one sentence that
//! says what was expected and what happened instead.

use serde::Serialize;

use crate::client::ClientRun;
use crate::scenario::{
    Exit, Expectation, MemberExpectation, MemberRule, Output, OutputSpec, Signed, DEFAULT_OPERATION,
};
use crate::target::{SeenRequest, ServerTime};

/// Token prefix of every CodeArtifact token: base64url of `{"ver":1,"isu":`.
const TOKEN_PREFIX: &str = "eyJ2ZXIiOjEsImlzdSI6";

/// Codes that mean the request failed authentication.
const AUTH_ERRORS: [&str; 5] = [
    "InvalidSignatureException",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
];

/// What kind of non-conformance a problem is: CI tools group failures by it (the JSON
/// report's `problems[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The client ran past the time limit.
    Timeout,
    /// It succeeded where it should have failed, or the other way round.
    WrongExit,
    /// It reported another error code, or none the way the AWS CLI does.
    WrongErrorCode,
    /// The error message lacks the expected text.
    WrongErrorMessage,
    /// Standard error lacks the expected text.
    WrongStderr,
    /// Standard output is not in the expected format.
    WrongOutput,
    /// A member of the JSON output is missing, or not what was expected.
    WrongOutputMember,
    /// No token, or not a CodeArtifact token, in the output.
    WrongToken,
    /// The expiration printed is not the one the service answered.
    WrongExpiration,
    /// Another number of requests reached the server (retries).
    WrongRequestCount,
    /// Requests were signed when they should not verify, or the other way round.
    WrongSigning,
    /// A request lacked a parameter, or carried another value.
    WrongRequestParameter,
    /// None of a scenario's alternative outcomes matched.
    NoOutcomeMatched,
    /// A known deviation is listed, but the client now conforms.
    StaleKnownDeviation,
}

/// One way a client did not conform: its kind and a sentence that says what was expected
/// and what happened instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The sentence.
    pub message: String,
}

impl Problem {
    /// A problem of `kind`.
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The message alone: reports that list problems as text keep their shape.
impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.message)
    }
}

/// The messages of `problems`, joined with `; `.
pub fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The problems found so far.
#[derive(Debug, Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, kind: ProblemKind, message: String) {
        self.0.push(Problem::new(kind, message));
    }
}

/// Everything observed about one scenario run.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The client's run.
    pub run: ClientRun,
    /// What the mock saw.
    pub requests: Vec<SeenRequest>,
    /// The server's clock when the client started.
    pub server_time: ServerTime,
    /// The operation called, as the AWS CLI names it.
    pub operation: String,
}

/// Checks an observation; empty when the client conformed.
pub fn judge(expect: &Expectation, observation: &Observation) -> Vec<Problem> {
    if observation.run.timed_out {
        return vec![Problem::new(
            ProblemKind::Timeout,
            format!(
                "the client did not finish within {:.0} s",
                observation.run.elapsed.as_secs_f64()
            ),
        )];
    }
    if expect.one_of.is_empty() {
        return judge_one(expect, observation).0;
    }
    let mut reasons = Vec::new();
    for (i, alternative) in expect.one_of.iter().enumerate() {
        let problems = judge_one(alternative, observation);
        if problems.0.is_empty() {
            return Vec::new();
        }
        reasons.push(format!("({}) {}", i + 1, join(&problems.0)));
    }
    vec![Problem::new(
        ProblemKind::NoOutcomeMatched,
        format!(
            "matched none of the {} conformant outcomes: {}",
            reasons.len(),
            reasons.join(" ")
        ),
    )]
}

fn judge_one(expect: &Expectation, obs: &Observation) -> Problems {
    let mut problems = Problems::default();
    let reported = reported_error(&obs.run.stderr);
    let succeeded = obs.run.exit_code == Some(0);
    match expect.exit {
        Some(Exit::Success) if !succeeded => problems.add(
            ProblemKind::WrongExit,
            format!(
                "expected success, got {}",
                describe_failure(&obs.run, reported.as_ref())
            ),
        ),
        Some(Exit::Failure) if succeeded => problems.add(
            ProblemKind::WrongExit,
            format!(
                "expected failure{}, got exit 0 with stdout {:?}",
                expect
                    .error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default(),
                clip(&obs.run.stdout)
            ),
        ),
        _ => {}
    }
    if !succeeded {
        if let Some(code) = &expect.error {
            match &reported {
                Some((got, _)) if got == code => {}
                Some((got, message)) => problems.add(ProblemKind::WrongErrorCode, format!("expected error {code}, got {got}: {}", clip(message))),
                None => problems.add(ProblemKind::WrongErrorCode, format!("expected error {code} reported as `An error occurred ({code}) ...`, got stderr {:?}", clip(&obs.run.stderr))),
            }
        }
        if let Some(text) = &expect.message_contains {
            if !reported
                .as_ref()
                .is_some_and(|(_, message)| message.contains(text.as_str()))
            {
                problems.add(
                    ProblemKind::WrongErrorMessage,
                    format!(
                        "expected the error message to contain {text:?}, got {:?}",
                        reported
                            .as_ref()
                            .map_or(clip(&obs.run.stderr), |(_, m)| clip(m))
                    ),
                );
            }
        }
    }
    if let Some(text) = &expect.stdout_contains {
        if !obs.run.stdout.contains(text.as_str()) {
            problems.add(
                ProblemKind::WrongOutput,
                format!(
                    "expected stdout to contain {text:?}, got {:?}",
                    clip(&obs.run.stdout)
                ),
            );
        }
    }
    if let Some(text) = &expect.stderr_contains {
        if !obs.run.stderr.contains(text.as_str()) {
            problems.add(
                ProblemKind::WrongStderr,
                format!(
                    "expected stderr to contain {text:?}, got {:?}",
                    clip(&obs.run.stderr)
                ),
            );
        }
    }
    if succeeded && expect.exit == Some(Exit::Success) {
        check_output(expect, obs, &mut problems);
    }
    check_requests(expect, obs, reported.as_ref(), &mut problems);
    problems
}

fn check_output(expect: &Expectation, obs: &Observation, problems: &mut Problems) {
    let (format, members) = match &expect.output {
        None => (Output::Json, None),
        Some(OutputSpec::Format(format)) => (*format, None),
        Some(OutputSpec::Members(members)) => (Output::Json, Some(members)),
    };
    if obs.operation == DEFAULT_OPERATION {
        check_token_output(format, expect, obs, problems);
    }
    // Other operations' output is checked where the scenario asks (`[expect.output]`,
    // `stdout_contains`).
    let Some(members) = members.filter(|_| format == Output::Json) else {
        return;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&obs.run.stdout) else {
        // The token check has said so already for get-authorization-token.
        if obs.operation != DEFAULT_OPERATION {
            problems.add(
                ProblemKind::WrongOutput,
                format!("expected JSON output, got {:?}", clip(&obs.run.stdout)),
            );
        }
        return;
    };
    for (path, expectation) in members {
        if let Some(problem) = check_member(&json, path, expectation) {
            problems.add(ProblemKind::WrongOutputMember, problem);
        }
    }
}

/// The member at a dotted path (`repository.upstreams.0.repositoryName`).
fn member_at<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let segments: Vec<&str> = path.split('.').collect();
    member_at_segments(json, &segments)
}

/// The member at `segments`; a member whose name has dots (a version, `1.0.0`) is found by
/// trying the shortest name first.
fn member_at_segments<'a>(
    json: &'a serde_json::Value,
    segments: &[&str],
) -> Option<&'a serde_json::Value> {
    let Some(first) = segments.first() else {
        return Some(json);
    };
    match json {
        serde_json::Value::Array(items) => {
            member_at_segments(items.get(first.parse::<usize>().ok()?)?, &segments[1..])
        }
        serde_json::Value::Object(members) => (1..=segments.len()).find_map(|taken| {
            let member = members.get(&segments[..taken].join("."))?;
            member_at_segments(member, &segments[taken..])
        }),
        _ => None,
    }
}

/// Why the member at `path` breaks its expectation, if it does.
fn check_member(
    json: &serde_json::Value,
    path: &str,
    expectation: &MemberExpectation,
) -> Option<String> {
    let found = member_at(json, path).filter(|v| !v.is_null());
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let rule = match expectation {
        MemberExpectation::Value(toml::Value::String(word)) if word == "present" => MemberRule {
            equals: None,
            pattern: None,
            present: Some(true),
        },
        MemberExpectation::Value(value) => MemberRule {
            equals: Some(value.clone()),
            pattern: None,
            present: None,
        },
        MemberExpectation::Rule(rule) => rule.clone(),
    };
    match (found, rule.present) {
        (None, Some(false)) => return None,
        (Some(value), Some(false)) => {
            return Some(format!(
                "expected no `{path}` in the output, got {}",
                text(value)
            ))
        }
        (None, _) => return Some(format!("expected `{path}` in the output, it is not there")),
        (Some(_), _) => {}
    }
    let value = found?;
    if let Some(expected) = &rule.equals {
        let expected = serde_json::to_value(expected).unwrap_or_default();
        if *value != expected {
            return Some(format!("expected `{path}` to be {expected}, got {value}"));
        }
    }
    if let Some(pattern) = &rule.pattern {
        let whole = regex::Regex::new(&format!("^(?:{pattern})$")).ok()?;
        if !whole.is_match(&text(value)) {
            return Some(format!(
                "expected `{path}` to match {pattern:?}, got {:?}",
                text(value)
            ));
        }
    }
    None
}

fn check_token_output(
    format: Output,
    expect: &Expectation,
    obs: &Observation,
    problems: &mut Problems,
) {
    let stdout = &obs.run.stdout;
    let (token, expiration) = match format {
        Output::Json => match serde_json::from_str::<serde_json::Value>(stdout) {
            Ok(json) => (
                json["authorizationToken"].as_str().map(str::to_owned),
                Some(json["expiration"].clone()),
            ),
            Err(_) => {
                problems.add(
                    ProblemKind::WrongOutput,
                    format!("expected JSON output, got {:?}", clip(stdout)),
                );
                return;
            }
        },
        Output::Token => {
            if stdout.trim_end().lines().count() != 1 || !stdout.ends_with('\n') {
                problems.add(
                    ProblemKind::WrongOutput,
                    format!(
                        "expected the token alone on one line, got {:?}",
                        clip(stdout)
                    ),
                );
            }
            (Some(stdout.trim_end().to_owned()), None)
        }
        Output::Text => {
            let fields: Vec<&str> = stdout.trim_end().split('\t').collect();
            if fields.len() != 2 {
                problems.add(
                    ProblemKind::WrongOutput,
                    format!("expected `TOKEN<TAB>EXPIRATION`, got {:?}", clip(stdout)),
                );
                return;
            }
            (
                Some(fields[0].to_owned()),
                Some(serde_json::Value::String(fields[1].to_owned())),
            )
        }
        Output::Table => {
            let token = stdout
                .split(|c: char| c == '|' || c.is_whitespace())
                .find(|w| w.starts_with(TOKEN_PREFIX));
            if !stdout.contains("GetAuthorizationToken") {
                problems.add(
                    ProblemKind::WrongOutput,
                    format!(
                        "expected a table titled GetAuthorizationToken, got {:?}",
                        clip(stdout)
                    ),
                );
            }
            (token.map(str::to_owned), None)
        }
        Output::Skeleton => {
            match serde_json::from_str::<serde_json::Value>(stdout) {
                Ok(json) if json.get("domain").is_some() => {}
                _ => problems.add(
                    ProblemKind::WrongOutput,
                    format!(
                        "expected a JSON input skeleton with `domain`, got {:?}",
                        clip(stdout)
                    ),
                ),
            }
            return;
        }
    };
    match token {
        Some(token) if is_token(&token) => {}
        Some(token) => problems.add(ProblemKind::WrongToken, format!("expected a CodeArtifact token (five base64url parts starting {TOKEN_PREFIX}), got {:?}", clip(&token))),
        None => problems.add(ProblemKind::WrongToken, format!("expected a token in the output, got {:?}", clip(stdout))),
    }
    if let (Some(seconds), Some(value)) = (expect.expiration_seconds, expiration) {
        check_expiration(seconds, &value, obs, problems);
    }
}

fn check_expiration(
    seconds: i64,
    value: &serde_json::Value,
    obs: &Observation,
    problems: &mut Problems,
) {
    let Some(actual) = parse_expiration(value) else {
        problems.add(
            ProblemKind::WrongExpiration,
            format!("expected an expiration (epoch seconds or ISO 8601), got {value}"),
        );
        return;
    };
    let expected = obs.server_time.now + seconds;
    let tolerance = if obs.server_time.frozen {
        0.0
    } else {
        obs.run.elapsed.as_secs_f64().ceil() + 2.0
    };
    let difference = actual - expected as f64;
    if difference.abs() > tolerance {
        let when = |t: f64| {
            humantime::format_rfc3339(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(t.max(0.0)),
            )
            .to_string()
        };
        let exactly = if obs.server_time.frozen {
            "exactly "
        } else {
            ""
        };
        problems.add(
            ProblemKind::WrongExpiration,
            format!(
            "expected expiration {exactly}{} (the server's now + {seconds} s), got {} ({:+.0} s)",
            when(expected as f64),
            when(actual),
            difference
        ),
        );
    }
}

/// Epoch seconds from a number (`1764330000`, `1.76433E9`), a numeric string, or ISO 8601
/// (`2026-11-28T12:00:00+00:00`, as CLI v2 prints under TZ=UTC).
pub fn parse_expiration(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(text) => text.parse::<f64>().ok().or_else(|| {
            let utc = text
                .strip_suffix("+00:00")
                .map_or_else(|| text.clone(), |t| format!("{t}Z"));
            let time = humantime::parse_rfc3339_weak(&utc).ok()?;
            Some(
                time.duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_secs_f64(),
            )
        }),
        _ => None,
    }
}

fn check_requests(
    expect: &Expectation,
    obs: &Observation,
    reported: Option<&(String, String)>,
    problems: &mut Problems,
) {
    let requests = &obs.requests;
    if let Some(count) = expect.requests {
        if requests.len() != count {
            let statuses: Vec<String> = requests.iter().map(describe_request).collect();
            problems.add(
                ProblemKind::WrongRequestCount,
                format!(
                    "expected {count} request(s) to reach the server, got {} [{}]",
                    requests.len(),
                    statuses.join(", ")
                ),
            );
        }
    }
    let default_signed = match (
        expect.exit,
        expect
            .error
            .as_deref()
            .or(reported.map(|(c, _)| c.as_str())),
    ) {
        (Some(Exit::Failure), Some(code)) if AUTH_ERRORS.contains(&code) => Signed::None,
        _ => Signed::All,
    };
    let bad_signature = |r: &SeenRequest| !r.authenticated;
    match expect.signed.unwrap_or(default_signed) {
        Signed::All => {
            if let Some(i) = requests.iter().position(bad_signature) {
                problems.add(
                    ProblemKind::WrongSigning,
                    format!(
                        "expected every request to be correctly signed, request {} was not ({})",
                        i + 1,
                        describe_request(&requests[i])
                    ),
                );
            }
        }
        Signed::None => {
            if let Some(i) = requests.iter().position(|r| r.authenticated) {
                problems.add(
                    ProblemKind::WrongSigning,
                    format!(
                        "expected no request to pass signature verification, request {} did",
                        i + 1
                    ),
                );
            }
        }
        Signed::Last => {
            if requests.last().is_some_and(bad_signature) {
                problems.add(
                    ProblemKind::WrongSigning,
                    "expected the last request to be correctly signed, it was not".to_owned(),
                );
            }
        }
    }
    for (key, value) in &expect.query {
        for (i, request) in requests.iter().enumerate() {
            match request.query.get(key).and_then(|v| v.as_str()) {
                Some(sent) if sent == value => {}
                Some(sent) => problems.add(
                    ProblemKind::WrongRequestParameter,
                    format!(
                        "expected request {} to carry {key}={value}, got {key}={sent}",
                        i + 1
                    ),
                ),
                None => problems.add(
                    ProblemKind::WrongRequestParameter,
                    format!(
                        "expected request {} to carry {key}={value}, got no {key}",
                        i + 1
                    ),
                ),
            }
        }
    }
}

fn describe_request(request: &SeenRequest) -> String {
    match (request.status, &request.error) {
        (None, _) => "closed without a response".into(),
        (Some(status), Some(error)) => format!("{status} {error}"),
        (Some(status), None) => status.to_string(),
    }
}

fn describe_failure(run: &ClientRun, reported: Option<&(String, String)>) -> String {
    let exit = run
        .exit_code
        .map_or("no exit status".to_owned(), |c| format!("exit {c}"));
    match reported {
        Some((code, message)) => format!("{code} ({exit}): {}", clip(message)),
        None => format!("{exit}: {}", clip(run.stderr.trim())),
    }
}

/// The `(CODE, message)` of `An error occurred (CODE) when calling ... operation[ (reached
/// max retries: N)]: message` in stderr.
pub fn reported_error(stderr: &str) -> Option<(String, String)> {
    let rest = stderr.split("An error occurred (").nth(1)?;
    let (code, rest) = rest.split_once(')')?;
    let message = rest
        .split_once("): ")
        .or_else(|| rest.split_once(": "))
        .map_or("", |(_, m)| m);
    Some((
        code.to_owned(),
        message.lines().next().unwrap_or("").to_owned(),
    ))
}

fn is_token(token: &str) -> bool {
    token.starts_with(TOKEN_PREFIX)
        && token.split('.').count() == 5
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn clip(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > 160 {
        format!("{}...", text.chars().take(160).collect::<String>())
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cli_error_line_with_and_without_retries() {
        assert_eq!(
            reported_error("\nAn error occurred (ThrottlingException) when calling the GetAuthorizationToken operation (reached max retries: 2): Rate exceeded\n"),
            Some(("ThrottlingException".into(), "Rate exceeded".into()))
        );
        assert_eq!(
            reported_error("An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: x"),
            Some(("AccessDeniedException".into(), "User: x".into()))
        );
        assert_eq!(reported_error("Read timeout on endpoint URL"), None);
    }

    #[test]
    fn member_paths_reach_into_arrays_and_names_with_dots() {
        let json = serde_json::json!({
            "successfulVersions": { "1.0.0": { "status": "Published" } },
            "versions": [{ "version": "1.0" }],
        });
        assert_eq!(
            member_at(&json, "successfulVersions.1.0.0.status"),
            Some(&serde_json::json!("Published"))
        );
        assert_eq!(
            member_at(&json, "versions.0.version"),
            Some(&serde_json::json!("1.0"))
        );
        assert_eq!(member_at(&json, "successfulVersions.1.0.status"), None);
        assert_eq!(member_at(&json, "versions.1"), None);
    }

    #[test]
    fn parses_every_spelling_of_expiration() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(parse_expiration(&v("1795910400")), Some(1_795_910_400.0));
        assert_eq!(parse_expiration(&v("1.7959104E9")), Some(1_795_910_400.0));
        assert_eq!(
            parse_expiration(&v("\"1795910400.0\"")),
            Some(1_795_910_400.0)
        );
        assert_eq!(
            parse_expiration(&v("\"2026-11-29T00:00:00+00:00\"")),
            Some(1_795_910_400.0)
        );
        assert_eq!(
            parse_expiration(&v("\"2026-11-29T00:00:00.500000+00:00\"")),
            Some(1_795_910_400.5)
        );
        assert_eq!(parse_expiration(&v("\"tomorrow\"")), None);
    }
}
