"""Where the time of one ``hdkpi report`` goes: the pipeline's stages timed one by one, in process.

Mirrors :func:`hdkpi.run.pipeline.run` stage by stage (typed read and normalise → compute →
evaluate → JSON) with a wall clock around each, for the shapes of ``bench/run.py`` (overall,
by group, by group × day). The text path (every cell read as text, then typed in pandas: what
a file Arrow cannot type takes) is timed once too, for comparison. Imports are timed first.

Run (from the repository root, in the project's virtualenv)::

    python bench/generate.py 1000000 /tmp/calls_1m_g200.csv
    python bench/stages.py /tmp/calls_1m_g200.csv
    python bench/stages.py /tmp/tickets_1m.csv --kind tickets

Numbers are one run each (read and normalise are shared by the three shapes: the CSV is read
and normalised once, as every run does). Memory held between stages is the real pipeline's.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import GROUP_DIM, kpi_names  # bench/ is not a package: its scripts import each other by path

SHAPES = {"overall": ([], None), "by-group": (["{dim}"], None), "by-group-day": (["{dim}"], "day")}


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float]] = []

    @contextmanager
    def stage(self, shape: str, name: str):
        started = time.perf_counter()
        yield
        self.rows.append((shape, name, time.perf_counter() - started))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE", help="export made by bench/generate.py")
    parser.add_argument("--kind", choices=tuple(GROUP_DIM), default="calls")
    args = parser.parse_args(argv)
    timer = Timer()

    with timer.stage("all", "import pandas, pyarrow, hdkpi"):
        import pandas  # noqa: F401
        import pyarrow.csv  # noqa: F401

        from hdkpi.document import report_doc
        from hdkpi.engine.slicing import Slicing, periods_of, week_start_number
        from hdkpi.ingest.combine import combine
        from hdkpi.ingest.fastread import read_typed
        from hdkpi.ingest.load import read_table
        from hdkpi.ingest.normalise import normalise
        from hdkpi.render.json import JsonFormatter
        from hdkpi.run.pipeline import (
            RunOptions,
            build_registry,
            encode_dimensions,
            resolve_settings,
            resolve_window,
            select_refs,
            slice_results,
        )
        from hdkpi.targets.evaluate import evaluate

    from hdkpi.model import Report

    kpis = kpi_names(args.kind)
    with timer.stage("all", "text path, for comparison: read CSV as text (load.read_table)"):
        raw = read_table(args.file)
    with timer.stage("all", "text path, for comparison: normalise (type, derive, check)"):
        normalise(raw, kind=args.kind, tz="UTC")
    del raw
    with timer.stage("all", "typed read + normalise (fastread.read_typed), as runs do"):
        typed = read_typed(args.file, kind_of=lambda header: args.kind, mapping_for=lambda kind: {}, tz="UTC")
    if typed is None:
        sys.exit(f"{args.file}: the typed read gave up on it (not a clean canonical CSV); see tests/test_fastread.py")
    dataset = typed[0]
    frames = combine([dataset])
    rows = len(dataset.frame)
    dim = GROUP_DIM[args.kind]
    for shape, (by, every) in SHAPES.items():
        by = [b.format(dim=dim) for b in by]
        options = RunOptions(files=[args.file], kind=args.kind, kpis=kpis, by=by, every=every)
        shaped = {kind: frame.copy(deep=False) for kind, frame in frames.items()}
        with timer.stage(shape, "compute (dimensions, registry, KPIs, groupby, Result objects)"):
            encode_dimensions(shaped, by)
            registry = build_registry([])
            settings = resolve_settings(None, {})
            window = resolve_window(options)
            slicing = Slicing(by=tuple(by), every=every, tz="UTC", week_start=week_start_number(settings["week_start"]))
            refs = select_refs(options, registry, shaped, None)
            results = slice_results(refs, shaped, settings, window, slicing, None, periods_of(shaped, window, slicing))
        with timer.stage(shape, "evaluate (targets)"):
            verdicts = evaluate(results, [], settings)
        report = Report(verdicts=verdicts, inputs=[dataset.summary], settings=settings, period_from=None,
                        period_to=None, generated_at=None, targets_path=None, command="report", strict=False,
                        by=slicing.by, every=every, compare=None, tz="UTC")
        with timer.stage(shape, "JSON document (document.report_doc)"):
            report_doc(report)
        with timer.stage(shape, "JSON text as shipped (render.json.JsonFormatter: document + dumps)"):
            text = JsonFormatter().render(report)
        print(f"{shape}: {len(results):,} results, {len(text) / 2**20:.1f} MiB JSON", file=sys.stderr)
        del results, verdicts, report, text

    print(f"{args.file}: {rows:,} rows used; {len(kpis)} KPIs\n")
    print("| shape | stage | seconds |")
    print("|---|---|---:|")
    for shape, name, seconds in timer.rows:
        print(f"| {shape} | {name} | {seconds:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
