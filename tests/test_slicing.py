"""Breakdowns by group and period, worked by hand: --by, --every, --from/--to/--last, --compare."""

from __future__ import annotations

from datetime import datetime

import pytest

from hdkpi.engine.slicing import make_periods
from hdkpi.errors import UsageError
from hdkpi.run.pipeline import RunOptions, run

from .conftest import write_csv


def records(report, kpi):
    """{(group tuple, period): result} of one KPI."""
    return {(tuple(sorted(v.result.group.items())), v.result.period): v for v in report.verdicts
            if v.result.kpi == kpi}


def value(report, kpi, period=None, **group):
    return records(report, kpi)[(tuple(sorted(group.items())), period)].result


CALLS = """\
call_id,offered_at,wait_seconds,outcome,queue
1,2026-11-02T09:00:00Z,10,answered,billing
2,2026-11-02T10:00:00Z,30,answered,billing
3,2026-11-02T11:00:00Z,50,abandoned,tech
4,2026-11-04T09:00:00Z,20,answered,tech
5,2026-11-04T10:00:00Z,40,answered,
6,2026-11-04T23:30:00Z,5,answered,tech
"""
# Days (UTC): 11-02 → calls 1, 2, 3; 11-03 → none; 11-04 → calls 4, 5, 6.


def calls_report(tmp_path, **options):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    return run(RunOptions(files=[str(path)], kpis=["calls_offered", "asa", "abandonment_rate"], **options))


def test_by_queue_gives_each_group_and_the_overall(tmp_path):
    r = calls_report(tmp_path, by=["queue"])
    # overall asa: answered 10, 30, 20, 40, 5 → 105 / 5 = 21 s
    assert value(r, "asa").value == pytest.approx(21.0)
    # billing: 10, 30 → 20 s; tech answered: 20, 5 → 12.5 s; the empty queue (call 5) is a group: 40 s
    assert value(r, "asa", queue="billing").value == pytest.approx(20.0)
    assert value(r, "asa", queue="tech").value == pytest.approx(12.5)
    assert value(r, "asa", queue=None).value == pytest.approx(40.0)
    # tech abandonment: 1 (call 3) of 3 offered (3, 4, 6)
    tech = value(r, "abandonment_rate", queue="tech")
    assert (tech.numerator, tech.denominator, tech.n) == (1, 3, 3)
    # counts per group sum to the overall: 2 + 3 + 1 = 6
    offered = [v.result.value for v in r.verdicts if v.result.kpi == "calls_offered" and v.result.group]
    assert sorted(offered) == [1, 2, 3] and value(r, "calls_offered").value == 6


def test_every_day_includes_the_empty_day(tmp_path):
    r = calls_report(tmp_path, every="day")
    days = [v.result.period for v in r.verdicts if v.result.kpi == "asa" and v.result.period]
    assert days == ["2026-11-02", "2026-11-03", "2026-11-04"]
    # 11-02 asa: 10, 30 → 20 s; 11-04: 20, 40, 5 → 65 / 3 = 21.67 s
    assert value(r, "asa", "2026-11-02").value == pytest.approx(20.0)
    assert value(r, "asa", "2026-11-04").value == pytest.approx(65 / 3)
    empty = value(r, "asa", "2026-11-03")
    assert empty.value is None and empty.n == 0 and empty.notes  # no-data, not missing
    assert value(r, "calls_offered", "2026-11-03").value == 0  # a count of nothing is 0
    assert value(r, "abandonment_rate", "2026-11-03").value is None


def test_group_present_in_one_period_only(tmp_path):
    r = calls_report(tmp_path, by=["queue"], every="day")
    # billing has calls on 11-02 only: its 11-04 record exists with 0 offered and no asa
    assert value(r, "calls_offered", "2026-11-04", queue="billing").value == 0
    assert value(r, "asa", "2026-11-04", queue="billing").value is None
    assert value(r, "asa", "2026-11-02", queue="billing").value == pytest.approx(20.0)
    # every group × every day: 3 groups × 3 days
    both = [k for k in records(r, "asa") if k[0] and k[1]]
    assert len(both) == 9


def test_days_are_cut_in_the_reporting_zone(tmp_path):
    # call 6 at 2026-11-04T23:30Z is 2026-11-05 00:30 in Paris (UTC+1 in November)
    r = calls_report(tmp_path, every="day", tz="Europe/Paris")
    assert value(r, "calls_offered", "2026-11-04").value == 2
    assert value(r, "calls_offered", "2026-11-05").value == 1


