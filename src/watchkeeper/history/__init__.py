"""Anomalies in a metric's history: each new value judged against the values before it.

The detectors (:mod:`~watchkeeper.history.detectors`) take plain arrays; the rules of a
schedule's ``history`` option (:mod:`~watchkeeper.history.rules`) say which series each
judges. The catalog keeps the series; the monitoring jobs read it and judge.
"""

from __future__ import annotations

from watchkeeper.history.detectors import Detector, Judgement, RateOfChange, RollingBand, Seasonal
from watchkeeper.history.rules import METHODS, HistoryRule, parse_history

__all__ = [
    "METHODS",
    "Detector",
    "HistoryRule",
    "Judgement",
    "RateOfChange",
    "RollingBand",
    "Seasonal",
    "parse_history",
]
