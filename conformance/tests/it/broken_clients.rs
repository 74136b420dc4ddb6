use crate::util::*;

/// Runs a broken client through one scenario: it must fail there, saying what differed.
fn caught(bug: &str, scenario: &str, expected_messages: &[&str]) {
    let output = run(&["--client", &broken(bug), "--filter", scenario]);
    let out = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{bug} must fail the run:\n{out}{}",
        stderr(&output)
    );
    let line = line_of(&out, scenario);
    assert!(line.starts_with(&format!("FAIL {scenario}: ")), "{line}");
    for message in expected_messages {
        assert!(
            line.contains(message),
            "{bug}: expected {message:?} in {line}"
        );
    }
    assert!(out.trim_end().ends_with("0 passed, 1 failed"), "{out}");
}

#[test]
fn a_client_that_ignores_domain_owner_is_caught() {
    caught(
        "ignore-domain-owner",
        "cross-account-with-policy",
        &[
            "expected success, got ResourceNotFoundException",
            "expected request 1 to carry domain-owner=444455556666, got no domain-owner",
        ],
    );
}

#[test]
fn a_client_that_lies_about_the_expiration_is_caught() {
    caught(
        "lie-about-expiration",
        "default-duration",
        // An hour off, give or take the second the call itself took.
        &["(the server's now + 43200 s)", "(+360"],
    );
}

#[test]
fn a_client_that_never_retries_is_caught() {
    caught(
        "never-retry",
        "throttle-then-recover",
        &[
            "expected success, got ThrottlingException",
            "expected 2 request(s) to reach the server, got 1 [429 ThrottlingException]",
        ],
    );
}

#[test]
fn a_client_that_exits_zero_on_errors_is_caught() {
    caught(
        "exit-zero-on-errors",
        "unknown-domain",
        &["expected failure (ResourceNotFoundException), got exit 0"],
    );
}

#[test]
fn the_same_broken_clients_conform_where_their_bug_does_not_matter() {
    for (bug, scenario) in [
        ("ignore-domain-owner", "default-duration"),
        ("never-retry", "unknown-domain"),
        ("exit-zero-on-errors", "default-duration"),
    ] {
        let output = run(&["--client", &broken(bug), "--filter", scenario]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{bug}/{scenario}: {}",
            stdout(&output)
        );
        assert!(line_of(&stdout(&output), scenario).starts_with("PASS"));
    }
}
