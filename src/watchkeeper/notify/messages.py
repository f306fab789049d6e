"""The text of watchkeeper's alerts.

A data-quality alert says where the file landed, which file, how many rows it had,
each broken rule with its figures, and where the report is; the same inputs always
give the same text. Lists are capped so that a message stays within what Slack and
Teams accept.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from watchkeeper.errors import WatchkeeperError
from watchkeeper.notify.alert import Alert

MAX_VIOLATIONS = 20
MAX_DESCRIPTION = 300
MAX_REASON = 1000


def check_alert(
    location: str,
    file: str,
    rows: int,
    violations: list[dict[str, Any]],
    report: str | None,
    *,
    version: str | None = None,
) -> Alert:
    """The alert for a file that broke rules or constraints.

    ``location`` is the bucket or folder the file landed in, ``violations`` are
    ``Violation.to_dict()`` dictionaries and ``report`` the report's URL or path.
    The key depends on the location, the file and the set of (feature, check) pairs,
    so a file's same problems are announced once while a new kind of problem is
    announced again; pass the object's ``version`` (ETag, modification time) to
    announce a new upload under the same name again too.

    >>> alert = check_alert("s3://bucket", "input.csv", 1200, [{
    ...     "feature_name": "age", "constraint_check_type": "missing_values_check",
    ...     "description": "12.5% of values are missing", "observed": 0.125,
    ...     "threshold": 0.05}], "https://reports.example.com/input.html")
    >>> print(alert.title)
    watchkeeper: 1 problem in input.csv
    >>> print(alert.body)
    Data-quality check failed for a new file.
    <BLANKLINE>
    - **Where:** s3://bucket
    - **File:** input.csv
    - **Rows:** 1,200
    <BLANKLINE>
    **1 broken rule:**
    <BLANKLINE>
    1. `age` (missing_values_check): 12.5% of values are missing. Observed 0.125, threshold 0.05.
    <BLANKLINE>
    **Report:** <https://reports.example.com/input.html>
    """
    count = len(violations)
    title = f"watchkeeper: {count} {_plural(count, 'problem')} in {_one_line(file)}"
    body = "\n\n".join(
        part
        for part in (
            "Data-quality check failed for a new file.",
            _where(location, file, rows),
            f"**{count} broken {_plural(count, 'rule')}:**" if count else "",
            _violation_list(violations),
            _report_line(report),
        )
        if part
    )
    pairs = sorted({_pair(violation) for violation in violations})
    key = _key("check", location, file, version or "", *pairs)
    return Alert(title=title, body=body, key=key)


def failure_alert(file: str, reason: str, *, version: str | None = None) -> Alert:
    """The alert for a file that could not be read; one per file and reason.

    >>> failure_alert("input.csv", "not a CSV file").body
    'could not read input.csv: not a CSV file'
    """
    reason = _cap(_one_line(reason), MAX_REASON)
    return Alert(
        title=f"watchkeeper: could not read {_one_line(file)}",
        body=f"could not read {file}: {reason}",
        key=_key("failure", file, version or "", reason),
    )


def metrics_failure_alert(where: str, reason: str) -> Alert:
    """The alert for metric series that did not reach their destination (CloudWatch).

    >>> metrics_failure_alert("schedule churn-hourly", "endpoint down").body
    'metrics of schedule churn-hourly not published: endpoint down'
    """
    reason = _cap(_one_line(reason), MAX_REASON)
    return Alert(
        title=f"watchkeeper: metrics of {_one_line(where)} not published",
        body=f"metrics of {where} not published: {reason}",
        key=_key("metrics", where, reason),
    )


def failure_reason(exc: BaseException) -> str:
    """The one-line reason an exception gives, for a failure record and its alert.

    Watchkeeper's own errors are written for people and say it all; any other
    exception adds its type, which its message often needs to make sense.

    >>> failure_reason(IndexError("index 1 is out of bounds for axis 0 with size 0"))
    'index 1 is out of bounds for axis 0 with size 0 (IndexError)'
    >>> failure_reason(KeyError())
    'KeyError'
    """
    lines = str(exc).strip().splitlines()
    text = _cap(_one_line(lines[0]), MAX_REASON) if lines else ""
    if isinstance(exc, WatchkeeperError) and text:
        return text
    name = type(exc).__name__
    return f"{text} ({name})" if text else name


def _where(location: str, file: str, rows: int) -> str:
    return "\n".join(
        (
            f"- **Where:** {_one_line(location)}",
            f"- **File:** {_one_line(file)}",
            f"- **Rows:** {rows:,}",
        )
    )


def _violation_list(violations: list[dict[str, Any]]) -> str:
    shown = violations[:MAX_VIOLATIONS]
    lines = [f"{number}. {violation_line(v)}" for number, v in enumerate(shown, start=1)]
    hidden = len(violations) - len(shown)
    if hidden:
        lines.append(f"\n…and {hidden} more (see the report).")
    return "\n".join(lines)


def violation_line(violation: dict[str, Any]) -> str:
    """One violation (``Violation.to_dict()``) in one line: every alert writes it so.

    >>> violation_line({"feature_name": "age", "constraint_check_type": "missing_values_check",
    ...                 "description": "12.5% of values are missing", "observed": 0.125,
    ...                 "threshold": 0.05})
    '`age` (missing_values_check): 12.5% of values are missing. Observed 0.125, threshold 0.05.'
    """
    feature, check = _pair(violation)
    # backticks keep a column's name intact whatever characters it has
    name = feature.replace("`", "'")
    line = f"`{name}` ({check})"
    description = _cap(_one_line(str(violation.get("description") or "")), MAX_DESCRIPTION)
    if description:
        line += f": {description.rstrip('.')}."
    figures = _figures(violation.get("observed"), violation.get("threshold"))
    return f"{line} {figures}" if figures else line


def _figures(observed: Any, threshold: Any) -> str:
    if observed is not None and threshold is not None:
        return f"Observed {_number(observed)}, threshold {_number(threshold)}."
    if observed is not None:
        return f"Observed {_number(observed)}."
    if threshold is not None:
        return f"Threshold {_number(threshold)}."
    return ""


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.6g}"


def _report_line(report: str | None) -> str:
    if not report:
        return ""
    if report.startswith(("http://", "https://")):
        return f"**Report:** <{report}>"  # an autolink: clickable in Slack and in mail
    return f"**Report:** `{report}`"


def _pair(violation: dict[str, Any]) -> tuple[str, str]:
    return (
        _one_line(str(violation.get("feature_name") or "")),
        _one_line(str(violation.get("constraint_check_type") or "")),
    )


def _key(kind: str, *parts: Any) -> str:
    text = "\0".join(str(part) for part in (kind, *parts))
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
