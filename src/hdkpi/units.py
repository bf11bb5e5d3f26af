"""Durations, shares and counts: parsing user text and formatting for people.

Machine units everywhere inside hdkpi: seconds for durations, fractions 0–1 for
shares, plain numbers for counts and scores. Only this module converts.
"""

from __future__ import annotations

import math
import re

from .errors import UsageError

#: seconds per calendar duration unit (business units ``bd``/``bh`` need a calendar)
DURATION_UNITS: dict[str, float] = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
BUSINESS_UNITS = ("bd", "bh")

_QUANTITY = re.compile(r"^\s*(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z%]*)\s*$")


def split_quantity(text: str) -> tuple[float, str]:
    """``"30s"`` → ``(30.0, "s")``; ``"0.5"`` → ``(0.5, "")``. Raises ValueError."""
    m = _QUANTITY.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a number with an optional unit")
    return float(m.group("num")), m.group("unit").lower()


class BusinessDuration(float):
    """A duration in business time (``2bd``, ``8bh``): its seconds depend on the calendar, so it
    keeps its amount and unit; as a float it is the amount (never used as seconds directly)."""

    amount: float
    unit: str

    def __new__(cls, amount: float, unit: str) -> "BusinessDuration":
        value = super().__new__(cls, amount)
        value.amount, value.unit = float(amount), unit
        return value

    def __reduce__(self):  # keep amount and unit when copied or pickled
        return (BusinessDuration, (self.amount, self.unit))

    @property
    def label(self) -> str:
        return f"{_fmt_num(self.amount)}{self.unit}"


def parse_duration(text: str | int | float, *, what: str = "duration", business: bool = False) -> float:
    """A calendar duration in seconds: ``30s``, ``5m``, ``4h``, ``2d``, ``1w``.

    A bare number is refused (seconds? hours?) so a typo never becomes a silent unit.
    """
    try:
        value, unit = split_quantity(str(text))
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a duration; write e.g. 30s, 5m, 4h or 2d") from None
    if unit in BUSINESS_UNITS and business:
        if value < 0:
            raise UsageError(f"{what}: {text!r} is negative")
        return BusinessDuration(value, unit)
    if unit in BUSINESS_UNITS:
        raise UsageError(
            f"{what}: {text!r} is in business time, which needs a calendar; "
            "use calendar units (s, m, h, d, w)"
        )
    if unit == "":
        raise UsageError(f"{what}: {text!r} lacks a unit; write e.g. {_fmt_num(value)}s or {_fmt_num(value)}h")
    if unit not in DURATION_UNITS:
        raise UsageError(f"{what}: unknown duration unit {unit!r} in {text!r}; use s, m, h, d or w")
    if value < 0:
        raise UsageError(f"{what}: {text!r} is negative")
    if not math.isfinite(value):
        raise UsageError(f"{what}: {text!r} is not a finite duration")
    return value * DURATION_UNITS[unit]


def duration_label(seconds: float) -> str:
    """Shortest exact label for a parameter: 172800 → ``2d``, 90 → ``90s``."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{_fmt_num(seconds)}s"


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# -- formatting for people -------------------------------------------------------

def format_duration(seconds: float) -> str:
    """``27.4 s``, ``12 m 05 s``, ``3 h 12 m``, ``2 d 03 h``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    sign = "-" if seconds < 0 else ""
    s = abs(float(seconds))
    if s < 60:
        return f"{sign}{s:.1f} s"
    if s < 3600:
        m, sec = divmod(round(s), 60)
        return f"{sign}{m} m {sec:02d} s"
    if s < 86400:
        h, rem = divmod(round(s / 60), 60)
        return f"{sign}{h} h {rem:02d} m"
    d, rem = divmod(round(s / 3600), 24)
    return f"{sign}{d} d {rem:02d} h"


def format_value(value: float | None, unit: str) -> str:
    """A value in human units for its KPI unit."""
    if value is None:
        return "—"
    if unit == "seconds":
        return format_duration(value)
    if unit == "share":
        return f"{value * 100:.1f} %"
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{value:.2f}"


def format_number(x: float | None) -> str:
    """Numerators/denominators: integers without decimals."""
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def format_change(change: float | None, unit: str) -> str:
    """A signed difference in human units: ``+1.2 pp`` for shares, ``-3.0 s``, ``+12``."""
    if change is None:
        return "—"
    sign = "+" if change > 0 else ("-" if change < 0 else "±")
    size = abs(change)
    if unit == "share":
        return f"{sign}{size * 100:.1f} pp"
    if unit == "seconds":
        return sign + format_duration(size)
    if unit == "count":
        return sign + (f"{size:,.0f}" if float(size).is_integer() else f"{size:,.2f}")
    return f"{sign}{size:.2f}"


def format_compact(value: float | None, unit: str) -> str:
    """A short cell for grids: ``81%``, ``23s``, ``4m``, ``1.2k``."""
    if value is None:
        return "·"
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "seconds":
        for size, suffix in ((86400, "d"), (3600, "h"), (60, "m")):
            if value >= size:
                return f"{value / size:.0f}{suffix}"
        return f"{value:.0f}s"
    if unit == "count" and value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
