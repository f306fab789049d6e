"""The files under deploy/ read as the tools that use them read them: Dockerfiles, the
compose file (with its ``${VAR:-default}`` interpolation) and the AWS SAM template (with
CloudFormation's short tags, and its intrinsic functions evaluated for given parameters)."""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "template.yaml"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILES = sorted(DEPLOY.glob("*.Dockerfile"))

# The extras the package defines for deployments, one per kind of install.
AGREED_EXTRAS = {
    "lambda-files", "lambda-predict", "server", "explain", "postgres", "spark", "cloudwatch",
    "sagemaker-monitor", "all",
}  # fmt: skip

NO_VALUE = object()  # AWS::NoValue: the property is left out


def dockerfile(path: Path) -> DockerfileParser:
    return DockerfileParser(str(path), cache_content=True)


def instructions(parsed: DockerfileParser, name: str) -> list[str]:
    return [item["value"] for item in parsed.structure if item["instruction"] == name]


def final_stage(parsed: DockerfileParser) -> list[dict[str, Any]]:
    """The instructions of the last stage: what the image is made of."""
    starts = [i for i, item in enumerate(parsed.structure) if item["instruction"] == "FROM"]
    return parsed.structure[starts[-1] :]


def exec_form(value: str) -> list[str]:
    """A CMD or ENTRYPOINT in exec (JSON) form; shell form is refused."""
    words = json.loads(value)
    assert isinstance(words, list) and all(isinstance(word, str) for word in words), value
    return words


def installed_extras(parsed: DockerfileParser) -> set[str]:
    """The project's extras every ``pip install`` of the Dockerfile names (``.[a,b]``)."""
    extras: set[str] = set()
    for command in instructions(parsed, "RUN"):
        if "pip install" in command:
            for group in re.findall(r"\.\[([^\]]+)\]", command):
                extras.update(name.strip() for name in group.split(","))
    return extras


def defined_extras() -> set[str]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return set(tomllib.load(handle)["project"]["optional-dependencies"])


def handler_of(name: str) -> Any:
    """What the Lambda runtime calls for a handler string ``package.module.function``."""
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)


def takes_event_and_context(function: Any) -> bool:
    try:
        inspect.signature(function).bind({"Records": []}, None)
    except TypeError:
        return False
    return True


