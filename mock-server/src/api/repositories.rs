//! Repositories: CreateRepository, DescribeRepository, UpdateRepository, ListRepositories,
//! ListRepositoriesInDomain, DeleteRepository. One module for the six, as they share the
//! repository's description and its rules: a name is unique in its domain, upstreams are
//! repositories of the same domain (at most ten, in order, never leading back to the
//! repository: ConflictException), and a repository another one reads through cannot be
//! deleted (ConflictException).

use serde::{Deserialize, Serialize};

use super::access::repository_not_found;
use super::{access, paginate, Context, Request};
use crate::clock::unix_seconds;
use crate::domain::domain_arn;
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::fixture::{EXTERNAL_CONNECTIONS, MAX_UPSTREAMS};
use crate::identity::Identity;
use crate::model::output::json_body;
use crate::registry::{Registry, RepositoryRecord, Tag};
use crate::repository::{repository_arn, Repository};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamInfo {
    repository_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalConnectionInfo {
    external_connection_name: String,
    package_format: &'static str,
    status: &'static str,
}

/// What Create, Describe, Update and DeleteRepository answer: the summary and more.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RepositoryDescription {
    #[serde(flatten)]
    summary: RepositorySummary,
    upstreams: Vec<UpstreamInfo>,
    external_connections: Vec<ExternalConnectionInfo>,
}

/// What the lists answer of each.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RepositorySummary {
    name: String,
    administrator_account: String,
    domain_name: String,
    domain_owner: String,
    arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    created_time: i64,
}

