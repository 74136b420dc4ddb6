//! Package groups: CreatePackageGroup, DescribePackageGroup, UpdatePackageGroup,
//! DeletePackageGroup, ListPackageGroups, ListSubPackageGroups,
//! UpdatePackageGroupOriginConfiguration, GetAssociatedPackageGroup,
//! ListAllowedRepositoriesForGroup and ListAssociatedPackages. One module for the ten, as they
//! share the group's description (`package_groups.rs` holds the matching rules).
//!
//! Each action is checked as `codeartifact:<Operation>` on the group's ARN
//! (`arn:aws:codeartifact:REGION:OWNER:package-group/DOMAIN/PATTERN`; ListPackageGroups and
//! GetAssociatedPackageGroup on the domain's), then against the domain's policy.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::access::repository_not_found;
use super::{access, paginate, Context, Request};
use crate::clock::unix_seconds;
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::identity::Identity;
use crate::model::output::value_body;
use crate::package_groups::{DomainGroups, DomainKey, Mode, PackageGroup, Pattern, RestrictionType};
use crate::packages::PackageId;
use crate::registry::{Registry, Tag};

/// The domain a package group operation names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DomainInput {
    domain: String,
    domain_owner: Option<String>,
}

/// A group of a domain.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupInput {
    #[serde(flatten)]
    domain: DomainInput,
    package_group: String,
}

/// `arn:aws:codeartifact:REGION:OWNER:package-group/DOMAIN/PATTERN`.
pub fn group_arn(key: &DomainKey, pattern: &str) -> String {
    format!(
        "arn:aws:codeartifact:{}:{}:package-group/{}{pattern}",
        key.region, key.owner, key.domain
    )
}

pub fn group_not_found(pattern: &str, key: &DomainKey) -> ServiceError {
    ServiceError::new(
        ErrorCode::ResourceNotFoundException,
        format!(
            "Package group not found. Package group '{pattern}' does not exist in domain '{}' owned by account '{}'",
            key.domain, key.owner
        ),
    )
    .with_member("resourceId", pattern)
    .with_member("resourceType", "package-group")
}

fn parse_pattern(text: &str) -> Result<Pattern, ServiceError> {
    Pattern::parse(text).map_err(|why| ServiceError::validation(ValidationReason::FieldValidationFailed, why))
}

/// The domain's key and its groups once the caller may do `action` on `resource`.
fn domain_groups<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    input: &DomainInput,
    resource: &dyn Fn(&DomainKey) -> String,
) -> Result<(DomainKey, Cow<'r, DomainGroups>), ServiceError> {
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    let key = DomainKey::new(owner, &input.domain, ctx.region);
    access::require(caller, action, || resource(&key))?;
    let record = access::domain(registry, ctx, caller, action, owner, &input.domain, || resource(&key))?;
    let groups = match registry.package_groups.of(&key) {
        Some(groups) => Cow::Borrowed(groups),
        None => Cow::Owned(DomainGroups::new(record.created_at)),
    };
    Ok((key, groups))
}

/// The group a request names, with its domain, once the caller may do `action` on it.
fn named_group<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    input: &GroupInput,
) -> Result<(DomainKey, Cow<'r, DomainGroups>, Pattern), ServiceError> {
    let pattern = parse_pattern(&input.package_group)?;
    let text = pattern.text();
    let (key, groups) = domain_groups(registry, ctx, caller, action, &input.domain, &|key| group_arn(key, &text))?;
    if !groups.groups.contains_key(&text) {
        return Err(group_not_found(&text, &key));
    }
    Ok((key, groups, pattern))
}

fn reference(key: &DomainKey, group: &PackageGroup) -> Value {
    json!({ "arn": group_arn(key, &group.pattern), "pattern": group.pattern })
}

