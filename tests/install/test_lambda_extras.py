"""Each Lambda function runs from a clean venv holding only its extra.

watchkeeper is built once from this checkout into a wheel; ``watchkeeper[lambda-files]``
and ``watchkeeper[lambda-predict]`` are each installed into a new venv (pip's cache makes
repeated installs quick), and there the S3-event handler checks a real S3 PUT against the
S3 server on 127.0.0.1, and the predict handler answers API Gateway events with a model
that needs no extra of its own. The venvs show what each extra leaves out (SHAP,
scikit-learn, the servers) and what each handler does not import.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from s3_events import s3_put_event

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
INSTALL_TIMEOUT = 600  # seconds: a cold pip cache downloads pyarrow and scipy

# Neither Lambda extra may install these: the explainers, the model libraries, the servers.
NEVER_INSTALLED = {"shap", "scikit-learn", "numba", "llvmlite", "uvicorn", "pandas", "duckdb"}


@dataclass(frozen=True)
class Venv:
    folder: Path

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python"

    def run(self, *arguments: str | Path, cwd: Path, env: dict[str, str] | None = None):
        """A process of this venv's Python, seeing none of the test run's own code."""
        return subprocess.run(
            [str(self.python), *map(str, arguments)],
            cwd=cwd,
            env=clean_environment(env),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def installed(self, tmp_path: Path) -> set[str]:
        listing = self.run(
            "-c",
            "import importlib.metadata as m, json;"
            "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))",
            cwd=tmp_path,
        )
        assert listing.returncode == 0, listing.stderr
        return set(json.loads(listing.stdout))


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    # PYTHONPATH would put the checkout's sources ahead of what the venv installed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(extra or {})
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """watchkeeper built from a copy of the checkout: the build leaves nothing in the tree."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(
        REPO / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert build.returncode == 0, build.stderr
    [built] = out.glob("watchkeeper-*.whl")
    return built


