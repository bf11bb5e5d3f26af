"""Whole-process timings of ``hdkpi report`` on a big export: overall, by group, by group × day.

Each measurement is a fresh process (imports, CSV read, normalise, compute, JSON render
and write all included), started with ``subprocess`` and reaped with ``os.wait4``, which
gives that one child's resource usage: wall time, user+system CPU time and peak RSS.
Shapes (every KPI of the kind that takes no parameter, passed with ``--kpi``)::

    startup       python -c "import hdkpi.cli, hdkpi.run.pipeline, pandas, pyarrow.csv"   (import floor)
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

``--duckdb`` (needs the ``bench`` extra: ``pip install -e '.[bench]'``) times, instead, for
each shape overall / by-group / by-group-day and the 13 call KPIs of bench/duckdb_ref.py:

    hdkpi    hdkpi report FILE --kind calls -f json --kpi … [--by queue [--every day]]
    duckdb   python bench/duckdb_ref.py FILE --shape SHAPE --out …   (one GROUPING SETS query)
    floor    pyarrow.csv reads the 8 columns those KPIs use, each with an explicit type

in alternating order (hdkpi first in odd rounds, DuckDB first in even ones). With ``--kind tickets``
the KPIs are duckdb_ref.TICKET_KPIS (ticket_volume, tickets_resolved, resolution_time,
resolution_time_median, resolution_time_p90), the group is ``priority`` (``--by priority
[--every day]``: the issue's goal is "1 M tickets with median/p90 resolution per priority ≤ 1.5×
DuckDB"), and the floor reads created_at, resolved_at and priority, typed. Before any
timing counts, it checks once that the file has no row hdkpi would reject
(``duckdb_ref.py --validate``) and, after the first round of each shape, that hdkpi's and
DuckDB's figures agree for every (KPI, group, period) record (bench/agree.py, in a child
process); on the first disagreement it stops and prints no ratio. It prints the paired
ratios hdkpi/DuckDB and hdkpi/floor (the ratio within each round, median and range over the
rounds), median and minimum wall times, and peak RSS; then the goals of issue 9 met or missed.
``--gz`` adds the same runs on FILE.gz (made once with ``gzip -6`` beside FILE), all three
reading the .gz::

    python bench/generate.py 1000000 /tmp/bench/calls_1m.csv
    python bench/run.py /tmp/bench/calls_1m.csv --duckdb --gz --repeat 3
    python bench/run.py /tmp/bench/calls_1m.csv --duckdb --repeat 1 --only by-group-day --profile by-group-day
    python bench/generate.py 1000000 /tmp/bench/tickets_1m.csv --kind tickets
    python bench/run.py /tmp/bench/tickets_1m.csv --kind tickets --duckdb --repeat 3
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
STARTUP = "import hdkpi.cli, hdkpi.run.pipeline, pandas, pyarrow.csv"
BENCH = Path(__file__).resolve().parent
#: the read floor of --duckdb: duckdb_ref.KINDS[kind].used_types as pyarrow types, every column typed explicitly
TYPED_FLOOR = (
    "import sys, pyarrow as pa; from pyarrow import csv; "
    "types = {types}; "
    "t = csv.read_csv(sys.argv[1], convert_options=csv.ConvertOptions(include_columns=list(types), "
    "column_types=types)); print(t.num_rows)"
)
#: DuckDB's column types (duckdb_ref) → the pyarrow type the floor reads the column as
PYARROW_TYPES = {"TIMESTAMPTZ": "pa.timestamp('s', tz='UTC')", "DOUBLE": "pa.float64()", "BIGINT": "pa.int64()",
                 "VARCHAR": "pa.string()", "BOOLEAN": "pa.bool_()"}
#: --duckdb shapes: name → hdkpi slicing options (duckdb_ref.SHAPES has the same names); {group}: the kind's group
DUCKDB_SHAPES = {"overall": [], "by-group": ["--by", "{group}"], "by-group-day": ["--by", "{group}", "--every", "day"]}
#: issue 9's goals (paired ratios; RSS in MiB); GOAL_TICKETS_1M: 1 M tickets, median/p90 resolution per priority
GOAL_DUCKDB_10M, GOAL_DUCKDB_STRETCH, GOAL_DUCKDB_1M, GOAL_FLOOR, GOAL_GZ, GOAL_RSS_MIB = 1.25, 1.1, 1.5, 2.0, 1.2, 2560
GOAL_TICKETS_1M = 1.5


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
    from hdkpi.run.pipeline import build_registry

    return [k.name for k in build_registry([]) if k.kind == kind and not any(p.required for p in k.params)]


#: extra arguments for every hdkpi command line (--hdkpi-arg, e.g. --stream or --no-stream)
EXTRA_ARGS: list[str] = []


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
    report = [*hdkpi_argv(), "report", path, "--kind", kind, "-f", "json", *EXTRA_ARGS]
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


def duckdb_kind(kind: str):
    """duckdb_ref.KINDS[kind]: the reference's KPIs, group column and used column types."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    from duckdb_ref import KINDS  # bench/ is not a package; importing it does not import duckdb

    if kind not in KINDS:
        raise SystemExit(f"--duckdb has a reference for {', '.join(KINDS)}, not {kind}")
    return KINDS[kind]


