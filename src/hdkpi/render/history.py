"""``hdkpi history`` output: stored series as trend lines (table), points (JSON), rows (CSV).

The input is a report of stored figures (:func:`hdkpi.history_records.series_report`), so the
sparkline, the trend line, the CSV cell rules and the JSON record shape are the ones of ``report``.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..model import Report, Verdict
from .csv import EMPTY_GROUP, number_cell, text_cell
from .json import _number, result_doc
from .table import _wrap, trend_lines

GAP_NOTE = "not in the history"


def stored(v: Verdict) -> bool:
    return not any(n.startswith(GAP_NOTE) for n in v.result.notes)


def _series(report: Report) -> dict[tuple, list[Verdict]]:
    out: dict[tuple, list[Verdict]] = {}
    for v in report.verdicts:
        out.setdefault(v.result.key, []).append(v)
    return out


def heading(report: Report, where: str) -> str:
    periods = sorted({v.result.period for v in report.verdicts if v.result.period is not None})
    span = f"{periods[0]} to {periods[-1]}" if periods else "nothing stored"
    parts = [f"hdkpi {__version__} history", where, f"every: {report.every or 'window'} ({report.tz})", span,
             f"{len(periods)} period(s)"]
    if report.by:
        parts.append(f"by: {', '.join(report.by)}")
    return " · ".join(parts)


def render_table(report: Report, where: str, color: bool = False) -> str:
    """One trend line per KPI and group (sparkline, first → last, periods missed, anomalies), then the
    periods no run stored."""
    lines = [*_wrap(heading(report, where)), ""]
    trends = trend_lines(report)
    lines += [w for line in trends for w in _wrap(f"  {line}", 4)] or ["  (no figures)"]
    kept = {v.result.period for v in report.verdicts if stored(v)}
    gaps = sorted({v.result.period for v in report.verdicts if v.result.period not in kept})
    if gaps:
        shown = ", ".join(str(g) for g in gaps[:10]) + (f" … ({len(gaps)} in all)" if len(gaps) > 10 else "")
        lines += ["", *_wrap(f"Not in the history (no run stored these periods; gaps in the lines): {shown}")]
    lines += ["", "Per-period figures: -f json or -f csv."]
    if not color:
        return "\n".join(lines) + "\n"
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, highlight=False)
    for line in lines:
        style = "bold" if line is lines[0] else ("red" if "✖" in line else ("yellow" if "⚠" in line else ""))
        console.print(Text(line, style=style))
    return buffer.getvalue()


def render_json(report: Report, where: str, rows: dict[tuple, dict[str, Any]]) -> str:
    """``series``: per KPI and group, the stored points (the report's record fields plus the period's UTC
    bounds and the run that stored it) and the periods missing between them."""
    out = []
    for verdicts in _series(report).values():
        first = result_doc(verdicts[0])
        points = []
        for v in verdicts:
            if not stored(v):
                continue
            doc = result_doc(v)
            row = rows[(v.result.kpi, tuple(sorted(v.result.group.items())), v.result.period)]
            points.append({"period": doc["period"], "period_start": row["period_start"],
                           "period_end": row["period_end"], "value": doc["value"], "n": doc["n"],
                           "numerator": doc["numerator"], "denominator": doc["denominator"], "method": doc["method"],
                           "target": json.loads(row["target"]) if row["target"] else None, "status": doc["status"],
                           "anomaly": doc["anomaly"], "run": row["run_id"]})
        values = [p["value"] for p in points if p["value"] is not None]
        out.append({"kpi": first["kpi"], "title": first["title"], "unit": first["unit"],
                    "direction": first["direction"], "group": first["group"],
                    "summary": {"periods": len(points), "first": _number(values[0]) if values else None,
                                "last": _number(values[-1]) if values else None,
                                "min": _number(min(values)) if values else None,
                                "max": _number(max(values)) if values else None},
                    "missing": [v.result.period for v in verdicts if not stored(v)], "points": points})
    doc = {"schema": 1, "hdkpi": __version__, "history": where, "every": report.every, "time_zone": report.tz,
           "by": list(report.by), "period": {"from": report.period_from.isoformat() if report.period_from else None,
                                             "to": report.period_to.isoformat() if report.period_to else None},
           "series": out}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_csv(report: Report, rows: dict[tuple, dict[str, Any]]) -> str:
    """One row per stored point; cells follow ``-f csv`` of report (numbers exact, formulas neutralised)."""
    import csv
    import io

    dims = list(report.by)
    for v in report.verdicts:
        dims += [d for d in v.result.group if d not in dims]
    fixed = ("kpi", "title", "period", "period_start", "period_end", "value", "unit", "n", "numerator",
             "denominator", "method", "target", "status", "anomaly", "run")
    head = ["kpi", "title", *(f"group:{d}" if d in fixed else d for d in dims), *fixed[2:]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([text_cell(h) for h in head])
    for v in report.verdicts:
        if not stored(v):
            continue
        r = v.result
        row = rows[(r.kpi, tuple(sorted(r.group.items())), r.period)]
        groups = ["" if d not in r.group else text_cell(EMPTY_GROUP if r.group[d] is None else r.group[d])
                  for d in dims]
        writer.writerow([text_cell(r.kpi), text_cell(r.title), *groups, text_cell(r.period),
                         row["period_start"], row["period_end"], number_cell(r.value), text_cell(r.unit),
                         number_cell(r.n), number_cell(r.numerator), number_cell(r.denominator),
                         text_cell(r.method), text_cell(v.target.text if v.target else None), text_cell(v.status),
                         "true" if r.anomaly else "false", row["run_id"]])
    return buffer.getvalue()


def html_sections(report: Report, ids: set[str]) -> list[str]:
    """The HTML report's history charts: the trend charts of :mod:`hdkpi.render.html` over stored series."""
    from .html import trends

    return [body for body in (
        trends(report, ids, targeted=True, names=(("history", "History"), ("other-history", "History"))),
        trends(report, ids, targeted=False, names=(("history", "History"),
                                                   ("other-history", "History of the other figures"))),
    ) if body]
