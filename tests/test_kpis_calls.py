"""Call KPIs (KPI_SPEC §3 "Calls", §6 "Calls") on tiny inline datasets worked out by hand.

Every expected value is derived from the spec, not from the code; the arithmetic is in the
comment next to each assertion. Shares are fractions 0–1 (40 % → 0.4).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hdkpi.engine.registry import builtin_registry
from hdkpi.engine.select import Window, parse_bound
from hdkpi.targets.settings import SERVICE_LEVEL_FORMULAS

from .conftest import kpi_result, load_csv

CALL_KPIS = (
    "calls_offered", "calls_answered", "calls_abandoned", "short_abandons", "asa", "abandonment_rate",
    "service_level", "avg_wait_time", "avg_abandon_time", "max_wait", "aht", "avg_talk_time",
    "transfer_rate", "call_fcr", "intervals_meeting(service_level, 30m)",
)
COUNTS = ("calls_offered", "calls_answered", "calls_abandoned", "short_abandons")


def check(result, value, n, numerator=None, denominator=None, method=None):
    """Value (approx), n, and numerator/denominator/method when given."""
    assert result.value == pytest.approx(value), (result.kpi, result.value, result.notes)
    assert result.n == n, (result.kpi, result.n)
    if numerator is not None:
        assert result.numerator == numerator, (result.kpi, result.numerator)
    if denominator is not None:
        assert result.denominator == denominator, (result.kpi, result.denominator)
    if method is not None:
        assert result.method == method, (result.kpi, result.method)


def no_data(result, *words):
    """value None (never 0) with a note; each of ``words`` appears in the notes."""
    assert result.value is None, (result.kpi, result.value)
    assert result.notes, f"{result.kpi}: no-data without a note"
    text = " ".join(result.notes)
    for word in words:
        assert word in text, (result.kpi, result.notes)


def frames_of(tmp_path: Path, text: str) -> dict[str, pd.DataFrame]:
    return {"calls": load_csv(tmp_path, text, kind="calls").frame}


def test_every_registered_call_kpi_is_covered_here():
    registered = {k.name for k in builtin_registry() if k.kind == "calls"}
    assert registered == {name.split("(")[0] for name in CALL_KPIS}


# -- the main mixed dataset: one queue, every outcome -------------------------------------

MIXED = """\
call_id,offered_at,queue,caller_id,outcome,wait_seconds,talk_seconds,hold_seconds,acw_seconds,transferred,resolved
1,2026-11-02T08:00:00Z,billing,c1,answered,10,100,20,30,false,true
2,2026-11-02T08:05:00Z,billing,c2,answered,20,200,0,10,true,false
3,2026-11-02T08:10:00Z,billing,c3,answered,40,300,,,false,true
4,2026-11-02T08:15:00Z,billing,c4,answered,25,,,,,false
5,2026-11-02T08:20:00Z,billing,c5,abandoned,3,,,,,true
6,2026-11-02T08:25:00Z,billing,c6,abandoned,5,,,,,
7,2026-11-02T08:30:00Z,billing,c7,abandoned,30,,,,true,
8,2026-11-02T08:35:00Z,billing,c8,abandoned,15,,,,,
9,2026-11-02T08:40:00Z,billing,c9,other,60,45,,,,
10,2026-11-02T08:45:00Z,billing,c10,answered,0,60,0,0,false,true
"""
# answered: 1,2,3,4,10 (waits 10,20,40,25,0); abandoned: 5,6,7,8 (waits 3,5,30,15); other: 9 (wait 60)


@pytest.fixture
def mixed(tmp_path):
    return frames_of(tmp_path, MIXED)


def test_mixed_counts(mixed):
    check(kpi_result(mixed, "calls_offered"), 10, 10)  # 10 rows (other included)
    check(kpi_result(mixed, "calls_answered"), 5, 5)  # rows 1,2,3,4,10
    check(kpi_result(mixed, "calls_abandoned"), 4, 4)  # rows 5,6,7,8; short_abandon 0 s → none short
    check(kpi_result(mixed, "short_abandons"), 0, 0)  # wait < 0 s: none


def test_mixed_asa(mixed):
    check(kpi_result(mixed, "asa"), 19.0, 5)  # answered waits 10+20+40+25+0 = 95 / 5 = 19.0 s


def test_mixed_abandonment_rate(mixed):
    # abandoned 4 / (offered 10 − short 0) = 0.40
    check(kpi_result(mixed, "abandonment_rate"), 0.4, 10, numerator=4, denominator=10)


def test_mixed_service_level_default_formula_is_offered(mixed):
    # answered with wait ≤ 20: rows 1 (10), 2 (20, inclusive), 10 (0) = 3 / offered 10 = 0.30
    check(kpi_result(mixed, "service_level"), 0.3, 10, numerator=3, denominator=10, method="offered, T=20s")


@pytest.mark.parametrize(("formula", "value", "numerator", "denominator"), [
    # 3 answered ≤ 20 s / offered 10 = 0.30
    ("offered", 0.3, 3, 10),
    # 3 answered ≤ 20 s / answered 5 = 0.60
    ("answered", 0.6, 3, 5),
    # abandons with wait ≤ 20: rows 5 (3), 6 (5), 8 (15) = 3 → 3 / (10 − 3 = 7) = 0.428571
    ("exclude_abandoned_in_threshold", 3 / 7, 3, 7),
    # (3 answered ≤ 20 + 3 abandoned ≤ 20) = 6 / offered 10 = 0.60
    ("abandoned_in_threshold_met", 0.6, 6, 10),
])
def test_mixed_service_level_formulas(mixed, formula, value, numerator, denominator):
    result = kpi_result(mixed, "service_level", settings={"service_level_formula": formula})
    check(result, value, denominator, numerator=numerator, denominator=denominator, method=f"{formula}, T=20s")


def test_all_four_formulas_are_tested():
    assert set(SERVICE_LEVEL_FORMULAS) == {
        "offered", "answered", "exclude_abandoned_in_threshold", "abandoned_in_threshold_met"}


def test_mixed_service_level_threshold_parameter(mixed):
    # T = 30: answered waits ≤ 30: 10, 20, 25, 0 = 4 (40 is out) / offered 10 = 0.40
    check(kpi_result(mixed, "service_level(30s)"), 0.4, 10, numerator=4, denominator=10, method="offered, T=30s")
    # T = 40 (inclusive): all 5 answered / 10 = 0.50
    check(kpi_result(mixed, "service_level(40s)"), 0.5, 10, numerator=5, denominator=10, method="offered, T=40s")


def test_mixed_service_level_threshold_setting_and_parameter_wins(mixed):
    # setting T = 30 s: 4 / 10 = 0.40 (as above)
    check(kpi_result(mixed, "service_level", settings={"service_level_threshold": 30.0}),
          0.4, 10, numerator=4, denominator=10, method="offered, T=30s")
    # the parameter overrides the setting: T = 40 s → 5 / 10 = 0.50
    check(kpi_result(mixed, "service_level(40s)", settings={"service_level_threshold": 30.0}),
          0.5, 10, numerator=5, denominator=10, method="offered, T=40s")
    # answered formula with T = 30 s: 4 / answered 5 = 0.80
    check(kpi_result(mixed, "service_level(30s)", settings={"service_level_formula": "answered"}),
          0.8, 5, numerator=4, denominator=5, method="answered, T=30s")


def test_mixed_waits(mixed):
    # all offered waits 10+20+40+25+3+5+30+15+60+0 = 208 / 10 = 20.8 s ('other' included)
    check(kpi_result(mixed, "avg_wait_time"), 20.8, 10)
    # abandoned waits 3+5+30+15 = 53 / 4 = 13.25 s
    check(kpi_result(mixed, "avg_abandon_time"), 13.25, 4)
    # max over all 10 waits = 60 s (the 'other' call)
    check(kpi_result(mixed, "max_wait"), 60.0, 10)


def test_mixed_handle_times(mixed):
    # answered handle: 100+20+30=150, 200+0+10=210, 300+0+0=300, row 4 nothing = 0, 60+0+0=60
    # → 150+210+300+0+60 = 720 / 5 = 144 s (row 9 'other' with talk 45 is not answered: out)
    check(kpi_result(mixed, "aht"), 144.0, 5)
    # answered calls with a talk value: 100+200+300+60 = 660 / 4 = 165 s (row 4 has none)
    check(kpi_result(mixed, "avg_talk_time"), 165.0, 4)


def test_mixed_transfer_rate(mixed):
    # transferred among answered: row 2 only (row 7 is abandoned, row 4 empty = not) → 1 / 5 = 0.20
    check(kpi_result(mixed, "transfer_rate"), 0.2, 5, numerator=1, denominator=5)


def test_mixed_call_fcr_resolved_flag(mixed):
    # answered resolved flags: 1 T, 2 F, 3 T, 4 F, 10 T → 3 / 5 = 0.60 (row 5 abandoned: out)
    check(kpi_result(mixed, "call_fcr"), 0.6, 5, numerator=3, denominator=5, method="resolved flag")


def test_one_queue_gives_the_same_figures_as_no_queue_column(tmp_path):
    one_queue = frames_of(tmp_path, MIXED)
    assert one_queue["calls"]["queue"].unique().tolist() == ["billing"]
    without = frames_of(tmp_path, "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != 2) for line in MIXED.splitlines()) + "\n")
    assert "queue" not in without["calls"]
    for name in CALL_KPIS:
        a, b = kpi_result(one_queue, name), kpi_result(without, name)
        assert (a.value, a.n, a.numerator, a.denominator) == (b.value, b.n, b.numerator, b.denominator), name


# -- short abandons ------------------------------------------------------------------------

SHORT = {"short_abandon": 5.0}


def test_short_abandons_are_strictly_below_the_setting(mixed):
    # abandons 3, 5, 30, 15 with short_abandon 5 s: only 3 < 5 is short; 5 is NOT (strict)
    check(kpi_result(mixed, "short_abandons", settings=SHORT), 1, 1)
    check(kpi_result(mixed, "calls_abandoned", settings=SHORT), 3, 3)  # 5, 30, 15
    check(kpi_result(mixed, "calls_offered", settings=SHORT), 10, 10)  # offered still counts every row


def test_short_abandons_leave_the_denominators(mixed):
    # abandonment: 3 / (10 − 1) = 3/9 = 0.3333
    check(kpi_result(mixed, "abandonment_rate", settings=SHORT), 3 / 9, 9, numerator=3, denominator=9)
    # service level (offered): 3 answered ≤ 20 / (10 − 1) = 3/9
    check(kpi_result(mixed, "service_level", settings=SHORT), 3 / 9, 9, numerator=3, denominator=9)
    # answered formula ignores abandons: 3 / 5
    check(kpi_result(mixed, "service_level", settings={**SHORT, "service_level_formula": "answered"}),
          0.6, 5, numerator=3, denominator=5)
    # avg_abandon_time: counted abandons only: 5+30+15 = 50 / 3 = 16.667 s
    check(kpi_result(mixed, "avg_abandon_time", settings=SHORT), 50 / 3, 3)
    # avg_wait_time and max_wait still cover all offered calls: 208 / 10, max 60
    check(kpi_result(mixed, "avg_wait_time", settings=SHORT), 20.8, 10)
    check(kpi_result(mixed, "max_wait", settings=SHORT), 60.0, 10)
    # asa is over answered calls only: unchanged 95 / 5 = 19 s
    check(kpi_result(mixed, "asa", settings=SHORT), 19.0, 5)


def test_exclude_abandoned_in_threshold_removes_short_or_within_once(mixed):
    formula = {"service_level_formula": "exclude_abandoned_in_threshold"}
    # short_abandon 5: removed = short {3} ∪ within ≤ 20 {3, 5, 15} = 3 calls → 3 / (10 − 3) = 3/7
    check(kpi_result(mixed, "service_level", settings={**SHORT, **formula}), 3 / 7, 7, numerator=3, denominator=7)
    # short_abandon 35: short {3, 5, 30, 15} ∪ within {3, 5, 15} = 4 calls → 3 / (10 − 4) = 3/6 = 0.50
    check(kpi_result(mixed, "service_level", settings={"short_abandon": 35.0, **formula}),
          0.5, 6, numerator=3, denominator=6)


# -- 'other' outcome ------------------------------------------------------------------------

def test_other_is_offered_but_neither_answered_nor_abandoned(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds,talk_seconds
        1,2026-11-02T08:00:00Z,answered,10,100
        2,2026-11-02T08:01:00Z,abandoned,30,
        3,2026-11-02T08:02:00Z,other,90,
        4,2026-11-02T08:03:00Z,other,5,
        5,2026-11-02T08:04:00Z,answered,50,200
        """)
    check(kpi_result(frames, "calls_offered"), 5, 5)  # all 5 rows
    check(kpi_result(frames, "calls_answered"), 2, 2)  # rows 1, 5
    check(kpi_result(frames, "calls_abandoned"), 1, 1)  # row 2 only; 'other' rows 3, 4 are not abandons
    # abandonment: 1 / offered 5 = 0.20 ('other' in the denominator)
    check(kpi_result(frames, "abandonment_rate"), 0.2, 5, numerator=1, denominator=5)
    # service level: answered ≤ 20: row 1 = 1 / offered 5 = 0.20 (row 4 'other' at 5 s is not met)
    check(kpi_result(frames, "service_level"), 0.2, 5, numerator=1, denominator=5)
    # abandoned_in_threshold_met: (1 answered ≤ 20 + 0 abandoned ≤ 20) / 5 = 0.20 ('other' at 5 s not met)
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "abandoned_in_threshold_met"}),
          0.2, 5, numerator=1, denominator=5)
    # exclude_abandoned_in_threshold: no abandon ≤ 20 (row 2 waited 30) → 1 / 5
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "exclude_abandoned_in_threshold"}),
          0.2, 5, numerator=1, denominator=5)
    check(kpi_result(frames, "asa"), 30.0, 2)  # (10 + 50) / 2 = 30 s
    check(kpi_result(frames, "avg_abandon_time"), 30.0, 1)  # only row 2: 30 s
    check(kpi_result(frames, "avg_wait_time"), 37.0, 5)  # 10+30+90+5+50 = 185 / 5 = 37 s
    check(kpi_result(frames, "max_wait"), 90.0, 5)  # the 'other' row 3
    check(kpi_result(frames, "aht"), 150.0, 2)  # (100 + 200) / 2 = 150 s