def duckdb_kpis(kind: str = "calls") -> list[str]:
    return list(duckdb_kind(kind).kpis)


def typed_floor(kind: str) -> str:
    """The floor's code: pyarrow reads the columns the reference's KPIs use, each with its type."""
    types = ", ".join(f"'{name}': {PYARROW_TYPES[t]}" for name, t in duckdb_kind(kind).used_types.items())
    return TYPED_FLOOR.replace("{types}", "{" + types + "}")


def gzipped(path: str) -> str:
    """FILE.gz beside FILE, made once (``gzip -6``) and reused while newer than FILE."""
    target = Path(path + ".gz")
    if not target.exists() or target.stat().st_mtime < Path(path).stat().st_mtime:
        print(f"gzip -6 {path} → {target}", file=sys.stderr, flush=True)
        partial = target.with_name(target.name + ".part")
        with open(partial, "wb") as out:
            subprocess.run(["gzip", "-6", "-c", path], stdout=out, check=True)
        os.replace(partial, target)
    return str(target)


def child_json(argv: list[str]) -> tuple[int, dict]:
    """Run a bench helper that prints one JSON line; its exit code and that line."""
    import json

    done = subprocess.run(argv, capture_output=True, text=True)
    if not done.stdout.strip():
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Trio:
    """One shape on one input: hdkpi, the DuckDB reference and the read floor, measured in the same rounds."""

    variant: str  #: csv or gz
    shape: str
    path: str
    hdkpi: Shape
    duckdb: Shape
    floor: Shape  #: shared by the trios of a variant (one floor run per round)
    agreement: dict | None = None

    def paired(self, other: Shape) -> list[float]:
        """hdkpi's wall time ÷ ``other``'s, round by round."""
        return [a.wall / b.wall for a, b in zip(self.hdkpi.samples, other.samples)]


def duckdb_trios(path: str, variants: list[str], shapes: list[str], workdir: str, kind: str = "calls") -> list[Trio]:
    spec = duckdb_kind(kind)
    kpi_args = [arg for name in spec.kpis for arg in ("--kpi", name)]
    trios = []
    for variant in variants:
        source = gzipped(path) if variant == "gz" else path
        floor = Shape(f"floor {variant}", [sys.executable, "-c", typed_floor(kind), source])
        for shape in shapes:
            slicing = [arg.format(group=spec.group) for arg in DUCKDB_SHAPES[shape]]
            hdkpi = Shape(f"hdkpi {shape} {variant}",
                          [*hdkpi_argv(), "report", source, "--kind", kind, "-f", "json", *kpi_args, *slicing,
                           *EXTRA_ARGS])
            out = str(Path(workdir) / f"duckdb-{shape}-{variant}.json")
            duck = Shape(f"duckdb {shape} {variant}",
                         [sys.executable, str(BENCH / "duckdb_ref.py"), source, "--kind", kind, "--shape", shape,
                          "--out", out])
            trios.append(Trio(variant, shape, source, hdkpi, duck, floor))
    return trios


