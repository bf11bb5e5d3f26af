"""The report for people: a rich table on a terminal, plain aligned text when piped.

The plain layout does not depend on the terminal width and carries no escape codes, so
scripts and snapshot tests can rely on it; statuses carry a symbol so they read without
colour. Breakdowns add Group/Period columns, a trend line per series (``--every``) and a
weekday × hour grid when the groups are exactly those two dimensions.
"""

from __future__ import annotations

import sys
import textwrap
from collections import defaultdict

from ..model import Report, Verdict
from ..units import format_change, format_compact, format_value
from ..version import __version__
from .base import (
    AT_RISK_TITLE,
    STATUS_STYLES,
    Formatter,
    accounting_lines,
    at_risk_lines,
    basis,
    note_text,
    period_label,
    period_text,
    status_label,
    summary_text,
    value_text,
)

RIGHT = {"Value", "n", "Basis", "CI", "Previous", "Change"}
#: with more periods than this, per-period rows fold into one trend line per series (JSON keeps them all)
MAX_PERIOD_ROWS = 8
#: piped output never needs a terminal: a fixed width, wrapped rather than cut
PLAIN_WIDTH = 100
SPARKS = "▁▂▃▄▅▆▇█"
PARTIAL_SPARK = "◌"  #: a period the data covers only in part: shown, not scaled (it is no collapse)
GRID_DIMS = {"weekday", "hour"}


def _wrap(line: str, indent: int = 2) -> list[str]:
    if len(line) <= PLAIN_WIDTH:
        return [line]
    lead = len(line) - len(line.lstrip())
    return textwrap.wrap(line, PLAIN_WIDTH, initial_indent=" " * lead, subsequent_indent=" " * indent,
                         break_on_hyphens=False, break_long_words=False) or [line]


def headers(report: Report) -> tuple[str, ...]:
    cols = ["KPI"]
    if report.by or any(v.result.group for v in shown(report)):  # per-segment targets break down without --by
        cols.append("Group")
    if report.every and not folded(report):
        cols.append("Period")
    cols += ["Value", "n", "Basis"]
    if any(v.result.ci_low is not None for v in shown(report)):
        cols.append("CI")
    if report.compare and any(v.result.compare is not None for v in shown(report)):
        cols += ["Previous", "Change"]
    return (*cols, "Target", "Status", "Note")


def _t(key: str, lang: str, english: str) -> str:
    """A word of the table in ``lang`` (English as written here when lang is en)."""
    if lang == "en":
        return english
    from ..i18n import translate

    return translate(key, lang, default=english)


def group_text(v: Verdict, lang: str = "en") -> str:
    if not v.result.group:
        return _t("cell.all", lang, "all")
    return ", ".join(f"{k}={'(empty)' if x is None else x}" for k, x in v.result.group.items())


def row(v: Verdict, report: Report, cols: tuple[str, ...], lang: str = "en") -> tuple[str, ...]:
    r = v.result
    cells = [r.kpi if lang == "en" else kpi_label(r.kpi, r.title, lang)]
    if "Group" in cols:
        text = group_text(v, lang)
        cells.append(" ".join(text.split()) if any(c in text for c in "\r\n\t") else text)  # one line a row
    if "Period" in cols:
        cells.append(period_label(r, lang) or _t("cell.all", lang, "all"))
    cells += [value_text(v), f"{r.n:,}", basis(v)]
    if "CI" in cols:
        cells.append(f"{format_value(r.ci_low, r.unit)} – {format_value(r.ci_high, r.unit)}"
                     if r.ci_low is not None and r.ci_high is not None else "")
    if "Change" in cols:
        c = r.compare
        mark = " *" if c is not None and c.significant else ""
        cells += [format_value(c.value, r.unit) if c else "", format_change(c.change, r.unit) + mark if c else ""]
    overall = not r.group and r.period is None
    note = note_text(v) if overall or not r.has_value or v.status == "no-data" else ""
    return (*cells, v.target.text if v.target else "", status_label(v, lang), note)


def kpi_label(kpi: str, title: str, lang: str) -> str:
    """The KPI's title in ``lang``, with its parameters: "Résolus dans le délai (2d)"."""
    from ..i18n import kpi_title

    base, _, params = kpi.partition("(")
    return kpi_title(base, lang, default=title) + (f" ({params}" if params else "")


def header_cells(cols: tuple[str, ...], lang: str) -> tuple[str, ...]:
    return tuple(_t(f"heading.{c.lower()}", lang, c) for c in cols)


def heading(report: Report) -> str:
    targets = report.targets_path or "none"
    parts = [f"hdkpi {__version__} {report.command}", f"period: {period_text(report)}", f"targets: {targets}"]
    if report.by:
        parts.append(f"by: {', '.join(report.by)}")
    if report.every:
        parts.append(f"every: {report.every} ({report.tz})")
    return " · ".join(parts)


