"""Schedule adherence, conformance and occupancy (hdkpi.wfm.adherence) on hand-worked timelines.

Every expected figure is worked out in the comment beside it (times are minutes on the clock; 1 min = 60 s).
Definitions checked against published ones:
- adherence = minutes in adherence ÷ total scheduled minutes: Call Centre Helper, "What Is Adherence?"
  (R. Trickey, 2022, https://www.callcentrehelper.com/what-is-adherence-209091.htm); worked example "scheduled
  for 100 minutes … stick to their schedule for 90 minutes → 90 %": Assembled WFM glossary, "Schedule adherence"
  (https://www.assembled.com/wfm-glossary/schedule-adherence).
- conformance = time in service whether or not scheduled ÷ time scheduled: Cisco Unified Workforce Optimization,
  Workforce Management Reports Reference Guide (June 2012), "Conformity percent", p. 42; SWPP glossary,
  "Compliance" (https://swpp.org/glossary/compliance/).
- occupancy = (talk + ACW) ÷ ready time: Calabrio WFM glossary, "Occupancy"
  (https://help.calabrio.com/doc/Content/glossaries/wfm-concepts/occupancy.htm).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from hdkpi.errors import InputError, UsageError
from hdkpi.ingest.load import read_table
from hdkpi.ingest.normalise import normalise
from hdkpi.ingest.presets.asterisk import read_queue_log
from hdkpi.wfm.adherence import COLUMNS, adherence, prepare_states, read_schedule, read_states, states_from_queue_log

from .conftest import EXAMPLES, load_csv, write_csv

DAY = "2026-10-26"  # a Monday; Europe/London is on GMT (UTC+0) from 2026-10-25


def frame(text: str) -> pd.DataFrame:
    """A small table written as CSV text (all cells text, as a file is read; data rows numbered from 1)."""
    rows = [line.split(",") for line in textwrap.dedent(text).strip().splitlines()]
    out = pd.DataFrame(rows[1:], columns=rows[0], dtype="str")
    out.index = range(1, len(out) + 1)
    return out


def one(result: pd.DataFrame, **where: str) -> pd.Series:
    rows = result
    for column, value in where.items():
        rows = rows.loc[rows[column].eq(value)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# -- the three timelines of the issue ---------------------------------------------------------------------

def test_late_log_in():
    schedule = frame(f"""
        agent,activity,start,end
        ann,phone,{DAY}T08:00,{DAY}T12:00
    """)
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T08:10,{DAY}T12:00
    """)
    row = one(adherence(schedule, states, tz="Europe/London"), agent="ann")
    assert row["scheduled_seconds"] == 240 * 60  # 08:00–12:00 = 240 min
    assert row["in_adherence_seconds"] == 230 * 60  # 08:10–12:00 = 230 min (08:00–08:10 logged out)
    assert row["adherence"] == pytest.approx(230 / 240)  # 0.9583
    assert row["worked_seconds"] == 230 * 60
    assert row["conformance"] == pytest.approx(230 / 240)  # 230 worked of 240 scheduled work
    assert row["period"] == DAY
    assert math.isnan(row["occupancy"])  # no calls given


def test_early_pause_is_five_minutes_out_of_adherence():
    schedule = frame(f"""
        agent,activity,start,end
        ann,work,{DAY}T08:00,{DAY}T10:00
        ann,break,{DAY}T10:00,{DAY}T10:15
        ann,work,{DAY}T10:15,{DAY}T12:00
    """)
    states = frame(f"""
        agent,state,reason,from,to
        ann,available,,{DAY}T08:00,{DAY}T09:55
        ann,paused,break,{DAY}T09:55,{DAY}T10:15
        ann,talking,,{DAY}T10:15,{DAY}T11:00
        ann,acw,,{DAY}T11:00,{DAY}T12:00
    """)
    row = one(adherence(schedule, states, tz="Europe/London"), agent="ann")
    assert row["scheduled_seconds"] == 240 * 60  # 120 + 15 + 105 min
    # out of adherence only 09:55–10:00 (paused while work is planned): 240 − 5 = 235 min
    assert row["in_adherence_seconds"] == 235 * 60
    assert row["adherence"] == pytest.approx(235 / 240)
    assert row["scheduled_work_seconds"] == 225 * 60  # the 15-min break is not work
    assert row["worked_seconds"] == 220 * 60  # logged in 240 min − paused for the break 20 min
    assert row["conformance"] == pytest.approx(220 / 225)
    assert row["ready_seconds"] == 220 * 60  # available + talking + acw
    assert row["logged_in_seconds"] == 240 * 60  # the pause is logged in


