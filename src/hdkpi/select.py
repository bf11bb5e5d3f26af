"""Selecting the records of the reporting window ``[from, to)`` on a KPI's anchor time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .errors import UsageError

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
