//! The one HTTP client of the mock: GET requests to an external connection's registry, one
//! connection each (plain, or TLS checked against the system's trust store, which
//! `SSL_CERT_FILE` can replace), bounded in time (connect, then each read) and in size,
//! following redirects (credentials only to the registry's own scheme, host and port).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Why an upstream gave nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// It could not be reached (refused, unknown host, TLS).
    Unreachable(String),
    /// It did not answer in time.
    TimedOut,
    /// It answered with this status (404: it does not have it).
    Status(u16),
    /// What it sent was larger than the limit.
    TooLarge(u64),
    /// What it sent was not what it said (a digest that does not match, a broken document).
    Invalid(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(why) => write!(f, "the upstream could not be reached: {why}"),
            Self::TimedOut => f.write_str("the upstream did not answer in time"),
            Self::Status(status) => write!(f, "the upstream answered {status}"),
            Self::TooLarge(limit) => write!(f, "the upstream's file exceeds the limit of {limit} bytes"),
            Self::Invalid(why) => write!(f, "the upstream sent something invalid: {why}"),
        }
    }
}

/// Connects, asks, and waits within these bounds.
#[derive(Debug, Clone)]
pub struct Client {
    /// For connecting (and the TLS handshake).
    pub connect_timeout: Duration,
    /// For the answer's head, and between two reads of its body.
    pub read_timeout: Duration,
}

impl Client {
    /// `GET url`, following redirects; `authorization` goes only to `url`'s own origin. The
    /// answer's head, its body still to be read; a status other than 200 is an error.
    pub async fn get(&self, url: &str, authorization: Option<&str>, accept: &str) -> Result<Response<Incoming>, FetchError> {
        let origin = origin_of(&parse(url)?);
        let mut target = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let uri = parse(&target)?;
            let same_origin = origin_of(&uri) == origin;
            let response = self.once(&uri, authorization.filter(|_| same_origin), accept).await?;
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::Invalid("a redirect without a Location".to_owned()))?;
                target = join(&target, location);
                continue;
            }
            return match response.status() {
                StatusCode::OK => Ok(response),
                status => Err(FetchError::Status(status.as_u16())),
            };
        }
        Err(FetchError::Invalid(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// `GET url` whole into memory, at most `limit` bytes.
    pub async fn get_bytes(&self, url: &str, authorization: Option<&str>, accept: &str, limit: u64) -> Result<Bytes, FetchError> {
        self.get_document(url, authorization, accept, limit).await.map(|(_, body)| body)
    }

    /// `GET url` whole into memory, at most `limit` bytes, with its `Content-Type`.
    pub async fn get_document(&self, url: &str, authorization: Option<&str>, accept: &str, limit: u64) -> Result<(String, Bytes), FetchError> {
        let response = self.get(url, authorization, accept).await?;
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        loop {
            let frame = tokio::time::timeout(self.read_timeout, body.frame())
                .await
                .map_err(|_| FetchError::TimedOut)?;
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|e| FetchError::Unreachable(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() as u64 + data.len() as u64 > limit {
                    return Err(FetchError::TooLarge(limit));
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok((content_type, Bytes::from(bytes)))
    }

    async fn once(&self, uri: &Uri, authorization: Option<&str>, accept: &str) -> Result<Response<Incoming>, FetchError> {
        let https = uri.scheme_str() == Some("https");
        let host = uri.host().ok_or_else(|| FetchError::Invalid(format!("{uri} names no host")))?.to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let connecting = async {
            let address = format!("{}:{port}", host.trim_start_matches('[').trim_end_matches(']'));
            let tcp = tokio::net::TcpStream::connect(address).await.map_err(|e| FetchError::Unreachable(e.to_string()))?;
            let _ = tcp.set_nodelay(true);
            if !https {
                return Ok(Stream::Plain(tcp));
            }
            let name = rustls::pki_types::ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
                .map_err(|e| FetchError::Unreachable(e.to_string()))?;
            let connector = tokio_rustls::TlsConnector::from(tls_config()?);
            let tls = connector.connect(name, tcp).await.map_err(|e| FetchError::Unreachable(format!("TLS: {e}")))?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        let stream = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| FetchError::TimedOut)??;
        let asking = async {
            let (mut sender, connection) = match stream {
                Stream::Plain(tcp) => handshake(tcp).await?,
                Stream::Tls(tls) => handshake(*tls).await?,
            };
            tokio::spawn(connection);
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let mut request = Request::get(path)
                .header(header::HOST, uri.authority().map_or(host.as_str(), |a| a.as_str()))
                .header(header::USER_AGENT, concat!("codeartifact-mock/", env!("CARGO_PKG_VERSION")))
                .header(header::ACCEPT, accept);
            if let Some(authorization) = authorization {
                request = request.header(header::AUTHORIZATION, authorization);
            }
            let request = request.body(Empty::<Bytes>::new()).map_err(|e| FetchError::Invalid(e.to_string()))?;
            sender.send_request(request).await.map_err(|e| FetchError::Unreachable(e.to_string()))
        };
        tokio::time::timeout(self.read_timeout, asking).await.map_err(|_| FetchError::TimedOut)?
    }
}

enum Stream {
    Plain(tokio::net::TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>),
}

type Handshake = (
    hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
);

async fn handshake<S>(stream: S) -> Result<Handshake, FetchError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| FetchError::Unreachable(e.to_string()))?;
    Ok((sender, Box::pin(async move {
        let _ = connection.await;
    })))
}

/// The TLS settings: the system's trust store, read once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, FetchError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for certificate in found.certs {
                let _ = roots.add(certificate);
            }
            if roots.is_empty() {
                return Err("no trusted certificate authorities on this machine (set SSL_CERT_FILE)".to_owned());
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| Arc::new(builder.with_root_certificates(roots).with_no_client_auth()))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(FetchError::Unreachable)
}

