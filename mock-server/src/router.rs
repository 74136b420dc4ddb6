//! Where a request goes, decided from its path before its body is read: the control API
//! (`/_mock/`, when it is on), a repository endpoint of the data plane (`/d/`), or
//! CodeArtifact's AWS API (everything else; the service model routes it to an operation).
//! Each route has its own body shape and limit, so a large fixture can be sent to the control
//! API and a package of gigabytes to a repository while an AWS request stays small.

use http::Request;

use crate::endpoint::Endpoint;
use crate::service::{MockService, Reply, CONTROL_PREFIX};
use crate::upload::{RequestBody, Shape};

/// Largest body of an AWS API request (every input of CodeArtifact's API but an asset
/// upload is a few kilobytes of JSON at most).
pub const AWS_MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest body of a control call: a fixture of tens of thousands of entries fits.
pub const CONTROL_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A destination of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The control API under `/_mock/`.
    Control,
    /// A repository endpoint (`/d/...`), for package managers.
    Repository,
    /// CodeArtifact's AWS API.
    Aws,
    /// PublishPackageVersion, the one AWS operation whose body is a file (a generic
    /// package's asset): the AWS API with a repository's body limit and patience.
    AssetUpload,
}

/// PublishPackageVersion's path.
const ASSET_UPLOAD_PATH: &str = "/v1/package/version/publish";

impl Route {
    /// The route of a request for `path` at `host` (its `Host` header) on `service`.
    pub fn of(service: &MockService, path: &str, host: Option<&str>) -> Self {
        let by_name = || {
            host.and_then(|h| {
                Endpoint::from_host(h, path, &service.config().repository_host_suffix)
            })
            .is_some()
        };
        if service.config().control_enabled && path.starts_with(CONTROL_PREFIX) {
            Self::Control
        } else if path.starts_with(crate::endpoint::PREFIX) || by_name() {
            Self::Repository
        } else if path == ASSET_UPLOAD_PATH {
            Self::AssetUpload
        } else {
            Self::Aws
        }
    }

    /// The route of a request.
    pub fn of_request<B>(service: &MockService, request: &http::Request<B>) -> Self {
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok());
        Self::of(service, request.uri().path(), host)
    }

    /// How long a client may take to send its body once the headers are in: an upload of
    /// a package gets minutes, everything else seconds.
    pub fn body_read_timeout(self) -> std::time::Duration {
        match self {
            Self::Repository | Self::AssetUpload => std::time::Duration::from_secs(300),
            Self::Control | Self::Aws => std::time::Duration::from_secs(10),
        }
    }

    /// How this route reads the body of a request with `parts`, and the most it takes (past
    /// it the server answers 413): uploads stream to disk, up to the asset limit.
    pub fn body_shape(self, service: &MockService, parts: &http::request::Parts) -> Shape {
        let max_asset = service.config().max_asset_size;
        match self {
            Self::Control => Shape::Whole(CONTROL_MAX_BODY_BYTES as u64),
            Self::Aws => Shape::Whole(AWS_MAX_BODY_BYTES as u64),
            Self::AssetUpload => Shape::File(max_asset),
            Self::Repository => {
                let path = parts.uri.path();
                let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
                let endpoint = Endpoint::parse(path)
                    .or_else(|| Endpoint::from_host(host, path, &service.config().repository_host_suffix));
                Shape::of_repository(endpoint.as_ref(), &parts.method, &parts.headers, max_asset)
            }
        }
    }
}

impl MockService {
    /// Answers one request, whatever its route: the entry point of the server, of tests and
    /// of embedders. AWS requests are journaled and logged.
    pub async fn handle(&self, request: Request<impl Into<RequestBody>>) -> Reply {
        let request = request.map(Into::into);
        match Route::of_request(self, &request) {
            Route::Control => {
                // A call that may replace the world waits for the writer's turn, so it never
                // falls between a request's change and its commit.
                let _turn = if request.method() == http::Method::GET {
                    None
                } else {
                    Some(self.writers_turn().await)
                };
                Reply::Respond(crate::control::handle(self, request.map(RequestBody::into_bytes)))
            }
            Route::Repository => crate::data_plane::serve(self, request).await,
            Route::Aws | Route::AssetUpload => self.serve_aws(request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;
    use crate::service::ServiceConfig;

    #[test]
    fn control_paths_go_to_the_control_api_only_when_it_is_on() {
        let on = MockService::new(&Fixture::embedded_default(), ServiceConfig::default());
        assert_eq!(Route::of(&on, "/_mock/health", None), Route::Control);
        assert_eq!(Route::of(&on, "/v1/authorization-token", None), Route::Aws);
        assert_eq!(Route::of(&on, "/_mockery", None), Route::Aws);
        assert_eq!(Route::of(&on, "/d/acme-111122223333/us-east-1/npm/team/", None), Route::Repository);
        let host = Some("acme-111122223333.d.codeartifact.us-east-1.localhost:8080");
        assert_eq!(Route::of(&on, "/npm/team/left-pad", host), Route::Repository);
        let off = MockService::new(
            &Fixture::embedded_default(),
            ServiceConfig {
                control_enabled: false,
                ..ServiceConfig::default()
            },
        );
        assert_eq!(Route::of(&off, "/_mock/health", None), Route::Aws);
        let (parts, ()) = Request::put("/v1/package/version/publish").body(()).unwrap().into_parts();
        assert!(Route::Control.body_shape(&on, &parts).limit() > Route::Aws.body_shape(&on, &parts).limit());
        assert_eq!(Route::AssetUpload.body_shape(&on, &parts), Shape::File(crate::upload::DEFAULT_MAX_ASSET_SIZE));
    }
}
