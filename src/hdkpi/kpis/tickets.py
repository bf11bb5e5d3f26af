"""Service-desk ticket KPIs over canonical tickets (KPI_SPEC §3 "Tickets", §6 "Tickets").

The anchor decides which tickets a window holds: ``created_at`` for volume,
first response, FCR and escalation; ``resolved_at`` for everything about
resolution; backlog is a snapshot at the window's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.measures import Count, Mean, PerDistinct, PerSpan, Quantile, Share, Snapshot
from ..engine.registry import KpiContext, Param, kpi
from ..errors import MissingFields, NoData
from ..units import BusinessDuration

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def resolved(tickets: "pd.DataFrame") -> "pd.Series":
    """Resolved means resolved_at is set (status or closed_at alone do not resolve)."""
    if "resolved_at" not in tickets:
        return tickets["created_at"].isna()  # all False, same index
    return tickets["resolved_at"].notna()


@kpi("ticket_volume", title="Tickets created", kind="tickets", unit="count", direction="none",
     anchor="created_at", definition="Tickets created.")
def ticket_volume(tickets: "pd.DataFrame", ctx: KpiContext) -> Count:
    return Count(tickets["created_at"].notna())


@kpi("tickets_resolved", title="Tickets resolved", kind="tickets", unit="count", direction="higher",
     anchor="resolved_at", needs=("resolved_at",), definition="Tickets resolved (anchored on resolved_at).")
def tickets_resolved(tickets: "pd.DataFrame", ctx: KpiContext) -> Count:
    return Count(resolved(tickets))


@kpi("backlog", title="Backlog", kind="tickets", unit="count", direction="lower", anchor="snapshot",
     needs=("resolved_at",),
     definition="Tickets open at the end of the window: created before it and not resolved before it; "
                "with no end, tickets never resolved.")
def backlog(tickets: "pd.DataFrame", ctx: KpiContext) -> Snapshot:
    return Snapshot(tickets["created_at"], tickets["resolved_at"], at=ctx.window.end)


@kpi("frt", title="First response time", kind="tickets", unit="seconds", direction="lower",
     anchor="created_at", needs=("first_response_seconds",),
     definition="Mean time from creation to first response, over tickets with a recorded response.")
def frt(tickets: "pd.DataFrame", ctx: KpiContext) -> Mean:
    seconds, method = _elapsed(tickets, ctx, "first_response_seconds", "first_response_at")
    return Mean(seconds, of="tickets with a first response", method=method)


@kpi("frt_median", title="First response time (median)", kind="tickets", unit="seconds",
     direction="lower", anchor="created_at", needs=("first_response_seconds",),
     definition="Median time from creation to first response, over tickets with a recorded response.")
def frt_median(tickets: "pd.DataFrame", ctx: KpiContext) -> Quantile:
    seconds, method = _elapsed(tickets, ctx, "first_response_seconds", "first_response_at")
    return Quantile(seconds, 0.5, of="tickets with a first response", method=method)


def _elapsed(tickets: "pd.DataFrame", ctx: KpiContext, seconds: str, end: str,
             business: bool | None = None) -> tuple["pd.Series", str | None]:
    """Calendar seconds as given or derived; in business time (``--business``, ``business: true``,
    or ``business`` given) the open seconds of the calendar between created_at and ``end``."""
    if not (ctx.business if business is None else business):
        return tickets[seconds], None
    if ctx.calendar is None:
        raise NoData("business time needs a calendar: section in the targets file (see README, 'Business time')")
    missing = [f for f in ("created_at", end) if f not in tickets]
    if missing:
        raise MissingFields(missing, "business time is measured between timestamps")
    from ..calendar import business_seconds

    return business_seconds(ctx.calendar, tickets["created_at"], tickets[end]), \
        f"business time: {ctx.calendar.description()}"


def _resolution(tickets: "pd.DataFrame", ctx: KpiContext) -> tuple["pd.Series", str | None]:
    seconds, method = _elapsed(tickets, ctx, "resolution_seconds", "resolved_at")
    return seconds.where(resolved(tickets)), method


@kpi("resolution_time", title="Resolution time", kind="tickets", unit="seconds", direction="lower",
     anchor="resolved_at", needs=("resolution_seconds",),
     definition="Mean time from creation to resolution, over resolved tickets.")
def resolution_time(tickets: "pd.DataFrame", ctx: KpiContext) -> Mean:
    seconds, method = _resolution(tickets, ctx)
    return Mean(seconds, of="resolved tickets", method=method)


@kpi("resolution_time_median", title="Resolution time (median)", kind="tickets", unit="seconds",
     direction="lower", anchor="resolved_at", needs=("resolution_seconds",),
     definition="Median resolution time over resolved tickets (mean of the middle two for an even count).")
def resolution_time_median(tickets: "pd.DataFrame", ctx: KpiContext) -> Quantile:
    seconds, method = _resolution(tickets, ctx)
    return Quantile(seconds, 0.5, of="resolved tickets", method=method)


@kpi("resolution_time_p90", title="Resolution time (90th percentile)", kind="tickets", unit="seconds",
     direction="lower", anchor="resolved_at", needs=("resolution_seconds",),
     definition="90th percentile of resolution time over resolved tickets, linear interpolation "
                "at (n − 1)·0.9 (PERCENTILE.INC).")
def resolution_time_p90(tickets: "pd.DataFrame", ctx: KpiContext) -> Quantile:
    seconds, method = _resolution(tickets, ctx)
    return Quantile(seconds, 0.9, of="resolved tickets", method=method)


@kpi("resolution_time_p", title="Resolution time (percentile)", kind="tickets", unit="seconds",
     direction="lower", anchor="resolved_at", needs=("resolution_seconds",),
     params=(Param("q", "number", required=True, doc="percentile 0–100, e.g. 95"),),
     definition="The q-th percentile of resolution time over resolved tickets, linear interpolation "
                "at (n − 1)·q/100 (PERCENTILE.INC): resolution_time_p(95).")
def resolution_time_p(tickets: "pd.DataFrame", ctx: KpiContext, q: float) -> Quantile:
    if not 0 <= q <= 100:
        raise NoData(f"resolution_time_p({q:g}): the percentile must be between 0 and 100")
    seconds, method = _resolution(tickets, ctx)
    return Quantile(seconds, q / 100, of="resolved tickets", method=method)


@kpi("resolved_within", title="Resolved within", kind="tickets", unit="share", direction="higher",
     anchor="resolved_at", needs=("resolution_seconds",),
     params=(Param("within", "duration", required=True, doc="e.g. 2d, 48h, or in business time 2bd, 8bh"),),
     definition="Share of resolved tickets whose resolution time ≤ D (inclusive); D in bd/bh is business "
                "time of the targets file's calendar.")
def resolved_within(tickets: "pd.DataFrame", ctx: KpiContext, within: float) -> Share:
    done = resolved(tickets)
    in_business = isinstance(within, BusinessDuration)  # the unit decides: 2bd is business time, 2d is not
    seconds, method = _elapsed(tickets, ctx, "resolution_seconds", "resolved_at", business=in_business)
    limit = float(within)
    if in_business:
        from ..calendar import parse_business_duration

        limit = parse_business_duration(within.label, ctx.calendar)
        method = f"{method}; {within.label} = {limit / 3600:g} open hours"
    return Share(done & (seconds <= limit).fillna(False), done, of="resolved tickets", method=method)


def _flag_false(tickets: "pd.DataFrame", column: str) -> "pd.Series":
    """A flag where empty means false (reopens/escalated in FCR, KPI_SPEC §6)."""
    return tickets[column].fillna(False).astype(bool)


@kpi("fcr", title="First-contact resolution", kind="tickets", unit="share", direction="higher",
     anchor="created_at",
     definition="Resolved tickets resolved at first contact ÷ resolved tickets. Method, first that applies: "
                "fcr flag; replies ≤ 1 and no reopen and not escalated; not escalated.")
def fcr(tickets: "pd.DataFrame", ctx: KpiContext) -> Share:
    done = resolved(tickets)
    if "fcr" in tickets:
        known = done & tickets["fcr"].notna()
        return Share(tickets["fcr"].fillna(False).astype(bool), known, of="resolved tickets with an fcr flag",
                     method="fcr flag")
    not_escalated = ~_flag_false(tickets, "escalated") if "escalated" in tickets else None
    if "replies" in tickets:
        one_touch = (tickets["replies"] <= 1).fillna(False)
        if "reopens" in tickets:
            one_touch &= tickets["reopens"].fillna(0).eq(0)
        if not_escalated is not None:
            one_touch &= not_escalated
        known = done & tickets["replies"].notna()
        return Share(one_touch, known, of="resolved tickets with replies",
                     method="replies ≤ 1, no reopen, not escalated")
    if not_escalated is not None:
        return Share(not_escalated, done, of="resolved tickets", method="not escalated")
    raise MissingFields(("fcr", "replies", "escalated", "tier"))


@kpi("escalation_rate", title="Escalation rate", kind="tickets", unit="share", direction="lower",
     anchor="created_at", needs=("escalated",),
     definition="Tickets escalated (escalated flag, or tier > 1 when the flag is empty) ÷ tickets created.")
def escalation_rate(tickets: "pd.DataFrame", ctx: KpiContext) -> Share:
    return Share(_flag_false(tickets, "escalated"), tickets["created_at"].notna(), of="tickets created")


@kpi("reopen_rate", title="Reopen rate", kind="tickets", unit="share", direction="lower",
     anchor="resolved_at", needs=("resolved_at", "reopens"),
     definition="Resolved tickets with reopens > 0 ÷ resolved tickets (empty reopens = 0).")
def reopen_rate(tickets: "pd.DataFrame", ctx: KpiContext) -> Share:
    return Share(tickets["reopens"].fillna(0) > 0, resolved(tickets), of="resolved tickets")


@kpi("sla_compliance", title="SLA compliance", kind="tickets", unit="share", direction="higher",
     anchor="resolved_at", needs=("resolved_at", "sla_breached"),
     definition="Resolved tickets not breaching their SLA ÷ resolved tickets with a non-empty sla_breached.")
def sla_compliance(tickets: "pd.DataFrame", ctx: KpiContext) -> Share:
    breached = tickets["sla_breached"]
    known = resolved(tickets) & breached.notna()
    return Share(~breached.fillna(True).astype(bool), known, of="resolved tickets with SLA information")


@kpi("next_issue_avoidance", title="Next-issue avoidance", kind="tickets", unit="share", direction="higher",
     anchor="resolved_at", needs=("resolved_at", "requester"), settings=("nia_window",),
     definition="Resolved tickets whose requester opens no new ticket within nia_window (default 7 d, "
                "inclusive) after the resolution ÷ resolved tickets with a requester.")
def next_issue_avoidance(tickets: "pd.DataFrame", ctx: KpiContext) -> Share:
    import pandas as pd

    window = ctx.settings["nia_window"]
    everything = ctx.frames.get("tickets", tickets)
    known = resolved(tickets) & tickets["requester"].notna()
    method = f"new ticket within {window:g}s"
    if not known.any():  # nothing to match (merge_asof refuses empty frames)
        return Share(known, known, of="resolved tickets with a requester", method=method)
    left = (tickets.loc[known, ["requester", "resolved_at"]].reset_index(names="_row")
            .sort_values("resolved_at", kind="stable"))
    right = (everything.loc[everything["requester"].notna(), ["requester", "created_at"]]
             .sort_values("created_at", kind="stable"))
    nearest = pd.merge_asof(left, right, left_on="resolved_at", right_on="created_at", by="requester",
                            direction="forward", allow_exact_matches=False).set_index("_row")
    came_back = (nearest["created_at"] - nearest["resolved_at"]) <= pd.Timedelta(seconds=window)
    came_back = came_back.reindex(tickets.index, fill_value=False).astype(bool)
    return Share(~came_back, known, of="resolved tickets with a requester", method=method)


@kpi("tickets_per_agent", title="Tickets resolved per agent", kind="tickets", unit="score",
     direction="higher", anchor="resolved_at", needs=("resolved_at", "agent"),
     definition="Resolved tickets ÷ distinct non-empty agents on them.")
def tickets_per_agent(tickets: "pd.DataFrame", ctx: KpiContext) -> PerDistinct:
    return PerDistinct(resolved(tickets), tickets["agent"], of="resolved tickets with an agent")


SCORES = ("csat", "nps", "ces")


@kpi("survey_response_rate", title="Survey response rate", kind="tickets", unit="share", direction="higher",
     anchor="resolved_at", needs=("resolved_at",),
     definition="Resolved tickets with a survey answer ÷ resolved tickets. Answers come from a surveys file "
                "linked by ticket_id when there is one, else from the tickets' csat/nps/ces columns.")
def survey_response_rate(tickets: "pd.DataFrame", ctx: KpiContext) -> Share:
    surveys = ctx.frames.get("surveys")
    if surveys is not None and "ticket_id" in surveys and any(c in surveys for c in SCORES):
        scored = surveys[[c for c in SCORES if c in surveys]].notna().any(axis=1)
        answered_ids = surveys.loc[scored & surveys["ticket_id"].notna(), "ticket_id"].unique()
        return Share(tickets["ticket_id"].isin(answered_ids), resolved(tickets), of="resolved tickets",
                     method="surveys file, by ticket_id")
    columns = [c for c in SCORES if c in tickets]
    if not columns:
        raise MissingFields(SCORES, "survey answers as columns of the tickets, or a surveys file with ticket_id")
    return Share(tickets[columns].notna().any(axis=1), resolved(tickets), of="resolved tickets",
                 method="score columns of the tickets")


@kpi("ticket_aht", title="Ticket handle time", kind="tickets", unit="seconds", direction="lower",
     anchor="created_at", needs=("handle_seconds",), definition="Mean handle_seconds over tickets that have one.")
def ticket_aht(tickets: "pd.DataFrame", ctx: KpiContext) -> Mean:
    return Mean(tickets["handle_seconds"], of="tickets with a handle time")


@kpi("cost_per_ticket", title="Cost per ticket", kind="tickets", unit="score", direction="lower",
     anchor="resolved_at", needs=("resolved_at",), settings=("cost",),
     definition="The desk's cost (settings cost: {amount, per: day|week|month|year}) over the window or "
                "period, in calendar terms (a whole month costs amount), ÷ tickets resolved in it.")
def cost_per_ticket(tickets: "pd.DataFrame", ctx: KpiContext) -> PerSpan:
    cost = ctx.settings.get("cost")
    if not cost:
        raise NoData("missing setting cost; add to the targets file: settings: {cost: {amount: 12000, per: month}}")
    return PerSpan(resolved(tickets), amount=cost["amount"], per=cost["per"], window=ctx.window,
                   frames=ctx.frames, periods=ctx.periods, tz=ctx.tz, of="tickets resolved")
