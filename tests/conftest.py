"""Fixtures shared by every test folder."""

import pytest

from browser import browser, chromium, page, page_problems  # noqa: F401  (fixtures, used by name)
from cloudwatch_service import cloudwatch  # noqa: F401  (fixture, used by name)
from databases import database_url  # noqa: F401  (fixture, used by name)
from model_files import iris, iris_baseline, mixed_baseline, models  # noqa: F401  (fixtures)
from s3 import S3Bucket, s3_bucket, s3_endpoint  # noqa: F401  (fixtures, used by name)
from servers import smtp_server, webhook_server  # noqa: F401  (fixtures, used by name)


def pytest_collection_modifyitems(items):
    """Keep what shares a costly fixture in one process when the run is split (pytest-xdist
    ``--dist loadgroup``): a test module's tests together, and every Spark test with the one
    JVM of the run."""
    for item in items:
        group = "spark" if item.path.parent.name == "engines" else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))