def test_shift_across_midnight_is_split_between_the_two_days():
    schedule = frame("""
        agent,team,activity,start,end
        nia,night,work,2026-10-27T22:00,2026-10-28T06:00
    """)
    states = frame("""
        agent,state,from,to
        nia,available,2026-10-27T22:00,2026-10-28T06:00
    """)
    result = adherence(schedule, states, tz="Europe/London")
    first, second = one(result, period="2026-10-27"), one(result, period="2026-10-28")
    assert first["scheduled_seconds"] == 2 * 3600  # 22:00–24:00
    assert second["scheduled_seconds"] == 6 * 3600  # 00:00–06:00
    assert first["adherence"] == second["adherence"] == 1.0  # logged in all along
    assert first["team"] == "night"
    weekly = one(adherence(schedule, states, tz="Europe/London", every="week"), agent="nia")
    assert weekly["period"] == "2026-10-26" and weekly["scheduled_seconds"] == 8 * 3600  # Tue+Wed, one week


def test_midnight_is_that_of_the_reporting_zone():
    # 21:00Z–05:00Z is 22:00–06:00 in Berlin (CET = UTC+1 after 2026-10-25): Berlin's midnight is 23:00Z
    schedule = frame("""
        agent,activity,start,end
        nia,work,2026-10-27T21:00:00+00:00,2026-10-28T05:00:00+00:00
    """)
    states = frame("""
        agent,state,from,to
        nia,available,2026-10-27T21:00:00Z,2026-10-28T05:00:00Z
    """)
    result = adherence(schedule, states, tz="Europe/Berlin")
    assert one(result, period="2026-10-27")["scheduled_seconds"] == 2 * 3600  # 21:00Z–23:00Z
    assert one(result, period="2026-10-28")["scheduled_seconds"] == 6 * 3600  # 23:00Z–05:00Z


def test_night_shift_over_the_clock_change_counts_real_time():
    # London, night of 24→25 Oct 2026: clocks go back at 02:00 BST to 01:00 GMT. 22:00 BST = 21:00Z and
    # 06:00 GMT = 06:00Z: 9 real hours. Sat 24th: 22:00–24:00 BST = 2 h; Sun 25th: 00:00 BST (23:00Z) → 06:00Z = 7 h.
    schedule = frame("""
        agent,activity,start,end
        nia,work,2026-10-24T22:00,2026-10-25T06:00
    """)
    states = frame("""
        agent,state,from,to
        nia,available,2026-10-24T22:00,2026-10-25T06:00
    """)
    result = adherence(schedule, states, tz="Europe/London")
    assert one(result, period="2026-10-24")["scheduled_seconds"] == 2 * 3600
    assert one(result, period="2026-10-25")["scheduled_seconds"] == 7 * 3600
    assert result["adherence"].tolist() == [1.0, 1.0]


# -- decisions: unscheduled log-in, overlapping rows, state mapping ----------------------------------------

def test_unscheduled_log_in_is_worked_but_not_in_adherence():
    schedule = frame(f"""
        agent,activity,start,end
        ann,work,{DAY}T08:00,{DAY}T12:00
    """)
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T07:30,{DAY}T12:00
        ann,available,2026-10-27T09:00,2026-10-27T10:00
    """)
    result = adherence(schedule, states, tz="Europe/London")
    monday = one(result, period=DAY)
    assert monday["adherence"] == 1.0  # 240 of 240 scheduled min; 07:30–08:00 is in neither part of the ratio
    assert monday["unscheduled_seconds"] == 30 * 60  # 07:30–08:00
    assert monday["worked_seconds"] == 270 * 60  # 07:30–12:00
    # Cisco's conformity: time in service whether or not scheduled ÷ time scheduled = 270 / 240 = 1.125
    assert monday["conformance"] == pytest.approx(1.125)
    assert "logged in 30 min outside the schedule" in monday["notes"]
    tuesday = one(result, period="2026-10-27")  # a login on a day without schedule
    assert tuesday["scheduled_seconds"] == 0 and tuesday["worked_seconds"] == 3600  # 09:00–10:00
    assert math.isnan(tuesday["adherence"]) and math.isnan(tuesday["conformance"])  # nothing scheduled: no ratio
    assert "not scheduled in this period" in tuesday["notes"]


def test_minutes_early_are_not_noted():
    schedule = frame(f"""
        agent,activity,start,end
        ann,work,{DAY}T08:00,{DAY}T12:00
    """)
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T07:56,{DAY}T12:00
    """)
    row = one(adherence(schedule, states), agent="ann")
    assert row["unscheduled_seconds"] == 240  # 07:56–08:00 = 4 min, below the quarter-hour worth a note
    assert row["notes"] == ""


