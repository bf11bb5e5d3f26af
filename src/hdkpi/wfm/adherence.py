"""Schedule adherence, conformance and occupancy: a schedule and an agent-state log, compared in time.

Inputs
------
* **Schedule** (:func:`read_schedule`, :func:`prepare_schedule`): one row per planned activity,
  columns ``agent``, ``start``, ``end``, ``activity`` and optionally ``team`` (one team per agent).
  Activities are free words, lower-cased; ``phone``/``calls``/``available``/``open``/``shift`` mean
  ``work``. An agent's rows must not overlap (one activity at a time): overlapping rows are refused
  with an :class:`~hdkpi.errors.InputError` naming both rows, never resolved by guessing.
* **Agent-state log** (:func:`read_states`, :func:`prepare_states`): a generic CSV with ``agent``,
  ``state``, ``from``, ``to`` (``start``/``end`` also accepted) and optionally ``reason``, or an
  Asterisk ``queue_log`` whose agent events become the same intervals (:func:`states_from_queue_log`).
  An empty ``to`` lasts until the agent's next row, or to the end of the log (flagged ``open_end``).
  Time not covered by any row is logged out.
* **Calls** (optional): the canonical calls frame (``agent``, ``answered_at`` or ``offered_at`` +
  ``wait_seconds``, ``talk_seconds``, ``hold_seconds``, ``acw_seconds``). A call occupies its agent
  from the answer for talk + hold + acw seconds (a missing part counts 0 s, as in ``aht``).

Naive timestamps are wall-clock times in ``tz``; offsets are honoured.

State → activity (:data:`STATE_ACTIVITY`; extend or override with ``state_map``)
--------------------------------------------------------------------------------
==========================================================  ======================================
state (case, spaces and hyphens ignored)                     activity
==========================================================  ======================================
available, idle, ready, waiting, talking, on_call, in_call,  ``work``
busy, ringing, hold, acw, wrap, wrapup, after_call_work
paused, pause, not_ready, aux, unavailable, away, dnd        the reason (``paused`` + ``break`` →
(reason from the ``reason`` column or ``paused:REASON``)     ``break``); no reason → ``paused``
break, lunch, training, meeting, coaching                    itself
logged_out, logout, logged_off, offline, out, signed_out     ``out``
==========================================================  ======================================

An unknown state is refused (InputError listing it) rather than counted as anything.

Measures (seconds, per agent and period; every ratio is a ratio of sums, so teams weigh agents by time)
-------------------------------------------------------------------------------------------------------
* ``scheduled_seconds``: all scheduled time, breaks included — a break taken at the wrong time is a miss.
* ``in_adherence_seconds``: scheduled time spent in the scheduled activity. Scheduled ``work`` needs a work
  state; a scheduled ``break``/``lunch`` is kept by pausing with that reason *or* by being logged out (off
  the phone as planned); any other activity (training, meeting…) by a pause reason or state of that name.
  **adherence** = in_adherence ÷ scheduled (Call Centre Helper, "What Is Adherence?": minutes in
  adherence ÷ total scheduled minutes).
* ``scheduled_work_seconds``: scheduled time that is not ``break``/``lunch``.
* ``worked_seconds``: logged in and not on a break or lunch pause, **whether scheduled or not**.
  **conformance** = worked ÷ scheduled work, so overtime can lift it above 100 % (SWPP glossary,
  "compliance/conformance": total time worked vs total time scheduled; Cisco Unified WFO WFM reports,
  "Conformity percent": time in service whether or not scheduled ÷ time scheduled).
* ``unscheduled_seconds``: logged-in time outside every schedule row — never in adherence (neither
  numerator nor denominator), but worked; noted from a quarter-hour up (minutes early are normal).
* ``logged_in_seconds``: every state except ``out`` (pauses included).
* ``ready_seconds``: time in a work state (available, talking, acw): the time calls could be handled.
* ``handling_seconds``: handling time inside ready time (overlapping calls of one agent counted once).
  **occupancy** = handling ÷ ready, the "(talk + hold + wrap) ÷ (talk + hold + wrap + available)"
  formula (Calabrio WFM glossary: occupancy = handle time ÷ ready time). Paused and logged-out time is
  left out of the denominator on purpose: counting a logged-in lunch pause as idle would make a busy agent
  look under-occupied (Contact Center Pipeline blog, "The Ugly Truth About Call Center Agent Occupancy",
  2015, on how switches disagree about the denominator). Handling outside ready time is not counted and is noted.

Periods are calendar days/weeks/months (or hours) in ``tz`` from :func:`hdkpi.engine.slicing.make_periods`;
an interval crossing a period boundary (a 22:00–06:00 shift) is split at it, so each day gets its part.

How it is computed, without a loop over rows or minutes: every interval start/end and every period
boundary of an agent becomes a breakpoint; consecutive breakpoints of an agent form elementary
segments, on which schedule, state and call coverage are constant. The schedule row, state row and
merged call block covering each segment are found with ``pandas.merge_asof(by="agent")`` (a
per-agent binary search), then every measure is a masked ``groupby().sum()`` of segment lengths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "COLUMNS", "STATE_ACTIVITY", "adherence", "prepare_schedule", "prepare_states", "read_schedule",
    "read_states", "states_from_queue_log",
]

WORK = "work"
OUT = "out"
PAUSED = "paused"
#: scheduled activities that are time off the job: not scheduled work, not worked time
OFF_JOB = frozenset({"break", "lunch"})
SCHEDULE_ALIASES = {"phone": WORK, "calls": WORK, "available": WORK, "open": WORK, "shift": WORK}
WORK_STATES = ("available", "idle", "ready", "waiting", "talking", "talk", "on_call", "in_call", "busy",
               "ringing", "hold", "on_hold", "acw", "wrap", "wrapup", "wrap_up", "after_call_work", "work")
PAUSE_STATES = ("paused", "pause", "not_ready", "notready", "aux", "unavailable", "away", "dnd")
NAMED_STATES = ("break", "lunch", "training", "meeting", "coaching")
OUT_STATES = ("logged_out", "loggedout", "logout", "logged_off", "logoff", "offline", "out", "signed_out")
#: documented state → activity table; pause states take their reason (see the module docstring)
STATE_ACTIVITY: dict[str, str] = {
    **dict.fromkeys(WORK_STATES, WORK), **dict.fromkeys(PAUSE_STATES, PAUSED),
    **{s: s for s in NAMED_STATES}, **dict.fromkeys(OUT_STATES, OUT),
}
#: unscheduled log-in time worth a note (a quarter-hour, the usual WFM interval); minutes early are normal
NOTE_UNSCHEDULED_FROM = 900
EVERY = ("hour", "day", "week", "month")
BY = ("agent", "team", "desk")
#: the result's columns, in order
COLUMNS = ("agent", "team", "period", "scheduled_seconds", "scheduled_work_seconds", "in_adherence_seconds",
           "worked_seconds", "unscheduled_seconds", "logged_in_seconds", "ready_seconds", "handling_seconds",
           "adherence", "conformance", "occupancy", "notes")
SECONDS = COLUMNS[3:11]

#: Asterisk queue_log agent events (https://docs.asterisk.org/Operation/Logging/Queue-Logs/)
QL_LOGIN = ("AGENTLOGIN", "AGENTCALLBACKLOGIN", "ADDMEMBER")
QL_LOGOFF = ("AGENTLOGOFF", "AGENTCALLBACKLOGOFF", "REMOVEMEMBER")
QL_PAUSE = ("PAUSE", "PAUSEALL")
QL_UNPAUSE = ("UNPAUSE", "UNPAUSEALL")

_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_ALIASES = {"from": ("from", "start", "begin", "started_at"), "to": ("to", "end", "until", "ended_at"),
            "start": ("start", "from", "begin"), "end": ("end", "to", "until")}
_UNIT = "datetime64[us, UTC]"


# -- reading ---------------------------------------------------------------------------------------------

def read_schedule(path: str, tz: str = "UTC") -> "pd.DataFrame":
    """A schedule file (CSV/TSV/xlsx/parquet, read like an export) checked by :func:`prepare_schedule`."""
    from ..ingest.load import read_table

    raw = read_table(path)
    return prepare_schedule(raw.frame, tz, path=path)


def read_states(path: str, tz: str = "UTC", state_map: Mapping[str, str] | None = None) -> "pd.DataFrame":
    """An agent-state log: Asterisk ``queue_log`` (detected from its lines) or a generic state CSV."""
    from ..ingest.presets import asterisk

    data = asterisk._bytes(path)
    head = data[: 1 << 16].decode("utf-8-sig", errors="replace")
    if asterisk._is_queue_log(head):
        raw = asterisk.read_queue_log(data, path)
        intervals = states_from_queue_log(raw.frame)
        states = prepare_states(intervals, tz, path=path, state_map=state_map)
        states.attrs["notes"] = intervals.attrs.get("notes", [])
        return states
    from ..ingest.load import read_table

    return prepare_states(read_table(path).frame, tz, path=path, state_map=state_map)


def states_from_queue_log(events: "pd.DataFrame", *, log_end: Any = None) -> "pd.DataFrame":
    """Asterisk queue_log agent events → state intervals (agent, state, reason, from, to, open_end, row).

    ``events`` is :func:`hdkpi.ingest.presets.asterisk.read_queue_log`'s table (epoch, callid, queue, agent,
    event, data1…). Why these rules: an agent is logged in while a member of at least one queue
    (ADDMEMBER/REMOVEMEMBER per queue; AGENTLOGIN/AGENTLOGOFF and the callback variants count as a
    membership of their own), so leaving one of two queues does not log the agent out. PAUSE/PAUSEALL
    (reason = data1) and UNPAUSE/UNPAUSEALL set the pause of the agent in all queues; a log-off from the
    last queue ends the pause. A login still open at the last line of the log ends there (or at
    ``log_end``), flagged ``open_end``. A log-off with no login before it in the file means the agent was
    logged in before the log began: that earlier time is unknown and counted as logged out (noted in
    ``.attrs["notes"]``). Call events are ignored here; they are the calls preset's.
    """
    import numpy as np
    import pandas as pd

    epoch = pd.to_numeric(events["epoch"], errors="coerce")
    end_epoch = float(epoch.max()) if log_end is None else pd.Timestamp(log_end).timestamp()
    names = events["event"].fillna("")
    agent = events["agent"].fillna("").astype("str").str.strip()
    mine = epoch.notna() & names.isin(QL_LOGIN + QL_LOGOFF + QL_PAUSE + QL_UNPAUSE) & agent.ne("") & agent.ne(
        "NONE")
    ev = pd.DataFrame({
        "agent": agent[mine], "queue": events.loc[mine, "queue"].fillna("NONE"), "event": names[mine],
        "reason": events.loc[mine, "data1"].fillna("").astype("str").str.strip(), "epoch": epoch[mine],
        "row": events.index[mine],
    }).sort_values(["agent", "epoch", "row"], kind="stable")

    member = ev["event"].isin(QL_LOGIN + QL_LOGOFF)
    login = ev["event"].isin(QL_LOGIN)
    flag = pd.Series(np.where(login, 1.0, 0.0), index=ev.index).where(member)
    previous = flag[member].groupby([ev.loc[member, "agent"], ev.loc[member, "queue"]]).shift().fillna(0.0)
    delta = (flag[member] - previous).reindex(ev.index, fill_value=0.0)
    queues = delta.groupby(ev["agent"]).cumsum()  # number of queues the agent is logged in to
    logged = queues.gt(0)
    orphan = member & ~login & previous.reindex(ev.index).eq(0.0)

    token = pd.Series(pd.NA, index=ev.index, dtype="object")
    token[ev["event"].isin(QL_PAUSE)] = "paused:" + ev["reason"]
    token[ev["event"].isin(QL_UNPAUSE)] = "available"
    token[member & ~logged] = "available"  # logged off everywhere: the pause ends with the session
    token = token.groupby(ev["agent"]).ffill().fillna("available")
    token = token.where(logged, "logged_out")

    changed = token.ne(token.groupby(ev["agent"]).shift())
    runs = ev.loc[changed, ["agent", "epoch", "row"]].assign(token=token[changed])
    following = runs.groupby("agent")["epoch"].shift(-1)
    runs["open_end"] = following.isna() & runs["token"].ne("logged_out")
    runs["to_epoch"] = following.fillna(end_epoch)
    runs = runs.loc[runs["token"].ne("logged_out") & runs["to_epoch"].gt(runs["epoch"])]
    state = runs["token"].str.split(":", n=1)
    out = pd.DataFrame({
        "agent": runs["agent"],
        "state": state.str[0],
        "reason": state.str[1].fillna(""),
        "from": pd.to_datetime(runs["epoch"] * 1e6, unit="us", utc=True).astype(_UNIT),
        "to": pd.to_datetime(runs["to_epoch"] * 1e6, unit="us", utc=True).astype(_UNIT),
        "open_end": runs["open_end"].astype(bool),
        "row": runs["row"],
    }).reset_index(drop=True)
    first_orphans = ev.loc[orphan].drop_duplicates("agent")  # one note per agent, its first such line
    out.attrs["notes"] = (first_orphans["agent"] + ": " + first_orphans["event"] + " at line "
                          + first_orphans["row"].astype("str") + " without a login earlier in the log: logged in "
                          "before the log began, that time is counted as logged out").tolist()
    return out


# -- checking the inputs ------------------------------------------------------------------------------------

def _key(values: "pd.Series") -> "pd.Series":
    return values.astype("str").str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)


def _column(frame: "pd.DataFrame", name: str, what: str, path: str, required: bool = True) -> str | None:
    found = {_key_text(c): c for c in frame.columns}
    for alias in _ALIASES.get(name, (name,)):
        if alias in found:
            return found[alias]
    if required:
        raise InputError(f"{what} without a {name!r} column; found {', '.join(map(str, frame.columns))}",
                         path=path)
    return None


def _key_text(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _times(values: "pd.Series", tz: str, what: str, path: str) -> "pd.Series":
    """Instants (UTC, µs); naive values are wall-clock times in ``tz``. A value that is no time is refused."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(_UNIT)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        local = values.dt.tz_localize(tz, ambiguous=np.ones(len(values), dtype=bool), nonexistent="shift_forward")
        return local.dt.tz_convert("UTC").astype(_UNIT)
    text = values.astype("str").str.strip().where(values.notna())
    text = text.mask(text.eq(""))
    out = pd.Series(pd.NaT, index=values.index, dtype=_UNIT)
    has_offset = text.str.contains(_OFFSET, na=False)
    if has_offset.any():
        out[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
    naive = text.notna() & ~has_offset
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        local = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
        out[naive] = local.dt.tz_convert("UTC")
    bad = text.notna() & out.isna()
    if bad.any():
        row = bad.idxmax()
        raise InputError(f"{what} {text[row]!r} in row {row} is not a date and time (write ISO 8601, e.g. "
                         f"2026-10-26T08:00 or 2026-10-26T08:00+00:00); {int(bad.sum())} such row(s)", path=path)
    return out


def _refuse_overlaps(frame: "pd.DataFrame", what: str, path: str, label: str, tz: str) -> None:
    """Rows of one agent that overlap make "what was the agent doing" ambiguous: refused, with both rows
    (times shown on the clock of ``tz``)."""
    ordered = frame.sort_values(["agent", "start", "end"], kind="stable")
    reach = ordered.groupby("agent")["end"].cummax()
    before = reach.groupby(ordered["agent"]).shift()
    clash = ordered["start"].lt(before).fillna(False)
    if not clash.any():
        return
    culprits = ordered.loc[clash].head(3)
    ends = ordered["end"].groupby(ordered["agent"]).shift()
    rows = ordered["row"].groupby(ordered["agent"]).shift()
    acts = ordered[label].groupby(ordered["agent"]).shift()
    pairs = "; ".join(  # at most three culprits, for the message
        f"{c['agent']}: row {int(rows[i])} ({acts[i]} until {ends[i].tz_convert(tz):%Y-%m-%d %H:%M}) and row "
        f"{int(c['row'])} ({c[label]} from {c['start'].tz_convert(tz):%Y-%m-%d %H:%M})"
        for i, c in culprits.iterrows())
    raise InputError(f"{what}: {int(clash.sum())} row(s) overlap an earlier row of the same agent, refused — "
                     f"{pairs}; an agent does one thing at a time: fix the rows", path=path)


def prepare_schedule(frame: "pd.DataFrame", tz: str = "UTC", *, path: str = "schedule") -> "pd.DataFrame":
    """The schedule as (agent, team, activity, start, end, row), UTC; refuses bad times and overlaps."""
    import pandas as pd

    agent_col = _column(frame, "agent", "schedule", path)
    act_col = _column(frame, "activity", "schedule", path)
    team_col = _column(frame, "team", "schedule", path, required=False)
    rows = frame["row"] if "row" in frame.columns else pd.Series(frame.index, index=frame.index)
    out = pd.DataFrame({
        "agent": frame[agent_col].astype("str").str.strip().where(frame[agent_col].notna()),
        "team": (frame[team_col].astype("str").str.strip().where(frame[team_col].notna())
                 if team_col else pd.Series(pd.NA, index=frame.index, dtype="str")),
        "activity": _key(frame[act_col]).where(frame[act_col].notna()),
        "start": _times(frame[_column(frame, "start", "schedule", path)], tz, "schedule start", path),
        "end": _times(frame[_column(frame, "end", "schedule", path)], tz, "schedule end", path),
        "row": rows.astype("int64"),
    })
    out["agent"] = out["agent"].mask(out["agent"].eq(""))
    out["activity"] = out["activity"].replace(SCHEDULE_ALIASES)
    missing = out[["agent", "activity", "start", "end"]].isna().any(axis=1)
    if missing.any():
        row = int(out.loc[missing, "row"].iloc[0])
        raise InputError(f"schedule row {row} has an empty agent, activity, start or end; "
                         f"{int(missing.sum())} such row(s)", path=path)
    backwards = out["end"].le(out["start"])
    if backwards.any():
        row = int(out.loc[backwards, "row"].iloc[0])
        raise InputError(f"schedule row {row} ends before or when it starts; {int(backwards.sum())} such row(s)",
                         path=path)
    teams = out.dropna(subset=["team"]).groupby("agent")["team"].nunique()
    if teams.gt(1).any():
        who = teams.index[teams.gt(1)][0]
        raise InputError(f"schedule: agent {who} is in several teams "
                         f"({', '.join(sorted(out.loc[out['agent'].eq(who), 'team'].dropna().unique()))}); "
                         "give one team per agent", path=path)
    _refuse_overlaps(out, "schedule", path, "activity", tz)
    return out.sort_values(["agent", "start"], kind="stable").reset_index(drop=True)


def _activities(state: "pd.Series", reason: "pd.Series", state_map: Mapping[str, str] | None,
                path: str) -> "pd.Series":
    """Each state's activity from :data:`STATE_ACTIVITY` (``state_map`` first); pauses take their reason."""
    import pandas as pd

    parts = _key(state).str.extract(r"^([^:]*)(?::(.*))?$")  # "paused:break" carries its reason inline
    key = parts[0].str.strip("_")
    why = _key(reason).where(reason.notna() & reason.astype("str").str.strip().ne(""))
    why = why.fillna(parts[1].astype("str").str.strip("_").mask(lambda s: s.eq("")))
    table = {**STATE_ACTIVITY, **{_key_text(k): _key_text(v) for k, v in (state_map or {}).items()}}
    activity = key.map(table)
    unknown = activity.isna()
    if unknown.any():
        names = sorted(state[unknown].astype("str").unique())[:8]
        raise InputError(f"state log: unknown state(s) {', '.join(map(repr, names))}; known: work "
                         f"({', '.join(WORK_STATES[:6])}…), pause ({', '.join(PAUSE_STATES[:4])}… + reason), "
                         f"{', '.join(NAMED_STATES)}, out ({', '.join(OUT_STATES[:4])}…); map others with "
                         "state_map", path=path)
    paused = activity.eq(PAUSED)
    activity = activity.mask(paused & why.notna(), why)
    return pd.Series(activity, index=state.index, dtype="str")


def prepare_states(frame: "pd.DataFrame", tz: str = "UTC", *, path: str = "states",
                   state_map: Mapping[str, str] | None = None, log_end: Any = None) -> "pd.DataFrame":
    """States as (agent, state, reason, activity, start, end, open_end, row), UTC; refuses overlaps.

    An empty ``to`` lasts until the agent's next row, else to the end of the log (the latest time in it,
    or ``log_end``), flagged ``open_end`` because the true end is unknown.
    """
    import pandas as pd

    agent_col = _column(frame, "agent", "state log", path)
    state_col = _column(frame, "state", "state log", path)
    reason_col = _column(frame, "reason", "state log", path, required=False)
    to_col = _column(frame, "to", "state log", path, required=False)
    rows = frame["row"] if "row" in frame.columns else pd.Series(frame.index, index=frame.index)
    reason = frame[reason_col] if reason_col else pd.Series(pd.NA, index=frame.index, dtype="str")
    out = pd.DataFrame({
        "agent": frame[agent_col].astype("str").str.strip().where(frame[agent_col].notna()),
        "state": frame[state_col].astype("str").str.strip().where(frame[state_col].notna()),
        "reason": reason.astype("str").str.strip().where(reason.notna()).fillna(""),
        "start": _times(frame[_column(frame, "from", "state log", path)], tz, "state from", path),
        "end": (_times(frame[to_col], tz, "state to", path) if to_col
                else pd.Series(pd.NaT, index=frame.index, dtype=_UNIT)),
        "open_end": (frame["open_end"].astype(bool) if "open_end" in frame.columns
                     else pd.Series(False, index=frame.index)),
        "row": rows.astype("int64"),
    })
    out["agent"] = out["agent"].mask(out["agent"].eq(""))
    missing = out[["agent", "state", "start"]].isna().any(axis=1)
    if missing.any():
        row = int(out.loc[missing, "row"].iloc[0])
        raise InputError(f"state log row {row} has an empty agent, state or from; {int(missing.sum())} such row(s)",
                         path=path)
    out["activity"] = _activities(out["state"], out["reason"], state_map, path)
    out = out.sort_values(["agent", "start", "row"], kind="stable")
    last = pd.Timestamp(log_end).tz_convert("UTC") if log_end is not None else \
        pd.concat([out["start"], out["end"]]).max()
    following = out.groupby("agent")["start"].shift(-1)
    open_ended = out["end"].isna()
    out["open_end"] = out["open_end"] | (open_ended & following.isna())
    out["end"] = out["end"].fillna(following).fillna(last).astype(_UNIT)
    backwards = out["end"].lt(out["start"])
    if backwards.any():
        row = int(out.loc[backwards, "row"].iloc[0])
        raise InputError(f"state log row {row} ends before it starts; {int(backwards.sum())} such row(s)", path=path)
    out = out.loc[out["end"].gt(out["start"])]
    _refuse_overlaps(out, "state log", path, "state", tz)
    columns = ["agent", "state", "reason", "activity", "start", "end", "open_end", "row"]
    return out[columns].reset_index(drop=True)


def _handling(calls: "pd.DataFrame", agents: "pd.Index", tz: str) -> "pd.DataFrame":
    """Merged handling blocks (agent, start, end) of the known agents: overlapping calls counted once."""
    import pandas as pd

    if "agent" not in calls.columns or "talk_seconds" not in calls.columns:
        raise InputError("calls without agent and talk_seconds: occupancy needs them", path="calls")
    seconds = sum((pd.to_numeric(calls[c], errors="coerce").fillna(0.0) if c in calls.columns else 0.0)
                  for c in ("talk_seconds", "hold_seconds", "acw_seconds"))
    has_answer = "answered_at" in calls.columns
    answered = (_times(calls["answered_at"], tz, "answered_at", "calls") if has_answer
                else pd.Series(pd.NaT, index=calls.index, dtype=_UNIT))
    outcome = (calls["outcome"].astype("str").str.lower().eq("answered").fillna(False) if "outcome" in calls.columns
               else pd.Series(not has_answer, index=calls.index))
    if "offered_at" in calls.columns and "wait_seconds" in calls.columns:  # answer = offer + wait, when answered
        offered = _times(calls["offered_at"], tz, "offered_at", "calls")
        wait = pd.to_timedelta(pd.to_numeric(calls["wait_seconds"], errors="coerce"), unit="s")
        answered = answered.fillna((offered + wait).where(outcome))
    agent = calls["agent"].astype("str").str.strip().where(calls["agent"].notna())
    used = agent.notna() & answered.notna() & pd.to_numeric(calls["talk_seconds"], errors="coerce").notna()
    used &= seconds.gt(0)
    if "outcome" in calls.columns:
        used &= outcome
    h = pd.DataFrame({"agent": agent[used], "start": answered[used]})
    h["end"] = (h["start"] + pd.to_timedelta(seconds[used], unit="s")).astype(_UNIT)
    if len(h) and not h["agent"].isin(agents).any():
        raise InputError(f"no agent of the calls ({', '.join(sorted(h['agent'].unique())[:5])}…) is in the "
                         f"schedule or state log ({', '.join(list(agents)[:5])}…): the names must match",
                         path="calls")
    h = h.loc[h["agent"].isin(agents)].sort_values(["agent", "start"], kind="stable")
    reach = h.groupby("agent")["end"].cummax()
    before = reach.groupby(h["agent"]).shift()
    block = (before.isna() | h["start"].gt(before)).cumsum()
    return h.groupby(block).agg(agent=("agent", "first"), start=("start", "min"), end=("end", "max")).reset_index(
        drop=True)


# -- the computation ---------------------------------------------------------------------------------------

def _periods(every: str | None, first: "pd.Timestamp", last: "pd.Timestamp", tz: str, week_start: int) -> Any:
    import pandas as pd

    from ..engine.slicing import Periods, make_periods

    if every is None:
        return Periods("all", pd.DatetimeIndex([first]), pd.DatetimeIndex([last]), ["all"])
    if every not in EVERY:
        raise UsageError(f"--every {every!r}: use one of {', '.join(EVERY)}")
    return make_periods(every, first.to_pydatetime(), (last - pd.Timedelta(microseconds=1)).to_pydatetime(), tz,
                        week_start)


def _cover(segments: "pd.DataFrame", intervals: "pd.DataFrame", fields: list[str], prefix: str) -> "pd.DataFrame":
    """For each segment (sorted by ``t``), the fields of the agent's interval covering it (NA if none)."""
    import pandas as pd

    right = intervals[["agent", "start", "end", *fields]].sort_values("start", kind="stable")
    right = right.rename(columns={c: prefix + c for c in ["start", "end", *fields]})
    merged = pd.merge_asof(segments, right, left_on="t", right_on=prefix + "start", by="agent",
                           direction="backward")
    inside = merged["t"].lt(merged[prefix + "end"]).fillna(False)
    for name in fields:
        merged[prefix + name] = merged[prefix + name].where(inside)
    merged[prefix + "in"] = inside
    return merged.drop(columns=[prefix + "start", prefix + "end"])


def adherence(schedule: "pd.DataFrame", states: "pd.DataFrame", calls: "pd.DataFrame | None" = None, *,
              every: str | None = "day", tz: str = "UTC", by: str = "agent", week_start: int = 0,
              start: Any = None, end: Any = None, state_map: Mapping[str, str] | None = None) -> "pd.DataFrame":
    """Adherence, conformance and occupancy per agent (or team, or the whole desk) and period.

    ``schedule``/``states`` may be raw frames (checked here) or :func:`read_schedule`/:func:`read_states`
    output. ``every``: ``hour``/``day``/``week``/``month`` in ``tz`` (weeks from ``week_start``, 0 = Monday),
    or None for one period. ``start``/``end`` limit the time looked at (half-open). Returns :data:`COLUMNS`;
    a ratio is NaN when its denominator is 0 (and occupancy when no calls are given).
    """
    import numpy as np
    import pandas as pd

    if by not in BY:
        raise UsageError(f"by {by!r}: use one of {', '.join(BY)}")
    sched = prepare_schedule(schedule, tz)
    st = prepare_states(states, tz, state_map=state_map)
    if sched.empty:
        raise InputError("the schedule has no rows", path="schedule")
    agents = pd.Index(sorted(set(sched["agent"]) | set(st["agent"])), dtype="str")
    handling = _handling(calls, agents, tz) if calls is not None else None

    lo = _times(pd.Series([start]), tz, "start", "window").iloc[0] if start is not None else \
        min(sched["start"].min(), st["start"].min() if len(st) else sched["start"].min())
    hi = _times(pd.Series([end]), tz, "end", "window").iloc[0] if end is not None else \
        max(sched["end"].max(), st["end"].max() if len(st) else sched["end"].max())
    if not hi > lo:
        raise UsageError("the time looked at is empty (end not after start)")
    periods = _periods(every, lo, hi, tz, week_start)
    bounds = periods.starts.append(periods.ends[-1:]).tz_convert("UTC").as_unit("us")

    # breakpoints of every agent → elementary segments [t, next) with constant coverage
    parts = [pd.DataFrame({"agent": np.repeat(agents.to_numpy(), len(bounds)),
                           "t": pd.to_datetime(np.tile(bounds.asi8, len(agents)), unit="us", utc=True)})]
    for frame in (sched, st, handling):
        if frame is not None and len(frame):
            parts += [frame[["agent", "start"]].set_axis(["agent", "t"], axis=1),
                      frame[["agent", "end"]].set_axis(["agent", "t"], axis=1)]
    points = pd.concat(parts, ignore_index=True)
    points["t"] = points["t"].astype(_UNIT)
    points = points.drop_duplicates().sort_values(["agent", "t"], kind="stable")
    points["next"] = points.groupby("agent")["t"].shift(-1)
    seg = points.dropna(subset=["next"]).sort_values("t", kind="stable").reset_index(drop=True)
    seg["period"] = periods.position(seg["t"]).to_numpy()
    seg = seg.loc[seg["period"].ge(0)]
    seg = _cover(seg, sched, ["activity"], "s_")
    seg = _cover(seg, st, ["activity", "open_end"], "st_")
    if handling is not None:
        seg = _cover(seg, handling, [], "h_")
    else:
        seg["h_in"] = False
    length = (seg["next"] - seg["t"]).dt.total_seconds()

    planned, doing = seg["s_activity"], seg["st_activity"]
    scheduled = seg["s_in"]
    logged_in = seg["st_in"] & doing.ne(OUT)
    ready = seg["st_in"] & doing.eq(WORK)
    kept = scheduled & (planned.eq(doing).fillna(False) | (planned.isin(OFF_JOB) & ~logged_in))
    masks = {
        "scheduled_seconds": scheduled,
        "scheduled_work_seconds": scheduled & ~planned.isin(OFF_JOB),
        "in_adherence_seconds": kept,
        "worked_seconds": logged_in & ~doing.isin(OFF_JOB),
        "unscheduled_seconds": logged_in & ~scheduled,
        "logged_in_seconds": logged_in,
        "ready_seconds": ready,
        "handling_seconds": seg["h_in"] & ready,
        "_handling_elsewhere": seg["h_in"] & ~ready,
        "_open_end": logged_in & seg["st_open_end"].eq(True).fillna(False),
    }
    sums = pd.DataFrame({name: length.where(mask.fillna(False).astype(bool), 0.0) for name, mask in masks.items()})
    sums[["agent", "period"]] = seg[["agent", "period"]]
    table = sums.groupby(["agent", "period"], sort=True).sum().reset_index()
    table = table.loc[table[["scheduled_seconds", "logged_in_seconds", "handling_seconds",
                             "_handling_elsewhere"]].sum(axis=1).gt(0)]
    team_of = sched.dropna(subset=["team"]).drop_duplicates("agent").set_index("agent")["team"]
    table.insert(1, "team", table["agent"].map(team_of).astype("str"))
    table["notes"] = _agent_notes(table, calls is not None)
    if by == "team":
        table = _roll_up(table, ["team", "period"])
        table.insert(0, "agent", pd.Series(pd.NA, index=table.index, dtype="str"))
    elif by == "desk":
        table = _roll_up(table, ["period"])
        table.insert(0, "agent", pd.Series(pd.NA, index=table.index, dtype="str"))
        table.insert(1, "team", pd.Series(pd.NA, index=table.index, dtype="str"))
    labels = np.asarray(periods.labels, dtype=object)
    table["period"] = labels[table["period"].to_numpy(dtype=int)] if len(table) else pd.Series(dtype="str")
    table["adherence"] = _ratio(table["in_adherence_seconds"], table["scheduled_seconds"])
    table["conformance"] = _ratio(table["worked_seconds"], table["scheduled_work_seconds"])
    occupancy = _ratio(table["handling_seconds"], table["ready_seconds"])
    table["occupancy"] = occupancy if calls is not None else np.nan
    return table[list(COLUMNS)].reset_index(drop=True)


def _ratio(numerator: "pd.Series", denominator: "pd.Series") -> "pd.Series":
    return (numerator / denominator.where(denominator.gt(0))).astype("float64")


def _minutes(seconds: "pd.Series") -> "pd.Series":
    return (seconds / 60).round().astype("int64").astype("str") + " min"


def _agent_notes(table: "pd.DataFrame", with_calls: bool) -> "pd.Series":
    """Why a row's figures may mislead, in words; '' when nothing is worth saying."""
    import pandas as pd

    parts = [
        ("not scheduled in this period", table["scheduled_seconds"].eq(0)),
        ("scheduled but never logged in (absent, or missing from the state log)",
         table["scheduled_seconds"].gt(0) & table["logged_in_seconds"].eq(0)),
        ("logged in " + _minutes(table["unscheduled_seconds"]) + " outside the schedule: worked, not in adherence",
         table["unscheduled_seconds"].ge(NOTE_UNSCHEDULED_FROM)),
        ("still logged in at the end of the state log: counted up to its last event (" +
         _minutes(table["_open_end"]) + ")", table["_open_end"].gt(0)),
    ]
    if with_calls:
        parts.append((_minutes(table["_handling_elsewhere"]) + " of call handling while paused or logged out: "
                      "not in occupancy", table["_handling_elsewhere"].gt(0)))
    notes = pd.Series("", index=table.index, dtype="str")
    for text, when in parts:  # a handful of notes, each a whole-column operation
        notes = notes + (pd.Series(text, index=table.index, dtype="str") + "; ").where(when, "")
    return notes.str.removesuffix("; ")


def _roll_up(table: "pd.DataFrame", keys: list[str]) -> "pd.DataFrame":
    """Sums per team or desk (ratios are recomputed from them); notes count the agents and their notes."""
    numbers = [*SECONDS, "_handling_elsewhere", "_open_end"]
    grouped = table.groupby(keys, dropna=False, sort=True)
    out = grouped[numbers].sum()
    agents = grouped["agent"].nunique()
    flagged = table["notes"].ne("").groupby([table[k] for k in keys], dropna=False, sort=True).sum()
    out["notes"] = agents.astype("str") + " agent(s)" + \
        ("; " + flagged.astype("str") + " with notes (see by agent)").where(flagged.gt(0), "")
    return out.reset_index()
