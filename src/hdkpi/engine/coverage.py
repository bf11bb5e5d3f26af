"""Which ``--every`` periods a kind's data covers: partial periods are marked, periods outside are no-data.

A report's periods span every input together (calls and tickets may end in different weeks), so a
period can lie wholly outside one kind's records. Its counts would read 0 — a collapse that never
happened — so such a period is ``no-data`` for that kind ("no calls in the input after 2026-11-21"),
and a period the data covers only in part is marked ``partial`` (docs/readings.md, "Partial periods").

The data's extent of a kind: from the local day of its earliest time to the end of the local day of
its latest, over every canonical time field of its used records (calls offered_at … ended_at;
tickets created_at … the latest first response, resolution or close; survey answers responded_at).
A KPI of survey scores read from the tickets' columns takes the tickets' extent.

The claim of the data on each side: a bounded side of the window (``--from``/``--to``) is the
user's word that the data covers up to it — periods there stay inside (a count of nothing is 0) —
and the window cuts the span a period's figures rest on; an open side ends at the data's extent.
A period [s, e) is then
  * outside, when it ends at or before the covered start or begins at or after the covered end
    (covered: the extent, widened to a bounded side of the window): every record of that KPI in
    that period — overall-of-period and each group — becomes no-data with the note;
  * partial, when it is not outside and begins before, or ends after, the span its figures rest
    on (the window's bound on a bounded side, the extent on an open one).
Only records with a period are touched; the overall figures and the groups over the window stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..fields import SCHEMAS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model import Result
    from .registry import KpiRef
    from .select import Window
    from .slicing import Periods

WHOLE, PARTIAL, BEFORE, AFTER = 0, 1, 2, 3
#: the no-data note of a period outside a kind's data (``hdkpi.model.outside()`` recognises it)
NOTE = "no {kind} in the input {side} {day}"

#: the window the user asked for, while the comparisons compute wider or earlier spans with it
_CLAIM: ContextVar["Window | None"] = ContextVar("_CLAIM", default=None)


@contextmanager
def claimed(window: "Window") -> Iterator[None]:
    """Within: :func:`mark` judges coverage by ``window`` (the report's), whatever window compute is given —
    so the period before the first one of an open window, computed for ``--compare previous``, is
    outside the data as the report's own periods there would be."""
    token = _CLAIM.set(window)
    try:
        yield
    finally:
        _CLAIM.reset(token)


def time_fields(kind: str) -> list[str]:
    return [f.name for f in SCHEMAS.get(kind, ()) if f.type == "datetime"]


def extent_of(frame: "pd.DataFrame", kind: str) -> tuple[Any, Any] | None:
    """(earliest, latest) of the kind's time fields over the frame's rows, or None without a time."""
    lows, highs = [], []
    for name in time_fields(kind):
        if name in frame.columns and len(frame):
            column = frame[name]
            lo, hi = column.min(), column.max()
            if lo is not None and lo == lo:  # NaT compares unequal to itself
                lows.append(lo)
                highs.append(hi)
    return (min(lows), max(highs)) if lows else None


def merge_extents(*extents: tuple[Any, Any] | None) -> tuple[Any, Any] | None:
    known = [e for e in extents if e is not None]
    return (min(e[0] for e in known), max(e[1] for e in known)) if known else None


def kind_of(ref: "KpiRef", frames: dict[str, Any]) -> str | None:
    """The kind whose records a KPI is computed from (tickets for survey scores in ticket columns)."""
    from .frames import source_frame

    frame = source_frame(ref, frames)[0]
    return next((kind for kind, f in frames.items() if f is frame), None) if frame is not None else None


def _day_bounds(extent: tuple[Any, Any], tz: str) -> tuple[int, int, str, str]:
    """(start of the first record's local day, end of the last's, in UTC ns; their labels)."""
    import pandas as pd

    from .slicing import _localize

    first = pd.Timestamp(extent[0]).tz_convert(tz).tz_localize(None).normalize()
    last = pd.Timestamp(extent[1]).tz_convert(tz).tz_localize(None).normalize()
    bounds = _localize(pd.DatetimeIndex([first, last + pd.Timedelta(days=1)]), tz).as_unit("ns").asi8
    return int(bounds[0]), int(bounds[1]), f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"


def states(periods: "Periods", extent: tuple[Any, Any] | None, window: "Window", tz: str) -> Any:
    """Per period: WHOLE, PARTIAL, BEFORE or AFTER the kind's data (a numpy array), and the day labels."""
    import numpy as np
    import pandas as pd

    starts = periods.starts.as_unit("ns").asi8
    ends = periods.ends.as_unit("ns").asi8
    w_lo = None if window.start is None else int(pd.Timestamp(window.start).as_unit("ns").value)
    w_hi = None if window.end is None else int(pd.Timestamp(window.end).as_unit("ns").value)
    low, high = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    out = np.full(len(starts), WHOLE, dtype=np.int8)
    days = ("", "")
    if extent is None:  # no records of the kind: nothing tells where its data ends, only the window cuts
        lo, hi, covered_lo, covered_hi = low, high, low, high
    else:
        lo, hi, first, last = _day_bounds(extent, tz)
        days = (first, last)
        covered_lo = lo if w_lo is None else min(lo, w_lo)
        covered_hi = hi if w_hi is None else max(hi, w_hi)
    rests_lo = lo if w_lo is None else w_lo
    rests_hi = hi if w_hi is None else w_hi
    out[(starts < rests_lo) | (ends > rests_hi)] = PARTIAL
    out[ends <= covered_lo] = BEFORE
    out[starts >= covered_hi] = AFTER
    return out, days


def mark(results: list["Result"], refs: list["KpiRef"], frames: dict[str, "pd.DataFrame"], window: "Window",
         periods: "Periods | None", tz: str, extents: dict[str, tuple[Any, Any] | None] | None = None
         ) -> list["Result"]:
    """Mark the period records of ``results`` in place (and return them): partial ones get
    ``partial``, those outside their kind's data become no-data with a note. ``extents``: kind →
    (earliest, latest) when the frames do not hold the rows (the Dask engine); else worked out here,
    once per kind."""
    if periods is None or not len(periods) or not any(r.period is not None for r in results):
        return results
    window = _CLAIM.get() or window
    kinds = {ref.name: kind_of(ref, frames) for ref in refs}
    position = {label: i for i, label in enumerate(periods.labels)}
    flagged: dict[str, dict[str, tuple[int, str]]] = {}  # kind → period label → (state, note)
    for kind in {k for k in kinds.values() if k is not None}:
        extent = extents.get(kind) if extents is not None else extent_of(frames[kind], kind)
        found, (first, last) = states(periods, extent, window, tz)
        flagged[kind] = {
            label: (int(state), NOTE.format(kind=kind, side="before" if state == BEFORE else "after",
                                            day=first if state == BEFORE else last) if state >= BEFORE else "")
            for label, state in zip(periods.labels, found.tolist()) if state != WHOLE}
    for r in results:
        if r.period is None:
            continue
        kind = kinds.get(r.kpi)
        hit = flagged.get(kind, {}).get(r.period) if kind is not None else None
        if hit is None or r.period not in position:
            continue
        state, note = hit
        if state == PARTIAL:
            r.partial = True
        else:
            r.value, r.n, r.numerator, r.denominator, r.std = None, 0, None, None, None
            r.notes = [note]
    return results
