"""Tables whose columns keep their own distributions while their relation changes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def correlated(rows: int, rho: float, seed: int) -> pa.Table:
    """``x`` and ``y`` standard normal with correlation ``rho``; ``z`` independent noise;
    ``plan`` a category of three; ``id`` a value per row. Every column's own distribution
    is the same whatever ``rho``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=rows)
    return pa.Table.from_pydict(
        {
            "x": x,
            "y": y,
            "z": rng.normal(size=rows),
            "plan": rng.choice(["basic", "plus", "premium"], size=rows, p=[0.5, 0.3, 0.2]),
            "id": [f"r{seed}-{i}" for i in range(rows)],
        }
    )
