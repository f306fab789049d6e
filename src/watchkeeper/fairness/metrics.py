"""Clarify's bias metrics, computed from counts of a facet split.

Every metric reads a :class:`Tally`: the counts of rows by group (``a``, every row
outside the sensitive group; ``d``, the sensitive group), by label and by predicted
label, made with one ``np.bincount`` over whole columns. Only the flip test (FT) needs
the rows themselves. The arithmetic follows smclarify's operation by operation (the
same divisions, the same NumPy reductions over the same small arrays), so the values
agree to the last digit, edge cases included: 0/0 is 0, x/0 is ±inf, a difference of
two +inf is 0, and a metric that cannot be computed raises :class:`MetricFailure`.

>>> import numpy as np
>>> facet = np.array([True, True, False, False, False])
>>> label = np.array([True, False, True, True, False])
>>> tally = Tally.of(facet, label)
>>> class_imbalance(tally)
0.2
>>> round(difference_in_positive_labels(tally), 6)
0.166667
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

INFINITY = float("inf")
# smclarify's flip test: 5 neighbours, or 1 when group a has at most 9 rows.
FT_NEIGHBOURS, FT_FEW_NEIGHBOURS, FT_FEW_ROWS = 5, 1, 9


class MetricFailure(ValueError):
    """A metric that cannot be computed on this split; its message goes in the report."""


def divide(a: float, b: float) -> float:
    """Clarify's division: 0/0 is 0 and x/0 is +inf or -inf.

    >>> divide(0, 0), divide(3, 0), divide(-1, 0), divide(1, 4)
    (0.0, inf, -inf, 0.25)
    """
    if b == 0 and a == 0:
        return 0.0
    if b == 0:
        return -INFINITY if a < 0 else INFINITY
    return a / b


def _difference(first: float, second: float) -> float:
    # Two infinite rates are read as equal, not as an undefined inf - inf.
    if first == second == INFINITY:
        return 0.0
    return first - second


@dataclass(frozen=True)
class Groups:
    """Per value of the group variable (sorted): rows, positives, negatives, and those in d."""

    size: np.ndarray
    positive: np.ndarray
    positive_d: np.ndarray
    negative: np.ndarray
    negative_d: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, count: int, facet: np.ndarray, label: np.ndarray) -> Groups:
        """Tally group ``codes`` (0 .. count-1) against the facet and a label column."""
        cells = np.bincount(codes * 4 + facet * 2 + label, minlength=4 * count).reshape(count, 4)
        # columns: (a, negative), (a, positive), (d, negative), (d, positive)
        return cls(
            size=cells.sum(axis=1),
            positive=cells[:, 1] + cells[:, 3],
            positive_d=cells[:, 3],
            negative=cells[:, 0] + cells[:, 2],
            negative_d=cells[:, 2],
        )


@dataclass(frozen=True)
class Tally:
    """Counts ``n[group][label][prediction]`` of one facet split (group 0 = a, 1 = d).

    ``predicted`` says whether predictions were tallied; ``groups`` and
    ``predicted_groups`` hold the group-variable counts for CDDL and CDDPL.
    """

    n: np.ndarray
    predicted: bool = False
    groups: Groups | None = None
    predicted_groups: Groups | None = None

    @classmethod
    def of(
        cls,
        facet: np.ndarray,
        label: np.ndarray,
        prediction: np.ndarray | None = None,
        group_codes: tuple[np.ndarray, int] | None = None,
    ) -> Tally:
        """Count boolean columns ``facet`` (row in d), ``label`` and ``prediction``."""
        code = facet.astype(np.int64) * 4 + label.astype(np.int64) * 2
        if prediction is not None:
            code += prediction
        n = np.bincount(code, minlength=8).reshape(2, 2, 2)
        groups = predicted_groups = None
        if group_codes is not None:
            codes, count = group_codes
            groups = Groups.of(codes, count, facet, label)
            if prediction is not None:
                predicted_groups = Groups.of(codes, count, facet, prediction)
        return cls(n, prediction is not None, groups, predicted_groups)

    def size(self, group: int) -> int:
        return int(self.n[group].sum())

    def labelled(self, group: int, label: int) -> int:
        return int(self.n[group, label].sum())

    def predicted_as(self, group: int, prediction: int) -> int:
        return int(self.n[group, :, prediction].sum())

    def cell(self, group: int, label: int, prediction: int) -> int:
        return int(self.n[group, label, prediction])


def _both_groups(tally: Tally, empty_d: str, empty_a: str) -> None:
    if tally.size(1) == 0:
        raise MetricFailure(empty_d)
    if tally.size(0) == 0:
        raise MetricFailure(empty_a)


# -- pre-training ----------------------------------------------------------------------


def class_imbalance(tally: Tally) -> float:
    """Class Imbalance (CI)"""
    na, nd = tally.size(0), tally.size(1)
    if na == 0:
        raise MetricFailure(
            "CI: negated facet set is empty. Check that x[~facet] has non-zero length."
        )
    if nd == 0:
        raise MetricFailure("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return float(na - nd) / (na + nd)


def _positive_proportion_difference(tally: Tally, positives: Callable[[int], int]) -> float:
    na, nd = tally.size(0), tally.size(1)
    if na == 0:
        raise MetricFailure("Negative facet set is empty.")
    if nd == 0:
        raise MetricFailure("Facet set is empty.")
    return positives(0) / na - positives(1) / nd


def difference_in_positive_labels(tally: Tally) -> float:
    """Difference in Positive Proportions in Labels (DPL)"""
    return _positive_proportion_difference(tally, lambda group: tally.labelled(group, 1))


def _aligned_pdfs(tally: Tally) -> tuple[np.ndarray, np.ndarray]:
    # The label distributions of a and d over {negative, positive}, keeping only the
    # outcomes present in both and not renormalising (smclarify's pdfs_aligned_nonzero).
    counts = tally.n.sum(axis=2)
    present = (counts[0] > 0) & (counts[1] > 0)
    if not present.any():
        raise MetricFailure("No instance of common facet found, dataset may be too small")
    pa = np.array([c / counts[0].sum() for c in counts[0][present].tolist()])
    pd = np.array([c / counts[1].sum() for c in counts[1][present].tolist()])
    return pa, pd


def kullback_leibler(tally: Tally) -> float:
    """Kullback-Liebler Divergence (KL)"""
    pa, pd = _aligned_pdfs(tally)
    return float(np.sum(pa * np.log(pa / pd)))


def jensen_shannon(tally: Tally) -> float:
    """Jensen-Shannon Divergence (JS)"""
    pa, pd = _aligned_pdfs(tally)
    p = 1 / 2 * (pa + pd)
    return float(0.5 * (np.sum(pa * np.log(pa / p)) + np.sum(pd * np.log(pd / p))))


def _norm(tally: Tally, order: float) -> float:
    pa, pd = _aligned_pdfs(tally)
    return float(np.linalg.norm(pa - pd, order))


def lp_norm(tally: Tally) -> float:
    """L-p Norm (LP)"""
    return _norm(tally, 2)


def total_variation(tally: Tally) -> float:
    """Total Variation Distance (TVD)"""
    return 0.5 * _norm(tally, 1)


def kolmogorov_smirnov(tally: Tally) -> float:
    """Kolmogorov-Smirnov Distance (KS)"""
    return _norm(tally, np.inf)


def _conditional_disparity(groups: Groups | None) -> float:
    if groups is None:
        raise MetricFailure("Group variable is empty or not provided")
    if groups.positive.sum() == 0:
        raise MetricFailure("No positive labels in set")
    if groups.negative.sum() == 0:
        raise MetricFailure("No negative labels in set")
    accepted = _fractions(groups.positive_d, groups.positive)
    rejected = _fractions(groups.negative_d, groups.negative)
    counts = groups.size.astype(np.float64)
    return divide(np.sum(counts * (rejected - accepted)), np.sum(counts))


def _fractions(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    # A group without rows of a kind contributes a fraction of 0.
    return np.divide(part, whole, out=np.zeros(len(whole)), where=whole != 0)


def conditional_disparity_in_labels(tally: Tally) -> float:
    """Conditional Demographic Disparity in Labels (CDDL)"""
    return float(_conditional_disparity(tally.groups))


# -- post-training ---------------------------------------------------------------------


def difference_in_positive_predictions(tally: Tally) -> float:
    """Difference in Positive Proportions in Predicted Labels (DPPL)"""
    return _positive_proportion_difference(tally, lambda group: tally.predicted_as(group, 1))


def disparate_impact(tally: Tally) -> float:
    """Disparate Impact (DI)"""
    na, nd = tally.size(0), tally.size(1)
    if na == 0:
        raise MetricFailure("Negated facet set is empty")
    if nd == 0:
        raise MetricFailure("Facet set is empty")
    return divide(tally.predicted_as(1, 1) / nd, tally.predicted_as(0, 1) / na)


def _conditional_outcome(tally: Tally, outcome: int) -> tuple[float, float]:
    _both_groups(tally, "DCO: Facet set is empty", "DCO: Negated Facet set is empty")
    rate_a = divide(tally.labelled(0, outcome), tally.predicted_as(0, outcome))
    rate_d = divide(tally.labelled(1, outcome), tally.predicted_as(1, outcome))
    return rate_a, rate_d


def conditional_acceptance(tally: Tally) -> float:
    """Difference in Conditional Acceptance (DCA)"""
    rate_a, rate_d = _conditional_outcome(tally, 1)
    return _difference(rate_a, rate_d)


def conditional_rejection(tally: Tally) -> float:
    """Difference in Conditional Rejection (DCR)"""
    rate_a, rate_d = _conditional_outcome(tally, 0)
    return _difference(rate_d, rate_a)


def _label_rate(tally: Tally, outcome: int) -> tuple[float, float]:
    _both_groups(tally, "DLR: Facet set is empty", "DLR: Negated Facet set is empty")
    rate_a = divide(tally.cell(0, outcome, outcome), tally.predicted_as(0, outcome))
    rate_d = divide(tally.cell(1, outcome, outcome), tally.predicted_as(1, outcome))
    return rate_a, rate_d


def acceptance_rates(tally: Tally) -> float:
    """Difference in Acceptance Rates (DAR)"""
    rate_a, rate_d = _label_rate(tally, 1)
    return _difference(rate_a, rate_d)


def rejection_rates(tally: Tally) -> float:
    """Difference in Rejection Rates (DRR)"""
    rate_a, rate_d = _label_rate(tally, 0)
    return _difference(rate_d, rate_a)


def _label_accuracy(tally: Tally, outcome: int) -> tuple[float, float]:
    _both_groups(tally, "DLA: Facet set is empty", "DLA: Negated Facet set is empty")
    rate_a = divide(tally.cell(0, outcome, outcome), tally.labelled(0, outcome))
    rate_d = divide(tally.cell(1, outcome, outcome), tally.labelled(1, outcome))
    return rate_a, rate_d


def recall_difference(tally: Tally) -> float:
    """Recall Difference (RD)"""
    rate_a, rate_d = _label_accuracy(tally, 1)
    return _difference(rate_a, rate_d)


def specificity_difference(tally: Tally) -> float:
    """Specificity Difference (SD)"""
    rate_a, rate_d = _label_accuracy(tally, 0)
    return _difference(rate_d, rate_a)


def accuracy_difference(tally: Tally) -> float:
    """Accuracy Difference (AD)"""
    _both_groups(tally, "Facet set is empty", "Negated Facet set is empty")
    accuracy = [
        divide(tally.cell(group, 1, 1) + tally.cell(group, 0, 0), tally.size(group))
        for group in (0, 1)
    ]
    return _difference(accuracy[0], accuracy[1])


def treatment_equality(tally: Tally) -> float:
    """Treatment Equality (TE)"""
    _both_groups(tally, "Facet set is empty", "Negated Facet set is empty")
    tau = [divide(tally.cell(group, 1, 0), tally.cell(group, 0, 1)) for group in (0, 1)]
    return _difference(tau[1], tau[0])


def conditional_disparity_in_predictions(tally: Tally) -> float:
    """Conditional Demographic Disparity in Predicted Labels (CDDPL)"""
    return float(_conditional_disparity(tally.predicted_groups))


def generalized_entropy(tally: Tally) -> float:
    """Generalized Entropy (GE)"""
    # Benefit b = prediction - label + 1 is 0 for a false negative, 1 for a right
    # answer and 2 for a false positive; alpha is 2, as in Clarify.
    total = tally.n.sum(axis=0)
    rows = int(total.sum())
    if rows == 0:
        raise MetricFailure("dataset must be non-empty")
    counts = np.array([total[1, 0], total[0, 0] + total[1, 1], total[0, 1]], dtype=np.int64)
    mean = int(counts[1] + 2 * counts[2]) / rows
    if mean == 0:
        raise MetricFailure(
            "All predicted labels are false negatives. There should be at least one "
            "prediction that is not false negative."
        )
    terms = (np.array([0.0, 1.0, 2.0]) / mean) ** 2 - 1
    return float(np.sum(counts * terms) / (rows * 2))


def flip_test(features: np.ndarray, facet: np.ndarray, prediction: np.ndarray) -> float:
    """Flip Test (FT)"""
    from sklearn.neighbors import KNeighborsClassifier

    if not facet.any():
        raise MetricFailure("Facet set is empty")
    if facet.all():
        raise MetricFailure("Negated Facet set is empty")
    rows_a = features[~facet]
    neighbours = FT_NEIGHBOURS if len(rows_a) > FT_FEW_ROWS else FT_FEW_NEIGHBOURS
    knn = KNeighborsClassifier(n_neighbors=neighbours)
    # kNN trained on group a's rows and the model's answers: what d would get "as a".
    knn.fit(rows_a, prediction[~facet])
    as_a = knn.predict(features[facet]).astype(bool)
    model = prediction[facet]
    flipped = int(np.count_nonzero(model & ~as_a)) - int(np.count_nonzero(~model & as_a))
    return divide(flipped, int(facet.sum()))


Metric = Callable[[Tally], float]

PRETRAINING: dict[str, Metric] = {
    "CDDL": conditional_disparity_in_labels,
    "CI": class_imbalance,
    "DPL": difference_in_positive_labels,
    "JS": jensen_shannon,
    "KL": kullback_leibler,
    "KS": kolmogorov_smirnov,
    "LP": lp_norm,
    "TVD": total_variation,
}
"""Pre-training metrics by name, in Clarify's (alphabetical) order."""

POSTTRAINING: dict[str, Metric | None] = {
    "AD": accuracy_difference,
    "CDDPL": conditional_disparity_in_predictions,
    "DAR": acceptance_rates,
    "DCA": conditional_acceptance,
    "DCR": conditional_rejection,
    "DI": disparate_impact,
    "DPPL": difference_in_positive_predictions,
    "DRR": rejection_rates,
    "FT": None,  # reads rows: flip_test
    "GE": generalized_entropy,
    "RD": recall_difference,
    "SD": specificity_difference,
    "TE": treatment_equality,
}
"""Post-training metrics by name, in Clarify's order; FT needs the rows (:func:`flip_test`)."""


def description(name: str) -> str:
    """The metric's description as Clarify writes it: the first line of its docstring.

    >>> description("CI")
    'Class Imbalance (CI)'
    """
    function = PRETRAINING.get(name) or POSTTRAINING.get(name) or flip_test
    return (function.__doc__ or "").strip().splitlines()[0]
