"""Write the example schedule.csv and agent_states.csv next to this file, consistent with calls.csv.

What it writes: the first week (Monday 2026-10-26 to Saturday 2026-10-31) of six of the fifteen agents of
calls.csv, two per queue (team = queue): a.khan and b.jones (billing), g.patel and h.chen (tech), l.rossi
and m.ali (sales) — the six on that week's Saturday rota in calls.csv. Europe/London is on GMT that week,
so every time is written with +00:00.

* schedule.csv (agent, team, activity, start, end): Mon–Fri 08:00–18:00, the hours the lines are open,
  as ``phone`` blocks with two 15-minute breaks and an hour's lunch, on two staggered patterns so the
  queue is never empty; h.chen has an hour of training on Wednesday; Saturday 09:00–13:00 with one break.
* agent_states.csv (agent, state, reason, from, to): when each agent was really logged in and paused.
  Log-in is within a few minutes of the shift start and log-off of its end, never after the agent's first
  call of the day nor before the end of the last one (answer + talk + hold + acw in calls.csv). Each
  break, lunch and training is taken a few minutes off its plan and runs a little long, started late when a
  call is still being handled; a call that arrives during a pause is taken (the agent is available for
  it, then pauses again), so no pause overlaps a call of calls.csv. The billing and tech agents pause for lunch
  (state ``paused``, reason ``lunch``); the sales agents log out for it (no row: a gap is logged out).
  Deviations worth finding: a.khan arrives late and leaves early on Friday, g.patel arrives late on
  Wednesday; l.rossi leaves early on Thursday.

Deterministic: one numpy Generator seeded with SEED and no wall-clock time, so two runs write
byte-identical files. Run from the project root: ``python examples/adherence/generate_schedule.py [OUTDIR]``.
A generator, not the library: the few loops here run over the 36 agent-days, never over the data's rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261031
TZ = "Europe/London"
HERE = Path(__file__).resolve().parent
DAYS = pd.date_range("2026-10-26", "2026-10-31", freq="D")  # Mon … Sat of the first week
TEAMS = {"a.khan": "billing", "b.jones": "billing", "g.patel": "tech", "h.chen": "tech",
         "l.rossi": "sales", "m.ali": "sales"}
#: weekday blocks (activity, start, end) of the two staggered patterns
PATTERN_A = [("phone", "08:00", "10:30"), ("break", "10:30", "10:45"), ("phone", "10:45", "12:30"),
             ("lunch", "12:30", "13:30"), ("phone", "13:30", "15:30"), ("break", "15:30", "15:45"),
             ("phone", "15:45", "18:00")]
PATTERN_B = [("phone", "08:00", "11:00"), ("break", "11:00", "11:15"), ("phone", "11:15", "13:30"),
             ("lunch", "13:30", "14:30"), ("phone", "14:30", "16:00"), ("break", "16:00", "16:15"),
             ("phone", "16:15", "18:00")]
SATURDAY = [("phone", "09:00", "11:00"), ("break", "11:00", "11:15"), ("phone", "11:15", "13:00")]
PATTERN = {"a.khan": PATTERN_A, "g.patel": PATTERN_A, "l.rossi": PATTERN_A,
           "b.jones": PATTERN_B, "h.chen": PATTERN_B, "m.ali": PATTERN_B}
#: h.chen's Wednesday training replaces the phone block 14:30–16:00 in part
TRAINING = ("h.chen", "2026-10-28", "14:30", "15:30")
#: (agent, date) → (log-in, log-off) wall-clock times that deviate from the plan on purpose
DEVIATIONS = {("a.khan", "2026-10-30"): ("09:06", "16:04"), ("g.patel", "2026-10-28"): ("09:41", None),
              ("l.rossi", "2026-10-29"): (None, "15:26")}
LOGS_OUT_FOR_LUNCH = {"l.rossi", "m.ali"}
MINUTE = pd.Timedelta(minutes=1)


def at(day: pd.Timestamp, hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day:%Y-%m-%d} {hhmm}", tz=TZ)


def schedule() -> pd.DataFrame:
    """One row per planned block, in agent and time order."""
    rows = []
    for agent, pattern in PATTERN.items():
        for day in DAYS:
            blocks = SATURDAY if day.day_of_week == 5 else pattern
            if (agent, f"{day:%Y-%m-%d}") == TRAINING[:2]:
                blocks = [("phone", "08:00", "11:00"), ("break", "11:00", "11:15"), ("phone", "11:15", "13:30"),
                          ("lunch", "13:30", "14:30"), ("training", TRAINING[2], TRAINING[3]),
                          ("phone", TRAINING[3], "16:00"), ("break", "16:00", "16:15"), ("phone", "16:15", "18:00")]
            rows += [(agent, TEAMS[agent], act, at(day, s), at(day, e)) for act, s, e in blocks]
    return pd.DataFrame(rows, columns=["agent", "team", "activity", "start", "end"])


def handling(calls_path: Path) -> pd.DataFrame:
    """Each answered call's handling interval (answer → + talk + hold + acw) for the six agents."""
    calls = pd.read_csv(calls_path, dtype=str)
    calls = calls.loc[calls["agent"].isin(list(TEAMS)) & calls["outcome"].eq("answered")]
    start = pd.to_datetime(calls["answered_at"], format="ISO8601", utc=True, errors="coerce").dt.tz_convert(TZ)
    seconds = sum(pd.to_numeric(calls[c], errors="coerce").fillna(0) for c in
                  ("talk_seconds", "hold_seconds", "acw_seconds"))
    out = pd.DataFrame({"agent": calls["agent"], "start": start, "end": start + pd.to_timedelta(seconds, unit="s")})
    return out.dropna().sort_values(["agent", "start"]).reset_index(drop=True)


