"""Selecting the records of the reporting window ``[from, to)`` on a KPI's anchor time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass(frozen=True)
class Window:
    """Half-open reporting window; either end may be open (None)."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise UsageError(f"--from {self.start.isoformat()} is not before --to {self.end.isoformat()}")

    @property
    def unbounded(self) -> bool:
        return self.start is None and self.end is None

    def mask(self, times: "pd.Series") -> "pd.Series":
        """True for times inside the window; a missing time is outside a bounded window."""
        keep = times.notna() if not self.unbounded else times.notna() | times.isna()
        if self.start is not None:
            keep &= times >= self.start
        if self.end is not None:
            keep &= times < self.end
        return keep


def parse_bound(text: str, tz: str, option: str) -> datetime:
    """``--from``/``--to``: a date or datetime; naive values are read in ``tz``."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise UsageError(f"{option} {text!r} is not a date; write e.g. 2026-11-01 or 2026-11-01T08:00") from None
    if stamp is pd.NaT:
        raise UsageError(f"{option} {text!r} is not a date")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)
    return stamp.tz_convert("UTC").to_pydatetime()


_LAST = re.compile(r"^\s*(?P<n>\d+)\s*(?P<unit>h|hours?|d|days?|w|weeks?|m|mo|months?|y|years?)\s*$", re.IGNORECASE)


def last_window(text: str, now: datetime, tz: str) -> Window:
    """``--last 7d|24h|2w|1m|1y``: the span ending at ``now``. ``m`` is months here (a reporting
    window is never minutes); months and years are calendar months in ``tz``."""
    import pandas as pd

    m = _LAST.match(str(text))
    if not m:
        raise UsageError(f"--last {text!r}: write a count and a unit, e.g. 24h, 7d, 2w, 1m (month) or 1y")
    n, unit = int(m.group("n")), m.group("unit").lower()
    if n <= 0:
        raise UsageError(f"--last {text!r}: the span must be positive")
    end = pd.Timestamp(now)
    if unit[0] in "hdw":
        span = pd.Timedelta(**{{"h": "hours", "d": "days", "w": "weeks"}[unit[0]]: n})
        return Window(end.to_pydatetime() - span.to_pytimedelta(), end.to_pydatetime())
    months = n * 12 if unit[0] == "y" else n
    local = end.tz_convert(tz)
    start = (local.tz_localize(None) - pd.DateOffset(months=months)).tz_localize(
        tz, ambiguous=True, nonexistent="shift_forward")
    return Window(start.tz_convert("UTC").to_pydatetime(), end.to_pydatetime())


def previous_window(window: Window) -> Window | None:
    """The span of the same length just before a bounded window (None when unbounded)."""
    if window.start is None or window.end is None:
        return None
    return Window(window.start - (window.end - window.start), window.start)
