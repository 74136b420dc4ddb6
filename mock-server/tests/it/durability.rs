//! `--data-dir` as a team trusts it: what was acknowledged survives a SIGKILL at any moment,
//! a full disk answers 500 and changes nothing, a second process and a damaged folder stop at
//! start, and what users made survives restarts under every shipped scenario.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use codeartifact_mock::fixture::Fixture;
use codeartifact_mock::packages::{PackageId, RepositoryKey};
use codeartifact_mock::registry::Registry;
use codeartifact_mock::state::Store;
use rand::Rng;
use sha2::Digest;

use crate::binary::start_failure;
use crate::util::*;

const NPM: &str = "/d/test-domain-111122223333/us-east-1/npm/my-repo/";
const PYPI: &str = "/d/test-domain-111122223333/us-east-1/pypi/my-repo/";

/// A folder of its own under the temp folder, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ca-mock-{name}-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn my_repo() -> RepositoryKey {
    RepositoryKey::new("111122223333", "test-domain", "us-east-1", "my-repo")
}

/// The example identity's signing, now (a mock process runs on the real clock).
fn example_now() -> Signing {
    Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        SystemTime::now(),
    )
}

/// A publish the way one kind of client sends it, as bytes for the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    /// `npm publish`: a packument with the tarball in base64.
    Npm,
    /// `twine upload`: a multipart form.
    Twine,
    /// `aws codeartifact publish-package-version`: a generic asset, signed.
    AwsCli,
}

impl Client {
    const ALL: [Self; 3] = [Self::Npm, Self::Twine, Self::AwsCli];

    /// The name of publish `i` (numbers count from 0 in each round, names never repeat).
    fn name(self, i: (u32, u32)) -> String {
        format!("{self:?}-{}-{}", i.0, i.1).to_lowercase()
    }

    fn content(self, i: (u32, u32)) -> String {
        format!("{self:?} file {} {}", i.0, i.1)
    }

    /// The id and version a publish of number `i` creates.
    fn published(self, i: (u32, u32)) -> (PackageId, &'static str) {
        let name = self.name(i);
        match self {
            Self::Npm => (PackageId::npm(&name), "1.0.0"),
            Self::Twine => (PackageId::pypi(&name), "1.0"),
            Self::AwsCli => (PackageId::named("generic", "kill-test", &name), "1.0"),
        }
    }

    fn request(self, url: &str, token: &str, i: (u32, u32)) -> Vec<u8> {
        let (name, content) = (self.name(i), self.content(i));
        let host = url.trim_start_matches("http://");
        match self {
            Self::Npm => {
                let document = serde_json::json!({
                    "name": name, "versions": { "1.0.0": { "name": name, "version": "1.0.0" } },
                    "_attachments": { format!("{name}-1.0.0.tgz"): { "data": base64_simd::STANDARD.encode_to_string(&content) } },
                })
                .to_string();
                format!(
                    "PUT {NPM}{name} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{document}",
                    document.len()
                )
                .into_bytes()
            }
            Self::Twine => {
                let field = |key: &str, value: &str| {
                    format!("--B0UNDARY\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}\r\n")
                };
                let form = format!(
                    "{}{}{}--B0UNDARY\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{name}-1.0.tar.gz\"\r\n\r\n{content}\r\n--B0UNDARY--\r\n",
                    field(":action", "file_upload"),
                    field("name", &name),
                    field("version", "1.0"),
                );
                format!(
                    "POST {PYPI} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ncontent-type: multipart/form-data; boundary=B0UNDARY\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{form}",
                    form.len()
                )
                .into_bytes()
            }
            Self::AwsCli => {
                let sha = hex::encode(sha2::Sha256::digest(content.as_bytes()));
                let query = format!(
                    "domain=test-domain&repository=my-repo&format=generic&namespace=kill-test&package={name}&version=1.0&asset={name}.txt"
                );
                let mut request = http::Request::builder()
                    .method("POST")
                    .uri(format!("/v1/package/version/publish?{query}"))
                    .header("host", host)
                    .header("x-amz-content-sha256", &sha)
                    .body(Bytes::from(content))
                    .unwrap();
                sign_request(&mut request, &example_now());
                to_wire(&request)
            }
        }
    }
}

