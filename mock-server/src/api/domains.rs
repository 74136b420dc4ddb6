//! Domains: CreateDomain, DescribeDomain, ListDomains, DeleteDomain. One module for the four,
//! as they share the domain's description and its rules.
//!
//! A domain belongs to the account that creates it (its `owner`) and exists in the region of
//! the request that created it. Its encryption key is the one given, or the region's AWS
//! managed key; its assets live in a service bucket (`s3BucketArn`). Deleting a domain that
//! still has repositories is a ConflictException, as the API reference says.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{access, paginate, Context, Request};
use crate::clock::unix_seconds;
use crate::domain::{domain_arn, Domain};
use crate::error::{ErrorCode, ServiceError};
use crate::identity::Identity;
use crate::model::output::json_body;
use crate::registry::{DomainRecord, Registry, Tag};

/// What DescribeDomain, CreateDomain and DeleteDomain answer: the summary and more.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainDescription {
    #[serde(flatten)]
    summary: DomainSummary,
    repository_count: usize,
    asset_size_bytes: i64,
    s3_bucket_arn: String,
}

/// What ListDomains answers of each.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainSummary {
    name: String,
    owner: String,
    arn: String,
    status: &'static str,
    created_time: i64,
    encryption_key: String,
}

#[derive(Debug, Serialize)]
struct DomainOutput {
    domain: DomainDescription,
}

/// The key a domain's assets are encrypted with: the one it was created with, or its
/// region's AWS managed key (a key id derived from the domain, so it stays the same).
fn encryption_key(record: &DomainRecord, region: &str) -> String {
    if let Some(key) = &record.encryption_key {
        return key.clone();
    }
    let digest = Sha256::digest(format!("{}/{}", record.domain.owner, record.domain.name));
    let hex = hex::encode(&digest[..16]);
    format!(
        "arn:aws:kms:{region}:{}:key/{}-{}-{}-{}-{}",
        record.domain.owner,
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn describe(
    record: &DomainRecord,
    registry: &Registry,
    region: &str,
    status: &'static str,
) -> DomainDescription {
    let domain = &record.domain;
    DomainDescription {
        summary: summarize(record, region, status),
        repository_count: registry
            .repositories_of(&domain.owner, &domain.name, region)
            .len(),
        asset_size_bytes: 0,
        s3_bucket_arn: format!("arn:aws:s3:::assets-{}-{region}", domain.owner),
    }
}

fn summarize(record: &DomainRecord, region: &str, status: &'static str) -> DomainSummary {
    DomainSummary {
        name: record.domain.name.clone(),
        owner: record.domain.owner.clone(),
        arn: domain_arn(region, &record.domain.owner, &record.domain.name),
        status,
        created_time: unix_seconds(record.created_at),
        encryption_key: encryption_key(record, region),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DomainInput {
    domain: String,
    domain_owner: Option<String>,
}

/// CreateDomain: a new domain of the caller's account in the request's region.
pub fn create(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        domain: String,
        encryption_key: Option<String>,
        #[serde(default)]
        tags: Vec<Tag>,
    }
    let input: Input = request.input(None)?.typed()?;
    let owner = caller.account.as_str();
    access::require(caller, "codeartifact:CreateDomain", || {
        domain_arn(ctx.region, owner, &input.domain)
    })?;
    let mut registry = ctx.world.write();
    if registry.domain(owner, &input.domain, ctx.region).is_some() {
        return Err(ServiceError::new(
            ErrorCode::ConflictException,
            format!("Domain '{}' already exists in account '{owner}'", input.domain),
        )
        .with_member("resourceId", input.domain.as_str())
        .with_member("resourceType", "domain"));
    }
    let record = DomainRecord {
        domain: Domain::new(&input.domain, owner, Some(ctx.region.to_owned())),
        created_at: ctx.now,
        encryption_key: input.encryption_key,
        tags: input.tags,
        policy_revision: 0,
    };
    registry.add_domain(record.clone());
    Ok(json_body(&DomainOutput {
        domain: describe(&record, &registry, ctx.region, "Active"),
    }))
}

/// DescribeDomain.
pub fn describe_domain(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: DomainInput = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:DescribeDomain";
    let resource = || domain_arn(ctx.region, owner, &input.domain);
    access::require(caller, ACTION, resource)?;
    let registry = ctx.world.read();
    let record = access::domain(&registry, ctx, caller, ACTION, owner, &input.domain, resource)?;
    Ok(json_body(&DomainOutput {
        domain: describe(record, &registry, ctx.region, "Active"),
    }))
}

/// ListDomains: the caller's account's domains in the request's region, by name.
pub fn list(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        max_results: Option<usize>,
        next_token: Option<String>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Output {
        domains: Vec<DomainSummary>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    }
    let input: Input = request.input(None)?.typed()?;
    access::require(caller, "codeartifact:ListDomains", || "*".to_owned())?;
    let registry = ctx.world.read();
    let mine: Vec<&DomainRecord> = registry
        .domains_in(ctx.region)
        .into_iter()
        .filter(|d| d.domain.owner == caller.account)
        .collect();
    let (page, next_token) = paginate(
        &mine,
        |d| d.domain.name.clone(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    let domains = page
        .iter()
        .map(|record| summarize(record, ctx.region, "Active"))
        .collect();
    Ok(json_body(&Output { domains, next_token }))
}

/// DeleteDomain: only a domain without repositories; its description, `Deleted`.
pub fn delete(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: DomainInput = request.input(None)?.typed()?;
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    const ACTION: &str = "codeartifact:DeleteDomain";
    let resource = || domain_arn(ctx.region, owner, &input.domain);
    access::require(caller, ACTION, resource)?;
    let mut registry = ctx.world.write();
    let record = access::domain(&registry, ctx, caller, ACTION, owner, &input.domain, resource)?.clone();
    let repositories = registry.repositories_of(owner, &input.domain, ctx.region).len();
    if repositories > 0 {
        return Err(ServiceError::new(
            ErrorCode::ConflictException,
            format!(
                "Domain '{}' cannot be deleted: it still contains {repositories} repositories",
                input.domain
            ),
        )
        .with_member("resourceId", input.domain.as_str())
        .with_member("resourceType", "domain"));
    }
    let description = describe(&record, &registry, ctx.region, "Deleted");
    let regions = ctx.world.directory.regions().to_vec();
    registry.remove_domain(owner, &input.domain, ctx.region, &regions);
    Ok(json_body(&DomainOutput { domain: description }))
}
