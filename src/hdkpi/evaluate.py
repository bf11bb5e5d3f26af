"""Stage 5 — evaluate: hold each result against its target.

fail-level threshold missed → ``fail``; else warn-level threshold missed →
``warn``; else ``pass``. A result without a value is ``no-data`` (a failure
only under ``--strict``). A result with no target gets no status.
"""

from __future__ import annotations

from .model import Result, Status, Target, Verdict


def judge(result: Result, target: Target | None) -> Status | None:
    if target is None:
        return None if result.has_value else "no-data"
    if not result.has_value:
        return "no-data"
    assert result.value is not None
    if target.fail is not None and not target.fail.holds(result.value):
        return "fail"
    if target.warn is not None and not target.warn.holds(result.value):
        return "warn"
    return "pass"


def evaluate(results: list[Result], targets: list[Target]) -> list[Verdict]:
    by_kpi = {t.kpi: t for t in targets}
    return [Verdict(result=r, target=by_kpi.get(r.kpi), status=judge(r, by_kpi.get(r.kpi))) for r in results]
