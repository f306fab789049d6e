"""Fixtures of the serving tests: saved models, baselines, live servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from serving import IRIS_FEATURES, LiveServer, mixed_table, save_models
from sklearn.datasets import load_iris

from watchkeeper.serve import ServingApp


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    frame, target = load_iris(return_X_y=True, as_frame=True)
    frame.columns = IRIS_FEATURES
    frame["species"] = target
    return frame


@pytest.fixture(scope="session")
def models(tmp_path_factory, iris) -> dict[str, Path]:
    """Every kind of model file, saved once per session: name → path."""
    return save_models(tmp_path_factory.mktemp("models"), iris)


@pytest.fixture(scope="session")
def iris_baseline(tmp_path_factory, iris) -> Path:
    """A baseline of the iris features (label first, as SageMaker baseline datasets are)."""
    import watchkeeper

    folder = tmp_path_factory.mktemp("iris-baseline")
    watchkeeper.suggest_baseline(iris[["species", *IRIS_FEATURES]], folder)
    return folder


@pytest.fixture(scope="session")
def mixed_baseline(tmp_path_factory) -> Path:
    import watchkeeper

    folder = tmp_path_factory.mktemp("mixed-baseline")
    watchkeeper.suggest_baseline(mixed_table(), folder)
    return folder


@pytest.fixture
def serve() -> Iterator[Callable[[ServingApp], LiveServer]]:
    """Start a server for an app; every server started is stopped after the test."""
    started: list[LiveServer] = []

    def start(app: ServingApp) -> LiveServer:
        started.append(LiveServer(app).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()
