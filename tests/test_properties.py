"""Properties of whole runs on small random inputs (hypothesis).

(a) the order of the input rows never changes a result; (b) per-group counts add up to the
overall; (c) shares lie in [0, 1] with numerator ≤ denominator; (d) every row read is used or
rejected, and exactly the bad ones are rejected; (e) a KPI over ``--from D --to D+1`` is the same
KPI's period record for D under ``--every day``; (f) ``--every day`` cuts days in the ``--tz`` zone.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hdkpi.ingest.load import read_table
from hdkpi.ingest.normalise import normalise
from hdkpi.model import outside
from hdkpi.run.pipeline import RunOptions, run

from .conftest import write_csv

BASE = datetime(2026, 11, 2, tzinfo=timezone.utc)  # a Monday
DAY = 86400
SPAN = 3 * DAY  # inputs cover about three days
PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEAVY = settings(PROPERTY, max_examples=8)  #: two or four full reports per example

Records = dict[tuple[str, tuple, "str | None"], tuple]  #: (kpi, group values, period) → value, n, num, den


# -- random inputs -------------------------------------------------------------------------------

def iso(seconds: int, start: datetime = BASE) -> str:
    return (start + timedelta(seconds=seconds)).isoformat()


def csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    """A value or an empty cell."""
    return st.one_of(st.just(""), values.map(str))


FLAG = st.sampled_from(["true", "false", ""])


@st.composite
def calls(draw: st.DrawFn, max_size: int = 30, start: datetime = BASE) -> list[dict[str, Any]]:
    """Valid calls, unique ids; answered calls have answered_at = offered_at + wait."""
    rows = []
    for i in range(draw(st.integers(1, max_size))):
        offered = draw(st.integers(0, SPAN))
        outcome = draw(st.sampled_from(["answered", "abandoned", "other"]))
        wait = draw(st.integers(0, 60))
        answered = outcome == "answered"
        rows.append({
            "call_id": f"C{i}", "offered_at": iso(offered, start),
            "answered_at": iso(offered + wait, start) if answered else "",
            "wait_seconds": draw(maybe(st.just(wait))),
            "talk_seconds": draw(maybe(st.integers(0, 600))) if answered else "",
            "outcome": outcome, "queue": draw(st.sampled_from(["q1", "q2", ""])),
            "agent": draw(st.sampled_from(["a1", "a2", ""])),
            "caller_id": draw(st.sampled_from(["k1", "k2", "k3", ""])),
            "transferred": draw(FLAG), "resolved": draw(FLAG),
        })
    return rows


@st.composite
def tickets(draw: st.DrawFn, max_size: int = 25, start: datetime = BASE) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(1, max_size))):
        created = draw(st.integers(0, SPAN))
        resolution = draw(st.one_of(st.none(), st.integers(0, 2 * DAY)))
        response = draw(st.one_of(st.none(), st.integers(0, DAY)))
        rows.append({
            "ticket_id": f"T{i}", "created_at": iso(created, start),
            "first_response_at": iso(created + response, start) if response is not None else "",
            "resolved_at": iso(created + resolution, start) if resolution is not None else "",
            "team": draw(st.sampled_from(["l1", "l2", ""])), "agent": draw(st.sampled_from(["a1", "a2", ""])),
            "requester": draw(st.sampled_from(["r1", "r2", "r3", ""])),
            "replies": draw(maybe(st.integers(0, 3))), "reopens": draw(maybe(st.integers(0, 2))),
            "escalated": draw(st.sampled_from(["true", "false"])), "sla_breached": draw(FLAG),
            "handle_seconds": draw(maybe(st.integers(0, 3600))),
        })
    return rows


@st.composite
def surveys(draw: st.DrawFn, max_size: int = 15, start: datetime = BASE) -> list[dict[str, Any]]:
    return [{"survey_id": f"S{i}", "responded_at": iso(draw(st.integers(0, SPAN)), start),
             "ticket_id": f"T{draw(st.integers(0, 30))}", "agent": draw(st.sampled_from(["a1", "a2", ""])),
             "csat": draw(maybe(st.integers(1, 5))), "nps": draw(maybe(st.integers(0, 10))),
             "ces": draw(maybe(st.integers(1, 7)))}
            for i in range(draw(st.integers(1, max_size)))]


# -- running hdkpi ---------------------------------------------------------------------------------

def report(inputs: dict[str, list[dict[str, Any]]], by: list[str], **options: Any):
    """``hdkpi report`` on the inputs (kind → rows), every KPI computable from them."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.setenv("HDKPI_LOAD_PLUGINS", "0")
        files = [str(write_csv(Path(folder), csv_text(rows), f"{kind}.csv")) for kind, rows in inputs.items()]
        return run(RunOptions(files=files, by=by, tz=options.pop("tz", "UTC"), **options))


