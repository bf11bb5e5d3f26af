"""Telephony records cut by the export: every known fact used, every unknown one left out and counted.

A call that was answered and had not ended when the export was cut (the nightly queue_log, a contact-record
export, a CDR) was offered and answered with a known wait: it counts in offered, answered, asa, service
level and abandonment. Only its handle time (and, unless recorded, a transfer) is unknown: aht and
transfer_rate leave it out, and the accounting says so. A call still waiting in a queue has no known
outcome: it is refused and counted. Every expected figure is worked by hand in the comments.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.ingest.combine import account_preset
from hdkpi.ingest.normalise import normalise
from hdkpi.ingest.presets import asterisk, connect
from hdkpi.run.pipeline import RunOptions, run

from .conftest import kpi_result, load_csv


def overall(report) -> dict[str, object]:
    """KPI name → the overall Result (no group, no period)."""
    return {v.result.kpi: v.result for v in report.verdicts if not v.result.group and v.result.period is None}


def balanced(summary) -> None:
    assert summary.read == summary.used + sum(summary.rejected_by_reason.values()) + summary.folded


def dataset_of(preset, path):
    raw = preset.read(str(path))
    conv = preset.convert(raw, "UTC")
    dataset = normalise(conv.table, kind=preset.kind, tz="UTC")
    account_preset(dataset, preset, conv)
    return dataset


# -- Asterisk queue_log -----------------------------------------------------------------------------------

# 1772442000 = 2026-03-02 09:00:00 UTC
QUEUE_LOG = """\
    1772442000|1.1|q|NONE|ENTERQUEUE||+15550100001|1
    1772442010|1.1|q|Ann|CONNECT|10|1.2|3
    1772442130|1.1|q|Ann|COMPLETECALLER|10|120|1
    1772442100|2.1|q|NONE|ENTERQUEUE||+15550100002|1
    1772442140|2.1|q|NONE|ABANDON|1|1|40
    1772442200|3.1|q|NONE|ENTERQUEUE||+15550100003|1
    1772442215|3.1|q|Bob|CONNECT|15|3.2|2
    1772442300|4.1|q|NONE|ENTERQUEUE||+15550100004|1
    """


@pytest.fixture
def queue_log(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(textwrap.dedent(QUEUE_LOG))
    return path


def test_queue_log_call_connected_at_the_end_counts_except_its_handle_time(queue_log):
    # 1.1 answered, wait 10, talk 120; 2.1 abandoned after 40 s; 3.1 CONNECTed (holdtime 15), no end yet;
    # 4.1 ENTERQUEUE only: outcome unknown → refused
    report = run(RunOptions(files=[str(queue_log)]))
    got = overall(report)
    assert got["calls_offered"].value == 3  # 1.1, 2.1, 3.1
    assert got["calls_answered"].value == 2  # 1.1, 3.1
    assert got["calls_abandoned"].value == 1
    assert (got["asa"].value, got["asa"].n) == (12.5, 2)  # (10 + 15) / 2
    # waits ≤ 20 s: 1.1 (10), 3.1 (15) → 2 of 3 offered
    assert (got["service_level"].numerator, got["service_level"].denominator) == (2, 3)
    assert got["abandonment_rate"].value == pytest.approx(1 / 3)  # 1 / 3
    assert (got["aht"].value, got["aht"].n) == (120, 1)  # 1.1 only: 3.1's handle time is unknown, not 0 s
    assert (got["avg_talk_time"].value, got["avg_talk_time"].n) == (120, 1)
    # transferred? 1.1 no; 3.1 not known yet → 0 / 1
    assert (got["transfer_rate"].numerator, got["transfer_rate"].denominator) == (0, 1)
    assert (got["avg_wait_time"].value, got["avg_wait_time"].n) == (pytest.approx(65 / 3), 3)  # (10+40+15)/3
    summary = report.inputs[0]
    # 8 lines = 3 calls + 1 refused (4.1) + 4 folded (1.1: 2 more lines, 2.1: 1, 3.1: 1)
    assert (summary.read, summary.used, summary.folded) == (8, 3, 4)
    assert summary.rejected_by_reason == {asterisk.REASON_IN_QUEUE: 1}
    assert summary.examples_by_reason[asterisk.REASON_IN_QUEUE] == [8]
    assert summary.caveats == {"in progress at the end of the log: handle time unknown": 1}
    assert summary.counts["in_queue_at_end"] == 1
    balanced(summary)


def test_queue_log_in_progress_call_is_in_the_report_accounting(queue_log):
    result = CliRunner().invoke(cli, ["report", str(queue_log), "--kpi", "aht"])
    assert result.exit_code == 0, result.output
    assert "used with a caveat: in progress at the end of the log: handle time unknown (1)" in result.stdout
    doc = json.loads(CliRunner().invoke(cli, ["report", str(queue_log), "--kpi", "aht", "-f", "json"]).stdout)
    assert doc["inputs"][0]["caveats"] == {"in progress at the end of the log: handle time unknown": 1}


def test_inspect_says_what_is_unknown(queue_log):
    result = CliRunner().invoke(cli, ["inspect", str(queue_log)])
    assert result.exit_code == 0, result.output
    assert "used with a caveat: in progress at the end of the log: handle time unknown (1)" in result.stdout
    assert "1 × " + asterisk.REASON_IN_QUEUE in result.stdout
    assert "aht" in result.stdout.split("KPIs it gives")[1].splitlines()[0]
    (doc,) = json.loads(CliRunner().invoke(cli, ["inspect", str(queue_log), "-f", "json"]).stdout)
    assert doc["caveats"] == {asterisk.CAVEAT_IN_PROGRESS: 1}
    assert doc["rows"] == {"read": 8, "used": 3, "rejected": 1, "folded": 4}
    assert any("handle time unknown" in note for note in doc["preset"]["notes"])


def test_queue_log_contradictions_stay_refused_and_a_completion_without_connect_is_answered(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(textwrap.dedent("""\
        1772442000|5.1|q|NONE|ENTERQUEUE||+15550100005|1
        1772442020|5.1|q|Ann|CONNECT|20|5.2|1
        1772442030|5.1|q|NONE|ABANDON|1|1|30
        1772442100|6.1|q|NONE|ENTERQUEUE||+15550100006|1
        1772442250|6.1|q|Cy|COMPLETEAGENT|8|142|1
        """))
    dataset = dataset_of(asterisk.PRESET, path)
    # 5.1: CONNECT and ABANDON both logged — answered or abandoned is not known: refused, as before
    assert dataset.summary.rejected_by_reason == {asterisk.REASON_BOTH: 1}
    # 6.1: COMPLETEAGENT is logged only after a connection: answered, wait = its holdtime 8 s, talk 142 s,
    # agent from the COMPLETEAGENT line; the CONNECT time itself is not known
    call = dataset.frame.set_index("call_id").loc["6.1:q"]
    assert (call["outcome"], call["wait_seconds"], call["talk_seconds"], call["agent"]) == (
        "answered", 8, 142, "Cy")
    assert pd_isna(call["answered_at"])
    assert dataset.summary.caveats == {}
    balanced(dataset.summary)


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


# -- Amazon Connect contact records -----------------------------------------------------------------------

def _contact(cid, enq, duration=None, connected=None, talk=None, hold=None, acw=None, disconnected=None,
             reason=None, agent=None, method="INBOUND", previous=None, initial=None):
    queue = {"EnqueueTimestamp": f"2026-03-02T{enq}Z", "Name": "Support"}
    if duration is not None:
        queue["Duration"] = duration
    agent_part = None
    if connected is not None:
        agent_part = {"ConnectedToAgentTimestamp": f"2026-03-02T{connected}Z", "Username": agent,
                      "AgentInteractionDuration": talk, "CustomerHoldDuration": hold, "AfterContactWorkDuration": acw}
    return {"ContactId": cid, "InitiationMethod": method, "Channel": "VOICE",
            "InitiationTimestamp": f"2026-03-02T{enq}Z", "LastUpdateTimestamp": "2026-03-02T12:00:00Z",
            "Queue": queue, "Agent": agent_part, "PreviousContactId": previous, "InitialContactId": initial,
            "DisconnectTimestamp": f"2026-03-02T{disconnected}Z" if disconnected else None,
            "DisconnectReason": reason}


CONTACTS = [
    # a: answered after 10 s, handled 100 + 20 + 30 = 150 s, ended
    _contact("a", "09:00:00", 10, "09:00:10", 100, 20, 30, "09:02:10", "CUSTOMER_DISCONNECT", "ann"),
    # b: answered after 25 s, no DisconnectTimestamp: in progress, handle time unknown
    _contact("b", "09:05:00", 25, "09:05:25", agent="bob"),
    # c: queued, no agent, no DisconnectTimestamp, no later contact: still waiting → outcome unknown, refused
    _contact("c", "09:06:00"),
    # d: abandoned after 40 s
    _contact("d", "09:07:00", 40, disconnected="09:07:40", reason="CUSTOMER_DISCONNECT"),
    # e → f: answered after 5 s (talk 50), transferred by the agent to the queue again; f answered after
    # 15 s and not ended yet. The chain is transferred (recorded), its handle time unknown.
    _contact("e", "09:10:00", 5, "09:10:05", 50, 0, 0, "09:11:00", "AGENT_DISCONNECT", "ann"),
    _contact("f", "09:11:05", 15, "09:11:20", agent="cy", method="TRANSFER", previous="e", initial="e"),
]


@pytest.fixture
def ctr(tmp_path):
    path = tmp_path / "ctr.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CONTACTS))
    return path


def test_connect_contact_in_progress_is_used_with_its_handle_time_left_out(ctr):
    report = run(RunOptions(files=[str(ctr)]))
    summary = report.inputs[0]
    assert summary.preset == "connect"
    got = overall(report)
    # calls (chains): a, b, d, e→f; c refused
    assert got["calls_offered"].value == 4
    assert got["calls_answered"].value == 3  # a, b, e→f
    assert got["calls_abandoned"].value == 1  # d
    assert got["asa"].value == pytest.approx(55 / 3)  # a 10, b 25, e→f 5 + 15 = 20 → 55 / 3
    # within 20 s: a (10), e→f (20, inclusive) → 2 / 4
    assert (got["service_level"].numerator, got["service_level"].denominator) == (2, 4)
    assert got["abandonment_rate"].value == pytest.approx(1 / 4)
    assert (got["aht"].value, got["aht"].n) == (150, 1)  # a only; b and e→f are still going
    # a not transferred, e→f transferred (recorded); b's transfer not known yet → 1 / 2
    assert (got["transfer_rate"].numerator, got["transfer_rate"].denominator) == (1, 2)
    # 6 records = 4 calls + 1 refused (c) + 1 folded (f, the chain's second contact)
    assert (summary.read, summary.used, summary.folded) == (6, 4, 1)
    assert summary.rejected_by_reason == {connect.IN_QUEUE: 1}
    assert summary.caveats == {connect.CAVEAT_IN_PROGRESS: 2}
    assert summary.counts["in_queue_when_exported"] == 1
    balanced(summary)
    calls = dataset_of(connect.PRESET, ctr).frame.set_index("call_id")
    assert calls.loc["b", ["ended_at", "talk_seconds", "hold_seconds", "acw_seconds", "transferred"]].isna().all()
    assert bool(calls.loc["e", "transferred"]) is True and pd_isna(calls.loc["e", "ended_at"])


def test_connect_queue_level_in_progress_segment(ctr):
    report = run(RunOptions(files=[str(ctr)], preset="connect-queues"))
    got = overall(report)
    summary = report.inputs[0]
    # segments: a, b, d, e, f (c refused)
    assert got["calls_offered"].value == 5
    assert got["calls_answered"].value == 4  # a, b, e, f
    assert got["asa"].value == pytest.approx(55 / 4)  # 10 + 25 + 5 + 15
    assert (got["service_level"].numerator, got["service_level"].denominator) == (3, 5)  # a 10, e 5, f 15
    assert (got["aht"].value, got["aht"].n) == (100, 2)  # a 150, e 50 + 0 + 0 → 200 / 2; b, f unknown
    assert (got["transfer_rate"].numerator, got["transfer_rate"].denominator) == (1, 2)  # e of a, e
    assert (summary.read, summary.used, summary.folded) == (6, 5, 0)
    assert summary.rejected_by_reason == {connect.IN_QUEUE: 1}
    assert summary.caveats == {connect.CAVEAT_IN_PROGRESS: 2}
    balanced(summary)


# -- Asterisk CDR Master.csv ------------------------------------------------------------------------------

CDR = """\
"","+15550100001","600","from-pstn","","PJSIP/trunk-01","PJSIP/101-02","Dial","PJSIP/101,30","2026-03-02 09:00:00","2026-03-02 09:00:12","2026-03-02 09:04:12",252,240,"ANSWERED","DOCUMENTATION","1.1",""
"","+15550100002","600","from-pstn","","PJSIP/trunk-03","PJSIP/102-04","Dial","PJSIP/102,30","2026-03-02 09:10:00","2026-03-02 09:10:05","",,,"ANSWERED","DOCUMENTATION","2.1",""
"","+15550100003","600","from-pstn","","PJSIP/trunk-05","PJSIP/101-06","Dial","PJSIP/101,30","2026-03-02 09:20:00","2026-03-02 09:20:30","2026-03-02 09:22:30",,,"ANSWERED","DOCUMENTATION","3.1",""
"","+15550100004","600","from-pstn","","PJSIP/trunk-07","PJSIP/102-08","Dial","PJSIP/102,30","2026-03-02 09:30:00","","2026-03-02 09:30:45",45,0,"NO ANSWER","DOCUMENTATION","4.1",""
"""


def test_cdr_answered_without_end_or_billsec(tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(CDR)
    report = run(RunOptions(files=[str(path)]))
    summary = report.inputs[0]
    assert summary.preset == "asterisk"
    got = overall(report)
    # 1: wait 252 − 240 = 12, talk 240. 2: answered 5 s after start, no end, no billsec: talk unknown.
    # 3: no duration/billsec, but start, answer and end: wait 30 (answer − start), talk 120 (end − answer).
    # 4: NO ANSWER after 45 s.
    assert got["calls_offered"].value == 4
    assert got["calls_answered"].value == 3
    assert got["calls_abandoned"].value == 1
    assert got["asa"].value == pytest.approx(47 / 3)  # (12 + 5 + 30) / 3
    assert (got["service_level"].numerator, got["service_level"].denominator) == (2, 4)  # 12 and 5 ≤ 20
    assert got["abandonment_rate"].value == pytest.approx(1 / 4)
    assert (got["aht"].value, got["aht"].n) == (180, 2)  # (240 + 120) / 2; row 2 left out
    assert (summary.read, summary.used) == (4, 4)
    assert summary.caveats == {asterisk.CAVEAT_CDR_UNENDED: 1}
    balanced(summary)
    calls = dataset_of(asterisk.PRESET, path).frame.set_index("call_id")
    assert (calls.loc["3.1", "wait_seconds"], calls.loc["3.1", "talk_seconds"]) == (30, 120)
    assert calls.loc["2.1", ["ended_at", "talk_seconds"]].isna().all()


def test_cdr_cell_that_is_not_a_number_still_refuses_its_row(tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(CDR.replace(",252,240,", ",252,abc,"))
    summary = run(RunOptions(files=[str(path)])).inputs[0]
    assert summary.used == 3
    assert [r for r in summary.rejected_by_reason if r.startswith("talk_seconds")]
    balanced(summary)


# -- the rule itself, on any calls file ---------------------------------------------------------------------

def test_a_plain_file_keeps_the_spec_reading_of_aht(tmp_path):
    """Without an in_progress field nothing says a call had not ended: KPI_SPEC §6 holds, an answered call
    with no talk/hold/acw counts with 0 s, whether or not it has an end."""
    frames = {"calls": load_csv(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds,ended_at,talk_seconds,hold_seconds,transferred
        1,2026-11-02T08:00:00Z,answered,10,2026-11-02T08:02:10Z,100,20,true
        2,2026-11-02T08:01:00Z,answered,20,,,,
        3,2026-11-02T08:02:00Z,answered,30,2026-11-02T08:02:30Z,,,false
        4,2026-11-02T08:03:00Z,answered,5,,60,,
        5,2026-11-02T08:04:00Z,abandoned,40,2026-11-02T08:04:40Z,,,
        """, kind="calls").frame}
    # aht = (120 + 0 + 0 + 60) / 4 = 45; transfer_rate = 1 / 4 (empty flags: not transferred)
    result = kpi_result(frames, "aht")
    assert (result.value, result.n) == (45, 4)
    share = kpi_result(frames, "transfer_rate")
    assert (share.numerator, share.denominator) == (1, 4)


