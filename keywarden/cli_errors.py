"""The errors the command line reports in one short line, never as a traceback."""

from __future__ import annotations


class CommandError(Exception):
    """Something the person can fix; the message says what. Exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(CommandError):
    """A bad option value (a date, an outcome, a key id). Exit code 2, like any usage error."""

    exit_code = 2
