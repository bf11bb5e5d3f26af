"""``hdkpi staffing``: agents required per interval for a service goal, beside the agents there were.

From a call export: per interval of the day (``--interval 30m``) and weekday (or per date), the
average calls offered per occurrence of that interval, the AHT of its answered calls, the traffic
in Erlangs, and the agents required (Erlang C, or Erlang A with patience) to meet the goal under a
maximum occupancy, grossed up for shrinkage; the predicted service level, ASA, probability of
waiting, occupancy (and abandonment under Erlang A) at that count. When the export names agents,
the distinct agents handling calls in each interval occurrence, averaged, stand beside the
requirement and intervals are flagged under- or over-staffed. ``--agents N`` or ``--schedule FILE``
predicts the figures for the staff actually planned.

Model assumptions (README, "Staffing"): Poisson arrivals within an interval, exponential handle
times, first come first served, one skill; Erlang A adds exponential patience. Figures per interval
are averages over the weeks in the export, so a holiday or an outage pulls its weekday down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine.slicing import WEEKDAYS
from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: an interval is over-staffed when it has more agents than needed by this many (and this share)
OVER_BY_AGENTS = 2
OVER_BY_SHARE = 0.25


@dataclass
class StaffingOptions:
    interval: float = 1800.0  #: seconds
    per: str = "weekday"  #: weekday | date
    goal: Any = None  #: hdkpi.wfm.erlang.ServiceGoal
    asa: float | None = None
    max_occupancy: float | None = 0.85
    shrinkage: float = 0.0
    model: str = "erlang-c"  #: erlang-c | erlang-a
    patience: float | None = None  #: seconds; None with erlang-a: estimated from the export
    agents: int | None = None  #: what-if: this many agents in every interval
    schedule: "pd.DataFrame | None" = None  #: what-if: weekday, interval, agents
    tz: str = "UTC"
    by: str | None = None  #: a requirement per group (e.g. queue: agents are not pooled across skills)


def staffing_table(calls: "pd.DataFrame", options: StaffingOptions) -> tuple["pd.DataFrame", dict[str, Any]]:
    """One row per (weekday or date, interval): offered, AHT, traffic, required, predicted, actual, flag."""
    import numpy as np
    import pandas as pd

    from . import erlang

    if "offered_at" not in calls or not len(calls):
        raise UsageError("staffing needs calls with offered_at")
    if 86400 % options.interval or options.interval < 300:
        raise UsageError("--interval must divide a day and be at least 5 minutes (15m, 30m, 60m)")
    local = calls["offered_at"].dt.tz_convert(options.tz).dt.tz_localize(None)
    start = local.dt.floor(pd.Timedelta(seconds=options.interval))
    slot = (start - start.dt.normalize()).dt.total_seconds().astype("int64")
    date = start.dt.normalize()
    answered, handle, handled = handle_times(calls)
    frame = pd.DataFrame({"date": date, "slot": slot, "answered": answered, "handle": handle.where(handled),
                          "wait": calls.get("wait_seconds", np.nan),
                          "abandoned": calls["outcome"].eq("abandoned") if "outcome" in calls else False,
                          "agent": calls["agent"].where(answered) if "agent" in calls else pd.NA})
    frame["weekday"] = frame["date"].dt.day_of_week
    key = ["weekday", "slot"] if options.per == "weekday" else ["date", "slot"]
    if options.by:
        if options.by not in calls:
            raise UsageError(f"--by {options.by}: the calls have no field {options.by}")
        frame[options.by] = calls[options.by].fillna("(empty)")
        key = [options.by, *key]
    # occurrences: every date of that weekday between the first and the last day (quiet days count as 0)
    all_days = pd.date_range(date.min(), date.max(), freq="D")
    if options.per == "weekday":
        occurrences = pd.Series(all_days.day_of_week).value_counts().rename("occurrences")
    grouped = frame.groupby(key, observed=True)
    cells = pd.DataFrame({
        "calls": grouped.size(),
        "aht": grouped["handle"].mean(),
        "answered": grouped["answered"].sum(),
        "wait_total": grouped["wait"].sum(),
        "abandoned": grouped["abandoned"].sum(),
    })
    per_occurrence = frame.groupby([*key, "date"] if options.per == "weekday" else key, observed=True)
    if "agent" in calls:
        agents_seen = per_occurrence["agent"].nunique()
        actual = agents_seen.groupby(level=key, observed=True).sum() if options.per == "weekday" else agents_seen
    else:
        actual = None
    cells = cells.reset_index()
    if options.per == "weekday":
        cells["occurrences"] = cells["weekday"].map(occurrences).astype("int64")
    else:
        cells["occurrences"] = 1
    cells["offered"] = cells["calls"] / cells["occurrences"]
    overall_aht = frame["handle"].mean()
    cells["aht"] = cells["aht"].fillna(overall_aht)  # an interval without answered calls: the export's AHT
    cells["traffic"] = erlang.traffic(cells["offered"].to_numpy(), cells["aht"].to_numpy(), options.interval)
    patience = None
    if options.model == "erlang-a":
        patience = options.patience
        if patience is None:
            total_wait, abandoned = frame["wait"].sum(), int(frame["abandoned"].sum())
            patience = float(erlang.patience_from_counts(total_wait, abandoned))
    need = erlang.requirement(cells["traffic"].to_numpy(), cells["aht"].to_numpy(), options.goal, asa=options.asa,
                              max_occupancy=options.max_occupancy, shrinkage=options.shrinkage, patience=patience)
    cells["required"] = need.net
    cells["required_gross"] = need.gross
    for name, values in need.prediction.as_dict().items():
        if name not in ("agents", "traffic"):
            cells[f"predicted_{name}"] = values
    if actual is not None:
        actual_mean = actual.reindex(pd.MultiIndex.from_frame(cells[key])).to_numpy()
        cells["actual_agents"] = np.round(actual_mean / cells["occurrences"].to_numpy(), 1)
        short = cells["actual_agents"] < cells["required"]
        spare = cells["actual_agents"] - cells["required"]
        over = (spare >= OVER_BY_AGENTS) & (spare >= OVER_BY_SHARE * cells["required"])
        cells["staffing"] = np.where(short, "under", np.where(over, "over", "ok"))
    planned = _planned(cells, options)
    if planned is not None:
        within = options.goal.within if options.goal is not None else 0.0
        what_if = erlang.predict(planned, cells["traffic"].to_numpy(), cells["aht"].to_numpy(), within, patience)
        cells["planned_agents"] = planned
        for name, values in what_if.as_dict().items():
            if name not in ("agents", "traffic"):
                cells[f"planned_{name}"] = values
        cells["gap"] = planned - cells["required"].to_numpy()
    cells["interval"] = cells["slot"].map(lambda s: f"{s // 3600:02d}:{s % 3600 // 60:02d}")
    if options.per == "weekday":
        cells["weekday"] = cells["weekday"].map(dict(enumerate(WEEKDAYS)))
    else:
        cells["date"] = cells["date"].dt.strftime("%Y-%m-%d")
    facts = {"interval_seconds": options.interval, "model": options.model, "patience_seconds": patience,
             "aht_overall": float(overall_aht) if overall_aht == overall_aht else None,
             "days": len(all_days), "goal": None if options.goal is None else
             {"share": options.goal.share, "within": options.goal.within},
             "asa_goal": options.asa, "max_occupancy": options.max_occupancy, "shrinkage": options.shrinkage}
    return cells.drop(columns=["slot"]), facts


def handle_times(calls: "pd.DataFrame") -> tuple["pd.Series", "pd.Series", "pd.Series"]:
    """(answered, handle seconds = talk + hold + acw, handled: answered with a known handle time). A call in
    progress when exported is answered, its handle time unknown (not 0 s)."""
    answered = calls["outcome"].eq("answered") if "outcome" in calls else calls["offered_at"].notna()
    handle = sum(calls[c].fillna(0) for c in ("talk_seconds", "hold_seconds", "acw_seconds") if c in calls)
    if isinstance(handle, int):
        raise UsageError("staffing needs handle times: talk_seconds (and hold/acw) of answered calls")
    if "outcome" not in calls:
        return answered, handle, answered
    from ..kpis.calls import in_progress

    return answered, handle, answered & ~in_progress(calls)


def _planned(cells: "pd.DataFrame", options: StaffingOptions) -> Any:
    import numpy as np

    if options.agents is not None:
        return np.full(len(cells), options.agents, dtype=float)
    if options.schedule is None:
        return None
    schedule = options.schedule
    lookup = {(str(r["weekday"])[:3].title(), str(r["interval"]).zfill(5)): float(r["agents"])
              for _, r in schedule.iterrows()}  # a schedule is a few hundred rows at most
    keys = zip(cells["weekday"].map(dict(enumerate(WEEKDAYS))) if options.per == "weekday" else cells["date"],
               cells["slot"].map(lambda s: f"{s // 3600:02d}:{s % 3600 // 60:02d}"))
    return np.array([lookup.get((str(w), i), 0.0) for w, i in keys])


def render_grid(cells: "pd.DataFrame", facts: dict[str, Any], per: str, by: str | None = None) -> str:
    """Plain text: agents required by weekday (rows) × interval (columns), with the actual agents'
    flag (+ over, − under) so the manager sees where to move people; one grid per group with --by."""
    if by:
        parts = [f"{by} = {name}\n" + _grid(group.drop(columns=[by]), facts, per)
                 for name, group in cells.groupby(by, sort=True)]
        return "\n".join(parts)
    return _grid(cells, facts, per)


def _grid(cells: "pd.DataFrame", facts: dict[str, Any], per: str) -> str:
    import pandas as pd

    rows_key = "weekday" if per == "weekday" else "date"
    goal = facts["goal"]
    lines = [f"Agents required ({facts['model']}; " +
             (f"goal {goal['share']:.0%} answered within {goal['within']:g} s" if goal else "") +
             (f"; ASA ≤ {facts['asa_goal']:g} s" if facts["asa_goal"] else "") +
             (f"; occupancy ≤ {facts['max_occupancy']:.0%}" if facts["max_occupancy"] else "") +
             (f"; patience {facts['patience_seconds']:.0f} s" if facts["patience_seconds"] else "") +
             f"; {facts['days']} days)"]
    if "required_low" in cells:  # a plan from a forecast
        fc = facts["forecast"]
        lines += [f"plan from the forecast of {fc['kpi']} from {fc['now']} (models: "
                  f"{', '.join(sorted(set(fc['chosen'].values())))}); cells: agents needed at the forecast; "
                  "-f csv/json add the need at both ends of its 80 % band (required_low, required_high)", ""]
    else:
        lines += ["cells: agents needed on the phones; '−' fewer agents handled calls than needed (under-staffed), "
                  "'+' many more (over-staffed)",
                  "agents who handled calls: those with at least one answered call in the interval — a lower bound "
                  "of those on duty in quiet intervals", ""]
    intervals = sorted(cells["interval"].unique())
    order = [d for d in WEEKDAYS if d in set(cells[rows_key])] if per == "weekday" else sorted(cells[rows_key].unique())
    table = cells.set_index([rows_key, "interval"])
    lines.append(f"{'':<10}" + "".join(f"{i:>6}" for i in intervals))
    for day in order:
        out = []
        for i in intervals:
            if (day, i) not in table.index:
                out.append(f"{'·':>6}")
                continue
            row = table.loc[(day, i)]
            flag = {"under": "−", "over": "+"}.get(row.get("staffing", "ok"), "") if "staffing" in table else ""
            out.append(f"{int(row['required']):>5}{flag or ' '}")
        lines.append(f"{day:<10}" + "".join(out))
    if "staffing" in cells:
        under = cells[cells["staffing"] == "under"]
        over = cells[cells["staffing"] == "over"]
        lines += ["", f"{len(under)} interval(s) under-staffed, {len(over)} over-staffed (of {len(cells)})"]
        worst = under.assign(short=under["required"] - under["actual_agents"]).nlargest(5, "short")
        for _, row in worst.iterrows():
            lines.append(f"  {row[rows_key]} {row['interval']}: {row['actual_agents']:g} agents handled calls, "
                         f"{int(row['required'])} needed ({row['offered']:.1f} calls, AHT {row['aht']:.0f} s; "
                         f"predicted service level at the need {row['predicted_service_level']:.0%})")
    if "required_low" in cells:
        hours = facts["interval_seconds"] / 3600
        lines += ["", "agent-hours on the phones per day: at the forecast (at the band's low – high end)"]
        for day, rows in cells.groupby(rows_key, sort=True):
            lines.append(f"  {day}: {rows['required'].sum() * hours:.1f} ({rows['required_low'].sum() * hours:.1f} – "
                         f"{rows['required_high'].sum() * hours:.1f})")
    if "planned_agents" in cells:
        lines += ["", "With the planned agents: " + f"{(cells['gap'] < 0).sum()} interval(s) short of the need, "
                  f"predicted service level {pd.Series(cells['planned_service_level']).mean():.0%} on average"]
    return "\n".join(lines) + "\n"


def render_html(cells: "pd.DataFrame", facts: dict[str, Any], per: str, by: str | None = None) -> str:
    """One self-contained page: the weekday × interval grid of agents required, each cell coloured by
    whether the agents who handled calls fell short (red), matched (green) or exceeded it (blue)."""
    from html import escape

    from ..version import __version__

    rows_key = "weekday" if per == "weekday" else "date"
    groups = list(cells.groupby(by, sort=True)) if by else [(None, cells)]
    goal = facts["goal"]
    summary = (f"{facts['model']}; " + (f"goal {goal['share']:.0%} within {goal['within']:g} s; " if goal else "")
               + (f"occupancy ≤ {facts['max_occupancy']:.0%}; " if facts["max_occupancy"] else "")
               + f"shrinkage {facts['shrinkage']:.0%}; {facts['days']} days")
    sections = []
    for name, group in groups:
        intervals = sorted(group["interval"].unique())
        order = ([d for d in WEEKDAYS if d in set(group[rows_key])] if per == "weekday"
                 else sorted(group[rows_key].unique()))
        table = group.set_index([rows_key, "interval"])
        head = "".join(f'<th scope="col">{escape(i)}</th>' for i in intervals)
        body = []
        for day in order:
            tds = []
            for i in intervals:
                if (day, i) not in table.index:
                    tds.append('<td class="none">·</td>')
                    continue
                row = table.loc[(day, i)]
                flag = row["staffing"] if "staffing" in table else "ok"
                mark = {"under": "−", "over": "+"}.get(flag, "")
                tip = (f"{day} {i}: {row['offered']:.1f} calls, AHT {row['aht']:.0f} s, {row['traffic']:.2f} Erl; "
                       f"need {int(row['required'])} (gross {int(row['required_gross'])})"
                       + (f"; {row['actual_agents']:g} handled calls" if "actual_agents" in table else "")
                       + (f"; 80 % band of the forecast: {row['offered_low']:.1f}–{row['offered_high']:.1f} calls, "
                          f"{int(row['required_low'])}–{int(row['required_high'])} agents"
                          if "required_low" in table else ""))
                tds.append(f'<td class="{flag}" title="{escape(tip)}">{int(row["required"])}{mark}</td>')
            body.append(f'<tr><th scope="row">{escape(str(day))}</th>{"".join(tds)}</tr>')
        title = f"{escape(str(by))} = {escape(str(name))}" if by else "All calls"
        sections.append(f"<section><h2>{title}</h2><table><thead><tr><th></th>{head}</tr></thead>"
                        f"<tbody>{''.join(body)}</tbody></table></section>")
    if "required_low" in cells:
        fc = facts["forecast"]
        legend = (f"A plan from the forecast of {escape(fc['kpi'])} from {escape(fc['now'])}: cells are the agents "
                  "needed at the forecast; hover a cell for its figures and the agents needed at both ends of the "
                  "forecast's 80 % band.")
    else:
        legend = ("Cells: agents needed on the phones; <b>−</b> red: fewer agents handled calls than needed "
                  "(under-staffed); <b>+</b> blue: many more (over-staffed). Hover a cell for its figures. Agents "
                  "who handled calls are those with at least one answered call in the interval: in quiet intervals "
                  "a lower bound of those on duty (hdkpi adherence measures logged-in time).")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>hdkpi staffing</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #1b1f24; }}
table {{ border-collapse: collapse; margin: 8px 0 24px; }}
th, td {{ padding: 4px 7px; text-align: right; border: 1px solid #e2e5e9; font-variant-numeric: tabular-nums; }}
td.under {{ background: #fde2e1; color: #9b1c1c; font-weight: 700; }}
td.over {{ background: #e1ecfd; color: #1c4a9b; }}
td.ok {{ background: #e3f6e8; }}
td.none {{ color: #9aa1a9; }}
</style></head><body>
<h1>Agents required per interval</h1>
<p>{escape(summary)}. {legend}</p>
{''.join(sections)}
<footer>hdkpi {escape(__version__)} · Erlang model: Poisson arrivals, exponential handle times, first come
first served, one skill pool per table</footer>
</body></html>
"""