def sparkline(values: list[float | None], partial: list[bool] | None = None) -> str:
    """One block per period scaled between the series' extremes; " " without a value, ◌ for a partial
    period (left out of the scale, so a part of a week never draws as a collapse)."""
    partial = partial or [False] * len(values)
    known = [x for x, p in zip(values, partial) if x is not None and not p]
    if not known:
        return "".join(" " if x is None else PARTIAL_SPARK for x in values) if any(partial) else ""
    lo, hi = min(known), max(known)
    span = hi - lo
    return "".join(" " if x is None else PARTIAL_SPARK if p else
                   SPARKS[0 if span == 0 else round((x - lo) / span * 7)] for x, p in zip(values, partial))


def folded(report: Report) -> bool:
    """Too many periods for one row each: the table keeps overall and group rows only."""
    periods = {v.result.period for v in report.verdicts if v.result.period is not None}
    return len(periods) > MAX_PERIOD_ROWS


def shown(report: Report) -> list[Verdict]:
    return [v for v in report.verdicts if not (folded(report) and v.result.period is not None)]


def trend_lines(report: Report) -> list[str]:
    """One line per (KPI, group) series: sparkline, first and last value, periods missed."""
    series: dict[tuple, list[Verdict]] = defaultdict(list)
    for v in report.verdicts:
        if v.result.period is not None:
            series[(v.result.kpi, group_text(v))].append(v)
    if not series:
        return []
    width = max(len(f"{k}  {g}") for k, g in series)
    lines = []
    for (kpi, group), verdicts in series.items():
        values = [v.result.value for v in verdicts]
        first, last = verdicts[0], verdicts[-1]
        spark = sparkline(values, [v.result.partial for v in verdicts])
        line = (f"{f'{kpi}  {group}'.ljust(width)}  {spark}  "
                f"{period_label(first.result)} {value_text(first)} → {period_label(last.result)} {value_text(last)}")
        missed = [(status, sum(v.status == status for v in verdicts)) for status in ("fail", "warn")]
        marks = [f"{'✖' if status == 'fail' else '⚠'} {count} of {len(verdicts)} periods {status}"
                 for status, count in missed if count]
        odd = [v.result.period for v in verdicts if v.result.anomaly]
        if odd:
            marks.append("⚑ anomaly " + ", ".join(str(p) for p in odd[:3]) + ("…" if len(odd) > 3 else ""))
        if last.result.compare is not None and last.result.compare.change is not None:
            line += f" ({format_change(last.result.compare.change, last.result.unit)} vs {last.result.compare.period})"
        lines.append(line + ("  " + ", ".join(marks) if marks else ""))
    return lines


def trends_title(report: Report) -> str:
    if folded(report):
        return (f"Trends (one line per series; the per-{report.every} figures are in -f json, or narrow "
                "the window with --from/--to)")
    return "Trends"


