use std::path::Path;

use crate::util::*;

fn scenario_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn list_prints_one_scenario_a_line() {
    let output = conformance().arg("list").output().unwrap();
    assert!(output.status.success());
    let listed: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(listed, scenario_files());
    assert!(listed.len() >= 25, "{} scenarios", listed.len());
}

#[test]
fn reports_are_written_as_junit_and_json() {
    let dir = std::env::temp_dir().join(format!("conformance-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (junit, json) = (dir.join("report.xml"), dir.join("report.json"));
    let output = run(&[
        "--client",
        "boto3",
        "--filter",
        "duration-m*",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).trim_end().ends_with("2 passed, 0 failed"));

    // A standard parser reads the JUnit report.
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find('testsuite')
cases = sorted(c.get('name') for c in suite.findall('testcase'))
print(root.tag, suite.get('name'), suite.get('tests'), suite.get('failures'), ','.join(cases))
"#;
    let parsed = std::process::Command::new("python3")
        .args(["-c", script, junit.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        "testsuites boto3 2 0 duration-maximum,duration-minimum",
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        (
            report["client"].as_str(),
            report["passed"].as_u64(),
            report["failed"].as_u64()
        ),
        (Some("boto3"), Some(2), Some(0))
    );
    assert_eq!(report["cases"][0]["outcome"], "pass");
    assert_eq!(
        report["cases"][0]["requests"][0]["query"]["duration"],
        "43200"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn options_only_the_aws_cli_has_are_not_applicable_to_sdk_clients() {
    let output = run(&["--client", "boto3", "--filter", "query-token-text"]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(
        out.contains("N/A query-token-text: uses options only the AWS CLI has"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("0 passed, 0 failed"));
}

#[test]
fn a_known_deviation_that_now_conforms_fails_the_run() {
    let file = std::env::temp_dir().join(format!("deviations-{}.toml", std::process::id()));
    std::fs::write(
        &file,
        "[boto3]\ndefault-duration = \"thought to be broken\"\n",
    )
    .unwrap();
    let output = run(&[
        "--client",
        "boto3",
        "--filter",
        "default-duration",
        "--known-deviations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(line_of(&out, "default-duration").contains("listed in known-deviations.toml for boto3 (thought to be broken), but the client now conforms: remove the entry"), "{out}");

    std::fs::write(&file, "[boto3]\nno-such-scenario = \"x\"\n").unwrap();
    let output = run(&[
        "--client",
        "boto3",
        "--known-deviations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(
        "known deviations list `no-such-scenario` for boto3, but there is no such scenario"
    ));
    let _ = std::fs::remove_file(file);
}

#[test]
fn the_harness_exits_2_when_it_cannot_run() {
    for (args, message) in [
        (
            vec!["--client", "boto3", "--scenarios", "/nonexistent"],
            "cannot read the scenario folder",
        ),
        (
            vec!["--client", "boto3", "--filter", "no-such-scenario"],
            "no scenario matches --filter",
        ),
        (
            vec!["--client", "/nonexistent/aws"],
            "cannot run /nonexistent/aws",
        ),
    ] {
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stdout(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            stderr(&output).trim_end().lines().count(),
            1,
            "{}",
            stderr(&output)
        );
    }
}