def records(inputs: dict[str, list[dict[str, Any]]], by: list[str], **options: Any) -> Records:
    out: Records = {}
    for verdict in report(inputs, by, **options).verdicts:
        r = verdict.result
        out[(r.kpi, tuple(r.group.values()), r.period)] = (r.value, r.n, r.numerator, r.denominator)
    return out


def same(a: tuple, b: tuple) -> bool:
    """Equal figures; floats to within 1e-9 (a mean may be summed in another order)."""

    def equal(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is None and y is None
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)

    return all(equal(x, y) for x, y in zip(a, b))


def both_runs(call_rows, ticket_rows, survey_rows) -> Records:
    """Calls by queue; tickets and surveys by agent (a field of both); every day."""
    return {**records({"calls": call_rows}, ["queue"], every="day"),
            **records({"tickets": ticket_rows, "surveys": survey_rows}, ["agent"], every="day")}


# -- (a) order of rows ---------------------------------------------------------------------------

@HEAVY
@given(calls(), tickets(), surveys(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(call_rows, ticket_rows, survey_rows, rnd):
    before = both_runs(call_rows, ticket_rows, survey_rows)
    shuffled = [rnd.sample(rows, len(rows)) for rows in (call_rows, ticket_rows, survey_rows)]
    after = both_runs(*shuffled)
    assert set(after) == set(before)
    differ = {key: (before[key], after[key]) for key in before if not same(before[key], after[key])}
    assert not differ


# -- (b) group counts add up, (c) shares are shares ----------------------------------------------

@PROPERTY
@given(calls(), tickets())
def test_group_counts_sum_to_the_overall(call_rows, ticket_rows):
    got = {**records({"calls": call_rows}, ["queue"]), **records({"tickets": ticket_rows}, ["team"])}
    for kpi in ("calls_offered", "calls_answered", "calls_abandoned", "ticket_volume", "tickets_resolved"):
        overall = got[(kpi, (), None)][0]
        groups = [figure[0] for (name, group, _), figure in got.items() if name == kpi and group]
        assert groups and sum(groups) == overall, kpi


@HEAVY
@given(calls(), tickets(), surveys())
def test_shares_lie_between_zero_and_one(call_rows, ticket_rows, survey_rows):
    runs = [report({"calls": call_rows}, ["queue"], every="day"),
            report({"tickets": ticket_rows, "surveys": survey_rows}, ["agent"], every="day")]
    shares = [v.result for r in runs for v in r.verdicts if v.result.unit == "share"]
    assert shares
    for r in shares:
        if r.numerator is None:  # a day outside the kind's data: no basis at all (hdkpi.engine.coverage)
            assert r.value is None and outside(r), r
            continue
        assert 0 <= r.numerator <= r.denominator, r
        assert r.n == r.denominator
        if r.value is None:
            assert r.denominator == 0, r
        else:
            assert 0 <= r.value <= 1 and math.isclose(r.value, r.numerator / r.denominator), r


# -- (d) row accounting --------------------------------------------------------------------------

def good_call(i: int, call_id: str) -> dict[str, str]:
    offered = i * 60
    return {"call_id": call_id, "offered_at": iso(offered), "answered_at": iso(offered + 10),
            "wait_seconds": "10", "outcome": "answered"}


def bad_call(kind: str, i: int, last_good: str) -> dict[str, str]:
    row = good_call(i, f"C{i}")
    if kind == "bad date":
        row["offered_at"] = "2026-13-45T99:00:00Z"
    elif kind == "negative wait":
        row["wait_seconds"] = "-5"
    elif kind == "answered before offered":
        row["answered_at"] = iso(i * 60 - 30)  # the given wait stays 10 s: only the order check fails
    else:  # duplicate id: the id of an earlier used row
        row["call_id"] = last_good
    return row


REASON_FIELD = {"bad date": "offered_at", "negative wait": "wait_seconds",
                "answered before offered": "answered_at", "duplicate id": "call_id"}


@PROPERTY
@given(st.lists(st.sampled_from(["good", "good, id of a rejected row", *REASON_FIELD]), min_size=1, max_size=40))
def test_every_row_is_used_or_rejected_and_only_bad_rows_are_rejected(kinds):
    rows, bad_rows, last_good, last_bad = [], {}, None, None
    for i, kind in enumerate(kinds):
        if kind == "good, id of a rejected row" and last_bad is not None:
            rows.append(good_call(i, last_bad))  # §6: the first *valid* occurrence of an id is kept
            last_bad = None
        elif kind.startswith("good") or (kind == "duplicate id" and last_good is None):
            last_good = f"C{i}"
            rows.append(good_call(i, last_good))
        else:
            last_bad = f"C{i}" if kind != "duplicate id" else last_bad
            rows.append(bad_call(kind, i, last_good))
            bad_rows[i + 1] = REASON_FIELD[kind]  # data rows are numbered from 1
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), csv_text(rows), "calls.csv")
        dataset = normalise(read_table(str(path)), kind="calls")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HDKPI_LOAD_PLUGINS", "0")
            result = run(RunOptions(files=[str(path)], kpis=["calls_offered"]))
    summary = result.inputs[0]
    assert summary.read == len(rows) == summary.used + sum(summary.rejected_by_reason.values())
    rejected = dict(zip(dataset.rejects["row"], dataset.rejects["reason"]))
    assert set(rejected) == set(bad_rows)
    for row, reason in rejected.items():
        assert reason.startswith(bad_rows[row]), (row, reason)
    assert result.verdicts[0].result.value == len(rows) - len(bad_rows)  # rejected rows are in no KPI


