//! CodeArtifact's operations: the service model routes a request and validates its input;
//! the operation's module does the rest (a file per operation, or per resource where its
//! operations share the resource's description: domains, repositories, tags, policies).
//!
//! Adding an operation: write a `handle_request(ctx, caller, request)` (in
//! `api/<operation>.rs`, or its resource's module) that reads its typed input with [`Request::input`] (decoded and validated by the
//! model) and returns the JSON body, add a [`Handler`] line to [`HANDLERS`], and the
//! operation is implemented: routing, validation, faults, the journal and
//! `docs/fidelity.md`'s table follow from the model and that line.

pub mod copy;
pub mod domains;
pub mod get_authorization_token;
pub mod get_repository_endpoint;
pub mod package_groups;
pub mod packages;
pub mod policies;
pub mod publish;
pub mod repositories;
pub mod tags;


use http::{HeaderMap, Method};

use crate::endpoint::Scheme;
use crate::error::{ErrorCode, ServiceError};
use crate::identity::Identity;
use crate::model::validate::{self, ExtraConstraint, Input};
use crate::model::{model, OperationModel};
use crate::sigv4::Query;

pub use crate::token::{ExpirationFormat, ZeroDurationPolicy};
// The checks and the context every operation shares with the repository endpoints.
pub(crate) use crate::authorization::{self as access, Context};

/// A modeled operation (every one of CodeArtifact's 48 is routed, implemented or not).
#[derive(Debug, Clone, Copy)]
pub struct Operation(&'static OperationModel);

impl Operation {
    /// The operation at a method and normalised path (see `sigv4::normalized_path`).
    pub fn route(method: &Method, path: &str) -> Option<Self> {
        model().route(method, path).map(Self)
    }

    /// The operation called `name` (`GetAuthorizationToken`).
    pub fn named(name: &str) -> Option<Self> {
        model().operation(name).map(Self)
    }

    /// Every modeled operation, by name.
    pub fn all() -> impl Iterator<Item = Self> {
        model().operations().iter().map(Self)
    }

    /// The operation's AWS name, as logged and journaled.
    pub fn name(self) -> &'static str {
        &self.0.name
    }

    /// Whether it may change the world: every operation but those that describe, list or
    /// get (the service model's read operations). The router gives such a request the
    /// writer's turn and commits its changes before answering.
    pub fn changes_state(self) -> bool {
        !["Describe", "List", "Get"].iter().any(|read| self.name().starts_with(read))
    }

    /// Its model.
    pub fn model(self) -> &'static OperationModel {
        self.0
    }

    /// How this mock runs it, if it does.
    pub fn handler(self) -> Option<&'static Handler> {
        HANDLERS.iter().find(|h| h.name == self.name())
    }

    /// Whether this mock implements it.
    pub fn is_implemented(self) -> bool {
        self.handler().is_some()
    }
}

/// An authenticated request routed to an operation, as its handler reads it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The operation.
    pub operation: Operation,
    /// The decoded query.
    pub query: &'a Query,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body: JSON in memory, or PublishPackageVersion's asset (perhaps spooled).
    pub body: &'a crate::files::spool::Piece,
    /// The scheme the request arrived over.
    pub scheme: Scheme,
}

impl Request<'_> {
    /// `scheme://host` the client reached (its `Host` header), the base of URLs handed back.
    pub fn base_url(&self) -> String {
        let host = self
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("{}://{host}", self.scheme.as_str())
    }

    /// The operation's input, decoded and validated against the model; `extra` adds the
    /// operation's own constraints to the same ValidationException.
    pub fn input(&self, extra: Option<ExtraConstraint>) -> Result<Input, ServiceError> {
        validate::decode(
            model(),
            self.operation.model(),
            self.query,
            self.headers,
            self.body,
            extra,
        )
    }
}

/// An implemented operation: its name and what runs it.
#[derive(Debug)]
pub struct Handler {
    /// The operation's name.
    pub name: &'static str,
    /// Runs it for an authenticated caller.
    pub handle: Handle,
}

/// What an operation answers: JSON (all but one), or a blob with members in headers
/// (`GetPackageVersionAsset`).
#[derive(Debug, Clone, Copy)]
pub enum Handle {
    /// The JSON body, or the error.
    Json(fn(&Context<'_>, &Identity, &Request<'_>) -> Result<Vec<u8>, ServiceError>),
    /// The blob and its header members, or the error.
    Blob(fn(&Context<'_>, &Identity, &Request<'_>) -> Result<Blob, ServiceError>),
}

