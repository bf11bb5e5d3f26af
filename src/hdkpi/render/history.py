"""``hdkpi history`` output: stored series as trend lines (table), points (JSON), rows (CSV), charts
(HTML).

The input is a report of stored figures (:func:`hdkpi.history.records.series_report`), so the
sparkline, the trend line, the CSV cell rules and the JSON record shape are the ones of ``report``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..document import _number, result_doc
from ..model import Report, Verdict
from ..version import __version__
from .csv import EMPTY_GROUP, number_cell, text_cell
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
    from ..history.rollup import SUFFIX

    periods = sorted({v.result.period.removesuffix(SUFFIX) for v in report.verdicts if v.result.period is not None})
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
    derived = derived_lines(report)
    if derived:
        lines += ["", *_wrap(derived[0]), *(w for line in derived[1:] for w in _wrap(f"  {line}", 4))]
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


def derived_lines(report: Report) -> list[str]:
    """What was rolled up from stored days, and which periods could not be and why (one line each)."""
    from ..history.rollup import NOT_DERIVABLE, SUFFIX

    derived = [v for v in report.verdicts if str(v.result.period).endswith(SUFFIX)]
    if not derived:
        return []
    why: dict[str, list[str]] = {}
    for v in derived:
        for note in v.result.notes:
            if note.startswith(NOT_DERIVABLE):
                why.setdefault(note[len(NOT_DERIVABLE) + 2:], []).append(
                    f"{v.result.kpi} {_group(v)} {str(v.result.period).removesuffix(SUFFIX)}")
    rolled = len(derived) - sum(len(where) for where in why.values())
    lines = [f"No run stored these {report.every}s: {rolled} of {len(derived)} figure(s) rolled up from the stored "
             f"days, marked '{SUFFIX.strip()}' (docs/history.md)."]
    for reason, where in why.items():
        shown = ", ".join(where[:4]) + (f" … ({len(where)} in all)" if len(where) > 4 else "")
        lines.append(f"{NOT_DERIVABLE} ({reason}): {shown}")
    return lines


def _group(v: Verdict) -> str:
    return ", ".join(f"{k}={x}" for k, x in v.result.group.items()) or "all"


def render_html(report: Report, where: str) -> str:
    """A self-contained page of the stored series: the HTML report's history charts (the trend charts and
    the page shell of :mod:`hdkpi.render.html`: no request allowed, every text escaped)."""
    from datetime import datetime, timezone

    from .html import CSS, SCRIPT, csp, esc, history_sections, nav, when

    ids = {"history", "other-history"}
    bodies = history_sections(report, ids) or ['<section id="history"><h2>History</h2>'
                                            '<p class="empty">No figures.</p></section>']
    derived = derived_lines(report)
    if derived:
        bodies.append('<section id="derived"><h2>Rolled up from days</h2>'
                      + f"<p>{esc(derived[0])}</p>"
                      + ("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in derived[1:]) + "</ul>" if derived[1:]
                         else "") + "</section>")
    periods = sorted({v.result.period.removesuffix(" (from days)") for v in report.verdicts
                      if v.result.period is not None})
    meta = [("hdkpi", __version__), ("history", where), ("every", f"{report.every or 'window'} ({report.tz})"),
            ("periods", f"{periods[0]} to {periods[-1]} ({len(periods)})" if periods else "none")]
    if report.by:
        meta.append(("by", ", ".join(report.by)))
    meta.append(("generated", when(datetime.now(timezone.utc).replace(microsecond=0))))
    dl = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(x)}</dd></div>" for k, x in meta)
    sections = [(m.group(1), m.group(2).strip()) for m in (re.match(r'<section id="([^"]+)"><h2>([^<]+)', b)
                                                           for b in bodies) if m]
    doc = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp())}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">', f'<meta name="generator" content="hdkpi {esc(__version__)}">',
        f"<title>{esc(heading(report, where))}</title>", f"<style>\n{CSS}</style>", "</head>", "<body>",
        f'<header class="top">\n<h1>Help-desk KPIs <span class="sub">hdkpi history</span></h1>\n'
        f'<dl class="meta">{dl}</dl>\n</header>',
        nav(sections), "<main>", *bodies, "</main>",
        f"<footer>hdkpi {esc(__version__)} · history of {esc(where)} · a single file with no external resources"
        "</footer>",
        f"<script>{SCRIPT}</script>", "</body>", "</html>",
    ]
    return "\n".join(doc) + "\n"


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
                           "anomaly": doc["anomaly"], "run": row["run_id"], "derived": bool(row.get("derived")),
                           "notes": doc["notes"]})
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
