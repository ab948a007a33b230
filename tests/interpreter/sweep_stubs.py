"""Stand-ins for the sweep's two functions, for running statemachine/sweep.asl.json itself.

Each answers the page its request names (`next_token` / `exclusive_start_key`, `null` for the
first) from STUB_PAGES, a JSON object of page -> list of answers given in turn (the last one
repeats). An answer {"raise": "Name"} raises an error of that class name: what Step Functions
sees as the function's error, as with lambdas/aws_clients.py AwsThrottled.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

_ASKED: Counter[str] = Counter()


def _answer(page: Any) -> Any:
    key = json.dumps(page, sort_keys=True)
    answers = json.loads(os.environ["STUB_PAGES"])[key]
    answer = answers[min(_ASKED[key], len(answers) - 1)]
    _ASKED[key] += 1
    if "raise" in answer:
        raise type(answer["raise"], (RuntimeError,), {})(f"{answer['raise']} from the stand-in")
    return answer


def follow_flagged(event: dict[str, Any], context: Any) -> Any:
    return _answer(event["next_token"])


def follow_findings(event: dict[str, Any], context: Any) -> Any:
    return _answer(event["exclusive_start_key"])
