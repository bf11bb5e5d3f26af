"""Do hdkpi's JSON report and bench/duckdb_ref.py's result hold the same figures?

Compares every (kpi, group, period) record of ``hdkpi report -f json`` (for the KPIs of
duckdb_ref.KINDS[kind], the kind of hdkpi's input: calls or tickets) with the DuckDB reference:
value, n, numerator and denominator, numbers to 1e-9 (relative, absolute below 1), missing
values only with missing values. hdkpi prints every
group × period cell of its grid, also the empty ones; a cell the query has no row for must be
hdkpi's empty figure (counts 0, everything else null with n 0, shares 0 ÷ 0). Also checks that
hdkpi rejected no row and that its used rows are the reference's overall count (calls offered,
tickets created). Prints one JSON line: counts, the largest relative difference of two
numbers compared (0.0 when all are bit-for-bit equal), the first mismatches; exit 0 when all agree.

bench/run.py runs this in a child process (a 256 k-record report takes ~1 GiB to load, and the
timing parent must stay small). By hand::

    python bench/agree.py hdkpi.json duckdb.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from duckdb_ref import KINDS, Kind, records  # bench/ is not a package: its scripts import each other by path

TOLERANCE = 1e-9


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def empty(kpi: str, spec: Kind) -> tuple:
    if kpi in spec.counts:
        return (0, 0, None, None)
    if kpi in spec.shares:
        return (None, 0, 0, 0)
    return (None, 0, None, None)


def hdkpi_records(doc: dict, spec: Kind) -> dict[tuple, tuple]:
    out = {}
    for r in doc["results"]:
        if r["kpi"] not in spec.kpis:
            continue
        group = r["group"]
        if set(group) - {spec.group}:
            raise SystemExit(f"unexpected group {group} in hdkpi's report (the reference groups by {spec.group})")
        key = (r["kpi"], group.get(spec.group), r["period"])
        if key in out:
            raise SystemExit(f"hdkpi printed {key} twice")
        out[key] = (r["value"], r["n"], r["numerator"], r["denominator"])
    return out


def largest_difference(hdkpi: dict[tuple, tuple], ref: dict[tuple, tuple], spec: Kind) -> float:
    """The largest relative difference between two numbers compared (0.0: bit-for-bit equal)."""
    largest = 0.0
    for key, mine in hdkpi.items():
        for a, b in zip(mine, ref.get(key, empty(key[0], spec))):
            if a is not None and b is not None and a != b:
                largest = max(largest, abs(a - b) / max(abs(a), abs(b)))
    return largest


def compare(hdkpi: dict[tuple, tuple], ref: dict[tuple, tuple], spec: Kind, show: int = 5) -> list[str]:
    problems = []
    for key, mine in hdkpi.items():
        theirs = ref.get(key, empty(key[0], spec))
        for field, a, b in zip(("value", "n", "numerator", "denominator"), mine, theirs):
            same = a == b if field == "n" else close(a, b)
            if not same:
                problems.append(f"{key}: {field} hdkpi {a!r} ≠ duckdb {b!r}"
                                + ("" if key in ref else " (no DuckDB row: an empty cell)"))
                break
    missing = [key for key in ref if key not in hdkpi]
    problems += [f"{key}: DuckDB has {ref[key]}, hdkpi has no such record" for key in missing[:show]]
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[0] + "\nusage: agree.py HDKPI_JSON DUCKDB_JSON")
    doc = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in Path(argv[1]).read_text(encoding="utf-8").splitlines() if line]
    problems = []
    for summary in doc["inputs"]:
        if summary["rows"]["rejected"] or summary["rows"]["folded"]:
            problems.append(f"hdkpi rejected/folded rows of {summary['path']}: {summary['rows']}")
    kind = doc["inputs"][0]["kind"]
    if kind not in KINDS:
        raise SystemExit(f"hdkpi's input is {kind}: the reference has {', '.join(KINDS)}")
    spec = KINDS[kind]
    mine, ref = hdkpi_records(doc, spec), records(rows, kind)
    kpis = {k[0] for k in mine}
    if kpis != set(spec.kpis):
        problems.append(f"hdkpi's report has KPIs {sorted(kpis)}, the reference {list(spec.kpis)}")
    problems += compare(mine, ref, spec)
    used = doc["inputs"][0]["rows"]["used"]
    total = ref.get((spec.total, None, None), (None,))[0]
    if total != used:
        problems.append(f"hdkpi used {used} rows, DuckDB counted {total} ({spec.total})")
    filled = sum(1 for k in mine if k in ref)
    print(json.dumps({"agree": not problems, "kind": kind, "records": len(mine), "duckdb_records": len(ref),
                      "empty_cells": len(mine) - filled, "rows": used,
                      "largest_relative_difference": largest_difference(mine, ref, spec), "problems": problems[:5],
                      "mismatches": len(problems)}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
