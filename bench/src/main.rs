//! Helpers for `just bench` (see `docs/performance.md`):
//!
//! - `baseline [ADDR]`: the bar to measure against, a bare hyper 1 server on the same runtime
//!   and connection settings as the mock, answering every request with a fixed small JSON
//!   body. Prints `listening on http://IP:PORT` like the mock.
//! - `wrk-script URL KEY SECRET REGION`: a wrk Lua script replaying one validly signed
//!   GetAuthorizationToken request (valid for the 5-minute skew window).
//! - `fixture N`: a fixture with N identities and N domains, for start-up and scale runs.
//! - `registry-script URL KEY SECRET REGION PATH`: a token from the mock at URL (one signed
//!   GetAuthorizationToken), then a wrk Lua script reading PATH of a repository endpoint with
//!   it, as npm does (`Authorization: Bearer`).
//! - `publish-cost URL KEY SECRET REGION N`: publishes N versions of one npm package, one
//!   after another, and prints the median time of a publish after 10 stored versions and
//!   after N - 50 (what a publish costs as the store grows).
//! - `publish-stream URL KEY SECRET REGION PER_SECOND SECONDS`: publishes versions of another
//!   npm package at a steady rate for a while (the writes a read load runs beside).

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
        ["registry-script", url, key, secret, region, path] => registry_script(url, key, secret, region, path),
        ["publish-cost", url, key, secret, region, n] => {
            publish_cost(url, &token(url, key, secret, region)?, n.parse().context("N must be a number")?)
        }
        ["publish-stream", url, key, secret, region, rate, seconds] => publish_stream(
            url,
            &token(url, key, secret, region)?,
            rate.parse().context("PER_SECOND must be a number")?,
            seconds.parse().context("SECONDS must be a number")?,
        ),
        ["fetch-cost", url, key, secret, region, local, fetched] => {
            fetch_cost(url, &token(url, key, secret, region)?, local, fetched)
        }
        _ => bail!("usage: codeartifact-bench baseline [ADDR] | wrk-script URL KEY SECRET REGION | fixture N | registry-script URL KEY SECRET REGION PATH | publish-cost URL KEY SECRET REGION N | publish-stream URL KEY SECRET REGION PER_SECOND SECONDS | fetch-cost URL KEY SECRET REGION LOCAL_PATH FETCHED_PATH"),
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

/// The path, and the headers (name, value), of a signed GetAuthorizationToken request.
fn signed_token_request(
    host: &str,
    key: &str,
    secret: &str,
    region: &str,
) -> anyhow::Result<(&'static str, Vec<(String, String)>)> {
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
    let headers = signed_headers
        .into_iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect();
    Ok((path, headers))
}

fn wrk_script(url: &str, key: &str, secret: &str, region: &str) -> anyhow::Result<()> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let (path, headers) = signed_token_request(host, key, secret, region)?;
    println!("wrk.method = \"POST\"");
    println!("wrk.path = \"{path}\"");
    for (name, value) in headers {
        println!("wrk.headers[\"{name}\"] = \"{value}\"");
    }
    Ok(())
}

/// A token from the mock at `url` for the identity of `key`.
fn token(url: &str, key: &str, secret: &str, region: &str) -> anyhow::Result<String> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let (token_path, headers) = signed_token_request(host, key, secret, region)?;
    let mut request = format!(
        "POST {token_path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let answer = exchange(host, request.as_bytes())?;
    let marker = "\"authorizationToken\":\"";
    let start = answer.find(marker).context("no token in the answer")? + marker.len();
    Ok(answer[start..start + answer[start..].find('"').context("unterminated token")?].to_owned())
}

/// One request on a connection of its own: the whole answer.
fn exchange(host: &str, request: &[u8]) -> anyhow::Result<String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.write_all(request)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

fn registry_script(
    url: &str,
    key: &str,
    secret: &str,
    region: &str,
    path: &str,
) -> anyhow::Result<()> {
    let token = token(url, key, secret, region)?;
    println!("wrk.method = \"GET\"");
    println!("wrk.path = \"{path}\"");
    println!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"");
    Ok(())
}

/// `npm publish` of `name` at `version` (a small tarball), timed; an error unless it is 200.
fn npm_publish(
    url: &str,
    token: &str,
    name: &str,
    version: &str,
) -> anyhow::Result<std::time::Duration> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let tarball = format!("the tarball of {name} {version}");
    let data = base64_simd::STANDARD.encode_to_string(&tarball);
    let document = format!(
        r#"{{"name":"{name}","versions":{{"{version}":{{"name":"{name}","version":"{version}"}}}},"dist-tags":{{"latest":"{version}"}},"_attachments":{{"{name}-{version}.tgz":{{"data":"{data}"}}}}}}"#
    );
    let request = format!(
        "PUT /d/test-domain-111122223333/us-east-1/npm/my-repo/{name} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{document}",
        document.len()
    );
    let started = std::time::Instant::now();
    let answer = exchange(host, request.as_bytes())?;
    let took = started.elapsed();
    if !answer.starts_with("HTTP/1.1 200") {
        bail!(
            "publishing {name} {version}: {}",
            answer.lines().next().unwrap_or_default()
        );
    }
    Ok(took)
}

fn median(mut times: Vec<std::time::Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

fn publish_cost(url: &str, token: &str, n: usize) -> anyhow::Result<()> {
    anyhow::ensure!(n >= 120, "N must be at least 120");
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        times.push(npm_publish(url, token, "bench-cost", &format!("1.0.{i}"))?);
    }
    let early = median(times[10..60].to_vec());
    let late = median(times[n - 50..].to_vec());
    println!("{early:.3} {late:.3}");
    Ok(())
}

fn publish_stream(url: &str, token: &str, rate: u32, seconds: u64) -> anyhow::Result<()> {
    let interval = std::time::Duration::from_secs(1) / rate.max(1);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut next = std::time::Instant::now();
    let mut published = 0;
    // A package of its own per run, so runs against one data folder never collide.
    let name = format!("bench-stream-{}", std::process::id());
    while std::time::Instant::now() < until {
        npm_publish(url, token, &name, &format!("2.0.{published}"))?;
        published += 1;
        next += interval;
        std::thread::sleep(next.saturating_duration_since(std::time::Instant::now()));
    }
    println!("{published}");
    Ok(())
}

/// A GET of a repository endpoint path with the token, timed; an error unless it is 200.
fn timed_get(url: &str, token: &str, path: &str) -> anyhow::Result<std::time::Duration> {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n");
    let started = std::time::Instant::now();
    let answer = {
        use std::io::Read;
        let mut stream = std::net::TcpStream::connect(host)?;
        stream.write_all(request.as_bytes())?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        answer
    };
    let took = started.elapsed();
    if !answer.starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&answer[..answer.len().min(80)]).into_owned();
        bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(took)
}

/// What an external connection's first fetch adds: a file held locally (median of 25), the
/// first GET of a file the connection must fetch, then the same file kept (median of 25).
/// Prints "local_ms first_ms kept_ms".
fn fetch_cost(url: &str, token: &str, local: &str, fetched: &str) -> anyhow::Result<()> {
    let local_ms = median(
        (0..25)
            .map(|_| timed_get(url, token, local))
            .collect::<Result<_, _>>()?,
    );
    let first_ms = timed_get(url, token, fetched)?.as_secs_f64() * 1000.0;
    let kept_ms = median(
        (0..25)
            .map(|_| timed_get(url, token, fetched))
            .collect::<Result<_, _>>()?,
    );
    println!("{local_ms:.3} {first_ms:.3} {kept_ms:.3}");
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
