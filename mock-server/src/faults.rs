//! Fault rules: scripted misbehaviour, matched in the order added.
//!
//! A rule names what it matches (operation, domain, access key id; all optional) and what to
//! do: answer an error (any modeled or front-door code, or a bare status such as 502), answer
//! late, close the connection without a response, or send a body that is not JSON or is cut
//! short. `times` bounds how often it fires (0 = every matching request); the count is taken
//! under a lock, so under parallel requests a rule fires exactly `times` times.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ServiceError};

/// A rule as written in the control API (JSON) or a scenario file (TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Only requests routed to this operation: any of the service model's
    /// (`GetAuthorizationToken`, `CreateRepository`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Only requests for this domain (the `domain` query parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Only requests signed with this access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Only repository-endpoint requests of this package format (`pypi`, `npm`, ...). A rule
    /// that names `format`, `repository` or `path_prefix` matches repository requests only;
    /// one that names none of them matches AWS API requests only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Only repository-endpoint requests to this repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Only repository-endpoint requests whose path after `/FORMAT/REPO` starts with this
    /// (`/simple/`, `/left-pad/-/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// How many times it fires; 0 means every matching request.
    #[serde(default = "one")]
    pub times: u64,
    /// Error code to answer with, with its real status, header and body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Message of that error (a default per code otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// HTTP status: overrides the error's, or alone answers a bare status (502, 504, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` seconds (integer, as botocore and the SDKs require).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Answer this much later (alone, or before the error or action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// A transport-level misbehaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<FaultAction>,
}

/// Longest scripted delay: 10 minutes, inside the server's per-request time limit.
pub const MAX_DELAY_MS: u64 = 600_000;

fn one() -> u64 {
    1
}

/// Transport-level misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Close the connection without sending a response.
    ResetConnection,
    /// Answer 200 with a body that is not JSON.
    MalformedBody,
    /// Declare the full body length, send half, then close.
    TruncateBody,
}

/// What a fired rule does to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultEffect {
    /// The rule's id.
    pub rule_id: u64,
    /// Wait this long first.
    pub delay: Option<Duration>,
    /// Then answer this error instead of the normal answer.
    pub error: Option<ServiceError>,
    /// Or answer a bare status.
    pub bare_status: Option<u16>,
    /// Or misbehave on the transport.
    pub action: Option<FaultAction>,
}

/// What a request is matched on.
#[derive(Debug, Clone, Copy)]
pub struct FaultTarget<'a> {
    /// The routed operation, if any.
    pub operation: Option<&'a str>,
    /// The `domain` query parameter.
    pub domain: Option<&'a str>,
    /// The access key id the request names.
    pub access_key_id: Option<&'a str>,
    /// For a repository-endpoint request: its format, repository and path after them.
    pub repository: Option<RepositoryTarget<'a>>,
}

/// What a repository-endpoint request is matched on.
#[derive(Debug, Clone, Copy)]
pub struct RepositoryTarget<'a> {
    /// The package format.
    pub format: &'a str,
    /// The repository.
    pub repository: &'a str,
    /// The path after `/FORMAT/REPO`, starting with `/`.
    pub path: &'a str,
}

/// A rule with its bookkeeping, as `GET /_mock/faults` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FaultRule {
    /// Id, in order of addition.
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// How often it fired.
    pub fired: u64,
    #[serde(skip)]
    effect: FaultEffect,
}

impl FaultSpec {
    /// Checks the rule and works out its effect.
    pub fn validate(&self) -> Result<FaultEffect, String> {
        if let Some(operation) = &self.operation {
            if crate::model::model().operation(operation).is_none() {
                return Err(format!(
                    "unknown operation '{operation}': not an operation of CodeArtifact's service model"
                ));
            }
        }
        let code = self
            .error
            .as_deref()
            .map(str::parse::<ErrorCode>)
            .transpose()?;
        if let Some(status) = self.status {
            if !(100..=599).contains(&status) {
                return Err(format!("status {status} is not an HTTP status"));
            }
        }
        if self.delay_ms.is_some_and(|ms| ms > MAX_DELAY_MS) {
            return Err(format!("delay_ms is at most {MAX_DELAY_MS} (10 minutes)"));
        }
        if self.action.is_some() && (code.is_some() || self.status.is_some()) {
            return Err("a rule has either an action or an error/status, not both".into());
        }
        if self.action.is_none()
            && code.is_none()
            && self.status.is_none()
            && self.delay_ms.is_none()
        {
            return Err("a rule needs at least one of error, status, delay_ms or action".into());
        }
        let error = code.map(|code| {
            let message = self
                .message
                .clone()
                .unwrap_or_else(|| default_message(code).to_owned());
            let mut error = ServiceError::new(code, message);
            error.status_override = self.status;
            if let Some(seconds) = self.retry_after_seconds {
                error = error.with_retry_after(seconds);
            }
            error
        });
        Ok(FaultEffect {
            rule_id: 0,
            delay: self.delay_ms.map(Duration::from_millis),
            bare_status: if code.is_none() { self.status } else { None },
            error,
            action: self.action,
        })
    }

