"""The call and ticket KPIs of ``hdkpi report`` from one DuckDB SQL query: the reference for bench/run.py.

One ``SELECT … GROUP BY GROUPING SETS`` over ``read_csv(FILE, …)`` with an explicit type for
every column, computing the 13 parameter-free call KPIs that the benchmark times, as hdkpi
defines them (KPI_SPEC §3 "Calls" and §6; ``src/hdkpi/kpis/calls.py``), with hdkpi's default
settings (``short_abandon`` 0, ``service_level_threshold`` 20 s, ``service_level_formula``
``offered``) and the same n / numerator / denominator:

    calls_offered      rows                                   n = value
    calls_answered     outcome = answered                     n = value
    calls_abandoned    outcome = abandoned, not short         n = value
    short_abandons     abandoned with wait < short_abandon    n = value (0 s: none)
    asa                mean wait of answered calls            n = answered calls with a wait
    abandonment_rate   abandoned ÷ (offered − short)          n = denominator
    service_level      answered with wait ≤ 20 ÷ (offered − short)
    avg_wait_time      mean wait of all calls                 n = calls with a wait
    avg_abandon_time   mean wait of counted abandons          n = those with a wait
    max_wait           largest wait                           n = calls with a wait
    aht                mean talk + hold + acw of answered calls (a missing part is 0 s)
    avg_talk_time      mean talk of answered calls with a talk value
    transfer_rate      transferred (empty = no) ÷ answered

Shapes, as ``bench/run.py`` names them (each is hdkpi's record set: ``--by queue --every day``
also prints the per-day totals of all queues, hence the ``(day)`` set)::

    overall        GROUPING SETS (())
    by-group       GROUPING SETS ((), (queue))
    by-group-day   GROUPING SETS ((), (queue), (day), (queue, day))     day = UTC date of offered_at

The reference reads a clean export: it does not re-implement hdkpi's row rejections (empty
offered_at, unparseable or negative values, answered before offered, unknown outcome,
duplicate call_id) nor its derivation of an empty wait from timestamps. ``--validate`` counts,
over every column, the rows hdkpi would reject or derive (all zero for bench/generate.py files);
bench/run.py runs it once per input, untimed, and also checks hdkpi's own rejected count.

Tickets (``--kind tickets``): one query for the ticket KPIs of the issue's goal "1 M tickets
with median/p90 resolution per priority", as hdkpi defines them (KPI_SPEC §2, §3 "Tickets",
§6; ``src/hdkpi/kpis/tickets.py``, ``Quantile`` in ``src/hdkpi/engine/measures.py``)::

    ticket_volume           tickets created (every used row)          n = value      anchor created_at
    tickets_resolved        tickets with resolved_at set              n = value      anchor resolved_at
    resolution_time         mean resolution time of resolved tickets  n = values     anchor resolved_at
    resolution_time_median  quantile_cont(…, 0.5)                     n = values     anchor resolved_at
    resolution_time_p90     quantile_cont(…, 0.9)                     n = values     anchor resolved_at

Resolution time is resolved_at − created_at in seconds (hdkpi derives resolution_seconds the
same way when the export has no such column; a file that has one is refused). Quantiles are
``quantile_cont``: linear interpolation at (n − 1)·q of the sorted values, as hdkpi's
``Quantile`` (pandas' ``interpolation="linear"``, PERCENTILE.INC), not ``quantile_disc``.
The group is ``priority``; the day of each KPI is the UTC date of its anchor, so
``by-group-day`` is two aggregations over one materialised scan of the file:
``(), (priority), (day), (priority, day)`` with day = date of resolved_at (the null day of
open tickets dropped by ``HAVING``), and ``(day), (priority, day)`` with day = date of
created_at for ticket_volume; each result row says which anchor its day is (``anchor``).

The query's wide result (one row per group and period) is written with DuckDB's ``COPY … TO``
as newline-delimited JSON; :func:`records` turns it into hdkpi's (kpi, group, period) records
for bench/agree.py.

Run (from the repository root, in the project's virtualenv with ``pip install -e '.[bench]'``)::

    python bench/duckdb_ref.py /tmp/bench/calls_1m.csv --out /tmp/bench/ref.json --shape by-group-day
    python bench/duckdb_ref.py /tmp/bench/calls_1m.csv.gz --out /tmp/bench/ref.json     # gzip: read by DuckDB
    python bench/duckdb_ref.py /tmp/bench/calls_1m.csv --validate                       # rows hdkpi would reject
    python bench/duckdb_ref.py /tmp/bench/calls_1m.csv --sql --shape by-group-day       # print the query
    python bench/duckdb_ref.py /tmp/bench/tickets_1m.csv --kind tickets --out /tmp/bench/ref.json --shape by-group
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass
from pathlib import Path

#: the KPIs, in hdkpi's registry order
KPIS = ("calls_offered", "calls_answered", "calls_abandoned", "short_abandons", "asa", "abandonment_rate",
        "service_level", "avg_wait_time", "avg_abandon_time", "max_wait", "aht", "avg_talk_time", "transfer_rate")
#: hdkpi's defaults (no targets file, no --set)
SHORT_ABANDON = 0.0
SERVICE_LEVEL_T = 20.0
#: the columns the KPIs read, with their types (DuckDB, and the pyarrow floor in bench/run.py); `queue` is the group
USED_TYPES = {
    "offered_at": "TIMESTAMPTZ",
    "wait_seconds": "DOUBLE",
    "talk_seconds": "DOUBLE",
    "hold_seconds": "DOUBLE",
    "acw_seconds": "DOUBLE",
    "outcome": "VARCHAR",
    "queue": "VARCHAR",
    "transferred": "BOOLEAN",
}
#: every column of a bench/generate.py calls export, typed, for --validate
ALL_TYPES = {**USED_TYPES, "call_id": "VARCHAR", "answered_at": "TIMESTAMPTZ", "agent": "VARCHAR",
             "caller_id": "VARCHAR", "resolved": "BOOLEAN"}
SHAPES = {
    "overall": "()",
    "by-group": "(), (queue)",
    "by-group-day": "(), (queue), (day), (queue, day)",
}
#: kpi → (value column, n column, numerator column, denominator column) of the wide result
COLUMNS = {
    "calls_offered": ("calls_offered", "calls_offered", None, None),
    "calls_answered": ("calls_answered", "calls_answered", None, None),
    "calls_abandoned": ("calls_abandoned", "calls_abandoned", None, None),
    "short_abandons": ("short_abandons", "short_abandons", None, None),
    "asa": ("asa", "asa_n", None, None),
    "abandonment_rate": ("abandonment_rate", "abandonment_den", "calls_abandoned", "abandonment_den"),
    "service_level": ("service_level", "service_level_den", "service_level_num", "service_level_den"),
    "avg_wait_time": ("avg_wait_time", "wait_n", None, None),
    "avg_abandon_time": ("avg_abandon_time", "abandon_wait_n", None, None),
    "max_wait": ("max_wait", "wait_n", None, None),
    "aht": ("aht", "calls_answered", None, None),
    "avg_talk_time": ("avg_talk_time", "talk_n", None, None),
    "transfer_rate": ("transfer_rate", "calls_answered", "transferred_n", "calls_answered"),
}

#: tickets: the KPIs (hdkpi's registry order), their anchors, and the columns they read (created_at and
#: resolved_at give the resolution time and the days; `priority` is the group)
TICKET_KPIS = ("ticket_volume", "tickets_resolved", "resolution_time", "resolution_time_median",
               "resolution_time_p90")
TICKET_ANCHORS = {"ticket_volume": "created_at", "tickets_resolved": "resolved_at", "resolution_time": "resolved_at",
                  "resolution_time_median": "resolved_at", "resolution_time_p90": "resolved_at"}
TICKET_USED_TYPES = {"created_at": "TIMESTAMPTZ", "resolved_at": "TIMESTAMPTZ", "priority": "VARCHAR"}
#: every column of a bench/generate.py tickets export, typed, for --validate
TICKET_ALL_TYPES = {**TICKET_USED_TYPES, "ticket_id": "VARCHAR", "first_response_at": "TIMESTAMPTZ",
                    "team": "VARCHAR", "agent": "VARCHAR", "requester": "VARCHAR", "replies": "BIGINT",
                    "reopens": "BIGINT", "escalated": "BOOLEAN", "sla_breached": "BOOLEAN",
                    "handle_seconds": "DOUBLE"}
TICKET_COLUMNS = {
    "ticket_volume": ("ticket_volume", "ticket_volume", None, None),
    "tickets_resolved": ("tickets_resolved", "tickets_resolved", None, None),
    "resolution_time": ("resolution_time", "resolution_n", None, None),
    "resolution_time_median": ("resolution_time_median", "resolution_n", None, None),
    "resolution_time_p90": ("resolution_time_p90", "resolution_n", None, None),
}


@dataclass(frozen=True)
class Kind:
    """What the reference of one kind of export computes, and how its wide rows become records."""

    kpis: tuple[str, ...]
    group: str  #: the group column (hdkpi's --by)
    columns: dict[str, tuple]  #: kpi → (value, n, numerator, denominator) columns of the wide result
    used_types: dict[str, str]  #: the columns the KPIs read (and the read floor of bench/run.py reads)
    counts: frozenset[str]  #: KPIs that are counts (an empty cell is 0, n 0)
    shares: frozenset[str]  #: KPIs that are shares (an empty cell is 0 ÷ 0)
    total: str  #: the count KPI that must equal hdkpi's used rows, overall
    anchors: dict[str, str] | None = None  #: kpi → anchor, when the kind has several (a day row holds only its own)


KINDS = {
    "calls": Kind(KPIS, "queue", COLUMNS, USED_TYPES,
                  frozenset({"calls_offered", "calls_answered", "calls_abandoned", "short_abandons"}),
                  frozenset({"abandonment_rate", "service_level", "transfer_rate"}), "calls_offered"),
    "tickets": Kind(TICKET_KPIS, "priority", TICKET_COLUMNS, TICKET_USED_TYPES,
                    frozenset({"ticket_volume", "tickets_resolved"}), frozenset(), "ticket_volume",
                    TICKET_ANCHORS),
}


def header(path: str) -> list[str]:
    """The column names of the export (first line; gzip read through)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return handle.readline().rstrip("\r\n").split(",")


