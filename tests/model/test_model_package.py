"""Model loading stands on its own, below the faces that use it (the server, the
explainer, the bias metrics, the monitoring jobs)."""

from __future__ import annotations

import json
import subprocess
import sys

import watchkeeper.model as model_package
import watchkeeper.serve as serve_package

# The packages that use model loading, and the web stack only the server needs.
FACES = ("serve", "explain", "fairness", "monitor", "ui", "cli", "datasets", "featurestore")
WEB_STACK = ("fastapi", "starlette", "uvicorn")

IMPORTED_BY_STEPS = f"""
import json, sys
import numpy as np

def loaded():
    return sorted(name for name in sys.modules if name.split(".")[0] in {WEB_STACK!r}
                  or name.startswith("watchkeeper."))

from watchkeeper.model import load_model
model = load_model(sys.argv[1], baseline=sys.argv[2])
model.predict_proba(np.array([[5.1, 3.5, 1.4, 0.2]]))
after_loading = loaded()

from watchkeeper.explain import explain
rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]])
explain(sys.argv[1], rows, baseline=rows[:1], num_samples=8)
print(json.dumps({{"loading": after_loading, "explaining": loaded()}}))
"""


def test_the_server_package_still_offers_model_loading():
    for name in ("load_model", "LoadedModel", "Inference", "MODEL_EXTENSIONS"):
        assert getattr(serve_package, name) is getattr(model_package, name)


def test_loading_and_explaining_a_model_need_none_of_the_faces(models, iris_baseline):
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED_BY_STEPS, str(models["sklearn"]), str(iris_baseline)],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = json.loads(done.stdout)
    assert "watchkeeper.model.loading" in imported["loading"]
    assert "watchkeeper.baseline" in imported["loading"]  # the baseline named the features
    assert _faces(imported["loading"]) == []
    assert "watchkeeper.explain.kernel" in imported["explaining"]
    assert _faces(imported["explaining"], besides="explain") == []


def _faces(modules: list[str], besides: str | None = None) -> list[str]:
    """The modules of the faces and of the web stack among ``modules``."""
    return [
        name
        for name in modules
        if name.split(".")[0] in WEB_STACK
        or (
            name.startswith("watchkeeper.")
            and name.split(".")[1] in FACES
            and name.split(".")[1] != besides
        )
    ]
