"""The one judgement every face runs: read → profile → judge → write artefacts.

``watchkeeper check`` on a file, the landing-file watcher on each new object and a
scheduled job on a window of captured traffic all call :func:`run_check`; they differ
only in where the data comes from and where the :class:`CheckOutcome` goes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.artifacts import CONSTRAINT_VIOLATIONS as VIOLATIONS
from watchkeeper.artifacts import REPORT_FILES, STATISTICS
from watchkeeper.baseline import Baseline, Constraints, load_baseline, statistics_json
from watchkeeper.checks.constraints import check_drift_mode, evaluate_constraints
from watchkeeper.checks.drift_checks import verdict_view
from watchkeeper.checks.multivariate import (
    MultivariateCheck,
    check_multivariate_mode,
    multivariate_points,
    multivariate_violation,
)
from watchkeeper.checks.rules import Rules, evaluate_rules, read_rules
from watchkeeper.checks.violations import Violation, violations_json
from watchkeeper.drift import DriftSettings
from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import CsvOptions
from watchkeeper.io.options import BATCH_ROWS
from watchkeeper.io.storage import write_files
from watchkeeper.multivariate.result import MultivariateResult
from watchkeeper.profile import DatasetProfile, build_profile
from watchkeeper.report import render_report
from watchkeeper.report.inline import InlinePage, options, profile_text, report_page

# How another engine profiles data:
# ``profiler(data, observers=[scanner, ...], text_columns={name: bool, ...})``.
Profiler = Callable[..., DatasetProfile]


@dataclass
class CheckOutcome:
    """What one check found and wrote.

    ``artifacts`` maps artefact names (``statistics``, ``violations``, ``html``, ``csv``,
    ``json``) to where they were written.
    """

    source: str
    profile: DatasetProfile
    violations: list[Violation]
    drift: dict[str, Any] = field(default_factory=dict)
    baseline: Baseline | None = None
    rules: Rules | None = None
    artifacts: dict[str, str] = field(default_factory=dict)
    multivariate: MultivariateResult | None = None

    @property
    def status(self) -> str:
        """SageMaker's execution status: ``Completed`` or ``CompletedWithViolations``."""
        return "CompletedWithViolations" if self.violations else "Completed"

    @property
    def exit_message(self) -> str:
        if not self.violations:
            return "Completed: Job completed successfully with no violations."
        return (
            f"CompletedWithViolations: Job completed successfully with "
            f"{len(self.violations)} violations."
        )

    def multivariate_series(
        self, constraints: Constraints | None = None
    ) -> list[tuple[str, str, float]]:
        """The multivariate figure and its band as metric points (see
        :func:`watchkeeper.checks.multivariate.multivariate_points`)."""
        return multivariate_points(self.multivariate, constraints)

    def report_arguments(self) -> dict[str, Any]:
        """What the check's report page shows: the arguments of
        :func:`~watchkeeper.report.render_html` from this outcome."""
        return {
            "baseline": self.baseline.statistics if self.baseline else None,
            "violations": [violation.to_dict() for violation in self.violations],
            "drift": {name: verdict_view(value) for name, value in self.drift.items()},
            "multivariate": self.multivariate.to_dict() if self.multivariate else None,
        }

    def inline(self, *, all: bool = False) -> InlinePage:
        """The check's report page as a notebook shows it (every feature with ``all``)."""
        return report_page(
            self.profile,
            **self.report_arguments(),
            title="watchkeeper check",
            subtitle=self.source,
            text=repr(self),
            all=all,
        )

    def _repr_html_(self) -> str:
        return self.inline().notebook_html()

    def __repr__(self) -> str:
        lines = [f"CheckOutcome {self.status} on {self.source}: {len(self.violations)} violations"]
        shown = self.violations[: options.max_features or None]
        lines += [f"  {v.feature_name}: {v.constraint_check_type}: {v.description}" for v in shown]
        if len(shown) < len(self.violations):
            lines.append(f"  … and {len(self.violations) - len(shown):,} more")
        return "\n".join([*lines, profile_text(self.profile)])

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``--json`` prints)."""
        return {
            "source": self.source,
            "status": self.status,
            "rows": self.profile.rows,
            "columns": len(self.profile.columns),
            "violations": [violation.to_dict() for violation in self.violations],
            "multivariate": self.multivariate.to_dict() if self.multivariate else None,
            "artifacts": dict(self.artifacts),
        }


def run_check(
    data: object,
    *,
    baseline: Baseline | str | os.PathLike[str] | None = None,
    rules: Rules | str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    drift: str = "default",
    drift_settings: DriftSettings | None = None,
    multivariate: str = "pca",
    format: str | None = None,
    csv: CsvOptions | None = None,
    batch_rows: int = BATCH_ROWS,
    storage_options: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    title: str | None = None,
    plotly_src: str | None = None,
    profiler: Profiler | None = None,
    source: str | None = None,
) -> CheckOutcome:
    """Profile ``data`` and judge it against a baseline and/or a rules file.

    Everything that can be validated (drift mode, baseline files, rules file) is validated
    before the data is read. With ``output``, writes ``statistics.json``,
    ``constraint_violations.json`` and ``report.html``/``.csv``/``.json`` there
    (``plotly_src``: see :func:`watchkeeper.report.render_html`).

    ``profiler`` profiles ``data`` on another engine (e.g. Spark's ``profile_spark``): it
    is called as ``profiler(data, observers=[...], text_columns={...})`` and must let
    every observer (a :class:`RuleScanner`) see every row, so that its judgement is this
    one's, and read the columns the baseline decided are free text (or not) as it did.
    ``source`` names the data in messages and reports (by default its path or kind).

    ``multivariate`` judges the rows against the baseline's row sample: ``pca``
    (reconstruction error, the default), ``classifier`` (a domain classifier) or ``off``
    (see :mod:`watchkeeper.checks.multivariate`); it needs the rows, so a profile gets a
    note in its place, and so does the classifier on data another engine reads (the
    reconstruction error is summed on that engine's workers).
    """
    check_drift_mode(drift)
    check_multivariate_mode(multivariate)
    if baseline is None and rules is None:
        raise UsageError("nothing to check against: give a baseline, a rules file, or both")
    reference = (
        baseline
        if isinstance(baseline, Baseline) or baseline is None
        else load_baseline(baseline, storage_options)
    )
    rule_set = rules if isinstance(rules, Rules) or rules is None else read_rules(rules)
    scanner = rule_set.scanner() if rule_set is not None else None
    scanners = [scanner] if scanner and scanner.patterns else []
    source = source or describe(data)
    if scanners and isinstance(data, DatasetProfile):
        columns = ", ".join(sorted(scanners[0].patterns))
        raise UsageError(
            f"{source}: a profile keeps no values to match against the regex rules of "
            f"{columns}; check the data itself"
        )
    across = MultivariateCheck(reference, multivariate if reference is not None else "off")
    without_rows = None
    if isinstance(data, DatasetProfile):
        without_rows = "a profile keeps no rows to compare"
    chosen = text_columns(reference)
    if profiler is not None:
        if across.travels:  # its sums are fed on the engine's workers and added up here
            profile = profiler(data, observers=[*scanners, across], text_columns=chosen)
        else:
            without_rows = "the domain classifier is judged where watchkeeper reads the rows"
            profile = profiler(data, observers=scanners, text_columns=chosen)
    else:
        profile = build_profile(
            data,
            text_columns=chosen,
            format=format,
            csv=csv,
            batch_rows=batch_rows,
            storage_options=storage_options,
            progress=progress,
            observers=[*(scanner.observe for scanner in scanners), across.observe],
        )
    if profile.rows == 0:
        raise InputError(f"{source}: no data rows to check")
    outcome = CheckOutcome(source, profile, [], baseline=reference, rules=rule_set)
    outcome.multivariate = across.result(without_rows)
    if reference is not None:
        judgement = evaluate_constraints(
            profile,
            reference.constraints,
            reference.statistics,
            drift=drift,
            drift_settings=drift_settings,
        )
        outcome.violations.extend(judgement.violations)
        outcome.drift = judgement.drift
        found = multivariate_violation(outcome.multivariate)
        if found is not None:
            outcome.violations.append(found)
    if rule_set is not None:
        outcome.violations.extend(evaluate_rules(profile, rule_set, scanner))
    if output is not None:
        outcome.artifacts = write_outcome(outcome, output, storage_options, title, plotly_src)
    return outcome


def write_outcome(
    outcome: CheckOutcome,
    output: str | os.PathLike[str],
    storage_options: dict | None = None,
    title: str | None = None,
    plotly_src: str | None = None,
    extra: Mapping[str, str] | None = None,
    subtitle: str | None = None,
) -> dict[str, str]:
    """Write a check's artefacts under ``output`` as one set; returns name → URI.

    Everything is rendered before anything is written, so a statistic or a page that
    cannot be rendered leaves ``output`` as it was. ``extra`` (file name → text) are
    further files of the same set, named by their stem. The report's ``subtitle``
    defaults to what the data was (its source).
    """
    files = {
        STATISTICS: statistics_json(outcome.profile),
        VIOLATIONS: violations_json(outcome.violations),
        **render_report(
            outcome.profile,
            **outcome.report_arguments(),
            title=title or "watchkeeper check",
            subtitle=subtitle or outcome.source,
            plotly_src=plotly_src,
        ),
        **(extra or {}),
    }
    written = write_files(output, files, storage_options)
    names = {
        STATISTICS: "statistics",
        VIOLATIONS: "violations",
        **{file: name for name, file in REPORT_FILES.items()},
    }
    return {names.get(file, file.removesuffix(".json")): uri for file, uri in written.items()}


def text_columns(reference: Baseline | None) -> dict[str, bool]:
    """Which columns are free text, as the baseline decided: the current side is read
    the same way, whatever its own values look like."""
    if reference is None or reference.statistics is None:
        return {}
    return reference.statistics.text_choices()


def describe(data: object) -> str:
    """How to name a data source in messages: its path or URI, else its kind."""
    if isinstance(data, str | os.PathLike):
        return os.fspath(data)
    return type(data).__name__
