//! npm's metadata commands as CodeArtifact answers them, with the real npm: `deprecate` shows
//! in `npm view` (and `undeprecate`-style empty messages remove it), `unpublish` of a version
//! or of the package fails with a non-zero exit and leaves the package as it was, `dist-tag`
//! keeps working.

use super::{aws_ok, must, ok, run, text, Scratch, EXAMPLE};
use crate::util::*;

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn npm_deprecate_shows_in_npm_view_and_unpublish_fails_leaving_the_package() {
    let mock = MockProcess::start(&[]);
    let home = Scratch::new("npm-commands");
    let h = home.0.as_path();
    aws_ok(
        h,
        &mock.url,
        &[
            "login",
            "--tool",
            "npm",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
        ],
    );
    let package = home.join("deprecate-me/.keep");
    let package = package.parent().unwrap();
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "deprecate-me", "version": "1.0.0", "main": "index.js"}"#,
    )
    .unwrap();
    std::fs::write(package.join("index.js"), "module.exports = 1;\n").unwrap();
    must(h, package, "npm", &["publish"]);
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "deprecate-me", "version": "1.0.1", "main": "index.js"}"#,
    )
    .unwrap();
    must(h, package, "npm", &["publish"]);

    must(
        h,
        h,
        "npm",
        &["deprecate", "deprecate-me@1.0.0", "use 2.0.0"],
    );
    let view = must(h, h, "npm", &["view", "deprecate-me@1.0.0", "deprecated"]);
    assert_eq!(
        String::from_utf8_lossy(&view.stdout).trim(),
        "use 2.0.0",
        "{}",
        text(&view)
    );
    must(h, h, "npm", &["deprecate", "deprecate-me@1.0.0", ""]);
    let view = must(h, h, "npm", &["view", "deprecate-me@1.0.0", "deprecated"]);
    assert_eq!(
        String::from_utf8_lossy(&view.stdout).trim(),
        "",
        "an empty message removes it: {}",
        text(&view)
    );

    for args in [
        vec!["unpublish", "deprecate-me@1.0.0"],
        vec!["unpublish", "deprecate-me", "--force"],
    ] {
        let refused = run(h, h, EXAMPLE, "npm", &args);
        assert!(
            !refused.status.success(),
            "npm {args:?} must fail: {}",
            text(&refused)
        );
        assert!(text(&refused).contains("405"), "{}", text(&refused));
    }
    let versions = must(h, h, "npm", &["view", "deprecate-me", "versions", "--json"]);
    assert!(
        String::from_utf8_lossy(&versions.stdout).contains("1.0.0"),
        "nothing was removed: {}",
        text(&versions)
    );

    must(
        h,
        h,
        "npm",
        &["dist-tag", "add", "deprecate-me@1.0.0", "beta"],
    );
    let tags = ok(
        run(
            h,
            h,
            EXAMPLE,
            "npm",
            &["view", "deprecate-me", "dist-tags.beta"],
        ),
        "npm view dist-tags",
    );
    assert_eq!(String::from_utf8_lossy(&tags.stdout).trim(), "1.0.0");
}
