"""The demo image, proven: built from the Dockerfile, run with port 80 published on 127.0.0.1, and asked for the
``Verified`` document with admin/admin; then container and image are removed.

Runs when ``FFEMU_DOCKER_TESTS=1`` (``.ci/run`` sets it after ``../shared/tools/docker-ci-setup.sh`` started an
engine; then a missing engine is a failure) or when a Docker engine answers anyway; otherwise it skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN, GOLDEN

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = os.environ.get("FFEMU_DOCKER_TESTS") == "1"
BUILD_TIMEOUT = 900  # the first build downloads the dependencies from PyPI
START_TIMEOUT = 90


def _docker_client() -> str | None:
    # Debian's 20.10 client builds with its built-in BuildKit; a newer client without the buildx plugin cannot.
    debian = Path("/usr/bin/docker")
    return str(debian) if debian.exists() else shutil.which("docker")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"FFEMU_DOCKER_TESTS=1 but {reason}")
    pytest.skip(f"{reason} (set FFEMU_DOCKER_TESTS=1 after bash ../shared/tools/docker-ci-setup.sh to run it)")


def _run(docker: str, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([docker, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def docker() -> str:
    client = _docker_client()
    if client is None:
        _unavailable("no docker client is installed")
    try:
        answer = _run(client, "info", "--format", "{{.ServerVersion}}", timeout=20, check=False)
    except subprocess.TimeoutExpired:
        _unavailable("the docker engine does not answer")
    if answer.returncode != 0:
        _unavailable(f"no docker engine answers: {answer.stderr.strip()[:300]}")
    return client


def _build(docker: str, tag: str, dockerfile: Path) -> None:
    args = ["build", "--progress=plain", "-f", str(dockerfile), "-t", tag, str(ROOT)]
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    result = subprocess.run([docker, *args], capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=env)
    if result.returncode != 0 and "buildx" in result.stderr:  # a client without BuildKit: the classic builder
        env["DOCKER_BUILDKIT"] = "0"
        args.remove("--progress=plain")
        result = subprocess.run([docker, *args], capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=env)
    assert result.returncode == 0, f"docker build failed:\n{(result.stdout + result.stderr)[-4000:]}"


@pytest.fixture(scope="module")
def image(docker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tag = f"faxfinder-emulator-test:{uuid.uuid4().hex[:12]}"
    # No registry here for a "# syntax=" frontend image: build from a copy without that line, as CI does.
    lines = (ROOT / "Dockerfile").read_text().splitlines(keepends=True)
    if lines and lines[0].replace(" ", "").startswith("#syntax="):
        lines = lines[1:]
    dockerfile = tmp_path_factory.mktemp("docker") / "Dockerfile"
    dockerfile.write_text("".join(lines))
    try:
        _build(docker, tag, dockerfile)
        yield tag
    finally:
        _run(docker, "rmi", "-f", tag, check=False)


@pytest.fixture(scope="module")
def container(docker: str, image: str) -> Iterator[dict[str, str]]:
    name = f"ffemu-test-{uuid.uuid4().hex[:12]}"
    # The image's own HEALTHCHECK command, checked every second instead of every 30 s.
    ports = ("-p", "127.0.0.1::80", "-p", "127.0.0.1::443")
    _run(docker, "run", "-d", "--name", name, *ports, "--health-interval", "1s", image)
    try:
        http = _run(docker, "port", name, "80/tcp").stdout.split()[0].rsplit(":", 1)[1]
        https = _run(docker, "port", name, "443/tcp").stdout.split()[0].rsplit(":", 1)[1]
        yield {"name": name, "url": f"http://127.0.0.1:{http}", "tls_url": f"https://127.0.0.1:{https}"}
    finally:
        _run(docker, "rm", "-f", "-v", name, check=False)


def _logs(docker: str, name: str, tail: str = "40") -> str:
    result = _run(docker, "logs", "--tail", tail, name, check=False)
    return result.stdout + result.stderr


def _wait_for_verified(docker: str, container: dict[str, str]) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{container['url']}/ffws/v1/verify", auth=ADMIN, timeout=5)
            if response.status_code == 200:
                return response
            last = response.status_code
        except httpx.HTTPError as exc:  # not listening yet
            last = exc
        time.sleep(0.25)
    logs = _logs(docker, container["name"])
    raise AssertionError(f"no 200 from the container within {START_TIMEOUT} s ({last!r}):\n{logs}")


def test_image_is_configured_as_documented(docker: str, image: str) -> None:
    config = json.loads(_run(docker, "image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] not in ("", "0", "root"), "the emulator must not run as root"
    assert {"80/tcp", "443/tcp"} <= set(config["ExposedPorts"])
    assert "/data" in config["Volumes"]
    assert "FFEMU_DATA_DIR=/data" in config["Env"]
    assert config["Cmd"] == ["faxfinder-emulator", "serve", "--host", "0.0.0.0", "--port", "80", "--tls-port", "443"]
    healthcheck = " ".join(config["Healthcheck"]["Test"])
    assert "faxfinder-emulator health" in healthcheck and "curl" not in healthcheck


def test_image_has_no_test_extras(docker: str, image: str) -> None:
    probe = "import importlib.util as u; print([m for m in ('pytest', 'ruff', 'hypothesis') if u.find_spec(m)])"
    result = _run(docker, "run", "--rm", image, "python", "-c", probe)
    assert result.stdout.strip() == "[]"


def test_container_answers_verify_with_admin_admin(docker: str, container: dict[str, str]) -> None:
    response = _wait_for_verified(docker, container)
    assert response.headers["content-type"] == "application/xml"
    assert response.content == (GOLDEN / "verify.xml").read_bytes()
    refused = httpx.get(f"{container['url']}/ffws/v1/verify", auth=("admin", "wrong"), timeout=5)
    assert refused.status_code == 401


def test_container_serves_https_on_443_with_its_own_certificate(docker: str, container: dict[str, str]) -> None:
    _wait_for_verified(docker, container)
    cert = _run(docker, "exec", container["name"], "cat", "/data/tls/cert.pem").stdout
    context = ssl.create_default_context(cadata=cert)  # it names 127.0.0.1 among its addresses
    response = httpx.get(f"{container['tls_url']}/ffws/v1/verify", auth=ADMIN, timeout=5, verify=context)
    assert response.content == (GOLDEN / "verify.xml").read_bytes()


def test_container_runs_as_non_root_with_its_state_in_the_volume(docker: str, container: dict[str, str]) -> None:
    _wait_for_verified(docker, container)
    assert _run(docker, "exec", container["name"], "id", "-u").stdout.strip() != "0"
    listing = _run(docker, "exec", container["name"], "ls", "/data").stdout.split()
    assert "faxfinder.sqlite3" in listing


def test_healthcheck_reports_healthy(docker: str, container: dict[str, str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    status = ""
    while time.monotonic() < deadline:
        status = _run(docker, "inspect", "-f", "{{.State.Health.Status}}", container["name"]).stdout.strip()
        if status == "healthy":
            return
        time.sleep(0.5)
    health = _run(docker, "inspect", "-f", "{{json .State.Health}}", container["name"]).stdout
    raise AssertionError(f"health is {status!r} after {START_TIMEOUT} s: {health[-2000:]}")


def test_container_serves_the_web_interface_and_logs_what_happens(docker: str, container: dict[str, str]) -> None:
    _wait_for_verified(docker, container)
    with httpx.Client(base_url=container["url"], timeout=5) as browser:
        assert browser.get("/").headers["location"] == "/login?next=/"
        login = browser.get("/login")
        assert login.status_code == 200 and "<h1>Log in</h1>" in login.text
        assert browser.get("/_emulator/ui/static/app.css").status_code == 200
        assert browser.get("/_emulator/ui/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    logs = _logs(docker, container["name"], tail="all")
    assert "emulator.http: GET /ffws/v1/verify user=admin status=200" in logs  # docker logs shows each request


def test_docker_stop_ends_the_emulator_cleanly(docker: str, container: dict[str, str]) -> None:
    # Last in this module: it stops the shared container. SIGTERM to PID 1 must end in a graceful exit 0.
    _wait_for_verified(docker, container)
    _run(docker, "stop", "--time", "20", container["name"], timeout=60)
    state = json.loads(_run(docker, "inspect", container["name"]).stdout)[0]["State"]
    assert state["ExitCode"] == 0, _logs(docker, container["name"])
    assert "Traceback" not in _logs(docker, container["name"], tail="all")
