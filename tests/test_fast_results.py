"""The column-wise record building of compute, evaluate, significance and the JSON document, worked by hand.

These paths build one record per (KPI, group, period) without a Python object per step; the cases
here pin what they must keep from the record-by-record code: empty figures, labels, independent
notes, per-record confidence judgements and the JSON values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hdkpi.document import _number, report_doc, result_doc
from hdkpi.engine.compute import _label, _product, _rows
from hdkpi.engine.measures import Count, Mean
from hdkpi.engine.slicing import make_periods
from hdkpi.model import Report, Result, Target, Threshold, Verdict
from hdkpi.run.pipeline import RunOptions, run
from hdkpi.stats.significance import flag_anomalies
from hdkpi.targets.evaluate import evaluate, judge

from .conftest import write_csv

CALLS = """\
call_id,offered_at,wait_seconds,outcome,queue
1,2026-11-02T09:00:00Z,10,answered,billing
2,2026-11-02T10:00:00Z,30,abandoned,billing
3,2026-11-02T11:00:00Z,50,answered,tech
4,2026-11-04T09:00:00Z,20,answered,tech
5,2026-11-04T10:00:00Z,40,answered,tech
"""
# Days (UTC): 11-02 → calls 1, 2 (billing), 3 (tech); 11-03 → none; 11-04 → calls 4, 5 (tech).


def _record(report, kpi, period, **group):
    found = [v.result for v in report.verdicts
             if v.result.kpi == kpi and v.result.period == period and v.result.group == group]
    assert len(found) == 1
    return found[0]


def test_a_group_without_rows_in_a_period_gets_the_measures_empty_figure(tmp_path):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    report = run(RunOptions(files=[str(path)], kpis=["calls_offered", "asa", "abandonment_rate"],
                            by=["queue"], every="day"))
    # billing has no calls on 11-03 nor 11-04: a count of nothing is 0 (Count.empty: 0.0, n 0) …
    offered = _record(report, "calls_offered", "2026-11-04", queue="billing")
    assert (offered.value, offered.n, offered.notes) == (0.0, 0, [])
    # … a mean of nothing is no-data, with the measure's note (Mean "of" answered calls with a wait) …
    asa = _record(report, "asa", "2026-11-03", queue="billing")
    assert (asa.value, asa.n, asa.std) == (None, 0, None)
    assert asa.notes == ["no answered calls with a wait"]
    # … and a share of nothing keeps its 0 / 0 basis (Share.empty)
    rate = _record(report, "abandonment_rate", "2026-11-04", queue="billing")
    assert (rate.value, rate.n, rate.numerator, rate.denominator) == (None, 0, 0.0, 0.0)
    assert rate.notes == ["no calls offered"]
    # a group with rows: tech 11-04 asa = (20 + 40) / 2 = 30 s over 2 calls, std of {20, 40} = √200
    tech = _record(report, "asa", "2026-11-04", queue="tech")
    assert (tech.value, tech.n) == (30.0, 2) and tech.std == pytest.approx(math.sqrt(200))
    # billing 11-02: 1 abandoned (call 2) of 2 offered → 0.5
    billing = _record(report, "abandonment_rate", "2026-11-02", queue="billing")
    assert (billing.value, billing.numerator, billing.denominator, billing.n) == (0.5, 1.0, 2.0, 2)
    # every group × every day: 2 queues × 3 days per KPI, each record its own group dict
    both = [v.result for v in report.verdicts if v.result.kpi == "asa" and v.result.group and v.result.period]
    assert len(both) == 6 and len({id(r.group) for r in both}) == 6


def _template() -> Result:
    return Result(kpi="k", title="K", unit="count", direction="higher", value=None, n=0, method="m",
                  settings={"s": 1})


def test_labels_of_bool_float_and_upcast_integer_group_values():
    # a measure table indexed by (flag, size, period position), as Count.table gives it
    index = pd.MultiIndex.from_tuples([(True, 2.0, 0), (False, 2.5, 1), (np.nan, np.nan, 0)])
    table = pd.DataFrame({"value": [3.0, 1.0, 2.0], "n": [3, 1, 2], "numerator": np.nan,
                          "denominator": np.nan, "std": np.nan}, index=index)
    periods = make_periods("day", pd.Timestamp("2026-11-02", tz="UTC").to_pydatetime(),
                           pd.Timestamp("2026-11-03T12:00", tz="UTC").to_pydatetime(), "UTC", 0)
    rows = _rows(table, ["flag", "size"], periods, _template(), Count(pd.Series([], dtype=bool)))
    # bools print as true/false, whole floats without ".0" (2.0 → "2"), a missing value is None
    assert [r.group for r in rows] == [{"flag": "true", "size": "2"}, {"flag": "false", "size": "2.5"},
                                       {"flag": None, "size": None}]
    assert [r.period for r in rows] == ["2026-11-02", "2026-11-03", "2026-11-02"]
    assert [(r.value, r.n) for r in rows] == [(3.0, 3), (1.0, 1), (2.0, 2)]
    # integers with a missing value among them come out of the index as floats: 7 → 7.0 → "7"
    index = pd.MultiIndex.from_arrays([[7, np.nan], [0, 0]])
    table = pd.DataFrame({"value": [1.0, 1.0], "n": [1, 1], "numerator": np.nan, "denominator": np.nan,
                          "std": np.nan}, index=index)
    rows = _rows(table, ["team"], periods, _template(), Count(pd.Series([], dtype=bool)))
    assert [r.group for r in rows] == [{"team": "7"}, {"team": None}]
    # one dimension and no periods: a plain index, labelled value by value the same way
    table = pd.DataFrame({"value": [4.0, 5.0], "n": [4, 5], "numerator": np.nan, "denominator": np.nan,
                          "std": np.nan}, index=pd.Index([False, True]))
    rows = _rows(table, ["flag"], None, _template(), Count(pd.Series([], dtype=bool)))
    assert [(r.group, r.period, r.value) for r in rows] == [({"flag": "false"}, None, 4.0),
                                                            ({"flag": "true"}, None, 5.0)]
    assert [_label(x) for x in (True, 3.0, 3.5, None, float("nan"), "x")] == ["true", "3", "3.5", None, None, "x"]


def test_every_record_has_its_own_notes():
    # a mean table: group a has values (mean 5), group b had none (NaN value), group c no rows (NaN n)
    table = pd.DataFrame({"value": [5.0, np.nan, np.nan], "n": [2.0, 0.0, np.nan], "numerator": np.nan,
                          "denominator": np.nan, "std": [1.0, np.nan, np.nan]}, index=pd.Index(["a", "b", "c"]))
    measure = Mean(pd.Series([], dtype=float), of="waits")
    measure.notes = ["from the tickets"]
    rows = _rows(table, ["queue"], None, _template(), measure)
    assert [r.notes for r in rows] == [["from the tickets"], ["from the tickets", "no waits"],
                                       ["from the tickets", "no waits"]]
    assert [(r.value, r.n, r.std) for r in rows] == [(5.0, 2, 1.0), (None, 0, None), (None, 0, None)]
    assert len({id(r.notes) for r in rows} | {id(measure.notes)}) == 4
    rows[0].notes.append("changed")  # what evaluate does for a record under min_volume
    assert rows[1].notes == ["from the tickets", "no waits"] and measure.notes == ["from the tickets"]
    # evaluate appends the min_volume note to the record below it only: a has n 2 < 3, b has no value
    target = Target(kpi="k", fail=Threshold(">= 1", ">=", 1.0), min_volume=3)
    verdicts = evaluate(rows, [target])
    assert [v.status for v in verdicts] == ["no-data", "no-data", "no-data"]
    assert rows[0].notes == ["from the tickets", "changed", "n=2 < min_volume 3"]
    assert rows[1].notes == ["from the tickets", "no waits"]


def _share(numerator: float, denominator: float, **group: str) -> Result:
    return Result(kpi="fcr", title="FCR", unit="share", direction="higher", value=numerator / denominator,
                  n=int(denominator), numerator=numerator, denominator=denominator, group=dict(group))


def test_confidence_targets_are_judged_as_one_record_at_a_time_would_be():
    target = Target(kpi="fcr", fail=Threshold(">= 80%", ">=", 0.8), confidence=0.95)
    # Wilson 95 % (z = 1.96): 45/50 → centre (0.9 + z²/100) / (1 + z²/50) = 0.9384 / 1.0768 = 0.8715,
    # half-width z·√(0.9·0.1/50 + z²/10⁴) / 1.0768 = 1.96 · 0.04673 / 1.0768 = 0.0851 → [0.786, 0.957]:
    # it straddles 0.80, so warn; 10/50 → [0.112, 0.330], wholly below: fail; 49/50 → [0.895, 0.996]: pass
    results = [_share(45, 50, team="a"), _share(10, 50, team="b"), _share(49, 50, team="c")]
    # a mean with its t-interval: 10 ± t(0.975, 9)·3/√10 = 10 ± 2.2622 · 0.9487 = [7.854, 12.146]
    mean_target = Target(kpi="aht", fail=Threshold("<= 11", "<=", 11.0), confidence=0.95)
    mean = Result(kpi="aht", title="AHT", unit="seconds", direction="lower", value=10.0, n=10, std=3.0)
    verdicts = evaluate([*results, mean], [target, mean_target])
    assert [v.status for v in verdicts] == ["warn", "fail", "pass", "warn"]
    assert (results[0].ci_low, results[0].ci_high) == pytest.approx((0.7864, 0.9565), abs=5e-4)
    assert (results[1].ci_low, results[1].ci_high) == pytest.approx((0.1124, 0.3304), abs=5e-4)
    assert (mean.ci_low, mean.ci_high) == pytest.approx((7.854, 12.146), abs=1e-3)
    assert results[0].notes == ["not significant (n=50, 95% interval 0.7864–0.9565 straddles >= 80%)"]
    # the same bits as judging each record alone (judge → judge_with_confidence, one probe each)
    alone = [_share(45, 50, team="a"), _share(10, 50, team="b"), _share(49, 50, team="c")]
    assert [judge(r, target) for r in alone] == ["warn", "fail", "pass"]
    assert [(r.ci_low, r.ci_high, r.notes) for r in alone] == [(r.ci_low, r.ci_high, r.notes) for r in results]


def test_per_segment_targets_and_kpis_without_a_target():
    # fcr by team: a >= 90 %, b >= 50 %, others (default) >= 70 %; a record without a team is not judged
    target = Target(kpi="fcr", by="team", segments={
        "a": Target(kpi="fcr", fail=Threshold(">= 90%", ">=", 0.9)),
        "b": Target(kpi="fcr", fail=Threshold(">= 50%", ">=", 0.5), warn=Threshold(">= 60%", ">=", 0.6)),
        "default": Target(kpi="fcr", fail=Threshold(">= 70%", ">=", 0.7))})
    results = [_share(8, 10, team="a"), _share(11, 20, team="b"), _share(3, 4, team="z"), _share(1, 2),
               Result(kpi="asa", title="ASA", unit="seconds", direction="lower", value=None, n=0)]
    verdicts = evaluate(results, [target])
    # a: 0.8 < 0.9 fail; b: 0.55 ≥ 0.5 but < 0.6 warn; z (default): 0.75 ≥ 0.7 pass; no team: no status;
    # asa has no target and no value: no-data
    assert [v.status for v in verdicts] == ["fail", "warn", "pass", None, "no-data"]
    assert [v.target is None for v in verdicts] == [False, False, False, True, True]


def _point(kpi: str, period: str, value: float | None, **group: str) -> Result:
    return Result(kpi=kpi, title=kpi, unit="seconds", direction="lower", value=value, n=1, group=dict(group),
                  period=period)


def test_anomalies_per_series_with_interleaved_records():
    values = [10, 12, 10, 12, 10, 12, 10, 12, 11, 30]
    # the 9th value, 11: the 8 before have mean 11 and σ √(8/7) = 1.07, |11 − 11| = 0: not flagged.
    # the 10th, 30: the 8 before (12 10 12 10 12 10 12 11) have mean 89/8 = 11.125 and
    # σ = √(6.875/7) = 0.991, 3σ = 2.97 < |30 − 11.125| = 18.875: flagged.
    results = []
    for day, x in enumerate(values):
        period = f"2026-11-{day + 1:02d}"
        # the same series in two shapes of group dict (order of keys), another series, an overall record
        results.append(_point("asa", period, float(x), queue="q", site="s") if day % 2 else
                       _point("asa", period, float(x), site="s", queue="q"))
        results.append(_point("asa", period, 5.0, queue="other", site="s"))
        results.append(_point("aht", period, None if day == 3 else float(x), queue="q", site="s"))
    results.append(Result(kpi="asa", title="asa", unit="seconds", direction="lower", value=1.0, n=1))
    flag_anomalies(results, window=8)
    asa = [r.anomaly for r in results if r.kpi == "asa" and r.group.get("queue") == "q"]
    assert asa == [False] * 9 + [True]
    # a flat series is never flagged; an overall record (no period) is in no series
    assert not any(r.anomaly for r in results if r.group.get("queue") == "other") and not results[-1].anomaly
    # aht has a gap on the 4th day: it is skipped, so 11 has only 7 values before it (not judged) and
    # 30 is judged on 10 12 10 10 12 10 12 11: mean 87/8 = 10.875, σ = √(6.875/7) = 0.991 → flagged
    assert [r.anomaly for r in results if r.kpi == "aht"] == [False] * 9 + [True]


def test_json_records_equal_result_doc_and_share_settings_documents():
    settings = {"threshold": 20.0, "name": "x", "flag": True}
    target = Target(kpi="asa", fail=Threshold("<= 30s", "<=", 30.0), warn=Threshold("<= 20s", "<=", 20.0))
    results = [Result(kpi="asa", title="ASA", unit="seconds", direction="lower", value=v, n=2, settings=settings,
                      group={"queue": q}, period="2026-11-02", notes=["n"], numerator=num)
               for v, q, num in ((12.5, "a", 25.0), (40.0, "b", None), (None, "c", 0.0))]
    verdicts = [Verdict(results[0], target, "pass"), Verdict(results[1], target, "fail"),
                Verdict(results[2], None, "no-data")]
    report = Report(verdicts=verdicts, inputs=[], settings=settings)
    doc = report_doc(report)
    assert doc["results"] == [result_doc(v) for v in verdicts]
    first, second, third = doc["results"]
    # whole floats become ints (40.0 → 40, 25.0 → 25), 12.5 stays, None stays None; settings 20.0 → 20
    assert (first["value"], first["numerator"], second["value"], third["value"]) == (12.5, 25, 40, None)
    assert first["settings"] == {"threshold": 20, "name": "x", "flag": True}
    assert first["target"]["levels"][1] == {"text": "<= 20s", "op": "<=", "threshold": 20.0, "severity": "warn"}
    assert third["target"] is None
    # the records' own parts are copies: changing them does not touch the results
    first["group"]["queue"] = "changed"
    first["notes"].append("changed")
    assert results[0].group == {"queue": "a"} and results[0].notes == ["n"]


@pytest.mark.parametrize(("x", "expected"), [
    (None, None), (3.0, 3), (-0.0, 0), (2.5, 2.5), (float("nan"), None), (float("inf"), None),
    (float(2**53), float(2**53)), (float(2**53 - 1), 2**53 - 1), (7, 7), (True, 1), (np.float64(1.5), 1.5),
    (np.float64("nan"), None), (np.int64(4), 4)])
def test_number(x, expected):
    out = _number(x)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("groups", [
    pd.Index(["b", None, "a"]), pd.Index([True, False]), pd.Index([1.0, np.nan]),
    pd.MultiIndex.from_tuples([("a", True), ("b", np.nan)])])
def test_product_is_from_tuples(groups):
    # 2 or 3 groups × 3 periods, group by group: the index from_tuples builds from (group…, position)
    expected = pd.MultiIndex.from_tuples([(*(g if isinstance(g, tuple) else (g,)), p)
                                          for g in groups for p in range(3)])
    got = _product(groups, range(3))
    assert got.equals(expected) and len(got) == 3 * len(groups)
    assert [level.dtype for level in got.levels] == [level.dtype for level in expected.levels]
    assert all((a == b).all() for a, b in zip(got.codes, expected.codes))


def test_result_fields_keep_the_order_compute_passes_them_in():
    # hdkpi.engine.compute._records builds each Result with positional arguments, in this order
    from dataclasses import fields

    assert [f.name for f in fields(Result)][:15] == [
        "kpi", "title", "unit", "direction", "value", "n", "numerator", "denominator", "method", "group",
        "period", "notes", "settings", "compare", "std"]


def test_a_window_without_records_has_period_rows_and_no_group_rows(tmp_path):
    # C1 is on 10-30, three days before the window (the day before 11-02): no queue has a record in it,
    # so there is no group row and no group × day row, while the day itself is there (0 calls, asa no-data)
    path = write_csv(tmp_path, "call_id,offered_at,wait_seconds,outcome,queue\n"
                               "C1,2026-10-30T09:00:00Z,5,answered,a\n", "calls.csv")
    report = run(RunOptions(files=[str(path)], kpis=["calls_offered", "asa"], by=["queue"], every="day",
                            start="2026-11-01", end="2026-11-02"))
    records = [(v.result.kpi, v.result.group, v.result.period, v.result.value, v.result.n) for v in report.verdicts]
    assert records == [("calls_offered", {}, None, 0.0, 0), ("calls_offered", {}, "2026-11-01", 0.0, 0),
                       ("asa", {}, None, None, 0), ("asa", {}, "2026-11-01", None, 0)]
    assert _product(pd.Index([], dtype=object), range(2)).nlevels == 2 and len(_product(pd.Index([]), range(2))) == 0
