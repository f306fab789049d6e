"""Bias, explanations and model quality end to end, on scholarship applications.

    python examples/scholarship/demo.py [OUTPUT]     (what `make demo-fairness` runs)

A school approves scholarships with a classifier trained on past decisions. The past
decisions were made on science and technology grades, but also favoured men, and there
are far fewer women among the applicants.

1. Generate 1,000 applicants: sex (0 = woman, 1 = man), math, science and technology
   grades, two columns of noise (random1, random2), and the decision (approved).
2. Pre-training bias (`watchkeeper bias pretraining`): the class imbalance (CI) and
   the difference in approval rates (DPL) between women and men.
3. Train a gradient-boosting classifier on 600 applicants.
4. Post-training bias on 400 others (`watchkeeper bias posttraining --model`): the
   model learnt the past preference (DPPL, DI, ...).
5. Explain it (`watchkeeper explain`, Kernel SHAP): random1 and random2 rank last.
6. Monitor its quality: a baseline of its answers on held-out applicants
   (`watchkeeper quality baseline`), two hours of captured answers, their labels
   uploaded (`watchkeeper groundtruth upload`), a model-quality schedule and a job per
   hour: the first hour passes; in the second the committee changed its rules (math
   now counts), so the model's accuracy falls and the job reports the violations.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

from watchkeeper.capture import CaptureWriter

FEATURES = ["sex", "math", "science", "technology", "random1", "random2"]


def applicants(rng: np.random.Generator, rows: int, *, math_counts: bool = False) -> pd.DataFrame:
    """Applicants and the committee's decisions (``math_counts``: the new rules)."""
    frame = pd.DataFrame(
        {
            "sex": (rng.random(rows) < 0.8).astype(int),  # a man four times in five
            "math": rng.integers(0, 101, rows),
            "science": rng.integers(0, 101, rows),
            "technology": rng.integers(0, 101, rows),
            "random1": rng.integers(-100, 101, rows),
            "random2": rng.integers(-100, 101, rows),
        }
    )
    merit = (frame["math"] if math_counts else frame["science"]) + frame["technology"]
    merit = merit + rng.normal(0, 15, rows) + 25 * frame["sex"]  # the old preference
    frame.insert(0, "approved", (merit > 125).astype(int))
    return frame


SHOWN_VIOLATIONS = 4


def main(output: Path) -> None:
    # each step's lines go out as it ends, also when the output is piped (make, tee, CI)
    sys.stdout.reconfigure(line_buffering=True)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    env = {**os.environ, "WATCHKEEPER_HOME": str(output / "workspace"), "NO_COLOR": "1"}
    rng = np.random.default_rng(2)

    print("1. 1,000 scholarship applicants, 80% men, decided on science, technology and sex")
    data = applicants(rng, 1000)
    data.to_csv(output / "applicants.csv", index=False)
    train, test = data.iloc[:600], data.iloc[600:]
    test.to_csv(output / "test.csv", index=False)

    print("\n2. pre-training bias (facet: sex = 0, the women)")
    _run(env, "bias", "pretraining", str(output / "applicants.csv"), "--label", "approved",
         "--label-values", "1", "--facet", "sex", "--facet-values", "0",
         "-o", str(output / "bias-pre"), quiet=True)  # fmt: skip
    _show(output / "bias-pre" / "analysis.json", "pre_training_bias_metrics", ("CI", "DPL", "KL"))

    print("\n3. a gradient-boosting classifier trained on 600 of them")
    model = GradientBoostingClassifier(random_state=0).fit(train[FEATURES], train["approved"])
    joblib.dump(model, output / "model.joblib")
    print(f"   accuracy on the other 400: {model.score(test[FEATURES], test['approved']):.3f}")

    print("\n4. post-training bias of its answers on those 400")
    _run(env, "bias", "posttraining", str(output / "test.csv"), "--label", "approved",
         "--label-values", "1", "--facet", "sex", "--facet-values", "0",
         "--model", str(output / "model.joblib"), "-o", str(output / "bias-post"),
         quiet=True)  # fmt: skip
    _show(output / "bias-post" / "analysis.json", "post_training_bias_metrics",
          ("DPPL", "DI", "RD", "AD"))  # fmt: skip

    print("\n5. which features drive its answers (Kernel SHAP, mean |SHAP value|)")
    test.iloc[:100][FEATURES].to_csv(output / "explained.csv", index=False)
    _run(env, "explain", "--model", str(output / "model.joblib"),
         "--data", str(output / "explained.csv"), "--num-clusters", "10",
         "--num-samples", "200", "--seed", "0", "-o", str(output / "shap"),
         quiet=True)  # fmt: skip
    shap = json.loads((output / "shap" / "analysis.json").read_text())["explanations"]
    [values] = shap["kernel_shap"].values()
    ranking = sorted(values["global_shap_values"].items(), key=lambda item: -item[1])
    print("   " + ", ".join(f"{name} {value:.3f}" for name, value in ranking))

    print("\n6. quality monitoring: a baseline, two hours of answers, their labels, a job each")
    held_out = applicants(rng, 1000)
    held_out["probability"] = model.predict_proba(held_out[FEATURES])[:, 1]
    held_out["prediction"] = (held_out["probability"] >= 0.5).astype(int)
    held_out.to_csv(output / "held_out.csv", index=False)
    _run(env, "quality", "baseline", str(output / "held_out.csv"),
         "--problem-type", "BinaryClassification", "--inference-attribute", "prediction",
         "--probability-attribute", "probability", "--ground-truth-attribute", "approved",
         "-o", str(output / "quality-baseline"), quiet=True)  # fmt: skip
    _loosen(output / "quality-baseline" / "constraints.json", room=0.05)
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    hours = [start - dt.timedelta(hours=2), start - dt.timedelta(hours=1)]
    for hour, math_counts in zip(hours, (False, True), strict=True):
        _serve_hour(output, model, applicants(rng, 400, math_counts=math_counts), hour)
        _run(env, "groundtruth", "upload", str(output / f"labels-{hour:%H}.csv"),
             "--endpoint", "scholarship", "--root", str(output / "groundtruth"),
             quiet=True)  # fmt: skip
    _run(env, "schedule", "create", "--name", "scholarship-quality", "--endpoint",
         "scholarship", "--kind", "model-quality", "--baseline",
         str(output / "quality-baseline"), "--capture", str(output / "capture"),
         "--report", str(output / "monitoring"), "--problem-type", "BinaryClassification",
         "--inference-attribute", "prediction", "--probability-attribute", "probability",
         "--ground-truth", str(output / "groundtruth"), "--reference",
         str(output / "held_out.csv"), "--reference-label", "approved",
         quiet=True)  # fmt: skip
    pages = [
        ("pre-training bias", str(output / "bias-pre" / "report.html")),
        ("post-training bias", str(output / "bias-post" / "report.html")),
        ("explanations", str(output / "shap" / "report.html")),
        ("model-quality baseline", str(output / "quality-baseline" / "report.html")),
    ]
    for number, hour in enumerate(hours, start=1):
        window = f"{hour:%Y-%m-%dT%H:%M}/{hour + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}"
        result = _run(env, "monitor", "run", "--schedule", "scholarship-quality",
                      "--window", window, "--json", quiet=True, check=False)  # fmt: skip
        execution = json.loads(result.stdout)
        print(f"\n   hour {number}: {execution['records']} answers with labels, "
              f"{execution['exit_message']}")  # fmt: skip
        found = execution["artifacts"].get("violations")
        if found:
            violations = json.loads(Path(found).read_text())["violations"]
            for violation in violations[:SHOWN_VIOLATIONS]:
                print(f"     - {violation['description']}")
            if len(violations) > SHOWN_VIOLATIONS:
                print(f"     … and {len(violations) - SHOWN_VIOLATIONS} more")
        page = execution["artifacts"].get("html")
        if page:
            pages.append((f"model quality, hour {number}", page.removeprefix("file://")))
    print("\n   the second hour's metrics, realized and estimated from the scores alone "
          "(the estimate cannot see new rules; the labels can):")  # fmt: skip
    described = _run(env, "executions", "describe", "2", quiet=True).stdout
    print(described[described.index("┏") :])
    print(f"\nanalysis.json files: {output / 'bias-pre'}, {output / 'bias-post'}, "
          f"{output / 'shap'}; model-quality results under {output / 'monitoring'}")
    print("\nreport pages (open them in a browser):")
    for what, page in pages:
        print(f"   {what}: {page}")