# -- all calls abandoned ------------------------------------------------------------------------

ALL_ABANDONED = """\
call_id,offered_at,outcome,wait_seconds,talk_seconds,transferred,resolved
1,2026-11-02T08:00:00Z,abandoned,5,,,
2,2026-11-02T08:01:00Z,abandoned,15,,,
3,2026-11-02T08:02:00Z,abandoned,30,,,
4,2026-11-02T08:03:00Z,abandoned,60,,,
"""


def test_all_abandoned(tmp_path):
    frames = frames_of(tmp_path, ALL_ABANDONED)
    check(kpi_result(frames, "calls_answered"), 0, 0)  # a count of nothing is 0
    check(kpi_result(frames, "calls_abandoned"), 4, 4)
    no_data(kpi_result(frames, "asa"))  # no answered calls → no-data, not 0
    # abandonment: 4 / 4 = 1.00 (100 %)
    check(kpi_result(frames, "abandonment_rate"), 1.0, 4, numerator=4, denominator=4)
    # service level: 0 answered ≤ 20 / 4 offered = 0.0 — a real 0 %, not no-data
    result = kpi_result(frames, "service_level")
    assert result.value is not None
    check(result, 0.0, 4, numerator=0, denominator=4)
    # answered formula: 0 answered → zero denominator → no-data
    no_data(kpi_result(frames, "service_level", settings={"service_level_formula": "answered"}))
    # exclude_abandoned_in_threshold: 4 − 2 abandoned ≤ 20 (5, 15) = 2 → 0 / 2 = 0.0
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "exclude_abandoned_in_threshold"}),
          0.0, 2, numerator=0, denominator=2)
    # abandoned_in_threshold_met: 2 abandoned ≤ 20 / 4 = 0.50
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "abandoned_in_threshold_met"}),
          0.5, 4, numerator=2, denominator=4)
    check(kpi_result(frames, "avg_abandon_time"), 27.5, 4)  # 5+15+30+60 = 110 / 4 = 27.5 s
    check(kpi_result(frames, "avg_wait_time"), 27.5, 4)  # same four waits
    check(kpi_result(frames, "max_wait"), 60.0, 4)
    for name in ("aht", "avg_talk_time", "transfer_rate", "call_fcr"):  # all over answered calls
        no_data(kpi_result(frames, name))


