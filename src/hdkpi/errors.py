"""Errors raised by the library; the CLI turns them into exit codes in one place.

Every ``HdkpiError`` is a user-facing problem (bad usage, unreadable input,
invalid targets file) and maps to exit code 2 with its one-line message.
Anything else escaping the library is a bug (exit 3).
"""

from __future__ import annotations


class HdkpiError(Exception):
    """Base of all user-facing errors. ``str(err)`` is the one-line message."""

    def __init__(self, message: str, *, path: str | None = None,
                 line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(self.format())

    def format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class UsageError(HdkpiError):
    """A bad option or argument value."""


class InputError(HdkpiError):
    """An input file that cannot be read or is not a usable export."""


class TargetsError(HdkpiError):
    """An invalid targets file (positions are 1-based line and column)."""


class RegistryError(HdkpiError):
    """A KPI definition or plugin that cannot be registered."""


class NoData(Exception):
    """Raised by a KPI function when its figure cannot be computed from the input.

    Not an error: the result gets status ``no-data`` with ``reason`` as its note.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MissingFields(NoData):
    """A KPI needs fields the input does not have."""

    def __init__(self, fields: list[str] | tuple[str, ...], hint: str = "") -> None:
        self.fields = tuple(fields)
        names = ", ".join(self.fields)
        word = "field" if len(self.fields) == 1 else "one of the fields"
        reason = f"missing {word} {names}"
        if hint:
            reason += f" ({hint})"
        super().__init__(reason)
