//! TagResource, UntagResource, ListTagsForResource: tags of a domain, a repository or a
//! package group, named by its ARN (`arn:aws:codeartifact:REGION:OWNER:domain/NAME`,
//! `...:repository/DOMAIN/NAME`, `...:package-group/DOMAIN/PATTERN`). A tag key is unique on a resource (tagging it again
//! replaces its value); at most 50 tags per resource, as CodeArtifact allows.

use serde::{Deserialize, Serialize};

use super::access::repository_not_found;
use super::package_groups::{group_not_found, groups_mut};
use super::{access, Context, Request};
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::identity::Identity;
use crate::model::output::json_body;
use crate::package_groups::{DomainKey, Pattern};
use crate::registry::{Registry, Tag};

/// Most tags a resource may carry.
const MAX_TAGS: usize = 50;

/// A resource an ARN names.
enum Resource {
    Domain { owner: String, name: String },
    Repository { owner: String, domain: String, name: String },
    PackageGroup { owner: String, domain: String, pattern: String },
}

/// The resource of an ARN of the request's region.
fn resource_of(arn: &str, region: &str) -> Result<Resource, ServiceError> {
    let invalid = || {
        ServiceError::validation(
            ValidationReason::FieldValidationFailed,
            format!("Invalid ARN '{arn}': expected arn:aws:codeartifact:{region}:ACCOUNT:domain/NAME, arn:aws:codeartifact:{region}:ACCOUNT:repository/DOMAIN/NAME or arn:aws:codeartifact:{region}:ACCOUNT:package-group/DOMAIN/PATTERN"),
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "codeartifact", arn_region, owner, path] = parts[..] else {
        return Err(invalid());
    };
    if arn_region != region || !crate::fixture::is_account_id(owner) {
        return Err(invalid());
    }
    if let Some((domain, pattern)) = path.strip_prefix("package-group/").and_then(|rest| rest.split_once('/')) {
        return Ok(Resource::PackageGroup {
            owner: owner.to_owned(),
            domain: domain.to_owned(),
            pattern: format!("/{pattern}"),
        });
    }
    match path.split('/').collect::<Vec<_>>()[..] {
        ["domain", name] => Ok(Resource::Domain {
            owner: owner.to_owned(),
            name: name.to_owned(),
        }),
        ["repository", domain, name] => Ok(Resource::Repository {
            owner: owner.to_owned(),
            domain: domain.to_owned(),
            name: name.to_owned(),
        }),
        _ => Err(invalid()),
    }
}

/// A resource whose tags an ARN names, found after the permission and the domain checks.
enum Tagged {
    Domain { owner: String, name: String },
    Repository { owner: String, domain: String, name: String },
    PackageGroup { key: DomainKey, pattern: String },
}

/// The resource `arn` names, once `caller` may do `action` on it and it exists in the region.
fn tagged(registry: &Registry, ctx: &Context<'_>, caller: &Identity, action: &str, arn: &str) -> Result<Tagged, ServiceError> {
    let resource = resource_of(arn, ctx.region)?;
    access::require(caller, action, || arn.to_owned())?;
    let (owner, domain) = match &resource {
        Resource::Domain { owner, name } => (owner.clone(), name.clone()),
        Resource::Repository { owner, domain, .. } | Resource::PackageGroup { owner, domain, .. } => {
            (owner.clone(), domain.clone())
        }
    };
    access::domain(registry, ctx, caller, action, &owner, &domain, || arn.to_owned())?;
    match resource {
        Resource::Domain { owner, name } => Ok(Tagged::Domain { owner, name }),
        Resource::Repository { owner, domain, name } => {
            if registry.repository(&owner, &domain, &name, ctx.region).is_none() {
                return Err(repository_not_found(&name, &domain, &owner));
            }
            Ok(Tagged::Repository { owner, domain, name })
        }
        Resource::PackageGroup { owner, domain, pattern } => {
            let key = DomainKey::new(&owner, &domain, ctx.region);
            let pattern = Pattern::parse(&pattern).map(|p| p.text()).unwrap_or(pattern);
            let exists = registry.package_groups.of(&key).map_or(pattern == "/*", |g| g.groups.contains_key(&pattern));
            if !exists {
                return Err(group_not_found(&pattern, &key));
            }
            Ok(Tagged::PackageGroup { key, pattern })
        }
    }
}

impl Tagged {
    /// Its tags, to read (a domain's root group never changed has none).
    fn tags<'r>(&self, registry: &'r Registry, region: &str) -> &'r [Tag] {
        let tags = match self {
            Self::Domain { owner, name } => registry.domain(owner, name, region).map(|d| &d.tags),
            Self::Repository { owner, domain, name } => registry.repository(owner, domain, name, region).map(|r| &r.tags),
            Self::PackageGroup { key, pattern } => {
                registry.package_groups.of(key).and_then(|g| g.groups.get(pattern)).map(|g| &g.tags)
            }
        };
        tags.map_or(&[], Vec::as_slice)
    }

    /// Its tags, to change (found by [`tagged`] under the same lock).
    fn tags_mut<'r>(&self, registry: &'r mut Registry, region: &str) -> Result<&'r mut Vec<Tag>, ServiceError> {
        match self {
            Self::Domain { owner, name } => registry
                .domain_mut(owner, name, region)
                .map(|d| &mut d.tags)
                .ok_or_else(|| ServiceError::domain_not_found(name, owner)),
            Self::Repository { owner, domain, name } => registry
                .repository_mut(owner, domain, name, region)
                .map(|r| &mut r.tags)
                .ok_or_else(|| repository_not_found(name, domain, owner)),
            Self::PackageGroup { key, pattern } => groups_mut(registry, key)
                .groups
                .get_mut(pattern)
                .map(|g| &mut g.tags)
                .ok_or_else(|| group_not_found(pattern, key)),
        }
    }
}

/// The tags of the resource an ARN names, to change, after the permission and domain checks.
fn tags_of<'r>(
    registry: &'r mut Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    arn: &str,
) -> Result<&'r mut Vec<Tag>, ServiceError> {
    tagged(registry, ctx, caller, action, arn)?.tags_mut(registry, ctx.region)
}

/// TagResource.
pub fn tag(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        resource_arn: String,
        tags: Vec<Tag>,
    }
    let input: Input = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let tags = tags_of(&mut registry, ctx, caller, "codeartifact:TagResource", &input.resource_arn)?;
    let mut merged = tags.clone();
    for tag in input.tags {
        match merged.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value,
            None => merged.push(tag),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(ServiceError::new(
            ErrorCode::ServiceQuotaExceededException,
            format!("A resource can have at most {MAX_TAGS} tags"),
        ));
    }
    *tags = merged;
    Ok(json_body(&serde_json::json!({})))
}

/// UntagResource.
pub fn untag(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        resource_arn: String,
        tag_keys: Vec<String>,
    }
    let input: Input = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let tags = tags_of(&mut registry, ctx, caller, "codeartifact:UntagResource", &input.resource_arn)?;
    tags.retain(|t| !input.tag_keys.contains(&t.key));
    Ok(json_body(&serde_json::json!({})))
}

/// ListTagsForResource.
pub fn list(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        resource_arn: String,
    }
    #[derive(Serialize)]
    struct Output {
        tags: Vec<Tag>,
    }
    let input: Input = request.input(None)?.typed()?;
    // A read: the world's read lock, and nothing handed out to be changed.
    let registry = ctx.world.read();
    let found = tagged(&registry, ctx, caller, "codeartifact:ListTagsForResource", &input.resource_arn)?;
    Ok(json_body(&Output { tags: found.tags(&registry, ctx.region).to_vec() }))
}
