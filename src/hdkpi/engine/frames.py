"""Which frame a KPI reads: its own kind's, or for survey scores the surveys file before the tickets' columns.

Shared by the computation (hdkpi.engine.compute), the coverage of periods (hdkpi.engine.coverage) and
the Dask run, so each picks the same records."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .registry import KpiRef


def source_frame(ref: "KpiRef", frames: dict[str, "pd.DataFrame"]) -> tuple["pd.DataFrame | None", str, str]:
    """(frame, anchor column, reason if None) for a KPI with its parameters.

    Survey scores: a surveys file with that score wins over the tickets' column of the same name
    (KPI_SPEC §6); answers in tickets are anchored on resolved_at.
    """
    kpi = ref.kpi
    if kpi.kind != "surveys":
        frame = frames.get(kpi.kind)
        return frame, ref.anchor, "" if frame is not None else f"no {kpi.kind} input"
    score = kpi.needs[0] if kpi.needs else None
    surveys, tickets = frames.get("surveys"), frames.get("tickets")
    if surveys is not None and (score is None or score in surveys):
        return surveys, kpi.anchor, ""
    if tickets is not None and score is not None and score in tickets:
        return tickets, "resolved_at", ""
    if surveys is None and tickets is None:
        return None, kpi.anchor, "no surveys or tickets input"
    return None, kpi.anchor, f"missing field {score} (no surveys or tickets column {score})"
