"""Rows logged but not yet profiled, per window, in bounded memory.

Profiling costs about the same for one row as for a thousand (the work is per column
and per batch, not per row), so an application logging one row per request would
spend a millisecond on each. Rows are therefore held here, a few thousand at most,
and profiled together: when a window holds ``max_rows`` rows or ``max_bytes`` bytes,
on the logger thread's next tick, and before a window's profiles are finished.

>>> import pyarrow as pa
>>> buffer = RowBuffer(max_rows=3, max_bytes=1 << 20)
>>> buffer.add(0, pa.record_batch({"x": [1, 2]}))
False
>>> buffer.add(0, pa.record_batch({"x": [3]}))
True
>>> [batch.num_rows for batch in buffer.take(0)]
[3]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class _Held:
    batches: list[pa.RecordBatch] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0


class RowBuffer:
    """Batches by window. Not thread-safe on its own: the logger calls it under its lock."""

    def __init__(self, max_rows: int, max_bytes: int) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._held: dict[int, _Held] = {}

    def add(self, window: int, batch: pa.RecordBatch) -> bool:
        """Hold ``batch`` for ``window``; whether the window's rows should be profiled now."""
        held = self._held.setdefault(window, _Held())
        held.batches.append(batch)
        held.rows += batch.num_rows
        held.bytes += batch.nbytes
        return held.rows >= self.max_rows or held.bytes >= self.max_bytes

    def windows(self) -> list[int]:
        return list(self._held)

    def take(self, window: int) -> list[pa.RecordBatch]:
        """Remove the window's rows: one batch per distinct schema among them.

        Batches are joined only when their schemas are equal: converting a column of
        whole numbers to floats, say, would change what the profile says of its type.
        """
        held = self._held.pop(window, None)
        if held is None:
            return []
        by_schema: list[tuple[pa.Schema, list[pa.RecordBatch]]] = []
        for batch in held.batches:
            for schema, batches in by_schema:
                if schema.equals(batch.schema):
                    batches.append(batch)
                    break
            else:
                by_schema.append((batch.schema, [batch]))
        joined = []
        for _, batches in by_schema:
            if len(batches) == 1:
                joined.append(batches[0])
            else:
                joined.extend(pa.Table.from_batches(batches).combine_chunks().to_batches())
        return joined
