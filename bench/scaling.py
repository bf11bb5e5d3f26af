"""Proof that grouping is vectorised: the same 1 M rows split into 20, 200 and 2000 groups.

If the engine looped over groups in Python, its time would grow with the number of groups
(100× from 20 to 2000); a single groupby pass per KPI stays about flat. For each group count
this times, in process, with the median and minimum of ``--repeat`` runs:

- ``run()``: :func:`hdkpi.run.pipeline.run` with ``--by queue`` and every call KPI — the whole
  engine (read, normalise, compute, evaluate; no rendering);
- ``compute``: the compute stage alone on frames already loaded (KPI functions, the groupby
  pass, and one ``Result`` object per output record);
- ``groupby``: only the KPI functions and their measures' ``table()`` — the one groupby pass
  per KPI, without building ``Result`` objects.

With ``--every day`` the same three columns are also measured for ``--by queue --every day``
(groups × 90 days), where the number of output records, and so the ``Result`` objects, grows
with the groups while the groupby pass should not.

Run (from the repository root, in the project's virtualenv; missing inputs are generated
with bench/generate.py, same seed, into --dir)::

    python bench/scaling.py --dir /tmp --repeat 3
    python bench/scaling.py --dir /tmp --repeat 3 --every day
    python bench/scaling.py --dir /tmp --rows 200000 --groups 10 100 1000 10000
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # bench/ is not a package: its scripts import each other by path
from run import kpi_names


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(median, min) wall seconds of ``fn()`` over ``repeat`` calls, and the last return value."""
    times, value = [], None
    for _ in range(repeat):
        value = None
        gc.collect()
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), value


def input_file(directory: Path, rows: int, groups: int, seed: int) -> str:
    path = directory / f"calls_{rows}_g{groups}_s{seed}.csv"
    if not path.exists():
        print(f"generating {path}", file=sys.stderr, flush=True)
        generate(rows, str(path), kind="calls", seed=seed, groups=groups)
    return str(path)


def measure_file(path: str, shapes: list[tuple[str, str | None]], kpis: list[str], repeat: int) -> list[tuple]:
    """The three timings of every shape on one input: (groups, shape, results, 6 times, cells)."""
    from hdkpi.engine.registry import KpiContext
    from hdkpi.engine.slicing import Slicing, make_periods, period_span, periods_of
    from hdkpi.ingest.combine import combine
    from hdkpi.ingest.load import read_table
    from hdkpi.ingest.normalise import normalise
    from hdkpi.run.pipeline import (
        RunOptions,
        build_registry,
        resolve_settings,
        resolve_window,
        run,
        select_refs,
        slice_results,
    )

    frames = combine([normalise(read_table(path), kind="calls")])
    calls = frames["calls"]
    groups = calls["queue"].nunique()
    out = []
    for label, every in shapes:
        options = RunOptions(files=[path], kind="calls", kpis=kpis, by=["queue"], every=every)
        settings = resolve_settings(None, {})
        window = resolve_window(options)
        slicing = Slicing(by=("queue",), every=every)
        refs = select_refs(options, build_registry([]), frames, None)
        periods = None
        if every:
            first, last = period_span(frames, window)
            periods = make_periods(every, first, last, "UTC")

        def whole(options=options) -> int:
            return len(run(options).verdicts)

        def compute(refs=refs, settings=settings, window=window, slicing=slicing) -> int:
            return len(slice_results(refs, frames, settings, window, slicing, None,
                                     periods_of(frames, window, slicing)))

        def groupby_only(refs=refs, settings=settings, window=window, periods=periods) -> int:
            """Each KPI function once, then its measure's one groupby pass (no Result objects)."""
            context = KpiContext(settings=settings, window=window, frames=frames)
            keys = [calls["queue"]]
            if periods is not None:
                keys.append(periods.position(calls["offered_at"]))
            return sum(len(ref.kpi.fn(calls, context, **ref.kwargs).table(keys)) for ref in refs)

        run_med, run_min, _ = timed(whole, repeat)
        comp_med, comp_min, results = timed(compute, repeat)
        gb_med, gb_min, cells = timed(groupby_only, repeat)
        out.append((groups, label, results, run_med, run_min, comp_med, comp_min, gb_med, gb_min, cells))
        print(f"  {groups} groups, by {label}: run {run_med:.2f} s, compute {comp_med:.2f} s, "
              f"groupby {gb_med:.2f} s ({cells:,} cells)", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default="/tmp", help="where the inputs are (or are generated); default /tmp")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--every", choices=("day",), help="also measure --by queue --every day")
    args = parser.parse_args(argv)

    kpis = kpi_names("calls")
    shapes = [("queue", None)] + ([("queue × day", "day")] if args.every else [])
    rows_out = []
    for groups in args.groups:
        path = input_file(Path(args.dir), args.rows, groups, args.seed)
        rows_out += measure_file(path, shapes, kpis, args.repeat)
        gc.collect()

    print(f"{args.rows:,} calls rows, {len(kpis)} KPIs, median / min of {args.repeat} runs (seconds)\n")
    print("| groups | by | results | run() median | run() min | compute median | compute min "
          "| groupby median | groupby min |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for groups, label, results, *times, _cells in rows_out:
        cells = " | ".join(f"{t:.2f}" for t in times)
        print(f"| {groups:,} | {label} | {results:,} | {cells} |")
    for label, _ in shapes:
        mine = [r for r in rows_out if r[1] == label]
        if len(mine) > 1:
            first, last = mine[0], mine[-1]
            print(f"\nby {label}: groups ×{last[0] / first[0]:.0f} → run() ×{last[3] / first[3]:.2f}, "
                  f"compute ×{last[5] / first[5]:.2f}, groupby ×{last[7] / first[7]:.2f} (medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
