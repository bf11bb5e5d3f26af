"""Honest statistics for KPI figures: intervals, significance tests and control-chart flags.

Why: 3 answered out of 4 and 750 out of 1000 both print "75 %", but only one of them says
anything. These helpers put an interval round each figure (Wilson for shares, Student t for
means), tell whether a change between two periods is real (pooled two-proportion z-test, Welch
t-test), flag a period only when it leaves the band of its own history (mean ± 3σ of the
preceding N periods), and judge a target only on what the interval allows — so a build never
fails on noise.

Every function is pure and vectorised: arguments broadcast like numpy ufuncs, so a whole table of
groups × periods goes through in one call (0-d input gives numpy scalars back). scipy is not a
dependency, so the distributions are implemented here to double precision:

- normal CDF: erfc(x) = Q(½, x²), the regularised incomplete gamma function, by its series below
  x² = 1.5 and its continued fraction above (Numerical Recipes, 3rd ed., §6.2); < 1e-13 relative;
- normal quantile: Acklam's rational approximation refined by one Halley step; < 1e-13 absolute
  (Acklam alone: 1.15e-9 relative);
- Student t CDF: P(|T| > t) = I_x(ν/2, ½) with x = ν/(ν + t²), the regularised incomplete beta
  function by its continued fraction (modified Lentz, NR §6.4 ``betacf``: under 60 terms for any
  ν, since b = ½), up to ν = 10⁴; above, Hill's normalising transformation (algorithm 395,
  CACM 13:617, 1970); < 1.3e-12 relative in both tails for every ν;
- Student t quantile: exact for ν = 1 and 2, Hill's algorithm 396 (CACM 13:619, 1970) as a start
  otherwise, then Newton steps on the exact probabilities, safeguarded by a bracket.

(Accuracies measured against scipy and closed forms while writing this; the tests pin published
tables and closed forms.) numpy is imported at module level, pandas only inside
:func:`control_chart_flags`; callers that must stay cheap to import should import this module
inside the function that needs it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Op", "control_chart_flags", "normal_cdf", "normal_quantile", "significant", "t_cdf", "t_interval",
    "t_quantile", "two_proportion_test", "verdict_with_confidence", "welch_test", "wilson_interval",
]

Op = Literal["<", "<=", ">", ">=", "=="]  #: a threshold operator, as ``Threshold.op`` holds it
_OPS: tuple[Op, ...] = ("<", "<=", ">", ">=", "==")

_EPS = 2.0 ** -52  #: double-precision machine epsilon
_TINY = 1e-300  #: Lentz's guard against division by zero
_MAXIT = 500  #: continued fractions here converge in < 60 terms (b = ½); this only bounds bad input
_LN_SQRT_PI = 0.5 * math.log(math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_DF_NORMAL = 1e250  #: beyond this, t and normal differ by less than 1e-250
_DF_HILL = 1e4  #: above this df the t tail comes from Hill's normalising transformation


def _f(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


def _out(x: NDArray[Any]) -> Any:
    """0-d arrays become numpy scalars (``float``/``str`` subclasses), like a ufunc's result."""
    return x[()] if x.ndim == 0 else x


def _two_sided_level(confidence: ArrayLike) -> NDArray[np.float64]:
    """``0.95`` → ``0.975``: the quantile whose two tails hold 1 − confidence together."""
    c = _f(confidence)
    if np.any(~((c > 0) & (c < 1))):
        raise ValueError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95), not {confidence!r}")
    return 0.5 + 0.5 * c


# -- the normal distribution --------------------------------------------------------------------

