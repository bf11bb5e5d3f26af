"""The typed read (hdkpi.ingest.fastread) is only a faster way to the text path's Dataset.

Every test writes a small export, reads it both ways — the text path (``load.read_table`` →
``normalise``), which is the reference, and the typed Arrow read — and holds the frames, the
row accounting and the rejects equal. Where the typed read must give up (a cell Arrow cannot
type, a layout only the text path reads) the test says so.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hdkpi.ingest.fastread import read_typed
from hdkpi.ingest.load import read_table
from hdkpi.ingest.normalise import detect_kind, normalise

HEADER = "call_id,offered_at,answered_at,wait_seconds,talk_seconds,outcome,queue,transferred,site"


def _typed(path: Path, tz: str = "UTC", mapping: dict[str, str] | None = None, kind: str | None = None):
    mapping = mapping or {}
    return read_typed(str(path), kind_of=lambda header: kind or detect_kind(header, mapping),
                      mapping_for=lambda _kind: mapping, tz=tz)


def _same(path: Path, tz: str = "UTC", mapping: dict[str, str] | None = None, kind: str | None = None,
          typed_expected: bool = True):
    """Both paths on one file; returns the text path's dataset after checking the typed one equals it."""
    reference = normalise(read_table(str(path)), kind=kind, mapping=mapping, tz=tz)
    typed = _typed(path, tz, mapping, kind)
    if not typed_expected:
        assert typed is None
        return reference
    assert typed is not None, "the typed read gave up on a file it should read"
    dataset, header = typed
    assert header == read_table(str(path)).header
    pd.testing.assert_frame_equal(dataset.frame, reference.frame)
    assert dataset.summary == reference.summary
    pd.testing.assert_frame_equal(dataset.rejects.reset_index(drop=True), reference.rejects.reset_index(drop=True),
                                  check_dtype=False)
    assert dataset.given == reference.given
    return reference


