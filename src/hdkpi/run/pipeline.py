"""The whole run, stage by stage: load → normalise → select → compute → evaluate → Report.

The CLI builds :class:`RunOptions` and calls :func:`run`; nothing here prints or exits.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..ingest.combine import account_preset, combine, join_surveys
from ..model import Report
from .plan import (  # noqa: F401  (re-exported: hdkpi.run.pipeline is where callers find a run's pieces)
    _MICROSECOND,
    Plan,
    RunOptions,
    annotate,
    build_registry,
    check_map_columns,
    check_map_fields,
    default_refs,
    file_mapping,
    in_business_time,
    kind_of,
    plan_run,
    recall_history,
    report_of,
    resolve_settings,
    resolve_window,
    segments_of,
    select_refs,
    slicing_of,
    vendor_definitions,
    with_segments,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiRef
    from ..engine.select import Window
    from ..engine.slicing import Slicing
    from ..ingest.load import RawTable
    from ..ingest.normalise import Dataset
    from ..model import Result
    from ..targets.file import TargetsFile











def load_datasets(options: RunOptions, targets: "TargetsFile | None") -> list["Dataset"]:
    from ..ingest.fastread import read_typed

    check_map_fields(options.mapping)
    from ..ingest.presets.dates import PREFERRED_DAYFIRST

    datasets, headers = [], []
    wanted = options.preset or (targets.preset if targets is not None else None)
    PREFERRED_DAYFIRST.set(options.dayfirst)
    from ..ingest.load import PROGRESS

    PROGRESS.set(options.progress)
    from ..ingest import cache

    cache_dir = cache.resolve_dir(options.cache, targets.cache if targets is not None else None)
    for path in options.files:
        if path in options.tables:  # a DataFrame or Arrow table of the library: read as its cells are
            from ..ingest.presets import choose_preset

            given_kind, raw = options.tables[path]
            preset, _ = choose_preset(wanted, [] if wanted else raw.header, "")
            datasets.append(convert_and_check(path, preset, raw, options, targets, given_kind))
            headers.append(raw.header)
            continue
        key = cache.key_of(path, preset=wanted, mapping=file_mapping(options.kind, targets, options.mapping),
                           tz=options.tz, kind=options.kind, dayfirst=options.dayfirst) if cache_dir else None
        hit = cache.load(cache_dir, key) if cache_dir and key and not options.keep_rejects else None
        if hit is not None:
            options.step(f"{path}: from the cache")
            datasets.append(hit[0])
            headers.append(hit[1])
            continue
        options.step(f"reading {path}")
        typed = None if options.keep_rejects or wanted not in (None, "generic") else read_typed(
            path, kind_of=lambda header: kind_of(header, options, targets),
            mapping_for=lambda kind: file_mapping(kind, targets, options.mapping), tz=options.tz)
        if typed is not None:  # a clean canonical CSV, typed by Arrow as it is read
            datasets.append(typed[0])
            headers.append(typed[1])
            if cache_dir and key:
                cache.store(cache_dir, key, typed[0], typed[1])
            continue
        preset, raw = read_with_preset(path, wanted)
        options.step(f"checking {len(raw.frame):,} rows of {path} ({preset.name})")
        dataset = convert_and_check(path, preset, raw, options, targets)
        headers.append(raw.header)
        datasets.append(dataset)
        if cache_dir and key and not options.keep_rejects and dataset.states is None:  # a history is not cached
            cache.store(cache_dir, key, dataset, list(raw.header))
    check_map_columns(options.mapping, headers)
    return datasets








def convert_and_check(path: str, preset: Any, raw: "RawTable", options: RunOptions, targets: "TargetsFile | None",
                      kind: str | None = None) -> "Dataset":
    """A source as read (a file, or a library table) through its preset, normalise and the accounting of
    both; ``kind``: the library's word for the table's kind, before --kind, the preset's and the header's."""
    from ..ingest.normalise import normalise

    preset = preset.with_map(file_mapping(kind or preset.kind or None, targets, options.mapping))
    converted = preset.convert(raw, options.tz)
    table = converted.table
    kind = kind or options.kind or preset.kind or kind_of(table.header, options, targets)
    if kind is None:
        from ..ingest.normalise import unknown_layout

        raise unknown_layout(path, raw.header)
    dataset = normalise(table, kind=kind, mapping=preset.unmapped(file_mapping(kind, targets, options.mapping)),
                        tz=options.tz)
    account_preset(dataset, preset, converted)
    if options.keep_rejects:
        dataset.rejected_rows = rejected_rows(path, raw, table, dataset, converted)
    return dataset


def rejected_rows(path: str, raw: "RawTable", table: "RawTable", dataset: "Dataset", converted: Any) -> "pd.DataFrame":
    """Every rejected source row with its reason and its cells as read, for ``--rejects FILE``."""
    import pandas as pd

    parts = []
    if converted.rejected is not None and len(converted.rejected):
        refused = raw.frame.loc[raw.frame.index.intersection(converted.rejected.index)]
        parts.append(refused.assign(reason=converted.rejected.reindex(refused.index)))
    if len(dataset.rejects):
        rows = dataset.rejects.set_index("row")["reason"]
        source = raw.frame if table is raw or table.frame.index.equals(raw.frame.index) else table.frame
        found = source.loc[source.index.intersection(rows.index)]
        parts.append(found.assign(reason=rows.reindex(found.index)))
    if not parts:
        return pd.DataFrame(columns=["file", "data_row", "reason"])
    out = pd.concat(parts).sort_index()
    out.insert(0, "reason", out.pop("reason"))
    out.insert(0, "data_row", out.index)
    out.insert(0, "file", path)
    return out.reset_index(drop=True)


def read_with_preset(path: str, wanted: str | None) -> tuple[Any, "RawTable"]:
    """The preset for a file (given, else detected from its first lines, else generic) and the file as read."""
    from ..ingest.load import peek, read_table
    from ..ingest.presets import choose_preset

    if wanted:
        preset, _ = choose_preset(wanted, [], "")
        return preset, preset.read(path)
    head = peek(path)
    first = head.splitlines()[0] if head.strip() else ""
    header = [h.strip() for h in re.split(r"[,;\t|]", first)]
    preset, chosen = choose_preset(None, header, head)
    return preset, preset.read(path) if chosen else read_table(path)


def encode_dimensions(frames: dict[str, "pd.DataFrame"], dims: list[str]) -> None:
    """Text columns that results are grouped by become categoricals, once per run.

    A groupby hashes text keys every time it runs — once per KPI and breakdown, 39 times for 13
    KPIs by queue and day — while a categorical's keys are already integer codes. The figures
    and their order are the same: categories sort as the texts do, an empty value stays a group
    of its own."""
    import pandas as pd

    for frame in frames.values():
        for dim in dict.fromkeys(dims):
            if dim in frame.columns and isinstance(frame[dim].dtype, pd.StringDtype):
                frame[dim] = frame[dim].astype("category")








def slice_results(refs: list["KpiRef"], frames: dict[str, "pd.DataFrame"], settings: dict[str, Any],
                  window: "Window", slicing: "Slicing", compare: str | None, periods: Any) -> list["Result"]:
    """Compute every KPI over the window, broken down (``periods``: the run's --every periods, from
    :func:`hdkpi.engine.slicing.periods_of`); with ``compare`` attach the preceding period."""
    from ..engine.compute import compute

    results = compute(refs, frames, settings, window, slicing, periods)
    from ..engine.coverage import claimed  # earlier spans are outside the data as the report's window sees it

    with claimed(window):
        if compare == "previous":
            attach_previous(results, refs, frames, settings, window, slicing, periods)
        elif compare in ("last-week", "same-day-last-week"):
            from .comparisons import attach_shifted

            attach_shifted(results, compare, refs, frames, settings, window, slicing, periods)
    return results


def attach_previous(results: list["Result"], refs: list["KpiRef"], frames: dict[str, "pd.DataFrame"],
                    settings: dict[str, Any], window: "Window", slicing: "Slicing", periods: Any) -> None:
    """Each record gets the same KPI and group one period earlier: the period before for
    ``--every`` records, the window of the same length before for the others."""
    from dataclasses import replace

    from ..engine.compute import compute
    from ..engine.select import Window, previous_window
    from ..engine.slicing import make_periods
    from ..model import Comparison

    earlier: dict[tuple, Result] = {}
    label_before: dict[str, str] = {}
    if periods is not None and len(periods):
        first = periods.starts[0] - (periods.ends[0] - periods.starts[0])
        extended = make_periods(slicing.every, first.to_pydatetime(), periods.ends[-1].to_pydatetime()
                                - _MICROSECOND, slicing.tz, slicing.week_start)
        label_before = dict(zip(periods.labels, extended.labels[: len(periods)]))
        wider = Window(extended.starts[0].to_pydatetime(), window.end)
        for r in compute(refs, frames, settings, wider, slicing, extended):
            if r.period is not None:
                earlier[(r.key, r.period)] = r
    before = previous_window(window)
    if before is not None:
        for r in compute(refs, frames, settings, before, replace(slicing, every=None), None):
            earlier[(r.key, None)] = r
    window_label = f"{before.start.isoformat()} to {before.end.isoformat()}" if before else None
    for r in results:
        label = label_before.get(r.period) if r.period is not None else window_label
        prev = earlier.get((r.key, label if r.period is not None else None))
        if prev is None:
            if label is None or not r.group:
                continue
            # the group had no records in the earlier span: a count of nothing is 0, anything else no-data
            before_value = 0.0 if r.unit == "count" else None
            change = r.value - before_value if r.value is not None and before_value is not None else None
            r.compare = Comparison(period=label, value=before_value, n=0, change=change)
            continue
        change = r.value - prev.value if r.value is not None and prev.value is not None else None
        r.compare = Comparison(period=label, value=prev.value, n=prev.n, change=change, numerator=prev.numerator,
                               denominator=prev.denominator, std=prev.std)


def add_segments(results: list["Result"], refs: list["KpiRef"], targets: "TargetsFile",
                 frames: dict[str, "pd.DataFrame"], settings: dict[str, Any], window: "Window",
                 slicing: "Slicing") -> list["Result"]:
    """A per-segment target (``by: priority``) is judged per group even without ``--by priority``:
    its KPI is also broken down by that dimension, after the KPI's other records."""

    from ..engine.compute import compute_sliced

    extra: dict[str, list[Result]] = {}
    for ref, segment in segments_of(refs, targets, slicing):
        extra[ref.name] = compute_sliced(ref, frames, settings, window, segment, None)[1:]
    return with_segments(results, extra)






