def test_overlapping_schedule_rows_are_refused_with_both_rows():
    schedule = frame(f"""
        agent,activity,start,end
        ann,work,{DAY}T08:00,{DAY}T10:00
        ann,work,{DAY}T10:00,{DAY}T12:00
        ann,break,{DAY}T11:00,{DAY}T11:15
        bob,work,{DAY}T08:00,{DAY}T12:00
    """)
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T08:00,{DAY}T12:00
    """)
    with pytest.raises(InputError) as err:
        adherence(schedule, states)
    message = str(err.value)
    assert "1 row(s) overlap" in message  # rows 1–2 touch at 10:00 (allowed); row 3 lies inside row 2
    assert "ann: row 2 (work until 2026-10-26 12:00) and row 3 (break from 2026-10-26 11:00)" in message


def test_overlap_times_are_shown_on_the_reporting_clock():
    schedule = frame("""
        agent,activity,start,end
        ann,work,2026-10-26T07:00:00Z,2026-10-26T11:00:00Z
        ann,break,2026-10-26T10:00:00Z,2026-10-26T10:15:00Z
    """)
    with pytest.raises(InputError, match=r"row 1 \(work until 2026-10-26 12:00\) and row 2 \(break from 2026-10-26 11:00\)"):
        adherence(schedule, frame("agent,state,from,to"), tz="Europe/Berlin")  # CET = UTC+1


def test_overlapping_state_rows_are_refused():
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T08:00,{DAY}T10:00
        ann,paused,{DAY}T09:00,{DAY}T09:10
    """)
    with pytest.raises(InputError, match=r"ann: row 1 \(available until .*\) and row 2 \(paused from"):
        prepare_states(states)


def test_bad_rows_are_refused_with_their_row():
    late = frame(f"""
        agent,activity,start,end
        ann,work,{DAY}T12:00,{DAY}T08:00
    """)
    with pytest.raises(InputError, match="schedule row 1 ends before or when it starts"):
        adherence(late, frame("agent,state,from,to\nann,available,2026-10-26T08:00,2026-10-26T09:00"))
    typo = frame("""
        agent,activity,start,end
        ann,work,2026-13-45T08:00,2026-10-26T09:00
    """)
    with pytest.raises(InputError, match="'2026-13-45T08:00' in row 1 is not a date"):
        adherence(typo, frame("agent,state,from,to\nann,available,2026-10-26T08:00,2026-10-26T09:00"))
    with pytest.raises(InputError, match="without a 'activity' column"):
        adherence(frame("agent,start,end\nann,2026-10-26T08:00,2026-10-26T09:00"),
                  frame("agent,state,from,to\nann,available,2026-10-26T08:00,2026-10-26T09:00"))
    with pytest.raises(UsageError, match="--every 'fortnight'"):
        adherence(frame("agent,activity,start,end\nann,work,2026-10-26T08:00,2026-10-26T09:00"),
                  frame("agent,state,from,to\nann,available,2026-10-26T08:00,2026-10-26T09:00"), every="fortnight")