def source(path: str, types: dict[str, str]) -> str:
    """``read_csv(…)`` with every column of the file typed: ``types`` for those listed, VARCHAR for the rest
    (DuckDB only materialises the columns a query uses)."""
    columns = {name: types.get(name, "VARCHAR") for name in header(path)}
    missing = sorted(set(types) - set(columns))
    if missing:
        raise SystemExit(f"{path}: no column {', '.join(missing)}")
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    quoted = path.replace("'", "''")
    return (f"read_csv('{quoted}', header = true, auto_detect = false, delim = ',', quote = '\"', "
            f"columns = {{{spec}}})")


def sql(path: str, shape: str = "by-group-day") -> str:
    """The one query: every KPI's figures for each grouping set of ``shape``."""
    sets = SHAPES[shape]
    short = f"(abandoned AND coalesce(wait < {SHORT_ABANDON!r}, false))" if SHORT_ABANDON > 0 else "false"
    queue = "queue" if "queue" in sets else "NULL::VARCHAR AS queue"
    day = "day" if "day" in sets else "NULL::DATE AS day"
    grouping = "GROUPING(queue, day)" if "day" in sets else "GROUPING(queue) * 2 + 1" if "queue" in sets else "3"
    day_column = ", CAST(offered_at AS DATE) AS day" if "day" in sets else ""  # the UTC date (TimeZone is UTC)
    return f"""
WITH calls AS (
    SELECT queue{day_column},
           wait_seconds AS wait, talk_seconds AS talk, hold_seconds AS hold, acw_seconds AS acw,
           outcome = 'answered' AS answered, outcome = 'abandoned' AS abandoned,
           coalesce(transferred, false) AS transferred
    FROM {source(path, USED_TYPES)}
), flagged AS (
    SELECT *, {short} AS short FROM calls
)
SELECT {grouping} AS grouping_id, {queue}, {day},
    count(*) AS calls_offered,
    count(*) FILTER (answered) AS calls_answered,
    count(*) FILTER (abandoned AND NOT short) AS calls_abandoned,
    count(*) FILTER (short) AS short_abandons,
    avg(wait) FILTER (answered) AS asa,
    count(wait) FILTER (answered) AS asa_n,
    count(*) FILTER (NOT short) AS abandonment_den,
    CASE WHEN count(*) FILTER (NOT short) > 0
         THEN count(*) FILTER (abandoned AND NOT short) / count(*) FILTER (NOT short) END AS abandonment_rate,
    count(*) FILTER (answered AND coalesce(wait <= {SERVICE_LEVEL_T!r}, false) AND NOT short) AS service_level_num,
    count(*) FILTER (NOT short) AS service_level_den,
    CASE WHEN count(*) FILTER (NOT short) > 0
         THEN count(*) FILTER (answered AND coalesce(wait <= {SERVICE_LEVEL_T!r}, false) AND NOT short)
              / count(*) FILTER (NOT short) END AS service_level,
    avg(wait) AS avg_wait_time,
    count(wait) AS wait_n,
    avg(wait) FILTER (abandoned AND NOT short) AS avg_abandon_time,
    count(wait) FILTER (abandoned AND NOT short) AS abandon_wait_n,
    max(wait) AS max_wait,
    avg(coalesce(talk, 0) + coalesce(hold, 0) + coalesce(acw, 0)) FILTER (answered) AS aht,
    avg(talk) FILTER (answered) AS avg_talk_time,
    count(talk) FILTER (answered) AS talk_n,
    count(*) FILTER (answered AND transferred) AS transferred_n,
    CASE WHEN count(*) FILTER (answered) > 0
         THEN count(*) FILTER (answered AND transferred) / count(*) FILTER (answered) END AS transfer_rate
FROM flagged
GROUP BY GROUPING SETS ({sets})
"""


