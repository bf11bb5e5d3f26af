"""Ticket state histories: when each ticket entered each state, for SLA clocks that pause.

Two sources give one table (columns ``ticket_id``, ``state``, ``at`` in UTC, ``seq`` — the order of
events at the same instant): an event log read by its preset (``events``, the ServiceNow incident
event log), which keeps every event's state beside the one ticket it folds them into; and
``--states FILE`` for exports that keep the history apart (Zendesk ticket audits, Jira changelogs),
a CSV with the columns ticket_id, state and at (names are matched case-insensitively; ``status``,
``to_status``, ``timestamp``, ``changed_at``, ``created`` are recognised too). Events that cannot be
placed (no ticket, no state, a time that is not one) are rejected with their reason and counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model import InputSummary

TICKET = ("ticket_id", "ticket", "id", "issue_key", "issue key", "key", "number", "case_id")
STATE = ("state", "status", "to_status", "to", "new_value", "value")
AT = ("at", "timestamp", "changed_at", "time", "created", "created_at", "date")
REJECT_NO_TICKET = "ticket_id: empty (a state change of no ticket)"
REJECT_NO_STATE = "state: empty"
REJECT_NO_TIME = "at: empty or not a date"


def events_frame(ticket_id: "pd.Series", state: "pd.Series", at: "pd.Series", seq: "pd.Series | None" = None
                 ) -> "pd.DataFrame":
    """The state-history table from its columns (``at`` already UTC datetimes)."""
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"ticket_id": ticket_id.astype("string").to_numpy(),
                         "state": state.astype("string").str.strip().to_numpy(),
                         "at": at.to_numpy(),
                         "seq": np.arange(len(ticket_id)) if seq is None else np.asarray(seq)})


def _pick(header: list[str], names: tuple[str, ...]) -> str | None:
    by_name = {h.strip().lower(): h for h in header}
    return next((by_name[n] for n in names if n in by_name), None)


def read_states(path: str, tz: str) -> tuple["pd.DataFrame", "InputSummary"]:
    """``--states FILE``: the events and their row accounting."""
    import pandas as pd

    from ..model import InputSummary
    from .load import read_table
    from .normalise import EXAMPLES_PER_REASON, parse_datetime
    from .presets.dates import to_iso

    raw = read_table(path)
    columns = {"ticket_id": _pick(raw.header, TICKET), "state": _pick(raw.header, STATE),
               "at": _pick(raw.header, AT)}
    missing = [f for f, c in columns.items() if c is None]
    if missing:
        raise InputError(f"a state history needs the columns ticket_id, state and at; missing {', '.join(missing)} "
                         f"(columns seen: {', '.join(raw.header[:12])})", path=path, line=1)
    frame = raw.frame
    ids = frame[columns["ticket_id"]].astype("string").str.strip().replace("", pd.NA)
    states = frame[columns["state"]].astype("string").str.strip().replace("", pd.NA)
    text = frame[columns["at"]].astype("string").str.strip().replace("", pd.NA)
    at = parse_datetime(to_iso(text, column=columns["at"], path=path), tz)
    reason = pd.Series(pd.NA, index=frame.index, dtype="object")
    reason = reason.mask(ids.isna(), REJECT_NO_TICKET)
    reason = reason.mask(reason.isna() & states.isna(), REJECT_NO_STATE)
    reason = reason.mask(reason.isna() & at.isna(), REJECT_NO_TIME)
    ok = reason.isna()
    refused = reason[~ok]
    summary = InputSummary(path=path, kind="states", preset="generic", read=len(frame), used=int(ok.sum()),
                           rejected_by_reason={str(r): int(n) for r, n in refused.value_counts().sort_index().items()},
                           mapping={f: repr(c) for f, c in columns.items()},
                           examples_by_reason={str(r): [int(x) for x in g.index[:EXAMPLES_PER_REASON]]
                                               for r, g in refused.groupby(refused, sort=True)})
    return events_frame(ids[ok], states[ok], at[ok]), summary
