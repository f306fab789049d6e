"""Which optional extra installs each optional package, and the line that says so.

The core installs what reading, profiling, baselines and checks need; every other face
(the servers, the Lambda functions, SHAP, Spark, ...) comes with an extra, so that a
deployment carries only what it runs. A face started without its extra fails on an
import; this table turns that import error into advice a person can follow.

>>> error = ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn")
>>> missing_extra(error)
'server'
>>> needs_extra("watchkeeper serve", error)
"watchkeeper serve needs the 'server' extra: pip install 'watchkeeper[server]'"
>>> missing_extra(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
True
"""

from __future__ import annotations

# top-level module → the extra that installs it; where several extras install a module,
# the one a person running that face on a machine of their own would pick
EXTRA_OF_MODULE = {
    "s3fs": "s3",
    "aiobotocore": "s3",
    "pandas": "featurestore",  # the feature store imports it; DataFrame callers have it
    "polars": "polars",
    "sklearn": "sklearn",
    "joblib": "sklearn",
    "xgboost": "xgboost",
    "onnxruntime": "onnx",
    "mangum": "lambda-predict",
    "fastapi": "server",
    "starlette": "server",
    "anyio": "server",
    "pydantic": "server",
    "multipart": "server",
    "python_multipart": "server",
    "uvicorn": "server",
    "prometheus_client": "server",
    "sqlalchemy": "server",
    "apprise": "server",
    "watchdog": "server",
    "croniter": "server",
    "httpx": "server",
    "statsmodels": "server",  # seasonal judgements of a schedule's metric history
    "threadpoolctl": "server",  # performance estimates, beside scikit-learn
    "duckdb": "featurestore",
    "redis": "featurestore",
    "shap": "explain",
    "psycopg": "postgres",
    "pyspark": "spark",
    "py4j": "spark",
    "boto3": "cloudwatch",
    "botocore": "cloudwatch",  # boto3's own; s3fs brings it too
    "mlflow": "mlflow",
}


def missing_extra(error: BaseException) -> str | None:
    """The extra that installs the module ``error`` failed to import, or ``None``.

    Libraries often re-raise a failed import as their own ``ImportError`` (fsspec says
    "Install s3fs to access S3"), so the exceptions it was raised from are searched too.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ModuleNotFoundError) and current.name:
            extra = EXTRA_OF_MODULE.get(current.name.partition(".")[0])
            if extra is not None:
                return extra
        current = current.__cause__ or current.__context__
    return None


def needs_extra(what: str, error: BaseException) -> str | None:
    """One line saying that ``what`` needs the extra missing behind ``error``, with the
    command that installs it; ``None`` when no extra installs the missing module."""
    extra = missing_extra(error)
    if extra is None:
        return None
    return f"{what} needs the {extra!r} extra: {install_command(extra)}"


def install_command(extra: str) -> str:
    """The command that installs ``extra``; quoted, as shells read brackets as patterns."""
    return f"pip install 'watchkeeper[{extra}]'"
