//! PublishPackageVersion: a generic package's version, one asset per call, the asset's bytes
//! as the request's body and its SHA-256 in `x-amz-content-sha256`.
//!
//! With `unfinished` the version stays `Unfinished` and takes more assets; a call without it
//! adds its asset and publishes the version. A published version takes no more assets
//! (ConflictException), nor does a version that already has an asset of that name, nor one
//! with 150 assets (ServiceQuotaExceededException, CodeArtifact's quota). Only the
//! `generic` format is published this way, and a generic package has a namespace, as the
//! API reference says. Publishing is checked as `codeartifact:PublishPackageVersion` on the
//! package's ARN, then against the package's origin configuration and its package group.

use serde::Deserialize;
use serde_json::json;

use super::packages::{package_key, PackageInput};
use super::{Context, Request};
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::identity::Identity;
use crate::model::output::value_body;
use crate::files::spool::Piece;
use crate::packages::{new_revision, Asset, PackageVersion, VersionStatus, MAX_ASSETS_PER_VERSION};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublishInput {
    #[serde(flatten)]
    package: PackageInput,
    package_version: String,
    asset_name: String,
    #[serde(rename = "assetSHA256")]
    asset_sha256: String,
    unfinished: Option<bool>,
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::validation(ValidationReason::FieldValidationFailed, message)
}

fn conflict(message: String, resource: &str, kind: &str) -> ServiceError {
    ServiceError::new(ErrorCode::ConflictException, message)
        .with_member("resourceId", resource)
        .with_member("resourceType", kind)
}

/// `PublishPackageVersion`.
pub fn handle_request(ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Vec<u8>, ServiceError> {
    let decoded = request.input(None)?;
    let input: PublishInput = decoded.typed()?;
    let content = decoded.payload.clone().unwrap_or(Piece::Bytes(bytes::Bytes::new()));
    if input.package.format != "generic" {
        return Err(invalid(format!(
            "Only generic packages can be published with PublishPackageVersion, not {} packages",
            input.package.format
        )));
    }
    if input.package.namespace.as_deref().unwrap_or("").is_empty() {
        return Err(invalid("A generic package must have a namespace"));
    }
    // Hashed before the world's lock is taken: a spooled asset was hashed on its way in, one
    // in memory is hashed here, once. Lower-case hex: the model's pattern for assetSHA256
    // refused anything else already.
    let asset = Asset::uploaded(&input.asset_name, content);
    if asset.hash("SHA-256") != input.asset_sha256 {
        return Err(invalid(format!(
            "The SHA256 hash of asset '{}' does not match the assetSHA256 given",
            input.asset_name
        )));
    }
    let mut registry = ctx.world.write();
    let key = package_key(&registry, ctx, caller, "codeartifact:PublishPackageVersion", &input.package)?;
    let id = input.package.id();
    if let Some(why) = registry.publish_refusal(&key, &id) {
        return Err(ServiceError::new(ErrorCode::AccessDeniedException, why));
    }
    let package = registry.packages.published_entry(&key, &id);
    let number = &input.package_version;
    let version = package
        .versions
        .get_or_insert_with(number, || PackageVersion::unfinished(number, &id.name, ctx.now));
    if version.status != VersionStatus::Unfinished {
        return Err(conflict(
            format!(
                "Package version '{number}' of package '{}' already exists and is {}; only an Unfinished version takes more assets",
                id.name,
                version.status.as_str()
            ),
            number,
            "package-version",
        ));
    }
    if version.assets.iter().any(|a| a.name == input.asset_name) {
        return Err(conflict(
            format!("Asset '{}' already exists in version '{number}' of package '{}'", input.asset_name, id.name),
            &input.asset_name,
            "asset",
        ));
    }
    if version.assets.len() >= MAX_ASSETS_PER_VERSION {
        return Err(ServiceError::new(
            ErrorCode::ServiceQuotaExceededException,
            format!("Version '{number}' of package '{}' has {MAX_ASSETS_PER_VERSION} assets, the most a package version may have", id.name),
        )
        .with_member("resourceId", number.as_str())
        .with_member("resourceType", "package-version"));
    }
    let summary = json!({ "name": asset.name, "size": asset.size, "hashes": asset.hashes });
    version.assets.push(asset);
    version.revision = new_revision();
    if input.unfinished != Some(true) {
        version.status = VersionStatus::Published;
        version.published_at = ctx.now;
    }
    Ok(value_body(json!({
        "format": id.format,
        "namespace": id.namespace,
        "package": id.name,
        "version": version.version,
        "versionRevision": version.revision,
        "status": version.status.as_str(),
        "asset": summary,
    })))
}
