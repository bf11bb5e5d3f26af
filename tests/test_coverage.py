"""Partial periods are marked, periods outside a kind's data are no-data (issue 16, hdkpi.engine.coverage).

Hand-worked fixture, --every week (weeks from Monday, UTC):

calls   c1 Mon 11-02 10:00 … c4 Wed 11-11 16:00 (ended 16:05) → the calls' data covers the days
        11-02 … 11-11, i.e. [11-02 00:00, 11-12 00:00).
tickets t1 created Mon 11-02 08:00 … t3 created Fri 11-20, resolved Wed 11-25 10:00 → the tickets'
        data covers [11-02, 11-26).
periods span every input: weeks 11-02, 11-09, 11-16, 11-23.

calls:   11-02 whole (its first day is the data's first day: 10:00 is inside a covered day),
         11-09 partial (the data ends on Wednesday 11-11, inside the week),
         11-16 and 11-23 wholly after the last call → no-data "no calls in the input after 2026-11-11".
tickets: 11-02 … 11-16 whole; 11-23 partial (ends Wednesday 11-25). ticket_volume of 11-23 is 0
         (no ticket created) — a count inside the tickets' data, since t3 was resolved then — and
         tickets_resolved of 11-23 is 1 (t3).
"""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from hdkpi.model import Report
from hdkpi.render import Format, get_formatter
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES, write_csv

CALLS = """\
call_id,offered_at,answered_at,ended_at,wait_seconds,outcome,queue
c1,2026-11-02T10:00:00Z,2026-11-02T10:00:10Z,2026-11-02T10:05:00Z,10,answered,a
c2,2026-11-04T09:00:00Z,2026-11-04T09:00:30Z,2026-11-04T09:06:00Z,30,answered,b
c3,2026-11-09T11:00:00Z,,2026-11-09T11:01:00Z,60,abandoned,a
c4,2026-11-11T16:00:00Z,2026-11-11T16:00:20Z,2026-11-11T16:05:00Z,20,answered,b
"""
TICKETS = """\
ticket_id,created_at,resolved_at,team
t1,2026-11-02T08:00:00Z,2026-11-03T08:00:00Z,x
t2,2026-11-10T09:00:00Z,2026-11-12T09:00:00Z,y
t3,2026-11-20T12:00:00Z,2026-11-25T10:00:00Z,x
"""
KPIS = ["calls_offered", "asa", "ticket_volume", "tickets_resolved"]
AFTER = "no calls in the input after 2026-11-11"


def _run(tmp_path, calls: str = CALLS, tickets: str | None = TICKETS, **options) -> Report:
    files = [str(write_csv(tmp_path, calls, "calls.csv"))]
    if tickets is not None:
        files.append(str(write_csv(tmp_path, tickets, "tickets.csv")))
    options.setdefault("kpis", KPIS)
    return run(RunOptions(files=files, every="week", **options))


def _at(report: Report, kpi: str, period: str | None, **group: str):
    return next(v.result for v in report.verdicts
                if v.result.kpi == kpi and v.result.period == period and v.result.group == group)


def test_periods_after_the_calls_are_no_data_and_the_last_covered_week_is_partial(tmp_path):
    r = _run(tmp_path)
    weeks = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    offered = [_at(r, "calls_offered", w) for w in weeks]
    # 11-02: c1, c2 → 2, whole; 11-09: c3, c4 → 2, partial; 11-16, 11-23: after the last call
    assert [x.value for x in offered] == [2, 2, None, None]
    assert [x.partial for x in offered] == [False, True, False, False]
    for x in offered[2:]:
        assert (x.n, x.numerator, x.denominator, x.notes) == (0, None, None, [AFTER])
    asa = _at(r, "asa", "2026-11-23")
    assert asa.value is None and asa.notes == [AFTER]
    # the overall figure is untouched: 4 calls, asa (10 + 30 + 20) / 3 = 20 s
    assert _at(r, "calls_offered", None).value == 4 and _at(r, "asa", None).value == pytest.approx(20)
    # tickets: the week of 11-23 is inside their data (t3 resolved 11-25): 0 created, 1 resolved, partial
    volume, resolved = _at(r, "ticket_volume", "2026-11-23"), _at(r, "tickets_resolved", "2026-11-23")
    assert (volume.value, volume.partial) == (0, True) and (resolved.value, resolved.partial) == (1, True)
    assert _at(r, "ticket_volume", "2026-11-16").value == 1 and not _at(r, "ticket_volume", "2026-11-16").partial


def test_groups_of_a_period_outside_the_data_are_no_data_too(tmp_path):
    r = _run(tmp_path, by=["queue"])
    for queue in ("a", "b"):
        x = _at(r, "calls_offered", "2026-11-16", queue=queue)
        assert x.value is None and x.n == 0 and x.notes == [AFTER]
    # queue b in 11-09: c4 → 1, partial like its period; queue a in 11-02: c1 → 1, whole
    b = _at(r, "calls_offered", "2026-11-09", queue="b")
    assert (b.value, b.partial) == (1, True)
    assert not _at(r, "calls_offered", "2026-11-02", queue="a").partial


