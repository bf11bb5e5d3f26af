"""The levers for streaming a big calls export, each measured in its own process.

Groundwork for issue 9 (speed on big exports): before hdkpi reads a file block by block,
how much do the candidate levers save in time and peak memory on the same file? Each lever
is one child process (this script with ``--child LEVER``), reaped with ``os.wait4`` so that
its wall time, CPU time and peak RSS are that process's alone (as in bench/run.py; this
parent imports neither pandas nor pyarrow, so it stays smaller than what it measures)::

    startup          import pyarrow.csv, pandas, numpy and hdkpi.ingest, and plan the typed read (the floor
                     of every lever but duckdb)
    read-all         pyarrow.csv.read_csv of every column with the ReadOptions/ConvertOptions the typed
                     read uses (hdkpi.ingest.fastread.typed_plan → hdkpi.ingest.load.csv_options)
    read-needed      the same, ConvertOptions.include_columns = the columns the call KPIs by queue × day
                     need that the file has (NEEDED)
    stream-count     pyarrow.csv.open_csv with the same options, block_size 16 or 64 MiB, every column:
                     iterate the record batches and count rows, nothing else
    stream-reduce    the same stream; per batch, only the NEEDED columns to pandas, then per (queue, day)
                     calls offered (offered_at present), answered, abandoned (outcome) and the sum of
                     wait_seconds, with numpy bincount over a combined code (queue: codes of a
                     per-batch factorize mapped to run-wide ones; day: offered_at floored to the UTC
                     day), added into running totals
    duckdb           DuckDB (read_csv with explicit types, as bench/duckdb_ref.py) computing the same
                     four figures by queue × day
    … on FILE.gz     stream-count and stream-reduce reading pyarrow.input_stream(FILE.gz,
                     compression='gzip'); read-all and duckdb on the .gz as well, for comparison

In-process timings are printed beside the process's: ``work`` is the time after imports;
stream-reduce splits it into parse (opening the reader, which reads the first block, and
waiting for each next batch: Arrow reads ahead on its own threads, so parsing that overlaps
the Python work is not counted here), convert (select + to_pandas) and compute+merge (codes,
bincount, adding into the totals). ``Arrow pool peak`` is the most Arrow's memory pool held
at once (``max_memory()``): live Arrow buffers, not the pages the allocator keeps.

Totals are checked, untimed, in one more child: every stream-reduce and the DuckDB result
must equal a whole-file pandas groupby of the same columns exactly (integer counts; waits
are whole seconds, so their float sums are exact).

Run (from the repository root, in the project's virtualenv with ``pip install -e '.[bench]'``)::

    python bench/generate.py 10000000 /tmp/bench/calls_10m.csv
    python bench/stream_levers.py /tmp/bench/calls_10m.csv --rounds 2 --gz

``--blocks 4,16`` sets the streaming block sizes (MiB); ``--only TEXT`` keeps the levers whose
input and label contain TEXT (e.g. ``--only "csv stream"``). ``--gz`` makes FILE.gz once beside
FILE (``gzip -6``) if it is not there. Generated files are data: delete them when done.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: the columns the call KPIs by queue × day need (src/hdkpi/kpis/calls.py and fields.py: ended_at
#: derives a missing wait); those the file lacks are left out
NEEDED = ["offered_at", "answered_at", "wait_seconds", "outcome", "queue", "ended_at",
          "talk_seconds", "hold_seconds", "acw_seconds"]
BLOCKS_MIB = (16, 64)


# ---------------------------------------------------------------- children

def _options(path: str, only: list[str] | None = None, block_mib: int | None = None):
    """The typed read's Arrow options for this file (and the header), as fastread.read_typed builds them."""
    from hdkpi.ingest.fastread import typed_plan
    from hdkpi.ingest.load import csv_options

    plan = typed_plan(path, lambda header: "calls", lambda kind: {})
    if plan is None:
        raise SystemExit(f"{path}: the typed read would not take this file")
    header, delimiter, _kind, _columns, types = plan
    if only is not None:
        only = [c for c in only if c in header]
    read, parse, convert = csv_options(header, delimiter, "utf-8", types, newlines_in_values=False, only=only)
    if block_mib:
        read.block_size = block_mib << 20
    return header, read, parse, convert


def _stream(path: str):
    import pyarrow as pa

    return pa.input_stream(path, compression="gzip" if path.endswith(".gz") else None)


def child_read(path: str, needed: bool) -> dict:
    from pyarrow import csv as pacsv

    t0 = time.perf_counter()
    _, read, parse, convert = _options(path, NEEDED if needed else None)
    table = pacsv.read_csv(_stream(path), read_options=read, parse_options=parse, convert_options=convert)
    return {"rows": table.num_rows, "work": time.perf_counter() - t0}


