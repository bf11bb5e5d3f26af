"""Stage 2 — normalise: raw text cells → the canonical, typed record of KPI_SPEC §1.

Column names are mapped (``--map``, ``columns:``; otherwise a header matching a
canonical field, ignoring case and spaces), values are typed, derived fields are
filled per cell, and every row that fails a check is rejected with the reason
of its *first* failing check, in the order of KPI_SPEC §6:

1. empty required field  2. unparseable date  3. non-numeric number
4. non-boolean flag  5. negative duration or count  6. event before the
record's start  7. unknown outcome  8. duplicate id (first valid kept)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import InputError, UsageError
from .fields import ID_FIELD, SCHEMAS, Field, field_names
from .model import InputSummary
from .presets.dates import to_iso

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .load import RawTable

OUTCOMES = ("answered", "abandoned", "other")
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
#: events that must not precede the record's start: (kind, start field, event fields)
START_FIELD = {"calls": "offered_at", "tickets": "created_at", "surveys": None}
EVENT_FIELDS = {
    "calls": ("answered_at", "ended_at"),
    "tickets": ("first_response_at", "resolved_at", "closed_at"),
    "surveys": (),
}
#: a time offset written after a clock time: Z, +01:00, -0500, +01
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
EXAMPLES_PER_REASON = 3


@dataclass
class Dataset:
    """One input file in canonical form, with its row accounting."""

    kind: str
    path: str
    frame: "pd.DataFrame"  #: used rows only; index = data row number in the file
    summary: InputSummary
    rejects: "pd.DataFrame"  #: columns row, reason (one per rejected row)
    given: set[str] = field(default_factory=set)  #: canonical fields present in the file (not derived)
    rejected_rows: "pd.DataFrame | None" = None  #: with --rejects: the rejected rows' cells and reasons


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def detect_kind(header: list[str], mapping: dict[str, str]) -> str | None:
    """Kind from the header: calls have offered_at; tickets ticket_id + created_at; surveys responded_at."""
    fields = set(mapping) | {_key(h) for h in header}
    if "offered_at" in fields:
        return "calls"
    if "ticket_id" in fields and "created_at" in fields:
        return "tickets"
    if "responded_at" in fields:
        return "surveys"
    return None


def resolve_columns(raw: "RawTable", kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """canonical field → source column, for the fields this file provides."""
    known = set(field_names(kind))
    resolved: dict[str, str] = {}
    for fld, column in mapping.items():
        if fld in known and column in raw.header:
            resolved[fld] = column
    taken = set(resolved.values())
    spelled: dict[str, str] = {}
    for column in raw.header:
        fld = _key(column)
        if fld in known and fld not in mapping and column not in taken:
            if fld in spelled:
                raise InputError(f"columns {spelled[fld]!r} and {column!r} both name the field {fld}; rename one, "
                                 f"or choose with --map {fld}=COLUMN", path=raw.path, line=1)
            spelled[fld] = column
            resolved[fld] = column
    return resolved


def normalise(raw: "RawTable", *, kind: str | None = None, mapping: dict[str, str] | None = None,
              tz: str = "UTC") -> Dataset:
    """Type, derive and check one raw table; rejected rows are counted, never dropped silently."""
    import pandas as pd

    mapping = dict(mapping or {})
    kind = kind or detect_kind(raw.header, mapping)
    if kind is None:
        raise InputError(
            "cannot tell what this file holds: no offered_at (calls), ticket_id + created_at (tickets) "
            "or responded_at (surveys) column; name its columns with --map FIELD=COLUMN or force --kind",
            path=raw.path,
        )
    if kind not in SCHEMAS:
        raise UsageError(f"--kind {kind!r}: choose calls, tickets or surveys")
    columns = resolve_columns(raw, kind, mapping)
    schema = SCHEMAS[kind]
    missing = [f.name for f in schema if f.required and f.name not in columns]
    if missing:
        raise InputError(
            f"{kind} export without {', '.join(missing)}; found columns {', '.join(raw.header)}; "
            f"map one with --map {missing[0]}=COLUMN",
            path=raw.path, line=1,
        )
    text = pd.DataFrame({f: _clean_text(raw.frame[c]) for f, c in columns.items()}, index=raw.frame.index)
    for f in schema:  # dates as exports write them (day-first, 12-hour, epoch…) → ISO, one format per column
        if f.type == "datetime" and f.name in text:
            text[f.name] = to_iso(text[f.name], column=columns[f.name], path=raw.path)
        elif raw.delimiter == ";" and f.type in ("seconds", "int", "number") and f.name in text:
            # a ;-separated export is a decimal-comma locale's: 1,5 is one and a half
            text[f.name] = text[f.name].str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    checker = _Checker(text)
    typed = _type_fields(text, [f for f in schema if f.name in columns], tz, checker)
    _derive(kind, typed, checker)
    _check_order(kind, typed, checker)
    if kind == "calls":
        _check_outcome(typed, text, checker)
    _check_duplicates(kind, typed, columns, checker)

    reasons = checker.reason
    used = typed.loc[reasons.isna()]
    rejects = pd.DataFrame({"row": reasons.index[reasons.notna()], "reason": reasons.dropna().to_numpy()})
    extra = [c for c in raw.header if c not in columns.values() and _key(c) not in used.columns]
    for column in extra:  # keep other columns as dimensions for later slicing
        used[column] = _clean_text(raw.frame[column]).loc[used.index]
    summary = InputSummary(
        path=raw.path, kind=kind, preset="generic", read=len(raw.frame), used=len(used),
        rejected_by_reason=rejects["reason"].value_counts(sort=False).to_dict() if len(rejects) else {},
        mapping={f: c for f, c in columns.items()},
        examples_by_reason={r: g["row"].head(EXAMPLES_PER_REASON).tolist()
                            for r, g in rejects.groupby("reason", sort=False)} if len(rejects) else {},
    )
    summary.rejected_by_reason = {k: int(v) for k, v in sorted(summary.rejected_by_reason.items())}
    return Dataset(kind=kind, path=raw.path, frame=used, summary=summary, rejects=rejects, given=set(columns))


# -- checks ----------------------------------------------------------------------------

class _Checker:
    """Keeps the first failing reason per row; later checks never overwrite it."""

    def __init__(self, text: "pd.DataFrame") -> None:
        import pandas as pd

        self.reason = pd.Series(pd.NA, index=text.index, dtype="object")

    def fail(self, bad: "pd.Series", reason: str) -> None:
        bad = bad.fillna(False).astype(bool)
        self.reason = self.reason.mask(self.reason.isna() & bad, reason)

    @property
    def ok(self) -> "pd.Series":
        return self.reason.isna()


def _clean_text(column: "pd.Series") -> "pd.Series":
    stripped = column.astype("str").str.strip()
    return stripped.mask(stripped.eq("") | column.isna())


def _type_fields(text: "pd.DataFrame", fields: list[Field], tz: str, checker: _Checker) -> "pd.DataFrame":
    """Parse each column to its canonical type; checks 1–5 run in spec order across fields."""
    import pandas as pd

    typed = pd.DataFrame(index=text.index)
    for f in fields:  # 1. empty required field
        if f.required:
            checker.fail(text[f.name].isna(), f"{f.name}: empty (required)")
    stages = (
        ("datetime", _parse_datetime, "not a date"),
        ("number", _parse_number, "not a number"),
        ("bool", _parse_bool, "not a boolean"),
    )
    for ftype, parse, message in stages:  # 2–4, each over every field of that type
        for f in fields:
            if _stage(f.type) != ftype:
                continue
            values = parse(text[f.name], tz) if ftype == "datetime" else parse(text[f.name])
            checker.fail(text[f.name].notna() & values.isna(), f"{f.name}: {message}")
            if f.type == "int":
                whole = values.isna() | (values == values.round())
                checker.fail(~whole, f"{f.name}: not a whole number")
            typed[f.name] = values
    for f in fields:
        if _stage(f.type) is None:
            typed[f.name] = text[f.name]
    for f in fields:  # 5. negative duration or count
        if f.type in ("seconds", "int"):
            checker.fail(typed[f.name] < 0, f"{f.name}: negative")
    return typed[[f.name for f in fields]]


def _stage(ftype: str) -> str | None:
    return {"datetime": "datetime", "seconds": "number", "int": "number", "number": "number",
            "bool": "bool"}.get(ftype)


def _matches(text: "pd.Series", pattern: "re.Pattern[str]") -> "pd.Series":
    """Vectorised regex search (pyarrow's kernel: pandas' ``str.contains`` may loop in Python)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(text, type=pa.string(), from_pandas=True)
    flags = pc.match_substring_regex(array, pattern.pattern, ignore_case=bool(pattern.flags & re.IGNORECASE))
    return pd.Series(flags.to_numpy(zero_copy_only=False), index=text.index).fillna(False).astype(bool)


