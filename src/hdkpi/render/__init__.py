"""Stage 6 — render: one formatter class per output format behind :class:`Formatter`.

Adding a format means one module with a ``Formatter`` subclass and one entry in
:data:`FORMATTERS`; the CLI offers every key of that table.
"""

from __future__ import annotations

from enum import Enum

from .base import Formatter


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"


def get_formatter(fmt: Format | str, *, color: bool = False, width: int | None = None) -> Formatter:
    """The formatter for ``fmt``; ``color``/``width`` matter only to terminal formats."""
    fmt = Format(fmt)
    if fmt is Format.JSON:
        from .json import JsonFormatter

        return JsonFormatter()
    from .table import TableFormatter

    return TableFormatter(color=color, width=width)


__all__ = ["Format", "Formatter", "get_formatter"]
