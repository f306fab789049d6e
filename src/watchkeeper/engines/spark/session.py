"""The SparkSession the command line runs on: a master URL and the user's options."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
# Arrow on both sides of Python UDFs, times as UTC (as the local readers give them),
# and no web UI or progress bars on the command line's terminal.
DEFAULTS = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}

QUIET_LOGGING = Path(__file__).with_name("log4j2.properties")


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
    session.sparkContext.setLogLevel("FATAL")
    return session
