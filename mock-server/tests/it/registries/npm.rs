//! npm's metadata commands as CodeArtifact answers them, with the real npm: `deprecate` shows
//! in `npm view` (and `undeprecate`-style empty messages remove it), `unpublish` of a version
//! or of the package fails with a non-zero exit and leaves the package as it was, `dist-tag`
//! keeps working. pnpm (from the npm registry) the same; Yarn 4 (through corepack, prepared
//! by `just prepare-clients`) installs a seeded package under its default age gate.

use std::path::Path;

use super::{aws_ok, must, ok, run, run_with, text, Scratch, EXAMPLE};
use crate::util::*;

/// `aws codeartifact login --tool npm` for `my-repo` of test-domain in the HOME `h`, then a
/// package folder `name` with `package.json` at `version`.
fn npm_package(h: &Path, url: &str, name: &str, version: &str) -> std::path::PathBuf {
    let login = [
        "login",
        "--tool",
        "npm",
        "--domain",
        "test-domain",
        "--repository",
        "my-repo",
    ];
    aws_ok(h, url, &login);
    let package = h.join(name);
    std::fs::create_dir_all(&package).unwrap();
    set_version(&package, name, version);
    std::fs::write(package.join("index.js"), "module.exports = 1;\n").unwrap();
    package
}