DST = """\
call_id,offered_at,wait_seconds,outcome
1,2026-10-25T00:30:00+01:00,10,answered
2,2026-10-25T01:30:00+01:00,20,answered
3,2026-10-25T01:30:00+00:00,30,answered
4,2026-10-25T23:30:00+00:00,40,answered
5,2026-10-26T00:10:00+00:00,50,answered
"""
# Europe/London leaves summer time at 02:00 BST = 01:00 GMT on 2026-10-25: that day has 25 hours and
# 01:00–02:00 happens twice (calls 2 and 3).


def test_day_periods_across_the_end_of_summer_time(tmp_path):
    path = write_csv(tmp_path, DST, "calls.csv")
    r = run(RunOptions(files=[str(path)], kpis=["calls_offered"], every="day", tz="Europe/London"))
    # 10-25 (25 h long) holds calls 1–4; 10-26 holds call 5
    assert value(r, "calls_offered", "2026-10-25").value == 4
    assert value(r, "calls_offered", "2026-10-26").value == 1


def test_hour_periods_keep_the_repeated_hour_apart(tmp_path):
    path = write_csv(tmp_path, DST, "calls.csv")
    r = run(RunOptions(files=[str(path)], kpis=["calls_offered"], every="hour", tz="Europe/London",
                       start="2026-10-25T00:00", end="2026-10-25T03:00"))
    # local 00:00, 01:00 (BST), 01:00 (GMT), 02:00: 4 hours in 3 wall-clock hours
    labels = [v.result.period for v in r.verdicts if v.result.period]
    assert labels == ["2026-10-25T00:00+01:00", "2026-10-25T01:00+01:00", "2026-10-25T01:00+00:00",
                      "2026-10-25T02:00+00:00"]
    counts = [v.result.value for v in r.verdicts if v.result.period]
    assert counts == [1, 1, 1, 0]  # calls 1, 2, 3; nothing at 02:00


def test_time_dimensions_of_the_anchor(tmp_path):
    r = calls_report(tmp_path, by=["weekday", "hour"])
    # Monday 11-02 09:00, 10:00, 11:00; Wednesday 11-04 09:00, 10:00, 23:00 (UTC)
    assert value(r, "calls_offered", weekday="Mon", hour="09").value == 1
    assert value(r, "calls_offered", weekday="Wed", hour="23").value == 1
    groups = [v.result.group for v in r.verdicts if v.result.kpi == "calls_offered" and v.result.group]
    assert groups[0] == {"weekday": "Mon", "hour": "09"}  # weekdays in week order, hours in clock order


def test_weeks_start_monday_unless_week_start_says_otherwise(tmp_path):
    # 2026-11-02 is a Monday; 2026-11-04 a Wednesday: one ISO week starting 11-02
    r = calls_report(tmp_path, every="week")
    assert value(r, "calls_offered", "2026-11-02").value == 6
    path = write_csv(tmp_path, CALLS, "calls.csv")
    sunday = run(RunOptions(files=[str(path)], kpis=["calls_offered"], every="week",
                            overrides={"week_start": "sunday"}))
    assert value(sunday, "calls_offered", "2026-11-01").value == 6  # the week from Sunday 11-01


def test_months_are_labelled_by_their_first_day():
    periods = make_periods("month", datetime.fromisoformat("2026-01-31T12:00:00+00:00"),
                           datetime.fromisoformat("2026-03-01T00:00:00+00:00"), "UTC")
    assert periods.labels == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert [(e - s).days for s, e in zip(periods.starts, periods.ends)] == [31, 28, 31]


TICKETS = """\
ticket_id,created_at,resolved_at,team
T1,2026-11-01T10:00:00Z,2026-11-03T10:00:00Z,a
T2,2026-11-02T10:00:00Z,,a
T3,2026-11-02T12:00:00Z,2026-11-02T13:00:00Z,b
T4,2026-11-03T09:00:00Z,,b
"""


def test_backlog_is_a_snapshot_at_each_period_end(tmp_path):
    path = write_csv(tmp_path, TICKETS, "tickets.csv")
    r = run(RunOptions(files=[str(path)], kpis=["backlog"], every="day", by=["team"]))
    # end of 11-01: T1 open → 1. End of 11-02: T1, T2 open (T3 resolved 13:00) → 2.
    # End of 11-03: T1 resolved 11-03 10:00 → T2, T4 → 2.
    assert [value(r, "backlog", d).value for d in ("2026-11-01", "2026-11-02", "2026-11-03")] == [1, 2, 2]
    # team a at the end of 11-03: T2 → 1; team b at the end of 11-02: T3 resolved → 0
    assert value(r, "backlog", "2026-11-03", team="a").value == 1
    assert value(r, "backlog", "2026-11-02", team="b").value == 0
    assert value(r, "backlog").value == 2  # overall with no window end: never resolved (T2, T4)


