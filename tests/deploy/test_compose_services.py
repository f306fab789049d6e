"""deploy/compose.yaml: PostgreSQL, the dashboard, the scheduler and a served model. The
commands are parsed by the real CLI, and each service's health check is run against the
service started as compose starts it (its command, its environment, its volumes mapped
onto folders here) on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deploy_files import DEPLOY, ROOT, compose, parse_command
from sqlalchemy.engine import make_url

SETTINGS = {"POSTGRES_PASSWORD": "secret-password", "WATCHKEEPER_TOKEN": "token-for-tests"}
WATCHKEEPER_SERVICES = ["ui", "scheduler", "serve"]


@pytest.fixture(scope="module")
def services() -> dict:
    return compose(SETTINGS)["services"]


def test_compose_refuses_to_start_without_its_secrets():
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        compose({"WATCHKEEPER_TOKEN": "token-for-tests"})
    with pytest.raises(AssertionError, match="WATCHKEEPER_TOKEN"):
        compose({"POSTGRES_PASSWORD": "secret-password"})


def test_postgres_is_the_catalog_of_every_watchkeeper_service(services):
    assert sorted(services) == ["postgres", "scheduler", "serve", "ui"]
    postgres = services["postgres"]
    assert postgres["image"].partition(":")[2] not in ("", "latest")
    for name in WATCHKEEPER_SERVICES:
        service = services[name]
        url = make_url(service["environment"]["WATCHKEEPER_DATABASE_URL"])
        assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
        assert (url.username, url.password) == (
            postgres["environment"]["POSTGRES_USER"],
            postgres["environment"]["POSTGRES_PASSWORD"],
        )
        assert url.database == postgres["environment"]["POSTGRES_DB"]
        url.get_dialect()  # the driver the URL names is one the image installs
        assert service["environment"]["WATCHKEEPER_HOME"] == "/data"
        assert "watchkeeper-data:/data" in service["volumes"]


def test_services_are_built_from_the_services_image_and_started_in_order(services):
    for name in WATCHKEEPER_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (
            ROOT / "deploy" / "server.Dockerfile"
        )
        assert "healthcheck" in services[name]
    assert services["ui"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    # one process creates the catalog's tables before the others start
    for name in ("scheduler", "serve"):
        assert services[name]["depends_on"] == {"ui": {"condition": "service_healthy"}}
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "./models:/models:ro" in services["serve"]["volumes"]
    assert services["scheduler"]["ports"] == ["127.0.0.1:8081:8081"]


@pytest.mark.parametrize("name", WATCHKEEPER_SERVICES)
def test_each_service_runs_a_real_command(services, name):
    command = [str(word) for word in services[name]["command"]]
    context = parse_command(command)
    assert context.info_name == name
    assert context.params["host"] == "0.0.0.0"
    done = subprocess.run(
        [sys.executable, "-m", "watchkeeper", name, "--help"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for word in command:
        if word.startswith("--"):
            assert word in done.stdout, f"{name} --help does not mention {word}"


@pytest.fixture
def mounts(tmp_path, models) -> dict[str, Path]:
    """The compose volumes as folders here: the data volume, and ./models with a model."""
    (tmp_path / "models").mkdir()
    shutil.copy(models["sklearn"], tmp_path / "models" / "model.joblib")
    return {"/data": tmp_path / "data", "/models": tmp_path / "models"}


def test_the_health_checks_pass_on_the_running_services(services, mounts, database_url):
    started: list[subprocess.Popen] = []
    try:
        for name in WATCHKEEPER_SERVICES:  # the order depends_on gives
            port = free_port()
            process = start(services[name], port, mounts, database_url)
            started.append(process)
            wait_until_healthy(services[name]["healthcheck"], port, process, name)
        for process in started:
            process.send_signal(signal.SIGTERM)
            # a stop asked for ends cleanly: what compose's stop does before it kills
            assert process.wait(timeout=60) == 0, process.stderr.read()
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()


def start(service: dict, port: int, mounts: dict[str, Path], database_url: str):
    arguments = [mapped(str(word), mounts) for word in service["command"]]
    arguments[arguments.index("--port") + 1] = str(port)
    arguments[arguments.index("--host") + 1] = "127.0.0.1"  # not every interface of this host
    environment = {
        name: mapped(str(value), mounts) for name, value in service["environment"].items()
    }
    environment["WATCHKEEPER_DATABASE_URL"] = database_url
    Path(environment["WATCHKEEPER_HOME"]).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", *arguments],
        env=os.environ | environment,
        cwd=environment["WATCHKEEPER_HOME"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def mapped(value: str, mounts: dict[str, Path]) -> str:
    for inside, outside in mounts.items():
        if value == inside or value.startswith(inside + "/"):
            return str(outside) + value[len(inside) :]
    return value


def wait_until_healthy(healthcheck: dict, port: int, process: subprocess.Popen, name: str):
    """Run the health check's command as Docker would, until it passes; a slow start
    under load only waits longer."""
    kind, *command = healthcheck["test"]
    assert kind == "CMD" and command[0] == "python"
    # the service listens on a free port here, not on the one inside its container
    command = [sys.executable, *(re.sub(r"127\.0\.0\.1:\d+/", f"127.0.0.1:{port}/", word)
                                 for word in command[1:])]  # fmt: skip
    assert f"127.0.0.1:{port}/api/v1/health" in command[-1]
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{name} stopped: {process.stderr.read()}")
        if subprocess.run(command, capture_output=True, timeout=60, check=False).returncode == 0:
            return
        assert time.monotonic() < deadline, f"{name}: the health check never passed"
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
