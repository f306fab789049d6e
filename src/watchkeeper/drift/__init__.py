"""Drift: distances and a sample-size-aware judgement between two profiles.

Two families of functions, both reading profiles (never rows):

* distances between two column profiles (:func:`linf_simple`, :func:`linf_robust`,
  :func:`ks_test`, :func:`psi`, :func:`jensen_shannon`, :func:`hellinger`,
  :func:`wasserstein`, :func:`chi_square`) and :func:`baseline_drift_distance`, the
  :class:`BaselineDrift` SageMaker's ``baseline_drift_check`` judges with a fixed
  threshold;
* :func:`detect`, watchkeeper's default judgement of two column profiles or of every
  feature of two dataset profiles, which stays quiet on unchanged data at any sample
  size and flags meaningful changes: free text and embeddings on what their profiles
  keep of them, every other column on its values (:mod:`watchkeeper.drift.judge`; the
  tests are listed in :func:`~watchkeeper.drift.detector.detect_distribution`).
"""

from __future__ import annotations

from watchkeeper.drift._support import linf_penalty
from watchkeeper.drift.categorical import ChiSquareResult, chi_square
from watchkeeper.drift.distances import (
    hellinger,
    jensen_shannon,
    linf_robust,
    linf_simple,
    psi,
)
from watchkeeper.drift.judge import detect, detect_all
from watchkeeper.drift.numeric import KSResult, ks_test, quantile_bins, wasserstein
from watchkeeper.drift.result import DriftResult, DriftSettings, DriftTest
from watchkeeper.drift.sagemaker import BaselineDrift, baseline_drift_distance

__all__ = [
    "BaselineDrift",
    "ChiSquareResult",
    "DriftResult",
    "DriftSettings",
    "DriftTest",
    "KSResult",
    "baseline_drift_distance",
    "chi_square",
    "detect",
    "detect_all",
    "hellinger",
    "jensen_shannon",
    "ks_test",
    "linf_penalty",
    "linf_robust",
    "linf_simple",
    "psi",
    "quantile_bins",
    "wasserstein",
]
