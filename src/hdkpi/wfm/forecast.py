"""``hdkpi forecast``: the next weeks' volume per interval, with an 80 % band, judged by a backtest.

A count KPI (calls_offered, ticket_volume, …) is counted per interval of local time (15m, 30m, 1h
or day) up to ``--now``; each series (one per ``--by`` group) becomes a matrix of local days ×
slots of the day, so weekly and intraday seasonality are rows and columns, and a DST day keeps its
wall-clock slots (a 23-hour day lacks one hour's slots, a 25-hour day's repeated hour is the mean of
its two intervals in the history and is forecast twice). Models, every one vectorised over series:

- ``seasonal-naive``: the same weekday and slot one week earlier, or the last known such day across a gap
  (the benchmark, always computed);
- ``weekly-mean``: the mean of the same weekday and slot over its last four known days;
- ``hw-profile``: daily totals by Holt–Winters with a multiplicative weekly season (level and
  season smoothing picked by one-step error over a small grid), spread over the day by the
  weekday's intraday profile of the last six weeks (the top-down method of workforce planning).

``auto`` picks per series the model with the lowest interval WAPE in the backtest (rolling origins
one week apart over the last weeks before ``--now``). The 80 % band is a negative-binomial band
around the forecast: variance f + φ·f², φ from the model's backtest errors (Poisson when there is
no backtest). The calendar (targets file ``calendar:``) closes periods: outside open hours and on
holidays the forecast is 0 with the band 0–0, and those days are left out of every fit; a whole
day without any record in the input is a gap (missing), not a zero day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

MODELS = ("seasonal-naive", "weekly-mean", "hw-profile")
BENCHMARK = "seasonal-naive"
DAY = 86400
WEEK = 7
Z80 = 1.2815515655446004  #: the normal quantile of 0.9: an 80 % two-sided band
MEAN_WEEKS = 4  #: weekly-mean: weeks averaged
PROFILE_WEEKS = 6  #: hw-profile: weeks of the intraday profile
ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)  #: hw-profile: level smoothing tried
GAMMAS = (0.02, 0.05, 0.1, 0.2, 0.3)  #: hw-profile: season smoothing tried


@dataclass
class ForecastOptions:
    step: int = 1800  #: seconds per interval; 86400: local days
    horizon: float = 14 * DAY  #: seconds forecast after now
    now: "pd.Timestamp | None" = None  #: the forecast starts here (None: the interval after the last record)
    tz: str = "UTC"
    model: str = "auto"
    backtest: float | None = None  #: seconds of rolling-origin backtest (None: two weeks when the history allows)
    calendar: Any = None  #: hdkpi.calendar.Calendar: closed periods


@dataclass
class Grid:
    """The local-day × slot layout of a span of intervals (UTC interval starts in ``starts``)."""

    starts: "pd.DatetimeIndex"  #: every interval start, UTC
    day: "np.ndarray"  #: each interval's local day index (0 = the first day)
    slot: "np.ndarray"  #: each interval's slot of the day (local time-of-day ÷ step)
    days: "pd.DatetimeIndex"  #: local midnights (tz-aware), one per day index
    slots: int  #: slots per day
    closed: "np.ndarray"  #: per interval: closed by the calendar

    @property
    def weekday(self) -> "np.ndarray":
        return self.days.day_of_week.to_numpy()


@dataclass
class Forecast:
    """A forecast run: future records, the backtest, notes."""

    records: "pd.DataFrame"  #: period_start (local, tz-aware), dims…, kpi, forecast, low, high, model
    backtest: "pd.DataFrame"  #: series, model, level (interval | day), wape, bias, coverage, n
    chosen: dict[str, str]  #: series label → model
    history: "pd.DataFrame"  #: period_start, dims…, actual (the weeks before now), for charts
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


# -- the grid ----------------------------------------------------------------------------------

def grid(first: "pd.Timestamp", end: "pd.Timestamp", step: int, tz: str, calendar: Any = None) -> Grid:
    """Intervals from the local midnight of ``first`` up to ``end`` (exclusive), in real time: a
    23-hour day has 46 half hours, a 25-hour day 50."""
    import numpy as np
    import pandas as pd

    start_day = pd.Timestamp(first).tz_convert(tz).normalize()
    end_day = pd.Timestamp(end).tz_convert(tz).normalize() + pd.Timedelta(days=1)
    days = pd.date_range(start_day.tz_localize(None), end_day.tz_localize(None), freq="D")
    days = days.tz_localize(tz, ambiguous=np.ones(len(days), dtype=bool), nonexistent="shift_forward")
    if step >= DAY:
        starts = days[:-1].tz_convert("UTC")
        starts = starts[starts < end]
        local = starts.tz_convert(tz)
        slot = np.zeros(len(starts), dtype=np.int64)
    else:
        starts = pd.date_range(days[0].tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC"),
                               freq=pd.Timedelta(seconds=step), inclusive="left")
        local = starts.tz_convert(tz)
        seconds = (local.hour * 3600 + local.minute * 60 + local.second).to_numpy()
        slot = (seconds // step).astype(np.int64)
    starts = starts.as_unit("ns")
    day_of = np.searchsorted(days.tz_convert("UTC").as_unit("ns").asi8, starts.asi8, side="right") - 1
    closed = np.zeros(len(starts), dtype=bool)
    if calendar is not None and len(starts):
        from ..calendar import OpenClock

        a = starts.asi8 // 1000  # µs, as the business clock counts
        clock = OpenClock.spanning(calendar, int(a.min()), int(a.max()) + DAY * 10**6)
        b = a + step * 10**6
        closed = (clock.position(b) - clock.position(a)) <= 0
    return Grid(starts=starts, day=day_of.astype(np.int64), slot=slot, days=days[:-1],
                slots=1 if step >= DAY else DAY // step, closed=closed)


def matrix(values: "np.ndarray", g: Grid) -> "np.ndarray":
    """Per series (rows of ``values``: series × intervals) the days × slots matrix: a slot that a DST
    day lacks is NaN; a slot it has twice holds the mean of the two."""
    import numpy as np

    series, _ = values.shape
    total = np.zeros((series, len(g.days), g.slots))
    count = np.zeros((len(g.days), g.slots))
    np.add.at(count, (g.day, g.slot), 1)
    flat = g.day * g.slots + g.slot
    for_sum = np.zeros((series, len(g.days) * g.slots))
    ok = ~np.isnan(values)
    np.add.at(for_sum.T, flat, np.where(ok, values, 0.0).T)
    seen = np.zeros((series, len(g.days) * g.slots))
    np.add.at(seen.T, flat, ok.T.astype(float))
    total = for_sum.reshape(series, len(g.days), g.slots)
    seen = seen.reshape(series, len(g.days), g.slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(seen > 0, total / np.maximum(seen, 1), np.nan)
    out[:, count == 0] = np.nan
    return out


# -- models: history matrix (NaN = unknown) → forecast of every cell from the origin on ---------

def seasonal_naive(h: "np.ndarray", origin: int) -> "np.ndarray":
    """The same weekday and slot in the last week before the origin day that has it (further back across
    gaps), else the mean of that slot over the history."""
    import numpy as np

    series, days, slots = h.shape
    f = np.full_like(h, np.nan)
    fallback = _nanmean(h[:, :origin], axis=1)  # series × slots
    known = _known_days(h, origin)
    for d in range(origin, days):  # days of the horizon: a few dozen
        value = np.full((series, slots), np.nan)
        for back in _same_weekday(d, origin, known):
            value = np.where(np.isnan(value), h[:, back], value)
            if not np.isnan(value).any():
                break
        f[:, d] = np.where(np.isnan(value), fallback, value)
    return np.nan_to_num(f, nan=0.0)


def _known_days(h: "np.ndarray", origin: int) -> "np.ndarray":
    """Days before the origin with any known slot in any series (not a gap, not closed, not before every
    series started)."""
    import numpy as np

    known = np.zeros(h.shape[1], dtype=bool)
    known[:origin] = ~np.isnan(h[:, :origin]).all(axis=(0, 2))
    return known


def _same_weekday(d: int, origin: int, known: "np.ndarray") -> list[int]:
    """The known days before ``origin`` on ``d``'s weekday, the most recent first."""
    first = d - ((d - origin) // WEEK + 1) * WEEK
    return [back for back in range(first, -1, -WEEK) if known[back]]


def weekly_mean(h: "np.ndarray", origin: int, weeks: int = MEAN_WEEKS) -> "np.ndarray":
    """The mean of the same weekday and slot over its last ``weeks`` known days before the origin (gaps
    and closed days left out)."""
    import numpy as np

    series, days, slots = h.shape
    f = np.full_like(h, np.nan)
    fallback = _nanmean(h[:, :origin], axis=1)
    known = _known_days(h, origin)
    for d in range(origin, days):
        backs = _same_weekday(d, origin, known)[:weeks]
        value = _nanmean(h[:, backs], axis=1) if backs else np.full((series, slots), np.nan)
        f[:, d] = np.where(np.isnan(value), fallback, value)
    return np.nan_to_num(f, nan=0.0)


def hw_profile(h: "np.ndarray", origin: int, weekday: "np.ndarray", dom: "np.ndarray | None" = None) -> "np.ndarray":
    """Holt–Winters on daily totals (level, multiplicative weekly season; α, γ by one-step squared
    error over a small grid), times a day-of-month factor once eight weeks are known (banks' month-start
    peaks), times the weekday's intraday profile over the last six weeks."""
    import numpy as np

    series, days, slots = h.shape
    known_day = ~np.isnan(h[:, :origin]).all(axis=2)  # a day with any known slot
    totals = np.where(known_day, np.nansum(h[:, :origin], axis=2), np.nan)  # series × origin days
    # intraday profile per weekday: slot volume ÷ day volume over the last PROFILE_WEEKS weeks
    profile = np.full((series, WEEK, slots), np.nan)
    known = _known_days(h, origin)
    for w in range(WEEK):
        picked = [d for d in range(origin - 1, -1, -1) if weekday[d] == w and known[d]][:PROFILE_WEEKS]
        if picked:
            block = h[:, picked]  # series × k × slots
            volume = np.nansum(block, axis=1)
            share = volume / np.maximum(volume.sum(axis=1, keepdims=True), 1e-12)
            profile[:, w] = np.where(volume.sum(axis=1, keepdims=True) > 0, share, 1.0 / slots)
    profile = np.where(np.isnan(profile), 1.0 / slots, profile)
    daily = _holt_winters(totals, weekday[:origin], weekday[origin:days],
                          None if dom is None else dom[:origin], None if dom is None else dom[origin:days])
    f = np.zeros_like(h)
    f[:, origin:] = daily[:, :, None] * profile[:, weekday[origin:days]]
    return f


def _holt_winters(totals: "np.ndarray", past_weekday: "np.ndarray", future_weekday: "np.ndarray",
                  past_dom: "np.ndarray | None" = None, future_dom: "np.ndarray | None" = None) -> "np.ndarray":
    """Daily totals forecast, multiplicative weekly season, no trend; a NaN day skips its update.
    Every (α, γ) of the grid runs at once (the last axis); the one with the least one-step squared
    error forecasts. With the days of the month and eight weeks of history, each day of the month
    gets a factor: the mean ratio of its days' totals to their one-step forecasts, shrunk towards 1
    by the number of such days (k / (k + 3)), within 0.5–2."""
    import numpy as np

    series, n = totals.shape
    alphas, gammas = np.meshgrid(ALPHAS, GAMMAS, indexing="ij")
    alphas, gammas = alphas.ravel(), gammas.ravel()
    combos = len(alphas)
    first = totals[:, : min(n, 2 * WEEK)]
    level0 = _nanmean(first, axis=1)
    level0 = np.where(np.isnan(level0) | (level0 <= 0), _nanmean(totals, axis=1), level0)
    level0 = np.nan_to_num(level0, nan=0.0)
    season0 = np.ones((series, WEEK))
    for w in range(WEEK):
        cols = [d for d in range(min(n, 4 * WEEK)) if past_weekday[d] == w]
        if cols:
            m = _nanmean(totals[:, cols], axis=1)
            season0[:, w] = np.where(np.isnan(m) | (level0 <= 0), 1.0, m / np.maximum(level0, 1e-12))
    level = np.repeat(level0[:, None], combos, axis=1)  # series × combos
    season = np.repeat(season0[:, :, None], combos, axis=2)  # series × 7 × combos
    error = np.zeros((series, combos))
    history = np.full((series, combos, n), np.nan)  # one-step forecasts, for the day-of-month factor
    for d in range(n):  # days of the history: a few hundred at most
        w = past_weekday[d]
        y = totals[:, d][:, None]
        predicted = level * season[:, w]
        history[:, :, d] = np.where(season[:, w] > 0.05, predicted, np.nan)
        known = ~np.isnan(y)
        error += np.where(known, (y - predicted) ** 2, 0.0)
        s = np.maximum(season[:, w], 1e-6)
        # a day whose season is near nothing (a quiet weekend) says little of the level: season only
        new_level = np.where(known & (season[:, w] > 0.05), alphas * (y / s) + (1 - alphas) * level, level)
        new_season = np.where(known & (new_level > 0), gammas * (y / np.maximum(new_level, 1e-12))
                              + (1 - gammas) * season[:, w], season[:, w])
        level, season[:, w] = new_level, new_season
    best = np.argmin(error, axis=1)
    rows = np.arange(series)
    out = level[rows, best][:, None] * season[rows, :, best][:, future_weekday]
    if past_dom is not None and future_dom is not None and n >= 8 * WEEK:
        fitted = history[rows, best]  # series × n
        ok = ~np.isnan(totals) & ~np.isnan(fitted) & (fitted > 0)
        ratio = np.where(ok, totals / np.where(ok, fitted, 1.0), 0.0)
        sums = np.zeros((series, 32))
        counts = np.zeros((series, 32))
        np.add.at(sums.T, past_dom, ratio.T)
        np.add.at(counts.T, past_dom, ok.T.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
        factor = np.clip(1 + (mean - 1) * counts / (counts + 3), 0.5, 2.0)
        out = out * factor[:, future_dom]
    return np.maximum(np.nan_to_num(out, nan=0.0), 0.0)


def _nanmean(a: "np.ndarray", axis: int) -> "np.ndarray":
    import numpy as np

    count = (~np.isnan(a)).sum(axis=axis)
    total = np.nansum(a, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def run_model(name: str, h: "np.ndarray", origin: int, weekday: "np.ndarray",
              dom: "np.ndarray | None" = None) -> "np.ndarray":
    if name == "seasonal-naive":
        return seasonal_naive(h, origin)
    if name == "weekly-mean":
        return weekly_mean(h, origin)
    if name == "hw-profile":
        return hw_profile(h, origin, weekday, dom)
    raise UsageError(f"--model {name!r}: use auto or one of {', '.join(MODELS)}")


# -- the band ----------------------------------------------------------------------------------

def dispersion(actual: "np.ndarray", predicted: "np.ndarray") -> "np.ndarray":
    """φ of a negative-binomial variance f + φ·f², by moments over backtest cells (per series; ≥ 0)."""
    import numpy as np

    ok = ~np.isnan(actual) & (predicted > 0)
    excess = np.where(ok, (actual - predicted) ** 2 - predicted, 0.0).sum(axis=-1)
    scale = np.where(ok, predicted ** 2, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, np.maximum(excess / np.maximum(scale, 1e-12), 0.0), 0.0)


def band(f: "np.ndarray", phi: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    import numpy as np

    sd = np.sqrt(f + phi * f ** 2)
    return np.maximum(f - Z80 * sd, 0.0), f + Z80 * sd


# -- the run ---------------------------------------------------------------------------------------

def forecast(anchor: "pd.Series", counted: "pd.Series", groups: "pd.Series | None", by: str | None, kpi: str,
             options: ForecastOptions) -> Forecast:
    """Forecast the count of ``counted`` records (a boolean per record, placed at ``anchor``) per
    interval, per group of ``groups`` (named ``by``) when given: count, mark what is unknown, backtest,
    choose, forecast."""
    import numpy as np
    import pandas as pd

    notes: list[str] = []
    times = anchor[counted.fillna(False).astype(bool) & anchor.notna()]
    if not len(times):
        raise UsageError(f"forecast: no records of {kpi} to learn from")
    step, tz = options.step, options.tz
    now = _start_of(times, options)
    times = times[times < now]
    if not len(times):
        raise UsageError(f"forecast: no records of {kpi} before --now {now.isoformat()}")
    g = grid(times.min(), now + pd.Timedelta(seconds=options.horizon), step, tz, options.calendar)
    if not len(g.starts):
        raise UsageError("forecast: the horizon holds no interval")
    counts, names, first_day, day_has_record = _counts(times, groups, g)
    future = g.starts >= now
    now_day = int(g.day[np.argmax(future)]) if future.any() else len(g.days)
    values = _known(counts, g, future, now_day, first_day, day_has_record, notes)
    h = matrix(values, g)
    weekday, dom = g.weekday, g.days.day.to_numpy()
    history_days = int(now_day - first_day.min())
    backtest_weeks = _backtest_weeks(options.backtest, history_days, notes)
    wanted = list(MODELS) if options.model == "auto" else list(dict.fromkeys([options.model, BENCHMARK]))
    for name in wanted:
        if name not in MODELS:
            raise UsageError(f"--model {name!r}: use auto or one of {', '.join(MODELS)}")
    if history_days < 2 * WEEK:
        notes.append(f"the history holds {history_days} day(s), less than two weeks: seasonal naive only")
        wanted = [BENCHMARK]
    horizon_days = int(np.ceil(options.horizon / DAY)) + 1
    scores, phis, origins = _backtest(h, now_day, backtest_weeks, horizon_days, wanted, weekday, dom)
    if options.model == "auto" and scores:  # per series: the lowest interval WAPE, the simpler model on a tie
        chosen = {label: min(wanted, key=lambda m: (np.nan_to_num(scores[m]["interval_wape"][s], nan=np.inf),
                                                    MODELS.index(m))) for s, label in enumerate(names)}
    else:
        chosen = dict.fromkeys(names, wanted[0])
    records = _future(h, g, future, now_day, weekday, dom, names, chosen, phis, kpi)
    if by:
        records.insert(1, by, records["series"])
    records = records.drop(columns=["series"])
    past = ~future & (g.starts >= now - pd.Timedelta(days=28))
    hist = pd.DataFrame({"period_start": np.tile(g.starts[past].tz_convert(tz), len(names)),
                         "series": np.repeat(names, int(past.sum())), "actual": counts[:, past].ravel()})
    notes.append("80 % band: negative binomial around the forecast, variance f + φ·f² with φ from the backtest"
                 if phis else "80 % band: Poisson around the forecast (no backtest to measure the error)")
    facts = {"kpi": kpi, "every": _every_label(step), "horizon_seconds": options.horizon, "now": now.isoformat(),
             "time_zone": tz, "model": options.model, "chosen": chosen, "history_days": history_days,
             "backtest_weeks": backtest_weeks, "origins": origins, "by": by,
             "closed_periods": int(g.closed[future].sum())}
    return Forecast(records=records, backtest=_backtest_table(scores, names, by), chosen=chosen, history=hist,
                    notes=notes, facts=facts)


def _start_of(times: "pd.Series", options: ForecastOptions) -> "pd.Timestamp":
    """``--now``, else the start of the interval after the last record (in local time)."""
    import pandas as pd

    if options.now is not None:
        return pd.Timestamp(options.now).tz_convert("UTC")
    last = times.max()
    starts = grid(last, last + pd.Timedelta(seconds=max(options.step, 1)), options.step, options.tz).starts
    after = starts[starts > last]
    return pd.Timestamp(after[0] if len(after) else last + pd.Timedelta(seconds=options.step)).tz_convert("UTC")


def _counts(times: "pd.Series", groups: "pd.Series | None",
            g: Grid) -> tuple["np.ndarray", list[str], "np.ndarray", "np.ndarray"]:
    """Records per series × interval, the series' names, each series' first day, and the days with a record."""
    import numpy as np
    import pandas as pd

    position = np.searchsorted(g.starts.asi8, pd.DatetimeIndex(times).as_unit("ns").asi8, side="right") - 1
    if groups is not None:
        codes, uniques = pd.factorize(groups.loc[times.index].astype("string").fillna("(empty)"), sort=True)
        names = [str(n) for n in uniques]
    else:
        codes, names = np.zeros(len(times), dtype=np.int64), ["all"]
    counts = np.zeros((len(names), len(g.starts)))
    np.add.at(counts, (codes, position), 1.0)
    first_day = np.full(len(names), len(g.days))
    np.minimum.at(first_day, codes, g.day[position])
    day_has_record = np.zeros(len(g.days), dtype=bool)
    day_has_record[g.day[position]] = True
    return counts, names, first_day, day_has_record


def _known(counts: "np.ndarray", g: Grid, future: "np.ndarray", now_day: int, first_day: "np.ndarray",
           day_has_record: "np.ndarray", notes: list[str]) -> "np.ndarray":
    """The counts with what is unknown as NaN: the future, gap days, closed days (out of every fit), and the
    days before a series' first record."""
    import numpy as np

    gap_days = _gaps(day_has_record, g.weekday, now_day)
    closed_days = _closed_days(g)
    gap_days &= ~closed_days
    if gap_days.any():
        notes.append(f"{int(gap_days.sum())} day(s) without any record in the input taken as gaps (unknown), "
                     f"not zero days: {', '.join(str(d.date()) for d in g.days[gap_days][:5])}"
                     + ("…" if gap_days.sum() > 5 else ""))
    values = counts.copy()
    values[:, future | gap_days[g.day] | closed_days[g.day]] = np.nan
    values[g.day[None, :] < first_day[:, None]] = np.nan
    return values


def _future(h: "np.ndarray", g: Grid, future: "np.ndarray", now_day: int, weekday: "np.ndarray", dom: "np.ndarray",
            names: list[str], chosen: dict[str, str], phis: dict, kpi: str) -> "pd.DataFrame":
    """The forecast records of every series from its chosen model, with the band; closed periods 0 (0–0)."""
    import numpy as np
    import pandas as pd

    models = sorted(set(chosen.values()))
    stack = np.stack([run_model(m, h, now_day, weekday, dom) for m in models])  # models × series × days × slots
    which = np.array([models.index(chosen[n]) for n in names])
    rows = np.arange(len(names))[:, None]
    f = stack[which[:, None], rows, g.day[future][None, :], g.slot[future][None, :]]  # series × future intervals
    phi = np.array([phis[chosen[n]][s] if chosen[n] in phis else 0.0 for s, n in enumerate(names)])
    low, high = band(f, phi[:, None])
    closed = np.broadcast_to(g.closed[future], f.shape)
    f, low, high = (np.where(closed, 0.0, x) for x in (f, low, high))
    starts = g.starts[future].tz_convert(g.days.tz)
    return pd.DataFrame({"period_start": np.tile(starts, len(names)), "series": np.repeat(names, int(future.sum())),
                         "kpi": kpi, "forecast": f.ravel(), "low": low.ravel(), "high": high.ravel(),
                         "model": np.where(closed, "closed", np.array([chosen[n] for n in names])[:, None]).ravel()})


def _gaps(day_has_record: "np.ndarray", weekday: "np.ndarray", now_day: int) -> "np.ndarray":
    """Days of the history without any record, on a weekday that has records on most of its days: the
    export lacks them (unknown). A weekday without records on most days (a desk closed on Sundays)
    keeps its empty days as zero days."""
    import numpy as np

    past = np.arange(len(day_has_record)) < now_day
    with_records = np.bincount(weekday[past], weights=day_has_record[past].astype(float), minlength=WEEK)
    days = np.bincount(weekday[past], minlength=WEEK)
    busy_weekday = with_records * 2 > days
    return past & ~day_has_record & busy_weekday[weekday]


def _closed_days(g: Grid) -> "np.ndarray":
    """Days whose every interval the calendar closes (weekends of a Mon–Fri desk, holidays)."""
    import numpy as np

    open_count = np.zeros(len(g.days))
    np.add.at(open_count, g.day, (~g.closed).astype(float))
    any_interval = np.zeros(len(g.days))
    np.add.at(any_interval, g.day, 1.0)
    return (any_interval > 0) & (open_count == 0) & g.closed.any()


def _backtest_weeks(asked: float | None, history_days: int, notes: list[str]) -> int:
    import math

    room = max((history_days - WEEK) // WEEK, 0)  # each origin keeps a week to learn from
    if asked is not None:
        weeks = math.ceil(asked / (WEEK * DAY))
        if weeks > room:
            notes.append(f"backtest shortened to {room} week(s): each origin needs a week of history before it")
        return min(weeks, room)
    return min(2, room)


def _backtest(h: "np.ndarray", now_day: int, weeks: int, horizon_days: int, wanted: list[str],
              weekday: "np.ndarray", dom: "np.ndarray") -> tuple[dict, dict, int]:
    """Per model: interval and daily WAPE, bias, band coverage per series over rolling origins (the days
    now − k weeks, k = weeks … 1, each forecasting up to the horizon or now); φ per model."""
    import numpy as np

    if weeks <= 0:
        return {}, {}, 0
    models = list(dict.fromkeys([*wanted, BENCHMARK]))
    series = h.shape[0]
    actual_all, predicted = [], {m: [] for m in models}
    day_actual, day_pred = [], {m: [] for m in models}
    for k in range(weeks, 0, -1):
        origin = now_day - k * WEEK
        last = min(origin + horizon_days, now_day)
        hidden = h.copy()
        hidden[:, origin:] = np.nan
        truth = h[:, origin:last]  # series × days × slots (NaN: unknown, closed, gap)
        actual_all.append(truth.reshape(series, -1))
        day_actual.append(np.where(np.isnan(truth).all(axis=2), np.nan, np.nansum(truth, axis=2)))
        for m in models:
            f = run_model(m, hidden, origin, weekday, dom)[:, origin:last]
            f = np.where(np.isnan(truth), np.nan, f)
            predicted[m].append(f.reshape(series, -1))
            day_pred[m].append(np.where(np.isnan(truth).all(axis=2), np.nan, np.nansum(f, axis=2)))
    y = np.concatenate(actual_all, axis=1)
    yd = np.concatenate(day_actual, axis=1)
    scores, phis = {}, {}
    for m in models:
        f = np.concatenate(predicted[m], axis=1)
        fd = np.concatenate(day_pred[m], axis=1)
        phi = dispersion(y, np.nan_to_num(f))
        low, high = band(np.nan_to_num(f), phi[:, None])
        inside = ((y >= low) & (y <= high)) | np.isnan(y)
        # coverage over the intervals that had or were given volume (a night of 0 forecast 0 proves nothing)
        known = ~np.isnan(y) & ((y > 0) | (np.nan_to_num(f) > 0))
        scores[m] = {"interval_wape": _wape(y, f), "daily_wape": _wape(yd, fd), "interval_bias": _bias(y, f),
                     "daily_bias": _bias(yd, fd),
                     "coverage": np.where(known.sum(axis=1) > 0, (inside & known).sum(axis=1)
                                          / np.maximum(known.sum(axis=1), 1), np.nan),
                     "intervals": (~np.isnan(y)).sum(axis=1), "days": (~np.isnan(yd)).sum(axis=1),
                     "pooled": {"interval_wape": _wape(y.ravel()[None], f.ravel()[None])[0],
                                "daily_wape": _wape(yd.ravel()[None], fd.ravel()[None])[0],
                                "coverage": float((inside & known).sum() / max(known.sum(), 1))}}
        phis[m] = phi
    return scores, phis, weeks


def _wape(y: "np.ndarray", f: "np.ndarray") -> "np.ndarray":
    import numpy as np

    ok = ~np.isnan(y) & ~np.isnan(f)
    total = np.where(ok, y, 0.0).sum(axis=-1)
    error = np.where(ok, np.abs(y - f), 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, error / np.maximum(total, 1e-12), np.nan)


def _bias(y: "np.ndarray", f: "np.ndarray") -> "np.ndarray":
    import numpy as np

    ok = ~np.isnan(y) & ~np.isnan(f)
    total = np.where(ok, y, 0.0).sum(axis=-1)
    error = np.where(ok, f - y, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, error / np.maximum(total, 1e-12), np.nan)


def _backtest_table(scores: dict, names: list[str], by: str | None) -> "pd.DataFrame":
    import pandas as pd

    rows = []
    for s, label in enumerate(names):
        for m, sc in scores.items():
            rows.append({"series": label, "model": m, "interval_wape": _num(sc["interval_wape"][s]),
                         "daily_wape": _num(sc["daily_wape"][s]), "interval_bias": _num(sc["interval_bias"][s]),
                         "daily_bias": _num(sc["daily_bias"][s]), "coverage": _num(sc["coverage"][s]),
                         "intervals": int(sc["intervals"][s]), "days": int(sc["days"][s])})
    return pd.DataFrame(rows, columns=["series", "model", "interval_wape", "daily_wape", "interval_bias",
                                       "daily_bias", "coverage", "intervals", "days"])


def _num(x: Any) -> float | None:
    x = float(x)
    return None if x != x else x


def _every_label(step: int) -> str:
    return "day" if step >= DAY else ("1h" if step == 3600 else f"{step // 60}m")


def parse_every(text: str) -> int:
    """``--every``: 15m, 30m, 1h (60m) or day."""
    from ..units import parse_duration

    if text in ("day", "1d", "24h"):
        return DAY
    seconds = int(parse_duration(text, what="--every"))
    if seconds < 300 or DAY % seconds or seconds > DAY:
        raise UsageError(f"--every {text}: an interval that divides a day (15m, 30m, 1h) or day")
    return seconds


# -- output ----------------------------------------------------------------------------------------

def records_csv(fc: Forecast) -> str:
    """The CSV contract: period_start (ISO 8601 with offset), one column per --by dimension, kpi, forecast,
    low, high (the 80 % band), model; one row per future period."""
    from ..output import guard

    out = fc.records.copy()
    out["period_start"] = [t.isoformat() for t in out["period_start"]]
    for c in ("forecast", "low", "high"):
        out[c] = out[c].round(4)
    return out.map(lambda x: guard(x) if isinstance(x, str) else x).to_csv(index=False, lineterminator="\n")


def records_json(fc: Forecast) -> str:
    import json

    records = fc.records.copy()
    records["period_start"] = [t.isoformat() for t in records["period_start"]]
    for c in ("forecast", "low", "high"):
        records[c] = records[c].round(4)
    doc = {"forecast": fc.facts, "notes": fc.notes,
           "records": json.loads(records.to_json(orient="records")),
           "backtest": json.loads(fc.backtest.to_json(orient="records"))}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _series(fc: Forecast) -> list[tuple[str, "pd.DataFrame"]]:
    by = fc.facts.get("by")
    if not by:
        return [("all", fc.records)]
    return [(str(name), part) for name, part in fc.records.groupby(by, sort=True)]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def backtest_lines(fc: Forecast) -> list[str]:
    """The backtest as text: per series and model, interval and daily WAPE, bias, band coverage."""
    if not len(fc.backtest):
        return ["Backtest: none (the history is too short for an origin with a week before it)"]
    weeks = fc.facts["backtest_weeks"]
    lines = [f"Backtest: {weeks} rolling origin(s) a week apart before --now, each forecasting up to the horizon",
             f"  {'series':<14} {'model':<15} {'WAPE interval':>13} {'WAPE day':>9} {'bias':>7} {'80% band':>9}"]
    for _, row in fc.backtest.iterrows():
        chosen = " ◀ chosen" if fc.chosen.get(row["series"]) == row["model"] else ""
        lines.append(f"  {str(row['series'])[:14]:<14} {row['model']:<15} {_pct(row['interval_wape']):>13} "
                     f"{_pct(row['daily_wape']):>9} {_pct(row['interval_bias']):>7} {_pct(row['coverage']):>9}{chosen}")
    return lines


def render_text(fc: Forecast) -> str:
    """People's view: per series the forecast per day (total, busiest interval), then the backtest."""
    facts = fc.facts
    lines = [f"Forecast of {facts['kpi']} per {facts['every']} from {facts['now']} for "
             f"{facts['horizon_seconds'] / DAY:g} days ({facts['time_zone']}); model {facts['model']}", ""]
    for name, part in _series(fc):
        model = fc.chosen.get(name, "")
        lines.append(f"{name}: {model}" if facts.get("by") else f"model: {model}")
        days = part.assign(day=[t.strftime("%Y-%m-%d %a") for t in part["period_start"]])
        lines.append(f"  {'day':<15} {'forecast':>9} {'busiest interval':>24}")
        for day, rows in days.groupby("day", sort=True):
            top = rows.loc[rows["forecast"].idxmax()]
            busiest = (f"{top['period_start'].strftime('%H:%M')} {top['forecast']:.1f} "
                       f"({top['low']:.0f}–{top['high']:.0f})") if top["forecast"] > 0 else "closed / none"
            lines.append(f"  {day:<15} {rows['forecast'].sum():>9.1f} {busiest:>24}")
        lines.append("")
    lines += backtest_lines(fc)
    if fc.notes:
        lines += ["", *(f"note: {n}" for n in fc.notes)]
    return "\n".join(lines) + "\n"


def render_html(fc: Forecast) -> str:
    """A self-contained page: per series the last weeks' actual volume, the forecast and its 80 % band
    (inline SVG), the daily totals, and the backtest table."""
    from html import escape

    from ..version import __version__

    facts = fc.facts
    sections = []
    for name, part in _series(fc):
        hist = fc.history[fc.history["series"] == name] if facts.get("by") else fc.history
        sections.append(f"<section><h2>{escape(name)} <small>{escape(fc.chosen.get(name, ''))}</small></h2>"
                        f"{_svg(hist, part)}</section>")
    rows = "".join(
        f"<tr><td>{escape(str(r['series']))}</td><td>{escape(r['model'])}"
        f"{' ◀' if fc.chosen.get(r['series']) == r['model'] else ''}</td><td>{_pct(r['interval_wape'])}</td>"
        f"<td>{_pct(r['daily_wape'])}</td><td>{_pct(r['interval_bias'])}</td><td>{_pct(r['coverage'])}</td></tr>"
        for _, r in fc.backtest.iterrows())
    table = ("<table><thead><tr><th>series</th><th>model</th><th>WAPE interval</th><th>WAPE day</th><th>bias</th>"
             f"<th>80% band coverage</th></tr></thead><tbody>{rows}</tbody></table>") if rows else \
        "<p>No backtest: the history is too short.</p>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in fc.notes)
    title = f"Forecast of {facts['kpi']} per {facts['every']} from {facts['now']}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{escape(title)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #1b1f24; }}
table {{ border-collapse: collapse; margin: 8px 0 24px; }}
th, td {{ padding: 4px 8px; text-align: right; border: 1px solid #e2e5e9; font-variant-numeric: tabular-nums; }}
svg {{ max-width: 100%; height: auto; }}
.hist {{ fill: none; stroke: #5b6470; stroke-width: 1; }}
.fc {{ fill: none; stroke: #1c64d1; stroke-width: 1.5; }}
.band {{ fill: #1c64d1; fill-opacity: .15; stroke: none; }}
.now {{ stroke: #b42318; stroke-dasharray: 4 3; }}
</style></head><body>
<h1>{escape(title)}</h1>
<p>{escape(facts['time_zone'])}; horizon {facts['horizon_seconds'] / DAY:g} days; grey: actual volume of the last
weeks; blue: the forecast and its 80 % band; red: --now.</p>
{''.join(sections)}
<h2>Backtest</h2>{table}
<ul>{notes}</ul>
<footer>hdkpi {escape(__version__)} · forecast</footer>
</body></html>
"""


def _svg(hist: "pd.DataFrame", future: "pd.DataFrame", width: int = 960, height: int = 220) -> str:
    import numpy as np

    times = np.r_[hist["period_start"].astype("int64").to_numpy(), future["period_start"].astype("int64").to_numpy()]
    if not len(times):
        return ""
    top = max(float(hist["actual"].max()) if len(hist) else 0.0, float(future["high"].max()), 1.0)
    lo_t, hi_t = float(times.min()), float(times.max()) or 1.0
    span = max(hi_t - lo_t, 1.0)

    def xy(t: "np.ndarray", v: "np.ndarray") -> list[str]:
        x = 40 + (t.astype(float) - lo_t) / span * (width - 50)
        y = height - 20 - np.asarray(v, dtype=float) / top * (height - 30)
        return [f"{a:.1f},{b:.1f}" for a, b in zip(x, y)]

    ft = future["period_start"].astype("int64").to_numpy()
    band = xy(ft, future["high"].to_numpy()) + xy(ft[::-1], future["low"].to_numpy()[::-1])
    now_x = 40 + (float(ft.min()) - lo_t) / span * (width - 50) if len(ft) else width
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="actual and forecast volume">',
             f'<text x="4" y="14" font-size="11">{top:.0f}</text><text x="4" y="{height - 20}" font-size="11">0</text>',
             f'<polygon class="band" points="{" ".join(band)}"/>']
    if len(hist):
        points = xy(hist["period_start"].astype("int64").to_numpy(), hist["actual"].to_numpy())
        parts.append(f'<polyline class="hist" points="{" ".join(points)}"/>')
    parts.append(f'<polyline class="fc" points="{" ".join(xy(ft, future["forecast"].to_numpy()))}"/>')
    parts.append(f'<line class="now" x1="{now_x:.1f}" x2="{now_x:.1f}" y1="5" y2="{height - 20}"/></svg>')
    return "".join(parts)
