"""SLA policies: each ticket's clock from start to stop, paused by states, judged against its target.

A policy (the targets file's ``slas:`` section, :class:`SlaPolicy`) says when a ticket's clock
stops (``resolution``, ``first_response``, or when it leaves some states), which target applies
(by a ticket field, e.g. priority), and which states pause the clock. :func:`sla_columns` works
out, for every ticket at once, the columns the ``sla_*`` KPIs read (``sla:NAME:…``): start, stop,
elapsed, paused and stopped time, target, verdict, the moment of a breach, and when an open
ticket's breach is due. The semantics are written out in docs/readings.md ("SLA policies").

The computation is one pass over the state history: a ticket's events sorted by time make
consecutive segments (a state holds from its event to the next; before the first event the
first state holds), each clipped to the ticket's [start, end) and measured on a clock — real
time, or the open time of the business calendar (:class:`hdkpi.calendar.OpenClock`). Per-ticket
sums are ``numpy.bincount`` over the segments; the breach moment is found from cumulative sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..units import BusinessDuration, parse_duration

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

STOPS = ("resolution", "first_response")
POLICY_KEYS = ("stop", "by", "targets", "pause", "stop_states")
#: the verdicts of a ticket under a policy (the ``sla:NAME:verdict`` column)
VERDICTS = ("achieved", "breached", "in progress", "no target", "no start")
#: stop states when neither the policy nor the preset names them (compared case-insensitively)
DEFAULT_STOP_STATES = ("resolved", "closed", "done", "solved", "completed", "complete", "fixed", "cancelled",
                       "canceled")
_NEVER = -(2 ** 63)  #: int64 minimum: a missing instant
_FAR = 2 ** 63 - 1  #: an open end


def column(sla: str, part: str) -> str:
    """The name of a derived ticket column: ``sla:resolution:verdict``."""
    return f"sla:{sla}:{part}"


@dataclass(frozen=True)
class SlaPolicy:
    """One SLA of the contract, as the targets file writes it (validated)."""

    name: str
    stop: str  #: resolution | first_response | leaves
    leaves: tuple[str, ...] = ()  #: for stop: {leaves: [...]}, the states the clock runs in
    by: str | None = None  #: the ticket field that picks the target
    targets: dict[str, float] = field(default_factory=dict)  #: value → seconds or BusinessDuration
    default: float | None = None  #: target of a value not listed
    pause: tuple[str, ...] = ()  #: states that stop the clock
    stop_states: tuple[str, ...] | None = None  #: resolution: the states that end it (default: resolved ones)

    @property
    def needs_history(self) -> bool:
        return bool(self.pause) or self.stop == "leaves"

    @property
    def business(self) -> bool:
        return any(isinstance(t, BusinessDuration) for t in [*self.targets.values(), self.default])

    def stopping(self) -> tuple[str, ...]:
        return self.stop_states if self.stop_states is not None else DEFAULT_STOP_STATES

    def as_setting(self) -> dict[str, Any]:
        """The policy as plain values (the run's settings, JSON output), read back by :func:`parse_policies`."""
        out: dict[str, Any] = {"stop": {"leaves": list(self.leaves)} if self.stop == "leaves" else self.stop}
        if self.by:
            out["by"] = self.by
        out["targets"] = {**{k: _label(v) for k, v in self.targets.items()},
                          **({"default": _label(self.default)} if self.default is not None else {})}
        if self.pause:
            out["pause"] = list(self.pause)
        if self.stop_states is not None:
            out["stop_states"] = list(self.stop_states)
        return out

    def describe(self) -> str:
        """One line for a result's method."""
        stop = f"until it leaves {', '.join(self.leaves)}" if self.stop == "leaves" else f"until {self.stop}"
        if self.stop == "resolution":
            states = ", ".join(self.stop_states) if self.stop_states is not None else "a resolved state"
            stop += f" (final entry into {states})"
        targets = ", ".join(f"{k} {_label(v)}" for k, v in self.targets.items())
        if self.default is not None:
            targets = f"{targets}, other {_label(self.default)}" if targets else _label(self.default)
        by = f" by {self.by}" if self.by else ""
        pause = f"; paused in {', '.join(self.pause)}" if self.pause else "; no pause states"
        return f"SLA {self.name}: created_at {stop}, target{by} {targets}{pause}"


def _label(value: float | None) -> str:
    from ..units import duration_label

    if value is None:
        return ""
    return value.label if isinstance(value, BusinessDuration) else duration_label(value)


def parse_policies(data: Any, where: str = "slas") -> dict[str, SlaPolicy]:
    """The ``slas:`` mapping as loaded from YAML → policies; UsageError names the SLA and the key."""
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a mapping of SLA names to policies, e.g. "
                         "resolution: {stop: resolution, targets: {default: 3d}}")
    return {str(name): parse_policy(str(name), spec, f"{where}.{name}") for name, spec in data.items()}