    fn matches(&self, target: &FaultTarget<'_>) -> bool {
        let field = |wanted: &Option<String>, actual: Option<&str>| {
            wanted.as_deref().is_none_or(|w| Some(w) == actual)
        };
        let for_repositories =
            self.format.is_some() || self.repository.is_some() || self.path_prefix.is_some();
        let place = match (&target.repository, for_repositories) {
            (Some(at), true) => {
                field(&self.format, Some(at.format))
                    && field(&self.repository, Some(at.repository))
                    && self.path_prefix.as_deref().is_none_or(|p| at.path.starts_with(p))
            }
            (None, false) => true,
            _ => false,
        };
        place
            && field(&self.operation, target.operation)
            && field(&self.domain, target.domain)
            && field(&self.access_key_id, target.access_key_id)
    }
}

/// The message an injected error carries when the rule gives none.
fn default_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::ThrottlingException => "Rate exceeded",
        ErrorCode::InternalServerException => "An internal error occurred. Try again later.",
        ErrorCode::ServiceUnavailableException => "Service Unavailable",
        ErrorCode::AccessDeniedException => "Access denied (injected fault)",
        _ => "Injected fault",
    }
}

/// The ordered rule list.
#[derive(Debug, Default)]
pub struct FaultSet {
    rules: Mutex<Rules>,
    /// How many rules there are, read without the lock: most requests meet no rule at all.
    count: AtomicUsize,
}

#[derive(Debug, Default)]
struct Rules {
    next_id: u64,
    list: Vec<FaultRule>,
}

impl FaultSet {
    /// Adds a rule at the end; returns its id.
    pub fn add(&self, spec: FaultSpec) -> Result<u64, String> {
        let effect = spec.validate()?;
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.next_id += 1;
        let id = rules.next_id;
        rules.list.push(FaultRule {
            id,
            spec,
            fired: 0,
            effect: FaultEffect {
                rule_id: id,
                ..effect
            },
        });
        self.count.store(rules.list.len(), Ordering::Release);
        Ok(id)
    }

    /// Removes every rule; requests take the lock-free "no rules" path again.
    pub fn clear(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.list.clear();
        self.count.store(0, Ordering::Release);
    }

    /// Whether any rule is set (the request path's lock-free check).
    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// The rules with their counts.
    pub fn list(&self) -> Vec<FaultRule> {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .list
            .clone()
    }

