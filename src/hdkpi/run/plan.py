"""A run as decided around its data, on any engine: the options, the targets file, the settings and
the window (:class:`Plan`, :func:`plan_run`); the KPIs chosen for the inputs found, the slicing and the
per-segment targets; and, once the figures are computed, the comparisons, the history and the Report.

The whole-file read (:mod:`hdkpi.run.pipeline`), the streamed read (:mod:`hdkpi.run.stream`) and
the Dask engine (:mod:`hdkpi.run.dask`) each take their steps from here, so a run is decided the
same way whichever reads the data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..fields import all_field_names
from ..model import Report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiRef, Registry
    from ..engine.select import Window
    from ..engine.slicing import Slicing
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
    now: str | None = None  #: --now: the end of --last and the instant SLA clocks are read at (default: now)
    states: str | None = None  #: --states FILE: tickets' state history (ticket_id, state, at) for SLA clocks
    #: in-memory sources (the library's DataFrames and Arrow tables): name in ``files`` → (kind or None, RawTable)
    tables: dict[str, Any] = field(default_factory=dict)
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
        if targets.slas:  # the SLA policies travel with the settings: KPIs read them, reports show them
            settings["slas"] = {name: policy.as_setting() for name, policy in targets.slas.items()}
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
        if "tickets" in frames and "sla_achieved" in registry:  # every SLA of the targets file, shown
            refs += [registry.resolve(f"sla_achieved({name})") for name in (settings or {}).get("slas") or {}]
        if targets is not None:
            refs += list(targets.refs.values())
    unique: dict[str, KpiRef] = {}
    for ref in refs:
        unique.setdefault(ref.name, ref)
    if options.kpis:  # the order the user asked for
        return list(unique.values())
    order = {k.name: i for i, k in enumerate(registry)}  # catalogue order: related KPIs together
    return sorted(unique.values(), key=lambda ref: order.get(ref.kpi.name, len(order)))


def resolve_window(options: RunOptions, now: datetime | None = None) -> "Window":
    from ..engine.select import Window, last_window, parse_bound

    if options.last and (options.start or options.end):
        raise UsageError("--last cannot be combined with --from/--to; give one or the other")
    if options.last:
        return last_window(options.last, now or now_of(options), options.tz)
    return Window(
        parse_bound(options.start, options.tz, "--from") if options.start else None,
        parse_bound(options.end, options.tz, "--to") if options.end else None,
    )


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
    now: datetime | None = None  #: --now, else the time the run started: the end of --last, SLA clocks' "now"


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
    now = now_of(options)
    return Plan(options=options, registry=registry, targets=targets, settings=settings,
                window=resolve_window(options, now), now=now)


def now_of(options: RunOptions) -> datetime:
    """``--now``, else the current time (to the second)."""
    from ..engine.select import parse_bound

    return (parse_bound(options.now, options.tz, "--now") if options.now
            else datetime.now(timezone.utc).replace(microsecond=0))


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
