"""Malformed paths, queries and names answer 4xx with one line saying what is wrong,
never 500, on a real dashboard server."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.cli.ui import dashboard_app
from watchkeeper.errors import UsageError
from watchkeeper.model import LoadedModel
from watchkeeper.monitor import create_schedule
from watchkeeper.profile import DatasetProfile, profile_to_bytes, profile_to_json
from watchkeeper.serve import create_app

PROFILE = {"Content-Type": "application/octet-stream"}


def profile_of(rows: int = 50) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(pa.table({"price": np.linspace(1.0, 2.0, rows), "country": ["DE"] * rows}))
    return profile


def profile_bytes(rows: int = 50) -> bytes:
    return profile_to_bytes(profile_of(rows))


@pytest.fixture
def client(database_url, tmp_path, monkeypatch) -> Iterator:
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "home"))
    app = dashboard_app(Catalog(database_url), tokens=[], refresh_seconds=None)
    server = LiveServer(app).start()
    with server.client() as http:
        created = http.post("/api/v1/datasets", json={"name": "shop", "segment_columns": ["c"]})
        assert created.status_code == 201
        sent = http.post(
            "/api/v1/datasets/shop/profiles",
            content=profile_bytes(),
            params={"timestamp": "2026-11-20T09:00:00Z", "segment": "c=x"},
            headers=PROFILE,
        )
        assert sent.status_code == 201, sent.text
        yield http
    server.stop()


def detail(answer) -> str:
    text = answer.json()["detail"]
    assert isinstance(text, str) and "\n" not in text
    return text


def test_the_reported_paths_answer_4xx(client):
    group = client.get("/api/v1/feature-groups/bad.name/records/1")
    assert group.status_code == 422
    assert detail(group).startswith("feature group name 'bad.name' is not allowed")
    page = client.get("/datasets/shop", params={"segment": "bad"})
    assert page.status_code == 422
    assert detail(page) == "segment 'bad' is not of the form column=value&column=value"
    assert client.get("/datasets/shop", params={"segment": "c=x"}).status_code == 200
    execution = client.get("/api/v1/executions/9223372036854775808")
    assert execution.status_code == 422
    assert client.get("/api/v1/executions/2147483647").status_code == 404
    artifact = client.get("/executions/9223372036854775808/artifacts/report")
    assert artifact.status_code == 422


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/datasets/shop", {"start": "9999-12-31"}, "start 9999-12-31T00:00:00 is not between"),
        ("/datasets/shop", {"end": "9999-12-31"}, "end 9999-12-31T00:00:00 is not between"),
        ("/datasets/shop", {"start": "0001-01-01"}, "start 0001-01-01T00:00:00 is not between"),
        ("/datasets/shop", {"granularity": "week"}, "granularity must be 'hour' or 'day'"),
        ("/datasets/shop/features/price", {"segment": "x" * 2000}, "at most 1024 characters"),
        ("/api/v1/datasets/shop/batches", {"segment": "%%"}, "is not of the form"),
        ("/api/v1/datasets/shop/batches", {"start": "0001-01-01T00:00:00+05:00"}, "start"),
        ("/api/v1/datasets/shop/batches", {"end": "9999-12-31T23:59:59-05:00"}, "end"),
        ("/api/v1/datasets/shop%0A", {}, "dataset id 'shop\\n' is not valid"),
        # characters no name holds never reach the catalog (PostgreSQL refuses NUL)
        ("/api/v1/executions", {"schedule": "a\x00b"}, "schedule name 'a\\x00b' is not"),
        ("/api/v1/schedules/a%00b", {}, "schedule name 'a\\x00b' is not allowed"),
        ("/api/v1/datasets/shop%00", {}, "dataset id 'shop\\x00' is not valid"),
    ],
)
def test_malformed_queries_answer_422(client, path, params, message):
    answer = client.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert message in detail(answer)


def test_names_must_match_their_pattern_whole(client, tmp_path):
    refused = client.post("/api/v1/datasets", json={"name": "ds\n"})
    assert refused.status_code == 422
    assert detail(refused).startswith("dataset id 'ds\\n' is not valid")
    assert client.post("/api/v1/datasets/ds%0A/profiles", content=profile_bytes(),
                       headers=PROFILE).status_code == 422  # fmt: skip
    columns = client.post("/api/v1/datasets", json={"name": "web", "segment_columns": ["a\nb"]})
    assert columns.status_code == 422 and "printable characters" in detail(columns)
    again = client.post("/api/v1/datasets", json={"name": "shop"})
    assert (again.status_code, detail(again)) == (409, "a dataset named 'shop' exists already")
    for scope in ({"feature": "price\n"}, {"segment": "c=x\n&"}, {"feature": "p" * 600}):
        monitor = client.put("/api/v1/datasets/shop/monitors", json={**scope, "settings": {}})
        assert monitor.status_code == 422, scope
    model = LoadedModel.from_object(_Doubler())
    with pytest.raises(UsageError, match=r"endpoint 'ep\\n' cannot name a capture folder"):
        create_app(model, name="ep\n")
    with pytest.raises(UsageError, match=r"schedule name 'hourly\\n' is not allowed"):
        create_schedule(
            Catalog(f"sqlite:///{tmp_path / 'c.db'}"),
            name="hourly\n",
            endpoint="ep",
            capture=str(tmp_path),
            baseline=str(tmp_path),
            report=str(tmp_path),
        )


def test_received_profiles_outside_the_bounds_a_dataset_keeps_are_refused(client):
    document = json.loads(profile_to_json(profile_of()))
    for column in document["columns"]:
        column["kll"]["k"] = 100  # a valid sketch that cannot merge with the others
    other = client.post("/api/v1/datasets/shop/profiles", content=json.dumps(document).encode(),
                        params={"segment": "c=x"}, headers=PROFILE)  # fmt: skip
    assert other.status_code == 422
    assert "column 'price': a KLL sketch with k=100, c=0.64 cannot merge" in detail(other)
    for timestamp in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00Z", "10000-01-01"):
        late = client.post(
            "/api/v1/datasets/shop/profiles",
            content=profile_bytes(),
            params={"timestamp": timestamp, "segment": "c=x"},
            headers=PROFILE,
        )
        assert late.status_code == 422, timestamp
        assert "timestamp" in detail(late)


def test_a_cooldown_that_is_not_a_whole_number_of_minutes_is_explained(client):
    for value in ("inf", "nan", "1e308", "-1", "1.5"):
        answer = client.post("/datasets/shop/alerts", data={"action": "cooldown",
                             "cooldown_minutes": value}, follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303, value
        assert "error=the+cooldown+is+a+whole+number" in answer.headers["location"]


class _Doubler:
    feature_names = ("x",)

    def predict(self, rows):
        return np.asarray(rows, dtype=float)[:, 0] * 2


QUERY_KEYS = ("segment", "granularity", "start", "end", "batch", "dataset", "date", "schedule")
PAGES = (
    "/datasets/{name}",
    "/datasets/{name}/features/{text}",
    "/datasets/{name}/monitors",
    "/compare",
    "/executions",
)


def test_pages_answer_any_query_without_a_server_error(client):
    """The pages are not in the OpenAPI schema: their paths and queries are generated here."""
    texts = st.one_of(
        st.sampled_from(["shop", "c=x", "c=", "day", "hour", "2026-11-20", "baseline", "*"]),
        st.text(max_size=30),
        st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "%", "c=x&c=y", "x" * 2000]),
    )
    statuses = Counter()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(
        page=st.sampled_from(PAGES),
        name=texts,
        text=texts,
        query=st.dictionaries(st.sampled_from(QUERY_KEYS), texts, max_size=4),
    )
    def visit(page: str, name: str, text: str, query: dict[str, str]) -> None:
        path = page.format(name=quote(name, safe=""), text=quote(text, safe=""))
        answer = client.get(path, params=query)
        statuses[answer.status_code] += 1
        assert answer.status_code < 500, (path, query, answer.text[:300])

    visit()
    assert statuses[200] > 0 and sum(statuses.values()) == 60


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("report", "/tmp/r\x00", "report folder '/tmp/r\\x00' holds a control character"),
        ("capture", "c\x00", "capture folder 'c\\x00' holds a control character"),
        ("cron", "0 * * * *\x00", "is not a valid cron expression ([0 * * * *\\x00]"),
    ],
)
def test_schedule_fields_the_catalog_cannot_keep_are_refused(client, tmp_path, field, value,
                                                             message):  # fmt: skip
    import watchkeeper

    watchkeeper.suggest_baseline(pa.table({"x": [1.0, 2.0, 3.0]}), tmp_path / "baseline")
    body = {"name": "hourly", "endpoint": "ep", "baseline": str(tmp_path / "baseline"),
            "report": str(tmp_path / "r"), "capture": str(tmp_path / "c")}  # fmt: skip
    body[field] = value
    answer = client.post("/api/v1/schedules", json=body)
    assert answer.status_code == 422, answer.text
    assert message in detail(answer)
    assert client.get("/api/v1/schedules").json() == []
