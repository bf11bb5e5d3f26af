"""Business calendars: weekly open hours, holidays and durations in business time.

A ``calendar:`` section in the targets file lets ``frt``, ``resolution_time*`` and
``resolved_within(Nbd|Nbh)`` be measured in business time. A business duration is the
real elapsed time (UTC seconds) that falls inside open intervals, so a DST change inside
open hours counts what the clocks really did (08:00–18:00 is then 9 h or 11 h long).

The computation is vectorised: one sorted table of open intervals in UTC microseconds with
the open time accumulated before each, then ``cum(t)`` by ``numpy.searchsorted`` and
business time = ``cum(end) − cum(start)``. Only the table is built per calendar day.

Conventions for wall-clock interval bounds on DST-change days (same as input parsing in
``normalise``): a non-existent time is shifted forward to the change, an ambiguous one
is read as its first occurrence.

Units: ``Nbh`` = N × 3600 business seconds; ``Nbd`` = N × :attr:`Calendar.business_day_seconds`,
the open length of a typical full business day (the most common daily open length).

numpy, pandas and ``holidays`` are imported inside functions: importing this module is cheap.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .errors import InputError, UsageError
from .units import split_quantity

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["Calendar", "OpenClock", "business_seconds", "open_intervals", "parse_business_duration",
           "utc_microseconds"]

DAY_SECONDS = 86400
#: widest span of input dates business time is computed for (guards against placeholder dates)
MAX_SPAN_YEARS = 100
_DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_LABEL = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NAME = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DASH = re.compile(r"\s*[-–]\s*")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_CONFIG_KEYS = ("timezone", "hours", "holidays")
_HOLIDAY_KEYS = ("country", "subdivision", "dates")


@dataclass(frozen=True)
class Calendar:
    """When the service desk is open: time zone, weekly hours and closed dates.

    ``hours`` maps weekday (0 = Monday) to open intervals in seconds since local midnight
    (end may be 86400 for 24:00). ``holidays`` holds every closed local date known so far:
    the explicit ``dates`` plus the country holidays of ``holiday_years``; country holidays
    for other years are generated on demand (:meth:`closed_dates`), so any date range works.
    """

    tz: str
    hours: dict[int, list[tuple[int, int]]] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None
    dates: frozenset[date] = frozenset()
    holiday_years: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        _check_timezone(self.tz, "calendar.timezone")
        hours: dict[int, list[tuple[int, int]]] = {}
        for day, intervals in self.hours.items():
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                raise UsageError(f"calendar.hours: weekday {day!r} is not 0 (Monday) … 6 (Sunday)")
            checked = _check_day(day, intervals)
            if checked:
                hours[day] = checked
        object.__setattr__(self, "hours", dict(sorted(hours.items())))
        object.__setattr__(self, "dates", frozenset(self.dates))
        object.__setattr__(self, "holidays", frozenset(self.holidays) | self.dates)
        if self.subdivision is not None and self.country is None:
            raise UsageError("calendar.holidays.subdivision: needs a country")

    # -- configuration -----------------------------------------------------------

    @classmethod
    def from_config(cls, data: Any, where: str = "calendar") -> Calendar:
        """Parse the ``calendar:`` mapping as loaded from YAML; UsageError names the bad key.

        Example: ``{"timezone": "Europe/London", "hours": {"mon-fri": "08:00-18:00",
        "sat": "09:00-13:00"}, "holidays": {"country": "GB", "subdivision": "ENG",
        "dates": ["2026-12-24"]}}``. Days not listed are closed.
        """
        if not isinstance(data, dict):
            raise UsageError(f"{where}: expected a mapping with timezone, hours and holidays")
        for key in data:
            if key not in _CONFIG_KEYS:
                raise UsageError(f"{where}: unknown key {key!r}; expected {', '.join(_CONFIG_KEYS)}")
        if data.get("timezone") is None:
            raise UsageError(f"{where}: timezone is missing; give an IANA name such as Europe/London")
        tz = _check_timezone(data["timezone"], f"{where}.timezone")
        if data.get("hours") is None:
            raise UsageError(f"{where}: hours is missing; e.g. hours: {{mon-fri: 08:00-18:00}}")
        hours = _parse_hours(data["hours"], f"{where}.hours")
        country, subdivision, dates = _parse_holidays(data.get("holidays"), f"{where}.holidays")
        return cls(tz=tz, hours=hours, country=country, subdivision=subdivision, dates=dates)

    # -- holidays ----------------------------------------------------------------

    def closed_dates(self, first_year: int, last_year: int) -> frozenset[date]:
        """Every closed local date in ``first_year``…``last_year`` (may hold others too)."""
        if self.country is None:
            return self.holidays
        if self.holiday_years is not None and self.holiday_years[0] <= first_year \
                and last_year <= self.holiday_years[1]:
            return self.holidays
        return self.holidays | _country_holidays(self.country, self.subdivision, first_year, last_year)

    def for_years(self, first_year: int, last_year: int) -> Calendar:
        """This calendar with ``holidays`` expanded for the years given (for reports and tests)."""
        return replace(self, holidays=self.closed_dates(first_year, last_year),
                       holiday_years=(first_year, last_year))

    # -- reporting and units -----------------------------------------------------

    @property
    def business_day_seconds(self) -> int:
        """Length of one business day (``1bd``): the most common daily open length, the
        longer one on a tie. Mon–Fri 08–18 plus Sat 09–13 → 36000 (10 h)."""
        lengths = Counter(sum(e - s for s, e in ivs) for ivs in self.hours.values())
        if not lengths:
            return 0
        return max(lengths.items(), key=lambda kv: (kv[1], kv[0]))[0]

    def description(self) -> str:
        """One line for reports: ``Europe/London, Mon–Fri 08:00–18:00, Sat 09:00–13:00,
        holidays GB-ENG + 2 dates``."""
        parts = [self.tz]
        groups: list[list[Any]] = []  # [first day, last day, intervals]
        for day in range(7):
            ivs = self.hours.get(day, [])
            if groups and groups[-1][2] == ivs and groups[-1][1] == day - 1:
                groups[-1][1] = day
            else:
                groups.append([day, day, ivs])
        for first, last, ivs in groups:
            if ivs:
                days = _DAY_LABEL[first] if first == last else f"{_DAY_LABEL[first]}–{_DAY_LABEL[last]}"
                parts.append(f"{days} " + "/".join(f"{_hhmm(s)}–{_hhmm(e)}" for s, e in ivs))
        if not self.hours:
            parts.append("never open")
        if self.country is not None:
            region = self.country + (f"-{self.subdivision}" if self.subdivision else "")
            extra = f" + {_plural(len(self.dates), 'date')}" if self.dates else ""
            parts.append(f"holidays {region}{extra}")
        elif self.holidays:
            parts.append(_plural(len(self.holidays), "holiday date"))
        else:
            parts.append("no holidays")
        return ", ".join(parts)


def parse_business_duration(text: str | float, cal: Calendar, *, what: str = "duration") -> float:
    """``8bh`` → 28800.0; ``2bd`` → 2 × ``cal.business_day_seconds``; ``1.5bd`` allowed.

    Only business units: calendar units (``4h``) are for :func:`hdkpi.units.parse_duration`.
    """
    try:
        value, unit = split_quantity(str(text))
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a business duration; write e.g. 2bd or 8bh") from None
    if unit not in ("bd", "bh"):
        raise UsageError(f"{what}: {text!r} is not in business time; use bd (business days) "
                         "or bh (business hours), e.g. 2bd or 8bh")
    if value < 0:
        raise UsageError(f"{what}: {text!r} is negative")
    if unit == "bh":
        return value * 3600.0
    if cal.business_day_seconds == 0:
        raise UsageError(f"{what}: {text!r} needs a calendar with open hours")
    return value * float(cal.business_day_seconds)


# -- business time ----------------------------------------------------------------

def business_seconds(cal: Calendar, start: pd.Series, end: pd.Series) -> pd.Series:
    """Open seconds between ``start`` and ``end`` (float; rows paired by position, result
    indexed like ``start``). NaN where either is NaT or end < start; 0 when end == start.

    Tz-aware values may be in any zone; naive values are read as wall-clock times in
    ``cal.tz`` (first occurrence if ambiguous, shifted forward if non-existent).
    """
    import numpy as np
    import pandas as pd

    if len(start) != len(end):
        raise ValueError(f"business_seconds: start has {len(start)} rows, end has {len(end)}")
    s, s_ok = utc_microseconds(start, cal.tz)
    e, e_ok = utc_microseconds(end, cal.tz)
    valid = s_ok & e_ok
    valid[valid] = e[valid] >= s[valid]
    out = np.full(len(s), np.nan)
    if valid.any():
        sv, ev = s[valid], e[valid]
        clock = OpenClock.spanning(cal, int(sv.min()), int(ev.max()))
        out[valid] = (clock.position(ev) - clock.position(sv)) / 1e6
    return pd.Series(out, index=start.index, dtype="float64")


@dataclass(frozen=True)
class OpenClock:
    """A business clock over a span of dates: ``position(t)`` is the open time (µs) from the span's
    start up to instant ``t`` (UTC epoch µs), ``moment(p)`` the first instant the clock reads ``p``.

    Elapsed business time between two instants is the difference of their positions, so an SLA
    clock with pauses is a sum of differences, and the moment it passes a target is ``moment``."""

    starts: "np.ndarray"
    ends: "np.ndarray"

    @classmethod
    def spanning(cls, cal: Calendar, first_us: int, last_us: int) -> "OpenClock":
        first, last = _local_date(int(first_us), cal.tz), _local_date(int(last_us), cal.tz)
        if (last - first).days > MAX_SPAN_YEARS * 366:
            raise InputError(f"business time: dates run from {first} to {last}, more than {MAX_SPAN_YEARS} "
                             "years; check the input for placeholder dates")
        starts, ends = open_intervals(cal, date.fromordinal(first.toordinal() - 1),
                                      date.fromordinal(last.toordinal() + 1))
        return cls(starts, ends)

    def position(self, t: "np.ndarray") -> "np.ndarray":
        return _cumulative(self.starts, self.ends, t)

    def moment(self, p: "np.ndarray") -> "np.ndarray":
        """The instants (UTC epoch µs) at which the clock reads ``p``; the int64 minimum beyond the span."""
        import numpy as np

        lengths = self.ends - self.starts
        upto = np.cumsum(lengths)
        k = np.searchsorted(upto, p, side="left")
        inside = k < len(upto)
        kk = np.minimum(k, max(len(upto) - 1, 0))
        before = upto[kk] - lengths[kk] if len(upto) else np.zeros(len(p), dtype=np.int64)
        starts = self.starts[kk] if len(upto) else np.zeros(len(p), dtype=np.int64)
        return np.where(inside, starts + (p - before), np.iinfo(np.int64).min)


def open_intervals(cal: Calendar, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
    """Open intervals on local dates ``first``…``last`` as sorted, non-overlapping
    (starts, ends) arrays of UTC epoch microseconds (int64); holidays skipped."""
    import numpy as np

    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    is_open = np.ones(len(days), dtype=bool)
    closed = cal.closed_dates(first.year, last.year)
    if closed:
        is_open &= ~np.isin(days, np.array(sorted(closed), dtype="datetime64[D]"))
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    midnight = days.astype("datetime64[s]").astype(np.int64)
    wall_starts: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    wall_ends: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    for day, ivs in cal.hours.items():
        base = midnight[is_open & (weekday == day)]
        for s, e in ivs:
            wall_starts.append(base + s)
            wall_ends.append(base + e)
    ws, we = np.concatenate(wall_starts), np.concatenate(wall_ends)
    order = np.argsort(ws, kind="stable")
    starts, ends = _wall_to_utc_us(ws[order], cal.tz), _wall_to_utc_us(we[order], cal.tz)
    # Wall → UTC is monotone with these DST conventions; enforce it anyway so odd zone
    # histories can never produce overlapping intervals (which would double-count).
    bounds = np.maximum.accumulate(np.column_stack([starts, ends]).ravel())
    return bounds[0::2], bounds[1::2]


def _cumulative(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Open microseconds from the table start up to each instant ``t``."""
    import numpy as np

    if len(starts) == 0:
        return np.zeros(len(t), dtype=np.int64)
    lengths = ends - starts
    before = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    k = np.searchsorted(starts, t, side="right") - 1
    kk = np.maximum(k, 0)
    inside = np.clip(t - starts[kk], 0, lengths[kk])
    return np.where(k >= 0, before[kk] + inside, 0)


