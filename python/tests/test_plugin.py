"""The wheel as a Python team uses it: `pip install`, then the fixtures in their tests.

`just wheel-test` runs these in a fresh virtual environment holding only the wheel, pytest
and boto3 (`CODEARTIFACT_MOCK_WHEEL` names the wheel; the AWS CLI comes from PATH).
"""

from __future__ import annotations

import base64
import importlib.metadata
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import botocore.config
import botocore.exceptions
import pytest

from codeartifact_mock import CodeArtifactMock, ControlError, StartError, binary_path

#: A wheel of at most this size: the stripped binary and a little Python.
MAX_WHEEL_BYTES = 8 * 1024 * 1024


def _no_retries() -> botocore.config.Config:
    return botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _open_with_token(url: str, token: str) -> int:
    """The status of a GET of `url` with the token as pip sends it (Basic `aws:TOKEN`)."""
    request = urllib.request.Request(url)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"aws:{token}".encode()).decode())
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_wheel_is_small_and_its_binary_reports_the_package_version():
    wheel = os.environ.get("CODEARTIFACT_MOCK_WHEEL")
    if wheel is None:
        pytest.fail("CODEARTIFACT_MOCK_WHEEL must name the wheel under test (just wheel-test sets it)")
    size = Path(wheel).stat().st_size
    assert size <= MAX_WHEEL_BYTES, f"{wheel} is {size} bytes, over {MAX_WHEEL_BYTES}"
    version = subprocess.run([binary_path(), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.strip() == f"codeartifact-mock {importlib.metadata.version('codeartifact-mock')}"
    # The binary is the wheel's, installed beside this interpreter, not one found elsewhere.
    assert Path(binary_path()).parent == Path(sys.executable).parent


def test_a_token_for_the_default_fixture(codeartifact_mock):
    assert codeartifact_mock.url.startswith("http://127.0.0.1:")
    assert (codeartifact_mock.domain, codeartifact_mock.owner) == ("test-domain", "111122223333")
    assert codeartifact_mock.region == "us-east-1"
    client = codeartifact_mock.boto3_client()
    answer = client.get_authorization_token(domain=codeartifact_mock.domain, durationSeconds=900)
    assert answer["authorizationToken"].startswith("eyJ")
    lifetime = answer["expiration"].timestamp() - codeartifact_mock.now().timestamp()
    assert 890 <= lifetime <= 900
    [entry] = codeartifact_mock.journal()
    assert (entry["operation"], entry["status"], entry["authenticated"]) == ("GetAuthorizationToken", 200, True)


def test_a_token_expires_when_the_clock_passes_it(codeartifact_mock):
    token = codeartifact_mock.boto3_client().get_authorization_token(
        domain=codeartifact_mock.domain, durationSeconds=900
    )["authorizationToken"]
    simple = codeartifact_mock.repository_endpoint("my-repo", "pypi") + "simple/mock-hello/"
    assert _open_with_token(simple, token) == 200
    codeartifact_mock.set_clock(offset_seconds=901)
    assert _open_with_token(simple, token) == 401
    codeartifact_mock.set_clock()
    assert _open_with_token(simple, token) == 200


def test_a_scripted_fault_is_what_boto3_sees(codeartifact_mock):
    fault = codeartifact_mock.add_fault(error="ThrottlingException", retry_after_seconds=1)
    client = codeartifact_mock.boto3_client(config=_no_retries())
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.get_authorization_token(domain=codeartifact_mock.domain)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    [rule] = codeartifact_mock.faults()
    assert (rule["id"], rule["fired"]) == (fault, 1)
    # Fired once: the next call succeeds.
    assert client.get_authorization_token(domain=codeartifact_mock.domain)["authorizationToken"]
    assert [e["status"] for e in codeartifact_mock.journal()] == [429, 200]


def test_aws_login_then_pip_install_through_env(codeartifact_mock, tmp_path):
    aws = shutil.which("aws")
    if aws is None:
        pytest.fail("the AWS CLI must be on PATH (just wheel-test runs with the one just test installs)")
    home = tmp_path / "home"
    home.mkdir()
    env = codeartifact_mock.env(HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1")
    for name in ("XDG_CONFIG_HOME", "PIP_CONFIG_FILE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        env.pop(name, None)
    # AWS CLI v2 2.9 (Debian) predates AWS_ENDPOINT_URL, so the endpoint is also a flag.
    login = subprocess.run(
        [
            aws,
            "--endpoint-url",
            codeartifact_mock.url,
            "codeartifact",
            "login",
            "--tool",
            "pip",
            "--domain",
            codeartifact_mock.domain,
            "--repository",
            "my-repo",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    assert "Successfully configured pip" in login.stdout
    target = tmp_path / "installed"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--target", str(target), "mock-hello"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert "Successfully installed mock-hello-1.0.0" in install.stdout
    assert list(target.glob("mock_hello*")), sorted(p.name for p in target.iterdir())


def test_env_points_an_sdk_at_the_mock_without_flags(codeartifact_mock):
    # boto3 reads AWS_ENDPOINT_URL (botocore 1.31+): a subprocess needs nothing else.
    script = (
        "import boto3; client = boto3.client('codeartifact');"
        "print(client.get_authorization_token(domain='test-domain')['authorizationToken'][:3])"
    )
    answer = subprocess.run([sys.executable, "-c", script], env=codeartifact_mock.env(), capture_output=True, text=True)
    assert answer.stdout.strip() == "eyJ", answer.stderr


def test_a_fixture_replaced_through_load_fixture_changes_the_identity(codeartifact_mock):
    codeartifact_mock.load_fixture(
        {
            "regions": ["eu-west-1"],
            "domains": [{"name": "acme", "owner": "444455556666"}],
            "identities": [
                {
                    "arn": "arn:aws:iam::444455556666:user/ci",
                    "access_key_id": "AKIACIEXAMPLE",
                    "secret_access_key": "ci-secret",
                    "allow": ["codeartifact:*", "sts:GetServiceBearerToken"],
                }
            ],
        }
    )
    served = (codeartifact_mock.domain, codeartifact_mock.owner, codeartifact_mock.region)
    assert served == ("acme", "444455556666", "eu-west-1")
    assert codeartifact_mock.access_key_id == "AKIACIEXAMPLE"
    client = codeartifact_mock.boto3_client()
    assert client.get_authorization_token(domain="acme")["authorizationToken"]
    with pytest.raises(ControlError) as refused:
        codeartifact_mock.load_fixture({"regions": ["nowhere-1"], "domains": "not a list"})
    assert refused.value.status == 400


class TestTheSessionMock:
    """Tests that share one mock: what one changes, the next does not see. They run in the
    order written."""

    urls: list = []

    def test_first_changes_the_world(self, codeartifact_mock_session):
        self.urls.append(codeartifact_mock_session.url)
        client = codeartifact_mock_session.boto3_client()
        client.create_repository(domain="test-domain", repository="made-by-a-test")
        codeartifact_mock_session.add_fault(error="InternalServerException", times=0, operation="ListDomains")
        codeartifact_mock_session.set_clock(offset_seconds=86_400)

    def test_then_the_next_starts_from_the_fixture(self, codeartifact_mock_session):
        self.urls.append(codeartifact_mock_session.url)
        assert self.urls[0] == self.urls[1], "one mock for the session"
        client = codeartifact_mock_session.boto3_client(config=_no_retries())
        names = [r["name"] for r in client.list_repositories_in_domain(domain="test-domain")["repositories"]]
        assert "made-by-a-test" not in names
        assert client.list_domains()["domains"], "no fault rule is left"
        assert set(codeartifact_mock_session.clock()) == {"now"}, "the real clock again"
        operations = [e["operation"] for e in codeartifact_mock_session.journal()]
        assert operations == ["ListRepositoriesInDomain", "ListDomains"]


def test_a_mock_that_cannot_start_fails_the_test_with_its_own_stderr(pytester):
    pytester.makefile(".toml", broken='regions = ["us-east-1"]\n[[domains]]\nname = "UPPER"\nowner = "1"\n')
    pytester.makepyfile(
        """
        def test_uses_the_mock(codeartifact_mock):
            pass
        """
    )
    result = pytester.runpytest_subprocess("--codeartifact-mock-config", "broken.toml")
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "codeartifact-mock did not start" in output
    assert "exited with code 2" in output
    assert "broken.toml" in output, "the mock's own message, naming the file, is shown"


def test_the_ini_option_names_the_fixture(pytester):
    pytester.makefile(
        ".toml",
        ci='regions = ["eu-west-1"]\n[[domains]]\nname = "from-ini"\nowner = "444455556666"\n'
        '[[identities]]\narn = "arn:aws:iam::444455556666:user/ci"\naccess_key_id = "AKIAINIEXAMPLE"\n'
        'secret_access_key = "s"\nallow = ["codeartifact:*", "sts:GetServiceBearerToken"]\n',
    )
    pytester.makeini("[pytest]\ncodeartifact_mock_config = ci.toml\n")
    pytester.makepyfile(
        """
        def test_uses_the_mock(codeartifact_mock):
            assert (codeartifact_mock.domain, codeartifact_mock.region) == ("from-ini", "eu-west-1")
            client = codeartifact_mock.boto3_client()
            assert client.get_authorization_token(domain="from-ini")["authorizationToken"]
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_start_outside_pytest_and_a_missing_binary():
    with CodeArtifactMock.start() as mock:
        assert mock.boto3_client().list_domains()["domains"]
        pid = mock.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(StartError, match="cannot run"):
        CodeArtifactMock.start(binary="/nonexistent/codeartifact-mock")
