"""The feature store's SQL is read-only and sees the feature groups only, unless the
caller opts in to full DuckDB."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import UsageError
from watchkeeper.featurestore import FeatureStore

FRAME = pd.DataFrame(
    {
        "id": [1, 2, 3],
        "t": ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "2024-03-02T09:30:00Z"],
        "x": [0.5, 0.75, 0.25],
    }
)


@pytest.fixture
def fs(tmp_path):
    store = FeatureStore(tmp_path / "store", monitor=False)
    group = store.feature_group("scores")
    group.load_feature_definitions(FRAME)
    group.create("id", "t")
    group.ingest(FRAME)
    yield store
    store.close()


@pytest.fixture
def outside(tmp_path):
    """A CSV and a Parquet file beside the store, not part of it."""
    csv = tmp_path / "secret.csv"
    csv.write_text("password\nhunter2\n")
    parquet = tmp_path / "secret.parquet"
    pq.write_table(pa.table({"password": ["hunter2"]}), parquet)
    return csv, parquet


def test_the_groups_are_queried_as_before(fs):
    assert fs.query('SELECT sum(x) AS s, count(*) AS n FROM "scores"').to_dict("list") == {
        "s": [1.5],
        "n": [3],
    }
    described = fs.query('DESCRIBE "scores"')
    assert "event_date" in described["column_name"].tolist()
    assert fs.query("SHOW TABLES")["name"].tolist() == ["scores"]
    entity = pd.DataFrame({"id": [2, 3], "when": ["2024-03-05T00:00:00Z", "2024-03-01T00:00:00Z"]})
    joined = fs.point_in_time(entity, "scores", event_time_column="when")
    assert joined["x"].iloc[0] == 0.75 and pd.isna(joined["x"].iloc[1])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('{csv}')",
        "SELECT * FROM '{csv}'",
        "SELECT * FROM read_text('{csv}')",
        "SELECT * FROM read_parquet('{parquet}')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('{store}/_groups/scores.json')",
        "SELECT * FROM read_blob('{store}/_online/online.db')",
        "SELECT * FROM glob('{store}/*')",
        "SELECT * FROM read_csv('{tmp}/{name}.csv')",
        "SELECT * FROM read_csv('https://example.com/data.csv')",
    ],
)
def test_files_outside_the_groups_cannot_be_read(fs, outside, sql):
    csv, parquet = outside
    temporary = Path(tempfile.gettempdir()) / f"{uuid.uuid4().hex}.csv"
    temporary.write_text("a\n1\n")
    try:
        text = sql.format(
            csv=csv, parquet=parquet, store=fs.uri, tmp=tempfile.gettempdir(), name=temporary.stem
        )
        with pytest.raises(UsageError, match="query refused") as raised:
            fs.query(text)
    finally:
        temporary.unlink()
    message = str(raised.value)
    assert "\n" not in message
    assert "allow_external_access=True" in message and "--unsafe-sql" in message


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("COPY (SELECT * FROM \"scores\") TO '{target}'", "COPY"),
        ("COPY \"scores\" TO '{target}' (FORMAT parquet)", "COPY"),
        ("EXPORT DATABASE '{folder}'", "EXPORT"),
        ("ATTACH '{folder}/other.db' AS other", "ATTACH"),
        ("ATTACH ':memory:' AS other", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("SET lock_configuration = false", "SET"),
        ("-- a comment\nSET threads = 1", "SET"),
        ("RESET enable_external_access", "RESET"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("CREATE TABLE copied AS SELECT * FROM \"scores\"", "CREATE"),
        ("DROP VIEW \"scores\"", "DROP"),
        ("CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'b')", "CREATE"),
    ],
)
def test_statements_that_are_not_queries_are_refused(fs, tmp_path, sql, kind):
    target = tmp_path / "out.csv"
    text = sql.format(target=target, folder=tmp_path)
    with pytest.raises(UsageError, match=f"query refused: {kind} statements are not allowed"):
        fs.query(text)
    assert not target.exists()
    assert not (tmp_path / "other.db").exists()
    assert fs.query('SELECT count(*) AS n FROM "scores"')["n"].tolist() == [3]


def test_the_lock_holds_even_on_a_connection_handed_out(fs, outside):
    csv, _ = outside
    con = fs.connect()
    try:
        for statement in (
            "SET enable_external_access = true",
            "SET lock_configuration = false",
            "SET allowed_paths = ['/etc/passwd']",
            "SET autoinstall_known_extensions = true",
        ):
            with pytest.raises(Exception, match="configuration has been locked"):
                con.execute(statement)
        with pytest.raises(Exception, match="disabled by configuration"):
            con.execute(f"SELECT * FROM read_csv('{csv}')")
        with pytest.raises(Exception, match="disabled"):
            con.execute("LOAD httpfs")
        assert con.execute('SELECT count(*) FROM "scores"').fetchone() == (3,)
    finally:
        con.close()


def test_several_statements_are_refused(fs):
    with pytest.raises(UsageError, match="one statement, not 2"):
        fs.query('SELECT 1; SELECT count(*) FROM "scores"')


def test_full_duckdb_when_asked_for(fs, outside, tmp_path):
    csv, parquet = outside
    assert fs.query(f"SELECT * FROM read_csv('{csv}')", allow_external_access=True)[
        "password"
    ].tolist() == ["hunter2"]
    joined = fs.query(
        f'SELECT s.x, p.password FROM "scores" s, read_parquet(\'{parquet}\') p WHERE s.id = 1',
        allow_external_access=True,
    )
    assert joined.to_dict("list") == {"x": [0.5], "password": ["hunter2"]}
    target = tmp_path / "exported.csv"
    copy = f"COPY (SELECT id FROM \"scores\" ORDER BY id) TO '{target}'"
    fs.query(copy, allow_external_access=True)
    assert target.read_text().split() == ["id", "1", "2", "3"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WATCHKEEPER_HOME": str(cwd / "workspace")}
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", "fs", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_the_command_refuses_outside_files_and_opts_in_with_unsafe_sql(fs, outside, tmp_path):
    csv, _ = outside
    refused = _cli("query", "SELECT * FROM read_csv('/etc/passwd')", "--uri", fs.uri, cwd=tmp_path)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "query refused" in lines[0] and "/etc/passwd" in lines[0]
    assert "Traceback" not in refused.stderr and refused.stdout == ""
    copy = f"COPY \"scores\" TO '{tmp_path / 'x.csv'}'"
    copied = _cli("query", copy, "--uri", fs.uri, cwd=tmp_path)
    assert copied.returncode == 2 and "COPY statements are not allowed" in copied.stderr
    assert not (tmp_path / "x.csv").exists()
    opened = _cli(
        "query", f"SELECT * FROM read_csv('{csv}')", "--unsafe-sql", "--json", "--uri", fs.uri,
        cwd=tmp_path,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert '"hunter2"' in opened.stdout


FRAGMENTS = [
    "SELECT", "*", "FROM", '"scores"', "read_csv('/etc/passwd')", "read_text('{tmp}/x')",
    "COPY", "TO", "'{tmp}/out.csv'", "ATTACH", "INSTALL", "LOAD", "httpfs", "SET",
    "enable_external_access", "=", "true", ";", "(", ")", "WHERE", "x", ">", "0", ",",
    "count(*)", "glob('/*')", "'", '"', "--", "PRAGMA", "CALL", "EXPORT DATABASE",
]  # fmt: skip


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """A store for the fuzzed queries, in a folder of its own."""
    folder = tmp_path_factory.mktemp("fuzz")
    store = FeatureStore(folder / "store", monitor=False)
    group = store.feature_group("scores")
    group.load_feature_definitions(FRAME)
    group.create("id", "t", enable_online_store=False)
    group.ingest(FRAME)
    return store, folder


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    pieces=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=12)
)
def test_any_sql_gives_a_frame_or_a_usage_error_and_writes_nothing(fuzzed, pieces):
    store, folder = fuzzed
    before = _tree(folder)
    text = " ".join(pieces).replace("{tmp}", str(folder))
    try:
        result = store.query(text)
    except UsageError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(result, pd.DataFrame)
    assert _tree(folder) == before
    assert store.query('SELECT count(*) AS n FROM "scores"')["n"].tolist() == [3]
