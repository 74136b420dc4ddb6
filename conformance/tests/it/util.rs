use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

pub(crate) fn conformance() -> Command {
    Command::cargo_bin("codeartifact-conformance").expect("binary built")
}

/// `--client` for the fake AWS client (Rust, built with this crate): it conforms.
pub(crate) fn fake() -> String {
    env!("CARGO_BIN_EXE_fake-aws-client").to_owned()
}

/// `--client` for the fake AWS client with one deliberate bug.
pub(crate) fn broken(bug: &str) -> String {
    format!("{} --bug {bug}", fake())
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
