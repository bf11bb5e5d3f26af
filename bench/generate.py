"""Deterministic synthetic exports in hdkpi's canonical columns, for the benchmarks.

Writes ROWS rows of calls (or tickets) spread over 90 days (2026-08-27 … 2026-11-24, UTC),
with timestamps in ISO 8601 with ``+00:00``, as a CSV that ``hdkpi report`` reads without
a column map and without rejecting a single row. Everything is vectorised (numpy draws,
pyarrow string kernels, ``pyarrow.csv.write_csv``): 1 M rows take a few seconds. The same
ROWS/--kind/--seed/--groups always give the same bytes.

Run (from the repository root, in the project's virtualenv)::

    python bench/generate.py 1000000 /tmp/calls_1m_g200.csv                  # calls, 200 queues
    python bench/generate.py 1000000 /tmp/calls_1m_g2000.csv --groups 2000   # 2000 queues
    python bench/generate.py 1000000 /tmp/tickets_1m.csv --kind tickets      # tickets, 200 teams
    python bench/generate.py 1000 /tmp/calls.csv.gz                          # .gz/.bz2 compressed by name

Calls: call_id, offered_at, answered_at, wait_seconds, talk_seconds, hold_seconds,
acw_seconds, outcome (85 % answered / 12 % abandoned / 3 % other), queue (``--groups``
of them, unevenly sized), agent (200, empty unless answered), caller_id (``--people``
distinct, so callers repeat), transferred, resolved (empty unless answered).

Tickets: ticket_id, created_at, first_response_at, resolved_at (empty for tickets still
open at the end of the span), priority, team (``--groups``), agent, requester
(``--people``), replies, reopens, escalated, sla_breached (empty while open),
handle_seconds.

Generated files are data, not source: write them outside the repository (e.g. /tmp).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

START = np.datetime64("2026-08-27T00:00:00", "s")
DAYS = 90
END = START + np.timedelta64(DAYS * 86400, "s")
AGENTS = 200
ISO = "%Y-%m-%dT%H:%M:%S+00:00"


def labels(prefix: str, count: int, width: int | None = None) -> pa.Array:
    """``prefix`` + zero-padded numbers 0 … count-1 (``q000``, ``q001``, …), as a pyarrow array."""
    width = width or max(3, len(str(count - 1)))
    numbers = pc.cast(pa.array(np.arange(count, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width=width, padding="0"), "")


def pick(table: pa.Array, index: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """``table[index]`` vectorised; rows where ``present`` is False are empty cells."""
    indices = pa.array(index.astype(np.int64), mask=None if present is None else ~present)
    return pc.take(table, indices)


def uneven_groups(rng: np.random.Generator, rows: int, groups: int) -> np.ndarray:
    """Group numbers with Zipf-like sizes (the largest queue ~10× the smallest), shuffled labels."""
    weights = 1.0 / (np.arange(groups) + groups / 10 + 1)
    weights = rng.permutation(weights / weights.sum())
    return rng.choice(groups, size=rows, p=weights)


def event_times(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Sorted datetime64[s] over the 90 days, busier by day (a bell around 13:00 UTC)."""
    day = rng.integers(0, DAYS, size=rows)
    second = np.clip(rng.normal(13 * 3600, 3.5 * 3600, size=rows), 0, 86399).astype(np.int64)
    return np.sort(START + (day * 86400 + second).astype("timedelta64[s]"))


