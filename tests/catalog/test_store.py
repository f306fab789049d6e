"""The catalog on SQLite: processed objects and the outbox survive a reopen."""

from __future__ import annotations

from sqlite_writers import opened_while_another_writes
from watchkeeper.catalog import Catalog, ProcessedObject


def test_objects_and_messages_survive_reopening(database_url):
    url = database_url
    catalog = Catalog(url)
    done = ProcessedObject("s3://b/", "s3://b/x.csv", "etag1", "done", violations=2, rows=10)
    catalog.record(done, [("k1", "chan", "title", "body"), ("k1", "chan", "dup", "dup")])
    assert catalog.is_processed("s3://b/x.csv", "etag1")
    assert not catalog.is_processed("s3://b/x.csv", "etag2")
    catalog.close()
    again = Catalog(url)
    assert again.processed_versions(["s3://b/x.csv", "s3://b/y.csv"]) == {("s3://b/x.csv", "etag1")}
    [message] = again.pending()
    assert (message.dedup_key, message.title) == ("k1", "title")
    assert again.enqueue("k1", "chan", "t", "b") is False
    again.mark_failed_attempt(message.id, "connection refused")
    again.mark_sent(message.id)
    assert again.pending() == []
    [sent] = again.messages()
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "connection refused")
    assert [o.key for o in again.objects("s3://b/")] == ["s3://b/x.csv"]


def test_default_location_follows_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "ws"))
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    catalog = Catalog()
    assert (tmp_path / "ws" / "catalog.db").exists()
    assert catalog.url.endswith("ws/catalog.db")


def test_text_from_data_holding_nul_is_stored_the_same_on_every_database(database_url):
    # PostgreSQL's text cannot hold NUL: a column name or a value quoted in an alert or
    # a failure reason must not fail the write that records the file
    catalog = Catalog(database_url)
    failed = ProcessedObject("src", "s3://b/a.parquet", "v1", "failed", error="column 'a\0b'")
    assert catalog.record(failed, [("k", "chan", "problems in 'a\0b'", "- **a\0b**: 2 missing")])
    [stored] = catalog.objects()
    assert stored.error == "column 'a\\0b'"
    [message] = catalog.pending()
    assert (message.title, message.body) == ("problems in 'a\\0b'", "- **a\\0b**: 2 missing")
    catalog.mark_failed_attempt(message.id, "refused 'a\0b'")
    assert catalog.messages()[0].last_error == "refused 'a\\0b'"


def test_a_catalog_opened_first_holds_every_table_the_stores_use(tmp_path):
    """A fresh interpreter that opens the catalog before it has used the dataset or the
    monitoring stores still finds their tables when it uses them."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    code = (
        "import sys, sqlalchemy\n"
        "from watchkeeper.catalog import Catalog\n"
        f"catalog = Catalog({url!r})\n"
        "assert 'watchkeeper.catalog.dataset_records' in sys.modules\n"
        "print(sorted(sqlalchemy.inspect(catalog.engine).get_table_names()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    tables = set(eval(done.stdout))
    assert {"datasets", "profile_batches", "monitors", "schedules", "executions"} <= tables


def test_processes_opening_one_new_catalog_at_once_all_open_it(tmp_path):
    """Each table is created by whichever process gets there first; the others go on."""
    import subprocess
    import sys

    code = "import sys\nfrom watchkeeper.catalog import Catalog\nCatalog(sys.argv[1])\n"
    for round_ in range(3):
        url = f"sqlite:///{tmp_path / f'catalog-{round_}.db'}"
        opening = [
            subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        failures = [process.communicate()[1] for process in opening if process.wait()]
        assert failures == []


def test_opening_a_new_catalog_waits_while_another_process_writes_it_first(tmp_path):
    """SQLite refuses the switch to WAL at once while the new file is being written."""
    path = tmp_path / "catalog.db"
    catalog = opened_while_another_writes(path, lambda: Catalog(f"sqlite:///{path}"))
    assert catalog.objects() == []
    catalog.close()
