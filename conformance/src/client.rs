//! The client under test: a command line, or a built-in wrapper around an SDK.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::scenario::{ClientCall, EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY};

/// Built-in client names.
pub const BUILT_INS: [&str; 3] = ["boto3", "js-sdk", "rust-sdk"];

/// A client that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command line is empty or cannot be split.
    #[error("invalid --client {0:?}: {1}")]
    Invalid(String, String),
    /// A built-in client is not ready and could not be prepared.
    #[error("{name} is not ready: {reason}; prepare it with: {command}")]
    NotReady {
        /// The built-in.
        name: String,
        /// What failed.
        reason: String,
        /// What to run.
        command: String,
    },
}

/// A client the suite runs.
#[derive(Debug, Clone)]
pub struct Client {
    /// How reports name it.
    pub name: String,
    /// Its identity for known deviations: `aws-cli-v1`, `aws-cli-v2`, a built-in's name, or
    /// the command line.
    pub id: String,
    /// Program and leading arguments.
    pub argv: Vec<String>,
    /// Whether it is the AWS CLI (and so has `--query`, `--output`, ...).
    pub aws_cli: bool,
    /// The operations it can call, when it cannot call them all (the Rust SDK wrapper).
    pub operations: Option<Vec<String>>,
}

/// What a client run produced.
#[derive(Debug, Clone)]
pub struct ClientRun {
    /// Exit status; `None` when killed (timeout) or ended by a signal.
    pub exit_code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Whether it was killed for running too long.
    pub timed_out: bool,
    /// Wall time.
    pub elapsed: Duration,
}

impl Client {
    /// Resolves `--client`: a built-in name (prepared on first use when `prepare` is set) or a
    /// command line, which is asked `--version` to tell whether it is the AWS CLI.
    pub fn resolve(spec: &str, clients_dir: &Path, prepare: bool) -> Result<Self, ClientError> {
        match spec {
            "boto3" => {
                let script = clients_dir.join("boto3/client.py");
                let check = Command::new("python3")
                    .args(["-c", "import boto3"])
                    .output();
                if !check.is_ok_and(|o| o.status.success()) {
                    return Err(ClientError::NotReady {
                        name: spec.into(),
                        reason: "python3 cannot import boto3".into(),
                        command: "python3 -m pip install boto3".into(),
                    });
                }
                Ok(Self::sdk(spec, vec!["python3".into(), path_text(&script)]))
            }
            "js-sdk" => {
                let dir = clients_dir.join("js-sdk");
                let command = format!("npm ci --prefix {}", dir.display());
                if !dir
                    .join("node_modules/@aws-sdk/client-codeartifact")
                    .exists()
                {
                    if !prepare {
                        return Err(ClientError::NotReady {
                            name: spec.into(),
                            reason: "its node_modules are missing".into(),
                            command,
                        });
                    }
                    eprintln!("preparing js-sdk: {command}");
                    run_preparation(
                        spec,
                        Command::new("npm")
                            .args([
                                "ci",
                                "--no-audit",
                                "--no-fund",
                                "--loglevel=error",
                                "--prefix",
                            ])
                            .arg(&dir),
                        &command,
                    )?;
                }
                Ok(Self::sdk(
                    spec,
                    vec![
                        "node".into(),
                        "--no-warnings".into(),
                        path_text(&dir.join("client.mjs")),
                    ],
                ))
            }
            "rust-sdk" => {
                let manifest = clients_dir.join("rust-sdk/Cargo.toml");
                let binary = clients_dir.join("rust-sdk/target/release/rust-sdk-client");
                // Its own target folder, whatever CARGO_TARGET_DIR says, so the binary is
                // where this looks for it.
                let target_dir = clients_dir.join("rust-sdk/target");
                let command = format!(
                    "cargo build --release --manifest-path {} --target-dir {}",
                    manifest.display(),
                    target_dir.display()
                );
                if !binary.exists() {
                    if !prepare {
                        return Err(ClientError::NotReady {
                            name: spec.into(),
                            reason: "it is not built".into(),
                            command,
                        });
                    }
                    eprintln!("preparing rust-sdk: {command} (a few minutes the first time)");
                    run_preparation(
                        spec,
                        Command::new("cargo")
                            .args(["build", "--release", "--quiet", "--manifest-path"])
                            .arg(&manifest)
                            .arg("--target-dir")
                            .arg(&target_dir),
                        &command,
                    )?;
                }
                let mut client = Self::sdk(spec, vec![path_text(&binary)]);
                let listed = run_with_timeout(
                    {
                        let mut command = Command::new(&binary);
                        command.arg("--list-operations");
                        command
                    },
                    Duration::from_secs(30),
                )
                .map_err(|e| ClientError::NotReady {
                    name: spec.into(),
                    reason: format!("it does not run: {e}"),
                    command: command.clone(),
                })?;
                client.operations = Some(listed.stdout.lines().map(str::to_owned).collect());
                Ok(client)
            }
            command_line => {
                let argv = split_command_line(command_line)
                    .map_err(|e| ClientError::Invalid(spec.into(), e))?;
                if let Err(e) = Command::new(&argv[0])
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                {
                    return Err(ClientError::Invalid(
                        spec.into(),
                        format!("cannot run {}: {e}", argv[0]),
                    ));
                }
                let version = aws_cli_version(&argv);
                let id = match version.as_deref() {
                    Some(v) if v.starts_with('1') => "aws-cli-v1".to_owned(),
                    Some(v) if v.starts_with('2') => "aws-cli-v2".to_owned(),
                    _ => command_line.to_owned(),
                };
                Ok(Self {
                    name: command_line.into(),
                    id,
                    argv,
                    aws_cli: version.is_some(),
                    operations: None,
                })
            }
        }
    }

