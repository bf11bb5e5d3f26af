"""Groups and periods: the keys every KPI is aggregated by, built once per KPI, vectorised.

``--by DIM`` groups by a column of the canonical record or by a dimension derived from the
KPI's anchor time in the reporting zone (:data:`TIME_DIMS`). ``--every`` cuts the window into
calendar periods (KPI_SPEC §6: half-open, labelled by their first day, weeks from Monday unless
``week_start`` says otherwise); a row's period is found by ``searchsorted`` on the enumerated
period starts, so bucketing and enumeration can never disagree, even across DST changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .select import Window

EVERY = ("hour", "day", "week", "month")
MAX_PERIODS = 100_000  #: beyond this a period series is a mistake (a stray 1900 date), not a report
TIME_DIMS = ("hour", "weekday", "date", "week", "month")
ANCHORS = ("offered_at", "created_at", "resolved_at", "responded_at")  #: the times KPIs are placed by
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Slicing:
    """How results are broken down: group dimensions, period length, zone, first day of the week."""

    by: tuple[str, ...] = ()
    every: str | None = None
    tz: str = "UTC"
    week_start: int = 0  #: 0 = Monday … 6 = Sunday
    calendar: Any = None  #: hdkpi.calendar.Calendar for business time, when the targets file has one

    @property
    def active(self) -> bool:
        return bool(self.by or self.every)


@dataclass
class Periods:
    """Consecutive half-open periods ``[starts[i], ends[i])`` (UTC) with their labels."""

    every: str
    starts: "pd.DatetimeIndex"
    ends: "pd.DatetimeIndex"
    labels: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def position(self, times: "pd.Series") -> "pd.Series":
        """Index of the period holding each time; -1 outside every period or missing."""
        import numpy as np
        import pandas as pd

        ns = times.dt.tz_convert("UTC").astype("datetime64[ns, UTC]").array.asi8
        pos = np.searchsorted(self.starts.as_unit("ns").asi8, ns, side="right") - 1
        outside = times.isna().to_numpy() | (ns >= self.ends.as_unit("ns").asi8[-1]) if len(self) else \
            np.ones(len(ns), dtype=bool)
        pos[outside] = -1
        return pd.Series(pos, index=times.index, name="period")


def week_start_number(value: Any) -> int:
    text = str(value).strip().lower()[:3]
    names = [w.lower() for w in WEEKDAYS]
    if text in names:
        return names.index(text)
    raise UsageError(f"setting week_start: {value!r} is not a weekday; write e.g. monday or sunday")


def local_naive(times: "pd.Series", tz: str) -> "pd.Series":
    """Wall-clock times in ``tz`` without zone (for calendar arithmetic)."""
    return times.dt.tz_convert(tz).dt.tz_localize(None)


def _localize(naive: "pd.DatetimeIndex", tz: str) -> "pd.DatetimeIndex":
    """Wall-clock period starts as instants: an ambiguous start is its first occurrence, a start
    skipped by DST moves to the first valid instant after it."""
    import numpy as np

    return naive.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool),
                             nonexistent="shift_forward").tz_convert("UTC")


def _floor_naive(stamp: "pd.Timestamp", every: str, week_start: int) -> "pd.Timestamp":
    day = stamp.normalize()
    if every == "day":
        return day
    if every == "week":
        import pandas as pd

        return day - pd.Timedelta(days=(day.day_of_week - week_start) % 7)
    return day.replace(day=1)  # month


def make_periods(every: str, first: datetime, last: datetime, tz: str, week_start: int = 0) -> Periods:
    """Periods covering the instants ``first`` … ``last`` (both inclusive)."""
    import pandas as pd

    if every not in EVERY:
        raise UsageError(f"--every {every!r}: use one of {', '.join(EVERY)}")
    first_ts, last_ts = pd.Timestamp(first).tz_convert("UTC"), pd.Timestamp(last).tz_convert("UTC")
    size = {"hour": 3600, "day": 86400, "week": 604800, "month": 2629746}[every]
    count = (last_ts - first_ts).total_seconds() / size
    if count > MAX_PERIODS:
        raise UsageError(f"--every {every} from {first_ts:%Y-%m-%d} to {last_ts:%Y-%m-%d} makes about {count:,.0f} "
                         f"periods (more than {MAX_PERIODS:,}); narrow the window with --from/--to, or use a longer "
                         "period")
    if every == "hour":
        starts = pd.date_range(first_ts.floor("h"), last_ts.floor("h"), freq="h", tz="UTC")
        ends = starts + pd.Timedelta(hours=1)
        labels = [s.tz_convert(tz).isoformat(timespec="minutes") for s in starts]
        return Periods(every, starts, ends, labels)
    lo = _floor_naive(first_ts.tz_convert(tz).tz_localize(None), every, week_start)
    hi = _floor_naive(last_ts.tz_convert(tz).tz_localize(None), every, week_start)
    freq = {"day": "D", "week": "7D", "month": "MS"}[every]
    naive = pd.date_range(lo, hi, freq=freq)
    following = pd.date_range(naive[-1], periods=2, freq=freq)[1:]
    bounds = _localize(naive.append(following), tz)
    return Periods(every, bounds[:-1], bounds[1:], [d.strftime("%Y-%m-%d") for d in naive])


def time_dimension(times: "pd.Series", dim: str, tz: str, week_start: int = 0) -> "pd.Series":
    """A derived dimension of the anchor time: hour 00–23, weekday Mon–Sun, date, week, month."""
    import pandas as pd

    local = local_naive(times, tz)
    if dim == "hour":
        order = [f"{h:02d}" for h in range(24)]
        hours = local.dt.hour  # float64 when a time is missing
        return pd.Series(pd.Categorical.from_codes(hours.fillna(-1).astype("int64"), categories=order, ordered=True),
                         index=times.index, name=dim)
    if dim == "weekday":
        values = local.dt.day_of_week.map(dict(enumerate(WEEKDAYS)))
        order = list(WEEKDAYS)
    elif dim == "date":
        return local.dt.strftime("%Y-%m-%d").rename(dim)
    elif dim == "week":
        day = local.dt.normalize()
        start = day - pd.to_timedelta((day.dt.day_of_week - week_start) % 7, unit="D")
        return start.dt.strftime("%Y-%m-%d").rename(dim)
    else:  # month
        return local.dt.strftime("%Y-%m").rename(dim)
    return pd.Series(pd.Categorical(values, categories=order, ordered=True), index=times.index, name=dim)


def anchor_spans(frame: "pd.DataFrame", window: "Window") -> dict[str, tuple[Any, Any]]:
    """First and last time of each anchor column of ``frame`` inside the window (columns with none left out).
    The periods of a run span them all; the Dask run gathers them block by block."""
    out = {}
    for name in ANCHORS:
        if name in frame:
            column = frame[name]
            if window.start is not None:
                column = column[column >= window.start]
            if window.end is not None:
                column = column[column < window.end]
            if column.notna().any():
                out[name] = (column.min(), column.max())
    return out


def period_span(frames: dict[str, "pd.DataFrame"], window: "Window") -> tuple[Any, Any] | None:
    """First and last instant the periods must cover: the window where bounded, else the data."""
    import pandas as pd

    lows, highs = [], []
    for frame in frames.values():
        for low, high in anchor_spans(frame, window).values():
            lows.append(low)
            highs.append(high)
    first = pd.Timestamp(window.start) if window.start is not None else (min(lows) if lows else None)
    last = (pd.Timestamp(window.end) - pd.Timedelta(microseconds=1) if window.end is not None
            else (max(highs) if highs else None))
    if first is None or last is None:
        return None
    return first, last


def periods_of(frames: dict[str, "pd.DataFrame"], window: "Window", slicing: "Slicing | None") -> Periods | None:
    """The ``--every`` periods of a run, on either engine: over the window where bounded, else over the
    data's anchor times (None without --every or without any time)."""
    if slicing is None or not slicing.every:
        return None
    span = period_span(frames, window)
    return None if span is None else make_periods(slicing.every, span[0], span[1], slicing.tz, slicing.week_start)
