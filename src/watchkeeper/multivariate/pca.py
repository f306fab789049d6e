"""Drift as PCA reconstruction error against the baseline's sample (NannyML's method).

The baseline's sample is split in two at random. On one half the rows are standardised
(:mod:`watchkeeper.multivariate.encoding`) and their principal components kept until they
explain ``variance`` of the total; a row's reconstruction error is its distance from its
projection onto them. The relations between columns are what that projection keeps, so
a correlation that flips moves the error even when every column's own distribution is
unchanged.

The other half was not fitted: its errors are what fresh rows from the baseline's
distribution get, so their mean and standard deviation calibrate the band. Under no
drift, the mean error of ``n`` current rows differs from that half's mean by a normal
amount of standard deviation ``sd · √(1/m + 1/n)`` (``m`` the half's rows); outside
``sd_multiple`` of those is drift. (NannyML's band is ± 3 standard deviations of the
reference's chunk means; here the chunk is the current data, whatever its size, and the
reference's own uncertainty is part of the band, so a million current rows do not
narrow it to nothing.)

>>> import numpy as np, pyarrow as pa
>>> rng = np.random.default_rng(1)
>>> def rows(n, rho):
...     x = rng.normal(size=n)
...     return pa.table({"x": x, "y": rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)})
>>> model = fit_reconstruction(rows(5000, 0.8))
>>> score = model.scorer()
>>> score.observe(rows(5000, -0.8))
>>> result = score.result()
>>> result.drifted, round(result.figure, 2), [round(limit, 2) for limit in result.band]
(True, 0.79, [0.35, 0.39])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.io.arrays import from_indices
from watchkeeper.multivariate.encoding import Encoding, fit_encoding
from watchkeeper.multivariate.result import MultivariateResult

VARIANCE = 0.65
SD_MULTIPLE = 3.0
# fewer sample rows than this cannot estimate components and a band
MIN_SAMPLE_ROWS = 100
CAP_QUANTILE = 0.99


@dataclass(frozen=True)
class ReconstructionModel:
    """The baseline's components and the band its held-out rows' errors give."""

    encoding: Encoding
    components: np.ndarray  # encoded columns × kept components, orthonormal
    explained: float
    mean_error: float
    sd_error: float
    calibration_rows: int
    sample_rows: int
    sd_multiple: float = SD_MULTIPLE
    cap: float = math.inf

    def errors(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """Each row's distance from its reconstruction, at most ``cap``."""
        matrix = self.encoding.matrix(table)
        projected = matrix @ self.components
        # |z|² − |Vᵀz|² is the squared distance to the subspace (V orthonormal)
        squared = np.einsum("ij,ij->i", matrix, matrix) - np.einsum(
            "ij,ij->i", projected, projected
        )
        return np.minimum(np.sqrt(np.maximum(squared, 0.0)), self.cap)

    def band(self, rows: int) -> tuple[float, float]:
        """Where the mean error of ``rows`` rows from the baseline's distribution lies."""
        half = self.sd_multiple * self.sd_error * math.sqrt(1 / self.calibration_rows + 1 / rows)
        return self.mean_error - half, self.mean_error + half

    def scorer(self) -> ReconstructionScore:
        return ReconstructionScore(self)


class ReconstructionScore:
    """Sums the current rows' errors batch by batch; :meth:`result` judges their mean."""

    def __init__(self, model: ReconstructionModel) -> None:
        self.model = model
        self.rows = 0
        self.total = 0.0

    def observe(self, batch: pa.RecordBatch | pa.Table) -> None:
        if batch.num_rows:
            self.total += float(self.model.errors(batch).sum())
            self.rows += batch.num_rows

    def result(self) -> MultivariateResult:
        model = self.model
        columns = model.encoding.columns
        details = {
            "components": int(model.components.shape[1]),
            "encoded_columns": len(columns),
            "explained_variance": model.explained,
            "baseline_mean_error": model.mean_error,
            "baseline_sd_error": model.sd_error,
            "sd_multiple": model.sd_multiple,
        }
        if not self.rows:
            return MultivariateResult("pca", columns, note="no current rows to compare")
        mean = self.total / self.rows
        low, high = model.band(self.rows)
        return MultivariateResult(
            "pca",
            columns,
            figure=mean,
            band=(low, high),
            drifted=not low <= mean <= high,
            baseline_rows=model.sample_rows,
            current_rows=self.rows,
            details=details,
        )


def fit_reconstruction(
    sample: pa.Table,
    columns: Sequence[str] | None = None,
    *,
    variance: float = VARIANCE,
    sd_multiple: float = SD_MULTIPLE,
    seed: int = 0,
) -> ReconstructionModel:
    """The components of half of ``sample`` (``columns`` of it, default all) and the
    band the other half's errors give."""
    if not 0 < variance < 1:
        raise ValueError(f"variance is a share of the total between 0 and 1; got {variance}")
    if sample.num_rows < MIN_SAMPLE_ROWS:
        raise InputError(
            f"the baseline's sample holds {sample.num_rows} rows; the reconstruction error "
            f"needs at least {MIN_SAMPLE_ROWS}"
        )
    order = np.random.default_rng(seed).permutation(sample.num_rows)
    middle = sample.num_rows // 2
    fitting = sample.take(from_indices(np.sort(order[:middle])))
    held_out = sample.take(from_indices(np.sort(order[middle:])))
    encoding = fit_encoding(fitting, columns)
    if not encoding.columns:
        raise InputError("no column of the baseline's sample varies: nothing to reconstruct")
    matrix = encoding.matrix(fitting)
    _, singular, rows_t = np.linalg.svd(matrix, full_matrices=False)
    shares = singular**2 / max(float(np.sum(singular**2)), 1e-300)
    kept = int(np.searchsorted(np.cumsum(shares), variance) + 1)
    kept = min(kept, len(shares))
    components = np.ascontiguousarray(rows_t[:kept].T)
    model = ReconstructionModel(
        encoding, components, float(np.sum(shares[:kept])), 0.0, 0.0, 1, sample.num_rows,
        sd_multiple,
    )  # fmt: skip
    errors = model.errors(held_out)
    cap = float(np.quantile(errors, CAP_QUANTILE))
    errors = np.minimum(errors, cap)
    return ReconstructionModel(
        encoding,
        components,
        model.explained,
        float(np.mean(errors)),
        float(np.std(errors, ddof=1)),
        len(errors),
        sample.num_rows,
        sd_multiple,
        cap,
    )