def parse_policy(name: str, spec: Any, where: str) -> SlaPolicy:
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise UsageError(f"{where}: an SLA name is letters, digits and _ (it is written sla_achieved({name}))")
    if not isinstance(spec, dict):
        raise UsageError(f"{where}: expected a mapping with stop: and targets:")
    unknown = [k for k in spec if k not in POLICY_KEYS]
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(POLICY_KEYS)}")
    stop, leaves = _stop(spec.get("stop", "resolution"), f"{where}.stop")
    by = spec.get("by")
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise UsageError(f"{where}.by: name a ticket field, e.g. by: priority")
    raw = spec.get("targets")
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"{where}.targets: give the target durations, e.g. targets: {{P1: 8h, default: 3d}}")
    targets: dict[str, float] = {}
    default = None
    for key, text in raw.items():
        value = _duration(text, f"{where}.targets.{key}")
        if str(key) == "default":
            default = value
        else:
            targets[_text(key)] = value
    if targets and by is None:
        raise UsageError(f"{where}.targets: targets per value ({', '.join(targets)}) need by: (the field that "
                         "picks one, e.g. by: priority); or give only default:")
    pause = _states(spec.get("pause", []), f"{where}.pause")
    stop_states = _states(spec["stop_states"], f"{where}.stop_states") if "stop_states" in spec else None
    if stop_states is not None and not stop_states:
        raise UsageError(f"{where}.stop_states: name at least one state, e.g. [Resolved, Closed]")
    if stop_states is not None and stop != "resolution":
        raise UsageError(f"{where}.stop_states: only a resolution SLA has stop states (stop: {stop})")
    return SlaPolicy(name=name, stop=stop, leaves=leaves, by=by.strip() if by else None, targets=targets,
                     default=default, pause=pause, stop_states=stop_states)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _stop(value: Any, where: str) -> tuple[str, tuple[str, ...]]:
    if isinstance(value, str) and value.strip() in STOPS:
        return value.strip(), ()
    if isinstance(value, dict) and list(value) == ["leaves"]:
        states = _states(value["leaves"], f"{where}.leaves")
        if not states:
            raise UsageError(f"{where}.leaves: name the states the clock runs in, e.g. {{leaves: [New]}}")
        return "leaves", states
    raise UsageError(f"{where}: {value!r} is not a stop; write resolution, first_response or {{leaves: [New]}}")


def _states(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                              for v in value):
        raise UsageError(f"{where}: a list of states, e.g. [Awaiting User Info, Awaiting Vendor]")
    return tuple(_text(v) for v in value)


def _duration(text: Any, where: str) -> float:
    if isinstance(text, bool) or text is None:
        raise UsageError(f"{where}: {text!r} is not a duration; write e.g. 8h, 3d or 4bh")
    return parse_duration(str(text).strip(), what=where, business=True)


# -- the clock ---------------------------------------------------------------------------------

@dataclass
class StateHistory:
    """Events of tickets' states: ticket_id, state, at (UTC), seq (the order of events at the same time)."""

    events: "pd.DataFrame"
    source: str  #: where it came from, for the method ("the event log", "--states FILE")

    def __len__(self) -> int:
        return len(self.events)