def test_compare_previous_period_and_change(tmp_path):
    r = calls_report(tmp_path, every="day", compare="previous")
    a = value(r, "abandonment_rate", "2026-11-04")
    # 11-04: 0 / 3; the day before (11-03) has no calls → previous no-data, no change
    assert a.value == 0 and a.compare.value is None and a.compare.change is None
    b = value(r, "abandonment_rate", "2026-11-03")
    assert b.compare.period == "2026-11-02" and b.compare.value == pytest.approx(1 / 3)
    first = value(r, "calls_offered", "2026-11-02")
    # the day before lies wholly before the first call of an open window: no-data, not 0 calls (hdkpi.engine.coverage)
    assert first.compare.period == "2026-11-01" and first.compare.value is None and first.compare.change is None


def test_compare_previous_window_of_the_same_length(tmp_path):
    r = calls_report(tmp_path, start="2026-11-04", end="2026-11-05", compare="previous")
    asa = value(r, "asa")
    # window 11-04: 20, 40, 5 → 21.67 s; the day before (11-03) has no calls → no previous value
    assert asa.value == pytest.approx(65 / 3) and asa.compare.value is None
    r = calls_report(tmp_path, start="2026-11-03", end="2026-11-05", compare="previous")
    abandon = value(r, "abandonment_rate")
    # 11-03..11-04: 0 / 3; previous two days 11-01..11-02: 1 / 3 → change −1/3 (−33.3 points), better
    assert abandon.value == 0 and abandon.compare.value == pytest.approx(1 / 3)
    assert abandon.compare.change == pytest.approx(-1 / 3) and abandon.compare.better("lower") is True


def test_last_is_relative_to_now(tmp_path):
    r = calls_report(tmp_path, last="2d", now="2026-11-05T00:00:00Z")
    # [11-03 00:00, 11-05 00:00): calls 4, 5, 6
    assert value(r, "calls_offered").value == 3
    assert r.period_from.isoformat() == "2026-11-03T00:00:00+00:00"
    month = calls_report(tmp_path, last="1m", now="2026-12-01T00:00:00Z")
    assert month.period_from.isoformat() == "2026-11-01T00:00:00+00:00"  # 1m is a calendar month here


@pytest.mark.parametrize(("options", "fragment"), [
    ({"last": "2d", "start": "2026-11-01"}, "cannot be combined"),
    ({"last": "soon"}, "write a count and a unit"),
    ({"by": ["nonsense"]}, "--by nonsense"),
    ({"every": "fortnight"}, "--every"),
])
def test_bad_slicing_options(tmp_path, options, fragment):
    with pytest.raises(UsageError, match=None) as info:
        calls_report(tmp_path, **options)
    assert fragment in str(info.value)


def test_segment_targets_and_min_volume(tmp_path):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    targets = write_csv(tmp_path, """\
targets:
  asa: {by: queue, billing: "<= 15s", default: "<= 30s"}
  abandonment_rate: {fail: "< 50%", min_volume: 3}
""", "targets.yaml")
    r = run(RunOptions(files=[str(path)], targets_path=str(targets), kpis=["asa", "abandonment_rate"],
                       by=["queue"], command="check"))
    status = {(v.result.kpi, v.result.group.get("queue", "all")): v.status for v in r.verdicts}
    # asa: billing 20 s > 15 s → fail; tech 12.5 s ≤ 30 s (default) → pass; overall: not judged by segments
    assert status[("asa", "billing")] == "fail" and status[("asa", "tech")] == "pass"
    assert status[("asa", "all")] is None
    # abandonment: overall 1/6 (n 6) pass; billing n=2 < 3 → no-data; tech 1/3 (n 3) pass
    assert status[("abandonment_rate", "all")] == "pass"
    assert status[("abandonment_rate", "billing")] == "no-data"
    assert "n=2 < min_volume 3" in value(r, "abandonment_rate", queue="billing").notes
    assert r.failed  # a group's fail-level miss fails the check


def test_segment_target_breaks_its_kpi_down_without_by(tmp_path):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    targets = write_csv(tmp_path, 'targets:\n  asa: {by: queue, billing: "<= 15s", default: "<= 30s"}\n',
                        "targets.yaml")
    r = run(RunOptions(files=[str(path)], targets_path=str(targets), kpis=["asa"]))
    assert value(r, "asa", queue="billing").value == pytest.approx(20.0)
    assert [v.status for v in r.verdicts if v.result.group.get("queue") == "billing"] == ["fail"]