def _write(tmp_path: Path, text: str, name: str = "calls.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_calls_are_typed_and_equal(tmp_path):
    path = _write(tmp_path, HEADER + "\n"
                  "C1,2026-11-02T09:00:00+00:00,2026-11-02T09:00:20+00:00,20,300,answered,billing,false,Leeds\n"
                  "C2,2026-11-02T09:01:00+01:00,,45,,abandoned,sales,,Leeds\n"
                  "C3,2026-11-02T09:02:00Z,2026-11-02T09:02:05Z,5,61.5,answered,billing,TRUE,York\n")
    ds = _same(path)
    # all three used; C2's +01:00 offset gives 08:01 UTC
    assert ds.summary.used == 3
    assert ds.frame.loc[2, "offered_at"] == pd.Timestamp("2026-11-02T08:01:00Z")
    assert ds.frame["transferred"].tolist() == [False, pd.NA, True]
    assert ds.frame["site"].tolist() == ["Leeds", "Leeds", "York"]


def test_row_checks_after_typing_give_the_same_reasons(tmp_path):
    """Checks 1 and 5–8 run on typed values: both paths must reject the same rows for the same reasons."""
    path = _write(tmp_path, HEADER + "\n"
                  "C1,2026-11-02T09:00:00Z,2026-11-02T09:00:20Z,20,300,answered,billing,false,\n"
                  "C2,,,45,,abandoned,sales,,\n"                                              # 1. empty offered_at
                  "C3,2026-11-02T09:02:00Z,2026-11-02T09:02:05Z,-5,60,answered,billing,,\n"   # 5. negative wait
                  "C4,2026-11-02T09:03:00Z,2026-11-02T09:02:00Z,5,60,answered,billing,,\n"    # 6. answered before
                  "C5,2026-11-02T09:04:00Z,,5,,hung up,billing,,\n"                           # 7. unknown outcome
                  "C1,2026-11-02T09:05:00Z,,5,,abandoned,billing,,\n"                         # 8. duplicate id
                  "C6,2026-11-02T09:06:00Z,,nan,,abandoned,billing,,\n"                       # 3. nan is no number
                  "C7,2026-11-02T09:07:00Z,,inf,,abandoned,billing,,\n"                       # 3. nor is inf
                  "C8,2026-11-02T09:08:00Z,,7,,abandoned,billing,maybe,\n"                    # 4. not a boolean
                  "  C9 ,2026-11-02T09:09:00Z,,8,,  Abandoned ,  billing ,  Yes ,  \n")       # spaces stripped
    ds = _same(path)
    assert ds.summary.used == 2  # C1 and C9
    assert ds.summary.rejected_by_reason == {
        "answered_at: before offered_at": 1, "call_id: duplicate": 1, "offered_at: empty (required)": 1,
        "outcome: unknown value": 1, "transferred: not a boolean": 1, "wait_seconds: negative": 1,
        "wait_seconds: not a number": 2,
    }
    assert ds.frame.loc[10, "queue"] == "billing" and ds.frame.loc[10, "call_id"] == "C9"
    assert pd.isna(ds.frame.loc[10, "site"])  # a cell of spaces is empty


def test_naive_times_are_wall_clock_in_the_zone(tmp_path):
    """Europe/London, 2026-10-25: 01:30 happens twice (first kept: BST, 00:30 UTC); 2026-03-29 01:30
    does not exist (shifted forward to 02:00 BST = 01:00 UTC)."""
    path = _write(tmp_path, "call_id,offered_at,outcome\n"
                  "A,2026-10-25 01:30:00,abandoned\n"
                  "B,2026-03-29 01:30:00,abandoned\n"
                  "C,2026-07-01,abandoned\n"
                  "D,2026-07-01T12:00,abandoned\n")
    ds = _same(path, tz="Europe/London")
    assert ds.frame["offered_at"].tolist() == [pd.Timestamp("2026-10-25T00:30Z"), pd.Timestamp("2026-03-29T01:00Z"),
                                               pd.Timestamp("2026-06-30T23:00Z"), pd.Timestamp("2026-07-01T11:00Z")]


def test_tickets_derivations_and_whole_numbers(tmp_path):
    path = _write(tmp_path, "ticket_id,created_at,resolved_at,resolution_seconds,replies,tier,priority\n"
                  "T1,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,,1,1,P1\n"
                  "T2,2026-11-02T09:00:00Z,,7200,2,2,P2\n"
                  "T3,2026-11-02T09:00:00Z,,,1.5,1,P2\n"   # replies must be whole
                  "T4,2026-11-02T09:00:00Z,,,-1,1,P2\n")   # and not negative
    ds = _same(path, kind="tickets")
    # T1: resolution 3,600 s from the times; T2: resolved_at from 7,200 s; escalated from tier > 1
    assert ds.frame.loc[1, "resolution_seconds"] == 3600.0
    assert ds.frame.loc[2, "resolved_at"] == pd.Timestamp("2026-11-02T11:00:00Z")
    assert ds.frame["escalated"].tolist() == [False, True]
    assert ds.summary.rejected_by_reason == {"replies: negative": 1, "replies: not a whole number": 1}


def test_mapped_columns_and_compressed_input(tmp_path):
    text = ("Ref,Entered,Picked up,Team\n"
            "R1,2026-11-02T09:00:00Z,2026-11-02T09:00:30Z,north\n"
            "R2,2026-11-02T09:05:00Z,,south\n")
    path = tmp_path / "calls.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    mapping = {"call_id": "Ref", "offered_at": "Entered", "answered_at": "Picked up", "queue": "Team"}
    ds = _same(path, mapping=mapping)
    # wait derived from the times: 30 s answered; the abandoned call has no ended_at, so no wait
    assert ds.frame["wait_seconds"].tolist()[0] == 30.0 and pd.isna(ds.frame["wait_seconds"].tolist()[1])
    assert ds.frame["outcome"].tolist() == ["answered", "abandoned"]


@pytest.mark.parametrize("text, why", [
    (HEADER + "\nC1,13/11/2026 09:00,,5,,abandoned,billing,,\n", "day-first dates: the text path's formats"),
    (HEADER + "\nC1,2026-11-02T09:00:00Z,,5,,abandoned,billing,,\nC2,2026-11-02T09:00:00,,5,,abandoned,b,,\n",
     "zoned and naive times mixed"),
    (HEADER + "\nC1,2026-11-02T09:00:00Z,,5 s,,abandoned,billing,,\n", "a number with a unit"),
    (HEADER + "\nC1,not a date,,5,,abandoned,billing,,\n", "an unparseable date"),
    (HEADER.replace(",", ";") + "\nC1;2026-11-02T09:00:00Z;;1,5;;abandoned;billing;;\n", "decimal comma file"),
    (HEADER + "\nC1,2026-11-02T09:00:00Z,,5,,abandoned,billing,,\nC2,2026-11-02T09:00:00Z\n", "a ragged row"),
])
def test_the_text_path_takes_what_arrow_cannot_type(tmp_path, text, why):
    path = _write(tmp_path, text)
    assert _typed(path) is None, why
    try:
        normalise(read_table(str(path)), tz="UTC")  # and the text path reads it (or refuses it with a reason)
    except Exception as exc:  # only the ragged row is refused
        assert "ragged" in str(exc)


def test_vendor_layouts_and_other_formats_are_not_typed(tmp_path):
    bank = _write(tmp_path, "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,"
                  "q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server\n", "bank.csv")
    assert _typed(bank) is None  # the seelab preset reads it
    jsonl = _write(tmp_path, '{"call_id": "C1", "offered_at": "2026-11-02T09:00:00Z"}\n', "calls.jsonl")
    assert _typed(jsonl) is None
    cp1252 = tmp_path / "cp.csv"
    cp1252.write_bytes("call_id,offered_at,queue\nC1,2026-11-02T09:00:00Z,caf\xe9\n".encode("cp1252"))
    assert _typed(cp1252) is None


def test_empty_file_of_rows(tmp_path):
    path = _write(tmp_path, HEADER + "\n")
    ds = _same(path)
    assert ds.summary.read == 0 and ds.summary.used == 0 and len(ds.frame) == 0


CELLS = {
    "call_id": ["C1", "C2", "C3", "", " C4 "],
    "offered_at": ["2026-11-02T09:00:00Z", "2026-11-02T09:00:00+01:00", "2026-11-02T10:30:15.250+00:00", "",
                   "2026-11-02 09:00:00+0100", "2026-11-02T09:00:00+01", "2026-11-02T09:00:00", "02/11/2026",
                   "2026-13-02T09:00:00Z", "2026-11-02T24:00:00Z", "2026-11-02T23:59:60Z"],
    "answered_at": ["", "2026-11-02T09:00:30Z", "2026-11-02T08:00:00Z", "2026-11-02T09:01:00+01:00"],
    "wait_seconds": ["", "0", "12", "12.5", "-3", "1e2", "nan", "inf", "+4", ".5", "5.", "abc", " 7"],
    "outcome": ["", "answered", "abandoned", "other", "ANSWERED", "lost", " abandoned"],
    "queue": ["", "a", "b", " a", "=cmd()"],
    "transferred": ["", "true", "FALSE", "Yes", "n", "1", "0", "maybe", " t ", "\x1ctrue", "\u00a0no"],
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in CELLS.items()}), max_size=8),
       tz=st.sampled_from(["UTC", "Europe/London", "America/New_York"]))
