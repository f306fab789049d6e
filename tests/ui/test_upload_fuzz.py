"""Mutated profile documents uploaded to a real dashboard: never a server error; every
document accepted merges with the others, and every page still renders.

Examples: ``WATCHKEEPER_FUZZ`` is ``ci`` by default (a fixed, small set, so the suite
stays fast and repeatable), ``long`` (1,500 fresh examples) or a number::

    WATCHKEEPER_FUZZ=long pytest -s tests/ui/test_upload_fuzz.py
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import fuzz_settings
from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.profile import DatasetProfile, profile_to_json
from watchkeeper.ui import create_ui_app

DATASET = "fuzz"
PROFILE = {"Content-Type": "application/octet-stream"}


def budget() -> settings:
    return fuzz_settings(
        ci=60,
        long=1500,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def seed_documents() -> list[dict[str, Any]]:
    """Real profiles: a KLL sketch of several levels, exact and sketched categories,
    booleans, integers, a column of nulls; a small one; an empty one."""
    rng = np.random.default_rng(11)
    rows = 5000
    large = DatasetProfile({"dataset_timestamp": "2026-11-20T09:00:00Z"})
    large.track(
        pa.table(
            {
                "age": rng.normal(40, 8, rows),
                "visits": rng.poisson(3, rows),
                "city": rng.choice(["a", "b", "c"], rows),
                "user": [f"u{i % 1800}" for i in range(rows)],
                "flag": rng.random(rows) < 0.3,
                "empty": pa.nulls(rows, pa.float64()),
            }
        )
    )
    small = DatasetProfile()
    small.track(pa.table({"age": [1.0, 2.0, float("inf")], "city": ["a", None, "b"]}))
    return [json.loads(profile_to_json(p)) for p in (large, small, DatasetProfile())]


SEEDS = seed_documents()
NASTY = [
    None, True, False, 0, -1, 1, 7, 2**31, 2**53, 2**53 + 1, 2**63, -(2**63), 10**30,
    1e308, -1e308, 5e-324, 0.5, 1.5, -0.0, "", "nan", "inf", "-inf", "1e5", "x" * 5000,
    "AAAA", "////", "AAAAAAAAAAA=", [], {}, [[]], [None], {"a": 1}, ["x", 1], [1, 2, 3],
]  # fmt: skip


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:4]):
            yield from paths(item, (*prefix, index))


def locate(document: Any, path: tuple) -> tuple[Any, Any]:
    """The container holding the value at ``path`` (not empty), and its key there."""
    for step in path[:-1]:
        document = document[step]
    return document, path[-1]


def flip_bytes(text: str, draw) -> Any:
    try:
        data = bytearray(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return text
    how = draw(st.sampled_from(["flip", "cut", "grow", "set"]))
    if how == "flip" and data:
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif how == "cut":
        del data[draw(st.integers(0, len(data))) :]
    elif how == "grow":
        data += draw(st.binary(min_size=1, max_size=64))
    elif data:
        at = draw(st.integers(0, max(0, len(data) - 8)))
        data[at : at + 8] = draw(st.sampled_from([b"\xff" * 8, b"\x00" * 8, b"\x7f\xf8" * 4]))
    return base64.b64encode(bytes(data)).decode()


@st.composite
def mutated(draw) -> bytes:
    document = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(document))))
        if not path:
            continue
        parent, key = locate(document, path)
        value = parent[key]
        how = draw(st.sampled_from(["nasty", "number", "scale", "drop", "bytes", "copy", "add"]))
        if how == "nasty":
            parent[key] = copy.deepcopy(draw(st.sampled_from(NASTY)))
        elif how == "number":
            parent[key] = draw(st.one_of(st.integers(), st.floats(), st.text(max_size=8)))
        elif how == "scale" and isinstance(value, int | float) and not isinstance(value, bool):
            parent[key] = value * draw(st.sampled_from([-1, 2, 10**6, 1e300, 0.5]))
        elif how == "drop":
            del parent[key]
        elif how == "bytes" and isinstance(value, str):
            parent[key] = flip_bytes(value, draw)
        elif how == "copy" and isinstance(value, list) and value:
            value.append(copy.deepcopy(value[0]))
        elif how == "add" and isinstance(value, dict):
            value[draw(st.sampled_from(["extra", "Unknown", "min", "sketch", "exact"]))] = 1
    data = json.dumps(document).encode()
    if draw(st.integers(0, 19)) == 0:  # now and then, bytes that are not whole JSON
        data = data[: draw(st.integers(0, len(data)))]
    return data


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_ui_app(Catalog(f"sqlite:///{folder / 'catalog.db'}"), tokens=[],
                        refresh_seconds=None)  # fmt: skip
    server = LiveServer(app).start()
    with server.client() as client:
        baseline = json.dumps(SEEDS[0]).encode()
        assert client.put(f"/api/v1/datasets/{DATASET}/baseline", content=baseline,
                          headers=PROFILE).status_code == 200  # fmt: skip
        yield client
    server.stop()


def test_uploads_never_fail_the_server_and_what_is_accepted_merges(dashboard):
    outcomes: Counter[str] = Counter()

    @budget()
    @given(data=mutated())
    def upload(data: bytes) -> None:
        answer = dashboard.post(
            f"/api/v1/datasets/{DATASET}/profiles",
            content=data,
            params={"timestamp": "2026-11-20T09:30:00Z"},
            headers=PROFILE,
        )
        outcomes[str(answer.status_code)] += 1
        assert answer.status_code < 500, answer.text
        if answer.status_code >= 300:
            assert answer.status_code in (413, 422), answer.text
            detail = answer.json()["detail"]
            assert "\n" not in detail and "corrupt profile" not in detail, detail
            return
        assert dashboard.post(f"/api/v1/datasets/{DATASET}/evaluate").json() == {"pending": 0}
        failures = dashboard.get(f"/api/v1/datasets/{DATASET}/failures").json()
        assert failures["count"] == 0, failures
        batches = dashboard.get(f"/api/v1/datasets/{DATASET}/batches").json()
        assert [batch["error"] for batch in batches] == [None] * len(batches), batches
        pages = ["/", f"/datasets/{DATASET}", f"/compare?dataset={DATASET}"]
        columns = json.loads(data)["columns"]
        pages += [f"/datasets/{DATASET}/features/{quote(c['name'], safe='')}" for c in columns]
        for page in pages:
            shown = dashboard.get(page)
            outcomes[f"page {shown.status_code}"] += 1
            assert shown.status_code == 200, (page, shown.text[:300])

    upload()
    print(f"\nuploads: {dict(sorted(outcomes.items()))}")
    assert outcomes["201"] + outcomes["200"] > 0  # the mutations leave some documents valid