def run_trios(trios: list[Trio], repeat: int, workdir: str) -> None:
    """Round-robin: every round runs each variant's floor, then hdkpi and DuckDB of each shape, the pair in
    alternating order. After the first round of a shape, hdkpi's and DuckDB's figures must agree."""
    devnull = str(Path(workdir) / "floor.out")
    for round_ in range(repeat):
        floors_done = set()
        for trio in trios:
            if trio.floor.name not in floors_done:
                floors_done.add(trio.floor.name)
                sample = measure(trio.floor.argv, workdir, devnull)
                trio.floor.samples.append(sample)
                log(round_, repeat, trio.floor.name, sample)
            report = str(Path(workdir) / f"hdkpi-{trio.shape}-{trio.variant}.json")
            pair = [trio.hdkpi, trio.duckdb] if round_ % 2 == 0 else [trio.duckdb, trio.hdkpi]
            for shape in pair:
                sample = measure(shape.argv, workdir, report if shape is trio.hdkpi else devnull)
                shape.samples.append(sample)
                log(round_, repeat, shape.name, sample)
            if trio.agreement is None:
                code, trio.agreement = child_json([sys.executable, str(BENCH / "agree.py"), report,
                                                   trio.duckdb.argv[-1]])
                trio.hdkpi.records = trio.agreement["records"]
                trio.hdkpi.output_bytes = Path(report).stat().st_size
                print(f"  agreement {trio.shape} {trio.variant}: {trio.agreement}", file=sys.stderr, flush=True)
                if code != 0 or not trio.agreement["agree"]:
                    print(f"\nFIGURES DISAGREE for {trio.shape} ({trio.variant}), first mismatches:")
                    for problem in trio.agreement["problems"]:
                        print(f"  {problem}")
                    raise SystemExit("hdkpi and DuckDB disagree: no timing counts, no ratio printed")


