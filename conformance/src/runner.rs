//! Runs scenarios against a client: prepare the mock, run the client, judge, report live.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::Client;
use crate::deviations::KnownDeviations;
use crate::expect::{judge, Observation, Problem, ProblemKind};
use crate::scenario::ConformanceScenario;
use crate::target::{SeenRequest, Target};

/// The verdict on one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "details", rename_all = "snake_case")]
pub enum Outcome {
    /// The client conformed.
    Pass,
    /// It did not; what differed.
    Fail(Vec<Problem>),
    /// The scenario needs something this client does not have.
    NotApplicable(String),
    /// The client does not conform, as `known-deviations.toml` says it is known not to.
    KnownDeviation {
        /// The listed reason.
        reason: String,
        /// What differed.
        problems: Vec<Problem>,
    },
    /// The harness could not run the scenario.
    Error(String),
}

impl Outcome {
    /// The problems behind a failure or a known deviation; none otherwise.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Fail(problems) | Self::KnownDeviation { problems, .. } => problems,
            Self::Pass | Self::NotApplicable(_) | Self::Error(_) => &[],
        }
    }
}

/// One scenario's result. In JSON, `problems` lists each problem of the outcome with its
/// kind, so CI tools can group failures.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// Scenario name.
    pub name: String,
    /// What it checks.
    pub description: Option<String>,
    /// The verdict.
    pub outcome: Outcome,
    /// Wall time.
    pub duration_ms: u128,
    /// The client's exit status.
    pub exit_code: Option<i32>,
    /// The client's stdout.
    pub stdout: String,
    /// The client's stderr.
    pub stderr: String,
    /// What the mock saw.
    pub requests: Vec<SeenRequest>,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The client under test.
    pub client: Client,
    /// Where the mock is.
    pub target: Target,
    /// Scenarios at once (1 on an external endpoint).
    pub jobs: usize,
    /// Longest a client may run.
    pub timeout: Duration,
    /// Where clients may write files (credentials for `--profile`).
    pub scratch: PathBuf,
    /// Failures known and accepted, per client.
    pub deviations: KnownDeviations,
}

/// Runs every scenario; `live` sees each result as it completes. Results come back in the
/// scenarios' order.
pub fn run(
    scenarios: &[ConformanceScenario],
    config: &RunConfig,
    live: impl Fn(&CaseReport) + Sync,
) -> Vec<CaseReport> {
    let jobs = if config.target.parallel() {
        config.jobs.max(1)
    } else {
        1
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CaseReport>>> = Mutex::new(vec![None; scenarios.len()]);
    std::thread::scope(|scope| {
        for worker in 0..jobs.min(scenarios.len()) {
            let (next, results, live) = (&next, &results, &live);
            scope.spawn(move || loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(scenario) = scenarios.get(index) else {
                    break;
                };
                let report = run_one(scenario, config, worker);
                live(&report);
                results.lock().unwrap_or_else(|p| p.into_inner())[index] = Some(report);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

impl Serialize for CaseReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// A problem as `{"kind": ..., "message": ...}`.
        #[derive(Serialize)]
        struct Typed<'a> {
            kind: crate::expect::ProblemKind,
            message: &'a str,
        }
        /// The report's JSON: the outcome flattened, then its problems with their kinds.
        #[derive(Serialize)]
        struct Wire<'a> {
            name: &'a str,
            description: &'a Option<String>,
            #[serde(flatten)]
            outcome: &'a Outcome,
            problems: Vec<Typed<'a>>,
            duration_ms: u128,
            exit_code: Option<i32>,
            stdout: &'a str,
            stderr: &'a str,
            requests: &'a [SeenRequest],
        }
        Wire {
            name: &self.name,
            description: &self.description,
            outcome: &self.outcome,
            problems: self
                .outcome
                .problems()
                .iter()
                .map(|p| Typed {
                    kind: p.kind,
                    message: &p.message,
                })
                .collect(),
            duration_ms: self.duration_ms,
            exit_code: self.exit_code,
            stdout: &self.stdout,
            stderr: &self.stderr,
            requests: &self.requests,
        }
        .serialize(serializer)
    }
}

fn run_one(scenario: &ConformanceScenario, config: &RunConfig, worker: usize) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        outcome: Outcome::Pass,
        duration_ms: 0,
        exit_code: None,
        stdout: String::new(),
        stderr: String::new(),
        requests: Vec::new(),
    };
    let operation = scenario.client.operation();
    if !config.client.calls(operation) {
        report.outcome =
            Outcome::NotApplicable(format!("{} does not call {operation}", config.client.name));
        return report;
    }
    if scenario.client.needs_aws_cli() && !config.client.aws_cli {
        report.outcome = Outcome::NotApplicable("uses options only the AWS CLI has".into());
        return report;
    }
    if scenario.client.tls && !config.target.parallel() {
        report.outcome = Outcome::NotApplicable(
            "needs a TLS mock, which the suite sets up only in process".into(),
        );
        return report;
    }
    let known = config.deviations.reason(&config.client.id, &scenario.name);
    report.outcome = match (observe(scenario, config, worker, &mut report), known) {
        (Err(error), _) => Outcome::Error(error),
        (Ok(observation), _) if config.client.aws_cli && lacks_command(&observation) => Outcome::NotApplicable(format!(
            "this AWS CLI has no {} command (its service model is older than the operation)",
            observation.operation
        )),
        (Ok(observation), known) => match (judge(&scenario.expect, &observation), known) {
            (problems, None) if problems.is_empty() => Outcome::Pass,
            (problems, None) => Outcome::Fail(problems),
            (problems, Some(reason)) if problems.is_empty() => Outcome::Fail(vec![Problem::new(
                ProblemKind::StaleKnownDeviation,
                format!(
                    "listed in known-deviations.toml for {} ({reason}), but the client now conforms: remove the entry",
                    config.client.id
                ),
            )]),
            (problems, Some(reason)) => Outcome::KnownDeviation { reason: reason.to_owned(), problems },
        },
    };
    report.duration_ms = started.elapsed().as_millis();
    report
}

/// Whether an AWS CLI refused the operation as a command it does not know (Debian's AWS CLI
/// v2.9 predates the package group operations of 2024), before sending anything.
fn lacks_command(observation: &Observation) -> bool {
    observation.requests.is_empty()
        && observation
            .run
            .stderr
            .contains("argument operation: Invalid choice")
}

fn observe(
    scenario: &ConformanceScenario,
    config: &RunConfig,
    worker: usize,
    report: &mut CaseReport,
) -> Result<Observation, String> {
    let prepared = config.target.prepare(scenario)?;
    let scratch = config.scratch.join(format!("worker-{worker}"));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let server_time = prepared.server_time()?;
    let run = config
        .client
        .run(
            &prepared.endpoint(),
            &scenario.client,
            prepared.ca_bundle(),
            &scratch,
            config.timeout,
        )
        .map_err(|e| format!("cannot run {}: {e}", config.client.argv[0]))?;
    let requests = prepared.requests()?;
    report.exit_code = run.exit_code;
    report.stdout.clone_from(&run.stdout);
    report.stderr.clone_from(&run.stderr);
    report.requests.clone_from(&requests);
    Ok(Observation {
        run,
        requests,
        server_time,
        operation: scenario.client.operation().to_owned(),
    })
}
