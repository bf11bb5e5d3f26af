"""Stage 4 — compute: evaluate KPI functions over the canonical frames.

For each requested KPI the engine picks the frame of its kind (for survey
scores: the surveys file when it has that score, else the tickets), checks the
fields it needs, cuts the frame to the window on the KPI's anchor time, calls
the KPI function and aggregates the measure it returns into a :class:`Result`.
A KPI that cannot be computed becomes a no-data result naming the reason.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..errors import MissingFields, NoData
from ..model import Result
from .frames import source_frame
from .measures import Figure, Measure, Snapshot
from .slicing import TIME_DIMS, Periods, Slicing, time_dimension

#: within one compute() call: what several KPIs of a kind would work out alike from the same frame — the
#: frame cut to the window, each record's period, a time dimension — made once (key → (frame, value); the
#: frame is kept so that its id cannot be reused while the memo lives)
_SHARED: ContextVar[dict | None] = ContextVar("_SHARED", default=None)


def _shared(kind: str, frame: "pd.DataFrame", detail: Any, make: "Callable[[], Any]") -> Any:
    """``make()``, or its value from an earlier KPI of this compute() call on the same frame."""
    memo = _SHARED.get()
    if memo is None:
        return make()
    key = (kind, id(frame), detail)
    if key not in memo:
        memo[key] = (frame, make())
    return memo[key][1]

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .registry import KpiRef
    from .select import Window

#: how a missing field could have been provided, for the no-data note
DERIVATION_HINTS = {
    "wait_seconds": "give wait_seconds, or answered_at/ended_at to derive it",
    "outcome": "give outcome, or answered_at to derive it",
    "first_response_seconds": "give first_response_at or first_response_seconds",
    "resolution_seconds": "give resolved_at or resolution_seconds",
    "resolved_at": "give resolved_at or resolution_seconds",
    "escalated": "give escalated or tier",
}


def _base(ref: "KpiRef", settings: dict[str, Any]) -> Result:
    kpi = ref.kpi
    return Result(kpi=ref.name, title=kpi.title, unit=kpi.unit, direction=kpi.direction, value=None, n=0,
                  settings={name: settings[name] for name in kpi.settings if name in settings})


def unmet(ref: "KpiRef", frame: "pd.DataFrame", anchor: str, window: "Window") -> str | None:
    """Why the KPI has no figure on this frame before it runs (a field it needs, or its anchor time
    under a bounded window, is missing), on either engine; None: it can run."""
    kpi = ref.kpi
    missing = [f for f in kpi.needs if f not in frame]
    if missing:
        hints = [DERIVATION_HINTS[f] for f in missing if f in DERIVATION_HINTS]
        return MissingFields(missing, "; ".join(hints)).reason
    if anchor != "snapshot" and not window.unbounded and anchor not in frame:
        return f"missing field {anchor} (the anchor time of {kpi.name})"
    return None


def in_window(frame: "pd.DataFrame", anchor: str, window: "Window") -> "pd.DataFrame":
    """The rows a KPI measures: those whose anchor time is in the window (a snapshot: all)."""
    if anchor == "snapshot" or window.unbounded:
        return frame
    return frame.loc[window.mask(frame[anchor])]


def cut_to_window(frame: "pd.DataFrame", anchor: str, window: "Window") -> "pd.DataFrame":
    """:func:`in_window`, made once per frame, anchor and window while a memo lives (a compute() call,
    a block's jobs): the KPIs of an anchor share it."""
    return _shared("cut", frame, (anchor, id(window)), lambda: in_window(frame, anchor, window))


def period_position(frame: "pd.DataFrame", anchor: str, periods: Periods) -> "pd.Series":
    """Each row's period (``Periods.position`` of its anchor time), made once per frame, anchor and
    periods while a memo lives."""
    return _shared("period", frame, (anchor, id(periods)), lambda: periods.position(frame[anchor]))


def context_of(ref: "KpiRef", settings: dict[str, Any], window: "Window", frames: Any,
               periods: Periods | None = None, tz: str = "UTC", calendar: Any = None) -> Any:
    """The KpiContext a KPI function is called with, on either engine (``frames``: what it may read whole)."""
    from .registry import KpiContext

    return KpiContext(settings=settings, window=window, frames=frames, periods=periods, tz=tz,
                      calendar=calendar, business=ref.business)


def _measure(ref: "KpiRef", frames: dict[str, "pd.DataFrame"], settings: dict[str, Any], window: "Window",
             result: Result, periods: Periods | None = None, tz: str = "UTC",
             calendar: Any = None) -> tuple[Measure | None, "pd.DataFrame | None", str]:
    """Run the KPI function on its frame cut to the window; (None, …) with a note on no-data."""
    kpi = ref.kpi
    frame, anchor, reason = source_frame(ref, frames)
    if frame is None:
        result.notes.append(reason)
        return None, None, anchor
    reason = unmet(ref, frame, anchor, window)
    if reason is not None:
        result.notes.append(reason)
        return None, None, anchor
    frame = cut_to_window(frame, anchor, window)
    context = context_of(ref, settings, window, frames, periods, tz, calendar)
    try:
        measure = kpi.fn(frame, context, **ref.kwargs)
    except NoData as exc:
        result.notes.append(exc.reason)
        return None, None, anchor
    result.method = measure.method
    result.notes.extend(measure.notes)
    return measure, frame, anchor


def measure_of(ref: "KpiRef", frames: dict[str, "pd.DataFrame"], settings: dict[str, Any], window: "Window",
               calendar: Any = None, periods: Periods | None = None,
               tz: str = "UTC") -> tuple[Measure | None, "pd.DataFrame | None", str, list[str]]:
    """The KPI's measure over its frame cut to the window, the frame, its anchor column, and the notes
    (why there is no measure, when None): for what looks at the records themselves (the records behind a
    figure, a forecast placing each record in time)."""
    result = _base(ref, settings)
    measure, frame, anchor = _measure(ref, frames, settings, window, result, periods, tz, calendar)
    return measure, frame, anchor, result.notes


def _fill(result: Result, figure: Figure) -> Result:
    result.value = figure.value
    result.n = figure.n
    result.numerator = figure.numerator
    result.denominator = figure.denominator
    result.std = figure.std
    if figure.value is None and figure.note:
        result.notes.append(figure.note)
    return result


def compute_one(ref: "KpiRef", frames: dict[str, "pd.DataFrame"], settings: dict[str, Any],
                window: "Window", calendar: Any = None) -> Result:
    """The overall figure of one KPI over the window."""
    result = _base(ref, settings)
    measure, _, _ = _measure(ref, frames, settings, window, result, calendar=calendar)
    return result if measure is None else _fill(result, measure.overall())


def compute_sliced(ref: "KpiRef", frames: dict[str, "pd.DataFrame"], settings: dict[str, Any], window: "Window",
                   slicing: Slicing, periods: Periods | None) -> list[Result]:
    """The overall figure, then one per group, per period and per group × period.

    Each breakdown is one groupby pass of the KPI's measure; periods without records are
    present (a count of nothing is 0, anything else no-data), as are groups missing in a period.
    """
    overall = _base(ref, settings)
    measure, frame, anchor = _measure(ref, frames, settings, window, overall,
                                      periods if slicing.every else None, slicing.tz, slicing.calendar)
    if measure is None:
        return [overall]
    _fill(overall, measure.overall())
    if not slicing.active:
        return [overall]
    keys, unused = _group_keys(frame, anchor, ref, slicing)
    overall.notes.extend(unused)
    template = _base(ref, settings)
    template.method = overall.method
    by_period = by_both = None
    if slicing.every and periods is not None and len(periods):
        if isinstance(measure, Snapshot):
            by_period = measure.table_at([], periods.ends)
            by_both = measure.table_at(keys, periods.ends) if keys else None
        else:
            position = period_position(frame, anchor, periods)
            by_period = measure.table([position])
            by_both = measure.table([*keys, position]) if keys else None
    by_group = measure.table(keys) if keys else None
    return [overall, *breakdown_records(template, measure, [str(k.name) for k in keys], by_group, periods,
                                        by_period, by_both)]


def breakdown_records(template: Result, measure: Measure, names: list[str], by_group: "pd.DataFrame | None",
                      periods: Periods | None, by_period: "pd.DataFrame | None",
                      by_both: "pd.DataFrame | None") -> list[Result]:
    """The records of a KPI's breakdown tables, on either engine: each group (in order, an empty value
    last), then each period, every one present (a count of nothing is 0, anything else no-data), then
    each group × period, every group in every period."""
    results: list[Result] = []
    groups = None
    if by_group is not None:
        table = in_order(by_group)
        groups = table.index
        results += _rows(table, names, None, template, measure)
    if by_period is not None and periods is not None:
        every = range(len(periods))
        results += _rows(by_period.reindex(every), [], periods, template, measure)
        if by_both is not None and groups is not None:
            results += _rows(by_both.reindex(_product(groups, every)), names, periods, template, measure)
    return results


def in_order(table: "pd.DataFrame") -> "pd.DataFrame":
    """A measure table in the order of its group values, level by level, an empty value last.

    Not ``sort_index``: on a categorical level it keeps an index that already looks sorted by its
    codes, where an empty value (code -1) comes first, so the order would depend on which group
    the export's first row has. Categorical levels sort in category order (texts alphabetically;
    hours and weekdays in their own order), others by value."""
    import numpy as np
    import pandas as pd

    index = table.index
    if not len(table):
        return table
    ranks = []
    for level in range(index.nlevels):
        values = index.get_level_values(level)
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = np.asarray(values.codes, dtype=np.int64)
            ranks.append(np.where(codes < 0, len(values.categories), codes))
        else:
            codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
            ranks.append(np.where(codes < 0, len(uniques), codes))
    return table.iloc[np.lexsort(ranks[::-1])]


def _group_keys(frame: "pd.DataFrame", anchor: str, ref: "KpiRef",
                slicing: Slicing) -> tuple[list["pd.Series"], list[str]]:
    """The group keys of the ``--by`` dimensions this KPI's records have, and a note for each they lack.

    A kind is broken down by the dimensions it has and not by the others (tickets without a queue
    field under ``--by queue``): its figures are still per period and per its other dimensions."""
    keys, unused = [], []
    for dim in slicing.by:
        if dim in frame.columns:
            keys.append(frame[dim].rename(dim))
        elif dim in TIME_DIMS:
            if anchor == "snapshot":
                unused.append(f"not broken down by {dim}: {ref.kpi.name} is a snapshot, it has no {dim}")
                continue
            keys.append(_shared("time", frame, (anchor, dim, slicing.tz, slicing.week_start),
                                lambda dim=dim: time_dimension(frame[anchor], dim, slicing.tz, slicing.week_start)))
        else:
            unused.append(f"not broken down by {dim}: the {ref.kpi.kind} have no field {dim}")
    return keys, unused


def _product(groups: "pd.Index", periods: range) -> "pd.MultiIndex":
    """Every group × every period position: the index of ``from_tuples`` of (group values…, position),
    built from its columns (object arrays, as ``from_tuples`` makes them) without a tuple per row."""
    import numpy as np
    import pandas as pd

    parts = [g if isinstance(g, tuple) else (g,) for g in groups]
    if not parts:  # no group had records (from_tuples cannot tell the levels of an empty list)
        return pd.MultiIndex.from_arrays([[] for _ in range(groups.nlevels + 1)])
    width = len(parts[0])
    if not len(periods) or any(len(p) != width for p in parts):
        return pd.MultiIndex.from_tuples([(*p, q) for p in parts for q in periods])
    columns = []
    for k in range(width):
        values = np.empty(len(parts), dtype=object)
        for i, p in enumerate(parts):
            values[i] = p[k]
        columns.append(np.repeat(values, len(periods)))
    positions = np.empty(len(periods), dtype=object)
    for i, q in enumerate(periods):
        positions[i] = q
    columns.append(np.tile(positions, len(parts)))
    return pd.MultiIndex.from_arrays(columns)


def _label(value: Any) -> str | None:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column(series: "pd.Series") -> list[Any]:
    """The values of a column as iterating it gives them (Python scalars for numpy dtypes), in one call."""
    import numpy as np

    return series.tolist() if isinstance(series.dtype, np.dtype) else list(series)


def _level_objects(index: "pd.MultiIndex", level: int) -> tuple[dict[int, Any], list[int]]:
    """(code → the value iterating ``index`` gives at that level, the codes of the rows).

    One row per distinct code is iterated, so each value is converted once, exactly as the full
    iteration converts it (the rows kept include a missing value when there is one, so a level
    upcast by the missing value — integers to floats — is upcast here too)."""
    import numpy as np

    codes = np.asarray(index.codes[level])
    distinct, first = np.unique(codes, return_index=True)
    return ({code: parts[level] for code, parts in zip(distinct.tolist(), index[first])}, codes.tolist())


def _labels(table: "pd.DataFrame", dims: list[str], periods: Periods | None) -> tuple[list[dict], list | None]:
    """Per row of the table: its group (dimension → label) and period label (None without periods)."""
    import pandas as pd

    index = table.index
    if isinstance(index, pd.MultiIndex):
        per_dim = []
        for level, dim in zip(range(index.nlevels), dims):
            objects, codes = _level_objects(index, level)
            labels = {code: _label(value) for code, value in objects.items()}
            per_dim.append((dim, [labels[c] for c in codes]))
        if len(per_dim) == 1:
            dim, labels_of_rows = per_dim[0]
            groups = [{dim: label} for label in labels_of_rows]
        elif per_dim:
            names = [dim for dim, _ in per_dim]
            groups = [dict(zip(names, row)) for row in zip(*(labels for _, labels in per_dim))]
        else:
            groups = [{} for _ in range(len(index))]
        period_labels = None
        if periods is not None:
            objects, codes = _level_objects(index, index.nlevels - 1)
            by_code = {code: periods.labels[int(value)] for code, value in objects.items()}
            period_labels = [by_code[c] for c in codes]
        return groups, period_labels
    parts_of_rows = [value if isinstance(value, tuple) else (value,) for value in index]
    groups = [{dim: _label(value) for dim, value in zip(dims, parts)} for parts in parts_of_rows]
    period_labels = [periods.labels[int(parts[-1])] for parts in parts_of_rows] if periods is not None else None
    return groups, period_labels


def _rows(table: "pd.DataFrame", dims: list[str], periods: Periods | None, template: Result,
          measure: Measure) -> list[Result]:
    """Results from a measure table (index: group values…, then the period position when periods).

    Column-wise: the columns become Python lists once, each group value and period is labelled
    once, and the measure's empty figure and missing-value note are asked for once, not per row.
    The cyclic garbage collector pauses meanwhile: the records hold no cycles, and a collection
    every few hundred new objects would only walk the whole heap again and again."""
    if not len(table):
        return []
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _records(table, dims, periods, template, measure)
    finally:
        if collecting:
            gc.enable()


def _records(table: "pd.DataFrame", dims: list[str], periods: Periods | None, template: Result,
             measure: Measure) -> list[Result]:
    groups, period_labels = _labels(table, dims, periods)
    if period_labels is None:
        period_labels = [None] * len(table)
    kpi, title, unit, direction = template.kpi, template.title, template.unit, template.direction
    method, settings = template.method, template.settings
    base_notes = list(measure.notes)  # each record gets its own copy: evaluate appends to a record's notes
    empty: Figure | None = None
    unset = object()
    missing_note: Any = unset
    columns = [_column(table[name]) for name in ("value", "n", "numerator", "denominator", "std")]
    out: list[Result] = []
    append = out.append
    for group, period, value, n, numerator, denominator, std in zip(groups, period_labels, *columns):
        if isinstance(n, float) and n != n:  # a group or period without rows
            if empty is None:
                empty = measure.empty()
            value, n, numerator, denominator, std = (empty.value, empty.n, empty.numerator, empty.denominator,
                                                     empty.std)
            notes = [*base_notes, empty.note] if value is None and empty.note else base_notes.copy()
        else:
            if missing_note is unset:  # asked once, at the first row with records
                missing_note = measure.missing_note(bool(dims))
            if isinstance(value, float) and value != value:
                value = None
                notes = [*base_notes, missing_note] if missing_note else base_notes.copy()
            else:
                value = float(value)
                notes = base_notes.copy()
            n = int(n)
            numerator = None if numerator != numerator else float(numerator)
            denominator = None if denominator != denominator else float(denominator)
            std = None if std != std else float(std)
        # positional, in the order of Result's fields (pinned by tests/test_fast_results.py): a third faster
        append(Result(kpi, title, unit, direction, value, n, numerator, denominator, method, group, period, notes,
                      settings, None, std))
    return out


def compute(refs: list["KpiRef"], frames: dict[str, "pd.DataFrame"], settings: dict[str, Any],
            window: "Window", slicing: Slicing | None = None, periods: Periods | None = None) -> list[Result]:
    slicing = slicing or Slicing()
    token = _SHARED.set({})
    try:
        results = [r for ref in refs for r in compute_sliced(ref, frames, settings, window, slicing, periods)]
    finally:
        _SHARED.reset(token)
    from .coverage import mark  # periods outside a kind's data: no-data, not 0; partly covered: partial

    return mark(results, refs, frames, window, periods if slicing.every else None, slicing.tz)
