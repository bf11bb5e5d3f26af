"""The servicenow preset: the real incident event log (figures pinned and recomputed independently),
detection, a hand-made event log and a hand-made incident-list export."""

from __future__ import annotations

import csv
import gzip
import json
import statistics
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.ingest.load import peek
from hdkpi.ingest.presets import detect_preset
from hdkpi.ingest.presets.servicenow import PRESET
from hdkpi.model import Report
from hdkpi.run.pipeline import RunOptions, read_with_preset, run

from .conftest import EXAMPLES, write_csv

REAL = EXAMPLES / "real" / "servicenow_incident_event_log_part1.csv.gz"
KPIS = ["ticket_volume", "tickets_resolved", "backlog", "resolution_time", "resolution_time_median",
        "reopen_rate", "sla_compliance", "resolved_within(2d)"]


def overall(report: Report) -> dict[str, object]:
    """KPI name → its overall result (no group, no period)."""
    return {v.result.kpi: v.result for v in report.verdicts if not v.result.group and v.result.period is None}


# -- 1. the real file ------------------------------------------------------------------------------------

def _day_first(text: str) -> datetime | None:
    """``5/3/2016 12:00`` → 5 March 2016 12:00; ``?`` → None. Written here, not hdkpi's parser."""
    if text == "?":
        return None
    day, clock = text.split(" ")
    d, m, y = (int(part) for part in day.split("/"))
    hh, mm = (int(part) for part in clock.split(":"))
    return datetime(y, m, d, hh, mm)


