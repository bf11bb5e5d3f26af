"""A run over the data in blocks, for any executor that cannot hold the whole input in one frame.

The executors — :mod:`hdkpi.run.stream` (this process, a CSV export streamed block by block) and
:mod:`hdkpi.run.dask` (a cluster) — read the inputs their own way and share everything else here:

*Plan.* Every KPI (and every per-segment target) becomes a :class:`Job`, planned once: the frame it
runs on, its anchor, and its *template* — the KPI function run on no rows, which gives the measure's
parameters, method and notes (:func:`plan_jobs`).

*Blocks.* A block of normalised rows goes through every job's KPI function and is reduced to the
measure's partial statistics by the finest breakdown (``--by`` keys and period position;
:func:`block_partials`); partials of many blocks are merged (:func:`merge_partials`, by the measures' own
``combine``).

*Finish.* The merged partials give, through the measures' ``finish``/``figure``, the same
``list[Result]`` as :func:`hdkpi.engine.compute.compute` (:func:`finish_jobs`): the overall figure,
groups and periods are coarsenings of the finest partial. Periods are counted on a *loose* series
that covers the data (the executor's choice), then cut to the run's exact periods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..engine.coverage import extent_of, mark, merge_extents
from ..errors import NoData
from ..fields import ID_FIELD, SCHEMAS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiRef
    from ..engine.select import Window
    from ..engine.slicing import Periods, Slicing
    from ..model import InputSummary, Result


HISTORY_KEYS = {"call_fcr": ("calls", "caller_id"), "next_issue_avoidance": ("tickets", "requester")}


POSITION = ("_file", "_block", "_row")  #: where a normalised row came from (kept through the shuffles)


@dataclass
class Source:
    """One input file as the workers read it."""

    number: int
    path: str
    kind: str
    fmt: str  #: csv | parquet
    header: list[str]
    delimiter: str
    preset: Any
    mapping: dict[str, str]
    tz: str
    dayfirst: bool | None
    given: set[str]  #: canonical fields the file provides (not derived)
    encoding: str = "utf-8"
    compression: str | None = None
    header_line: bytes = b""  #: the header line as written, put before every block after the first
    blocks: int = 0  #: how many pieces (Inputs.pieces holds them: no Dask object inside a Source)
    scan_columns: list[str] | None = None  #: the columns pass 1 reads (None: all)
    meta: Any = None  #: the normalised frame of the file's first rows, empty (the columns and types)


@dataclass
class Inputs:
    """What was found in the inputs: sources by kind, and surveys as a pandas frame."""

    sources: list[Source]
    meta: dict[str, "pd.DataFrame"]  #: per kind: the union of the files' columns, no rows
    pieces: dict[int, list[Any]] = field(default_factory=dict)  #: per source: delayed CSV bytes or row groups
    paths: list[str] = field(default_factory=list)  #: every input file, in the order given
    headers: dict[str, list[str]] = field(default_factory=dict)  #: every input file's columns
    surveys: "pd.DataFrame | None" = None
    survey_summaries: list["InputSummary"] = field(default_factory=list)
    survey_datasets: list[Any] = field(default_factory=list)

    def of(self, kind: str) -> list[Source]:
        return [s for s in self.sources if s.kind == kind]

    @property
    def kinds(self) -> list[str]:
        return [k for k in SCHEMAS if k in self.meta]

    def frames(self) -> dict[str, "pd.DataFrame"]:
        """Frames with the columns of the inputs and no rows (surveys: the real frame), for
        choosing KPIs and checking ``--by`` as the pandas engine does."""
        frames = {k: m for k, m in self.meta.items() if k != "surveys"}
        if self.surveys is not None:
            frames["surveys"] = self.surveys
        return frames


def union_meta(metas: list["pd.DataFrame"]) -> "pd.DataFrame":
    """The columns of all files of a kind (first file's order, then new ones), typed by the first
    file that has them."""
    import pandas as pd

    columns: dict[str, Any] = {}
    for meta in metas:
        for name, dtype in meta.dtypes.items():
            columns.setdefault(name, dtype)
    return pd.DataFrame({n: pd.Series([], dtype=d) for n, d in columns.items()})


def span_of(frame: "pd.DataFrame", window: "Window") -> dict[str, tuple[Any, Any]]:
    """First and last time of each anchor column inside the window (as period_span looks)."""
    from ..engine.slicing import anchor_spans

    return anchor_spans(frame, window)


def merge_spans(spans: list[dict[str, tuple[Any, Any]]]) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for span in spans:
        for name, (lo, hi) in span.items():
            if name in out:
                lo, hi = min(lo, out[name][0]), max(hi, out[name][1])
            out[name] = (lo, hi)
    return out


def conform(frame: "pd.DataFrame", meta: "pd.DataFrame") -> "pd.DataFrame":
    """A block's normalised rows with the columns and types of its kind (missing columns empty)."""
    import pandas as pd

    out = {}
    for name, dtype in meta.dtypes.items():
        if name in frame:
            column = frame[name]
            out[name] = column if column.dtype == dtype else column.astype(dtype)
        else:
            out[name] = pd.Series(pd.array([None] * len(frame), dtype=dtype), index=frame.index)
    return pd.DataFrame(out, index=frame.index)


class CrossRecords(Exception):
    """A KPI function asked for records other than its rows (``ctx.frames``) where the engine has none."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(kind)


class _Frames(Mapping):
    """``ctx.frames`` on the dask engine: only the frames that are complete where the KPI runs."""

    def __init__(self, provided: dict[str, Any], kinds: tuple[str, ...]) -> None:
        self.provided, self.kinds = provided, kinds

    def __getitem__(self, kind: str) -> Any:
        if kind in self.provided:
            return self.provided[kind]
        if kind in self.kinds:
            raise CrossRecords(kind)
        raise KeyError(kind)

    def get(self, kind: str, default: Any = None) -> Any:
        try:
            return self[kind]
        except KeyError:
            return default

    def __contains__(self, kind: object) -> bool:
        return kind in self.provided or kind in self.kinds

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.provided, *self.kinds]))

    def __len__(self) -> int:
        return len(set(self.provided) | set(self.kinds))


@dataclass
class Job:
    """One KPI over one window and slicing (the report's own, or a per-segment target's)."""

    number: int
    ref: "KpiRef"
    window: "Window"
    slicing: "Slicing"
    kind: str  #: the frame it runs on
    anchor: str
    history: str | None = None  #: the key its partitions are shuffled by (whole histories)
    template: Any = None  #: the measure of the KPI on no rows: its parameters, method, notes
    note: str | None = None  #: why it has no figure (template None)
    every: bool = False  #: with period breakdowns
    other_records: str | None = None  #: the kind it reads whole through ctx.frames, by no history key


@dataclass
class Plan:
    """What every task needs: the jobs, the settings, the periods of pass 1, survey answers."""

    jobs: list[Job]
    settings: dict[str, Any]
    periods: "Periods | None"  #: periods over the span of pass 1 (may start or end earlier)
    provided: dict[str, Any]  #: frames a KPI may read whole (surveys answers for survey_response_rate)
    kinds: tuple[str, ...]
    window: "Window"  #: the report's window (the span of the periods is taken inside it)
    lookups: dict[str, Any] = field(default_factory=dict)  #: kind → ids whose dimensions surveys borrow


def _evaluate(job: Job, frame: "pd.DataFrame", plan: Plan, provided: dict[str, Any]) -> dict[str, "pd.DataFrame"]:
    """The partials of one job over some complete rows (cut to the window here): only the finest
    breakdown (``fine``: by the --by keys and the period position) — the overall figure, the groups
    and the periods are coarsenings of it, made on the client (measures.coarsen) — and, for a
    snapshot per period, its open/closed buckets (``at``)."""
    from ..engine.compute import _group_keys, cut_to_window, period_position
    from ..engine.measures import Snapshot

    ref, slicing, anchor = job.ref, job.slicing, job.anchor
    frame = cut_to_window(frame, anchor, job.window)  # the jobs of a block share it (and keys, periods)
    measure = ref.kpi.fn(frame, _context(job, plan, provided), **ref.kwargs)
    keys = _group_keys(frame, anchor, ref, slicing)[0] if slicing.active else []
    out = {}
    periods = plan.periods
    if _with_periods(job, periods):
        if isinstance(measure, Snapshot):
            out["at"] = measure.partial_at(keys, periods.ends)
        else:
            keys = [*keys, period_position(frame, anchor, periods)]
    out["fine"] = measure.partial(keys)
    return out


def _context(job: Job, plan: Plan, provided: dict[str, Any]) -> Any:
    """compute's KpiContext for a job, with only the frames complete where it runs (``provided``)."""
    from ..engine.compute import context_of

    return context_of(job.ref, plan.settings, job.window, _Frames(provided, plan.kinds),
                      plan.periods if job.every else None, job.slicing.tz, job.slicing.calendar)


def _with_periods(job: Job, periods: "Periods | None") -> bool:
    return job.every and periods is not None and len(periods) > 0


def block_partials(frame: "pd.DataFrame", kind: str, plan: Plan, history: str | None) -> dict[str, Any]:
    """Partials of every job of this kind over a block (``history`` None) or over a partition
    shuffled by ``history``; blocks also give their anchors' span and the rows surveys borrow from."""
    out: dict[str, Any] = {"partials": {}, "nodata": {}, "span": {}, "lookup": {}}
    frame = frame.drop(columns=[c for c in (*POSITION, "_reject") if c in frame.columns]).reset_index(drop=True)
    if history is None:
        out["span"] = {kind: span_of(frame, plan.window)}
        out["extent"] = {kind: extent_of(frame, kind)}  # the kind's first and last time (hdkpi.engine.coverage)
        ids = plan.lookups.get(kind)
        if ids is not None:
            from ..ingest.combine import survey_lookup

            out["lookup"][kind] = survey_lookup(frame, ID_FIELD[kind], ids)
    from ..engine.compute import _SHARED
    from ..engine.measures import PIECEWISE

    token, piecewise = _SHARED.set({}), PIECEWISE.set(True)
    try:
        _all_partials(frame, kind, plan, history, out)
    finally:
        _SHARED.reset(token)
        PIECEWISE.reset(piecewise)
    return out


def _all_partials(frame: "pd.DataFrame", kind: str, plan: Plan, history: str | None, out: dict[str, Any]) -> None:
    """:func:`block_partials`' jobs, into ``out``."""
    for job in plan.jobs:
        if job.kind != kind or job.history != history:
            continue
        provided = dict(plan.provided)
        if history is not None:
            provided[kind] = frame
        try:
            parts = _evaluate(job, frame, plan, provided)
        except NoData as exc:
            out["nodata"][job.number] = exc.reason
            continue
        except CrossRecords as exc:
            out["nodata"][job.number] = _cross_note(job, exc.kind)
            continue
        for breakdown, part in parts.items():
            out["partials"][(job.number, breakdown)] = part


def _combiner(plan: Plan, key: tuple[int, str]) -> Any:
    template = plan.jobs[key[0]].template
    return template.combine_at if key[1] == "at" else template.combine


def merge_partials(plan: Plan, *outs: dict[str, Any]) -> dict[str, Any]:
    """Several tasks' partials as one: concatenated and combined per job and breakdown."""
    import pandas as pd

    from ..engine.measures import concat_partials

    merged: dict[str, Any] = {"partials": {}, "nodata": {}, "span": {}, "lookup": {}}
    pieces: dict[tuple[int, str], list[pd.DataFrame]] = {}
    lookups: dict[str, list[pd.DataFrame]] = {}
    spans: dict[str, list[dict]] = {}
    for out in outs:
        for key, part in out["partials"].items():
            pieces.setdefault(key, []).append(part)
        for number, reason in out["nodata"].items():
            merged["nodata"].setdefault(number, reason)
        for kind, span in out["span"].items():
            spans.setdefault(kind, []).append(span)
        for kind, extent in out.get("extent", {}).items():
            merged.setdefault("extent", {})[kind] = merge_extents(merged.get("extent", {}).get(kind), extent)
        for kind, rows in out["lookup"].items():
            lookups.setdefault(kind, []).append(rows)
    for key, parts in pieces.items():
        whole = concat_partials(parts)
        merged["partials"][key] = _combiner(plan, key)(whole) if len(parts) > 1 else whole
    merged["span"] = {kind: merge_spans(s) for kind, s in spans.items()}
    merged["lookup"] = {kind: pd.concat(rows, ignore_index=True) for kind, rows in lookups.items()}
    return merged


def _cross_note(job: Job, kind: str) -> str:
    return (f"{job.ref.kpi.name} looks at other {kind} records than its own rows (ctx.frames), which "
            "--engine dask gives a KPI only for call_fcr and next_issue_avoidance; use --engine pandas")


@dataclass(frozen=True)
class JobSpec:
    """A computation asked of :func:`compute_jobs`: KPIs over a window, broken down by ``slicing``
    (only the first spec may have ``--every`` periods)."""

    refs: tuple["KpiRef", ...]
    window: "Window"
    slicing: "Slicing"


@dataclass
class Computed:
    """What :func:`compute_jobs` gives back."""

    results: list[list["Result"]]  #: per spec, in the order of compute.compute
    summaries: list["InputSummary"]  #: row accounting per input file, in the order of the files
    periods: "Periods | None"  #: the --every periods of the data (the pandas engine's)
    frames: dict[str, "pd.DataFrame"]  #: per kind: the first and last anchor times (for period_span)


def _exact_frames(inputs: Inputs, spans: dict[str, dict], window: "Window") -> dict[str, "pd.DataFrame"]:
    """Pass 2's span: over the rows used, as the pandas engine's period_span sees them."""
    frames = {kind: two_rows(span) for kind, span in spans.items()}
    for kind in inputs.kinds:
        frames.setdefault(kind, two_rows({}))
    if inputs.surveys is not None:
        frames["surveys"] = two_rows(span_of(inputs.surveys, window))
    return frames


def two_rows(span: dict[str, tuple[Any, Any]]) -> "pd.DataFrame":
    """A frame whose anchor columns hold just the first and last time: period_span gives the same
    span over it as over all the rows."""
    import pandas as pd

    return pd.DataFrame({name: pd.Series([lo, hi]) for name, (lo, hi) in span.items()})


def plan_jobs(specs: list[JobSpec], inputs: Inputs, settings: dict[str, Any], periods: "Periods | None",
          window: "Window") -> Plan:
    """The jobs, each with its template measure (its KPI function run on no rows), the frame it
    runs on, and whether it needs whole histories."""
    from ..engine.frames import source_frame

    frames = inputs.frames()
    kinds = tuple(inputs.kinds)
    provided = _provided(inputs)
    plan = Plan(jobs=[], settings=settings, periods=periods, provided=provided, kinds=kinds, window=window)
    for spec in specs:
        for ref in spec.refs:
            frame, anchor, reason = source_frame(ref, frames)
            job = Job(number=len(plan.jobs), ref=ref, window=spec.window, slicing=spec.slicing, kind="none",
                      anchor=anchor, every=bool(spec.slicing.every))
            plan.jobs.append(job)
            if frame is None:
                job.note = reason
                continue
            job.kind = next((k for k in kinds if frames[k] is frame), "client")
            if job.kind == "client":  # survey answers of the surveys file, computed on the client
                continue
            template, note = _template(job, frame, plan, provided)
            if template is None and note is not None and note.startswith("history:"):
                job.history = note.split(":", 1)[1]
                template, note = _template(job, frame, plan, {**provided, job.kind: frame})
            job.template, job.note = template, note
            if template is None:
                job.kind = "none"
    if inputs.surveys is not None:
        from ..ingest.combine import SURVEY_LINKS

        for kind, key in SURVEY_LINKS:
            if kind in inputs.meta and key in inputs.surveys and all(key in s.given for s in inputs.of(kind)):
                plan.lookups[kind] = inputs.surveys[key].dropna().unique()
    return plan


def _provided(inputs: Inputs) -> dict[str, Any]:
    """survey_response_rate reads the surveys whole: their ticket ids and scores (answers only)."""
    from ..kpis.tickets import SCORES

    if inputs.surveys is None or "ticket_id" not in inputs.surveys:
        return {}
    scores = [c for c in SCORES if c in inputs.surveys]
    answered = inputs.surveys[["ticket_id", *scores]]
    if scores:
        answered = answered[answered[scores].notna().any(axis=1) & answered["ticket_id"].notna()]
    return {"surveys": answered.reset_index(drop=True)}


def _template(job: Job, frame: "pd.DataFrame", plan: Plan, provided: dict[str, Any]) -> tuple[Any, str | None]:
    """The job's measure on no rows (its parameters, method and notes); (None, why) when the KPI
    has no figure here; (None, "history:KEY") when it needs whole histories by KEY."""
    from ..engine.compute import unmet

    ref = job.ref
    reason = unmet(ref, frame, job.anchor, job.window)
    if reason is not None:
        return None, reason
    try:
        return ref.kpi.fn(frame.iloc[:0], _context(job, plan, provided), **ref.kwargs), None
    except NoData as exc:
        return None, exc.reason
    except CrossRecords as exc:
        history = HISTORY_KEYS.get(ref.kpi.name)
        if history is not None and history[0] == exc.kind == job.kind and exc.kind not in provided:
            return None, f"history:{history[1]}"
        job.other_records = exc.kind
        return None, _cross_note(job, exc.kind)


def _accounts(inputs: Inputs, summaries: list[list["InputSummary"]],
              losers: dict[str, list["pd.DataFrame"]]) -> list["InputSummary"]:
    """Row accounting per file as the pandas engine gives it: the blocks' sums, example rows as data
    rows of the file, and the duplicates found across blocks and files."""
    import pandas as pd

    from ..ingest.combine import later_file_reason, reject_later_copies
    from ..model import InputSummary

    dropped = [x for parts in losers.values() for x in parts if len(x)]
    all_dropped = pd.concat(dropped, ignore_index=True) if dropped else None
    out = []
    for source, blocks in zip(inputs.sources, summaries):
        offsets, total = [], 0
        for s in blocks:
            offsets.append(total)
            total += s.read
        first = blocks[0]
        summary = InputSummary(path=source.path, kind=source.kind, preset=first.preset, read=total,
                               used=sum(s.used for s in blocks), mapping=dict(first.mapping),
                               folded=sum(s.folded for s in blocks))
        reasons: dict[str, int] = {}
        examples: dict[str, list[int]] = {}
        for offset, s in zip(offsets, blocks):
            for reason, count in s.rejected_by_reason.items():
                reasons[reason] = reasons.get(reason, 0) + count
            for reason, rows in s.examples_by_reason.items():
                examples.setdefault(reason, []).extend(int(r) + offset for r in rows)
            for name, count in s.counts.items():
                summary.counts[name] = summary.counts.get(name, 0) + count
            for what, count in s.caveats.items():
                summary.caveats[what] = summary.caveats.get(what, 0) + count
        key = ID_FIELD[source.kind]
        later: tuple[int, list[int]] | None = None
        if all_dropped is not None:
            mine = all_dropped[all_dropped["_file"] == source.number]
            for reason, rows in mine.groupby("_reject", sort=True):
                numbers = sorted(int(r) + offsets[int(b)] for b, r in zip(rows["_block"], rows["_row"]))
                if str(reason) == later_file_reason(key):
                    later = (len(rows), numbers)
                    continue
                summary.used -= len(rows)
                reasons[str(reason)] = reasons.get(str(reason), 0) + len(rows)
                examples.setdefault(str(reason), []).extend(numbers)
        summary.rejected_by_reason = {k: reasons[k] for k in sorted(reasons)}
        summary.examples_by_reason = {k: sorted(v)[:3] for k, v in examples.items()}
        if later is not None:  # after the file's own reasons, as combine() counts it
            reject_later_copies(summary, key, *later)
        out.append(summary)
    return out


def _joined_surveys(inputs: Inputs, lookups: dict[str, "pd.DataFrame"]) -> "pd.DataFrame | None":
    """The surveys with the dimensions of their tickets or calls (ingest.combine.join_surveys)."""
    if inputs.surveys is None:
        return None
    from ..ingest.combine import join_surveys

    frames = {"surveys": inputs.surveys, **lookups}
    join_surveys(frames)
    return frames["surveys"]


def _finish_job(job: Job, merged: dict[str, Any], meta_frames: dict[str, "pd.DataFrame"],
                frames: dict[str, "pd.DataFrame"], periods: "Periods | None", loose: "Periods | None",
                surveys: "pd.DataFrame | None", settings: dict[str, Any]) -> list["Result"]:
    """compute.compute_sliced, from the merged partials."""
    from ..engine.compute import _base, _fill, _group_keys, breakdown_records, compute_sliced
    from ..engine.measures import Snapshot, coarsen

    ref, slicing = job.ref, job.slicing
    here = periods if slicing.every else None
    if job.kind == "client":  # answers of the surveys file: the pandas engine, on the client
        return compute_sliced(ref, {**frames, "surveys": surveys}, settings, job.window, slicing, here)
    overall = _base(ref, settings)
    if job.template is None:
        overall.notes.append(job.note or "no data")
        return [overall]
    if job.number in merged["nodata"]:
        overall.notes.append(merged["nodata"][job.number])
        return [overall]
    template = _finisher(job.template, frames, here)
    overall.method = template.method
    overall.notes.extend(template.notes)
    keys, unused = _group_keys(meta_frames[job.kind].iloc[:0], job.anchor, ref, slicing) if slicing.active \
        else ([], [])
    names = [str(k.name) for k in keys]
    with_periods = _with_periods(job, loose) and here is not None and not isinstance(template, Snapshot)
    fine = merged["partials"].get((job.number, "fine"))
    if fine is None:  # no task gave any (no rows anywhere): the template's own, empty
        fine = template.partial([k.iloc[:0] for k in keys] + ([_no_positions()] if with_periods else []))
    _fill(overall, template.figure(coarsen(fine, [])))
    overall.notes.extend(unused)
    if not slicing.active:
        return [overall]
    base = _base(ref, settings)
    base.method = overall.method
    by_group = template.finish(coarsen(fine, list(range(len(keys)))), names) if keys else None
    by_period = by_both = None
    if here is not None and len(here) and loose is not None:
        offset = loose.labels.index(here.labels[0])
        if isinstance(template, Snapshot):
            at = merged["partials"].get((job.number, "at"))
            if at is None:
                at = template.partial_at([k.iloc[:0] for k in keys], loose.ends)
            by_period = _shift(template.finish_at(coarsen(at, []), [], len(loose)), offset, len(here))
            by_both = _shift(template.finish_at(at, names, len(loose)), offset, len(here)) if keys else None
        else:
            fine = _remap(fine, offset, len(here))
            by_period = template.finish(coarsen(fine, [len(keys)]), ["period"])
            by_both = template.finish(fine, [*names, "period"]) if keys else None
    return [overall, *breakdown_records(base, template, names, by_group, here, by_period, by_both)]


def _no_positions() -> "pd.Series":
    import pandas as pd

    return pd.Series([], dtype="int64", name="period")


def _finisher(template: Any, frames: dict[str, "pd.DataFrame"], periods: "Periods | None") -> Any:
    """The template with what finishing needs: a cost's span (over all kinds) and its periods."""
    from ..engine.measures import PerSpan

    if isinstance(template, PerSpan):
        return replace(template, frames=frames, periods=periods)
    return template


def _remap(partials: "pd.DataFrame", offset: int, periods: int) -> "pd.DataFrame":
    """Positions among pass 1's periods → positions among the exact periods (-1: outside)."""
    column = [c for c in partials.columns if isinstance(c, str) and c.startswith("_k")][-1]
    position = partials[column].astype("int64")
    shifted = position - offset
    inside = (position >= 0) & (shifted >= 0) & (shifted < periods)
    return partials.assign(**{column: shifted.where(inside, -1)})


def _shift(table: "pd.DataFrame", offset: int, periods: int) -> "pd.DataFrame":
    """A table by pass 1's periods (last index level) cut and renumbered to the exact periods."""
    import numpy as np

    index = table.index
    level = np.asarray(index.get_level_values(-1)).astype("int64")
    keep = (level >= offset) & (level < offset + periods)
    table = table[keep]
    if index.nlevels > 1:
        table.index = table.index.set_levels(table.index.levels[-1] - offset, level=-1)
    else:
        table.index = table.index - offset
    return table

def finish_jobs(specs: list[JobSpec], inputs: Inputs, plan: Plan, merged: dict[str, Any],
                summaries: list[list["InputSummary"]], losers: dict[str, list["pd.DataFrame"]],
                loose: "Periods | None") -> Computed:
    """Every spec's results from the merged partials of all blocks: the run's exact periods (over the
    rows used), each job finished, coverage marked, and the row accounting per file."""
    from ..engine.slicing import periods_of

    window = specs[0].window
    every = specs[0].slicing if specs[0].slicing.every else None
    frames = _exact_frames(inputs, merged["span"], window)
    periods = periods_of(frames, window, every)
    surveys = _joined_surveys(inputs, merged["lookup"])
    meta_frames = inputs.frames()
    finished = [_finish_job(job, merged, meta_frames, frames, periods, loose, surveys, plan.settings)
                for job in plan.jobs]
    if every is not None:  # periods outside a kind's data: no-data; partly covered: partial (as compute())
        extents = {**merged.get("extent", {}), "surveys": extent_of(inputs.surveys, "surveys")
                   if inputs.surveys is not None else None}
        mark([r for rows in finished[:len(specs[0].refs)] for r in rows], list(specs[0].refs), meta_frames,
             window, periods, every.tz, extents)
    results: list[list[Result]] = []
    number = 0
    for spec in specs:
        rows: list[Result] = []
        for _ in spec.refs:
            rows += finished[number]
            number += 1
        results.append(rows)
    accounts = _accounts(inputs, summaries, losers) + inputs.survey_summaries
    order = {path: i for i, path in enumerate(inputs.paths)}
    accounts.sort(key=lambda s: order.get(s.path, len(order)))
    return Computed(results=results, summaries=accounts, periods=periods, frames=frames)


@dataclass
class Jobs:
    """What a run over blocks computes, chosen from the inputs' columns as the whole-file read
    chooses it: the KPIs, the slicing, the per-segment targets and the specs for :func:`finish_jobs`."""

    refs: list["KpiRef"]
    slicing: "Slicing"
    segments: list[tuple["KpiRef", "Slicing"]]
    specs: list[JobSpec]

    @property
    def dims(self) -> list[str]:
        """Every dimension the jobs group by: the run's ``--by`` and the per-segment targets' ones."""
        return list(dict.fromkeys([*self.slicing.by, *(dim for _, by in self.segments for dim in by.by)]))

    def results(self, computed: Computed) -> list["Result"]:
        """The report's results from the specs' results: the first spec's, with each segment's
        groups judged by its own target (as pipeline.add_segments)."""
        from .plan import with_segments

        return with_segments(computed.results[0], {ref.name: rows[1:] for (ref, _), rows
                                                   in zip(self.segments, computed.results[1:])})


def choose_jobs(plan: Any, frames: dict[str, "pd.DataFrame"], read_with: list[tuple[str, str]]) -> Jobs:
    """The KPIs, slicing and per-segment targets of a run whose inputs have these (empty) ``frames``;
    ``read_with``: (kind, preset) of each input file, for ``--definitions vendor``."""
    from .plan import in_business_time, segments_of, select_refs, slicing_of, vendor_definitions

    options, targets, settings, window = plan.options, plan.targets, plan.settings, plan.window
    slicing = slicing_of(options, targets, settings, frames)
    refs = in_business_time(select_refs(options, plan.registry, frames, targets, settings), targets, options.business)
    refs = vendor_definitions(refs, read_with, options.definitions)
    from .sla import sla_names

    if sla_names(refs, options.by) or options.states:
        from ..errors import UsageError

        raise UsageError("SLA clocks read each ticket's whole state history, which the Dask engine does not "
                         "gather; run SLA KPIs with --engine pandas")
    segments = segments_of(refs, targets, slicing)  # as pipeline.add_segments: judged per group
    specs = [JobSpec(tuple(refs), window, slicing), *[JobSpec((ref,), window, by) for ref, by in segments]]
    return Jobs(refs, slicing, segments, specs)
