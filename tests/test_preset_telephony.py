"""Telephony presets on their samples: Amazon Connect contact records and the Asterisk queue_log.

The expected figures are worked by hand from the sample files (examples/vendors/README_telephony.md
lists every record and what it shows); each layout's traps are asserted one by one.
"""

from __future__ import annotations

import csv
import gzip
import json
import textwrap
from pathlib import Path

import pytest

from hdkpi.ingest.combine import account_preset
from hdkpi.ingest.normalise import normalise
from hdkpi.ingest.presets import asterisk, connect
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES, kpi_result

VENDORS = EXAMPLES / "vendors"
CTR = VENDORS / "connect_ctr.jsonl"
QUEUE_LOG = VENDORS / "asterisk_queue_log"


def cid(n: int) -> str:
    return f"5e1a0c00-0000-4000-8000-{n:012d}"


def figures(report) -> dict[str, float | None]:
    return {v.result.kpi: v.result.value for v in report.verdicts if not v.result.group and v.result.period is None}


def balanced(summary) -> None:
    rejected = sum(summary.rejected_by_reason.values())
    assert summary.read == summary.used + rejected + summary.folded
    assert summary.rejected == rejected


def converted(preset, path: Path):
    """Read, convert and normalise one file with a preset, as the pipeline does; (dataset, Converted)."""
    raw = preset.read(str(path))
    conv = preset.convert(raw, "UTC")
    dataset = normalise(conv.table, kind=preset.kind, tz="UTC")
    account_preset(dataset, preset, conv)
    return dataset, conv


# -- Amazon Connect ------------------------------------------------------------------------------------

# Contact level (the default): 16 chains reached a queue.
#   answered (12), wait = sum of the chain's queue durations / talk+hold+acw summed:
#     01: 12 / 240+0+30   02: 35 / 300+20+45   03: 8 (dequeue − enqueue) / 180+0+20
#     08: 25 / 200+10+40 (the latest version: ACW 40)    09→10: 20+40 / (120+0+0)+(200+15+25)
#     11→12: 90+25 / 150+0+10    13→14 (callback): 70+300 / 200+0+20    16: 5 / 60+0+10
#     17: 28 / 420+60+50   18: 3 / 90+0+15   20: 18 / 310+30+40   21(→22): 22 / 150+0+25
#   abandoned (3): 04 (50 s), 05 (15 s), 19 (95 s); other (1): 15, ended by the flow after 180 s
#   asa = 701 / 12; aht = 3085 / 12; answered within 20 s: 01, 03, 16, 18, 20 → 5 / 16
CONNECT_EXPECTED = {
    "calls_offered": 16,
    "calls_answered": 12,
    "calls_abandoned": 3,
    "asa": 701 / 12,
    "abandonment_rate": 3 / 16,
    "aht": 3085 / 12,
    "service_level": 5 / 16,
    "transfer_rate": 3 / 12,
    "avg_wait_time": (701 + 50 + 15 + 95 + 180) / 16,
}
NOT_QUEUED = connect.NOT_QUEUED


def test_connect_sample_is_detected_and_counted_per_contact():
    report = run(RunOptions(files=[str(CTR)]))
    summary = report.inputs[0]
    assert summary.preset == "connect"
    got = figures(report)
    for kpi, value in CONNECT_EXPECTED.items():
        assert got[kpi] == pytest.approx(value), kpi
    # read 25 lines = 16 calls + 2 never queued + 7 folded (3 older or repeated versions, 4 later chain contacts)
    assert (summary.read, summary.used, summary.folded) == (25, 16, 7)
    assert summary.rejected_by_reason == {NOT_QUEUED: 2}
    assert summary.examples_by_reason[NOT_QUEUED] == [6, 7]
    balanced(summary)
    assert summary.counts["duplicate_versions"] == 3
    assert summary.counts["never_queued"] == 2
    assert summary.counts["contact_chains"] == 16
    assert summary.counts["chains_with_several_queues"] == 3
    assert summary.counts["callbacks"] == 1


def test_connect_updated_contact_keeps_the_latest_version_once():
    """Contact 08 comes as v1 (no ACW yet), v2 (ACW 40 s, latest LastUpdateTimestamp) and v1 again."""
    dataset, _ = converted(connect.PRESET, CTR)
    calls = dataset.frame.set_index("call_id")
    assert list(dataset.frame["call_id"]).count(cid(8)) == 1
    assert calls.loc[cid(8), "acw_seconds"] == 40
    # contact 04 delivered twice unchanged: one call
    assert list(dataset.frame["call_id"]).count(cid(4)) == 1