def sla_columns(tickets: "pd.DataFrame", policy: SlaPolicy, history: StateHistory | None, now: Any,
                calendar: Any = None) -> tuple["pd.DataFrame", dict[str, int]]:
    """The ``sla:NAME:…`` columns of every ticket (indexed like ``tickets``) and counts worth a note.

    Columns: start, stop, elapsed, paused, stopped (seconds on the policy's clock: business seconds
    for a target in bh/bd), target (seconds), verdict (:data:`VERDICTS`), breach_at (when the clock
    passed the target), at (the anchor: the stop of a judged ticket, the breach of an open one),
    due (when an open, running ticket will breach), open (the instant before ``now`` for open
    tickets: the anchor of ``sla_at_risk``)."""
    import numpy as np
    import pandas as pd

    n = len(tickets)
    counts: dict[str, int] = {}
    start = _us(tickets["created_at"]) if "created_at" in tickets else np.full(n, _NEVER)
    now_us = int(pd.Timestamp(now).tz_convert("UTC").value) // 1000 if now is not None else _FAR  # value: ns
    seconds, business = _targets(tickets, policy, calendar)
    events, with_history = _events(tickets, history, counts)
    stop = _stop_moments(tickets, policy, events, with_history, start, counts)
    has_start = start != _NEVER
    has_stop = (stop != _NEVER) & has_start
    stop = np.where(has_stop, np.maximum(stop, start), _NEVER)
    end = np.where(has_stop, stop, np.maximum(now_us, start))
    if policy.stop == "leaves":
        no_history = has_start & ~with_history
        counts["tickets without a state history (outside)"] = int(no_history.sum())
        has_start &= with_history  # no history: when it left the states cannot be known
    # one segment per event, plus one running segment for a ticket without a history
    seg = _segments(events, with_history, n)
    parts = {}  # every ticket on the real clock; on the business clock too when some target is in bh/bd
    for kind in ("calendar", "business") if business.any() else ("calendar",):
        clock = _Clock(calendar if kind == "business" else None, start[has_start], end[has_start], now_us)
        parts[kind] = _measure(seg, policy, start, end, clock, seconds, now_us, n)
    pick = parts["calendar"]
    if "business" in parts:
        pick = {k: np.where(business, parts["business"][k], v) for k, v in pick.items()}
    elapsed, paused, stopped = pick["elapsed"], pick["paused"], pick["stopped"]
    breach_at, due = pick["breach_at"], pick["due"]
    has_target = ~np.isnan(seconds)
    judged = has_start & has_target
    over = elapsed > seconds
    verdict = np.select([~has_start, ~has_target, has_stop & ~over, over], ["no start", "no target", "achieved",
                                                                            "breached"], "in progress")
    breached = judged & over
    at = np.where(judged & has_stop, stop, np.where(breached, breach_at, _NEVER))
    open_ = has_start & ~has_stop
    due = np.where(judged & open_ & ~over, due, _NEVER)
    out = {
        "start": _times(np.where(has_start, start, _NEVER)), "stop": _times(np.where(has_stop, stop, _NEVER)),
        "elapsed": np.where(has_start, elapsed / 1e6, np.nan), "paused": np.where(has_start, paused / 1e6, np.nan),
        "stopped": np.where(has_start, stopped / 1e6, np.nan), "target": seconds / 1e6,
        "verdict": verdict, "breach_at": _times(np.where(breached, breach_at, _NEVER)), "at": _times(at),
        "due": _times(due), "open": _times(np.where(open_ & (now_us != _FAR), now_us - 1, _NEVER)),
        "business": business, "history": with_history,
    }
    frame = pd.DataFrame({column(policy.name, k): v for k, v in out.items()}, index=tickets.index)
    frame[column(policy.name, "verdict")] = frame[column(policy.name, "verdict")].astype("category")
    counts.update({f"tickets {v}": int((verdict == v).sum()) for v in VERDICTS})
    return frame, counts


def at_risk(tickets: "pd.DataFrame", sla: str, within: float) -> "pd.Series":
    """Tickets in progress under SLA ``sla`` whose breach is due within ``within`` seconds of --now (the rule
    of ``sla_at_risk`` and of the run's at-risk list). ``open`` is the instant before --now, hence the µs."""
    import pandas as pd

    gap = tickets[column(sla, "due")] - tickets[column(sla, "open")]
    soon = gap <= pd.Timedelta(seconds=float(within)) + pd.Timedelta(microseconds=1)
    return (tickets[column(sla, "verdict")] == "in progress") & soon.fillna(False).astype(bool)


def _us(times: "pd.Series") -> "np.ndarray":
    """UTC epoch µs as int64 (a missing time: the int64 minimum, as the business clock reads times)."""
    from ..calendar import utc_microseconds

    values, _ = utc_microseconds(times, "UTC")  # a missing time reads as the int64 minimum, _NEVER
    return values