def run(options: RunOptions) -> Report:
    """A run on the pandas engine: plan, ingest, compute, evaluate, in that order."""
    from ..targets.evaluate import evaluate

    plan = plan_run(options)
    from .stream import streamed

    report = streamed(plan)  # a big clean CSV export, aggregated as it is read
    if report is not None:
        return report
    registry, targets, settings, window = plan.registry, plan.targets, plan.settings, plan.window
    datasets = load_datasets(options, targets)
    frames = combine(datasets)
    join_surveys(frames)
    refs = in_business_time(select_refs(options, registry, frames, targets, settings), targets, options.business)
    from .sla import add_clocks

    states_inputs = add_clocks(plan, frames, datasets, refs)  # every ticket's SLA clock, before any KPI
    slicing = slicing_of(options, targets, settings, frames)
    segment_dims = [t.by for t in targets.targets if t.by] if targets is not None else []
    encode_dimensions(frames, [*options.by, *segment_dims])
    refs = vendor_definitions(refs, [(d.kind, d.summary.preset) for d in datasets], options.definitions)
    options.step(f"computing {len(refs)} KPIs")
    from ..engine.slicing import periods_of

    periods = periods_of(frames, window, slicing)  # once: the results, the history and `show` use the same ones
    results = slice_results(refs, frames, settings, window, slicing, options.compare, periods)
    if targets is not None:
        results = add_segments(results, refs, targets, frames, settings, window, slicing)
    recall_history(results, options, settings, window, slicing, frames, periods)
    verdicts = evaluate(results, targets.targets if targets is not None else [], settings)
    report = report_of(plan, verdicts, [*(d.summary for d in datasets), *states_inputs], slicing)
    if settings.get("slas"):
        from .sla import at_risk

        report.at_risk = at_risk(frames, settings)
    from .details import RunContext

    report.context = RunContext(refs=refs, frames=frames, settings=settings, window=window, slicing=slicing,
                                periods=periods,
                                rejected=[d.rejected_rows for d in datasets if getattr(d, "rejected_rows", None)
                                          is not None])
    return report

