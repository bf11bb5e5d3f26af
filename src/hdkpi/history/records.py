"""Between runs and the history store: which period each figure covers, a report as rows to store,
stored rows as figures again, and the comparisons and anomalies that reach into the store.

A figure's period is what makes it the same figure in another run. A ``--every day`` record is
its day; the overall record is its window, and a window that is exactly one calendar hour, day,
week or month in ``--tz`` is stored *as* that period — so the nightly ``--last 1d`` run and a
``--every day`` run over the same day write the same key, and the later replaces the earlier.
Other windows are stored with ``every`` empty (a window figure, never part of a period series).
Times are stored as UTC ISO text.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..model import Comparison, Report, Result, Verdict
from .spans import (
    _CATALOGUE,
    EVERY_ORDER,
    Span,
    _add_months,
    _meta,
    classify,
    group_key,
    group_of,
    period_span,
    target_of,
)
from .store import Run, Store, utc_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

def spans_of(results: list[Result], *, start: datetime | None, end: datetime | None, every: str | None, tz: str,
             week_start: int, periods: Any = None, frames: dict[str, pd.DataFrame] | None = None
             ) -> dict[int, Span]:
    """id(result) → the span it covers. The overall records of a window open at either end take the
    span of the data (to the second); without data they get none and are not stored."""
    by_label: dict[str, Span] = {}
    if periods is not None and every:
        for s, e, label in zip(periods.starts, periods.ends, periods.labels):
            by_label[label] = Span(every, s.to_pydatetime().astimezone(timezone.utc),
                                   e.to_pydatetime().astimezone(timezone.utc), label)
    window = None
    if start is not None and end is not None:
        window = classify(start, end, tz, week_start)
    elif frames is not None:
        from ..engine.select import Window
        from ..engine.slicing import period_span as data_span

        found = data_span(frames, Window(start, end))
        if found is not None:
            first = found[0].to_pydatetime().astimezone(timezone.utc).replace(microsecond=0)
            last = found[1].to_pydatetime().astimezone(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
            window = classify(start or first, end or last, tz, week_start)
    from ..model import outside

    out: dict[int, Span] = {}
    for r in results:
        if outside(r):  # a period outside its kind's data: the input says nothing of it, nothing is stored
            continue
        if r.period is None:
            if window is not None:
                out[id(r)] = window
        elif every:
            span = by_label.get(r.period)
            out[id(r)] = span if span is not None else period_span(every, r.period, tz)
    return out


def report_spans(report: Report) -> dict[int, Span]:
    from ..engine.slicing import week_start_number

    context = report.context
    return spans_of([v.result for v in report.verdicts], start=report.period_from, end=report.period_to,
                    every=report.every, tz=report.tz, week_start=week_start_number(report.settings.get("week_start",
                                                                                                          "monday")),
                    periods=getattr(context, "periods", None), frames=getattr(context, "frames", None))


# -- a report as a run to store --------------------------------------------------------------------

def sha256_of(path: str) -> str | None:
    """The content hash of an input file (None for stdin, globs, URLs and unreadable paths)."""
    if path == "-":
        return None
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def run_of(report: Report) -> Run:
    """The run and its records, from the report's JSON document (so history stores what -f json writes)."""
    from ..document import report_doc

    doc = report_doc(report)
    spans = report_spans(report)
    records: dict[tuple, dict[str, Any]] = {}
    # overall records first: a --every record of the same span (the window is one period) wins
    ordered = sorted(zip(report.verdicts, doc["results"]), key=lambda pair: pair[0].result.period is not None)
    for v, rec in ordered:
        span = spans.get(id(v.result))
        if span is None:
            continue
        group_by, group_value = group_key(rec["group"])
        row = {
            "kpi": rec["kpi"], "group_by": group_by, "group_value": group_value, "every": span.every,
            "period_start": utc_text(span.start), "period_end": utc_text(span.end),
            "value": rec["value"], "n": rec["n"], "numerator": rec["numerator"], "denominator": rec["denominator"],
            "method": rec["method"],
            "target": json.dumps(rec["target"], sort_keys=True) if rec["target"] is not None else None,
            "status": rec["status"], "unit": rec["unit"], "title": rec["title"], "direction": rec["direction"],
            "period": span.label, "tz": report.tz, "notes": json.dumps(rec["notes"], ensure_ascii=False),
        }
        records[(row["kpi"], group_by, group_value, *span.key)] = row
    inputs = [{**i, "sha256": sha256_of(i["path"])} for i in doc["inputs"]]
    options = {k: doc[k] for k in ("period", "targets", "by", "every", "time_zone")}
    options["compare"] = report.compare
    outcome = {"summary": doc["summary"], "failed": report.failed, "records": len(records),
               "not_stored": len(doc["results"]) - len(spans)}
    return Run(started_at=utc_text(report.generated_at or datetime.now(timezone.utc)), command=report.command,
               settings=doc["settings"], inputs=inputs, options=options, outcome=outcome,
               records=list(records.values()))


