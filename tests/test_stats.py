"""Honest statistics: intervals, tests and control-chart flags against hand arithmetic, published
tables and worked examples, closed forms of the t distribution, and properties (hypothesis).

Sources cited next to the assertions:
- [Newcombe] R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison
  of seven methods", Statistics in Medicine 17:857–872 (1998), Table I (method 3, the Wilson score
  interval without continuity correction).
- [NIST] NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.2 "Critical values of the
  Student's t distribution", https://www.itl.nist.gov/div898/handbook/eda/section3/eda3672.htm
- [A&S] Abramowitz & Stegun, Handbook of Mathematical Functions (1964): Table 26.5 (normal
  percentage points to 9 decimals) and 26.7.5 (the Cornish–Fisher expansion of t in 1/ν).
- [Wiki-t] Wikipedia, "Student's t-distribution", section "Special cases" (closed-form CDFs for
  ν = 1, 2, 3, 4 and quantiles for ν = 1, 2, 4).
- [statsmodels] statsmodels ``proportions_ztest`` documentation example (5/83 vs 12/99,
  p = 0.159), https://statsmodels.org/stable/generated/statsmodels.stats.proportion.proportions_ztest.html,
  and its full-precision values in statsmodels' test suite (test_proportion.py, GH 2969).
- [usablestats] "Compare two proportions" worked answer, https://www.usablestats.com/askstats/question/866/
- [ClickHouse] ``welchTTest`` reference page with its printed output,
  https://clickhouse.com/docs/zh/sql-reference/aggregate-functions/reference/welchttest/
- [R] R's ``t.test(ts1, ts2)`` output as quoted in a Cross Validated answer on Welch intervals
  (t = -1.8325, df = 17.9, p-value = 0.08356, 95 % CI -2.1469104 0.1469104), seen in the copy at
  https://boxhoidap.com/huong-dan-welchs-t-test-confidence-interval-python-tran-khoang-tin-cay-t-test-cua-welch
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdkpi.stats.intervals import (
    control_chart_flags,
    normal_cdf,
    normal_quantile,
    significant,
    t_cdf,
    t_interval,
    t_quantile,
    two_proportion_test,
    verdict_with_confidence,
    welch_test,
    wilson_interval,
)

PROPERTY = settings(max_examples=200, deadline=None)
Z95 = 1.959963984540054  # Φ⁻¹(0.975), [A&S] Table 26.5: 1.959963985


# -- Wilson score interval ---------------------------------------------------------------------

def test_wilson_8_of_10_worked_by_hand():
    # p̂ = 0.8, n = 10, z = 1.959964, z² = 3.841459
    # denominator 1 + z²/n = 1.3841459
    # centre (p̂ + z²/2n) / denominator = (0.8 + 0.1920729) / 1.3841459 = 0.7167402
    # half-width z/denominator · √(p̂(1−p̂)/n + z²/4n²) = 1.4160058 · √(0.016 + 0.0096036) = 0.2265777
    # interval 0.7167402 ∓ 0.2265777 = (0.4901625, 0.9433178)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4901625, abs=1e-7)
    assert high == pytest.approx(0.9433178, abs=1e-7)


def test_wilson_8_of_10_at_99_percent_worked_by_hand():
    # z = Φ⁻¹(0.995) = 2.5758293 ([A&S] 2.575829304), z² = 6.6348966
    # denominator 1.6634897; centre (0.8 + 0.3317448) / 1.6634897 = 0.6803438
    # half-width 2.5758293/1.6634897 · √(0.016 + 0.0165872) = 1.5484479 · 0.1805198 = 0.2795251
    # interval (0.4008187, 0.9598688): wider than the 95 % one above
    low, high = wilson_interval(8, 10, confidence=0.99)
    assert low == pytest.approx(0.4008187, abs=1e-7)
    assert high == pytest.approx(0.9598688, abs=1e-7)


def test_wilson_800_of_1000_worked_by_hand():
    # the same 80 % on 100× the volume: denominator 1 + 3.841459/1000 = 1.0038415
    # centre (0.8 + 0.0019207) / 1.0038415 = 0.7988520
    # half-width 1.959964/1.0038415 · √(0.00016 + 0.00000096036) = 1.9524636 · 0.0126870 = 0.0247709
    low, high = wilson_interval(800, 1000)
    assert low == pytest.approx(0.7740810, abs=1e-7)
    assert high == pytest.approx(0.8236229, abs=1e-7)


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),  # [Newcombe] Table I, method 3
    (15, 148, 0.0624, 0.1605),  # [Newcombe] Table I, method 3
    (0, 20, 0.0000, 0.1611),    # [Newcombe] Table I, method 3; by hand: upper = z²/(n + z²) = 3.841459/23.841459
    (1, 29, 0.0061, 0.1718),    # [Newcombe] Table I, method 3
])
def test_wilson_matches_newcombe_table_1(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert round(float(lo), 4) == low
    assert round(float(hi), 4) == high


def test_wilson_edges_are_exact():
    # 0/n: the lower bound is 0 exactly; n/n: the upper bound is 1 exactly and the lower one is
    # 1 − z²/(n + z²) = 20/23.841459 = 0.8388748 (the mirror image of 0/20 above)
    low, high = wilson_interval(np.array([0, 20]), np.array([20, 20]))
    assert low[0] == 0.0
    assert high[1] == 1.0
    assert low[1] == pytest.approx(20 / (20 + Z95**2), rel=1e-12)
    assert high[0] == pytest.approx(Z95**2 / (20 + Z95**2), rel=1e-12)


def test_wilson_is_vectorised_over_a_table_and_nan_without_records():
    successes = np.array([[8, 0], [800, 0]])
    n = np.array([[10, 0], [1000, 5]])
    low, high = wilson_interval(successes, n)
    assert low.shape == high.shape == (2, 2)
    assert low[0, 0] == pytest.approx(0.4901625, abs=1e-7)    # = the 8/10 case worked above
    assert high[1, 0] == pytest.approx(0.8236229, abs=1e-7)   # = the 800/1000 case worked above
    assert np.isnan(low[0, 1]) and np.isnan(high[0, 1])        # 0/0: no interval
    assert (low[1, 1], high[1, 1]) == (0.0, pytest.approx(Z95**2 / (5 + Z95**2)))  # 0/5: z²/(n + z²)


def test_wilson_refuses_impossible_counts_and_levels():
    with pytest.raises(ValueError, match="successes ≤ n"):
        wilson_interval([3, 11], [10, 10])  # 11 successes out of 10
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(8, 10, confidence=95)  # a percentage, not a fraction


# -- the normal distribution -------------------------------------------------------------------

@pytest.mark.parametrize(("p", "z"), [
    (0.9, 1.281551566),    # [A&S] Table 26.5, Q = 0.1
    (0.95, 1.644853627),   # [A&S] Table 26.5, Q = 0.05
    (0.975, 1.959963985),  # [A&S] Table 26.5, Q = 0.025
    (0.995, 2.575829304),  # [A&S] Table 26.5, Q = 0.005
    (0.999, 3.090232306),  # [A&S] Table 26.5, Q = 0.001
])
def test_normal_quantile_matches_published_percentage_points(p, z):
    assert normal_quantile(p) == pytest.approx(z, abs=6e-10)       # the table has 9 decimals
    assert normal_quantile(1 - p) == pytest.approx(-z, abs=6e-10)  # symmetry


def test_normal_quantile_error_below_1e_9_against_the_standard_library():
    # statistics.NormalDist.inv_cdf is an independent implementation (Wichura's AS 241, ~1e-16)
    ps = np.concatenate([np.logspace(-300, -1, 300), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-10, -2, 30)])
    ours = normal_quantile(ps)
    ref = np.array([statistics.NormalDist().inv_cdf(float(p)) for p in ps])
    assert np.max(np.abs(ours - ref)) < 1e-12  # the brief asks < 1e-9 after refinement
    assert normal_quantile(0.5) == 0.0
    assert normal_quantile(0.0) == -np.inf and normal_quantile(1.0) == np.inf
    assert np.isnan(normal_quantile(1.5)) and np.isnan(normal_quantile(np.nan))


def test_normal_cdf_against_the_standard_library():
    # Φ(x) = ½·erfc(−x/√2) with math.erfc as the independent reference, relative error in both tails
    xs = np.linspace(-37, 37, 7401)
    ours = normal_cdf(xs)
    ref = np.array([0.5 * math.erfc(-x / math.sqrt(2)) for x in xs])
    assert np.max(np.abs(ours - ref) / ref) < 1e-12
    assert normal_cdf(-np.inf) == 0.0 and normal_cdf(np.inf) == 1.0


# -- Student's t distribution -------------------------------------------------------------------

T_TABLE = {  # [NIST] §1.3.6.7.2, upper critical values, columns P(T > t) = 0.10, 0.05, 0.025, 0.01, 0.005
    1: (3.078, 6.314, 12.706, 31.821, 63.657),
    2: (1.886, 2.920, 4.303, 6.965, 9.925),
    5: (1.476, 2.015, 2.571, 3.365, 4.032),
    10: (1.372, 1.812, 2.228, 2.764, 3.169),
    30: (1.310, 1.697, 2.042, 2.457, 2.750),
    40: (1.303, 1.684, 2.021, 2.423, 2.704),
    60: (1.296, 1.671, 2.000, 2.390, 2.660),
    100: (1.290, 1.660, 1.984, 2.364, 2.626),
    math.inf: (1.282, 1.645, 1.960, 2.326, 2.576),
}


@pytest.mark.parametrize("df", list(T_TABLE))
def test_t_quantile_matches_the_nist_table(df):
    levels = np.array([0.90, 0.95, 0.975, 0.99, 0.995])
    ours = t_quantile(levels, df)
    assert np.all(np.abs(ours - np.array(T_TABLE[df])) <= 5e-4 + 1e-12)  # the table is rounded to 3 decimals


@pytest.mark.parametrize(("df", "t"), [
    (1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (30, 2.042),  # [NIST] 0.025 column
    (120, 1.980),  # the 120 row of the classic printed tables (Fisher & Yates, Statistical Tables, Table III); NIST has none
    (math.inf, 1.960),  # [NIST] ∞ row = the normal
])
def test_t_quantile_0975_from_the_brief(df, t):
    assert round(float(t_quantile(0.975, df)), 3) == t


def test_t_quantile_closed_forms():
    p = np.linspace(0.001, 0.999, 999)
    # ν = 1 (Cauchy): t = tan(π(p − ½))  [Wiki-t]
    assert np.allclose(t_quantile(p, 1), np.tan(np.pi * (p - 0.5)), rtol=1e-13, atol=1e-14)
    # ν = 2: t = (2p − 1)/√(2p(1 − p))  [Wiki-t]
    assert np.allclose(t_quantile(p, 2), (2 * p - 1) / np.sqrt(2 * p * (1 - p)), rtol=1e-13, atol=1e-14)
    # ν = 4: α = 4p(1 − p), q = cos(⅓ arccos √α)/√α, t = sign(p − ½)·2√(q − 1)  [Wiki-t]
    alpha = 4 * p * (1 - p)
    q = np.cos(np.arccos(np.sqrt(alpha)) / 3) / np.sqrt(alpha)
    assert np.allclose(t_quantile(p, 4), np.sign(p - 0.5) * 2 * np.sqrt(q - 1), rtol=1e-12, atol=1e-13)
    # far tail of the Cauchy: t = −cot(πp) ≈ −1/(πp) for p = 1e-250, where tan(π(p − ½)) cannot be formed
    assert t_quantile(1e-250, 1) == pytest.approx(-1 / (math.pi * 1e-250), rel=1e-13)


def test_t_cdf_closed_forms():
    t = np.linspace(-50, 50, 2001)
    r3 = t / math.sqrt(3)
    cases = {  # [Wiki-t] special cases
        1: 0.5 + np.arctan(t) / np.pi,
        2: 0.5 + t / (2 * np.sqrt(2 + t * t)),
        3: 0.5 + (r3 / (1 + r3 * r3) + np.arctan(r3)) / np.pi,
        4: 0.5 + 3 / 8 * (t / np.sqrt(1 + t * t / 4)) * (1 - t * t / (12 * (1 + t * t / 4))),
    }
    for df, exact in cases.items():
        assert np.max(np.abs(t_cdf(t, df) - exact)) < 1e-14, df
    # the lower tail keeps its relative precision: Cauchy F(−t) = atan(1/t)/π ≈ 1/(πt)
    assert t_cdf(-1e12, 1) == pytest.approx(math.atan(1e-12) / math.pi, rel=1e-13)


def test_t_large_df_follows_the_cornish_fisher_expansion():
    # [A&S] 26.7.5: t = z + g1/ν + g2/ν² + g3/ν³ + …, error O(ν⁻⁴); at ν = 10⁵ that is below 1e-15.
    # Here the t tail comes from Hill's normalising transformation (ν > 10⁴), an independent route.
    p = np.array([0.6, 0.9, 0.975, 0.995, 0.9999])
    z = normal_quantile(p)
    nu = 1e5
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    assert np.allclose(t_quantile(p, nu), z + g1 / nu + g2 / nu**2 + g3 / nu**3, rtol=1e-12, atol=0)
    # and at ν = 20 (continued fraction side) the four-term expansion is within its O(ν⁻⁵) error
    nu = 20.0
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    expansion = z + g1 / nu + g2 / nu**2 + g3 / nu**3 + g4 / nu**4
    assert np.max(np.abs(t_quantile(p[:4], nu) - expansion[:4])) < 2e-5


def test_t_is_continuous_where_the_method_changes_and_tends_to_the_normal():
    ts = np.array([-30.0, -8.0, -5.0, -1.7, -0.3, 0.3, 2.0])
    # df = 10⁴ is the last one done by the beta fraction; the next double up goes to Hill's transformation
    below, above = t_cdf(ts, 1e4), t_cdf(ts, np.nextafter(1e4, np.inf))
    assert np.all(np.abs(below - above) <= 2e-12 * below)  # relative, down to the 1e-189 lower tail
    assert np.allclose(t_cdf(ts, 1e300), normal_cdf(ts), rtol=1e-14, atol=0)
    assert np.allclose(t_quantile(0.975, [1e15, np.inf]), Z95, rtol=1e-13)


def test_t_rejects_nonsense_quietly():
    assert np.isnan(t_quantile(0.975, 0)) and np.isnan(t_quantile(0.975, -3)) and np.isnan(t_quantile(1.2, 5))
    assert np.isnan(t_cdf(np.nan, 5)) and np.isnan(t_cdf(1.0, np.nan))
    assert t_quantile([0.0, 0.5, 1.0], 7).tolist() == [-np.inf, 0.0, np.inf]


@PROPERTY
@given(p=st.floats(1e-12, 1 - 1e-12), df=st.floats(0.5, 1e6))
def test_t_quantile_inverts_t_cdf(p, df):
    t = t_quantile(p, df)
    back = t_cdf(t, df)
    small_tail = min(p, 1 - p)
    assert abs(back - p) <= 1e-11 * small_tail + 2e-16


@PROPERTY
@given(p=st.floats(0.5 + 1e-9, 1 - 1e-12), df=st.floats(1.0, 1e5), factor=st.floats(1.01, 10.0))
def test_t_quantiles_shrink_towards_the_normal_as_df_grows(p, df, factor):
    upper = t_quantile(p, df)
    assert t_quantile(p, df * factor) < upper
    assert normal_quantile(p) < upper


# -- t interval for a mean -----------------------------------------------------------------------

def test_t_interval_worked_by_hand():
    # mean 10, s = 2, n = 10: t(0.975, 9) = 2.262 ([NIST]), 2.2621572 to 7 figures
    # half-width 2.2621572 · 2/√10 = 2.2621572 · 0.6324555 = 1.4307138 → (8.5692862, 11.4307138)
    low, high = t_interval(10.0, 2.0, 10)
    assert low == pytest.approx(8.5692862, abs=1e-7)
    assert high == pytest.approx(11.4307138, abs=1e-7)


def test_t_interval_needs_two_records_and_widens_with_confidence():
    low, high = t_interval(np.array([10.0, 10.0, 10.0]), np.array([2.0, np.nan, 2.0]), np.array([1, 10, 2]))
    assert np.isnan(low[0]) and np.isnan(high[0])  # n = 1: no spread, no interval
    assert np.isnan(low[1])                         # a missing standard deviation stays missing
    # n = 2: t(0.975, 1) = 12.706 ([NIST]) → half-width 12.7062047 · 2/√2 = 17.9692870
    assert high[2] - 10.0 == pytest.approx(12.7062047 * 2 / math.sqrt(2), abs=1e-6)
    l95, h95 = t_interval(10.0, 2.0, 10)
    l99, h99 = t_interval(10.0, 2.0, 10, confidence=0.99)
    assert l99 < l95 and h99 > h95
    with pytest.raises(ValueError, match="negative"):
        t_interval(10.0, -1.0, 5)


# -- two-proportion test ------------------------------------------------------------------------

def test_two_proportion_worked_by_hand():
    # abandonment today 30/400 = 0.075 vs yesterday 20/400 = 0.050; pooled 50/800 = 0.0625
    # se = √(0.0625 · 0.9375 · (1/400 + 1/400)) = √(2.9296875e-4) = 0.01711633
    # z = 0.025/0.01711633 = 1.460593; two-sided p = 2·(1 − Φ(1.4606)) = 2 · 0.072064 = 0.144127
    z, p = two_proportion_test(30, 400, 20, 400)
    assert z == pytest.approx(1.460593, abs=1e-6)
    assert p == pytest.approx(0.144127, abs=1e-6)
    assert not significant(p)  # 2.5 points more abandonment on 400 calls a day is not evidence


def test_two_proportion_statsmodels_documentation_example():
    # [statsmodels] docs: 5/83 vs 12/99 → p = 0.159; their test suite: z = −1.4078304151258787,
    # p = 0.15918129181156992 (GH 2969)
    z, p = two_proportion_test(5, 83, 12, 99)
    assert z == pytest.approx(-1.4078304151258787, rel=1e-13)
    assert p == pytest.approx(0.15918129181156992, rel=1e-12)


def test_two_proportion_usablestats_worked_example():
    # [usablestats]: 118/3303 vs 80/3303, pooled 0.02997, se 0.004196, z = 2.74195, two-sided p = .00611
    z, p = two_proportion_test(118, 3303, 80, 3303)
    assert z == pytest.approx(2.74195, abs=1e-4)
    assert p == pytest.approx(0.00611, abs=1e-5)
    assert significant(p) and significant(p, alpha=0.01)


def test_two_proportion_edges_and_vectorisation():
    z, p = two_proportion_test(np.array([0, 10, 0]), np.array([10, 10, 0]), np.array([0, 10, 3]), np.array([20, 10, 4]))
    assert (z[0], p[0]) == (0.0, 1.0)  # 0/10 vs 0/20: identical, no variation, no evidence of a change
    assert (z[1], p[1]) == (0.0, 1.0)  # 10/10 vs 10/10 likewise
    assert np.isnan(z[2]) and np.isnan(p[2])  # nothing to compare against
    with pytest.raises(ValueError, match="successes ≤ n"):
        two_proportion_test(5, 4, 1, 10)


@PROPERTY
@given(n1=st.integers(1, 10_000), n2=st.integers(1, 10_000), data=st.data())
def test_two_proportion_is_antisymmetric(n1, n2, data):
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    z, p = two_proportion_test(x1, n1, x2, n2)
    z_swapped, p_swapped = two_proportion_test(x2, n2, x1, n1)
    assert z == -z_swapped
    assert p == p_swapped
    assert 0.0 <= p <= 1.0


# -- Welch's t-test -------------------------------------------------------------------------------

def summary(values: list[float]) -> tuple[float, float, int]:
    a = np.array(values)
    return float(a.mean()), float(a.std(ddof=1)), a.size


def test_welch_clickhouse_documented_example():
    # [ClickHouse] samples (20.3, 22.1, 21.9) and (18.9, 20.3, 19): (t, p) = (2.7988719532211235,
    # 0.051807360348581945); with confidence 0.95 the interval (−0.026294346671631885, 4.092961013338302)
    # By hand: means 21.4333, 19.4; variances 0.973333, 0.61; v = s²/n = 0.324444, 0.203333
    # t = 2.033333/√0.527778 = 2.798872; df = 0.527778²/(0.324444²/2 + 0.203333²/2) = 3.7999
    m1, s1, n1 = summary([20.3, 22.1, 21.9])
    m2, s2, n2 = summary([18.9, 20.3, 19.0])
    t, df, p = welch_test(m1, s1, n1, m2, s2, n2)
    assert t == pytest.approx(2.7988719532211235, rel=1e-12)
    assert df == pytest.approx(3.7999, abs=1e-4)
    assert p == pytest.approx(0.051807360348581945, rel=1e-11)
    se = math.sqrt(s1**2 / n1 + s2**2 / n2)
    half = t_quantile(0.975, df) * se  # the interval needs t at a fractional df
    assert m1 - m2 - half == pytest.approx(-0.026294346671631885, abs=1e-11)
    assert m1 - m2 + half == pytest.approx(4.092961013338302, abs=1e-11)


def test_welch_r_t_test_example():
    # [R] t.test(ts1, ts2): t = −1.8325, df = 17.9, p-value = 0.08356, 95 % CI (−2.1469104, 0.1469104);
    # the answer also prints qt(.975, 17.9)·se = 1.146912 with df rounded to 17.9
    m1, s1, n1 = summary([11, 9, 10, 11, 10, 12, 9, 11, 12, 9])
    m2, s2, n2 = summary([11, 13, 10, 13, 12, 9, 11, 12, 12, 11])
    t, df, p = welch_test(m1, s1, n1, m2, s2, n2)
    assert round(float(t), 4) == -1.8325
    assert round(float(df), 1) == 17.9
    assert round(float(p), 5) == 0.08356
    se = math.sqrt(s1**2 / n1 + s2**2 / n2)
    assert round(float(t_quantile(0.975, df) * se), 7) == 1.1469104
    assert round(float(t_quantile(0.975, 17.9) * se), 6) == 1.146912


def test_welch_edges():
    t, df, p = welch_test(np.array([5.0, 5.0, 5.0]), np.array([1.0, 0.0, 1.0]), np.array([1, 5, 4]),
                          np.array([4.0, 4.0, 4.0]), np.array([1.0, 0.0, 0.0]), np.array([9, 5, 4]))
    assert np.isnan(t[0]) and np.isnan(p[0])  # n = 1: no standard deviation to speak of
    assert np.isnan(t[1]) and np.isnan(df[1])  # both flat: no variation, nothing to test
    # one flat sample: df = (v1)²/(v1²/(n1 − 1)) = n1 − 1 = 3, t = 1/√(1/4) = 2
    assert (t[2], df[2]) == (pytest.approx(2.0), pytest.approx(3.0))
    # two-sided p at t = 2, df = 3 from the closed form [Wiki-t]: 1 − 2·(F₃(2) − ½)
    r = 2 / math.sqrt(3)
    assert p[2] == pytest.approx(1 - 2 * (r / (1 + r * r) + math.atan(r)) / math.pi, rel=1e-13)
    assert not significant(p).any()


# -- significance -----------------------------------------------------------------------------------

def test_significant_is_strict_and_never_true_without_a_test():
    assert significant([0.01, 0.0499, 0.05, 0.2, np.nan]).tolist() == [True, True, False, False, False]
    assert significant(0.009, alpha=0.01) and not significant(0.01, alpha=0.01)
    with pytest.raises(ValueError):
        significant(0.01, alpha=5)


# -- control chart ----------------------------------------------------------------------------------

def test_control_chart_flags_a_hand_made_series():
    series = np.array([10, 11, 9, 10, np.nan, 11, 10, 30, 10, 9], dtype=float)
    flags = control_chart_flags(series, window=5)
    # index 5 (11): only 4 values before it (10, 11, 9, 10; the gap does not count) → not judged
    # index 6 (10): previous 5 = 10, 11, 9, 10, 11: mean 10.2, s = √(2.8/4) = 0.83666,
    #               band 10.2 ± 2.50998 = [7.69, 12.71] → inside
    # index 7 (30): previous 5 = 11, 9, 10, 11, 10: mean 10.2, s = 0.83666 → 30 is outside → flagged
    # index 8 (10): previous 5 = 9, 10, 11, 10, 30: mean 14, s = √(322/4) = 8.972 → inside
    # index 9 (9):  previous 5 = 10, 11, 10, 30, 10: mean 14.2, s = √(312.8/4) = 8.843 → inside
    assert flags.tolist() == [False] * 7 + [True, False, False]


def test_control_chart_low_outlier_sigmas_and_minimum_history():
    history = [100.0, 102.0, 98.0, 101.0, 99.0]  # mean 100, s = √(10/4) = 1.58114
    # 95.5 is 4.5 below: 2.85σ → inside the 3σ band (±4.7434), outside the 2σ band (±3.1623)
    series = np.array([*history, 95.5])
    assert control_chart_flags(series, window=5).tolist() == [False] * 6
    assert control_chart_flags(series, window=5, sigmas=2).tolist() == [False] * 5 + [True]
    # 90 is 10 below (6.3σ) → flagged, but not with a window of 6: only 5 values precede it
    series = np.array([*history, 90.0])
    assert control_chart_flags(series, window=5)[-1]
    assert not control_chart_flags(series, window=6).any()


def test_control_chart_flat_history_and_tables():
    flat = np.array([0.25] * 8 + [0.25, 0.26])
    # a flat history has σ = 0: the same value again is fine, any real change is outside the band
    assert control_chart_flags(flat, window=8).tolist() == [False] * 9 + [True]
    table = np.array([[10, 11, 9, 10, np.nan, 11, 10, 30, 10, 9],
                      [9, 10, 30, 10, 11, np.nan, 10, 9, 11, 10]], dtype=float)
    flags = control_chart_flags(table, window=5)
    assert flags.shape == (2, 10)
    assert flags[0].tolist() == control_chart_flags(table[0], window=5).tolist()  # rows are independent
    assert not flags[1].any()  # the second row's 30 comes too early to be judged
    with pytest.raises(ValueError):
        control_chart_flags(flat, window=1)


@PROPERTY
@given(values=st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), min_size=0, max_size=40),
       window=st.integers(2, 8))
def test_control_chart_never_flags_gaps_or_short_histories(values, window):
    series = np.array([np.nan if v is None else float(v) for v in values])
    flags = control_chart_flags(series, window=window) if series.size else np.zeros(0, dtype=bool)
    assert flags.shape == series.shape
    assert not flags[np.isnan(series)].any()
    present = np.flatnonzero(~np.isnan(series))
    assert not flags[present[:window]].any()  # the first `window` values have too little history


# -- verdicts with confidence -------------------------------------------------------------------------

@pytest.mark.parametrize(("op", "threshold", "low", "high", "expected"), [
    (">=", 0.80, 0.82, 0.90, "pass"),       # whole interval at or above 80 %
    (">=", 0.80, 0.80, 0.90, "pass"),       # touching the threshold from the right side still meets ">="
    (">=", 0.80, 0.70, 0.85, "uncertain"),  # straddles
    (">=", 0.80, 0.60, 0.79, "fail"),       # wholly below
    (">", 0.80, 0.80, 0.90, "uncertain"),   # 0.80 itself does not satisfy ">"
    (">", 0.80, 0.70, 0.80, "fail"),
    ("<=", 30.0, 20.0, 30.0, "pass"),       # e.g. ASA ≤ 30 s
    ("<=", 30.0, 25.0, 35.0, "uncertain"),
    ("<=", 30.0, 30.5, 40.0, "fail"),
    ("<", 30.0, 20.0, 30.0, "uncertain"),
    ("<", 30.0, 30.0, 40.0, "fail"),
    ("==", 0.0, 0.0, 0.0, "pass"),
    ("==", 0.0, 0.0, 0.1, "uncertain"),
    ("==", 0.0, 0.1, 0.2, "fail"),
])
def test_verdicts_by_operator(op, threshold, low, high, expected):
    assert verdict_with_confidence(low, high, op, threshold) == expected


def test_verdicts_from_wilson_intervals():
    # 8 of 10 answered in time meets "≥ 80 %" on the point, but (0.4902, 0.9433) straddles it:
    # uncertain → the caller reports warn "not significant (n=10)"; 800 of 1000 is (0.7741, 0.8236)
    lows, highs = wilson_interval(np.array([8, 800, 800]), np.array([10, 1000, 1000]))
    verdicts = verdict_with_confidence(lows, highs, ">=", np.array([0.80, 0.75, 0.85]))
    assert verdicts.tolist() == ["uncertain", "pass", "fail"]
    # no interval (too few records) can never pass or fail on confidence
    assert verdict_with_confidence(np.nan, np.nan, "<=", 0.1) == "uncertain"
    with pytest.raises(ValueError, match="op"):
        verdict_with_confidence(0.1, 0.2, "=>", 0.1)


# -- Wilson properties ------------------------------------------------------------------------------

@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, 1_000_000))
    return draw(st.integers(0, n)), n


@PROPERTY
@given(counts())
def test_wilson_contains_the_estimate_and_stays_in_0_1(xn):
    x, n = xn
    low, high = wilson_interval(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0


@PROPERTY
@given(counts())
def test_wilson_is_wider_at_99_than_at_95(xn):
    x, n = xn
    low95, high95 = wilson_interval(x, n, 0.95)
    low99, high99 = wilson_interval(x, n, 0.99)
    assert high99 - low99 > high95 - low95
    assert low99 <= low95 and high99 >= high95


@PROPERTY
@given(counts(), st.integers(2, 100))
def test_wilson_narrows_with_more_records_at_the_same_share(xn, k):
    # width ∝ √(p(1−p)n + z²/4)/(n + z²), whose derivative in n is negative for every p
    x, n = xn
    low, high = wilson_interval(x, n)
    low_k, high_k = wilson_interval(k * x, k * n)
    assert high_k - low_k < high - low
