"""An S3 service on 127.0.0.1 (moto's standalone server, a real HTTP endpoint) and a
fresh bucket per test, reached through s3fs with dummy credentials."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
import pytest


@dataclass(frozen=True)
class S3Bucket:
    """A fresh, empty bucket on the local S3 server, and how to reach it."""

    name: str
    endpoint_url: str
    storage_options: dict[str, Any]
    fs: Any  # an s3fs filesystem of its own, so tests never share listing caches

    def url(self, key: str = "") -> str:
        """``s3://bucket/key`` for a key in this bucket."""
        return f"s3://{self.name}/{key}"

    def put(self, key: str, data: bytes) -> str:
        """Store an object and return its URL."""
        self.fs.pipe(f"{self.name}/{key}", data)
        return self.url(key)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of an S3-compatible server (moto) on 127.0.0.1, for the whole session."""
    from moto.server import ThreadedMotoServer

    # One line per request from werkzeug would drown the test output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """A new bucket per test; credentials are dummies and point only at the local server."""
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    options = {"key": "x", "secret": "y", "client_kwargs": {"endpoint_url": s3_endpoint}}
    fs = fsspec.filesystem("s3", skip_instance_cache=True, **options)
    bucket = S3Bucket(f"test-{uuid.uuid4().hex[:12]}", s3_endpoint, options, fs)
    fs.mkdir(bucket.name)
    return bucket
