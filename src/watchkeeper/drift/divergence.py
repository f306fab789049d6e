"""Divergences between two discrete distributions (bins or categories).

Inputs are two probability vectors over the same cells. Only PSI needs a guard for
empty cells: its ``ln(q/p)`` is infinite when one side is empty. Jensen–Shannon and
Hellinger are finite on any input and use the shares unchanged.
"""

from __future__ import annotations

import numpy as np

# Share added to every cell before PSI is computed (then renormalised). 1e-4 is the
# value commonly used in credit-risk practice, where PSI and its 0.1 / 0.25 thresholds
# come from; it bounds the contribution of a cell that is empty on one side at about
# share * ln(share / 1e-4), so a single new category cannot make PSI infinite.
PSI_EPSILON = 1e-4


def psi_of(expected: np.ndarray, actual: np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum((a - e) * ln(a / e))`` on smoothed shares."""
    e = _smooth(expected, epsilon)
    a = _smooth(actual, epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def jensen_shannon_of(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon divergence in bits: ``(KL(p||m) + KL(q||m)) / 2``, ``m = (p+q)/2``.

    Base 2 puts it between 0 (same distribution) and 1 (disjoint supports). This is
    the divergence, the square of SciPy's ``jensenshannon`` distance.
    """
    p, q = _normalise(p), _normalise(q)
    mid = (p + q) / 2.0
    return float(max(0.0, (_kl_bits(p, mid) + _kl_bits(q, mid)) / 2.0))


def hellinger_of(p: np.ndarray, q: np.ndarray) -> float:
    """Hellinger distance ``sqrt(1 - sum(sqrt(p * q)))``, between 0 and 1."""
    p, q = _normalise(p), _normalise(q)
    return float(np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(p * q)))))


def total_variation_of(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance ``sum(|p - q|) / 2``, between 0 and 1."""
    return float(np.abs(_normalise(p) - _normalise(q)).sum() / 2.0)


def _kl_bits(p: np.ndarray, q: np.ndarray) -> float:
    # Cells with p = 0 contribute nothing; q > 0 wherever p > 0 because q is a midpoint.
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / q[mask])))


def _normalise(shares: np.ndarray) -> np.ndarray:
    shares = np.asarray(shares, dtype=np.float64)
    total = shares.sum()
    return shares / total if total > 0 else shares


def _smooth(shares: np.ndarray, epsilon: float) -> np.ndarray:
    shares = _normalise(shares) + epsilon
    return shares / shares.sum()
