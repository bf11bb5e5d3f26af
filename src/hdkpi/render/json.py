"""The versioned machine document of DESIGN.md (``schema`` 1), validated by schemas/report-v1.json.

Values are machine units: seconds, fractions 0–1, plain counts and scores. Bump
:data:`SCHEMA_VERSION` only on a breaking change; adding a field is not one.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from .. import __version__
from ..model import InputSummary, Report, Target, Threshold, Verdict
from .base import Formatter

SCHEMA_VERSION = 1


def _number(x: float | None) -> float | int | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


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
        "method": r.method, "settings": {k: _plain(x) for k, x in r.settings.items()},
        "notes": list(r.notes),
        "target": target_doc(v.target), "status": v.status,
        "compare": compare_doc(r),
        "ci_low": _number(r.ci_low), "ci_high": _number(r.ci_high), "anomaly": r.anomaly,
    }


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
        "settings": {k: _plain(x) for k, x in report.settings.items()},
        "results": [result_doc(v) for v in report.verdicts],
        "summary": report.summary,
    }


class JsonFormatter(Formatter):
    def render(self, report: Report) -> str:
        doc = report_doc(report)
        # indented for people; past a few thousand records compact, where Python's C encoder is 4× faster
        indent = 2 if len(doc["results"]) <= 5000 else None
        return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"