# -- stored rows as figures ------------------------------------------------------------------------

def _number(x: Any) -> float | int | None:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def verdict_of(row: dict[str, Any]) -> Verdict:
    meta = None if row.get("unit") and row.get("title") and row.get("direction") else _meta(row["kpi"])
    label = row.get("period") or row["period_start"][:10]
    result = Result(kpi=row["kpi"], title=row.get("title") or (meta.title if meta else row["kpi"]),
                    unit=row.get("unit") or (meta.unit if meta else "count"),
                    direction=row.get("direction") or (meta.direction if meta else "none"),
                    value=_number(row["value"]), n=int(row["n"] or 0), numerator=_number(row["numerator"]),
                    denominator=_number(row["denominator"]), method=row["method"],
                    group=group_of(row["group_by"], row["group_value"]), period=label,
                    notes=json.loads(row.get("notes") or "[]"))
    return Verdict(result, target_of(row["kpi"], row["target"]), row["status"])


# -- comparisons and anomalies from the store ----------------------------------------------------------

COMPARES = ("previous", "last-week", "same-day-last-week", "baseline")


def _shift_local(span: Span, days: int, tz: str, week_start: int) -> Span:
    zone = ZoneInfo(tz)
    start = (span.start.astimezone(zone).replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=zone)
    end = (span.end.astimezone(zone).replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=zone)
    return classify(start.astimezone(timezone.utc), end.astimezone(timezone.utc), tz, week_start)


def earlier(span: Span, compare: str, tz: str, week_start: int = 0) -> Span | None:
    """The span a figure is compared with: ``previous`` the one just before, of the same length;
    ``same-day-last-week`` the same span seven days earlier (hours, days, weeks, windows up to a
    week); ``last-week`` the calendar week before the week holding the span (spans within one week).
    None where the comparison has no meaning (a month a week earlier)."""
    zone = ZoneInfo(tz)
    if compare == "previous":
        if span.every == "hour":
            return classify(span.start - timedelta(hours=1), span.start, tz, week_start)
        if span.every in ("day", "week"):
            return _shift_local(span, 1 if span.every == "day" else 7, tz, week_start)
        if span.every == "month":
            first = _add_months(span.start.astimezone(zone).date(), -1)
            return period_span("month", first.strftime("%Y-%m-%d"), tz)
        return classify(span.start - (span.end - span.start), span.start, tz, week_start)
    if compare == "same-day-last-week":
        if span.every == "month" or (span.every == "" and span.end - span.start > timedelta(days=7)):
            return None
        return _shift_local(span, 7, tz, week_start)
    if compare == "last-week":
        day = span.start.astimezone(zone).date()
        monday = day - timedelta(days=(day.weekday() - week_start) % 7)
        week = period_span("week", monday.strftime("%Y-%m-%d"), tz)
        if span.end > week.end or span.every == "month":
            return None
        before = monday - timedelta(days=7)
        return period_span("week", before.strftime("%Y-%m-%d"), tz)
    return None


def series_key(r: Result, span: Span) -> tuple[str, str, str, str]:
    return (r.kpi, *group_key(r.group), span.every)


