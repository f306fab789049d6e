"""watchkeeper's default drift judgement: each feature by what its profiles keep.

A column both sides keep as free text is judged on its descriptors and vocabulary, one
both keep as embeddings on its mean vector (:mod:`watchkeeper.drift.text`); any other
column on its values, as numbers or categories
(:func:`~watchkeeper.drift.detector.detect_distribution`, whose docstring lists the
tests). Every check, the dashboard's monitors, :func:`watchkeeper.compare` and
:func:`detect` judge with :func:`judge_column`.
"""

from __future__ import annotations

from typing import overload

from watchkeeper.drift.detector import detect_distribution
from watchkeeper.drift.result import DriftResult, DriftSettings
from watchkeeper.drift.text import detect_embedding, detect_text
from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile


def judge_column(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings | None = None
) -> DriftResult:
    """The default judgement of a feature: :func:`detect_text` for free text,
    :func:`detect_embedding` for embeddings, else :func:`detect_distribution`."""
    if baseline.text is not None and current.text is not None:
        return detect_text(baseline, current, settings)
    if baseline.embedding is not None and current.embedding is not None:
        return detect_embedding(baseline, current, settings)
    return detect_distribution(baseline, current, settings)


@overload
def detect(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings | None = None
) -> DriftResult: ...


@overload
def detect(
    baseline: DatasetProfile, current: DatasetProfile, settings: DriftSettings | None = None
) -> dict[str, DriftResult]: ...


def detect(baseline, current, settings=None):
    """Judge whether a feature drifted from its baseline, or every feature of a dataset.

    Given two :class:`ColumnProfile` objects, the judgement of that feature (a
    :class:`DriftResult`, see :func:`judge_column`); given two :class:`DatasetProfile`
    objects, one per feature (see :func:`detect_all`). Anything else is a UsageError.

    >>> import numpy as np, pyarrow as pa
    >>> rng = np.random.default_rng(0)
    >>> def dataset(shift):
    ...     profile = DatasetProfile()
    ...     profile.track(pa.table({"x": rng.normal(shift, 1, 5000), "y": rng.normal(0, 1, 5000)}))
    ...     return profile
    >>> {name: result.drifted for name, result in detect(dataset(0), dataset(0.3)).items()}
    {'x': True, 'y': False}
    >>> detect(dataset(0).columns["x"], dataset(0.3).columns["x"]).test
    'location'
    """
    if isinstance(baseline, DatasetProfile) and isinstance(current, DatasetProfile):
        return detect_all(baseline, current, settings)
    if isinstance(baseline, ColumnProfile) and isinstance(current, ColumnProfile):
        return judge_column(baseline, current, settings)
    raise UsageError(
        "detect compares two ColumnProfiles or two DatasetProfiles; got "
        f"{type(baseline).__name__} and {type(current).__name__}"
    )


def detect_all(
    baseline: DatasetProfile,
    current: DatasetProfile,
    settings: DriftSettings | None = None,
) -> dict[str, DriftResult]:
    """:func:`detect` for every baseline column that the current profile also has.

    Columns missing on either side are a schema question (SageMaker's
    ``missing_column_check`` / ``extra_column_check``), not drift.
    """
    if not (isinstance(baseline, DatasetProfile) and isinstance(current, DatasetProfile)):
        raise UsageError(
            "detect_all compares two DatasetProfiles; got "
            f"{type(baseline).__name__} and {type(current).__name__}"
        )
    return {
        name: judge_column(column, current.columns[name], settings)
        for name, column in baseline.columns.items()
        if name in current.columns
    }