/// What the API says of a group: PackageGroupDescription (and PackageGroupSummary, the same
/// members), with each restriction's own mode, the mode in force and where it comes from.
fn describe(key: &DomainKey, groups: &DomainGroups, group: &PackageGroup) -> Value {
    let mut restrictions = Map::new();
    for kind in RestrictionType::ALL {
        let effective = groups.effective(group, kind);
        let inherited = group.mode(kind) == Mode::Inherit;
        restrictions.insert(
            kind.as_str().to_owned(),
            json!({
                "mode": group.mode(kind).as_str(),
                "effectiveMode": effective.mode.as_str(),
                "inheritedFrom": inherited.then(|| reference(key, effective.from)),
                "repositoriesCount": group.allowed(kind).count(),
            }),
        );
    }
    json!({
        "arn": group_arn(key, &group.pattern),
        "pattern": group.pattern,
        "domainName": key.domain,
        "domainOwner": key.owner,
        "createdTime": unix_seconds(group.created_at),
        "contactInfo": group.contact_info,
        "description": group.description,
        "originConfiguration": { "restrictions": restrictions },
        "parent": groups.parent_of(&group.parsed()).map(|p| reference(key, p)),
    })
}

/// The domain's groups, to change (the root created with the domain).
pub fn groups_mut<'r>(registry: &'r mut Registry, key: &DomainKey) -> &'r mut DomainGroups {
    let created = registry
        .domain(&key.owner, &key.domain, &key.region)
        .map_or(std::time::UNIX_EPOCH, |d| d.created_at);
    registry.package_groups.of_mut(key, created)
}

/// CreatePackageGroup.
pub fn create(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[serde(flatten)]
        group: GroupInput,
        contact_info: Option<String>,
        description: Option<String>,
        #[serde(default)]
        tags: Vec<Tag>,
    }
    let input: Input = request.input(None)?.typed()?;
    let pattern = parse_pattern(&input.group.package_group)?;
    let text = pattern.text();
    let mut registry = ctx.world.write();
    let (key, groups) = domain_groups(&registry, ctx, caller, "codeartifact:CreatePackageGroup", &input.group.domain, &|key| {
        group_arn(key, &text)
    })?;
    if groups.groups.contains_key(&text) {
        return Err(ServiceError::new(
            ErrorCode::ConflictException,
            format!("Package group '{text}' already exists in domain '{}'", key.domain),
        )
        .with_member("resourceId", text.as_str())
        .with_member("resourceType", "package-group"));
    }
    drop(groups);
    let mut group = PackageGroup::new(&pattern, ctx.now);
    group.contact_info = input.contact_info;
    group.description = input.description;
    group.tags = input.tags;
    let groups = groups_mut(&mut registry, &key);
    groups.groups.insert(text.clone(), group);
    let body = describe(&key, groups, &groups.groups[&text]);
    Ok(value_body(json!({ "packageGroup": body })))
}

/// DescribePackageGroup.
pub fn describe_group(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: GroupInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (key, groups, pattern) = named_group(&registry, ctx, caller, "codeartifact:DescribePackageGroup", &input)?;
    let body = describe(&key, &groups, &groups.groups[&pattern.text()]);
    Ok(value_body(json!({ "packageGroup": body })))
}

/// UpdatePackageGroup: its contact information and description (a member left out stays).
pub fn update(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[serde(flatten)]
        group: GroupInput,
        contact_info: Option<String>,
        description: Option<String>,
    }
    let input: Input = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let (key, _, pattern) = named_group(&registry, ctx, caller, "codeartifact:UpdatePackageGroup", &input.group)?;
    let groups = groups_mut(&mut registry, &key);
    let group = groups.groups.get_mut(&pattern.text()).ok_or_else(|| group_not_found(&pattern.text(), &key))?;
    if let Some(contact) = input.contact_info {
        group.contact_info = Some(contact);
    }
    if let Some(description) = input.description {
        group.description = Some(description);
    }
    let body = describe(&key, groups, &groups.groups[&pattern.text()]);
    Ok(value_body(json!({ "packageGroup": body })))
}

