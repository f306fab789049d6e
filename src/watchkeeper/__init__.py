"""watchkeeper: self-hosted monitoring for the data flowing into ML models."""

from __future__ import annotations

__version__ = "0.1.0"
