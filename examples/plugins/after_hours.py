"""An example plugin KPI: the share of calls offered outside business hours.

Load it with ``hdkpi report examples/calls.csv --plugin examples/plugins/after_hours.py``,
or package it with an entry point in the ``hdkpi.kpis`` group::

    [project.entry-points."hdkpi.kpis"]
    after_hours = "after_hours"

It gets the same window, targets and output as a built-in KPI. A target for it:
``after_hours_share: "<= 15%"``.
"""

from __future__ import annotations

from hdkpi import KpiContext, Share, kpi


@kpi("after_hours_share", title="Calls offered after hours", kind="calls", unit="share",
     direction="lower", anchor="offered_at",
     definition="Calls offered outside Mon–Fri 08:00–18:00 UTC ÷ calls offered.")
def after_hours_share(calls, ctx: KpiContext) -> Share:
    offered = calls["offered_at"]
    open_hours = (offered.dt.day_of_week < 5) & offered.dt.hour.between(8, 17)
    return Share(~open_hours, offered.notna(), of="calls offered")