def test_state_table_reasons_and_logging_out_for_lunch():
    schedule = frame(f"""
        agent,activity,start,end
        ann,phone,{DAY}T08:00,{DAY}T09:00
        ann,lunch,{DAY}T09:00,{DAY}T10:00
        ann,training,{DAY}T10:00,{DAY}T11:00
        ann,break,{DAY}T11:00,{DAY}T11:15
    """)
    # 08:00–09:00 ringing/wrap (work); lunch logged out (no row); training as "Not Ready" + reason;
    # the break as an inline reason "paused:break" but 5 min late (11:05)
    states = frame(f"""
        agent,state,reason,from,to
        ann,Ringing,,{DAY}T08:00,{DAY}T08:30
        ann,Wrap-Up,,{DAY}T08:30,{DAY}T09:00
        ann,Not Ready,Training,{DAY}T10:00,{DAY}T11:05
        ann,paused:break,,{DAY}T11:05,{DAY}T11:15
    """)
    row = one(adherence(schedule, states), agent="ann")
    # in adherence: phone 60 + lunch logged out 60 + training 60 + break 10 (11:05–11:15) = 190 of 195 min
    assert row["in_adherence_seconds"] == 190 * 60
    assert row["adherence"] == pytest.approx(190 / 195)
    # worked: phone 60 + training 65 (10:00–11:05; the pause with a reason other than break/lunch is work)
    assert row["worked_seconds"] == 125 * 60
    assert row["scheduled_work_seconds"] == 120 * 60  # phone 60 + training 60
    assert row["ready_seconds"] == 60 * 60  # only the phone hour can take calls
    assert row["logged_in_seconds"] == 135 * 60  # 60 + 65 + 10


def test_unknown_state_is_refused_unless_mapped():
    schedule = frame(f"agent,activity,start,end\nann,work,{DAY}T08:00,{DAY}T09:00")
    states = frame(f"agent,state,from,to\nann,on_a_ship,{DAY}T08:00,{DAY}T09:00")
    with pytest.raises(InputError, match=r"unknown state.*'on_a_ship'"):
        adherence(schedule, states)
    row = one(adherence(schedule, states, state_map={"on_a_ship": "work"}), agent="ann")
    assert row["adherence"] == 1.0  # mapped to work for the whole scheduled hour


def test_open_state_lasts_to_the_next_row_or_the_end_of_the_log():
    schedule = frame(f"agent,activity,start,end\nann,work,{DAY}T08:00,{DAY}T12:00\nbob,work,{DAY}T08:00,{DAY}T12:00")
    # ann's first row has no end: it lasts until her next row (09:00); bob's last row has none either: it
    # lasts to the last time in the log (ann's 12:30) and is flagged
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T08:00,
        ann,available,{DAY}T09:00,{DAY}T12:30
        bob,available,{DAY}T08:00,
    """)
    result = adherence(schedule, states)
    assert one(result, agent="ann")["logged_in_seconds"] == 270 * 60  # 08:00–12:30
    bob = one(result, agent="bob")
    assert bob["logged_in_seconds"] == 270 * 60  # 08:00–12:30, the end of the log
    assert "still logged in at the end of the state log" in bob["notes"]


def test_published_example_scheduled_100_minutes_in_adherence_90():
    # Assembled's glossary: scheduled 100 minutes (productive or not), on schedule 90 → 90 %.
    # 60 min phone + 40 min meeting; the agent stays on the phone 10 min into the meeting.
    schedule = frame(f"""
        agent,activity,start,end
        ann,phone,{DAY}T09:00,{DAY}T10:00
        ann,meeting,{DAY}T10:00,{DAY}T10:40
    """)
    states = frame(f"""
        agent,state,reason,from,to
        ann,available,,{DAY}T09:00,{DAY}T10:10
        ann,paused,meeting,{DAY}T10:10,{DAY}T10:40
    """)
    row = one(adherence(schedule, states), agent="ann")
    assert row["scheduled_seconds"] == 100 * 60
    assert row["in_adherence_seconds"] == 90 * 60  # 60 phone + 30 meeting
    assert row["adherence"] == pytest.approx(0.90)


# -- teams, the desk and periods ---------------------------------------------------------------------------

def test_team_and_desk_are_ratios_of_sums():
    schedule = frame(f"""
        agent,team,activity,start,end
        ann,billing,work,{DAY}T08:00,{DAY}T12:00
        bob,billing,work,{DAY}T08:00,{DAY}T12:00
        cat,tech,work,{DAY}T08:00,{DAY}T10:00
    """)
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T08:10,{DAY}T12:00
        bob,available,{DAY}T08:00,{DAY}T12:00
        cat,available,{DAY}T08:00,{DAY}T09:00
    """)
    teams = adherence(schedule, states, by="team")
    billing = one(teams, team="billing")
    assert billing["scheduled_seconds"] == 480 * 60  # 240 + 240
    assert billing["adherence"] == pytest.approx((230 + 240) / 480)  # 0.979, not the mean of the agents' ratios
    assert billing["notes"] == "2 agent(s)"
    assert one(teams, team="tech")["adherence"] == pytest.approx(60 / 120)
    desk = one(adherence(schedule, states, by="desk"), period=DAY)
    assert desk["adherence"] == pytest.approx((230 + 240 + 60) / 600)  # 530 / 600
    assert pd.isna(desk["agent"]) and pd.isna(desk["team"])
    assert list(desk.index) == list(COLUMNS)