def test_connect_transfer_chains_and_callbacks_count_once():
    dataset, _ = converted(connect.PRESET, CTR)
    calls = dataset.frame.set_index("call_id")
    # agent transfer Support → Billing: one call, first queue, first agent, waits and handling summed
    chain = calls.loc[cid(9)]
    assert (chain["queue"], chain["agent"], chain["outcome"]) == ("Support", "alice", "answered")
    assert (chain["wait_seconds"], chain["talk_seconds"], chain["hold_seconds"], chain["acw_seconds"]) == (
        60, 320, 15, 25)
    assert bool(chain["transferred"]) is True
    assert str(chain["offered_at"]) == "2026-03-02 09:30:00+00:00"
    # queue-to-queue transfer: unanswered in Support, answered in Billing → answered, wait 90 + 25
    chain = calls.loc[cid(11)]
    assert (chain["outcome"], chain["wait_seconds"], chain["queue"], chain["agent"]) == (
        "answered", 115, "Support", "erin")
    # callback: the caller is counted once, answered, waiting 70 s + 300 s; a callback is not a transfer
    chain = calls.loc[cid(13)]
    assert (chain["outcome"], chain["wait_seconds"], bool(chain["transferred"])) == ("answered", 370, False)
    # none of the later contacts of a chain is a call of its own
    assert not {cid(10), cid(12), cid(14), cid(22)} & set(calls.index)
    # flow disconnect (queue timeout to voicemail) is neither answered nor abandoned
    assert calls.loc[cid(15), "outcome"] == "other"


def test_connect_queue_level_counts_each_queue_segment():
    dataset, _ = converted(connect.QUEUES_PRESET, CTR)
    frames = {"calls": dataset.frame}
    # 19 queue segments: 13 answered, 3 abandoned, 3 other (11 → another queue, 13 → callback, 15 → voicemail)
    assert kpi_result(frames, "calls_offered").value == 19
    assert kpi_result(frames, "calls_answered").value == 13
    assert kpi_result(frames, "calls_abandoned").value == 3
    # waits of the answered segments: 12 35 8 25 20 40 25 300 5 28 3 18 22
    assert kpi_result(frames, "asa").value == pytest.approx(541 / 13)
    assert kpi_result(frames, "abandonment_rate").value == pytest.approx(3 / 19)
    assert kpi_result(frames, "aht").value == pytest.approx(3085 / 13)
    assert kpi_result(frames, "transfer_rate").value == pytest.approx(2 / 13)
    calls = dataset.frame.set_index("call_id")
    assert calls.loc[cid(11), "outcome"] == "other" and calls.loc[cid(13), "outcome"] == "other"
    assert (calls.loc[cid(9), "queue"], calls.loc[cid(10), "queue"]) == ("Support", "Billing")
    summary = dataset.summary
    # the external transfer 22 is now a record of its own, never queued
    assert (summary.read, summary.used, summary.folded) == (25, 19, 3)
    assert summary.rejected_by_reason == {NOT_QUEUED: 3}
    balanced(summary)
    assert connect.QUEUES_PRESET.score(["ContactId", "Queue.EnqueueTimestamp"], "") == 0


