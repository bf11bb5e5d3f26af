"""The ``seelab`` preset: the Technion SEE Lab "Anonymous Bank" call log (examples/real/README.md §1)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.model import Report
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES

BANK = EXAMPLES / "real" / "anonymous_bank_1999-02-01_07.txt.gz"
HEADER = ("vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit"
          "\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver")


def overall(report: Report) -> dict[str, float | None]:
    """KPI name → value of the records for all calls (no group, no period)."""
    return {v.result.kpi: v.result.value for v in report.verdicts if not v.result.group and v.result.period is None}


# -- 1. the real file, against an independent computation ------------------------------------------------

def bank_rows() -> list[dict[str, str]]:
    """The raw lines, split by hand: gzip, CRLF/LF, tabs (no hdkpi code involved)."""
    text = gzip.decompress(BANK.read_bytes()).decode("ascii")
    lines = [line.rstrip("\r") for line in text.split("\n") if line]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def independent(rows: list[dict[str, str]]) -> dict[str, float]:
    def reached(r: dict[str, str]) -> bool:
        return r["q_start"] != "0:00:00" or int(r["q_time"]) > 0

    answered = [r for r in rows if r["outcome"] == "AGENT"]
    abandoned = [r for r in rows if r["outcome"] == "HANG" and reached(r)]
    offered = len(answered) + len(abandoned)
    return {
        "read": len(rows),
        "phantom": sum(r["outcome"] == "PHANTOM" for r in rows),
        "ivr": sum(r["outcome"] == "HANG" and not reached(r) for r in rows),
        "calls_offered": offered,
        "calls_answered": len(answered),
        "calls_abandoned": len(abandoned),
        "asa": sum(int(r["q_time"]) for r in answered) / len(answered),
        "abandonment_rate": len(abandoned) / offered,
        "service_level": sum(int(r["q_time"]) <= 20 for r in answered) / offered,
        "aht": sum(int(r["ser_time"]) for r in answered) / len(answered),
        "unique_ids": len({(r["vru+line"], r["call_id"]) for r in rows}),
        "unique_call_ids_alone": len({r["call_id"] for r in rows}),
    }


@pytest.fixture(scope="module")
def bank_report() -> Report:
    return run(RunOptions(files=[str(BANK)], preset="seelab"))


def test_bank_week_figures_match_independent_computation(bank_report):
    rows = bank_rows()
    expected = independent(rows)
    # pinned: what the independent computation gives on the Feb 1–7 1999 week
    assert expected == pytest.approx({
        "read": 9007, "phantom": 59, "ivr": 663,
        "calls_offered": 8285, "calls_answered": 7429, "calls_abandoned": 856,
        "asa": 237924 / 7429,  # 32.03 s
        "abandonment_rate": 856 / 8285,  # 10.33 %
        "service_level": 4726 / 8285,  # 57.04 % answered within 20 s, of offered
        "aht": 1247662 / 7429,  # 167.94 s = mean ser_time of AGENT rows (no hold/acw in the log)
        "unique_ids": 9007,  # vru+line + call_id is unique …
        "unique_call_ids_alone": 6792,  # … call_id alone is not (it repeats across VRU lines)
    }, rel=0, abs=1e-12)
    got = overall(bank_report)
    for kpi in ("calls_offered", "calls_answered", "calls_abandoned"):
        assert got[kpi] == expected[kpi], kpi
    for kpi in ("asa", "abandonment_rate", "service_level", "aht"):
        assert got[kpi] == pytest.approx(expected[kpi], rel=0, abs=1e-9), kpi
    assert got["short_abandons"] == 0

    summary = bank_report.inputs[0]
    assert summary.preset == "seelab" and summary.kind == "calls"
    assert summary.read == 9007 == summary.used + summary.rejected
    assert summary.used == expected["calls_offered"]
    assert summary.folded == 0
    assert summary.rejected_by_reason == {"IVR hang-up: never reached the queue": expected["ivr"],
                                          "PHANTOM: not a call": expected["phantom"]}
    assert summary.counts == {"ivr_abandons": expected["ivr"], "phantom_records": expected["phantom"]}
    assert sum(summary.rejected_by_reason.values()) == summary.rejected  # no normalise rejections


def test_bank_examples_point_at_the_right_lines(bank_report):
    rows = bank_rows()
    examples = bank_report.inputs[0].examples_by_reason
    for row in examples["PHANTOM: not a call"]:
        assert rows[row - 1]["outcome"] == "PHANTOM"
    for row in examples["IVR hang-up: never reached the queue"]:
        r = rows[row - 1]
        assert (r["outcome"], r["q_start"], r["q_time"]) == ("HANG", "0:00:00", "0")


# -- 2. auto-detection --------------------------------------------------------------------------------------

def test_bank_file_is_detected_without_options():
    report = run(RunOptions(files=[str(BANK)]))
    assert report.inputs[0].preset == "seelab"
    assert overall(report)["calls_offered"] == 8285


def test_score_needs_the_whole_signature():
    from hdkpi.ingest.presets.seelab import PRESET

    header = HEADER.split("\t")
    assert PRESET.score(header, "") > 0
    assert PRESET.score([h.upper() for h in header], "") > 0
    assert PRESET.score([h for h in header if h != "q_time"], "") == 0
    assert PRESET.score(["call_id", "offered_at", "outcome"], "") == 0


# -- 3. a hand-made sample with every quirk -------------------------------------------------------------

SAMPLE_ROWS = [
    # 1 crosses midnight (q_exit 0:00:26 < q_start), customer 0: answered, wait 67, talk 160, day 02-01
    "AA0101\t1001\t0\t0\tPS\t990201\t23:59:10\t23:59:19\t9\t23:59:19\t0:00:26\t67\tAGENT\t0:00:26\t0:03:06\t160\tDORIT",
    # 2 put straight through (never queued): answered, wait 0, talk 120
    "AA0101\t1002\t12345\t2\tPS\t990202\t8:00:00\t8:00:10\t10\t0:00:00\t0:00:00\t0\tAGENT\t8:00:10\t8:02:10\t120\tAVI",
    # 3 same call_id as 2 on another VRU line (a different call); NO_SERVER → agent empty; wait 15, talk 60;
    #   same customer as 2, 5 minutes later → call 2 is not first-contact resolved
    "AA0102\t1002\t12345\t2\tPS\t990202\t8:05:00\t8:05:08\t8\t8:05:08\t8:05:23\t15\tAGENT\t8:05:23\t8:06:23\t60"
    "\tNO_SERVER",
    # 4 hung up in the queue: abandoned, wait 30
    "AA0101\t1003\t555\t1\tNW\t990202\t9:00:00\t9:00:05\t5\t9:00:05\t9:00:35\t30\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    # 5 queued (q_start set) and hung up with q_time 0: abandoned, wait 0
    "AA0101\t1004\t0\t0\tNW\t990202\t9:10:00\t9:10:05\t5\t9:10:05\t9:10:05\t0\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    # 6 hung up inside the IVR (q_start 0:00:00, q_time 0): not offered, refused, ivr_abandons
    "AA0101\t1005\t0\t0\tPS\t990202\t9:20:00\t9:20:30\t30\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    # 7 PHANTOM (with queue and service times): not a call, refused
    "AA0102\t1006\t777\t0\tPS\t990202\t9:30:00\t9:30:05\t5\t9:30:05\t9:30:50\t45\tPHANTOM\t9:30:50\t9:31:00\t10"
    "\tNO_SERVER",
    # 8 wait exactly 20 s (inside the 20 s service level), talk 300
    "AA0102\t1007\t888\t1\tPE\t990202\t10:00:00\t10:00:06\t6\t10:00:06\t10:00:26\t20\tAGENT\t10:00:26\t10:05:26\t300"
    "\tAVI",
    # 9 wait 21 s (outside), talk 60
    "AA0102\t1008\t999\t1\tPS\t990202\t10:10:00\t10:10:06\t6\t10:10:06\t10:10:27\t21\tAGENT\t10:10:27\t10:11:27\t60"
    "\tDORIT",
    # 10 joined the queue exactly at midnight: q_start prints 0:00:00, q_time 40 says it queued: abandoned, wait 40
    "AA0101\t1009\t0\t0\tPS\t990202\t23:59:55\t0:00:00\t5\t0:00:00\t0:00:40\t40\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    # 11 negative vru_time (ignored), straight through: answered, wait 0, talk 100, day 02-03
    "AA0102\t1010\t0\t0\tPS\t990203\t7:00:00\t6:59:58\t-2\t0:00:00\t0:00:00\t0\tAGENT\t6:59:58\t7:01:38\t100\tTOVA",
    # 12 AGENT with ser_time 0 and NO_SERVER: answered, wait 10, talk 0 (counts in AHT)
    "AA0101\t1011\t321\t2\tIN\t990203\t7:30:00\t7:30:05\t5\t7:30:05\t7:30:15\t10\tAGENT\t7:30:15\t7:30:15\t0\tNO_SERVER",
    # 13 HANG in the queue with service fields set: abandoned, wait 30 (its ser_time 5 is not talk)
    "AA0101\t1012\t0\t0\tPS\t990203\t7:40:00\t7:40:05\t5\t7:40:05\t7:40:35\t30\tHANG\t7:40:35\t7:40:40\t5\tNO_SERVER",
]
# offered = 13 − PHANTOM (7) − IVR (6) = 11; answered 1,2,3,8,9,11,12 = 7; abandoned 4,5,10,13 = 4
# asa = (67+0+15+20+21+0+10)/7 = 133/7 = 19.0 s
# service_level = answered with wait ≤ 20 (2,3,8,11,12) = 5 / 11 offered
# abandonment_rate = 4/11; avg_abandon_time = (30+0+40+30)/4 = 25 s; max_wait = 67
# aht = (160+120+60+300+60+100+0)/7 = 800/7 = 114.29 s (no hold/acw)
# call_fcr: answered with a customer: 2,3 (12345), 8, 9, 12 → 5; 2 is followed by 3 → 4/5 = 0.8
# per day (offered_at = date + vru_entry): 02-01: 1 (the midnight-crossing call stays there); 02-02: 2,3,4,5,8,9,10
#   = 7; 02-03: 11,12,13 = 3


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "bank.txt"
    path.write_bytes("\r\n".join([HEADER, *SAMPLE_ROWS, ""]).encode("ascii"))  # CRLF, as the real file
    return path


def test_sample_hand_worked_kpis(sample):
    report = run(RunOptions(files=[str(sample)]))
    got = overall(report)
    assert report.inputs[0].preset == "seelab"
    assert got["calls_offered"] == 11
    assert got["calls_answered"] == 7
    assert got["calls_abandoned"] == 4
    assert got["asa"] == pytest.approx(19.0)
    assert got["service_level"] == pytest.approx(5 / 11)
    assert got["abandonment_rate"] == pytest.approx(4 / 11)
    assert got["avg_abandon_time"] == pytest.approx(25.0)
    assert got["max_wait"] == 67
    assert got["aht"] == pytest.approx(800 / 7)
    assert got["avg_talk_time"] == pytest.approx(800 / 7)
    assert got["call_fcr"] == pytest.approx(0.8)
    summary = report.inputs[0]
    assert (summary.read, summary.used, summary.rejected) == (13, 11, 2)
    assert summary.rejected_by_reason == {"IVR hang-up: never reached the queue": 1, "PHANTOM: not a call": 1}
    assert summary.examples_by_reason == {"IVR hang-up: never reached the queue": [6], "PHANTOM: not a call": [7]}
    assert summary.counts == {"ivr_abandons": 1, "phantom_records": 1}


def test_sample_canonical_records(sample):
    from hdkpi.ingest.presets.seelab import PRESET

    raw = PRESET.read(str(sample))
    table = PRESET.convert(raw, "UTC").table.frame
    assert list(table.index) == [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]  # source data rows kept
    assert table.loc[1, "call_id"] == "AA0101-1001"
    assert table.loc[2, "call_id"] == "AA0101-1002" and table.loc[3, "call_id"] == "AA0102-1002"
    assert table.loc[1, "offered_at"] == "1999-02-01T23:59:10"
    assert table.loc[2, "offered_at"] == "1999-02-02T08:00:00"  # unpadded hour
    assert table.loc[10, "wait_seconds"] == "40"
    assert table.loc[1, "agent"] == "DORIT"  # no trailing \r from CRLF
    assert table["agent"].isna().sum() == 6  # NO_SERVER: 3, 12 answered, 4, 5, 10, 13 hung up
    assert table["caller_id"].isna()[1]  # customer 0 = not identified
    assert table.loc[2, "caller_id"] == "12345"
    assert table["talk_seconds"].isna()[13]  # a hang-up's service time is not talk
    assert table.loc[8, "queue"] == "PE" and table.loc[8, "priority"] == "1" and table.loc[8, "vru+line"] == "AA0102"
    assert dict(table["outcome"].value_counts()) == {"answered": 7, "abandoned": 4}


@pytest.mark.parametrize("tz", ["UTC", "Asia/Jerusalem"])
def test_sample_calls_stay_on_the_day_they_arrived(sample, tz):
    report = run(RunOptions(files=[str(sample)], every="day", tz=tz, kpis=["calls_offered"]))
    by_day = {v.result.period: v.result.value for v in report.verdicts if v.result.period is not None}
    assert by_day == {"1999-02-01": 1, "1999-02-02": 7, "1999-02-03": 3}


def test_sample_offered_at_is_local_time_under_tz(sample):
    from hdkpi.ingest.normalise import normalise
    from hdkpi.ingest.presets.seelab import PRESET

    converted = PRESET.convert(PRESET.read(str(sample)), "Asia/Jerusalem")
    frame = normalise(converted.table, kind="calls", tz="Asia/Jerusalem").frame
    assert str(frame.loc[1, "offered_at"]) == "1999-02-01 21:59:10+00:00"  # Israel winter time = UTC+2


def test_sample_by_agent_and_by_dimension(sample):
    report = run(RunOptions(files=[str(sample)], by=["agent"], kpis=["calls_answered"]))
    by_agent = {v.result.group.get("agent"): v.result.value for v in report.verdicts if v.result.group}
    assert by_agent == {"AVI": 2, "DORIT": 2, "TOVA": 1, None: 2}  # NO_SERVER answered calls: no agent
    report = run(RunOptions(files=[str(sample)], by=["vru+line"], kpis=["calls_offered"]))
    by_line = {v.result.group["vru+line"]: v.result.value for v in report.verdicts if v.result.group}
    assert by_line == {"AA0101": 7, "AA0102": 4}


def test_bad_cells_are_refused_by_normalise_with_reasons(tmp_path):
    rows = [
        "AA0101\t1\t0\t0\tPS\t990299\t8:00:00\t8:00:05\t5\t8:00:05\t8:00:15\t10\tAGENT\t8:00:15\t8:01:15\t60\tAVI",
        "AA0101\t2\t0\t0\tPS\t990202\t8:00:00\t8:00:05\t5\t8:00:05\t8:00:15\tx\tAGENT\t8:00:15\t8:01:15\t60\tAVI",
        "AA0101\t3\t0\t0\tPS\t990202\t8:00:00\t8:00:05\t5\t8:00:05\t8:00:15\t10\tTRANSFER\t8:00:15\t8:01:15\t60\tAVI",
        "AA0101\t4\t0\t0\tPS\t990202\t8:00:00\t8:00:05\t5\t8:00:05\t8:00:15\t10\tAGENT\t8:00:15\t8:01:15\t60\tAVI",
    ]
    path = tmp_path / "bad.txt"
    path.write_text("\n".join([HEADER, *rows, ""]), encoding="ascii")
    report = run(RunOptions(files=[str(path)]))
    summary = report.inputs[0]
    assert summary.read == 4 and summary.used == 1
    assert summary.rejected_by_reason == {"offered_at: not a date": 1, "wait_seconds: not a number": 1,
                                          "outcome: unknown value": 1}


def test_forced_preset_on_another_layout_names_the_missing_columns(tmp_path):
    from hdkpi.errors import InputError

    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at,outcome\n1,2026-01-01T08:00:00,answered\n", encoding="ascii")
    with pytest.raises(InputError, match="vru\\+line"):
        run(RunOptions(files=[str(path)], preset="seelab"))


# -- 4. split-file invariance ------------------------------------------------------------------------------

def test_bank_week_split_in_two_files_gives_the_same_figures(tmp_path, bank_report):
    text = gzip.decompress(BANK.read_bytes()).decode("ascii")
    lines = text.split("\r\n")
    header, body = lines[0], [line for line in lines[1:] if line]
    half = len(body) // 2
    first, second = tmp_path / "part1.txt", tmp_path / "part2.txt"
    first.write_text("\r\n".join([header, *body[:half], ""]), encoding="ascii", newline="")
    second.write_text("\r\n".join([header, *body[half:], ""]), encoding="ascii", newline="")
    split = run(RunOptions(files=[str(first), str(second)]))
    assert [i.preset for i in split.inputs] == ["seelab", "seelab"]
    assert sum(i.read for i in split.inputs) == 9007
    assert sum(i.used for i in split.inputs) == bank_report.inputs[0].used
    assert sum(i.counts["ivr_abandons"] for i in split.inputs) == 663
    assert sum(i.counts["phantom_records"] for i in split.inputs) == 59
    whole = overall(bank_report)
    parts = overall(split)
    assert parts.keys() == whole.keys()
    for kpi, value in whole.items():
        if value is None:  # no-data (transfer_rate: the log has no transfer flag)
            assert parts[kpi] is None, kpi
        else:
            assert parts[kpi] == pytest.approx(value, rel=0, abs=1e-9), kpi
    assert whole["calls_offered"] == 8285 and whole["call_fcr"] is not None


# -- 5. the command of the "done when" ---------------------------------------------------------------

def test_cli_report_by_day_and_queue(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no targets.yaml here
    result = CliRunner().invoke(cli, ["report", str(BANK.resolve()), "--every", "day", "--by", "queue"])
    assert result.exit_code == 0, result.output
    assert "seelab" in result.output
    assert "queue=PS" in result.output and "1999-02-07" in result.output
