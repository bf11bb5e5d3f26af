"""The events preset: a process-mining event log, one ticket per case."""

from __future__ import annotations

import pytest

from hdkpi.run.pipeline import RunOptions, run

from .conftest import write_csv

LOG = """\
case:concept:name,concept:name,time:timestamp,org:resource
C1,Open,2026-11-02T08:00:00,ann
C1,Assign,2026-11-02T09:00:00,bob
C1,Resolved,2026-11-02T12:00:00,bob
C1,Reopen,2026-11-03T08:00:00,bob
C1,Closed,2026-11-04T08:00:00,bob
C2,Open,2026-11-02T10:00:00,ann
C2,Assign,2026-11-02T11:00:00,cat
,Open,2026-11-02T10:00:00,ann
C3,Open,notadate,ann
C3,Done,2026-11-05T10:00:00,dan
C3,Open,2026-11-05T09:00:00,ann
"""


def test_cases_become_tickets(tmp_path):
    path = write_csv(tmp_path, LOG, "log.csv")
    r = run(RunOptions(files=[str(path)], kpis=["ticket_volume", "tickets_resolved", "resolution_time",
                                                 "reopen_rate", "backlog"], by=["org:resource"]))
    assert r.inputs[0].preset == "events"  # detected from the XES column names
    by = {(v.result.kpi, tuple(v.result.group.items())): v.result for v in r.verdicts}
    # C1, C2, C3 (the event without a case and the unreadable time are refused)
    assert by[("ticket_volume", ())].value == 3
    # C1 resolved first at 12:00 (opened 08:00) → 4 h; C3's events sorted by time: opened 09:00, Done 10:00
    # → 1 h; C2 never reaches a resolved state → (4 + 1) / 2 = 2.5 h
    assert by[("tickets_resolved", ())].value == 2
    assert by[("resolution_time", ())].value == pytest.approx(2.5 * 3600)
    # C1 went from Resolved back to Reopen → 1 of 2 resolved cases
    assert (by[("reopen_rate", ())].numerator, by[("reopen_rate", ())].denominator) == (1, 2)
    assert by[("backlog", ())].value == 1  # C2
    # attributes come from the case's last event: C1's last resource is bob, C3's (Done at 10:00) dan
    assert by[("tickets_resolved", (("org:resource", "bob"),))].value == 1
    s = r.inputs[0]
    # 11 events = 3 tickets + 2 refused + 6 folded
    assert (s.read, s.used, s.rejected, s.folded) == (11, 3, 2, 6)
    assert s.rejected_by_reason == {"case:concept:name: empty (an event without a case)": 1,
                                    "time:timestamp: not a date": 1}


def test_other_column_names_are_recognised(tmp_path):
    path = write_csv(tmp_path, "case_id,activity,timestamp\nA,new,2026-11-02 08:00\nA,solved,2026-11-02 10:00\n",
                     "log.csv")
    r = run(RunOptions(files=[str(path)], kpis=["resolution_time"]))
    assert r.inputs[0].preset == "events" and r.verdicts[0].result.value == 7200