def iso(times: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """ISO 8601 text with ``+00:00``; rows where ``present`` is False are empty cells."""
    array = pa.array(times.astype("datetime64[s]"), type=pa.timestamp("s"),
                     mask=None if present is None else ~present)
    return pc.strftime(array, format=ISO)


def flags(rng: np.random.Generator, rows: int, p: float, present: np.ndarray | None = None) -> pa.Array:
    """true with probability ``p``; empty where ``present`` is False."""
    return pa.array(rng.random(rows) < p, mask=None if present is None else ~present)


def seconds(values: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """Whole seconds; empty where ``present`` is False."""
    return pa.array(np.rint(values).astype(np.int64), mask=None if present is None else ~present)


def calls(rows: int, seed: int, groups: int, people: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    offered = event_times(rng, rows)
    outcome = rng.choice(3, size=rows, p=[0.85, 0.12, 0.03])  # answered, abandoned, other
    answered = outcome == 0
    wait = np.rint(np.select([answered, outcome == 1], [rng.exponential(12, rows), rng.exponential(70, rows)],
                             rng.exponential(150, rows)))
    talk = rng.lognormal(np.log(300), 0.6, rows)
    hold = np.where(rng.random(rows) < 0.3, rng.exponential(60, rows), 0.0)
    acw = rng.exponential(40, rows)
    transferred = rng.random(rows) < 0.07
    resolved = rng.random(rows) < np.where(transferred, 0.55, 0.82)
    return pa.table({
        "call_id": labels("C", rows, width=9),
        "offered_at": iso(offered),
        "answered_at": iso(offered + wait.astype("timedelta64[s]"), answered),
        "wait_seconds": seconds(wait),
        "talk_seconds": seconds(talk, answered),
        "hold_seconds": seconds(hold, answered),
        "acw_seconds": seconds(acw, answered),
        "outcome": pick(pa.array(["answered", "abandoned", "other"]), outcome),
        "queue": pick(labels("q", groups), uneven_groups(rng, rows, groups)),
        "agent": pick(labels("a", AGENTS), rng.integers(0, AGENTS, rows), answered),
        "caller_id": pick(labels("c", people, width=7), rng.integers(0, people, rows)),
        "transferred": pa.array(transferred, mask=~answered),
        "resolved": pa.array(resolved, mask=~answered),
    })


def tickets(rows: int, seed: int, groups: int, people: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    created = event_times(rng, rows)
    priority = rng.choice(4, size=rows, p=[0.05, 0.20, 0.50, 0.25])  # P1 … P4
    speed = np.array([0.25, 0.5, 1.0, 2.0])[priority]  # P1 fastest
    to_response = rng.lognormal(np.log(1.5 * 3600), 1.0, rows) * speed
    to_resolution = np.maximum(rng.lognormal(np.log(20 * 3600), 1.2, rows) * speed, to_response)
    responded_at = created + to_response.astype("timedelta64[s]")
    resolved_at = created + to_resolution.astype("timedelta64[s]")
    responded = (rng.random(rows) < 0.97) & (responded_at < END)
    resolved = (rng.random(rows) < 0.97) & (resolved_at < END)
    escalated = rng.random(rows) < np.array([0.30, 0.15, 0.07, 0.03])[priority]
    reopens = np.where(rng.random(rows) < 0.07, rng.integers(1, 3, rows), 0)
    replies = rng.poisson(1.2, rows) + escalated.astype(np.int64) * 2
    handle = rng.lognormal(np.log(600), 0.8, rows) * (1 + replies)
    return pa.table({
        "ticket_id": labels("T", rows, width=9),
        "created_at": iso(created),
        "first_response_at": iso(responded_at, responded),
        "resolved_at": iso(resolved_at, resolved),
        "priority": pick(labels("P", 5, width=1), priority + 1),
        "team": pick(labels("t", groups), uneven_groups(rng, rows, groups)),
        "agent": pick(labels("a", AGENTS), rng.integers(0, AGENTS, rows)),
        "requester": pick(labels("r", people, width=7), rng.integers(0, people, rows)),
        "replies": pa.array(replies.astype(np.int64)),
        "reopens": pa.array(reopens.astype(np.int64)),
        "escalated": pa.array(escalated),
        "sla_breached": flags(rng, rows, 0.17, resolved),
        "handle_seconds": seconds(handle),
    })


def generate(rows: int, out: str, *, kind: str = "calls", seed: int = 1, groups: int = 200,
             people: int = 300_000) -> None:
    """Write the export; ``out`` ending in .gz or .bz2 is compressed."""
    if rows < 1 or groups < 1 or people < 1:
        raise ValueError("ROWS, --groups and --people must be positive")
    make = calls if kind == "calls" else tickets
    table = make(rows, seed, groups, people)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)
    with pa.output_stream(out, compression="detect") as sink:
        sink.write((",".join(table.column_names) + "\n").encode())  # an unquoted header, as exports have
        pacsv.write_csv(table, sink, write_options=options)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int, metavar="ROWS", help="number of data rows")
    parser.add_argument("out", metavar="OUT", help="CSV file to write (.gz/.bz2: compressed)")
    parser.add_argument("--kind", choices=("calls", "tickets"), default="calls")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--groups", type=int, default=200, help="number of queues / teams (default 200)")
    parser.add_argument("--people", type=int, default=300_000,
                        help="distinct caller_id / requester values (default 300000)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate(args.rows, args.out, kind=args.kind, seed=args.seed, groups=args.groups, people=args.people)
    print(f"wrote {args.rows:,} {args.kind} rows ({args.groups} groups) to {args.out} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
