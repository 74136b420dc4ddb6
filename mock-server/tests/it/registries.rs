//! The package registries with the real package managers, in a throwaway HOME, as the issue
//! that built them says a user would: `aws codeartifact login --tool twine`, `twine upload`
//! of a wheel, `login --tool pip`, `pip install` of it (and `uv pip install`); `login --tool npm`, `npm publish`,
//! `npm install` in another folder; the package API lists both; the clock moved past the
//! token's expiry makes the next install fail with 401 and the challenge; a token of another
//! domain is refused; a restart with the same `--data-dir` and `--token-key-file` serves both
//! packages to the same token. cargo (`registries/cargo.rs`) and Maven (`registries/maven.rs`)
//! publish and build the same way. Real clients: `#[ignore]`d in a plain `cargo test`, run by
//! `just test` (the `registries::` cases of `just clients`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::*;

/// cargo with the user guide's credential provider.
mod cargo;
/// External connections with pip, uv and npm.
mod external;
/// Generic packages with both AWS CLIs.
mod generic;
/// SIGKILLs while twine, npm and the AWS CLI publish at once.
mod kill;
/// Maven with the user guide's settings.xml.
mod maven;
/// npm's deprecate, unpublish and dist-tag as CodeArtifact answers them.
mod npm;
/// Ruby gems with gem and Bundler.
mod ruby;
/// An upstream registry on loopback, and a fixture with external connections.
mod upstream;

/// A folder of its own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "codeartifact-registries-{}-{name}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn join(&self, part: &str) -> PathBuf {
        let path = self.0.join(part);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The AWS documentation's example key pair: the embedded fixture's identity of
/// 111122223333, allowed every CodeArtifact action.
const EXAMPLE: (&str, &str) = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
);
/// LocalStack's `test`/`test`: the embedded fixture's identity of 000000000000, whose
/// `test-domain` is another domain.
const LOCALSTACK: (&str, &str) = ("test", "test");

/// Runs `program args` in `dir` with `home` as HOME and nothing of this machine's AWS or
/// package-manager configuration.
fn run(home: &Path, dir: &Path, who: (&str, &str), program: &str, args: &[&str]) -> Output {
    run_with(home, dir, who, program, args, &[])
}