def test_any_file_the_typed_read_accepts_equals_the_text_path(tmp_path, rows, tz):
    """Random mixes of clean and messy cells: whenever the typed read does not give up, its
    dataset is the text path's, row for row and reason for reason."""
    lines = [",".join(CELLS)] + [",".join(row[k] for k in CELLS) for row in rows]
    path = _write(tmp_path, "\n".join(lines) + "\n", "fuzz.csv")
    try:
        reference = normalise(read_table(str(path)), tz=tz)
    except Exception:  # a file the text path refuses: the typed one must not accept it
        assert _typed(path, tz) is None
        return
    typed = _typed(path, tz)
    if typed is None:
        return
    pd.testing.assert_frame_equal(typed[0].frame, reference.frame)
    assert typed[0].summary == reference.summary


TYPEABLE = {
    "call_id": ["C1", "C2", "C3", "", " C4 "],
    "offered_at": ["2026-11-02T09:00:00Z", "2026-11-02T09:00:00+01:00", "2026-11-02T10:30:15.250+00:00", "",
                   "2026-11-02 09:00:00+0100", "2026-11-02T09:00:00+01", "2026-03-29T01:30:00+00:00"],
    "answered_at": ["", "2026-11-02T09:00:30Z", "2026-11-02T08:00:00Z", "2026-11-02T09:01:00+01:00"],
    "wait_seconds": ["", "0", "12", "12.5", "-3", "1e2", "nan", "inf", "+4", ".5", "5.", " 7", "NaN"],
    "outcome": ["", "answered", "abandoned", "other", "ANSWERED", "lost", " abandoned"],
    "queue": ["", "a", "b", " a", "=cmd()", "é"],
    "transferred": ["", "true", "FALSE", "Yes", "n", "1", "0", "maybe", " t ", "\x1ctrue", "\u00a0no"],
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in TYPEABLE.items()}), max_size=8),
       tz=st.sampled_from(["UTC", "Europe/London"]))
def test_typeable_files_take_the_typed_read_and_equal_the_text_path(tmp_path, rows, tz):
    """Cells Arrow can type, with every row check (empty, nan, negative, order, unknown outcome,
    duplicate id, bad flag) in the mix: the typed read must take them, and agree."""
    lines = [",".join(TYPEABLE)] + [",".join(row[k] for k in TYPEABLE) for row in rows]
    path = _write(tmp_path, "\n".join(lines) + "\n", "fuzz.csv")
    reference = normalise(read_table(str(path)), tz=tz)
    typed = _typed(path, tz)
    assert typed is not None
    pd.testing.assert_frame_equal(typed[0].frame, reference.frame)
    assert typed[0].summary == reference.summary


