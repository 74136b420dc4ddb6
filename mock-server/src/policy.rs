//! Resource policies of domains and repositories: IAM JSON documents whose statements allow
//! or deny principals actions on resources.
//!
//! What is read: `Effect` (`Allow`, `Deny`), `Principal` (`"*"`, or `{"AWS": ...}` with
//! account ids, `arn:aws:iam::ACCOUNT:root`, IAM or STS ARNs, `"*"`), `Action` and `Resource`
//! (one or a list, `*` and `?` wildcards, actions without case), and `NotAction`,
//! `NotPrincipal`, `NotResource` are refused, as are `Condition`s: the mock would otherwise
//! pretend to enforce what it does not. How a request is judged (in `api::access`): an
//! explicit `Deny` in any policy that applies wins; a caller of the owning account needs only
//! its identity's permission; a caller of another account needs that and an `Allow` in a
//! policy. A fixture's `allow_principals` is shorthand for an `Allow` of `codeartifact:*` to
//! those principals.

use serde_json::Value;

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, whatever else grants.
    Deny,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Allow or Deny.
    pub effect: Effect,
    /// Principals it names (`*`, account ids, ARNs).
    pub principals: Vec<String>,
    /// Action patterns.
    pub actions: Vec<String>,
    /// Resource patterns.
    pub resources: Vec<String>,
}

/// A policy: its document as given, and its statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The JSON document, as the client sent it (GetPermissionsPolicy returns it verbatim).
    pub document: String,
    /// Its statements.
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Reads a policy document; the error says what is not supported or not valid.
    pub fn parse(document: &str) -> Result<Self, String> {
        let json: Value = serde_json::from_str(document)
            .map_err(|e| format!("the policy document is not valid JSON: {e}"))?;
        let statements = match &json["Statement"] {
            Value::Array(list) => list.iter().collect::<Vec<_>>(),
            Value::Object(_) => vec![&json["Statement"]],
            _ => return Err("the policy document has no Statement".into()),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| statement(s).map_err(|e| format!("Statement {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            document: document.to_owned(),
            statements,
        })
    }

    /// The policy a fixture's `allow_principals` stands for.
    pub fn allowing(principals: &[String]) -> Option<Self> {
        if principals.is_empty() {
            return None;
        }
        let document = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": "codeartifact:*",
                "Resource": "*",
            }],
        })
        .to_string();
        Self::parse(&document).ok()
    }

    /// The effect of the statements that name the caller (`names` says whether a principal
    /// entry does: `Identity::is_named_by`), `action` and `resource`: `Deny` if any denies,
    /// else `Allow` if any allows, else `None`.
    pub fn decide(
        &self,
        names: impl Fn(&str) -> bool,
        action: &str,
        resource: &str,
    ) -> Option<Effect> {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s.principals.iter().any(|p| names(p))
                && s.actions.iter().any(|a| wildcard(a, action, true))
                && s.resources.iter().any(|r| wildcard(r, resource, false));
            if applies {
                if s.effect == Effect::Deny {
                    return Some(Effect::Deny);
                }
                allowed = true;
            }
        }
        allowed.then_some(Effect::Allow)
    }
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| format!("{what} must be strings")))
            .collect(),
        _ => Err(format!("{what} must be a string or a list of strings")),
    }
}

fn statement(value: &Value) -> Result<Statement, String> {
    for unsupported in ["Condition", "NotAction", "NotPrincipal", "NotResource"] {
        if value.get(unsupported).is_some() {
            return Err(format!(
                "{unsupported} is not supported by codeartifact-mock (see docs/fidelity.md)"
            ));
        }
    }
    let effect = match value["Effect"].as_str() {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err("Effect must be Allow or Deny".into()),
    };
    let principals = match &value["Principal"] {
        Value::String(s) if s == "*" => vec!["*".to_owned()],
        Value::Object(map) if map.contains_key("AWS") => strings(&map["AWS"], "Principal AWS")?,
        _ => return Err("Principal must be \"*\" or {\"AWS\": ...}".into()),
    };
    Ok(Statement {
        effect,
        principals,
        actions: strings(&value["Action"], "Action")?,
        resources: strings(&value["Resource"], "Resource")?,
    })
}