# -- threshold is inclusive -------------------------------------------------------------------

def test_answered_exactly_at_the_threshold_is_within(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds
        1,2026-11-02T08:00:00Z,answered,20
        2,2026-11-02T08:01:00Z,answered,21
        3,2026-11-02T08:02:00Z,answered,19.5
        4,2026-11-02T08:03:00Z,abandoned,20
        5,2026-11-02T08:04:00Z,answered,20.001
        """)
    # T = 20: answered ≤ 20: 20 (inclusive), 19.5 = 2 / offered 5 = 0.40
    check(kpi_result(frames, "service_level"), 0.4, 5, numerator=2, denominator=5, method="offered, T=20s")
    check(kpi_result(frames, "service_level(20s)"), 0.4, 5, numerator=2, denominator=5, method="offered, T=20s")
    # answered formula: 2 / 4 answered = 0.50
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "answered"}),
          0.5, 4, numerator=2, denominator=4)
    # the abandon at exactly 20 s is "abandoned in threshold": 5 − 1 = 4 → 2 / 4 = 0.50
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "exclude_abandoned_in_threshold"}),
          0.5, 4, numerator=2, denominator=4)
    # and met under abandoned_in_threshold_met: (2 + 1) / 5 = 0.60
    check(kpi_result(frames, "service_level", settings={"service_level_formula": "abandoned_in_threshold_met"}),
          0.6, 5, numerator=3, denominator=5)
    # T = 21 s: 20, 21, 19.5, 20.001 = 4 / 5 = 0.80
    check(kpi_result(frames, "service_level(21s)"), 0.8, 5, numerator=4, denominator=5, method="offered, T=21s")


# -- the published service-level example ------------------------------------------------------

def published_example_csv() -> str:
    """1060 offered: 860 answered ≤ 20 s, 140 answered > 20 s, 20 abandoned ≤ 20 s, 40 abandoned > 20 s."""
    blocks = [  # (outcome, waits)
        ("answered", [i % 21 for i in range(860)]),  # 0…20 s, 20 included
        ("answered", [21 + i % 100 for i in range(140)]),  # 21…120 s
        ("abandoned", [i % 21 for i in range(20)]),  # 0…19 s (all ≤ 20)
        ("abandoned", [21 + i for i in range(40)]),  # 21…60 s
    ]
    outcomes = [o for o, waits in blocks for _ in waits]
    waits = [w for _, ws in blocks for w in ws]
    offered = pd.date_range("2026-11-02T08:00:00Z", periods=len(waits), freq="30s")
    frame = pd.DataFrame({
        "call_id": range(1, len(waits) + 1),
        "offered_at": offered.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "outcome": outcomes,
        "wait_seconds": waits,
    })
    return frame.to_csv(index=False)


@pytest.mark.parametrize(("formula", "numerator", "denominator", "percent"), [
    ("offered", 860, 1060, 81.1),  # 860 / 1060 = 81.13 %
    ("answered", 860, 1000, 86.0),  # 860 / 1000 answered = 86.0 %
    ("exclude_abandoned_in_threshold", 860, 1040, 82.7),  # 860 / (1060 − 20) = 860 / 1040 = 82.69 %
    ("abandoned_in_threshold_met", 880, 1060, 83.0),  # (860 + 20) / 1060 = 880 / 1060 = 83.02 %
])
def test_published_service_level_example(tmp_path, formula, numerator, denominator, percent):
    dataset = load_csv(tmp_path, published_example_csv(), kind="calls")
    assert (dataset.summary.read, dataset.summary.used) == (1060, 1060)
    frames = {"calls": dataset.frame}
    check(kpi_result(frames, "calls_offered"), 1060, 1060)
    check(kpi_result(frames, "calls_answered"), 1000, 1000)
    check(kpi_result(frames, "calls_abandoned"), 60, 60)
    result = kpi_result(frames, "service_level", settings={"service_level_formula": formula})
    check(result, numerator / denominator, denominator, numerator=numerator, denominator=denominator,
          method=f"{formula}, T=20s")
    assert round(100 * result.value, 1) == percent


# -- derivations ----------------------------------------------------------------------------------

def test_outcome_and_wait_derived_from_timestamps_without_outcome_column(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,answered_at,ended_at
        1,2026-11-02T08:00:00Z,2026-11-02T08:00:15Z,2026-11-02T08:05:00Z
        2,2026-11-02T08:01:00Z,2026-11-02T08:01:30Z,2026-11-02T08:06:00Z
        3,2026-11-02T08:02:00Z,,2026-11-02T08:02:45Z
        4,2026-11-02T08:03:00Z,,2026-11-02T08:03:08Z
        5,2026-11-02T08:04:00Z,2026-11-02T08:04:20Z,
        """)
    # answered_at set → answered (rows 1, 2, 5); empty → abandoned (rows 3, 4), never 'other'
    assert frames["calls"]["outcome"].tolist() == ["answered", "answered", "abandoned", "abandoned", "answered"]
    # waits: answered → answered_at − offered_at = 15, 30, 20; not answered → ended_at − offered_at = 45, 8
    check(kpi_result(frames, "calls_answered"), 3, 3)
    check(kpi_result(frames, "calls_abandoned"), 2, 2)
    check(kpi_result(frames, "asa"), 65 / 3, 3)  # (15 + 30 + 20) = 65 / 3 = 21.67 s
    check(kpi_result(frames, "abandonment_rate"), 0.4, 5, numerator=2, denominator=5)  # 2 / 5
    # answered ≤ 20: 15, 20 = 2 / 5 = 0.40
    check(kpi_result(frames, "service_level"), 0.4, 5, numerator=2, denominator=5)
    check(kpi_result(frames, "avg_abandon_time"), 26.5, 2)  # (45 + 8) / 2 = 26.5 s
    check(kpi_result(frames, "avg_wait_time"), 23.6, 5)  # 15+30+45+8+20 = 118 / 5 = 23.6 s
    check(kpi_result(frames, "max_wait"), 45.0, 5)