fn set_version(package: &Path, name: &str, version: &str) {
    let manifest = format!(r#"{{"name": "{name}", "version": "{version}", "main": "index.js"}}"#);
    std::fs::write(package.join("package.json"), manifest).unwrap();
}

/// With `tool` (npm, or pnpm, which hands these commands to npm): `name` 1.0.0 and 1.0.1
/// published, 1.0.0 deprecated and `npm view` showing it, both forms of `unpublish` failing
/// with CodeArtifact's 405 and every version still there. Answers the mock and the HOME.
fn deprecate_then_unpublish(tool: &str, name: &str, publish: &[&str]) -> (MockProcess, Scratch) {
    let mock = MockProcess::start(&[]);
    let home = Scratch::new(&format!("{tool}-commands"));
    let h = home.0.as_path();
    let package = npm_package(h, &mock.url, name, "1.0.0");
    must(h, &package, tool, publish);
    set_version(&package, name, "1.0.1");
    must(h, &package, tool, publish);

    let release = format!("{name}@1.0.0");
    must(h, h, tool, &["deprecate", &release, "use 1.0.1"]);
    let view = must(h, h, "npm", &["view", &release, "deprecated"]);
    assert_eq!(
        String::from_utf8_lossy(&view.stdout).trim(),
        "use 1.0.1",
        "{}",
        text(&view)
    );
    for args in [
        vec!["unpublish", release.as_str()],
        vec!["unpublish", name, "--force"],
    ] {
        let refused = run(h, h, EXAMPLE, tool, &args);
        assert!(
            !refused.status.success() && text(&refused).contains("405"),
            "{tool} {args:?} must fail: {}",
            text(&refused)
        );
    }
    let versions = must(h, h, "npm", &["view", name, "versions", "--json"]);
    let listed = String::from_utf8_lossy(&versions.stdout);
    assert!(
        listed.contains("1.0.0") && listed.contains("1.0.1"),
        "nothing was removed: {listed}"
    );
    (mock, home)
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn npm_deprecate_shows_in_npm_view_and_unpublish_fails_leaving_the_package() {
    let (_mock, home) = deprecate_then_unpublish("npm", "deprecate-me", &["publish"]);
    let h = home.0.as_path();
    must(h, h, "npm", &["deprecate", "deprecate-me@1.0.0", ""]);
    let view = must(h, h, "npm", &["view", "deprecate-me@1.0.0", "deprecated"]);
    assert_eq!(
        String::from_utf8_lossy(&view.stdout).trim(),
        "",
        "an empty message removes it: {}",
        text(&view)
    );
    must(
        h,
        h,
        "npm",
        &["dist-tag", "add", "deprecate-me@1.0.0", "beta"],
    );
    let tags = must(h, h, "npm", &["view", "deprecate-me", "dist-tags.beta"]);
    assert_eq!(String::from_utf8_lossy(&tags.stdout).trim(), "1.0.0");
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn pnpm_deprecate_shows_and_unpublish_fails_leaving_the_package() {
    deprecate_then_unpublish("pnpm", "pnpm-made", &["publish", "--no-git-checks"]);
}

/// Where `just prepare-clients` put Yarn 4 for corepack (`corepack install -g yarn@4...`).
fn corepack_home() -> String {
    std::env::var("CODEARTIFACT_MOCK_COREPACK_HOME").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../conformance/clients/corepack")
            .to_string_lossy()
            .into_owned()
    })
}

/// The Yarn 4 `just prepare-clients` installs.
const YARN: &str = "yarn@4.18.1";

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn yarn_4_installs_a_seeded_package_under_its_default_age_gate_and_holds_back_a_fresh_one() {
    let mock = MockProcess::start(&[]);
    let home = Scratch::new("yarn4");
    let h = home.0.as_path();
    // A version published now, to see Yarn's age gate at work beside the seeded one.
    let fresh = npm_package(h, &mock.url, "fresh-made", "1.0.0");
    must(h, &fresh, "npm", &["publish"]);
    let token = super::token_of(h, &mock.url, EXAMPLE);
    let endpoint = super::endpoint_of(h, &mock.url, "my-repo", "npm");
    let app = h.join("app");
    std::fs::create_dir_all(&app).unwrap();
    // docs/registries.md's Yarn 4 set-up: plain HTTP on loopback needs `unsafeHttpWhitelist`;
    // the age gate (`npmMinimalAgeGate`, a day by default) is left as it is.
    std::fs::write(
        app.join(".yarnrc.yml"),
        format!("npmRegistryServer: \"{endpoint}\"\nnpmAlwaysAuth: true\nnpmAuthToken: \"{token}\"\nunsafeHttpWhitelist:\n  - \"127.0.0.1\"\nnodeLinker: node-modules\nenableTelemetry: false\nenableGlobalCache: false\n"),
    )
    .unwrap();
    let manifest = |dependencies: &str| {
        format!(
            r#"{{"name": "app", "version": "1.0.0", "packageManager": "{YARN}", "dependencies": {{{dependencies}}}}}"#
        )
    };
    std::fs::write(
        app.join("package.json"),
        manifest(r#""mock-hello": "^1.0.0""#),
    )
    .unwrap();
    let corepack = corepack_home();
    let env = [
        ("COREPACK_HOME", corepack.as_str()),
        ("COREPACK_ENABLE_NETWORK", "0"),
        ("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
        ("COREPACK_ENABLE_STRICT", "0"),
    ];
    let yarn = |args: &[&str]| {
        let mut all = vec!["yarn"];
        all.extend_from_slice(args);
        run_with(h, &app, EXAMPLE, "corepack", &all, &env)
    };
    let version = ok(
        yarn(&["--version"]),
        "corepack yarn --version (run `just prepare-clients`)",
    );
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("4."),
        "{}",
        text(&version)
    );
    let gate = ok(
        yarn(&["config", "get", "npmMinimalAgeGate"]),
        "yarn config get",
    );
    assert_ne!(
        String::from_utf8_lossy(&gate.stdout).trim(),
        "0",
        "the default age gate is on: {}",
        text(&gate)
    );
    ok(yarn(&["install"]), "yarn install of the seeded mock-hello");
    let hello = must(
        h,
        &app,
        "node",
        &["-e", "console.log(require('mock-hello'))"],
    );
    assert_eq!(
        String::from_utf8_lossy(&hello.stdout).trim(),
        "hello from codeartifact-mock"
    );

    // A version published a moment ago is younger than the gate: Yarn holds it back.
    std::fs::write(
        app.join("package.json"),
        manifest(r#""mock-hello": "^1.0.0", "fresh-made": "1.0.0""#),
    )
    .unwrap();
    let held = yarn(&["install"]);
    assert!(
        !held.status.success()
            && text(&held).contains(
                "fresh-made@npm:1.0.0: All versions satisfying \"1.0.0\" are quarantined"
            ),
        "{}",
        text(&held)
    );
}
