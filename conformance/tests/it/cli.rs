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
        &fake(),
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

    // The JUnit report: one suite named after the client, a test case per scenario.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "),
        "{xml}"
    );
    let suite = format!(
        "<testsuite name=\"{}\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\"",
        fake()
    );
    assert!(xml.contains(&suite), "{xml}");
    for case in ["duration-maximum", "duration-minimum"] {
        assert!(xml.contains(&format!("<testcase name=\"{case}\"")), "{xml}");
    }
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert!(
        xml.trim_end().ends_with("</testsuite>\n</testsuites>"),
        "{xml}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        (
            report["client"].as_str(),
            report["passed"].as_u64(),
            report["failed"].as_u64()
        ),
        (Some(fake().as_str()), Some(2), Some(0))
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
    let output = run(&["--client", &fake(), "--filter", "query-token-text"]);
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
    // A command-line client is known by its command line.
    let client = fake();
    std::fs::write(
        &file,
        format!("[{client:?}]\ndefault-duration = \"thought to be broken\"\n"),
    )
    .unwrap();
    let output = run(&[
        "--client",
        &client,
        "--filter",
        "default-duration",
        "--known-deviations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(line_of(&out, "default-duration").contains(&format!("listed in known-deviations.toml for {client} (thought to be broken), but the client now conforms: remove the entry")), "{out}");

    std::fs::write(&file, format!("[{client:?}]\nno-such-scenario = \"x\"\n")).unwrap();
    let output = run(&[
        "--client",
        &client,
        "--known-deviations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&format!(
        "known deviations list `no-such-scenario` for {client}, but there is no such scenario"
    )));
    let _ = std::fs::remove_file(file);
}

#[test]
fn the_harness_exits_2_when_it_cannot_run() {
    for (args, message) in [
        (
            vec!["--client", "FAKE", "--scenarios", "/nonexistent"],
            "cannot read the scenario folder",
        ),
        (
            vec!["--client", "FAKE", "--filter", "no-such-scenario"],
            "no scenario matches --filter",
        ),
        (
            vec!["--client", "/nonexistent/aws"],
            "cannot run /nonexistent/aws",
        ),
    ] {
        let client = fake();
        let args: Vec<&str> = args
            .into_iter()
            .map(|a| if a == "FAKE" { client.as_str() } else { a })
            .collect();
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

#[test]
fn a_scenario_folder_of_ones_own_runs_without_the_built_in_deviations() {
    let dir = std::env::temp_dir().join(format!("my-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    for name in ["default-duration", "unknown-domain"] {
        std::fs::copy(
            builtin.join(format!("{name}.toml")),
            dir.join(format!("my-{name}.toml")),
        )
        .unwrap();
    }
    let output = run(&["--client", &fake(), "--scenarios", dir.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).trim_end().ends_with("2 passed, 0 failed"));

    // A deviations file of one's own is held to one's own scenarios.
    let file = dir.join("deviations.toml.txt");
    std::fs::write(&file, format!("[{:?}]\nnot-mine = \"x\"\n", fake())).unwrap();
    let output = run(&[
        "--client",
        &fake(),
        "--scenarios",
        dir.to_str().unwrap(),
        "--known-deviations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("known deviations list `not-mine`"),
        "{}",
        stderr(&output)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_timed_out_wrapper_is_ended_with_the_processes_it_started() {
    // A wrapper script whose children keep the output pipes open: ending the script alone
    // would leave the run waiting for them (two minutes).
    let client = "sh -c 'case \"$*\" in *--version*) exit 1;; esac; sleep 120 & sleep 120' wrapper";
    let started = std::time::Instant::now();
    let output = run(&[
        "--client",
        client,
        "--filter",
        "default-duration",
        "--timeout-seconds",
        "2",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    assert!(
        line_of(&out, "default-duration").contains("the client did not finish within 2 s"),
        "{out}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the run waited for the wrapper's children: {:?}",
        started.elapsed()
    );
}

#[test]
fn the_json_report_gives_each_problem_a_kind() {
    let json = std::env::temp_dir().join(format!("typed-{}.json", std::process::id()));
    let output = run(&[
        "--client",
        &broken("never-retry"),
        "--filter",
        "throttle-then-recover",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let case = &report["cases"][0];
    assert_eq!(case["outcome"], "fail");
    let kinds: Vec<&str> = case["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["wrong_exit", "wrong_request_count"], "{case}");
    // The problems' sentences are still there as text.
    assert!(case["details"][1]
        .as_str()
        .unwrap()
        .starts_with("expected 2 request(s) to reach the server, got 1"));
    let _ = std::fs::remove_file(json);
}

#[test]
fn a_scenario_checks_members_of_the_json_output() {
    let dir = std::env::temp_dir().join(format!("output-members-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = |name: &str, output: &str| {
        std::fs::write(
            dir.join(format!("{name}.toml")),
            format!(
                "name = \"{name}\"\n[client]\noperation = \"get-authorization-token\"\nargs = [\"--domain\", \"test-domain\"]\n[expect]\nexit = \"success\"\n[expect.output]\n{output}"
            ),
        )
        .unwrap();
    };
    scenario(
        "members-as-expected",
        "authorizationToken = { pattern = \"eyJ2ZXIiOjEsImlzdSI6[A-Za-z0-9._-]+\" }\nexpiration = \"present\"\nnextToken = { present = false }\n",
    );
    scenario(
        "members-not-as-expected",
        "authorizationToken = \"not-this\"\n\"repository.name\" = \"present\"\n",
    );
    let json = dir.join("report.json");
    let output = run(&[
        "--client",
        &fake(),
        "--scenarios",
        dir.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    assert!(
        line_of(&out, "members-as-expected").starts_with("PASS"),
        "{out}"
    );
    let failed = line_of(&out, "members-not-as-expected");
    assert!(
        failed.contains("expected `authorizationToken` to be \"not-this\", got \"eyJ"),
        "{failed}"
    );
    assert!(
        failed.contains("expected `repository.name` in the output, it is not there"),
        "{failed}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let kinds: Vec<&str> = report["cases"][1]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["wrong_output_member", "wrong_output_member"]);
    let _ = std::fs::remove_dir_all(dir);
}
