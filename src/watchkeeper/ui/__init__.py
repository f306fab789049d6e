"""The dashboard: datasets and their batches over time, drift, violations, profile
comparison, executions and editable monitors (``watchkeeper ui``).

:func:`create_ui_app` is the dashboard alone: its pages (one router per page, in
:mod:`watchkeeper.ui.pages`), the datasets API and ``/metrics``, with the charts of
:mod:`watchkeeper.report`. It imports no other face: the monitoring API, the feature
store's records and the executions' metrics are mounted beside it by
:func:`watchkeeper.cli.ui.dashboard_app`, the server ``watchkeeper ui`` runs.
"""

from __future__ import annotations

from watchkeeper.ui.app import create_ui_app

__all__ = ["create_ui_app"]