def child_stream_count(path: str, block_mib: int) -> dict:
    from pyarrow import csv as pacsv

    t0 = time.perf_counter()
    _, read, parse, convert = _options(path, None, block_mib)
    reader = pacsv.open_csv(_stream(path), read_options=read, parse_options=parse, convert_options=convert)
    rows = batches = 0
    for batch in reader:
        rows += batch.num_rows
        batches += 1
    return {"rows": rows, "batches": batches, "work": time.perf_counter() - t0}


class Totals:
    """Running offered / answered / abandoned counts and wait sums on a (queue, day) grid that grows."""

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.queues: dict[str, int] = {}
        self.day0: int | None = None
        self.counts = np.zeros((3, 0, 0), dtype=np.int64)  # offered, answered, abandoned
        self.waits = np.zeros((0, 0), dtype=np.float64)

    def fit(self, queues: int, low: int, high: int) -> None:
        """Grow the grid to ``queues`` rows and days ``low`` … ``high`` (epoch days)."""
        np = self.np
        if self.day0 is None:
            self.day0 = low
        before = max(self.day0 - low, 0)
        days = max(self.waits.shape[1] + before, high - self.day0 + before + 1)
        more_q = queues - self.waits.shape[0]
        if before or more_q > 0 or days > self.waits.shape[1]:
            after = days - self.waits.shape[1] - before
            pad_q = max(more_q, 0)
            self.counts = np.pad(self.counts, ((0, 0), (0, pad_q), (before, after)))
            self.waits = np.pad(self.waits, ((0, pad_q), (before, after)))
            self.day0 -= before

    def add(self, queue, offered_at, outcome, wait) -> None:
        import pandas as pd

        np = self.np
        local, names = pd.factorize(queue, use_na_sentinel=True)
        to_run = np.array([self.queues.setdefault(n, len(self.queues)) for n in names], dtype=np.int64)
        ok = local >= 0  # a row without a queue has no (queue, day) cell: it is counted nowhere
        present = offered_at.notna().to_numpy()
        ok &= present
        day = np.asarray(offered_at.values).astype("datetime64[D]").view(np.int64)  # UTC days; NaT: dropped by ok
        if not ok.any():
            return
        low, high = int(day[ok].min()), int(day[ok].max())
        self.fit(len(self.queues), low, high)
        width = high - low + 1
        code = to_run[local[ok]] * width + (day[ok] - low)
        cells = len(self.queues) * width
        answered = outcome.eq("answered").to_numpy(dtype=bool, na_value=False)[ok]
        abandoned = outcome.eq("abandoned").to_numpy(dtype=bool, na_value=False)[ok]
        w = wait.to_numpy(dtype=np.float64, na_value=np.nan)[ok]
        grid = (len(self.queues), width)
        block = [np.bincount(code, minlength=cells), np.bincount(code[answered], minlength=cells),
                 np.bincount(code[abandoned], minlength=cells)]
        waits = np.bincount(code, weights=np.nan_to_num(w, nan=0.0), minlength=cells)
        self._merge(block, waits, grid, low)

    def _merge(self, block, waits, grid, low) -> None:
        at = low - self.day0
        rows, width = grid
        for i, counts in enumerate(block):
            self.counts[i, :rows, at:at + width] += counts.reshape(grid)
        self.waits[:rows, at:at + width] += waits.reshape(grid)

    def rows(self) -> list[list]:
        """[[queue, 'YYYY-MM-DD', offered, answered, abandoned, wait sum], …] for the cells with calls."""
        np = self.np
        names = sorted(self.queues, key=self.queues.get)
        out = []
        q_idx, d_idx = np.nonzero(self.counts[0])
        for q, d in zip(q_idx.tolist(), d_idx.tolist()):
            day = str(np.datetime64(self.day0 + d, "D"))
            out.append([names[q], day, *(int(self.counts[i, q, d]) for i in range(3)), float(self.waits[q, d])])
        return sorted(out)


