"""``watchkeeper datasets …``: datasets of profiles over time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.artifacts import STATISTICS
from watchkeeper.cli._common import JsonOption, console, handled, print_json, say
from watchkeeper.cli.monitoring import DatabaseOption
from watchkeeper.errors import UsageError

datasets_app = typer.Typer(
    help="Datasets of logged profiles: create, set a baseline, import, list.",
    no_args_is_help=True,
)


def _service(database: str | None):
    from watchkeeper.catalog import Catalog
    from watchkeeper.datasets.service import DatasetService, default_notify

    return DatasetService(Catalog(database), notify=default_notify())


@datasets_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    segment_columns: Annotated[
        str,
        typer.Option(
            help="Columns whose values split the data into segments, e.g. country,model_version."
        ),
    ] = "",
    description: Annotated[str, typer.Option(help="What the dataset is.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Create a dataset (datasets are also created by the first profile they receive)."""
    with handled():
        columns = [column.strip() for column in segment_columns.split(",") if column.strip()]
        dataset = _service(database).create(
            name, segment_columns=columns, description=description
        )
        say(f"created dataset {dataset.name}")


@datasets_app.command("list")
def list_datasets(database: DatabaseOption = None, json_output: JsonOption = False) -> None:
    """The datasets, their last batch and open violations."""
    with handled():
        service = _service(database)
        service.refresh()
        rows = []
        for dataset in service.datasets():
            days = service.batches(dataset.name, granularity="day")
            latest = days[-1] if days else None
            rows.append(
                {
                    "name": dataset.name,
                    "segment_columns": list(dataset.segment_columns),
                    "baseline": dataset.baseline_source,
                    "days": len(days),
                    "last_day": latest.start.date().isoformat() if latest else None,
                    "rows_last_day": latest.rows if latest else 0,
                    "violations_last_day": len(latest.violations) if latest else 0,
                }
            )
        if json_output:
            print_json(rows)
            return
        from rich.table import Table

        table = Table(header_style="bold")
        for label in ("dataset", "segments", "baseline", "days", "last day", "rows", "violations"):
            table.add_column(label)
        for row in rows:
            table.add_row(
                row["name"],
                ", ".join(row["segment_columns"]) or "—",
                row["baseline"] or "—",
                str(row["days"]),
                row["last_day"] or "—",
                f"{row['rows_last_day']:,}",
                str(row["violations_last_day"]),
            )
        console.print(table)


@datasets_app.command("baseline")
def baseline(
    name: Annotated[str, typer.Argument(help="The dataset.")],
    source: Annotated[
        str,
        typer.Argument(
            help="A data file (CSV, Parquet, JSONL) to profile, a baseline folder or "
            "statistics.json, or a watchkeeper profile (.wkp)."
        ),
    ],
    database: DatabaseOption = None,
) -> None:
    """Set the dataset's reference profile."""
    with handled():
        profile = _reference(source)
        _service(database).set_baseline(name, profile, source)
        console.print(
            f"baseline of {name}: {source} ({profile.rows:,} rows, "
            f"{len(profile.columns)} features)",
        )


@datasets_app.command("import")
def import_command(
    name: Annotated[str, typer.Argument(help="The dataset.")],
    uri: Annotated[str, typer.Argument(help="The folder or URI the logger wrote profiles to.")],
    database: DatabaseOption = None,
) -> None:
    """Receive the profiles `watchkeeper.log(..., to=URI)` wrote, each file once."""
    with handled():
        from watchkeeper.datasets.importer import import_profiles

        service = _service(database)
        imported, problems = import_profiles(service, uri, name)
        service.refresh(name)
        for problem in problems:
            say(("skipped:", "yellow"), " ", problem)
        say(f"imported {imported} profile(s) into {name}")


@datasets_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="The dataset.")],
    database: DatabaseOption = None,
) -> None:
    """Delete a dataset with its batches, monitors and channels."""
    with handled():
        _service(database).delete(name)
        say(f"deleted dataset {name}")


def _reference(source: str):
    from watchkeeper.api import profile as profile_file
    from watchkeeper.baseline import load_baseline
    from watchkeeper.profile import read_profile

    path = Path(source)
    if source.endswith(".wkp"):
        return read_profile(source)
    if path.is_dir() or path.name == STATISTICS:
        found = load_baseline(str(path.parent if path.name == STATISTICS else path))
        if found.statistics is None:
            raise UsageError(f"{source}: the baseline has no {STATISTICS}")
        return found.statistics
    return profile_file(source)
