"""How a renderer shows a value from outside keywarden (a name, an id, a tag value)."""

from __future__ import annotations

from collections.abc import Callable

Literal = Callable[[str], str]
"""How a renderer shows a value from outside keywarden (a name, an id, a tag value): escaped,
in a code span... The sentences around it are keywarden's own and need no escaping."""


def plain(value: str) -> str:
    """Plain text (SNS, the email's text part, Teams' TextRuns): shown as it is."""
    return value