#[derive(Debug, Serialize)]
struct RepositoryOutput {
    repository: RepositoryDescription,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ListOutput {
    repositories: Vec<RepositorySummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

fn describe(record: &RepositoryRecord, region: &str) -> RepositoryDescription {
    let r = &record.repository;
    RepositoryDescription {
        summary: summarize(record, region),
        upstreams: r
            .upstreams
            .iter()
            .map(|name| UpstreamInfo {
                repository_name: name.clone(),
            })
            .collect(),
        external_connections: r
            .external_connection
            .iter()
            .map(|name| ExternalConnectionInfo {
                external_connection_name: name.clone(),
                package_format: EXTERNAL_CONNECTIONS
                    .iter()
                    .find(|(c, _)| c == name)
                    .map_or("generic", |(_, format)| format),
                status: "Available",
            })
            .collect(),
    }
}

fn summarize(record: &RepositoryRecord, region: &str) -> RepositorySummary {
    let r = &record.repository;
    RepositorySummary {
        name: r.name.clone(),
        administrator_account: r.owner.clone(),
        domain_name: r.domain.clone(),
        domain_owner: r.owner.clone(),
        arn: repository_arn(region, &r.owner, &r.domain, &r.name),
        description: r.description.clone(),
        created_time: unix_seconds(record.created_at),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamInput {
    repository_name: String,
}

/// The repository an operation names (its domain, the domain's owner, its name).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RepositoryInput {
    pub(super) domain: String,
    pub(super) domain_owner: Option<String>,
    pub(super) repository: String,
}

/// The upstreams a request names, checked: at most ten, each a repository of the domain,
/// and none leading back to `name`.
fn checked_upstreams(
    registry: &Registry,
    ctx: &Context<'_>,
    owner: &str,
    domain: &str,
    name: &str,
    upstreams: &[UpstreamInput],
) -> Result<Vec<String>, ServiceError> {
    if upstreams.len() > MAX_UPSTREAMS {
        return Err(ServiceError::validation(
            ValidationReason::FieldValidationFailed,
            format!(
                "A repository can have at most {MAX_UPSTREAMS} upstream repositories, got {}",
                upstreams.len()
            ),
        ));
    }
    let names: Vec<String> = upstreams.iter().map(|u| u.repository_name.clone()).collect();
    for upstream in &names {
        if registry.repository(owner, domain, upstream, ctx.region).is_none() {
            return Err(repository_not_found(upstream, domain, owner));
        }
    }
    // Does any upstream lead back to `name`?
    let mut stack: Vec<String> = names.clone();
    let mut seen = std::collections::HashSet::new();
    while let Some(next) = stack.pop() {
        if next == name {
            return Err(ServiceError::new(
                ErrorCode::ConflictException,
                format!("Upstream repositories of '{name}' would lead back to '{name}': a repository cannot be its own upstream"),
            )
            .with_member("resourceId", name)
            .with_member("resourceType", "repository"));
        }
        if seen.insert(next.clone()) {
            if let Some(record) = registry.repository(owner, domain, &next, ctx.region) {
                stack.extend(record.repository.upstreams.iter().cloned());
            }
        }
    }
    Ok(names)
}

/// CreateRepository.
pub fn create(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        domain: String,
        domain_owner: Option<String>,
        repository: String,
        description: Option<String>,
        #[serde(default)]
        upstreams: Vec<UpstreamInput>,
        #[serde(default)]
        tags: Vec<Tag>,
    }
    let input: Input = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:CreateRepository";
    let resource = || repository_arn(ctx.region, owner, &input.domain, &input.repository);
    access::require(caller, ACTION, resource)?;
    let mut registry = ctx.world.write();
    access::domain(&registry, ctx, caller, ACTION, owner, &input.domain, resource)?;
    if registry
        .repository(owner, &input.domain, &input.repository, ctx.region)
        .is_some()
    {
        return Err(ServiceError::new(
            ErrorCode::ConflictException,
            format!(
                "Repository '{}' already exists in domain '{}'",
                input.repository, input.domain
            ),
        )
        .with_member("resourceId", input.repository.as_str())
        .with_member("resourceType", "repository"));
    }
    let upstreams = checked_upstreams(
        &registry,
        ctx,
        owner,
        &input.domain,
        &input.repository,
        &input.upstreams,
    )?;
    let record = RepositoryRecord {
        repository: Repository {
            name: input.repository.clone(),
            domain: input.domain.clone(),
            owner: owner.to_owned(),
            region: Some(ctx.region.to_owned()),
            description: input.description,
            upstreams,
            external_connection: None,
            policy: None,
        },
        created_at: ctx.now,
        tags: input.tags,
        policy_revision: 0,
    };
    let description = describe(&record, ctx.region);
    registry.add_repository(record);
    Ok(json_body(&RepositoryOutput {
        repository: description,
    }))
}

/// DescribeRepository.
pub fn describe_repository(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: RepositoryInput = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:DescribeRepository";
    let resource = || repository_arn(ctx.region, owner, &input.domain, &input.repository);
    let registry = ctx.world.read();
    let record = access::permitted_repository(
        &registry,
        ctx,
        caller,
        ACTION,
        owner,
        &input.domain,
        &input.repository,
        resource,
    )?;
    Ok(json_body(&RepositoryOutput {
        repository: describe(record, ctx.region),
    }))
}

/// UpdateRepository: a new description and, when given, a new list of upstreams.
pub fn update(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        domain: String,
        domain_owner: Option<String>,
        repository: String,
        description: Option<String>,
        upstreams: Option<Vec<UpstreamInput>>,
    }
    let input: Input = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:UpdateRepository";
    let resource = || repository_arn(ctx.region, owner, &input.domain, &input.repository);
    let mut registry = ctx.world.write();
    access::permitted_repository(
        &registry,
        ctx,
        caller,
        ACTION,
        owner,
        &input.domain,
        &input.repository,
        resource,
    )?;
    let upstreams = match &input.upstreams {
        Some(upstreams) => Some(checked_upstreams(
            &registry,
            ctx,
            owner,
            &input.domain,
            &input.repository,
            upstreams,
        )?),
        None => None,
    };
    let record = registry
        .repository_mut(owner, &input.domain, &input.repository, ctx.region)
        .ok_or_else(|| repository_not_found(&input.repository, &input.domain, owner))?;
    if input.description.is_some() {
        record.repository.description = input.description;
    }
    if let Some(upstreams) = upstreams {
        record.repository.upstreams = upstreams;
    }
    Ok(json_body(&RepositoryOutput {
        repository: describe(record, ctx.region),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    repository_prefix: Option<String>,
    max_results: Option<usize>,
    next_token: Option<String>,
}

/// ListRepositories: the repositories the caller's account administers, in the region.
pub fn list(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: ListInput = request.input(None)?.typed()?;
    access::require(caller, "codeartifact:ListRepositories", || "*".to_owned())?;
    let registry = ctx.world.read();
    let prefix = input.repository_prefix.as_deref().unwrap_or("");
    let mine: Vec<&RepositoryRecord> = registry
        .all_repositories_in(ctx.region)
        .into_iter()
        .filter(|r| r.repository.owner == caller.account && r.repository.name.starts_with(prefix))
        .collect();
    let key = |r: &&RepositoryRecord| format!("{}/{}", r.repository.domain, r.repository.name);
    let (page, next_token) =
        paginate(&mine, key, input.max_results, input.next_token.as_deref())?;
    Ok(json_body(&ListOutput {
        repositories: page.iter().map(|r| summarize(r, ctx.region)).collect(),
        next_token,
    }))
}

/// ListRepositoriesInDomain.
pub fn list_in_domain(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        domain: String,
        domain_owner: Option<String>,
        administrator_account: Option<String>,
        #[serde(flatten)]
        list: ListInput,
    }
    let input: Input = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:ListRepositoriesInDomain";
    let resource = || domain_arn(ctx.region, owner, &input.domain);
    access::require(caller, ACTION, resource)?;
    let registry = ctx.world.read();
    access::domain(&registry, ctx, caller, ACTION, owner, &input.domain, resource)?;
    let prefix = input.list.repository_prefix.as_deref().unwrap_or("");
    let repositories: Vec<&RepositoryRecord> = registry
        .repositories_of(owner, &input.domain, ctx.region)
        .into_iter()
        .filter(|r| r.repository.name.starts_with(prefix))
        .filter(|r| {
            input
                .administrator_account
                .as_deref()
                .is_none_or(|account| account == r.repository.owner)
        })
        .collect();
    let (page, next_token) = paginate(
        &repositories,
        |r| r.repository.name.clone(),
        input.list.max_results,
        input.list.next_token.as_deref(),
    )?;
    Ok(json_body(&ListOutput {
        repositories: page.iter().map(|r| summarize(r, ctx.region)).collect(),
        next_token,
    }))
}

/// DeleteRepository: not while another repository reads through it.
pub fn delete(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: RepositoryInput = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:DeleteRepository";
    let resource = || repository_arn(ctx.region, owner, &input.domain, &input.repository);
    let mut registry = ctx.world.write();
    let record = access::permitted_repository(
        &registry,
        ctx,
        caller,
        ACTION,
        owner,
        &input.domain,
        &input.repository,
        resource,
    )?
    .clone();
    let downstream = registry
        .repositories_of(owner, &input.domain, ctx.region)
        .into_iter()
        .find(|r| r.repository.upstreams.contains(&input.repository))
        .map(|r| r.repository.name.clone());
    if let Some(downstream) = downstream {
        return Err(ServiceError::new(
            ErrorCode::ConflictException,
            format!(
                "Repository '{}' cannot be deleted: it is an upstream of '{downstream}'",
                input.repository
            ),
        )
        .with_member("resourceId", input.repository.as_str())
        .with_member("resourceType", "repository"));
    }
    let regions = ctx.world.directory.regions().to_vec();
    registry.remove_repository(owner, &input.domain, &input.repository, ctx.region, &regions);
    Ok(json_body(&RepositoryOutput {
        repository: describe(&record, ctx.region),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionInput {
    domain: String,
    domain_owner: Option<String>,
    repository: String,
    external_connection: String,
}

/// AssociateExternalConnection (`connect`) and DisassociateExternalConnection: a repository
/// has at most one external connection, one of those CodeArtifact offers.
fn change_connection(
    ctx: &Context<'_>,
    caller: &Identity,
    request: &Request<'_>,
    connect: bool,
) -> Result<Vec<u8>, ServiceError> {
    let input: ConnectionInput = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    let action = if connect {
        "codeartifact:AssociateExternalConnection"
    } else {
        "codeartifact:DisassociateExternalConnection"
    };
    let resource = || repository_arn(ctx.region, owner, &input.domain, &input.repository);
    let mut registry = ctx.world.write();
    access::permitted_repository(
        &registry,
        ctx,
        caller,
        action,
        owner,
        &input.domain,
        &input.repository,
        resource,
    )?;
    let record = registry
        .repository_mut(owner, &input.domain, &input.repository, ctx.region)
        .ok_or_else(|| repository_not_found(&input.repository, &input.domain, owner))?;
    let name = input.external_connection.as_str();
    let conflict = |message: String| {
        ServiceError::new(ErrorCode::ConflictException, message)
            .with_member("resourceId", input.repository.as_str())
            .with_member("resourceType", "repository")
    };
    if connect {
        if !EXTERNAL_CONNECTIONS.iter().any(|(c, _)| *c == name) {
            return Err(ServiceError::validation(
                ValidationReason::FieldValidationFailed,
                format!("External connection '{name}' does not exist"),
            ));
        }
        if let Some(existing) = &record.repository.external_connection {
            return Err(conflict(format!(
                "Repository '{}' already has the external connection '{existing}': a repository can have one",
                input.repository
            )));
        }
        record.repository.external_connection = Some(name.to_owned());
    } else {
        if record.repository.external_connection.as_deref() != Some(name) {
            return Err(ServiceError::new(
                ErrorCode::ResourceNotFoundException,
                format!(
                    "Repository '{}' has no external connection '{name}'",
                    input.repository
                ),
            )
            .with_member("resourceId", name)
            .with_member("resourceType", "repository"));
        }
        record.repository.external_connection = None;
    }
    Ok(json_body(&RepositoryOutput {
        repository: describe(record, ctx.region),
    }))
}

/// AssociateExternalConnection.
pub fn associate_external_connection(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    change_connection(ctx, caller, request, true)
}

/// DisassociateExternalConnection.
pub fn disassociate_external_connection(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    change_connection(ctx, caller, request, false)
}
