"""Loading models of every format: names, types, classes, predictions, and clear errors."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from model_files import IRIS_FEATURES
from watchkeeper.errors import InputError, UsageError
from watchkeeper.model import LoadedModel, load_model


def test_sklearn_pipeline_saved_with_joblib(models, iris):
    model = load_model(models["sklearn"])
    assert model.kind == "sklearn"
    assert model.feature_names == IRIS_FEATURES
    assert model.classes == [0, 1, 2]
    assert model.has_probabilities and not model.accepts_missing
    rows = iris[IRIS_FEATURES].to_numpy()
    assert (model.predict(rows) == iris["species"]).mean() > 0.9
    assert model.predict_proba(rows[:2]).shape == (2, 3)
    # tables are matched by name, whatever their column order
    table = pa.table({name: iris[name] for name in reversed(IRIS_FEATURES)})
    assert model.predict(table).tolist() == model.predict(rows).tolist()
    assert model.predict(iris[IRIS_FEATURES]).tolist() == model.predict(rows).tolist()


def test_model_without_feature_names(models):
    model = load_model(models["unnamed"])
    assert model.feature_names is None and model.n_features == 4
    with pytest.raises(InputError, match="takes 4 features"):
        model.predict(np.zeros((1, 3)))


def test_sklearn_tags_decide_whether_nan_is_accepted(models):
    assert load_model(models["tolerant"]).accepts_missing
    assert not load_model(models["sklearn"]).accepts_missing
    assert load_model(models["sklearn"], accepts_missing=True).accepts_missing


@pytest.mark.parametrize("which", ["xgboost", "xgboost_ubj"])
def test_xgboost_classifier(models, iris, which):
    model = load_model(models[which])
    assert model.kind == "xgboost"
    assert model.feature_names == IRIS_FEATURES
    assert model.classes == [0, 1, 2] and model.has_probabilities and model.accepts_missing
    rows = iris[IRIS_FEATURES].to_numpy()
    assert (model.predict(rows) == iris["species"]).mean() > 0.9
    probabilities = model.predict_proba(np.array([[np.nan, 3.0, 1.4, 0.2]]))
    assert probabilities.shape == (1, 3) and probabilities.sum() == pytest.approx(1.0)


def test_xgboost_regressor_has_no_probabilities(models):
    model = load_model(models["xgboost_regression"])
    assert model.feature_names is None and model.n_features == 4
    assert model.classes is None and not model.has_probabilities
    assert model.predict(np.array([[5.1, 3.5, 1.4, 0.2]])).shape == (1,)
    with pytest.raises(UsageError, match="no probabilities"):
        model.predict_proba(np.zeros((1, 4)))


def test_onnx_with_one_input(models, iris):
    model = load_model(models["onnx"])
    assert model.kind == "onnx"
    assert model.feature_names is None and model.n_features == 4
    assert model.classes == [0, 1, 2]  # the ZipMap's keys
    rows = iris[IRIS_FEATURES].to_numpy()
    assert (model.predict(rows) == iris["species"]).mean() > 0.9
    assert model.predict_proba(rows[:1]).shape == (1, 3)


def test_onnx_probabilities_as_a_tensor(models, iris):
    model = load_model(models["onnx_tensor"])
    rows = iris[IRIS_FEATURES].to_numpy()[:5]
    assert model.classes is None  # a plain tensor does not say which class is which
    assert np.allclose(model.predict_proba(rows), load_model(models["onnx"]).predict_proba(rows))


def test_onnx_with_one_input_per_feature_names_the_features(models, iris):
    model = load_model(models["onnx_named"])
    assert model.feature_names == IRIS_FEATURES
    assert (model.predict(iris[IRIS_FEATURES]) == iris["species"]).mean() > 0.9


def test_onnx_integer_input(models):
    model = load_model(models["onnx_integer"])
    assert model.value_kinds == ["integer"] * 4
    assert model.predict(np.array([[51, 35, 14, 2]])).shape == (1,)
    with pytest.raises(InputError, match="whole number"):
        model.predict(np.array([[5.1, 3.5, 1.4, 0.2]]))


def test_module_attribute(models, monkeypatch):
    monkeypatch.chdir(models["module_folder"])
    model = load_model("petal_rule:rule")
    assert model.kind == "python"
    assert model.feature_names == ["petal_length", "petal_width"]
    assert model.predict(np.array([[1.4, 0.2], [5.0, 1.8]])).tolist() == [0, 1]
    assert model.predict_proba(np.array([[5.0, 1.8]])).tolist() == [[0.0, 1.0]]
    assert load_model("petal_rule:PetalRule").feature_names == model.feature_names  # a class


def test_module_attribute_of_an_installed_package():
    model = load_model("sklearn.dummy:DummyRegressor")
    with pytest.raises(Exception, match="not fitted"):
        model.predict(np.zeros((1, 2)))


def test_in_memory_estimator():
    from sklearn.linear_model import LinearRegression

    model = LoadedModel.from_object(LinearRegression().fit([[0.0, 1.0], [1.0, 0.0]], [1.0, 2.0]))
    assert model.n_features == 2 and model.predict([[1.0, 0.0]]).round(6).tolist() == [2.0]


# -- baselines ----------------------------------------------------------------------------


def test_baseline_types_join_the_models_names(models, iris_baseline):
    # the baseline also lists the label: the model's own features are kept, in its order
    model = load_model(models["sklearn"], baseline=iris_baseline)
    assert model.feature_names == IRIS_FEATURES
    assert model.feature_types == ["Fractional"] * 4


def test_baseline_names_an_unnamed_model(models, iris_baseline, tmp_path, iris):
    import watchkeeper

    # one column more than the model takes: SageMaker's layout, label first, is dropped
    model = load_model(models["onnx"], baseline=iris_baseline)
    assert model.feature_names == IRIS_FEATURES
    renamed = tmp_path / "renamed"
    watchkeeper.suggest_baseline(
        iris[IRIS_FEATURES].rename(columns=lambda name: name.upper()), renamed
    )
    # the baseline wins over the model's names when they differ
    model = load_model(models["sklearn"], baseline=renamed)
    assert model.feature_names == [name.upper() for name in IRIS_FEATURES]


def test_baseline_that_does_not_fit_the_model(models, mixed_baseline):
    with pytest.raises(UsageError, match=r"baseline describes 3 features.*takes 4"):
        load_model(models["sklearn"], baseline=mixed_baseline)


def test_baseline_string_type(models, mixed_baseline):
    model = load_model(models["mixed"], baseline=mixed_baseline)
    assert model.feature_names == ["amount", "items", "channel"]
    assert model.feature_types == ["Fractional", "Integral", "String"]
    assert model.value_kinds == ["number", "number", "string"]


def test_missing_baseline(models, tmp_path):
    with pytest.raises(InputError, match="--baseline"):
        load_model(models["sklearn"], baseline=tmp_path / "nowhere")


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("missing.joblib", InputError, "no such model file"),
        ("model.h5", UsageError, "unknown model format '.h5'"),
        ("model", UsageError, "unknown model format '(no extension)'"),
        ("no_such_module_here:model", UsageError, "no module 'no_such_module_here'"),
        ("petal_rule:nothing", UsageError, "has no attribute 'nothing'"),
        ("petal_rule:not_a_model", UsageError, "holds a dict, not a model"),
    ],
)
def test_specs_that_name_no_model(models, monkeypatch, spec, error, message):
    monkeypatch.chdir(models["module_folder"])
    with pytest.raises(error, match=re.escape(message)):
        load_model(spec)


@pytest.mark.parametrize(
    ("which", "error", "message"),
    [
        ("not_a_model", UsageError, "holds a dict, not a model"),
        ("not_xgboost", InputError, "not an XGBoost model"),
        ("not_onnx", InputError, "not a valid ONNX model"),
    ],
)
def test_files_that_hold_no_model(models, which, error, message):
    with pytest.raises(error, match=re.escape(message)):
        load_model(models[which])


def test_broken_pickle(models):
    with pytest.raises(InputError, match=r"broken\.pkl: not a readable pickle"):
        load_model(models["module_folder"] / "broken.pkl")


def test_a_folder_is_not_a_model(tmp_path):
    (tmp_path / "model.onnx").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        load_model(tmp_path / "model.onnx")


def test_module_that_fails_to_import(tmp_path, monkeypatch):
    (tmp_path / "failing_model.py").write_text("import no_such_dependency_anywhere\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="importing 'failing_model' failed"):
        load_model("failing_model:model")


def test_probabilities_alone_do_not_run_the_models_predict():
    """Explanations and partial dependence ask a classifier for probabilities thousands of
    times: each call runs predict_proba once and predict not at all."""
    from sklearn.linear_model import LogisticRegression

    calls: list[str] = []

    class Counting(LogisticRegression):
        def predict(self, X):
            calls.append("predict")
            return super().predict(X)

        def predict_proba(self, X):
            calls.append("predict_proba")
            return super().predict_proba(X)

    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3))
    fitted = Counting().fit(features, features[:, 0] > 0)
    model = LoadedModel.from_object(fitted)
    calls.clear()
    proba = model.predict_proba(features[:5])
    assert calls == ["predict_proba"]
    np.testing.assert_array_equal(proba, LogisticRegression.predict_proba(fitted, features[:5]))
    model.infer_columns(model.columns_of(features[:5]))
    assert calls == ["predict_proba", "predict", "predict_proba"]
