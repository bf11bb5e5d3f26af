"""The versioned machine document of DESIGN.md (``schema`` 1), validated by schemas/report-v1.json.

Values are machine units: seconds, fractions 0–1, plain counts and scores. Bump
:data:`SCHEMA_VERSION` only on a breaking change; adding a field is not one.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from .model import InputSummary, Report, Target, Threshold, Verdict
from .version import __version__

SCHEMA_VERSION = 1


_LIMIT = 2**53  #: whole floats below this become ints in the document
_UNSET = object()


def _number(x: float | None) -> float | int | None:
    if x is None:
        return None
    if type(x) is float:  # the usual case, decided without the conversions below
        if x.is_integer():
            return int(x) if -_LIMIT < x < _LIMIT else x
        return x if math.isfinite(x) else None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < _LIMIT else x


def _when(x: datetime | None) -> str | None:
    return x.isoformat() if x is not None else None


def _level(threshold: Threshold, severity: str) -> dict[str, Any]:
    return {"text": threshold.text, "op": threshold.op, "threshold": threshold.value, "severity": severity}


def target_doc(target: Target | None) -> dict[str, Any] | None:
    """The fail level (else warn) in DESIGN's flat shape, plus every level under ``levels``."""
    if target is None:
        return None
    levels = [_level(t, s) for t, s in ((target.fail, "fail"), (target.warn, "warn")) if t is not None]
    return {**levels[0], "text": target.text, "levels": levels}


def result_doc(v: Verdict) -> dict[str, Any]:
    r = v.result
    return {
        "kpi": r.kpi, "title": r.title, "unit": r.unit, "direction": r.direction,
        "group": dict(r.group), "period": r.period,
        "value": _number(r.value), "n": int(r.n),
        "numerator": _number(r.numerator), "denominator": _number(r.denominator),
        "method": r.method, "settings": _settings_doc(r.settings),
        "notes": list(r.notes),
        "target": target_doc(v.target), "status": v.status,
        "compare": compare_doc(r),
        "ci_low": _number(r.ci_low), "ci_high": _number(r.ci_high), "anomaly": r.anomaly,
        **({"partial": True} if r.partial else {}),
    }


def _settings_doc(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(x) for k, x in settings.items()}


def _results_doc(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """:func:`result_doc` of every verdict, the same records built faster: the settings and target
    documents are made once per distinct settings dict and target (a KPI's results share them) and
    shared by the records, and the collector pauses while the many small dicts are made (they hold
    no cycles; a collection every few hundred of them would only walk the whole heap again)."""
    import gc

    settings_docs: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # id → (the dict, its document)
    target_docs: dict[int, tuple[Target, dict[str, Any] | None]] = {}
    last_settings: Any = _UNSET
    settings_part: dict[str, Any] = {}
    last_target: Any = _UNSET
    target_part: dict[str, Any] | None = None
    number = _number
    out: list[dict[str, Any]] = []
    append = out.append
    collecting = gc.isenabled()
    gc.disable()
    try:
        for v in verdicts:
            r = v.result
            settings = r.settings
            if settings is not last_settings:
                seen = settings_docs.get(id(settings))
                if seen is None or seen[0] is not settings:
                    seen = settings_docs[id(settings)] = (settings, _settings_doc(settings))
                last_settings, settings_part = settings, seen[1]
            target = v.target
            if target is not last_target:
                if target is None:
                    target_part = None
                else:
                    known = target_docs.get(id(target))
                    if known is None or known[0] is not target:
                        known = target_docs[id(target)] = (target, target_doc(target))
                    target_part = known[1]
                last_target = target
            value, numerator, denominator, ci_low, ci_high = r.value, r.numerator, r.denominator, r.ci_low, r.ci_high
            doc = {
                "kpi": r.kpi, "title": r.title, "unit": r.unit, "direction": r.direction,
                "group": dict(r.group), "period": r.period,
                "value": None if value is None else number(value), "n": int(r.n),
                "numerator": None if numerator is None else number(numerator),
                "denominator": None if denominator is None else number(denominator),
                "method": r.method, "settings": settings_part,
                "notes": list(r.notes),
                "target": target_part, "status": v.status,
                "compare": None if r.compare is None else compare_doc(r),
                "ci_low": None if ci_low is None else number(ci_low),
                "ci_high": None if ci_high is None else number(ci_high),
                "anomaly": r.anomaly,
            }
            if r.partial:  # only when true: the documents of whole periods stay as they were
                doc["partial"] = True
            append(doc)
    finally:
        if collecting:
            gc.enable()
    return out


def compare_doc(r: Any) -> dict[str, Any] | None:
    c = r.compare
    if c is None:
        return None
    return {"period": c.period, "value": _number(c.value), "n": int(c.n), "change": _number(c.change),
            "better": c.better(r.direction), "p_value": _number(c.p_value), "significant": c.significant}


def input_doc(s: InputSummary) -> dict[str, Any]:
    return {
        "path": s.path, "kind": s.kind, "preset": s.preset,
        "rows": {"read": s.read, "used": s.used, "rejected": s.rejected, "folded": s.folded},
        "counts": dict(s.counts),
        **({"caveats": dict(s.caveats)} if s.caveats else {}),  # used rows with a fact unknown, when any
        "rejected_by_reason": dict(s.rejected_by_reason),
        "rejected_rows": {k: list(map(int, rows)) for k, rows in s.examples_by_reason.items()},
        "mapping": dict(s.mapping),
    }


def _plain(x: Any) -> Any:
    return _number(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x


def report_doc(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "hdkpi": __version__,
        "command": report.command,
        "generated_at": _when(report.generated_at),
        "period": {"from": _when(report.period_from), "to": _when(report.period_to)},
        "targets": report.targets_path,
        "by": list(report.by),
        "every": report.every,
        "time_zone": report.tz,
        "inputs": [input_doc(s) for s in report.inputs],
        "settings": _settings_doc(report.settings),
        "results": _results_doc(report.verdicts),
        "summary": report.summary,
        **({"sla_at_risk": [at_risk_doc(r) for r in report.at_risk]} if report.at_risk is not None else {}),
    }


def at_risk_doc(row: dict[str, Any]) -> dict[str, Any]:
    """One ticket about to breach its SLA (Report.at_risk)."""
    return {"ticket_id": row["ticket_id"], "sla": row["sla"], "due": _when(row["due"]),
            "elapsed_seconds": _number(row["elapsed_seconds"]), "target_seconds": _number(row["target_seconds"]),
            "by": dict(row["by"])}
