"""--ci intervals, significance of comparisons, target confidence and anomalies, worked by hand."""

from __future__ import annotations

import pytest

from hdkpi.run.pipeline import RunOptions, run

from .conftest import write_csv


def calls_csv(tmp_path, days: list[tuple[int, int, int]]):
    """One call per row: (day of November, answered count, abandoned count) → that many calls at 09:00+."""
    rows = ["call_id,offered_at,outcome,wait_seconds"]
    i = 0
    for day, answered, abandoned in days:
        for k in range(answered + abandoned):
            i += 1
            outcome = "answered" if k < answered else "abandoned"
            rows.append(f"{i},2026-11-{day:02d}T09:{k % 60:02d}:{k // 60:02d}Z,{outcome},{10 + k % 7}")
    return write_csv(tmp_path, "\n".join(rows) + "\n", "calls.csv")


def by_key(report, kpi):
    return {(v.result.period): v for v in report.verdicts if v.result.kpi == kpi}


def test_ci_on_shares_and_means(tmp_path):
    path = calls_csv(tmp_path, [(2, 8, 2)])
    r = run(RunOptions(files=[str(path)], kpis=["abandonment_rate", "asa", "max_wait"], ci=0.95))
    res = {v.result.kpi: v.result for v in r.verdicts}
    # abandonment 2/10: Wilson 95 % = (0.0567, 0.5098) (p̂ 0.2, z 1.95996: centre (0.2 + z²/20)/(1 + z²/10))
    assert (res["abandonment_rate"].ci_low, res["abandonment_rate"].ci_high) == pytest.approx((0.05668, 0.50984),
                                                                                               abs=1e-4)
    # asa over the 8 answered waits 10..16, 10 → a t-interval around the mean 12.875; max has none
    assert res["asa"].ci_low < res["asa"].value < res["asa"].ci_high
    assert res["max_wait"].ci_low is None


def test_a_target_with_confidence_fails_only_on_a_significant_miss(tmp_path):
    path = calls_csv(tmp_path, [(2, 8, 2)])
    targets = write_csv(tmp_path, 'targets:\n  abandonment_rate: {fail: "< 10%", confidence: 0.95}\n',
                        "targets.yaml")
    r = run(RunOptions(files=[str(path)], kpis=["abandonment_rate"], targets_path=str(targets)))
    (v,) = r.verdicts
    # 20 % misses "< 10 %", but the interval (5.7 %, 51.0 %) straddles 10 %: warn, not significant
    assert v.status == "warn" and any("not significant (n=10" in note for note in v.result.notes)
    big = calls_csv(tmp_path, [(2, 160, 40)])  # 40/200 = 20 %: Wilson (15.0 %, 26.1 %), wholly above 10 %
    r = run(RunOptions(files=[str(big)], kpis=["abandonment_rate"], targets_path=str(targets)))
    assert r.verdicts[0].status == "fail"


def test_changes_carry_a_p_value(tmp_path):
    path = calls_csv(tmp_path, [(2, 90, 10), (3, 70, 30)])
    r = run(RunOptions(files=[str(path)], kpis=["abandonment_rate"], every="day", compare="previous"))
    day = by_key(r, "abandonment_rate")["2026-11-03"].result
    # 30/100 vs 10/100: pooled p̂ 0.2, se √(0.2·0.8·(2/100)) = 0.05657, z = 0.2/0.05657 = 3.536 → p = 0.00041
    assert day.compare.p_value == pytest.approx(0.000407, abs=2e-5) and day.compare.significant


def test_anomalous_periods_are_flagged(tmp_path):
    # ten quiet days of 1 abandon in 20 calls (5 %), then one day with 10 of 20 (50 %)
    days = [(d, 19, 1) for d in range(2, 12)] + [(12, 10, 10)]
    path = calls_csv(tmp_path, days)
    r = run(RunOptions(files=[str(path)], kpis=["abandonment_rate"], every="day"))
    flags = {p: v.result.anomaly for p, v in by_key(r, "abandonment_rate").items() if p}
    assert flags["2026-11-12"] is True
    assert not any(flag for p, flag in flags.items() if p != "2026-11-12")