def test_one_period_and_a_window():
    schedule = frame(f"""
        agent,activity,start,end
        ann,work,{DAY}T08:00,{DAY}T12:00
        ann,work,2026-10-27T08:00,2026-10-27T12:00
    """)
    states = frame(f"""
        agent,state,from,to
        ann,available,{DAY}T08:00,{DAY}T12:00
    """)
    whole = one(adherence(schedule, states, every=None), agent="ann")
    assert whole["period"] == "all" and whole["adherence"] == pytest.approx(240 / 480)  # absent on Tuesday
    monday = one(adherence(schedule, states, every=None, start=f"{DAY}T00:00", end="2026-10-27T00:00"), agent="ann")
    assert monday["scheduled_seconds"] == 240 * 60 and monday["adherence"] == 1.0  # Tuesday is outside the window


# -- Asterisk queue_log ------------------------------------------------------------------------------------

def epoch(hhmm: str) -> int:
    return int(pd.Timestamp(f"{DAY}T{hhmm}", tz="UTC").timestamp())


QUEUE_LOG = f"""\
{epoch("08:00")}|NONE|NONE|Agent/2001|AGENTLOGIN|PJSIP/2001
{epoch("08:10")}|NONE|billing|PJSIP/101|ADDMEMBER|
{epoch("08:10")}|NONE|sales|PJSIP/101|ADDMEMBER|
{epoch("09:00")}|1761469200.1|billing|NONE|ENTERQUEUE||07700900111|1
{epoch("09:00") + 5}|1761469200.1|billing|PJSIP/101|CONNECT|5|1761469205.2|3
{epoch("09:05")}|1761469200.1|billing|PJSIP/101|COMPLETECALLER|5|295|1
{epoch("09:30")}|NONE|billing|PJSIP/102|REMOVEMEMBER|
{epoch("09:55")}|NONE|billing|PJSIP/101|PAUSE|Break
{epoch("09:55")}|NONE|sales|PJSIP/101|PAUSE|Break
{epoch("10:15")}|NONE|billing|PJSIP/101|UNPAUSE|
{epoch("10:15")}|NONE|sales|PJSIP/101|UNPAUSE|
{epoch("11:00")}|NONE|sales|PJSIP/101|REMOVEMEMBER|
{epoch("12:00")}|NONE|billing|PJSIP/101|REMOVEMEMBER|
{epoch("12:30")}|1761480000.9|billing|NONE|ENTERQUEUE||07700900222|1
"""


