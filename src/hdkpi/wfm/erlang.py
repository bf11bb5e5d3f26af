"""Queueing models behind ``hdkpi staffing``: Erlang B, Erlang C and Erlang A (M/M/n+M).

Why these models: Erlang C (M/M/n, Poisson arrivals, exponential handling, first come first
served, callers who never give up) is the figure every WFM tool and desk manager quotes, so the
staffing table speaks their language. Erlang A adds exponential patience, because real callers
hang up: it stays defined when traffic exceeds the agents and predicts abandonment too.

Units: times in seconds, shares as fractions 0–1, traffic in Erlangs (busy agents' worth of work).
Every function takes scalars or numpy arrays (broadcast together), so a whole weekday × interval
grid is computed at once; the only Python loops run over agent counts or series terms, never rows.

Numerics (why no factorials): Erlang B comes from its recurrence B(0) = 1,
B(k) = A·B(k−1) / (k + A·B(k−1)), which never overflows (each step is a probability), and Erlang C
from B: C = n·B / (n − A·(1 − B)). Erlang A needs Kummer's function
A(x, y) = Σ_j y^j / ((x+1)(x+2)…(x+j)) = x·e^y·y^(−x)·γ(x, y) (γ the lower incomplete gamma),
summed here in log-scaled blocks so that it may reach e^700 and beyond without overflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

__all__ = [
    "Prediction",
    "Requirement",
    "ServiceGoal",
    "agents_required",
    "asa",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "patience_from_counts",
    "predict",
    "requirement",
    "service_level",
    "traffic",
    "with_shrinkage",
]

#: terms of the Erlang A series summed per numpy step (one step covers most real intervals)
_BLOCK = 256
#: a series term this far (natural log) below the largest so far, past the peak, ends the sum
_LOG_NEGLIGIBLE = math.log(1e-18)
#: float slack when comparing a model figure with a goal (0.85 must accept 0.8500000000000001)
_SLACK = 1e-12
#: guard against a search that cannot end (only reachable through a bug: goals are validated)
_MAX_AGENTS = 10_000_000


@dataclass(frozen=True)
class ServiceGoal:
    """An answer-time goal: ``share`` of offered calls answered within ``within`` seconds (80/20)."""

    share: float
    within: float

    def __post_init__(self) -> None:
        # share 1 can never be met (the waiting-time tail is never zero), so it is refused here
        if not 0 < self.share < 1:
            raise ValueError(f"service goal share must be between 0 and 1 (exclusive), got {self.share!r}")
        if not (self.within >= 0 and math.isfinite(self.within)):
            raise ValueError(f"service goal answer time must be a finite number of seconds ≥ 0, got {self.within!r}")

    @classmethod
    def parse(cls, text: str) -> ServiceGoal:
        """``"80/20"`` → 80 % of calls answered within 20 s (the form call centres write it in)."""
        share, sep, within = str(text).partition("/")
        try:
            if not sep:
                raise ValueError
            return cls(float(share.strip().rstrip("%")) / 100.0, float(within.strip().rstrip("s")))
        except ValueError:
            raise ValueError(f"{text!r} is not a service goal like 80/20 (percent / seconds)") from None


@dataclass(frozen=True)
class Prediction:
    """Predicted figures for a given number of agents (arrays broadcast from the inputs).

    ``service_level`` is the share of *offered* calls answered within the answer time, so under
    Erlang A an abandoned call counts against it; ``asa`` is the mean wait of answered calls,
    ``mean_wait`` that of all offered calls (abandoned ones until they hung up); ``abandon`` is
    0 under Erlang C. Erlang C with agents ≤ traffic is ``stable == False``: the queue grows
    without bound, so the wait is infinite and the service level 0 — never a negative wait.
    """

    agents: np.ndarray
    traffic: np.ndarray
    p_wait: np.ndarray
    service_level: np.ndarray
    asa: np.ndarray
    mean_wait: np.ndarray
    occupancy: np.ndarray
    abandon: np.ndarray
    stable: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):  # one type for every field, even for scalar inputs (0-d arrays)
            object.__setattr__(self, f.name, np.asarray(getattr(self, f.name)))

    def as_dict(self) -> dict[str, np.ndarray]:
        """Column name → array, ready for ``pandas.DataFrame``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Requirement:
    """Agents required, three ways, and the figures predicted at the net requirement.

    ``raw``: smallest count meeting the answer-time/ASA goals (and the abandonment cap);
    ``net``: also under the maximum occupancy; ``gross``: ``net`` grossed up for shrinkage.
    """

    raw: np.ndarray
    net: np.ndarray
    gross: np.ndarray
    prediction: Prediction