def test_a_cell_with_a_line_break_takes_the_text_path(tmp_path):
    """The typed read cuts blocks at any line end, so a quoted multi-line cell sends the file to the
    text path, which reads it whole (and the figures are the same)."""
    path = _write(tmp_path, HEADER + '\nC1,2026-11-02T09:00:00Z,,5,,abandoned,"bill\ning",,\n'
                  "C2,2026-11-02T09:01:00Z,,6,,abandoned,sales,,\n")
    assert _typed(path) is None
    ds = normalise(read_table(str(path)), tz="UTC")
    assert ds.frame["queue"].tolist() == ["bill\ning", "sales"]


def test_a_big_file_with_a_multiline_cell_far_down(tmp_path):
    """30,000 rows (several read blocks) and one quoted cell with a line break near the end."""
    rows = [f"C{i},2026-11-02T09:00:00Z,,5,,abandoned,q{i % 7},," for i in range(30_000)]
    rows[29_000] = 'C29000,2026-11-02T09:00:00Z,,5,,abandoned,"two\nlines",,'
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert _typed(path) is None
    ds = normalise(read_table(str(path)), tz="UTC")
    assert ds.summary.used == 30_000 and ds.frame.loc[29_001, "queue"] == "two\nlines"


@pytest.mark.parametrize("every", [97, 331, 1009])
def test_block_cuts_inside_quoted_cells_never_pass_silently(tmp_path, monkeypatch, every):
    """Tiny read blocks (4 KiB) so that cuts fall inside quoted multi-line cells: the typed read
    must give up every time (the text path reads them), never return rows split at a cut."""
    import hdkpi.ingest.load

    monkeypatch.setattr(hdkpi.ingest.load, "BLOCK_BYTES", 1 << 12)
    rows = [f'C{i},2026-11-02T09:00:00Z,,5,,abandoned,"{"a,b" if i % 2 else "x"}\n{i},",,'
            if i % every == 0 else f"C{i},2026-11-02T09:00:00Z,,5,,abandoned,q{i % 7},," for i in range(5_000)]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert _typed(path) is None
    ds = normalise(read_table(str(path)), tz="UTC")
    assert ds.summary.used == 5_000


def test_small_blocks_without_multiline_cells_agree(tmp_path, monkeypatch):
    import hdkpi.ingest.load

    monkeypatch.setattr(hdkpi.ingest.load, "BLOCK_BYTES", 1 << 12)
    rows = [f'C{i},2026-11-02T09:{i % 60:02d}:00Z,,{i % 50},,abandoned,"q,{i % 7}",,' for i in range(5_000)]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    ds = _same(path)
    assert ds.summary.used == 5_000 and ds.frame.loc[8, "queue"] == "q,0"  # row 8 is C7: 7 % 7 = 0


@pytest.mark.parametrize("ids, duplicates", [
    (["C1", "C2", "C3", "C4"], 0),          # increasing: distinct by the neighbour comparison
    (["C4", "C3", "C2", "C1"], 0),          # decreasing: likewise
    (["C1", "C3", "C2", "C4"], 0),          # unordered: told by the hash pass
    (["C1", "C2", "C2", "C3"], 1),          # a repeat in order: not strictly increasing
    (["C1", "", "C1", "C2"], 1),            # an empty id between two equal ones hides nothing
    (["C1", "", "", "C2"], 0),              # empty ids are never duplicates (they become no id)
    (["C2", "C1", "C3", "C1"], 1),
])
def test_duplicate_ids_in_and_out_of_order(tmp_path, ids, duplicates):
    rows = [f"{i},2026-11-02T09:0{n}:00Z,,5,,abandoned,q,," for n, i in enumerate(ids)]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    ds = _same(path)
    assert ds.summary.rejected_by_reason.get("call_id: duplicate", 0) == duplicates


def test_windows_line_ends_and_a_byte_order_mark(tmp_path):
    text = ("\ufeff" + HEADER + "\r\n"
            "C1,2026-11-02T09:00:00Z,2026-11-02T09:00:20Z,20,300,answered,billing,false,Leeds\r\n"
            "C2,2026-11-02T09:01:00Z,,45,,abandoned,sales,,York\r\n")
    path = tmp_path / "calls.csv"
    path.write_bytes(text.encode("utf-8"))
    ds = _same(path)
    assert ds.frame["site"].tolist() == ["Leeds", "York"]  # no \r left on the last column
    assert ds.summary.mapping["call_id"] == "call_id"  # the BOM is not part of the first name