    fn sdk(name: &str, argv: Vec<String>) -> Self {
        Self {
            name: name.into(),
            id: name.into(),
            argv,
            aws_cli: false,
            operations: None,
        }
    }

    /// Whether it can call `operation` (as the AWS CLI names it).
    pub fn calls(&self, operation: &str) -> bool {
        self.operations
            .as_ref()
            .is_none_or(|listed| listed.iter().any(|o| o == operation))
    }

    /// Runs `CLIENT --endpoint-url URL codeartifact OPERATION ARGS` with the
    /// call's credentials, region and retry settings in a clean environment (TZ=UTC, no
    /// config files), killing it after `timeout`.
    /// `{ca_bundle}` in the call's arguments becomes `ca_bundle` (a TLS mock's authority).
    pub fn run(
        &self,
        endpoint: &str,
        call: &ClientCall,
        ca_bundle: Option<&Path>,
        scratch: &Path,
        timeout: Duration,
    ) -> std::io::Result<ClientRun> {
        let mut command = Command::new(&self.argv[0]);
        command
            .args(&self.argv[1..])
            .args(["--endpoint-url", endpoint, "codeartifact", call.operation()])
            .args(call.args.iter().map(|arg| match ca_bundle {
                Some(ca) => arg.replace("{ca_bundle}", &ca.display().to_string()),
                None => arg.clone(),
            }))
            .env_clear()
            .env("TZ", "UTC")
            .env("HOME", scratch)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for name in ["PATH", "PYENV_ROOT", "PYENV_VERSION", "LANG", "SYSTEMROOT"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        let region = call.region.as_deref().unwrap_or("us-east-1");
        command
            .env("AWS_DEFAULT_REGION", region)
            .env("AWS_REGION", region);
        let access_key_id = call
            .access_key_id
            .as_deref()
            .unwrap_or(EXAMPLE_ACCESS_KEY_ID);
        let secret = call
            .secret_access_key
            .as_deref()
            .unwrap_or(EXAMPLE_SECRET_ACCESS_KEY);
        match &call.profile {
            Some(profile) => {
                let mut file = format!("[{profile}]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n");
                if let Some(token) = &call.session_token {
                    file.push_str(&format!("aws_session_token = {token}\n"));
                }
                let path = scratch.join("credentials");
                std::fs::write(&path, file)?;
                command
                    .env("AWS_SHARED_CREDENTIALS_FILE", &path)
                    .args(["--profile", profile]);
            }
            None => {
                command
                    .env("AWS_ACCESS_KEY_ID", access_key_id)
                    .env("AWS_SECRET_ACCESS_KEY", secret);
                if let Some(token) = &call.session_token {
                    command.env("AWS_SESSION_TOKEN", token);
                }
            }
        }
        if let Some(attempts) = call.max_attempts {
            command.env("AWS_MAX_ATTEMPTS", attempts.to_string());
        }
        command.envs(&call.env);
        run_with_timeout(command, timeout)
    }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

fn run_preparation(name: &str, command: &mut Command, text: &str) -> Result<(), ClientError> {
    let status = command.stdout(Stdio::null()).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(ClientError::NotReady {
            name: name.into(),
            reason: format!("`{text}` failed ({s})"),
            command: text.into(),
        }),
        Err(e) => Err(ClientError::NotReady {
            name: name.into(),
            reason: format!("`{text}` could not start: {e}"),
            command: text.into(),
        }),
    }
}

/// The version `argv --version` reports if it answers like the AWS CLI
/// (`aws-cli/2.9.19 Python/...`).
fn aws_cli_version(argv: &[String]) -> Option<String> {
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).arg("--version");
    let run = run_with_timeout(command, Duration::from_secs(30)).ok()?;
    let text = if run.stdout.starts_with("aws-cli/") {
        run.stdout
    } else {
        run.stderr
    };
    let version = text.strip_prefix("aws-cli/")?.split_whitespace().next()?;
    Some(version.to_owned())
}

