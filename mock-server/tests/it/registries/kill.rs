//! `--data-dir` under the real tools: twine, npm and AWS CLI v1 publish at the same time, one
//! package after another, and the server is killed (SIGKILL) at a moment nobody chose; three
//! times on the same folder. After each kill the database passes its integrity check and
//! holds every publish a tool reported as done (exit 0), and a restarted mock serves them.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use codeartifact_mock::packages::{PackageId, RepositoryKey};
use rand::Rng;
use sha2::Digest;

use super::{aws, run_with, Scratch, EXAMPLE, MAKE_WHEEL};
use crate::durability::read_folder;
use crate::util::*;

/// A tool that publishes, and what its publish number `i` of round `round` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Twine,
    Npm,
    AwsCli,
}

impl Tool {
    fn name(self, round: u32, i: u32) -> String {
        format!("kill-{}-{round}-{i}", format!("{self:?}").to_lowercase())
    }

    fn published(self, round: u32, i: u32) -> (PackageId, &'static str) {
        let name = self.name(round, i);
        match self {
            Self::Twine => (PackageId::pypi(&name), "1.0.0"),
            Self::Npm => (PackageId::npm(&name), "1.0.0"),
            Self::AwsCli => (PackageId::named("generic", "kill", &name), "1.0"),
        }
    }

    /// Logs the tool in (twine and npm), in its own HOME.
    fn log_in(self, home: &Path, url: &str) {
        let tool = match self {
            Self::Twine => "twine",
            Self::Npm => "npm",
            Self::AwsCli => return,
        };
        let login = aws(
            home,
            url,
            EXAMPLE,
            &[
                "login",
                "--tool",
                tool,
                "--domain",
                "test-domain",
                "--repository",
                "my-repo",
            ],
        );
        assert!(
            login.status.success(),
            "login --tool {tool}: {}",
            super::text(&login)
        );
    }

    /// Publishes number `i`: whether the tool reported success. No tool retries: once the
    /// server is gone, the next publish fails at once instead of backing off for a minute.
    fn publish(self, home: &Path, url: &str, round: u32, i: u32) -> bool {
        let fail_fast = [
            ("npm_config_fetch_retries", "0"),
            ("AWS_MAX_ATTEMPTS", "1"),
            ("AWS_RETRY_MODE", "standard"),
        ];
        let run = |dir: &Path, program: &str, args: &[&str]| {
            run_with(home, dir, EXAMPLE, program, args, &fail_fast)
        };
        let name = self.name(round, i);
        let folder = home.join(&name);
        std::fs::create_dir_all(&folder).unwrap();
        let output = match self {
            Self::Twine => {
                let built = run(
                    home,
                    "python3",
                    &["-c", MAKE_WHEEL, &name, "1.0.0", folder.to_str().unwrap()],
                );
                let wheel = String::from_utf8_lossy(&built.stdout).trim().to_owned();
                run(
                    home,
                    "twine",
                    &[
                        "upload",
                        "--non-interactive",
                        "--disable-progress-bar",
                        "--repository",
                        "codeartifact",
                        &wheel,
                    ],
                )
            }
            Self::Npm => {
                std::fs::write(
                    folder.join("package.json"),
                    format!(r#"{{"name": "{name}", "version": "1.0.0", "license": "MIT"}}"#),
                )
                .unwrap();
                std::fs::write(
                    folder.join("index.js"),
                    format!("module.exports = '{name}';\n"),
                )
                .unwrap();
                run(&folder, "npm", &["publish"])
            }
            Self::AwsCli => {
                let file = folder.join("asset.txt");
                std::fs::write(&file, format!("{name}\n")).unwrap();
                let sha = hex::encode(sha2::Sha256::digest(std::fs::read(&file).unwrap()));
                run(
                    home,
                    "python3",
                    &[
                        "-m",
                        "awscli",
                        "--endpoint-url",
                        url,
                        "codeartifact",
                        "publish-package-version",
                        "--domain",
                        "test-domain",
                        "--repository",
                        "my-repo",
                        "--format",
                        "generic",
                        "--namespace",
                        "kill",
                        "--package",
                        &name,
                        "--package-version",
                        "1.0",
                        "--asset-content",
                        file.to_str().unwrap(),
                        "--asset-name",
                        "asset.txt",
                        "--asset-sha256",
                        &sha,
                    ],
                )
            }
        };
        output.status.success()
    }
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn a_kill_while_twine_npm_and_the_aws_cli_publish_loses_nothing_they_were_told_succeeded() {
    let data = Scratch::new("kill-data");
    let state = data.join("state");
    let key = data.join("token.key");
    let args = [
        "--data-dir",
        state.to_str().unwrap(),
        "--token-key-file",
        key.to_str().unwrap(),
    ];
    let tools = [Tool::Twine, Tool::Npm, Tool::AwsCli];
    let mut done: Vec<(Tool, u32, u32)> = Vec::new();
    let mut rng = rand::thread_rng();
    for round in 0..3 {
        let mock = MockProcess::start(&args);
        // Publishes each tool has had acknowledged this round.
        let acknowledged: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
        let publishers: Vec<_> = tools
            .into_iter()
            .enumerate()
            .map(|(index, tool)| {
                let (url, acknowledged) = (mock.url.clone(), Arc::clone(&acknowledged));
                std::thread::spawn(move || {
                    let home = Scratch::new(&format!("kill-{tool:?}"));
                    tool.log_in(&home.0, &url);
                    let mut done = Vec::new();
                    for i in 0..1000 {
                        if !tool.publish(&home.0, &url, round, i) {
                            break;
                        }
                        done.push((tool, round, i));
                        acknowledged[index].fetch_add(1, Ordering::SeqCst);
                    }
                    done
                })
            })
            .collect();
        // Once every tool has published, at a moment nobody chose.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while acknowledged.iter().any(|a| a.load(Ordering::SeqCst) == 0)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..1500)));
        let killed = Command::new("kill")
            .args(["-KILL", &mock.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        done.extend(publishers.into_iter().flat_map(|p| p.join().unwrap()));
        drop(mock);
        let registry = read_folder(&state);
        let my_repo = RepositoryKey::new("111122223333", "test-domain", "us-east-1", "my-repo");
        for (tool, round, i) in &done {
            let (id, version) = tool.published(*round, *i);
            let kept = registry
                .packages
                .package(&my_repo, &id)
                .is_some_and(|p| p.versions.contains_key(version));
            assert!(
                kept,
                "{tool:?} was told {} {version} was published, and it was lost",
                id.full_name()
            );
        }
    }
    for tool in tools {
        let rounds = (0..3)
            .filter(|r| done.iter().any(|(t, round, _)| *t == tool && round == r))
            .count();
        assert_eq!(rounds, 3, "{tool:?} published in every round: {done:?}");
    }
    // The restarted mock serves what the tools published.
    let mock = MockProcess::start(&args);
    let home = Scratch::new("kill-check");
    let listed = aws(
        &home.0,
        &mock.url,
        EXAMPLE,
        &[
            "list-packages",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
        ],
    );
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for (tool, round, i) in &done {
        assert!(
            listed.contains(&tool.name(*round, *i)),
            "{tool:?} {round} {i} is not listed"
        );
    }
}
