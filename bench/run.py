"""Whole-process timings of ``hdkpi report`` on a big export: overall, by group, by group × day.

Each measurement is a fresh process (imports, CSV read, normalise, compute, JSON render
and write all included), started with ``subprocess`` and reaped with ``os.wait4``, which
gives that one child's resource usage: wall time, user+system CPU time and peak RSS.
Shapes (every KPI of the kind that takes no parameter, passed with ``--kpi``)::

    startup       python -c "import hdkpi.cli, hdkpi.pipeline, pandas, pyarrow.csv"   (import floor)
    floor         pyarrow.csv reads only the columns the KPIs use, typed by pyarrow   (read floor)
    overall       hdkpi report FILE -f json --kpi …
    by-group      … --by queue                (200 groups with the default generator)
    by-group-day  … --by queue --every day    (200 groups × 90 days)

The report goes to stdout, redirected to a file in a temporary directory (its size is
shown). Not ``-o /dev/null``: hdkpi writes ``-o`` atomically (temp file beside the target,
then ``os.replace``), which as root would replace /dev/null by a regular file.

Run (from the repository root, in the project's virtualenv)::

    python bench/generate.py 1000000 /tmp/calls_1m_g200.csv
    python bench/run.py /tmp/calls_1m_g200.csv --repeat 3
    python bench/run.py /tmp/calls_1m_g200.csv --repeat 1 --profile by-group-day   # + cProfile of one run
    python bench/run.py /tmp/tickets_1m.csv --kind tickets                          # groups by team

The processes run in a temporary directory, so no ./targets.yaml is picked up. The
machine is shared and noisy: read the median, and the minimum as the best case.
"""

from __future__ import annotations

import argparse
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

GROUP_DIM = {"calls": "queue", "tickets": "team"}
#: the columns the KPIs of each kind read (plus the group column), for the read floor
USED_COLUMNS = {
    "calls": ["offered_at", "answered_at", "wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds",
              "outcome", "queue", "transferred", "resolved"],
    "tickets": ["ticket_id", "created_at", "first_response_at", "resolved_at", "team", "agent", "requester",
                "replies", "reopens", "escalated", "sla_breached", "handle_seconds"],
}
FLOOR = ("import sys; from pyarrow import csv; "
         "t = csv.read_csv(sys.argv[1], convert_options=csv.ConvertOptions(include_columns=sys.argv[2].split(','))); "
         "print(t.num_rows)")
STARTUP = "import hdkpi.cli, hdkpi.pipeline, pandas, pyarrow.csv"


@dataclass
class Sample:
    wall: float  #: seconds
    cpu: float  #: user + system seconds
    rss_mb: float  #: peak resident set size, MiB


@dataclass
class Shape:
    name: str
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)
    output_bytes: int | None = None
    records: int | None = None

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    def minimum(self, attr: str) -> float:
        return min(getattr(s, attr) for s in self.samples)


def kpi_names(kind: str) -> list[str]:
    """Every registered KPI of ``kind`` that needs no parameter (built-ins and installed plugins)."""
    from hdkpi.pipeline import build_registry

    return [k.name for k in build_registry([]) if k.kind == kind and not any(p.required for p in k.params)]


def hdkpi_argv() -> list[str]:
    return [sys.executable, "-m", "hdkpi"]


def measure(argv: list[str], cwd: str, stdout_path: str) -> Sample:
    """One child process: wall time, CPU time and peak RSS of that child alone (``os.wait4``).

    On Linux a child's ``ru_maxrss`` starts from the RSS of the process it was spawned from
    (the high-water mark survives exec), so this process must stay smaller than what it
    measures: it never loads a report itself (about 20 MiB, checked against /usr/bin/time -v).
    """
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n{err.read().decode(errors='replace')}")
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024)


def count_results(path: str) -> int:
    """Records in a JSON report, parsed in a child process so this one stays small (see measure)."""
    code = "import json, sys; print(len(json.load(open(sys.argv[1], encoding='utf-8'))['results']))"
    return int(subprocess.run([sys.executable, "-c", code, path], check=True, capture_output=True,
                              text=True).stdout)


