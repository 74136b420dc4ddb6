//! External connections with the real package managers: pip and uv install a package and its
//! dependency through `public:pypi` from a PyPI-style server the test starts, then from a
//! `file://` wheelhouse; npm installs a package and its dependency through `public:npmjs` from
//! an npm registry the test starts, then from a folder of tarballs. Each checks retention
//! (the upstream stopped, the install still works, ListPackageVersions says `EXTERNAL`), a
//! package group that blocks `EXTERNAL_UPSTREAM` (nothing asked of the upstream), a request
//! without a token (401, nothing asked), and an unreachable upstream (an error in time, the
//! mock alive).

use std::path::Path;

use sha2::Digest;

use super::upstream::{alive, fixture, free_port, mock_with, nowhere, without_token, StaticServer};
use super::{aws_ok, must, ok, pip_index_url, run, text, Scratch, EXAMPLE, MAKE_WHEEL};

/// An `npm pack`-style tarball of `name` `version` with `dependencies` (JSON); prints its
/// path.
const MAKE_TARBALL: &str = r#"
import io, json, sys, tarfile
name, version, dependencies, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
manifest = json.dumps({"name": name, "version": version, "main": "index.js", "dependencies": json.loads(dependencies)}).encode()
code = f"module.exports = {json.dumps(name)};\n".encode()
with tarfile.open(out, "w:gz") as tar:
    for path, data in [("package/package.json", manifest), ("package/index.js", code)]:
        info = tarfile.TarInfo(path)
        info.size, info.mtime, info.mode = len(data), 1577836800, 0o644
        tar.addfile(info, io.BytesIO(data))
print(out)
"#;

/// `npm install` in `project` from nothing: no node_modules, no lock file, an empty cache.
fn fresh_npm_install(home: &Path, project: &Path, install: &[&str], what: &str) {
    let _ = std::fs::remove_dir_all(project.join("node_modules"));
    let _ = std::fs::remove_file(project.join("package-lock.json"));
    ok(
        run(
            home,
            project,
            EXAMPLE,
            "npm",
            &["cache", "clean", "--force"],
        ),
        "npm cache clean",
    );
    ok(run(home, project, EXAMPLE, "npm", install), what);
}

fn login(home: &Path, url: &str, tool: &str) {
    aws_ok(
        home,
        url,
        &[
            "login",
            "--tool",
            tool,
            "--domain",
            "test-domain",
            "--domain-owner",
            "111122223333",
            "--repository",
            "app",
        ],
    );
}

