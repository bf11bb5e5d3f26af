"""A kind is broken down by the --by dimensions it has, not by those it lacks, and --every always applies.

Calls carry a queue and no priority; tickets a priority and no queue. Under ``--by queue --every day`` the
ticket KPIs are per day (and overall), with the note "not broken down by queue" — never collapsed to one
overall figure. Every expected figure below is worked out by hand from the rows written here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES, write_csv

CALLS = """\
call_id,offered_at,answered_at,ended_at,wait_seconds,outcome,queue
C1,2026-11-02T09:00:00Z,2026-11-02T09:00:10Z,2026-11-02T09:05:00Z,10,answered,a
C2,2026-11-02T10:00:00Z,,,30,abandoned,b
C3,2026-11-03T09:00:00Z,2026-11-03T09:00:20Z,2026-11-03T09:04:00Z,20,answered,a
"""

TICKETS = """\
ticket_id,created_at,resolved_at,priority
T1,2026-11-02T08:00:00Z,2026-11-02T12:00:00Z,P1
T2,2026-11-02T09:00:00Z,2026-11-03T09:00:00Z,P2
T3,2026-11-03T10:00:00Z,,P1
"""


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    return [str(write_csv(tmp_path, CALLS, "calls.csv")), str(write_csv(tmp_path, TICKETS, "tickets.csv"))]


def _records(report, kpi: str) -> dict[tuple, object]:
    """(sorted group items, period) → result, for one KPI."""
    return {(tuple(sorted(v.result.group.items())), v.result.period): v.result
            for v in report.verdicts if v.result.kpi == kpi}


def _values(records: dict[tuple, object]) -> dict[tuple, float | None]:
    return {key: r.value for key, r in records.items()}


def test_tickets_without_queue_are_per_day_under_by_queue(files: list[str]) -> None:
    report = run(RunOptions(files=files, kpis=["ticket_volume", "calls_offered"], by=["queue"], every="day"))
    tickets = _records(report, "ticket_volume")
    # created per day: 11-02 T1, T2 → 2; 11-03 T3 → 1; overall 3; no group records (tickets have no queue)
    assert _values(tickets) == {((), None): 3.0, ((), "2026-11-02"): 2.0, ((), "2026-11-03"): 1.0}
    overall = tickets[((), None)]
    assert "not broken down by queue: the tickets have no field queue" in overall.notes
    calls = _values(_records(report, "calls_offered"))
    # offered: a = C1, C3; b = C2; by day 11-02 C1, C2; 11-03 C3; b on 11-03 had none → 0
    assert calls == {
        ((), None): 3.0, ((("queue", "a"),), None): 2.0, ((("queue", "b"),), None): 1.0,
        ((), "2026-11-02"): 2.0, ((), "2026-11-03"): 1.0,
        ((("queue", "a"),), "2026-11-02"): 1.0, ((("queue", "a"),), "2026-11-03"): 1.0,
        ((("queue", "b"),), "2026-11-02"): 1.0, ((("queue", "b"),), "2026-11-03"): 0.0,
    }


def test_two_dimensions_of_which_each_kind_has_one(files: list[str]) -> None:
    report = run(RunOptions(files=files, kpis=["ticket_volume", "calls_offered"], by=["queue", "priority"],
                            every="day"))
    tickets = _records(report, "ticket_volume")
    # by priority: P1 = T1, T3 → 2; P2 = T2 → 1; P1 × 11-02 = T1, P1 × 11-03 = T3, P2 × 11-02 = T2, P2 × 11-03 none
    assert _values(tickets) == {
        ((), None): 3.0, ((("priority", "P1"),), None): 2.0, ((("priority", "P2"),), None): 1.0,
        ((), "2026-11-02"): 2.0, ((), "2026-11-03"): 1.0,
        ((("priority", "P1"),), "2026-11-02"): 1.0, ((("priority", "P1"),), "2026-11-03"): 1.0,
        ((("priority", "P2"),), "2026-11-02"): 1.0, ((("priority", "P2"),), "2026-11-03"): 0.0,
    }
    assert "not broken down by queue: the tickets have no field queue" in tickets[((), None)].notes
    calls = _records(report, "calls_offered")
    assert "not broken down by priority: the calls have no field priority" in calls[((), None)].notes
    assert calls[((("queue", "a"),), "2026-11-03")].value == 1.0


def test_a_snapshot_is_per_period_though_it_has_no_hour(files: list[str]) -> None:
    report = run(RunOptions(files=files, kpis=["backlog"], by=["hour"], every="day"))
    backlog = _records(report, "backlog")
    assert any("not broken down by hour" in note for note in backlog[((), None)].notes)
    # open at the end of 11-02 (midnight 11-03): T2 (resolved 11-03 09:00) → 1; at the end of 11-03: T3 → 1
    assert _values(backlog)[((), "2026-11-02")] == 1.0
    assert _values(backlog)[((), "2026-11-03")] == 1.0


def test_per_segment_targets_judge_the_kind_without_the_by_dimension(files: list[str], tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text('version: 1\ntargets:\n  "resolved_within(12h)": {by: priority, P1: ">= 90%", '
                       'default: ">= 50%"}\n', encoding="utf-8")
    report = run(RunOptions(files=files, targets_path=str(targets), kpis=["resolved_within(12h)"], by=["queue"],
                            every="day", command="check"))
    within = _records(report, "resolved_within(12h)")
    # resolved: T1 (P1) in 4 h → within; T2 (P2) in 24 h → not. Per priority: P1 1/1, P2 0/1
    assert within[((("priority", "P1"),), None)].value == 1.0
    assert within[((("priority", "P2"),), None)].value == 0.0
    # and per day (by resolved_at): 11-02 T1 → 1/1, 11-03 T2 → 0/1
    assert within[((), "2026-11-02")].value == 1.0
    assert within[((), "2026-11-03")].value == 0.0
    status = {(tuple(sorted(v.result.group.items())), v.result.period): v.status for v in report.verdicts
              if v.result.kpi == "resolved_within(12h)"}
    assert status[((("priority", "P1"),), None)] == "pass"
    assert status[((("priority", "P2"),), None)] == "fail"


def test_compare_previous_on_the_periods_of_the_kind_without_the_dimension(files: list[str]) -> None:
    report = run(RunOptions(files=files, kpis=["ticket_volume"], by=["queue"], every="day", compare="previous"))
    day2 = _records(report, "ticket_volume")[((), "2026-11-03")]
    # 11-03: 1 created, 11-02: 2 → change −1
    assert day2.compare is not None and day2.compare.value == 2.0 and day2.compare.change == -1.0


def test_history_records_the_periods_of_the_kind_without_the_dimension(files: list[str], tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    done = CliRunner().invoke(cli, ["report", *files, "--kpi", "ticket_volume", "--by", "queue", "--every", "day",
                                    "--history", str(db), "-f", "json"])
    assert done.exit_code == 0, done.output
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT group_by, period_start, value FROM records WHERE kpi = 'ticket_volume' "
                           "AND every = 'day' ORDER BY period_start").fetchall()
    assert [(g, p[:10], v) for g, p, v in rows] == [("[]", "2026-11-02", 2.0), ("[]", "2026-11-03", 1.0)]


def test_html_trends_draw_the_kind_without_the_dimension(files: list[str], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = CliRunner().invoke(cli, ["report", *files, "--kpi", "ticket_volume", "--by", "queue", "--every", "day",
                                     "-f", "html", "-o", str(out)])
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    assert "ticket_volume" in page and "2026-11-03" in page


def test_examples_ticket_volume_per_day_is_the_same_with_by_queue() -> None:
    """The issue's check: ticket_volume per day under --by queue --every day equals --every day alone."""
    paths = [str(EXAMPLES / "calls.csv"), str(EXAMPLES / "tickets.csv")]

    def per_day(*by: str) -> dict[str, tuple]:
        runner = CliRunner()
        args = ["report", *paths, "--kpi", "ticket_volume", "--every", "day", "-f", "json"]
        for dim in by:
            args += ["--by", dim]
        done = runner.invoke(cli, args)
        assert done.exit_code == 0, done.output
        records = json.loads(done.stdout)["results"]
        return {r["period"]: (r["value"], r["n"]) for r in records if r["period"] is not None and not r["group"]}

    alone = per_day()
    assert len(alone) >= 28 and sum(v for v, _ in alone.values()) > 1900
    assert per_day("queue") == alone
