//! Files larger than memory: uploads stream to disk and downloads stream from it, so a
//! gibibyte passes through the server with its peak RSS (`VmHWM`) under 100 MiB, with and
//! without `--data-dir`; every registry's upload path takes a file past the in-memory size
//! and serves it back whole; the asset limit refuses what is past it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::OnceLock;
use std::time::SystemTime;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::util::{sign_request, sign_streamed, to_wire, token_from, MockProcess, Signing};

const MIB: usize = 1024 * 1024;
const GENERIC: &str = "domain=test-domain&repository=my-repo&format=generic&namespace=big";
const REPO: &str = "/d/test-domain-111122223333/us-east-1";

fn example_now() -> Signing {
    Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        SystemTime::now(),
    )
}

/// The `i`th mebibyte of a test file: one pseudo-random block, stamped with its index so no
/// two mebibytes are alike.
fn chunk(i: usize) -> Vec<u8> {
    static BLOCK: OnceLock<Vec<u8>> = OnceLock::new();
    let block = BLOCK.get_or_init(|| {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        (0..MIB)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    });
    let mut chunk = block.clone();
    chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
    chunk
}

fn sha256_of_chunks(count: usize) -> String {
    let mut digest = Sha256::new();
    for i in 0..count {
        digest.update(chunk(i));
    }
    hex::encode(digest.finalize())
}

/// The server's peak resident set, from `/proc/PID/status`.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib / 1024
}

