//! CopyPackageVersions: versions of a package from one repository of a domain to another,
//! each with its assets, status and metadata, answering per-version success and failure maps.
//!
//! The versions are named by `versions` or by `versionRevisions` (exactly one of them). A
//! version is copied from the source repository, or with `includeFromUpstream` from the first
//! repository of the source's upstream search order that has it. Per version: one the source
//! does not have is `NOT_FOUND`; one at another revision `MISMATCHED_REVISION`; one the
//! destination has already is `ALREADY_EXISTS` unless `allowOverwrite`; one whose files are
//! gone (`Disposed`) or not yet all there (`Unfinished`) is `SKIPPED`; and one the destination
//! may not take (the package's origin configuration or package group blocks publishing there)
//! is `NOT_ALLOWED`. The caller needs `codeartifact:CopyPackageVersions` on the destination
//! repository and `codeartifact:ReadFromRepository` on the source.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map};

use super::packages::{package_not_found, PackageInput};
use super::repositories::RepositoryInput;
use super::{access, Context, Request};
use crate::error::{ServiceError, ValidationReason};
use crate::identity::Identity;
use crate::model::output::value_body;
use crate::packages::{PackageVersion, RepositoryKey, VersionStatus};
use crate::repository::repository_arn;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CopyInput {
    domain: String,
    domain_owner: Option<String>,
    source_repository: String,
    destination_repository: String,
    format: String,
    namespace: Option<String>,
    package: String,
    versions: Option<Vec<String>>,
    version_revisions: Option<BTreeMap<String, String>>,
    allow_overwrite: Option<bool>,
    include_from_upstream: Option<bool>,
}

impl CopyInput {
    /// The package, as the other package operations name it, in `repository`.
    fn package_in(&self, repository: &str) -> PackageInput {
        PackageInput {
            repository: RepositoryInput {
                domain: self.domain.clone(),
                domain_owner: self.domain_owner.clone(),
                repository: repository.to_owned(),
            },
            format: self.format.clone(),
            namespace: self.namespace.clone(),
            package: self.package.clone(),
        }
    }
}

/// `CopyPackageVersions`.
pub fn handle_request(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let input: CopyInput = request.input(None)?.typed()?;
    let wanted: Vec<(String, Option<String>)> = match (&input.versions, &input.version_revisions) {
        (Some(versions), None) => versions.iter().map(|v| (v.clone(), None)).collect(),
        (None, Some(revisions)) => revisions.iter().map(|(v, r)| (v.clone(), Some(r.clone()))).collect(),
        _ => {
            return Err(ServiceError::validation(
                ValidationReason::FieldValidationFailed,
                "Exactly one of versions and versionRevisions must be given",
            ))
        }
    };
    if input.source_repository == input.destination_repository {
        return Err(ServiceError::validation(
            ValidationReason::FieldValidationFailed,
            "The source and destination repositories must differ",
        ));
    }
    let mut registry = ctx.world.write();
    let owner = input.domain_owner.clone().unwrap_or_else(|| caller.account.clone());
    let arn = |repository: &str| repository_arn(ctx.region, &owner, &input.domain, repository);
    access::permitted_repository(
        &registry,
        ctx,
        caller,
        "codeartifact:CopyPackageVersions",
        &owner,
        &input.domain,
        &input.destination_repository,
        || arn(&input.destination_repository),
    )?;
    access::permitted_repository(
        &registry,
        ctx,
        caller,
        "codeartifact:ReadFromRepository",
        &owner,
        &input.domain,
        &input.source_repository,
        || arn(&input.source_repository),
    )?;
    let source = RepositoryKey::new(&owner, &input.domain, ctx.region, &input.source_repository);
    let destination = RepositoryKey::new(&owner, &input.domain, ctx.region, &input.destination_repository);
    let id = input.package_in(&input.source_repository).id();
    let searched = if input.include_from_upstream == Some(true) {
        registry.search_order(&source, Some(&id))
    } else {
        vec![source.clone()]
    };
    if !searched.iter().any(|key| registry.packages.package(key, &id).is_some()) {
        return Err(package_not_found(&id, &source));
    }
    let refusal = registry.publish_refusal(&destination, &id);
    let mut copies: Vec<(String, PackageVersion)> = Vec::new();
    let mut successful = Map::new();
    let mut failed = Map::new();
    let failure = |code: &str, message: String| json!({ "errorCode": code, "errorMessage": message });
    for (number, revision) in wanted {
        let found = searched.iter().find_map(|key| {
            registry
                .packages
                .package(key, &id)
                .and_then(|p| p.versions.get(&number))
        });
        let Some(version) = found else {
            failed.insert(number.clone(), failure("NOT_FOUND", format!("Version '{number}' does not exist in the source repository")));
            continue;
        };
        let outcome = if revision.as_ref().is_some_and(|r| *r != version.revision) {
            Err(("MISMATCHED_REVISION", format!("Version '{number}' is at another revision")))
        } else if matches!(version.status, VersionStatus::Disposed | VersionStatus::Unfinished) {
            Err(("SKIPPED", format!("Version '{number}' is {} and cannot be copied", version.status.as_str())))
        } else if let Some(why) = &refusal {
            Err(("NOT_ALLOWED", why.clone()))
        } else if input.allow_overwrite != Some(true)
            && registry
                .packages
                .package(&destination, &id)
                .is_some_and(|p| p.versions.contains_key(&number))
        {
            Err(("ALREADY_EXISTS", format!("Version '{number}' already exists in the destination repository")))
        } else {
            Ok(version.clone())
        };
        match outcome {
            Ok(copy) => {
                successful.insert(number.clone(), json!({ "revision": copy.revision, "status": copy.status.as_str() }));
                copies.push((number, copy));
            }
            Err((code, message)) => {
                failed.insert(number, failure(code, message));
            }
        }
    }
    if !copies.is_empty() {
        let package = registry.packages.package_entry(&destination, &id);
        for (number, mut copy) in copies {
            copy.published_at = ctx.now;
            package.versions.insert(number, copy);
        }
    }
    Ok(value_body(json!({ "successfulVersions": successful, "failedVersions": failed })))
}