def child_stream_reduce(path: str, block_mib: int, out: str) -> dict:
    from pyarrow import csv as pacsv

    t0 = time.perf_counter()
    header, read, parse, convert = _options(path, None, block_mib)
    names = {f"c{i}": h for i, h in enumerate(header)}
    wanted = [f"c{i}" for i, h in enumerate(header) if h in NEEDED]
    opened = time.perf_counter()
    reader = pacsv.open_csv(_stream(path), read_options=read, parse_options=parse, convert_options=convert)
    totals = Totals()
    spent = {"parse": time.perf_counter() - opened, "convert": 0.0, "compute+merge": 0.0}  # opening reads block 1
    rows = batches = 0
    it = iter(reader)
    while True:
        t = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            spent["parse"] += time.perf_counter() - t
            break
        t1 = time.perf_counter()
        frame = batch.select(wanted).to_pandas()
        frame.columns = [names[c] for c in wanted]
        del batch
        t2 = time.perf_counter()
        totals.add(frame["queue"], frame["offered_at"], frame["outcome"], frame["wait_seconds"])
        t3 = time.perf_counter()
        spent["parse"] += t1 - t
        spent["convert"] += t2 - t1
        spent["compute+merge"] += t3 - t2
        rows += len(frame)
        batches += 1
        del frame
    result = totals.rows()
    work = time.perf_counter() - t0
    Path(out).write_text(json.dumps(result))
    return {"rows": rows, "batches": batches, "work": work, **spent}


def child_duckdb(path: str, out: str) -> dict:
    import duckdb
    from duckdb_ref import source

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    types = {"offered_at": "TIMESTAMPTZ", "wait_seconds": "DOUBLE", "outcome": "VARCHAR", "queue": "VARCHAR"}
    rows = con.execute(f"""
        SELECT queue, strftime(CAST(offered_at AS DATE), '%Y-%m-%d') AS day,
               count(offered_at) AS offered,
               count_if(outcome = 'answered') AS answered,
               count_if(outcome = 'abandoned') AS abandoned,
               coalesce(sum(wait_seconds), 0) AS waits
        FROM {source(path, types)}
        WHERE queue IS NOT NULL AND offered_at IS NOT NULL
        GROUP BY ALL""").fetchall()
    work = time.perf_counter() - t0
    Path(out).write_text(json.dumps(sorted([q, d, int(o), int(a), int(b), float(w)] for q, d, o, a, b, w in rows)))
    return {"rows": None, "cells": len(rows), "work": work}


def child_check(path: str, outs: list[str]) -> dict:
    """The whole-file pandas groupby of the same figures; each result file must equal it exactly."""
    import numpy as np
    from pyarrow import csv as pacsv

    header, read, parse, convert = _options(path, ["offered_at", "wait_seconds", "outcome", "queue"])
    table = pacsv.read_csv(_stream(path), read_options=read, parse_options=parse, convert_options=convert)
    frame = table.to_pandas()
    frame.columns = [header[int(c[1:])] for c in table.column_names]
    frame = frame[frame["queue"].notna() & frame["offered_at"].notna()]
    frame["day"] = frame["offered_at"].dt.floor("D")
    frame["answered"] = frame["outcome"].eq("answered").fillna(False).astype(np.int64)
    frame["abandoned"] = frame["outcome"].eq("abandoned").fillna(False).astype(np.int64)
    grouped = frame.groupby(["queue", "day"], observed=True, sort=True).agg(
        offered=("offered_at", "size"), answered=("answered", "sum"), abandoned=("abandoned", "sum"),
        waits=("wait_seconds", "sum"))
    expected = sorted([q, d.strftime("%Y-%m-%d"), int(o), int(a), int(b), float(w)]
                      for (q, d), (o, a, b, w) in zip(grouped.index, grouped.itertuples(index=False)))
    verdicts = {}
    for out in outs:
        got = json.loads(Path(out).read_text())
        verdicts[Path(out).stem] = "equal" if got == expected else \
            f"DIFFERENT ({len(got)} vs {len(expected)} cells; first: " \
            f"{next((g, e) for g, e in zip(got + [None] * len(expected), expected) if g != e)})"
    return {"cells": len(expected), "rows": int(grouped["offered"].sum()), "verdicts": verdicts}


def child_startup(path: str) -> dict:
    t0 = time.perf_counter()
    _options(path)  # the typed read's plan: reads the head of the file
    return {"rows": None, "work": time.perf_counter() - t0}


def run_child(args: argparse.Namespace) -> None:
    lever, path = args.child, args.file
    if lever != "duckdb":  # imports before any timing: "work" starts after them
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import pyarrow.csv

        import hdkpi.ingest.fastread
        import hdkpi.ingest.load  # noqa: F401
    if lever == "startup":
        result = child_startup(path)
    elif lever in ("read-all", "read-needed"):
        result = child_read(path, lever == "read-needed")
    elif lever == "stream-count":
        result = child_stream_count(path, args.block)
    elif lever == "stream-reduce":
        result = child_stream_reduce(path, args.block, args.out)
    elif lever == "duckdb":
        result = child_duckdb(path, args.out)
    elif lever == "check":
        result = child_check(path, args.outs)
    else:
        raise SystemExit(f"unknown lever {lever}")
    if lever != "duckdb":  # the most Arrow's memory pool held at once (live buffers, not pages kept)
        import pyarrow as pa

        result["pool"] = pa.default_memory_pool().max_memory() / 2**20
    print(json.dumps(result))


