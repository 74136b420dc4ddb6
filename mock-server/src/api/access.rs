//! Who may do what: the identity's own permissions, then the domain and its policy. Every
//! operation that acts on a domain or a repository asks here, so refusals read the same
//! everywhere (the texts AWS uses; see docs/fidelity.md).

use super::Context;
use crate::domain::domain_arn;
use crate::registry::{DomainRecord, Registry};
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

/// The domain `name` of `owner` in the request's region, once the domain's policy admits
/// the caller for `action`: 404 when it does not exist there, 403 naming `resource` when its
/// policy keeps the caller out.
pub fn domain<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    owner: &str,
    name: &str,
    resource: impl FnOnce() -> String,
) -> Result<&'r DomainRecord, ServiceError> {
    let domain = registry
        .domain(owner, name, ctx.region)
        .ok_or_else(|| ServiceError::domain_not_found(name, owner))?;
    if !domain.domain.admits(caller) {
        return Err(ServiceError::new(
            ErrorCode::AccessDeniedException,
            format!(
                "User: {} is not authorized to perform: {action} on resource: {}",
                caller.arn,
                resource()
            ),
        ));
    }
    Ok(domain)
}

/// The domain's ARN in the request's region.
pub fn domain_resource(ctx: &Context<'_>, owner: &str, name: &str) -> String {
    domain_arn(ctx.region, owner, name)
}
