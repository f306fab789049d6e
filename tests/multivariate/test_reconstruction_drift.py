"""PCA reconstruction error against the baseline's sample: flags a flipped correlation
whose columns are unchanged, stays quiet on unchanged data.

100 seeded runs each way take about a second; ``bench/multivariate.py`` runs 1,000
unchanged ones, other sizes, heavy tails and the timing of 1M rows × 50 columns.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from multivariate_data import correlated

from watchkeeper.drift import detect_all
from watchkeeper.errors import InputError
from watchkeeper.multivariate.pca import fit_reconstruction
from watchkeeper.profile import DatasetProfile

RUNS = 100


def _judged(reference: pa.Table, current: pa.Table, seed: int):
    score = fit_reconstruction(reference, seed=seed).scorer()
    for batch in current.to_batches(max_chunksize=1_000):
        score.observe(batch)
    return score.result()


def test_a_flipped_correlation_is_flagged_in_at_least_99_of_100_seeded_runs():
    flagged = [
        _judged(correlated(5_000, 0.8, seed), correlated(5_000, -0.8, 1_000 + seed), seed)
        for seed in range(RUNS)
    ]
    assert sum(result.drifted for result in flagged) >= RUNS * 99 // 100
    # the error rises: the rows leave the baseline's main component
    assert all(result.figure > result.band[1] for result in flagged)


def test_unchanged_data_is_not_flagged():
    quiet = [
        _judged(correlated(5_000, 0.8, seed), correlated(5_000, 0.8, 1_000 + seed), seed)
        for seed in range(RUNS)
    ]
    # at most 1 % (the seeded runs give none)
    assert sum(result.drifted for result in quiet) <= RUNS // 100
    band = quiet[0].band
    assert band[0] < quiet[0].figure < band[1]


def test_the_per_column_detector_alone_misses_the_flip():
    # why the multivariate check exists: every column's distribution is unchanged
    before, after = DatasetProfile(), DatasetProfile()
    before.track(correlated(5_000, 0.8, 1).drop_columns(["id"]))
    after.track(correlated(5_000, -0.8, 2).drop_columns(["id"]))
    assert not any(result.drifted for result in detect_all(before, after).values())
    assert _judged(correlated(5_000, 0.8, 1), correlated(5_000, -0.8, 2), 0).drifted


def test_the_band_does_not_narrow_to_nothing_on_many_current_rows():
    model = fit_reconstruction(correlated(10_000, 0.8, 3))
    low, high = model.band(10_000_000)
    # the baseline's 5,000 held-out rows bound how well their mean is known
    assert high - low == pytest.approx(2 * 3 * model.sd_error * np.sqrt(1 / 5_000 + 1e-7))
    assert high - low > 0.02


def test_batches_and_their_size_do_not_change_the_figure():
    reference, current = correlated(4_000, 0.5, 4), correlated(3_000, 0.5, 5)
    whole = fit_reconstruction(reference).scorer()
    whole.observe(current)
    pieces = fit_reconstruction(reference).scorer()
    for batch in current.to_batches(max_chunksize=77):
        pieces.observe(batch)
    assert pieces.result().figure == pytest.approx(whole.result().figure, rel=1e-12)


def test_missing_and_unseen_values_are_encoded_not_refused():
    reference = correlated(2_000, 0.8, 6)
    current = pa.Table.from_pydict(
        {
            "x": pa.array([None, 0.5, np.nan], pa.float64()),
            "y": [0.1, None, 0.2],
            "plan": ["enterprise", None, "basic"],
        }
    )
    errors = fit_reconstruction(reference).errors(current)
    assert errors.shape == (3,) and np.all(np.isfinite(errors))


def test_too_small_a_sample_is_refused_with_a_message():
    with pytest.raises(InputError, match=r"sample holds 40 rows; .* at least 100"):
        fit_reconstruction(correlated(40, 0.8, 7))
    constant = pa.Table.from_pydict({"x": np.ones(500)})
    with pytest.raises(InputError, match="no column of the baseline's sample varies"):
        fit_reconstruction(constant)
