"""statistics.json and constraints.json: any file gives a baseline or one clear error.

Documents are SageMaker's real files (and one of ours with every column type) changed
in one to three places; a document that is accepted must also be usable: written back,
judged, compared for drift.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from parser_fuzzing import FUZZ, holds, json_bytes, mutated, spoiled

import watchkeeper
from watchkeeper.baseline import (
    parse_constraints,
    read_constraints,
    read_statistics,
    statistics_document,
    statistics_json,
    suggest_constraints,
)
from watchkeeper.checks.constraints import evaluate_constraints

SAGEMAKER = Path(__file__).parents[1] / "data" / "sagemaker"
DATA_QUALITY = SAGEMAKER / "pipeline" / "quality_check_step" / "data_quality"


def _ours() -> watchkeeper.DatasetProfile:
    table = pa.table(
        {
            "count": pa.array([1, 2, 3, None, 5, 6]),
            "price": pa.array([0.5, 1.5, None, 2.25, 1e6, -3.0]),
            "colour": pa.array(["red", "blue", "red", None, "red", "blue"]),
            "flag": pa.array([True, False, True, True, None, False]),
            "empty": pa.array([None] * 6, pa.string()),
        }
    )
    return watchkeeper.profile(table)


OURS = _ours()
STATISTICS = [
    json.loads((DATA_QUALITY / "statistics.json").read_text()),
    json.loads((SAGEMAKER / "monitor" / "statistics.json").read_text()),
    json.loads(json_bytes(statistics_document(OURS))),
]
CONSTRAINTS = [
    json.loads((DATA_QUALITY / "good_cases" / "constraints.json").read_text()),
    json.loads((DATA_QUALITY / "bad_cases" / "constraints.json").read_text()),
    json.loads((SAGEMAKER / "monitor" / "constraints.json").read_text()),
    json.loads(json_bytes(suggest_constraints(OURS))),
]
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("baseline-fuzz")


def _file(folder: Path, name: str, data: bytes) -> str:
    path = folder / f"{next(_names)}-{name}"
    path.write_bytes(data)
    return str(path)


def _use_statistics(profile) -> None:
    """What a baseline is for: written again, its constraints suggested and judged."""
    statistics_json(profile)
    constraints = parse_constraints(suggest_constraints(profile))
    for mode in ("default", "sagemaker"):
        evaluate_constraints(profile, constraints, profile, drift=mode)


def _use_constraints(constraints) -> None:
    for mode in ("default", "sagemaker"):
        evaluate_constraints(OURS, constraints, OURS, drift=mode)


@FUZZ
@given(document=st.sampled_from(STATISTICS).flatmap(mutated), ascii_only=st.booleans())
def test_changed_statistics_give_a_profile_or_one_clear_error(folder, document, ascii_only):
    path = _file(folder, "statistics.json", json_bytes(document, ascii_only))
    profile = holds(read_statistics, path, names=[path])
    if isinstance(profile, watchkeeper.DatasetProfile):
        holds(_use_statistics, profile)


@FUZZ
@given(data=spoiled((DATA_QUALITY / "statistics.json").read_bytes()))
def test_statistics_bytes_give_a_profile_or_one_clear_error(folder, data):
    path = _file(folder, "statistics.json", data)
    profile = holds(read_statistics, path, names=[path])
    if isinstance(profile, watchkeeper.DatasetProfile):
        holds(_use_statistics, profile)


@FUZZ
@given(document=st.sampled_from(CONSTRAINTS).flatmap(mutated), ascii_only=st.booleans())
def test_changed_constraints_give_constraints_or_one_clear_error(folder, document, ascii_only):
    path = _file(folder, "constraints.json", json_bytes(document, ascii_only))
    constraints = holds(read_constraints, path, names=[path])
    if not isinstance(constraints, Exception):
        holds(_use_constraints, constraints)


@FUZZ
@given(data=spoiled((DATA_QUALITY / "good_cases" / "constraints.json").read_bytes()))
def test_constraints_bytes_give_constraints_or_one_clear_error(folder, data):
    path = _file(folder, "constraints.json", data)
    constraints = holds(read_constraints, path, names=[path])
    if not isinstance(constraints, Exception):
        holds(_use_constraints, constraints)
