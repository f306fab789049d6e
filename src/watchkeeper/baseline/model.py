"""A baseline: the reference statistics and the constraints a current profile is judged by."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pyarrow as pa

from watchkeeper.artifacts import CONSTRAINTS, SAMPLE, STATISTICS
from watchkeeper.baseline.constraints import (
    Constraints,
    parse_constraints,
    read_constraints,
    suggest_constraints,
    write_constraints,
)
from watchkeeper.baseline.statistics import read_statistics, write_statistics
from watchkeeper.errors import InputError
from watchkeeper.io.storage import exists, join, read_bytes
from watchkeeper.multivariate import sample_from_bytes
from watchkeeper.profile import DatasetProfile


@dataclass(frozen=True)
class Baseline:
    """Reference ``statistics`` (a profile) and the ``constraints`` to judge against.

    ``location`` is the folder or URI it was read from or written to, if any;
    ``sample`` a bounded sample of its rows (:data:`~watchkeeper.artifacts.SAMPLE`),
    for multivariate drift, when it has one.
    """

    statistics: DatasetProfile | None
    constraints: Constraints
    location: str | None = None
    sample: pa.Table | None = None

    @classmethod
    def from_profile(
        cls,
        profile: DatasetProfile,
        location: str | None = None,
        sample: pa.Table | None = None,
    ) -> Baseline:
        """The baseline SageMaker would suggest for ``profile``."""
        return cls(profile, parse_constraints(suggest_constraints(profile)), location, sample)

    @property
    def feature_names(self) -> list[str]:
        """The features it describes, in order: its constraints', else its statistics'."""
        names = list(self.constraints.features)
        return names or (list(self.statistics.columns) if self.statistics is not None else [])


def load_baseline(
    location: str | os.PathLike[str], storage_options: dict | None = None
) -> Baseline:
    """Read ``statistics.json`` and ``constraints.json`` from a folder or URI.

    Either file may be missing, not both: without statistics there is no drift check,
    without constraints they are suggested from the statistics (as SageMaker would).
    watchkeeper's row sample is read when the folder has one (older baselines and
    SageMaker's do not).
    """
    where = os.fspath(location)
    statistics_path, constraints_path = join(where, STATISTICS), join(where, CONSTRAINTS)
    has_statistics = exists(statistics_path, storage_options)
    has_constraints = exists(constraints_path, storage_options)
    if not has_statistics and not has_constraints:
        if exists(where, storage_options) and not _is_folder(where):
            raise InputError(
                f"{where}: a baseline is a folder holding {STATISTICS} and {CONSTRAINTS}"
            )
        raise InputError(f"{where}: no {STATISTICS} or {CONSTRAINTS} found (not a baseline folder)")
    statistics = read_statistics(statistics_path, storage_options) if has_statistics else None
    if has_constraints:
        constraints = read_constraints(constraints_path, storage_options)
    else:
        constraints = parse_constraints(suggest_constraints(statistics), statistics_path)
    sample_path = join(where, SAMPLE)
    sample = None
    if exists(sample_path, storage_options):
        sample = sample_from_bytes(read_bytes(sample_path, storage_options), sample_path)
    return Baseline(statistics, constraints, where, sample)


def _is_folder(where: str) -> bool:
    return os.path.isdir(where) if "://" not in where else True


def write_baseline(
    profile: DatasetProfile,
    location: str | os.PathLike[str],
    storage_options: dict | None = None,
) -> dict[str, str]:
    """Write ``statistics.json`` and the suggested ``constraints.json`` of ``profile``."""
    where = os.fspath(location)
    return {
        "statistics": write_statistics(profile, join(where, STATISTICS), storage_options),
        "constraints": write_constraints(
            suggest_constraints(profile), join(where, CONSTRAINTS), storage_options
        ),
    }