def validate_sql(path: str) -> str:
    """Rows of a calls export that hdkpi would reject (by reason) or whose wait it would derive.

    Unparseable dates, numbers and flags make DuckDB's typed read fail outright, so a file that
    gets through has none of those."""
    return f"""
WITH calls AS (SELECT * FROM {source(path, ALL_TYPES)})
SELECT count(*) AS rows,
    count(*) FILTER (offered_at IS NULL) AS empty_offered_at,
    count(*) FILTER (wait_seconds < 0 OR talk_seconds < 0 OR hold_seconds < 0 OR acw_seconds < 0) AS negative_duration,
    count(*) FILTER (answered_at < offered_at) AS answered_before_offered,
    count(*) FILTER (outcome IS NULL OR outcome NOT IN ('answered', 'abandoned', 'other')) AS unknown_outcome,
    count(*) - count(DISTINCT call_id) AS duplicate_call_id,
    count(*) FILTER (wait_seconds IS NULL) AS wait_to_derive,
    count(*) FILTER (queue IS NULL) AS empty_queue
FROM calls
"""


def tickets_sql(path: str, shape: str = "by-group-day") -> str:
    """The ticket query: every ticket KPI's figures for each grouping set of ``shape`` (group: priority)."""
    if "resolution_seconds" in header(path):
        raise SystemExit(f"{path}: has resolution_seconds; the reference only derives it from resolved_at")
    sets = SHAPES[shape].replace("queue", "priority")
    grouped = "priority" in sets
    by_day = "day" in sets
    priority = "priority" if grouped else "NULL::VARCHAR AS priority"
    day = "day" if by_day else "NULL::DATE AS day"
    grouping = "GROUPING(priority, day)" if by_day else "GROUPING(priority) * 2 + 1" if grouped else "3"
    query = f"""
WITH tickets AS{" MATERIALIZED" if by_day else ""} (
    SELECT priority, CAST(created_at AS DATE) AS created_day, CAST(resolved_at AS DATE) AS resolved_day,
           (epoch_us(resolved_at) - epoch_us(created_at)) / 1000000 AS resolution     -- NULL while open
    FROM {source(path, TICKET_USED_TYPES)}
)
SELECT {grouping} AS grouping_id, {priority}, {day}, 'resolved_at' AS anchor,
    count(*) AS ticket_volume,
    count(resolution) AS tickets_resolved,
    avg(resolution) AS resolution_time,
    count(resolution) AS resolution_n,
    quantile_cont(resolution, 0.5) AS resolution_time_median,
    quantile_cont(resolution, 0.9) AS resolution_time_p90
FROM (SELECT priority, resolved_day AS day, resolution FROM tickets)
GROUP BY GROUPING SETS ({sets})"""
    if by_day:  # open tickets have no resolved day; ticket_volume by day is anchored on created_at
        query += """
HAVING GROUPING(day) = 1 OR day IS NOT NULL
UNION ALL BY NAME
SELECT GROUPING(priority, day) AS grouping_id, priority, day, 'created_at' AS anchor, count(*) AS ticket_volume
FROM (SELECT priority, created_day AS day FROM tickets)
GROUP BY GROUPING SETS ((day), (priority, day))"""
    return query + "\n"