def _times(us: "np.ndarray") -> "pd.Series":
    import pandas as pd

    return pd.DatetimeIndex(us.astype("datetime64[us]")).tz_localize("UTC")  # the int64 minimum is NaT


def _targets(tickets: "pd.DataFrame", policy: SlaPolicy, calendar: Any) -> tuple["np.ndarray", "np.ndarray"]:
    """(target in µs of the ticket's clock or NaN, whether that clock is the business one) per ticket."""
    import numpy as np

    n = len(tickets)
    amounts = {**policy.targets, **({None: policy.default} if policy.default is not None else {})}
    if any(isinstance(v, BusinessDuration) for v in amounts.values()) and calendar is None:
        raise UsageError(f"slas.{policy.name}: targets in bh/bd need a calendar: section in the targets file")
    micro: dict[Any, float] = {}
    for key, value in amounts.items():
        if isinstance(value, BusinessDuration):
            from ..calendar import parse_business_duration

            micro[key] = parse_business_duration(value.label, calendar) * 1e6
        else:
            micro[key] = float(value) * 1e6
    is_business = {k: isinstance(v, BusinessDuration) for k, v in amounts.items()}
    target = np.full(n, micro.get(None, np.nan))
    business = np.full(n, is_business.get(None, False))
    if policy.by is not None and policy.by in tickets:
        values = tickets[policy.by].astype("string").str.strip()
        for key in policy.targets:
            hit = values.eq(key).fillna(False).to_numpy(dtype=bool)
            target[hit], business[hit] = micro[key], is_business[key]
    return target, business


def _events(tickets: "pd.DataFrame", history: StateHistory | None,
            counts: dict[str, int]) -> tuple["pd.DataFrame", "np.ndarray"]:
    """The history's events of these tickets, sorted (ticket row, time, seq), with the ticket's row
    position; and which tickets have at least one event."""
    import numpy as np
    import pandas as pd

    n = len(tickets)
    empty = pd.DataFrame({"row": np.empty(0, np.int64), "t": np.empty(0, np.int64), "state": []})
    if history is None or not len(history) or "ticket_id" not in tickets:
        return empty, np.zeros(n, dtype=bool)
    ids = pd.Index(tickets["ticket_id"].astype("string"))
    first = ~ids.duplicated()
    lookup = pd.Index(ids[first])
    positions = np.flatnonzero(first)
    e = history.events
    found = lookup.get_indexer(e["ticket_id"].astype("string"))
    counts["events of tickets not in the input"] = int((found < 0).sum())
    keep = found >= 0
    events = pd.DataFrame({"row": positions[found[keep]], "t": _us(e["at"])[keep],
                           "seq": np.asarray(e["seq"])[keep] if "seq" in e else np.arange(int(keep.sum())),
                           "state": e["state"].astype("string").str.strip().to_numpy()[keep]})
    events = events[events["t"] != _NEVER].sort_values(["row", "t", "seq"], kind="stable").reset_index(drop=True)
    with_history = np.zeros(n, dtype=bool)
    with_history[events["row"].to_numpy()] = True
    counts["tickets with a state history"] = int(with_history.sum())
    return events, with_history


