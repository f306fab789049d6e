"""A real Spark standalone cluster on 127.0.0.1: one master and one worker, started with
pyspark's own ``spark-class`` and stopped when the test run ends."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
START_SECONDS = 180


@dataclass
class SparkCluster:
    master_url: str
    env: dict[str, str]
    logs: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def spark_env(work: Path) -> dict[str, str]:
    """The environment of the cluster's daemons and of drivers that use it: executors
    run this interpreter, everything binds to 127.0.0.1."""
    import pyspark

    return {
        **os.environ,
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": HOST,
        "SPARK_WORKER_DIR": str(work / "worker"),
        "SPARK_LOG_DIR": str(work / "logs"),
    }


def start_cluster(work: Path) -> tuple[SparkCluster, list[subprocess.Popen]]:
    env = spark_env(work)
    spark_class = str(Path(env["SPARK_HOME"]) / "bin" / "spark-class")
    port, master_ui, worker_ui = free_port(), free_port(), free_port()
    master_url = f"spark://{HOST}:{port}"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {
        "master": [spark_class, "org.apache.spark.deploy.master.Master", "--host", HOST,
                   "--port", str(port), "--webui-port", str(master_ui)],
        "worker": [spark_class, "org.apache.spark.deploy.worker.Worker", master_url,
                   "--host", HOST, "--webui-port", str(worker_ui), "--cores", "2",
                   "--memory", "2g"],
    }  # fmt: skip
    processes = []
    for name, command in commands.items():
        with open(logs / f"{name}.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
    try:
        _wait_for_worker(master_ui, processes, logs)
    except BaseException:
        stop_cluster(processes)
        raise
    return SparkCluster(master_url, env, logs), processes


def _wait_for_worker(master_ui: int, processes: list[subprocess.Popen], logs: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a Spark daemon exited early; see {logs}")
        status = f"http://{HOST}:{master_ui}/json/"
        with suppress(OSError, ValueError), urllib.request.urlopen(status, timeout=5) as answer:
            if json.load(answer).get("aliveworkers", 0) >= 1:
                return
        time.sleep(0.5)
    raise RuntimeError(f"no Spark worker registered within {START_SECONDS} s; see {logs}")


def stop_cluster(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
