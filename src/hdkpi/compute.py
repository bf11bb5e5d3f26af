"""Stage 4 — compute: evaluate KPI functions over the canonical frames.

For each requested KPI the engine picks the frame of its kind (for survey
scores: the surveys file when it has that score, else the tickets), checks the
fields it needs, cuts the frame to the window on the KPI's anchor time, calls
the KPI function and aggregates the measure it returns into a :class:`Result`.
A KPI that cannot be computed becomes a no-data result naming the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import MissingFields, NoData
from .model import Result

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .registry import Kpi, KpiRef
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


def source_frame(kpi: "Kpi", frames: dict[str, "pd.DataFrame"]) -> tuple["pd.DataFrame | None", str, str]:
    """(frame, anchor column, reason if None) for a KPI.

    Survey scores: a surveys file with that score wins over the tickets' column of the same name
    (KPI_SPEC §6); answers in tickets are anchored on resolved_at.
    """
    if kpi.kind != "surveys":
        frame = frames.get(kpi.kind)
        return frame, kpi.anchor, "" if frame is not None else f"no {kpi.kind} input"
    score = kpi.needs[0] if kpi.needs else None
    surveys, tickets = frames.get("surveys"), frames.get("tickets")
    if surveys is not None and (score is None or score in surveys):
        return surveys, kpi.anchor, ""
    if tickets is not None and score is not None and score in tickets:
        return tickets, "resolved_at", ""
    if surveys is None and tickets is None:
        return None, kpi.anchor, "no surveys or tickets input"
    return None, kpi.anchor, f"missing field {score} (no surveys or tickets column {score})"


def compute_one(ref: "KpiRef", frames: dict[str, "pd.DataFrame"], settings: dict[str, Any],
                window: "Window") -> Result:
    from .registry import KpiContext

    kpi = ref.kpi
    result = Result(kpi=ref.name, title=kpi.title, unit=kpi.unit, direction=kpi.direction, value=None, n=0,
                    settings={name: settings[name] for name in kpi.settings if name in settings})
    frame, anchor, reason = source_frame(kpi, frames)
    if frame is None:
        result.notes.append(reason)
        return result
    missing = [f for f in kpi.needs if f not in frame]
    if missing:
        hints = [DERIVATION_HINTS[f] for f in missing if f in DERIVATION_HINTS]
        result.notes.append(MissingFields(missing, "; ".join(hints)).reason)
        return result
    if anchor != "snapshot" and not window.unbounded:
        if anchor not in frame:
            result.notes.append(f"missing field {anchor} (the anchor time of {kpi.name})")
            return result
        frame = frame.loc[window.mask(frame[anchor])]
    context = KpiContext(settings=settings, window=window, frames=frames)
    try:
        measure = kpi.fn(frame, context, **ref.kwargs)
    except NoData as exc:
        result.notes.append(exc.reason)
        return result
    figure = measure.overall()
    result.value = figure.value
    result.n = figure.n
    result.numerator = figure.numerator
    result.denominator = figure.denominator
    result.method = measure.method
    result.notes.extend(measure.notes)
    if figure.value is None and figure.note:
        result.notes.append(figure.note)
    return result


def compute(refs: list["KpiRef"], frames: dict[str, "pd.DataFrame"], settings: dict[str, Any],
            window: "Window") -> list[Result]:
    return [compute_one(ref, frames, settings, window) for ref in refs]
