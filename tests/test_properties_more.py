"""More properties of whole runs (issue 10), through the command line on small generated calls.

(a) reordering the columns of a file changes nothing; (b) nor does splitting it into two files
given together; (c) two periods concatenated and cut with ``--from/--to`` give what each period
gives alone; (d) ``report -f json`` and ``report -f csv`` hold the same values; (e) the JSON always
validates against the shipped schema (Draft 2020-12).

The calls are canonical (call_id, offered_at, wait_seconds, outcome, queue) with unique ids, a few
bad rows (negative or non-numeric wait, no offered_at) that must be rejected the same way whatever
the layout, offsets other than UTC, and queue names that tempt a spreadsheet (``=…``, ``-…``) or
need quoting (a comma, a quote, a line break).
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hdkpi.cli import cli

BASE = datetime(2026, 11, 2, tzinfo=timezone.utc)  # a Monday
DAY = 86400
COLUMNS = ["call_id", "offered_at", "wait_seconds", "outcome", "queue"]
QUEUES = ["billing", "tech", "", "=SUM(A1)", "-1", "+x", "@home", "a,b", 'say "hi"', "two\nlines"]
RUNS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Figures = dict[tuple[str, tuple, "str | None"], tuple]  #: (kpi, group, period) → value, n, numerator, denominator


# -- generated calls ---------------------------------------------------------------------------------

@st.composite
def calls(draw: st.DrawFn, first: int = 0, span: int = 2 * DAY, prefix: str = "C",
          max_size: int = 25) -> list[dict[str, str]]:
    """Calls offered in [BASE + first, BASE + first + span), ids unique, some rows bad on purpose."""
    rows = []
    for i in range(draw(st.integers(1, max_size))):
        at = first + draw(st.one_of(st.integers(0, span - 1), st.sampled_from([0, span - 1])))
        zone = timezone(timedelta(hours=draw(st.sampled_from([0, 1, -5, 5.5]))))
        wait = draw(st.one_of(st.integers(0, 90).map(str), st.just(""),
                              st.sampled_from(["-3", "abc"])))  # the last two are rejected
        offered = (BASE + timedelta(seconds=at)).astimezone(zone).isoformat()
        rows.append({
            "call_id": f"{prefix}{i}",
            "offered_at": draw(st.sampled_from([offered] * 9 + [""])),  # now and then no offered_at
            "wait_seconds": wait,
            "outcome": draw(st.sampled_from(["answered", "answered", "abandoned", "other"])),
            "queue": draw(st.sampled_from(QUEUES)),
        })
    return rows


def csv_text(rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# -- running hdkpi ---------------------------------------------------------------------------------

@contextlib.contextmanager
def empty_directory() -> Iterator[Path]:
    """Work in a fresh directory (so no ./targets.yaml is picked up), then come back and remove it."""
    before = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(before)


def invoke(argv: list[str]) -> Any:
    """The CLI in-process, in a copy of the context (a ContextVar it sets does not outlive the run)."""
    return contextvars.copy_context().run(CliRunner().invoke, cli, argv, catch_exceptions=False)


def hdkpi(files: dict[str, str], *args: str) -> dict[str, Any]:
    """``hdkpi report FILES… -f json ARGS`` in an empty directory; the JSON document."""
    with empty_directory():
        for name, text in files.items():
            Path(name).write_text(text, encoding="utf-8", newline="")
        result = invoke(["report", *files, "-f", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def figures(doc: dict[str, Any]) -> Figures:
    return {(r["kpi"], tuple(sorted(r["group"].items(), key=lambda kv: kv[0])), r["period"]):
            (r["value"], r["n"], r["numerator"], r["denominator"]) for r in doc["results"]}


def close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same(got: Figures, want: Figures) -> None:
    assert set(got) == set(want), (set(got) ^ set(want))
    differ = {key: (got[key], want[key]) for key in want
              if not all(close(x, y) for x, y in zip(got[key], want[key]))}
    assert not differ


def accounting(doc: dict[str, Any]) -> list[tuple]:
    return [(i["rows"]["read"], i["rows"]["used"], i["rows"]["rejected"], i["rejected_by_reason"])
            for i in doc["inputs"]]


# -- (a) column order ----------------------------------------------------------------------------

@RUNS
@given(calls(), st.permutations(COLUMNS))
def test_column_order_changes_nothing(rows, order):
    want = hdkpi({"calls.csv": csv_text(rows)}, "--by", "queue", "--every", "day")
    got = hdkpi({"calls.csv": csv_text(rows, list(order))}, "--by", "queue", "--every", "day")
    assert accounting(got) == accounting(want)
    assert_same(figures(got), figures(want))


# -- (b) one file or two -------------------------------------------------------------------------

@RUNS
@given(calls(), st.data())
def test_splitting_a_file_in_two_changes_nothing(rows, data):
    cut = data.draw(st.integers(0, len(rows)))
    want = hdkpi({"calls.csv": csv_text(rows)}, "--by", "queue", "--every", "day")
    got = hdkpi({"part1.csv": csv_text(rows[:cut]), "part2.csv": csv_text(rows[cut:])},
                "--by", "queue", "--every", "day")
    (read, used, _, reasons), = accounting(want)
    parts = accounting(got)
    assert sum(p[0] for p in parts) == read and sum(p[1] for p in parts) == used
    merged: dict[str, int] = {}
    for part in parts:
        for reason, count in part[3].items():
            merged[reason] = merged.get(reason, 0) + count
    assert merged == reasons
    assert_same(figures(got), figures(want))


# -- (c) a window of a longer export is that period alone ------------------------------------------

@RUNS
@given(calls(first=0, span=2 * DAY, prefix="A"), calls(first=2 * DAY, span=2 * DAY, prefix="B"),
       st.booleans())
def test_two_periods_concatenated_and_cut_equal_each_alone(first, second, by_queue):
    by = ["--by", "queue"] if by_queue else []
    middle = (BASE + timedelta(days=2)).date().isoformat()
    start, end = BASE.date().isoformat(), (BASE + timedelta(days=4)).date().isoformat()
    both = csv_text(first + second)
    for rows, window in ((first, ["--from", start, "--to", middle]), (second, ["--from", middle, "--to", end])):
        alone = hdkpi({"calls.csv": csv_text(rows)}, *by)
        cut = hdkpi({"calls.csv": both}, *window, *by)
        assert_same(figures(cut), figures(alone))


# -- (d) JSON and CSV hold the same values, (e) the JSON validates -------------------------------------

SCHEMA = json.loads(resources.files("hdkpi").joinpath("schemas/report-v1.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
TARGETS = 'version: 1\ntargets:\n  asa: "<= 20s"\n  abandonment_rate: {fail: "< 30%", warn: "< 10%"}\n' \
          '  service_level: ">= 80%"\n  calls_offered: ">= 3"\n'
NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def text_back(cell: str) -> str:
    """A CSV text cell as the data had it: the ``'`` put before a formula-like start is taken off."""
    return cell[1:] if cell.startswith(NEUTRALISED) else cell