def independent_figures() -> dict[str, float]:
    """The headline figures by plain Python over the raw lines: latest event per number (greatest
    sys_updated_at, then sys_mod_count, then the later line), then KPI_SPEC §6 over those incidents."""
    with gzip.open(REAL, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        col = {name: i for i, name in enumerate(next(reader))}
        latest: dict[str, tuple[tuple[datetime, int], list[str]]] = {}
        events = 0
        for line in reader:
            events += 1
            key = (_day_first(line[col["sys_updated_at"]]), int(line[col["sys_mod_count"]]))
            number = line[col["number"]]
            if number not in latest or key >= latest[number][0]:
                latest[number] = (key, line)
    durations, reopened, sla_known, sla_made, within, refused = [], 0, 0, 0, 0, 0
    for _, line in latest.values():
        opened = _day_first(line[col["opened_at"]])
        resolved = _day_first(line[col["resolved_at"]])
        closed = _day_first(line[col["closed_at"]])
        # KPI_SPEC §6: an event before the record's start rejects the ticket
        if (resolved is not None and resolved < opened) or (closed is not None and closed < opened):
            refused += 1
            continue
        if resolved is None:  # resolved means resolved_at is set; closed alone does not resolve
            continue
        seconds = (resolved - opened).total_seconds()
        durations.append(seconds)
        reopened += int(line[col["reopen_count"]]) > 0
        if line[col["made_sla"]] in ("true", "false"):
            sla_known += 1
            sla_made += line[col["made_sla"]] == "true"
        within += seconds <= 2 * 86400
    return {
        "events": events, "incidents": len(latest), "refused": refused,
        "ticket_volume": len(latest) - refused, "tickets_resolved": len(durations),
        "backlog": len(latest) - refused - len(durations),
        "resolution_time": sum(durations) / len(durations), "resolution_time_median": statistics.median(durations),
        "reopen_rate": reopened / len(durations), "sla_compliance": sla_made / sla_known,
        "resolved_within(2d)": within / len(durations),
    }


@pytest.fixture(scope="module")
def real_report() -> tuple[Report, float]:
    started = time.perf_counter()
    report = run(RunOptions(files=[str(REAL)], kpis=KPIS))
    return report, time.perf_counter() - started


def test_real_event_log_pinned_and_independent(real_report: tuple[Report, float]) -> None:
    report, _ = real_report
    got = overall(report)
    expected = independent_figures()
    # pinned (and recomputed above without hdkpi's loader)
    assert expected["events"] == 77_011
    assert expected["incidents"] == 12_459
    assert expected["refused"] == 0  # no incident resolved or closed before it was opened
    assert expected["tickets_resolved"] == 11_505  # 954 incidents were closed without resolved_at
    assert expected["backlog"] == 954
    assert expected["resolution_time"] == pytest.approx(800_102.5710560626, abs=1e-6)  # 9 d 06 h 15 min
    assert expected["resolution_time_median"] == 176_400.0  # 2 d 01 h
    assert expected["reopen_rate"] == pytest.approx(157 / 11_505)  # 1.36 %
    assert expected["sla_compliance"] == pytest.approx(5_438 / 11_505)  # 47.27 %
    assert expected["resolved_within(2d)"] == pytest.approx(5_671 / 11_505)  # 49.29 %
    for kpi in ("ticket_volume", "tickets_resolved", "backlog"):
        assert got[kpi].value == expected[kpi], kpi
    for kpi in ("resolution_time", "resolution_time_median", "reopen_rate", "sla_compliance",
                "resolved_within(2d)"):
        assert got[kpi].value == pytest.approx(expected[kpi], abs=1e-9), kpi
    assert got["reopen_rate"].numerator == 157
    assert got["sla_compliance"].numerator == 5_438 and got["sla_compliance"].denominator == 11_505
    assert got["resolved_within(2d)"].numerator == 5_671


def test_real_event_log_accounting(real_report: tuple[Report, float]) -> None:
    report, seconds = real_report
    summary = report.inputs[0]
    assert summary.preset == "servicenow" and summary.kind == "tickets"
    assert summary.read == 77_011
    assert summary.used == 12_459
    assert summary.rejected == 0 and summary.rejected_by_reason == {}
    assert summary.folded == 77_011 - 12_459
    assert summary.read == summary.used + summary.rejected + summary.folded
    assert summary.counts == {"incidents": 12_459, "events": 77_011, "closed_without_resolved_at": 954}
    assert seconds < 30  # about 3 s on a laptop


def test_real_event_log_detected_and_by_priority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = peek(str(REAL)).splitlines()[0].split(",")
    preset, score = detect_preset(header, peek(str(REAL)))
    assert preset is not None and preset.name == "servicenow" and score >= 5
    preset, _ = read_with_preset(str(REAL), None)
    assert preset.name == "servicenow"
    monkeypatch.chdir(tmp_path)  # no ./targets.yaml here
    runner = CliRunner()
    result = runner.invoke(cli, ["report", str(REAL), "--by", "priority"])
    assert result.exit_code == 0, result.output
    for level in ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low"):
        assert level in result.output
    result = runner.invoke(cli, ["report", str(REAL), "--by", "priority", "--kpi", "ticket_volume", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    groups = {r["group"]["priority"]: r["value"] for r in doc["results"] if r["group"]}
    assert groups == {"1 - Critical": 114, "2 - High": 171, "3 - Moderate": 11_726, "4 - Low": 448}


# -- 3. a hand-made event log ---------------------------------------------------------------------------

EVENT_HEADER = ",".join([
    "number", "incident_state", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla", "caller_id",
    "opened_at", "sys_updated_at", "priority", "assignment_group", "assigned_to", "resolved_at", "closed_at",
])
EVENT_LOG = EVENT_HEADER + """
INC0000006,Awaiting User Info,0,0,2,true,Caller 6,10/4/2016 09:00,11/4/2016 09:00,4 - Low,G2,R2,?,?
INC0000001,New,0,0,0,true,Caller 1,13/2/2016 08:00,13/2/2016 08:05,3 - Moderate,G1,?,14/2/2016 08:00,?
INC0000001,Active,1,0,1,true,Caller 1,13/2/2016 08:00,13/2/2016 09:00,3 - Moderate,G1,R1,14/2/2016 08:00,?
INC0000001,Resolved,1,0,3,true,Caller 1,13/2/2016 08:00,14/2/2016 08:00,2 - High,G1,R1,14/2/2016 08:00,?
INC0000001,Resolved,1,0,2,true,Caller 1,13/2/2016 08:00,14/2/2016 08:00,3 - Moderate,G1,R1,14/2/2016 08:00,?
INC0000002,New,0,0,0,true,Caller 2,5/3/2016 12:00,5/3/2016 12:00,3 - Moderate,G1,?,7/3/2016 12:00,12/3/2016 13:00
INC0000002,Resolved,0,0,1,false,Caller 2,5/3/2016 12:00,7/3/2016 12:00,3 - Moderate,G1,R1,7/3/2016 12:00,12/3/2016 13:00
INC0000002,Closed,0,0,2,false,Caller 2,5/3/2016 12:00,12/3/2016 13:00,3 - Moderate,G1,R1,7/3/2016 12:00,12/3/2016 13:00
INC0000003,New,0,0,0,true,Caller 3,1/4/2016 10:00,1/4/2016 10:00,3 - Moderate,G2,?,2/4/2016 10:00,?
INC0000003,Resolved,0,0,1,true,Caller 3,1/4/2016 10:00,2/4/2016 10:00,3 - Moderate,G2,R2,2/4/2016 10:00,?
INC0000003,Active,0,1,2,true,Caller 3,1/4/2016 10:00,3/4/2016 09:00,3 - Moderate,G2,R2,?,?
INC0000003,Resolved,0,1,3,true,Caller 3,1/4/2016 10:00,4/4/2016 10:00,3 - Moderate,G2,R2,4/4/2016 10:00,?
INC0000003,Closed,0,1,4,true,Caller 3,1/4/2016 10:00,9/4/2016 11:00,3 - Moderate,G2,R2,4/4/2016 10:00,9/4/2016 11:00
INC0000004,New,0,0,0,true,Caller 4,20/3/2016 08:00,20/3/2016 08:00,3 - Moderate,G1,?,?,25/3/2016 08:00
INC0000004,Closed,0,0,1,true,Caller 4,20/3/2016 08:00,25/3/2016 08:00,3 - Moderate,G1,R1,?,25/3/2016 08:00
INC0000005,New,0,0,0,?,?,29/2/2016 23:30,29/2/2016 23:35,1 - Critical,?,?,1/3/2016 00:30,?
INC0000005,Resolved,0,0,1,?,?,29/2/2016 23:30,1/3/2016 00:30,1 - Critical,?,?,1/3/2016 00:30,?
INC0000006,New,0,0,0,true,Caller 6,10/4/2016 09:00,10/4/2016 09:00,4 - Low,G2,?,?,?
INC0000006,Active,0,0,1,true,Caller 6,10/4/2016 09:00,10/4/2016 10:00,4 - Low,G2,R2,?,?
?,Active,0,0,1,true,Caller 9,10/4/2016 09:00,10/4/2016 10:00,4 - Low,G2,R2,?,?
"""
# 20 events, 6 incidents, 1 event without a number (rejected by the preset) → folded 20 − 6 − 1 = 13.
# INC1 (opened 13 Feb, day > 12): its two latest events share sys_updated_at 14/2/2016 08:00; sys_mod_count 3
#   (written first, priority 2 - High) beats 2 (3 - Moderate). Resolved after 24 h = 86,400 s; made_sla true.
# INC2 (5 March, day ≤ 12 both places): resolved 7 March 12:00 = exactly 48 h = 172,800 s (within 2d,
#   inclusive); the latest event has made_sla false → SLA breached. Read month-first it would be May–July.
# INC3: resolved 2 April, reopened (reopen_count 1), resolved again 4 April 10:00 → 72 h = 259,200 s from the
#   latest event (the earlier events carry resolved_at 2 April); made_sla true.
# INC4: Closed with resolved_at ? → not resolved (KPI_SPEC §6): in volume and backlog, no resolution KPI.
# INC5: caller, group, agent and made_sla all ?; opened 29 Feb 23:30, resolved 1 Mar 00:30 → 3,600 s;
#   no SLA information → not in sla_compliance.
# INC6: still open (Awaiting User Info); its latest event is the first line of the file.
# Resolved: INC1, 2, 3, 5 → 4. Mean (86,400 + 172,800 + 259,200 + 3,600) / 4 = 130,500 s; median of
# 3,600 86,400 172,800 259,200 = 129,600 s. Within 2d: INC1, 2, 5 → 3/4. Reopen rate 1/4 (INC3).
# SLA compliance: made_sla known on INC1 (true), 2 (false), 3 (true) → 2/3. Backlog: INC4, INC6 → 2.


def test_hand_made_event_log(tmp_path: Path) -> None:
    path = write_csv(tmp_path, EVENT_LOG, "incident_events.csv")
    preset, raw = read_with_preset(str(path), None)
    assert preset.name == "servicenow"
    converted = preset.convert(raw, "UTC")
    assert converted.read == 20 and converted.folded == 13
    assert converted.rejected.to_dict() == {20: "number: empty (event of no incident)"}
    assert converted.counts == {"incidents": 6, "events": 20, "closed_without_resolved_at": 1}
    tickets = converted.table.frame.set_index("ticket_id")
    assert tickets.loc["INC0000001", "priority"] == "2 - High"  # tie broken by sys_mod_count, not line order
    assert tickets.loc["INC0000001", "created_at"] == "2016-02-13T08:00:00"
    assert tickets.loc["INC0000002", "created_at"] == "2016-03-05T12:00:00"  # day first
    assert tickets.loc["INC0000002", "sla_breached"] == "true"
    assert tickets.loc["INC0000003", "resolved_at"] == "2016-04-04T10:00:00"
    assert tickets.loc["INC0000003", "reopens"] == "1"
    assert tickets.loc["INC0000004", "status"] == "Closed" and pd.isna(tickets.loc["INC0000004", "resolved_at"])
    assert tickets.loc["INC0000005", ["requester", "team", "agent", "sla_breached"]].isna().all()
    assert tickets.loc["INC0000006", "status"] == "Awaiting User Info"

    report = run(RunOptions(files=[str(path)], kpis=KPIS))
    got = overall(report)
    assert got["ticket_volume"].value == 6
    assert got["tickets_resolved"].value == 4
    assert got["backlog"].value == 2
    assert got["resolution_time"].value == pytest.approx(130_500.0)
    assert got["resolution_time_median"].value == pytest.approx(129_600.0)
    assert got["resolved_within(2d)"].value == pytest.approx(3 / 4)
    assert got["reopen_rate"].value == pytest.approx(1 / 4)
    assert got["sla_compliance"].value == pytest.approx(2 / 3)
    summary = report.inputs[0]
    assert (summary.read, summary.used, summary.rejected, summary.folded) == (20, 6, 1, 13)
    assert summary.rejected_by_reason == {"number: empty (event of no incident)": 1}
    assert summary.examples_by_reason == {"number: empty (event of no incident)": [20]}


def test_unorderable_events_rejected(tmp_path: Path) -> None:
    text = EVENT_LOG.splitlines()
    text[2] = text[2].replace("13/2/2016 08:05", "?")  # INC1's New event: no sys_updated_at
    text[3] = text[3].replace(",1,0,1,true,", ",1,0,x,true,")  # INC1's Active event: sys_mod_count not a number
    path = write_csv(tmp_path, "\n".join(text) + "\n", "incident_events.csv")
    converted = PRESET.convert(PRESET.read(str(path)), "UTC")
    assert converted.rejected.to_dict() == {
        2: "sys_updated_at: empty or not a date (event cannot be ordered)",
        3: "sys_mod_count: empty or not a number (event cannot be ordered)",
        20: "number: empty (event of no incident)",
    }
    assert converted.counts["incidents"] == 6 and converted.folded == 20 - 6 - 3


# -- 4. a hand-made incident-list export ---------------------------------------------------------------

LIST_HEADER = (
    "number", "opened_at", "short_description", "caller_id", "priority", "state", "category", "assignment_group",
    "assigned_to", "contact_type", "reopen_count", "reassignment_count", "made_sla", "resolved_at", "closed_at",
    "sys_updated_on",
)
LIST_ROWS = [
    ("INC0010001", "2026-03-02 08:00:00", "Mail down", "Abel Tuter", "2 - High", "Closed", "Software", "Service Desk",
     "Beth Anglin", "Phone", "0", "0", "true", "2026-03-02 12:00:00", "2026-03-05 12:00:00", "2026-03-05 12:00:00"),
    ("INC0010002", "2026-03-02 09:00:00", "VPN", "Bud Richman", "3 - Moderate", "Resolved", "Network", "Network",
     "Fred Luddy", "Email", "1", "2", "false", "2026-03-04 09:00:00", "", "2026-03-04 09:00:00"),
    ("INC0010003", "2026-03-03 10:00:00", "Printer", "Abel Tuter", "4 - Low", "Closed", "Hardware", "Hardware",
     "Don Goodliffe", "Self-service", "0", "1", "true", "2026-03-06 10:00:00", "2026-03-09 10:00:00",
     "2026-03-09 10:00:00"),
    ("INC0010004", "2026-03-03 11:00:00", "Laptop slow", "Carol Coughlin", "3 - Moderate", "In Progress", "Hardware",
     "Hardware", "", "Phone", "0", "0", "true", "", "", "2026-03-03 11:30:00"),
    ("INC0010005", "2026-03-04 08:30:00", "Outage", "Bud Richman", "1 - Critical", "Resolved", "Network", "Network",
     "Fred Luddy", "Phone", "0", "0", "", "2026-03-04 09:00:00", "", "2026-03-04 09:00:00"),
    ("INC0010006", "2026-03-04 13:00:00", "Duplicate", "Carol Coughlin", "3 - Moderate", "Canceled", "Inquiry / Help",
     "Service Desk", "", "Email", "0", "0", "true", "", "2026-03-06 13:00:00", "2026-03-06 13:00:00"),
    ("INC0010007", "2026-03-05 08:00:00", "Clock skew", "Abel Tuter", "3 - Moderate", "Resolved", "Software",
     "Service Desk", "Beth Anglin", "Phone", "0", "0", "true", "2026-03-05 07:00:00", "", "2026-03-05 07:00:00"),
    ("INC0010008", "2026-03-05 09:00:00", "Password", "David Loo", "3 - Moderate", "Resolved", "Inquiry / Help",
     "Service Desk", "Beth Anglin", "Phone", "2", "0", "true", "2026-03-06 09:00:00", "", "2026-03-06 09:00:00"),
    ("INC0010003", "2026-03-07 10:00:00", "Printer again", "Abel Tuter", "4 - Low", "New", "Hardware", "Hardware", "",
     "Phone", "0", "0", "true", "", "", "2026-03-07 10:00:00"),
    ("INC0010010", "2026-03-06 08:00:00", "Access", "David Loo", "3 - Moderate", "On Hold", "Software", "Service Desk",
     "Beth Anglin", "Phone", "0", "0", "true", "", "", "2026-03-06 08:00:00"),
]
# ServiceNow's CSV list export: every value quoted, field names as headers, display values, empty = none,
# dates in the default yyyy-MM-dd HH:mm:ss. No sys_mod_count → a list, one row per incident.
# Row 7 (INC0010007) is resolved before it was opened → rejected by normalise; row 9 repeats INC0010003 →
# rejected as a duplicate (the first is kept). 10 read, 8 used, 2 rejected, 0 folded.
# Resolved: 0001 4 h = 14,400 s; 0002 48 h = 172,800 s; 0003 72 h = 259,200 s; 0005 30 min = 1,800 s;
# 0008 24 h = 86,400 s → 5. Mean 534,600 / 5 = 106,920 s; median 86,400 s. Within 2d: 0001, 0002 (exactly
# 48 h), 0005, 0008 → 4/5. Reopen rate: 0002, 0008 → 2/5. SLA: made_sla known on 0001 (true), 0002 (false),
# 0003 (true), 0008 (true) → 3/4. Not resolved: 0004, 0006 (Canceled, closed_at set, no resolved_at), 0010
# → backlog 3; closed without resolved_at: 0006 → 1.


def test_hand_made_incident_list(tmp_path: Path) -> None:
    path = tmp_path / "incident.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:  # as ServiceNow writes it: every value quoted
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(LIST_HEADER)
        writer.writerows(LIST_ROWS)
    preset, raw = read_with_preset(str(path), None)
    assert preset.name == "servicenow"
    converted = preset.convert(raw, "UTC")
    assert converted.read == 10 and converted.folded == 0 and converted.rejected is None
    assert converted.counts == {"incidents": 10, "closed_without_resolved_at": 1}
    assert converted.rules["status"] == "'state'"
    frame = converted.table.frame
    assert frame.loc[2, "sla_breached"] == "true" and pd.isna(frame.loc[5, "sla_breached"])
    assert frame.loc[1, "channel"] == "Phone" and frame.loc[1, "team"] == "Service Desk"
    assert "short_description" in frame.columns  # other columns kept as dimensions

    report = run(RunOptions(files=[str(path)], kpis=KPIS))
    got = overall(report)
    assert got["ticket_volume"].value == 8
    assert got["tickets_resolved"].value == 5
    assert got["backlog"].value == 3
    assert got["resolution_time"].value == pytest.approx(106_920.0)
    assert got["resolution_time_median"].value == pytest.approx(86_400.0)
    assert got["resolved_within(2d)"].value == pytest.approx(4 / 5)
    assert got["reopen_rate"].value == pytest.approx(2 / 5)
    assert got["sla_compliance"].value == pytest.approx(3 / 4)
    summary = report.inputs[0]
    assert (summary.read, summary.used, summary.rejected, summary.folded) == (10, 8, 2, 0)
    assert summary.rejected_by_reason == {"resolved_at: before created_at": 1, "ticket_id: duplicate": 1}


def test_detection_scores() -> None:
    event_log = ["number", "incident_state", "sys_mod_count", "sys_updated_at", "opened_at", "priority"]
    assert PRESET.score(event_log, "") == 6
    assert PRESET.score(['"number"', '"opened_at"', '"priority"', '"state"'], "") == 4  # quoted CSV header
    assert PRESET.score(["Number", "Opened", "Priority", "State", "Assignment group"], "") == 5  # Excel labels
    assert PRESET.score(["number", "opened_at"], "") == 0  # too little evidence
    assert PRESET.score(["number", "opened_at", "priority", "sys_mod_count"], "") == 0  # neither layout
    assert PRESET.score(["ticket_id", "created_at", "resolved_at"], "") == 0
    assert PRESET.score(["Id", "Created at", "Solved at", "Requester"], "") == 0
