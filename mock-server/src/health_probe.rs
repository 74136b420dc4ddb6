//! `codeartifact-mock healthcheck`: asks a running mock whether it serves, and exits 0 or 1.
//!
//! A container image has no curl, so the binary probes itself (the image's `HEALTHCHECK`).
//! The probe reads the same flags and environment variables as the server, so in a container
//! configured through `CODEARTIFACT_MOCK_*` it finds the port, the scheme and the admin token
//! without being told. It is a blocking, dependency-free HTTP/1.1 exchange over loopback: a
//! health check must not need a runtime, a resolver or a certificate store.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{ControlAccess, Options};

/// Largest answer read: a health answer is a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What the probe asks and what counts as serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Where the server listens, as the probe reaches it (an unspecified address becomes
    /// loopback).
    pub address: SocketAddr,
    /// Whether the server speaks HTTPS.
    pub tls: bool,
    /// The `--admin-token` the server requires on control calls, presented to it.
    pub admin_token: Option<String>,
    /// Whether `/_mock/health` is the control API's (200 is serving) or, with the control API
    /// off, an AWS path (the AWS API's unsigned-request refusal is serving).
    pub control: bool,
}

impl Probe {
    /// The probe of the server these options start.
    pub fn for_server(options: &Options) -> Result<Self, String> {
        let listen = options.listen;
        if listen.port() == 0 {
            return Err(format!(
                "--listen {listen} picks a free port at start, so the probe cannot know it: give the port"
            ));
        }
        let ip = match listen.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Ok(Self {
            address: SocketAddr::new(ip, listen.port()),
            tls: options.tls || options.tls_cert.is_some(),
            admin_token: options.admin_token.clone(),
            control: options.control_access() == ControlAccess::Enabled,
        })
    }

    /// Asks the server once; `Ok` with what it answered when it serves, `Err` with why not.
    pub fn run(&self, timeout: Duration) -> Result<String, String> {
        let stream = TcpStream::connect_timeout(&self.address, timeout)
            .map_err(|e| format!("cannot connect to {}: {e}", self.address))?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| format!("cannot set timeouts: {e}"))?;
        let request = self.request();
        let answer = if self.tls {
            exchange(&mut tls_stream(stream)?, &request)?
        } else {
            exchange(&mut { stream }, &request)?
        };
        self.judge(&answer)
    }

    fn request(&self) -> String {
        let authorization = match (&self.admin_token, self.control) {
            (Some(token), true) => format!("authorization: Bearer {token}\r\n"),
            _ => String::new(),
        };
        format!(
            "GET /_mock/health HTTP/1.1\r\nhost: {}\r\n{authorization}user-agent: codeartifact-mock-healthcheck\r\nconnection: close\r\n\r\n",
            self.address
        )
    }

    /// Whether an answer is the server serving.
    pub fn judge(&self, answer: &str) -> Result<String, String> {
        let (head, _) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or_default();
        let status = status_line.split_whitespace().nth(1).unwrap_or_default();
        let header = |name: &str| {
            head.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let serving = if self.control {
            status == "200"
        } else {
            // With the control API off, /_mock/health is an unsigned AWS request: the AWS
            // API's refusal proves the server is up and routing.
            status == "403"
                && header("x-amzn-errortype")
                    .is_some_and(|t| t.starts_with("MissingAuthenticationTokenException"))
        };
        if serving {
            Ok(status_line.to_owned())
        } else if status.is_empty() {
            Err("the answer is not HTTP".to_owned())
        } else {
            Err(format!("answered {status_line}"))
        }
    }
}

/// Writes the request and reads the answer until the server closes (or the cap).
fn exchange(stream: &mut impl ReadWrite, request: &str) -> Result<String, String> {
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buffer[..n]);
                if answer.len() >= MAX_ANSWER_BYTES {
                    break;
                }
            }
            // A TLS peer that closes without close_notify: what was read is the answer.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => break,
            Err(e) => return Err(format!("no answer: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A TLS client over `stream` that takes any certificate: the probe talks to its own server
/// over loopback, whose certificate (generated at start, or the user's for other names)
/// proves nothing here.
fn tls_stream(
    stream: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost")
        .map_err(|e| format!("TLS set-up: {e}"))?;
    let connection = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| format!("TLS set-up: {e}"))?;
    Ok(rustls::StreamOwned::new(connection, stream))
}

/// Accepts every certificate, still checking that the handshake is signed by its key.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn probe(args: &[&str]) -> Result<Probe, String> {
        let mut argv = vec!["codeartifact-mock"];
        argv.extend_from_slice(args);
        Probe::for_server(&Options::try_parse_from(argv).unwrap())
    }

    #[test]
    fn an_unspecified_listen_address_is_probed_on_loopback() {
        let p = probe(&["--listen", "0.0.0.0:8080"]).unwrap();
        assert_eq!(p.address, "127.0.0.1:8080".parse().unwrap());
        assert!(!p.control, "off on an open address without a token");
        let p = probe(&["--listen", "[::]:9000", "--admin-token", "t", "--tls"]).unwrap();
        assert_eq!(p.address, "[::1]:9000".parse().unwrap());
        assert!(p.control && p.tls);
        assert!(p.request().contains("authorization: Bearer t\r\n"));
        assert!(probe(&["--listen", "127.0.0.1:0"])
            .unwrap_err()
            .contains("cannot know"));
    }

    #[test]
    fn serving_is_200_from_the_control_api_or_the_aws_refusal_without_it() {
        let on = probe(&["--listen", "127.0.0.1:8080"]).unwrap();
        assert!(on
            .judge("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            .is_ok());
        assert!(on.judge("HTTP/1.1 401 Unauthorized\r\n\r\n").is_err());
        assert!(on.judge("").is_err());
        let off = probe(&["--listen", "127.0.0.1:8080", "--no-control"]).unwrap();
        assert!(off
            .judge("HTTP/1.1 403 Forbidden\r\nX-Amzn-ErrorType: MissingAuthenticationTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/\r\n\r\n")
            .is_ok());
        assert!(off.judge("HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(off.judge("HTTP/1.1 403 Forbidden\r\n\r\n").is_err());
    }
}
