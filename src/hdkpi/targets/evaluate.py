"""Stage 5 — evaluate: hold each result against its target.

fail-level threshold missed → ``fail``; else warn-level threshold missed →
``warn``; else ``pass``. A result without a value, or resting on fewer records
than ``min_volume``, is ``no-data`` (a failure only under ``--strict``). A
per-segment target judges each group by its own levels. A result with no
target gets no status.
"""

from __future__ import annotations

import gc
from typing import Any

from ..model import Result, Status, Target, Threshold, Verdict


def judge(result: Result, target: Target | None, min_volume: float = 0) -> Status | None:
    if target is None:
        return None if result.has_value else "no-data"
    if not result.has_value:
        return "no-data"
    if result.n < min_volume:
        return "no-data"
    assert result.value is not None
    if target.confidence is not None:
        return judge_with_confidence(result, target)
    if target.fail is not None and not target.fail.holds(result.value):
        return "fail"
    if target.warn is not None and not target.warn.holds(result.value):
        return "warn"
    return "pass"


def judge_with_confidence(result: Result, target: Target) -> Status:
    """A miss fails only when the whole confidence interval is on the wrong side; an interval that
    straddles the threshold is a warn, "not significant (n=…)". Without an interval (medians, counts,
    a mean of one value) the point comparison stands. The batch of one of :func:`evaluate`."""
    pending = [(result, target)]
    intervals = _confidence_intervals(pending)
    return _judged_with_interval(result, target, intervals[0], _interval_verdicts(pending, intervals)[0])


def _confidence_intervals(pending: list[tuple[Result, Target]]) -> list[tuple[float, float] | None]:
    """The interval :func:`judge_with_confidence` would compute for each (result, levels), in batches.

    One probe per result, as there; the probes go through :func:`attach_intervals` together per
    confidence level and — for the t-interval, whose quantile comes from an iteration run on the
    whole batch — per record count, so every figure is the one a probe of its own gives."""
    from ..stats.significance import attach_intervals

    probes = [Result(kpi=r.kpi, title=r.title, unit=r.unit, direction=r.direction, value=r.value, n=r.n,
                     numerator=r.numerator, denominator=r.denominator, std=r.std) for r, _ in pending]
    batches: dict[tuple[float, int | None], list[Result]] = {}
    for probe, (_, target) in zip(probes, pending):
        key = (target.confidence or 0.95, probe.n if probe.std is not None else None)
        batches.setdefault(key, []).append(probe)
    for (confidence, _), batch in batches.items():
        attach_intervals(batch, confidence)
    return [None if p.ci_low is None or p.ci_high is None else (p.ci_low, p.ci_high) for p in probes]


def _interval_verdicts(pending: list[tuple[Result, Target]],
                       intervals: list[tuple[float, float] | None]) -> list[dict[str, str]]:
    """Per pending result with an interval: the verdict of the interval against each of its levels
    (``"fail"``/``"warn"`` → ``"pass"``, ``"fail"`` or ``"uncertain"``), one vectorised comparison
    per threshold."""
    import numpy as np

    from ..stats.intervals import verdict_with_confidence

    verdicts: list[dict[str, str]] = [{} for _ in pending]
    by_threshold: dict[int, tuple[Threshold, list[tuple[int, str]]]] = {}
    for i, ((_, target), interval) in enumerate(zip(pending, intervals)):
        if interval is None:
            continue
        for threshold, level in ((target.fail, "fail"), (target.warn, "warn")):
            if threshold is not None:
                by_threshold.setdefault(id(threshold), (threshold, []))[1].append((i, level))
    for threshold, rows in by_threshold.values():
        low = np.array([intervals[i][0] for i, _ in rows], dtype=float)  # type: ignore[index]
        high = np.array([intervals[i][1] for i, _ in rows], dtype=float)  # type: ignore[index]
        outcome = np.atleast_1d(verdict_with_confidence(low, high, threshold.op, threshold.value)).tolist()
        for (i, level), verdict in zip(rows, outcome):
            verdicts[i][level] = str(verdict)
    return verdicts


