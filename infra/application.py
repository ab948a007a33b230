"""Build the CDK app from context: validated settings, the stack, cdk-nag on every synth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from deployment.settings import DeploymentSettings, SettingsError
from infra.stack import KeywardenStack


def _is_keywarden_key(key: str) -> bool:
    # CDK's own context keys are namespaced ("@aws-cdk/...", "aws:cdk:..."); ours are plain names.
    return not key.startswith("@") and ":" not in key


def settings_from_context(context: Mapping[str, Any]) -> DeploymentSettings:
    """keywarden's settings from CDK context; an unknown plain key is a typo and an error."""
    return DeploymentSettings.from_context({k: v for k, v in context.items() if _is_keywarden_key(k)})


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with keywarden's stack and the AwsSolutions checks; raises SettingsError on bad context."""
    app = App(context=dict(context or {}), outdir=outdir)
    settings = settings_from_context(app.node.get_all_context())
    KeywardenStack(app, settings)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


__all__ = ["SettingsError", "build_app", "settings_from_context"]
