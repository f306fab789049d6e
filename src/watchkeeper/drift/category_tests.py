"""Category tests of the detector: categories seen on one side only, and the total
variation two samples of one distribution show by chance."""

from __future__ import annotations

import math

import numpy as np

from watchkeeper.drift._support import CategoryTable, one_sided_categories
from watchkeeper.drift.result import DriftSettings, DriftTest
from watchkeeper.profile.column import ColumnProfile

NEW_CATEGORY = "new_category"
VANISHED_CATEGORY = "vanished_category"


def category_presence_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Is a category new (absent from the baseline) or gone (absent from the current data)?

    Candidates are categories listed on one side only that hold at least
    ``min_category_share`` of that side's values. For each, given how many values the
    category has on both sides together (``k`` on its side, none, or at most a
    sketch's error, on the other), the count on its side is binomial with the side's
    share of all values under no change: the exact p-value of seeing ``k`` or more
    there, doubled for two sides and multiplied by the number of categories the two
    sides list (Bonferroni: any of them could have been the one seen on one side only,
    so counting only the candidates would alarm on chance among many rare categories).
    The test reports the most significant candidate: ``name`` is ``new_category`` or
    ``vanished_category``, ``subject`` the category and ``effect`` its share of its
    side's values, judged against ``min_category_share`` rather than the
    total-variation floor, so one new category at 4 % is drift however little the other
    shares move. None when no category qualifies.
    """
    floor = settings.min_category_share
    labels, names, p_values, counts, shares = [], [], [], [], []
    new, vanished = one_sided_categories(baseline, current)
    for found, label in ((new, NEW_CATEGORY), (vanished, VANISHED_CATEGORY)):
        if found.total == 0 or found.other_total == 0:
            continue
        share = found.counts / found.total
        kept = share >= floor
        if not kept.any():
            continue
        from scipy import stats  # imported when first needed: it is slow to load

        count = found.counts[kept]
        together = count + math.floor(found.absent_at_most)
        side_share = found.total / (found.total + found.other_total)
        p_values.append(2.0 * stats.binom.sf(count - 1, together, side_share))
        counts.append(count)
        shares.append(share[kept])
        names += [name for name, keep in zip(found.names, kept, strict=True) if keep]
        labels += [label] * int(kept.sum())
    if not names:
        return None
    p_value, count, share = (np.concatenate(parts) for parts in (p_values, counts, shares))
    # The most significant candidate; among equals, the largest.
    best = int(np.lexsort((-share, p_value))[0])
    adjusted = min(1.0, float(p_value[best]) * new.compared)
    effect = float(share[best])
    return DriftTest(
        labels[best], float(count[best]), adjusted, effect, floor, effect / floor,
        subject=names[best],
    )  # fmt: skip


def expected_total_variation(table: CategoryTable) -> float:
    """Total variation between two samples of the pooled distribution, on average.

    Per cell ``E|p1 - p2|`` is about ``sqrt(2 / pi)`` times its standard deviation
    ``sqrt(pi_k (1 - pi_k) (1/n + 1/m))``, and never above ``2 pi_k`` (a rare category
    shows up on one side at most); half the sum over cells is the noise level of the
    total variation. With 200 categories it is near 0.45 at 100 rows a side and 0.06
    at 10k, so a fixed floor would alarm on noise in small samples.

    >>> table = CategoryTable(["a", "b"], np.array([50, 50]), np.array([50, 50]),
    ...                       np.zeros(2), np.zeros(2))
    >>> round(expected_total_variation(table), 4)
    0.0564
    """
    n, m = table.baseline_total, table.current_total
    pooled = (table.baseline + table.current) / (n + m)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n + 1.0 / m))
    return float(np.minimum(math.sqrt(2.0 / math.pi) * spread, 2.0 * pooled).sum() / 2.0)