/// [`run`] with more environment variables.
fn run_with(
    home: &Path,
    dir: &Path,
    who: (&str, &str),
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "UTC")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env("AWS_ACCESS_KEY_ID", who.0)
        .env("AWS_SECRET_ACCESS_KEY", who.1)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false");
    for name in ["PYENV_ROOT", "PYENV_VERSION", "LANG"] {
        if let Ok(value) = std::env::var(name) {
            command.env(name, value);
        }
    }
    command
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{program}: cannot run: {e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(output: Output, what: &str) -> Output {
    assert!(output.status.success(), "{what}: {}", text(&output));
    output
}

/// `program args` as the example identity, which must succeed: its output.
fn must(home: &Path, dir: &Path, program: &str, args: &[&str]) -> Output {
    ok(
        run(home, dir, EXAMPLE, program, args),
        &format!("{program} {args:?}"),
    )
}

/// `aws codeartifact ARGS` (AWS CLI v1) against `url`.
fn aws(home: &Path, url: &str, who: (&str, &str), args: &[&str]) -> Output {
    let mut all = vec!["-m", "awscli", "--endpoint-url", url, "codeartifact"];
    all.extend_from_slice(args);
    run(home, home, who, "python3", &all)
}

/// `aws codeartifact ARGS` as the example identity, which must succeed: its output.
fn aws_ok(home: &Path, url: &str, args: &[&str]) -> Output {
    ok(
        aws(home, url, EXAMPLE, args),
        &format!("aws codeartifact {args:?}"),
    )
}

/// A token for `test-domain` of `who`'s account, from `aws codeartifact
/// get-authorization-token` (AWS CLI v1) at `url`.
fn token_of(home: &Path, url: &str, who: (&str, &str)) -> String {
    let args = [
        "get-authorization-token",
        "--domain",
        "test-domain",
        "--query",
        "authorizationToken",
        "--output",
        "text",
    ];
    let output = ok(aws(home, url, who, &args), "get-authorization-token");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A tiny pure-Python wheel of NAME VERSION in OUT_DIR, requiring the comma-separated
/// REQUIRES (optional), built with the standard library; prints its path.
const MAKE_WHEEL: &str = r#"
import base64, hashlib, sys, zipfile
name, version, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
requires = "".join(f"Requires-Dist: {r}\n" for r in (sys.argv[4] if len(sys.argv) > 4 else "").split(",") if r)
dist = name.replace("-", "_")
files = {
    f"{dist}/__init__.py": f"VERSION = {version!r}\n",
    f"{dist}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A tiny test package\nRequires-Python: >=3.8\n{requires}\nHello.\n",
    f"{dist}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: codeartifact-mock-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = f"{dist}-{version}.dist-info/RECORD"
lines = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    lines.append(f"{path},sha256={digest},{len(text.encode())}")
lines.append(f"{record},,")
files[record] = "\n".join(lines) + "\n"
out = f"{out_dir}/{dist}-{version}-py3-none-any.whl"
with zipfile.ZipFile(out, "w") as z:
    for path, text in files.items():
        z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), text)
print(out)
"#;

/// The endpoint `get-repository-endpoint` gives for `repository` of test-domain and `format`.
fn endpoint_of(home: &Path, url: &str, repository: &str, format: &str) -> String {
    let args = [
        "get-repository-endpoint",
        "--domain",
        "test-domain",
        "--domain-owner",
        "111122223333",
        "--repository",
        repository,
        "--format",
        format,
        "--query",
        "repositoryEndpoint",
        "--output",
        "text",
    ];
    String::from_utf8_lossy(&aws_ok(home, url, &args).stdout)
        .trim()
        .to_owned()
}

/// `list-package-versions` of `package` (`group:artifact` for Maven) in `repository` of
/// test-domain, as JSON.
fn list_versions(
    home: &Path,
    url: &str,
    repository: &str,
    format: &str,
    package: &str,
) -> serde_json::Value {
    let mut args = vec![
        "list-package-versions",
        "--domain",
        "test-domain",
        "--repository",
        repository,
        "--format",
        format,
    ];
    match package.split_once(':') {
        Some((namespace, name)) => args.extend(["--namespace", namespace, "--package", name]),
        None => args.extend(["--package", package]),
    }
    serde_json::from_slice(&aws_ok(home, url, &args).stdout).unwrap()
}

/// The index URL `login --tool pip` wrote, token included.
fn pip_index_url(home: &Path) -> String {
    let output = ok(
        run(
            home,
            home,
            EXAMPLE,
            "pip",
            &["config", "get", "global.index-url"],
        ),
        "pip config",
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn pip_twine_and_npm_publish_install_and_survive_a_restart_through_the_mocks_tokens() {
    let data = Scratch::new("data");
    let key_file = data.join("token.key");
    let state = data.join("state");
    let args = [
        "--data-dir",
        state.to_str().unwrap(),
        "--token-key-file",
        key_file.to_str().unwrap(),
    ];
    let mock = MockProcess::start(&args);
    let home = Scratch::new("home");
    let h = home.0.as_path();
    let url = mock.url.clone();

    // Python: twine uploads a wheel, pip installs it.
    let dist = home.join("dist/.keep");
    let dist = dist.parent().unwrap();
    let wheel = must(
        h,
        h,
        "python3",
        &[
            "-c",
            MAKE_WHEEL,
            "hello-mock",
            "1.0.0",
            dist.to_str().unwrap(),
        ],
    );
    let wheel = String::from_utf8_lossy(&wheel.stdout).trim().to_owned();
    aws_ok(
        h,
        &url,
        &[
            "login",
            "--tool",
            "twine",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
        ],
    );
    let twine_upload = [
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository",
        "codeartifact",
        &wheel,
    ];
    let uploaded = must(h, h, "twine", &twine_upload);
    assert!(
        text(&uploaded).contains("hello_mock-1.0.0-py3-none-any.whl"),
        "{}",
        text(&uploaded)
    );
    let again = run(h, h, EXAMPLE, "twine", &twine_upload);
    assert!(
        !again.status.success(),
        "the same file twice: {}",
        text(&again)
    );
    assert!(text(&again).contains("409"), "{}", text(&again));
    aws_ok(
        h,
        &url,
        &[
            "login",
            "--tool",
            "pip",
            "--domain",
            "test-domain",
            "--repository",
            "test-repo",
        ],
    );
    let target = home.join("site/.keep");
    let target = target.parent().unwrap().to_str().unwrap().to_owned();
    // Through test-repo, whose upstream is my-repo.
    must(
        h,
        h,
        "pip",
        &[
            "install",
            "--no-deps",
            "--target",
            &target,
            "hello-mock==1.0.0",
        ],
    );
    let imported = ok(
        Command::new("python3")
            .args(["-c", "import hello_mock; print(hello_mock.VERSION)"])
            .env("PYTHONPATH", &target)
            .output()
            .unwrap(),
        "import",
    );
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "1.0.0");
    // uv, with the same index URL (it asks for the JSON form of the simple API).
    let uv_target = home.join("uv/.keep");
    let uv_target = uv_target.parent().unwrap().to_str().unwrap().to_owned();
    let index = pip_index_url(h);
    must(
        h,
        h,
        "uv",
        &[
            "pip",
            "install",
            "--no-cache",
            "--no-deps",
            "--target",
            &uv_target,
            "--index-url",
            &index,
            "hello-mock==1.0.0",
        ],
    );
    assert!(Path::new(&uv_target)
        .join("hello_mock/__init__.py")
        .exists());

    // npm: publish a scoped package, install it in another folder.
    aws_ok(
        h,
        &url,
        &[
            "login",
            "--tool",
            "npm",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
            "--namespace",
            "acme",
        ],
    );
    let lib = home.join("lib/package.json");
    std::fs::write(
        &lib,
        r#"{"name": "@acme/hello-mock", "version": "1.0.0", "description": "A tiny test package", "main": "index.js", "license": "MIT"}"#,
    )
    .unwrap();
    let lib = lib.parent().unwrap();
    std::fs::write(
        lib.join("index.js"),
        "module.exports = 'hello from the mock';\n",
    )
    .unwrap();
    must(h, lib, "npm", &["publish"]);
    let app = home.join("app/package.json");
    std::fs::write(
        &app,
        r#"{"name": "app", "version": "1.0.0", "private": true}"#,
    )
    .unwrap();
    let app = app.parent().unwrap();
    must(h, app, "npm", &["install", "@acme/hello-mock@1.0.0"]);
    let required = must(
        h,
        app,
        "node",
        &["-e", "console.log(require('@acme/hello-mock'))"],
    );
    assert_eq!(
        String::from_utf8_lossy(&required.stdout).trim(),
        "hello from the mock"
    );
    let viewed = must(h, app, "npm", &["view", "@acme/hello-mock", "version"]);
    assert_eq!(String::from_utf8_lossy(&viewed.stdout).trim(), "1.0.0");

    // The package API lists both, with their versions and files.
    let listed = aws_ok(
        h,
        &url,
        &[
            "list-packages",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
        ],
    );
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let names: Vec<(String, String)> = listed["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["format"].as_str().unwrap().to_owned(),
                p["package"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Both published packages, beside the fixture's seeded mock-hello of each format it seeds.
    let has = |format: &str, name: &str| names.iter().any(|(f, n)| f == format && n == name);
    assert!(
        has("npm", "hello-mock") && has("pypi", "hello-mock"),
        "{names:?}"
    );
    let seeded = ["pypi", "npm", "ruby", "swift"];
    assert!(seeded.iter().all(|f| has(f, "mock-hello")), "{names:?}");
    assert_eq!(names.len(), 2 + seeded.len(), "{names:?}");
    let assets = aws_ok(
        h,
        &url,
        &[
            "list-package-version-assets",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
            "--format",
            "npm",
            "--namespace",
            "acme",
            "--package",
            "hello-mock",
            "--package-version",
            "1.0.0",
        ],
    );
    let assets: serde_json::Value = serde_json::from_slice(&assets.stdout).unwrap();
    assert_eq!(assets["assets"][0]["name"], "package.tgz");

    // A token of another domain (test-domain of 000000000000) is refused here.
    let foreign = token_of(h, &url, LOCALSTACK);
    let index = pip_index_url(h);
    let own_token = index
        .split("aws:")
        .nth(1)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let foreign_index = index.replace(&own_token, &foreign);
    let refused = run(
        h,
        h,
        EXAMPLE,
        "pip",
        &[
            "download",
            "--no-deps",
            "-d",
            &target,
            "--index-url",
            &foreign_index,
            "hello-mock==1.0.0",
        ],
    );
    assert!(!refused.status.success(), "{}", text(&refused));

    // Past the token's expiry by the server's clock, the next install fails with the challenge.
    let (status, _) = control_http(&url, "PUT", "/_mock/clock", r#"{"offset_seconds": 46800}"#);
    assert_eq!(status, 200, "13 hours ahead");
    let expired = run(
        h,
        app,
        EXAMPLE,
        "npm",
        &[
            "install",
            "--prefer-online",
            "--no-package-lock",
            "@acme/hello-mock@1.0.0",
        ],
    );
    assert!(!expired.status.success());
    // npm's words for a 401 whose challenge offers Bearer (CodeArtifact's).
    assert!(
        text(&expired).contains("E401") && text(&expired).contains("Unable to authenticate"),
        "{}",
        text(&expired)
    );
    let expired = run(
        h,
        h,
        EXAMPLE,
        "pip",
        &[
            "download",
            "--no-deps",
            "--no-cache-dir",
            "-d",
            &target,
            "hello-mock==1.0.0",
        ],
    );
    assert!(!expired.status.success(), "{}", text(&expired));
    assert!(mock.logs().contains("status=401"), "{}", mock.logs());

    // A restart with the same data folder and key: the same token still opens both.
    assert_eq!(mock.terminate(), Some(0));
    let restarted = MockProcess::start(&args);
    let new_index = index.replace(
        url.trim_start_matches("http://"),
        restarted.url.trim_start_matches("http://"),
    );
    let fetched = home.join("again/.keep");
    let fetched = fetched.parent().unwrap().to_str().unwrap().to_owned();
    must(
        h,
        h,
        "pip",
        &[
            "download",
            "--no-deps",
            "--no-cache-dir",
            "-d",
            &fetched,
            "--index-url",
            &new_index,
            "hello-mock==1.0.0",
        ],
    );
    assert!(Path::new(&fetched)
        .join("hello_mock-1.0.0-py3-none-any.whl")
        .exists());
    let registry = format!(
        "{}/d/test-domain-111122223333/us-east-1/npm/my-repo/",
        restarted.url
    );
    let auth = format!(
        "--{}:_authToken={own_token}",
        registry.trim_start_matches("http:")
    );
    let fresh = home.join("fresh/package.json");
    std::fs::write(
        &fresh,
        r#"{"name": "fresh", "version": "1.0.0", "private": true}"#,
    )
    .unwrap();
    let fresh = fresh.parent().unwrap();
    must(
        h,
        fresh,
        "npm",
        &[
            "install",
            "--no-package-lock",
            "--prefer-online",
            &format!("--@acme:registry={registry}"),
            &auth,
            "@acme/hello-mock@1.0.0",
        ],
    );
    assert!(fresh
        .join("node_modules/@acme/hello-mock/index.js")
        .exists());
}