    /// The first rule that matches and has not used up its `times`; counts it as fired.
    pub fn fire(&self, target: &FaultTarget<'_>) -> Option<FaultEffect> {
        if self.is_empty() {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if rules.list.is_empty() {
            return None;
        }
        let rule = rules
            .list
            .iter_mut()
            .find(|r| (r.spec.times == 0 || r.fired < r.spec.times) && r.spec.matches(target))?;
        rule.fired += 1;
        Some(rule.effect.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    const ANY: FaultTarget<'static> = FaultTarget {
        operation: Some("GetAuthorizationToken"),
        domain: Some("acme"),
        access_key_id: Some("AKIA1"),
        repository: None,
    };

    #[test]
    fn repository_rules_match_repository_requests_only() {
        let set = FaultSet::default();
        set.add(spec(r#"{"format": "npm", "path_prefix": "/left-pad/-/", "status": 502, "times": 0}"#))
            .unwrap();
        let tarball = FaultTarget {
            operation: None,
            domain: Some("acme"),
            access_key_id: None,
            repository: Some(RepositoryTarget {
                format: "npm",
                repository: "team",
                path: "/left-pad/-/left-pad-1.0.0.tgz",
            }),
        };
        assert_eq!(set.fire(&tarball).unwrap().bare_status, Some(502));
        let packument = FaultTarget {
            repository: Some(RepositoryTarget { path: "/left-pad", ..tarball.repository.unwrap() }),
            ..tarball
        };
        assert!(set.fire(&packument).is_none());
        assert!(set.fire(&ANY).is_none(), "not an AWS request's rule");
        set.clear();
        set.add(spec(r#"{"status": 503, "times": 0}"#)).unwrap();
        assert!(set.fire(&tarball).is_none(), "an AWS rule leaves repositories alone");
        assert!(set.fire(&ANY).is_some());
    }

    #[test]
    fn a_rule_fires_its_times_then_the_next_one_matches() {
        let set = FaultSet::default();
        set.add(spec(
            r#"{"error": "ThrottlingException", "times": 2, "retry_after_seconds": 3}"#,
        ))
        .unwrap();
        set.add(spec(r#"{"status": 503, "times": 0}"#)).unwrap();
        for _ in 0..2 {
            let effect = set.fire(&ANY).unwrap();
            let error = effect.error.unwrap();
            assert_eq!(
                (error.code, error.retry_after_seconds),
                (ErrorCode::ThrottlingException, Some(3))
            );
        }
        for _ in 0..3 {
            assert_eq!(set.fire(&ANY).unwrap().bare_status, Some(503));
        }
        let counts: Vec<u64> = set.list().iter().map(|r| r.fired).collect();
        assert_eq!(counts, [2, 3]);
    }

    #[test]
    fn rules_name_any_modeled_operation() {
        assert!(spec(r#"{"operation": "CreateRepository", "status": 503}"#)
            .validate()
            .is_ok());
        let error = spec(r#"{"operation": "GetAuthorisationToken", "status": 503}"#)
            .validate()
            .unwrap_err();
        assert_eq!(error, "unknown operation 'GetAuthorisationToken': not an operation of CodeArtifact's service model");
    }

    #[test]
    fn clearing_the_rules_brings_back_the_lock_free_path() {
        let set = FaultSet::default();
        assert!(set.is_empty());
        set.add(spec(r#"{"status": 503}"#)).unwrap();
        assert!(!set.is_empty());
        set.clear();
        assert!(set.is_empty(), "after a reset no request takes the lock");
        assert!(set.fire(&ANY).is_none());
        set.add(spec(r#"{"status": 503}"#)).unwrap();
        assert_eq!(set.fire(&ANY).unwrap().bare_status, Some(503));
    }

    #[test]
    fn rules_match_on_domain_and_key() {
        let set = FaultSet::default();
        set.add(spec(
            r#"{"error": "InternalServerException", "domain": "other", "times": 0}"#,
        ))
        .unwrap();
        set.add(spec(r#"{"delay_ms": 10, "access_key_id": "AKIA1"}"#))
            .unwrap();
        let effect = set.fire(&ANY).unwrap();
        assert_eq!(
            (effect.rule_id, effect.delay),
            (2, Some(Duration::from_millis(10)))
        );
        assert!(set.fire(&ANY).is_none());
        assert!(set
            .fire(&FaultTarget {
                domain: Some("other"),
                ..ANY
            })
            .is_some());
    }

    #[test]
    fn invalid_rules_are_refused_with_a_reason() {
        let set = FaultSet::default();
        assert_eq!(
            set.add(spec(r#"{"error": "NoSuchError"}"#)).unwrap_err(),
            "unknown error code 'NoSuchError'"
        );
        assert!(set
            .add(spec(r#"{"times": 3}"#))
            .unwrap_err()
            .contains("needs at least one"));
        assert!(set
            .add(spec(
                r#"{"action": "reset_connection", "error": "ThrottlingException"}"#
            ))
            .is_err());
        assert!(set.add(spec(r#"{"status": 99}"#)).is_err());
        assert!(set
            .add(spec(r#"{"delay_ms": 600001}"#))
            .unwrap_err()
            .contains("at most 600000"));
        assert!(serde_json::from_str::<FaultSpec>(r#"{"eror": "ThrottlingException"}"#).is_err());
    }

    #[test]
    fn a_rule_fires_exactly_times_under_parallel_requests() {
        let set = std::sync::Arc::new(FaultSet::default());
        set.add(spec(r#"{"error": "ThrottlingException", "times": 7}"#))
            .unwrap();
        let fired: usize = (0..8)
            .map(|_| {
                let set = set.clone();
                std::thread::spawn(move || (0..50).filter(|_| set.fire(&ANY).is_some()).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(fired, 7);
    }
}
