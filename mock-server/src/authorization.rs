//! Who may do what, for the AWS API and the repository endpoints alike: the identity's own
//! permissions, then the domain and the repository with their permissions policies (an
//! explicit Deny wins, another account needs an Allow). Every operation and every registry
//! asks here, so refusals read the same everywhere (the texts AWS uses; see
//! docs/fidelity.md), and [`Context`] is what both hand a handler besides its input.

use std::time::SystemTime;

use crate::state::World;
use crate::token::{ExpirationFormat, TokenSealer, ZeroDurationPolicy};
use crate::domain::{domain_arn, Domain};
use crate::policy::{Effect, Policy};
use crate::registry::{DomainRecord, Registry, RepositoryRecord};
use crate::error::{ErrorCode, ServiceError};
use crate::identity::Identity;

/// Refuses `action` on `resource` unless an identity-based policy of `caller` allows it.
pub fn require(caller: &Identity, action: &str, resource: impl FnOnce() -> String) -> Result<(), ServiceError> {
    if caller.is_allowed(action) {
        return Ok(());
    }
    Err(ServiceError::new(
        ErrorCode::AccessDeniedException,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {} because no identity-based policy allows the {action} action",
            caller.arn,
            resource()
        ),
    ))
}

/// The domain `name` of `owner` in the request's region, once its policy lets the caller do
/// `action` on `resource`: 404 when it does not exist there, 403 when its policy denies the
/// caller explicitly, or when the caller is of another account and no policy allows it.
pub fn domain<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    owner: &str,
    name: &str,
    resource: impl Fn() -> String,
) -> Result<&'r DomainRecord, ServiceError> {
    let record = registry
        .domain(owner, name, ctx.region)
        .ok_or_else(|| ServiceError::domain_not_found(name, owner))?;
    judge(caller, action, owner, &record.domain, None, &resource)?;
    Ok(record)
}

/// The repository `name` of domain `domain` (of `owner`), once the domain's and the
/// repository's policies let the caller do `action` on `resource`: 404 for a domain or a
/// repository that does not exist, 403 as for [`domain`].
#[allow(clippy::too_many_arguments)]
pub fn repository<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    owner: &str,
    domain: &str,
    name: &str,
    resource: impl Fn() -> String,
) -> Result<&'r RepositoryRecord, ServiceError> {
    let domain_record = registry
        .domain(owner, domain, ctx.region)
        .ok_or_else(|| ServiceError::domain_not_found(domain, owner))?;
    let record = registry
        .repository(owner, domain, name, ctx.region)
        .ok_or_else(|| repository_not_found(name, domain, owner));
    // The domain's word first: another account learns nothing of a domain it may not see.
    judge(
        caller,
        action,
        owner,
        &domain_record.domain,
        record.as_ref().ok().and_then(|r| r.repository.policy.as_ref()),
        &resource,
    )?;
    record
}

/// [`repository`] after [`require`]: the caller's own permission for `action` on `resource`
/// first, then the domain, the repository and their policies: what every operation on a
/// repository (and every request to its endpoint) asks.
#[allow(clippy::too_many_arguments)]
pub fn permitted_repository<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    owner: &str,
    domain: &str,
    name: &str,
    resource: impl Fn() -> String,
) -> Result<&'r RepositoryRecord, ServiceError> {
    require(caller, action, &resource)?;
    repository(registry, ctx, caller, action, owner, domain, name, resource)
}

/// The verdict of the policies on a caller: an explicit `Deny` in any refuses; a caller of
/// the owning account needs nothing more (its identity's permission was checked); one of
/// another account needs an `Allow`. Policies are read only when there are any, so the
/// common case builds no ARN.
fn judge(
    caller: &Identity,
    action: &str,
    owner: &str,
    domain: &Domain,
    repository_policy: Option<&Policy>,
    resource: &dyn Fn() -> String,
) -> Result<(), ServiceError> {
    let same_account = caller.account == owner;
    if !domain.has_policy() && repository_policy.is_none() {
        return if same_account {
            Ok(())
        } else {
            Err(not_authorized(caller, action, &resource(), ""))
        };
    }
    let on = resource();
    let decisions = [
        domain.decide(caller, action, &on),
        repository_policy.and_then(|p| p.decide(|principal| caller.is_named_by(principal), action, &on)),
    ];
    if decisions.contains(&Some(Effect::Deny)) {
        return Err(not_authorized(
            caller,
            action,
            &on,
            " with an explicit deny in a resource-based policy",
        ));
    }
    if same_account || decisions.contains(&Some(Effect::Allow)) {
        return Ok(());
    }
    Err(not_authorized(caller, action, &on, ""))
}

fn not_authorized(caller: &Identity, action: &str, resource: &str, why: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::AccessDeniedException,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}{why}",
            caller.arn
        ),
    )
}

/// The domain's ARN in the request's region.
pub fn domain_resource(ctx: &Context<'_>, owner: &str, name: &str) -> String {
    domain_arn(ctx.region, owner, name)
}

/// 404 for a repository the domain does not have (the domain's message, for a repository:
/// a choice, see docs/fidelity.md).
pub fn repository_not_found(repository: &str, domain: &str, owner: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::ResourceNotFoundException,
        format!("Repository not found. Repository '{repository}' in domain '{domain}' owned by account '{owner}' does not exist"),
    )
    .with_member("resourceId", repository)
    .with_member("resourceType", "repository")
}

/// Everything an operation may read besides its input and caller.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The world being served: identities (`world.directory`), domains and repositories
    /// (`world.read()`, `world.write()`).
    pub world: &'a World,
    /// Seals tokens.
    pub sealer: &'a TokenSealer,
    /// The server's now.
    pub now: SystemTime,
    /// The region of the request's credential scope.
    pub region: &'a str,
    /// What `duration=0` does for long-term keys.
    pub zero_duration: ZeroDurationPolicy,
    /// How `expiration` is spelled.
    pub expiration_format: ExpirationFormat,
}
