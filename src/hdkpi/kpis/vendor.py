"""Vendor definitions: a KPI as the vendor's own dashboard computes it (``--definitions vendor``).

hdkpi's definitions (KPI_SPEC) are the default, so figures compare across desks and tools. When a
user holds hdkpi's figure against their vendor's dashboard, ``--definitions vendor`` swaps in the
vendor's formula for the KPIs listed here, for files read with that vendor's preset; the result's
method names the vendor's definition. KPIs without a vendor variant keep hdkpi's definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..engine.measures import Share

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiContext


def zendesk_one_touch(tickets: "pd.DataFrame", ctx: "KpiContext") -> Share:
    """Zendesk's one-touch resolution: solved tickets with fewer than 2 agent replies ÷ solved tickets;
    reopens are not looked at (support.zendesk.com/hc/en-us/articles/4408820618266)."""
    from ..errors import MissingFields

    if "replies" not in tickets:
        raise MissingFields(("replies",), "Zendesk's one-touch needs the Replies column")
    solved = tickets["resolved_at"].notna() if "resolved_at" in tickets else tickets["resolution_seconds"].notna()
    known = solved & tickets["replies"].notna()
    return Share(tickets["replies"] < 2, known, of="solved tickets with a reply count",
                 method="vendor: Zendesk one-touch resolution (replies < 2, reopens not looked at)")


def exits_as_abandons(calls: "pd.DataFrame", ctx: "KpiContext") -> Share:
    """Queue reports built on Asterisk's queue_log that count every EXIT* (timeout, empty queue, key
    pressed) as abandoned: (abandoned + other) ÷ offered."""
    left = calls["outcome"].isin(["abandoned", "other"])
    return Share(left, calls["offered_at"].notna(), of="calls offered",
                 method="vendor: queue_log reports (ABANDON and EXIT* both abandoned)")


#: preset name → KPI name → the vendor's KPI function (same signature as a built-in)
VENDOR_KPIS: dict[str, dict[str, Callable[..., Any]]] = {
    "zendesk": {"fcr": zendesk_one_touch},
    "asterisk": {"abandonment_rate": exits_as_abandons},
}