/// Publishes as `client`, one after another, until the server is gone; the numbers it
/// acknowledged with a 200.
fn publish_until_gone(url: String, token: String, client: Client, round: u32) -> Vec<(u32, u32)> {
    let mut acknowledged = Vec::new();
    for i in (0..100_000).map(|i| (round, i)) {
        let Ok(mut stream) = TcpStream::connect(url.trim_start_matches("http://")) else {
            break;
        };
        if stream.write_all(&client.request(&url, &token, i)).is_err() {
            break;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        if answer.starts_with("HTTP/1.1 200") {
            acknowledged.push(i);
        } else {
            assert!(
                answer.is_empty(),
                "{client:?} {i:?} was refused, not cut off: {answer}"
            );
            break;
        }
    }
    acknowledged
}

/// What the data folder holds, read as the mock reads it (the mock must be stopped): the
/// database's integrity check, then the world of the embedded fixture with it laid over.
pub(crate) fn read_folder(data: &Path) -> Registry {
    let store = Store::open(data).expect("the folder opens after a kill");
    assert_eq!(store.integrity().unwrap(), "ok", "the database is intact");
    let fixture = Fixture::embedded_default();
    let mut registry = Registry::from_fixture(&fixture, SystemTime::UNIX_EPOCH);
    store
        .lay_over(&mut registry, &fixture.regions)
        .expect("the folder reads back");
    registry
}

#[test]
fn a_kill_at_random_moments_loses_no_acknowledged_publish_and_leaves_an_intact_database() {
    let folder = Folder::new("kill");
    let args = [
        "--data-dir".to_owned(),
        folder.arg("data"),
        "--token-key-file".to_owned(),
        folder.arg("token.key"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut all: Vec<(Client, (u32, u32))> = Vec::new();
    let mut rng = rand::thread_rng();
    for round in 0..4 {
        let server = MockProcess::start(&args);
        let token = token_from(&server.url);
        let publishers: Vec<_> = Client::ALL
            .into_iter()
            .map(|client| {
                let (url, token) = (server.url.clone(), token.clone());
                std::thread::spawn(move || {
                    publish_until_gone(url, token, client, round)
                        .into_iter()
                        .map(|i| (client, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // Killed at a moment nobody chose, in the middle of the publishes.
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..400)));
        let killed = Command::new("kill")
            .args(["-KILL", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        all.extend(publishers.into_iter().flat_map(|p| p.join().unwrap()));
        drop(server);
        let registry = read_folder(&folder.path("data"));
        for (client, i) in &all {
            let (id, version) = client.published(*i);
            let stored = registry
                .packages
                .package(&my_repo(), &id)
                .and_then(|p| p.versions.get(version))
                .unwrap_or_else(|| {
                    panic!(
                        "round {round}: acknowledged {client:?} {i:?} was lost ({} acknowledged)",
                        all.len()
                    )
                });
            // The file its record names is there, whole.
            let file = folder
                .path("data")
                .join("blobs")
                .join(stored.assets[0].hash("SHA-256"));
            assert_eq!(
                std::fs::read(&file).map(Bytes::from).ok(),
                Some(Bytes::from(client.content(*i))),
                "{client:?} {i:?}"
            );
        }
    }
    assert!(
        all.len() > 10,
        "publishes were acknowledged before the kills: {}",
        all.len()
    );
    // And the restarted mock serves them to the same token.
    let server = MockProcess::start(&args);
    let token = token_from(&server.url);
    for (client, i) in all.iter().filter(|(c, _)| *c == Client::Npm) {
        let name = client.name(*i);
        let (status, body) = repository_call(
            &server.url,
            "GET",
            &format!("{NPM}{name}/-/{name}-1.0.0.tgz"),
            &token,
            "",
        );
        assert_eq!((status, body), (200, client.content(*i)));
    }
}

#[test]
fn a_second_process_on_the_same_folder_stops_naming_it() {
    let folder = Folder::new("twice");
    let data = folder.arg("data");
    let first = MockProcess::start(&["--data-dir", &data]);
    let (code, stderr) = start_failure(&["--data-dir", &data]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(&data) && stderr.contains("in use"),
        "{stderr}"
    );
    // The first one was not disturbed.
    assert_eq!(first.terminate(), Some(0));
    drop(MockProcess::start(&["--data-dir", &data]));
}

/// A way to damage a data folder: what it is, how, and what the refusal must name.
type Damage<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str);

#[test]
fn a_damaged_folder_stops_the_start_with_one_line_naming_the_file() {
    let folder = Folder::new("damaged");
    let data = folder.arg("data");
    let server = MockProcess::start(&["--data-dir", &data]);
    let token = token_from(&server.url);
    let (status, body) = npm_publish(&server.url, &token, "kept", "a tarball");
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.terminate(), Some(0));
    let database = folder.path("data").join("state.sqlite3");
    let good = std::fs::read(&database).unwrap();
    let blob = hex::encode(sha2::Sha256::digest(b"a tarball"));
    let blob_path = folder.path("data").join("blobs").join(&blob);
    let damages: [Damage<'_>; 4] = [
        (
            "a header that is not SQLite's",
            Box::new(|| {
                let mut bytes = good.clone();
                bytes[..16].copy_from_slice(b"garbage garbage!");
                std::fs::write(&database, bytes).unwrap();
            }),
            "state.sqlite3",
        ),
        (
            "a damaged page",
            Box::new(|| {
                let mut bytes = good.clone();
                let page = 4096.min(bytes.len() / 2);
                bytes[page..page + 512].fill(0xA5);
                std::fs::write(&database, bytes).unwrap();
            }),
            "state.sqlite3",
        ),
        (
            "a truncated file",
            Box::new(|| std::fs::write(&database, &good[..good.len() / 3]).unwrap()),
            "state.sqlite3",
        ),
        (
            "a missing package file",
            Box::new(|| {
                std::fs::write(&database, &good).unwrap();
                std::fs::remove_file(&blob_path).unwrap();
            }),
            &blob,
        ),
    ];
    for (damage, make, named) in &damages {
        make();
        let (code, stderr) = start_failure(&["--data-dir", &data]);
        assert_eq!(code, Some(2), "{damage}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{damage}: one line: {stderr}");
        assert!(stderr.contains(named), "{damage}: names {named}: {stderr}");
    }
}

/// Starts with `args`, then stops: whatever the start did to the folder is done.
fn start_and_stop(args: &[&str]) {
    let server = MockProcess::start(args);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn what_users_made_survives_restarts_under_every_shipped_scenario() {
    let folder = Folder::new("scenarios");
    let data = folder.arg("data");
    let server = MockProcess::start(&["--data-dir", &data]);
    let token = token_from(&server.url);
    let (status, body) = npm_publish(&server.url, &token, "kept", "a tarball");
    assert_eq!(status, 200, "{body}");
    let mut create = request(
        "POST",
        "/v1/repository?domain=test-domain&repository=made-by-a-user",
        b"",
    );
    create.headers_mut().insert(
        "host",
        server.url.trim_start_matches("http://").parse().unwrap(),
    );
    sign_request(&mut create, &example_now());
    let (status, text) = raw_exchange(&server.url, &to_wire(&create));
    assert_eq!(status, 200, "{text}");
    assert_eq!(server.terminate(), Some(0));
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    let mut played = 0;
    for entry in std::fs::read_dir(&scenarios).unwrap() {
        let scenario = entry.unwrap().path();
        if scenario.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        start_and_stop(&[
            "--data-dir",
            &data,
            "--scenario",
            scenario.to_str().unwrap(),
        ]);
        // What the folder holds is still what users made, whatever the scenario served.
        let registry = read_folder(&folder.path("data"));
        let kept = registry
            .packages
            .package(&my_repo(), &PackageId::npm("kept"));
        assert!(
            kept.is_some_and(|p| p.versions.contains_key("1.0.0")),
            "{}",
            scenario.display()
        );
        assert!(
            registry
                .repository("111122223333", "test-domain", "made-by-a-user", "us-east-1")
                .is_some(),
            "{}",
            scenario.display()
        );
        played += 1;
    }
    assert!(played >= 10, "the shipped scenarios were played: {played}");
    let server = MockProcess::start(&["--data-dir", &data]);
    let token = token_from(&server.url);
    let (status, body) = repository_call(
        &server.url,
        "GET",
        &format!("{NPM}kept/-/kept-1.0.0.tgz"),
        &token,
        "",
    );
    assert_eq!((status, body.as_str()), (200, "a tarball"));
    // POST /_mock/reset is the way to clear it, folder included.
    let (status, _) = control_http(&server.url, "POST", "/_mock/reset", "");
    assert_eq!(status, 200);
    assert_eq!(server.terminate(), Some(0));
    let registry = read_folder(&folder.path("data"));
    assert!(registry
        .packages
        .package(&my_repo(), &PackageId::npm("kept"))
        .is_none());
    assert!(registry
        .repository("111122223333", "test-domain", "made-by-a-user", "us-east-1")
        .is_none());
    let blobs = std::fs::read_dir(folder.path("data").join("blobs"))
        .unwrap()
        .count();
    assert_eq!(blobs, 0, "no file is left that no version names");
}

#[tokio::test]
async fn another_fixture_served_at_run_time_keeps_what_users_made_and_reset_clears_it() {
    let service =
        codeartifact_mock::MockService::new(&Fixture::embedded_default(), Default::default());
    let signing = Signing::key(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        SystemTime::now(),
    );
    op(
        &service,
        &signing,
        "CreateRepository",
        "domain=test-domain&repository=made",
        None,
    )
    .await
    .assert_ok();
    // Another fixture, sent to PUT /_mock/config: the same domain, one more, one identity.
    let text = serde_json::json!({
        "regions": ["us-east-1"],
        "domains": [{ "name": "test-domain", "owner": "111122223333" }, { "name": "other", "owner": "111122223333" }],
        "identities": [{ "arn": "arn:aws:iam::111122223333:user/test-user", "access_key_id": "AKIAIOSFODNN7EXAMPLE",
                         "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "allow": ["codeartifact:*"] }],
    })
    .to_string();
    let answer = control(&service, "PUT", "/_mock/config", &text).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let world = service.world();
    assert!(world
        .read()
        .domain("111122223333", "other", "us-east-1")
        .is_some());
    assert!(
        world
            .read()
            .repository("111122223333", "test-domain", "made", "us-east-1")
            .is_some(),
        "kept over the new fixture"
    );
    assert_eq!(
        control(&service, "POST", "/_mock/reset", "").await.status,
        200
    );
    assert!(service
        .world()
        .read()
        .repository("111122223333", "test-domain", "made", "us-east-1")
        .is_none());
}

/// A tmpfs of its own, mounted for a test (root only), unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` bytes, or says why it cannot.
    fn mount(size: &str) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!(
            "ca-mock-tmpfs-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                dir.to_str().unwrap(),
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !mounted.status.success() {
            let _ = std::fs::remove_dir(&dir);
            return Err(String::from_utf8_lossy(&mounted.stderr).trim().to_owned());
        }
        Ok(Self(dir))
    }

    /// Fills it from outside, as another program would, until the disk says it is full.
    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_ok()
        {}
        // Whatever the last chunk left, a byte at a time.
        while file.write_all(&[0]).and_then(|()| file.sync_all()).is_ok() {}
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// `npm publish` of `name` 1.0.0 with `content` as its tarball: status and body.
fn npm_publish(url: &str, token: &str, name: &str, content: &str) -> (u16, String) {
    let document = serde_json::json!({
        "name": name, "versions": { "1.0.0": { "name": name, "version": "1.0.0" } },
        "_attachments": { format!("{name}-1.0.0.tgz"): { "data": base64_simd::STANDARD.encode_to_string(content) } },
    });
    repository_call(
        url,
        "PUT",
        &format!("{NPM}{name}"),
        token,
        &document.to_string(),
    )
}

#[test]
fn a_full_disk_answers_500_changes_nothing_and_the_same_publish_succeeds_once_there_is_room() {
    let disk = match Tmpfs::mount("8m") {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("SKIPPED a_full_disk_answers_500...: cannot mount a tmpfs here ({why}); it runs as root, as CI does");
            return;
        }
    };
    let data = disk.0.join("data");
    let args = ["--data-dir", data.to_str().unwrap()];
    let server = MockProcess::start(&args);
    let token = token_from(&server.url);
    assert_eq!(
        npm_publish(&server.url, &token, "before", "before the disk filled").0,
        200
    );
    let filler = disk.fill();

    // A registry publish: 500 with a JSON error, and the package is not there.
    let content = "x".repeat(100_000);
    let (status, body) = npm_publish(&server.url, &token, "during", &content);
    assert_eq!(status, 500, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"], "InternalServerError", "{body}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("No space left on device"),
        "{body}"
    );
    assert_eq!(
        repository_call(&server.url, "GET", &format!("{NPM}during"), &token, "").0,
        404,
        "nothing was kept"
    );

    // The AWS API: 500 InternalServerException, and the version is not there.
    let publish = |package: &str| {
        let sha = hex::encode(sha2::Sha256::digest(content.as_bytes()));
        let mut request = http::Request::builder()
            .method("POST")
            .uri(format!("/v1/package/version/publish?domain=test-domain&repository=my-repo&format=generic&namespace=disk&package={package}&version=1.0&asset=a.txt"))
            .header("host", server.url.trim_start_matches("http://"))
            .header("x-amz-content-sha256", &sha)
            .body(Bytes::from(content.clone()))
            .unwrap();
        sign_request(&mut request, &example_now());
        raw_exchange(&server.url, &to_wire(&request))
    };
    let (status, text) = publish("during");
    assert_eq!(status, 500, "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("x-amzn-errortype: internalserverexception"),
        "{text}"
    );
    let mut list = request(
        "POST",
        "/v1/package/versions?domain=test-domain&repository=my-repo&format=generic&namespace=disk&package=during",
        b"",
    );
    list.headers_mut().insert(
        "host",
        server.url.trim_start_matches("http://").parse().unwrap(),
    );
    sign_request(&mut list, &example_now());
    let (status, text) = raw_exchange(&server.url, &to_wire(&list));
    assert_eq!(status, 404, "the version is not listed: {text}");

    // Still serving what it had.
    let (status, body) = repository_call(
        &server.url,
        "GET",
        &format!("{NPM}before/-/before-1.0.0.tgz"),
        &token,
        "",
    );
    assert_eq!((status, body.as_str()), (200, "before the disk filled"));

    // Room again: the same requests succeed, and survive a restart.
    std::fs::remove_file(filler).unwrap();
    assert_eq!(npm_publish(&server.url, &token, "during", &content).0, 200);
    assert_eq!(publish("during").0, 200);
    assert_eq!(server.terminate(), Some(0));
    let registry = read_folder(&data);
    assert!(registry
        .packages
        .package(&my_repo(), &PackageId::npm("during"))
        .is_some());
    assert!(registry
        .packages
        .package(&my_repo(), &PackageId::named("generic", "disk", "during"))
        .is_some());
    assert!(registry
        .packages
        .package(&my_repo(), &PackageId::npm("before"))
        .is_some());
}