def _serve_hour(output: Path, model, frame: pd.DataFrame, hour: dt.datetime) -> None:
    """Capture the model's answers as an endpoint would, during ``hour``, and write the
    committee's decisions as a labels file (inference id, label)."""
    probability = model.predict_proba(frame[FEATURES])[:, 1]
    moment = {"at": (hour + dt.timedelta(minutes=10)).timestamp()}
    writer = CaptureWriter(str(output / "capture"), "scholarship", clock=lambda: moment["at"])
    ids = []
    for number, (row, score) in enumerate(zip(frame[FEATURES].itertuples(index=False),
                                              probability, strict=True)):  # fmt: skip
        inference = f"{hour:%Y%m%d%H}-{number}"
        answer = {"prediction": int(score >= 0.5), "probability": round(float(score), 6)}
        writer.capture(
            json.dumps(dict(zip(FEATURES, map(int, row), strict=True))),
            "application/json",
            json.dumps(answer),
            "application/json",
            inference_id=inference,
        )
        ids.append(inference)
    writer.close()
    labels = pd.DataFrame({"inferenceId": ids, "label": frame["approved"].to_numpy()})
    labels.to_csv(output / f"labels-{hour:%H}.csv", index=False)


def _loosen(path: Path, room: float) -> None:
    """Suggested thresholds are the baseline's own values; leave room for noise."""
    document = json.loads(path.read_text())
    for rule in document["binary_classification_constraints"].values():
        less = rule["comparison_operator"] == "LessThanThreshold"
        rule["threshold"] += -room if less else room
    path.write_text(json.dumps(document, indent=4))


def _show(path: Path, section: str, names: tuple[str, ...]) -> None:
    document = json.loads(path.read_text())[section]
    for facet, groups in document["facets"].items():
        for group in groups:
            values = {m["name"]: m["value"] for m in group["metrics"]}
            shown = ", ".join(f"{name} {_number(values.get(name))}" for name in names)
            print(f"   {facet} = {group['value_or_threshold']}: {shown}")


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _run(env: dict, *args: str, quiet: bool = False, check: bool = True):
    command = [sys.executable, "-m", "watchkeeper", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in ((0,) if check else (0, 1)):
        raise SystemExit(f"watchkeeper {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    if not quiet:
        print(result.stdout)
    return result


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output/scholarship"))
