//! The repository endpoints that `GetRepositoryEndpoint` hands out, path-style on the mock
//! itself: `/d/DOMAIN-OWNER/REGION/FORMAT/REPO/...` (the real host is
//! `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/FORMAT/REPO/...`).
//!
//! A request must carry a token this mock minted, not expired by the server's clock, for the
//! endpoint's domain, owner and region, in any of the forms package managers send: HTTP Basic
//! with user `aws` (pip, twine, Maven), `Bearer TOKEN` (npm, yarn) or the bare token (cargo).
//! Otherwise the answer is 401 with the challenge CodeArtifact sends,
//! `WWW-Authenticate: Bearer realm="DOMAIN/REPO", Basic realm="DOMAIN/REPO"`. The package
//! registries themselves are not served yet: a request with a good token for an existing
//! repository is answered 501, saying so (docs/fidelity.md). Tokens never reach a log.

use std::time::SystemTime;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};

use crate::body::MockBody;
use crate::clock::unix_seconds;
use crate::error::message_body;
use crate::endpoint::Endpoint;
use crate::service::MockService;

/// Answers a request to a repository endpoint.
pub fn serve(service: &MockService, request: &Request<Bytes>) -> Response<MockBody> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let suffix = &service.config().repository_host_suffix;
    let path = request.uri().path();
    let Some(endpoint) = Endpoint::parse(path).or_else(|| Endpoint::from_host(host, path, suffix))
    else {
        return plain(StatusCode::NOT_FOUND, "Not a repository endpoint: expected /d/DOMAIN-OWNER/REGION/FORMAT/REPOSITORY/", None);
    };
    let now = service.clock().now();
    if !token_is_good(service, &endpoint, request.headers(), now) {
        let realm = endpoint.realm();
        let challenge = format!("Bearer realm=\"{realm}\", Basic realm=\"{realm}\"");
        return plain(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: a CodeArtifact authorization token for this domain is required",
            HeaderValue::try_from(challenge).ok(),
        );
    }
    let world = service.world();
    let registry = world.read();
    let exists = registry
        .domain(endpoint.owner, endpoint.domain, endpoint.region)
        .is_some()
        && registry
            .repository(endpoint.owner, endpoint.domain, endpoint.repository, endpoint.region)
            .is_some();
    if !exists {
        return plain(
            StatusCode::NOT_FOUND,
            &format!(
                "Repository '{}' in domain '{}' owned by account '{}' does not exist",
                endpoint.repository, endpoint.domain, endpoint.owner
            ),
            None,
        );
    }
    plain(
        StatusCode::NOT_IMPLEMENTED,
        &format!(
            "codeartifact-mock does not serve {} packages yet: the token was accepted; see docs/fidelity.md",
            endpoint.format
        ),
        None,
    )
}

/// Whether the request carries a token this mock minted for the endpoint's domain, owner
/// and region, not expired at `now`.
fn token_is_good(
    service: &MockService,
    endpoint: &Endpoint<'_>,
    headers: &HeaderMap,
    now: SystemTime,
) -> bool {
    let Some(token) = presented_token(headers) else {
        return false;
    };
    match service.sealer().open(&token, unix_seconds(now)) {
        Ok(claims) => {
            claims.domain == endpoint.domain
                && claims.domain_owner == endpoint.owner
                && claims.region == endpoint.region
        }
        Err(_) => false,
    }
}

/// The token in `Authorization`: `Bearer TOKEN`, `Basic base64(aws:TOKEN)`, or the bare token.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or(("", value));
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64_simd::STANDARD.decode_to_vec(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        return (user == "aws").then(|| password.to_owned());
    }
    Some(value.to_owned())
}

/// A short JSON answer, with a challenge when one is given.
fn plain(status: StatusCode, message: &str, challenge: Option<HeaderValue>) -> Response<MockBody> {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(challenge) = challenge {
        builder = builder.header(header::WWW_AUTHENTICATE, challenge);
    }
    builder
        .body(MockBody::full(message_body(message)))
        .unwrap_or_else(|_| Response::new(MockBody::full(Bytes::new())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_in_every_form_package_managers_send() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            presented_token(&headers)
        };
        assert_eq!(with("Bearer eyJ.a").as_deref(), Some("eyJ.a"));
        let basic = base64_simd::STANDARD.encode_to_string("aws:eyJ.b");
        assert_eq!(with(&format!("Basic {basic}")).as_deref(), Some("eyJ.b"));
        let other_user = base64_simd::STANDARD.encode_to_string("bob:eyJ.b");
        assert_eq!(with(&format!("Basic {other_user}")), None);
        assert_eq!(with("eyJ.c").as_deref(), Some("eyJ.c"));
        assert_eq!(presented_token(&HeaderMap::new()), None);
    }
}