/// The origin type of each version of `package` in `repository`.
fn origins(
    home: &Path,
    url: &str,
    repository: &str,
    format: &str,
    package: &str,
) -> Vec<(String, String)> {
    let listed = super::list_versions(home, url, repository, format, package);
    listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["origin"]["originType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pip_install(home: &Path, target: &Path, requirement: &str) -> std::process::Output {
    run(
        home,
        home,
        EXAMPLE,
        "pip",
        &[
            "install",
            "--no-cache-dir",
            "--retries",
            "0",
            "--timeout",
            "20",
            "--target",
            target.to_str().unwrap(),
            requirement,
        ],
    )
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn pip_and_uv_install_through_public_pypi_from_a_pypi_server_and_from_a_wheelhouse() {
    let scratch = Scratch::new("external-pypi");
    let h = scratch.0.as_path();
    let wheelhouse = scratch.join("wheelhouse/.keep");
    let wheelhouse = wheelhouse.parent().unwrap();
    let mut wheels = Vec::new();
    for (name, requires) in [
        ("ext-dep", ""),
        ("ext-app", "ext-dep>=1.0"),
        ("ext-blocked", ""),
    ] {
        let built = must(
            h,
            h,
            "python3",
            &[
                "-c",
                MAKE_WHEEL,
                name,
                "1.0.0",
                wheelhouse.to_str().unwrap(),
                requires,
            ],
        );
        wheels.push((
            name,
            std::path::PathBuf::from(String::from_utf8_lossy(&built.stdout).trim()),
        ));
    }
    // The upstream: a PEP 503 simple index over the same wheels.
    let index = scratch.join("pypi/.keep");
    let index = index.parent().unwrap();
    for (name, wheel) in &wheels {
        let file = wheel.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(wheel).unwrap();
        std::fs::create_dir_all(index.join("files")).unwrap();
        std::fs::write(index.join("files").join(file), &bytes).unwrap();
        let page = format!(
            "<html><body><a href=\"../../files/{file}#sha256={}\">{file}</a></body></html>\n",
            hex::encode(sha2::Sha256::digest(&bytes))
        );
        std::fs::create_dir_all(index.join("simple").join(name)).unwrap();
        std::fs::write(index.join("simple").join(name).join("index.html"), page).unwrap();
    }
    let upstream = StaticServer::start(index);
    let config = fixture(h);
    let mock = mock_with(&config, "public:pypi", &upstream.url(), &[]);

    login(h, &mock.url, "pip");
    let first = scratch.join("first/.keep");
    let first = first.parent().unwrap();
    ok(
        pip_install(h, first, "ext-app==1.0.0"),
        "pip install through public:pypi",
    );
    assert!(
        first.join("ext_app").is_dir() && first.join("ext_dep").is_dir(),
        "the package and its dependency"
    );
    let asked = upstream.requests();
    assert!(
        asked.iter().any(|p| p == "/simple/ext-dep/")
            && asked.iter().any(|p| p.starts_with("/files/ext_dep-")),
        "{asked:?}"
    );
    for repository in ["pypi-store", "app"] {
        assert_eq!(
            origins(h, &mock.url, repository, "pypi", "ext-dep"),
            [("1.0.0".to_owned(), "EXTERNAL".to_owned())],
            "{repository}"
        );
    }

    // A package group that blocks EXTERNAL_UPSTREAM: not asked of the upstream.
    let blocked = scratch.join("blocked/.keep");
    let refused = pip_install(h, blocked.parent().unwrap(), "ext-blocked==1.0.0");
    assert!(!refused.status.success(), "{}", text(&refused));
    // No token: 401 before anything is asked upstream.
    let before = upstream.requests().len();
    assert_eq!(
        without_token(
            &mock.url,
            "/d/test-domain-111122223333/us-east-1/pypi/app/simple/ext-other/"
        ),
        401
    );
    let after = upstream.requests();
    assert_eq!(after.len(), before, "nothing was asked upstream: {after:?}");
    assert!(
        !after.iter().any(|p| p.contains("ext-blocked")),
        "{after:?}"
    );

    // The upstream goes away: what was fetched is kept and installs again.
    upstream.stop();
    let again = scratch.join("again/.keep");
    ok(
        pip_install(h, again.parent().unwrap(), "ext-app==1.0.0"),
        "pip install with the upstream gone",
    );

    // uv, through a mock whose connection reads the wheelhouse folder.
    let offline = mock_with(
        &config,
        "public:pypi",
        &format!("file://{}", wheelhouse.display()),
        &[],
    );
    login(h, &offline.url, "pip");
    let index_url = pip_index_url(h);
    let uv_target = scratch.join("uv/.keep");
    let uv_target = uv_target.parent().unwrap().to_str().unwrap().to_owned();
    must(
        h,
        h,
        "uv",
        &[
            "pip",
            "install",
            "--no-cache",
            "--target",
            &uv_target,
            "--index-url",
            &index_url,
            "ext-app==1.0.0",
        ],
    );
    assert!(
        Path::new(&uv_target).join("ext_dep").is_dir(),
        "uv installed the dependency from the wheelhouse"
    );

    // An upstream that is not there: pip fails in time, the mock serves on.
    let closed = nowhere();
    let nowhere = mock_with(
        &config,
        "public:pypi",
        &closed,
        &["--external-connect-timeout-seconds", "2"],
    );
    login(h, &nowhere.url, "pip");
    let started = std::time::Instant::now();
    let failed = pip_install(
        h,
        scratch.join("nowhere/.keep").parent().unwrap(),
        "ext-app==1.0.0",
    );
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "in time"
    );
    assert!(alive(&nowhere.url), "the mock serves on");
}

/// The packument a registry serves for `name`, its tarball at `base/tarballs/FILE`.
fn packument(name: &str, tarball: &Path, base: &str) -> serde_json::Value {
    let bytes = std::fs::read(tarball).unwrap();
    let manifest = std::process::Command::new("python3")
        .args(["-c", "import sys, tarfile; print(tarfile.open(sys.argv[1]).extractfile('package/package.json').read().decode())"])
        .arg(tarball)
        .output()
        .unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&manifest.stdout).unwrap();
    let file = tarball.file_name().unwrap().to_str().unwrap();
    manifest["dist"] = serde_json::json!({
        "tarball": format!("{base}/tarballs/{file}"),
        "integrity": format!("sha512-{}", base64_simd::STANDARD.encode_to_string(sha2::Sha512::digest(&bytes))),
        "shasum": hex::encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &bytes)),
    });
    let version = manifest["version"].as_str().unwrap().to_owned();
    serde_json::json!({
        "name": name,
        "dist-tags": { "latest": version },
        "versions": { version.clone(): manifest },
        "time": { version: "2020-01-01T00:00:00.000Z" },
    })
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn npm_installs_a_package_and_its_dependency_through_public_npmjs_from_a_registry_and_from_tarballs(
) {
    let scratch = Scratch::new("external-npm");
    let h = scratch.0.as_path();
    let tarballs = scratch.join("registry/tarballs/.keep");
    let tarballs = tarballs.parent().unwrap();
    let registry = tarballs.parent().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    for (name, dependencies) in [
        ("ext-right", "{}"),
        ("ext-left", r#"{"ext-right": "^1.0.0"}"#),
        ("ext-blocked", "{}"),
    ] {
        let out = tarballs.join(format!("{name}-1.0.0.tgz"));
        must(
            h,
            h,
            "python3",
            &[
                "-c",
                MAKE_TARBALL,
                name,
                "1.0.0",
                dependencies,
                out.to_str().unwrap(),
            ],
        );
        std::fs::write(
            registry.join(name),
            packument(name, &out, &base).to_string(),
        )
        .unwrap();
    }
    let upstream = StaticServer::start_on(registry, port);
    let config = fixture(h);
    let mock = mock_with(&config, "public:npmjs", &base, &[]);

    login(h, &mock.url, "npm");
    let project = scratch.join("project/.keep");
    let project = project.parent().unwrap();
    std::fs::write(
        project.join("package.json"),
        r#"{"name": "project", "version": "1.0.0", "private": true}"#,
    )
    .unwrap();
    let install = [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-online",
        "ext-left",
    ];
    ok(
        run(h, project, EXAMPLE, "npm", &install),
        "npm install through public:npmjs",
    );
    assert!(
        project.join("node_modules/ext-left").is_dir()
            && project.join("node_modules/ext-right").is_dir(),
        "the package and its dependency"
    );
    assert!(
        upstream
            .requests()
            .iter()
            .any(|p| p == "/tarballs/ext-right-1.0.0.tgz"),
        "{:?}",
        upstream.requests()
    );
    assert_eq!(
        origins(h, &mock.url, "npm-store", "npm", "ext-right"),
        [("1.0.0".to_owned(), "EXTERNAL".to_owned())]
    );

    // A package group that blocks EXTERNAL_UPSTREAM, and a request without a token: nothing
    // is asked of the upstream.
    let before = upstream.requests().len();
    let blocked = run(
        h,
        project,
        EXAMPLE,
        "npm",
        &["install", "--no-audit", "--no-fund", "ext-blocked"],
    );
    assert!(!blocked.status.success(), "{}", text(&blocked));
    let app = "/d/test-domain-111122223333/us-east-1/npm/app";
    assert_eq!(without_token(&mock.url, &format!("{app}/ext-other")), 401);
    let after = upstream.requests();
    assert_eq!(after.len(), before, "nothing was asked upstream: {after:?}");

    // The upstream goes away; a clean install still works from what was kept.
    upstream.stop();
    fresh_npm_install(h, project, &install, "npm install with the upstream gone");

    // An upstream that is not there: npm fails in time, the mock serves on.
    let closed = nowhere();
    let nowhere = mock_with(
        &config,
        "public:npmjs",
        &closed,
        &["--external-connect-timeout-seconds", "2"],
    );
    login(h, &nowhere.url, "npm");
    let _ = std::fs::remove_dir_all(project.join("node_modules"));
    let _ = std::fs::remove_file(project.join("package-lock.json"));
    ok(
        run(h, project, EXAMPLE, "npm", &["cache", "clean", "--force"]),
        "npm cache clean",
    );
    let started = std::time::Instant::now();
    let failed = run(
        h,
        project,
        EXAMPLE,
        "npm",
        &[
            "install",
            "--no-audit",
            "--no-fund",
            "--fetch-retries",
            "0",
            "ext-left",
        ],
    );
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "in time"
    );
    assert!(alive(&nowhere.url), "the mock serves on");

    // A mock whose connection reads the folder of tarballs.
    let offline = mock_with(
        &config,
        "public:npmjs",
        &format!("file://{}", tarballs.display()),
        &[],
    );
    login(h, &offline.url, "npm");
    fresh_npm_install(
        h,
        project,
        &install,
        "npm install from the folder of tarballs",
    );
    assert!(project
        .join("node_modules/ext-right/package.json")
        .is_file());
}
