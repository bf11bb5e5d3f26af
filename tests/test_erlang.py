"""Erlang B, C and A (``hdkpi.wfm.erlang``): published reference figures, hand-worked cases,
independent re-computations and properties.

Published sources, cited by tag next to each assertion:

[ISSUE]     hdkpi issue 8: 100 calls in 30 min, AHT 180 s, goal 80/20 → 10 Erlangs, 14 agents,
            service level ≈ 88.8 %, ASA ≈ 7.8 s, occupancy ≈ 71.4 %; 30 % shrinkage → 20 agents
            (the Call Centre Helper worked example, https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm,
            which the next two sources reproduce to more digits).
[R-ERLANGC] Damonsoul, "ErlangC: Solve Erlang-C Model", R package 0.1.0 (CRAN, 2024-12-05), README:
            https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html — erlang_c(100 calls, 30 min,
            180 s, 20 s, 14 agents) and the calculate_agents(...) table for 11–14 agents; agents_shrinked 20.
[PYWF-C]    R. Arenas, pyworkforce docs, "Solving Queue Problems with ErlangC":
            https://pyworkforce.readthedocs.io/en/stable/tutorials/erlangc_example.html — same example with
            max occupancy 85 %, shrinkage 30 %: raw_positions 14, positions 20, SL 0.888, occupancy 0.714,
            waiting probability 0.174.
[PYWF-A]    pyworkforce docs, "Erlang A (abandonment)": https://pyworkforce.rodrigo-arenas.com/stable/guide/erlanga
            — 100 calls / 30 min, AHT 3 min, patience 5 min, goal 80/20, max occupancy 0.85, max abandonment
            0.05, shrinkage 0.3: raw_positions 13, positions 19, service_level 0.858, occupancy 0.750,
            abandonment 0.025, waiting probability 0.226, "average_speed_of_answer" 0.125 min (pyworkforce's
            ASA is E[queue]/λ, the mean wait of *all* offered calls — our ``mean_wait``).
[PYWF-A14]  github.com/rodrigo-arenas/pyworkforce, pyworkforce/queuing/tests/test_abandonment.py,
            test_erlanga_regression_metrics — same scenario at 14 positions: waiting 0.14526, abandonment
            0.013984, occupancy 0.704297, mean wait 0.069919 min, service level 0.916792. pyworkforce gets
            these from a truncated birth–death chain and the service level by uniformisation of the tagged
            caller's chain: a different method from our incomplete-gamma closed forms.
[TELEFONICA] "Erlang C calculator" manual, http://personal.telefonica.terra.es/web/vr/erlang/eng/mcerlc.htm —
            600 calls in one hour of 120 s = 20 Erlangs; for a delay probability target of 15 % 26 circuits;
            average delay "3 seconds per call" (1800 s for the 600 calls); 30 circuits → 2.5 %; 30 circuits at
            15 % carry 23.6 Erlangs.
[CODINGACE] "Blocking Probability Calculator", https://codingace.net/maths/blocking_probability.html — Erlang B
            example table: A=8, N=10 → 0.12166; A=12, N=10 → 0.301925; A=12, N=14 → 0.117210; A=20, N=18 → 0.221260.
[GIST]      pengelbrecht, https://gist.github.com/pengelbrecht/09fa9c48549f0865659d ("Formulas from
            http://www.mitan.co.uk/erlang/elgcspsh.htm"): Ec = dpois(M,U) / (dpois(M,U) + (1 − U/M)·ppois(M−1,U)),
            the Poisson form of Erlang C, re-computed below in logs as an independent check.
Model formulas: Garnett, Mandelbaum & Reiman (2002), "Designing a call center with impatient customers",
MSOM 4(3):208–227; Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call centers".
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdkpi.wfm.erlang import (
    ServiceGoal,
    _kummer_sums,
    agents_required,
    asa,
    erlang_b,
    erlang_c,
    occupancy,
    patience_from_counts,
    predict,
    requirement,
    service_level,
    traffic,
    with_shrinkage,
)

GOAL_80_20 = ServiceGoal(share=0.8, within=20)


# --------------------------------------------------------------------------- independent re-computations


def poisson_erlang_c(n: int, a: float) -> float:
    """[GIST]'s Poisson form of Erlang C, with the Poisson pmf in logs (math.lgamma) — no recurrence."""
    log_pmf = [k * math.log(a) - a - math.lgamma(k + 1) for k in range(n + 1)]
    top = max(log_pmf)
    cdf_below = sum(math.exp(v - top) for v in log_pmf[:n])  # P(N ≤ n−1), scaled
    at_n = math.exp(log_pmf[n] - top)  # P(N = n), same scale
    return at_n / (at_n + (1 - a / n) * cdf_below)