def _judged_with_interval(result: Result, target: Target, interval: tuple[float, float] | None,
                          verdicts: dict[str, str]) -> Status:
    """:func:`judge_with_confidence` with the interval and the verdicts worked out beforehand."""
    levels = [(t, s) for t, s in ((target.fail, "fail"), (target.warn, "warn")) if t is not None]
    if interval is None:
        return next((s for t, s in levels if not t.holds(result.value)), "pass")  # type: ignore[arg-type, return-value]
    low, high = interval
    result.ci_low, result.ci_high = low, high
    for threshold, status in levels:
        verdict = verdicts[status]
        if verdict == "fail":
            return status  # type: ignore[return-value]
        if verdict == "uncertain":
            result.notes.append(f"not significant (n={result.n}, {target.confidence:.0%} interval "
                                f"{low:.4g}–{high:.4g} straddles {threshold.text})")
            return "warn"
    return "pass"


def evaluate(results: list[Result], targets: list[Target], settings: dict[str, Any] | None = None) -> list[Verdict]:
    """One verdict per result, in order, with the statuses and notes :func:`judge` gives each. The
    target and min_volume of a KPI are looked up once; results judged by a confidence interval have
    their intervals worked out beforehand, in batches (:func:`_confidence_intervals`)."""
    default_volume = (settings or {}).get("min_volume", 0) or 0
    by_kpi = {t.kpi: t for t in targets}
    judged = {kpi: (t, t.min_volume if t.min_volume is not None else default_volume) for kpi, t in by_kpi.items()}
    pending: list[tuple[Result, Target]] = []
    with_interval = {kpi for kpi, t in by_kpi.items()
                     if t.confidence is not None or any(s.confidence is not None for s in t.segments.values())}
    if with_interval:
        for r in results:
            if r.kpi in with_interval:
                target, min_volume = judged[r.kpi]
                levels = target.for_group(r.group)
                if (levels is not None and levels.confidence is not None and r.value is not None
                        and not r.n < min_volume):
                    pending.append((r, levels))
    intervals = _confidence_intervals(pending) if pending else []
    interval_verdicts = iter(zip(intervals, _interval_verdicts(pending, intervals)))
    verdicts: list[Verdict] = []
    collecting = gc.isenabled()
    gc.disable()  # many small objects and no cycles: see hdkpi.engine.compute._rows
    try:
        _judge_all(results, judged, interval_verdicts, verdicts.append)
    finally:
        if collecting:
            gc.enable()
    return verdicts


def _judge_all(results: list[Result], judged: dict[str, tuple[Target, float]], interval_verdicts: Any,
               append: Any) -> None:
    """:func:`evaluate`'s loop: ``judged`` is KPI → (target, min_volume); ``interval_verdicts`` yields
    (interval, verdicts) for the results judged by their interval, in their order."""
    for r in results:
        planned = judged.get(r.kpi)
        levels = planned[0].for_group(r.group) if planned is not None else None
        if levels is None:  # no target, or a per-segment target that does not judge this group
            append(Verdict(result=r, target=None, status=None if r.value is not None else "no-data"))
            continue
        min_volume = planned[1]  # type: ignore[index]
        value = r.value
        if value is None or r.n < min_volume:
            status: Status = "no-data"
            if value is not None:
                r.notes.append(f"n={r.n} < min_volume {min_volume:g}")
        elif levels.confidence is not None:
            interval, level_verdicts = next(interval_verdicts)
            status = _judged_with_interval(r, levels, interval, level_verdicts)
        elif levels.fail is not None and not levels.fail.holds(value):
            status = "fail"
        elif levels.warn is not None and not levels.warn.holds(value):
            status = "warn"
        else:
            status = "pass"
        append(Verdict(result=r, target=levels, status=status))
