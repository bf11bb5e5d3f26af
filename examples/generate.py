"""Write the synthetic example exports calls.csv, tickets.csv and surveys.csv next to this file.

What it simulates: four weeks (Monday 2026-10-26 to Sunday 2026-11-22) of a small service desk
in Europe/London with a phone line and a ticket desk. British Summer Time ended on 2026-10-25,
so every timestamp is written with the offset +00:00.

* calls.csv: one row per call offered to a queue. Three queues (billing > tech > sales) staffed by
  15 agents, open Mon–Fri 08:00–18:00 plus a thin Saturday morning (09:00–13:00). Volume follows
  an intraday curve with a late-morning peak, and waits and abandons rise with the load. About
  12 % of calls are abandoned (some within 5 s), about 2 % end as "other" (the queue timeout
  sends them to voicemail), the rest are answered. Callers call back within days, so caller_id
  repeats; an answered call followed by a call-back is usually flagged resolved=false.
* tickets.csv: one row per ticket, email/web around the clock, phone/chat in opening hours.
  Priorities P1–P4 with long-tailed resolution times, work only in Mon–Fri 08:00–18:00, some
  tickets escalated or reopened, and those still open at the export time (Monday 2026-11-23
  09:00) without resolved_at. sla_breached is empty where no SLA policy applies (sales team).
  There is no fcr column, so hdkpi measures FCR as replies ≤ 1, no reopen and not escalated.
* surveys.csv: one row per survey answer on a resolved ticket, sent at resolution; scores are
  lower after a breached SLA, a reopen or an escalation. Some answers leave NPS or CES blank.

Deliberately bad rows (each one has a single defect, so hdkpi rejects it with exactly one reason,
and every other row is used):

* calls.csv, three rows with three different defects:
  - an offered_at typed over by hand as "2026-13-45 25:00"            -> offered_at: not a date
  - an answered_at written one hour early (a clock in the wrong zone)   -> answered_at: before offered_at
  - a wait_seconds with a flipped sign from a faulty ACD export         -> wait_seconds: negative
* tickets.csv, two rows with two different defects:
  - a resolved_at with the month mistyped (October for November)       -> resolved_at: before created_at
  - data row 1000 written again as row 1001 (export paged by 1000)    -> ticket_id: duplicate

Deterministic: one numpy Generator seeded with SEED and no wall-clock time, so two runs write
byte-identical files. Run from the project root: ``python examples/generate.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261026
TZ = "Europe/London"
START = pd.Timestamp("2026-10-26 00:00", tz=TZ)  # a Monday
DAYS = 28
EXPORT_AT = START + pd.Timedelta(days=DAYS, hours=9)  # the exports were taken Monday 2026-11-23 09:00
OUT = Path(__file__).resolve().parent
HOUR, DAY = 3600, 86400

AGENTS = {
    "billing": ["a.khan", "b.jones", "c.nowak", "d.osei", "e.murphy", "f.silva"],
    "tech": ["g.patel", "h.chen", "i.evans", "j.okafor", "k.smith"],
    "sales": ["l.rossi", "m.ali", "n.wright", "o.byrne"],
}

# -- calls ---------------------------------------------------------------------------------

QUEUE_SHARE = {"billing": 0.46, "tech": 0.34, "sales": 0.20}
CALLS_PER_WEEKDAY = 225
DOW_FACTOR = np.array([1.18, 1.06, 1.0, 0.95, 0.88, 0.0, 0.0])  # Mon..Sun; Saturday has its own curve
#: relative volume of the twenty half-hours from 08:00 (mean ≈ 1): late-morning peak, post-lunch bump
WEEKDAY_CURVE = np.array([0.45, 0.70, 0.95, 1.20, 1.45, 1.65, 1.70, 1.50, 1.15, 0.95,
                          1.00, 1.15, 1.20, 1.10, 1.00, 0.90, 0.80, 0.65, 0.50, 0.35])
#: Saturday 09:00–13:00, eight half-hours, about a tenth of a weekday's volume
SATURDAY_CURVE = np.array([0.10, 0.14, 0.16, 0.16, 0.15, 0.13, 0.10, 0.08])
SATURDAY_ROTA = 2  # agents per queue on the Saturday rota, rotating weekly
TALK_MEDIAN = {"billing": 260.0, "tech": 420.0, "sales": 330.0}  # seconds


def half_hour_slots() -> pd.DataFrame:
    """Opening half-hours: start (seconds since START) and expected calls (all queues)."""
    days = np.arange(DAYS)
    weekdays = days[days % 7 < 5]
    saturdays = days[days % 7 == 5]
    wk_start = (weekdays[:, None] * DAY + (8 * HOUR + np.arange(20) * 1800)[None, :]).ravel()
    wk_volume = (DOW_FACTOR[weekdays % 7][:, None] * WEEKDAY_CURVE[None, :]).ravel()
    sat_start = (saturdays[:, None] * DAY + (9 * HOUR + np.arange(8) * 1800)[None, :]).ravel()
    sat_volume = np.tile(SATURDAY_CURVE * WEEKDAY_CURVE.size / 10, saturdays.size)
    volume = np.concatenate([wk_volume, sat_volume])
    return pd.DataFrame({
        "start": np.concatenate([wk_start, sat_start]),
        "volume": volume * CALLS_PER_WEEKDAY / WEEKDAY_CURVE.size,  # expected calls in the half-hour
    })


def call_arrivals(rng: np.random.Generator) -> pd.DataFrame:
    """Poisson arrivals per half-hour and queue, uniform inside the half-hour, sorted by time."""
    slots = half_hour_slots()
    queues = list(QUEUE_SHARE)
    lam = slots["volume"].to_numpy()[:, None] * np.array([QUEUE_SHARE[q] for q in queues])[None, :]
    counts = rng.poisson(lam)
    slot_of_call = np.repeat(np.repeat(np.arange(len(slots)), len(queues)), counts.ravel())
    queue_of_call = np.repeat(np.tile(np.arange(len(queues)), len(slots)), counts.ravel())
    start = slots["start"].to_numpy()[slot_of_call] + rng.integers(0, 1800, slot_of_call.size)
    #: load of the half-hour relative to an average weekday half-hour (drives waits and abandons)
    load = slots["volume"].to_numpy()[slot_of_call] / (CALLS_PER_WEEKDAY / WEEKDAY_CURVE.size)
    calls = pd.DataFrame({"t": start, "queue": np.array(queues)[queue_of_call], "load": load})
    return calls.sort_values(["t", "queue"], kind="stable").reset_index(drop=True)


def call_outcomes(rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """Outcome and wait in seconds; busier half-hours (and the tech queue) wait longer and abandon more."""
    n = len(calls)
    strain = calls["load"].to_numpy() * np.where(calls["queue"].eq("tech"), 1.15, 1.0)
    p_other = 0.012 + 0.008 * strain
    p_abandon = np.clip(0.03 + 0.064 * strain, 0.02, 0.35)
    draw = rng.random(n)
    outcome = np.where(draw < p_other, "other", np.where(draw < p_other + p_abandon, "abandoned", "answered"))

    # answered: most calls are picked up within seconds; when the queue is backed up they wait minutes
    backed_up = rng.random(n) < np.clip(0.035 + 0.075 * strain, 0.0, 0.6)
    quick = rng.gamma(1.8, 3.2, n)
    slow = 21 + rng.gamma(1.4, 68 * strain, n)
    answered_wait = np.where(backed_up, slow, quick)
    # abandoned: a share hang up at once (wrong number, heard the menu), the rest lose patience
    instant = rng.random(n) < 0.16
    abandon_wait = np.where(instant, rng.uniform(1, 5, n), 6 + rng.gamma(1.5, 38 * strain, n))
    # other: queue timeout to voicemail at 180 s, or the caller chose voicemail earlier
    other_wait = np.where(rng.random(n) < 0.7, 180.0, rng.uniform(45, 180, n))
    wait = np.select([outcome == "answered", outcome == "abandoned"], [answered_wait, abandon_wait], other_wait)
    return calls.assign(outcome=outcome, wait=np.floor(wait).astype(np.int64))


def assign_agents(calls: pd.DataFrame) -> np.ndarray:
    """The queue's longest-idle agent takes each answered call (Saturday: a weekly rota of two)."""
    free_at: dict[str, float] = {}
    agent = np.full(len(calls), "", dtype=object)
    answered = calls.index[calls["outcome"].eq("answered")]
    order = calls.loc[answered].sort_values("answered_t", kind="stable").index
    for i in order:  # sequential by nature: who is free depends on the calls before
        queue, answer_t = calls.at[i, "queue"], calls.at[i, "answered_t"]
        pool = AGENTS[queue]
        day = int(calls.at[i, "t"] // DAY)
        if day % 7 == 5:
            first = (day // 7) % len(pool)
            pool = [pool[(first + k) % len(pool)] for k in range(SATURDAY_ROTA)]
        chosen = min(pool, key=lambda a: free_at.get(a, -1.0))
        agent[i] = chosen
        free_at[chosen] = max(answer_t, free_at.get(chosen, -1.0)) + calls.at[i, "handle"]
    return agent


def repeat_ids(rng: np.random.Generator, times: np.ndarray, p_repeat: float, mean_gap: float,
               prefix: str) -> np.ndarray:
    """Customer ids where a share of contacts come back from a customer seen a few days before.

    ``times`` are sorted seconds. A repeat copies the id of an earlier contact, on average
    ``mean_gap`` seconds before (counted in contacts, so closed hours attract no extra repeats),
    at least 15 minutes and at most 6 days earlier; chains of repeats share one id.
    """
    n = times.size
    per_second = n / (times[-1] - times[0])
    back = 1 + np.floor(rng.exponential(mean_gap * per_second, n)).astype(np.int64)
    parent = np.arange(n) - back
    gap = times - times[np.maximum(parent, 0)]
    repeat = (rng.random(n) < p_repeat) & (parent >= 0) & (gap >= 900) & (gap <= 6 * DAY)
    root = np.where(repeat, parent, np.arange(n))
    while True:  # pointer jumping: parents are earlier, so this ends after a few rounds
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    roots, which = np.unique(root, return_inverse=True)
    numbers = rng.choice(np.arange(10000, 100000), size=roots.size, replace=False)
    return np.char.add(prefix, numbers[which].astype(str))


def call_handling(rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """Talk, hold, after-call work, transfers, agents, callers and the resolved flag."""
    n = len(calls)
    answered = calls["outcome"].eq("answered").to_numpy()
    talk = rng.lognormal(np.log(calls["queue"].map(TALK_MEDIAN).to_numpy()), 0.55, n)
    hold = np.where(rng.random(n) < 0.28, rng.gamma(1.5, 40, n), 0.0)
    acw = rng.gamma(2.5, 18, n)
    transferred = rng.random(n) < np.where(calls["queue"].eq("sales"), 0.11, 0.06)
    calls = calls.assign(
        talk=np.where(answered, np.floor(talk), np.nan),
        hold=np.where(answered, np.floor(hold), np.nan),
        acw=np.where(answered, np.floor(acw), np.nan),
        transferred=np.where(answered, transferred, None),
        answered_t=np.where(answered, calls["t"] + calls["wait"], np.nan),
    )
    calls["handle"] = calls[["talk", "hold", "acw"]].sum(axis=1)
    calls["end_t"] = np.where(answered, calls["answered_t"] + calls["talk"] + calls["hold"],
                              calls["t"] + calls["wait"])
    calls["agent"] = assign_agents(calls)
    calls["caller_id"] = repeat_ids(rng, calls["t"].to_numpy(), p_repeat=0.17, mean_gap=1.5 * DAY, prefix="C")
    # an answered call whose caller rings again within 7 days was usually not resolved
    next_t = calls.groupby("caller_id", sort=False)["t"].shift(-1)
    called_back = (next_t - calls["t"]).le(7 * DAY).to_numpy()
    unresolved = rng.random(n) < np.where(called_back, 0.8, 0.07)
    return calls.assign(resolved=np.where(answered, ~unresolved, None))


def break_calls(table: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Give three answered calls one defect each (see the module docstring)."""
    table = table.copy()
    answered = calls.index[calls["outcome"].eq("answered") & calls["wait"].ge(5)
                           & calls["t"].mod(DAY).between(10 * HOUR, 16 * HOUR)]
    not_a_date, wrong_zone, flipped = answered[(np.array([0.15, 0.45, 0.8]) * len(answered)).astype(int)]
    table.loc[not_a_date, "offered_at"] = "2026-13-45 25:00"
    table.loc[wrong_zone, "answered_at"] = iso(at(calls.loc[[wrong_zone], "answered_t"] - HOUR)).iloc[0]
    table.loc[flipped, "wait_seconds"] = -table.loc[flipped, "wait_seconds"]
    return table


def calls_table(rng: np.random.Generator) -> pd.DataFrame:
    calls = call_handling(rng, call_outcomes(rng, call_arrivals(rng)))
    table = pd.DataFrame({
        "call_id": [f"CL{100001 + i}" for i in range(len(calls))],
        "offered_at": iso(at(calls["t"])),
        "answered_at": iso(at(calls["answered_t"])),
        "ended_at": iso(at(calls["end_t"])),
        "queue": calls["queue"],
        "agent": calls["agent"],
        "caller_id": calls["caller_id"],
        "outcome": calls["outcome"],
        "wait_seconds": calls["wait"],
        "talk_seconds": calls["talk"].astype("Int64"),
        "hold_seconds": calls["hold"].astype("Int64"),
        "acw_seconds": calls["acw"].astype("Int64"),
        "transferred": flag(calls["transferred"]),
        "resolved": flag(calls["resolved"]),
    })
    return break_calls(table, calls)


# -- tickets -------------------------------------------------------------------------------

N_TICKETS = 2000
CHANNEL_SHARE = {"email": 0.42, "web": 0.30, "phone": 0.17, "chat": 0.11}
PRIORITY_SHARE = {"P1": 0.03, "P2": 0.14, "P3": 0.56, "P4": 0.27}
CATEGORY_TEAM = {"billing": "billing", "refund": "billing", "access": "tech", "software": "tech",
                 "hardware": "tech", "network": "tech", "order": "sales"}
CATEGORY_SHARE = [0.22, 0.08, 0.16, 0.18, 0.08, 0.08, 0.20]
#: per priority: median working hours from first response to resolution, SLA resolution target in hours
WORK_MEDIAN_H = {"P1": 1.0, "P2": 2.5, "P3": 3.5, "P4": 6.0}
SLA_H = {"P1": 4, "P2": 24, "P3": 72, "P4": 120}
ESCALATION = {"P1": 0.35, "P2": 0.20, "P3": 0.09, "P4": 0.04}


def hourly_weights(channel: str) -> np.ndarray:
    """Relative ticket volume for every hour of the four weeks, per channel."""
    hour = np.arange(DAYS * 24)
    dow, hod = (hour // 24) % 7, hour % 24
    weekday = dow < 5
    open_hours = weekday & (hod >= 8) & (hod < 18)
    peak = 1 + 0.5 * np.exp(-0.5 * ((hod - 11) / 2.0) ** 2)
    if channel in ("phone", "chat"):  # the ticket desk takes these Mon–Fri only
        return np.where(open_hours, peak, 0.0)
    evening = weekday & (((hod >= 18) & (hod < 23)) | ((hod >= 6) & (hod < 8)))
    weekend_day = ~weekday & (hod >= 9) & (hod < 21)
    return np.select([open_hours, evening, weekend_day], [peak, 0.3, 0.12], 0.02)


def to_business(seconds: np.ndarray) -> np.ndarray:
    """Seconds since START → working seconds since START (Mon–Fri 08:00–18:00; closed time counts 0)."""
    day = np.floor(seconds / DAY)
    open_today = np.where(day % 7 < 5, np.clip(seconds - day * DAY - 8 * HOUR, 0, 10 * HOUR), 0)
    weekdays_before = (day // 7) * 5 + np.minimum(day % 7, 5)
    return weekdays_before * 10 * HOUR + open_today


def from_business(working: np.ndarray) -> np.ndarray:
    """Working seconds since START → seconds since START, always inside opening hours."""
    weekday_index = np.floor(working / (10 * HOUR))
    day = (weekday_index // 5) * 7 + weekday_index % 5
    return day * DAY + 8 * HOUR + (working - weekday_index * 10 * HOUR)


def ticket_arrivals(rng: np.random.Generator) -> pd.DataFrame:
    """Creation times per channel, sorted; priority, category, team and agent."""
    counts = rng.multinomial(N_TICKETS, list(CHANNEL_SHARE.values()))
    parts = []
    for channel, k in zip(CHANNEL_SHARE, counts):
        w = hourly_weights(channel)
        hours = rng.choice(w.size, size=k, p=w / w.sum())
        parts.append(pd.DataFrame({"t": hours * HOUR + rng.integers(0, HOUR, k), "channel": channel}))
    tickets = pd.concat(parts).sort_values(["t", "channel"], kind="stable").reset_index(drop=True)
    n = len(tickets)
    tickets["priority"] = rng.choice(list(PRIORITY_SHARE), size=n, p=list(PRIORITY_SHARE.values()))
    tickets["category"] = rng.choice(list(CATEGORY_TEAM), size=n, p=CATEGORY_SHARE)
    tickets["team"] = tickets["category"].map(CATEGORY_TEAM)
    pick = rng.random(n)
    tickets["agent"] = [AGENTS[team][int(p * len(AGENTS[team]))] for team, p in zip(tickets["team"], pick)]
    tickets["requester"] = repeat_ids(rng, tickets["t"].to_numpy(), p_repeat=0.14, mean_gap=2 * DAY,
                                      prefix="C")
    return tickets


def ticket_work(rng: np.random.Generator, tickets: pd.DataFrame) -> pd.DataFrame:
    """First response, resolution (in working time), replies, reopens, escalation, SLA and effort."""
    n = len(tickets)
    prio = tickets["priority"]
    created = at(tickets["t"])
    escalated = rng.random(n) < prio.map(ESCALATION).to_numpy()
    reopens = np.where(rng.random(n) < 0.075, 1 + (rng.random(n) < 0.15), 0)

    # agents work tickets in opening hours: response and work times run on the working clock
    frt_median_min = tickets["channel"].map({"chat": 3, "phone": 8, "web": 100, "email": 150}).to_numpy()
    frt_median_min = frt_median_min * np.where(prio.isin(["P1", "P2"]), 0.4, 1.0)
    response_work = to_business(tickets["t"].to_numpy()) + rng.lognormal(np.log(frt_median_min * 60), 0.9, n)
    work_h = rng.lognormal(np.log(prio.map(WORK_MEDIAN_H).to_numpy()), 1.25, n)
    work_h = work_h * np.where(escalated, 2.5, 1.0) + reopens * rng.uniform(8, 30, n)
    first_response = at(np.floor(from_business(response_work)))
    resolved = at(np.floor(from_business(response_work + work_h * HOUR)))
    stalled = rng.random(n) < 0.02  # waiting on the customer, whatever the age
    open_ = (resolved > EXPORT_AT) | stalled
    replies_if_simple = rng.choice([0, 1, 2, 3, 4], size=n, p=[0.05, 0.68, 0.16, 0.08, 0.03])
    replies = np.where(escalated, 2 + rng.poisson(2.2, n), replies_if_simple) + reopens
    replies = np.where(open_, np.minimum(replies, rng.integers(0, 3, n)), replies)
    responded = (replies > 0) & (first_response <= EXPORT_AT).to_numpy()
    replies = np.where(responded, replies, 0)
    first_response = first_response.where(responded)
    resolved = resolved.where(~open_)
    reopens = np.where(open_, 0, reopens)

    age_h = ((resolved.fillna(EXPORT_AT) - created).dt.total_seconds() / HOUR).to_numpy()
    breached = age_h > prio.map(SLA_H).to_numpy()
    no_policy = tickets["team"].eq("sales").to_numpy()  # the sales desk has no SLA policy
    handle = np.floor(np.maximum(replies, 1) * rng.lognormal(np.log(420), 0.6, n) + escalated * 900)
    status = np.where(open_, rng.choice(["open", "pending", "on-hold"], size=n, p=[0.55, 0.35, 0.10]),
                      np.where(resolved < EXPORT_AT - pd.Timedelta(days=4), "closed", "solved"))
    return tickets.assign(created=created, first_response=first_response, resolved=resolved, status=status,
                          replies=replies, reopens=reopens, escalated=escalated,
                          sla_breached=np.where(no_policy, None, breached), handle=handle.astype(np.int64))


def tickets_frames(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(simulated tickets, the table as written with its two bad rows)."""
    tickets = ticket_work(rng, ticket_arrivals(rng))
    tickets["ticket_id"] = [f"T{48211 + i}" for i in range(len(tickets))]
    table = pd.DataFrame({
        "ticket_id": tickets["ticket_id"],
        "created_at": iso(tickets["created"]),
        "first_response_at": iso(tickets["first_response"]),
        "resolved_at": iso(tickets["resolved"]),
        "status": tickets["status"],
        "priority": tickets["priority"],
        "category": tickets["category"],
        "channel": tickets["channel"],
        "team": tickets["team"],
        "agent": tickets["agent"],
        "requester": tickets["requester"],
        "replies": tickets["replies"],
        "reopens": tickets["reopens"],
        "escalated": flag(tickets["escalated"]),
        "sla_breached": flag(tickets["sla_breached"]),
        "handle_seconds": tickets["handle"],
    })
    # a resolved_at typed with the wrong month: November became October
    candidates = tickets.index[tickets["resolved"].notna() & ~tickets["escalated"]
                               & tickets["created"].between(START + pd.Timedelta(days=14),
                                                            START + pd.Timedelta(days=18))]
    typo = candidates[40]
    table.loc[typo, "resolved_at"] = table.loc[typo, "resolved_at"].replace("2026-11-", "2026-10-", 1)
    tickets["typo"] = tickets.index == typo
    # the export came in pages of 1000 rows and the last row of page one was repeated on page two
    table = pd.concat([table.iloc[:1000], table.iloc[999:1000], table.iloc[1000:]], ignore_index=True)
    return tickets, table


# -- surveys -------------------------------------------------------------------------------

def surveys_table(rng: np.random.Generator, tickets: pd.DataFrame) -> pd.DataFrame:
    """Answers to the survey sent at resolution; worse after a breach, a reopen or an escalation."""
    done = tickets[tickets["resolved"].notna() & ~tickets["typo"]]
    n = len(done)
    responded = done["resolved"] + pd.to_timedelta(
        np.floor(np.clip(rng.lognormal(np.log(5 * HOUR), 1.3, n), 120, 7 * DAY)), unit="s")
    keep = (rng.random(n) < 0.40) & (responded <= EXPORT_AT).to_numpy()
    done, responded = done[keep], responded[keep]
    n = len(done)
    mood = (rng.normal(0, 1, n) - 0.9 * done["sla_breached"].fillna(False).astype(bool).to_numpy()
            - 0.8 * (done["reopens"] > 0).to_numpy() - 0.35 * done["escalated"].to_numpy())
    csat = np.digitize(mood, [-2.5, -2.1, -1.5, -0.3]) + 1
    nps = np.clip(np.round(8.9 + 1.7 * mood + rng.normal(0, 0.7, n)), 0, 10)
    ces = np.clip(np.round(5.6 + 1.1 * mood + rng.normal(0, 0.8, n)), 1, 7)
    nps = np.where(rng.random(n) < 0.12, np.nan, nps)  # not everyone answers every question
    ces = np.where(rng.random(n) < 0.25, np.nan, ces)
    order = np.argsort(responded.to_numpy(), kind="stable")
    out = pd.DataFrame({
        "responded_at": iso(responded),
        "ticket_id": done["ticket_id"],
        "agent": done["agent"],
        "csat": csat,
        "nps": pd.array(nps, dtype="Int64"),
        "ces": pd.array(ces, dtype="Int64"),
    }).iloc[order].reset_index(drop=True)
    out.insert(0, "survey_id", [f"S{70001 + i}" for i in range(len(out))])
    return out


# -- helpers and main ----------------------------------------------------------------------

def at(seconds: pd.Series | np.ndarray) -> pd.Series:
    """Seconds since START → timestamps in TZ (NaN → NaT), keeping a Series' index."""
    index = seconds.index if isinstance(seconds, pd.Series) else None
    return pd.Series(START + pd.to_timedelta(np.asarray(seconds, dtype=float), unit="s"), index=index)


def iso(ts: pd.Series) -> pd.Series:
    """ISO 8601 with the local offset, e.g. 2026-10-26T09:15:03+00:00; NaT → empty."""
    text = ts.dt.tz_convert(TZ).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    return (text.str[:-2] + ":" + text.str[-2:]).fillna("")


def flag(values: pd.Series) -> pd.Series:
    """Booleans as true/false, None as an empty cell."""
    return values.map({True: "true", False: "false"}).fillna("")


def write(table: pd.DataFrame, name: str) -> None:
    path = OUT / name
    table.to_csv(path, index=False, lineterminator="\n")
    print(f"wrote {path.relative_to(OUT.parent)}: {len(table)} rows")


def main() -> None:
    rng = np.random.default_rng(SEED)
    write(calls_table(rng), "calls.csv")
    tickets, table = tickets_frames(rng)
    write(table, "tickets.csv")
    write(surveys_table(rng, tickets), "surveys.csv")


if __name__ == "__main__":
    main()
