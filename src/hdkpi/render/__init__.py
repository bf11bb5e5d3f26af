"""Stage 6 — render: one formatter class per output format behind :class:`Formatter`.

Adding a format means one module here with a ``Formatter`` subclass and one line in
:data:`FORMATTERS`; the CLI offers every format whose module is present.
"""

from __future__ import annotations

import importlib
from enum import Enum

from .base import Formatter

#: format name → (module in this package, class name)
FORMATTERS: dict[str, tuple[str, str]] = {
    "table": ("table", "TableFormatter"),
    "json": ("json", "JsonFormatter"),
    "csv": ("csv", "CsvFormatter"),
    "markdown": ("markdown", "MarkdownFormatter"),
    "junit": ("junit", "JunitFormatter"),
    "github": ("github", "GithubFormatter"),
    "html": ("html", "HtmlFormatter"),
    "openmetrics": ("openmetrics", "OpenMetricsFormatter"),
    "xlsx": ("xlsx", "XlsxFormatter"),  #: bytes: a workbook, written to -o FILE
}


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    GITHUB = "github"
    HTML = "html"
    OPENMETRICS = "openmetrics"
    XLSX = "xlsx"


def available() -> list[str]:
    """The formats whose module ships in this version."""
    from importlib.util import find_spec

    return [name for name, (module, _) in FORMATTERS.items() if find_spec(f"{__package__}.{module}") is not None]


def get_formatter(fmt: Format | str, *, color: bool = False, width: int | None = None,
                  lang: str = "en") -> Formatter:
    """The formatter for ``fmt``; ``color``/``width`` matter only to the terminal table, ``lang`` to the
    formats written for people (machine formats stay English)."""
    name = Format(fmt).value
    module_name, class_name = FORMATTERS[name]
    cls = getattr(importlib.import_module(f"{__package__}.{module_name}"), class_name)
    formatter = cls(color=color, width=width, lang=lang) if name == "table" else cls()
    formatter.lang = lang
    return formatter


__all__ = ["FORMATTERS", "Format", "Formatter", "available", "get_formatter"]
