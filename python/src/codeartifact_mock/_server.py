"""Start the installed ``codeartifact-mock`` binary and drive it through its control API.

The binary is the one the wheel installed beside this package (the interpreter's scripts
folder), found the way a shell would find it otherwise; ``CODEARTIFACT_MOCK_BINARY`` names
another one (a ``cargo build`` of a branch, say). Nothing here speaks AWS's protocol: boto3,
the AWS CLI and package managers do, against :attr:`CodeArtifactMock.url`.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10 only
    import tomli as tomllib

BINARY_NAME = "codeartifact-mock"

#: How long the binary may take to say ``listening on``: a fixture of thousands of
#: identities still loads in well under a second; a cold disk and a busy CI runner do not.
DEFAULT_START_TIMEOUT = 30.0

#: How long ``SIGTERM`` has to finish in-flight requests before the process is killed.
STOP_TIMEOUT = 10.0

#: Variables that would make a subprocess read another account's settings or credentials
#: instead of the mock's; :meth:`CodeArtifactMock.env` removes them.
_FOREIGN_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CA_BUNDLE",
)


class StartError(RuntimeError):
    """The binary could not be found, or exited (or stayed silent) instead of serving.

    Its message carries the mock's own standard error, which names the cause (a bad fixture
    key, a port in use).
    """


class ControlError(RuntimeError):
    """A control API call was refused; ``status`` and ``body`` are the mock's answer."""

    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path}: {status} {body.strip()}")
        self.status = status
        self.body = body


def binary_path() -> str:
    """The ``codeartifact-mock`` executable to run.

    ``CODEARTIFACT_MOCK_BINARY`` if set; else the one installed with this package (the
    interpreter's scripts folder, or the user scheme's for ``pip install --user``); else the
    first on ``PATH``.
    """
    override = os.environ.get("CODEARTIFACT_MOCK_BINARY")
    if override:
        return override
    executable = BINARY_NAME + (".exe" if os.name == "nt" else "")
    schemes = [None, f"{os.name}_user"]
    for scheme in schemes:
        try:
            folder = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        candidate = Path(folder) / executable
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(BINARY_NAME)
    if found:
        return found
    raise StartError(
        f"{BINARY_NAME} is not installed: `pip install codeartifact-mock` puts it beside "
        "this package, or set CODEARTIFACT_MOCK_BINARY to a binary"
    )