def plan_table(calls: "pd.DataFrame", fc: Any, options: StaffingOptions) -> tuple["pd.DataFrame", dict[str, Any]]:
    """The staffed plan: per future interval of the forecast ``fc`` (hdkpi.wfm.forecast.Forecast of
    calls_offered), the AHT expected (the mean handle time of that weekday and interval over the last
    eight weeks before the forecast, else of all the history before it), the traffic and the agents
    required — at the forecast and at the low and high ends of its 80 % band."""
    import numpy as np
    import pandas as pd

    from . import erlang

    now = pd.Timestamp(fc.facts["now"])
    records = fc.records
    _, handle, answered = handle_times(calls)
    recent = answered & (calls["offered_at"] < now) & (calls["offered_at"] >= now - pd.Timedelta(weeks=8))
    local = calls.loc[recent, "offered_at"].dt.tz_convert(options.tz)
    key = pd.DataFrame({"weekday": local.dt.day_of_week, "slot": local.dt.hour * 3600 + local.dt.minute * 60
                        - (local.dt.hour * 3600 + local.dt.minute * 60) % int(options.interval),
                        "handle": handle[recent]})
    if options.by:
        key[options.by] = calls.loc[recent, options.by].astype("string").fillna("(empty)")
    group_cols = [*([options.by] if options.by else []), "weekday", "slot"]
    by_slot = key.groupby(group_cols, observed=True)["handle"].mean()
    overall = float(handle[answered & (calls["offered_at"] < now)].mean())
    if overall != overall:
        raise UsageError("staffing --forecast needs answered calls with a handle time before --now")
    starts = records["period_start"]
    lookup = pd.DataFrame({"weekday": [t.day_of_week for t in starts],
                           "slot": [t.hour * 3600 + t.minute * 60 for t in starts]})
    if options.by:
        lookup.insert(0, options.by, records[options.by].to_numpy())
    aht = by_slot.reindex(pd.MultiIndex.from_frame(lookup[group_cols])).to_numpy()
    aht = np.where(np.isnan(aht), overall, aht)
    cells = pd.DataFrame({"period_start": [t.isoformat() for t in starts],
                          "date": [t.strftime("%Y-%m-%d") for t in starts],
                          "interval": [t.strftime("%H:%M") for t in starts]})
    if options.by:
        cells[options.by] = records[options.by].to_numpy()
    patience = options.patience
    if options.model == "erlang-a" and patience is None:
        waits = calls.loc[calls["offered_at"] < now]
        patience = float(erlang.patience_from_counts(waits.get("wait_seconds", pd.Series(dtype=float)).sum(),
                                                     int(waits["outcome"].eq("abandoned").sum())
                                                     if "outcome" in waits else 0))
    for suffix, column in (("", "forecast"), ("_low", "low"), ("_high", "high")):
        offered = records[column].to_numpy(dtype=float)
        traffic = erlang.traffic(offered, aht, options.interval)
        need = erlang.requirement(np.asarray(traffic, dtype=float), aht, options.goal, asa=options.asa,
                                  max_occupancy=options.max_occupancy, shrinkage=options.shrinkage,
                                  patience=patience)
        cells[f"offered{suffix}"] = offered
        if not suffix:
            cells["aht"] = aht
            cells["traffic"] = traffic
            for name, values in need.prediction.as_dict().items():
                if name not in ("agents", "traffic"):
                    cells[f"predicted_{name}"] = values
        cells[f"required{suffix}"] = np.where(offered > 0, need.net, 0)
        cells[f"required_gross{suffix}"] = np.where(offered > 0, need.gross, 0)
    cells["model"] = records["model"].to_numpy()
    facts = {"interval_seconds": options.interval, "model": options.model, "patience_seconds": patience,
             "aht_overall": overall, "days": int(np.ceil(fc.facts["horizon_seconds"] / 86400)),
             "goal": None if options.goal is None else {"share": options.goal.share, "within": options.goal.within},
             "asa_goal": options.asa, "max_occupancy": options.max_occupancy, "shrinkage": options.shrinkage,
             "forecast": fc.facts, "backtest": fc.backtest.to_dict(orient="records"), "notes": fc.notes}
    return cells, facts
