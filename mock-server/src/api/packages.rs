//! The package operations: what the registries (pip and twine, npm, cargo, Maven, NuGet) and
//! PublishPackageVersion stored,
//! as the API lists, describes and changes it (ListPackages, DescribePackage, DeletePackage,
//! PutPackageOriginConfiguration, ListPackageVersions, DescribePackageVersion,
//! ListPackageVersionAssets, GetPackageVersionAsset, GetPackageVersionReadme,
//! ListPackageVersionDependencies, DeletePackageVersions, DisposePackageVersions,
//! UpdatePackageVersionsStatus). A change shows in the registry at once: a deleted version
//! can no longer be installed, an `Unlisted` one is not listed, a disposed one's files are
//! gone.
//!
//! Each action is checked as `codeartifact:<Operation>` on the package's ARN
//! (`ListPackages` on the repository's), then against the domain's and repository's policies.
//! Python names are matched normalised (PEP 503), as they are stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::repositories::RepositoryInput;
use super::{access, paginate, Blob, Context, Request};
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::identity::Identity;
use crate::model::output::value_body;
use crate::packages::{
    new_revision, OriginRestrictions, Package, PackageId, PackageVersion,
    RepositoryKey, VersionStatus,
};
use crate::registry::Registry;
use crate::repository::repository_arn;

/// The package a package operation names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PackageInput {
    #[serde(flatten)]
    pub(super) repository: RepositoryInput,
    pub(super) format: String,
    pub(super) namespace: Option<String>,
    pub(super) package: String,
}

impl PackageInput {
    /// The package, named as the registries store it.
    pub(super) fn id(&self) -> PackageId {
        PackageId::from_api(&self.format, self.namespace.as_deref(), &self.package)
    }
}

/// The repository's key once the caller may do `action` on `resource` there.
pub(super) fn repository_key(
    registry: &Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    input: &RepositoryInput,
    resource: &dyn Fn() -> String,
) -> Result<RepositoryKey, ServiceError> {
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    access::permitted_repository(registry, ctx, caller, action, owner, &input.domain, &input.repository, resource)?;
    Ok(RepositoryKey::new(owner, &input.domain, ctx.region, &input.repository))
}

/// `arn:aws:codeartifact:REGION:OWNER:package/DOMAIN/REPO/FORMAT/NAMESPACE/NAME`.
pub(super) fn package_resource(ctx: &Context<'_>, caller: &Identity, input: &PackageInput) -> String {
    let repository = &input.repository;
    format!(
        "arn:aws:codeartifact:{}:{}:package/{}/{}/{}/{}/{}",
        ctx.region,
        repository.domain_owner.as_deref().unwrap_or(&caller.account),
        repository.domain,
        repository.repository,
        input.format,
        input.namespace.as_deref().unwrap_or(""),
        input.package
    )
}

/// The key of the repository a package operation names, once the caller may do `action`
/// on the package.
pub(super) fn package_key(
    registry: &Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    input: &PackageInput,
) -> Result<RepositoryKey, ServiceError> {
    repository_key(registry, ctx, caller, action, &input.repository, &|| package_resource(ctx, caller, input))
}

pub(super) fn package_not_found(id: &PackageId, key: &RepositoryKey) -> ServiceError {
    ServiceError::new(
        ErrorCode::ResourceNotFoundException,
        format!(
            "Package not found. Package '{}' of format '{}' does not exist in repository '{}' in domain '{}' owned by account '{}'",
            id.full_name(),
            id.format,
            key.repository,
            key.domain,
            key.owner
        ),
    )
    .with_member("resourceId", id.name.as_str())
    .with_member("resourceType", "package")
}

pub(super) fn version_not_found(id: &PackageId, version: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::ResourceNotFoundException,
        format!(
            "Package version not found. Version '{version}' of package '{}' of format '{}' does not exist",
            id.full_name(),
            id.format
        ),
    )
    .with_member("resourceId", version)
    .with_member("resourceType", "package-version")
}