def clean_venv(tmp_path_factory, wheel: Path, extra: str) -> Venv:
    venv = Venv(tmp_path_factory.mktemp(f"venv-{extra}"))
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv.folder)],
        check=True,
        env=clean_environment(),
        timeout=120,
    )
    # the test run's pip installs into the new venv: no copy of pip to bootstrap there
    pip = [sys.executable, "-m", "pip", "--python", venv.python]
    install = subprocess.run(
        # no bytecode for the thousands of modules no test imports: two thirds of the time
        [*pip, "install", "-q", "--no-compile", f"{wheel}[{extra}]"],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, install.stderr
    return venv


@pytest.fixture(scope="module")
def files_venv(tmp_path_factory, wheel) -> Venv:
    return clean_venv(tmp_path_factory, wheel, "lambda-files")


@pytest.fixture(scope="module")
def predict_venv(tmp_path_factory, wheel) -> Venv:
    return clean_venv(tmp_path_factory, wheel, "lambda-predict")


def top_level_modules_script(body: str) -> str:
    """A script that runs ``body`` under a main guard (the S3 handler's child processes
    import the main module again), then prints what ``body`` appended to ``OUTPUTS`` and
    the top-level modules the process imported, as JSON."""
    return (
        "import json, sys\n\nOUTPUTS = []\n\n\ndef main():\n"
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
        + "\n\n\nif __name__ == '__main__':\n    main()\n"
        "    modules = sorted({name.partition('.')[0] for name in sys.modules})\n"
        "    print(json.dumps({'modules': modules, 'outputs': OUTPUTS}))\n"
    )


RULES = b"""
defaults:
  max_missing: 10%
  single_value: forbid
"""

# "weight" misses 4 values in 10 and "site" holds one value: two violations of RULES
LANDED = b"weight,site,items\n" + b"".join(
    f"{'' if i % 5 in (1, 3) else 50 + i},north,{i}\n".encode() for i in range(10)
)


def test_the_s3_event_handler_runs_with_only_lambda_files(
    files_venv, s3_bucket, tmp_path, monkeypatch
):
    installed = files_venv.installed(tmp_path)
    assert {"watchkeeper", "s3fs", "sqlalchemy", "apprise", "pyarrow"} <= installed
    assert installed.isdisjoint(NEVER_INSTALLED | {"fastapi", "mangum", "boto3"})

    rules = s3_bucket.put("config/rules.yaml", RULES)
    s3_bucket.put("landing/day-1.csv", LANDED)
    s3_bucket.put("landing/day-2.csv", LANDED)
    script = tmp_path / "check_landed.py"
    script.write_text(
        top_level_modules_script(
            """
            import os
            from watchkeeper.integrations.aws_lambda import handler
            for event, isolate in json.loads(sys.argv[1]):
                os.environ["WATCHKEEPER_ISOLATE"] = isolate
                OUTPUTS.append(handler(event, None))
            """
        )
    )
    events = [
        (s3_put_event(s3_bucket.name, "landing/day-1.csv", len(LANDED)), "0"),
        # in child processes, as the function runs by default
        (s3_put_event(s3_bucket.name, "landing/day-2.csv", len(LANDED)), "1"),
        # S3 delivers at least once: the catalog knows day 1 was checked
        (s3_put_event(s3_bucket.name, "landing/day-1.csv", len(LANDED)), "1"),
    ]
    env = {
        "AWS_ENDPOINT_URL": s3_bucket.endpoint_url,
        "WATCHKEEPER_HOME": str(tmp_path / "home"),
        "WATCHKEEPER_RULES": rules,
    }
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    done = files_venv.run(script, json.dumps(events), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    first, second, again = report["outputs"]
    for output, day in ((first, "day-1"), (second, "day-2")):
        [entry] = output["objects"]
        assert output["status"] == "ok"
        assert (entry["object"], entry["status"], entry["violations"], entry["error"]) == (
            s3_bucket.url(f"landing/{day}.csv"),
            "done",
            2,
            None,
        )
        assert s3_bucket.fs.exists(entry["report"])
    assert again == {"status": "ok", "objects": []}
    # a check without a baseline judges no drift: the statistics libraries stay unloaded
    modules = set(report["modules"])
    assert {"sqlalchemy", "s3fs", "plotly"} <= modules
    assert modules.isdisjoint({"scipy", "pandas", "fastapi", "starlette", "typer", "shap"})


def test_the_lambda_files_venv_says_which_extra_a_server_needs(files_venv, tmp_path):
    served = files_venv.run(files_venv.folder / "bin" / "watchkeeper", "serve", "m.joblib",
                            cwd=tmp_path)
    assert served.returncode == 2
    assert served.stderr.splitlines() == [
        "error: watchkeeper serve needs the 'server' extra: pip install 'watchkeeper[server]'"
    ]
    assert "Traceback" not in served.stdout + served.stderr


DOUBLING_MODEL = """
import numpy as np


class Model:
    def predict(self, rows):
        return np.asarray(rows, dtype=float).sum(axis=1) * 2.0
"""


def gateway_v2_event(body: str, content_type: str) -> dict:
    """An API Gateway HTTP API (payload format 2.0) request, as the function receives it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/v1/predict",
        "rawQueryString": "",
        "headers": {
            "content-type": content_type,
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "python-requests/2.32.3",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "POST",
                "path": "/api/v1/predict",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "python-requests/2.32.3",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "07/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1796601600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def gateway_v1_event(body: str, content_type: str) -> dict:
    """An API Gateway REST API (payload format 1.0) request with a base64 body."""
    return {
        "version": "1.0",
        "resource": "/{proxy+}",
        "path": "/api/v1/predict",
        "httpMethod": "POST",
        "headers": {"Content-Type": content_type, "Host": "a1b2c3d4e5.execute-api.amazonaws.com"},
        "multiValueHeaders": {"Content-Type": [content_type]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": "api/v1/predict"},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "httpMethod": "POST",
            "identity": {"sourceIp": "192.0.2.1", "userAgent": "curl/8.5.0"},
            "path": "/prod/api/v1/predict",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": base64.b64encode(body.encode()).decode(),
        "isBase64Encoded": True,
    }


def test_the_predict_handler_runs_with_only_lambda_predict(predict_venv, tmp_path):
    installed = predict_venv.installed(tmp_path)
    assert {"watchkeeper", "mangum", "fastapi", "s3fs"} <= installed
    assert installed.isdisjoint(NEVER_INSTALLED | {"sqlalchemy", "apprise", "boto3"})

    (tmp_path / "doubling_model.py").write_text(DOUBLING_MODEL)
    capture = tmp_path / "capture"
    script = tmp_path / "predict.py"
    script.write_text(
        top_level_modules_script(
            """
            from pathlib import Path
            from watchkeeper.integrations.aws_lambda import predict_handler
            for event in json.loads(sys.argv[1]):
                answer = predict_handler(event, None)
                # what is stored once the handler has returned, as a frozen function keeps it
                records = sum(
                    len(path.read_text().splitlines())
                    for path in Path(sys.argv[2]).rglob("*.jsonl")
                )
                OUTPUTS.append({"answer": answer, "records": records})
            """
        )
    )
    events = [
        gateway_v2_event(json.dumps([[1.0, 2.0], [3.0, 4.0]]), "application/json"),
        gateway_v1_event("0.5,0.25\n", "text/csv"),
    ]
    env = {
        "WATCHKEEPER_MODEL": "doubling_model:Model",
        "WATCHKEEPER_ENDPOINT": "doubler",
        "WATCHKEEPER_CAPTURE": str(capture),
    }
    done = predict_venv.run(script, json.dumps(events), capture, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    first, second = report["outputs"]
    assert first["answer"]["statusCode"] == 200
    assert json.loads(first["answer"]["body"])["predictions"] == [6.0, 14.0]
    assert second["answer"]["statusCode"] == 200
    assert json.loads(second["answer"]["body"])["predictions"] == [1.5]
    assert (first["records"], second["records"]) == (1, 2)
    # what the predict function must not pay for at a cold start
    modules = set(report["modules"])
    assert "mangum" in modules
    assert modules.isdisjoint(
        {"scipy", "plotly", "jinja2", "sqlalchemy", "apprise", "typer", "rich", "yaml"}
    )


MULTIVARIATE = "multivariate_drift_check"


def test_profile_baseline_and_check_need_no_extra(predict_venv, tmp_path):
    """The core's commands, in a venv without the catalog, alerts, pandas or any model
    library: the predict extra adds only the serving app to the core."""
    (tmp_path / "train.csv").write_text(
        "amount,items,channel\n" + "".join(f"{i},{i % 7},c{i % 3}\n" for i in range(200))
    )
    # amounts five times larger, items all missing, a channel never seen
    (tmp_path / "today.csv").write_text(
        "amount,items,channel\n" + "".join(f"{i * 5},,web\n" for i in range(200))
    )
    command = predict_venv.folder / "bin" / "watchkeeper"
    baseline = predict_venv.run(command, "baseline", "train.csv", "-o", "base", cwd=tmp_path)
    assert baseline.returncode == 0, baseline.stderr
    checked = predict_venv.run(
        command, "check", "today.csv", "--baseline", "base", "-o", "out", "--json", cwd=tmp_path
    )
    assert checked.returncode == 1, checked.stderr  # violations found
    found = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())
    per_column = [v for v in found["violations"] if v["constraint_check_type"] != MULTIVARIATE]
    assert {v["feature_name"] for v in per_column} == {"amount", "items", "channel"}
    # the rows as a whole moved too, judged against the baseline's sample with NumPy alone
    assert len(found["violations"]) == len(per_column) + 1
    assert (tmp_path / "out" / "report.html").stat().st_size > 1_000_000  # plotly inside
