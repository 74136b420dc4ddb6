//! CodeArtifact operations, one file each, and the routing table that finds them.

pub mod get_authorization_token;

use http::Method;

/// An operation this endpoint implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /v1/authorization-token`.
    GetAuthorizationToken,
}

impl Operation {
    /// The operation's AWS name, as logged and journaled.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetAuthorizationToken => "GetAuthorizationToken",
        }
    }

    /// The operation at a method and normalised path (see `sigv4::normalized_path`).
    pub fn route(method: &Method, path: &str) -> Option<Self> {
        match (method, path) {
            (&Method::POST, "/v1/authorization-token") => Some(Self::GetAuthorizationToken),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_only_post_to_the_token_path() {
        assert_eq!(
            Operation::route(&Method::POST, "/v1/authorization-token"),
            Some(Operation::GetAuthorizationToken)
        );
        assert_eq!(
            Operation::route(&Method::GET, "/v1/authorization-token"),
            None
        );
        assert_eq!(
            Operation::route(&Method::POST, "/v1/authorization-tokens"),
            None
        );
    }
}
