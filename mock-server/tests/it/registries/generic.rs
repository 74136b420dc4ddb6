//! Generic packages with the AWS CLIs, as the user guide publishes one: `publish-package-version`
//! with `--asset-sha256` (each asset `--unfinished` but the last), then
//! `list-package-version-assets` and `get-package-version-asset` into an outfile; AWS CLI v1
//! (pip) publishes, AWS CLI v2 (Debian) reads back.

use std::process::Command;

use sha2::Digest;

use super::{aws, ok, text, Scratch, EXAMPLE};
use crate::util::*;

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn the_aws_clis_publish_and_download_a_generic_package_asset_by_asset() {
    let mock = MockProcess::start(&[]);
    let url = mock.url.clone();
    let home = Scratch::new("generic");
    let h = home.0.as_path();
    let archive = home.join("asset.tar.gz");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&archive, &content).unwrap();
    let notes = home.join("NOTES.txt");
    std::fs::write(&notes, "release notes\n").unwrap();
    // publish-package-version of `file` as `name` of 1.0.0 or another version, its hash or
    // another one given, with or without --unfinished: the CLI's output.
    let publish =
        |file: &std::path::Path, name: &str, version: &str, sha: Option<&str>, unfinished: bool| {
            let computed = hex::encode(sha2::Sha256::digest(std::fs::read(file).unwrap()));
            let mut args = vec![
                "publish-package-version",
                "--domain",
                "test-domain",
                "--repository",
                "my-repo",
                "--format",
                "generic",
                "--namespace",
                "my-ns",
                "--package",
                "my-package",
                "--package-version",
                version,
                "--asset-content",
                file.to_str().unwrap(),
                "--asset-name",
                name,
                "--asset-sha256",
                sha.unwrap_or(&computed),
            ];
            if unfinished {
                args.push("--unfinished");
            }
            aws(h, &url, EXAMPLE, &args)
        };
    let published = |output: std::process::Output| {
        serde_json::from_slice::<serde_json::Value>(&ok(output, "publish-package-version").stdout)
            .unwrap()
    };
    assert_eq!(
        published(publish(&archive, "asset.tar.gz", "1.0.0", None, true))["status"],
        "Unfinished"
    );
    assert_eq!(
        published(publish(&notes, "NOTES.txt", "1.0.0", None, false))["status"],
        "Published"
    );

    // A wrong hash is refused before anything is stored.
    let wrong = publish(&notes, "NOTES.txt", "2.0.0", Some(&"0".repeat(64)), false);
    assert!(!wrong.status.success(), "{}", text(&wrong));

    // AWS CLI v2 reads it back.
    let v2 = |args: &[&str]| {
        let mut all = vec!["--endpoint-url", url.as_str(), "codeartifact"];
        all.extend_from_slice(args);
        ok(
            Command::new("/usr/bin/aws")
                .args(&all)
                .current_dir(h)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("HOME", h)
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .env("AWS_ACCESS_KEY_ID", EXAMPLE.0)
                .env("AWS_SECRET_ACCESS_KEY", EXAMPLE.1)
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env("AWS_PAGER", "")
                .output()
                .unwrap(),
            &format!("aws (v2) {args:?}"),
        )
    };
    // The version's coordinates, as both commands name it.
    let version = [
        "--domain",
        "test-domain",
        "--repository",
        "my-repo",
        "--format",
        "generic",
        "--namespace",
        "my-ns",
        "--package",
        "my-package",
        "--package-version",
        "1.0.0",
    ];
    let assets = v2(&[&["list-package-version-assets"][..], &version].concat());
    let assets: serde_json::Value = serde_json::from_slice(&assets.stdout).unwrap();
    let names: Vec<&str> = assets["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["NOTES.txt", "asset.tar.gz"]);
    let out = home.join("downloaded.tar.gz");
    let got = v2(&[
        &["get-package-version-asset"][..],
        &version,
        &["--asset", "asset.tar.gz", out.to_str().unwrap()],
    ]
    .concat());
    let got: serde_json::Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(got["assetName"], "asset.tar.gz");
    assert_eq!(std::fs::read(&out).unwrap(), content);
}