def test_empty_wait_cells_are_derived_per_cell_and_given_outcome_wins(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,answered_at,ended_at,wait_seconds,outcome
        1,2026-11-02T08:00:00Z,2026-11-02T08:00:50Z,2026-11-02T08:03:00Z,12,answered
        2,2026-11-02T08:01:00Z,2026-11-02T08:01:25Z,2026-11-02T08:04:00Z,,answered
        3,2026-11-02T08:02:00Z,,2026-11-02T08:02:40Z,,abandoned
        4,2026-11-02T08:03:00Z,,2026-11-02T08:04:00Z,,other
        5,2026-11-02T08:04:00Z,2026-11-02T08:04:07Z,2026-11-02T08:06:00Z,7,answered
        6,2026-11-02T08:05:00Z,2026-11-02T08:05:18Z,2026-11-02T08:07:00Z,,
        7,2026-11-02T08:06:00Z,,2026-11-02T08:06:09Z,,
        8,2026-11-02T08:07:00Z,2026-11-02T08:07:05Z,2026-11-02T08:07:30Z,5,abandoned
        """)
    calls = frames["calls"]
    # row 6: empty outcome + answered_at → answered; row 7: empty + no answered_at → abandoned (not other);
    # row 8: given 'abandoned' wins over its answered_at
    assert calls["outcome"].tolist() == [
        "answered", "answered", "abandoned", "other", "answered", "answered", "abandoned", "abandoned"]
    # given waits win (row 1: 12, not 50); empty cells: 2 → 25, 3 → 40, 4 → 60 (ended), 6 → 18, 7 → 9
    assert calls["wait_seconds"].tolist() == [12, 25, 40, 60, 7, 18, 9, 5]
    check(kpi_result(frames, "asa"), 15.5, 4)  # answered 12 + 25 + 7 + 18 = 62 / 4 = 15.5 s
    check(kpi_result(frames, "calls_abandoned"), 3, 3)  # rows 3, 7, 8
    check(kpi_result(frames, "abandonment_rate"), 3 / 8, 8, numerator=3, denominator=8)  # 3 / 8 = 0.375
    check(kpi_result(frames, "avg_abandon_time"), 18.0, 3)  # 40 + 9 + 5 = 54 / 3 = 18 s
    check(kpi_result(frames, "avg_wait_time"), 22.0, 8)  # 12+25+40+60+7+18+9+5 = 176 / 8 = 22 s
    check(kpi_result(frames, "max_wait"), 60.0, 8)
    # answered ≤ 20: 12, 7, 18 = 3 / 8 = 0.375
    check(kpi_result(frames, "service_level"), 3 / 8, 8, numerator=3, denominator=8)


# -- handle time -------------------------------------------------------------------------------------

def test_offsets_are_honoured_when_deriving_waits(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,answered_at,ended_at,outcome
        1,2026-11-02T10:00:00+02:00,2026-11-02T08:00:30Z,2026-11-02T08:05:00Z,answered
        2,2026-11-02 08:01:00,2026-11-02T09:01:10+01:00,2026-11-02T08:06:00Z,answered
        3,2026-11-02T03:02:00-05:00,,2026-11-02T08:02:40Z,abandoned
        """)
    # 10:00+02:00 = 08:00Z → 30 s; naive 08:01 read as UTC, 09:01:10+01:00 = 08:01:10Z → 10 s;
    # 03:02-05:00 = 08:02Z, ended 08:02:40Z → 40 s
    assert frames["calls"]["wait_seconds"].tolist() == [30, 10, 40]
    check(kpi_result(frames, "asa"), 20.0, 2)  # (30 + 10) / 2 = 20 s
    check(kpi_result(frames, "service_level"), 1 / 3, 3, numerator=1, denominator=3)  # only 10 ≤ 20 → 1 / 3


