"""Models saved in every supported format, once per test session, for the tests of model
loading and of serving.

Models are trained on iris (shipped with scikit-learn) and on a small synthetic table
with a text column. scikit-learn, XGBoost and skl2onnx are imported when a test first
asks for a model: the root conftest registers these fixtures for every run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

if TYPE_CHECKING:
    import pandas as pd

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

RULE_MODULE = textwrap.dedent(
    '''
    """A hand-written model: petals longer than 2.5 cm are not setosa."""

    import numpy as np


    class PetalRule:
        feature_names = ["petal_length", "petal_width"]

        def predict(self, rows):
            return (np.asarray(rows, dtype=float)[:, 0] > 2.5).astype(int)

        def predict_proba(self, rows):
            longer = self.predict(rows).astype(float)
            return np.column_stack([1.0 - longer, longer])


    rule = PetalRule()
    not_a_model = {"predict": None}
    '''
)


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    frame, target = load_iris(return_X_y=True, as_frame=True)
    frame.columns = IRIS_FEATURES
    frame["species"] = target
    return frame


@pytest.fixture(scope="session")
def models(tmp_path_factory, iris) -> dict[str, Path]:
    """Every kind of model file, saved once per session: name → path."""
    return save_models(tmp_path_factory.mktemp("models"), iris)


@pytest.fixture(scope="session")
def iris_baseline(tmp_path_factory, iris) -> Path:
    """A baseline of the iris features (label first, as SageMaker baseline datasets are)."""
    import watchkeeper

    folder = tmp_path_factory.mktemp("iris-baseline")
    watchkeeper.suggest_baseline(iris[["species", *IRIS_FEATURES]], folder)
    return folder


@pytest.fixture(scope="session")
def mixed_baseline(tmp_path_factory) -> Path:
    import watchkeeper

    folder = tmp_path_factory.mktemp("mixed-baseline")
    watchkeeper.suggest_baseline(mixed_table(), folder)
    return folder


def save_models(folder: Path, iris: pd.DataFrame) -> dict[str, Path]:
    """Every kind of model file, saved in ``folder``: name → path."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, target = iris[IRIS_FEATURES], iris["species"]
    saved: dict[str, Path] = {}

    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    saved["sklearn"] = _dump(pipeline.fit(features, target), folder / "iris.joblib")
    plain = LogisticRegression(max_iter=500).fit(features.to_numpy(), target)
    saved["unnamed"] = _dump(plain, folder / "unnamed.pkl")
    tolerant = HistGradientBoostingClassifier(max_iter=10).fit(features, target)
    saved["tolerant"] = _dump(tolerant, folder / "tolerant.pickle")
    regression = LinearRegression().fit(features[IRIS_FEATURES[:3]], features["petal_width"])
    saved["regression"] = _dump(regression, folder / "regression.joblib")
    saved["mixed"] = _dump(_mixed_pipeline(), folder / "mixed.joblib")
    saved["not_a_model"] = _dump({"weights": [1, 2, 3]}, folder / "weights.pkl")
    (folder / "broken.pkl").write_bytes(b"this is not a pickle")

    import xgboost as xgb

    booster = xgb.XGBClassifier(n_estimators=8, max_depth=2).fit(features, target)
    booster.save_model(folder / "iris-xgb.json")
    saved["xgboost"] = folder / "iris-xgb.json"
    booster.save_model(folder / "iris-xgb.ubj")
    saved["xgboost_ubj"] = folder / "iris-xgb.ubj"
    xgb.XGBRegressor(n_estimators=8).fit(features.to_numpy(), target.astype(float)).save_model(
        folder / "xgb-regression.json"
    )
    saved["xgboost_regression"] = folder / "xgb-regression.json"
    (folder / "other.json").write_text('{"not": "a model"}')
    saved["not_xgboost"] = folder / "other.json"

    saved.update(_onnx_models(folder, features.to_numpy(), target))
    (folder / "petal_rule.py").write_text(RULE_MODULE)
    saved["module_folder"] = folder
    return saved


def _dump(model: Any, path: Path) -> Path:
    import joblib

    joblib.dump(model, path)
    return path


def _mixed_pipeline() -> Any:
    """A pipeline on a table with a text column, selected by name."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(100, 15, 300).round(2),
            "items": rng.integers(1, 10, 300),
            "channel": rng.choice(["web", "store", "phone"], 300),
        }
    )
    target = (frame["amount"] > 100).astype(int)
    encode = ColumnTransformer(
        [
            ("numbers", StandardScaler(), ["amount", "items"]),
            ("text", OneHotEncoder(handle_unknown="ignore"), ["channel"]),
        ]
    )
    return make_pipeline(encode, LogisticRegression()).fit(frame, target)


def mixed_table() -> pd.DataFrame:
    import pandas as pd

    rng = np.random.default_rng(8)
    return pd.DataFrame(
        {
            "amount": rng.normal(100, 15, 500).round(2),
            "items": rng.integers(1, 10, 500),
            "channel": rng.choice(["web", "store", "phone"], 500),
        }
    )


def _onnx_models(folder: Path, features: np.ndarray, target: Any) -> dict[str, Path]:
    import pandas as pd
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classifier = LogisticRegression(max_iter=500).fit(features, target)
    saved = {}
    wide = to_onnx(classifier, features[:1].astype(np.float32))
    (folder / "iris.onnx").write_bytes(wide.SerializeToString())
    saved["onnx"] = folder / "iris.onnx"
    plain = to_onnx(classifier, features[:1].astype(np.float32), options={"zipmap": False})
    (folder / "iris-nozipmap.onnx").write_bytes(plain.SerializeToString())
    saved["onnx_tensor"] = folder / "iris-nozipmap.onnx"
    # one input per feature, as skl2onnx converts a model with named columns
    columns = pd.DataFrame(features, columns=IRIS_FEATURES)
    named = make_pipeline(
        ColumnTransformer([("scale", StandardScaler(), IRIS_FEATURES)]),
        LogisticRegression(max_iter=500),
    ).fit(columns, target)
    inputs = [(name, FloatTensorType([None, 1])) for name in IRIS_FEATURES]
    (folder / "iris-named.onnx").write_bytes(
        to_onnx(named, initial_types=inputs).SerializeToString()
    )
    saved["onnx_named"] = folder / "iris-named.onnx"
    counts = LinearRegression().fit(np.round(features * 10), features[:, 3])
    integer = to_onnx(counts, initial_types=[("counts", Int64TensorType([None, 4]))])
    (folder / "counts.onnx").write_bytes(integer.SerializeToString())
    saved["onnx_integer"] = folder / "counts.onnx"
    (folder / "garbage.onnx").write_bytes(b"\x00\x01 not a graph")
    saved["not_onnx"] = folder / "garbage.onnx"
    return saved
