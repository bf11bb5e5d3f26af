"""Forecast accuracy on real call-centre volumes: 14-day horizons from many origins.

    python bench/forecast.py [--horizon 14d] [--every 4w] [--calendar]

Data (bench/data/README.md): the Anonymous Bank (Israel) call centre's arrivals of 1999 in 6-minute
bins (every call, 445 k), and a North American bank's weekday arrivals of 2003 in 5-minute bins
(5.3 M calls). The counts become records at their bin's middle and go through hdkpi's forecaster
as a call export's records do (hdkpi.wfm.forecast.forecast). From each origin (one every four
weeks once twelve weeks of history exist) it forecasts 14 days of 30-minute intervals with every
model and with ``auto`` (chosen by a four-week rolling backtest before the origin), then holds the
forecasts against what happened: WAPE at the interval and the daily level, bias, and the share of
intervals inside the 80 % band (intervals with volume or forecast volume). Goals (issue "Forecast
and plan"): interval WAPE below the seasonal naive's at most origins and on average, daily WAPE
≤ 10 %, 80 % band coverage between 70 % and 90 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from hdkpi.wfm.forecast import MODELS, ForecastOptions, forecast  # noqa: E402


def israeli_bank() -> pd.Series:
    """Arrival instants (one per call, at the middle of its 6-minute bin; a half call of the packager's
    imputed day rounds to the nearest whole)."""
    counts = pd.read_csv(HERE / "data" / "anonymous_bank_1999_6min_counts.csv.gz")
    start = pd.to_datetime(counts["date"]) + pd.to_timedelta(counts["interval_start"]) + pd.Timedelta(minutes=3)
    n = np.rint(counts["calls"].to_numpy()).astype(int)
    return pd.Series(np.repeat(start.to_numpy(), n)).dt.tz_localize("UTC")


def us_bank() -> pd.Series:
    counts = pd.read_csv(HERE / "data" / "us_bank_2003_5min_counts.csv.gz")
    start = pd.to_datetime(counts["interval_start"]) + pd.Timedelta(seconds=150)
    return pd.Series(np.repeat(start.to_numpy(), counts["calls"].to_numpy().astype(int))).dt.tz_localize("UTC")


def actual_counts(times: pd.Series, starts: pd.DatetimeIndex, step: int) -> np.ndarray:
    edges = np.r_[starts.as_unit("ns").asi8, starts.as_unit("ns").asi8[-1] + step * 10**9]
    return np.histogram(pd.DatetimeIndex(times).as_unit("ns").asi8, bins=edges)[0].astype(float)


def wape(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.abs(y - f).sum() / max(y.sum(), 1e-9))


def evaluate(name: str, times: pd.Series, origins: list[pd.Timestamp], horizon: int, calendar=None) -> pd.DataFrame:
    rows = []
    for origin in origins:
        history = times[times < origin]
        for model in ["auto", *MODELS]:
            t0 = time.perf_counter()
            fc = forecast(history, history.notna(), None, None, "calls_offered",
                          ForecastOptions(step=1800, horizon=horizon, now=origin, tz="UTC", model=model,
                                          backtest=28 * 86400, calendar=calendar))
            seconds = time.perf_counter() - t0
            rec = fc.records
            starts = pd.DatetimeIndex(rec["period_start"]).tz_convert("UTC")
            y = actual_counts(times[(times >= origin) & (times < origin + pd.Timedelta(seconds=horizon))],
                              starts, 1800)
            f = rec["forecast"].to_numpy()
            days = starts.normalize()
            yd = pd.Series(y).groupby(days).sum().to_numpy()
            fd = pd.Series(f).groupby(days).sum().to_numpy()
            lit = (y > 0) | (f > 0)
            inside = (y >= rec["low"].to_numpy()) & (y <= rec["high"].to_numpy())
            rows.append({"data": name, "origin": origin.date().isoformat(), "model": model,
                         "chosen": fc.chosen["all"], "interval_wape": wape(y, f), "daily_wape": wape(yd, fd),
                         "bias": float((f - y).sum() / max(y.sum(), 1e-9)),
                         "coverage": float(inside[lit].mean()), "seconds": seconds})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", default=14, type=int, help="days")
    parser.add_argument("--calendar", action="store_true",
                        help="give each desk its calendar: public holidays closed (IL; US), the US bank open "
                             "Mon–Fri 07:00–21:10")
    args = parser.parse_args()
    horizon = args.horizon * 86400
    from hdkpi.calendar import Calendar

    #: each desk: its arrivals, its origins, and (with --calendar) its open hours and public holidays
    desks = [
        ("anonymous bank 1999", israeli_bank(), pd.Timestamp("1999-03-28", tz="UTC"), 4, 10,
         {"hours": {"mon-sun": "00:00-24:00"}, "holidays": {"country": "IL"}}),
        ("US bank 2003", us_bank(), pd.Timestamp("2003-05-26", tz="UTC"), 3, 7,
         {"hours": {"mon-fri": "07:00-21:10"}, "holidays": {"country": "US"}}),
    ]
    frames = []
    for name, times, first, weeks_apart, count, hours in desks:
        origins = [first + pd.Timedelta(weeks=weeks_apart * k) for k in range(count)]
        calendar = Calendar.from_config({"timezone": "UTC", **hours}) if args.calendar else None
        frames.append(evaluate(name, times, origins, horizon, calendar))
    table = pd.concat(frames, ignore_index=True)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print()
    summary = table.groupby(["data", "model"]).agg(interval_wape=("interval_wape", "mean"),
                                                   daily_wape=("daily_wape", "mean"), bias=("bias", "mean"),
                                                   coverage=("coverage", "mean"), seconds=("seconds", "mean"))
    print(summary.to_string(float_format=lambda x: f"{x:.3f}"))
    print()
    for data, part in table.groupby("data"):
        naive = part[part["model"] == "seasonal-naive"].set_index("origin")["interval_wape"]
        auto = part[part["model"] == "auto"].set_index("origin")["interval_wape"]
        beats = int((auto < naive).sum())
        print(f"{data}: auto beats the seasonal naive at {beats} of {len(naive)} origins; "
              f"chosen: {part[part['model'] == 'auto']['chosen'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