fn parse(url: &str) -> Result<Uri, FetchError> {
    let uri: Uri = url.parse().map_err(|_| FetchError::Invalid(format!("'{}' is not a URL", super::config::redact(url))))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(uri),
        _ => Err(FetchError::Invalid(format!("'{}' is not an http(s) URL", super::config::redact(url)))),
    }
}

/// `scheme://host:port` of a URL, for the credentials' rule.
fn origin_of(uri: &Uri) -> (Option<String>, Option<String>, Option<u16>) {
    (uri.scheme_str().map(str::to_owned), uri.host().map(str::to_ascii_lowercase), uri.port_u16())
}

/// `reference` resolved against `base` (RFC 3986, for the forms registries use: absolute,
/// scheme-relative, absolute path, relative path).
pub fn join(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(authority_relative) = reference.strip_prefix("//") {
        return format!("{scheme}://{authority_relative}");
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if reference.starts_with('/') {
        return format!("{scheme}://{authority}{reference}");
    }
    let path = &rest[authority_end..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let mut segments: Vec<&str> = directory.split('/').filter(|s| !s.is_empty()).collect();
    let (reference, suffix) = match reference.find(['?', '#']) {
        Some(i) => (&reference[..i], &reference[i..]),
        None => (reference, ""),
    };
    let trailing = reference.ends_with('/') || reference.ends_with("/.") || reference.ends_with("/..") || reference == "." || reference == "..";
    for segment in reference.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut joined = format!("{scheme}://{authority}/{}", segments.join("/"));
    if trailing && !joined.ends_with('/') {
        joined.push('/');
    }
    joined + suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_as_browsers_do() {
        let page = "https://pypi.example/simple/requests/";
        assert_eq!(join(page, "../../packages/a/b.whl#sha256=1"), "https://pypi.example/packages/a/b.whl#sha256=1");
        assert_eq!(join(page, "/files/x.tgz"), "https://pypi.example/files/x.tgz");
        assert_eq!(join(page, "//cdn.example/x"), "https://cdn.example/x");
        assert_eq!(join(page, "http://other/x"), "http://other/x");
        assert_eq!(join(page, "r-1.0.tar.gz"), "https://pypi.example/simple/requests/r-1.0.tar.gz");
        assert_eq!(join("http://h:8/a/b", "c/"), "http://h:8/a/c/");
    }

    #[tokio::test]
    async fn an_unreachable_upstream_is_an_error_in_time() {
        let client = Client { connect_timeout: Duration::from_secs(2), read_timeout: Duration::from_secs(2) };
        // A port nothing listens on: refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = client.get(&format!("http://127.0.0.1:{port}/x"), None, "*/*").await.unwrap_err();
        assert!(matches!(error, FetchError::Unreachable(_)), "{error:?}");
        // A server that accepts and never answers: the read timeout.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", silent.local_addr().unwrap());
        let held = tokio::spawn(async move { silent.accept().await.map(|(s, _)| s) });
        let quick = Client { connect_timeout: Duration::from_secs(2), read_timeout: Duration::from_millis(300) };
        assert_eq!(quick.get(&url, None, "*/*").await.unwrap_err(), FetchError::TimedOut);
        drop(held);
    }
}
