"""Call-centre KPIs over canonical calls (KPI_SPEC §3 "Calls", §6 "Calls").

Every function gets the calls offered in the reporting window (anchor
``offered_at``) and returns a measure; see :mod:`hdkpi.engine.measures`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.measures import Count, IntervalShare, Max, Mean, Share
from ..engine.registry import KpiContext, Param, kpi
from ..errors import MissingFields, NoData

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

WAIT_HINT = "give wait_seconds, or answered_at/ended_at to derive it"


def answered(calls: "pd.DataFrame") -> "pd.Series":
    return calls["outcome"].eq("answered")


def abandoned(calls: "pd.DataFrame") -> "pd.Series":
    return calls["outcome"].eq("abandoned")


def short_abandoned(calls: "pd.DataFrame", ctx: KpiContext) -> "pd.Series":
    """Abandoned with wait < short_abandon (strict); an abandon of unknown wait is not short.

    With short_abandon 0 (the default) nothing is short, so no wait is needed; above 0 the
    wait column is needed to tell short abandons, and its absence is no-data, not a guess.
    """
    if ctx.settings["short_abandon"] <= 0:
        return abandoned(calls) & False
    if "wait_seconds" not in calls:
        raise MissingFields(("wait_seconds",), "needed to tell short abandons when short_abandon > 0; " + WAIT_HINT)
    return abandoned(calls) & (calls["wait_seconds"] < ctx.settings["short_abandon"]).fillna(False)


@kpi("calls_offered", title="Calls offered", kind="calls", unit="count", direction="none",
     anchor="offered_at", definition="Calls that entered the queue (every used row).")
def calls_offered(calls: "pd.DataFrame", ctx: KpiContext) -> Count:
    return Count(calls["offered_at"].notna())


@kpi("calls_answered", title="Calls answered", kind="calls", unit="count", direction="none",
     anchor="offered_at", needs=("outcome",), definition="Calls with outcome answered.")
def calls_answered(calls: "pd.DataFrame", ctx: KpiContext) -> Count:
    return Count(answered(calls))


@kpi("calls_abandoned", title="Calls abandoned", kind="calls", unit="count", direction="lower",
     anchor="offered_at", needs=("outcome",), settings=("short_abandon",),
     definition="Calls with outcome abandoned and wait ≥ short_abandon (short abandons excluded).")
def calls_abandoned(calls: "pd.DataFrame", ctx: KpiContext) -> Count:
    return Count(abandoned(calls) & ~short_abandoned(calls, ctx))


@kpi("short_abandons", title="Short abandons", kind="calls", unit="count", direction="none",
     anchor="offered_at", needs=("outcome", "wait_seconds"), settings=("short_abandon",),
     definition="Abandoned calls with wait < short_abandon (default 0 s, so none).")
def short_abandons(calls: "pd.DataFrame", ctx: KpiContext) -> Count:
    return Count(short_abandoned(calls, ctx))


@kpi("asa", title="Average speed of answer", kind="calls", unit="seconds", direction="lower",
     anchor="offered_at", needs=("outcome", "wait_seconds"),
     definition="Mean wait_seconds over answered calls.")
def asa(calls: "pd.DataFrame", ctx: KpiContext) -> Mean:
    return Mean(calls["wait_seconds"].where(answered(calls)), of="answered calls with a wait")


@kpi("abandonment_rate", title="Abandonment rate", kind="calls", unit="share", direction="lower",
     anchor="offered_at", needs=("outcome",), settings=("short_abandon",),
     definition="Abandoned calls ÷ (offered − short abandons).")
def abandonment_rate(calls: "pd.DataFrame", ctx: KpiContext) -> Share:
    short = short_abandoned(calls, ctx)
    return Share(abandoned(calls) & ~short, ~short, of="calls offered")


@kpi("service_level", title="Service level", kind="calls", unit="share", direction="higher",
     anchor="offered_at", needs=("outcome", "wait_seconds"),
     params=(Param("threshold", "duration", doc="answer within T (default: service_level_threshold)"),),
     settings=("service_level_threshold", "service_level_formula", "short_abandon"),
     definition="Calls answered with wait ≤ T ÷ a denominator chosen by service_level_formula "
                "(default: offered − short abandons).")
def service_level(calls: "pd.DataFrame", ctx: KpiContext, threshold: float | None = None) -> Share:
    limit = ctx.settings["service_level_threshold"] if threshold is None else threshold
    formula = ctx.settings["service_level_formula"]
    wait = calls["wait_seconds"]
    within = (wait <= limit).fillna(False)
    ans, aban = answered(calls), abandoned(calls)
    short = short_abandoned(calls, ctx)
    met = ans & within
    offered = calls["offered_at"].notna()
    if formula == "offered":
        denominator = offered & ~short
    elif formula == "answered":
        denominator = ans
    elif formula == "exclude_abandoned_in_threshold":
        denominator = offered & ~(aban & (short | within))
    else:  # abandoned_in_threshold_met
        met = met | (aban & within)
        denominator = offered
    method = f"{formula}, T={limit:g}s"
    return Share(met, denominator, of="calls in the denominator", method=method)


@kpi("intervals_meeting", title="Intervals meeting the goal", kind="calls", unit="share", direction="higher",
     anchor="offered_at", needs=("outcome", "wait_seconds"),
     params=(Param("kpi", "choice", required=True, choices=("service_level",), doc="service_level"),
             Param("interval", "duration", required=True, doc="e.g. 30m, 15m, 1h")),
     settings=("service_level_goal", "service_level_threshold", "service_level_formula", "short_abandon"),
     definition="Share of intervals (with calls) whose service level reaches service_level_goal (default 80 %): "
                "intervals_meeting(service_level, 30m).")
def intervals_meeting(calls: "pd.DataFrame", ctx: KpiContext, kpi: str, interval: float) -> IntervalShare:
    import pandas as pd

    if interval <= 0 or interval > 86400 or 86400 % interval:
        raise NoData(f"intervals_meeting: the interval must divide a day (e.g. 15m, 30m, 1h), not {interval:g}s")
    level = service_level(calls, ctx)
    local = calls["offered_at"].dt.tz_convert(ctx.tz).dt.tz_localize(None)
    starts = local.dt.floor(pd.Timedelta(seconds=interval))
    goal = ctx.settings["service_level_goal"]
    return IntervalShare(starts, level.numerator, level.denominator, goal, of="intervals with calls",
                         method=f"{level.method}; goal {goal:.0%} per {interval / 60:g}-minute interval ({ctx.tz})")


@kpi("avg_wait_time", title="Average wait time", kind="calls", unit="seconds", direction="lower",
     anchor="offered_at", needs=("wait_seconds",),
     definition="Mean wait_seconds over all offered calls that have a wait.")
def avg_wait_time(calls: "pd.DataFrame", ctx: KpiContext) -> Mean:
    return Mean(calls["wait_seconds"], of="calls with a wait")


@kpi("avg_abandon_time", title="Average time to abandon", kind="calls", unit="seconds", direction="none",
     anchor="offered_at", needs=("outcome", "wait_seconds"), settings=("short_abandon",),
     definition="Mean wait of counted abandons (short abandons excluded).")
def avg_abandon_time(calls: "pd.DataFrame", ctx: KpiContext) -> Mean:
    counted = abandoned(calls) & ~short_abandoned(calls, ctx)
    return Mean(calls["wait_seconds"].where(counted), of="abandoned calls with a wait")


@kpi("max_wait", title="Longest wait", kind="calls", unit="seconds", direction="lower",
     anchor="offered_at", needs=("wait_seconds",), definition="Largest wait_seconds over offered calls.")
def max_wait(calls: "pd.DataFrame", ctx: KpiContext) -> Max:
    return Max(calls["wait_seconds"], of="calls with a wait")


HANDLE_PARTS = ("talk_seconds", "hold_seconds", "acw_seconds")


def in_progress(calls: "pd.DataFrame") -> "pd.Series":
    """Answered calls still going when the export was cut, as the input says (``in_progress``: set by
    the telephony presets — a queue_log call CONNECTed and not ended, a Connect contact without its
    disconnect, a CDR row answered with neither end nor billsec — or given by the export). They were
    offered and answered, with a known wait; only their handle time is unknown — not 0 s — so the KPIs
    over handle time (and whether they were transferred, when the flag is empty) leave them out.
    Without the field, KPI_SPEC §6 holds: an answered call with no talk/hold/acw counts with 0 s."""
    ans = answered(calls)
    if "in_progress" not in calls:
        return ans & False
    return ans & calls["in_progress"].fillna(False).astype(bool)


@kpi("aht", title="Average handle time", kind="calls", unit="seconds", direction="lower",
     anchor="offered_at", needs=("outcome",),
     definition="Mean talk + hold + acw over answered calls; a missing part counts as 0 s. A call in_progress "
                "when exported (handle time unknown) is left out.")
def aht(calls: "pd.DataFrame", ctx: KpiContext) -> Mean:
    parts = [p for p in HANDLE_PARTS if p in calls]
    if not parts:
        raise MissingFields(HANDLE_PARTS)
    handle = calls[parts].fillna(0).sum(axis=1)
    return Mean(handle.where(answered(calls) & ~in_progress(calls)), of="answered calls with a known handle time")


@kpi("avg_talk_time", title="Average talk time", kind="calls", unit="seconds", direction="none",
     anchor="offered_at", needs=("outcome", "talk_seconds"),
     definition="Mean talk_seconds over answered calls that have a talk value.")
def avg_talk_time(calls: "pd.DataFrame", ctx: KpiContext) -> Mean:
    return Mean(calls["talk_seconds"].where(answered(calls)), of="answered calls with a talk time")


@kpi("transfer_rate", title="Transfer rate", kind="calls", unit="share", direction="lower",
     anchor="offered_at", needs=("outcome", "transferred"),
     definition="Answered calls transferred ÷ answered calls (an empty flag counts as not transferred, "
                "except on a call still in progress when exported: left out).")
def transfer_rate(calls: "pd.DataFrame", ctx: KpiContext) -> Share:
    unknown = in_progress(calls) & calls["transferred"].isna()
    return Share(calls["transferred"].fillna(False), answered(calls) & ~unknown, of="answered calls")


@kpi("call_fcr", title="First-contact resolution (calls)", kind="calls", unit="share", direction="higher",
     anchor="offered_at", needs=("outcome",), settings=("fcr_window",),
     definition="Answered calls resolved at first contact ÷ answered calls: the resolved flag when the "
                "export has one (empty flags left out); else calls whose caller makes no further call "
                "within fcr_window (default 7 d).")
def call_fcr(calls: "pd.DataFrame", ctx: KpiContext) -> Share:
    ans = answered(calls)
    if "resolved" in calls:
        flag = calls["resolved"]
        return Share(flag.fillna(False).astype(bool), ans & flag.notna(), of="answered calls with a resolved flag",
                     method="resolved flag")
    if "caller_id" not in calls:
        raise MissingFields(("resolved", "caller_id"))
    window = ctx.settings["fcr_window"]
    next_call = next_call_of_same_caller(calls, ctx.frames.get("calls", calls))
    import pandas as pd

    repeated = (next_call - calls["offered_at"]) <= pd.Timedelta(seconds=window)
    known = ans & calls["caller_id"].notna()
    return Share(~repeated.fillna(False).astype(bool), known, of="answered calls with a caller_id",
                 method=f"repeat_caller({window:g}s)")


def next_call_of_same_caller(calls: "pd.DataFrame", every_call: "pd.DataFrame") -> "pd.Series":
    """For each call, the earliest offered_at of a call by the same caller strictly after it.

    Looks at every call of the input (any outcome or queue, inside or outside the window).
    Vectorised: distinct (caller, time) pairs sorted once; the next pair of the same caller
    is the next distinct time, so ties at the same instant are never "later".
    """
    pairs = (every_call.loc[every_call["caller_id"].notna(), ["caller_id", "offered_at"]]
             .drop_duplicates()
             .sort_values(["caller_id", "offered_at"], kind="stable"))
    pairs["next_at"] = pairs.groupby("caller_id", sort=False)["offered_at"].shift(-1)
    keyed = calls[["caller_id", "offered_at"]].reset_index(names="_row")
    joined = keyed.merge(pairs, on=["caller_id", "offered_at"], how="left").set_index("_row")
    return joined["next_at"].reindex(calls.index)
