"""Writing the report files to a folder."""

from __future__ import annotations

import errno
import json
import tempfile

import pyarrow as pa
import pytest

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io.storage import write_files
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


def folder_state(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_page_that_cannot_be_rendered_leaves_the_folder_as_it_was(tmp_path, profile, monkeypatch):
    write_report(tmp_path, profile)
    before = folder_state(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr("watchkeeper.report.writer.render_html", broken)
    profile.track(pa.table({"age": [50], "city": ["Köln"]}))
    with pytest.raises(RuntimeError):
        write_report(tmp_path, profile)
    assert folder_state(tmp_path) == before  # report.csv and .json not replaced either
    with pytest.raises(RuntimeError):
        write_report(tmp_path / "new", profile)
    assert not (tmp_path / "new").exists()


def test_a_file_that_cannot_be_written_leaves_the_set_unwritten(tmp_path, profile, monkeypatch):
    write_report(tmp_path, profile)
    before = folder_state(tmp_path)
    real = tempfile.mkstemp
    calls = []

    def disk_full_on_the_third(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", disk_full_on_the_third)
    profile.track(pa.table({"age": [50], "city": ["Köln"]}))
    with pytest.raises(InputError, match="No space left on device"):
        write_report(tmp_path, profile)
    assert folder_state(tmp_path) == before  # no temporary file left either


def test_a_folder_in_the_way_of_one_file_stops_the_set_before_any_is_written(tmp_path, profile):
    (tmp_path / "report.json").mkdir()
    with pytest.raises(InputError, match=r"report\.json: is a folder"):
        write_report(tmp_path, profile)
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


def test_write_files_writes_text_and_bytes_as_one_set(tmp_path):
    written = write_files(tmp_path / "a" / "b", {"x.json": "{}", "y.bin": b"\x00\xff"})
    assert written == {"x.json": str(tmp_path / "a/b/x.json"), "y.bin": str(tmp_path / "a/b/y.bin")}
    assert (tmp_path / "a/b/y.bin").read_bytes() == b"\x00\xff"
