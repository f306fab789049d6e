"""deploy/template.yaml, the AWS SAM template: valid for CloudFormation with SAM's
transform (cfn-lint), its functions built from the Dockerfiles here and running
handlers of the package, its routes those of the prediction app, its trigger unable to
fire on what the functions write, and its policies no wider than the functions need."""

from __future__ import annotations

import re

import pytest
from cfnlint.api import ManualArgs, lint_file
from deploy_files import (
    DEPLOY,
    DOCKERFILES,
    ROOT,
    TEMPLATE,
    Stack,
    allowed,
    dockerfile,
    exec_form,
    handler_of,
    statements,
    takes_event_and_context,
    template,
)

HANDLERS = {
    "FileCheckFunction": "watchkeeper.integrations.aws_lambda.handler",
    "PredictFunction": "watchkeeper.integrations.aws_lambda.predict_handler",
}
BUCKET = "landing-bucket"


@pytest.fixture(scope="module")
def document() -> dict:
    return template()


@pytest.fixture(scope="module")
def stack(document) -> Stack:
    return Stack(document, BucketName=BUCKET)


def test_cfn_lint_finds_nothing_with_the_sam_transform():
    findings = lint_file(TEMPLATE, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    found = [f"{match.rule.id} {match.message} (line {match.linenumber})" for match in findings]
    assert found == []


def test_cfn_lint_is_a_real_judge(tmp_path):
    broken = TEMPLATE.read_text(encoding="utf-8").replace("PackageType: Image", "PackageType: Img")
    (tmp_path / "template.yaml").write_text(broken, encoding="utf-8")
    findings = lint_file(tmp_path / "template.yaml", config=ManualArgs(regions=["us-east-1"]))
    assert any(match.rule.id.startswith("E") for match in findings)


def test_the_template_reads_with_cloudformations_short_tags(document):
    assert document["Transform"] == "AWS::Serverless-2016-10-31"
    kinds = {name: resource["Type"] for name, resource in document["Resources"].items()}
    assert kinds == {
        "Bucket": "AWS::S3::Bucket",
        "FileCheckFunction": "AWS::Serverless::Function",
        "PredictApi": "AWS::Serverless::HttpApi",
        "PredictFunction": "AWS::Serverless::Function",
    }
    model = document["Resources"]["PredictFunction"]["Properties"]["Environment"]["Variables"]
    assert model["WATCHKEEPER_MODEL"] == {"Fn::Sub": "s3://${BucketName}/${ModelKey}"}


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_functions_are_images_of_the_dockerfiles_here_running_a_handler_of_the_package(
    document, function
):
    resource = document["Resources"][function]
    assert resource["Properties"]["PackageType"] == "Image"
    metadata = resource["Metadata"]
    context = (DEPLOY / metadata["DockerContext"]).resolve()
    assert context == ROOT, "the images install the project from the repository's root"
    built = context / metadata["Dockerfile"]
    assert built in DOCKERFILES
    [handler] = exec_form(dockerfile(built).cmd)
    assert handler == HANDLERS[function]
    assert takes_event_and_context(handler_of(handler))
    for name in metadata.get("DockerBuildArgs", {}):
        assert f"ARG {name}=" in built.read_text(encoding="utf-8")


def test_the_bucket_starts_the_file_checker_only_for_files_under_the_landing_prefix(stack):
    [event] = stack.resource("FileCheckFunction")["Properties"]["Events"].values()
    assert event["Type"] == "S3"
    assert event["Properties"]["Bucket"] == {"Ref": "Bucket"}
    assert event["Properties"]["Events"] == "s3:ObjectCreated:*"
    rules = stack.evaluate(event["Properties"]["Filter"]["S3Key"]["Rules"])
    assert rules == [{"Name": "prefix", "Value": "incoming/"}]


@pytest.mark.parametrize("reports", ["reports", "checked/reports"])
@pytest.mark.parametrize("capture", ["capture", "data/capture", ""])
def test_nothing_the_functions_write_can_start_the_file_checker(document, reports, capture):
    stack = Stack(document, BucketName=BUCKET, ReportsPrefix=reports, CapturePrefix=capture)
    landing = stack.values["LandingPrefix"]
    writes = [
        (function, resource)
        for function in HANDLERS
        for statement in statements(stack, function)
        if any(action in ("s3:PutObject", "s3:*") for action in listed(statement["Action"]))
        for resource in listed(statement["Resource"])
    ]
    assert writes
    for function, resource in writes:
        key = resource.removeprefix(f"arn:aws:s3:::{BUCKET}/")
        assert not key.startswith(landing), f"{function} writes {resource}, under {landing}"
    environment = stack.environment("FileCheckFunction")
    assert environment["WATCHKEEPER_REPORTS"] == reports


def test_policies_give_each_function_what_it_uses_and_no_more(stack):
    arn = f"arn:aws:s3:::{BUCKET}"
    checker, predictor = "FileCheckFunction", "PredictFunction"
    assert allowed(stack, checker, "s3:GetObject", f"{arn}/incoming/orders.csv")
    assert allowed(stack, checker, "s3:GetObject", f"{arn}/config/rules.yaml")
    assert allowed(stack, checker, "s3:PutObject", f"{arn}/reports/incoming/orders.csv/report.html")
    assert allowed(stack, checker, "cloudwatch:PutMetricData", "*")
    assert not allowed(stack, checker, "s3:PutObject", f"{arn}/incoming/orders.csv")
    assert not allowed(stack, checker, "s3:DeleteObject", f"{arn}/incoming/orders.csv")
    assert allowed(stack, predictor, "s3:GetObject", f"{arn}/models/model.joblib")
    assert allowed(stack, predictor, "s3:PutObject", f"{arn}/capture/model/AllTraffic/x.jsonl")
    assert not allowed(stack, predictor, "s3:GetObject", f"{arn}/incoming/orders.csv")
    assert not allowed(stack, predictor, "s3:PutObject", f"{arn}/models/model.joblib")
    assert not allowed(stack, predictor, "s3:GetObject", f"{arn}/capture/model/AllTraffic/x.jsonl")
    assert not allowed(stack, predictor, "cloudwatch:PutMetricData", "*")
    for function in HANDLERS:
        for statement in statements(stack, function):
            assert not any(action.endswith(":*") for action in listed(statement["Action"]))
            if any(action.startswith("s3:") for action in listed(statement["Action"])):
                assert all(r.startswith(arn) for r in listed(statement["Resource"]))


def test_the_functions_environment_is_the_handlers_configuration(stack, document):
    checker = stack.environment("FileCheckFunction")
    assert checker["WATCHKEEPER_RULES"] == f"s3://{BUCKET}/config/rules.yaml"
    assert checker["WATCHKEEPER_BASELINE"] == ""
    assert checker["WATCHKEEPER_METRICS"] == "cloudwatch"
    timeout = stack.resource("FileCheckFunction")["Properties"]["Timeout"]
    assert float(checker["WATCHKEEPER_TIME_LIMIT"]) < timeout, "a file's limit ends first"
    predictor = stack.environment("PredictFunction")
    assert predictor == {
        "WATCHKEEPER_MODEL": f"s3://{BUCKET}/models/model.joblib",
        "WATCHKEEPER_ENDPOINT": "model",
        "WATCHKEEPER_VARIANT": "AllTraffic",
        "WATCHKEEPER_CAPTURE": f"s3://{BUCKET}/capture",
        "WATCHKEEPER_SAMPLING_PERCENT": "100",
    }
    without = Stack(document, BucketName=BUCKET, CapturePrefix="", BaselinePrefix="base/")
    assert set(without.environment("PredictFunction")) == {
        "WATCHKEEPER_MODEL", "WATCHKEEPER_ENDPOINT", "WATCHKEEPER_VARIANT",
    }  # fmt: skip
    assert without.environment("FileCheckFunction")["WATCHKEEPER_BASELINE"] == f"s3://{BUCKET}/base/"


def test_every_setting_the_deployment_gives_is_one_the_package_reads(stack):
    given = set(stack.environment("FileCheckFunction")) | set(stack.environment("PredictFunction"))
    for path in DOCKERFILES:
        given |= set(re.findall(r"\b(WATCHKEEPER_[A-Z_]+)=", path.read_text(encoding="utf-8")))
    given |= set(re.findall(r"\b(WATCHKEEPER_[A-Z_]+):", (DEPLOY / "compose.yaml").read_text()))
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "src" / "watchkeeper").rglob("*.py")
    )
    assert {name for name in given if not re.search(rf"\b{name}\b", source)} == set()


def test_the_api_routes_are_the_prediction_apps(document, models):
    from watchkeeper.model import load_model
    from watchkeeper.serve import create_app

    app = create_app(load_model(str(models["sklearn"])), name="model")
    served = {
        (method, route.path) for route in app.routes for method in getattr(route, "methods", ())
    }
    events = document["Resources"]["PredictFunction"]["Properties"]["Events"]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()}
    assert routes == {
        ("POST", "/api/v1/predict"),
        ("POST", "/endpoints/{name}/invocations"),
        ("GET", "/api/v1/health"),
    }
    assert routes <= served
    for event in events.values():
        assert event["Type"] == "HttpApi"
        assert event["Properties"]["ApiId"] == {"Ref": "PredictApi"}


def test_the_stack_gives_the_api_address(stack):
    url = stack.evaluate(stack.document["Outputs"]["ApiUrl"]["Value"])
    assert url == "https://PredictApi.execute-api.eu-west-1.amazonaws.com"


def listed(value) -> list:
    return value if isinstance(value, list) else [value]
