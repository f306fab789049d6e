"""Profiles: small, mergeable, serialisable summaries of tables."""

from __future__ import annotations

import os

from watchkeeper.io.storage import read_bytes, write_bytes
from watchkeeper.profile.build import build_profile
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.serialize import profile_from_bytes, profile_to_bytes, profile_to_json
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING, UNKNOWN


def write_profile(
    profile: DatasetProfile, uri: str | os.PathLike[str], storage_options: dict | None = None
) -> str:
    """Write ``profile`` to a file or URI (atomically); returns the URI.

    The file is in the compact binary form, or JSON when its name ends in ``.json``;
    :func:`read_profile` reads both.
    """
    form = "json" if os.fspath(uri).lower().endswith(".json") else "binary"
    return write_bytes(uri, profile_to_bytes(profile, form), storage_options)


def read_profile(
    uri: str | os.PathLike[str], storage_options: dict | None = None
) -> DatasetProfile:
    """Read a profile written by :func:`write_profile` (binary or JSON)."""
    return profile_from_bytes(read_bytes(uri, storage_options), os.fspath(uri))


__all__ = [
    "BOOLEAN",
    "FRACTIONAL",
    "INTEGRAL",
    "STRING",
    "UNKNOWN",
    "ColumnProfile",
    "DatasetProfile",
    "build_profile",
    "profile_from_bytes",
    "profile_to_bytes",
    "profile_to_json",
    "read_profile",
    "write_profile",
]