def _flatten(record: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif not isinstance(value, list):
            out[name] = "" if value is None else value
    return out


def test_connect_csv_flattening_gives_the_same_figures(tmp_path):
    rows = [_flatten(json.loads(line)) for line in CTR.read_text().splitlines()]
    columns = sorted({c for row in rows for c in row})
    path = tmp_path / "ctr.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    report = run(RunOptions(files=[str(path)]))
    assert report.inputs[0].preset == "connect"
    got = figures(report)
    for kpi, value in CONNECT_EXPECTED.items():
        assert got[kpi] == pytest.approx(value), kpi
    balanced(report.inputs[0])


def test_connect_firehose_concatenated_and_gzipped(tmp_path):
    """Firehose writes records back to back without newlines; the file may be gzipped."""
    path = tmp_path / "ctr.jsonl.gz"
    path.write_bytes(gzip.compress(CTR.read_bytes().replace(b"}\n{", b"}{")))
    report = run(RunOptions(files=[str(path)]))
    assert report.inputs[0].preset == "connect"
    assert figures(report)["calls_offered"] == 16
    assert figures(report)["asa"] == pytest.approx(701 / 12)


def test_connect_unreadable_field_is_refused_with_its_name(tmp_path):
    good = {"ContactId": "a", "InitiationTimestamp": "2026-03-02T09:00:00Z", "LastUpdateTimestamp":
            "2026-03-02T09:10:00Z", "Queue": {"EnqueueTimestamp": "2026-03-02T09:00:05Z", "Duration": 10,
                                              "Name": "Q"}, "Agent": None, "DisconnectReason": "CUSTOMER_DISCONNECT"}
    bad = {**good, "ContactId": "b", "Queue": {**good["Queue"], "EnqueueTimestamp": "soon"}}
    path = tmp_path / "ctr.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    report = run(RunOptions(files=[str(path)]))
    summary = report.inputs[0]
    assert summary.rejected_by_reason == {"Queue.EnqueueTimestamp: not a date": 1}
    assert figures(report)["calls_abandoned"] == 1
    balanced(summary)


def test_connect_json_with_inconsistent_types_is_still_read(tmp_path):
    """A custom attribute that is a number in one record and text in another (pyarrow refuses to type it)."""
    base = {"InitiationTimestamp": "2026-03-02T09:00:00Z", "LastUpdateTimestamp": "2026-03-02T09:10:00Z",
            "Queue": {"EnqueueTimestamp": "2026-03-02T09:00:05Z", "Duration": 10, "Name": "Q"},
            "Agent": {"ConnectedToAgentTimestamp": "2026-03-02T09:00:15Z", "AgentInteractionDuration": 60,
                      "Username": "ann"}, "MediaStreams": [{"Type": "AUDIO"}]}
    first = {**base, "ContactId": "a", "Attributes": {"score": 3}}
    second = {**base, "ContactId": "b", "Attributes": {"score": "high"}, "Agent": None,
              "Queue": {**base["Queue"], "Duration": 30}}
    path = tmp_path / "ctr.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    report = run(RunOptions(files=[str(path)]))
    got = figures(report)
    assert report.inputs[0].preset == "connect"
    assert (got["calls_offered"], got["calls_answered"], got["calls_abandoned"]) == (2, 1, 1)
    assert got["asa"] == 10
    assert got["aht"] == 60


# -- Asterisk queue_log ----------------------------------------------------------------------------------

# 16 queue visits; refused: …800.35 (CONNECT and ABANDON), …600.45 (still waiting in the queue at the end).
#   answered, ended (7), wait / talk: …060.11 12/240, …120.15 35/300, …600.26:support 20/120 (TRANSFER),
#     …600.26:billing 40/200, …700.31:support 10/90, …900.37 5/180, …000.39 18/300
#   answered, in progress at the end of the log (1): …500.43, CONNECT holdtime 30 s, no end → talk unknown
#   abandoned (2): …200.18 50 s, …100.41 4 s
#   other (4): EXITWITHTIMEOUT …300.20 180 s, EXITEMPTY …400.22 3 s, EXITWITHKEY …500.24 25 s (from the
#     line times: the old form has no waittime), EXITWITHTIMEOUT …700.31:sales 60 s
# offered 7 + 1 + 2 + 4 = 14; asa (140 + 30) / 8; aht over the 7 ended answered calls only: 1430 / 7;
# transfer_rate 1 / 7 (whether …500.43 is transferred is not known yet)
ASTERISK_EXPECTED = {
    "calls_offered": 14,
    "calls_answered": 8,
    "calls_abandoned": 2,
    "asa": 170 / 8,
    "abandonment_rate": 2 / 14,
    "aht": 1430 / 7,
    "service_level": 5 / 14,  # 12, 20 (inclusive), 10, 5, 18; …500.43 waited 30 s
    "transfer_rate": 1 / 7,
    "avg_wait_time": (140 + 30 + 50 + 4 + 180 + 3 + 25 + 60) / 14,
}


def test_queue_log_sample_is_detected_and_paired():
    report = run(RunOptions(files=[str(QUEUE_LOG)]))
    summary = report.inputs[0]
    assert summary.preset == "asterisk"
    got = figures(report)
    for kpi, value in ASTERISK_EXPECTED.items():
        assert got[kpi] == pytest.approx(value), kpi
    # 50 lines = 14 calls + 12 refused (10 agent events, 1 contradictory, 1 waiting at the end) + 24 folded
    assert (summary.read, summary.used, summary.folded) == (50, 14, 24)
    assert summary.rejected_by_reason == {
        asterisk.REASON_AGENT_EVENT: 10, asterisk.REASON_BOTH: 1, asterisk.REASON_IN_QUEUE: 1}
    balanced(summary)
    assert summary.caveats == {asterisk.CAVEAT_IN_PROGRESS: 1}
    assert report.verdicts and next(v.result.n for v in report.verdicts
                                    if v.result.kpi == "aht" and not v.result.group) == 7
    assert summary.counts["agent_events"] == 10
    assert summary.counts["in_queue_at_end"] == 1
    assert summary.counts["connect_and_abandon"] == 1
    assert summary.counts["calls_in_several_queues"] == 2


def test_queue_log_traps_unknown_outcomes_are_refused_not_guessed():
    report = run(RunOptions(files=[str(QUEUE_LOG)]))
    summary = report.inputs[0]
    assert summary.examples_by_reason[asterisk.REASON_IN_QUEUE] == [50]  # the ENTERQUEUE line
    assert summary.examples_by_reason[asterisk.REASON_BOTH] == [32]
    dataset, _ = converted(asterisk.PRESET, QUEUE_LOG)
    calls = dataset.frame.set_index("call_id")
    assert not {"1772442800.35:support", "1772443600.45:billing"} & set(calls.index)
    # connected, not ended: used with what is known; end, talk and transfer left empty
    going = calls.loc["1772443500.43:support"]
    assert (going["outcome"], going["wait_seconds"], going["agent"]) == ("answered", 30, "Bob")
    assert str(going["answered_at"]) == "2026-03-02 09:25:30+00:00"
    assert going[["ended_at", "talk_seconds", "transferred"]].isna().all()


def test_queue_log_transfer_keeps_the_callid_and_each_queue_gets_its_segment():
    dataset, _ = converted(asterisk.PRESET, QUEUE_LOG)
    calls = dataset.frame.set_index("call_id")
    first, second = calls.loc["1772442600.26:support"], calls.loc["1772442600.26:billing"]
    assert (first["outcome"], first["agent"], first["wait_seconds"], first["talk_seconds"]) == (
        "answered", "Bob", 20, 120)
    assert bool(first["transferred"]) is True
    assert (second["outcome"], second["agent"], second["wait_seconds"], second["talk_seconds"]) == (
        "answered", "Dave", 40, 200)
    assert bool(second["transferred"]) is False
    overflow_out, overflow_in = calls.loc["1772442700.31:sales"], calls.loc["1772442700.31:support"]
    assert (overflow_out["outcome"], overflow_out["wait_seconds"]) == ("other", 60)
    assert (overflow_in["outcome"], overflow_in["wait_seconds"]) == ("answered", 10)


def test_queue_log_exit_events_are_other_with_their_documented_wait(tmp_path):
    """The wait comes from the documented parameter (data3, EXITWITHKEY data4), not from the line times."""
    log = tmp_path / "queue_log"
    log.write_text(textwrap.dedent("""\
        1772442000|1.1|q|NONE|ENTERQUEUE||100|1
        1772442100|1.1|q|NONE|EXITWITHTIMEOUT|1|1|90
        1772442000|2.1|q|NONE|ENTERQUEUE||101|1
        1772442100|2.1|q|NONE|EXITWITHKEY|5|1|1|70
        1772442000|3.1|q|NONE|ENTERQUEUE||102|1
        1772442100|3.1|q|NONE|ABANDON|1|1|80
        1772442000|4.1|q|NONE|ENTERQUEUE||103|1
        1772442010|4.1|q|NONE|ABANDON|1|1|10
        1772442020|4.1|q|NONE|ENTERQUEUE||103|1
        1772442025|4.1|q|Ann|CONNECT|5|4.2|2
        1772442125|4.1|q|Ann|COMPLETECALLER|5|100|1
        1772442200|5.1|q|Ann|CONNECT|7|5.2|2
        1772442300|5.1|q|Ann|COMPLETEAGENT|7|100|1
        """))
    dataset, conv = converted(asterisk.PRESET, log)
    calls = dataset.frame.set_index("call_id")
    assert (calls.loc["1.1:q", "outcome"], calls.loc["1.1:q", "wait_seconds"]) == ("other", 90)
    assert (calls.loc["2.1:q", "outcome"], calls.loc["2.1:q", "wait_seconds"]) == ("other", 70)
    assert (calls.loc["3.1:q", "outcome"], calls.loc["3.1:q", "wait_seconds"]) == ("abandoned", 80)
    # the same caller entering the same queue twice is two visits
    assert calls.loc["4.1:q", "outcome"] == "abandoned"
    assert (calls.loc["4.1:q#2", "outcome"], calls.loc["4.1:q#2", "wait_seconds"]) == ("answered", 5)
    # a call whose ENTERQUEUE is not in the file is refused
    assert dataset.summary.rejected_by_reason == {asterisk.REASON_NO_ENTER: 1}
    assert conv.counts["no_enterqueue"] == 1
    balanced(dataset.summary)


def test_queue_log_freepbx_did_before_enterqueue_and_crlf(tmp_path):
    """FreePBX writes DID before ENTERQUEUE; a JOINEMPTY caller never entered; CRLF line ends are fine."""
    log = tmp_path / "queue_log"
    log.write_bytes(b"1772442000|9.1|q|NONE|DID|5551234\r\n"
                    b"1772442000|9.1|q|NONE|ENTERQUEUE||100|1\r\n"
                    b"1772442010|9.1|q|Ann|CONNECT|10|9.2|3\r\n"
                    b"1772442110|9.1|q|Ann|COMPLETECALLER|10|100|1\r\n"
                    b"1772442200|8.1|q|NONE|DID|5551234\r\n"
                    b"1772442201|8.1|q|NONE|JOINEMPTY|1|1|0\r\n")
    report = run(RunOptions(files=[str(log)]))
    summary = report.inputs[0]
    assert summary.preset == "asterisk"
    assert figures(report)["calls_answered"] == 1
    assert figures(report)["asa"] == 10
    assert summary.rejected_by_reason == {asterisk.REASON_NO_ENTER: 1}  # the JOINEMPTY caller, once
    assert (summary.read, summary.used, summary.folded) == (6, 1, 4)
    balanced(summary)


CDR = """\
"","+15550100001","600","from-pstn","\"\"Ann\"\" <+15550100001>","PJSIP/trunk-00000001","PJSIP/101-00000002","Dial","PJSIP/101,30","2026-03-02 09:00:00","2026-03-02 09:00:12","2026-03-02 09:04:12",252,240,"ANSWERED","DOCUMENTATION","1772442000.1",""
"","+15550100002","600","from-pstn","","PJSIP/trunk-00000003","PJSIP/102-00000004","Dial","PJSIP/102,30","2026-03-02 09:01:00","","2026-03-02 09:01:25",25,0,"NO ANSWER","DOCUMENTATION","1772442060.3",""
"","+15550100003","600","from-pstn","","PJSIP/trunk-00000005","PJSIP/101-00000006","Dial","PJSIP/101,30","2026-03-02 09:02:00","","2026-03-02 09:02:01",1,0,"BUSY","DOCUMENTATION","1772442120.5",""
"","+15550100004","600","from-pstn","","PJSIP/trunk-00000007","","VoiceMail","600@default","2026-03-02 09:03:00","2026-03-02 09:03:30","2026-03-02 09:04:00",60,30,"ANSWERED","DOCUMENTATION","1772442180.7",""
"","+15550100005","600","from-pstn","","PJSIP/trunk-00000009","PJSIP/102-0000000a","Dial","PJSIP/102,30","2026-03-02 09:05:00","2026-03-02 09:05:08","2026-03-02 09:07:08",128,120,"ANSWERED","DOCUMENTATION","1772442300.9",""
"""


def test_cdr_master_csv_second_reader(tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(CDR)
    report = run(RunOptions(files=[str(path)]))
    summary = report.inputs[0]
    assert summary.preset == "asterisk"
    got = figures(report)
    # answered: 1 (wait 252 − 240 = 12, talk 240) and 5 (wait 8, talk 120); voicemail and busy are other
    assert got["calls_offered"] == 5
    assert got["calls_answered"] == 2
    assert got["calls_abandoned"] == 1
    assert got["asa"] == pytest.approx(10)
    assert got["aht"] == pytest.approx(180)
    assert got["abandonment_rate"] == pytest.approx(1 / 5)
    assert (summary.read, summary.used) == (5, 5)
    balanced(summary)
    dataset, _ = converted(asterisk.PRESET, path)
    calls = dataset.frame.set_index("call_id")
    assert calls.loc["1772442000.1", "agent"] == "PJSIP/101"
    assert calls.loc["1772442180.7", "outcome"] == "other"  # answered by voicemail
    assert calls.loc["1772442060.3", "wait_seconds"] == 25  # ring time counted as wait


def test_other_files_are_not_claimed():
    calls_csv = "call_id,offered_at\n1,2026-03-02T09:00:00Z\n"
    header = ["call_id", "offered_at"]
    assert connect.PRESET.score(header, calls_csv) == 0
    assert asterisk.PRESET.score(header, calls_csv) == 0
    assert asterisk.PRESET.score(["1772442000", "NONE"], QUEUE_LOG.read_text()) == 10
    assert connect.PRESET.score([], CTR.read_text()[:4000]) == 10
