"""ServiceNow incidents: a plain incident-list export, or an incident event log (one line per update)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InputError
from ..normalise import FALSE_WORDS, TRUE_WORDS
from .base import Converted, Preset

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..load import RawTable

#: ServiceNow source field → header names it is exported under (CSV: field name; Excel/XLSX: label)
ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("number",),
    "opened_at": ("opened_at", "opened"),
    "resolved_at": ("resolved_at", "resolved"),
    "closed_at": ("closed_at", "closed"),
    "incident_state": ("incident_state", "incident state"),
    "state": ("state",),
    "priority": ("priority",),
    "category": ("category",),
    "contact_type": ("contact_type", "channel", "contact type"),
    "assigned_to": ("assigned_to", "assigned to"),
    "assignment_group": ("assignment_group", "assignment group"),
    "caller_id": ("caller_id", "caller"),
    "reopen_count": ("reopen_count", "reopen count"),
    "reassignment_count": ("reassignment_count", "reassignment count"),
    "made_sla": ("made_sla", "made sla"),
    "sys_updated_at": ("sys_updated_at", "sys_updated_on", "updated"),
    "sys_mod_count": ("sys_mod_count", "updates"),
}
#: the columns that make a file an incident event log (all present)
EVENT_LOG_SIGNATURE = ("number", "incident_state", "sys_mod_count", "sys_updated_at", "opened_at")
#: the columns that make a file an incident list (all present, and no sys_mod_count)
LIST_SIGNATURE = ("number", "opened_at")
#: cell texts meaning "no value" (the UCI event log writes ``?``)
MISSING = ("?",)
#: canonical ticket field ← ServiceNow source field, copied as text (normalise types them)
PLAIN = {
    "ticket_id": "number",
    "priority": "priority",
    "category": "category",
    "channel": "contact_type",
    "agent": "assigned_to",
    "team": "assignment_group",
    "requester": "caller_id",
    "reopens": "reopen_count",
    "reassignments": "reassignment_count",
}
DATES = {"created_at": "opened_at", "resolved_at": "resolved_at", "closed_at": "closed_at"}
#: the event log's date format (day first, unpadded): ``5/3/2016 12:00`` is 5 March 2016
EVENT_LOG_DATES = "%d/%m/%Y %H:%M"
REJECT_NO_NUMBER = "number: empty (event of no incident)"
REJECT_NO_TIME = "sys_updated_at: empty or not a date (event cannot be ordered)"
REJECT_NO_COUNT = "sys_mod_count: empty or not a number (event cannot be ordered)"


def _columns(header: list[str]) -> dict[str, str]:
    """ServiceNow source field → the header name it has in this file (first alias found)."""
    by_lower: dict[str, str] = {}
    for name in header:
        by_lower.setdefault(name.strip().strip('"').strip().lower(), name)
    found: dict[str, str] = {}
    for source, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_lower and by_lower[alias] not in found.values():
                found[source] = by_lower[alias]
                break
    return found


def _event_log_iso(text: "pd.Series", column: str, path: str) -> "pd.Series":
    """Event-log dates as ISO text: the explicit day-first format, or as they are when already ISO."""
    from .dates import to_iso

    sample = text.dropna().head(2000)
    if len(sample) and sample.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        return to_iso(text, column=column, path=path)
    return to_iso(text, column=column, path=path, fmt=EVENT_LOG_DATES)


def _text(column: "pd.Series") -> "pd.Series":
    """Stripped text; empty cells and ``?`` are missing."""
    stripped = column.astype("str").str.strip()
    return stripped.mask(stripped.eq("") | stripped.isin(MISSING) | column.isna())


class ServiceNowPreset(Preset):
    """ServiceNow incidents — a plain incident-list export or the incident event log.

    Incident list (``Export > CSV`` of an incident list; headers are field names in CSV and field
    labels in Excel exports, both accepted, case-insensitive): one row per incident, used as is.

    Event log (one line per update of an incident, every line repeating all attributes as they
    were at that update — the UCI "Incident management process enriched event log"): a file with
    ``number``, ``incident_state``, ``sys_mod_count``, ``sys_updated_at`` and ``opened_at``. Events
    are collapsed to one ticket per ``number`` carrying the attributes of its latest event: the
    greatest ``sys_updated_at``, ties (same minute) broken by the greatest ``sys_mod_count``, and an
    exact tie on both by the later line. An event without a number, or whose ``sys_updated_at`` or
    ``sys_mod_count`` is missing or unreadable, cannot be placed and is rejected by the preset with
    its reason. Row accounting is in events: read = events, used = tickets kept, rejected = events
    refused here + tickets refused by normalise, folded = the other events of each incident.

    Fields: ticket_id ← number; created_at ← opened_at; resolved_at ← resolved_at; closed_at ←
    closed_at; status ← incident_state (else state); priority ← priority (text as exported, e.g.
    ``1 - Critical``); category ← category; channel ← contact_type; agent ← assigned_to; team ←
    assignment_group; requester ← caller_id; reopens ← reopen_count; reassignments ←
    reassignment_count; sla_breached ← not made_sla. Every other column is kept as a dimension.
    ``?`` and empty cells are missing everywhere. Event-log dates are day first (``5/3/2016 12:00``
    is 5 March 2016); list-export dates are ISO (ServiceNow's default ``yyyy-MM-dd HH:mm:ss``) or a
    numeric format decided from the values of all three date columns together.

    Closed without resolved_at: such an incident is NOT resolved (KPI_SPEC §6: resolved means
    resolved_at is set; status or closed_at alone do not resolve). It counts in ticket_volume, in
    no resolution KPI (tickets_resolved, resolution_time, reopen_rate, sla_compliance,
    resolved_within), and as never resolved in the backlog; the preset reports how many there are
    (``closed_without_resolved_at``).
    """

    name = "servicenow"
    kind = "tickets"
    title = "ServiceNow incidents: incident-list export, or incident event log (one line per update)"
    reference = ("https://www.servicenow.com/docs/r/platform-administration/table-administration-and-data-management/"
                 "export-list-data.html (Export data from a list; CSV headers are field names, values display "
                 "values: default-values-headers-values.html); event log: UCI Machine Learning Repository "
                 "dataset 498 'Incident management process enriched event log' (doi:10.24432/C57S4H)")
    notes = (
        "Event log (number, incident_state, sys_mod_count, sys_updated_at, opened_at all present): one ticket "
        "per number with the attributes of its latest event — greatest sys_updated_at, ties by greatest "
        "sys_mod_count, then the later line; the other events are folded.",
        "Events without a number, or without a readable sys_updated_at / sys_mod_count, cannot be ordered and "
        "are rejected by the preset with their own reason.",
        "Incident list (number and opened_at, no sys_mod_count): one row per incident; a repeated number is "
        "rejected by normalise as a duplicate (first kept). Field names (CSV) and labels (Excel) both work.",
        "'?' and empty cells are missing; booleans are true/false.",
        "Event-log dates are day first and unpadded (5/3/2016 12:00 = 5 March 2016), minute resolution, no "
        "time zone (read in --tz). List dates: ISO (ServiceNow's default format) or numeric, day/month order "
        "decided from the opened/resolved/closed values together.",
        "sla_breached = not made_sla (made_sla false = SLA breached; empty made_sla = no SLA information).",
        "Closed without resolved_at is not resolved (KPI_SPEC §6): in ticket_volume, in no resolution KPI, and "
        "never resolved in the backlog; counted as closed_without_resolved_at.",
        "status ← incident_state (state when there is no incident_state); priority kept as exported text "
        "('1 - Critical' … '4 - Low'; a raw-value export keeps the codes 1–5).",
        "Vendor difference — SLA: ServiceNow measures SLAs per task SLA definition (task_sla records: several "
        "per incident — response, resolution, OLAs —, paused by states, on schedules; Has breached per record). "
        "made_sla is a legacy task field kept by the old Escalation engine (one SLA per task) and not updated by "
        "the Task SLA engine (ServiceNow docs 'Legacy SLA fields', KB0685189). sla_compliance here is the share "
        "of resolved incidents whose made_sla is true — one flag per incident — not ServiceNow's per-task-SLA "
        "achievement; with the modern engine, export task_sla instead.",
        "Vendor difference — resolve time: ServiceNow's Resolve time field (calendar_stc) is set on closure "
        "(business rule mark_closed) and runs opened → closed; hdkpi's resolution_time runs opened_at → "
        "resolved_at, over incidents with resolved_at only.",
        "Vendor difference — reopens: reopen_count counts resolutions rejected by the caller (Resolved → "
        "In Progress); reopen_rate is resolved incidents with reopen_count > 0 ÷ resolved incidents.",
        "Vendor difference — event log: the latest event's made_sla / priority / reopen_count are used; the "
        "values change between events of one incident (made_sla turns false when the SLA breaches).",
    )

    def score(self, header: list[str], head: str) -> int:
        """Event log: its five signature columns; list: number and opened_at without sys_mod_count and
        with at least one more incident column. The score is the number of ServiceNow columns found."""
        found = _columns(header)
        if all(c in found for c in EVENT_LOG_SIGNATURE):
            return len(found)
        if all(c in found for c in LIST_SIGNATURE) and "sys_mod_count" not in found and len(found) > 2:
            return len(found)
        return 0

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        import pandas as pd

        from ..load import RawTable

        columns = _columns(raw.header)
        if "number" not in columns:
            raise InputError("ServiceNow export without a number column (the incident number); columns seen: "
                             f"{', '.join(raw.header[:20])}", path=raw.path, line=1)
        frame = raw.frame
        read = len(frame)
        event_log = "sys_mod_count" in columns and "sys_updated_at" in columns
        rejected = states = None
        folded = 0
        counts: dict[str, int] = {}
        if event_log:
            keep, rejected, states = self._latest_events(raw, columns, tz)
            frame = frame.loc[keep]
            folded = read - len(rejected) - len(keep)
            counts = {"incidents": len(keep), "events": read}
        else:
            counts = {"incidents": read}

        out: dict[str, pd.Series] = {}
        rules: dict[str, str] = {}
        for fld, source in PLAIN.items():
            if source in columns:
                out[fld] = _text(frame[columns[source]])
                rules[fld] = repr(columns[source])
        state = "incident_state" if "incident_state" in columns else "state"
        if state in columns:
            out["status"] = _text(frame[columns[state]])
            rules["status"] = repr(columns[state])
        dates = self._dates(frame, columns, raw.path, event_log)
        for fld, source in DATES.items():
            if source in columns:
                out[fld] = dates[source]
                rules[fld] = repr(columns[source]) + (" (day first, d/m/yyyy HH:MM)" if event_log else "")
        if "made_sla" in columns:
            made = _text(frame[columns["made_sla"]])
            flipped = made.str.lower().map({**{w: "false" for w in TRUE_WORDS}, **{w: "true" for w in FALSE_WORDS}})
            out["sla_breached"] = flipped.where(flipped.notna(), made).astype("str")
            rules["sla_breached"] = f"not {columns['made_sla']!r} (false = SLA breached)"
        if event_log:
            rules["ticket_id"] = (f"{columns['number']!r}: one ticket per number, the event with the greatest "
                                  f"{columns['sys_updated_at']!r} (ties: greatest {columns['sys_mod_count']!r})")
        if "created_at" in out:
            unresolved = out["resolved_at"].isna() if "resolved_at" in out else pd.Series(True, index=frame.index)
            closed = out["closed_at"].notna() if "closed_at" in out else pd.Series(False, index=frame.index)
            if "status" in out:
                closed = closed | out["status"].str.lower().eq("closed").fillna(False)
            counts["closed_without_resolved_at"] = int((closed & unresolved).sum())

        used = set(columns.values())
        for column in raw.header:  # everything else stays, as dimensions for --by
            if column not in used and column not in out:
                out[column] = _text(frame[column])
        table_frame = pd.DataFrame(out, index=frame.index)
        table = RawTable(path=raw.path, frame=table_frame, header=list(table_frame.columns), delimiter=raw.delimiter)
        return Converted(table=table, read=read, rejected=rejected, folded=folded, counts=counts, rules=rules,
                         states=states)

    @staticmethod
    def _latest_events(raw: "RawTable", columns: dict[str, str],
                       tz: str) -> tuple["pd.Index", "pd.Series", "pd.DataFrame | None"]:
        """The data rows of each incident's latest event (file order), the events refused, and every
        placed event's state (ordered by sys_updated_at, then sys_mod_count, then file order)."""
        import numpy as np
        import pandas as pd

        from ..normalise import parse_datetime
        from ..states import events_frame

        frame = raw.frame
        number = _text(frame[columns["number"]])
        iso = _event_log_iso(_text(frame[columns["sys_updated_at"]]), columns["sys_updated_at"], raw.path)
        updated = pd.to_datetime(iso, format="ISO8601", errors="coerce", utc=True)
        count = pd.to_numeric(_text(frame[columns["sys_mod_count"]]), errors="coerce")
        reason = pd.Series(np.select([number.isna().to_numpy(), updated.isna().to_numpy(), count.isna().to_numpy()],
                                     [REJECT_NO_NUMBER, REJECT_NO_TIME, REJECT_NO_COUNT], default=""),
                           index=frame.index)
        ok = reason.eq("")
        keys = pd.DataFrame({"number": number, "updated": updated, "count": count,
                             "row": np.arange(len(frame))}, index=frame.index)[ok]
        ordered = keys.sort_values(["number", "updated", "count", "row"])
        latest = ordered.drop_duplicates("number", keep="last")
        states = None
        state = "incident_state" if "incident_state" in columns else "state" if "state" in columns else None
        if state is not None:
            at = parse_datetime(iso.loc[ordered.index], tz)  # in --tz, as normalise reads opened_at
            states = events_frame(ordered["number"], _text(frame.loc[ordered.index, columns[state]]).fillna(""),
                                  at, np.arange(len(ordered)))
        return latest.index.sort_values(), reason[~ok].astype("str"), states

    @staticmethod
    def _dates(frame: "pd.DataFrame", columns: dict[str, str], path: str, event_log: bool) -> dict[str, "pd.Series"]:
        """opened_at, resolved_at, closed_at as ISO text, with one format decided for the three together."""
        import pandas as pd

        from .dates import to_iso

        present = [s for s in DATES.values() if s in columns]
        if not present:
            return {}
        stacked = pd.concat([_text(frame[columns[s]]) for s in present], keys=present)
        label = "/".join(columns[s] for s in present)
        # event log: day first (d/m/yyyy HH:MM); a list: the values decide (ISO passes through as it is)
        iso = _event_log_iso(stacked, label, path) if event_log else to_iso(stacked, column=label, path=path)
        return {s: iso.xs(s).astype("str") for s in present}


PRESET = ServiceNowPreset()
