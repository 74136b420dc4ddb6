//! HTTPS: the generated certificate chain and a user's own certificate, checked with a real
//! TLS client that trusts only the given authority.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::*;

/// Sends an unsigned token request over TLS, trusting only `ca_pem`; the response's status.
async fn status_over_tls(url: &str, ca_pem: &[u8]) -> Result<u16, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let address = url.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(format!("POST /v1/authorization-token?domain=x HTTP/1.1\r\nhost: {address}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // tokio-rustls buffers: the request leaves only when flushed.
    tls.flush().await.map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let read = tls.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not HTTP ({read:?}): {text}"))
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ca-mock-tls-{}-{name}", std::process::id()))
}

/// Also a regression test: `MockProcess` reads only the first stdout line and closes the pipe;
/// the second line (`ca-bundle PATH`) once failed with EPIPE there and stopped the server.
#[tokio::test]
async fn tls_serves_https_with_a_generated_authority_it_names() {
    let ca_path = temp_path("ca.pem");
    let server = MockProcess::start(&["--tls", "--tls-ca-out", ca_path.to_str().unwrap()]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let ca = std::fs::read(&ca_path).expect("the CA is written");
    assert!(ca.starts_with(b"-----BEGIN CERTIFICATE-----"));
    // An unsigned request, answered over TLS as AWS would answer it.
    assert_eq!(status_over_tls(&server.url, &ca).await, Ok(403));
    // Another authority is not trusted.
    let other = temp_path("other-ca.pem");
    codeartifact_mock::tls::Tls::generated(&other).unwrap();
    let refused = status_over_tls(&server.url, &std::fs::read(&other).unwrap()).await;
    assert!(
        refused.is_err_and(|e| e.contains("UnknownIssuer") || e.contains("certificate")),
        "must refuse"
    );
}

#[tokio::test]
async fn tls_serves_the_users_own_certificate() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (temp_path("cert.pem"), temp_path("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let server = MockProcess::start(&[
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    assert!(server.url.starts_with("https://"));
    assert_eq!(
        status_over_tls(&server.url, cert.pem().as_bytes()).await,
        Ok(403)
    );
}

#[test]
fn bad_tls_files_stop_the_server_with_one_line() {
    let empty = temp_path("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let (code, stderr) = crate::binary::start_failure(&[
        "--tls-cert",
        empty.to_str().unwrap(),
        "--tls-key",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no certificate in the file"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