def utc_microseconds(values: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(UTC epoch µs as int64, mask of non-NaT) for a datetime Series (µs: no overflow for any year)."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        idx = pd.DatetimeIndex(values)
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        idx = pd.DatetimeIndex(values).tz_localize(tz, ambiguous=np.ones(len(values), dtype=bool),
                                                   nonexistent="shift_forward")
    else:
        raise TypeError(f"datetime values needed, got dtype {values.dtype}")
    idx = idx.tz_convert("UTC").as_unit("us")
    return idx.asi8.copy(), ~np.asarray(idx.isna())


def _wall_to_utc_us(wall_seconds: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock epoch seconds → UTC epoch µs (ambiguous: first; gap: forward)."""
    import numpy as np
    import pandas as pd

    idx = pd.DatetimeIndex(wall_seconds.astype("datetime64[s]").astype("datetime64[us]"))
    idx = idx.tz_localize(tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward")
    return idx.tz_convert("UTC").as_unit("us").asi8.copy()


def _local_date(utc_us: int, tz: str) -> date:
    import pandas as pd

    return pd.Timestamp(utc_us, unit="us", tz="UTC").tz_convert(tz).date()


@functools.lru_cache(maxsize=64)
def _country_holidays(country: str, subdivision: str | None, first_year: int, last_year: int) -> frozenset[date]:
    """Public holidays from the ``holidays`` package (observed days included)."""
    import holidays

    found = holidays.country_holidays(country, subdiv=subdivision, years=range(first_year, last_year + 1))
    return frozenset(found.keys())


# -- parsing helpers ----------------------------------------------------------------

def _check_timezone(name: Any, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{where}: expected an IANA time zone name such as Europe/London, got {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"{where}: unknown time zone {name!r}; use an IANA name such as Europe/London") from None
    return name


def _check_day(day: int, intervals: Any) -> list[tuple[int, int]]:
    """Sorted, validated intervals of one weekday; UsageError on bad or overlapping ones."""
    checked: list[tuple[int, int]] = []
    for iv in intervals:
        try:
            s, e = (int(x) for x in iv)
        except (TypeError, ValueError):
            raise UsageError(f"{_DAY_NAME[day]}: interval {iv!r} is not a (start, end) pair of seconds") from None
        if not 0 <= s < e <= DAY_SECONDS:
            raise UsageError(f"{_DAY_NAME[day]}: interval {_hhmm(s)}–{_hhmm(e)} must have "
                             "00:00 <= start < end <= 24:00")
        checked.append((s, e))
    checked.sort()
    for (s0, e0), (s1, e1) in itertools.pairwise(checked):
        if s1 < e0:
            raise UsageError(f"{_DAY_NAME[day]}: intervals {_hhmm(s0)}–{_hhmm(e0)} and "
                             f"{_hhmm(s1)}–{_hhmm(e1)} overlap")
    return checked


def _parse_hours(data: Any, where: str) -> dict[int, list[tuple[int, int]]]:
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a mapping of days to hours, e.g. {{mon-fri: 08:00-18:00}}")
    hours: dict[int, list[tuple[int, int]]] = {}
    given_in: dict[int, str] = {}
    for key, value in data.items():
        here = f"{where}.{key}"
        days = _parse_days(key, here)
        intervals = _parse_intervals(value, here)
        for day in days:
            if day in given_in:
                raise UsageError(f"{here}: {_DAY_NAME[day]} is already given by {given_in[day]!r}")
            given_in[day] = str(key)
            try:
                hours[day] = _check_day(day, intervals)
            except UsageError as err:
                raise UsageError(f"{here}: {err.message}") from None
    if not any(hours.values()):
        raise UsageError(f"{where}: the calendar is never open; give at least one day with hours")
    return hours


def _parse_days(key: Any, where: str) -> list[int]:
    """``mon``, ``Monday``, ``mon-fri``, ``sat,sun``, ``daily``."""
    if not isinstance(key, str):
        raise UsageError(f"{where}: expected day names such as mon-fri, got {key!r}")
    if key.strip().lower() == "daily":
        return list(range(7))
    days: list[int] = []
    for part in key.split(","):
        ends = _DASH.split(part.strip())
        if len(ends) > 2:
            raise UsageError(f"{where}: bad day range {part.strip()!r}; write e.g. mon-fri")
        first, last = (_parse_day(x, where) for x in (ends[0], ends[-1]))
        if last < first:
            raise UsageError(f"{where}: day range {part.strip()!r} runs backwards; ranges run Monday to Sunday")
        days.extend(range(first, last + 1))
    return days


def _parse_day(text: str, where: str) -> int:
    name = text.strip().lower()
    for i, (abbr, full) in enumerate(zip(_DAY_ABBR, _DAY_FULL)):
        if name in (abbr, full):
            return i
    raise UsageError(f"{where}: unknown weekday {text.strip()!r}; use mon, tue, wed, thu, fri, sat, sun")


def _parse_intervals(value: Any, where: str) -> list[tuple[int, int]]:
    """``"08:00-18:00"``, a list of those, or ``closed``."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "closed"):
        return []
    items = value if isinstance(value, list) else [value]
    return [_parse_interval(item, where) for item in items]


def _parse_interval(text: Any, where: str) -> tuple[int, int]:
    if not isinstance(text, str):
        raise UsageError(f"{where}: expected a time range such as 08:00-18:00 or 'closed', got {text!r}")
    ends = _DASH.split(text.strip())
    if len(ends) != 2:
        raise UsageError(f"{where}: bad time range {text!r}; write e.g. 08:00-18:00")
    start, end = _parse_time(ends[0], where), _parse_time(ends[1], where)
    if start == DAY_SECONDS:
        raise UsageError(f"{where}: {text!r} starts at 24:00; 24:00 can only end a range")
    if end <= start:
        raise UsageError(f"{where}: time range {text!r} ends at or before its start; split hours past "
                         "midnight over two days, e.g. 22:00-24:00 and 00:00-06:00")
    return start, end


def _parse_time(text: str, where: str) -> int:
    m = _TIME.match(text)
    if m is None:
        raise UsageError(f"{where}: bad time {text!r}; write HH:MM, e.g. 08:00")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    seconds = h * 3600 + mi * 60 + s
    if mi > 59 or s > 59 or seconds > DAY_SECONDS:
        raise UsageError(f"{where}: bad time {text!r}; times run from 00:00 to 24:00")
    return seconds


def _parse_holidays(data: Any, where: str) -> tuple[str | None, str | None, frozenset[date]]:
    """(country, subdivision, explicit dates); country codes checked against ``holidays``."""
    if data is None:
        return None, None, frozenset()
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a mapping with country, subdivision and dates")
    for key in data:
        if key not in _HOLIDAY_KEYS:
            raise UsageError(f"{where}: unknown key {key!r}; expected {', '.join(_HOLIDAY_KEYS)}")
    country, subdivision = data.get("country"), data.get("subdivision")
    if subdivision is not None and country is None:
        raise UsageError(f"{where}.subdivision: needs a country")
    if country is not None:
        country, subdivision = _resolve_country(country, subdivision, where)
    raw = data.get("dates") or []
    if not isinstance(raw, list):
        raise UsageError(f"{where}.dates: expected a list of dates such as 2026-12-24")
    dates = frozenset(_parse_date(d, f"{where}.dates[{i}]") for i, d in enumerate(raw))
    return country, subdivision, dates


def _resolve_country(country: Any, subdivision: Any, where: str) -> tuple[str, str | None]:
    """Canonical (country, subdivision) codes; ``GB-ENG`` and subdivision names accepted."""
    import holidays

    if not isinstance(country, str) or not country.strip():
        raise UsageError(f"{where}.country: expected a country code such as GB, got {country!r}")
    code = country.strip().upper()
    if subdivision is None and "-" in code:
        code, subdivision = code.split("-", 1)
    try:
        entity = holidays.country_holidays(code)
    except NotImplementedError:
        raise UsageError(f"{where}.country: unknown country code {country!r}; "
                         "use an ISO 3166-1 code such as GB, US or DE") from None
    code = getattr(entity, "country", code)
    if subdivision is None:
        return code, None
    wanted = str(subdivision).strip().upper()
    known = {s.upper(): s for s in entity.subdivisions}
    known.update({a.upper(): s for a, s in (getattr(entity, "subdivisions_aliases", None) or {}).items()})
    if wanted not in known:
        listed = ", ".join(entity.subdivisions[:15]) + (", …" if len(entity.subdivisions) > 15 else "")
        raise UsageError(f"{where}.subdivision: {code} has no subdivision {subdivision!r}"
                         + (f"; known: {listed}" if listed else ""))
    return code, known[wanted]


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        raise UsageError(f"{where}: expected a date such as 2026-12-24, got a date and time {value!r}")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{where}: bad date {value!r}; write YYYY-MM-DD, e.g. 2026-12-24") from None


def _hhmm(seconds: int) -> str:
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
