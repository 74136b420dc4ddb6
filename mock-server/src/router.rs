//! Where a request goes, decided from its path before its body is read: the control API
//! (`/_mock/`, when it is on), a repository endpoint of the data plane (`/d/`), or
//! CodeArtifact's AWS API (everything else; the service model routes it to an operation).
//! Each route has its own body limit, so a large fixture can be sent to the control API while
//! an AWS request stays small.

use bytes::Bytes;
use http::Request;

use crate::endpoint::Endpoint;
use crate::service::{MockService, Reply, CONTROL_PREFIX};

/// Largest body of an AWS API request (every input of CodeArtifact's API but an asset
/// upload is a few kilobytes of JSON at most).
pub const AWS_MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest body of a repository request: a package upload (twine's form, npm's JSON with
/// the tarball in base64). Past it the server answers 413.
pub const REPOSITORY_MAX_BODY_BYTES: usize = 128 * 1024 * 1024;

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

    /// The largest body this route reads; past it the server answers 413.
    pub fn body_limit(self) -> usize {
        match self {
            Self::Control => CONTROL_MAX_BODY_BYTES,
            Self::Repository | Self::AssetUpload => REPOSITORY_MAX_BODY_BYTES,
            Self::Aws => AWS_MAX_BODY_BYTES,
        }
    }
}

impl MockService {
    /// Answers one request, whatever its route: the entry point of the server, of tests and
    /// of embedders. AWS requests are journaled and logged.
    pub async fn handle(&self, request: Request<Bytes>) -> Reply {
        match Route::of_request(self, &request) {
            Route::Control => {
                // A call that may replace the world waits for the writer's turn, so it never
                // falls between a request's change and its commit.
                let _turn = if request.method() == http::Method::GET {
                    None
                } else {
                    Some(self.writers_turn().await)
                };
                Reply::Respond(crate::control::handle(self, request))
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
        assert!(Route::Control.body_limit() > Route::Aws.body_limit());
    }
}