def test_queue_log_agent_events_become_intervals(tmp_path: Path):
    path = write_csv(tmp_path, QUEUE_LOG, "queue_log")
    states = read_states(str(path))
    pjsip = states.loc[states["agent"].eq("PJSIP/101")]
    # ADDMEMBER ×2 at 08:10 → available; PAUSE Break at 09:55 → break; UNPAUSE 10:15 → available; leaving sales
    # at 11:00 keeps the agent in billing, so logged in until the REMOVEMEMBER from billing at 12:00
    assert pjsip[["state", "activity"]].values.tolist() == [["available", "work"], ["paused", "break"],
                                                             ["available", "work"]]
    assert pjsip["start"].dt.strftime("%H:%M").tolist() == ["08:10", "09:55", "10:15"]
    assert pjsip["end"].dt.strftime("%H:%M").tolist() == ["09:55", "10:15", "12:00"]
    assert not pjsip["open_end"].any()
    agent = states.loc[states["agent"].eq("Agent/2001")].iloc[0]
    # AGENTLOGIN at 08:00 and no AGENTLOGOFF: open until the log's last line, 12:30, flagged
    assert (agent["start"].strftime("%H:%M"), agent["end"].strftime("%H:%M"), agent["open_end"]) == \
        ("08:00", "12:30", True)
    assert states.attrs["notes"] == ["PJSIP/102: REMOVEMEMBER at line 7 without a login earlier in the log: "
                                     "logged in before the log began, that time is counted as logged out"]

    schedule = frame(f"""
        agent,activity,start,end
        PJSIP/101,work,{DAY}T08:00,{DAY}T10:00
        PJSIP/101,break,{DAY}T10:00,{DAY}T10:15
        PJSIP/101,work,{DAY}T10:15,{DAY}T12:00
        Agent/2001,work,{DAY}T08:00,{DAY}T12:00
    """)
    result = adherence(schedule, states)
    # PJSIP/101: late 10 min and on break 5 min early: in adherence 08:10–09:55 (105) + 10:00–10:15 (15) +
    # 10:15–12:00 (105) = 225 of 240 min
    assert one(result, agent="PJSIP/101")["adherence"] == pytest.approx(225 / 240)
    agent_row = one(result, agent="Agent/2001")
    assert agent_row["adherence"] == 1.0  # 08:00–12:00 of 08:00–12:30 logged in
    assert agent_row["unscheduled_seconds"] == 30 * 60  # 12:00–12:30
    assert "still logged in at the end of the state log" in agent_row["notes"]


def test_queue_log_table_without_reading_a_file():
    raw = read_queue_log(QUEUE_LOG.encode(), "queue_log")
    intervals = states_from_queue_log(raw.frame, log_end=pd.Timestamp(f"{DAY}T13:00", tz="UTC"))
    agent = intervals.loc[intervals["agent"].eq("Agent/2001")].iloc[0]
    assert agent["to"] == pd.Timestamp(f"{DAY}T13:00", tz="UTC")  # the given end of the log, not its last line
    assert intervals.loc[intervals["state"].eq("paused"), "reason"].tolist() == ["Break"]


# -- occupancy ---------------------------------------------------------------------------------------------

def test_occupancy_from_a_tiny_calls_frame(tmp_path: Path):
    schedule = frame(f"agent,activity,start,end\nann,work,{DAY}T08:00,{DAY}T09:00")
    states = frame(f"agent,state,from,to\nann,available,{DAY}T08:00,{DAY}T09:00")
    calls = load_csv(tmp_path, f"""
        call_id,offered_at,answered_at,agent,outcome,wait_seconds,talk_seconds,hold_seconds,acw_seconds
        A,{DAY}T08:09:50,{DAY}T08:10:00,ann,answered,,300,60,120
        B,{DAY}T08:16:50,{DAY}T08:17:00,ann,answered,,600,,
        C,{DAY}T08:40:00,,ann,answered,30,270,,
        D,{DAY}T09:09:50,{DAY}T09:10:00,ann,answered,,300,,
        E,{DAY}T08:50:00,,,abandoned,20,,,
        F,{DAY}T08:20:00,{DAY}T08:20:05,zed,answered,,100,,
        G,{DAY}T08:11:55,{DAY}T08:12:00,ann,answered,,60,,
    """, kind="calls").frame
    row = one(adherence(schedule, states, calls), agent="ann")
    # A: 08:10:00 + 300 + 60 + 120 = 08:18:00; B: 08:17:00 + 600 = 08:27:00 (starts in A's acw: the two are
    # counted once, 08:10–08:27 = 1020 s; G, 08:12–08:13, lies inside A and adds nothing); C: answered at offered + wait = 08:40:30, + 270 = 08:45:00 (270 s);
    # D: 09:10–09:15 is after log-off, not counted; E abandoned; F is another agent's (not in the schedule)
    assert row["handling_seconds"] == 1020 + 270
    assert row["ready_seconds"] == 3600
    assert row["occupancy"] == pytest.approx(1290 / 3600)  # 0.358
    assert "5 min of call handling while paused or logged out" in row["notes"]  # call D