class CodeArtifactMock:
    """A running ``codeartifact-mock``: its address, an identity to sign with, and the
    control API (faults, clock, journal, fixture, reset).

    Start one with :meth:`start` (or use it as a context manager); the pytest fixtures
    ``codeartifact_mock`` and ``codeartifact_mock_session`` do it for you.
    """

    def __init__(self, process: subprocess.Popen, url: str, stderr_path: Path):
        self._process = process
        self._stderr_path = stderr_path
        #: The mock's base URL, ``http://127.0.0.1:PORT``: every AWS SDK's endpoint URL.
        self.url = url
        self.region = ""
        self.access_key_id = ""
        self.secret_access_key = ""
        self.domain = ""
        self.owner = ""
        self._read_identity()

    # -- starting and stopping ------------------------------------------------------------

    @classmethod
    def start(
        cls,
        config: Union[str, "os.PathLike[str]", None] = None,
        args: Sequence[str] = (),
        timeout: float = DEFAULT_START_TIMEOUT,
        binary: Optional[str] = None,
    ) -> "CodeArtifactMock":
        """Starts the binary on a free loopback port with the embedded default fixture, or
        the fixture file ``config``, and extra command-line ``args``; returns once it serves.

        Raises :class:`StartError`, with the mock's standard error, if it does not.
        """
        command = [binary or binary_path(), "--listen", "127.0.0.1:0"]
        if config is not None:
            command += ["--config", os.fspath(config)]
        command += list(args)
        # Logs go to a file, not a pipe: a pipe nobody reads would fill, and the file is
        # what a failure to start shows.
        handle, name = tempfile.mkstemp(prefix="codeartifact-mock-", suffix=".stderr")
        stderr_path = Path(name)
        with os.fdopen(handle, "wb") as stderr:
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    start_new_session=True,
                )
            except OSError as error:
                stderr_path.unlink(missing_ok=True)
                raise StartError(f"cannot run {command[0]}: {error}") from error
        try:
            url = _wait_for_listening(process, timeout)
        except StartError as error:
            _stop(process)
            message = f"{error}\n{_read_text(stderr_path)}".rstrip()
            stderr_path.unlink(missing_ok=True)
            raise StartError(message) from None
        try:
            return cls(process, url, stderr_path)
        except BaseException:
            _stop(process)
            stderr_path.unlink(missing_ok=True)
            raise

    def stop(self) -> None:
        """Stops the mock: ``SIGTERM`` (in-flight requests finish), then a kill after
        ten seconds. Safe to call twice."""
        _stop(self._process)
        self._stderr_path.unlink(missing_ok=True)

    def __enter__(self) -> "CodeArtifactMock":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The mock's process id."""
        return self._process.pid

    def logs(self) -> str:
        """What the mock wrote to standard error so far (one line per request at ``info``;
        never a secret)."""
        return _read_text(self._stderr_path)

    # -- clients ------------------------------------------------------------------------

    def env(self, base: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
        """The environment for an AWS CLI, SDK or package-manager subprocess that should
        talk to this mock as its identity: ``base`` (default: this process's environment)
        with the mock's endpoint, region and keys set, and any profile, session token or
        config file that could point elsewhere taken out. ``extra`` is added last
        (``HOME=...`` for a throwaway home, say)."""
        env = dict(os.environ if base is None else base)
        for name in _FOREIGN_AWS_VARIABLES:
            env.pop(name, None)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.url,
                "AWS_ACCESS_KEY_ID": self.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_PAGER": "",
            }
        )
        env.update(extra)
        return env

    def boto3_client(self, service_name: str = "codeartifact", **kwargs: Any) -> Any:
        """A boto3 client for this mock (``codeartifact`` unless named), signed as its
        identity; keyword arguments go to ``boto3.client`` and win over the defaults."""
        try:
            import boto3
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise RuntimeError("boto3_client() needs boto3: pip install boto3") from error
        settings: Dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        settings.update(kwargs)
        return boto3.session.Session().client(service_name, **settings)

    def repository_endpoint(self, repository: str, format: str, domain: Optional[str] = None) -> str:
        """The endpoint of ``repository`` for ``format`` (``pypi``, ``npm``, ...), as
        ``GetRepositoryEndpoint`` would answer it."""
        domain = domain or self.domain
        return f"{self.url}/d/{domain}-{self.owner}/{self.region}/{format}/{repository}/"

    # -- the control API (docs/control-api.md) ---------------------------------------------

    def set_clock(
        self,
        offset_seconds: Optional[float] = None,
        frozen_at: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``PUT /_mock/clock``: moves the server's clock by ``offset_seconds`` from the
        real one, or stops it at ``frozen_at`` (RFC 3339, or ``"now"``); neither means the
        real clock again. Returns the clock as ``GET /_mock/clock`` shows it."""
        body: Dict[str, Any] = {}
        if offset_seconds is not None:
            body["offset_seconds"] = offset_seconds
        if frozen_at is not None:
            body["frozen_at"] = frozen_at
        return self._call("PUT", "/_mock/clock", body)

    def clock(self) -> Dict[str, Any]:
        """``GET /_mock/clock``: the offset and the server's now."""
        return self._call("GET", "/_mock/clock")

    def now(self) -> datetime:
        """The server's now (timezone-aware), which token expiries are judged by."""
        return datetime.fromisoformat(self.clock()["now"].replace("Z", "+00:00"))

    def add_fault(self, rule: Optional[Mapping[str, Any]] = None, **fields: Any) -> int:
        """``POST /_mock/faults``: adds a fault rule (``error=``, ``status=``,
        ``retry_after_seconds=``, ``delay_ms=``, ``action=``, ``operation=``, ``times=``,
        ...) and returns its id."""
        body = dict(rule or {})
        body.update(fields)
        return int(self._call("POST", "/_mock/faults", body)["id"])

    def faults(self) -> List[Dict[str, Any]]:
        """``GET /_mock/faults``: the rules, each with how often it fired."""
        return list(self._call("GET", "/_mock/faults")["faults"])

    def clear_faults(self) -> None:
        """``DELETE /_mock/faults``."""
        self._call("DELETE", "/_mock/faults")

    def journal(self) -> List[Dict[str, Any]]:
        """``GET /_mock/requests``: the AWS API requests the mock received, oldest first
        (never a secret)."""
        return list(self._call("GET", "/_mock/requests")["requests"])

    def clear_journal(self) -> None:
        """``DELETE /_mock/requests``."""
        self._call("DELETE", "/_mock/requests")

    def reset(self) -> None:
        """``POST /_mock/reset``: the fixture loaded at start, no faults, the real clock, an
        empty journal."""
        self._call("POST", "/_mock/reset")
        self._read_identity()

    def load_fixture(self, fixture: Union[str, "os.PathLike[str]", Mapping[str, Any]]) -> Dict[str, Any]:
        """``PUT /_mock/config``: serves another fixture, given as TOML text, a path to a
        TOML file, or a dict of the same schema (sent as JSON). Returns the new fixture as
        ``GET /_mock/config`` shows it (no secrets)."""
        if isinstance(fixture, Mapping):
            data = json.dumps(fixture).encode()
            content_type = "application/json"
        else:
            data = _text_or_file(fixture).encode()
            content_type = "application/toml"
        answer = self._request("PUT", "/_mock/config", data, content_type)
        self._read_identity()
        return answer

    def play_scenario(self, scenario: Union[str, "os.PathLike[str]"]) -> Dict[str, Any]:
        """``POST /_mock/scenario``: plays a scenario file (its text or its path)."""
        return self._request("POST", "/_mock/scenario", _text_or_file(scenario).encode(), "application/toml")

    def state(self) -> str:
        """``GET /_mock/state``: the world as it is now, as fixture TOML."""
        with self._open("GET", "/_mock/state", None, None) as answer:
            return answer.read().decode()

    # -- plumbing ---------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        return self._request(method, path, data, "application/json" if data is not None else None)

    def _request(self, method: str, path: str, data: Optional[bytes], content_type: Optional[str]) -> Dict[str, Any]:
        with self._open(method, path, data, content_type) as answer:
            text = answer.read().decode()
        return json.loads(text) if text.strip() else {}

    def _open(self, method: str, path: str, data: Optional[bytes], content_type: Optional[str]) -> Any:
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            # The control API is on loopback and never redirects: no proxy may answer it.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            return opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            raise ControlError(method, path, error.code, error.read().decode(errors="replace")) from None

    def _read_identity(self) -> None:
        """Reads the served fixture's first long-term identity, its first domain in that
        account, and a region, from ``GET /_mock/state``."""
        world = tomllib.loads(self.state())
        identities = world.get("identities", [])
        long_term = [i for i in identities if i.get("secret_access_key") and not i.get("session_token")]
        identity = (long_term or identities or [{}])[0]
        self.access_key_id = identity.get("access_key_id", "")
        self.secret_access_key = identity.get("secret_access_key", "")
        account = identity.get("arn", "::::").split(":")[4] if identity.get("arn") else ""
        domains = world.get("domains", [])
        domain = next((d for d in domains if d.get("owner") == account), domains[0] if domains else {})
        self.domain = domain.get("name", "")
        self.owner = domain.get("owner", account)
        regions = world.get("regions", [])
        region = domain.get("region")
        if not region:
            region = "us-east-1" if "us-east-1" in regions or not regions else regions[0]
        self.region = region

    def __repr__(self) -> str:
        return f"CodeArtifactMock(url={self.url!r}, pid={self.pid})"


def _text_or_file(value: Union[str, "os.PathLike[str]"]) -> str:
    """TOML given as text, or the text of the file a path names (a one-line string that
    names an existing file is a path)."""
    text = os.fspath(value)
    if "\n" not in text and Path(text).is_file():
        return Path(text).read_text()
    return text


def _wait_for_listening(process: subprocess.Popen, timeout: float) -> str:
    """The URL of the mock's first stdout line, ``listening on http://IP:PORT``."""
    lines: "queue.Queue[bytes]" = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read_first_line() -> None:
        lines.put(stdout.readline())

    threading.Thread(target=read_first_line, daemon=True).start()
    try:
        line = lines.get(timeout=timeout).decode(errors="replace").strip()
    except queue.Empty:
        raise StartError(f"{BINARY_NAME} did not say `listening on` within {timeout:g} s") from None
    prefix = "listening on "
    if not line.startswith(prefix):
        code = process.wait(timeout=STOP_TIMEOUT) if not line else process.poll()
        raise StartError(f"{BINARY_NAME} exited with code {code} before serving")
    return line[len(prefix) :]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
