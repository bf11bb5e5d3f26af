"""The streamed run (hdkpi.run.stream) gives the whole-file read's report, record for record.

Each test writes an export, runs it both ways in this process — ``stream=False`` (the whole-file
read, the reference) and ``stream=True`` with chunks of a few hundred rows, so that every file
is many chunks — and holds the JSON documents equal (but ``generated_at``). Where the stream must
hand the run back to the whole-file read (a cell Arrow cannot type, a duplicate id, a KPI that
looks at other records), the test checks that it did, and that the figures are still the
reference's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hdkpi.render import Format, get_formatter
from hdkpi.run import stream
from hdkpi.run.pipeline import RunOptions, run

CALL_COLUMNS = "call_id,offered_at,answered_at,wait_seconds,talk_seconds,hold_seconds,acw_seconds,outcome,queue," \
               "agent,transferred"
START = pd.Timestamp("2026-03-02T00:00:00Z")


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of 300 rows, blocks of 16 KiB: a file of a few thousand rows is many chunks."""
    monkeypatch.setattr(stream, "CHUNK_ROWS", 300)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 16 << 10)


def _calls(n: int = 3000, seed: int = 1, days: int = 9, bad_rows: bool = True, prefix: str = "C") -> str:
    """A clean canonical call export (ISO times with offsets), with some rows the checks reject when
    ``bad_rows``: a negative wait (i % 997 == 5) and an unknown outcome (i % 641 == 7), i from 0."""
    rng = np.random.default_rng(seed)
    offered = START + pd.to_timedelta(np.sort(rng.integers(0, days * 86400, n)), unit="s")
    wait = rng.integers(0, 400, n).astype(float)
    outcome = rng.choice(["answered", "abandoned", "answered", "answered"], n)
    if bad_rows:
        outcome[7::641] = "voicemail"  # rejected: not an outcome hdkpi knows
    answered = np.where(outcome == "answered", (offered + pd.to_timedelta(wait, unit="s")).strftime(
        "%Y-%m-%dT%H:%M:%S+00:00"), "")
    talk = np.where(outcome == "answered", rng.integers(30, 900, n), -1)
    queue = rng.choice(["billing", "sales", "tech", "", "Billing"], n, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    agent = np.where(outcome == "answered", rng.choice(["ann", "bob", "cy"], n), "")
    transferred = np.where(outcome == "answered", rng.choice(["true", "false"], n), "")
    lines = [CALL_COLUMNS]
    for i in range(n):
        w = f"{wait[i]:.0f}" if rng.random() > 0.02 else ""
        if bad_rows and i % 997 == 5:
            w = "-5"  # rejected: a negative duration
        t = "" if talk[i] < 0 else str(talk[i])
        lines.append(f"{prefix}{i:06d},{offered[i].strftime('%Y-%m-%dT%H:%M:%S+00:00')},{answered[i]},{w},{t},"
                     f"{rng.integers(0, 60) if t else ''},{rng.integers(0, 120) if t else ''},{outcome[i]},"
                     f"{queue[i]},{agent[i]},{transferred[i]}")
    return "\n".join(lines) + "\n"


def _tickets(n: int = 2500, seed: int = 2) -> str:
    rng = np.random.default_rng(seed)
    created = START + pd.to_timedelta(np.sort(rng.integers(0, 20 * 86400, n)), unit="s")
    resolved = created + pd.to_timedelta(rng.integers(600, 9 * 86400, n), unit="s")
    open_ = rng.random(n) < 0.15
    first = created + pd.to_timedelta(rng.integers(60, 86400, n), unit="s")
    lines = ["ticket_id,created_at,first_response_at,resolved_at,priority,team,reopens"]
    for i in range(n):
        r = "" if open_[i] else resolved[i].strftime("%Y-%m-%dT%H:%M:%S+00:00")
        lines.append(f"T{i:05d},{created[i].strftime('%Y-%m-%dT%H:%M:%S+00:00')},"
                     f"{first[i].strftime('%Y-%m-%dT%H:%M:%S+00:00')},{r},{rng.choice(['P1', 'P2', 'P3'])},"
                     f"{rng.choice(['desk', 'field', 'apps'])},{rng.integers(0, 3)}")
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, text: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _document(**options) -> tuple[dict, bool, list[str]]:
    messages: list[str] = []
    report = run(RunOptions(progress=messages.append, **options))
    document = json.loads(get_formatter(Format("json")).render(report))
    document.pop("generated_at")
    return document, bool(report.context is not None and getattr(report.context, "streamed", False)), messages


def _same(streams: bool = True, **options) -> dict:
    """Both ways; the documents equal; the stream used (or not) as ``streams`` says."""
    whole, streamed_whole, _ = _document(stream=False, **options)
    assert not streamed_whole
    got, streamed_run, messages = _document(stream=True, **options)
    assert streamed_run == streams, messages
    assert got == whole
    return whole


SHAPES = [
    {},
    {"by": ["queue"]},
    {"by": ["queue"], "every": "day"},
    {"by": ["queue", "agent"], "every": "week"},
    {"by": ["hour"], "every": "day"},
    {"by": ["weekday", "queue"]},
    {"start": "2026-03-03", "end": "2026-03-06", "every": "day", "by": ["queue"]},
    {"last": "2d", "now": "2026-03-08T12:00:00Z", "every": "hour"},
    {"every": "month", "tz": "America/New_York"},
    {"by": ["queue"], "ci": 0.95, "kpis": ["abandonment_rate", "service_level", "calls_offered"]},
]


@pytest.mark.parametrize("shape", SHAPES, ids=[json.dumps(s) for s in SHAPES])
def test_calls_streamed_equal_the_whole_file_read(tmp_path, shape):
    path = _write(tmp_path, _calls(), "calls.csv")
    document = _same(files=[path], **shape)
    assert document["inputs"][0]["rows"]["read"] == 3000


def test_the_accounting_adds_up_across_chunks(tmp_path):
    """Data rows 6, 1003, 2000 and 2997 (i % 997 == 5, i from 0) have a negative wait, rows 8, 649, 1290,
    1931 and 2572 (i % 641 == 7) an unknown outcome: 4 + 5 = 9 rows rejected, in chunks 1, 3, 4, 5, 7, 9
    and 10 of 300 rows; the example rows are the file's data rows, not the chunk's."""
    path = _write(tmp_path, _calls(), "calls.csv")
    document = _same(files=[path], kpis=["calls_offered"])
    inputs = document["inputs"][0]
    assert inputs["rows"] == {"read": 3000, "used": 2991, "rejected": 9, "folded": 0}
    assert inputs["rejected_by_reason"] == {"outcome: unknown value": 5, "wait_seconds: negative": 4}
    assert inputs["rejected_rows"] == {"outcome: unknown value": [8, 649, 1290], "wait_seconds: negative": [6, 1003, 2000]}


SEGMENTED = """
targets:
  abandonment_rate: {by: queue, billing: "<= 15%", sales: "<= 25%", default: "<= 20%"}
  aht: {by: agent, ann: "<= 10m", default: "<= 12m"}
  asa: "<= 3m"
"""


def test_per_segment_targets_and_a_targets_file(tmp_path):
    path = _write(tmp_path, _calls(), "calls.csv")
    targets = _write(tmp_path, SEGMENTED, "targets.yaml")
    document = _same(files=[path], targets_path=targets, by=["queue"], every="day")
    assert any(r.get("status") for r in document["results"])


@pytest.mark.parametrize("shape", [{}, {"by": ["priority"], "every": "day"}, {"by": ["team", "priority"]},
                                   {"every": "week", "by": ["hour"]}])
def test_tickets_streamed_equal_the_whole_file_read(tmp_path, shape):
    path = _write(tmp_path, _tickets(), "tickets.csv")
    kpis = ["ticket_volume", "tickets_resolved", "resolution_time", "resolution_time_median", "resolution_time_p90",
            "frt_median", "backlog", "reopen_rate"]
    _same(files=[path], kpis=kpis, **shape)


def test_several_files_and_kinds(tmp_path):
    calls_a = _write(tmp_path, _calls(1500, seed=3, prefix="A"), "a.csv")
    calls_b = _write(tmp_path, _calls(1200, seed=4, prefix="B"), "b.csv")
    tickets = _write(tmp_path, _tickets(900), "tickets.csv")
    _same(files=[calls_a, calls_b, tickets], by=["queue"], every="day",
          kpis=["calls_offered", "asa", "aht", "ticket_volume", "resolution_time_median"])


def test_a_gzipped_export(tmp_path):
    import gzip

    path = tmp_path / "calls.csv.gz"
    path.write_bytes(gzip.compress(_calls().encode()))
    _same(files=[str(path)], by=["queue"], every="day")


# -- back to the whole-file read ------------------------------------------------------------------

def test_a_duplicate_id_in_another_chunk_reads_the_whole_file(tmp_path):
    """C000010 twice, 2,000 rows apart: the duplicate rule decides on the whole file."""
    lines = _calls().splitlines()
    lines.append(lines[11].replace("billing", "sales"))
    path = _write(tmp_path, "\n".join(lines) + "\n", "calls.csv")
    whole, _, _ = _document(files=[path], stream=False, by=["queue"])
    got, streamed_run, messages = _document(files=[path], stream=True, by=["queue"])
    assert not streamed_run and any("more than once" in m for m in messages)
    assert got == whole
    assert "duplicate" in json.dumps(whole["inputs"])


def test_a_cell_arrow_cannot_type_late_in_the_file_reads_the_whole_file(tmp_path):
    lines = _calls().splitlines()
    lines[2500] = lines[2500].replace("2026-03-0", "2026-13-4", 1)
    path = _write(tmp_path, "\n".join(lines) + "\n", "calls.csv")
    got, streamed_run, messages = _document(files=[path], stream=True)
    whole, _, _ = _document(files=[path], stream=False)
    assert not streamed_run and any("reading whole files" in m for m in messages)
    assert got == whole


def test_a_line_break_in_a_cell_reads_the_whole_file(tmp_path):
    lines = _calls(600).splitlines()
    lines[400] = lines[400].replace(",billing,", ',"bil\nling",').replace(",sales,", ',"sa\nles",')
    path = _write(tmp_path, "\n".join(lines) + "\n", "calls.csv")
    got, streamed_run, _ = _document(files=[path], stream=True, by=["queue"])
    whole, _, _ = _document(files=[path], stream=False, by=["queue"])
    assert not streamed_run
    assert got == whole


@pytest.mark.parametrize("shape", [{}, {"by": ["queue"], "every": "day"}, {"start": "2026-03-04", "end": "2026-03-07"}])
def test_repeat_callers_are_found_across_chunks(tmp_path, shape):
    """call_fcr without a resolved flag counts a caller's next call within 7 days, wherever it is in
    the file: the rows are cut by caller into files of whole histories (97 callers over 800 calls)."""
    text = _calls(800).replace(CALL_COLUMNS, CALL_COLUMNS + ",caller_id")
    lines = text.splitlines()
    lines = [lines[0]] + [f"{line},{'' if i % 41 == 0 else 'P' + str(i % 97)}" for i, line in enumerate(lines[1:])]
    path = _write(tmp_path, "\n".join(lines) + "\n", "calls.csv")
    document = _same(files=[path], kpis=["call_fcr", "calls_offered"], **shape)
    fcr = next(r for r in document["results"] if r["kpi"] == "call_fcr" and not r["group"] and r["period"] is None)
    assert fcr["method"].startswith("repeat_caller") and fcr["value"] is not None and fcr["n"] > 0


def test_next_issue_avoidance_across_chunks(tmp_path):
    """Tickets of 40 requesters over 2,500 tickets: the next issue of the same requester is found
    whichever chunk holds it."""
    text = _tickets().replace("priority,team,reopens", "priority,team,reopens,requester")
    lines = text.splitlines()
    lines = [lines[0]] + [f"{line},R{i % 40}" for i, line in enumerate(lines[1:])]
    path = _write(tmp_path, "\n".join(lines) + "\n", "tickets.csv")
    document = _same(files=[path], kpis=["next_issue_avoidance", "ticket_volume"], by=["priority"], every="week")
    assert any(r["kpi"] == "next_issue_avoidance" and r["value"] is not None for r in document["results"])


def test_what_never_streams(tmp_path, monkeypatch):
    """A vendor's layout, --compare and --cache read whole files; the default streams big files only."""
    path = _write(tmp_path, _calls(400), "calls.csv")
    for options in ({"compare": "previous", "every": "day"}, {"preset": "zendesk"}):
        plan_options = RunOptions(files=[path], stream=True, **options)
        from hdkpi.run.pipeline import plan_run

        assert stream.typed_files(plan_run(plan_options)) is None, options
    from hdkpi.run.pipeline import plan_run

    assert stream.typed_files(plan_run(RunOptions(files=[path], stream=None))) is None  # 40 KiB < 256 MiB
    monkeypatch.setenv(stream.STREAM_ENV, "0")
    assert stream.typed_files(plan_run(RunOptions(files=[path], stream=None))) is not None
    assert stream.typed_files(plan_run(RunOptions(files=[path], stream=False))) is None


def test_details_or_rejects_with_stream_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from hdkpi.cli import cli

    path = _write(tmp_path, _calls(300), "calls.csv")
    result = CliRunner().invoke(cli, ["report", path, "--stream", "--details", str(tmp_path / "d")])
    assert result.exit_code == 2 and "--stream keeps no rows" in result.output
    ok = CliRunner().invoke(cli, ["report", path, "--details", str(tmp_path / "d"), "-f", "json", "-q"])
    assert ok.exit_code == 0, ok.output  # without --stream: the rows are kept for the details


def test_the_cli_streams_on_its_own_above_the_threshold(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hdkpi.cli import cli

    path = _write(tmp_path, _calls(500), "calls.csv")
    monkeypatch.setenv(stream.STREAM_ENV, "1000")  # bytes: this file is above it
    streamed_out = CliRunner().invoke(cli, ["report", path, "-f", "json", "--by", "queue"])
    whole_out = CliRunner().invoke(cli, ["report", path, "-f", "json", "--by", "queue", "--no-stream"])
    assert streamed_out.exit_code == whole_out.exit_code == 0
    a, b = json.loads(streamed_out.stdout), json.loads(whole_out.stdout)
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b


# -- pieces ----------------------------------------------------------------------------------------

def test_hand_worked_calls_in_three_chunks(tmp_path, monkeypatch):
    """Six calls, two per chunk. billing: C1 answered after 10 s, C2 abandoned after 40 s, C5 answered
    after 30 s; sales: C3 answered after 20 s, C4 answered after 50 s, C6 abandoned after 5 s.
    Offered: billing 3, sales 3. ASA (answered calls' waits): billing (10 + 30) / 2 = 20 s, sales
    (20 + 50) / 2 = 35 s, overall (10 + 30 + 20 + 50) / 4 = 27.5 s. Abandonment: 2 / 6 = 1/3."""
    monkeypatch.setattr(stream, "CHUNK_ROWS", 2)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 200)
    rows = [("C1", "billing", 10, "answered"), ("C2", "billing", 40, "abandoned"), ("C3", "sales", 20, "answered"),
            ("C4", "sales", 50, "answered"), ("C5", "billing", 30, "answered"), ("C6", "sales", 5, "abandoned")]
    lines = ["call_id,offered_at,wait_seconds,outcome,queue"]
    lines += [f"{i},2026-03-02T09:0{n}:00+00:00,{w},{o},{q}" for n, (i, q, w, o) in enumerate(rows)]
    path = _write(tmp_path, "\n".join(lines) + "\n", "calls.csv")
    document, streamed_run, _ = _document(files=[path], stream=True, by=["queue"],
                                          kpis=["calls_offered", "asa", "abandonment_rate"])
    assert streamed_run
    figures = {(r["kpi"], (r.get("group") or {}).get("queue")): r["value"] for r in document["results"]}
    assert figures[("calls_offered", "billing")] == 3 and figures[("calls_offered", "sales")] == 3
    assert figures[("asa", "billing")] == 20 and figures[("asa", "sales")] == 35 and figures[("asa", None)] == 27.5
    assert figures[("abandonment_rate", None)] == pytest.approx(1 / 3)


def test_fingerprints_of_equal_texts_are_equal_whatever_the_lengths_around_them():
    one_length = stream.fingerprints(pd.Series(["C1", "C2", "C1"], dtype="str"))
    mixed = stream.fingerprints(pd.Series(["C1", "XYZ", None, "é", "C2"], dtype="str"))
    assert one_length[0] == one_length[2] == mixed[0] and one_length[1] == mixed[3]
    assert len(mixed) == 4  # the missing id has none
    many = stream.fingerprints(pd.Series([f"INC{i:07d}" for i in range(200_000)] + [f"x{i}" for i in range(50_000)],
                                         dtype="str"))
    assert len(np.unique(many)) == 250_000  # no two of 250,000 distinct ids share one


def test_dimensions_keep_their_codes_as_new_values_come():
    dims = stream.Dimensions(["queue"])
    first = pd.DataFrame({"queue": pd.Series(["b", "a", None, "b"], dtype="str")})
    second = pd.DataFrame({"queue": pd.Series(["c", "a"], dtype="str")})
    dims.encode(first)
    dims.encode(second)
    assert list(first["queue"].cat.categories) == ["b", "a"]
    assert list(second["queue"].cat.categories) == ["b", "a", "c"]
    assert first["queue"].cat.codes.tolist() == [0, 1, -1, 0] and second["queue"].cat.codes.tolist() == [2, 1]


def test_a_window_open_at_its_end_after_the_first_chunk(tmp_path):
    """--from after every time of the first chunks: the periods are anchored at the window's start."""
    path = _write(tmp_path, _calls(), "calls.csv")
    _same(files=[path], start="2026-03-08", every="day", by=["queue"])


def test_progress_is_told_per_chunk(tmp_path):
    path = _write(tmp_path, _calls(), "calls.csv")
    _, streamed_run, messages = _document(files=[path], stream=True)
    assert streamed_run
    shown = [m for m in messages if "(streamed): " in m]
    assert len(shown) >= 5 and shown[-1].endswith("%")


def test_id_prints_find_a_twin_in_any_bucket_and_leave_no_files():
    """Fingerprints of 20,000 ids spread over the 16 buckets; one id repeated is found whichever
    bucket it falls in, ids of two kinds never clash, and the temporary files are removed."""
    import os

    ids = pd.Series([f"C{i:06d}" for i in range(20_000)], dtype="str")
    prints = stream.fingerprints(ids)
    assert len(np.unique(prints >> np.uint64(60))) == 16
    clean = stream.IdPrints()
    clean.add("calls", prints[:10_000])
    clean.add("calls", prints[10_000:])
    clean.add("tickets", prints[:50])  # the same texts as ticket ids: another kind, no twin
    directory = clean.directory
    assert not clean.twins()
    clean.close()
    assert directory is not None and not os.path.exists(directory)
    for at in (0, 7_777, 19_999):
        twice = stream.IdPrints()
        twice.add("calls", prints)
        twice.add("calls", prints[at:at + 1])
        assert twice.twins(), at
        twice.close()


def test_a_run_that_goes_back_to_the_whole_file_leaves_no_files(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    lines = _calls(1200).splitlines()
    lines.append(lines[3])  # a duplicate id
    path = _write(tmp_path, "\n".join(lines) + "\n", "calls.csv")
    _, streamed_run, _ = _document(files=[path], stream=True)
    assert not streamed_run
    assert list((tmp_path / "t").iterdir()) == []


EDGES = {
    "empty": "call_id,offered_at,wait_seconds,outcome,queue\n",
    "one row": "call_id,offered_at,wait_seconds,outcome,queue\nC1,2026-03-02T09:00:00Z,10,answered,a\n",
    "all abandoned": "call_id,offered_at,wait_seconds,outcome,queue\n"
                     + "".join(f"C{i},2026-03-02T09:{i:02d}:00Z,{i},abandoned,a\n" for i in range(40)),
    "no queue column": "call_id,offered_at,wait_seconds,outcome\n"
                       + "".join(f"C{i},2026-03-0{2 + i % 3}T09:{i:02d}:00Z,{i},answered\n" for i in range(40)),
    "one group, 20 s threshold met exactly": "call_id,offered_at,wait_seconds,outcome,queue\n"
                                             + "".join(f"C{i},2026-03-02T09:{i:02d}:00Z,20,answered,a\n"
                                                       for i in range(40)),
}


@pytest.mark.parametrize("name", list(EDGES))
@pytest.mark.parametrize("shape", [{}, {"by": ["queue"], "every": "day"}])
def test_edges_streamed_equal_the_whole_file_read(tmp_path, monkeypatch, name, shape):
    monkeypatch.setattr(stream, "CHUNK_ROWS", 7)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 256)
    path = _write(tmp_path, EDGES[name], "calls.csv")
    whole, _, _ = _document(files=[path], stream=False, **shape)
    got, streamed_run, messages = _document(files=[path], stream=True, **shape)
    assert got == whole
    # an empty file has no time to fix the --every periods by: the whole-file read, which says so
    assert streamed_run == (name != "empty" or "every" not in shape), messages


def test_check_with_history_records_the_same_figures_streamed(tmp_path, monkeypatch):
    """A nightly `check --history`: the streamed run stores as many figures as the whole-file read,
    a second streamed run finds them all unchanged, and both exit 1 on the same misses."""
    from click.testing import CliRunner

    from hdkpi.cli import cli

    path = _write(tmp_path, _calls(), "calls.csv")
    targets = _write(tmp_path, 'targets:\n  abandonment_rate: "<= 20%"\n  asa: "<= 2m"\n', "targets.yaml")
    runs = {}
    for name, flag in (("streamed", "--stream"), ("whole", "--no-stream"), ("again", "--stream")):
        store = tmp_path / ("whole.db" if name == "whole" else "streamed.db")
        result = CliRunner().invoke(cli, ["check", path, "-t", targets, "--every", "day", "--history", str(store),
                                          "-f", "json", flag])
        document = json.loads(result.stdout)
        document.pop("generated_at")
        runs[name] = (result.exit_code, document, result.stderr)
    assert runs["streamed"][0] == runs["whole"][0] == 1
    assert runs["streamed"][1] == runs["whole"][1]
    whole = [line.replace("whole.db", "streamed.db") for line in runs["whole"][2].splitlines()
             if "recorded the run" in line]
    assert whole and whole == [line for line in runs["streamed"][2].splitlines() if "recorded the run" in line]
    assert "0 new, 0 replaced" in runs["again"][2]


PLUGINS = '''
from hdkpi import Count, KpiContext, kpi


@kpi("after_hours_calls", title="Calls after 17:00", kind="calls", unit="count", direction="none",
     anchor="offered_at", definition="Calls offered at 17:00 UTC or later.")
def after_hours_calls(calls, ctx: KpiContext) -> Count:
    return Count(calls["offered_at"].dt.hour >= 17)


@kpi("calls_of_busy_queues", title="Calls of queues with 500 calls or more", kind="calls", unit="count",
     direction="none", anchor="offered_at", definition="Calls whose queue has 500 calls or more in the input.")
def calls_of_busy_queues(calls, ctx: KpiContext) -> Count:
    sizes = ctx.frames["calls"]["queue"].value_counts()
    return Count(calls["queue"].isin(sizes[sizes >= 500].index))
'''


def test_plugin_kpis_stream_unless_they_read_other_records(tmp_path):
    """A plugin KPI over its own rows streams; one that reads every call through ctx.frames (not by
    caller) sends the run to the whole-file read, which computes it: the same figures either way."""
    plugin = _write(tmp_path, PLUGINS, "plugin.py")
    path = _write(tmp_path, _calls(), "calls.csv")
    _same(files=[path], plugins=[plugin], kpis=["after_hours_calls"], by=["queue"])
    document = _same(streams=False, files=[path], plugins=[plugin], kpis=["calls_of_busy_queues"])
    assert document["results"][0]["value"] > 0
