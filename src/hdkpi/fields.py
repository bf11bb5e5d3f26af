"""The canonical records of KPI_SPEC §1: every field, its type and whether it is required.

Loaders and column maps produce these names; KPIs read only these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["str", "datetime", "seconds", "int", "bool", "number", "outcome"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    doc: str = ""


CALLS: tuple[Field, ...] = (
    Field("call_id", "str", doc="optional; data row number when absent"),
    Field("offered_at", "datetime", True, "caller entered the queue"),
    Field("answered_at", "datetime", doc="empty = never reached an agent"),
    Field("ended_at", "datetime", doc="caller left (hang-up or end of call)"),
    Field("wait_seconds", "seconds", doc="given, or derived from answered_at/ended_at − offered_at"),
    Field("talk_seconds", "seconds"),
    Field("hold_seconds", "seconds"),
    Field("acw_seconds", "seconds", doc="after-call work"),
    Field("outcome", "outcome", doc="answered / abandoned / other; derived from answered_at if absent"),
    Field("agent", "str"),
    Field("queue", "str"),
    Field("caller_id", "str"),
    Field("transferred", "bool"),
    Field("resolved", "bool", doc="explicit first-contact-resolution flag"),
    Field("in_progress", "bool", doc="answered and still going when the export was cut (set by the telephony "
                                     "presets): its handle time is unknown, so aht leaves it out"),
)

TICKETS: tuple[Field, ...] = (
    Field("ticket_id", "str", True, "unique"),
    Field("created_at", "datetime", True),
    Field("first_response_at", "datetime"),
    Field("first_response_seconds", "seconds", doc="given, or derived from first_response_at"),
    Field("resolved_at", "datetime", doc="set = resolved"),
    Field("resolution_seconds", "seconds", doc="given, or derived from resolved_at"),
    Field("closed_at", "datetime"),
    Field("status", "str"),
    Field("priority", "str"),
    Field("category", "str"),
    Field("channel", "str"),
    Field("agent", "str"),
    Field("team", "str"),
    Field("requester", "str"),
    Field("replies", "int", doc="agent replies / touches"),
    Field("reopens", "int"),
    Field("escalated", "bool", doc="or tier > 1"),
    Field("tier", "int"),
    Field("reassignments", "int"),
    Field("sla_breached", "bool"),
    Field("fcr", "bool", doc="explicit first-contact-resolution flag"),
    Field("handle_seconds", "seconds", doc="agent effort"),
    Field("csat", "number"),
    Field("nps", "number"),
    Field("ces", "number"),
)

SURVEYS: tuple[Field, ...] = (
    Field("survey_id", "str", doc="optional; data row number when absent"),
    Field("responded_at", "datetime", True),
    Field("ticket_id", "str"),
    Field("call_id", "str"),
    Field("agent", "str"),
    Field("csat", "number"),
    Field("nps", "number"),
    Field("ces", "number"),
)

SCHEMAS: dict[str, tuple[Field, ...]] = {"calls": CALLS, "tickets": TICKETS, "surveys": SURVEYS}

#: the field whose values must be unique per kind (duplicates rejected, first kept)
ID_FIELD = {"calls": "call_id", "tickets": "ticket_id", "surveys": "survey_id"}


def field_names(kind: str) -> list[str]:
    return [f.name for f in SCHEMAS[kind]]


def all_field_names() -> set[str]:
    return {f.name for schema in SCHEMAS.values() for f in schema}


def required_fields(kind: str) -> list[str]:
    return [f.name for f in SCHEMAS[kind] if f.required]
