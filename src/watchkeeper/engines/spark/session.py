"""The SparkSession the command line runs on: a master URL and the user's options."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

from pyspark.sql import SparkSession

from watchkeeper.errors import UsageError

DEFAULT_MASTER = "local[*]"
# Arrow on both sides of Python UDFs, times as UTC (as the local readers give them),
# and no web UI or progress bars on the command line's terminal.
DEFAULTS = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.ignoreHiddenFiles": "true",
}

QUIET_LOGGING = Path(__file__).with_name("log4j2.properties")


def parse_confs(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` texts as a mapping; a text without ``=`` is a :class:`UsageError`.

    >>> parse_confs(["spark.executor.memory=2g", "spark.a=b=c"])
    {'spark.executor.memory': '2g', 'spark.a': 'b=c'}
    """
    confs = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise UsageError(
                f"--spark-conf {pair!r} is not KEY=VALUE (e.g. spark.executor.memory=4g)"
            )
        confs[key.strip()] = value
    return confs


def spark_session(
    master: str = DEFAULT_MASTER, confs: Mapping[str, str] | None = None
) -> SparkSession:
    """A SparkSession on ``master`` with watchkeeper's defaults under the user's ``confs``.

    Executors run this interpreter on a local master; on a cluster they run
    ``PYSPARK_PYTHON``, which must have watchkeeper installed.
    """
    settings = {**DEFAULTS, **(confs or {})}
    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # pyspark would start the first `python3` on the PATH, which may lack watchkeeper
        os.environ["PYSPARK_PYTHON"] = sys.executable
    settings.setdefault(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={QUIET_LOGGING.as_uri()}"
    )
    builder = SparkSession.builder.master(master).appName("watchkeeper")
    for key, value in settings.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