/// Runs a client in a process group of its own, killing the whole group after `timeout`: a
/// wrapper script's children (which hold the output pipes open) end with it, so the run
/// never waits past the timeout for a grandchild.
fn run_with_timeout(mut command: Command, timeout: Duration) -> std::io::Result<ClientRun> {
    let started = Instant::now();
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read both pipes on threads so a chatty client cannot block on a full pipe.
    let (sender, outputs) = std::sync::mpsc::channel();
    for (index, pipe) in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut pipe = pipe;
            let _ = sender.send((index, read_all(pipe.as_mut())));
        });
    }
    drop(sender);
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            kill_group(&mut child);
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The client has ended; something it started may still hold the pipes. Give that the
    // rest of the time limit, then end the group.
    let mut texts = [String::new(), String::new()];
    let mut received = 0;
    while received < texts.len() {
        let left = timeout.saturating_sub(started.elapsed());
        match outputs.recv_timeout(left.max(Duration::from_millis(100))) {
            Ok((index, text)) => {
                texts[index] = text;
                received += 1;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                kill_group(&mut child);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let [stdout, stderr] = texts;
    Ok(ClientRun {
        exit_code: if timed_out { None } else { status.code() },
        stdout,
        stderr,
        timed_out,
        elapsed: started.elapsed(),
    })
}

/// Ends the client and every process in its group.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // `kill -KILL -- -PGID`: the group's id is the client's pid (`process_group(0)`).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

fn read_all(pipe: Option<&mut (impl Read + ?Sized)>) -> String {
    let mut bytes = Vec::new();
    if let Some(pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Splits a command line on white space, honouring single and double quotes.
pub fn split_command_line(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unclosed quote".into());
    }
    if in_word {
        words.push(current);
    }
    if words.is_empty() {
        return Err("empty command".into());
    }
    Ok(words)
}

/// The folder of the built-in clients: `CODEARTIFACT_CONFORMANCE_CLIENTS`, else the one in
/// this source tree.
pub fn default_clients_dir() -> PathBuf {
    std::env::var_os("CODEARTIFACT_CONFORMANCE_CLIENTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("clients"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_command_lines_like_a_shell() {
        assert_eq!(
            split_command_line("python3 -m awscli").unwrap(),
            ["python3", "-m", "awscli"]
        );
        assert_eq!(
            split_command_line("'my tool' --flag \"a b\"").unwrap(),
            ["my tool", "--flag", "a b"]
        );
        assert_eq!(split_command_line("x ''").unwrap(), ["x", ""]);
        assert!(split_command_line("  ").is_err());
        assert!(split_command_line("a 'b").is_err());
    }
}
