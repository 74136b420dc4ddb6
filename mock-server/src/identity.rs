//! Callers: who signed a request, what they may do, and how a domain policy names them.

use std::time::SystemTime;

use crate::fixture::IdentitySpec;
use crate::sigv4::{Credential, SecretKey};

/// A principal with an access key, as the fixture defines it.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Principal ARN (`arn:aws:iam::111122223333:user/dev`, `arn:aws:sts::...:assumed-role/r/s`).
    pub arn: String,
    /// The principal's account.
    pub account: String,
    /// Access key id.
    pub access_key_id: String,
    secret: SecretKey,
    session: Option<Session>,
    allow: Vec<String>,
}

/// The temporary part of session credentials, with its expiry resolved.
#[derive(Debug, Clone)]
struct Session {
    token: SecretKey,
    expires_at: Option<SystemTime>,
}

impl Identity {
    /// Builds the identity of a fixture entry loaded at `loaded_at`.
    pub fn from_spec(spec: &IdentitySpec, loaded_at: SystemTime) -> Self {
        Self {
            arn: spec.arn.clone(),
            account: spec.account.clone(),
            access_key_id: spec.access_key_id.clone(),
            secret: spec.secret_access_key.clone(),
            session: spec.session.as_ref().map(|s| Session {
                token: s.token.clone(),
                expires_at: s.expiry.resolve(loaded_at),
            }),
            allow: spec.allow.clone(),
        }
    }

    /// What the signature verifier needs.
    pub fn credential(&self) -> Credential<'_> {
        Credential {
            secret: &self.secret,
            session_token: self.session.as_ref().map(|s| &s.token),
            expires_at: self.session.as_ref().and_then(|s| s.expires_at),
        }
    }

    /// Whether these are temporary (session) credentials.
    pub fn is_temporary(&self) -> bool {
        self.session.is_some()
    }

    /// When the temporary credentials expire, if they do.
    pub fn session_expires_at(&self) -> Option<SystemTime> {
        self.session.as_ref().and_then(|s| s.expires_at)
    }

    /// Whether an identity-based policy allows `action` (`codeartifact:GetAuthorizationToken`).
    /// Action names compare case-insensitively, as IAM's do.
    pub fn is_allowed(&self, action: &str) -> bool {
        let (service, name) = action.split_once(':').unwrap_or((action, ""));
        self.allow
            .iter()
            .any(|pattern| match pattern.split_once(':') {
                None => pattern == "*",
                Some((p_service, "*")) => p_service.eq_ignore_ascii_case(service),
                Some((p_service, p_name)) => {
                    p_service.eq_ignore_ascii_case(service) && p_name.eq_ignore_ascii_case(name)
                }
            })
    }

    /// Whether a domain policy entry names this caller: `*`, its account, its own ARN, or for
    /// an assumed-role session the role's IAM ARN.
    pub fn matches_principal(&self, principal: &str) -> bool {
        principal == "*"
            || principal == self.account
            || principal == self.arn
            || self.role_arn().is_some_and(|role| role == principal)
    }

    /// Whether a resource policy's principal entry names this caller: what
    /// [`Identity::matches_principal`] accepts, and the account's root ARN
    /// (`arn:aws:iam::ACCOUNT:root`), which IAM reads as every principal of the account.
    pub fn is_named_by(&self, principal: &str) -> bool {
        let root = principal
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.strip_suffix(":root"));
        self.matches_principal(principal) || root == Some(self.account.as_str())
    }

    /// `arn:aws:iam::ACCOUNT:role/NAME` for `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`.
    fn role_arn(&self) -> Option<String> {
        let (prefix, resource) = self.arn.rsplit_once(':')?;
        let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
        let partition = prefix.split(':').nth(1)?;
        Some(format!("arn:{partition}:iam::{}:role/{role}", self.account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;

    fn identity(arn: &str, allow: &[&str]) -> Identity {
        let allow = allow
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!("regions = [\"us-east-1\"]\n[[identities]]\narn = \"{arn}\"\naccess_key_id = \"K\"\nsecret_access_key = \"s\"\nallow = [{allow}]\n");
        let fixture = Fixture::parse(&text, "t").unwrap();
        Identity::from_spec(&fixture.identities[0], SystemTime::now())
    }

    #[test]
    fn allows_exact_actions_and_wildcards() {
        let dev = identity(
            "arn:aws:iam::111122223333:user/dev",
            &["codeartifact:GetAuthorizationToken"],
        );
        assert!(dev.is_allowed("codeartifact:GetAuthorizationToken"));
        assert!(dev.is_allowed("CodeArtifact:getauthorizationtoken"));
        assert!(!dev.is_allowed("sts:GetServiceBearerToken"));
        let admin = identity("arn:aws:iam::111122223333:user/admin", &["*"]);
        assert!(admin.is_allowed("sts:GetServiceBearerToken"));
        let sts = identity("arn:aws:iam::111122223333:user/s", &["sts:*"]);
        assert!(sts.is_allowed("sts:GetServiceBearerToken"));
        assert!(!sts.is_allowed("codeartifact:GetAuthorizationToken"));
    }

    #[test]
    fn an_assumed_role_session_matches_its_role_arn() {
        let ci = identity("arn:aws:sts::444455556666:assumed-role/ci/job-1", &[]);
        assert!(ci.matches_principal("arn:aws:iam::444455556666:role/ci"));
        assert!(ci.matches_principal("444455556666"));
        assert!(ci.matches_principal("arn:aws:sts::444455556666:assumed-role/ci/job-1"));
        assert!(!ci.matches_principal("arn:aws:iam::444455556666:role/other"));
        assert!(!ci.matches_principal("111122223333"));
    }
}
