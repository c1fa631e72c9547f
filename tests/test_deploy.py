"""The deployment examples (deploy/): every FFEMU_* variable they set is a setting, the box they describe is several
workers on PostgreSQL with Mailpit beside it, and Docker Compose takes the file where an engine runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from emulator.cli import env_name
from emulator.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SETTINGS = {env_name(name) for name in Settings.model_fields}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> list[dict]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text()) if doc]


def test_compose_runs_workers_on_postgresql_with_mailpit():
    services = compose()["services"]
    assert set(services) == {"postgres", "mailpit", "emulator"}
    env = services["emulator"]["environment"]
    assert set(env) <= SETTINGS, set(env) - SETTINGS
    assert int(env["FFEMU_WORKERS"]) > 1
    assert (
        env["FFEMU_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["FFEMU_DATABASE_URL"]
    )
    assert env["FFEMU_SMTP_URL"] == "smtp://mailpit:1025"
    assert services["emulator"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "documents:/data" in services["emulator"]["volumes"]


def test_kubernetes_runs_three_pods_of_one_box():
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for doc in manifests()}
    box = docs[("Deployment", "faxfinder")]["spec"]
    assert box["replicas"] == 3
    container = box["template"]["spec"]["containers"][0]
    names = {variable["name"] for variable in container["env"]}
    assert names <= SETTINGS, names - SETTINGS
    assert {"FFEMU_DATABASE_URL", "FFEMU_CONTROL_TOKEN", "FFEMU_SMTP_URL"} <= names
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["exec"]["command"][:2] == ["faxfinder-emulator", "health"]
    claim = docs[("PersistentVolumeClaim", "faxfinder-documents")]["spec"]
    assert claim["accessModes"] == ["ReadWriteMany"]  # every pod reads what another wrote
    assert ("StatefulSet", "postgres") in docs and ("Service", "mailpit") in docs and ("Service", "faxfinder") in docs


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_takes_the_file():
    command = _compose_command()
    if command is None:
        pytest.skip("no docker compose here (.ci/run installs Debian's docker-compose where a Docker engine runs)")
    result = subprocess.run([*command, "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
