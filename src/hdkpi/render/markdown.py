"""GitHub-flavoured Markdown: a heading, one table, the row accounting and a bold summary line.

Made for ``$GITHUB_STEP_SUMMARY``, pull-request comments and chat. Columns: KPI, Group (when any
record is grouped), Period (when per-period rows are shown; "(partial)" when the data covers only
part of it), Value, n, Basis, Previous and Change
(with ``--compare``), Target, Status (✅ pass, ⚠️ warn, ❌ fail, ➖ no-data) and Note, the same
figures and wording as the terminal table.

Text from the data (group values, KPI names, notes, file names) is escaped: ``|`` cannot end a
cell, and the characters Markdown or HTML would act on (``\\ ` * _ [ ] < > & ~ @ |``) are
backslash-escaped (CommonMark allows a backslash before any ASCII punctuation), so a queue named
``<script>…`` or ``**x**`` shows as written; line breaks become spaces.

With more than :data:`~hdkpi.render.table.MAX_PERIOD_ROWS` periods the table keeps the overall and
group rows and each (KPI, group) series gets one line below it, as in the terminal table.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..model import Report, Verdict
from ..units import format_change, format_value
from ..version import __version__
from .base import (
    AT_RISK_TITLE,
    Formatter,
    accounting_lines,
    at_risk_lines,
    basis,
    note_text,
    period_label,
    period_text,
    summary_text,
    value_text,
)
from .table import folded, group_text, shown, sparkline

STATUS_EMOJI = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", "no-data": "➖ no-data"}
_ACTIVE = re.compile(r"([\\`*_\[\]<>&~@|])")


def escape(text: str) -> str:
    """Text safe in a table cell and inline: Markdown/HTML-active characters backslash-escaped."""
    return _ACTIVE.sub(r"\\\1", re.sub(r"\s*[\r\n]+\s*", " ", str(text)))


def columns(report: Report, verdicts: list[Verdict]) -> list[str]:
    cols = ["KPI"]
    if report.by or any(v.result.group for v in verdicts):
        cols.append("Group")
    if any(v.result.period is not None for v in verdicts):
        cols.append("Period")
    cols += ["Value", "n", "Basis"]
    if any(v.result.compare is not None for v in verdicts):
        cols += ["Previous", "Change"]
    return [*cols, "Target", "Status", "Note"]


def cells(v: Verdict, cols: list[str]) -> list[str]:
    r = v.result
    c = r.compare
    overall = not r.group and r.period is None
    note = note_text(v) if overall or not r.has_value or v.status == "no-data" else ""
    by_column = {
        "KPI": escape(r.kpi),
        "Group": escape(group_text(v)),
        "Period": escape(period_label(r) or "all"),
        "Value": escape(value_text(v)),
        "n": f"{r.n:,}",
        "Basis": escape(basis(v)),
        "Previous": escape(format_value(c.value, r.unit)) if c else "",
        "Change": escape(format_change(c.change, r.unit)) if c else "",
        "Target": escape(v.target.text) if v.target else "",
        "Status": STATUS_EMOJI.get(v.status or "", ""),
        "Note": escape(note),
    }
    return [by_column[col] for col in cols]


def table_lines(report: Report, verdicts: list[Verdict]) -> list[str]:
    cols = columns(report, verdicts)
    right = {"Value", "n", "Basis", "Previous", "Change"}
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if col in right else "---" for col in cols) + "|"]
    for v in verdicts:
        lines.append("| " + " | ".join(cells(v, cols)) + " |")
    return lines


def series_lines(report: Report) -> list[str]:
    """One list item per (KPI, group) series: sparkline (· for a period without a value), first and last
    value, periods missed."""
    series: dict[tuple[str, str], list[Verdict]] = defaultdict(list)
    for v in report.verdicts:
        if v.result.period is not None:
            series[(v.result.kpi, group_text(v))].append(v)
    lines = []
    for (kpi, group), verdicts in series.items():
        first, last = verdicts[0], verdicts[-1]
        spark = sparkline([v.result.value for v in verdicts], [v.result.partial for v in verdicts]).replace(" ", "·")
        text = (f"{escape(kpi)} · {escape(group)}: {spark} "  # (Markdown folds runs of spaces: · for none)
                f"{escape(period_label(first.result))} {escape(value_text(first))} → "
                f"{escape(period_label(last.result))} {escape(value_text(last))}")
        c = last.result.compare
        if c is not None and c.change is not None:
            text += f" ({escape(format_change(c.change, last.result.unit))} vs {escape(c.period or '')})"
        marks = [f"{STATUS_EMOJI[status].split()[0]} {count} of {len(verdicts)} periods {status}"
                 for status in ("fail", "warn") if (count := sum(v.status == status for v in verdicts))]
        lines.append(f"- {text}" + (" · " + ", ".join(marks) if marks else ""))
    return lines


def heading_lines(report: Report) -> list[str]:
    facts = [f"period: {period_text(report)}", f"targets: {report.targets_path or 'none'}"]
    if report.by:
        facts.append(f"by: {', '.join(report.by)}")
    if report.every:
        facts.append(f"every: {report.every} ({report.tz})")
    if report.compare:
        facts.append(f"compare: {report.compare}")
    return [f"### hdkpi {escape(__version__)} {escape(report.command)}", "", escape(" · ".join(facts))]


def summary_line(report: Report) -> str:
    s = report.summary
    if not any(s.values()):
        return f"**Summary: {summary_text(report)}**"
    mark = "❌" if s["fail"] else ("⚠️" if s["warn"] else ("✅" if s["pass"] else "➖"))
    return f"{mark} **Summary: {summary_text(report)}**"


class MarkdownFormatter(Formatter):
    def render(self, report: Report) -> str:
        lines = [*heading_lines(report), "", *table_lines(report, shown(report))]
        if folded(report):
            lines += ["", f"Trends, one line per series (the per-{escape(report.every or 'period')} figures are "
                          "in `-f json` or `-f csv`):", "", *series_lines(report)]
        risky = at_risk_lines(report)
        if risky:
            lines += ["", f"{escape(AT_RISK_TITLE)}:", "", *(f"- {escape(line)}" for line in risky)]
        lines += ["", "Inputs:", ""]
        for line in accounting_lines(report):
            nested = line.startswith("  ")
            lines.append(("  - " if nested else "- ") + escape(line.strip()))
        lines += ["", summary_line(report)]
        return "\n".join(lines) + "\n"
