"""Do hdkpi's JSON report and bench/duckdb_ref.py's result hold the same figures?

Compares every (kpi, group, period) record of ``hdkpi report -f json`` (for the KPIs of
duckdb_ref.KPIS) with the DuckDB reference: value, n, numerator and denominator, numbers to
1e-9 (relative, absolute below 1), missing values only with missing values. hdkpi prints every
group × period cell of its grid, also the empty ones; a cell the query has no row for must be
hdkpi's empty figure (counts 0, everything else null with n 0, shares 0 ÷ 0). Also checks that
hdkpi rejected no row. Prints one JSON line: counts, the largest relative difference of two
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

from duckdb_ref import KPIS, records  # bench/ is not a package: its scripts import each other by path

TOLERANCE = 1e-9
COUNTS = {"calls_offered", "calls_answered", "calls_abandoned", "short_abandons"}
SHARES = {"abandonment_rate", "service_level", "transfer_rate"}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def empty(kpi: str) -> tuple:
    if kpi in COUNTS:
        return (0, 0, None, None)
    if kpi in SHARES:
        return (None, 0, 0, 0)
    return (None, 0, None, None)


def hdkpi_records(doc: dict) -> dict[tuple, tuple]:
    out = {}
    for r in doc["results"]:
        if r["kpi"] not in KPIS:
            continue
        group = r["group"]
        if set(group) - {"queue"}:
            raise SystemExit(f"unexpected group {group} in hdkpi's report")
        key = (r["kpi"], group.get("queue"), r["period"])
        if key in out:
            raise SystemExit(f"hdkpi printed {key} twice")
        out[key] = (r["value"], r["n"], r["numerator"], r["denominator"])
    return out


def largest_difference(hdkpi: dict[tuple, tuple], ref: dict[tuple, tuple]) -> float:
    """The largest relative difference between two numbers compared (0.0: bit-for-bit equal)."""
    largest = 0.0
    for key, mine in hdkpi.items():
        for a, b in zip(mine, ref.get(key, empty(key[0]))):
            if a is not None and b is not None and a != b:
                largest = max(largest, abs(a - b) / max(abs(a), abs(b)))
    return largest


def compare(hdkpi: dict[tuple, tuple], ref: dict[tuple, tuple], show: int = 5) -> list[str]:
    problems = []
    for key, mine in hdkpi.items():
        theirs = ref.get(key, empty(key[0]))
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
    mine, ref = hdkpi_records(doc), records(rows)
    kpis = {k[0] for k in mine}
    if kpis != set(KPIS):
        problems.append(f"hdkpi's report has KPIs {sorted(kpis)}, the reference {list(KPIS)}")
    problems += compare(mine, ref)
    used = doc["inputs"][0]["rows"]["used"]
    offered = ref.get(("calls_offered", None, None), (None,))[0]
    if offered != used:
        problems.append(f"hdkpi used {used} rows, DuckDB counted {offered} calls offered")
    filled = sum(1 for k in mine if k in ref)
    print(json.dumps({"agree": not problems, "records": len(mine), "duckdb_records": len(ref),
                      "empty_cells": len(mine) - filled, "rows": used,
                      "largest_relative_difference": largest_difference(mine, ref), "problems": problems[:5],
                      "mismatches": len(problems)}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