class Recall:
    """The store as seen by one run: comparisons and anomalies of its figures against stored ones."""

    def __init__(self, store: Store, spans: dict[int, Span], tz: str, week_start: int) -> None:
        self.store, self.spans, self.tz, self.week_start = store, spans, tz, week_start
        self.used = 0  #: figures that took something from the store

    def stored(self, r: Result, span: Span) -> dict[str, Any] | None:
        from .store import read_one

        return read_one(self.store, (r.kpi, *group_key(r.group), *span.key))

    def compare(self, results: list[Result], compare: str, window: int = 8) -> None:
        """Fill comparisons the current input cannot give (no records of the earlier span) from the store."""
        if compare == "baseline":
            self.baseline(results, window)
            return
        for r in results:
            span = self.spans.get(id(r))
            if span is None or (r.compare is not None and r.compare.n > 0):
                continue
            before = earlier(span, compare, self.tz, self.week_start)
            row = self.stored(r, before) if before is not None else None
            label = f"{before.label} (history)" if before is not None else ""
            if row is None and before is not None:
                row, label = self.rolled_up(r, before, compare)
            if row is None or not row["n"]:
                continue
            value = _number(row["value"])
            change = r.value - value if r.value is not None and value is not None else None
            r.compare = Comparison(period=label, value=value, n=int(row["n"]), change=change,
                                   numerator=_number(row["numerator"]), denominator=_number(row["denominator"]))
            self.used += 1

    def rolled_up(self, r: Result, before: Span, compare: str) -> tuple[dict[str, Any] | None, str]:
        """A week or month no run stored, from its stored days where they add up exactly
        (:mod:`hdkpi.history.rollup`); where they do not, the figure says why in a note."""
        from .rollup import roll_up_stored

        rolled = roll_up_stored(self.store, (r.kpi, *group_key(r.group)), before, self.tz)
        if rolled is None:
            return None, ""
        if rolled.reason is not None:
            r.notes.append(f"--compare {compare}: the {before.every} of {before.label} is {rolled.reason}")
            return None, ""
        return rolled.row, f"{before.label} (history, from days)"

    def baseline(self, results: list[Result], window: int = 8) -> None:
        """``--compare baseline`` from the store: the mean of the series' last ``window`` stored periods
        before the figure's own (the centre line of the anomaly rule)."""
        from .store import read_before

        for r in results:
            span = self.spans.get(id(r))
            if span is None or not span.every:
                continue
            rows = read_before(self.store, series_key(r, span), utc_text(span.start), window)
            values = [float(x["value"]) for x in rows if x["value"] is not None]
            if not values:
                continue
            mean = sum(values) / len(values)
            change = r.value - mean if r.value is not None else None
            r.compare = Comparison(period=f"baseline: mean of {len(values)} {span.every}s to {rows[-1]['period']}",
                                   value=mean, n=sum(int(x["n"] or 0) for x in rows), change=change)
            self.used += 1

    def flag_anomalies(self, results: list[Result], window: int, sigmas: float = 3.0) -> None:
        """The control-chart rule of :mod:`hdkpi.stats.significance` over each series' stored periods before this
        run's first one, then this run's: the nightly one-day figure is judged against the nights before."""
        import numpy as np

        from ..stats.intervals import control_chart_flags
        from .store import read_before

        series: dict[tuple, dict[tuple, list[Result]]] = {}
        for r in results:
            span = self.spans.get(id(r))
            if span is not None and span.every:  # a one-period window and its period are one point
                series.setdefault(series_key(r, span), {}).setdefault((span.start, *span.key), []).append(r)
        for key, points in series.items():
            own = sorted(points)
            past = [x for x in read_before(self.store, key, own[0][2], window)
                    if (x["every"], x["period_start"], x["period_end"]) not in {p[1:] for p in own}]
            if not past or len(past) + len(own) <= window:
                continue
            values = [float(x["value"]) for x in past]
            values += [np.nan if points[p][-1].value is None or points[p][-1].partial else points[p][-1].value
                       for p in own]
            flags = control_chart_flags(np.array(values, dtype=float), window=window, sigmas=sigmas)
            for p, flag in zip(own, flags[len(past):]):
                for r in points[p]:
                    r.anomaly = bool(flag)
            self.used += 1


