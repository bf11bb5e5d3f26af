"""Baselines: hold this run against an earlier JSON report (``--baseline``), and keep a new one only
when a run succeeded (``--save-baseline``), so a failing night never replaces a good reference."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Report


def load_baseline(path: str) -> dict[tuple, dict]:
    """(kpi, group items, period) → record of an earlier ``-f json`` report."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except FileNotFoundError:
        raise InputError("no such baseline; write one with --save-baseline FILE", path=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a JSON report ({exc.msg})", path=path, line=exc.lineno, column=exc.colno) from None
    if not isinstance(doc, dict) or doc.get("schema") != 1 or not isinstance(doc.get("results"), list):
        raise InputError("not an hdkpi JSON report of schema 1 (write it with -f json)", path=path)
    return {(r["kpi"], tuple(sorted((r.get("group") or {}).items())), r.get("period")): r for r in doc["results"]}


def attach_baseline(report: "Report", path: str) -> int:
    """Each figure gets the baseline's figure of the same KPI, group and period; returns how many matched."""
    from ..model import Comparison

    records = load_baseline(path)
    matched = 0
    for v in report.verdicts:
        r = v.result
        old = records.get((r.kpi, tuple(sorted(r.group.items())), r.period))
        if old is None:
            continue
        value = old.get("value")
        change = r.value - value if r.value is not None and value is not None else None
        r.compare = Comparison(period=f"baseline {path}", value=value, n=int(old.get("n") or 0), change=change)
        matched += 1
    return matched