def test_aht_answered_call_without_any_part_counts_as_zero(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds,talk_seconds,hold_seconds,acw_seconds
        1,2026-11-02T08:00:00Z,answered,10,120,30,30
        2,2026-11-02T08:01:00Z,answered,10,240,,
        3,2026-11-02T08:02:00Z,answered,10,,,
        4,2026-11-02T08:03:00Z,abandoned,10,,,
        5,2026-11-02T08:04:00Z,other,10,300,,
        """)
    # answered: 120+30+30 = 180, 240+0+0 = 240, nothing = 0 → 420 / 3 = 140 s
    check(kpi_result(frames, "aht"), 140.0, 3)
    # answered with a talk value: (120 + 240) / 2 = 180 s (row 5 is not answered)
    check(kpi_result(frames, "avg_talk_time"), 180.0, 2)


def test_missing_optional_columns_give_no_data_naming_the_field(tmp_path):
    frames = frames_of(tmp_path, """\
        offered_at,outcome
        2026-11-02T08:00:00Z,answered
        2026-11-02T08:01:00Z,answered
        2026-11-02T08:02:00Z,abandoned
        2026-11-02T08:03:00Z,other
        2026-11-02T08:04:00Z,answered
        """)
    no_data(kpi_result(frames, "aht"), "talk_seconds")  # no talk/hold/acw column at all
    no_data(kpi_result(frames, "avg_talk_time"), "talk_seconds")
    no_data(kpi_result(frames, "transfer_rate"), "transferred")
    no_data(kpi_result(frames, "call_fcr"), "resolved", "caller_id")
    for name in ("asa", "service_level", "avg_wait_time", "avg_abandon_time", "max_wait", "short_abandons"):
        no_data(kpi_result(frames, name), "wait_seconds")  # no wait, no answered_at/ended_at
    # what needs only outcome still works: 3 answered, 1 abandoned of 5 offered
    check(kpi_result(frames, "calls_offered"), 5, 5)
    check(kpi_result(frames, "calls_answered"), 3, 3)
    check(kpi_result(frames, "calls_abandoned"), 1, 1)
    check(kpi_result(frames, "abandonment_rate"), 0.2, 5, numerator=1, denominator=5)  # 1 / 5


def test_short_abandon_setting_without_any_wait_is_no_data(tmp_path):
    frames = frames_of(tmp_path, """\
        offered_at,outcome
        2026-11-02T08:00:00Z,abandoned
        2026-11-02T08:01:00Z,answered
        """)
    no_data(kpi_result(frames, "short_abandons", settings=SHORT), "wait_seconds")
    # which abandons are ≥ 5 s cannot be told without a wait → no-data, not 1 and 1/2
    no_data(kpi_result(frames, "calls_abandoned", settings=SHORT), "wait_seconds")
    no_data(kpi_result(frames, "abandonment_rate", settings=SHORT), "wait_seconds")


# -- repeat-based call_fcr ----------------------------------------------------------------------------

REPEATS = """\
call_id,offered_at,caller_id,outcome,wait_seconds
1,2026-11-02T08:00:00Z,A,answered,10
2,2026-11-05T08:00:00Z,A,answered,10
3,2026-11-12T08:00:00Z,A,abandoned,10
4,2026-11-02T09:00:00Z,B,answered,10
5,2026-11-09T09:00:01Z,B,other,10
6,2026-11-03T10:00:00Z,C,answered,10
7,2026-11-03T11:00:00Z,D,answered,10
8,2026-11-03T11:00:00Z,D,abandoned,10
9,2026-11-03T12:00:00Z,,answered,10
10,2026-11-04T12:00:00Z,E,answered,10
11,2026-11-01T12:00:00Z,E,answered,10
"""
# answered with a caller: 1 A (next A 3 d later → repeat), 2 A (next A exactly 7 d later, inclusive → repeat),
# 4 B (next B 7 d + 1 s later → resolved), 6 C (no later call → resolved),
# 7 D (other D call at the same instant is not "after" → resolved), 10 E (no later E → resolved),
# 11 E (next E 3 d later → repeat); row 9 without caller_id is left out.


def test_call_fcr_repeat_caller_default_window(tmp_path):
    frames = frames_of(tmp_path, REPEATS)
    # resolved: 4, 6, 7, 10 = 4 / 7 = 0.5714
    check(kpi_result(frames, "call_fcr"), 4 / 7, 7, numerator=4, denominator=7, method="repeat_caller(604800s)")


def test_call_fcr_repeat_caller_window_setting(tmp_path):
    frames = frames_of(tmp_path, REPEATS)
    # window 3 d: 1 A (next exactly 3 d, inclusive → repeat), 2 A (next 7 d > 3 d → resolved),
    # 11 E (next exactly 3 d → repeat); resolved 2, 4, 6, 7, 10 = 5 / 7 = 0.7143
    check(kpi_result(frames, "call_fcr", settings={"fcr_window": 259200.0}),
          5 / 7, 7, numerator=5, denominator=7, method="repeat_caller(259200s)")


def test_call_fcr_repeat_outside_the_window_still_counts(tmp_path):
    frames = frames_of(tmp_path, REPEATS)
    window = Window(parse_bound("2026-11-02", "UTC", "--from"), parse_bound("2026-11-04", "UTC", "--to"))
    # in [11-02, 11-04): rows 1, 4, 6, 7, 8, 9 (row 11 on 11-01 before, row 10 on 11-04 = end, excluded)
    check(kpi_result(frames, "calls_offered", window=window), 6, 6)
    # answered with a caller: 1 A (repeat by row 2 on 11-05, outside the window but in the input → unresolved),
    # 4 B, 6 C, 7 D resolved → 3 / 4 = 0.75
    check(kpi_result(frames, "call_fcr", window=window), 0.75, 4, numerator=3, denominator=4,
          method="repeat_caller(604800s)")


# -- empty file ---------------------------------------------------------------------------------------

FULL_HEADER = ("call_id,offered_at,answered_at,ended_at,wait_seconds,talk_seconds,hold_seconds,acw_seconds,"
               "outcome,queue,caller_id,transferred,resolved\n")


@pytest.mark.parametrize("header", [FULL_HEADER, FULL_HEADER.replace(",resolved", "")],
                         ids=["resolved-flag", "repeat-caller"])
def test_empty_file_gives_no_data_never_zero(tmp_path, header):
    dataset = load_csv(tmp_path, header, kind="calls")
    assert (dataset.summary.read, dataset.summary.used, dataset.summary.rejected_by_reason) == (0, 0, {})
    frames = {"calls": dataset.frame}
    for name in COUNTS:  # §6: "a count of nothing is 0" (counts n = value)
        check(kpi_result(frames, name), 0, 0)
    for name in CALL_KPIS:
        if name in COUNTS:
            continue
        no_data(kpi_result(frames, name))
    for formula in SERVICE_LEVEL_FORMULAS:
        no_data(kpi_result(frames, "service_level", settings={"service_level_formula": formula}))
    no_data(kpi_result(frames, "service_level(30s)"))


# -- row accounting -------------------------------------------------------------------------------------

def test_bad_rows_are_counted_by_reason_and_left_out(tmp_path):
    dataset = load_csv(tmp_path, """\
        call_id,offered_at,answered_at,wait_seconds,outcome
        1,2026-11-02T08:00:00Z,2026-11-02T08:00:10Z,10,answered
        2,2026-11-02T08:01:00Z,2026-11-02T08:01:30Z,30,answered
        3,yesterday,2026-11-02T08:02:20Z,20,answered
        4,2026-11-02T08:03:00Z,2026-11-02T08:02:00Z,15,answered
        5,2026-11-02T08:04:00Z,,-3,abandoned
        6,2026-11-02T08:05:00Z,,25,abandoned
        7,2026-11-02T08:06:00Z,2026-11-02T08:06:50Z,50,answered
        8,2026-11-02T08:07:00Z,,8,abandoned
        """, kind="calls")
    summary = dataset.summary
    assert (summary.read, summary.used, summary.rejected) == (8, 5, 3)
    assert summary.rejected_by_reason == {
        "offered_at: not a date": 1,  # row 3
        "answered_at: before offered_at": 1,  # row 4
        "wait_seconds: negative": 1,  # row 5
    }
    assert dataset.frame["call_id"].tolist() == ["1", "2", "6", "7", "8"]
    frames = {"calls": dataset.frame}
    check(kpi_result(frames, "calls_offered"), 5, 5)
    # remaining answered waits 10 + 30 + 50 = 90 / 3 = 30 s (bad rows' 20 and 15 are not in it)
    check(kpi_result(frames, "asa"), 30.0, 3)
    # remaining abandoned rows 6, 8 = 2 / 5 offered = 0.40 (row 5 is not in it)
    check(kpi_result(frames, "abandonment_rate"), 0.4, 5, numerator=2, denominator=5)


def test_duplicate_call_id_keeps_the_first_valid_occurrence(tmp_path):
    dataset = load_csv(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds
        7,not-a-date,answered,99
        7,2026-11-02T08:01:00Z,answered,10
        7,2026-11-02T08:02:00Z,answered,50
        8,2026-11-02T08:03:00Z,abandoned,30
        """, kind="calls")
    # row 1 bad date (first failing check); row 2 is the first valid 7; row 3 duplicate
    assert dataset.summary.rejected_by_reason == {"offered_at: not a date": 1, "call_id: duplicate": 1}
    assert (dataset.summary.read, dataset.summary.used) == (4, 2)
    frames = {"calls": dataset.frame}
    check(kpi_result(frames, "asa"), 10.0, 1)  # only row 2's 10 s (not 99, not 50)
    check(kpi_result(frames, "abandonment_rate"), 0.5, 2, numerator=1, denominator=2)  # 1 / 2


