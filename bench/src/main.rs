//! Helpers for `just bench` (see `docs/performance.md`):
//!
//! - `baseline [ADDR]`: the bar to measure against, a bare hyper 1 server on the same runtime
//!   and connection settings as the mock, answering every request with a fixed small JSON
//!   body. Prints `listening on http://IP:PORT` like the mock.
//! - `wrk-script URL KEY SECRET REGION`: a wrk Lua script replaying one validly signed
//!   GetAuthorizationToken request (valid for the 5-minute skew window).
//! - `fixture N`: a fixture with N identities and N domains, for start-up and scale runs.

use std::convert::Infallible;
use std::io::Write;
use std::time::SystemTime;

use anyhow::{bail, Context};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["baseline"] => baseline("127.0.0.1:0"),
        ["baseline", addr] => baseline(addr),
        ["wrk-script", url, key, secret, region] => wrk_script(url, key, secret, region),
        ["fixture", n] => fixture(n.parse().context("N must be a number")?),
        _ => bail!("usage: codeartifact-bench baseline [ADDR] | wrk-script URL KEY SECRET REGION | fixture N"),
    }
}

const BODY: &str = r#"{"authorizationToken":"baseline","expiration":1764330000}"#;

fn baseline(addr: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on http://{}", listener.local_addr()?);
        std::io::stdout().flush()?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|_request| async {
                    Ok::<_, Infallible>(
                        http::Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from_static(BODY.as_bytes())))
                            .unwrap_or_default(),
                    )
                });
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn wrk_script(url: &str, key: &str, secret: &str, region: &str) -> anyhow::Result<()> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let path = "/v1/authorization-token?domain=test-domain&duration=3600";
    let identity = aws_credential_types::Credentials::new(key, secret, None, None, "bench").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("codeartifact")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let headers = [("host", host)];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{host}{path}"),
        headers.into_iter(),
        SignableBody::Bytes(b""),
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    let (signed_headers, _) = instructions.into_parts();
    println!("wrk.method = \"POST\"");
    println!("wrk.path = \"{path}\"");
    for header in signed_headers {
        println!(
            "wrk.headers[\"{}\"] = \"{}\"",
            header.name(),
            header.value()
        );
    }
    Ok(())
}

fn fixture(n: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "regions = [\"us-east-1\", \"eu-west-1\"]")?;
    writeln!(
        out,
        "[[domains]]\nname = \"test-domain\"\nowner = \"111122223333\""
    )?;
    writeln!(
        out,
        "[[identities]]\narn = \"arn:aws:iam::111122223333:user/test-user\"\naccess_key_id = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\nallow = [\"*\"]"
    )?;
    for i in 1..n {
        writeln!(
            out,
            "[[domains]]\nname = \"domain-{i}\"\nowner = \"{:012}\"",
            200_000_000_000u64 + i as u64
        )?;
        writeln!(
            out,
            "[[identities]]\narn = \"arn:aws:iam::{:012}:user/u{i}\"\naccess_key_id = \"AKIABENCH{i:011}\"\nsecret_access_key = \"secret-{i}\"\nallow = [\"*\"]",
            200_000_000_000u64 + i as u64
        )?;
    }
    Ok(())
}
