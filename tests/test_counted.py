"""Counts and shares by np.bincount (measures._counted) give exactly what a groupby gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdkpi.engine.compute import in_order
from hdkpi.engine.measures import Count, Share, _counted, _groupby


def _by_groupby(columns, keys):
    return _groupby(pd.DataFrame(columns), keys).sum()


def test_hand_worked_share_by_queue_and_period():
    """Five calls: queue a (periods 0, 0, 1), b (period 1), missing queue (period 0);
    answered in time: rows 0, 2, 4.  a×0 = 1/2, a×1 = 1/1, b×1 = 0/1, missing×0 = 1/1."""
    queue = pd.Series(pd.Categorical(["a", "a", "a", "b", None], categories=["a", "b", "c"]))
    period = pd.Series([0, 0, 1, 1, 0], dtype="int64")
    num = pd.Series([True, False, True, False, True])
    den = pd.Series([True] * 5)
    table = Share(num, den).table([queue, period]).sort_index()
    got = {(q if isinstance(q, str) else None, p): (v, n) for (q, p), v, n in
           zip(table.index, table["value"], table["n"])}
    assert got == {("a", 0): (0.5, 2), ("a", 1): (1.0, 1), ("b", 1): (0.0, 1), (None, 0): (1.0, 1)}
    # c has no rows: no row for it (groups come from the rows)
    assert "c" not in table.index.get_level_values(0)


def test_keys_that_are_not_codes_fall_back():
    text = pd.Series(["a", "b", "a"], dtype="str")
    flags = pd.Series([True, False, True])
    assert _counted({"c": flags}, [text]) is None
    table = Count(flags).table([text]).sort_index()
    assert table["value"].tolist() == [2.0, 0.0]  # a: rows 0 and 2; b: none of its one row


def test_outside_every_period_is_a_group_too():
    """The period position is -1 for a row outside every period; a groupby keeps it as a group."""
    period = pd.Series([-1, 0, 0, 2], dtype="int64")
    flags = pd.Series([True, True, False, True])
    got = _counted({"c": flags}, [period])
    assert got.index.tolist() == [-1, 0, 2] and got["c"].tolist() == [1, 1, 1]
    pd.testing.assert_frame_equal(got, _by_groupby({"c": flags}, [period]).sort_index())


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["x", "y", "z", None]), st.sampled_from(["08", "09", None]),
                               st.integers(-1, 4), st.booleans(), st.booleans()), max_size=40),
       shape=st.sampled_from(["queue", "queue+period", "hour+queue+period", "period"]),
       ordered=st.booleans())
def test_same_table_as_groupby(rows, shape, ordered):
    queue = pd.Series(pd.Categorical([r[0] for r in rows], categories=["x", "y", "z", "w"]), dtype="category")
    hour = pd.Series(pd.Categorical([r[1] for r in rows], categories=["08", "09", "10"], ordered=ordered))
    period = pd.Series(np.array([r[2] for r in rows], dtype="int64"))
    keys = {"queue": [queue], "queue+period": [queue, period], "hour+queue+period": [hour, queue, period],
            "period": [period]}[shape]
    columns = {"num": pd.Series([r[3] and r[4] for r in rows], dtype=bool),
               "den": pd.Series([r[4] for r in rows], dtype=bool)}
    got = _counted(columns, keys)
    assert got is not None  # (the engine sorts or reindexes every table, so the row order is not compared)
    pd.testing.assert_frame_equal(in_order(got), in_order(_by_groupby(columns, keys)), check_index_type=True)


@pytest.mark.parametrize("size", [0, 1])
def test_tiny_frames(size):
    queue = pd.Series(pd.Categorical(["a"] * size, categories=["a"]))
    flags = pd.Series([True] * size, dtype=bool)
    got = _counted({"c": flags}, [queue])
    pd.testing.assert_frame_equal(in_order(got), in_order(_by_groupby({"c": flags}, [queue])), check_index_type=True)


def test_reports_are_the_same_either_way(tmp_path, monkeypatch):
    """Whole runs with an empty group and a period: the records, in order, with and without bincount."""
    import hdkpi.engine.measures
    from hdkpi.run.pipeline import RunOptions, run

    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at,wait_seconds,outcome,queue\n"
                    "C1,2026-11-02T09:00:00Z,5,answered,b\nC2,2026-11-02T09:01:00Z,50,answered,\n"
                    "C3,2026-11-03T09:02:00Z,5,abandoned,a\nC4,2026-11-03T10:00:00Z,25,answered,b\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def records():
        report = run(RunOptions(files=[str(path)], by=["queue", "hour"], every="day",
                                kpis=["calls_offered", "service_level", "abandonment_rate"]))
        return [(v.result.kpi, v.result.group, v.result.period, v.result.value, v.result.n) for v in report.verdicts]

    fast = records()
    monkeypatch.setattr(hdkpi.engine.measures, "_counted", lambda columns, keys: None)
    assert fast == records()
    # service level of queue b on 2026-11-03: C4 answered after 25 s > 20 s: 0/1
    assert ("service_level", {"queue": "b", "hour": "10"}, "2026-11-03", 0.0, 1) in fast


@pytest.mark.parametrize("first", ["", "b"])
def test_an_empty_group_comes_last_whichever_row_comes_first(tmp_path, monkeypatch, first):
    """Groups in order of their values, the empty value last — also when the export's first row has it."""
    from hdkpi.run.pipeline import RunOptions, run

    rows = ["C1,2026-11-02T09:00:00Z,5,answered,", "C2,2026-11-02T09:01:00Z,5,answered,b",
            "C3,2026-11-02T09:02:00Z,5,answered,a"]
    if first:
        rows = rows[1:] + rows[:1]
    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at,wait_seconds,outcome,queue\n" + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = run(RunOptions(files=[str(path)], by=["queue"], kpis=["calls_offered"]))
    assert [v.result.group.get("queue", "all") for v in report.verdicts] == ["all", "a", "b", None]