def ignored_by_docker(path: str, patterns: list[str]) -> bool:
    """Whether ``.dockerignore`` keeps ``path`` (relative, with slashes) out of the
    context: the last pattern matching the path or one of its parent folders decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        expression = _glob_expression(pattern.lstrip("!").strip("/"))
        if any(expression.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def _glob_expression(pattern: str) -> re.Pattern[str]:
    pieces = []
    for piece in re.split(r"(\*\*/|\*|\?|\[[^\]]*\])", pattern):
        if piece == "**/":
            pieces.append("(?:.*/)?")
        elif piece == "*":
            pieces.append("[^/]*")
        elif piece == "?":
            pieces.append("[^/]")
        elif piece.startswith("["):
            pieces.append(piece)
        else:
            pieces.append(re.escape(piece))
    return re.compile("".join(pieces))


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def parse_command(arguments: list[str]):
    """The context the ``watchkeeper`` command makes of ``arguments``: options and values
    checked as a run would check them, nothing run."""
    import typer

    from watchkeeper.cli import app

    command = typer.main.get_command(app)  # typer's own click: reached through its objects
    context = command.context_class(command, info_name="watchkeeper")
    rest = list(arguments)
    while hasattr(command, "get_command"):  # a group: the next word names a command of it
        name, rest = rest[0], rest[1:]
        found = command.get_command(context, name)
        if found is None:
            raise LookupError(f"No such command {name!r}")
        if not hasattr(found, "get_command"):
            return found.make_context(name, rest, parent=context)
        command, context = found, found.context_class(found, info_name=name, parent=context)
    raise AssertionError("not a command")


# --- the compose file ---------------------------------------------------------------


def compose(variables: dict[str, str]) -> dict[str, Any]:
    """The compose file with ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}``
    replaced as compose replaces them from ``variables`` (the shell's environment)."""
    text = COMPOSE.read_text(encoding="utf-8")

    def value(match: re.Match[str]) -> str:
        name, operator, default = match.group(1), match.group(2), match.group(3) or ""
        given = variables.get(name, "")
        if operator == ":?":
            assert given, f"compose needs {name}: {default}"
            return given
        return given or default

    return yaml.safe_load(re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", value, text))


# --- the SAM template ----------------------------------------------------------------


class TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags: ``!Ref X`` is ``{"Ref": X}``, ``!Sub s``
    is ``{"Fn::Sub": s}``, ``!GetAtt a.b`` is ``{"Fn::GetAtt": [a, b]}``."""


def _short_tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


TemplateLoader.add_multi_constructor("!", _short_tag)


def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=TemplateLoader)


class Stack:
    """The template's intrinsic functions evaluated for some parameter values (the
    others at their defaults), in a given region and account, as CloudFormation would."""

    def __init__(self, document: dict[str, Any], **parameters: Any) -> None:
        self.document = document
        self.values = {
            name: str(parameters.get(name, spec.get("Default", "")))
            for name, spec in document["Parameters"].items()
        }
        self.values |= {
            "AWS::Partition": "aws",
            "AWS::Region": "eu-west-1",
            "AWS::AccountId": "123456789012",
            "AWS::StackName": "watchkeeper",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def resource(self, name: str) -> dict[str, Any]:
        return self.document["Resources"][name]

    def condition(self, name: str) -> bool:
        return bool(self.evaluate(self.document["Conditions"][name]))

    def environment(self, function: str) -> dict[str, str]:
        variables = self.resource(function)["Properties"]["Environment"]["Variables"]
        resolved = {name: self.evaluate(value) for name, value in variables.items()}
        return {name: str(value) for name, value in resolved.items() if value is not NO_VALUE}

    def evaluate(self, node: Any) -> Any:
        if isinstance(node, list):
            return [value for value in map(self.evaluate, node) if value is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not next(iter(node)).startswith(("Ref", "Fn::", "Condition")):
            return {key: self.evaluate(value) for key, value in node.items()}
        [(function, argument)] = node.items()
        if function == "Ref":
            return NO_VALUE if argument == "AWS::NoValue" else self.values.get(argument, argument)
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Sub":
            return re.sub(r"\$\{([\w:.]+)\}", lambda m: self._name(m.group(1)), argument)
        if function == "Fn::If":
            chosen = argument[1] if self.condition(argument[0]) else argument[2]
            return self.evaluate(chosen)
        arguments = [self.evaluate(value) for value in argument]
        if function == "Fn::Equals":
            return str(arguments[0]) == str(arguments[1])
        if function == "Fn::Not":
            return not arguments[0]
        if function == "Fn::Join":
            return arguments[0].join(arguments[1])
        raise NotImplementedError(function)

    def _name(self, name: str) -> str:
        # a resource's name where CloudFormation would give its physical id
        return self.values.get(name, name)


def statements(stack: Stack, function: str) -> list[dict[str, Any]]:
    """The IAM statements a function's policies give, SAM's S3ReadPolicy expanded as
    SAM expands it."""
    found = []
    for policy in stack.resource(function)["Properties"]["Policies"]:
        [(kind, body)] = policy.items()
        if kind == "S3ReadPolicy":
            bucket = stack.evaluate(body["BucketName"])
            found.append(
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation",
                               "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            )  # fmt: skip
        elif kind == "Statement":
            found.extend(stack.evaluate(body))
        else:
            raise AssertionError(f"{function}: a policy this test does not know: {kind}")
    return found


def allowed(stack: Stack, function: str, action: str, arn: str) -> bool:
    """Whether the function's statements allow ``action`` on ``arn`` (conditions aside)."""
    for statement in statements(stack, function):
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement["Effect"] == "Allow" and any(
            fnmatch.fnmatchcase(action, pattern) for pattern in actions
        ) and any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources):
            return True
    return False