def birth_death_chain(n: int, a: float, aht: float, patience: float) -> tuple[float, float, float]:
    """Erlang A by brute force: the M/M/n+M stationary distribution summed state by state.

    Returns P(W>0) (PASTA: share of time all n agents busy), P(Ab) = θ·E[Q]/λ (abandonment rate over
    arrival rate) and the mean wait of all callers E[Q]/λ (Little's law).
    """
    lam, mu, theta = a / aht, 1 / aht, 1 / patience
    p = [1.0]
    k = 0
    while k <= n or p[-1] > 1e-18 * sum(p):
        k += 1
        p.append(p[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    total = sum(p)
    p_wait = sum(p[n:]) / total
    queue = sum((j - n) * pj for j, pj in enumerate(p) if j > n) / total
    return p_wait, theta * queue / lam, queue / lam


# --------------------------------------------------------------------------- traffic, Erlang B and C


def test_traffic_in_erlangs():
    assert traffic(100, 180, 1800) == 10.0  # [ISSUE]: 100 × 180 s / 1800 s
    assert traffic(600, 120, 3600) == 20.0  # [TELEFONICA]: 600 calls/h × 120 s / 3600 s
    assert traffic([0, 50], 300, 1800).tolist() == [0.0, 50 * 300 / 1800]  # vectorised; 0 calls → 0
    # an interval without calls has no AHT (NaN in an export) and still no traffic; 10 × 180 / 1800 = 1
    assert traffic([0, 10], [math.nan, 180], 1800).tolist() == [0.0, 1.0]


def test_erlang_b_published_examples():
    # [CODINGACE] example table (values as published, 5–6 significant digits)
    assert erlang_b(10, 8) == pytest.approx(0.12166, abs=5e-6)
    assert erlang_b(10, 12) == pytest.approx(0.301925, abs=5e-7)
    assert erlang_b(14, 12) == pytest.approx(0.117210, abs=5e-7)
    assert erlang_b(18, 20) == pytest.approx(0.221260, abs=5e-7)
    assert erlang_b([10, 10, 14, 18], [8, 12, 12, 20]) == pytest.approx([0.12166, 0.301925, 0.117210, 0.221260], abs=5e-6)


def test_erlang_b_and_c_by_hand():
    assert erlang_b(0, 3.0) == 1.0  # B(0) = 1: with no line every call is lost
    assert erlang_b(1, 1.0) == pytest.approx(0.5)  # A/(1+A) = 1/2
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (A²/2)/(1 + A + A²/2) = 0.5/2.5
    # M/M/2 at A = 1 (ρ = 1/2): C = n·B/(n − A(1−B)) = 2·0.2/(2 − 0.8) = 1/3, the textbook 2ρ²/(1+ρ) = 0.5/1.5
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def test_reference_example_100_calls_in_30_minutes():
    a = traffic(100, 180, 1800)
    assert a == 10.0  # [ISSUE] 10 Erlangs
    assert agents_required(a, 180, GOAL_80_20) == 14  # [ISSUE] [R-ERLANGC] $agents 14 [PYWF-C] raw_positions 14
    fig = predict(14, a, 180, 20)
    assert float(fig.service_level) == pytest.approx(0.88835, abs=5e-6)  # [R-ERLANGC] 0.88835 ([ISSUE] ≈ 88.8 %)
    assert float(fig.asa) == pytest.approx(7.83593701177724, rel=1e-9)  # [R-ERLANGC] "7.83593701177724s" ([ISSUE] ≈ 7.8 s)
    assert float(fig.occupancy) == pytest.approx(0.7142857, abs=5e-8)  # [R-ERLANGC] 0.7142857 = 10/14 ([ISSUE] ≈ 71.4 %)
    assert float(fig.p_wait) == pytest.approx(0.1741319, abs=5e-8)  # [R-ERLANGC] wait_probability ([PYWF-C] 0.174)
    assert with_shrinkage(14, 0.3) == 20  # [ISSUE] [R-ERLANGC] agents_shrinked 20: ceil(14/0.7) = ceil(20.000000000000004 in floats)
    # the scalar helpers agree with predict()
    assert service_level(14, 10, 180, 20) == pytest.approx(0.88835, abs=5e-6)
    assert asa(14, 10, 180) == pytest.approx(7.83593701177724, rel=1e-9)
    assert occupancy(14, 10) == pytest.approx(10 / 14)
    assert erlang_c(14, 10) == pytest.approx(0.1741319, abs=5e-8)


def test_reference_requirement_three_ways():
    # [PYWF-C]: 80/20, max occupancy 0.85, shrinkage 0.3 → raw 14, positions 20, SL 0.888, occupancy 0.714, Pw 0.174
    req = requirement(10, 180, GOAL_80_20, max_occupancy=0.85, shrinkage=0.3)
    assert (int(req.raw), int(req.net), int(req.gross)) == (14, 14, 20)  # 10/14 = 0.714 ≤ 0.85: the cap does not bind
    assert float(req.prediction.service_level) == pytest.approx(0.888, abs=5e-4)
    assert float(req.prediction.occupancy) == pytest.approx(0.714, abs=5e-4)
    assert float(req.prediction.p_wait) == pytest.approx(0.174, abs=5e-4)


def test_reference_table_11_to_14_agents():
    fig = predict([11, 12, 13, 14], 10, 180, 20)
    # [R-ERLANGC] calculate_agents()$process: wait_probability, service_level, average_speed_of_answer, occupancy
    assert fig.p_wait == pytest.approx([0.6821182, 0.4493882, 0.2852705, 0.1741319], abs=5e-8)
    assert fig.service_level == pytest.approx([0.3896138, 0.640158, 0.7955948, 0.88835], abs=5e-7)
    assert fig.asa == pytest.approx([122.78127684408, 40.4449401868444, 17.1162271821896, 7.83593701177724], rel=1e-9)
    assert fig.occupancy == pytest.approx([0.9090909, 0.8333333, 0.7692308, 0.7142857], abs=5e-8)
    # the same table answers other goals: ASA ≤ 30 s first holds at 13 (17.1 s; 12 agents give 40.4 s)
    assert agents_required(10, 180, asa=30) == 13
    # 75/20 first holds at 13 (79.6 %; 12 give 64.0 %)
    assert agents_required(10, 180, ServiceGoal(0.75, 20)) == 13


def test_occupancy_cap_and_goals_combine():
    # hand-worked: occupancy 10/n ≤ 0.70 needs n ≥ 14.29 → 15, stricter than 80/20's 14 ([R-ERLANGC] table)
    req = requirement(10, 180, GOAL_80_20, max_occupancy=0.70, shrinkage=0.3)
    assert (int(req.raw), int(req.net), int(req.gross)) == (14, 15, 22)  # gross ceil(15/0.7 = 21.43) = 22
    assert float(req.prediction.occupancy) == pytest.approx(10 / 15)
    # an exact cap must accept its own boundary despite float noise: 8.5/10 = 0.85
    assert agents_required(8.5, 180, max_occupancy=0.85) == 10
    # both goals: 80/20 needs 14 but ASA ≤ 5 s needs more (14 agents give 7.8 s, [R-ERLANGC]);
    # 15 agents give C(15, 10)·180/5 < 5 s, so 15 is the smallest count meeting both
    n = agents_required(10, 180, GOAL_80_20, asa=5)
    assert n == 15 and float(predict(15, 10, 180, 20).asa) <= 5 < float(predict(14, 10, 180, 20).asa)


def test_telefonica_erlang_c_calculator_example():
    a = traffic(600, 120, 3600)  # [TELEFONICA] 20 Erlangs
    pw = erlang_c(np.arange(21, 31), a)
    assert int(np.arange(21, 31)[np.argmax(pw <= 0.15)]) == 26  # [TELEFONICA] 26 circuits for a 15 % target
    assert float(asa(26, a, 120)) == pytest.approx(3.0, abs=0.15)  # [TELEFONICA] "3 seconds per call" (rounded; exact 2.87 s)
    assert erlang_c(30, a) == pytest.approx(0.025, abs=5e-4)  # [TELEFONICA] 30 circuits → delay 2.5 %
    # [TELEFONICA] 30 circuits at 15 % carry 23.6 Erlangs (one decimal): 23.6 meets 15 %, 23.7 does not
    assert erlang_c(30, 23.6) <= 0.15 < erlang_c(30, 23.7)


def test_erlang_c_matches_poisson_form_in_logs():
    # [GIST]'s Poisson form, computed independently of the Erlang B recurrence
    for n, a in [(14, 10.0), (26, 20.0), (55, 48.0), (500, 480.0), (1200, 1150.5)]:
        assert erlang_c(n, a) == pytest.approx(poisson_erlang_c(n, a), rel=1e-10)


def test_stable_for_hundreds_of_agents():
    fig = predict(500, 480, 180, 20)
    for name in ("p_wait", "service_level", "occupancy"):
        value = float(getattr(fig, name))
        assert math.isfinite(value) and 0 <= value <= 1, name
    assert float(fig.occupancy) == pytest.approx(0.96)  # 480/500
    assert 0 < float(fig.asa) < math.inf
    # thousands of agents and traffic: still finite probabilities, no overflow warnings
    with np.errstate(all="raise"):
        big = erlang_c([2000, 5000], [1950.0, 4900.0])
    assert np.all((big > 0) & (big < 1))
    # Erlang B by the recurrence equals the truncated-Poisson form P(N = n)/P(N ≤ n), computed in logs
    log_pmf = [k * math.log(480) - 480 - math.lgamma(k + 1) for k in range(501)]
    top = max(log_pmf)
    assert erlang_b(500, 480) == pytest.approx(math.exp(log_pmf[500] - top) / sum(math.exp(v - top) for v in log_pmf), rel=1e-10)


def test_unstable_is_reported_never_a_negative_wait():
    fig = predict([9, 10, 11], 10, 180, 20)  # 9 and 10 agents for 10 Erlangs: the queue grows without bound
    assert fig.stable.tolist() == [False, False, True]
    assert fig.p_wait[:2].tolist() == [1.0, 1.0]  # everyone waits
    assert fig.asa[:2].tolist() == [math.inf, math.inf]  # infinite, not negative (C·AHT/(n − A) would be < 0 at 9)
    assert fig.service_level[:2].tolist() == [0.0, 0.0]
    assert fig.occupancy[:2].tolist() == [1.0, 1.0]  # agents cannot be busier than all the time
    assert np.all(fig.asa >= 0)


def test_no_traffic_needs_no_agents():
    assert agents_required([0.0, 10.0], 180, GOAL_80_20).tolist() == [0, 14]  # [R-ERLANGC] 14 for 10 Erlangs
    fig = predict(0, 0, 180, 20)
    assert (float(fig.p_wait), float(fig.service_level), float(fig.asa)) == (0.0, 1.0, 0.0)


def test_vectorised_grid_equals_one_by_one():
    calls = np.array([[0, 12, 40, 100], [7, 150, 333, 1000]], dtype=float)  # weekday × interval
    a = traffic(calls, 240, 1800)
    grid = agents_required(a, 240, GOAL_80_20, max_occupancy=0.85)
    assert grid.shape == (2, 4)
    assert grid.tolist() == [[agents_required(v, 240, GOAL_80_20, max_occupancy=0.85) for v in row] for row in a]


# --------------------------------------------------------------------------- Erlang A


def test_kummer_function_by_hand():
    # A(1, y) = Σ_j y^j / (2·3·…·(j+1)) = Σ_j y^j/(j+1)! = (e^y − 1)/y (also x·e^y·y^−x·γ(1, y) with γ(1, y) = 1 − e^−y)
    for y in (0.5, 3.0, 40.0):
        m, s0, _, _ = _kummer_sums(np.array([1.0]), np.array([y]))
        assert float(m[0] + np.log(s0[0])) == pytest.approx(math.log(math.expm1(y) / y), rel=1e-12)
    # beyond float range (e^2000) it stays finite in logs: log A = 2000 − log 2000 (+ log(1 − e^−2000))
    m, s0, _, _ = _kummer_sums(np.array([1.0]), np.array([2000.0]))
    assert float(m[0] + np.log(s0[0])) == pytest.approx(2000 - math.log(2000), rel=1e-12)
    # A(x, 0) = 1: no queue term
    m, s0, s1, _ = _kummer_sums(np.array([3.0]), np.array([0.0]))
    assert float(np.exp(m[0]) * s0[0]) == 1.0 and float(s1[0]) == pytest.approx(3 / 4)  # served share x/(x+1)


def test_erlang_a_published_pyworkforce_figures():
    a = traffic(100, 180, 1800)  # 10 Erlangs, patience 5 min = 300 s
    fig = predict([13, 14], a, 180, 20, patience=300)
    # [PYWF-A] 13 positions (3 decimals published)
    assert float(fig.service_level[0]) == pytest.approx(0.858, abs=5e-4)
    assert float(fig.occupancy[0]) == pytest.approx(0.750, abs=5e-4)
    assert float(fig.abandon[0]) == pytest.approx(0.025, abs=5e-4)
    assert float(fig.p_wait[0]) == pytest.approx(0.226, abs=5e-4)
    assert float(fig.mean_wait[0]) / 60 == pytest.approx(0.125, abs=5e-4)  # their "ASA" (minutes, all callers), 3 decimals
    # [PYWF-A14] 14 positions (5–6 decimals published)
    assert float(fig.p_wait[1]) == pytest.approx(0.14526, abs=5e-6)
    assert float(fig.abandon[1]) == pytest.approx(0.013984, abs=5e-7)
    assert float(fig.occupancy[1]) == pytest.approx(0.704297, abs=5e-7)
    assert float(fig.mean_wait[1]) / 60 == pytest.approx(0.069919, abs=5e-7)
    assert float(fig.service_level[1]) == pytest.approx(0.916792, abs=5e-7)
    # [PYWF-A] required_positions(0.8, max_occupancy=0.85, max_abandonment=0.05) → raw 13, positions 19 (30 % shrinkage)
    req = requirement(a, 180, GOAL_80_20, max_occupancy=0.85, patience=300, max_abandon=0.05, shrinkage=0.3)
    assert (int(req.raw), int(req.net), int(req.gross)) == (13, 13, 19)  # ceil(13/0.7 = 18.57) = 19
    # Erlang C needed 14 for the same goal ([R-ERLANGC]): abandonment shortens the queue
    assert agents_required(a, 180, GOAL_80_20) == 14


@pytest.mark.parametrize(
    ("n", "a", "aht", "patience"),
    [(13, 10.0, 180, 300), (5, 8.0, 300, 60), (40, 45.0, 240, 90), (1, 20.0, 180, 30), (120, 100.0, 200, 600)],
)
def test_erlang_a_matches_birth_death_chain(n, a, aht, patience):
    # independent brute force; includes overloaded cases (traffic > agents), where Erlang A stays stable
    p_wait, p_ab, mean_wait = birth_death_chain(n, a, aht, patience)
    fig = predict(n, a, aht, 20, patience=patience)
    assert float(fig.p_wait) == pytest.approx(p_wait, rel=1e-9)
    assert float(fig.abandon) == pytest.approx(p_ab, rel=1e-9)
    assert float(fig.mean_wait) == pytest.approx(mean_wait, rel=1e-9)
    assert bool(fig.stable)
    # carried load = A·(1 − P(Ab)) cannot exceed the agents
    assert float(fig.occupancy) == pytest.approx(a * (1 - p_ab) / n, rel=1e-9) and float(fig.occupancy) <= 1


@pytest.mark.parametrize(("n", "a", "aht", "patience"), [(13, 10.0, 180, 300), (5, 8.0, 300, 60), (40, 45.0, 240, 90)])
def test_erlang_a_asa_of_answered_calls_integrates_the_service_level(n, a, aht, patience):
    # E[wait; answered] = ∫₀^∞ P(answered, wait > t) dt = ∫₀^∞ (P(answered) − SL(t)) dt: the ASA series
    # (sum over queue positions) checked against the service-level closed form (checked above against [PYWF-A14])
    t = np.linspace(0, 40 * patience, 20001)
    fig = predict(n, a, aht, 20, patience=patience)
    answered = 1 - float(fig.abandon)
    area = np.trapezoid(answered - predict(n, a, aht, t, patience=patience).service_level, t)
    assert float(fig.asa) == pytest.approx(area / answered, rel=1e-4)


def test_erlang_c_asa_integrates_its_service_level():
    # same identity under Erlang C, where ∫ C·e^(−(n−A)t/AHT) dt = C·AHT/(n − A) exactly
    t = np.linspace(0, 3000, 30001)
    area = np.trapezoid(1 - predict(14, 10, 180, t).service_level, t)
    assert area == pytest.approx(7.83593701177724, rel=1e-5)  # [R-ERLANGC] ASA


def test_erlang_a_with_infinite_patience_is_erlang_c():
    n = np.array([11, 12, 13, 14, 20])
    exact_c = predict(n, 10, 180, 20)
    inf_a = predict(n, 10, 180, 20, patience=math.inf)
    for name in ("p_wait", "service_level", "asa", "occupancy", "abandon"):
        assert getattr(inf_a, name).tolist() == getattr(exact_c, name).tolist(), name
    # and the finite formulas converge to it, at first order in 1/patience (abandonment ≈ E[W]/patience):
    # the gap shrinks tenfold when patience grows tenfold, and is below 10⁻⁶ at 10⁹ s (31 years)
    near, nearer = predict(n, 10, 180, 20, patience=1e8), predict(n, 10, 180, 20, patience=1e9)
    for name in ("p_wait", "service_level", "asa"):
        gap8 = getattr(near, name) - getattr(exact_c, name)
        gap9 = getattr(nearer, name) - getattr(exact_c, name)
        assert gap9 == pytest.approx(gap8 / 10, rel=1e-3), name
    assert nearer.p_wait == pytest.approx(exact_c.p_wait, abs=1e-6)
    assert nearer.service_level == pytest.approx(exact_c.service_level, abs=1e-6)
    assert nearer.asa == pytest.approx(exact_c.asa, rel=1e-5)
    assert nearer.abandon == pytest.approx(exact_c.mean_wait / 1e9, rel=1e-3)  # P(Ab) ≈ Erlang C's mean wait / patience
    assert nearer.abandon == pytest.approx(0, abs=1e-6)
    # hundreds of agents: finite, in [0, 1], and close to Erlang C for very patient callers
    big = predict(500, 480, 180, 20, patience=1e9)
    assert float(big.service_level) == pytest.approx(float(predict(500, 480, 180, 20).service_level), abs=1e-6)


def test_erlang_a_stays_finite_when_overloaded_and_for_large_traffic():
    fig = predict([1, 100, 500], [400.0, 480.0, 480.0], 180, 20, patience=[60, 600, 60])
    for name in ("p_wait", "service_level", "abandon", "occupancy"):
        values = getattr(fig, name)
        assert np.all(np.isfinite(values) & (values >= 0) & (values <= 1)), name
    assert np.all(np.isfinite(fig.asa) & np.isfinite(fig.mean_wait))
    # 1 agent for 400 Erlangs, patience 60 s: the agent is always busy, so 1 Erlang of 400 is carried and
    # P(Ab) = 1 − 1/400 (to 0.1 %); the brute-force chain agrees on the mean wait
    assert float(fig.abandon[0]) == pytest.approx(1 - 1 / 400, rel=1e-3)
    assert float(fig.mean_wait[0]) == pytest.approx(birth_death_chain(1, 400.0, 180, 60)[2], rel=1e-9)


def test_erlang_a_zero_patience_is_the_erlang_b_loss_system():
    # callers who never wait: those finding all agents busy are lost, P = B(n, A). n = 3, A = 2:
    # B = (2³/3!)/(1 + 2 + 2²/2 + 2³/3!) = (4/3)/(19/3) = 4/19
    fig = predict(3, 2.0, 180, 20, patience=0)
    assert float(fig.abandon) == pytest.approx(4 / 19)
    assert float(fig.p_wait) == pytest.approx(4 / 19)
    assert float(fig.service_level) == pytest.approx(15 / 19)
    assert float(fig.asa) == 0.0


def test_patience_from_counts():
    # waits of all offered calls 10 s, 20 s (answered), 30 s, 60 s (abandoned): (10+20+30+60)/2 = 60 s
    assert patience_from_counts(120, 2) == 60.0
    assert patience_from_counts([120, 50], [2, 0]).tolist() == [60.0, math.inf]  # no abandons: never gives up
    with pytest.raises(ValueError):
        patience_from_counts(-1, 2)


# --------------------------------------------------------------------------- helpers and validation


def test_with_shrinkage():
    assert with_shrinkage(14, 0.3) == 20  # [ISSUE] 14/0.7 = 20 exactly, despite 20.000000000000004 in floats
    assert with_shrinkage(10, 0) == 10
    assert with_shrinkage([13, 15], 0.3).tolist() == [19, 22]  # ceil(18.57), ceil(21.43)
    with pytest.raises(ValueError):
        with_shrinkage(10, 1.0)


def test_service_goal():
    assert ServiceGoal.parse("80/20") == ServiceGoal(0.8, 20.0)
    assert ServiceGoal.parse("90% / 15s") == ServiceGoal(0.9, 15.0)
    for bad in ("80", "x/20", "100/20"):
        with pytest.raises(ValueError):
            ServiceGoal.parse(bad)
    with pytest.raises(ValueError):
        ServiceGoal(1.0, 20)  # a 100 % goal can never be met


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        predict(10.5, 10, 180, 20)  # half an agent
    with pytest.raises(ValueError):
        predict(10, -1, 180, 20)
    with pytest.raises(ValueError):
        agents_required(np.nan, 180, GOAL_80_20)
    with pytest.raises(ValueError):
        agents_required(10, 180, GOAL_80_20, max_occupancy=0)
    with pytest.raises(ValueError):
        traffic(10, 180, 0)


# --------------------------------------------------------------------------- properties

calls_st = st.floats(min_value=0, max_value=600, allow_nan=False)
aht_st = st.floats(min_value=20, max_value=1200, allow_nan=False)
within_st = st.floats(min_value=0, max_value=120, allow_nan=False)
patience_st = st.one_of(st.none(), st.floats(min_value=5, max_value=1200, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(calls=calls_st, extra=st.floats(min_value=0, max_value=200), aht=aht_st, within=within_st,
       share=st.floats(min_value=0.5, max_value=0.95), patience=patience_st)
def test_required_agents_never_decrease_when_volume_grows(calls, extra, aht, within, share, patience):
    goal = ServiceGoal(share, within)
    kw = {"max_occupancy": 0.9, "patience": patience}
    low = agents_required(traffic(calls, aht, 1800), aht, goal, **kw)
    high = agents_required(traffic(calls + extra, aht, 1800), aht, goal, **kw)
    assert high >= low


@settings(max_examples=60, deadline=None)
@given(calls=calls_st, aht=aht_st, extra=st.floats(min_value=0, max_value=600), within=within_st,
       patience=patience_st)
def test_required_agents_never_decrease_when_aht_grows(calls, aht, extra, within, patience):
    kw = {"asa": 30.0, "patience": patience}
    low = agents_required(traffic(calls, aht, 1800), aht, ServiceGoal(0.8, within), **kw)
    high = agents_required(traffic(calls, aht + extra, 1800), aht + extra, ServiceGoal(0.8, within), **kw)
    assert high >= low


@settings(max_examples=60, deadline=None)
@given(a=st.floats(min_value=0, max_value=300), aht=aht_st, within=within_st, patience=patience_st)
def test_service_level_never_decreases_when_agents_are_added(a, aht, within, patience):
    n = np.arange(0, int(a) + 40)
    fig = predict(n, a, aht, within, patience)
    assert np.all(np.diff(fig.service_level) >= -1e-12)
    assert np.all((fig.service_level >= 0) & (fig.service_level <= 1))
    assert np.all(fig.asa >= 0)  # never a negative wait, stable or not


@settings(max_examples=40, deadline=None)
@given(a=st.floats(min_value=0, max_value=200), aht=aht_st, within=within_st)
def test_infinite_patience_is_erlang_c_everywhere(a, aht, within):
    n = np.arange(0, int(a) + 20)
    c = predict(n, a, aht, within)
    inf_a = predict(n, a, aht, within, patience=math.inf)
    assert inf_a.service_level.tolist() == c.service_level.tolist()
    assert inf_a.asa.tolist() == c.asa.tolist()
