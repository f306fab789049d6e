"""Writing the report files to a folder."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from watchkeeper.errors import UsageError
from watchkeeper.profile import DatasetProfile
from watchkeeper.report import feature_table, render_html, table_csv, write_report


@pytest.fixture
def profile():
    profile = DatasetProfile()
    profile.track(pa.table({"age": [31, 45, None], "city": ["Lyon", None, "Lyon"]}))
    return profile


def test_writes_the_three_files_and_returns_where(tmp_path, profile):
    folder = tmp_path / "reports" / "2024-06-11"
    written = write_report(folder, profile, title="daily", subtitle="orders.csv")
    assert written == {name: str(folder / f"report.{name}") for name in ("html", "csv", "json")}
    assert sorted(path.name for path in folder.iterdir()) == [
        "report.csv",
        "report.html",
        "report.json",
    ]
    assert (folder / "report.csv").read_text() == table_csv(feature_table(profile))
    assert json.loads((folder / "report.json").read_text()) == feature_table(profile)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page == render_html(profile, title="daily", subtitle="orders.csv")


def test_writes_only_the_names_asked_for(tmp_path, profile):
    written = write_report(tmp_path, profile, names=("csv",))
    assert list(written) == ["csv"]
    assert [path.name for path in tmp_path.iterdir()] == ["report.csv"]


def test_file_uris_are_accepted(tmp_path, profile):
    written = write_report(f"file://{tmp_path}", profile, names=("json",))
    assert (tmp_path / "report.json").exists() and written["json"].endswith("report.json")


def test_overwrites_an_earlier_report_whole(tmp_path, profile):
    write_report(tmp_path, profile)
    profile.track(pa.table({"age": [50], "city": ["Köln"]}))
    write_report(tmp_path, profile, names=("json",))
    assert json.loads((tmp_path / "report.json").read_text())[0]["rows"] == 4
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]


@pytest.mark.parametrize("names", [("pdf",), "html", ("html", "xlsx")])
def test_unknown_names_are_refused(tmp_path, profile, names):
    with pytest.raises(UsageError, match="html, csv, json"):
        write_report(tmp_path, profile, names=names)
    assert list(tmp_path.iterdir()) == []