# --------------------------------------------------------------------------- helpers


def _floats(*values: npt.ArrayLike) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values])]


def _out(value: np.ndarray) -> float | np.ndarray:
    """A 0-d result back as a Python float, so scalar in gives scalar out."""
    return float(value) if np.ndim(value) == 0 else value


def _check_agents(agents: np.ndarray) -> None:
    if not np.all(np.isfinite(agents) & (agents >= 0) & (agents == np.floor(agents))):
        raise ValueError("agent counts must be whole numbers ≥ 0")


def _check_nonneg(name: str, values: np.ndarray, *, allow_inf: bool = False) -> None:
    ok = values >= 0 if allow_inf else np.isfinite(values) & (values >= 0)
    if not np.all(ok):
        raise ValueError(f"{name} must be {'a number' if allow_inf else 'a finite number'} ≥ 0 (got NaN or negative)")


def _check_positive(name: str, values: np.ndarray) -> None:
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"{name} must be a finite number > 0")


# --------------------------------------------------------------------------- Erlang B and C


def traffic(calls: npt.ArrayLike, aht: npt.ArrayLike, interval: npt.ArrayLike) -> float | np.ndarray:
    """Offered traffic in Erlangs: calls per interval × AHT ÷ interval length (AHT and interval in seconds).

    100 calls in 30 minutes at 180 s AHT is 100 × 180 / 1800 = 10 Erlangs: ten agents' worth of work.
    Kept fractional: rounding happens only when agents are counted. No calls is no traffic, whatever the AHT.
    """
    c, h, t = _floats(calls, aht, interval)
    _check_nonneg("calls", c)
    _check_nonneg("AHT", np.where(c == 0, 0.0, h))  # an interval without calls has no AHT (NaN) and no traffic
    _check_positive("interval length", t)
    return _out(np.where(c == 0, 0.0, c * h / np.where(c == 0, 1.0, t)))


