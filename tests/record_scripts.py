"""SageMaker's record preprocessor and post-analytics scripts as users write them, and
captured traffic laid out as SageMaker copies it, for the monitoring jobs and the
container that run them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from watchkeeper.capture import capture_record, record_line

UTC = dt.UTC
START = dt.datetime(2026, 11, 20, 9, tzinfo=UTC)
END = START + dt.timedelta(hours=1)
ENDPOINT = "churn"

# Leaves out load tests, splits a batched request into its rows, and fails on a request
# it cannot read.
PREPROCESSOR = '''
import json


def preprocess_handler(inference_record):
    if inference_record.event_metadata.inference_id == "load-test":
        return None
    request = json.loads(inference_record.endpoint_input.data)
    score = json.loads(inference_record.endpoint_output.data)["score"]
    if "broken" in request:
        raise ValueError("cannot read this request")
    if "batch" in request:
        return [{"score": score, **row} for row in request["batch"]]
    return {"score": score, **request}
'''

# SageMaker's documented shape: positions padded to twenty digits, matched to the
# baseline's features by position.
POSITIONAL_PREPROCESSOR = '''
import json


def preprocess_handler(inference_record, logger):
    request = json.loads(inference_record.endpoint_input.data)
    score = json.loads(inference_record.endpoint_output.data)["score"]
    values = [score, request["tenure"], request["monthly_charge"], request["plan"]]
    return {str(i).zfill(20): value for i, value in enumerate(values)}
'''

# Writes a summary beside the analysis' files.
POST_ANALYTICS = '''
import json
import os


def postprocess_handler():
    folder = os.environ["output_path"]
    with open(os.path.join(folder, "statistics.json")) as source:
        rows = json.load(source)["dataset"]["item_count"]
    with open(os.path.join(folder, "summary.txt"), "w") as out:
        out.write(f"{os.environ['sagemaker_monitoring_schedule_name']}: {rows} rows\\n")
'''


def script(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def traffic(count: int, seed: int, shift: float = 0.0) -> list[tuple[dict, float]]:
    """(request features, answered score): the score does not depend on the features, so
    that shifting one feature shifts nothing else."""
    rng = np.random.default_rng(seed)
    return [
        (
            {
                "tenure": int(rng.integers(1, 72)),
                "monthly_charge": round(float(rng.normal(60 + shift, 10)), 2),
                "plan": str(rng.choice(["basic", "premium"])),
            },
            round(float(rng.uniform()), 4),
        )
        for _ in range(count)
    ]


def in_window(rows: list[tuple[dict, float]]) -> list[tuple[dt.datetime, dict, float]]:
    """The rows spread over the window, none on its edges."""
    step = dt.timedelta(hours=1) / (len(rows) + 1)
    return [(START + step * (i + 1), features, score) for i, (features, score) in enumerate(rows)]


def write_capture(
    source: Path, hour_folder: dt.datetime, records: list[tuple[dt.datetime, dict, float]],
    name: str = "00-00-000-a.jsonl", inference_id: str | None = None,
) -> None:  # fmt: skip
    """One capture file of ``records`` (time, request, score) in the hour folder of
    ``hour_folder``, as SageMaker lays captures out under ``dataset_source``."""
    folder = source / ENDPOINT / "AllTraffic" / f"{hour_folder:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        record_line(
            capture_record(
                json.dumps(request), "application/json",
                json.dumps({"score": score}), "application/json",
                inference_time_seconds=moment.timestamp(), event_id=f"{name[:5]}-{i}",
                inference_id=inference_id,
            )
        )
        for i, (moment, request, score) in enumerate(records)
    ]  # fmt: skip
    with open(folder / name, "ab") as out:
        out.write(b"".join(lines))


def scripted_traffic(source: Path) -> int:
    """A window for :data:`PREPROCESSOR`: 10 plain requests, 3 load tests, 2 batches of
    3 rows and one broken request; returns the rows it should make (16)."""
    moments = in_window(traffic(16, seed=5))
    write_capture(source, START, moments[:10])
    write_capture(source, START, moments[10:13], name="10-00-000-b.jsonl",
                  inference_id="load-test")  # fmt: skip
    batches = [
        (moment, {"batch": [request] * 3}, score) for moment, request, score in moments[13:15]
    ]
    write_capture(source, START, batches, name="20-00-000-c.jsonl")
    write_capture(source, START, [(moments[15][0], {"broken": True}, 0.5)],
                  name="30-00-000-d.jsonl")  # fmt: skip
    return 10 + 2 * 3