def _lower(states: "pd.Series", names: tuple[str, ...]) -> "np.ndarray":
    """Which states are one of ``names`` (case-insensitive): each distinct state compared once."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(states, use_na_sentinel=True)
    wanted = {s.lower() for s in names}
    hits = np.array([str(u).lower() in wanted for u in uniques] + [False], dtype=bool)  # a few dozen states
    return hits[codes]


def _stop_moments(tickets: "pd.DataFrame", policy: SlaPolicy, events: "pd.DataFrame", with_history: "np.ndarray",
                  start: "np.ndarray", counts: dict[str, int]) -> "np.ndarray":
    """When each ticket's clock stops (int64 µs; the int64 minimum: not yet)."""
    import numpy as np

    n = len(tickets)
    stop = np.full(n, _NEVER)
    rows, t = events["row"].to_numpy(), events["t"].to_numpy()
    first_of_ticket = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.empty(0, bool)
    if policy.stop == "first_response":
        if "first_response_at" in tickets:
            stop = _us(tickets["first_response_at"])
        elif "first_response_seconds" in tickets:
            secs = tickets["first_response_seconds"].to_numpy(dtype="float64", na_value=np.nan)
            ok = ~np.isnan(secs) & (start != _NEVER)
            stop[ok] = start[ok] + np.round(secs[ok] * 1e6).astype(np.int64)
        return stop
    if policy.stop == "leaves":
        outside = ~_lower(events["state"], policy.leaves)
        moment = np.where(first_of_ticket, start[rows] if len(rows) else t, t)  # a first state holds from the start
        hit = np.flatnonzero(outside)
        if len(hit):
            firsts = hit[np.r_[True, rows[hit][1:] != rows[hit][:-1]]]
            stop[rows[firsts]] = moment[firsts]
        return stop
    # resolution: the start of the final run of stop states; without a history, resolved_at
    if "resolved_at" in tickets:
        no_history = ~with_history
        stop[no_history] = _us(tickets["resolved_at"])[no_history]
        counts["tickets stopped by resolved_at (no state history)"] = int((no_history & (stop != _NEVER)).sum())
    if len(rows):
        in_stop = _lower(events["state"], policy.stopping())
        last = np.r_[rows[1:] != rows[:-1], True]
        ends_stopped = np.zeros(n, dtype=bool)
        ends_stopped[rows[last]] = in_stop[last]
        # the first event of the final run: after the ticket's last event outside the stop states
        index = np.arange(len(rows))
        last_outside = np.full(n, -1)
        np.maximum.at(last_outside, rows[~in_stop], index[~in_stop])
        first_index = np.full(n, len(rows))
        np.minimum.at(first_index, rows, index)
        run_start = np.where(last_outside >= 0, last_outside + 1, first_index)
        hist = with_history & ends_stopped
        at_first = run_start == first_index
        moments = np.where(at_first, start, t[np.minimum(run_start, len(rows) - 1)])
        stop[hist] = moments[hist]
        stop[with_history & ~ends_stopped] = _NEVER
    return stop


def _segments(events: "pd.DataFrame", with_history: "np.ndarray", n: int) -> dict[str, "np.ndarray"]:
    """Consecutive segments per ticket: (row, from, to, state); a state holds from its event to the
    next (the first from the beginning of time, the last to the end); a ticket without a history
    has one segment of no state."""
    import numpy as np

    rows, t = events["row"].to_numpy(), events["t"].to_numpy()
    state = events["state"].to_numpy(dtype=object)
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.empty(0, bool)
    last = np.r_[rows[1:] != rows[:-1], True] if len(rows) else np.empty(0, bool)
    lo = np.where(first, _NEVER, t)
    hi = np.where(last, _FAR, np.r_[t[1:], 0] if len(t) else t)
    bare = np.flatnonzero(~with_history)
    seg_rows = np.r_[rows, bare]
    order = np.argsort(seg_rows, kind="stable")
    return {"row": seg_rows[order], "lo": np.r_[lo, np.full(len(bare), _NEVER)][order],
            "hi": np.r_[hi, np.full(len(bare), _FAR)][order],
            "state": np.r_[state, np.full(len(bare), "", dtype=object)][order]}


class _Clock:
    """Real time (µs) or the business calendar's open time (µs), with the inverse."""

    def __init__(self, calendar: Any, starts: "np.ndarray", ends: "np.ndarray", now_us: int) -> None:
        import numpy as np

        self.open = None
        if calendar is not None:
            from ..calendar import OpenClock

            known = np.r_[starts, ends, [now_us] if now_us != _FAR else []]
            known = known[(known != _NEVER) & (known != _FAR)]
            if len(known):
                horizon = 400 * 86400 * 10 ** 6  # projected breaches of open tickets up to 400 days ahead
                self.open = OpenClock.spanning(calendar, int(known.min()), int(known.max()) + horizon)
            else:
                self.open = OpenClock(np.empty(0, np.int64), np.empty(0, np.int64))

    def position(self, t: "np.ndarray") -> "np.ndarray":
        return t if self.open is None else self.open.position(t)

    def moment(self, p: "np.ndarray") -> "np.ndarray":
        import numpy as np

        if self.open is None:
            return p.astype(np.int64)
        return self.open.moment(p.astype(np.int64))