/// Sends `head` then `count` mebibytes of the test file; the status and body of the answer.
fn send_streamed(url: &str, head: &[u8], count: usize) -> (u16, String) {
    let mut stream = TcpStream::connect(url.trim_start_matches("http://")).expect("connect");
    stream.write_all(head).expect("head");
    for i in 0..count {
        if stream.write_all(&chunk(i)).is_err() {
            break; // Answered early (a refusal): read it.
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (
        status,
        answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_owned(),
    )
}

/// `head` (a GET) answered: the status, the body's length and SHA-256, read as it streams.
fn download(url: &str, head: &[u8]) -> (u16, u64, String) {
    let mut stream = TcpStream::connect(url.trim_start_matches("http://")).expect("connect");
    stream.write_all(head).expect("request");
    let mut buffer = vec![0; 256 * 1024];
    let mut headers = Vec::new();
    let (mut digest, mut length) = (Sha256::new(), 0u64);
    let mut in_body = false;
    loop {
        let n = stream.read(&mut buffer).expect("read");
        if n == 0 {
            break;
        }
        if in_body {
            digest.update(&buffer[..n]);
            length += n as u64;
            continue;
        }
        headers.extend_from_slice(&buffer[..n]);
        if let Some(end) = headers.windows(4).position(|w| w == b"\r\n\r\n") {
            let body = headers.split_off(end + 4);
            digest.update(&body);
            length += body.len() as u64;
            in_body = true;
        }
    }
    let status = String::from_utf8_lossy(&headers)
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, length, hex::encode(digest.finalize()))
}

/// PublishPackageVersion's head for `count` mebibytes, signed by their hash.
fn publish_head(url: &str, package: &str, count: usize, sha256: &str) -> Vec<u8> {
    let host = url.trim_start_matches("http://");
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("/v1/package/version/publish?{GENERIC}&package={package}&version=1.0&asset={package}.bin"))
        .header("host", host)
        .header("content-type", "application/octet-stream")
        .header("content-length", (count * MIB).to_string())
        .header("x-amz-content-sha256", sha256)
        .body(Bytes::new())
        .unwrap();
    sign_streamed(&mut request, &example_now(), sha256);
    let mut head = format!("POST {} HTTP/1.1\r\n", request.uri()).into_bytes();
    for (name, value) in request.headers() {
        head.extend_from_slice(format!("{name}: {}\r\n", value.to_str().unwrap()).as_bytes());
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    head
}

/// GetPackageVersionAsset's request for the asset published by [`publish_head`].
fn asset_request(url: &str, package: &str) -> Vec<u8> {
    let mut request = http::Request::builder()
        .method("GET")
        .uri(format!(
            "/v1/package/version/asset?{GENERIC}&package={package}&version=1.0&asset={package}.bin"
        ))
        .header("host", url.trim_start_matches("http://"))
        .body(Bytes::new())
        .unwrap();
    sign_request(&mut request, &example_now());
    to_wire(&request)
}

fn a_gibibyte_passes_through(args: &[&str], tmpdir: &Path) {
    const COUNT: usize = 1024;
    let tmp = tmpdir.to_str().unwrap();
    let server = MockProcess::spawn_with_env("127.0.0.1:0", args, "info", &[("TMPDIR", tmp)]);
    let sha256 = sha256_of_chunks(COUNT);
    let (status, body) = send_streamed(
        &server.url,
        &publish_head(&server.url, "huge", COUNT, &sha256),
        COUNT,
    );
    assert_eq!(status, 200, "{body}");
    let published: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(published["asset"]["size"], COUNT * MIB);
    assert_eq!(published["asset"]["hashes"]["SHA-256"], sha256.as_str());
    let (status, length, downloaded) = download(&server.url, &asset_request(&server.url, "huge"));
    assert_eq!(
        (status, length, downloaded.as_str()),
        (200, (COUNT * MIB) as u64, sha256.as_str())
    );
    let peak = peak_rss_mib(server.pid());
    assert!(
        peak < 100,
        "the server's peak RSS was {peak} MiB for a 1 GiB upload and download ({args:?})"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn a_gibibyte_is_published_and_downloaded_in_bounded_memory_with_and_without_a_data_folder() {
    let root = std::env::temp_dir().join(format!("codeartifact-mock-large-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let tmpdir = root.join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();

    a_gibibyte_passes_through(&[], &tmpdir);
    assert_eq!(
        std::fs::read_dir(&tmpdir).unwrap().count(),
        0,
        "without --data-dir the files' private folder is removed at exit"
    );

    let data = root.join("data");
    a_gibibyte_passes_through(&["--data-dir", data.to_str().unwrap()], &tmpdir);
    let sha256 = sha256_of_chunks(1024);
    let kept = std::fs::metadata(data.join("blobs").join(&sha256))
        .expect("the file is kept by its SHA-256");
    assert_eq!(kept.len(), 1024 * MIB as u64);
    let leftovers: Vec<_> = std::fs::read_dir(data.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no spool is left beside it: {leftovers:?}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_asset_limit_refuses_a_larger_file_before_reading_it_and_a_chunked_one_as_it_passes() {
    let server = MockProcess::start(&["--max-asset-size", "1MiB"]);
    let sha256 = sha256_of_chunks(2);
    // Declared too long: refused from the head alone.
    let (status, body) = send_streamed(
        &server.url,
        &publish_head(&server.url, "over", 2, &sha256),
        0,
    );
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("1048576"), "{body}");
    // A chunked Maven upload says nothing of its length: refused once past the limit.
    let token = token_from(&server.url);
    let host = server.url.trim_start_matches("http://");
    let head = format!(
        "PUT {REPO}/maven/my-repo/com/acme/big/1.0/big-1.0.jar HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    let mut stream = TcpStream::connect(host).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    for i in 0..3 {
        let piece = chunk(i);
        let framed = [
            format!("{:x}\r\n", piece.len()).into_bytes(),
            piece,
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let (status, _, _) = download(
        &server.url,
        format!("GET {REPO}/maven/my-repo/com/acme/big/1.0/big-1.0.jar HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 404, "nothing of a refused upload is kept");
}

/// One registry upload of a file past the in-memory size, and where it downloads from.
struct Upload {
    head: String,
    body: Vec<u8>,
    download: String,
}

fn form(
    boundary: &str,
    fields: &[(&str, &str)],
    file_field: &str,
    file_name: &str,
    file: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[test]
fn every_registry_takes_a_file_larger_than_memory_holds_and_serves_it_whole() {
    let server = MockProcess::start(&[]);
    let token = token_from(&server.url);
    let host = server.url.trim_start_matches("http://").to_owned();
    let file: Vec<u8> = (0..3).flat_map(chunk).collect();
    let sha256 = hex::encode(Sha256::digest(&file));
    let auth = format!("host: {host}\r\nauthorization: Bearer {token}\r\nconnection: close");

    let wheel = form(
        "B0",
        &[
            (":action", "file_upload"),
            ("name", "big-wheel"),
            ("version", "1.0"),
            ("sha256_digest", &sha256),
        ],
        "content",
        "big_wheel-1.0-py3-none-any.whl",
        &file,
    );
    let mut crate_frame = Vec::new();
    let metadata = br#"{"name":"big-crate","vers":"1.0.0","deps":[],"features":{}}"#;
    crate_frame.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
    crate_frame.extend_from_slice(metadata);
    crate_frame.extend_from_slice(&(file.len() as u32).to_le_bytes());
    crate_frame.extend_from_slice(&file);
    let nuspec = b"<?xml version=\"1.0\"?><package><metadata><id>Big.Package</id><version>1.0.0</version><description>big</description><authors>me</authors></metadata></package>";
    let nupkg = codeartifact_mock::nupkg::zip(
        &[("Big.Package.nuspec", nuspec), ("lib/big.bin", &file)],
        false,
    );
    let uploads = [
        Upload {
            head: format!("POST {REPO}/pypi/my-repo/ HTTP/1.1\r\n{auth}\r\ncontent-type: multipart/form-data; boundary=B0"),
            body: wheel,
            download: format!("{REPO}/pypi/my-repo/simple/big-wheel/1.0/big_wheel-1.0-py3-none-any.whl"),
        },
        Upload {
            head: format!("PUT {REPO}/maven/my-repo/com/acme/big/1.0/big-1.0.jar HTTP/1.1\r\n{auth}"),
            body: file.clone(),
            download: format!("{REPO}/maven/my-repo/com/acme/big/1.0/big-1.0.jar"),
        },
        Upload {
            head: format!("PUT {REPO}/cargo/my-repo/api/v1/crates/new HTTP/1.1\r\n{auth}"),
            body: crate_frame,
            download: format!("{REPO}/cargo/my-repo/api/v1/crates/big-crate/1.0.0/download"),
        },
        Upload {
            head: format!("PUT {REPO}/nuget/my-repo/v2/package HTTP/1.1\r\n{auth}\r\ncontent-type: multipart/form-data; boundary=B0"),
            body: form("B0", &[], "package", "package.nupkg", &nupkg),
            download: format!("{REPO}/nuget/my-repo/v3/package/big.package/1.0.0/big.package.1.0.0.nupkg"),
        },
    ];
    for upload in uploads {
        let mut stream = TcpStream::connect(&host).unwrap();
        stream
            .write_all(
                format!(
                    "{}\r\ncontent-length: {}\r\n\r\n",
                    upload.head,
                    upload.body.len()
                )
                .as_bytes(),
            )
            .unwrap();
        stream.write_all(&upload.body).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 20"),
            "{}: {answer}",
            upload.head
        );
        if upload.download.contains("/maven/") {
            // Maven's deploy ends with the artifact's metadata, which publishes the version.
            let metadata = "<metadata><groupId>com.acme</groupId><artifactId>big</artifactId><versioning><versions><version>1.0</version></versions></versioning></metadata>";
            let (status, text) = crate::util::raw_exchange(
                &server.url,
                format!("PUT {REPO}/maven/my-repo/com/acme/big/maven-metadata.xml HTTP/1.1\r\n{auth}\r\ncontent-length: {}\r\n\r\n{metadata}", metadata.len()).as_bytes(),
            );
            assert_eq!(status, 201, "{text}");
        }
        let (status, length, downloaded) = download(
            &server.url,
            format!("GET {} HTTP/1.1\r\n{auth}\r\n\r\n", upload.download).as_bytes(),
        );
        let expected = if upload.download.ends_with(".nupkg") {
            hex::encode(Sha256::digest(&nupkg))
        } else {
            sha256.clone()
        };
        assert_eq!(
            (status, downloaded.as_str()),
            (200, expected.as_str()),
            "{} ({length} bytes)",
            upload.download
        );
    }
    // Maven's checksum of a spooled file is the digest recorded as it streamed in.
    let (status, body) = crate::util::raw_exchange(
        &server.url,
        format!("GET {REPO}/maven/my-repo/com/acme/big/1.0/big-1.0.jar.sha256 HTTP/1.1\r\n{auth}\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(body.ends_with(&sha256), "{body}");
}