def test_surveys_take_the_dimensions_of_their_ticket(tmp_path):
    tickets = write_csv(tmp_path, """\
ticket_id,created_at,resolved_at,priority,agent
T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,P1,ann
T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,P2,bob
T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,P2,bob
""", "tickets.csv")
    surveys = write_csv(tmp_path, """\
survey_id,responded_at,ticket_id,agent,csat
S1,2026-11-03T08:00:00Z,T1,,5
S2,2026-11-03T08:00:00Z,T2,,2
S3,2026-11-03T08:00:00Z,T3,carl,4
S4,2026-11-03T08:00:00Z,,,5
""", "surveys.csv")
    r = run(RunOptions(files=[str(tickets), str(surveys)], kpis=["csat"], by=["priority"]))
    # P1: S1 (5) → 1/1; P2: S2 (2), S3 (4) → 1/2; S4 names no ticket → the empty group: 1/1
    assert value(r, "csat", priority="P1").value == 1.0
    assert (value(r, "csat", priority="P2").numerator, value(r, "csat", priority="P2").denominator) == (1, 2)
    assert value(r, "csat", priority=None).value == 1.0
    by_agent = run(RunOptions(files=[str(tickets), str(surveys)], kpis=["csat"], by=["agent"]))
    # S1 takes ann from T1, S2 takes bob from T2, S3 keeps its own agent carl
    assert value(by_agent, "csat", agent="ann").n == 1
    assert value(by_agent, "csat", agent="bob").n == 1
    assert value(by_agent, "csat", agent="carl").n == 1


def test_overlapping_exports_keep_each_record_once_from_the_later_file(tmp_path):
    first = write_csv(tmp_path, """\
ticket_id,created_at,resolved_at
T1,2026-11-02T08:00:00Z,
T2,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z
""", "part1.csv")
    second = write_csv(tmp_path, """\
ticket_id,created_at,resolved_at
T1,2026-11-02T08:00:00Z,2026-11-03T08:00:00Z
T3,2026-11-03T09:00:00Z,
""", "part2.csv")
    r = run(RunOptions(files=[str(first), str(second)], kpis=["ticket_volume", "tickets_resolved"]))
    # T1 is in both: the later export (resolved 11-03) wins → tickets T1, T2, T3; resolved T1, T2
    assert value(r, "ticket_volume").value == 3 and value(r, "tickets_resolved").value == 2
    one, two = r.inputs
    assert (one.read, one.used, one.rejected) == (2, 1, 1)
    assert one.rejected_by_reason == {"ticket_id: also in a later file": 1}
    assert (two.read, two.used, two.rejected) == (2, 2, 0)


def test_hour_and_weekday_of_missing_times_are_missing():
    """Open tickets have no resolved_at: their hour and weekday are missing, not an error.
    2026-03-02 is a Monday; 09:15 UTC → hour 09, 23:59 → 23."""
    import pandas as pd

    from hdkpi.engine.slicing import time_dimension

    times = pd.Series(pd.to_datetime(["2026-03-02T09:15:00Z", None, "2026-03-03T23:59:00Z"], utc=True))
    hour = time_dimension(times, "hour", "UTC")
    assert list(hour.astype("object").where(hour.notna(), None)) == ["09", None, "23"]
    assert list(hour.cat.categories) == [f"{h:02d}" for h in range(24)]
    weekday = time_dimension(times, "weekday", "UTC")
    assert list(weekday.astype("object").where(weekday.notna(), None)) == ["Mon", None, "Tue"]


def test_tickets_by_hour_with_open_tickets(tmp_path):
    """tickets_resolved by the hour of resolution: two resolved (09 and 14), one still open: no hour, a
    group of its own as any missing dimension value, with 0 resolved."""
    from click.testing import CliRunner

    from hdkpi.cli import cli

    data = tmp_path / "t.csv"
    data.write_text("ticket_id,created_at,resolved_at\n"
                    "A,2026-03-02T08:00:00Z,2026-03-02T09:30:00Z\n"
                    "B,2026-03-02T08:10:00Z,\n"
                    "C,2026-03-02T10:00:00Z,2026-03-02T14:05:00Z\n")
    result = CliRunner().invoke(cli, ["report", str(data), "--kpi", "tickets_resolved", "--by", "hour", "-f", "json"])
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(result.stdout)
    by_hour = {r["group"]["hour"]: r["value"] for r in doc["results"] if r.get("group")}
    assert by_hour == {"09": 1, "14": 1, None: 0}
