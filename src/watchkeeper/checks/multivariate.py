"""Multivariate drift as a check: the baseline's row sample against the rows being checked.

:class:`MultivariateCheck` is made before the data is read, sees every batch the
profile sees (memory: the model, or a bounded sample of the current rows) and judges
once at the end into a :class:`~watchkeeper.multivariate.result.MultivariateResult`;
:func:`multivariate_violation` turns a drifted one into the ``multivariate_drift_check``
violation, :func:`multivariate_points` into its metric series
(``multivariate_reconstruction_error`` or ``multivariate_classifier_auc``).

Modes: ``pca`` (the default: reconstruction error against a calibrated band),
``classifier`` (a domain classifier's cross-validated AUC and the separating columns)
and ``off``. A baseline without a row sample (SageMaker's, or one written before
watchkeeper kept one) is judged as before, with a note saying multivariate drift needs
the sample: the note is logged once per baseline, never raised.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from watchkeeper.artifacts import SAMPLE
from watchkeeper.checks.violations import MULTIVARIATE_DRIFT, Violation
from watchkeeper.errors import InputError, UsageError
from watchkeeper.multivariate import RowSample
from watchkeeper.multivariate.classifier import domain_classifier
from watchkeeper.multivariate.pca import ReconstructionScore, fit_reconstruction
from watchkeeper.multivariate.result import MultivariateResult
from watchkeeper.multivariate.sample import expand_vectors

if TYPE_CHECKING:
    from watchkeeper.baseline import Baseline, Constraints

MODES = ("pca", "classifier", "off")
SERIES = {"pca": "multivariate_reconstruction_error", "classifier": "multivariate_classifier_auc"}
log = logging.getLogger("watchkeeper.checks")
_NOTED: set[str] = set()


def check_multivariate_mode(mode: str) -> None:
    if mode not in MODES:
        raise UsageError(f"multivariate must be one of {', '.join(MODES)}; got {mode!r}")


class MultivariateCheck:
    """One check's multivariate judgement, fed batch by batch through :meth:`observe`."""

    def __init__(self, baseline: Baseline | None, mode: str = "pca") -> None:
        check_multivariate_mode(mode)
        self.mode = mode
        self.sample = baseline.sample if baseline is not None else None
        self.note: str | None = None
        self._score: ReconstructionScore | None = None
        self._current: RowSample | None = None
        self._rows = 0
        if mode != "off" and baseline is not None and self.sample is None:
            self.note = (
                f"the baseline has no row sample ({SAMPLE}); `watchkeeper baseline` "
                "keeps one of data with numeric or few-category columns"
            )
            where = baseline.location or "(in memory)"
            if where not in _NOTED:
                _NOTED.add(where)
                log.warning("%s: %s", where, self.note)

    @property
    def active(self) -> bool:
        return self.mode != "off" and self.sample is not None and self.note is None

    def observe(self, batch: pa.RecordBatch) -> None:
        if not self.active:
            return
        self._rows += batch.num_rows
        if self.mode == "classifier":
            if self._current is None:
                self._current = RowSample(seed=1)
            self._current.observe(batch)
            return
        if self._score is None:
            columns = _shared_columns(self.sample, batch.schema.names)
            if not columns:
                self.note = "the data has none of the columns of the baseline's row sample"
                return
            try:
                self._score = fit_reconstruction(self.sample, columns).scorer()
            except InputError as exc:
                self.note = str(exc)
                return
        self._score.observe(batch)

    @property
    def travels(self) -> bool:
        """Whether copies fed elsewhere (a Spark partition each) can be absorbed:
        the reconstruction error is a sum; the classifier's sample of rows is not."""
        return self.active and self.mode == "pca"

    def absorb(self, other: MultivariateCheck) -> None:
        """Add what a copy of this check observed elsewhere (in partition order)."""
        self._rows += other._rows
        if self.note is None and other.note is not None:
            self.note = other.note
        if other._score is None:
            return
        if self._score is None:
            self._score = other._score
        else:
            self._score.total += other._score.total
            self._score.rows += other._score.rows

    def result(self, without_rows: str | None = None) -> MultivariateResult | None:
        """The verdict; ``without_rows`` says why no batch was seen (a profile was
        checked, another engine read the data), if so."""
        if self.mode == "off":
            return None
        if self.note is None and without_rows is not None:
            self.note = without_rows
        if self.note is not None:
            return MultivariateResult(self.mode, (), note=self.note)
        if self.mode == "pca":
            if self._score is None:
                return MultivariateResult(self.mode, (), note="no current rows to compare")
            return self._score.result()
        if self._current is None:
            return MultivariateResult(self.mode, (), note="no current rows to compare")
        # the classifier reads an embedding's dimensions as columns of their own
        reference, current = expand_vectors(self.sample), expand_vectors(self._current.table())
        try:
            return domain_classifier(
                reference, current, _shared_columns(reference, current.column_names)
            )
        except InputError as exc:
            return MultivariateResult(self.mode, (), note=str(exc))


def _shared_columns(sample: pa.Table, names: list[str]) -> list[str]:
    present = set(names)
    return [name for name in sample.column_names if name in present]


def multivariate_violation(result: MultivariateResult | None) -> Violation | None:
    """The ``multivariate_drift_check`` violation of a drifted result, else None."""
    if result is None or not result.drifted:
        return None
    details: dict[str, Any] = {"method": result.method, "band": list(result.band)}
    details.update(result.details)
    return Violation(
        ", ".join(result.columns),
        MULTIVARIATE_DRIFT,
        result.description,
        result.figure,
        result.threshold,
        details,
    )


def multivariate_points(
    result: MultivariateResult | None, constraints: Constraints | None = None
) -> list[tuple[str, str, float]]:
    """(metric name, statistic, value) of a judged result: the figure (``Value``) and its
    band (``Lower``, ``Upper``), unless the constraints turn metrics off."""
    if result is None or not result.judged:
        return []
    if constraints is not None and not constraints.config.emit_metrics:
        return []
    name = SERIES[result.method]
    low, high = result.band
    points = [(name, "Value", result.figure), (name, "Lower", low), (name, "Upper", high)]
    return [point for point in points if math.isfinite(point[2])]
