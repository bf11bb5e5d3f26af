"""Business calendars: hand-worked examples (arithmetic in the comments), config errors,
and a large random case checked against a slow, obviously-correct reference."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import yaml

from hdkpi.calendar import Calendar, business_seconds, open_intervals, parse_business_duration
from hdkpi.errors import InputError, UsageError

H = 3600
LONDON = "Europe/London"


def make(hours: dict | None = None, tz: str = LONDON, **holidays: object) -> Calendar:
    config: dict = {"timezone": tz, "hours": hours or {"mon-fri": "08:00-18:00"}}
    if holidays:
        config["holidays"] = holidays
    return Calendar.from_config(config)


OFFICE = make()                                                   # Mon–Fri 08–18, London
SHOP = make({"mon-fri": "08:00-18:00", "sat": "09:00-13:00"})      # … plus Sat 09–13
ALWAYS = make({"daily": "00:00-24:00"})                           # 24/7


def at(*stamps: str | None, tz: str = LONDON) -> pd.Series:
    """Wall-clock times in ``tz`` (or with an explicit offset) → Series of UTC datetimes."""
    out = []
    for text in stamps:
        if text is None:
            out.append(pd.NaT)
            continue
        ts = pd.Timestamp(text)
        out.append((ts if ts.tzinfo else ts.tz_localize(tz)).tz_convert("UTC"))
    return pd.Series(out, dtype="datetime64[us, UTC]")


def bs(cal: Calendar, start: str, end: str) -> float:
    return float(business_seconds(cal, at(start), at(end)).iloc[0])


# -- hand-worked examples ---------------------------------------------------------------
# 2026-06-09 is a Tuesday (BST, UTC+1); 2026-06-12 a Friday.

def test_both_inside_the_same_open_day() -> None:
    # Tue 10:00 → 15:30, all open: 5 h 30 m
    assert bs(OFFICE, "2026-06-09 10:00", "2026-06-09 15:30") == 5.5 * H


def test_created_before_opening() -> None:
    # Tue 06:30 → 09:15; open from 08:00: 1 h 15 m
    assert bs(OFFICE, "2026-06-09 06:30", "2026-06-09 09:15") == 1.25 * H
    # Tue 06:00 → Wed 07:00: the whole of Tuesday, 08–18 = 10 h
    assert bs(OFFICE, "2026-06-09 06:00", "2026-06-10 07:00") == 10 * H


def test_resolved_after_closing() -> None:
    # Tue 16:00 → 21:00; closes at 18:00: 2 h
    assert bs(OFFICE, "2026-06-09 16:00", "2026-06-09 21:00") == 2 * H


def test_weekend_skipped() -> None:
    # Fri 19:00 (closed) → Mon 09:30: Sat, Sun closed; Mon 08:00–09:30 = 1 h 30 m
    assert bs(OFFICE, "2026-06-12 19:00", "2026-06-15 09:30") == 1.5 * H
    # Fri 15:00 → Mon 10:00: Fri 15–18 = 3 h + Mon 08–10 = 2 h → 5 h
    assert bs(OFFICE, "2026-06-12 15:00", "2026-06-15 10:00") == 5 * H
    # the shop is open on Saturday: 1 h 30 m + Sat 09–13 = 4 h → 5 h 30 m
    assert bs(SHOP, "2026-06-12 19:00", "2026-06-15 09:30") == 5.5 * H


def test_explicit_holiday_in_between() -> None:
    closed_wednesday = make(dates=["2026-06-10"])
    # Tue 17:00 → Thu 09:00: Tue 17–18 = 1 h, Wed holiday 0, Thu 08–09 = 1 h → 2 h
    assert bs(closed_wednesday, "2026-06-09 17:00", "2026-06-11 09:00") == 2 * H
    # without the holiday Wednesday adds 10 h → 12 h
    assert bs(OFFICE, "2026-06-09 17:00", "2026-06-11 09:00") == 12 * H
    # entirely on the holiday: 0
    assert bs(closed_wednesday, "2026-06-10 09:00", "2026-06-10 17:00") == 0


def test_country_holidays_christmas_with_substitute_day() -> None:
    gb = make({"mon-fri": "08:00-18:00", "sat": "09:00-13:00"}, country="GB", subdivision="ENG")
    closed = gb.for_years(2026, 2026).holidays
    # what the holidays package says for England 2026: Christmas Fri 25, Boxing Day Sat 26,
    # Boxing Day (observed) Mon 28; Christmas Eve is a working day
    assert {date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28)} <= closed
    assert date(2026, 12, 24) not in closed
    # Thu 24 17:00 → Tue 29 09:00: Thu 17–18 = 1 h; Fri 25, Sat 26 (otherwise 4 h), Mon 28
    # closed; Sun closed anyway; Tue 08–09 = 1 h → 2 h
    assert bs(gb, "2026-12-24 17:00", "2026-12-29 09:00") == 2 * H
    # same span without holidays: 1 + 10 (Fri) + 4 (Sat) + 10 (Mon) + 1 = 26 h
    assert bs(SHOP, "2026-12-24 17:00", "2026-12-29 09:00") == 26 * H


def test_subdivision_holiday() -> None:
    scotland = make(country="GB", subdivision="SCT")
    england = make(country="GB", subdivision="ENG")
    assert date(2026, 11, 30) in scotland.for_years(2026, 2026).holidays   # St Andrew's Day (Mon)
    assert date(2026, 11, 30) not in england.for_years(2026, 2026).holidays
    # Fri 27 Nov 17:00 → Tue 1 Dec 09:00: Fri 1 h + Mon 0 (Scotland) or 10 h (England) + Tue 1 h
    assert bs(scotland, "2026-11-27 17:00", "2026-12-01 09:00") == 2 * H
    assert bs(england, "2026-11-27 17:00", "2026-12-01 09:00") == 12 * H


def test_country_holidays_are_expanded_for_any_years() -> None:
    gb = make(country="GB", subdivision="ENG")
    assert gb.holidays == frozenset() and gb.holiday_years is None   # nothing generated yet
    start = at("1999-12-23 17:00", "2030-12-24 17:00")
    end = at("2000-01-05 09:00", "2030-12-27 09:00")
    # 1999: Thu 23 1 h + Fri 24 10 h; Mon 27, Tue 28 (Christmas/Boxing Day observed) closed;
    # Wed 29, Thu 30 10 h each; Fri 31 Millennium holiday; Mon 3 Jan (New Year observed)
    # closed; Tue 4 10 h; Wed 5 1 h → 1 + 10 + 10 + 10 + 10 + 1 = 42 h
    # 2030: Tue 24 1 h; Wed 25, Thu 26 closed; Fri 27 1 h → 2 h
    assert business_seconds(gb, start, end).tolist() == [42 * H, 2 * H]
    expanded = gb.for_years(2030, 2030)
    assert expanded.holiday_years == (2030, 2030) and date(2030, 12, 26) in expanded.holidays


def test_entirely_outside_open_hours() -> None:
    # Tue 19:00 → 23:00: closed all the time
    assert bs(OFFICE, "2026-06-09 19:00", "2026-06-09 23:00") == 0
    # Sat 10:00 → Sun 20:00: the office is closed at weekends
    assert bs(OFFICE, "2026-06-13 10:00", "2026-06-14 20:00") == 0
    # Sat 14:00 → Mon 07:59: after the shop's Saturday hours, before Monday's
    assert bs(SHOP, "2026-06-13 14:00", "2026-06-15 07:59") == 0


def test_dst_with_24_7_calendar() -> None:
    # London springs forward on Sun 2026-03-29 (01:00 GMT → 02:00 BST): a 23 h day
    assert bs(ALWAYS, "2026-03-29 00:00", "2026-03-30 00:00") == 23 * H
    # and falls back on Sun 2026-10-25 (02:00 BST → 01:00 GMT): a 25 h day
    assert bs(ALWAYS, "2026-10-25 00:00", "2026-10-26 00:00") == 25 * H
    # Mon 23 Mar 00:00 → Mon 30 Mar 00:00: 7 × 24 − 1 = 167 h
    assert bs(ALWAYS, "2026-03-23 00:00", "2026-03-30 00:00") == 167 * H


def test_dst_outside_open_hours_changes_nothing() -> None:
    daily = make({"daily": "08:00-18:00"})
    # the change is at 01:00 UTC, before opening: Sunday is still 10 h
    assert bs(daily, "2026-03-29 07:00", "2026-03-29 19:00") == 10 * H
    # Sat 12:00 → Mon 12:00: Sat 6 h + Sun 10 h + Mon 4 h = 20 h (47 h of real time in March,
    # 49 h in October — the lost/extra hour is at night)
    assert bs(daily, "2026-03-28 12:00", "2026-03-30 12:00") == 20 * H
    assert bs(daily, "2026-10-24 12:00", "2026-10-26 12:00") == 20 * H


def test_dst_inside_open_hours_counts_real_time() -> None:
    night = make({"daily": "00:00-10:00"})
    # 29 Mar: 00:00 GMT = 00:00Z → 10:00 BST = 09:00Z: 9 h of real time
    assert bs(night, "2026-03-29 00:00", "2026-03-30 00:00") == 9 * H
    # 25 Oct: 00:00 BST = 24 Oct 23:00Z → 10:00 GMT = 10:00Z: 11 h
    assert bs(night, "2026-10-25 00:00", "2026-10-26 00:00") == 11 * H


def test_dst_interval_bounds_in_the_gap_or_the_repeated_hour() -> None:
    odd = make({"sun": "01:30-03:00"})
    # 29 Mar: 01:30 does not exist → shifted forward to 02:00 BST = 01:00Z; 03:00 BST = 02:00Z: 1 h
    assert bs(odd, "2026-03-29 00:00", "2026-03-30 00:00") == 1 * H
    # 25 Oct: 01:30 happens twice → first occurrence, 01:30 BST = 00:30Z; 03:00 GMT = 03:00Z: 2 h 30 m
    assert bs(odd, "2026-10-25 00:00", "2026-10-26 00:00") == 2.5 * H


def test_several_intervals_per_day() -> None:
    lunch = make({"mon-fri": ["08:00-12:00", "13:00-17:00"]})
    # Tue 11:00 → 14:00: 11–12 = 1 h, lunch 0, 13–14 = 1 h → 2 h
    assert bs(lunch, "2026-06-09 11:00", "2026-06-09 14:00") == 2 * H
    # created during lunch: 12:15 → 13:30 = 30 m
    assert bs(lunch, "2026-06-09 12:15", "2026-06-09 13:30") == 0.5 * H
    # entirely within lunch: 0
    assert bs(lunch, "2026-06-09 12:10", "2026-06-09 12:50") == 0
    # the whole day: 4 h + 4 h = 8 h
    assert bs(lunch, "2026-06-09 07:00", "2026-06-09 18:00") == 8 * H


def test_timestamps_in_other_offsets() -> None:
    # 07:00Z–17:00Z on 9 Jun is 08:00–18:00 BST: 10 h
    assert bs(OFFICE, "2026-06-09T07:00Z", "2026-06-09T17:00Z") == 10 * H
    # 07:00Z–17:00Z on Tue 13 Jan is 07:00–17:00 GMT: opens 08:00 → 9 h
    assert bs(OFFICE, "2026-01-13T07:00Z", "2026-01-13T17:00Z") == 9 * H
    # a Series kept in New York time: 03:00–13:00 EDT = 07:00Z–17:00Z = 08:00–18:00 BST → 10 h
    ny = pd.Series(pd.to_datetime(["2026-06-09 03:00"]).tz_localize("America/New_York"))
    ny_end = pd.Series(pd.to_datetime(["2026-06-09 13:00"]).tz_localize("America/New_York"))
    assert business_seconds(OFFICE, ny, ny_end).tolist() == [10 * H]
    # naive values are wall-clock times in the calendar's zone: 08:00–18:00 London → 10 h
    naive = pd.Series(pd.to_datetime(["2026-06-09 08:00"]))
    naive_end = pd.Series(pd.to_datetime(["2026-06-09 18:00"]))
    assert business_seconds(OFFICE, naive, naive_end).tolist() == [10 * H]
    # a New York calendar, UTC input: 13:00Z–21:00Z = 09:00–17:00 EDT → 8 h
    new_york = make({"mon-fri": "09:00-17:00"}, tz="America/New_York")
    assert bs(new_york, "2026-06-09T13:00Z", "2026-06-09T21:00Z") == 8 * H


def test_nat_reversed_and_equal() -> None:
    start = at(None, "2026-06-09 10:00", "2026-06-09 12:00", "2026-06-09 12:00", "2026-06-09 20:00")
    end = at("2026-06-09 12:00", None, "2026-06-09 11:00", "2026-06-09 12:00", "2026-06-09 20:00")
    start.index = end.index = [10, 11, 12, 13, 14]
    got = business_seconds(OFFICE, start, end)
    assert list(got.index) == [10, 11, 12, 13, 14] and got.dtype == "float64"
    # NaT start, NaT end, end before start → NaN; end == start (open or closed) → 0
    assert [None if math.isnan(x) else x for x in got] == [None, None, None, 0.0, 0.0]


def test_empty_all_nat_and_bad_input() -> None:
    empty = pd.Series([], dtype="datetime64[us, UTC]")
    assert business_seconds(OFFICE, empty, empty).empty
    assert business_seconds(OFFICE, at(None), at(None)).isna().all()
    with pytest.raises(ValueError, match="start has 1 rows, end has 2"):
        business_seconds(OFFICE, at("2026-06-09 10:00"), at("2026-06-09 11:00", None))
    with pytest.raises(TypeError, match="datetime values"):
        business_seconds(OFFICE, pd.Series(["2026-06-09"]), pd.Series(["2026-06-10"]))


def test_sub_second_and_far_dates() -> None:
    # fractions of a second are kept: 10:00:00.25 → 10:00:01 = 0.75 s
    assert bs(OFFICE, "2026-06-09 10:00:00.25", "2026-06-09 10:00:01") == 0.75
    # a placeholder date far away is refused rather than building a table for centuries
    with pytest.raises(InputError, match="dates run from 2026-06-09 to 9999-12-31, more than 100 years"):
        bs(OFFICE, "2026-06-09 10:00", "9999-12-31 00:00")


def test_open_intervals_table() -> None:
    starts, ends = open_intervals(SHOP, date(2026, 3, 27), date(2026, 3, 30))
    # Fri 27 08–18 GMT, Sat 28 09–13 GMT, (Sun closed), Mon 30 08–18 BST = 07–17 UTC
    got = [(pd.Timestamp(a, unit="us", tz="UTC").isoformat(), (b - a) / 1e6 / H) for a, b in zip(starts, ends)]
    assert got == [("2026-03-27T08:00:00+00:00", 10), ("2026-03-28T09:00:00+00:00", 4),
                   ("2026-03-30T07:00:00+00:00", 10)]


# -- large random case against a slow reference -------------------------------------------

def reference_business_seconds(tz: str, hours: dict[int, list[tuple[int, int]]], closed: set[date],
                               start: datetime | None, end: datetime | None) -> float:
    """Slow and obvious: walk the local days and intersect each open interval with
    [start, end], in UTC (aware-datetime subtraction in one zone would be wall-clock)."""
    if start is None or end is None or end < start:
        return math.nan
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    total = 0.0
    while day <= last:
        if day not in closed:
            midnight = datetime.combine(day, time())
            for s, e in hours.get(day.weekday(), []):
                a = (midnight + timedelta(seconds=s)).replace(tzinfo=zone).astimezone(timezone.utc)
                b = (midnight + timedelta(seconds=e)).replace(tzinfo=zone).astimezone(timezone.utc)
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


# Interval bounds are never in a DST gap or repeated hour here, so the reference needs no
# convention for those; Sunday hours in London and Sydney do contain the DST changes.
RANDOM_CASES = [
    ("Europe/London", {0: [(8 * H, 12 * H), (13 * H, 18 * H)], 1: [(8 * H, 18 * H)], 2: [(8 * H, 18 * H)],
                       3: [(8 * H, 18 * H)], 4: [(8 * H, 18 * H)], 5: [(9 * H, 13 * H)], 6: [(0, 10 * H)]},
     "GB", "ENG", {date(2026, 12, 24)}),
    ("Australia/Sydney", {0: [(7 * H + 1800, 19 * H)], 1: [(7 * H + 1800, 19 * H)], 2: [(7 * H + 1800, 19 * H)],
                          3: [(7 * H + 1800, 19 * H)], 4: [(7 * H + 1800, 19 * H)], 6: [(0, 24 * H)]},
     "AU", "NSW", set()),
]


@pytest.mark.parametrize(("tz", "hours", "country", "subdivision", "dates"), RANDOM_CASES,
                         ids=["london", "sydney"])
def test_vectorised_matches_reference(tz: str, hours: dict, country: str, subdivision: str,
                                      dates: set[date]) -> None:
    import holidays

    cal = Calendar(tz=tz, hours=hours, country=country, subdivision=subdivision, dates=frozenset(dates))
    rng = np.random.default_rng(20260329)
    n = 100_000
    lo, hi = pd.Timestamp("2025-12-01", tz="UTC").value // 10**9, pd.Timestamp("2027-01-31", tz="UTC").value // 10**9
    start_s = rng.integers(lo, hi, n)
    kind = rng.integers(0, 4, n)
    duration = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.exponential(3 * H, n), rng.exponential(3 * 86400, n), np.zeros(n)],
        rng.uniform(0, 30 * 86400, n),
    ).astype(np.int64)
    start = pd.Series(pd.to_datetime(start_s, unit="s", utc=True))
    end = pd.Series(pd.to_datetime(start_s + duration, unit="s", utc=True))
    start[rng.random(n) < 0.01] = pd.NaT
    end[rng.random(n) < 0.01] = pd.NaT
    reversed_rows = rng.random(n) < 0.005
    end[reversed_rows] = start[reversed_rows] - pd.Timedelta(minutes=5)

    got = business_seconds(cal, start, end)

    closed = set(dates) | set(holidays.country_holidays(country, subdiv=subdivision, years=range(2025, 2028)))
    sample = rng.choice(n, 1500, replace=False)
    for i in sample:
        s, e = start.iloc[i], end.iloc[i]
        want = reference_business_seconds(tz, hours, closed, None if pd.isna(s) else s.to_pydatetime(),
                                          None if pd.isna(e) else e.to_pydatetime())
        if math.isnan(want):
            assert math.isnan(got.iloc[i]), (i, s, e)
        else:
            assert got.iloc[i] == pytest.approx(want, abs=1e-6), (i, s, e)
    # the sample covered every kind of row
    assert got.iloc[sample].isna().any() and (got.iloc[sample] == 0).any() and (got.iloc[sample] > 86400).any()


# -- configuration -----------------------------------------------------------------------

def test_from_config_example() -> None:
    cal = Calendar.from_config({
        "timezone": "Europe/London",
        "hours": {"mon-fri": "08:00-18:00", "sat": "09:00-13:00"},
        "holidays": {"country": "GB", "subdivision": "ENG", "dates": ["2026-12-24", "2026-12-31"]},
    })
    assert cal.tz == "Europe/London"
    assert cal.hours == {d: [(8 * H, 18 * H)] for d in range(5)} | {5: [(9 * H, 13 * H)]}
    assert (cal.country, cal.subdivision) == ("GB", "ENG")
    assert cal.dates == cal.holidays == {date(2026, 12, 24), date(2026, 12, 31)}
    assert cal.description() == "Europe/London, Mon–Fri 08:00–18:00, Sat 09:00–13:00, holidays GB-ENG + 2 dates"


def test_from_config_yaml_forms() -> None:
    text = textwrap.dedent("""
        timezone: America/New_York
        hours:
          Monday:
            - 08:00-12:00
            - 13:00-17:00
          tue-thu: 08:00–17:00
          fri: closed
          sat,sun: 00:00-24:00
        holidays:
          country: us
          dates: [2026-07-03, "2026-12-24"]
    """)
    cal = Calendar.from_config(yaml.safe_load(text))
    assert cal.hours == {0: [(8 * H, 12 * H), (13 * H, 17 * H)], 1: [(8 * H, 17 * H)], 2: [(8 * H, 17 * H)],
                         3: [(8 * H, 17 * H)], 5: [(0, 24 * H)], 6: [(0, 24 * H)]}
    assert cal.dates == {date(2026, 7, 3), date(2026, 12, 24)}   # YAML date object and string
    assert cal.description() == ("America/New_York, Mon 08:00–12:00/13:00–17:00, Tue–Thu 08:00–17:00, "
                                 "Sat–Sun 00:00–24:00, holidays US + 2 dates")


@pytest.mark.parametrize(("holidays", "country", "subdivision", "tail"), [
    (None, None, None, "no holidays"),
    ({"dates": ["2026-12-24"]}, None, None, "1 holiday date"),
    ({"country": "gb-sct"}, "GB", "SCT", "holidays GB-SCT"),
    ({"country": "UK", "subdivision": "Scotland"}, "GB", "SCT", "holidays GB-SCT"),
    ({"country": "GB", "subdivision": "eng", "dates": ["2026-12-24"]}, "GB", "ENG", "holidays GB-ENG + 1 date"),
])
def test_holiday_forms_and_description(holidays: dict | None, country: str | None, subdivision: str | None,
                                       tail: str) -> None:
    cal = Calendar.from_config({"timezone": "UTC", "hours": {"daily": "00:00-24:00"}, "holidays": holidays})
    assert (cal.country, cal.subdivision) == (country, subdivision)
    assert cal.description() == f"UTC, Mon–Sun 00:00–24:00, {tail}"


GOOD_HOURS = {"mon-fri": "08:00-18:00"}


@pytest.mark.parametrize(("config", "message"), [
    ("Europe/London", "calendar: expected a mapping with timezone, hours and holidays"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "tz": LONDON}, "calendar: unknown key 'tz'; expected timezone"),
    ({"hours": GOOD_HOURS}, "calendar: timezone is missing"),
    ({"timezone": LONDON}, "calendar: hours is missing"),
    ({"timezone": "Mars/Olympus_Mons", "hours": GOOD_HOURS},
     "calendar.timezone: unknown time zone 'Mars/Olympus_Mons'"),
    ({"timezone": LONDON, "hours": "08:00-18:00"}, "calendar.hours: expected a mapping of days to hours"),
    ({"timezone": LONDON, "hours": {"mon-fry": "08:00-18:00"}},
     "calendar.hours.mon-fry: unknown weekday 'fry'; use mon, tue"),
    ({"timezone": LONDON, "hours": {"fri-mon": "08:00-18:00"}},
     "calendar.hours.fri-mon: day range 'fri-mon' runs backwards"),
    ({"timezone": LONDON, "hours": {"mon-fri": "08:00-18:00", "mon": "09:00-10:00"}},
     "calendar.hours.mon: Monday is already given by 'mon-fri'"),
    ({"timezone": LONDON, "hours": {"mon": "18:00-08:00"}},
     "calendar.hours.mon: time range '18:00-08:00' ends at or before its start; split hours past midnight"),
    ({"timezone": LONDON, "hours": {"mon": "09:00-09:00"}},
     "calendar.hours.mon: time range '09:00-09:00' ends at or before its start"),
    ({"timezone": LONDON, "hours": {"mon-fri": ["08:00-12:00", "11:00-13:00"]}},
     "calendar.hours.mon-fri: Monday: intervals 08:00–12:00 and 11:00–13:00 overlap"),
    ({"timezone": LONDON, "hours": {"mon": "8am-5pm"}}, "calendar.hours.mon: bad time '8am'; write HH:MM"),
    ({"timezone": LONDON, "hours": {"mon": "08:00-25:00"}},
     "calendar.hours.mon: bad time '25:00'; times run from 00:00 to 24:00"),
    ({"timezone": LONDON, "hours": {"mon": "08:60-09:00"}}, "calendar.hours.mon: bad time '08:60'"),
    ({"timezone": LONDON, "hours": {"mon": "24:00-24:00"}},
     "calendar.hours.mon: '24:00-24:00' starts at 24:00; 24:00 can only end a range"),
    ({"timezone": LONDON, "hours": {"mon": "08:00"}}, "calendar.hours.mon: bad time range '08:00'"),
    ({"timezone": LONDON, "hours": {"mon": 480}}, "calendar.hours.mon: expected a time range such as 08:00-18:00"),
    ({"timezone": LONDON, "hours": {"mon": "closed"}}, "calendar.hours: the calendar is never open"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": ["2026-12-24"]},
     "calendar.holidays: expected a mapping with country, subdivision and dates"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": {"region": "ENG"}},
     "calendar.holidays: unknown key 'region'"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": {"country": "XX"}},
     "calendar.holidays.country: unknown country code 'XX'"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": {"country": "GB", "subdivision": "XYZ"}},
     "calendar.holidays.subdivision: GB has no subdivision 'XYZ'; known: ENG, NIR, SCT, WLS"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": {"subdivision": "ENG"}},
     "calendar.holidays.subdivision: needs a country"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": {"dates": ["2026-02-30"]}},
     "calendar.holidays.dates[0]: bad date '2026-02-30'; write YYYY-MM-DD"),
    ({"timezone": LONDON, "hours": GOOD_HOURS, "holidays": {"dates": "2026-12-24"}},
     "calendar.holidays.dates: expected a list of dates"),
])
def test_config_errors(config: object, message: str) -> None:
    with pytest.raises(UsageError) as info:
        Calendar.from_config(config)  # type: ignore[arg-type]
    assert str(info.value).startswith(message), str(info.value)


def test_config_error_names_the_given_place() -> None:
    with pytest.raises(UsageError, match=r"^targets\.calendar\.hours\.sat: bad time"):
        Calendar.from_config({"timezone": LONDON, "hours": {"sat": "9-13"}}, where="targets.calendar")


@pytest.mark.parametrize(("hours", "message"), [
    ({7: [(0, H)]}, "weekday 7 is not 0 (Monday) … 6 (Sunday)"),
    ({0: [(2 * H, H)]}, "Monday: interval 02:00–01:00 must have 00:00 <= start < end <= 24:00"),
    ({0: [(0, 25 * H)]}, "Monday: interval 00:00–25:00 must have"),
    ({6: [(0, 2 * H), (H, 3 * H)]}, "Sunday: intervals 00:00–02:00 and 01:00–03:00 overlap"),
])
def test_constructor_checks_hours(hours: dict, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        Calendar(tz=LONDON, hours=hours)


def test_constructor_checks_time_zone_and_sorts() -> None:
    with pytest.raises(UsageError, match="unknown time zone 'Nowhere'"):
        Calendar(tz="Nowhere", hours={0: [(0, H)]})
    cal = Calendar(tz=LONDON, hours={2: [(13 * H, 17 * H), (8 * H, 12 * H)], 0: [], 1: [(H, 2 * H)]})
    assert cal.hours == {1: [(H, 2 * H)], 2: [(8 * H, 12 * H), (13 * H, 17 * H)]}
    assert hash(cal) == hash(Calendar(tz=LONDON, hours={1: [(H, 2 * H)]}))   # usable as a cache key


# -- business duration units ----------------------------------------------------------------

def test_business_day_seconds() -> None:
    assert SHOP.business_day_seconds == 10 * H            # five 10 h days beat one 4 h Saturday
    assert make({"mon-fri": ["08:00-12:00", "13:00-17:00"]}).business_day_seconds == 8 * H
    # tie (three 8 h days, three 6 h days): the longer one
    assert make({"mon-wed": "09:00-17:00", "thu-sat": "10:00-16:00"}).business_day_seconds == 8 * H
    assert ALWAYS.business_day_seconds == 24 * H


@pytest.mark.parametrize(("text", "seconds"), [
    ("2bd", 20 * H), ("8bh", 8 * H), ("1.5bd", 15 * H), (" 2 BD ", 20 * H), ("0bh", 0), ("0.5bh", 1800),
])
def test_parse_business_duration(text: str, seconds: float) -> None:
    assert parse_business_duration(text, SHOP) == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("2h", "resolved_within: '2h' is not in business time; use bd (business days) or bh"),
    ("2", "resolved_within: '2' is not in business time"),
    ("two days", "resolved_within: 'two days' is not a business duration; write e.g. 2bd or 8bh"),
    ("-1bd", "resolved_within: '-1bd' is negative"),
])
def test_parse_business_duration_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_business_duration(text, SHOP, what="resolved_within")
    assert str(info.value).startswith(message), str(info.value)


def test_import_is_cheap() -> None:
    code = "import sys, hdkpi.calendar; print('holidays' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
