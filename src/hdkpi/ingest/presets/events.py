"""The ``events`` preset: any process-mining style event log, one ticket per case.

A CSV with a case id, a timestamp and an activity (or state) per line — the XES names
``case:concept:name``, ``concept:name``, ``time:timestamp`` are recognised, and ``case_id``,
``activity``/``state``/``status``, ``timestamp``; others are given with ``--map`` on the
canonical names ``ticket_id`` (case), ``created_at`` (timestamp) and ``status`` (activity).

Rules, per case (vectorised: one sort and a few groupby passes):

- created_at = the first event's time; closed_at = the last event's time;
- resolved_at = the time of the first event whose activity is a resolved state
  (:data:`RESOLVED_STATES`, case-insensitive: resolved, closed, done, solved, completed,
  complete, fixed); a case that never reaches one is unresolved;
- reopens = the number of returns from a resolved state to any other activity;
- replies (touches) = the number of events of the case;
- status = the last activity; every other column is taken from the case's last event.

Events without a case id or a readable time are refused with their own reason; the other
events of a case are folded into its one ticket (counted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Converted, Preset

if TYPE_CHECKING:  # pragma: no cover

    from ..load import RawTable

CASE = ("case:concept:name", "case_id", "case id", "caseid", "case")
ACTIVITY = ("concept:name", "activity", "state", "status", "event", "lifecycle:transition")
TIME = ("time:timestamp", "timestamp", "time", "event_time", "date")
RESOLVED_STATES = ("resolved", "closed", "done", "solved", "completed", "complete", "fixed")


def _find(header: list[str], names: tuple[str, ...]) -> str | None:
    by_name = {h.strip().lower(): h for h in header}
    return next((by_name[n] for n in names if n in by_name), None)


class EventLogPreset(Preset):
    """A generic event log (XES-style CSV) collapsed to one ticket per case."""

    name = "events"
    kind = "tickets"
    title = "event log (case id, timestamp, activity), one ticket per case"
    reference = "https://www.xes-standard.org/ (IEEE 1849 XES: concept:name, time:timestamp, case:concept:name)"
    notes = (
        "created_at = first event, closed_at = last event of a case",
        "resolved_at = first event whose activity is one of " + ", ".join(RESOLVED_STATES),
        "reopens = returns from a resolved state to another activity; replies = events of the case",
        "other columns come from the case's last event",
    )

    def score(self, header: list[str], head: str) -> int:
        names = {h.strip().lower() for h in header}
        if "case:concept:name" in names and "time:timestamp" in names:
            return 10  # the XES column names are unmistakable
        if "ticket_id" in names or "created_at" in names:
            return 0  # canonical columns: not an event log
        case, activity, time = (_find(header, CASE), _find(header, ACTIVITY), _find(header, TIME))
        return 3 if case and activity and time else 0

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        import pandas as pd

        from ...errors import InputError
        from ..load import RawTable
        from .dates import to_iso

        case, activity, time = (_find(raw.header, CASE), _find(raw.header, ACTIVITY), _find(raw.header, TIME))
        if not (case and activity and time):
            raise InputError("an event log needs a case id, an activity and a timestamp column "
                             f"(found {', '.join(raw.header)}); name them case:concept:name, concept:name and "
                             "time:timestamp, or use --preset generic with --map", path=raw.path)
        frame = raw.frame
        ids = frame[case].astype("str").str.strip().replace("", pd.NA)
        iso = to_iso(frame[time].astype("str").str.strip().replace("", pd.NA), column=time, path=raw.path)
        moment = pd.to_datetime(iso, format="ISO8601", errors="coerce", utc=True)  # for ordering only
        reasons = pd.Series(pd.NA, index=frame.index, dtype="object")
        reasons = reasons.mask(ids.isna(), f"{case}: empty (an event without a case)")
        reasons = reasons.mask(reasons.isna() & moment.isna(), f"{time}: not a date")
        kept = reasons.isna()
        events = pd.DataFrame({"case": ids, "moment": moment, "activity": frame[activity].astype("str").str.strip(),
                               "iso": iso}, index=frame.index).loc[kept]
        events = events.sort_values(["case", "moment"], kind="stable")  # ties keep file order
        resolved = events["activity"].str.lower().isin(RESOLVED_STATES)
        group = events.groupby("case", sort=False)
        was_resolved = resolved.groupby(events["case"], sort=False).shift(1, fill_value=False).astype(bool)
        reopened = was_resolved & ~resolved
        first = group.head(1).set_index("case")
        last = group.tail(1)
        cases = pd.DataFrame({
            "ticket_id": last["case"].to_numpy(),
            "created_at": first.loc[last["case"], "iso"].to_numpy(),
            "closed_at": last["iso"].to_numpy(),
            "status": last["activity"].to_numpy(),
        }, index=last.index)
        resolved_at = events.loc[resolved].groupby("case", sort=False)["iso"].first()
        cases["resolved_at"] = cases["ticket_id"].map(resolved_at)
        cases["reopens"] = cases["ticket_id"].map(reopened.groupby(events["case"]).sum()).astype("int64").astype("str")
        cases["replies"] = cases["ticket_id"].map(group.size()).astype("str")
        for column in raw.header:  # other attributes from the case's last event
            if column not in (case, activity, time) and column not in cases:
                cases[column] = frame.loc[cases.index, column]
        cases = cases.sort_index()
        table = RawTable(path=raw.path, frame=cases, header=list(cases.columns), delimiter=raw.delimiter)
        from ..normalise import parse_datetime
        from ..states import events_frame

        states = events_frame(events["case"], events["activity"], parse_datetime(events["iso"], tz))
        rejected = reasons.dropna()
        return Converted(
            table=table, read=len(frame), rejected=rejected if len(rejected) else None,
            folded=int(kept.sum()) - len(cases), counts={"cases": len(cases), "events": len(frame)},
            rules={"ticket_id": f"{case!r}", "created_at": f"first {time!r} of the case",
                   "closed_at": f"last {time!r} of the case",
                   "resolved_at": f"first {time!r} whose {activity!r} is a resolved state",
                   "reopens": f"returns from a resolved {activity!r}", "replies": "events of the case",
                   "status": f"last {activity!r}"},
            states=states)


PRESET = EventLogPreset()