# -- (e) a window is its period ------------------------------------------------------------------

#: zones and a start of the data such that the three days hold a change of clocks (except UTC, India)
ZONES = {"UTC": BASE, "Europe/London": datetime(2026, 10, 24, tzinfo=timezone.utc),
         "America/New_York": datetime(2026, 10, 31, tzinfo=timezone.utc), "Asia/Kolkata": BASE}


@st.composite
def zoned_inputs(draw: st.DrawFn) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    tz = draw(st.sampled_from(list(ZONES)))
    start = ZONES[tz]
    return tz, {"calls": draw(calls(start=start)), "tickets": draw(tickets(start=start)),
                "surveys": draw(surveys(start=start))}


@HEAVY
@given(zoned_inputs(), st.data())
def test_a_one_day_window_equals_that_days_period(zoned, data):
    tz, inputs = zoned
    results = [v.result for v in report(inputs, [], every="day", tz=tz).verdicts]
    periods = {(r.kpi, tuple(r.group.values()), r.period): (r.value, r.n, r.numerator, r.denominator) for r in results}
    # a day outside a kind's data is no-data in the open run, while --from/--to claim the data covers the
    # window (docs/readings.md, "Partial periods"): those records are not the same figure by design
    beyond = {(r.kpi, tuple(r.group.values()), r.period) for r in results if outside(r)}
    day = data.draw(st.sampled_from(sorted({period for (_, _, period) in periods if period is not None})))
    end = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    window = records(inputs, [], start=day, end=end, tz=tz)  # --from/--to dates are read in --tz
    assert window
    for (kpi, group, _), figure in window.items():
        if (kpi, group, day) in beyond:
            continue
        period = periods[(kpi, group, day)]
        assert same(figure, period) and figure[1] == period[1], (tz, kpi, figure, period)


# -- (f) the reporting zone cuts the days --------------------------------------------------------

def day_of_one_call(instant: datetime, tz: str) -> str:
    rows = [{"call_id": "C1", "offered_at": instant.isoformat(), "outcome": "abandoned", "wait_seconds": "3"}]
    got = records({"calls": rows}, [], every="day", tz=tz, kpis=["calls_offered"])
    return next(period for (_, _, period), figure in got.items() if period is not None and figure[0] == 1)


@PROPERTY
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(timezone.utc)))
@example(datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc))  # 00:30 BST, 2 July
@example(datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc))  # 00:30 GMT, the night clocks go forward
@example(datetime(2026, 10, 24, 23, 0, tzinfo=timezone.utc))  # 00:00 BST, 25 October (first instant)
@example(datetime(2026, 10, 25, 23, 30, tzinfo=timezone.utc))  # 23:30 GMT, the 25-hour day
def test_days_are_cut_in_the_reporting_zone(instant):
    instant = instant.replace(microsecond=0)
    assert day_of_one_call(instant, "UTC") == instant.date().isoformat()
    assert day_of_one_call(instant, "Europe/London") == instant.astimezone(ZoneInfo("Europe/London")).date().isoformat()


def test_late_evening_utc_is_the_next_day_in_london_summer():
    instant = datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc)  # 00:30 BST on 2 July
    assert day_of_one_call(instant, "UTC") == "2026-07-01"
    assert day_of_one_call(instant, "Europe/London") == "2026-07-02"
