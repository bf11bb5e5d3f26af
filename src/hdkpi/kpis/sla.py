"""SLA KPIs: compliance with the policies of the targets file's ``slas:`` section.

The run works out every ticket's clock under each policy once (:func:`hdkpi.engine.sla.sla_columns`,
columns ``sla:NAME:…``); these KPIs count and share those verdicts, anchored where the verdict
falls: a judged ticket at its stop, an open ticket at the moment it breached. Semantics:
docs/readings.md, "SLA policies".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.measures import Count, Quantile, Share
from ..engine.registry import KpiContext, Param, kpi
from ..engine.sla import at_risk, column, parse_policies
from ..errors import MissingFields, NoData
from ..units import BusinessDuration

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SLA = Param("sla", "name", required=True, doc="an SLA of the targets file's slas: section, e.g. resolution")
#: what the tickets behind an SLA figure show: the clock, part by part
CLOCK = tuple(f"sla:{{sla}}:{part}" for part in ("verdict", "start", "stop", "elapsed", "paused", "stopped",
                                                  "target", "breach_at", "due"))


def _verdict(tickets: "pd.DataFrame", ctx: KpiContext, sla: str) -> tuple["pd.Series", str]:
    """The tickets' verdicts under the SLA and the method text; NoData when the run has no such SLA."""
    policies = ctx.settings.get("slas") or {}
    if sla not in policies:
        known = ", ".join(policies) or "none"
        raise NoData(f"no SLA {sla!r} in the targets file's slas: section (defined: {known})")
    name = column(sla, "verdict")
    if name not in tickets:
        raise NoData(f"SLA {sla}: the tickets have no clock (the run worked none out)")
    policy = parse_policies({sla: policies[sla]})[sla]
    with_history = int(tickets[column(sla, "history")].sum()) if column(sla, "history") in tickets else 0
    if policy.stop == "first_response" and not {"first_response_at", "first_response_seconds"} & set(tickets):
        raise MissingFields(("first_response_at", "first_response_seconds"),
                            f"SLA {sla} stops at the first response")
    if policy.stop == "resolution" and "resolved_at" not in tickets and not with_history:
        raise MissingFields(("resolved_at",), f"SLA {sla} stops at the resolution: give resolved_at or a state "
                                              "history (--states FILE)")
    history = (f"state history for {with_history:,} of {len(tickets):,} tickets" if with_history
               else "no state history (stopped by resolved_at / first response)")
    clock = "business time" if policy.business else "calendar time"
    if policy.business and ctx.calendar is not None:
        clock = f"business time: {ctx.calendar.description()}"
    return tickets[name], f"{policy.describe()}; {history}; {clock}"


@kpi("sla_achieved", title="SLA achieved", kind="tickets", unit="share", direction="higher",
     anchor="sla:{sla}:at", params=(SLA,), shows=CLOCK,
     definition="Tickets whose SLA clock stopped within the target ÷ tickets judged (achieved + breached); "
                "a ticket counts at its stop, an open ticket that breached at its breach; tickets still in "
                "progress are not in it. Policies: the targets file's slas: section.")
def sla_achieved(tickets: "pd.DataFrame", ctx: KpiContext, sla: str) -> Share:
    verdict, method = _verdict(tickets, ctx, sla)
    judged = verdict.isin(["achieved", "breached"])
    return Share(verdict.eq("achieved"), judged, of="tickets judged under the SLA", method=method)


@kpi("sla_breaches", title="SLA breaches", kind="tickets", unit="count", direction="lower",
     anchor="sla:{sla}:at", params=(SLA,), shows=CLOCK,
     definition="Tickets whose SLA clock passed the target, counted at their stop (or, still open, at the "
                "breach).")
def sla_breaches(tickets: "pd.DataFrame", ctx: KpiContext, sla: str) -> Count:
    verdict, method = _verdict(tickets, ctx, sla)
    return Count(verdict.eq("breached"), method=method)


@kpi("sla_at_risk", title="SLA at risk", kind="tickets", unit="count", direction="lower",
     anchor="sla:{sla}:open", shows=CLOCK, params=(SLA, Param("within", "duration", default=4 * 3600.0,
                                               doc="how soon the breach comes, default 4h")),
     definition="Open tickets, not yet breached and with the clock running at --now, whose breach comes "
                "within the given time (default 4h) of --now; anchored at --now.")
def sla_at_risk(tickets: "pd.DataFrame", ctx: KpiContext, sla: str, within: float) -> Count:
    _, method = _verdict(tickets, ctx, sla)
    if isinstance(within, BusinessDuration):
        raise NoData(f"sla_at_risk({sla}, {within.label}): give the horizon in calendar time, e.g. 4h")
    return Count(at_risk(tickets, sla, within), method=f"{method}; breach due within {within / 3600:g} h of --now")


@kpi("sla_elapsed_p90", title="SLA elapsed (90th percentile)", kind="tickets", unit="seconds",
     direction="lower", anchor="sla:{sla}:at", params=(SLA,), shows=CLOCK,
     definition="90th percentile of the SLA clock (pauses left out; business seconds for bh/bd targets) over "
                "the tickets judged, linear interpolation at (n − 1)·0.9.")
def sla_elapsed_p90(tickets: "pd.DataFrame", ctx: KpiContext, sla: str) -> Quantile:
    verdict, method = _verdict(tickets, ctx, sla)
    judged = verdict.isin(["achieved", "breached"])
    return Quantile(tickets[column(sla, "elapsed")].where(judged), 0.9, of="tickets judged under the SLA",
                    method=method)
