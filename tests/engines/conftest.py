"""The Spark engine's fixtures: one local SparkSession for the whole run, and a real
standalone cluster (a master and one worker on 127.0.0.1) started on first use."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine's tests need a JVM")
    from watchkeeper.engines.spark import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "8"})
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine's tests need a JVM")
    from spark_cluster import start_cluster, stop_cluster

    cluster, processes = start_cluster(tmp_path_factory.mktemp("spark-cluster"))
    yield cluster
    stop_cluster(processes)