def recall_for(location: str | None, results: list[Result], window: Any, slicing: Any, periods: Any,
               frames: dict[str, pd.DataFrame]) -> Recall | None:
    """The store of ``--history`` for reading, when it exists (the first run has nothing to recall)."""
    from pathlib import Path

    from .store import is_url, open_store

    if not location or (not is_url(location) and not Path(location).is_file()):
        return None
    spans = spans_of(results, start=window.start, end=window.end, every=slicing.every, tz=slicing.tz,
                     week_start=slicing.week_start, periods=periods, frames=frames)
    return Recall(open_store(location), spans, slicing.tz, slicing.week_start)


# -- series for `hdkpi history` and the HTML report ------------------------------------------------

def pick_every(store: Store, wanted: str | None, start: str | None, end: str | None) -> str:
    """``--every`` as given (a week or month also when only days are stored: they may roll up), else the
    unit with the most stored figures in the span (the finer on a tie)."""
    from .store import HistoryError, stored_everies

    counts = stored_everies(store, start, end)
    if wanted:
        from .rollup import ROLLED

        if not counts.get(wanted) and not (wanted in ROLLED and counts.get("day")):  # weeks may come from days
            stored = ", ".join(f"{e or 'window'} ({n:,})" for e, n in sorted(counts.items())) or "nothing"
            raise HistoryError(f"no {wanted} figures in the history for that span (stored: {stored}); runs with "
                               f"--every {wanted} (or --last 1{wanted[0]}) store them")
        return wanted
    units = [e for e in EVERY_ORDER if counts.get(e)]
    if not units:
        if counts.get(""):
            return ""
        raise HistoryError("the history holds no figures for that span; a run with --history FILE records them")
    return max(units, key=lambda e: (counts[e], -EVERY_ORDER.index(e)))


def select_rows(store: Store, *, kpis: list[str], by: list[str], every: str, start: str | None,
                end: str | None) -> list[dict[str, Any]]:
    """Stored rows of the KPIs asked for (all when none), overall and grouped by exactly ``by``."""
    groupings = {"[]", group_key(dict.fromkeys(by))[0]} if by else {"[]"}
    from .store import read_records

    rows = [r for r in read_records(store, every, start, end)
            if r["group_by"] in groupings and (not kpis or r["kpi"] in kpis)]
    return rows


def _week_start_of(rows: list[dict[str, Any]], tz: str) -> int:
    first = next((r for r in rows if r["every"] == "week"), None)
    return datetime.fromisoformat(first["period_start"]).astimezone(ZoneInfo(tz)).weekday() if first else 0