def shapes_for(path: str, kind: str, kpis: list[str]) -> list[Shape]:
    dim = GROUP_DIM[kind]
    report = [*hdkpi_argv(), "report", path, "--kind", kind, "-f", "json"]
    for name in kpis:
        report += ["--kpi", name]
    return [
        Shape("startup", [sys.executable, "-c", STARTUP]),
        Shape("floor", [sys.executable, "-c", FLOOR, path, ",".join(USED_COLUMNS[kind])]),
        Shape("overall", report),
        Shape("by-group", [*report, "--by", dim]),
        Shape("by-group-day", [*report, "--by", dim, "--every", "day"]),
    ]


def run_shapes(shapes: list[Shape], repeat: int, workdir: str) -> None:
    """Round-robin over the shapes, ``repeat`` rounds, so drift in machine load hits them all alike."""
    out = str(Path(workdir) / "stdout")
    for round_ in range(repeat):
        for shape in shapes:
            sample = measure(shape.argv, workdir, out)
            shape.samples.append(sample)
            print(f"  round {round_ + 1}/{repeat} {shape.name:<13} {sample.wall:7.2f} s  "
                  f"{sample.rss_mb:7.0f} MiB", file=sys.stderr, flush=True)
            if shape.argv[:3] == hdkpi_argv() and shape.records is None:
                shape.output_bytes = Path(out).stat().st_size
                shape.records = count_results(out)


def table(shapes: list[Shape]) -> str:
    base = next(s for s in shapes if s.name == "overall")
    lines = [
        "| shape | results | JSON out | wall median (s) | wall min (s) | CPU median (s) | peak RSS median (MiB) "
        "| × overall (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in shapes:
        ratio = s.median("wall") / base.median("wall")
        records = f"{s.records:,}" if s.records is not None else "–"
        size = f"{s.output_bytes / 2**20:.1f} MiB" if s.output_bytes is not None else "–"
        lines.append(f"| {s.name} | {records} | {size} | {s.median('wall'):.2f} | {s.minimum('wall'):.2f} | "
                     f"{s.median('cpu'):.2f} | {s.median('rss_mb'):.0f} | {ratio:.2f} |")
    return "\n".join(lines)


def profile(shape: Shape, workdir: str, top: int) -> None:
    """cProfile one whole process of ``shape``; print the top functions by cumulative and own time."""
    prof = str(Path(workdir) / "run.prof")
    argv = [sys.executable, "-m", "cProfile", "-o", prof, *shape.argv[1:]]
    measure(argv, workdir, str(Path(workdir) / "stdout"))
    for key in ("cumulative", "tottime"):
        print(f"\n## cProfile of {shape.name}, top {top} by {key}\n")
        pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats(key).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="export made by bench/generate.py")
    parser.add_argument("--kind", choices=tuple(GROUP_DIM), default="calls")
    parser.add_argument("--repeat", type=int, default=3, help="runs per shape (default 3)")
    parser.add_argument("--only", action="append", metavar="SHAPE",
                        help="run only this shape (repeatable; 'overall' is always run, for the ratio)")
    parser.add_argument("--profile", metavar="SHAPE", help="also cProfile one run of SHAPE (e.g. by-group-day)")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile listings (default 25)")
    args = parser.parse_args(argv)
    path = str(Path(args.file).resolve())
    kpis = kpi_names(args.kind)
    shapes = shapes_for(path, args.kind, kpis)
    if args.only:
        shapes = [s for s in shapes if s.name in {*args.only, "overall"}]
    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
    print(f"{path}: {rows:,} rows, {size / 2**20:.0f} MiB; {len(kpis)} KPIs: {', '.join(kpis)}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.repeat} rounds\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="hdkpi-bench-") as workdir:
        run_shapes(shapes, args.repeat, workdir)
        print(table(shapes))
        base = next(s for s in shapes if s.name == "overall")
        for s in shapes:
            if s.name.startswith("by-"):
                print(f"\n{s.name}: {s.median('wall') / base.median('wall'):.2f}× the overall run (median), "
                      f"{s.median('wall') - base.median('wall'):+.2f} s for {s.records:,} results "
                      f"instead of {base.records:,}")
        if args.profile:
            wanted = next((s for s in shapes if s.name == args.profile), None)
            if wanted is None:
                parser.error(f"--profile {args.profile}: shapes are {', '.join(s.name for s in shapes)}")
            profile(wanted, workdir, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
