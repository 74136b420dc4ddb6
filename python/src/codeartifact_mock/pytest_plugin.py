"""The pytest plugin that ``pip install codeartifact-mock`` registers (entry point
``pytest11``), so a test suite needs nothing else:

``codeartifact_mock``
    A mock of its own for one test: started on a free loopback port before it, stopped
    (``SIGTERM``, then a kill) after it.
``codeartifact_mock_session``
    One mock for the whole session, reset through the control API after every test that
    used it (fixture, faults, clock, journal, and what the test created or published), so
    tests stay independent at the cost of one start.

Both serve the embedded default fixture, or the file named by ``--codeartifact-mock-config``
or the ini option ``codeartifact_mock_config`` (relative to the ini file's folder). A mock
that fails to start fails the test with the mock's own standard error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Optional

import pytest

from ._server import CodeArtifactMock, StartError

_CONFIG_OPTION = "--codeartifact-mock-config"
_CONFIG_INI = "codeartifact_mock_config"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("codeartifact-mock")
    group.addoption(
        _CONFIG_OPTION,
        dest="codeartifact_mock_config",
        default=None,
        metavar="FILE",
        help="fixture file (TOML) the codeartifact_mock fixtures serve; default: the embedded one",
    )
    parser.addini(
        _CONFIG_INI,
        help="fixture file (TOML) the codeartifact_mock fixtures serve, relative to the ini file",
        default=None,
    )


def _config(config: pytest.Config) -> Optional[Path]:
    option = config.getoption("codeartifact_mock_config")
    if option:
        return Path(option).resolve()
    ini = config.getini(_CONFIG_INI)
    if ini:
        base = Path(config.inipath).parent if config.inipath else Path.cwd()
        return (base / ini).resolve()
    return None


def _start(config: pytest.Config) -> CodeArtifactMock:
    try:
        return CodeArtifactMock.start(config=_config(config))
    except StartError as error:
        pytest.fail(f"codeartifact-mock did not start:\n{error}", pytrace=False)


@pytest.fixture
def codeartifact_mock(pytestconfig: pytest.Config) -> Iterator[CodeArtifactMock]:
    """A running codeartifact-mock for this test alone."""
    mock = _start(pytestconfig)
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture(scope="session")
def codeartifact_mock_session(pytestconfig: pytest.Config) -> Iterator[CodeArtifactMock]:
    """One codeartifact-mock for the session, reset after each test that asked for it."""
    mock = _start(pytestconfig)
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture(autouse=True)
def _codeartifact_mock_session_reset(request: pytest.FixtureRequest) -> Iterator[None]:
    """Resets the session's mock after each test that used it, so the next one starts from
    the fixture, whatever this one changed."""
    yield
    if "codeartifact_mock_session" in request.fixturenames:
        request.getfixturevalue("codeartifact_mock_session").reset()