# ---------------------------------------------------------------- parent

def measure(argv: list[str]) -> dict:
    """One child: its JSON line, wall and CPU time, and peak RSS (of that child alone, os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(argv)}\n{err.read().decode(errors='replace')}")
        result = json.loads(out.read().decode().strip().splitlines()[-1])
    return {**result, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def levers(path: str, gz: str | None, tmp: str,
           blocks: tuple[int, ...] = BLOCKS_MIB) -> list[tuple[str, str, list[str], str | None]]:
    """(input, lever label, child arguments, result file or None) in the order they run."""
    out = []
    for variant, file in (("csv", path), ("gz", gz)):
        if file is None:
            continue
        out.append((variant, "read-all", ["read-all", file], None))
        if variant == "csv":
            out.append((variant, "read-needed", ["read-needed", file], None))
        for mib in blocks:
            out.append((variant, f"stream-count {mib} MiB", ["stream-count", file, "--block", str(mib)], None))
        for mib in blocks:
            res = str(Path(tmp) / f"{variant}-stream-reduce-{mib}.json")
            out.append((variant, f"stream-reduce {mib} MiB",
                        ["stream-reduce", file, "--block", str(mib), "--out", res], res))
        res = str(Path(tmp) / f"{variant}-duckdb.json")
        out.append((variant, "duckdb", ["duckdb", file, "--out", res], res))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--gz", action="store_true", help="also the levers on FILE.gz (made once with gzip -6)")
    parser.add_argument("--blocks", type=lambda text: tuple(int(b) for b in text.split(",")), default=BLOCKS_MIB,
                        help="block sizes of the streaming levers, MiB (default 16,64)")
    parser.add_argument("--only", help="only the levers whose label contains this text (and startup)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--block", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--outs", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return

    path = str(Path(args.file).resolve())
    gz = None
    if args.gz:
        gz = path + ".gz"
        if not Path(gz).exists():
            print(f"gzip -6 {path} …", file=sys.stderr)
            with open(gz + ".part", "wb") as target:
                subprocess.run(["gzip", "-6", "-c", path], stdout=target, check=True)
            os.replace(gz + ".part", gz)
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    size = Path(path).stat().st_size / 2**20
    print(f"{path}: {size:,.0f} MiB" + (f"; .gz {Path(gz).stat().st_size / 2**20:,.0f} MiB" if gz else ""))

    with tempfile.TemporaryDirectory(prefix="stream_levers_") as tmp:
        plan = [("-", "startup", ["startup", path], None), *levers(path, gz, tmp, args.blocks)]
        if args.only:
            plan = [p for p in plan if p[1] == "startup" or args.only in f"{p[0]} {p[1]}"]
        samples: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(args.rounds):
            for variant, label, child, _ in plan:
                sample = measure(me + child)
                samples.setdefault((variant, label), []).append(sample)
                print(f"  round {round_ + 1} {variant:3} {label:22} {sample['wall']:7.2f} s  "
                      f"{sample['rss']:7.0f} MiB", file=sys.stderr, flush=True)
        outs = [res for *_, res in plan if res]
        check = measure([*me, "check", path, "--outs", *outs]) if outs else None

    if check:
        print(f"\ncheck: whole-file pandas groupby, {check['cells']:,} (queue, day) cells, {check['rows']:,} rows")
        for name, verdict in check["verdicts"].items():
            print(f"  {name}: {verdict}")
    print(f"\n{args.rounds} round(s); times in s (median / min over rounds), peak RSS in MiB (max over rounds)\n")
    print("| input | lever | rows | wall median / min | CPU (median) | work after imports (median) "
          "| parse / convert / compute+merge (median) | peak RSS | Arrow pool peak |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for variant, label, *_ in plan:
        runs = samples[(variant, label)]

        def med(key: str, runs: list[dict] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        rows = runs[0].get("rows")
        split = (f"{med('parse'):.2f} / {med('convert'):.2f} / {med('compute+merge'):.2f}"
                 if "parse" in runs[0] else "")
        print(f"| {variant} | {label} | {'' if rows is None else f'{rows:,}'} | "
              f"{med('wall'):.2f} / {min(r['wall'] for r in runs):.2f} | {med('cpu'):.2f} | {med('work'):.2f} | "
              f"{split} | {max(r['rss'] for r in runs):,.0f} | "
              f"{'' if 'pool' not in runs[0] else format(max(r['pool'] for r in runs), ',.0f')} |")


if __name__ == "__main__":
    main()
