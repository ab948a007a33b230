"""The functions' code asset: domain/, lambdas/ and notifications/ only; the handlers need nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from deployment.workflow import WORKFLOW_HANDLERS
from notifications.channels import FORWARDER_HANDLER
from tests.infra.conftest import Synthesized
from tests.infra.template import of_type

# What the handlers may import besides their own packages: the Lambda runtime's boto3/botocore
# and what the Powertools layer (with its extras) brings.
PROVIDED = {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "aws_xray_sdk"}


def code_asset(stack: Synthesized) -> Path:
    functions = of_type(stack.resources, "AWS::Lambda::Function").values()
    # The asset's S3 key is its content hash, also the name of its staging directory.
    keys = {f["Properties"]["Code"]["S3Key"] for f in functions}
    assert len(keys) == 1  # the workflow functions and the forwarders share one package
    return stack.outdir / f"asset.{keys.pop().removesuffix('.zip')}"


def test_the_package_holds_only_the_three_handler_packages(default_stack: Synthesized) -> None:
    """Given the default stack synthesized, When its code asset is listed,
    Then it holds domain/, lambdas/ and notifications/, Python files only, no caches or tooling."""
    asset = code_asset(default_stack)
    assert sorted(p.name for p in asset.iterdir()) == ["domain", "lambdas", "notifications"]
    files = [p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()]
    assert all(f.endswith(".py") for f in files), files
    assert not [
        f for f in files if "__pycache__" in f or f.startswith(("tests", ".venv", "cdk.out", "node_modules"))
    ]


def test_every_handler_module_is_in_the_package(default_stack: Synthesized) -> None:
    """Given the code asset, When each workflow and forwarder handler is looked up,
    Then its module is there."""
    asset = code_asset(default_stack)
    for handler in (*WORKFLOW_HANDLERS.values(), FORWARDER_HANDLER):
        module = handler.rsplit(".", 1)[0]
        assert (asset / (module.replace(".", "/") + ".py")).is_file(), handler


def test_packaged_code_imports_only_the_package_the_runtime_and_the_layer(default_stack: Synthesized) -> None:
    """Given the code asset, When every import in it is read,
    Then each is the package itself, the standard library, or what the runtime and layer provide."""
    asset = code_asset(default_stack)
    imported: set[str] = set()
    for path in asset.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    outside = imported - sys.stdlib_module_names - {"domain", "lambdas", "notifications"}
    assert outside <= PROVIDED, outside - PROVIDED
