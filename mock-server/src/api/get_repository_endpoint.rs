//! `GetRepositoryEndpoint`: the URL a package manager uses for a repository and format.
//!
//! Real CodeArtifact answers `https://DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/FORMAT/REPO/`.
//! The mock answers a URL on itself, with the scheme and `Host` the client reached, so it
//! works with no DNS set-up: `http://127.0.0.1:PORT/d/DOMAIN-OWNER/REGION/FORMAT/REPO/`
//! (always ending in `/`: `aws codeartifact login` appends `simple/`, `v3/index.json`,
//! `login` to it). What the endpoint serves is `crate::data_plane`'s.

use serde::{Deserialize, Serialize};

use super::{access, Context, Request};
use crate::endpoint::endpoint_path;
use crate::error::ServiceError;
use crate::identity::Identity;
use crate::model::output::json_body;
use crate::repository::repository_arn;

const ACTION: &str = "codeartifact:GetRepositoryEndpoint";

/// The validated input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    domain: String,
    domain_owner: Option<String>,
    repository: String,
    format: String,
}

/// The output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    repository_endpoint: String,
}

/// Authorizes the caller, finds the domain and the repository, and answers the endpoint
/// (`endpointType` `dualstack` answers the same: the mock has one address).
pub fn handle_request(
    ctx: &Context<'_>,
    caller: &Identity,
    request: &Request<'_>,
) -> Result<Vec<u8>, ServiceError> {
    let input: Input = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    let resource = || repository_arn(ctx.region, owner, &input.domain, &input.repository);
    let registry = ctx.world.read();
    let repository = &access::permitted_repository(
        &registry,
        ctx,
        caller,
        ACTION,
        owner,
        &input.domain,
        &input.repository,
        resource,
    )?
    .repository;
    let path = endpoint_path(
        &repository.domain,
        &repository.owner,
        ctx.region,
        &input.format,
        &repository.name,
    );
    Ok(json_body(&Output {
        repository_endpoint: format!("{}{path}", request.base_url()),
    }))
}

