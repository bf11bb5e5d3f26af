"""The spans stored figures cover (an hour, day, week, month of a zone, or a window), the keys of their
groups, and stored targets and KPI titles read back: what the records and their roll-ups share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ..model import Target, Threshold
from .store import utc_text

EVERY_ORDER = ("hour", "day", "week", "month")


@dataclass(frozen=True)
class Span:
    """The half-open UTC span a figure covers; ``every`` is its calendar unit ("" for a window)."""

    every: str
    start: datetime
    end: datetime
    label: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.every, utc_text(self.start), utc_text(self.end)


def group_key(group: dict[str, Any]) -> tuple[str, str]:
    """(group_by, group_value) as stored: JSON arrays of the sorted dimensions and their values."""
    dims = sorted(group)
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    return json.dumps(dims, **compact), json.dumps([group[d] for d in dims], **compact)


def group_of(group_by: str, group_value: str) -> dict[str, Any]:
    return dict(zip(json.loads(group_by), json.loads(group_value)))


# -- spans -----------------------------------------------------------------------------------------

def _local_midnight(day: Any, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _add_months(day: Any, months: int) -> Any:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def classify(start: datetime, end: datetime, tz: str, week_start: int = 0) -> Span:
    """The span [start, end) as a calendar period of ``tz`` when it is exactly one, else a window."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    if end - start == timedelta(hours=1) and start.minute == start.second == start.microsecond == 0:
        return Span("hour", start, end, local.isoformat(timespec="minutes"))
    if local.time() == time(0) and end.astimezone(zone).time() == time(0):
        day, last = local.date(), end.astimezone(zone).date()
        label = day.strftime("%Y-%m-%d")
        if last == day + timedelta(days=1):
            return Span("day", start, end, label)
        if last == day + timedelta(days=7) and day.weekday() == week_start:
            return Span("week", start, end, label)
        if day.day == 1 and last == _add_months(day, 1):
            return Span("month", start, end, label)
    shown = f"{local.isoformat(timespec='seconds')} to {end.astimezone(zone).isoformat(timespec='seconds')}"
    return Span("", start, end, shown)


def period_span(every: str, label: str, tz: str) -> Span:
    """The span of a ``--every`` period from its label (``2026-11-20``, or an hour with its offset)."""
    zone = ZoneInfo(tz)
    if every == "hour":
        start = datetime.fromisoformat(label).astimezone(timezone.utc)
        return Span(every, start, start + timedelta(hours=1), label)
    day = datetime.strptime(label, "%Y-%m-%d").date()
    last = {"day": day + timedelta(days=1), "week": day + timedelta(days=7)}.get(every) or _add_months(day, 1)
    return Span(every, _local_midnight(day, zone).astimezone(timezone.utc),
                _local_midnight(last, zone).astimezone(timezone.utc), label)


def target_of(kpi: str, text: str | None) -> Target | None:
    """A stored target document (the JSON report's ``target``) as a Target again."""
    if not text:
        return None
    doc = json.loads(text)
    levels = {lv["severity"]: Threshold(lv["text"], lv["op"], float(lv["threshold"])) for lv in doc.get("levels", [])}
    return Target(kpi, fail=levels.get("fail"), warn=levels.get("warn"))


_CATALOGUE: dict[str, Any] = {}


def _meta(kpi: str) -> Any:
    """Title, unit and direction of a KPI from the catalogue, for rows stored before schema 2 kept them."""
    if not _CATALOGUE:
        from ..engine.registry import builtin_registry

        _CATALOGUE.update({k.name: k for k in builtin_registry()})
    return _CATALOGUE.get(kpi.split("(", 1)[0])