/// IAM's wildcard match: `*` any run, `?` one character.
fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;
    use crate::identity::Identity;

    fn identity(arn: &str) -> Identity {
        let text = format!(
            "regions = [\"us-east-1\"]\n[[identities]]\narn = \"{arn}\"\naccess_key_id = \"AKIA1\"\nsecret_access_key = \"s\"\n"
        );
        let fixture = Fixture::parse(&text, "t").unwrap();
        Identity::from_spec(&fixture.identities[0], std::time::SystemTime::now())
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard("codeartifact:*", "codeartifact:GetAuthorizationToken", true));
        assert!(wildcard("CodeArtifact:Get*", "codeartifact:GetRepositoryEndpoint", true));
        assert!(wildcard("codeartifact:Describe?omain", "codeartifact:DescribeDomain", true));
        assert!(!wildcard("codeartifact:Get*", "codeartifact:ListDomains", true));
        assert!(wildcard("arn:aws:codeartifact:*:111122223333:domain/*", "arn:aws:codeartifact:us-east-1:111122223333:domain/acme", false));
        assert!(!wildcard("arn:aws:codeartifact:*:111122223333:domain/*", "arn:aws:codeartifact:us-east-1:444455556666:domain/acme", false));
    }

    #[test]
    fn deny_wins_and_principals_are_accounts_arns_or_roles() {
        let policy = Policy::parse(r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["444455556666", "arn:aws:iam::777788889999:role/ci"]}, "Action": "codeartifact:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:user/intern"}, "Action": "codeartifact:Delete*", "Resource": "*"}
        ]}"#).unwrap();
        let resource = "arn:aws:codeartifact:us-east-1:111122223333:domain/acme";
        let user = identity("arn:aws:iam::444455556666:user/dev");
        assert_eq!(policy.decide(|p| user.is_named_by(p), "codeartifact:DeleteDomain", resource), Some(Effect::Allow));
        let intern = identity("arn:aws:iam::444455556666:user/intern");
        assert_eq!(policy.decide(|p| intern.is_named_by(p), "codeartifact:DeleteDomain", resource), Some(Effect::Deny));
        assert_eq!(policy.decide(|p| intern.is_named_by(p), "codeartifact:DescribeDomain", resource), Some(Effect::Allow));
        let session = identity("arn:aws:sts::777788889999:assumed-role/ci/job-1");
        assert_eq!(policy.decide(|p| session.is_named_by(p), "codeartifact:GetAuthorizationToken", resource), Some(Effect::Allow));
        let stranger = identity("arn:aws:iam::999999999999:user/x");
        assert_eq!(policy.decide(|p| stranger.is_named_by(p), "codeartifact:DescribeDomain", resource), None);
        let root = Policy::parse(r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "codeartifact:Describe*", "Resource": "*"}}"#).unwrap();
        assert_eq!(root.decide(|p| stranger.is_named_by(p), "codeartifact:DescribeDomain", resource), Some(Effect::Allow));
    }

    #[test]
    fn what_is_not_enforced_is_refused() {
        for (document, expected) in [
            (r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]}"#, "Statement 1: Condition is not supported"),
            (r#"{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "*", "Resource": "*"}]}"#, "Statement 1: Effect must be Allow or Deny"),
            (r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "*", "Resource": "*"}]}"#, "Principal must be"),
            ("not json", "not valid JSON"),
            (r#"{"Version": "2012-10-17"}"#, "has no Statement"),
        ] {
            let error = Policy::parse(document).unwrap_err();
            assert!(error.contains(expected), "{document}: {error}");
        }
    }
}
