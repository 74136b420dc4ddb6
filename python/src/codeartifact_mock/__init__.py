"""codeartifact-mock from Python: the offline AWS CodeArtifact stand-in, its binary installed
by this wheel, started and driven from a test.

>>> from codeartifact_mock import CodeArtifactMock
>>> with CodeArtifactMock.start() as mock:                      # doctest: +SKIP
...     token = mock.boto3_client().get_authorization_token(domain=mock.domain)

With pytest, ask for the ``codeartifact_mock`` fixture (a mock per test) or
``codeartifact_mock_session`` (one mock for the session, reset after each test that used it);
see :mod:`codeartifact_mock.pytest_plugin`.
"""

from ._server import CodeArtifactMock, ControlError, StartError, binary_path

__all__ = ["CodeArtifactMock", "ControlError", "StartError", "binary_path"]
