#!/usr/bin/env python3
"""Checks the CI recipes of docs/ci.md as far as this machine allows.

Usage: check-recipes.py PATH/TO/codeartifact-mock

- docs/ci.md shows every recipe file verbatim, so the page cannot drift from the files;
- the workflow, GitLab and compose YAML parse, and use the image the way the Containerfile
  builds it: its port, its health probe, environment variables and flags the binary has;
- the plain shell job runs for real, with the given binary and the AWS CLI.

No GitHub runner, GitLab runner or compose engine runs here: the YAML is checked, not run.
"""

import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "docs" / "ci"
FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)


def binary_interface(binary):
    """The flags and environment variables the binary has, from its --help."""
    helps = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    helps += subprocess.run(
        [binary, "healthcheck", "--help"], capture_output=True, text=True, check=True
    ).stdout
    flags = set(re.findall(r"--([a-z][a-z0-9-]+)", helps))
    variables = set(re.findall(r"\[env: (CODEARTIFACT_MOCK_[A-Z0-9_]+)[=\]]", helps))
    return flags, variables


def containerfile():
    """The port, the probe and the binary path the image has."""
    text = (ROOT / "Containerfile").read_text()
    port = re.search(r"^EXPOSE (\d+)$", text, re.M).group(1)
    listen = re.search(r"^ENV CODEARTIFACT_MOCK_LISTEN=0\.0\.0\.0:(\d+)$", text, re.M).group(1)
    check(port == listen, f"Containerfile: EXPOSE {port} but listens on {listen}")
    probe = re.search(r'CMD \["(/[^"]+)", "healthcheck"\]', text).group(1)
    entry = re.search(r'ENTRYPOINT \["(/[^"]+)"\]', text).group(1)
    check(probe == entry, f"Containerfile: the health check runs {probe}, the image {entry}")
    return int(port), entry


def check_interface(name, text, flags, variables):
    for variable in set(re.findall(r"CODEARTIFACT_MOCK_[A-Z0-9_]+", text)):
        check(variable in variables, f"{name}: {variable} is no environment variable of the binary")
    for line in text.splitlines():
        for command in re.findall(r"codeartifact-mock((?: +--?[a-z][a-z0-9-]*(?: +[^ -][^ ]*)?)*)", line):
            for flag in re.findall(r"--([a-z][a-z0-9-]+)", command):
                check(flag in flags, f"{name}: codeartifact-mock has no --{flag}: {line.strip()}")


def check_github(port, binary_path):
    workflow = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    jobs = workflow["jobs"]
    service = jobs["service-container"]["services"]["codeartifact"]
    check(f"{port}:{port}" in service["ports"], "github: the service publishes the image's port")
    check(
        f'--health-cmd "{binary_path} healthcheck"' in service["options"],
        "github: the service's health command is the image's probe",
    )
    check(
        jobs["service-container"]["env"]["MOCK"] == f"http://localhost:{port}",
        "github: the job reaches the service on the published port",
    )
    steps = " ".join(step.get("run", "") for step in jobs["binary"]["steps"])
    check("cargo install --locked" in steps, "github: the binary job installs the crate")
    check("healthcheck" in steps, "github: the binary job waits on the probe")
    steps = " ".join(step.get("run", "") for step in jobs["wheel"]["steps"])
    check("pip install codeartifact-mock" in steps, "github: the wheel job installs the package")
    check("pytest" in steps, "github: the wheel job runs pytest with the fixtures")
    check("healthcheck" in steps, "github: the wheel job's binary waits on the probe")


def check_gitlab(port):
    pipeline = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())
    job = pipeline["test-packages"]
    alias = job["services"][0]["alias"]
    check(
        job["variables"]["MOCK"] == f"http://{alias}:{port}",
        "gitlab: the job reaches the service by its alias on the image's port",
    )
    check(
        "CODEARTIFACT_MOCK_ADMIN_TOKEN" in job["services"][0]["variables"],
        "gitlab: the service gets its admin token through the environment",
    )


def check_compose(port, binary_path):
    compose = yaml.safe_load((RECIPES / "compose.yaml").read_text())
    mock = compose["services"]["codeartifact"]
    check(f"{port}:{port}" in mock["ports"], "compose: the mock publishes the image's port")
    check(
        mock["healthcheck"]["test"] == ["CMD", binary_path, "healthcheck"],
        "compose: the health check is the image's probe",
    )
    tests = compose["services"]["tests"]
    check(
        tests["depends_on"]["codeartifact"]["condition"] == "service_healthy",
        "compose: the tests wait for the mock's health",
    )
    command = tests["command"]
    url = command[command.index("--endpoint-url") + 1]
    check(url == f"http://codeartifact:{port}", f"compose: the tests reach {url}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_shell_job(binary):
    env = dict(os.environ)
    env["PATH"] = f"{Path(binary).resolve().parent}{os.pathsep}{env['PATH']}"
    env["MOCK_PORT"] = str(free_port())
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home
        job = subprocess.run(
            ["bash", str(RECIPES / "shell-job.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = job.stdout + job.stderr
    check(job.returncode == 0, f"shell job: exit {job.returncode}:\n{output}")
    # An ISO 8601 time (AWS CLI v2) or epoch seconds (v1).
    check(
        re.search(r"^(\d{4}-\d\d-\d\dT|\d{10}\b)", job.stdout, re.M),
        f"shell job: no expiration:\n{output}",
    )
    check(
        "Successfully configured pip to use AWS CodeArtifact repository "
        f"http://127.0.0.1:{env['MOCK_PORT']}/d/test-domain-111122223333/us-east-1/pypi/my-repo/"
        in job.stdout,
        f"shell job: login did not configure pip for the mock's repository:\n{output}",
    )


def main():
    binary = sys.argv[1]
    flags, variables = binary_interface(binary)
    port, binary_path = containerfile()
    page = (ROOT / "docs" / "ci.md").read_text()
    for recipe in sorted(RECIPES.iterdir()):
        text = recipe.read_text()
        check(text in page, f"docs/ci.md does not show {recipe.name} as it is")
        check_interface(recipe.name, text, flags, variables)
    check_interface("docs/ci.md", page, flags, variables)
    check_github(port, binary_path)
    check_gitlab(port)
    check_compose(port, binary_path)
    run_shell_job(binary)
    for failure in FAILURES:
        print(f"FAIL {failure}", file=sys.stderr)
    if FAILURES:
        sys.exit(1)
    print(f"recipes: {len(list(RECIPES.iterdir()))} files checked, the shell job ran")


if __name__ == "__main__":
    main()
