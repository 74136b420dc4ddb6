//! HTTPS: a certificate made at start for 127.0.0.1 and localhost (with its own certificate
//! authority, written where clients can find it for `--ca-bundle`), or the user's own.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// A TLS setup that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Generating the certificate failed.
    #[error("generating a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// Reading or writing a PEM file failed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// rustls refused the certificate or key.
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Accepts TLS connections.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls(<key redacted>)")
    }
}

impl Tls {
    /// A fresh certificate authority and a server certificate it signs, valid for 127.0.0.1,
    /// ::1 and localhost. The authority's certificate (PEM) is written to `ca_path`.
    pub fn generated(ca_path: &Path) -> Result<Self, TlsError> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "codeartifact-mock local CA");
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;
        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let mut leaf_params = CertificateParams::new(names)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "codeartifact-mock");
        let leaf_key = KeyPair::generate()?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;
        std::fs::write(ca_path, ca.pem()).map_err(|e| TlsError::File {
            path: ca_path.to_owned(),
            message: e.to_string(),
        })?;
        let key = PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        Self::with_chain(vec![leaf.der().clone(), ca.der().clone()], key)
    }

    /// The user's certificate chain and private key, in PEM files.
    pub fn from_files(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let file_error = |path: &Path, e: &dyn std::fmt::Display| TlsError::File {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let chain = CertificateDer::pem_file_iter(cert_path)
            .map_err(|e| file_error(cert_path, &e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| file_error(cert_path, &e))?;
        if chain.is_empty() {
            return Err(file_error(cert_path, &"no certificate in the file"));
        }
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| file_error(key_path, &e))?;
        Self::with_chain(chain, key)
    }

    fn with_chain(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The acceptor for incoming connections.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}
