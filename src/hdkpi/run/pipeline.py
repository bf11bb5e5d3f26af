"""The whole run, stage by stage: load → normalise → select → compute → evaluate → Report.

The CLI builds :class:`RunOptions` and calls :func:`run`; nothing here prints or exits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..fields import all_field_names
from ..ingest.combine import account_preset, combine, join_surveys
from ..model import Report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiRef, Registry
    from ..engine.select import Window
    from ..engine.slicing import Slicing
    from ..ingest.load import RawTable
    from ..ingest.normalise import Dataset
    from ..model import Result
    from ..targets.file import TargetsFile

_MICROSECOND = timedelta(microseconds=1)
PLUGIN_ENV = "HDKPI_LOAD_PLUGINS"  #: "0" disables entry-point plugins; "a,b" loads only those


@dataclass
class RunOptions:
    files: list[str]
    targets_path: str | None = None
    kind: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  #: --map FIELD=COLUMN
    tz: str = "UTC"
    start: str | None = None  #: --from
    end: str | None = None  #: --to
    kpis: list[str] = field(default_factory=list)  #: --kpi, empty = all computable
    overrides: dict[str, str] = field(default_factory=dict)  #: --set key=value
    plugins: list[str] = field(default_factory=list)
    strict: bool = False
    command: str = "report"
    by: list[str] = field(default_factory=list)  #: --by, group dimensions
    every: str | None = None  #: --every hour|day|week|month
    last: str | None = None  #: --last 7d
    now: str | None = None  #: --now, the end of --last (default: the current time)
    compare: str | None = None  #: --compare previous|last-week|same-day-last-week|baseline
    preset: str | None = None  #: --preset NAME or mapping file (default: detected)
    dayfirst: bool | None = None  #: --dayfirst / --monthfirst for numeric dates (default: from the values)
    definitions: str = "standard"  #: --definitions standard|vendor
    cache: bool = False  #: --cache: keep parsed files for the next run (HDKPI_CACHE=DIR sets the place)
    stream: bool | None = False  #: --stream/--no-stream; None: stream big CSV exports (hdkpi.run.stream)
    keep_rejects: bool = False  #: --rejects FILE: keep the rejected rows' cells
    ci: float | None = None  #: --ci 95 → 0.95: confidence intervals on shares and means
    progress: Any = None  #: called with a short message as each long stage starts (the CLI's spinner)

    def step(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)
    business: bool = False  #: --business: frt and resolution times in the calendar's business time
    history: str | None = None  #: --history / HDKPI_HISTORY; run() fills in the targets file's history:


def build_registry(plugins: list[str]) -> "Registry":
    """Built-ins, then installed entry points (opt-out via HDKPI_LOAD_PLUGINS=0), then --plugin."""
    from ..engine.registry import builtin_registry

    registry = builtin_registry()
    wanted = os.environ.get(PLUGIN_ENV)
    if wanted != "0":
        only = None if wanted in (None, "", "1") else {w.strip() for w in wanted.split(",") if w.strip()}
        registry.add_entry_points(only)
    for plugin in plugins:
        registry.add_plugin(plugin)
    return registry


def resolve_settings(targets: "TargetsFile | None", overrides: dict[str, str]) -> dict[str, Any]:
    from ..targets.settings import coerce_setting, default_settings

    settings = default_settings()
    if targets is not None:
        settings.update(targets.settings)
    for key, value in overrides.items():
        try:
            settings[key] = coerce_setting(key, value)
        except UsageError as exc:
            raise UsageError(f"--set {key}={value}: {exc.message}") from None
    return settings


def file_mapping(kind: str | None, targets: "TargetsFile | None", cli_map: dict[str, str]) -> dict[str, str]:
    """canonical field → column for one file: targets ``columns:`` (all kinds, then this kind), then --map."""
    mapping: dict[str, str] = {}
    if targets is not None:
        mapping.update(targets.columns.get("*", {}))
        if kind is not None:
            mapping.update(targets.columns.get(kind, {}))
    mapping.update(cli_map)
    return mapping


def load_datasets(options: RunOptions, targets: "TargetsFile | None") -> list["Dataset"]:
    from ..ingest.fastread import read_typed
    from ..ingest.normalise import normalise

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
        preset = preset.with_map(file_mapping(preset.kind or None, targets, options.mapping))
        options.step(f"checking {len(raw.frame):,} rows of {path} ({preset.name})")
        converted = preset.convert(raw, options.tz)
        table = converted.table
        headers.append(raw.header)
        kind = options.kind or preset.kind or kind_of(table.header, options, targets)
        if kind is None:
            from ..ingest.normalise import unknown_layout

            raise unknown_layout(path, raw.header)
        dataset = normalise(table, kind=kind, mapping=preset.unmapped(file_mapping(kind, targets, options.mapping)),
                            tz=options.tz)
        account_preset(dataset, preset, converted)
        datasets.append(dataset)
        if options.keep_rejects:
            dataset.rejected_rows = rejected_rows(path, raw, table, dataset, converted)
        if cache_dir and key and not options.keep_rejects:
            cache.store(cache_dir, key, dataset, list(raw.header))
    check_map_columns(options.mapping, headers)
    return datasets


def check_map_fields(mapping: dict[str, str]) -> None:
    """Every --map names a canonical field (either engine, before any input is read)."""
    unknown = sorted(set(mapping) - all_field_names())
    if unknown:
        raise UsageError(f"--map {unknown[0]}=…: {unknown[0]!r} is not a canonical field; "
                         f"fields: {', '.join(sorted(all_field_names()))}")


def check_map_columns(mapping: dict[str, str], headers: "Iterable[list[str]]") -> None:
    """Every --map names a column of some input (``headers``: every input's columns)."""
    columns = {c for header in headers for c in header}
    for fld, column in mapping.items():
        if column not in columns:
            raise UsageError(f"--map {fld}={column}: no input has a column {column!r}; "
                             f"columns: {', '.join(sorted(columns))}")


def kind_of(header: list[str], options: RunOptions, targets: "TargetsFile | None") -> str | None:
    """What a file with this header holds: --kind, else its columns (a per-kind columns section of the
    targets file may name the kind's key field)."""
    from ..ingest.normalise import kind_from_header

    return options.kind or kind_from_header(header, lambda kind: file_mapping(kind, targets, options.mapping))


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


def default_refs(registry: "Registry", frames: dict[str, "pd.DataFrame"],
                 settings: dict[str, Any] | None = None) -> list["KpiRef"]:
    """Every KPI whose kind is in the input, that needs no parameter and no setting left unset
    (cost_per_ticket waits for a cost); asked for by name or target, such a KPI says what it lacks."""
    from ..engine.registry import KpiRef

    kinds = set(frames)
    scores = {"csat", "nps", "ces"}
    if "tickets" in frames and scores & set(frames["tickets"].columns):
        kinds.add("surveys")
    settings = settings or {}
    return [KpiRef(k) for k in registry if k.kind in kinds and not any(p.required for p in k.params)
            and not any(name in settings and settings[name] is None for name in k.settings)]


def select_refs(options: RunOptions, registry: "Registry", frames: dict[str, "pd.DataFrame"],
                targets: "TargetsFile | None", settings: dict[str, Any] | None = None) -> list["KpiRef"]:
    if options.kpis:
        refs = [registry.resolve(text) for text in options.kpis]
    else:
        refs = default_refs(registry, frames, settings)
        if targets is not None:
            refs += list(targets.refs.values())
    unique: dict[str, KpiRef] = {}
    for ref in refs:
        unique.setdefault(ref.name, ref)
    if options.kpis:  # the order the user asked for
        return list(unique.values())
    order = {k.name: i for i, k in enumerate(registry)}  # catalogue order: related KPIs together
    return sorted(unique.values(), key=lambda ref: order.get(ref.kpi.name, len(order)))


def resolve_window(options: RunOptions) -> "Window":
    from ..engine.select import Window, last_window, parse_bound

    if options.last and (options.start or options.end):
        raise UsageError("--last cannot be combined with --from/--to; give one or the other")
    if options.now and not options.last:
        raise UsageError("--now only sets the end of --last; give --last too (or use --to)")
    if options.last:
        now = (parse_bound(options.now, options.tz, "--now") if options.now
               else datetime.now(timezone.utc).replace(microsecond=0))
        return last_window(options.last, now, options.tz)
    return Window(
        parse_bound(options.start, options.tz, "--from") if options.start else None,
        parse_bound(options.end, options.tz, "--to") if options.end else None,
    )


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


def segments_of(refs: list["KpiRef"], targets: "TargetsFile | None",
                slicing: "Slicing") -> list[tuple["KpiRef", "Slicing"]]:
    """The per-segment targets' computations (either engine): a KPI of the run, by its target's dimension
    when the run is not already broken down by it, without periods."""
    from dataclasses import replace

    if targets is None:
        return []
    by_ref = {ref.name: ref for ref in refs}
    return [(by_ref[target.kpi], replace(slicing, by=(target.by,), every=None)) for target in targets.targets
            if target.by is not None and target.by not in slicing.by and target.kpi in by_ref]


def with_segments(results: list["Result"], extra: dict[str, list["Result"]]) -> list["Result"]:
    """The results with each KPI's per-segment records (``extra``, by KPI name) after its own records."""
    if not extra:
        return results
    extra = dict(extra)
    out: list[Result] = []
    for i, r in enumerate(results):
        out.append(r)
        last_of_kpi = i + 1 == len(results) or results[i + 1].kpi != r.kpi
        if last_of_kpi:
            out.extend(extra.pop(r.kpi, []))
    return out


def in_business_time(refs: list["KpiRef"], targets: "TargetsFile | None", everywhere: bool) -> list["KpiRef"]:
    """Mark the KPIs measured in business time: all with --business, else those whose target says so."""
    from dataclasses import replace

    wanted = {t.kpi for t in targets.targets if t.business} if targets is not None else set()
    return [replace(ref, business=True) if everywhere or ref.name in wanted else ref for ref in refs]


def vendor_definitions(refs: list["KpiRef"], read_with: list[tuple[str, str]], wanted: str) -> list["KpiRef"]:
    """With ``--definitions vendor``, a KPI whose input was read with one vendor's preset takes that
    vendor's formula where one is known (:mod:`hdkpi.kpis.vendor`); the method names it. ``read_with``:
    (kind, preset name) of each input."""
    from dataclasses import replace

    from ..kpis.vendor import VENDOR_KPIS

    if wanted == "standard":
        return refs
    if wanted != "vendor":
        raise UsageError(f"--definitions {wanted!r}: use standard or vendor")
    presets_by_kind: dict[str, set[str]] = {}
    for kind, preset in read_with:
        presets_by_kind.setdefault(kind, set()).add(preset)
    out = []
    for ref in refs:
        presets = presets_by_kind.get(ref.kpi.kind, set())
        vendor = VENDOR_KPIS.get(next(iter(presets)), {}) if len(presets) == 1 else {}
        fn = vendor.get(ref.kpi.name)
        out.append(replace(ref, kpi=replace(ref.kpi, fn=fn)) if fn is not None else ref)
    return out


def annotate(results: list["Result"], options: RunOptions, settings: dict[str, Any]) -> None:
    """Intervals (--ci), significance of comparisons, anomalies of period series: hdkpi.stats.significance."""
    from ..stats.significance import attach_intervals, attach_significance, flag_anomalies

    if options.ci:
        attach_intervals(results, options.ci)
    if options.compare:
        attach_significance(results)
    if options.every:
        flag_anomalies(results, int(settings["anomaly_window"]))


def recall_history(results: list["Result"], options: RunOptions, settings: dict[str, Any], window: "Window",
                   slicing: "Slicing", frames: dict[str, "pd.DataFrame"], periods: Any) -> None:
    """annotate(), with the history store (when there is one) filling comparisons the input cannot give
    and lengthening each series for the anomaly rule: hdkpi.history.records."""
    from ..history.records import recall_for

    recall = recall_for(options.history, results, window, slicing, periods, frames)
    if recall is None and options.compare == "baseline":
        raise UsageError("--compare baseline takes the baseline from --baseline FILE or from the history "
                         "(--history FILE, with earlier runs in it)")
    try:
        if recall is not None and options.compare:
            recall.compare(results, options.compare, int(settings["anomaly_window"]))
        annotate(results, options, settings)
        if recall is not None:
            recall.flag_anomalies(results, int(settings["anomaly_window"]))
    finally:
        if recall is not None:
            recall.store.close()


@dataclass
class Plan:
    """A run as decided from the options and the targets file before any input is read; the stages after
    it (ingest, engine, evaluate) take their part from it, on either engine."""

    options: RunOptions
    registry: "Registry"  #: built-in KPIs, installed entry points, --plugin
    targets: "TargetsFile | None"
    settings: dict[str, Any]  #: defaults < targets file < --set
    window: "Window"


def plan_run(options: RunOptions) -> Plan:
    """The :class:`Plan` of a run: the registry, the targets file read and validated, the settings,
    ``--every`` and ``--compare`` checked, the window resolved. The targets file's ``history:`` fills
    ``options.history`` when the command line gave none (the CLI records the run there)."""
    from ..engine.slicing import EVERY
    from ..history.records import COMPARES

    registry = build_registry(options.plugins)
    targets = None
    if options.targets_path is not None:
        from ..targets.file import load_targets

        targets = load_targets(options.targets_path, registry)
    settings = resolve_settings(targets, options.overrides)
    if options.every is not None and options.every not in EVERY:
        raise UsageError(f"--every {options.every!r}: use one of {', '.join(EVERY)}")
    if options.compare not in (None, *COMPARES):
        raise UsageError(f"--compare {options.compare!r}: use one of {', '.join(COMPARES)}")
    if options.history is None and targets is not None:
        options.history = targets.history
    return Plan(options=options, registry=registry, targets=targets, settings=settings,
                window=resolve_window(options))


def slicing_of(options: RunOptions, targets: "TargetsFile | None", settings: dict[str, Any],
               frames: dict[str, Any]) -> "Slicing":
    """How the run breaks its figures down, once the inputs are known (either engine): every ``--by`` a
    field of some input or a time dimension; ``--business`` only with a calendar."""
    from ..engine.slicing import TIME_DIMS, Slicing, week_start_number

    known = all_field_names() | set(TIME_DIMS) | {c for f in frames.values() for c in f.columns}
    for dim in options.by:
        if dim not in known:
            raise UsageError(f"--by {dim}: not a field of the input nor one of {', '.join(TIME_DIMS)}")
    calendar = targets.calendar if targets is not None else None
    if options.business and calendar is None:
        raise UsageError("--business needs a calendar: section in the targets file (see README, 'Business time')")
    return Slicing(by=tuple(dict.fromkeys(options.by)), every=options.every, tz=options.tz,
                   week_start=week_start_number(settings["week_start"]), calendar=calendar)


def report_of(plan: Plan, verdicts: list[Any], inputs: list[Any], slicing: "Slicing") -> Report:
    """The Report of a run, on either engine: its verdicts and inputs' accounting with what the plan decided."""
    options, window = plan.options, plan.window
    return Report(verdicts=verdicts, inputs=inputs, settings=plan.settings, period_from=window.start,
                  period_to=window.end, generated_at=datetime.now(timezone.utc).replace(microsecond=0),
                  targets_path=options.targets_path, command=options.command, strict=options.strict, by=slicing.by,
                  every=slicing.every, compare=options.compare, tz=options.tz)


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
    slicing = slicing_of(options, targets, settings, frames)
    segment_dims = [t.by for t in targets.targets if t.by] if targets is not None else []
    encode_dimensions(frames, [*options.by, *segment_dims])
    refs = in_business_time(select_refs(options, registry, frames, targets, settings), targets, options.business)
    refs = vendor_definitions(refs, [(d.kind, d.summary.preset) for d in datasets], options.definitions)
    options.step(f"computing {len(refs)} KPIs")
    from ..engine.slicing import periods_of

    periods = periods_of(frames, window, slicing)  # once: the results, the history and `show` use the same ones
    results = slice_results(refs, frames, settings, window, slicing, options.compare, periods)
    if targets is not None:
        results = add_segments(results, refs, targets, frames, settings, window, slicing)
    recall_history(results, options, settings, window, slicing, frames, periods)
    verdicts = evaluate(results, targets.targets if targets is not None else [], settings)
    report = report_of(plan, verdicts, [d.summary for d in datasets], slicing)
    from .details import RunContext

    report.context = RunContext(refs=refs, frames=frames, settings=settings, window=window, slicing=slicing,
                                periods=periods,
                                rejected=[d.rejected_rows for d in datasets if getattr(d, "rejected_rows", None)
                                          is not None])
    return report

