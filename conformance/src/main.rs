//! `codeartifact-conformance`: list scenarios, or run a client through them.
//! Exit codes: 0 every applicable scenario passed, 1 some failed, 2 the harness could not run.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use codeartifact_conformance::client::{default_clients_dir, Client};
use codeartifact_conformance::deviations::KnownDeviations;
use codeartifact_conformance::report::{console_line, junit, JsonReport, Totals};
use codeartifact_conformance::runner::{run, RunConfig};
use codeartifact_conformance::scenario::ConformanceScenario;
use codeartifact_conformance::target::Target;
use codeartifact_conformance::{
    default_deviations_path, default_fixture_path, default_scenarios_dir, is_builtin_suite,
    matches_filter,
};
use codeartifact_mock::Fixture;

/// Runs any AWS-CLI-compatible client through scripted CodeArtifact token scenarios.
#[derive(Debug, Parser)]
#[command(name = "codeartifact-conformance", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the scenario names, one a line.
    List {
        /// Scenario folder (default: fixtures/scenarios).
        #[arg(long)]
        scenarios: Option<PathBuf>,
    },
    /// Run a client through the scenarios.
    Run(Box<RunArgs>),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The client: a command line (`aws`, `python3 -m awscli`, `./my-wrapper`) or a built-in:
    /// boto3, js-sdk, rust-sdk.
    #[arg(long)]
    client: String,
    /// A codeartifact-mock started separately; without it, a fresh mock runs in process for
    /// every scenario.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Scenario folder (default: fixtures/scenarios).
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// Fixture every scenario starts from (default: fixtures/conformance.toml).
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Only scenarios whose name contains this (or matches it, with `*` wildcards).
    #[arg(long)]
    filter: Option<String>,
    /// Scenarios run at once (in-process only; an external endpoint runs one at a time).
    #[arg(long, default_value_t = default_jobs())]
    jobs: usize,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Longest a client may run, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout_seconds: u64,
    /// Folder of the built-in clients (default: conformance/clients in this source tree).
    #[arg(long)]
    clients_dir: Option<PathBuf>,
    /// Known deviations of your client (TOML, see docs/conformance.md). Default: the built-in
    /// suite's fixtures/known-deviations.toml when running the built-in scenarios, none for
    /// a --scenarios folder of your own.
    #[arg(long)]
    known_deviations: Option<PathBuf>,
    /// Count known deviations as failures.
    #[arg(long)]
    strict: bool,
}

/// One line on stdout. A reader that went away (`| head`) is no reason to stop the run or
/// panic: the reports and the exit status still count.
fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List { scenarios } => list(scenarios).map(|()| true),
        Command::Run(args) => run_suite(*args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("codeartifact-conformance: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn list(dir: Option<PathBuf>) -> anyhow::Result<()> {
    let scenarios = ConformanceScenario::load_dir(&dir.unwrap_or_else(default_scenarios_dir))?;
    let mut stdout = std::io::stdout().lock();
    for scenario in scenarios {
        writeln!(stdout, "{}", scenario.name)?;
    }
    Ok(())
}

fn run_suite(args: RunArgs) -> anyhow::Result<bool> {
    let scenarios_dir = args.scenarios.unwrap_or_else(default_scenarios_dir);
    let mut scenarios = ConformanceScenario::load_dir(&scenarios_dir)?;
    // The built-in deviations speak of the built-in scenarios only: a folder of the user's
    // own gets the deviations file the user names, or none.
    let deviations_path = match args.known_deviations {
        _ if args.strict => None,
        Some(path) => Some(path),
        None if is_builtin_suite(&scenarios_dir) => Some(default_deviations_path()),
        None => None,
    };
    let deviations = match &deviations_path {
        Some(path) => KnownDeviations::load(path).map_err(anyhow::Error::msg)?,
        None => KnownDeviations::default(),
    };
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    if let Some((client, scenario)) = deviations.unknown_scenarios(&names).first() {
        bail!("known deviations list `{scenario}` for {client}, but there is no such scenario: remove or rename the entry");
    }
    if let Some(pattern) = &args.filter {
        scenarios.retain(|s| matches_filter(&s.name, pattern));
        if scenarios.is_empty() {
            bail!("no scenario matches --filter {pattern:?}");
        }
    }
    let fixture_path = args.fixture.unwrap_or_else(default_fixture_path);
    let client = Client::resolve(
        &args.client,
        &args.clients_dir.unwrap_or_else(default_clients_dir),
        true,
    )?;
    let target = match &args.endpoint_url {
        Some(url) => {
            let fixture_toml = std::fs::read_to_string(&fixture_path)
                .with_context(|| format!("reading {}", fixture_path.display()))?;
            Fixture::parse(&fixture_toml, &fixture_path.display().to_string())?;
            codeartifact_conformance::target::control(url, "GET", "/_mock/health", "")
                .map_err(anyhow::Error::msg)?;
            Target::External {
                url: url.clone(),
                fixture_toml,
            }
        }
        None => Target::in_process(Fixture::load(&fixture_path)?)
            .context("starting the in-process mock")?,
    };
    let scratch =
        std::env::temp_dir().join(format!("codeartifact-conformance-{}", std::process::id()));
    let config = RunConfig {
        client,
        target,
        jobs: args.jobs,
        timeout: Duration::from_secs(args.timeout_seconds),
        scratch: scratch.clone(),
        deviations,
    };
    let cases = run(&scenarios, &config, |case| say(&console_line(case)));
    let _ = std::fs::remove_dir_all(&scratch);

    let totals = Totals::of(&cases);
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&config.client.name, &cases))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let endpoint = args.endpoint_url.as_deref().unwrap_or("in-process");
        let report = JsonReport {
            client: &config.client.name,
            endpoint,
            totals,
            cases: &cases,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if totals.not_applicable > 0 {
        say(&format!(
            "{} not applicable to {}",
            totals.not_applicable, config.client.name
        ));
    }
    if totals.known_deviations > 0 {
        say(&format!(
            "{} known deviations of {} (fixtures/known-deviations.toml)",
            totals.known_deviations, config.client.id
        ));
    }
    say(&totals.summary_line());
    Ok(totals.failed == 0)
}