def test_a_week_inside_the_data_without_calls_stays_0_and_a_mid_week_start_is_partial(tmp_path):
    calls = """\
    call_id,offered_at,wait_seconds,outcome
    c1,2026-11-04T09:00:00Z,10,answered
    c2,2026-11-18T09:00:00Z,20,answered
    """
    r = _run(tmp_path, calls=calls, tickets=None, kpis=["calls_offered", "asa"])
    # data: Wed 11-04 … Wed 11-18 → weeks 11-02 (partial: starts Wednesday), 11-09 (no calls, inside: 0),
    # 11-16 (partial: ends Wednesday)
    offered = [_at(r, "calls_offered", w) for w in ("2026-11-02", "2026-11-09", "2026-11-16")]
    assert [(x.value, x.partial) for x in offered] == [(1, True), (0, False), (1, True)]
    middle = _at(r, "asa", "2026-11-09")
    assert middle.value is None and middle.notes and not any("in the input" in n for n in middle.notes)


def test_a_bounded_window_side_is_the_datas_claim(tmp_path):
    # --from/--to both given: the user says the data covers [11-02, 11-30): no week is outside, the
    # calls' empty weeks count 0, and no week is cut (11-23 ends exactly at --to)
    r = _run(tmp_path, start="2026-11-02", end="2026-11-30")
    offered = [_at(r, "calls_offered", w) for w in ("2026-11-09", "2026-11-16", "2026-11-23")]
    assert [(x.value, x.partial) for x in offered] == [(2, False), (0, False), (0, False)]
    # --from on a Wednesday, the end open: the window cuts the first week (partial); the end side is
    # the data's, so the weeks after the last call are still no-data
    r = _run(tmp_path, start="2026-11-04")
    first = _at(r, "calls_offered", "2026-11-02")
    assert (first.value, first.partial) == (1, True)  # c2 only: c1 is before --from
    assert _at(r, "calls_offered", "2026-11-16").value is None
    assert _at(r, "calls_offered", "2026-11-16").notes == [AFTER]


def test_periods_before_a_kinds_first_record_are_no_data(tmp_path):
    tickets = """\
    ticket_id,created_at,resolved_at
    t0,2026-10-20T08:00:00Z,2026-10-21T08:00:00Z
    t1,2026-11-02T08:00:00Z,2026-11-03T08:00:00Z
    """
    r = _run(tmp_path, tickets=tickets)
    # periods start with the tickets' week of 10-19; the first call is 11-02 10:00
    for week in ("2026-10-19", "2026-10-26"):
        x = _at(r, "calls_offered", week)
        assert x.value is None and x.notes == ["no calls in the input before 2026-11-02"]
    assert _at(r, "calls_offered", "2026-11-02").value == 2
    # the tickets have no record between 10-21 and 11-02: their week of 10-26 is inside their data, 0
    assert _at(r, "ticket_volume", "2026-10-26").value == 0


def test_compare_previous_on_partial_and_outside_periods(tmp_path):
    r = _run(tmp_path, compare="previous")
    # 11-09 (partial, 2 calls) against 11-02 (2 calls): change 0
    c = _at(r, "calls_offered", "2026-11-09").compare
    assert (c.period, c.value, c.change) == ("2026-11-02", 2, 0)
    # 11-16 is outside: its own value is none, so no change; 11-23's previous (11-16) is no-data, not 0
    assert _at(r, "calls_offered", "2026-11-16").compare.change is None
    c = _at(r, "calls_offered", "2026-11-23").compare
    assert c.value is None and c.change is None
    # the week before the first (10-26) lies before every record of the open window: no-data, not 0
    c = _at(r, "calls_offered", "2026-11-02").compare
    assert (c.period, c.value, c.n, c.change) == ("2026-10-26", None, 0, None)
    # with --from the user claims the data from 11-02: the week before it is outside that claim too
    c = _at(_run(tmp_path, start="2026-11-02", compare="previous"), "calls_offered", "2026-11-02").compare
    assert c.value is None


def test_outside_periods_never_fail_a_target_even_under_strict(tmp_path):
    write_csv(tmp_path, 'targets:\n  asa: "<= 15s"\n', "targets.yaml")
    r = _run(tmp_path, command="check", strict=True, targets_path=str(tmp_path / "targets.yaml"))
    statuses = {v.result.period: v.status for v in r.verdicts if v.result.kpi == "asa"}
    # 11-02: (10 + 30) / 2 = 20 s → fail; 11-09: c4 20 s → fail; 11-16, 11-23: no-data
    assert statuses == {None: "fail", "2026-11-02": "fail", "2026-11-09": "fail", "2026-11-16": "no-data",
                        "2026-11-23": "no-data"}
    # with passing levels, only the outside no-data periods remain: --strict does not fail on them
    write_csv(tmp_path, 'targets:\n  asa: "<= 60s"\n', "targets.yaml")
    r = _run(tmp_path, command="check", strict=True, targets_path=str(tmp_path / "targets.yaml"))
    assert r.summary == {"pass": 3, "warn": 0, "fail": 0, "no_data": 2} and not r.failed
    # an ordinary no-data (a week inside the data without answered calls) still fails under --strict
    inside = next(v for v in r.verdicts if v.result.period == "2026-11-16" and v.result.kpi == "asa")
    inside.result.notes = ["no answered calls with a wait"]
    assert r.failed


