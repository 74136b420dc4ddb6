//! Reporting: a live console line per scenario, a closing count, JUnit XML and JSON.

use serde::Serialize;

use crate::expect::join;
use crate::runner::{CaseReport, Outcome};

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Conformed.
    pub passed: usize,
    /// Did not conform, or could not be run.
    pub failed: usize,
    /// Not applicable to this client.
    pub not_applicable: usize,
    /// Known deviations (listed failures).
    pub known_deviations: usize,
}

impl Totals {
    /// Counts the cases.
    pub fn of(cases: &[CaseReport]) -> Self {
        cases.iter().fold(Self::default(), |mut t, case| {
            match case.outcome {
                Outcome::Pass => t.passed += 1,
                Outcome::Fail(_) | Outcome::Error(_) => t.failed += 1,
                Outcome::NotApplicable(_) => t.not_applicable += 1,
                Outcome::KnownDeviation { .. } => t.known_deviations += 1,
            }
            t
        })
    }

    /// The closing line: `N passed, M failed`.
    pub fn summary_line(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed)
    }
}

/// `PASS name`, `FAIL name: expected ..., got ...`, `N/A name: reason`, `ERROR name: ...`.
pub fn console_line(case: &CaseReport) -> String {
    match &case.outcome {
        Outcome::Pass => format!("PASS {}", case.name),
        Outcome::Fail(problems) => format!("FAIL {}: {}", case.name, join(problems)),
        Outcome::NotApplicable(reason) => format!("N/A {}: {reason}", case.name),
        Outcome::Error(error) => format!("ERROR {}: {error}", case.name),
        Outcome::KnownDeviation { reason, problems } => {
            format!(
                "XFAIL {}: known deviation ({reason}): {}",
                case.name,
                join(problems)
            )
        }
    }
}

/// The JSON report.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// The client.
    pub client: &'a str,
    /// The endpoint, or `in-process`.
    pub endpoint: &'a str,
    /// Counts.
    #[serde(flatten)]
    pub totals: Totals,
    /// Every scenario.
    pub cases: &'a [CaseReport],
}

/// JUnit XML: one `testsuite` for the client, one `testcase` per scenario; failures carry the
/// problems and the client's output, not-applicable scenarios are `skipped`.
pub fn junit(client: &str, cases: &[CaseReport]) -> String {
    let totals = Totals::of(cases);
    let errors = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Error(_)))
        .count();
    let seconds: f64 = cases.iter().map(|c| c.duration_ms as f64 / 1000.0).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"codeartifact-conformance\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"{}\" time=\"{seconds:.3}\">\n",
        cases.len(),
        totals.failed - errors,
        totals.not_applicable + totals.known_deviations
    ));
    xml.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"{}\" time=\"{seconds:.3}\">\n",
        escape(client),
        cases.len(),
        totals.failed - errors,
        totals.not_applicable + totals.known_deviations
    ));
    for case in cases {
        xml.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"codeartifact-conformance.{}\" time=\"{:.3}\"",
            escape(&case.name),
            escape(&class_name(client)),
            case.duration_ms as f64 / 1000.0
        ));
        let details = format!(
            "exit status: {}\n--- stdout\n{}\n--- stderr\n{}",
            case.exit_code.map_or("none".to_owned(), |c| c.to_string()),
            case.stdout,
            case.stderr
        );
        match &case.outcome {
            Outcome::Pass => xml.push_str("/>\n"),
            Outcome::Fail(problems) => xml.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"NonConformance\">{}</failure>\n    </testcase>\n",
                escape(&join(problems)),
                escape(&format!(
                    "{}\n\n{details}",
                    problems
                        .iter()
                        .map(|p| p.message.as_str())
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            )),
            Outcome::NotApplicable(reason) => xml.push_str(&format!(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", escape(reason))),
            Outcome::KnownDeviation { reason, problems } => xml.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(&format!("known deviation: {reason}: {}", join(problems)))
            )),
            Outcome::Error(error) => xml.push_str(&format!(
                ">\n      <error message=\"{}\" type=\"HarnessError\">{}</error>\n    </testcase>\n",
                escape(error),
                escape(error)
            )),
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

fn class_name(client: &str) -> String {
    client
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Escapes text for XML attributes and content, dropping characters XML 1.0 cannot hold.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expect::{Problem, ProblemKind};

    fn case(name: &str, outcome: Outcome) -> CaseReport {
        CaseReport {
            name: name.into(),
            description: None,
            outcome,
            duration_ms: 1500,
            exit_code: Some(255),
            stdout: String::new(),
            stderr: "An error occurred (X) <bad> & \u{1b}[0m".into(),
            requests: Vec::new(),
        }
    }

    #[test]
    fn lines_and_totals() {
        let cases = [
            case("a", Outcome::Pass),
            case(
                "b",
                Outcome::Fail(vec![Problem::new(
                    ProblemKind::WrongExit,
                    "expected success, got exit 1",
                )]),
            ),
            case(
                "c",
                Outcome::NotApplicable("uses options only the AWS CLI has".into()),
            ),
        ];
        assert_eq!(
            console_line(&cases[1]),
            "FAIL b: expected success, got exit 1"
        );
        assert_eq!(
            console_line(&cases[2]),
            "N/A c: uses options only the AWS CLI has"
        );
        assert_eq!(Totals::of(&cases).summary_line(), "1 passed, 1 failed");
    }

    #[test]
    fn the_json_of_a_case_keeps_its_details_and_types_its_problems() {
        let failed = case(
            "b",
            Outcome::Fail(vec![
                Problem::new(ProblemKind::WrongExit, "expected success, got exit 255"),
                Problem::new(ProblemKind::WrongRequestCount, "expected 2 request(s)"),
            ]),
        );
        let json = serde_json::to_value(&failed).unwrap();
        assert_eq!(json["outcome"], "fail");
        assert_eq!(
            json["details"],
            serde_json::json!(["expected success, got exit 255", "expected 2 request(s)"])
        );
        assert_eq!(
            json["problems"],
            serde_json::json!([
                {"kind": "wrong_exit", "message": "expected success, got exit 255"},
                {"kind": "wrong_request_count", "message": "expected 2 request(s)"}
            ])
        );
        let passed = serde_json::to_value(case("a", Outcome::Pass)).unwrap();
        assert_eq!(passed["problems"], serde_json::json!([]));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let xml = junit(
            "python3 -m awscli",
            &[
                case("a", Outcome::Pass),
                case(
                    "b&c",
                    Outcome::Fail(vec![Problem::new(ProblemKind::WrongOutput, "x < y")]),
                ),
            ],
        );
        assert!(xml.contains("name=\"b&amp;c\""));
        assert!(xml.contains("message=\"x &lt; y\""));
        assert!(xml.contains("&lt;bad&gt; &amp; \\u001b[0m"));
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("classname=\"codeartifact-conformance.python3_-m_awscli\""));
    }
}