/// DeletePackageGroup: its children become its parent's; the root cannot be deleted.
pub fn delete(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: GroupInput = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let (key, groups, pattern) = named_group(&registry, ctx, caller, "codeartifact:DeletePackageGroup", &input)?;
    if pattern == Pattern::Root {
        return Err(ServiceError::validation(
            ValidationReason::FieldValidationFailed,
            "The root package group '/*' cannot be deleted",
        ));
    }
    let body = describe(&key, &groups, &groups.groups[&pattern.text()]);
    drop(groups);
    groups_mut(&mut registry, &key).groups.remove(&pattern.text());
    Ok(value_body(json!({ "packageGroup": body })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInput {
    max_results: Option<usize>,
    next_token: Option<String>,
}

/// A page of groups, by pattern.
fn group_page(key: &DomainKey, groups: &DomainGroups, list: &[&PackageGroup], page: &PageInput) -> Result<Vec<u8>, ServiceError> {
    let (page, next_token) = paginate(list, |g| g.pattern.clone(), page.max_results, page.next_token.as_deref())?;
    let summaries: Vec<Value> = page.iter().map(|g| describe(key, groups, g)).collect();
    Ok(value_body(json!({ "packageGroups": summaries, "nextToken": next_token })))
}

/// ListPackageGroups: the domain's groups whose pattern starts with `prefix`, by pattern.
pub fn list(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[serde(flatten)]
        domain: DomainInput,
        #[serde(flatten)]
        page: PageInput,
        prefix: Option<String>,
    }
    let input: Input = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (key, groups) = domain_groups(&registry, ctx, caller, "codeartifact:ListPackageGroups", &input.domain, &|key| {
        access::domain_resource(ctx, &key.owner, &key.domain)
    })?;
    let prefix = input.prefix.as_deref().unwrap_or("");
    let list: Vec<&PackageGroup> = groups.groups.values().filter(|g| g.pattern.starts_with(prefix)).collect();
    group_page(&key, &groups, &list, &input.page)
}

/// ListSubPackageGroups: the groups whose parent is the named one.
pub fn list_sub_groups(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    struct Input {
        #[serde(flatten)]
        group: GroupInput,
        #[serde(flatten)]
        page: PageInput,
    }
    let input: Input = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (key, groups, pattern) = named_group(&registry, ctx, caller, "codeartifact:ListSubPackageGroups", &input.group)?;
    let children = groups.children_of(&pattern);
    group_page(&key, &groups, &children, &input.page)
}

/// UpdatePackageGroupOriginConfiguration: modes by restriction, and repositories added to or
/// removed from the lists `ALLOW_SPECIFIC_REPOSITORIES` reads.
pub fn update_origin_configuration(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct AllowedRepository {
        repository_name: String,
        origin_restriction_type: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[serde(flatten)]
        group: GroupInput,
        #[serde(default)]
        restrictions: BTreeMap<String, String>,
        #[serde(default)]
        add_allowed_repositories: Vec<AllowedRepository>,
        #[serde(default)]
        remove_allowed_repositories: Vec<AllowedRepository>,
    }
    let input: Input = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let (key, _, pattern) = named_group(
        &registry,
        ctx,
        caller,
        "codeartifact:UpdatePackageGroupOriginConfiguration",
        &input.group,
    )?;
    let invalid = |why: String| ServiceError::validation(ValidationReason::FieldValidationFailed, why);
    let mut modes = Vec::new();
    for (kind, mode) in &input.restrictions {
        // The model's enums were checked; the pair is this mock's to judge.
        let (Some(kind), Some(mode)) = (RestrictionType::parse(kind), Mode::parse(mode)) else {
            return Err(invalid(format!("Invalid restriction {kind}={mode}")));
        };
        if pattern == Pattern::Root && mode == Mode::Inherit {
            return Err(invalid("The root package group '/*' has no parent to inherit from".to_owned()));
        }
        modes.push((kind, mode));
    }
    let listed = |list: &[AllowedRepository]| -> Result<Vec<(RestrictionType, String)>, ServiceError> {
        list.iter()
            .map(|r| {
                let kind = RestrictionType::parse(&r.origin_restriction_type)
                    .ok_or_else(|| invalid(format!("Invalid origin restriction type {}", r.origin_restriction_type)))?;
                Ok((kind, r.repository_name.clone()))
            })
            .collect()
    };
    let (added, removed) = (listed(&input.add_allowed_repositories)?, listed(&input.remove_allowed_repositories)?);
    for (_, repository) in &added {
        if registry.repository(&key.owner, &key.domain, repository, &key.region).is_none() {
            return Err(repository_not_found(repository, &key.domain, &key.owner));
        }
    }
    let groups = groups_mut(&mut registry, &key);
    let group = groups.groups.get_mut(&pattern.text()).ok_or_else(|| group_not_found(&pattern.text(), &key))?;
    for (kind, mode) in modes {
        group.modes.insert(kind, mode);
    }
    let mut updates: BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
    for (kind, repository) in added {
        if group.allowed.entry(kind).or_default().insert(repository.clone()) {
            updates.entry(kind.as_str()).or_default().entry("ADDED").or_default().insert(repository);
        }
    }
    for (kind, repository) in removed {
        if group.allowed.entry(kind).or_default().remove(&repository) {
            updates.entry(kind.as_str()).or_default().entry("REMOVED").or_default().insert(repository);
        }
    }
    let body = describe(&key, groups, &groups.groups[&pattern.text()]);
    Ok(value_body(json!({ "packageGroup": body, "allowedRepositoryUpdates": updates })))
}

/// GetAssociatedPackageGroup: the group a package belongs to (the most specific match), for
/// a package whether or not any repository holds it.
pub fn get_associated(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    struct Input {
        #[serde(flatten)]
        domain: DomainInput,
        format: String,
        namespace: Option<String>,
        package: String,
    }
    let input: Input = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (key, groups) = domain_groups(&registry, ctx, caller, "codeartifact:GetAssociatedPackageGroup", &input.domain, &|key| {
        access::domain_resource(ctx, &key.owner, &key.domain)
    })?;
    let id = PackageId::from_api(&input.format, input.namespace.as_deref(), &input.package);
    let group = groups.associated(&id);
    Ok(value_body(json!({ "packageGroup": describe(&key, &groups, group), "associationType": "STRONG" })))
}

/// ListAllowedRepositoriesForGroup: the repositories the group lists for one restriction.
pub fn list_allowed_repositories(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[serde(flatten)]
        group: GroupInput,
        #[serde(flatten)]
        page: PageInput,
        origin_restriction_type: String,
    }
    let input: Input = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (_, groups, pattern) = named_group(&registry, ctx, caller, "codeartifact:ListAllowedRepositoriesForGroup", &input.group)?;
    let kind = RestrictionType::parse(&input.origin_restriction_type).unwrap_or(RestrictionType::Publish);
    let names: Vec<&String> = groups.groups[&pattern.text()].allowed(kind).collect();
    let (page, next_token) = paginate(&names, |n| (*n).clone(), input.page.max_results, input.page.next_token.as_deref())?;
    Ok(value_body(json!({ "allowedRepositories": page, "nextToken": next_token })))
}

/// ListAssociatedPackages: the packages of the domain's repositories that belong to the group;
/// with `preview`, those that would belong to it were it created.
pub fn list_associated_packages(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    struct Input {
        #[serde(flatten)]
        group: GroupInput,
        #[serde(flatten)]
        page: PageInput,
        preview: Option<bool>,
    }
    let input: Input = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let action = "codeartifact:ListAssociatedPackages";
    let (key, groups, pattern) = if input.preview == Some(true) {
        let pattern = parse_pattern(&input.group.package_group)?;
        let text = pattern.text();
        let (key, groups) = domain_groups(&registry, ctx, caller, action, &input.group.domain, &|key| group_arn(key, &text))?;
        let mut groups = groups.into_owned();
        groups.groups.entry(text).or_insert_with(|| PackageGroup::new(&pattern, ctx.now));
        (key, Cow::Owned(groups), pattern)
    } else {
        named_group(&registry, ctx, caller, action, &input.group)?
    };
    let text = pattern.text();
    let mut packages: BTreeSet<&PackageId> = BTreeSet::new();
    for record in registry.repositories_of(&key.owner, &key.domain, &key.region) {
        let repository = crate::packages::RepositoryKey::new(&key.owner, &key.domain, &key.region, &record.repository.name);
        for id in registry.packages.of(&repository).into_iter().flat_map(|p| p.keys()) {
            if groups.associated(id).pattern == text {
                packages.insert(id);
            }
        }
    }
    let packages: Vec<&PackageId> = packages.into_iter().collect();
    let sort_key = |id: &&PackageId| format!("{}\u{0}{}\u{0}{}", id.format, id.namespace.as_deref().unwrap_or(""), id.name);
    let (page, next_token) = paginate(&packages, sort_key, input.page.max_results, input.page.next_token.as_deref())?;
    let list: Vec<Value> = page
        .iter()
        .map(|id| json!({ "format": id.format, "namespace": id.namespace, "package": id.name, "associationType": "STRONG" }))
        .collect();
    Ok(value_body(json!({ "packages": list, "nextToken": next_token })))
}
