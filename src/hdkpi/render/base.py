"""What every formatter shares: the interface and the wording of statuses and targets."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..model import Report, Verdict
from ..units import format_number, format_value

#: symbol + word, so a status reads without colour
STATUS_LABELS = {"pass": "✔ pass", "warn": "⚠ warn", "fail": "✖ fail", "no-data": "— no-data"}
STATUS_STYLES = {"pass": "green", "warn": "yellow", "fail": "bold red", "no-data": "dim"}


class Formatter(ABC):
    """Turns a :class:`~hdkpi.model.Report` into text (a whole document, ending in a newline)."""

    @abstractmethod
    def render(self, report: Report) -> str: ...


def status_label(verdict: Verdict) -> str:
    return STATUS_LABELS[verdict.status] if verdict.status else ""


def basis(verdict: Verdict) -> str:
    """``numerator / denominator`` of a ratio, else empty."""
    r = verdict.result
    if r.numerator is None or r.denominator is None:
        return ""
    return f"{format_number(r.numerator)} / {format_number(r.denominator)}"


def value_text(verdict: Verdict) -> str:
    return format_value(verdict.result.value, verdict.result.unit)


def note_text(verdict: Verdict) -> str:
    """The method used, then any notes (a no-data result says why)."""
    r = verdict.result
    parts = [f"method: {r.method}"] if r.method else []
    parts.extend(r.notes)
    return "; ".join(parts)


def summary_text(report: Report) -> str:
    s = report.summary
    return f"{s['pass']} passed · {s['warn']} warned · {s['fail']} failed · {s['no_data']} no-data"


def period_text(report: Report) -> str:
    if report.period_from is None and report.period_to is None:
        return "all records"
    start = report.period_from.isoformat() if report.period_from else "start"
    end = report.period_to.isoformat() if report.period_to else "end"
    return f"{start} to {end} (end exclusive)"


def accounting_lines(report: Report) -> list[str]:
    """Per input: ``calls.csv (calls): 7 read · 4 used · 3 rejected``, then one line per reason."""
    lines = []
    for summary in report.inputs:
        folded = f" · {summary.folded:,} folded" if summary.folded else ""
        preset = "" if summary.preset == "generic" else f", {summary.preset}"
        lines.append(f"{summary.path} ({summary.kind}{preset}): {summary.read:,} read · {summary.used:,} used · "
                     f"{summary.rejected:,} rejected{folded}")
        for name, count in summary.counts.items():
            lines.append(f"  {count:,} {name.replace('_', ' ')}")
        for reason, count in sorted(summary.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
            rows = summary.examples_by_reason.get(reason, [])
            shown = ", ".join(str(r) for r in rows)
            more = "…" if count > len(rows) else ""
            where = f" (data row{'s' if len(rows) > 1 else ''} {shown}{more})" if rows else ""
            lines.append(f"  {count:,} × {reason}{where}")
    return lines
