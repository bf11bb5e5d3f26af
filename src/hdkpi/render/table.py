"""The report for people: a rich table on a terminal, plain aligned text when piped.

The plain layout does not depend on the terminal width and carries no escape codes, so
scripts and snapshot tests can rely on it; statuses carry a symbol so they read without
colour.
"""

from __future__ import annotations

from .. import __version__
from ..model import Report, Verdict
from .base import (
    STATUS_STYLES,
    Formatter,
    accounting_lines,
    basis,
    note_text,
    period_text,
    status_label,
    summary_text,
    value_text,
)

HEADERS = ("KPI", "Value", "n", "Basis", "Target", "Status", "Note")
RIGHT = {"Value", "n", "Basis"}


def rows(report: Report) -> list[tuple[str, ...]]:
    return [row(v) for v in report.verdicts]


def row(v: Verdict) -> tuple[str, ...]:
    return (v.result.kpi, value_text(v), f"{v.result.n:,}", basis(v), v.target.text if v.target else "",
            status_label(v), note_text(v))


def heading(report: Report) -> str:
    targets = report.targets_path or "none"
    return f"hdkpi {__version__} {report.command} · period: {period_text(report)} · targets: {targets}"


class TableFormatter(Formatter):
    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width

    def render(self, report: Report) -> str:
        return self._rich(report) if self.color else self._plain(report)

    def _plain(self, report: Report) -> str:
        table = [HEADERS, *rows(report)]
        widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]
        lines = [heading(report), ""]
        for r in table:
            cells = [cell.rjust(w) if HEADERS[i] in RIGHT else cell.ljust(w)
                     for i, (cell, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
        lines += ["", "Inputs", *(f"  {line}" for line in accounting_lines(report))]
        lines += ["", f"Summary: {summary_text(report)}"]
        return "\n".join(lines) + "\n"

    def _rich(self, report: Report) -> str:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        buffer = StringIO()
        console = Console(file=buffer, force_terminal=True, width=self.width or 100, highlight=False)
        table = Table(title=heading(report), title_justify="left", header_style="bold", box=None,
                      pad_edge=False)
        for header in HEADERS:
            table.add_column(header, justify="right" if header in RIGHT else "left",
                             no_wrap=header != "Note", overflow="fold")
        for v in report.verdicts:
            cells = list(row(v))
            status = Text(cells[5], style=STATUS_STYLES.get(v.status or "", ""))
            note = Text(cells[6], style="dim")
            kpi = Text(cells[0], style="bold" if v.target else "")
            table.add_row(kpi, *cells[1:5], status, note)
        console.print(table)
        console.print()
        console.print(Text("Inputs", style="bold"))
        for line in accounting_lines(report):
            console.print(Text(f"  {line}", style="dim" if line.startswith("  ") else ""))
        console.print()
        s = report.summary
        summary = Text("Summary: ")
        for key, word, style in (("pass", "passed", "green"), ("warn", "warned", "yellow"),
                                 ("fail", "failed", "bold red"), ("no_data", "no-data", "dim")):
            summary.append(f"{s[key]} {word}", style=style if s[key] else "")
            if key != "no_data":
                summary.append(" · ")
        console.print(summary)
        return buffer.getvalue()
