//! `codeartifact-mock`: parse flags, load the fixture, serve until SIGINT or SIGTERM.
//! Exit codes: 0 after a clean shutdown, 2 when the server cannot start.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::error::ErrorKind;
use clap::Parser;
use codeartifact_mock::config::{Command, ControlAccess, Options};
use codeartifact_mock::health_probe::Probe;
use codeartifact_mock::{log_format, log_writer, server, MockService, Scenario};
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: a request makes dozens of small short-lived
/// allocations, and a large fixture thousands at start-up (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let options = match Options::try_parse() {
        Ok(options) => options,
        // --help and --version print as clap formats them.
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        // A bad flag is one line, like every other start-up error.
        Err(e) => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or_default();
            let missing: Vec<&str> = rendered
                .lines()
                .skip(1)
                .map(str::trim)
                .take_while(|l| l.starts_with("--"))
                .collect();
            let detail = if missing.is_empty() {
                String::new()
            } else {
                format!(" {}", missing.join(", "))
            };
            eprintln!(
                "codeartifact-mock: {}{detail} (see --help)",
                first.trim_end_matches(':')
            );
            // A health check exits 0 or 1 only: container runtimes reserve 2.
            if std::env::args().any(|arg| arg == "healthcheck") {
                return ExitCode::from(1);
            }
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Healthcheck(args)) = &options.command {
        return healthcheck(
            &options,
            std::time::Duration::from_secs(args.timeout_seconds),
        );
    }
    // Log lines are batched to a writer thread, so a request never waits on stderr nor wakes
    // a thread for its line; the guard flushes them at exit.
    let (writer, _flush_on_exit) = match log_writer::batched(std::io::stderr()) {
        Ok(log) => log,
        Err(error) => {
            eprintln!("codeartifact-mock: error: starting the log writer: {error}");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    if std::io::stderr().is_terminal() {
        logs.with_ansi(true).init();
    } else {
        // Files and pipes: the same text, written without the colour machinery.
        logs.with_ansi(false)
            .fmt_fields(log_format::PlainFields)
            .with_timer(log_format::UtcMicros)
            .init();
    }
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("codeartifact-mock: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `healthcheck`: 0 when the server these options start serves, 1 otherwise (a container
/// runtime reserves other codes).
fn healthcheck(options: &Options, timeout: std::time::Duration) -> ExitCode {
    match Probe::for_server(options).and_then(|probe| probe.run(timeout)) {
        Ok(answer) => {
            println!("healthy: {answer}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("codeartifact-mock: unhealthy: {reason}");
            ExitCode::from(1)
        }
    }
}

fn run(options: &Options) -> anyhow::Result<()> {
    let fixture = options.fixture()?;
    let scenarios = options
        .scenarios
        .iter()
        .map(|path| Scenario::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    // Connections are served on the workers; this runtime only accepts them and waits for
    // a signal.
    let workers = Arc::new(options.workers().context("starting the worker threads")?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("cannot listen on {}", options.listen))?;
        let mut config = options.service_config();
        config.token_key = options.token_key().map_err(anyhow::Error::msg)?;
        let service = MockService::owning(fixture, config);
        if let Some(store) = options.store().map_err(anyhow::Error::msg)? {
            service.attach_store(store).map_err(|e| anyhow::anyhow!("--data-dir: {e}"))?;
        }
        for note in service.config().external.check(codeartifact_mock::FETCHED_FORMATS).map_err(anyhow::Error::msg)? {
            eprintln!("codeartifact-mock: note: {note}");
        }
        for (name, source) in &service.config().external.sources {
            tracing::info!(connection = %name, source = %source, "external connection");
        }
        // Mirror folders are read once in the background: serving starts at once.
        if service.external().has_mirrors() {
            let indexing = service.clone();
            std::thread::spawn(move || indexing.external().index_mirrors());
        }
        if let Some(why) = service.store().blobs().unusable() {
            anyhow::bail!("no folder for package files (set TMPDIR, or give --data-dir): {why}");
        }
        for scenario in &scenarios {
            scenario.apply(&service)?;
            tracing::info!(scenario = %scenario.name, faults = scenario.faults.len(), "scenario loaded");
        }
        match options.control_access() {
            ControlAccess::Enabled => {}
            ControlAccess::Disabled => tracing::info!("control API off (--no-control)"),
            ControlAccess::DisabledOnOpenAddress => eprintln!(
                "codeartifact-mock: note: the control API (/_mock/) is off because {} is not a loopback address; give --admin-token to turn it on",
                options.listen
            ),
        }
        let tls = options.tls()?;
        let ca_bundle = tls.as_ref().and_then(|(_, ca)| ca.clone());
        let handle = server::serve_on_workers(
            listener,
            service.clone(),
            tls.map(|(tls, _)| tls),
            Arc::clone(&workers),
        )?;
        // Handlers are registered before the address is announced: a supervisor may signal
        // as soon as it reads the line.
        let shutdown = shutdown_signal().context("installing signal handlers")?;
        // One write: a supervisor that reads the first line and closes the pipe must not make
        // a later line fail (EPIPE) and stop the server.
        let mut announcement = format!("listening on {}\n", handle.uri());
        if let Some(path) = ca_bundle {
            announcement.push_str(&format!("ca-bundle {}\n", path.display()));
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(announcement.as_bytes())?;
        stdout.flush()?;
        drop(stdout);
        shutdown.await;
        tracing::info!("shutting down");
        handle.shutdown().await;
        // The last handle: without --data-dir, the package files' temporary folder goes with it.
        drop(service);
        Ok(())
    })
}

/// Registers SIGINT and SIGTERM handlers now; the returned future ends on either signal.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