/// A blob payload and the output members the model puts in headers.
#[derive(Debug, Clone)]
pub struct Blob {
    /// The asset whose content is the payload (opened by the pipeline, which streams it).
    pub asset: crate::packages::Asset,
    /// Header members (`X-AssetName`, ...), by their header names.
    pub headers: Vec<(&'static str, String)>,
}

/// An operation's successful answer.
#[derive(Debug, Clone)]
pub enum Output {
    /// A JSON body.
    Json(Vec<u8>),
    /// A blob (`application/octet-stream`) with header members.
    Blob(Blob),
}

impl Handle {
    /// Runs the operation.
    pub fn run(self, ctx: &Context<'_>, caller: &Identity, request: &Request<'_>) -> Result<Output, ServiceError> {
        match self {
            Self::Json(handle) => handle(ctx, caller, request).map(Output::Json),
            Self::Blob(handle) => handle(ctx, caller, request).map(Output::Blob),
        }
    }
}

/// The operations this mock implements. Every other modeled operation is routed and
/// validated, then answered [`not_implemented`].
pub static HANDLERS: &[Handler] = &[
    Handler {
        name: "GetAuthorizationToken",
        handle: Handle::Json(get_authorization_token::handle_request),
    },
    Handler {
        name: "GetRepositoryEndpoint",
        handle: Handle::Json(get_repository_endpoint::handle_request),
    },
    Handler {
        name: "CreateDomain",
        handle: Handle::Json(domains::create),
    },
    Handler {
        name: "DescribeDomain",
        handle: Handle::Json(domains::describe_domain),
    },
    Handler {
        name: "ListDomains",
        handle: Handle::Json(domains::list),
    },
    Handler {
        name: "DeleteDomain",
        handle: Handle::Json(domains::delete),
    },
    Handler {
        name: "CreateRepository",
        handle: Handle::Json(repositories::create),
    },
    Handler {
        name: "DescribeRepository",
        handle: Handle::Json(repositories::describe_repository),
    },
    Handler {
        name: "UpdateRepository",
        handle: Handle::Json(repositories::update),
    },
    Handler {
        name: "ListRepositories",
        handle: Handle::Json(repositories::list),
    },
    Handler {
        name: "ListRepositoriesInDomain",
        handle: Handle::Json(repositories::list_in_domain),
    },
    Handler {
        name: "DeleteRepository",
        handle: Handle::Json(repositories::delete),
    },
    Handler {
        name: "AssociateExternalConnection",
        handle: Handle::Json(repositories::associate_external_connection),
    },
    Handler {
        name: "DisassociateExternalConnection",
        handle: Handle::Json(repositories::disassociate_external_connection),
    },
    Handler {
        name: "TagResource",
        handle: Handle::Json(tags::tag),
    },
    Handler {
        name: "UntagResource",
        handle: Handle::Json(tags::untag),
    },
    Handler {
        name: "ListTagsForResource",
        handle: Handle::Json(tags::list),
    },
    Handler {
        name: "PutDomainPermissionsPolicy",
        handle: Handle::Json(policies::put_domain),
    },
    Handler {
        name: "GetDomainPermissionsPolicy",
        handle: Handle::Json(policies::get_domain),
    },
    Handler {
        name: "DeleteDomainPermissionsPolicy",
        handle: Handle::Json(policies::delete_domain),
    },
    Handler {
        name: "PutRepositoryPermissionsPolicy",
        handle: Handle::Json(policies::put_repository),
    },
    Handler {
        name: "GetRepositoryPermissionsPolicy",
        handle: Handle::Json(policies::get_repository),
    },
    Handler {
        name: "DeleteRepositoryPermissionsPolicy",
        handle: Handle::Json(policies::delete_repository),
    },
    Handler {
        name: "ListPackages",
        handle: Handle::Json(packages::list_packages),
    },
    Handler {
        name: "DescribePackage",
        handle: Handle::Json(packages::describe_package),
    },
    Handler {
        name: "DeletePackage",
        handle: Handle::Json(packages::delete_package),
    },
    Handler {
        name: "PutPackageOriginConfiguration",
        handle: Handle::Json(packages::put_origin_configuration),
    },
    Handler {
        name: "ListPackageVersions",
        handle: Handle::Json(packages::list_versions),
    },
    Handler {
        name: "DescribePackageVersion",
        handle: Handle::Json(packages::describe_version),
    },
    Handler {
        name: "ListPackageVersionAssets",
        handle: Handle::Json(packages::list_assets),
    },
    Handler {
        name: "GetPackageVersionAsset",
        handle: Handle::Blob(packages::get_asset),
    },
    Handler {
        name: "GetPackageVersionReadme",
        handle: Handle::Json(packages::readme),
    },
    Handler {
        name: "ListPackageVersionDependencies",
        handle: Handle::Json(packages::dependencies),
    },
    Handler {
        name: "DeletePackageVersions",
        handle: Handle::Json(packages::delete_versions),
    },
    Handler {
        name: "DisposePackageVersions",
        handle: Handle::Json(packages::dispose_versions),
    },
    Handler {
        name: "UpdatePackageVersionsStatus",
        handle: Handle::Json(packages::update_status),
    },
    Handler {
        name: "PublishPackageVersion",
        handle: Handle::Json(publish::handle_request),
    },
    Handler {
        name: "CopyPackageVersions",
        handle: Handle::Json(copy::handle_request),
    },
    Handler {
        name: "CreatePackageGroup",
        handle: Handle::Json(package_groups::create),
    },
    Handler {
        name: "DescribePackageGroup",
        handle: Handle::Json(package_groups::describe_group),
    },
    Handler {
        name: "UpdatePackageGroup",
        handle: Handle::Json(package_groups::update),
    },
    Handler {
        name: "DeletePackageGroup",
        handle: Handle::Json(package_groups::delete),
    },
    Handler {
        name: "ListPackageGroups",
        handle: Handle::Json(package_groups::list),
    },
    Handler {
        name: "ListSubPackageGroups",
        handle: Handle::Json(package_groups::list_sub_groups),
    },
    Handler {
        name: "UpdatePackageGroupOriginConfiguration",
        handle: Handle::Json(package_groups::update_origin_configuration),
    },
    Handler {
        name: "GetAssociatedPackageGroup",
        handle: Handle::Json(package_groups::get_associated),
    },
    Handler {
        name: "ListAllowedRepositoriesForGroup",
        handle: Handle::Json(package_groups::list_allowed_repositories),
    },
    Handler {
        name: "ListAssociatedPackages",
        handle: Handle::Json(package_groups::list_associated_packages),
    },
];

/// Results in a page when there are more than `max_results` (default 100): the page that
/// starts where `next_token` says, and the token of the next page, if there is one. `items`
/// are sorted by `key`; a token is the (opaque) key of the next page's first item, so a
/// client following tokens to the end sees every item once even when items are added or
/// removed between pages.
pub fn paginate<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> String,
    max_results: Option<usize>,
    next_token: Option<&str>,
) -> Result<(&'a [T], Option<String>), ServiceError> {
    const DEFAULT_PAGE: usize = 100;
    let start = match next_token {
        None => 0,
        Some(token) => {
            let from = base64_simd::URL_SAFE_NO_PAD
                .decode_to_vec(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    ServiceError::validation(
                        crate::error::ValidationReason::FieldValidationFailed,
                        "Invalid pagination token: use the nextToken of an earlier answer",
                    )
                })?;
            items.iter().position(|item| key(item) >= from).unwrap_or(items.len())
        }
    };
    let end = items.len().min(start + max_results.unwrap_or(DEFAULT_PAGE).max(1));
    let next = items
        .get(end)
        .map(|item| base64_simd::URL_SAFE_NO_PAD.encode_to_string(key(item)));
    Ok((&items[start..end], next))
}

