"""The Dockerfiles under deploy/, read as Docker reads them (no engine is needed): pinned
multi-stage builds, the Lambda base image's conventions, commands the package really has,
extras the package defines, and a build context that holds what they copy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest
from deploy_files import (
    AGREED_EXTRAS,
    DOCKERFILES,
    ROOT,
    defined_extras,
    dockerfile,
    dockerignore,
    exec_form,
    final_stage,
    handler_of,
    ignored_by_docker,
    installed_extras,
    instructions,
    parse_command,
    takes_event_and_context,
)

LAMBDA_BASE = "public.ecr.aws/lambda/python:3.12"
LAMBDA_IMAGES = {
    "lambda-files.Dockerfile": ("watchkeeper.integrations.aws_lambda.handler", "lambda-files"),
    "lambda-predict.Dockerfile": (
        "watchkeeper.integrations.aws_lambda.predict_handler",
        "lambda-predict",
    ),
}
NAMES = [path.name for path in DOCKERFILES]


def test_the_images_are_there():
    assert NAMES == [
        "lambda-files.Dockerfile", "lambda-predict.Dockerfile", "sagemaker-monitor.Dockerfile",
        "server.Dockerfile",
    ]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_every_image_is_built_in_stages_from_pinned_tags(name):
    parsed = dockerfile(ROOT / "deploy" / name)
    stages = instructions(parsed, "FROM")
    assert len(stages) >= 2, "a build stage and a final stage"
    assert stages[0].split()[-2:] == ["AS", "build"]
    for image in parsed.parent_images:
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{image}: no tag"
        assert tag != "latest", image
    final = [item["instruction"] for item in final_stage(parsed)]
    assert "CMD" in final
    assert "RUN" not in final or name == "server.Dockerfile"  # only the user is made there


@pytest.mark.parametrize("name", sorted(LAMBDA_IMAGES))
def test_lambda_images_follow_the_lambda_base_image_conventions(name):
    parsed = dockerfile(ROOT / "deploy" / name)
    handler, extra = LAMBDA_IMAGES[name]
    assert parsed.parent_images == [LAMBDA_BASE, LAMBDA_BASE]
    final = final_stage(parsed)
    copies = [item["value"].split() for item in final if item["instruction"] == "COPY"]
    assert copies == [["--from=build", "/opt/task", "${LAMBDA_TASK_ROOT}"]]
    assert any("--target /opt/task" in run for run in instructions(parsed, "RUN"))
    assert exec_form(parsed.cmd) == [handler]
    assert not instructions(parsed, "ENTRYPOINT"), "the base image's entry point runs the handler"
    assert installed_extras(parsed) == {extra}


@pytest.mark.parametrize("name", sorted(LAMBDA_IMAGES))
def test_each_lambda_image_runs_a_handler_of_the_package(name):
    [handler] = exec_form(dockerfile(ROOT / "deploy" / name).cmd)
    function = handler_of(handler)
    assert callable(function)
    assert takes_event_and_context(function), f"{handler}: not (event, context)"


def test_the_services_image_runs_a_real_command_as_a_user_that_is_not_root():
    parsed = dockerfile(ROOT / "deploy" / "server.Dockerfile")
    users = [item["value"] for item in final_stage(parsed) if item["instruction"] == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    assert parsed.baseimage == "python:3.12-slim-bookworm"
    command = exec_form(instructions(parsed, "ENTRYPOINT")[-1]) + exec_form(parsed.cmd)
    assert command[:2] == ["watchkeeper", "ui"]
    assert parse_command(command[1:]).info_name == "ui"
    assert installed_extras(parsed) == {"all", "postgres"}


def test_the_sagemaker_monitor_image_runs_the_container_contract():
    parsed = dockerfile(ROOT / "deploy" / "sagemaker-monitor.Dockerfile")
    assert parsed.baseimage == "python:3.12-slim-bookworm"
    command = exec_form(instructions(parsed, "ENTRYPOINT")[-1]) + exec_form(parsed.cmd)
    assert command == ["watchkeeper", "sagemaker-monitor"]
    assert parse_command(command[1:]).info_name == "sagemaker-monitor"
    assert installed_extras(parsed) == {"sagemaker-monitor"}


def test_the_sagemaker_monitor_image_has_what_the_container_contract_imports(tmp_path):
    """The container's command imports only what the core and its extra install."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = {_distribution(r) for r in
                 extras["dependencies"] + extras["optional-dependencies"]["sagemaker-monitor"]}
    probe = (
        "import sys, watchkeeper.cli, watchkeeper.integrations.sagemaker_monitor\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    third_party = set(done.stdout.split()) & OPTIONAL_IMPORTS
    assert third_party <= {IMPORT_NAMES.get(name, name) for name in installed}, third_party


# the import names of the distributions the other extras add, which this image lacks
OPTIONAL_IMPORTS = {"sqlalchemy", "boto3", "s3fs", "apprise", "fastapi", "uvicorn", "pandas",
                    "sklearn", "duckdb", "redis", "statsmodels", "croniter", "httpx",
                    "watchdog", "shap", "pyspark", "psycopg", "mangum"}  # fmt: skip
IMPORT_NAMES = {"scikit-learn": "sklearn", "psycopg[binary]": "psycopg"}


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower()


@pytest.mark.parametrize("name", NAMES)
def test_images_install_only_the_extras_the_package_defines(name):
    extras = installed_extras(dockerfile(ROOT / "deploy" / name))
    assert extras and extras <= AGREED_EXTRAS
    assert extras <= defined_extras(), "pyproject.toml lacks an extra an image installs"


@pytest.mark.parametrize("name", NAMES)
def test_what_the_images_copy_is_in_the_build_context(name):
    patterns = dockerignore()
    for value in instructions(dockerfile(ROOT / "deploy" / name), "COPY"):
        if value.startswith("--from="):
            continue
        for source in value.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert not ignored_by_docker_tree(source, patterns), source
    # and what they do not need stays out, so editing it does not rebuild the images
    for kept_out in ("tests/conftest.py", ".git/HEAD", "bench/RESULTS.md", "deploy/template.yaml",
                     "src/watchkeeper/__pycache__/cli.cpython-312.pyc", ".venv/bin/python"):
        assert ignored_by_docker(kept_out, patterns), kept_out  # fmt: skip


def ignored_by_docker_tree(source: str, patterns: list[str]) -> bool:
    """Whether anything the image needs under ``source`` is kept out of the context."""
    path = ROOT / source
    files = [path] if path.is_file() else [p for p in path.rglob("*.py") if p.is_file()]
    needed = [
        str(file.relative_to(ROOT))
        for file in files
        if "__pycache__" not in file.parts and ".egg-info" not in str(file)
    ]
    assert needed
    return any(ignored_by_docker(name, patterns) for name in needed)


def test_the_command_parser_refuses_what_the_cli_refuses():
    with pytest.raises(Exception, match="No such option"):
        parse_command(["ui", "--workers", "4"])
    with pytest.raises(Exception, match="No such command"):
        parse_command(["server"])


def test_the_images_command_line_answers_help():
    done = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "ui", "--help"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--host" in done.stdout


def test_the_package_builds_whole_from_what_the_images_copy(tmp_path):
    """The context Docker sends, cut to what the Dockerfiles copy, builds the same package
    as the repository: nothing the package needs is left out by .dockerignore."""
    patterns = dockerignore()
    context = tmp_path / "context"
    for path in [ROOT / "pyproject.toml", ROOT / "README.md", *(ROOT / "src").rglob("*")]:
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and not ignored_by_docker(relative, patterns):
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, context / relative)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
         str(tmp_path / "wheels"), str(context)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = (tmp_path / "wheels").glob("watchkeeper-*.whl")
    with zipfile.ZipFile(wheel) as built:
        packaged = {name for name in built.namelist() if name.startswith("watchkeeper/")}
    source = ROOT / "src"
    expected = {
        path.relative_to(source).as_posix()
        for path in (source / "watchkeeper").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert packaged == expected
