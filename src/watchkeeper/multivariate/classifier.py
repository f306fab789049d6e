"""Drift as a domain classifier: can a model tell the baseline's rows from the current ones?

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``) learns
to label rows of the baseline's sample 0 and rows of the current sample 1; its
cross-validated AUC is the figure. Without drift no model does better than chance, and
the AUC of out-of-fold scores lies within a few of its standard errors of 0.5 (the
Mann-Whitney standard error ``√((m + n + 1) / (12 m n))``); above both that and
``min_auc`` (a difference too small to matter otherwise reads as drift on large
samples) is drift. The columns whose shuffling costs the most AUC on held-out rows
are named: the ones that separate the two samples, alone or together.

>>> import numpy as np, pyarrow as pa
>>> rng = np.random.default_rng(3)
>>> def rows(n, rho):
...     x = rng.normal(size=n)
...     return pa.table({"x": x, "y": rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n),
...                      "z": rng.normal(size=n)})
>>> result = domain_classifier(rows(2000, 0.8), rows(2000, -0.8))
>>> result.drifted, result.figure > 0.8, result.details["separating"][:2]
(True, True, ['x', 'y'])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError, UsageError
from watchkeeper.multivariate.encoding import fit_encoding
from watchkeeper.multivariate.result import MultivariateResult

MIN_AUC = 0.55
SD_MULTIPLE = 4.0
FOLDS = 3
MIN_ROWS = 50
# a column is named as separating when shuffling it costs at least this much AUC
MIN_IMPORTANCE = 0.01
SHOWN = 5


def domain_classifier(
    reference: pa.Table,
    current: pa.Table,
    columns: Sequence[str] | None = None,
    *,
    min_auc: float = MIN_AUC,
    sd_multiple: float = SD_MULTIPLE,
    seed: int = 0,
) -> MultivariateResult:
    """The cross-validated AUC of a classifier telling ``current`` from ``reference``
    (samples of rows), judged against chance."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.inspection import permutation_importance
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise UsageError(
            "the domain classifier needs scikit-learn (pip install scikit-learn); "
            "the default multivariate check (pca) does not"
        ) from None

    m, n = reference.num_rows, current.num_rows
    if min(m, n) < MIN_ROWS:
        raise InputError(
            f"the domain classifier needs at least {MIN_ROWS} rows a side; got {m:,} "
            f"in the baseline's sample and {n:,} current"
        )
    encoding = fit_encoding(reference, columns)
    if not encoding.columns:
        raise InputError("no column of the baseline's sample varies: nothing to classify")
    features = np.vstack([encoding.matrix(reference), encoding.matrix(current)])
    labels = np.concatenate([np.zeros(m, dtype=int), np.ones(n, dtype=int)])

    def model() -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=seed)

    # OpenMP threads spinning against other work cost far more than they gain on
    # samples of this size (measured: 45 s with all threads on a loaded machine, 2 s with one)
    with threadpool_limits(1):
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
        scores = cross_val_predict(model(), features, labels, cv=folds, method="predict_proba")
        auc = float(roc_auc_score(labels, scores[:, 1]))
        standard_error = math.sqrt((m + n + 1) / (12 * m * n))
        limit = max(min_auc, 0.5 + sd_multiple * standard_error)
        importance = np.zeros(len(encoding.columns))
        if auc > limit:  # which columns separate is only worth asking when they do
            fit_rows, held_rows, fit_labels, held_labels = train_test_split(
                features, labels, test_size=1 / FOLDS, stratify=labels, random_state=seed
            )
            fitted = model().fit(fit_rows, fit_labels)
            importance = permutation_importance(
                fitted, held_rows, held_labels, scoring="roc_auc", n_repeats=3, random_state=seed
            ).importances_mean
    ranked = np.argsort(-importance, kind="stable")
    separating = [
        encoding.columns[j] for j in ranked[:SHOWN] if importance[j] >= MIN_IMPORTANCE
    ]
    return MultivariateResult(
        "classifier",
        encoding.columns,
        figure=auc,
        band=(0.0, limit),
        drifted=auc > limit,
        baseline_rows=m,
        current_rows=n,
        details={
            "separating": separating,
            "importance": {encoding.columns[j]: float(importance[j]) for j in ranked[:SHOWN]}
            if separating
            else {},
            "standard_error": standard_error,
            "min_auc": min_auc,
        },
    )