/// The answer to a modeled operation this mock does not implement: 501
/// `NotImplementedException`, naming it (501 is not retried by AWS SDKs, so a client learns at
/// once). Documented in `docs/fidelity.md`.
pub fn not_implemented(operation: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::NotImplementedException,
        format!("codeartifact-mock does not implement {operation} yet; see docs/fidelity.md for the operations it implements"),
    )
}

/// `docs/fidelity.md`'s table of operations: each modeled operation, its route, and whether
/// this mock implements it. A test holds the document to it.
pub fn operations_table() -> String {
    let mut table =
        String::from("| operation | method and path | implemented |\n| --- | --- | --- |\n");
    for op in Operation::all() {
        let model = op.model();
        let implemented = if op.is_implemented() {
            "yes"
        } else {
            "no (501 `NotImplementedException`)"
        };
        table.push_str(&format!(
            "| {} | `{} {}` | {implemented} |\n",
            op.name(),
            model.method,
            model.path
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_modeled_operation_is_routed() {
        assert_eq!(Operation::all().count(), 48);
        assert_eq!(
            Operation::route(&Method::POST, "/v1/authorization-token").map(Operation::name),
            Some("GetAuthorizationToken")
        );
        assert!(Operation::route(&Method::GET, "/v1/authorization-token").is_none());
        assert!(Operation::route(&Method::POST, "/v1/authorization-tokens").is_none());
        assert_eq!(
            Operation::route(&Method::GET, "/v1/repository/endpoint").map(Operation::name),
            Some("GetRepositoryEndpoint")
        );
    }

    #[test]
    fn every_modeled_operation_is_implemented() {
        let missing: Vec<&str> = Operation::all().filter(|op| !op.is_implemented()).map(Operation::name).collect();
        assert!(missing.is_empty(), "not implemented: {missing:?}");
    }

    #[test]
    fn an_operation_a_newer_model_adds_is_named_in_the_501() {
        let error = not_implemented("ListWidgets");
        assert_eq!(error.status(), 501);
        assert!(error.message.contains("does not implement ListWidgets yet"), "{}", error.message);
    }

    #[test]
    fn every_handler_names_a_modeled_operation() {
        for handler in HANDLERS {
            assert!(Operation::named(handler.name).is_some(), "{}", handler.name);
        }
    }

    #[test]
    fn the_fidelity_document_lists_the_operations_as_the_code_implements_them() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/fidelity.md"))
                .expect("docs/fidelity.md");
        let table = operations_table();
        assert!(
            doc.contains(&table),
            "docs/fidelity.md's table of operations is stale; replace it with:\n\n{table}"
        );
    }
}