def _erlang_b(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang B by its recurrence, run up to each element's own agent count (n, a broadcast, validated)."""
    b = np.ones_like(a)
    top = int(n.max()) if n.size else 0
    for k in range(1, top + 1):
        step = a * b / (k + a * b)  # a probability: cannot overflow, underflows gracefully to 0
        b = np.where(k <= n, step, b)
    return b


def erlang_b(agents: npt.ArrayLike, traffic: npt.ArrayLike) -> float | np.ndarray:
    """Blocking probability of a loss system (no queue): the building block of Erlang C and A."""
    n, a = _floats(agents, traffic)
    _check_agents(n)
    _check_nonneg("traffic", a)
    return _out(_erlang_b(n, a))


def _c_from_b(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    c = np.where(n > a, c, 1.0)  # at or above capacity every caller waits (the queue never empties)
    return np.where(a == 0, 0.0, c)  # no traffic: nobody waits


def erlang_c(agents: npt.ArrayLike, traffic: npt.ArrayLike) -> float | np.ndarray:
    """Probability that a caller has to wait, P(W > 0), in M/M/n; 1 when agents ≤ traffic."""
    n, a = _floats(agents, traffic)
    _check_agents(n)
    _check_nonneg("traffic", a)
    return _out(_c_from_b(n, a, _erlang_b(n, a)))


def _erlang_c_figures(n: np.ndarray, a: np.ndarray, aht: np.ndarray, within: np.ndarray, b: np.ndarray) -> Prediction:
    stable = (n > a) | (a == 0)
    pw = _c_from_b(n, a, b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = n - a
        wait = np.where(stable, np.where(a == 0, 0.0, pw * aht / gap), np.inf)
        sl = np.where(stable, 1.0 - pw * np.exp(-gap * within / aht), 0.0)
        occ = np.where(n > 0, np.minimum(a / n, 1.0), np.nan)
    sl = np.where(a == 0, 1.0, sl)
    return Prediction(
        agents=n.astype(np.int64), traffic=a, p_wait=pw, service_level=np.clip(sl, 0.0, 1.0), asa=wait, mean_wait=wait,
        occupancy=np.where(a == 0, 0.0, occ), abandon=np.zeros_like(a), stable=stable,
    )


def service_level(agents: npt.ArrayLike, traffic: npt.ArrayLike, aht: npt.ArrayLike,
                  within: npt.ArrayLike) -> float | np.ndarray:
    """Erlang C share of calls answered within ``within`` s: 1 − C·exp(−(n − A)·T/AHT); 0 when unstable."""
    return _out(predict(agents, traffic, aht, within).service_level)


def asa(agents: npt.ArrayLike, traffic: npt.ArrayLike, aht: npt.ArrayLike) -> float | np.ndarray:
    """Erlang C average speed of answer in seconds: C·AHT/(n − A); infinite when agents ≤ traffic."""
    return _out(predict(agents, traffic, aht, 0.0).asa)


def occupancy(agents: npt.ArrayLike, traffic: npt.ArrayLike) -> float | np.ndarray:
    """Erlang C occupancy A/n (capped at 1: overloaded agents are busy all the time, not more)."""
    n, a = _floats(agents, traffic)
    _check_agents(n)
    _check_nonneg("traffic", a)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.minimum(a / n, 1.0), np.nan)
    return _out(np.where(a == 0, 0.0, occ))


# --------------------------------------------------------------------------- Erlang A


def _kummer_sums(x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over the queue position j a delayed caller finds, with weights w_j = z^j / ((x+1)…(x+j)).

    Returns ``(m, s0, s1, s2)`` with every sum scaled by e^(−m) so nothing overflows:
    s0 = Σ w_j (Kummer's A(x, z) = 1F1(1; x+1; z) = x·e^z·z^(−x)·γ(x, z)),
    s1 = Σ w_j · x/(x+j+1) (a caller finding j ahead is served with probability x/(x+j+1)),
    s2 = Σ w_j · x/(x+j+1) · H_j, H_j = Σ_{i=1..j+1} 1/(x+i) (its mean wait if served, in units of patience).
    Terms rise while x + j < z and then fall faster than geometrically; the sum stops once past the
    peak the newest term is below 1e-18 of the largest. Vectorised over elements; loops over blocks of j.
    """
    x = np.asarray(x, dtype=float).ravel()
    z = np.asarray(z, dtype=float).ravel()
    with np.errstate(divide="ignore"):
        log_z = np.log(z)  # z = 0 gives −inf: every term after the first is 0
    m = np.zeros_like(x)
    s0 = np.ones_like(x)
    served0 = x / (x + 1.0)
    h_last = 1.0 / (x + 1.0)
    s1 = served0.copy()
    s2 = served0 * h_last
    lw_last = np.zeros_like(x)
    active = np.flatnonzero(z > 0)
    j0 = 1
    while active.size:
        j = j0 + np.arange(_BLOCK, dtype=float)
        xa = x[active, None]
        lw = lw_last[active, None] + np.cumsum(log_z[active, None] - np.log(xa + j), axis=1)
        served = xa / (xa + j + 1.0)
        h = h_last[active, None] + np.cumsum(1.0 / (xa + j + 1.0), axis=1)
        top = np.maximum(m[active], lw.max(axis=1))
        keep = np.exp(m[active] - top)
        e = np.exp(lw - top[:, None])
        s0[active] = s0[active] * keep + e.sum(axis=1)
        s1[active] = s1[active] * keep + (e * served).sum(axis=1)
        s2[active] = s2[active] * keep + (e * served * h).sum(axis=1)
        m[active] = top
        lw_last[active] = lw[:, -1]
        h_last[active] = h[:, -1]
        last_j = j0 + _BLOCK - 1
        done = (x[active] + last_j > z[active]) & (lw[:, -1] - top < _LOG_NEGLIGIBLE)
        active = active[~done]
        j0 += _BLOCK
        if j0 > _MAX_AGENTS:  # pragma: no cover - the terms always fall eventually
            raise RuntimeError("Erlang A series did not converge")
    return m, s0, s1, s2


def _erlang_a_figures(n: np.ndarray, a: np.ndarray, aht: np.ndarray, within: np.ndarray, patience: np.ndarray,
                      b: np.ndarray) -> Prediction:
    """Erlang A (M/M/n+M) for finite patience, after Garnett, Mandelbaum & Reiman (2002) and Mandelbaum
    & Zeltyn's "The Palm/Erlang-A queue" notes: with x = n·patience/AHT and y = A·patience/AHT
    (their nμ/θ and λ/θ; here θ is the mean patience, the inverse of their abandonment rate θ),

        P(W>0)        = A(x,y)·E / (1 + (A(x,y) − 1)·E)              E = Erlang B(n, traffic)
        P(served|W>0) = Σ π_j x/(x+j+1)                              π_j = w_j / A(x,y)
        P(Ab)         = P(W>0)·(1 − P(served|W>0))
        P(V>t|W>0)    = γ(x, y·e^(−t/θ)) / γ(x, y)                   θ = mean patience, V the offered wait
        SL(t)         = 1 − P(W>0) + P(W>0)·[P(served|W>0) − u^(x+1)·e^(y(1−u))·G(x, y·u)/A(x,y)], u = e^(−t/θ)

    where G(x, z) = Σ w_j(z)·x/(x+j+1): the last term is P(served after waiting longer than t | W>0),
    from integrating the offered-wait density against the chance e^(−V/θ) of still being there.
    """
    scale = patience / aht
    x = n * scale
    y = a * scale
    shape = a.shape
    m, s0, s1, s2 = (v.reshape(shape) for v in _kummer_sums(x, y))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_kummer = m + np.log(s0)
        # P(W>0) = 1 / (1 + (1 − E)/(A(x,y)·E)), in logs so a huge A(x,y) or a tiny E cannot overflow
        p_wait = 1.0 / (1.0 + np.exp(np.log1p(-b) - log_kummer - np.log(b)))
        served_if_wait = s1 / s0
        abandon = p_wait * (1.0 - served_if_wait)
        p_served = 1.0 - abandon
        wait_served_if_wait = (s2 / s0) * patience  # E[V; served | W>0]
        asa_served = np.where(p_served > 0, p_wait * wait_served_if_wait / p_served, np.inf)
        log_u = np.where(within == 0, 0.0, -within / patience)
        m2, _, t1, _ = (v.reshape(shape) for v in _kummer_sums(x, y * np.exp(log_u)))
        late = np.exp((x + 1.0) * log_u - y * np.expm1(log_u) + m2 + np.log(t1) - log_kummer)
        sl = 1.0 - p_wait + p_wait * np.clip(served_if_wait - late, 0.0, 1.0)
        occ = np.where(n > 0, np.minimum(a * p_served / n, 1.0), np.nan)  # carried load ≤ n (float rounding)
    none = a == 0  # no calls: nobody waits, abandons or is late
    return Prediction(
        agents=n.astype(np.int64), traffic=a,
        p_wait=np.where(none, 0.0, p_wait),
        service_level=np.where(none, 1.0, np.clip(sl, 0.0, 1.0)),
        asa=np.where(none, 0.0, asa_served),
        mean_wait=np.where(none, 0.0, abandon * patience),  # P(Ab) = E[W]/patience (abandonment's Little law)
        occupancy=np.where(none, 0.0, occ),
        abandon=np.where(none, 0.0, np.clip(abandon, 0.0, 1.0)),
        stable=np.ones(shape, dtype=bool),
    )


def _figures(n: np.ndarray, a: np.ndarray, aht: np.ndarray, within: np.ndarray, patience: np.ndarray,
             b: np.ndarray) -> Prediction:
    """Erlang C where patience is infinite (or not given), Erlang A elsewhere; all arrays of one shape."""
    result = _erlang_c_figures(n, a, aht, within, b)
    finite = np.isfinite(patience)
    if not finite.any():
        return result
    sub = _erlang_a_figures(n[finite], a[finite], aht[finite], within[finite], patience[finite], b[finite])
    merged = {}
    for f in fields(Prediction):
        column = np.array(getattr(result, f.name), copy=True)
        column[finite] = getattr(sub, f.name)
        merged[f.name] = column
    return Prediction(**merged)


def predict(agents: npt.ArrayLike, traffic: npt.ArrayLike, aht: npt.ArrayLike, within: npt.ArrayLike,
            patience: npt.ArrayLike | None = None) -> Prediction:
    """What-if: the figures predicted for ``agents`` agents (per interval when given arrays).

    ``patience`` (mean seconds a caller waits before hanging up) switches to Erlang A; ``None`` or
    ``inf`` keeps Erlang C (callers never give up). ``within`` is the answer time of the service level.
    """
    n, a, h, t, p = _floats(agents, traffic, aht, within, np.inf if patience is None else patience)
    _check_agents(n)
    _check_nonneg("traffic", a)
    _check_positive("AHT", np.where(a == 0, 1.0, h))  # AHT is irrelevant (may be NaN) where there are no calls
    _check_nonneg("answer time", t)
    _check_nonneg("patience", p, allow_inf=True)
    h = np.where(a == 0, 1.0, h)
    return _figures(n, a, h, t, p, _erlang_b(n, a))


# --------------------------------------------------------------------------- staffing


def with_shrinkage(agents: npt.ArrayLike, shrinkage: npt.ArrayLike) -> int | np.ndarray:
    """Gross agents to roster so that ``agents`` are on the phones: ceil(n / (1 − shrinkage)).

    Rounded at 1e-9 before the ceiling, so 14 / 0.7 (20.000000000000004 in floating point) is 20.
    """
    n, s = _floats(agents, shrinkage)
    _check_agents(n)
    if not np.all((s >= 0) & (s < 1)):
        raise ValueError("shrinkage must be a fraction in [0, 1)")
    gross = np.ceil(np.round(n / (1.0 - s), 9)).astype(np.int64)
    return int(gross) if gross.ndim == 0 else gross


def patience_from_counts(total_wait_seconds: npt.ArrayLike, abandoned: npt.ArrayLike) -> float | np.ndarray:
    """Mean patience θ̂ = total waiting time of all offered calls ÷ number of abandoned calls.

    Why: each caller's observed wait is min(patience, offered wait); answered callers are censored
    observations of patience. For exponential patience the maximum-likelihood estimate is the total
    time at risk (everyone's wait) over the number of events (abandons). No abandons: no evidence of
    impatience, so patience is infinite (Erlang C).
    """
    w, k = _floats(total_wait_seconds, abandoned)
    _check_nonneg("total waiting time", w)
    _check_nonneg("abandoned calls", k)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(k > 0, w / np.where(k > 0, k, 1.0), np.inf)
    return _out(theta)


def agents_required(traffic: npt.ArrayLike, aht: npt.ArrayLike, goal: ServiceGoal | None = None, *,
                    asa: npt.ArrayLike | None = None, max_occupancy: float | None = None,
                    patience: npt.ArrayLike | None = None, max_abandon: float | None = None) -> int | np.ndarray:
    """Smallest agent count meeting every goal given, per element of ``traffic``.

    Goals: ``goal`` (service level, e.g. ``ServiceGoal(0.8, 20)``), ``asa`` (average speed of answer
    ≤ that many seconds), ``max_occupancy`` (e.g. 0.85), ``max_abandon`` (Erlang A only). Erlang C
    also needs agents > traffic (a stable queue); with ``patience`` (Erlang A) any count is stable.
    No traffic needs no agents (0). The search walks n upwards with the Erlang B recurrence, so the
    answer is the smallest n meeting all goals even where a figure is not monotone in n.
    """
    a0, h0, q0, p0 = _floats(traffic, aht, np.nan if asa is None else asa, np.inf if patience is None else patience)
    _check_nonneg("traffic", a0)
    _check_positive("AHT", np.where(a0 == 0, 1.0, h0))
    if asa is not None:
        _check_positive("ASA goal", q0)
    _check_nonneg("patience", p0, allow_inf=True)
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError(f"maximum occupancy must be in (0, 1], got {max_occupancy!r}")
    if max_abandon is not None and not 0 <= max_abandon <= 1:
        raise ValueError(f"maximum abandonment must be in [0, 1], got {max_abandon!r}")
    shape = a0.shape
    a, h, q, p = (v.ravel() for v in (a0, h0, q0, p0))
    h = np.where(a == 0, 1.0, h)
    within = np.full_like(a, goal.within if goal is not None else 0.0)
    erlang_a = np.isfinite(p)
    # lower bounds that skip counts which cannot work: Erlang C needs n > A; under Erlang A the share
    # answered within T is at most the share answered, carried load / A ≤ n / A
    start = np.where(erlang_a, 1.0, np.floor(a) + 1.0)
    if goal is not None:
        start = np.where(erlang_a, np.maximum(1.0, np.floor(goal.share * a)), start)
    result = np.zeros(a.shape, dtype=np.int64)
    pending = a > 0
    b = np.ones_like(a)
    n = 0
    while pending.any():
        n += 1
        b = a * b / (n + a * b)
        idx = np.flatnonzero(pending & (n >= start))
        if idx.size:
            nn = np.full(idx.size, float(n))
            fig = _figures(nn, a[idx], h[idx], within[idx], p[idx], b[idx])
            ok = fig.stable.copy()
            if goal is not None:
                ok &= fig.service_level >= goal.share - _SLACK
            if asa is not None:
                ok &= fig.asa <= q[idx] + _SLACK
            if max_occupancy is not None:
                ok &= fig.occupancy <= max_occupancy + _SLACK
            if max_abandon is not None:
                ok &= fig.abandon <= max_abandon + _SLACK
            result[idx[ok]] = n
            pending[idx[ok]] = False
        if n > _MAX_AGENTS:  # pragma: no cover - validated goals are always reachable
            raise RuntimeError("no agent count meets the goals")
    result = result.reshape(shape)
    return int(result) if result.ndim == 0 else result


def requirement(traffic: npt.ArrayLike, aht: npt.ArrayLike, goal: ServiceGoal | None = None, *,
                asa: npt.ArrayLike | None = None, max_occupancy: float | None = None, shrinkage: npt.ArrayLike = 0.0,
                patience: npt.ArrayLike | None = None, max_abandon: float | None = None) -> Requirement:
    """Agents required three ways (raw, under the occupancy cap, gross of shrinkage) and the prediction.

    The prediction is made at the net count (what must be on the phones), with the service level
    measured at the goal's answer time (0 s when only an ASA goal is given: then it is the share
    answered at once).
    """
    def count(cap: float | None) -> np.ndarray:
        return np.asarray(agents_required(traffic, aht, goal, asa=asa, max_occupancy=cap, patience=patience,
                                          max_abandon=max_abandon))

    raw = count(None)
    net = raw if max_occupancy is None else count(max_occupancy)
    gross = np.asarray(with_shrinkage(net, shrinkage))
    within = goal.within if goal is not None else 0.0
    return Requirement(raw=raw, net=net, gross=gross, prediction=predict(net, traffic, aht, within, patience))

