#!/usr/bin/env python3
"""CDK entry point: `cdk synth` / `cdk deploy` run this. It makes no AWS calls.

Settings come from cdk.json's context or `-c name=value`; a bad value stops synth with a
message naming the setting.
"""

from __future__ import annotations

import os
import sys

# Before aws_cdk is imported: jsii reads it when it starts Node.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.application import SettingsError, build_app


def main() -> None:
    try:
        app = build_app()
    except SettingsError as error:
        sys.exit(f"keywarden: {error}")
    app.synth()


if __name__ == "__main__":
    main()
