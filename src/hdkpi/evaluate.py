"""Stage 5 — evaluate: hold each result against its target.

fail-level threshold missed → ``fail``; else warn-level threshold missed →
``warn``; else ``pass``. A result without a value, or resting on fewer records
than ``min_volume``, is ``no-data`` (a failure only under ``--strict``). A
per-segment target judges each group by its own levels. A result with no
target gets no status.
"""

from __future__ import annotations

from typing import Any

from .model import Result, Status, Target, Verdict


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
    a mean of one value) the point comparison stands."""
    from .significance import attach_intervals
    from .stats import verdict_with_confidence

    probe = Result(kpi=result.kpi, title=result.title, unit=result.unit, direction=result.direction,
                   value=result.value, n=result.n, numerator=result.numerator, denominator=result.denominator,
                   std=result.std)
    attach_intervals([probe], target.confidence or 0.95)
    levels = [(t, s) for t, s in ((target.fail, "fail"), (target.warn, "warn")) if t is not None]
    if probe.ci_low is None or probe.ci_high is None:
        return next((s for t, s in levels if not t.holds(result.value)), "pass")  # type: ignore[arg-type, return-value]
    result.ci_low, result.ci_high = probe.ci_low, probe.ci_high
    for threshold, status in levels:
        verdict = str(verdict_with_confidence(probe.ci_low, probe.ci_high, threshold.op, threshold.value))
        if verdict == "fail":
            return status  # type: ignore[return-value]
        if verdict == "uncertain":
            result.notes.append(f"not significant (n={result.n}, {target.confidence:.0%} interval "
                                f"{probe.ci_low:.4g}–{probe.ci_high:.4g} straddles {threshold.text})")
            return "warn"
    return "pass"


def evaluate(results: list[Result], targets: list[Target], settings: dict[str, Any] | None = None) -> list[Verdict]:
    by_kpi = {t.kpi: t for t in targets}
    default_volume = (settings or {}).get("min_volume", 0) or 0
    verdicts = []
    for r in results:
        target = by_kpi.get(r.kpi)
        levels = target.for_group(r.group) if target is not None else None
        if target is not None and levels is None:
            verdicts.append(Verdict(result=r, target=None, status=None if r.has_value else "no-data"))
            continue
        min_volume = target.min_volume if target is not None and target.min_volume is not None else default_volume
        status = judge(r, levels, min_volume if levels is not None else 0)
        if status == "no-data" and r.has_value and levels is not None:
            r.notes.append(f"n={r.n} < min_volume {min_volume:g}")
        verdicts.append(Verdict(result=r, target=levels, status=status))
    return verdicts