def series_report(rows: list[dict[str, Any]], every: str, by: list[str], kpis: list[str] | None = None,
                  anomaly_window: int = 8) -> Report:
    """Stored rows as a report of per-period verdicts (one series per KPI and group, in time order), with
    a placeholder (value none, note "not in the history") for each period between the first and the last
    that no run stored — so sparklines and charts show the missing night as a gap."""
    from collections import Counter

    from ..stats.significance import flag_anomalies

    tz = Counter(r.get("tz") or "UTC" for r in rows).most_common(1)[0][0] if rows else "UTC"
    series: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault((r["kpi"], r["group_by"], r["group_value"]), []).append(r)
    grid: list[tuple[str, str, str]] = []  # (start, end, label) of every period between the first and the last
    if every and rows:
        from ..engine.slicing import make_periods

        first = min(datetime.fromisoformat(r["period_start"]) for r in rows)
        last = max(datetime.fromisoformat(r["period_end"]) for r in rows)
        periods = make_periods(every, first, last - timedelta(microseconds=1), tz, _week_start_of(rows, tz))
        grid = [(utc_text(s), utc_text(e), label) for s, e, label in zip(periods.starts, periods.ends, periods.labels)]
    order = {name: i for i, name in enumerate(kpis or [])}
    _meta("")  # loads the catalogue, whose order the output follows
    rank = {name: i for i, name in enumerate(_CATALOGUE)}

    def sort_key(key: tuple[str, str, str]) -> tuple:
        kpi, group_by, group_value = key
        return (order.get(kpi, len(order)), rank.get(kpi.split("(")[0], len(rank)), kpi, group_by != "[]",
                group_by, group_value)

    verdicts: list[Verdict] = []
    for key in sorted(series, key=sort_key):
        stored = {r["period_start"]: r for r in series[key]}
        template = verdict_of(series[key][0]).result
        if grid:
            for start, _end, label in grid:
                row = stored.get(start)
                if row is not None:
                    verdicts.append(verdict_of(row))
                else:
                    gap = Result(kpi=template.kpi, title=template.title, unit=template.unit,
                                 direction=template.direction, value=None, n=0, group=dict(template.group),
                                 period=label, notes=["not in the history (no run stored this period)"])
                    verdicts.append(Verdict(gap, None, None))
        else:
            verdicts.extend(verdict_of(r) for r in series[key])
    flag_anomalies([v.result for v in verdicts], anomaly_window)
    start = datetime.fromisoformat(min(r["period_start"] for r in rows)) if rows else None
    end = datetime.fromisoformat(max(r["period_end"] for r in rows)) if rows else None
    return Report(verdicts=verdicts, inputs=[], settings={}, period_from=start, period_to=end, command="history",
                  by=tuple(by), every=every or None, tz=tz)


def report_history(store: Store, report: Report, periods: int = 90) -> Report | None:
    """The stored series behind a report's figures (its KPIs, its groups, its period unit), the last
    ``periods`` of them up to the report's end, for the HTML report's history charts."""
    from .store import HistoryError

    spans = report_spans(report)
    units = [s.every for s in spans.values() if s.every]
    end = report.period_to or max((s.end for s in spans.values()), default=None)
    every = report.every or (units[0] if units else None)
    if not every:  # a window figure: draw the unit the store holds most of (the nightly runs' days)
        from .store import HistoryError

        try:
            every = pick_every(store, None, None, utc_text(end) if end is not None else None) or None
        except HistoryError:
            return None
    if not every:
        return None
    end_text = utc_text(end) if end is not None else None
    unit = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}.get(every,
                                                                                                timedelta(days=31))
    start_text = utc_text(end - unit * (periods + 1)) if end is not None else None
    kpis = list(dict.fromkeys(v.result.kpi for v in report.verdicts))
    try:
        rows = select_rows(store, kpis=kpis, by=list(report.by), every=every, start=start_text, end=end_text)
        if every in ("week", "month"):  # weeks no run stored, from their stored days where exact
            from .rollup import rolled_rows

            days = select_rows(store, kpis=kpis, by=list(report.by), every="day", start=start_text, end=end_text)
            rows += rolled_rows(store, every, days, rows, start_text, end_text)
    except HistoryError:
        return None
    starts = sorted({r["period_start"] for r in rows})[-periods:]
    with_values = {r["kpi"] for r in rows if r["value"] is not None}  # a KPI never computed draws no chart
    rows = [r for r in rows if starts and r["period_start"] >= starts[0] and r["kpi"] in with_values]
    if not rows:
        return None
    return series_report(rows, every, list(report.by), kpis, int(report.settings.get("anomaly_window", 8)))


def rows_by_point(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """(kpi, sorted group items, period label) → stored row, to find a shown point's row again."""
    out = {}
    for row in rows:
        r = verdict_of(row).result
        out[(r.kpi, tuple(sorted(r.group.items())), r.period)] = row
    return out


def record_report(location: str, report: Report, charts: bool = False) -> Any:
    """Write a run's figures (one transaction) and, with ``charts`` (an HTML report to draw), keep their
    stored series on the report's context. Returns what was written (:class:`hdkpi.history.store.Written`)."""
    from .store import opened, write_run

    with opened(location) as store:
        written = write_run(store, run_of(report))
        if charts and report.context is not None:
            report.context.history = report_history(store, report)
    return written
