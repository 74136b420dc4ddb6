//! Permissions policies of domains and repositories: Put, Get and Delete for each. A policy
//! is kept as the document the client sent (Get returns it verbatim) and read by
//! `crate::policy`, which refuses what the mock would not enforce (conditions, `Not*`). Its
//! `revision` counts the changes; a Put or Delete naming another revision than the current
//! one is a ConflictException (optimistic locking, as the API reference describes).

use serde::{Deserialize, Serialize};

use super::{access, Context, Request};
use crate::domain::domain_arn;
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::identity::Identity;
use crate::model::output::json_body;
use crate::policy::Policy;
use crate::repository::repository_arn;

/// What every policy operation answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourcePolicy {
    resource_arn: String,
    revision: String,
    document: String,
}

#[derive(Debug, Serialize)]
struct Output {
    policy: ResourcePolicy,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    domain: String,
    domain_owner: Option<String>,
    repository: Option<String>,
    policy_revision: Option<String>,
    policy_document: Option<String>,
}

/// What the request asks of which resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Put,
    Get,
    Delete,
}

fn no_policy(what: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::ResourceNotFoundException,
        format!("No permissions policy is set on {what}"),
    )
}

/// One policy operation on the domain, or (with `repository`) on one of its repositories.
fn run(
    ctx: &Context<'_>,
    caller: &Identity,
    request: &Request<'_>,
    change: Change,
    on_repository: bool,
) -> Result<Vec<u8>, ServiceError> {
    let input: Input = request.input(None)?.typed()?;
    let owner = input.domain_owner.clone().unwrap_or_else(|| caller.account.clone());
    let kind = if on_repository { "Repository" } else { "Domain" };
    let verb = match change {
        Change::Put => "Put",
        Change::Get => "Get",
        Change::Delete => "Delete",
    };
    let action = format!("codeartifact:{verb}{kind}PermissionsPolicy");
    let repository = input.repository.clone().unwrap_or_default();
    let arn = if on_repository {
        repository_arn(ctx.region, &owner, &input.domain, &repository)
    } else {
        domain_arn(ctx.region, &owner, &input.domain)
    };
    access::require(caller, &action, || arn.clone())?;
    let parsed = match (change, &input.policy_document) {
        (Change::Put, Some(document)) => Some(Policy::parse(document).map_err(|problem| {
            ServiceError::validation(
                ValidationReason::FieldValidationFailed,
                format!("Invalid policy document: {problem}"),
            )
        })?),
        _ => None,
    };
    let what = if on_repository {
        format!("repository '{repository}' of domain '{}'", input.domain)
    } else {
        format!("domain '{}'", input.domain)
    };
    let answer = |policy: Policy, revision: u64| {
        json_body(&Output {
            policy: ResourcePolicy {
                resource_arn: arn.clone(),
                revision: revision.to_string(),
                document: policy.document,
            },
        })
    };
    let checked = |registry: &crate::registry::Registry| -> Result<(), ServiceError> {
        if on_repository {
            access::repository(registry, ctx, caller, &action, &owner, &input.domain, &repository, || arn.clone())?;
        } else {
            access::domain(registry, ctx, caller, &action, &owner, &input.domain, || arn.clone())?;
        }
        Ok(())
    };
    if change == Change::Get {
        // A read: the world's read lock, and nothing handed out to be changed.
        let registry = ctx.world.read();
        checked(&registry)?;
        let (policy, revision) = if on_repository {
            registry
                .repository(&owner, &input.domain, &repository, ctx.region)
                .map(|r| (r.repository.policy.clone(), r.policy_revision))
        } else {
            registry.domain(&owner, &input.domain, ctx.region).map(|d| (d.domain.policy.clone(), d.policy_revision))
        }
        .unwrap_or_default();
        return Ok(answer(policy.ok_or_else(|| no_policy(&what))?, revision));
    }
    let mut registry = ctx.world.write();
    checked(&registry)?;
    // The policy slot and its revision counter of the resource.
    let (slot, revision) = if on_repository {
        let record = registry
            .repository_mut(&owner, &input.domain, &repository, ctx.region)
            .ok_or_else(|| super::access::repository_not_found(&repository, &input.domain, &owner))?;
        (&mut record.repository.policy, &mut record.policy_revision)
    } else {
        let record = registry
            .domain_mut(&owner, &input.domain, ctx.region)
            .ok_or_else(|| ServiceError::domain_not_found(&input.domain, &owner))?;
        (&mut record.domain.policy, &mut record.policy_revision)
    };
    if let Some(expected) = &input.policy_revision {
        if *expected != revision.to_string() {
            return Err(ServiceError::new(
                ErrorCode::ConflictException,
                format!(
                    "The policy of {what} is at revision {revision}, not {expected}: read it again"
                ),
            )
            .with_member("resourceId", arn.as_str())
            .with_member("resourceType", if on_repository { "repository" } else { "domain" }));
        }
    }
    // A Put or a Delete (a Get was answered above).
    let policy = if change == Change::Put {
        *revision += 1;
        let policy = parsed.ok_or_else(|| no_policy(&what))?;
        *slot = Some(policy.clone());
        policy
    } else {
        let removed = slot.take().ok_or_else(|| no_policy(&what))?;
        *revision += 1;
        removed
    };
    Ok(answer(policy, *revision))
}

/// PutDomainPermissionsPolicy.
pub fn put_domain(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    run(ctx, caller, request, Change::Put, false)
}

/// GetDomainPermissionsPolicy.
pub fn get_domain(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    run(ctx, caller, request, Change::Get, false)
}

/// DeleteDomainPermissionsPolicy.
pub fn delete_domain(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    run(ctx, caller, request, Change::Delete, false)
}

/// PutRepositoryPermissionsPolicy.
pub fn put_repository(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    run(ctx, caller, request, Change::Put, true)
}

/// GetRepositoryPermissionsPolicy.
pub fn get_repository(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    run(ctx, caller, request, Change::Get, true)
}

/// DeleteRepositoryPermissionsPolicy.
pub fn delete_repository(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    run(ctx, caller, request, Change::Delete, true)
}
