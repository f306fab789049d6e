"""The dashboard: datasets and their batches over time, drift, violations, profile
comparison, executions and editable monitors (``watchkeeper ui``)."""

from __future__ import annotations

from watchkeeper.ui.app import create_ui_app

__all__ = ["create_ui_app"]