def test_occupancy_leaves_pauses_out_of_the_denominator():
    # Calabrio: occupancy = (talk + ACW) ÷ ready time. Ready 08:00–09:00 and 10:00–11:00 (120 min), a 60-min
    # lunch pause in between; 48 min of calls → 48 / 120 = 40 % (not 48 / 180 of all logged-in time)
    schedule = frame(f"agent,activity,start,end\nann,work,{DAY}T08:00,{DAY}T11:00")
    states = frame(f"""
        agent,state,reason,from,to
        ann,available,,{DAY}T08:00,{DAY}T09:00
        ann,paused,lunch,{DAY}T09:00,{DAY}T10:00
        ann,available,,{DAY}T10:00,{DAY}T11:00
    """)
    calls = pd.DataFrame({"agent": ["ann", "ann"], "outcome": ["answered", "answered"],
                          "answered_at": pd.to_datetime([f"{DAY}T08:00", f"{DAY}T10:00"], utc=True),
                          "talk_seconds": [1200.0, 1200.0], "acw_seconds": [240.0, 240.0]})
    row = one(adherence(schedule, states, calls), agent="ann")
    assert row["handling_seconds"] == 2 * (1200 + 240)  # 2 × 24 min = 48 min
    assert row["logged_in_seconds"] == 180 * 60
    assert row["occupancy"] == pytest.approx(48 / 120)


def test_calls_of_other_agents_only_are_refused():
    schedule = frame(f"agent,activity,start,end\nann,work,{DAY}T08:00,{DAY}T09:00")
    states = frame(f"agent,state,from,to\nann,available,{DAY}T08:00,{DAY}T09:00")
    calls = pd.DataFrame({"agent": ["PJSIP/101"], "answered_at": pd.to_datetime([f"{DAY}T08:10"], utc=True),
                          "talk_seconds": [60.0]})
    with pytest.raises(InputError, match="no agent of the calls"):
        adherence(schedule, states, calls)


# -- the shipped example -----------------------------------------------------------------------------------

def test_examples_read_and_stay_plausible():
    calls = normalise(read_table(str(EXAMPLES / "calls.csv")), kind="calls", tz="Europe/London").frame
    schedule = read_schedule(str(EXAMPLES / "adherence" / "schedule.csv"), "Europe/London")
    states = read_states(str(EXAMPLES / "adherence" / "agent_states.csv"), "Europe/London")
    result = adherence(schedule, states, calls, tz="Europe/London")
    assert len(result) == 6 * 6  # six agents, Monday–Saturday of the first week
    assert result["adherence"].between(0.6, 1).all()
    assert result["occupancy"].between(0.01, 0.6).all()
    assert not result["notes"].str.contains("while paused or logged out").any()  # no pause overlaps a call
    # the deviations the generator plants are the three lowest days
    worst = result.nsmallest(3, "adherence")[["agent", "period"]].values.tolist()
    assert sorted(worst) == [["a.khan", "2026-10-30"], ["g.patel", "2026-10-28"], ["l.rossi", "2026-10-29"]]


def test_example_generator_is_deterministic(tmp_path: Path):
    import runpy

    generator = runpy.run_path(str(EXAMPLES / "adherence" / "generate_schedule.py"))
    generator["main"](tmp_path)
    for name in ("schedule.csv", "agent_states.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / "adherence" / name).read_bytes()


def test_adherence_command_on_the_examples():
    import json

    from click.testing import CliRunner

    from hdkpi.cli import cli

    folder = EXAMPLES / "adherence"
    result = CliRunner().invoke(cli, ["adherence", str(folder / "schedule.csv"), str(folder / "agent_states.csv"),
                                      "--calls", str(EXAMPLES / "calls.csv"), "--tz", "Europe/London",
                                      "--every", "none", "--by", "team", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["team"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"billing", "tech", "sales"}
    for r in rows.values():
        # the shares are the ratios of the seconds they rest on
        assert r["adherence"] == pytest.approx(r["in_adherence_seconds"] / r["scheduled_seconds"])
        assert r["occupancy"] == pytest.approx(r["handling_seconds"] / r["ready_seconds"])
    table = CliRunner().invoke(cli, ["adherence", str(folder / "schedule.csv"), str(folder / "agent_states.csv")])
    assert table.exit_code == 0 and "adherence" in table.stdout.splitlines()[0]
