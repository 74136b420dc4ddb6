use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

pub(crate) fn conformance() -> Command {
    Command::cargo_bin("codeartifact-conformance").expect("binary built")
}

pub(crate) fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// `--client` for the broken boto3 client with one bug.
pub(crate) fn broken(bug: &str) -> String {
    format!(
        "python3 {} {bug}",
        tests_dir()
            .join("broken-clients/broken_client.py")
            .display()
    )
}

/// Runs `codeartifact-conformance run` with these arguments.
pub(crate) fn run(args: &[&str]) -> Output {
    conformance()
        .arg("run")
        .args(args)
        .output()
        .expect("conformance runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The console line of a scenario.
pub(crate) fn line_of<'a>(stdout: &'a str, scenario: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|name| name.trim_end_matches(':') == scenario)
        })
        .unwrap_or_else(|| panic!("no line for {scenario} in:\n{stdout}"))
}