def _erf_pair(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(erf x, erfc x) for finite x ≥ 0 via the incomplete gamma function of (½, x²), each to full
    relative precision: the series gives erf where it is the smaller, the fraction gives erfc."""
    erf = np.empty_like(x)
    erfc = np.empty_like(x)
    y = x * x
    small = y < 1.5
    if small.any():  # series for P(½, y) = erf(x): all terms positive, no cancellation
        ys = y[small]
        ap = np.full_like(ys, 0.5)
        term = np.full_like(ys, 2.0)  # 1/a with a = ½
        total = term.copy()
        for _ in range(_MAXIT):
            ap += 1.0
            term *= ys / ap
            total += term
            if np.all(term < total * _EPS):
                break
        erf[small] = total * np.exp(-ys) * x[small] / math.sqrt(math.pi)
        erfc[small] = 1.0 - erf[small]
    big = ~small
    if big.any():  # continued fraction for Q(½, y) = erfc(x), modified Lentz (NR gcf)
        yb = y[big]
        b = yb + 0.5
        c = np.full_like(yb, 1.0 / _TINY)
        d = 1.0 / b
        h = d.copy()
        for i in range(1, _MAXIT):
            an = -i * (i - 0.5)
            b = b + 2.0
            d = an * d + b
            d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
            c = b + an / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            delta = d * c
            h *= delta
            if np.all(np.abs(delta - 1.0) < _EPS):
                break
        with np.errstate(under="ignore"):
            erfc[big] = np.exp(-yb) * x[big] / math.sqrt(math.pi) * h
        erf[big] = 1.0 - erfc[big]
    return erf, erfc


def _normal_split(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """For x ≥ 0 (inf allowed): (P(Z > x), P(0 ≤ Z ≤ x)), each without cancellation."""
    upper = np.zeros_like(x)
    central = np.full_like(x, 0.5)
    fin = np.isfinite(x)
    erf, erfc = _erf_pair(x[fin] / _SQRT2)
    upper[fin] = 0.5 * erfc
    central[fin] = 0.5 * erf
    return upper, central


def _normal_upper(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """P(Z > x) for any real x, to full relative precision in the upper tail; NaN stays NaN."""
    out = np.full_like(x, np.nan)
    ok = ~np.isnan(x)
    upper, central = _normal_split(np.abs(x[ok]))
    out[ok] = np.where(x[ok] >= 0, upper, 0.5 + central)
    return out


def normal_cdf(x: ArrayLike) -> Any:
    """Φ(x), the standard normal CDF, to double precision in both tails (pooled z-test p-values)."""
    return _out(_normal_upper(-_f(x)))


# Acklam's coefficients, https://web.archive.org/web/20151030215612/http://home.online.no/~pjacklam/notes/invnorm/
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
_P_LOW = 0.02425


def _poly(coef: tuple[float, ...], x: NDArray[np.float64]) -> NDArray[np.float64]:
    acc = np.full_like(x, coef[0])
    for c in coef[1:]:
        acc = acc * x + c
    return acc


def _normal_lower_quantile(q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Φ⁻¹(q) for 0 < q ≤ ½ (so ≤ 0): Acklam (relative error < 1.15e-9), then one Halley step.

    The step needs e = Φ(x) − q to full precision: from the tail probability for small q, and as
    (½ − q) − P(0 ≤ Z ≤ −x) near the centre, where Φ(x) − q would cancel.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tail = q < _P_LOW
        r = np.sqrt(-2.0 * np.log(np.where(tail, q, 0.5)))
        x_tail = _poly(_C, r) / (_poly(_D, r) * r + 1.0)
        s = q - 0.5
        s2 = s * s
        x_mid = _poly(_A, s2) * s / (_poly(_B, s2) * s2 + 1.0)
        x = np.minimum(np.where(tail, x_tail, x_mid), 0.0)
        upper, central = _normal_split(-x)
        e = np.where(q < 0.25, upper - q, (0.5 - q) - central)
        u = e * _SQRT_2PI * np.exp(0.5 * x * x)
        refined = x - u / (1.0 + 0.5 * x * u)
    # below x = −37.5 (q < 1e-307) exp(x²/2) overflows: keep Acklam's value there
    return np.where(x > -37.5, refined, x)


def normal_quantile(p: ArrayLike) -> Any:
    """Φ⁻¹(p): z for a confidence level (1.959964 for 0.975). NaN outside [0, 1]; ±inf at 1 and 0."""
    pa = _f(p)
    out = np.full_like(pa, np.nan)
    inner = (pa > 0) & (pa < 1)
    pin = pa[inner]
    q = np.minimum(pin, 1.0 - pin)  # exact for p ≥ ½ (Sterbenz), so the upper tail keeps its digits
    z = _normal_lower_quantile(q)
    out[inner] = np.where(pin > 0.5, -z, z)
    out[pa == 0] = -np.inf
    out[pa == 1] = np.inf
    return _out(out)


# -- Student's t distribution ---------------------------------------------------------------------

def _ln_gamma_half_ratio(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """ln Γ(a + ½) − ln Γ(a) for a > 0, without the cancellation of two large ln Γ values.

    Shift a up to s = a + k ≥ 20 with Γ(z + 1) = zΓ(z), then use Stirling's series for the difference
    written as s·log1p(1/(2s)) + ½ ln s − ½ + S(s + ½) − S(s) (truncation error < 1e-16 at s ≥ 20).
    """
    k = np.maximum(0.0, np.ceil(20.0 - a))
    s = a + k
    correction = np.zeros_like(a)
    for j in range(int(k.max()) if k.size else 0):
        correction += np.where(j < k, np.log1p(0.5 / (a + j)), 0.0)

    def stirling(z: NDArray[np.float64]) -> NDArray[np.float64]:
        w = 1.0 / (z * z)
        return (1.0 / 12 - w * (1.0 / 360 - w * (1.0 / 1260 - w * (1.0 / 1680 - w / 1188)))) / z

    d = s * np.log1p(0.5 / s) + 0.5 * np.log(s) - 0.5 + (stirling(s + 0.5) - stirling(s))
    return d - correction


def _betacf(a: NDArray[np.float64], b: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The continued fraction of I_x(a, b) (Numerical Recipes ``betacf``), modified Lentz, vectorised.

    Elements drop out of the working set as they converge, so a slow one does not cost the rest.
    """
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    result = h.copy()
    live = np.arange(x.size)
    for m in range(1, _MAXIT + 1):
        aw, bw, xw = a[live], b[live], x[live]
        m2 = 2.0 * m
        aa = m * (bw - m) * xw / ((qam[live] + m2) * (aw + m2))
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        h = h * d * c
        aa = -(aw + m) * (qab[live] + m) * xw / ((aw + m2) * (qap[live] + m2))
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        delta = d * c
        h = h * delta
        done = np.abs(delta - 1.0) < 2.0 * _EPS
        result[live[done]] = h[done]
        if done.all():
            break
        keep = ~done
        live, c, d, h = live[keep], c[keep], d[keep], h[keep]
    else:  # pragma: no cover - not reached for b = ½; keeps the last approximant rather than nothing
        result[live] = h
    return result


def _t_split(t: NDArray[np.float64], df: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """For finite t ≥ 0 and 0 < df < _DF_NORMAL (1-D, equal length): (P(T > t), P(0 ≤ T ≤ t)).

    Up to df = 10⁴: P(|T| > t) = I_x(df/2, ½), x = df/(df + t²), by the continued fraction; its
    rounding error grows like ε·df (x lies within 1/df of 1), 6e-13 relative at the switch. Above:
    Hill's normalising transformation (algorithm 395, CACM 13:617, 1970), z = w·(1 + (w² + 3)/b − …)
    with w² = (df − ½)·ln(1 + t²/df), b = 48(df − ½)², then the normal tail; its neglected terms are
    O(w¹¹/b³), below 1e-12 relative there for every t (checked against scipy while writing this).
    """
    upper = np.empty_like(t)
    central = np.empty_like(t)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        r = t / np.sqrt(df)
        ln1r2 = np.where(r > 1e8, 2.0 * np.log(r), np.log1p(r * r))  # ln(1 + t²/df) = −ln x
    big = df > _DF_HILL
    if big.any():
        a = df[big] - 0.5
        b = 48.0 * a * a
        w2 = a * ln1r2[big]
        z = (((((-0.4 * w2 - 3.3) * w2 - 24.0) * w2 - 85.5) / (0.8 * w2 * w2 + 100.0 + b) + w2 + 3.0) / b + 1.0)
        upper[big], central[big] = _normal_split(z * np.sqrt(w2))
    small = ~big
    if small.any():
        upper[small], central[small] = _t_split_beta(df[small], r[small], ln1r2[small])
    return upper, central


def _t_split_beta(df: NDArray[np.float64], r: NDArray[np.float64],
                  ln1r2: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(½·I_x(df/2, ½), ½·I_y(½, df/2)) with x = 1/(1 + r²), y = 1 − x, by the continued fraction
    (NR §6.4) on whichever side converges fast; the other is ½ minus it."""
    a = 0.5 * df
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        ln_x = -ln1r2
        ln_y = -np.log1p(1.0 / (r * r))  # y = 1 − x = t²/(df + t²), without the subtraction
        x, y = np.exp(ln_x), np.exp(ln_y)
        ln_beta = _LN_SQRT_PI - _ln_gamma_half_ratio(a)  # ln B(a, ½) = ln Γ(½) + ln Γ(a) − ln Γ(a + ½)
        front = np.exp(a * ln_x + 0.5 * ln_y - ln_beta)  # x^a y^½ / B(a, ½)
    half = np.full_like(a, 0.5)
    direct = y > 1.5 / (a + 2.5)  # NR's rule x < (a + 1)/(a + b + 2), tested on y so no rounding decides it
    upper = np.empty_like(a)
    central = np.empty_like(a)
    if direct.any():
        upper[direct] = 0.5 * front[direct] * _betacf(a[direct], half[direct], x[direct]) / a[direct]
        central[direct] = 0.5 - upper[direct]
    other = ~direct
    if other.any():
        central[other] = front[other] * _betacf(half[other], a[other], y[other])  # ½·(… / ½)
        upper[other] = 0.5 - central[other]
    return upper, central


def _t_tails(t: ArrayLike, df: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Broadcast t and df; return (t, P(T > |t|), P(0 ≤ T ≤ |t|)); NaN where t is NaN or df ≤ 0."""
    tb, dfb = np.broadcast_arrays(_f(t), _f(df))
    tt, dd = tb.ravel(), dfb.ravel()
    upper = np.full(tt.shape, np.nan)
    central = np.full(tt.shape, np.nan)
    valid = ~np.isnan(tt) & (dd > 0)
    at = np.abs(tt)
    normal = valid & ((dd >= _DF_NORMAL) | np.isinf(at))  # an infinite t has the normal's limits too
    upper[normal], central[normal] = _normal_split(at[normal])
    exact = valid & ~normal
    if exact.any():
        upper[exact], central[exact] = _t_split(at[exact], dd[exact])
    shape = tb.shape
    return tb, upper.reshape(shape), central.reshape(shape)


def t_cdf(t: ArrayLike, df: ArrayLike) -> Any:
    """P(T ≤ t) for Student's t with df > 0 degrees of freedom (any real df; inf is the normal).

    Full relative precision in the lower tail; NaN where t is NaN or df ≤ 0.
    """
    tb, upper, central = _t_tails(t, df)
    return _out(np.where(tb >= 0, 0.5 + central, upper))


def _t_two_sided(t: ArrayLike, df: ArrayLike) -> NDArray[np.float64]:
    """P(|T| ≥ |t|): the two-sided p-value, from the small tail (no 1 − p cancellation)."""
    _, upper, _ = _t_tails(t, df)
    return 2.0 * upper


def _t_ln_pdf(t: NDArray[np.float64], df: NDArray[np.float64]) -> NDArray[np.float64]:
    """ln of Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^(−(ν+1)/2); a log, as far out it underflows."""
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        r = np.abs(t) / np.sqrt(df)
        ln1r2 = np.where(r > 1e8, 2.0 * np.log(r), np.log1p(r * r))
        return _ln_gamma_half_ratio(0.5 * df) - 0.5 * np.log(df * math.pi) - 0.5 * (df + 1.0) * ln1r2


def _hill_start(q: NDArray[np.float64], df: NDArray[np.float64]) -> NDArray[np.float64]:
    """Hill's algorithm 396 (CACM 13:619, 1970): t with P(T > t) ≈ q, for df > 1, 0 < q < ½.

    Only a starting value for Newton; its own accuracy (about 6 digits) is not relied upon.
    """
    p2 = 2.0 * q  # Hill works with the two-tailed probability
    n = df
    with np.errstate(all="ignore"):
        a = 1.0 / (n - 0.5)
        b = 48.0 / (a * a)
        c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36
        d = ((94.5 / (b + c) - 3.0) / b + 1.0) * np.sqrt(a * math.pi / 2.0) * n
        y = (d * p2) ** (2.0 / n)
        # moderate probabilities: an expansion round the normal quantile
        z = _normal_lower_quantile(q)
        zz = z * z
        c2 = np.where(n < 5, c + 0.3 * (n - 4.5) * (z + 0.6), c)
        c2 = (((0.05 * d * z - 5.0) * z - 7.0) * z - 2.0) * z + b + c2
        w = (((((0.4 * zz + 6.3) * zz + 36.0) * zz + 94.5) / c2 - zz - 3.0) / b + 1.0) * z
        y_norm = np.expm1(a * w * w)
        # small probabilities: the tail series
        y_tail = ((1.0 / (((n + 6.0) / (n * y) - 0.089 * d - 0.822) * (n + 2.0) * 3.0)
                   + 0.5 / (n + 4.0)) * y - 1.0) * (n + 1.0) / (n + 2.0) + 1.0 / y
        return np.sqrt(n * np.where(y > 0.05 + a, y_norm, y_tail))


def _t_upper_quantile(q: NDArray[np.float64], df: NDArray[np.float64]) -> NDArray[np.float64]:
    """t ≥ 0 with P(T > t) = q, for 0 < q < ½ and finite df > 0 (1-D arrays of equal length).

    Near the centre (q > ¼) Newton on P(0 ≤ T ≤ t) = ½ − q in t, so t near 0 keeps its digits (that
    function is concave: from below the steps never overshoot). In the tail Newton on ln P(T > t) in
    ln t, nearly a straight line (exactly one for a power-law tail), so even a start far out lands
    at once. A step that leaves the bracket [lo, hi] of known bounds is replaced by bisection
    (geometric when the bracket is wide or open). Relative error after the loop: < 1e-12.
    """
    half_minus_q = 0.5 - q  # exact: q ≤ ½
    with np.errstate(all="ignore"):
        # start: exact for df 1 and 2, Hill for df > 1, the power-law tail for df < 1
        cauchy = 1.0 / np.tan(math.pi * q)  # df = 1: tan(π(½ − q)) = cot(πq), exact in the far tail too
        two = 2.0 * half_minus_q / np.sqrt(2.0 * q * (1.0 - q))
        ln_k = _ln_gamma_half_ratio(0.5 * df) - 0.5 * np.log(df * math.pi)  # ln of the density at 0
        ln_tail = (ln_k + 0.5 * (df - 1.0) * np.log(df) - np.log(q)) / df  # Q ≈ K ν^((ν−1)/2) t^(−ν)
        tail = np.exp(np.minimum(ln_tail, 690.0))  # above the root: the power law overstates Q
        t = np.where(df == 1, cauchy, np.where(df == 2, two, np.where(df > 1, _hill_start(q, df), tail)))
        t = np.where(np.isfinite(t) & (t > 0), t, tail)
    use_central = q > 0.25
    ln_q = np.log(q)
    lo = np.zeros_like(t)
    hi = np.full_like(t, np.inf)
    result = t.copy()
    live = np.arange(t.size)
    for _ in range(100):
        tl, dl, cl = t[live], df[live], use_central[live]
        upper, central = _t_split(tl, dl)
        below = np.where(cl, central < half_minus_q[live], upper > q[live])  # the root lies above tl
        lo[live] = np.where(below, np.maximum(lo[live], tl), lo[live])
        hi[live] = np.where(below, hi[live], np.minimum(hi[live], tl))
        with np.errstate(all="ignore"):
            ln_pdf = _t_ln_pdf(tl, dl)
            # centre: Newton on P(0 ≤ T ≤ t) in t; tail: Newton on ln P(T > t) in ln t, which is
            # nearly straight for heavy tails (a power law), so a start far out converges at once
            linear = tl + (half_minus_q[live] - central) * np.exp(-ln_pdf)
            ln_upper = np.log(upper)
            logged = tl * np.exp((ln_upper - ln_q[live]) * np.exp(ln_upper - np.log(tl) - ln_pdf))
            new = np.where(cl, linear, logged)
            lw, hw = lo[live], hi[live]
            inside = (np.isfinite(new) & (new > lw) & (new < hw)) | (new == tl)  # a Newton step was taken
            bisect = np.where(np.isinf(hw), 8.0 * np.maximum(lw, tl), np.where(lw == 0, hw / 8.0, 0.5 * (lw + hw)))
            bisect = np.where((lw > 0) & np.isfinite(hw) & (hw > 4.0 * lw), np.sqrt(lw * hw), bisect)
            new = np.where(inside, new, bisect)
            size = np.abs(new - tl) / tl
        # Newton converges quadratically: after a step below 1e-9 the error is ~1e-18, under the
        # rounding noise of the tail probability itself, so further steps would only chase noise
        done = inside & (size <= 1e-9)
        t[live] = new
        result[live[done]] = new[done]
        if done.all():
            break
        live = live[~done]
    else:  # pragma: no cover - safeguard for pathological input; keep the last iterate
        result[live] = t[live]
    return result


def t_quantile(p: ArrayLike, df: ArrayLike) -> Any:
    """The inverse Student t CDF: t with P(T ≤ t) = p (2.228139 for p = 0.975, df = 10).

    Any real df > 0; df = inf gives the normal quantile. NaN for p outside [0, 1] or df ≤ 0.
    """
    pb, dfb = np.broadcast_arrays(_f(p), _f(df))
    pp, dd = pb.ravel(), dfb.ravel()
    out = np.full(pp.shape, np.nan)
    valid = (dd > 0) & (pp >= 0) & (pp <= 1)
    out[valid & (pp == 0)] = -np.inf
    out[valid & (pp == 1)] = np.inf
    out[valid & (pp == 0.5)] = 0.0
    inner = valid & (pp > 0) & (pp < 1) & (pp != 0.5)
    normal = inner & (dd >= _DF_NORMAL)
    out[normal] = np.asarray(normal_quantile(pp[normal]))
    exact = inner & ~normal
    if exact.any():
        pe = pp[exact]
        t = _t_upper_quantile(np.minimum(pe, 1.0 - pe), dd[exact])
        out[exact] = np.where(pe > 0.5, t, -t)
    return _out(out.reshape(pb.shape))


# -- intervals -------------------------------------------------------------------------------------

def _check_counts(successes: NDArray[np.float64], n: NDArray[np.float64], what: str) -> None:
    bad = (n < 0) | (successes < 0) | (successes > n)
    if np.any(bad):
        raise ValueError(f"{what}: counts must satisfy 0 ≤ successes ≤ n (found {int(np.sum(bad))} that do not)")


def _wilson_lower(x: NDArray[np.float64], n: NDArray[np.float64], z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lower Wilson bound as 2x² / (n·u), u = 2x + z² + z√(z² + 4x(n−x)/n).

    The textbook form (centre − half-width) subtracts two nearly equal numbers when x is small;
    this one uses the product of the two roots of the score quadratic, x²/(n(n + z²)), instead.
    """
    z2 = z * z
    u = 2.0 * x + z2 + z * np.sqrt(z2 + 4.0 * x * (n - x) / n)
    return 2.0 * x * x / (n * u)


def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: ArrayLike = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a share successes/n: (low, high), NaN where n = 0.

    Why Wilson: unlike the textbook p ± z√(p(1−p)/n) it never leaves [0, 1], is not zero-width at
    0/n or n/n, and keeps close to its nominal coverage at small n (Newcombe 1998, Stat Med 17:857).
    """
    x, nn = np.broadcast_arrays(_f(successes), _f(n))
    _check_counts(x, nn, "wilson_interval")
    z = _f(normal_quantile(_two_sided_level(confidence)))
    with np.errstate(divide="ignore", invalid="ignore"):
        low = _wilson_lower(x, nn, z)
        high = 1.0 - _wilson_lower(nn - x, nn, z)  # the upper bound is the lower bound of the failures
    empty = ~(nn > 0)
    low = np.where(empty, np.nan, np.clip(low, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(high, 0.0, 1.0))
    return _out(low), _out(high)


def t_interval(mean: ArrayLike, std: ArrayLike, n: ArrayLike, confidence: ArrayLike = 0.95) -> tuple[Any, Any]:
    """Student t interval for a mean: mean ± t(1 − α/2, n − 1)·std/√n; NaN where n < 2.

    ``std`` is the sample standard deviation (ddof = 1), as ``Series.std()`` gives it.
    """
    m, s, nn = np.broadcast_arrays(_f(mean), _f(std), _f(n))
    if np.any(s < 0):
        raise ValueError("t_interval: a standard deviation cannot be negative")
    level = _two_sided_level(confidence)
    ok = nn >= 2
    df = np.where(ok, nn - 1.0, np.nan)
    tq = _f(t_quantile(level, df))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = tq * s / np.sqrt(np.where(ok, nn, np.nan))
    return _out(m - half), _out(m + half)


# -- tests -----------------------------------------------------------------------------------------

def two_proportion_test(x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike) -> tuple[Any, Any]:
    """Pooled two-proportion z-test of x1/n1 against x2/n2: (z, two-sided p-value).

    z > 0 when the first share is the larger. Where both samples agree exactly and there is no
    variation at all (0/n1 vs 0/n2, or all successes), there is no evidence of a change: z = 0,
    p = 1. NaN where either n is 0.
    """
    a, na, b, nb = np.broadcast_arrays(_f(x1), _f(n1), _f(x2), _f(n2))
    _check_counts(a, na, "two_proportion_test (first sample)")
    _check_counts(b, nb, "two_proportion_test (second sample)")
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (a + b) / (na + nb)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb))
        z = (a / na - b / nb) / se
    usable = (na > 0) & (nb > 0)
    z = np.where(usable, np.where(se == 0, 0.0, z), np.nan)
    p = np.where(np.isnan(z), np.nan, np.minimum(1.0, 2.0 * _normal_upper(np.abs(z))))
    return _out(z), _out(p)


def welch_test(mean1: ArrayLike, sd1: ArrayLike, n1: ArrayLike,
               mean2: ArrayLike, sd2: ArrayLike, n2: ArrayLike) -> tuple[Any, Any, Any]:
    """Welch's unequal-variances t-test from summary figures: (t, df, two-sided p-value).

    df is the Welch–Satterthwaite value (not rounded). t > 0 when the first mean is the larger.
    NaN where either n < 2 or both standard deviations are 0 (no variation: nothing to test).
    """
    m1, s1, k1, m2, s2, k2 = np.broadcast_arrays(_f(mean1), _f(sd1), _f(n1), _f(mean2), _f(sd2), _f(n2))
    if np.any(s1 < 0) or np.any(s2 < 0):
        raise ValueError("welch_test: a standard deviation cannot be negative")
    ok = (k1 >= 2) & (k2 >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = s1 * s1 / k1
        v2 = s2 * s2 / k2
        se2 = v1 + v2
        t = (m1 - m2) / np.sqrt(se2)
        df = se2 * se2 / (v1 * v1 / (k1 - 1.0) + v2 * v2 / (k2 - 1.0))
    ok &= se2 > 0
    t = np.where(ok, t, np.nan)
    df = np.where(ok, df, np.nan)
    p = _t_two_sided(t, np.where(ok, df, 1.0))
    p = np.where(ok, np.minimum(1.0, p), np.nan)
    return _out(t), _out(df), _out(p)


def significant(p_value: ArrayLike, alpha: float = 0.05) -> Any:
    """True where p < alpha; a missing p-value (NaN: no test possible) is never significant."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, not {alpha!r}")
    p = _f(p_value)
    return _out(~np.isnan(p) & (p < alpha))


# -- control chart -----------------------------------------------------------------------------------

def control_chart_flags(values: ArrayLike, window: int = 20, sigmas: float = 3.0) -> Any:
    """True where a value lies outside mean ± sigmas·σ of the preceding ``window`` non-missing values.

    The Shewhart rule on a KPI series (``--every``): the band comes from history only, never from
    the value being judged. σ is the sample standard deviation (ddof = 1). NaN marks a gap: it is
    never flagged and is skipped when counting the preceding values; a value with fewer than
    ``window`` values before it is not flagged. A 2-D array is a table, one series per row.
    Deviations within rounding noise (1e-9 relative) of the mean are never flagged, so a perfectly
    flat history does not flag a value that differs only in the last bits. The default window of 20
    follows the usual advice to base trial control limits on 20–25 samples (Montgomery,
    Introduction to Statistical Quality Control); fewer make σ itself too noisy for a 3σ rule.
    """
    import pandas as pd

    if int(window) != window or window < 2:
        raise ValueError(f"window must be a whole number ≥ 2 (σ needs two values), not {window!r}")
    if not sigmas > 0:
        raise ValueError(f"sigmas must be positive, not {sigmas!r}")
    arr = _f(values)
    if arr.ndim not in (1, 2):
        raise ValueError("control_chart_flags takes a series (1-D) or a table of series (2-D, one per row)")
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=bool)
    table = arr.reshape(-1, arr.shape[-1])
    row = np.repeat(np.arange(table.shape[0]), table.shape[1])
    flat = table.ravel()
    present = ~np.isnan(flat)
    series = pd.Series(flat[present])
    groups = row[present]
    previous = series.groupby(groups).shift(1)  # the window ends just before the value it judges
    rolling = previous.groupby(groups).rolling(int(window), min_periods=int(window))
    centre = rolling.mean().reset_index(level=0, drop=True).sort_index().to_numpy()
    spread = rolling.std().reset_index(level=0, drop=True).sort_index().to_numpy()
    values_ = series.to_numpy()
    noise = 1e-9 * np.maximum(np.abs(centre), np.finfo(float).tiny)
    with np.errstate(invalid="ignore"):
        outside = np.abs(values_ - centre) > sigmas * spread + noise
    flags = np.zeros(flat.shape, dtype=bool)
    flags[present] = outside & ~np.isnan(centre) & ~np.isnan(spread)
    return flags.reshape(arr.shape)


# -- targets ---------------------------------------------------------------------------------------------

def verdict_with_confidence(low: ArrayLike, high: ArrayLike, op: Op, threshold: ArrayLike) -> Any:
    """Judge an interval against ``op threshold``: "pass", "fail" or "uncertain".

    "pass" when the whole interval satisfies the threshold, "fail" when the whole interval misses
    it, "uncertain" when it straddles (the caller reports warn "not significant (n=…)"). A missing
    bound (NaN: too few records for an interval) counts as unbounded on that side, so it can only
    make the verdict "uncertain". For "==" only a zero-width interval on the threshold passes.
    """
    if op not in _OPS:
        raise ValueError(f"op must be one of {', '.join(_OPS)}, not {op!r}")
    lo, hi, thr = np.broadcast_arrays(_f(low), _f(high), _f(threshold))
    lo = np.where(np.isnan(lo), -np.inf, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    if op == "<":
        good, bad = hi < thr, lo >= thr
    elif op == "<=":
        good, bad = hi <= thr, lo > thr
    elif op == ">":
        good, bad = lo > thr, hi <= thr
    elif op == ">=":
        good, bad = lo >= thr, hi < thr
    else:
        good, bad = (lo == thr) & (hi == thr), (hi < thr) | (lo > thr)
    verdict = np.where(good, "pass", np.where(bad, "fail", "uncertain"))
    verdict = np.where(np.isnan(thr), "uncertain", verdict)
    return _out(verdict)
