"""``--compare last-week`` and ``--compare same-day-last-week`` from the current input.

Each figure's earlier span comes from :func:`hdkpi.history.records.earlier` (the rule is written
there once, for the input and the history store alike). The earlier spans of a unit are computed in
one pass over periods of that unit, so a month of daily figures costs one extra computation, not
thirty. ``previous`` keeps its own code (:func:`hdkpi.run.pipeline.attach_previous`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..history.records import Span, earlier, spans_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiRef
    from ..engine.select import Window
    from ..engine.slicing import Slicing
    from ..model import Result


def compute_spans(spans: set[Span], refs: list[KpiRef], frames: dict[str, pd.DataFrame], settings: dict[str, Any],
                  slicing: Slicing, cover: list[Span] = ()) -> dict[tuple[str, str, str], dict[tuple, Result]]:
    """span key → (kpi, group) key → the figure over that span. Periods are computed over a range that
    also ``cover``s the current figures' spans, as attach_previous does, so the groups are those of the
    current records (a span with no records still gets every group)."""
    from ..engine.compute import compute
    from ..engine.select import Window
    from ..engine.slicing import make_periods
    from ..history.store import utc_text

    out: dict[tuple[str, str, str], dict[tuple, Result]] = {}
    units: dict[str, list[Span]] = {}
    for span in spans:
        units.setdefault(span.every, []).append(span)
    for every, group in units.items():
        if not every:
            for span in group:
                figures = compute(refs, frames, settings, Window(span.start, span.end), replace(slicing, every=None))
                out[span.key] = {r.key: r for r in figures if r.period is None}
            continue
        first = min(s.start for s in [*group, *cover])
        last = max(s.end for s in [*group, *cover])
        periods = make_periods(every, first, last - timedelta(microseconds=1), slicing.tz, slicing.week_start)
        keys = {label: (every, utc_text(s), utc_text(e)) for s, e, label in
                zip(periods.starts, periods.ends, periods.labels)}
        for r in compute(refs, frames, settings, Window(first, last), replace(slicing, every=every), periods):
            if r.period is not None and r.period in keys:
                out.setdefault(keys[r.period], {})[r.key] = r
    return out


def attach_shifted(results: list[Result], compare: str, refs: list[KpiRef], frames: dict[str, pd.DataFrame],
                   settings: dict[str, Any], window: Window, slicing: Slicing, periods: Any) -> None:
    """Each figure gets the same KPI and group over its earlier span (none where it has no meaning)."""
    from ..model import Comparison

    spans = spans_of(results, start=window.start, end=window.end, every=slicing.every, tz=slicing.tz,
                     week_start=slicing.week_start, periods=periods, frames=frames)
    wanted: dict[int, Span] = {}
    for r in results:
        span = spans.get(id(r))
        before = earlier(span, compare, slicing.tz, slicing.week_start) if span is not None else None
        if before is not None:
            wanted[id(r)] = before
    figures = compute_spans(set(wanted.values()), refs, frames, settings, slicing, list(set(spans.values())))
    for r in results:
        before = wanted.get(id(r))
        if before is None:
            continue
        prev = figures.get(before.key, {}).get(r.key)
        if prev is None:
            # no records of the group in the earlier span: a count of nothing is 0, anything else no-data
            value = 0.0 if r.unit == "count" else None
            change = r.value - value if r.value is not None and value is not None else None
            r.compare = Comparison(period=before.label, value=value, n=0, change=change)
            continue
        change = r.value - prev.value if r.value is not None and prev.value is not None else None
        r.compare = Comparison(period=before.label, value=prev.value, n=prev.n, change=change,
                               numerator=prev.numerator, denominator=prev.denominator, std=prev.std)