def test_a_call_marked_in_progress_is_left_out_of_aht(tmp_path):
    frames = {"calls": load_csv(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds,ended_at,talk_seconds,hold_seconds,transferred,in_progress
        1,2026-11-02T08:00:00Z,answered,10,2026-11-02T08:02:10Z,100,20,true,
        2,2026-11-02T08:01:00Z,answered,20,,,,,true
        3,2026-11-02T08:02:00Z,answered,30,2026-11-02T08:02:30Z,,,false,false
        4,2026-11-02T08:03:00Z,answered,5,,60,,,
        5,2026-11-02T08:04:00Z,abandoned,40,2026-11-02T08:04:40Z,,,,
        """, kind="calls").frame}
    # 2: in progress when exported, handle time unknown: left out. 3: ended with no part → 0 s (§6).
    # 4: no end but not marked: its talk time counts (60 s). aht = (120 + 0 + 60) / 3 = 60
    result = kpi_result(frames, "aht")
    assert (result.value, result.n) == (60, 3)
    assert kpi_result(frames, "calls_answered").value == 4  # counts are not touched
    assert kpi_result(frames, "asa").value == pytest.approx(65 / 4)  # (10 + 20 + 30 + 5) / 4
    # transfer_rate: 2 (in progress, empty flag) left out; 4's empty flag is "not transferred" → 1 / 3
    share = kpi_result(frames, "transfer_rate")
    assert (share.numerator, share.denominator) == (1, 3)
    assert (kpi_result(frames, "avg_talk_time").value, kpi_result(frames, "avg_talk_time").n) == (80, 2)


def test_staffing_aht_leaves_out_calls_in_progress(tmp_path):
    from hdkpi.wfm.staffing import StaffingOptions, staffing_table

    calls = load_csv(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds,ended_at,talk_seconds,in_progress
        1,2026-11-02T08:00:00Z,answered,10,2026-11-02T08:05:10Z,300,
        2,2026-11-02T08:10:00Z,answered,20,,,true
        3,2026-11-02T08:20:00Z,abandoned,30,2026-11-02T08:20:30Z,,
        """, kind="calls").frame
    cells, facts = staffing_table(calls, StaffingOptions(per="date"))
    # one 08:00–08:30 interval: 3 calls offered, 2 answered; AHT over the one call with a known handle
    # time: 300 s (not (300 + 0) / 2 = 150 s)
    (cell,) = cells.to_dict("records")
    assert (cell["calls"], cell["answered"], cell["aht"]) == (3, 2, 300)
    assert facts["aht_overall"] == 300