def log(round_: int, repeat: int, name: str, sample: Sample) -> None:
    print(f"  round {round_ + 1}/{repeat} {name:<24} {sample.wall:7.2f} s  {sample.rss_mb:7.0f} MiB",
          file=sys.stderr, flush=True)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def duckdb_table(trios: list[Trio]) -> str:
    lines = [
        "| input | shape | records | hdkpi median / min (s) | DuckDB median / min (s) | floor median / min (s) "
        "| hdkpi ÷ DuckDB, paired: median (range) | hdkpi ÷ floor, paired: median (range) "
        "| peak RSS hdkpi / DuckDB / floor (MiB) | CPU median hdkpi / DuckDB (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in trios:
        h, d, f = t.hdkpi, t.duckdb, t.floor
        rss = " / ".join(f"{max(s.rss_mb for s in x.samples):.0f}" for x in (h, d, f))
        lines.append(
            f"| {t.variant} | {t.shape} | {h.records:,} | {h.median('wall'):.2f} / {h.minimum('wall'):.2f} "
            f"| {d.median('wall'):.2f} / {d.minimum('wall'):.2f} | {f.median('wall'):.2f} / {f.minimum('wall'):.2f} "
            f"| {spread(t.paired(d))} | {spread(t.paired(f))} | {rss} "
            f"| {h.median('cpu'):.2f} / {d.median('cpu'):.2f} |")
    return "\n".join(lines)


def goals(trios: list[Trio], rows: int, kind: str = "calls") -> list[str]:
    """Issue 9's goals for these trios: met or missed, by how much (paired medians)."""
    big = rows >= 5_000_000
    out = []

    def verdict(value: float, limit: float) -> str:
        return "met" if value <= limit else f"MISSED by {value / limit:.2f}×"

    for t in trios:
        vs_duck = statistics.median(t.paired(t.duckdb))
        vs_floor = statistics.median(t.paired(t.floor))
        rss = max(s.rss_mb for s in t.hdkpi.samples)
        label = f"{t.shape} ({t.variant})"
        if t.variant == "gz":
            out.append(f"{label}: hdkpi/DuckDB on the same .gz {vs_duck:.2f}× — goal ≤ {GOAL_GZ}×: "
                       f"{verdict(vs_duck, GOAL_GZ)}")
            continue
        if kind == "tickets":  # the ticket goal is set at 1 M rows, for median/p90 per priority
            which = " (the goal's shape: per priority)" if t.shape == "by-group" else ""
            scale = "" if 500_000 <= rows <= 2_000_000 else f" (this file has {rows:,} rows, the goal is for 1 M)"
            out.append(f"{label}: hdkpi/DuckDB {vs_duck:.2f}× — goal ≤ {GOAL_TICKETS_1M}× at 1 M tickets{which}"
                       f"{scale}: {verdict(vs_duck, GOAL_TICKETS_1M)}")
            out.append(f"{label}: hdkpi/floor {vs_floor:.2f}×, peak RSS {rss:.0f} MiB (no ticket goal for these)")
            continue
        if big:
            out.append(f"{label}: hdkpi/DuckDB {vs_duck:.2f}× — goal ≤ {GOAL_DUCKDB_10M}× (stretch "
                       f"{GOAL_DUCKDB_STRETCH}×): {verdict(vs_duck, GOAL_DUCKDB_10M)}")
        else:
            out.append(f"{label}: hdkpi/DuckDB {vs_duck:.2f}× — goal ≤ {GOAL_DUCKDB_1M}× at 1 M rows: "
                       f"{verdict(vs_duck, GOAL_DUCKDB_1M)}; 10 M goal ≤ {GOAL_DUCKDB_10M}×: "
                       f"{verdict(vs_duck, GOAL_DUCKDB_10M)}")
        out.append(f"{label}: hdkpi/floor {vs_floor:.2f}× — goal ≤ {GOAL_FLOOR}× (set for 10 M rows): "
                   f"{verdict(vs_floor, GOAL_FLOOR)}; peak RSS {rss:.0f} MiB — goal ≤ {GOAL_RSS_MIB} MiB "
                   f"(10 M rows): {verdict(rss, GOAL_RSS_MIB)}")
    return out


def duckdb_main(args: argparse.Namespace, path: str, rows: int, size: int) -> int:
    try:
        import importlib.metadata as metadata

        version = metadata.version("duckdb")  # not imported here: this process must stay small (see measure)
    except metadata.PackageNotFoundError:
        raise SystemExit("--duckdb needs DuckDB: pip install -e '.[bench]'") from None
    shapes = [s for s in DUCKDB_SHAPES if not args.only or s in args.only]
    variants = ["csv", "gz"] if args.gz else ["csv"]
    spec = duckdb_kind(args.kind)
    kpis = list(spec.kpis)
    print(f"{path}: {rows:,} {args.kind} rows, {size / 2**20:.0f} MiB; {len(kpis)} KPIs: {', '.join(kpis)}; "
          f"group {spec.group}")
    print(f"python {sys.version.split()[0]}, duckdb {version}, {os.cpu_count()} CPUs, {args.repeat} rounds, "
          f"shapes {', '.join(shapes)}, inputs {', '.join(variants)}", flush=True)
    code, checked = child_json([sys.executable, str(BENCH / "duckdb_ref.py"), path, "--kind", args.kind,
                                "--validate"])
    print(f"rows hdkpi would reject or derive (duckdb_ref.py --validate): {checked}\n", flush=True)
    if code != 0:
        raise SystemExit("the input has rows hdkpi rejects or derives; the reference does not: use a "
                         "bench/generate.py file")
    with tempfile.TemporaryDirectory(prefix="hdkpi-bench-") as workdir:
        trios = duckdb_trios(path, variants, shapes, workdir, args.kind)
        run_trios(trios, args.repeat, workdir)
        print("figures: hdkpi and DuckDB agree on every record of every shape "
              f"({', '.join(f'{t.shape} {t.variant}: {t.hdkpi.records:,}' for t in trios)})\n")
        print(duckdb_table(trios))
        print()
        for line in goals(trios, rows, args.kind):
            print(f"- {line}")
        if args.profile:
            wanted = next((t.hdkpi for t in trios if t.shape == args.profile), None)
            if wanted is None:
                raise SystemExit(f"--profile {args.profile}: shapes are {', '.join(shapes)}")
            profile(wanted, workdir, args.top)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="export made by bench/generate.py")
    parser.add_argument("--kind", choices=tuple(GROUP_DIM), default="calls")
    parser.add_argument("--repeat", type=int, default=3, help="runs per shape (default 3)")
    parser.add_argument("--only", action="append", metavar="SHAPE",
                        help="run only this shape (repeatable; 'overall' is always run, for the ratio, "
                             "except with --duckdb)")
    parser.add_argument("--profile", metavar="SHAPE", help="also cProfile one run of SHAPE (e.g. by-group-day)")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile listings (default 25)")
    parser.add_argument("--duckdb", action="store_true",
                        help="time hdkpi against the DuckDB reference and the typed read floor (calls, tickets)")
    parser.add_argument("--gz", action="store_true", help="with --duckdb: also all of it on FILE.gz")
    parser.add_argument("--hdkpi-arg", action="append", default=[], metavar="ARG",
                        help="add ARG to every hdkpi command line (repeatable), e.g. --hdkpi-arg=--no-stream")
    args = parser.parse_args(argv)
    EXTRA_ARGS[:] = args.hdkpi_arg
    path = str(Path(args.file).resolve())
    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
    if args.duckdb:
        return duckdb_main(args, path, rows, size)
    kpis = kpi_names(args.kind)
    shapes = shapes_for(path, args.kind, kpis)
    if args.only:
        shapes = [s for s in shapes if s.name in {*args.only, "overall"}]
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