def number_back(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def csv_figures(text: str, dims: list[str]) -> dict[tuple, tuple]:
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        group = {}
        for dim in dims:
            cell = text_back(row[dim])
            if cell != "":  # empty: not broken down by it (the overall record)
                group[dim] = None if cell == "(empty)" else cell
        key = (text_back(row["kpi"]), tuple(sorted(group.items())), row["period"] or None)
        out[key] = (number_back(row["value"]), number_back(row["n"]), number_back(row["numerator"]),
                    number_back(row["denominator"]), row["unit"], row["status"] or None,
                    number_back(row["previous"]))
    return out


def json_figures(doc: dict[str, Any]) -> dict[tuple, tuple]:
    out = {}
    for r in doc["results"]:
        key = (r["kpi"], tuple(sorted(r["group"].items())), r["period"])
        previous = r["compare"]["value"] if r.get("compare") else None
        out[key] = (r["value"], r["n"], r["numerator"], r["denominator"], r["unit"], r["status"], previous)
    return out


@RUNS
@given(calls(span=3 * DAY), st.sampled_from([[], ["--by", "queue"], ["--by", "queue", "--by", "outcome"]]),
       st.sampled_from([[], ["--every", "day"], ["--every", "day", "--compare", "previous"]]),
       st.sampled_from([[], ["--ci", "95"]]))
def test_json_equals_csv_and_validates(rows, by, every, ci):
    with empty_directory():
        Path("calls.csv").write_text(csv_text(rows), encoding="utf-8", newline="")
        Path("targets.yaml").write_text(TARGETS, encoding="utf-8")
        result = invoke(["report", "calls.csv", "-t", "targets.yaml", *by, *every, *ci,
                         "-f", "json", "-o", "out.json", "-f", "csv", "-o", "out.csv"])
        assert result.exit_code == 0, result.stderr
        doc = json.loads(Path("out.json").read_text(encoding="utf-8"))
        table = Path("out.csv").read_text(encoding="utf-8")
    VALIDATOR.validate(doc)
    dims = by[1::2]
    from_json, from_csv = json_figures(doc), csv_figures(table, dims)
    assert set(from_csv) == set(from_json), set(from_csv) ^ set(from_json)
    for key, want in from_json.items():
        got = from_csv[key]
        assert all(close(x, y) if isinstance(x, (int, float)) and isinstance(y, (int, float))
                   else x == y for x, y in zip(got, want)), (key, got, want)
