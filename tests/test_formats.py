"""Encodings, delimiters and compressions: every combination gives the same KPIs."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile

import pytest

from hdkpi.errors import InputError
from hdkpi.run.pipeline import RunOptions, run

ROWS = [
    ["call_id", "offered_at", "wait_seconds", "outcome", "queue"],
    ["1", "2026-11-02T08:00:00Z", "10", "answered", "Facturación"],
    ["2", "2026-11-02T08:01:00Z", "20", "answered", "Technik"],
    ["3", "2026-11-02T08:02:00Z", "30", "abandoned", "Facturación"],
]
# asa (10 + 20) / 2 = 15 s; abandonment 1 / 3; two queues, one with an accent


def figures(path):
    r = run(RunOptions(files=[str(path)], kpis=["calls_offered", "asa", "abandonment_rate"], by=["queue"]))
    return sorted((v.result.kpi, tuple(v.result.group.items()), v.result.value) for v in r.verdicts)


EXPECTED_QUEUES = {"Facturación", "Technik"}


def write(tmp_path, delimiter: str, encoding: str, compression: str):
    text = "\r\n".join(delimiter.join(row) for row in ROWS) + "\r\n"
    data = text.encode(encoding)
    name = f"calls.csv{compression}"
    path = tmp_path / name
    if compression == ".gz":
        data = gzip.compress(data)
    elif compression == ".bz2":
        data = bz2.compress(data)
    elif compression == ".xz":
        data = lzma.compress(data)
    if compression == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("export/calls.csv", data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("compression", ["", ".gz", ".bz2", ".xz", ".zip"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_every_format_gives_the_same_figures(tmp_path, delimiter, encoding, compression):
    plain = tmp_path / "plain"
    plain.mkdir()
    reference = figures(write(plain, ",", "utf-8", ""))
    got = figures(write(tmp_path, delimiter, encoding, compression))
    assert got == reference
    overall = {k: v for k, g, v in got if not g}
    assert overall == {"calls_offered": 3, "asa": 15.0, "abandonment_rate": pytest.approx(1 / 3)}
    assert {dict(g)["queue"] for k, g, v in got if g} == EXPECTED_QUEUES


def test_binary_files_are_refused_with_a_reason(tmp_path):
    pdf = tmp_path / "report.csv"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(InputError, match="not a text export"):
        run(RunOptions(files=[str(pdf)]))
    xlsx = tmp_path / "export.csv"
    with zipfile.ZipFile(xlsx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<xml/>")
    with pytest.raises(InputError, match="not a text export"):
        run(RunOptions(files=[str(xlsx)]))


def test_a_zip_with_several_files_is_refused(tmp_path):
    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x\n")
        archive.writestr("b.csv", "x\n")
    with pytest.raises(InputError, match=r"a \.zip with 2 files \(a\.csv, b\.csv\); name one as exports\.zip:a\.csv"):
        run(RunOptions(files=[str(path)]))
    with pytest.raises(InputError, match=r"no member 'c\.csv'"):
        run(RunOptions(files=[f"{path}:c.csv"]))


def test_a_member_of_a_zip_by_name(tmp_path):
    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not data\n")
        archive.writestr("2026/calls.csv", "\n".join(",".join(r) for r in ROWS) + "\n")
    assert figures(f"{path}:2026/calls.csv")[0][0] == "abandonment_rate"


def test_ambiguous_numeric_dates_need_dayfirst_or_monthfirst(tmp_path):
    from click.testing import CliRunner

    from hdkpi.cli import cli

    path = tmp_path / "tickets.csv"
    path.write_text("Ticket ID,Created,Resolved\nT1,5/3/2026 09:00,6/3/2026 09:00\n")
    runner = CliRunner()
    args = ["report", str(path), "--map", "ticket_id=Ticket ID", "--map", "created_at=Created",
            "--map", "resolved_at=Resolved", "--kpi", "resolution_time", "-f", "json"]
    # every date has day and month ≤ 12: refused, never guessed, with the column named and the fix
    plain = runner.invoke(cli, args)
    assert plain.exit_code == 2 and "'Created'" in plain.stderr and "--dayfirst or --monthfirst" in plain.stderr
    assert json.loads(runner.invoke(cli, [*args, "--dayfirst"]).stdout)["results"][0]["value"] == 86400
    mapping = tmp_path / "desk.yaml"
    mapping.write_text("kind: tickets\nfields:\n  ticket_id: Ticket ID\n  created_at: Created\n"
                       "  resolved_at: Resolved\n")
    refused = runner.invoke(cli, ["report", str(path), "--preset", str(mapping), "--kpi", "resolution_time"])
    assert refused.exit_code == 2 and "--dayfirst or --monthfirst" in refused.stderr
    dayfirst = runner.invoke(cli, ["report", str(path), "--preset", str(mapping), "--kpi", "resolution_time",
                                   "--dayfirst", "-f", "json"])
    doc = json.loads(dayfirst.stdout)
    # 5 March → 6 March = 1 day; month-first would be 3 May → 3 June = 31 days
    assert doc["results"][0]["value"] == 86400
    monthfirst = runner.invoke(cli, ["report", str(path), "--preset", str(mapping), "--kpi", "resolution_time",
                                     "--monthfirst", "-f", "json"])
    assert json.loads(monthfirst.stdout)["results"][0]["value"] == 31 * 86400


def test_dates_as_exports_write_them(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("ticket_id,created_at,resolved_at\n"
                    "T1,25/11/2026 09:00,26/11/2026 10:30\n"      # day-first (25 > 12 settles it): 25.5 h
                    "T2,03/11/2026 09:00,yesterday\n"             # an unreadable cell: that row is rejected
                    "T3,4/11/2026 23:00,5/11/2026 01:00\n")        # unpadded: 2 h
    r = run(RunOptions(files=[str(path)], kpis=["resolution_time"]))
    # (25.5 h + 2 h) / 2 = 13.75 h = 49,500 s
    assert r.verdicts[0].result.value == 49500
    assert r.inputs[0].rejected_by_reason == {"resolved_at: not a date": 1}
    epoch = tmp_path / "epoch.csv"
    epoch.write_text("ticket_id,created_at,resolved_at\nT1,1764057600,1764061200000\n")
    # seconds and milliseconds since 1970: 2025-11-25T08:00Z → 09:00Z = 3,600 s
    assert run(RunOptions(files=[str(epoch)], kpis=["resolution_time"])).verdicts[0].result.value == 3600


def test_repeated_column_names_are_numbered_unless_canonical(tmp_path):
    path = tmp_path / "jira.csv"
    path.write_text("ticket_id,created_at,Comment,Comment,Labels,Comment\nT1,2026-11-02T08:00:00Z,a,b,x,c\n")
    r = run(RunOptions(files=[str(path)], kpis=["ticket_volume"], by=["Comment (3)"]))
    assert [v.result.group for v in r.verdicts][1] == {"Comment (3)": "c"}
    clash = tmp_path / "clash.csv"  # two spellings of one field: which holds the data cannot be told
    clash.write_text("ticket_id,created_at,Created_At\nT1,2026-11-02T08:00:00Z,x\n")
    with pytest.raises(InputError, match="both name the field created_at"):
        run(RunOptions(files=[str(clash)], kpis=["ticket_volume"]))
    twice = tmp_path / "twice.csv"
    twice.write_text("ticket_id,created_at,created_at\nT1,2026-11-02T08:00:00Z,x\n")
    with pytest.raises(InputError, match="a canonical field; rename one of them"):
        run(RunOptions(files=[str(twice)]))


def _reference_frame():
    import pandas as pd

    return pd.DataFrame(ROWS[1:], columns=ROWS[0])


def test_parquet_and_json_lines_give_the_same_figures(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = tmp_path / "plain"
    plain.mkdir()
    reference = figures(write(plain, ",", "utf-8", ""))
    frame = _reference_frame().assign(wait_seconds=lambda f: f["wait_seconds"].astype(int))  # typed columns
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "calls.parquet")
    assert figures(tmp_path / "calls.parquet") == reference
    lines = [json.dumps({"call_id": r[0], "offered_at": r[1], "wait": {"seconds": int(r[2])}, "outcome": r[3],
                         "queue": r[4]}) for r in ROWS[1:]]
    (tmp_path / "calls.jsonl").write_text("\n".join(lines) + "\n")
    got = run(RunOptions(files=[str(tmp_path / "calls.jsonl")], kpis=["asa"], mapping={"wait_seconds": "wait.seconds"}))
    assert got.verdicts[0].result.value == 15.0  # nested objects flatten to dotted names


def test_xlsx_needs_the_optional_extra_or_reads_the_first_sheet(tmp_path):
    path = tmp_path / "calls.xlsx"
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        path.write_bytes(b"PK\x03\x04")
        with pytest.raises(InputError, match=r"pip install 'hdkpi\[xlsx\]'"):
            run(RunOptions(files=[str(path)]))
        return
    _reference_frame().to_excel(path, index=False)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert figures(path) == figures(write(plain, ",", "utf-8", ""))


def test_decimal_comma_in_semicolon_files(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("call_id;offered_at;wait_seconds;outcome\n1;2026-11-02T08:00:00Z;10,5;answered\n"
                    "2;2026-11-02T08:01:00Z;20,5;answered\n")
    # (10.5 + 20.5) / 2 = 15.5 s
    assert run(RunOptions(files=[str(path)], kpis=["asa"])).verdicts[0].result.value == 15.5


def test_big_files_report_reading_progress(tmp_path, monkeypatch):
    import hdkpi.ingest.load as load

    rows = "\n".join(f"{i},2026-11-02T08:00:00Z,{i % 60},answered,q{i % 7}" for i in range(4000))
    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at,wait_seconds,outcome,queue\n" + rows + "\n")
    monkeypatch.setattr(load, "PROGRESS_FROM_BYTES", 1000)
    monkeypatch.setattr(load, "BLOCK_BYTES", 20_000)
    seen: list[str] = []
    token = load.PROGRESS.set(seen.append)
    try:
        streamed = load.read_table(str(path))
    finally:
        load.PROGRESS.reset(token)
    assert seen[-1].endswith("100%") and len(seen) > 2  # several blocks, ending at 100 %
    assert streamed.frame.equals(load.read_table(str(path)).frame)  # the same table as a one-shot read


def test_nanosecond_timestamps_are_read_to_the_microsecond(tmp_path):
    # nine decimals (Python's and numpy's isoformat of nanosecond times) once stopped a run with an internal
    # error; they are read, to the microsecond, with and without an offset
    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at\n1,2026-01-05T08:23:03.330598013+00:00\n2,2026-01-05T08:23:04.123456789\n")
    from hdkpi.ingest.load import read_table
    from hdkpi.ingest.normalise import normalise

    frame = normalise(read_table(str(path)), kind="calls").frame
    assert [t.isoformat() for t in frame["offered_at"]] == ["2026-01-05T08:23:03.330598+00:00",
                                                           "2026-01-05T08:23:04.123456+00:00"]