def grid_lines(report: Report) -> list[str]:
    """weekday × hour grids (one per KPI) when the groups are exactly those two dimensions."""
    if set(report.by) != GRID_DIMS or report.every:
        return []
    cells: dict[str, dict[tuple[str, str], Verdict]] = defaultdict(dict)
    for v in report.verdicts:
        g = v.result.group
        if set(g) == GRID_DIMS and g["weekday"] is not None and g["hour"] is not None:
            cells[v.result.kpi][(g["weekday"], g["hour"])] = v
    lines: list[str] = []
    for kpi, grid in cells.items():
        hours = sorted({h for _, h in grid})
        days = [d for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") if any(d == x for x, _ in grid)]
        unit = next(iter(grid.values())).result.unit
        lines += ["", f"{kpi} by weekday × hour ({report.tz}; ✖ fail, ⚠ warn, · no calls)",
                  "     " + " ".join(h.rjust(4) for h in hours)]
        for day in days:
            out = []
            for hour in hours:
                v = grid.get((day, hour))
                text = format_compact(v.result.value, unit) if v else "·"
                mark = {"fail": "✖", "warn": "⚠"}.get(v.status or "", "") if v else ""
                out.append((mark + text).rjust(4))
            lines.append(f"{day:<4} " + " ".join(out))
    return lines


class TableFormatter(Formatter):
    def __init__(self, *, color: bool = False, width: int | None = None, lang: str = "en") -> None:
        self.color = color
        self.width = width
        self.lang = lang

    def render(self, report: Report) -> str:
        return self._rich(report) if self.color else self._plain(report)

    def _label(self, key: str, english: str) -> str:
        """``Summary: `` / ``Bilan : ``: a section word and the language's colon."""
        return f"{_t(key, self.lang, english)}{_t('punctuation.colon', self.lang, ': ')}"

    def _plain(self, report: Report) -> str:
        """Plain text at most :data:`PLAIN_WIDTH` columns wide whatever the terminal: the Note column
        and long lines wrap onto indented continuation lines."""
        cols = headers(report)
        table = [header_cells(cols, self.lang), *(row(v, report, cols, self.lang) for v in shown(report))]
        widths = [max(len(r[i]) for r in table) for i in range(len(cols))]
        note_at = sum(widths[:-1]) + 2 * (len(cols) - 1)
        lines = [*_wrap(heading(report)), ""]
        for r in table:
            cells = [cell.rjust(w) if cols[i] in RIGHT else cell.ljust(w)
                     for i, (cell, w) in enumerate(zip(r[:-1], widths[:-1]))]
            if note_at + len(r[-1]) <= PLAIN_WIDTH or r is table[0]:  # the header row stays one line
                lines.append(("  ".join(cells) + "  " + r[-1]).rstrip())
            else:  # a long note goes under its row, wrapped, so the table stays readable
                lines.append("  ".join(cells).rstrip())
                lines += textwrap.wrap(r[-1], PLAIN_WIDTH, initial_indent="    ", subsequent_indent="      ",
                                       break_on_hyphens=False)
        trends = trend_lines(report)
        if trends:
            title = trends_title(report) if self.lang == "en" else _t("section.trends", self.lang, "Trends")
            lines += ["", *_wrap(title), *(w for line in trends for w in _wrap(f"  {line}", 4))]
        if "Change" in cols and any(v.result.compare is not None and v.result.compare.significant
                                    for v in shown(report)):
            lines += ["", "* the change is significant at the 5 % level (two-proportion or Welch test)"]
        lines += grid_lines(report)
        risky = at_risk_lines(report)
        if risky:
            lines += ["", AT_RISK_TITLE, *(w for line in risky for w in _wrap(f"  {line}", 4))]
        lines += ["", _t("section.inputs", self.lang, "Inputs"),
                  *(w for line in accounting_lines(report, self.lang) for w in _wrap(f"  {line}", 6))]
        lines += ["", f"{self._label('section.summary', 'Summary')}{summary_text(report, self.lang)}"]
        return "\n".join(lines) + "\n"

    def _rich(self, report: Report) -> str:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        buffer = StringIO()
        console = Console(file=buffer, force_terminal=True, width=self.width or 100, highlight=False,
                          color_system="auto" if sys.stdout.isatty() else "standard")
        table = Table(title=heading(report), title_justify="left", header_style="bold", box=None,
                      pad_edge=False)
        cols = headers(report)
        for header, shown_as in zip(cols, header_cells(cols, self.lang)):
            table.add_column(shown_as, justify="right" if header in RIGHT else "left",
                             no_wrap=header != "Note", overflow="fold")
        for v in shown(report):
            cells: list[Text | str] = list(row(v, report, cols, self.lang))
            cells[0] = Text(str(cells[0]), style="bold" if v.target else "")
            cells[-2] = Text(str(cells[-2]), style=STATUS_STYLES.get(v.status or "", ""))
            cells[-1] = Text(str(cells[-1]), style="dim")
            if "Change" in cols and v.result.compare is not None:
                better = v.result.compare.better(v.result.direction)
                at = cols.index("Change")
                cells[at] = Text(str(cells[at]), style={True: "green", False: "red"}.get(better, ""))
            table.add_row(*cells)
        console.print(table)
        for title, lines in ((trends_title(report), trend_lines(report)), ("", grid_lines(report))):
            if lines:
                console.print()
                if title:
                    console.print(Text(title, style="bold"))
                for line in lines:
                    style = "red" if "✖" in line else ("yellow" if "⚠" in line else "")
                    console.print(Text(f"  {line}" if title else line, style=style))
        risky = at_risk_lines(report)
        if risky:
            console.print()
            console.print(Text(AT_RISK_TITLE, style="bold"))
            for line in risky:
                console.print(Text(f"  {line}", style="yellow" if line != "none" else "dim"))
        console.print()
        console.print(Text(_t("section.inputs", self.lang, "Inputs"), style="bold"))
        for line in accounting_lines(report, self.lang):
            console.print(Text(f"  {line}", style="dim" if line.startswith("  ") else ""))
        console.print()
        s = report.summary
        summary = Text(self._label("section.summary", "Summary"))
        for key, word, style in (("pass", "passed", "green"), ("warn", "warned", "yellow"),
                                 ("fail", "failed", "bold red"), ("no_data", "no-data", "dim")):
            text = _t(f"summary.{word}", self.lang, "{n} " + word).format(n=s[key])
            summary.append(text, style=style if s[key] else "")
            if key != "no_data":
                summary.append(" · ")
        console.print(summary)
        return buffer.getvalue()