def _parse_datetime(text: "pd.Series", tz: str) -> "pd.Series":
    """ISO 8601 (``T`` or space, optional fraction and offset). Offsets are honoured;
    naive times are wall-clock times in ``tz`` (ambiguous DST hours read as the first
    occurrence, non-existent ones shifted forward). Result: UTC."""
    import numpy as np
    import pandas as pd

    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    present = text.notna()
    if not present.any():
        return out
    has_offset = present & _matches(text, _OFFSET)
    if has_offset.any():
        out[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
    naive = present & ~has_offset
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        local = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool),
                                     nonexistent="shift_forward")
        out[naive] = local.dt.tz_convert("UTC")
    return out


def _parse_number(text: "pd.Series") -> "pd.Series":
    """Numbers; a cell that is not one becomes NaN (its row is then rejected). A clean column is cast by
    Arrow in one kernel (25× pandas' to_numeric); a column with a bad cell falls back to to_numeric."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        cast = pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64())
        values = pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        values = pd.to_numeric(text, errors="coerce").astype("float64")
    return values.where(np.isfinite(values))


def _parse_bool(text: "pd.Series") -> "pd.Series":
    import pandas as pd

    lower = text.str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[lower.isin(TRUE_WORDS)] = True
    out[lower.isin(FALSE_WORDS)] = False
    return out


def _derive(kind: str, typed: "pd.DataFrame", checker: _Checker) -> None:
    """Fill derived fields per cell (KPI_SPEC §1, §6): a given value always wins."""
    import pandas as pd

    if kind == "calls":
        if "outcome" in typed or "answered_at" in typed:
            given = typed["outcome"].str.lower() if "outcome" in typed else pd.Series(pd.NA, index=typed.index,
                                                                                      dtype="str")
            if "answered_at" in typed:
                derived = typed["answered_at"].notna().map({True: "answered", False: "abandoned"})
                given = given.fillna(derived)
            typed["outcome"] = given
        wait_parts = []
        if "answered_at" in typed:
            wait_parts.append(("answered", _seconds(typed["answered_at"] - typed["offered_at"])))
        if "ended_at" in typed:
            wait_parts.append(("not answered", _seconds(typed["ended_at"] - typed["offered_at"])))
        if wait_parts and "outcome" in typed:
            answered = typed["outcome"].eq("answered")
            derived = pd.Series(float("nan"), index=typed.index)
            for which, seconds in wait_parts:
                rows = answered if which == "answered" else ~answered
                derived = derived.where(~rows.fillna(False), seconds)
            typed["wait_seconds"] = typed["wait_seconds"].fillna(derived) if "wait_seconds" in typed else derived
    elif kind == "tickets":
        _pair(typed, "first_response_at", "first_response_seconds", "created_at")
        _pair(typed, "resolved_at", "resolution_seconds", "created_at")
        if "tier" in typed:
            from_tier = (typed["tier"] > 1).astype("boolean").mask(typed["tier"].isna())
            typed["escalated"] = typed["escalated"].fillna(from_tier) if "escalated" in typed else from_tier


def _pair(typed: "pd.DataFrame", at: str, seconds: str, start: str) -> None:
    """A timestamp and its duration from the start: either one derives the other, per cell."""
    import pandas as pd

    if at in typed:
        from_at = _seconds(typed[at] - typed[start])
        typed[seconds] = typed[seconds].fillna(from_at) if seconds in typed else from_at
    if seconds in typed:
        from_seconds = typed[start] + pd.to_timedelta(typed[seconds], unit="s")
        typed[at] = typed[at].fillna(from_seconds) if at in typed else from_seconds


def _seconds(delta: "pd.Series") -> "pd.Series":
    return delta.dt.total_seconds()


def _check_order(kind: str, typed: "pd.DataFrame", checker: _Checker) -> None:
    """6. an event before the record's start (answered before offered, resolved before created)."""
    start = START_FIELD[kind]
    if start is None:
        return
    for event in EVENT_FIELDS[kind]:
        if event in typed:
            checker.fail(typed[event] < typed[start], f"{event}: before {start}")
    if kind == "calls" and "wait_seconds" in typed:
        checker.fail(typed["wait_seconds"] < 0, "wait_seconds: negative")


def _check_outcome(typed: "pd.DataFrame", text: "pd.DataFrame", checker: _Checker) -> None:
    """7. unknown outcome (``other`` is accepted when given, never derived)."""
    if "outcome" not in typed:
        return
    outcome = typed["outcome"]
    checker.fail(outcome.notna() & ~outcome.isin(OUTCOMES), "outcome: unknown value")
    if "answered_at" not in typed:
        checker.fail(outcome.isna(), "outcome: empty and no answered_at to derive it from")


def _check_duplicates(kind: str, typed: "pd.DataFrame", columns: dict[str, str], checker: _Checker) -> None:
    """8. duplicate id: the first valid occurrence is kept. An absent id becomes the row number."""
    id_field = ID_FIELD[kind]
    if id_field not in columns:
        typed.insert(0, id_field, typed.index.astype("str"))
        return
    ids = typed[id_field]
    candidates = checker.ok & ids.notna()
    dup = ids.where(candidates).duplicated(keep="first") & candidates
    checker.fail(dup, f"{id_field}: duplicate")
