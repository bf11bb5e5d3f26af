"""Honest statistics on a run's figures, vectorised over every record at once.

- ``--ci 95``: a Wilson interval for every share and a t-interval for every mean (medians and
  percentiles have none), as ``ci_low``/``ci_high``.
- ``--compare``: each change gets a p-value — a two-proportion test for shares, Welch's test for
  means — so the nightly "vs yesterday" view does not cry wolf over noise.
- ``--every``: a period outside the mean ± 3σ of the preceding N periods of its series is an
  anomaly (the control-chart rule; N is the ``anomaly_window`` setting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Result


def _is_share(r: Result) -> bool:
    return r.unit == "share" and r.numerator is not None and r.denominator is not None


def attach_intervals(results: list[Result], confidence: float) -> None:
    """ci_low/ci_high on every share (Wilson) and mean (t) that has a value."""
    import numpy as np

    from .intervals import t_interval, wilson_interval

    shares = [r for r in results if r.value is not None and r.unit == "share" and r.numerator is not None
              and r.denominator is not None and r.denominator > 0 and 0 <= r.numerator <= r.denominator]  # _is_share
    if shares:
        low, high = wilson_interval(np.array([r.numerator for r in shares]), np.array([r.denominator for r in shares]),
                                    confidence)
        for r, lo, hi in zip(shares, np.atleast_1d(low).tolist(), np.atleast_1d(high).tolist()):
            r.ci_low, r.ci_high = lo, hi
    means = [r for r in results if r.value is not None and r.std is not None and r.n >= 2]
    if means:
        low, high = t_interval(np.array([r.value for r in means]), np.array([r.std for r in means]),
                               np.array([r.n for r in means]), confidence)
        for r, lo, hi in zip(means, np.atleast_1d(low).tolist(), np.atleast_1d(high).tolist()):
            r.ci_low, r.ci_high = lo, hi


def attach_significance(results: list[Result]) -> None:
    """The p-value of each comparison: two-proportion test for shares, Welch's test for means."""
    import numpy as np

    from .intervals import two_proportion_test, welch_test

    shares = [r for r in results if r.compare is not None and _is_share(r) and r.compare.numerator is not None
              and r.compare.denominator and r.denominator]
    if shares:
        _, p = two_proportion_test(np.array([r.numerator for r in shares]), np.array([r.denominator for r in shares]),
                                   np.array([r.compare.numerator for r in shares]),
                                   np.array([r.compare.denominator for r in shares]))
        for r, value in zip(shares, np.atleast_1d(p).tolist()):
            r.compare.p_value = None if value != value else value  # NaN: no test
    means = [r for r in results if r.compare is not None and r.std is not None and r.compare.std is not None
             and r.value is not None and r.compare.value is not None and r.n >= 2 and r.compare.n >= 2]
    if means:
        _, _, p = welch_test(np.array([r.value for r in means]), np.array([r.std for r in means]),
                             np.array([r.n for r in means]), np.array([r.compare.value for r in means]),
                             np.array([r.compare.std for r in means]), np.array([r.compare.n for r in means]))
        for r, value in zip(means, np.atleast_1d(p).tolist()):
            r.compare.p_value = None if value != value else value


def flag_anomalies(results: list[Result], window: int, sigmas: float = 3.0) -> None:
    """Mark periods outside mean ± sigmas·σ of the preceding ``window`` periods of their series.

    A series is a KPI and group (:attr:`Result.key`), its periods in the order of the results; they go
    through :func:`~hdkpi.stats.intervals.control_chart_flags` as one table. A series' records mostly follow
    one another, so the key is worked out only where the KPI or group changes."""
    import numpy as np

    from .intervals import control_chart_flags

    series: dict[tuple, list[Result]] = {}
    current: list[Result] = []
    kpi: str | None = None
    group: dict | None = None
    for r in results:
        if r.period is None:
            continue
        if r.kpi != kpi or r.group != group or group is None:
            kpi, group = r.kpi, r.group
            items = group.items()
            key = (kpi, tuple(items) if len(items) < 2 else tuple(sorted(items)))  # Result.key
            current = series.setdefault(key, [])
        current.append(r)
    if not series:
        return
    longest = max(len(s) for s in series.values())
    if longest <= window:
        return
    table = np.full((len(series), longest), np.nan)
    for i, records in enumerate(series.values()):
        # a partial period (hdkpi.engine.coverage) is a gap: neither judged nor part of the others' band
        table[i, :len(records)] = [np.nan if r.value is None or r.partial else r.value for r in records]
    flags = control_chart_flags(table, window=window, sigmas=sigmas)
    for records, row in zip(series.values(), flags.tolist()):
        for r, flag in zip(records, row):
            r.anomaly = flag