def test_call_fcr_flag_with_empty_cells_leaves_them_out(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds,resolved
        1,2026-11-02T08:00:00Z,answered,5,true
        2,2026-11-02T08:01:00Z,answered,5,
        3,2026-11-02T08:02:00Z,answered,5,false
        4,2026-11-02T08:03:00Z,abandoned,5,
        """)
    # answered with a known flag: 1 (true), 3 (false); 2 unknown → out; 4 abandoned → out → 1 / 2
    check(kpi_result(frames, "call_fcr"), 0.5, 2, numerator=1, denominator=2, method="resolved flag")


def test_intervals_meeting_service_level(tmp_path):
    frames = frames_of(tmp_path, """\
        call_id,offered_at,outcome,wait_seconds
        1,2026-11-02T08:00:00Z,answered,5
        2,2026-11-02T08:10:00Z,answered,10
        3,2026-11-02T08:20:00Z,answered,15
        4,2026-11-02T08:25:00Z,answered,40
        5,2026-11-02T08:40:00Z,answered,5
        6,2026-11-02T08:50:00Z,abandoned,30
        7,2026-11-02T09:05:00Z,answered,20
        """)
    r = kpi_result(frames, "intervals_meeting(service_level, 30m)")
    # 08:00–08:30: 3 of 4 within 20 s = 75 % < 80 % → misses; 08:30–09:00: 1 of 2 = 50 % → misses;
    # 09:00–09:30: 1 of 1 (20 s is within: inclusive) = 100 % → meets. 1 of 3 intervals → 33.3 %
    check(r, 1 / 3, 3, numerator=1, denominator=3)
    r = kpi_result(frames, "intervals_meeting(service_level, 30m)", settings={"service_level_goal": 0.75})
    check(r, 2 / 3, 3, numerator=2, denominator=3)  # 75 % reaches a goal of 75 %
    r = kpi_result(frames, "intervals_meeting(service_level, 1h)")
    # 08:00–09:00: 4 of 6 = 66.7 % misses; 09:00–10:00: 1 of 1 meets → 1 / 2
    check(r, 0.5, 2, numerator=1, denominator=2)