def tickets_validate_sql(path: str) -> str:
    """Rows of a tickets export that hdkpi would reject (by reason), or that the reference does not handle."""
    return f"""
WITH tickets AS (SELECT * FROM {source(path, TICKET_ALL_TYPES)})
SELECT count(*) AS rows,
    count(*) FILTER (ticket_id IS NULL) AS empty_ticket_id,
    count(*) FILTER (created_at IS NULL) AS empty_created_at,
    count(*) FILTER (replies < 0 OR reopens < 0 OR handle_seconds < 0) AS negative_count_or_duration,
    count(*) FILTER (first_response_at < created_at) AS first_response_before_created,
    count(*) FILTER (resolved_at < created_at) AS resolved_before_created,
    count(*) - count(DISTINCT ticket_id) AS duplicate_ticket_id,
    count(*) FILTER (priority IS NULL) AS empty_priority
FROM tickets
"""


def kind_sql(path: str, shape: str = "by-group-day", kind: str = "calls") -> str:
    return tickets_sql(path, shape) if kind == "tickets" else sql(path, shape)


def kind_validate_sql(path: str, kind: str = "calls") -> str:
    return tickets_validate_sql(path) if kind == "tickets" else validate_sql(path)


def connect(threads: int | None = None):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # days are cut in UTC, as hdkpi's default --tz
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def records(rows: list[dict], kind: str = "calls") -> dict[tuple[str, str | None, str | None], tuple]:
    """The wide result → {(kpi, group or None, day or None): (value, n, numerator, denominator)}.

    A row grouped by day holds only the KPIs anchored on its ``anchor`` (tickets: created_at or
    resolved_at); a row without a day, or without an ``anchor`` column (calls), holds them all."""
    spec = KINDS[kind]
    out = {}
    for row in rows:
        grouping = row["grouping_id"]  # bit 1: group not grouped, bit 0: day not grouped
        group = None if grouping & 2 else row[spec.group]
        day = None if grouping & 1 else row["day"]
        for kpi in spec.kpis:
            if day is not None and spec.anchors and spec.anchors[kpi] != row.get("anchor"):
                continue
            value, n, num, den = (None if c is None else row[c] for c in spec.columns[kpi])
            key = (kpi, group, day)
            if key in out:
                raise SystemExit(f"the reference has {key} twice")
            out[key] = (value, n, num, den)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="export (.csv or .csv.gz) made by bench/generate.py")
    parser.add_argument("--kind", choices=tuple(KINDS), default="calls")
    parser.add_argument("--out", metavar="JSON", help="write the result here (newline-delimited JSON)")
    parser.add_argument("--shape", choices=tuple(SHAPES), default="by-group-day")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    parser.add_argument("--validate", action="store_true", help="count the rows hdkpi would reject; no KPIs")
    parser.add_argument("--sql", action="store_true", help="print the query and exit")
    args = parser.parse_args(argv)
    path = str(Path(args.file).resolve())
    query = kind_validate_sql(path, args.kind) if args.validate else kind_sql(path, args.shape, args.kind)
    if args.sql:
        print(query.strip())
        return 0
    con = connect(args.threads)
    if args.validate:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description]
        counts = dict(zip(names, cursor.fetchone()))
        print(json.dumps(counts))
        return 0 if all(v == 0 for k, v in counts.items() if k != "rows") else 1
    if not args.out:
        parser.error("--out JSON is required (or --validate / --sql)")
    out = str(Path(args.out).resolve()).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