def _measure(seg: dict[str, "np.ndarray"], policy: SlaPolicy, start: "np.ndarray", end: "np.ndarray",
             clock: _Clock, target: "np.ndarray", now_us: int, n: int) -> dict[str, "np.ndarray"]:
    """Per ticket on one clock: elapsed, paused, stopped (µs), the breach moment and the due moment."""
    import numpy as np
    import pandas as pd

    rows = seg["row"]
    s, e = start[rows], end[rows]
    valid = s != _NEVER
    lo = np.maximum(seg["lo"], s)
    hi = np.minimum(seg["hi"], e)
    inside = valid & (hi > lo)
    p_lo = np.zeros(len(rows), dtype=np.int64)
    p_hi = np.zeros(len(rows), dtype=np.int64)
    p_lo[inside], p_hi[inside] = clock.position(lo[inside]), clock.position(hi[inside])
    length = np.where(inside, p_hi - p_lo, 0)
    states = pd.Series(seg["state"], dtype="string")
    paused = _lower(states, policy.pause) if policy.pause else np.zeros(len(rows), dtype=bool)
    stopped = (_lower(states, policy.stopping()) & ~paused) if policy.stop == "resolution" else \
        np.zeros(len(rows), dtype=bool)
    running = ~paused & ~stopped
    total_paused = np.bincount(rows, weights=np.where(paused, length, 0), minlength=n)
    total_stopped = np.bincount(rows, weights=np.where(stopped, length, 0), minlength=n)
    run_length = np.where(running, length, 0)
    elapsed = np.bincount(rows, weights=run_length, minlength=n)
    # the breach: the running segment in which the cumulative running time passes the target
    cum = pd.Series(run_length).groupby(rows).cumsum().to_numpy()
    before = cum - run_length
    tgt = target[rows]
    crossing = running & (run_length > 0) & (before <= tgt) & (tgt < cum)
    breach = np.full(n, _NEVER)
    hit = np.flatnonzero(crossing)
    if len(hit):
        breach[rows[hit]] = clock.moment(p_lo[hit] + np.ceil(tgt[hit] - before[hit]).astype(np.int64))
    # an open ticket whose clock runs now breaches when the rest of its target has run
    last = np.r_[rows[1:] != rows[:-1], True] if len(rows) else np.empty(0, bool)
    runs_now = np.zeros(n, dtype=bool)
    runs_now[rows[last]] = running[last]
    due = np.full(n, _NEVER)
    ok = runs_now & ~np.isnan(target) & (start != _NEVER) & (elapsed <= np.nan_to_num(target, nan=-1)) \
        & (now_us != _FAR)
    if ok.any():
        p_now = clock.position(np.full(int(ok.sum()), now_us))
        due[ok] = clock.moment(p_now + np.ceil(target[ok] - elapsed[ok]).astype(np.int64))
    return {"elapsed": elapsed, "paused": total_paused, "stopped": total_stopped, "breach_at": breach, "due": due}


def add_sla_columns(frames: dict[str, "pd.DataFrame"], slas: dict[str, Any], history: StateHistory | None,
                    now: Any, calendar: Any = None, names: "list[str] | None" = None) -> dict[str, dict[str, int]]:
    """Every ticket's ``sla:NAME:…`` columns for the policies in ``slas`` (the run's settings, as
    :meth:`SlaPolicy.as_setting` writes them; ``names``: only these), added to the tickets frame.
    A policy that pauses or stops on states refuses to run without a state history (UsageError
    naming the SLA). Returns per SLA the counts worth a note."""
    import pandas as pd

    tickets = frames.get("tickets")
    if tickets is None or not slas:
        return {}
    policies = parse_policies(slas)
    notes = {}
    parts = []
    for name, policy in policies.items():
        if names is not None and name not in names:
            continue
        if policy.needs_history and (history is None or not len(history)):
            what = f"pauses in {', '.join(policy.pause)}" if policy.pause else f"stops when it leaves " \
                f"{', '.join(policy.leaves)}"
            raise UsageError(f"slas.{name}: the SLA {what}, which needs a state history: read an event log "
                             "(--preset events, or the ServiceNow incident event log) or give --states FILE "
                             "(ticket_id, state, at)")
        frame, counts = sla_columns(tickets, policy, history, now, calendar)
        parts.append(frame)
        notes[name] = counts
    if parts:
        frames["tickets"] = pd.concat([tickets.drop(columns=[c for p in parts for c in p.columns
                                                              if c in tickets.columns]), *parts], axis=1)
    return notes