def pause_pieces(begin: int, end: int, busy_starts: np.ndarray, busy_ends: np.ndarray) -> list[tuple[int, int]]:
    """[begin, end) without the calls inside it (epoch s): the agent came back to take each of them."""
    inside = (busy_starts < end) & (busy_ends > begin)
    cuts = np.column_stack([np.clip(busy_starts[inside], begin, end), np.clip(busy_ends[inside], begin, end)])
    edges = np.concatenate([[begin], cuts.ravel(), [end]]).reshape(-1, 2)  # free stretches between the calls
    return [(int(a), int(b)) for a, b in edges if b - a >= 60]


def states(plan: pd.DataFrame, calls: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Generic agent-state rows (available / paused with a reason) for every agent-day of the plan."""
    rows = []
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    second = pd.Timedelta(seconds=1)
    for (agent, date), day_plan in plan.groupby(["agent", plan["start"].dt.strftime("%Y-%m-%d")], sort=True):
        mine = calls.loc[calls["agent"].eq(agent) & calls["start"].dt.strftime("%Y-%m-%d").eq(date)]
        b_start = ((mine["start"] - epoch) // second).to_numpy()
        b_end = np.maximum.accumulate(((mine["end"] - epoch) // second).to_numpy())  # overlapping calls merged
        day = pd.Timestamp(date)
        login = day_plan["start"].min() + int(rng.integers(-240, 540)) * second
        logout = day_plan["end"].max() + int(rng.integers(-300, 480)) * second
        early, late = DEVIATIONS.get((agent, date), (None, None))
        login = at(day, early) + int(rng.integers(0, 59)) * second if early else login
        logout = at(day, late) + int(rng.integers(0, 59)) * second if late else logout
        if len(mine):  # the calls of calls.csv happened: the agent was logged in for all of them
            login = min(login, mine["start"].min() - 20 * second)
            logout = max(logout, mine["end"].max() + 15 * second)
        t0, t_end = int((login - epoch) // second), int((logout - epoch) // second)
        cursor = t0
        for _, block in day_plan.loc[day_plan["activity"].ne("phone")].iterrows():
            begin = int((block["start"] - epoch) // second) + int(rng.integers(-180, 300))
            in_call = (b_start <= begin) & (b_end > begin)
            begin = max(int(b_end[in_call].max()) if in_call.any() else begin, cursor + 60)  # finish the call first
            end = min(begin + int((block["end"] - block["start"]) // second) + int(rng.integers(0, 300)), t_end - 60)
            for piece_begin, piece_end in pause_pieces(begin, end, b_start, b_end):
                rows.append((agent, "available", "", cursor, piece_begin))
                if not (block["activity"] == "lunch" and agent in LOGS_OUT_FOR_LUNCH):
                    rows.append((agent, "paused", block["activity"], piece_begin, piece_end))
                cursor = piece_end
        rows.append((agent, "available", "", cursor, t_end))
    out = pd.DataFrame(rows, columns=["agent", "state", "reason", "from", "to"])
    out = out.loc[out["to"] > out["from"]]
    for column in ("from", "to"):
        out[column] = pd.to_datetime(out[column], unit="s", utc=True).dt.tz_convert(TZ)
    return out.reset_index(drop=True)


def iso(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d{2})(\d{2})$", r"\1:\2",
                                                                                 regex=True)
    return out


def main(outdir: Path = HERE) -> None:
    rng = np.random.default_rng(SEED)
    plan = schedule()
    log = states(plan, handling(HERE.parent / "calls.csv"), rng)
    outdir.mkdir(parents=True, exist_ok=True)
    iso(plan, ["start", "end"]).to_csv(outdir / "schedule.csv", index=False, lineterminator="\n")
    iso(log, ["from", "to"]).to_csv(outdir / "agent_states.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