/// The package an operation names, once the caller may do `action` on it.
fn read_package<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    input: &PackageInput,
) -> Result<(RepositoryKey, PackageId, &'r Package), ServiceError> {
    let key = package_key(registry, ctx, caller, action, input)?;
    let id = input.id();
    let package = registry
        .packages
        .package(&key, &id)
        .ok_or_else(|| package_not_found(&id, &key))?;
    Ok((key, id, package))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    package: String,
    origin_configuration: Value,
}

fn origin_configuration(origin: OriginRestrictions) -> Value {
    let word = |allowed: bool| if allowed { "ALLOW" } else { "BLOCK" };
    json!({ "restrictions": { "publish": word(origin.publish), "upstream": word(origin.upstream) } })
}

fn summary(id: &PackageId, package: &Package) -> Summary {
    Summary {
        format: id.format.clone(),
        namespace: id.namespace.clone(),
        package: id.name.clone(),
        origin_configuration: origin_configuration(package.origin),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPackagesInput {
    #[serde(flatten)]
    repository: RepositoryInput,
    format: Option<String>,
    namespace: Option<String>,
    package_prefix: Option<String>,
    max_results: Option<usize>,
    next_token: Option<String>,
    publish: Option<String>,
    upstream: Option<String>,
}

/// `ListPackages`: the repository's packages, by format, namespace and name (one with no
/// version yet, made by `PutPackageOriginConfiguration`, included).
pub fn list_packages(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: ListPackagesInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let repository = &input.repository;
    let owner = repository.domain_owner.as_deref().unwrap_or(&caller.account);
    let resource = || repository_arn(ctx.region, owner, &repository.domain, &repository.repository);
    let key = repository_key(&registry, ctx, caller, "codeartifact:ListPackages", repository, &resource)?;
    let allowed = |wanted: &Option<String>, allowed: bool| {
        wanted.as_deref().is_none_or(|w| (w == "ALLOW") == allowed)
    };
    let packages: Vec<(&PackageId, &Package)> = registry
        .packages
        .of(&key)
        .into_iter()
        .flatten()
        .filter(|(id, package)| {
            input.format.as_deref().is_none_or(|f| f == id.format)
                && input.namespace.as_deref().is_none_or(|n| id.namespace.as_deref().unwrap_or("").starts_with(n))
                && input.package_prefix.as_deref().is_none_or(|p| id.name.starts_with(p))
                && allowed(&input.publish, package.origin.publish)
                && allowed(&input.upstream, package.origin.upstream)
        })
        .collect();
    let sort_key = |(id, _): &(&PackageId, &Package)| {
        format!("{}\u{0}{}\u{0}{}", id.format, id.namespace.as_deref().unwrap_or(""), id.name)
    };
    let (page, next_token) = paginate(&packages, sort_key, input.max_results, input.next_token.as_deref())?;
    let list: Vec<Summary> = page.iter().map(|(id, package)| summary(id, package)).collect();
    Ok(value_body(json!({ "packages": list, "nextToken": next_token })))
}

/// `DescribePackage`.
pub fn describe_package(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: PackageInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (_, id, package) = read_package(&registry, ctx, caller, "codeartifact:DescribePackage", &input)?;
    Ok(value_body(json!({ "package": {
        "format": id.format,
        "namespace": id.namespace,
        "name": id.name,
        "originConfiguration": origin_configuration(package.origin),
    }})))
}

/// `DeletePackage`: the package and every version of it.
pub fn delete_package(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: PackageInput = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let (key, id, _) = read_package(&registry, ctx, caller, "codeartifact:DeletePackage", &input)?;
    let removed = registry
        .packages
        .remove_package(&key, &id)
        .ok_or_else(|| package_not_found(&id, &key))?;
    Ok(value_body(json!({ "deletedPackage": summary(&id, &removed) })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OriginInput {
    #[serde(flatten)]
    package: PackageInput,
    restrictions: RestrictionsInput,
}

#[derive(Debug, Deserialize)]
struct RestrictionsInput {
    publish: String,
    upstream: String,
}

/// `PutPackageOriginConfiguration`: whether the package may be published to directly and
/// read from upstreams (a package not yet in the repository is created with them, as
/// CodeArtifact does to block a name before anyone publishes it).
pub fn put_origin_configuration(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: OriginInput = request.input(None)?.typed()?;
    let mut registry = ctx.world.write();
    let key = package_key(&registry, ctx, caller, "codeartifact:PutPackageOriginConfiguration", &input.package)?;
    let origin = OriginRestrictions {
        publish: input.restrictions.publish == "ALLOW",
        upstream: input.restrictions.upstream == "ALLOW",
    };
    registry.packages.package_entry(&key, &input.package.id()).origin = origin;
    Ok(value_body(json!({ "originConfiguration": origin_configuration(origin) })))
}

/// Where a version entered the domain: this repository (published here), the upstream it
/// was retained from (`INTERNAL`), or an external connection (`EXTERNAL`; its name, which no
/// repository name can be, is what `entry_point` holds).
pub(super) fn origin_of(key: &RepositoryKey, version: &PackageVersion) -> Value {
    let entry = version.entry_point.as_deref().unwrap_or(&key.repository);
    if entry.starts_with("public:") {
        return json!({ "domainEntryPoint": { "externalConnectionName": entry }, "originType": "EXTERNAL" });
    }
    json!({ "domainEntryPoint": { "repositoryName": entry }, "originType": "INTERNAL" })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListVersionsInput {
    #[serde(flatten)]
    package: PackageInput,
    status: Option<String>,
    max_results: Option<usize>,
    next_token: Option<String>,
    origin_type: Option<String>,
}

/// `ListPackageVersions`: the package's versions, newest first, with `defaultDisplayVersion`
/// (npm's `latest`, or the version published last).
pub fn list_versions(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: ListVersionsInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (key, id, package) = read_package(&registry, ctx, caller, "codeartifact:ListPackageVersions", &input.package)?;
    let mut versions: Vec<&PackageVersion> = package
        .versions
        .values()
        .filter(|v| input.status.as_deref().is_none_or(|s| s == v.status.as_str()))
        .filter(|v| input.origin_type.as_deref().is_none_or(|o| origin_of(&key, v)["originType"] == o))
        .collect();
    // Newest first; the version string breaks ties, so pages are stable.
    versions.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.version.cmp(&b.version)));
    // A page resumes at the version it ended before, by when it was published and its
    // string (the order of the list), not by position: a version published between two
    // pages shifts nothing.
    let (page, next_token) = paginate(
        &versions,
        |v| {
            let nanos = v.published_at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            format!("{:039}\u{0}{}", u128::MAX - nanos, v.version)
        },
        input.max_results,
        input.next_token.as_deref(),
    )?;
    let list: Vec<Value> = page
        .iter()
        .map(|v| json!({ "version": v.version, "revision": v.revision, "status": v.status.as_str(), "origin": origin_of(&key, v) }))
        .collect();
    let default = package
        .latest()
        .filter(|v| v.status.is_listed())
        .map(|v| v.version.clone());
    Ok(value_body(json!({
        "defaultDisplayVersion": default,
        "format": id.format,
        "namespace": id.namespace,
        "package": id.name,
        "versions": list,
        "nextToken": next_token,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionInput {
    #[serde(flatten)]
    package: PackageInput,
    package_version: String,
    max_results: Option<usize>,
    next_token: Option<String>,
}

/// The version an operation names (a disposed version is still described).
fn read_version<'r>(
    registry: &'r Registry,
    ctx: &Context<'_>,
    caller: &Identity,
    action: &str,
    input: &VersionInput,
) -> Result<(RepositoryKey, PackageId, &'r PackageVersion), ServiceError> {
    let (key, id, package) = read_package(registry, ctx, caller, action, &input.package)?;
    let version = package
        .versions
        .get(&input.package_version)
        .ok_or_else(|| version_not_found(&id, &input.package_version))?;
    Ok((key, id, version))
}

/// `DescribePackageVersion`.
pub fn describe_version(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: VersionInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (key, id, version) = read_version(&registry, ctx, caller, "codeartifact:DescribePackageVersion", &input)?;
    let published = version
        .published_at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    Ok(value_body(json!({ "packageVersion": {
        "format": id.format,
        "namespace": id.namespace,
        "packageName": id.name,
        "displayName": version.display_name,
        "version": version.version,
        "summary": version.summary,
        "homePage": version.home_page,
        "publishedTime": published,
        "licenses": version.licenses.iter().map(|name| json!({ "name": name })).collect::<Vec<_>>(),
        "revision": version.revision,
        "status": version.status.as_str(),
        "origin": origin_of(&key, version),
    }})))
}

/// `ListPackageVersionAssets`: the version's files with sizes and hashes.
pub fn list_assets(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: VersionInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (_, id, version) = read_version(&registry, ctx, caller, "codeartifact:ListPackageVersionAssets", &input)?;
    // By name: pages follow the key order.
    let mut assets: Vec<&crate::packages::Asset> = version.assets.iter().collect();
    assets.sort_by(|a, b| a.name.cmp(&b.name));
    let (page, next_token) = paginate(&assets, |a| a.name.clone(), input.max_results, input.next_token.as_deref())?;
    let assets: Vec<Value> = page
        .iter()
        .map(|a| json!({ "name": a.name, "size": a.size, "hashes": a.hashes }))
        .collect();
    Ok(value_body(json!({
        "format": id.format,
        "namespace": id.namespace,
        "package": id.name,
        "version": version.version,
        "versionRevision": version.revision,
        "assets": assets,
        "nextToken": next_token,
    })))
}

/// `GetPackageVersionReadme`.
pub fn readme(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: VersionInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (_, id, version) = read_version(&registry, ctx, caller, "codeartifact:GetPackageVersionReadme", &input)?;
    Ok(value_body(json!({
        "format": id.format,
        "namespace": id.namespace,
        "package": id.name,
        "version": version.version,
        "versionRevision": version.revision,
        "readme": version.readme,
    })))
}

/// `ListPackageVersionDependencies`: what the version's metadata declares.
pub fn dependencies(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: VersionInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (_, id, version) = read_version(&registry, ctx, caller, "codeartifact:ListPackageVersionDependencies", &input)?;
    let dependencies: Vec<Value> = version
        .dependencies
        .iter()
        .map(|d| {
            let mut dependency = json!({
                "namespace": d.namespace,
                "package": d.package,
                "versionRequirement": d.version_requirement,
            });
            if let Some(kind) = d.api_type(&id.format) {
                dependency["dependencyType"] = json!(kind);
            }
            dependency
        })
        .collect();
    Ok(value_body(json!({
        "format": id.format,
        "namespace": id.namespace,
        "package": id.name,
        "version": version.version,
        "versionRevision": version.revision,
        "dependencies": dependencies,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionsChangeInput {
    #[serde(flatten)]
    package: PackageInput,
    versions: Vec<String>,
    version_revisions: Option<BTreeMap<String, String>>,
    expected_status: Option<String>,
    target_status: Option<String>,
}

/// What a batch change does to one version: its new status, or `None` to delete it.
type Change = fn(&mut PackageVersion, Option<VersionStatus>) -> Result<Option<VersionStatus>, (&'static str, String)>;

/// Applies `change` to each named version, answering the per-version success and failure maps
/// CodeArtifact answers (a failure of one version does not stop the others).
fn change_versions(
    ctx: &Context<'_>,
    caller: &Identity,
    request: &Request<'_>,
    action: &str,
    change: Change,
) -> Result<Vec<u8>, ServiceError> {
    let input: VersionsChangeInput = request.input(None)?.typed()?;
    let target = match input.target_status.as_deref() {
        Some(text) => Some(VersionStatus::parse(text).ok_or_else(|| {
            ServiceError::validation(ValidationReason::FieldValidationFailed, format!("Invalid target status '{text}'"))
        })?),
        None => None,
    };
    let mut registry = ctx.world.write();
    let (key, id, _) = read_package(&registry, ctx, caller, action, &input.package)?;
    let package = registry
        .packages
        .package_mut(&key, &id)
        .ok_or_else(|| package_not_found(&id, &key))?;
    let mut successful = serde_json::Map::new();
    let mut failed = serde_json::Map::new();
    for number in &input.versions {
        let failure = |code: &str, message: String| json!({ "errorCode": code, "errorMessage": message });
        let Some(version) = package.versions.get_mut(number) else {
            failed.insert(number.clone(), failure("NOT_FOUND", format!("Version '{number}' does not exist")));
            continue;
        };
        if let Some(expected) = &input.expected_status {
            if version.status.as_str() != expected {
                failed.insert(
                    number.clone(),
                    failure("MISMATCHED_STATUS", format!("Version '{number}' is {}, not {expected}", version.status.as_str())),
                );
                continue;
            }
        }
        if let Some(revision) = input.version_revisions.as_ref().and_then(|r| r.get(number)) {
            if *revision != version.revision {
                failed.insert(
                    number.clone(),
                    failure("MISMATCHED_REVISION", format!("Version '{number}' is at another revision")),
                );
                continue;
            }
        }
        match change(version, target) {
            Ok(Some(status)) => {
                version.status = status;
                successful.insert(number.clone(), json!({ "revision": version.revision, "status": status.as_str() }));
            }
            Ok(None) => {
                let revision = version.revision.clone();
                package.versions.remove(number);
                package.dist_tags.retain(|_, v| v != number);
                successful.insert(number.clone(), json!({ "revision": revision, "status": "Deleted" }));
            }
            Err((code, message)) => {
                failed.insert(number.clone(), failure(code, message));
            }
        }
    }
    Ok(value_body(json!({ "successfulVersions": successful, "failedVersions": failed })))
}

/// `DeletePackageVersions`: the versions and their files are gone from the repository.
pub fn delete_versions(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    change_versions(ctx, caller, request, "codeartifact:DeletePackageVersions", |_, _| Ok(None))
}

/// `DisposePackageVersions`: the versions stay listed by the API as `Disposed`; their files
/// are deleted.
pub fn dispose_versions(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    change_versions(ctx, caller, request, "codeartifact:DisposePackageVersions", |version, _| {
        version.assets.clear();
        version.revision = new_revision();
        Ok(Some(VersionStatus::Disposed))
    })
}

/// `UpdatePackageVersionsStatus`: `Published`, `Unlisted` or `Archived` (a disposed version's
/// files are gone, so it cannot come back).
pub fn update_status(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    change_versions(ctx, caller, request, "codeartifact:UpdatePackageVersionsStatus", |version, target| {
        let target = target.unwrap_or(version.status);
        if !matches!(target, VersionStatus::Published | VersionStatus::Unlisted | VersionStatus::Archived) {
            return Err(("SKIPPED", format!("The status cannot be set to {}", target.as_str())));
        }
        if version.status == VersionStatus::Disposed {
            return Err(("SKIPPED", "A disposed version's status cannot be changed".to_owned()));
        }
        Ok(Some(target))
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssetInput {
    #[serde(flatten)]
    version: VersionInput,
    asset: String,
    package_version_revision: Option<String>,
}

/// `GetPackageVersionAsset`: a file of a version, its name, version and revision in headers.
pub fn get_asset(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Blob, ServiceError> {
    let input: AssetInput = request.input(None)?.typed()?;
    let registry = ctx.world.read();
    let (_, id, version) = read_version(&registry, ctx, caller, "codeartifact:GetPackageVersionAsset", &input.version)?;
    if input.package_version_revision.as_ref().is_some_and(|r| *r != version.revision) {
        return Err(version_not_found(&id, &input.version.package_version));
    }
    let asset = version
        .assets
        .iter()
        .find(|a| a.name == input.asset)
        .filter(|_| version.status != VersionStatus::Disposed)
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::ResourceNotFoundException,
                format!(
                    "Asset not found. Asset '{}' of version '{}' of package '{}' does not exist",
                    input.asset,
                    version.version,
                    id.full_name()
                ),
            )
            .with_member("resourceId", input.asset.as_str())
            .with_member("resourceType", "asset")
        })?;
    Ok(Blob {
        asset: asset.clone(),
        headers: vec![
            ("x-assetname", asset.name.clone()),
            ("x-packageversion", version.version.clone()),
            ("x-packageversionrevision", version.revision.clone()),
        ],
    })
}
