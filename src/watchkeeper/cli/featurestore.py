"""``watchkeeper featurestore …``: feature groups, ingest, SQL over the offline store."""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper.cli._common import JsonOption, console, handled, print_json, say

fs_app = typer.Typer(
    help="Feature groups: create from a file, ingest, describe, query with SQL, get records.",
    no_args_is_help=True,
)

UriOption = Annotated[
    str | None,
    typer.Option(help="Offline store folder or s3:// URI (default: the workspace's)."),
]
OnlineOption = Annotated[
    str | None,
    typer.Option(help="Online store: sqlite:///path or redis://host:port/db (default SQLite)."),
]
INGEST_ROWS = 500_000


def _store(uri: str | None, online: str | None):
    from watchkeeper.featurestore import FeatureStore

    return FeatureStore(uri, online=online)


@fs_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The feature group's name.")],
    source: Annotated[str, typer.Argument(help="A data file whose columns define the features.")],
    record_identifier: Annotated[str, typer.Option(help="The id column.")],
    event_time: Annotated[str, typer.Option(help="The event time column.")],
    description: Annotated[str, typer.Option(help="What the group holds.")] = "",
    online_store: Annotated[
        bool, typer.Option("--online-store/--no-online-store", help="Keep the latest online.")
    ] = True,
    uri: UriOption = None,
    online: OnlineOption = None,
) -> None:
    """Create a feature group, its definitions inferred from a file's column types."""
    with handled():
        import pyarrow as pa

        from watchkeeper.io import read_batches

        fg = _store(uri, online).feature_group(name)
        first = next(iter(read_batches(source, batch_rows=1000)))
        fg.load_feature_definitions(pa.Table.from_batches([first]))
        fg.create(record_identifier, event_time, online_store, description=description)
        say(f"created feature group {name}")


@fs_app.command("ingest")
def ingest(
    name: Annotated[str, typer.Argument(help="The feature group's name.")],
    source: Annotated[str, typer.Argument(help="CSV, Parquet or JSON Lines file or folder.")],
    max_workers: Annotated[int, typer.Option(help="Parallel writers.")] = 1,
    uri: UriOption = None,
    online: OnlineOption = None,
    json_output: JsonOption = False,
) -> None:
    """Ingest a file into a feature group; rejected rows are listed with their reason.

    Each batch of 500,000 rows lands whole or not at all, in the offline and the online
    store alike, even if the command is killed.
    """
    with handled():
        import pyarrow as pa

        from watchkeeper.io import read_batches

        store = _store(uri, online)
        fg = store.feature_group(name)
        fg.describe()
        ingested, rejected, offset = 0, [], 0
        for batch in read_batches(source, batch_rows=INGEST_ROWS):
            report = fg.ingest(pa.Table.from_batches([batch]), max_workers=max_workers)
            ingested += report.ingested
            rejected += [(offset + row, reason) for row, reason in report.rejected]
            offset += batch.num_rows
        store.close()
        if json_output:
            print_json({"ingested": ingested, "rejected": [list(r) for r in rejected]})
            return
        say(f"ingested {ingested} rows, rejected {len(rejected)}")
        for row, reason in rejected[:50]:
            console.print(f"  row {row}: {reason}", soft_wrap=True)
        if rejected:
            raise typer.Exit(1)


@fs_app.command("list")
def list_groups(uri: UriOption = None, json_output: JsonOption = False) -> None:
    """The feature groups."""
    with handled():
        names = _store(uri, None).list()
        if json_output:
            print_json(names)
            return
        for name in names:
            console.print(name)


@fs_app.command("describe")
def describe(
    name: Annotated[str, typer.Argument(help="The feature group's name.")],
    uri: UriOption = None,
) -> None:
    """The feature group's description (as SageMaker's DescribeFeatureGroup)."""
    with handled():
        print_json(_store(uri, None).feature_group(name).describe())


@fs_app.command("query")
def query(
    sql: Annotated[str, typer.Argument(help='SQL; each group is a view, e.g. FROM "name".')],
    uri: UriOption = None,
    unsafe_sql: Annotated[
        bool,
        typer.Option(
            "--unsafe-sql",
            help="Run the SQL in full DuckDB: it may read and write any file, reach the "
            "network and load extensions. Only for SQL you trust.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run one read-only SQL query over the offline store.

    The query sees the feature groups only: other files, URLs, COPY, ATTACH,
    INSTALL/LOAD, SET and statements that change anything are refused (exit 2).
    """
    with handled():
        from watchkeeper.featurestore.definitions import with_iso_times

        frame = with_iso_times(_store(uri, None).query(sql, allow_external_access=unsafe_sql))
        if json_output:
            print_json(frame.to_dict("records"))
            return
        from rich.table import Table

        table = Table()
        for column in frame.columns:
            table.add_column(str(column))
        for row in frame.head(200).itertuples(index=False):
            table.add_row(*(str(value) for value in row))
        console.print(table)


@fs_app.command("get")
def get(
    name: Annotated[str, typer.Argument(help="The feature group's name.")],
    record_id: Annotated[str, typer.Argument(help="The record identifier.")],
    uri: UriOption = None,
    online: OnlineOption = None,
) -> None:
    """The latest record of an id from the online store."""
    with handled():
        store = _store(uri, online)
        record = store.feature_group(name).get_record(record_id)
        store.close()
        if record is None:
            say(f"no record {record_id!r} in {name}")
            raise typer.Exit(1)
        print_json(record)


@fs_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="The feature group's name.")],
    uri: UriOption = None,
    online: OnlineOption = None,
) -> None:
    """Delete a feature group: registry entry, offline files and online records."""
    with handled():
        store = _store(uri, online)
        store.feature_group(name).delete()
        store.close()
        say(f"deleted feature group {name}")
