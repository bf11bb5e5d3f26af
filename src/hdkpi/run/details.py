"""Drill-down: the records behind a figure — the list a manager acts on, not just the percentage.

For a missed target (``--details DIR``) or any figure (``hdkpi show``), the KPI is computed again
on its frame and its measure says which records pull the figure the wrong way
(:meth:`hdkpi.engine.measures.Measure.behind`): the abandoned calls, the tickets over the resolution
limit, the detractors. Each comes with its id, its anchor time, the fields the KPI reads and the
group dimensions, restricted to the figure's group and period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..fields import ID_FIELD

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model import Report, Verdict


@dataclass
class RunContext:
    """What a report was computed from, kept for drill-down (never serialised)."""

    refs: list[Any]
    frames: dict[str, "pd.DataFrame"]
    settings: dict[str, Any]
    window: Any
    slicing: Any
    periods: Any
    rejected: list[Any] = field(default_factory=list)  #: per file, its rejected rows (with --rejects)
    history: Any = None  #: the stored series of this run's figures (hdkpi.history.records.report_history)
    streamed: bool = False  #: the rows were aggregated as they were read (hdkpi.run.stream): none is kept


def records_behind(report: "Report", kpi: str, group: dict[str, str | None] | None = None,
                   period: str | None = None, threshold: float | None = None) -> "pd.DataFrame":
    """The records behind one figure of ``report`` (kpi name as in the results, e.g. resolved_within(2d))."""
    from ..engine.compute import measure_of
    from ..engine.slicing import time_dimension

    ctx: RunContext | None = getattr(report, "context", None)
    if ctx is None:
        raise UsageError("this report keeps no data to drill into")
    if ctx.streamed:
        raise UsageError("this run streamed its input and kept no rows to drill into; run it with --no-stream")
    ref = next((r for r in ctx.refs if r.name == kpi), None)
    if ref is None:
        raise UsageError(f"{kpi}: not in this report; computed: {', '.join(r.name for r in ctx.refs)}")
    measure, frame, anchor, notes = measure_of(ref, ctx.frames, ctx.settings, ctx.window, ctx.slicing.calendar,
                                               ctx.periods, ctx.slicing.tz)
    if measure is None or frame is None:
        raise UsageError(f"{kpi}: no records ({'; '.join(notes)})")
    mask, values = measure.behind(ref.kpi.direction, threshold)
    mask = mask.reindex(frame.index, fill_value=False)
    dims = []
    for dim, wanted in (group or {}).items():
        if dim in frame.columns:
            key = frame[dim]
        elif anchor != "snapshot" and dim in ("hour", "weekday", "date", "week", "month"):
            key = time_dimension(frame[anchor], dim, ctx.slicing.tz, ctx.slicing.week_start).astype("object")
        else:
            raise UsageError(f"--group {dim}=…: the {ref.kpi.kind} have no field {dim}")
        mask &= key.isna() if wanted is None else (key.astype("str") == wanted).fillna(False)
        dims.append(dim)
    if period is not None:
        if ctx.periods is None or period not in ctx.periods.labels:
            raise UsageError(f"--period {period}: not a period of this report")
        mask &= ctx.periods.position(frame[anchor]) == ctx.periods.labels.index(period)
    wanted_columns = [ID_FIELD[ref.kpi.kind], anchor, *ref.kpi.needs, *ref.shown, *dims, *ctx.slicing.by]
    columns = [c for c in dict.fromkeys(wanted_columns) if c in frame.columns]
    out = frame.loc[mask, columns].copy()
    if values is not None:
        out[f"{ref.kpi.name}_value"] = values.reindex(out.index)
    out.insert(0, "data_row", out.index)
    return out


def threshold_of(verdict: "Verdict") -> float | None:
    target = verdict.target
    if target is None:
        return None
    level = target.fail if target.fail is not None else target.warn
    return level.value if level is not None else None


def write_details(report: "Report", directory: str) -> list[str]:
    """One CSV per failing (kpi, group, period) figure in ``directory``; returns the files written."""
    from ..output import guard, write_atomic

    written = []
    for v in report.verdicts:
        if v.status != "fail":
            continue
        r = v.result
        records = records_behind(report, r.kpi, r.group, r.period, threshold_of(v))
        parts = [r.kpi, *(f"{k}={'' if x is None else x}" for k, x in r.group.items()), r.period or ""]
        name = re.sub(r"[^A-Za-z0-9=._()-]+", "_", "__".join(p for p in parts if p)) + ".csv"
        path = str(Path(directory) / name)
        text = records.map(lambda x: guard(x) if isinstance(x, str) else x).to_csv(index=False, lineterminator="\n")
        write_atomic(path, text)
        written.append(path)
    return written


def rejected_frame(report: "Report") -> "pd.DataFrame":
    """All rejected rows of every input, with file, data row and reason first (a run that kept them)."""
    import pandas as pd

    ctx: RunContext | None = getattr(report, "context", None)
    parts = [frame for frame in (ctx.rejected if ctx else []) if len(frame)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["file", "data_row", "reason"])


def write_rejects(report: "Report", path: str) -> int:
    """All rejected rows of every input, with file, data row and reason first; returns how many."""
    from ..output import guard, write_atomic

    table = rejected_frame(report)
    text = table.map(lambda x: guard(x) if isinstance(x, str) else x).to_csv(index=False, lineterminator="\n")
    write_atomic(path, text)
    return len(table)