def _validate(doc: dict) -> None:
    schema = json.loads(resources.files("hdkpi").joinpath("schemas/report-v1.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)


def test_the_marks_in_json_table_csv_markdown_and_html(tmp_path):
    r = _run(tmp_path, kpis=["calls_offered"])
    doc = json.loads(get_formatter(Format.JSON).render(r))
    _validate(doc)
    by_period = {x["period"]: x for x in doc["results"]}
    assert by_period["2026-11-09"]["partial"] is True
    assert "partial" not in by_period["2026-11-02"] and "partial" not in by_period[None]
    assert by_period["2026-11-16"]["value"] is None and by_period["2026-11-16"]["status"] == "no-data"
    assert by_period["2026-11-16"]["notes"] == [AFTER]
    plain = get_formatter(Format.TABLE).render(r)
    assert "2026-11-09 (partial)" in plain and AFTER in plain and "2026-11-02 (partial)" not in plain
    assert "2026-11-09 (partial)" in get_formatter(Format.TABLE, color=True).render(r)  # the rich table
    csv_lines = get_formatter(Format.CSV).render(r).splitlines()
    assert csv_lines[0].endswith(",notes,partial")
    assert [line.rsplit(",", 1)[1] for line in csv_lines[1:]] == ["", "", "true", "", ""]
    assert "| 2026-11-09 (partial) |" in get_formatter(Format.MARKDOWN).render(r)
    html = get_formatter(Format.HTML).render(r)
    assert 'class="line s0 partial"' in html and 'class="mark partial' in html
    assert "2026-11-09 (partial)" in html


def test_trend_lines_do_not_draw_a_partial_period_as_a_collapse():
    from hdkpi.render.table import sparkline

    # a partial last week of 3 calls between whole weeks of 100 and 120: not the bottom of the scale
    assert sparkline([100, 120, 3], [False, False, True]) == "▁█◌"
    assert sparkline([100, 120, None], [False, False, False]) == "▁█ "


def test_history_does_not_store_outside_periods(tmp_path):
    from hdkpi.history.records import run_of

    r = _run(tmp_path, kpis=["calls_offered"])
    stored = {(x["kpi"], x["period"]) for x in run_of(r).records}
    # weeks 11-02 and 11-09 (partial, stored as it is: a later run with more data replaces it); 11-16 and
    # 11-23 are outside the calls' data: not stored, so they never replace a figure an earlier run stored
    assert ("calls_offered", "2026-11-09") in stored and ("calls_offered", "2026-11-02") in stored
    assert ("calls_offered", "2026-11-16") not in stored and ("calls_offered", "2026-11-23") not in stored


def test_the_examples_weeks():
    files = [str(EXAMPLES / f"{k}.csv") for k in ("calls", "tickets", "surveys")]
    r = run(RunOptions(files=files, every="week", kpis=["calls_offered", "ticket_volume", "csat"]))
    # calls 10-26 08:04 … 11-21 13:09 (Saturday): 10-26 whole, 11-16 partial (no Sunday), 11-23 no-data;
    # tickets … 11-23 08:53 (a first response): 11-23 partial, 0 created; surveys … Sunday 11-22: whole
    assert [(_at(r, "calls_offered", w).value is None, _at(r, "calls_offered", w).partial)
            for w in ("2026-10-26", "2026-11-16", "2026-11-23")] == [(False, False), (False, True), (True, False)]
    assert _at(r, "calls_offered", "2026-11-23").notes == ["no calls in the input after 2026-11-21"]
    volume = _at(r, "ticket_volume", "2026-11-23")
    assert (volume.value, volume.partial) == (0, True)
    assert not _at(r, "csat", "2026-11-16").partial
    assert _at(r, "csat", "2026-11-23").notes == ["no surveys in the input after 2026-11-22"]


def test_dask_engine_marks_the_same_periods(tmp_path):
    pytest.importorskip("dask.dataframe", reason="the dask engine needs Dask")
    from hdkpi.run import dask as engine_dask

    files = [str(write_csv(tmp_path, CALLS, "calls.csv")), str(write_csv(tmp_path, TICKETS, "tickets.csv"))]
    made = lambda: RunOptions(files=list(files), every="week", by=["queue"], kpis=KPIS)  # noqa: E731
    want = run(made())
    got = engine_dask.run(made(), client="synchronous", blocksize=150)  # a block or two per row
    fields = ("kpi", "group", "period", "value", "n", "numerator", "denominator", "notes", "partial")
    assert [tuple(getattr(v.result, f) for f in fields) for v in got.verdicts] == \
        [tuple(getattr(v.result, f) for f in fields) for v in want.verdicts]
    assert any(v.result.partial for v in got.verdicts) and any(v.result.notes == [AFTER] for v in got.verdicts)
