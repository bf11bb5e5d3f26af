"""What every formatter shares: the interface and the wording of statuses and targets."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..model import Report, Result, Verdict
from ..units import format_number, format_value

#: symbol + word, so a status reads without colour
STATUS_LABELS = {"pass": "✔ pass", "warn": "⚠ warn", "fail": "✖ fail", "no-data": "— no-data"}
STATUS_STYLES = {"pass": "green", "warn": "yellow", "fail": "bold red", "no-data": "dim"}


class Formatter(ABC):
    """Turns a :class:`~hdkpi.model.Report` into text (a whole document, ending in a newline)."""

    lang: str = "en"  #: language of titles and words, for the formats written for people

    @abstractmethod
    def render(self, report: Report) -> str: ...


def status_label(verdict: Verdict, lang: str = "en") -> str:
    if not verdict.status:
        return ""
    if lang == "en":
        return STATUS_LABELS[verdict.status]
    from ..i18n import translate

    return f"{STATUS_LABELS[verdict.status].split(' ', 1)[0]} {translate(f'status.{verdict.status}', lang)}"


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


def summary_text(report: Report, lang: str = "en") -> str:
    s = report.summary
    if lang == "en":
        return f"{s['pass']} passed · {s['warn']} warned · {s['fail']} failed · {s['no_data']} no-data"
    from ..i18n import translate

    return " · ".join(translate(f"summary.{word}", lang).format(n=s[key]) for word, key in (
        ("passed", "pass"), ("warned", "warn"), ("failed", "fail"), ("no-data", "no_data")))


def period_label(result: Result, lang: str = "en") -> str:
    """A record's period label, with "(partial)" when the data covers only part of the period."""
    if result.period is None:
        return ""
    if not result.partial:
        return result.period
    if lang == "en":
        return f"{result.period} (partial)"
    from ..i18n import translate

    return f"{result.period} ({translate('cell.partial', lang, default='partial')})"


def period_text(report: Report) -> str:
    if report.period_from is None and report.period_to is None:
        return "all records"
    start = report.period_from.isoformat() if report.period_from else "start"
    end = report.period_to.isoformat() if report.period_to else "end"
    return f"{start} to {end} (end exclusive)"


AT_RISK_TITLE = "At risk: SLA breaches due within 4 h of --now"


def at_risk_lines(report: Report) -> list[str]:
    """``INC001  resolution  due 2026-01-05 08:00 UTC  5 h of 8 h  priority=P1``, soonest first; ``none``
    when no ticket is about to breach; nothing at all without SLA policies."""
    from ..units import format_duration

    if report.at_risk is None:
        return []
    if not report.at_risk:
        return ["none"]
    width = max(len(r["ticket_id"]) for r in report.at_risk)
    lines = []
    for r in report.at_risk:
        due = r["due"].astimezone(_zone(report.tz)).strftime("%Y-%m-%d %H:%M")
        by = " ".join(f"{k}={'' if v is None else v}" for k, v in r["by"].items())
        lines.append(f"{r['ticket_id']:<{width}}  {r['sla']}  due {due} {report.tz}  "
                     f"{format_duration(r['elapsed_seconds'])} of {format_duration(r['target_seconds'])}"
                     + (f"  {by}" if by else ""))
    return lines


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def accounting_lines(report: Report, lang: str = "en") -> list[str]:
    """Per input: ``calls.csv (calls): 7 read · 4 used · 3 rejected``, then one line per reason."""
    from ..i18n import translate

    def tally(word: str, n: int) -> str:
        return f"{n:,} {word}" if lang == "en" else translate(f"accounting.{word}", lang).format(n=f"{n:,}")

    lines = []
    for summary in report.inputs:
        folded = f" · {tally('folded', summary.folded)}" if summary.folded else ""
        preset = "" if summary.preset == "generic" else f", {summary.preset}"
        lines.append(f"{summary.path} ({summary.kind}{preset}): {tally('read', summary.read)} · "
                     f"{tally('used', summary.used)} · {tally('rejected', summary.rejected)}{folded}")
        for name, count in summary.counts.items():
            lines.append(f"  {count:,} {name.replace('_', ' ')}")
        for what, count in summary.caveats.items():
            lines.append(f"  used with a caveat: {what} ({count:,})")
        for reason, count in sorted(summary.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
            rows = summary.examples_by_reason.get(reason, [])
            shown = ", ".join(str(r) for r in rows)
            more = "…" if count > len(rows) else ""
            where = f" (data row{'s' if len(rows) > 1 else ''} {shown}{more})" if rows else ""
            lines.append(f"  {count:,} × {reason}{where}")
    return lines
