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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InputError, UsageError
from ..fields import ID_FIELD, SCHEMAS, Field, field_names
from ..model import InputSummary
from .presets.dates import to_iso

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

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
    states: "pd.DataFrame | None" = None  #: an event log's state history (hdkpi.ingest.states), for SLA clocks


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


def looks_like_data(header: list[str]) -> bool:
    """A header whose names are mostly dates or numbers is the first record of a headerless file."""
    datelike = re.compile(r"^\d{1,4}[-/.:]\d{1,2}|^[+-]?\d+(\.\d+)?$")
    names = [h for h in header if h]
    return bool(names) and sum(bool(datelike.match(h)) for h in names) >= max(1, len(names) // 3)


def unknown_layout(path: str, header: list[str]) -> InputError:
    """The error for a file no preset recognises and whose kind no canonical column tells (either engine):
    a headerless file is said so; otherwise the columns seen and the ways out."""
    seen = ", ".join(h if len(h) <= 40 else h[:37] + "…" for h in header[:20])
    if len(header) > 20:
        seen += f", … ({len(header)} columns)"
    if looks_like_data(header):
        return InputError("the first line looks like data, not a header (dates or numbers where column names "
                          f"should be: {seen}); export the file with its header line", path=path, line=1)
    return InputError(
        "unknown layout: no preset recognises it and it has no offered_at (calls), ticket_id + created_at "
        f"(tickets) or responded_at (surveys) column; columns seen: {seen}; "
        "use --preset NAME (hdkpi inspect lists them) or --map FIELD=COLUMN, or force --kind", path=path)


def kind_from_header(header: list[str], mapping_for: "Callable[[str | None], dict[str, str]]") -> str | None:
    """A file's kind from its columns, on either engine: with the map of all kinds (``mapping_for(None)``),
    else the first kind that its own map (a per-kind columns section) makes the header name."""
    kind = detect_kind(header, mapping_for(None))
    if kind is None:
        kind = next((k for k in SCHEMAS if detect_kind(header, mapping_for(k)) == k), None)
    return kind


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


def plan_columns(header: list[str], path: str, kind: str | None,
                 mapping: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """(kind, canonical field → source column) for a header, or the reason it cannot be read."""
    from .load import RawTable

    mapping = dict(mapping or {})
    kind = kind or detect_kind(header, mapping)
    if kind is None:
        raise InputError(
            "cannot tell what this file holds: no offered_at (calls), ticket_id + created_at (tickets) "
            "or responded_at (surveys) column; name its columns with --map FIELD=COLUMN or force --kind",
            path=path,
        )
    if kind not in SCHEMAS:
        raise UsageError(f"--kind {kind!r}: choose calls, tickets or surveys")
    columns = resolve_columns(RawTable(path=path, frame=None, header=header, delimiter=""), kind, mapping)
    missing = [f.name for f in SCHEMAS[kind] if f.required and f.name not in columns]
    if missing:
        raise InputError(
            f"{kind} export without {', '.join(missing)}; found columns {', '.join(header)}; "
            f"map one with --map {missing[0]}=COLUMN",
            path=path, line=1,
        )
    return kind, columns


def normalise(raw: "RawTable", *, kind: str | None = None, mapping: dict[str, str] | None = None,
              tz: str = "UTC") -> Dataset:
    """Type, derive and check one raw table; rejected rows are counted, never dropped silently."""
    import pandas as pd

    kind, columns = plan_columns(raw.header, raw.path, kind, mapping)
    schema = SCHEMAS[kind]
    text = pd.DataFrame({f: _clean_text(raw.frame[c]) for f, c in columns.items()}, index=raw.frame.index)
    for f in schema:  # dates as exports write them (day-first, 12-hour, epoch…) → ISO, one format per column
        if f.type == "datetime" and f.name in text:
            text[f.name] = to_iso(text[f.name], column=columns[f.name], path=raw.path)
        elif raw.delimiter == ";" and f.type in ("seconds", "int", "number") and f.name in text:
            # a ;-separated export is a decimal-comma locale's: 1,5 is one and a half
            text[f.name] = text[f.name].str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)

    def parse(f: Field) -> "tuple[pd.Series, pd.Series]":
        cells = text[f.name]
        stage = _stage(f.type)
        if stage == "datetime":
            return _parse_datetime(cells, tz), cells.notna()
        if stage == "number":
            return _parse_number(cells), cells.notna()
        if stage == "bool":
            return _parse_bool(cells), cells.notna()
        return cells, cells.notna()

    checker = _Checker(text.index)
    typed = _type_fields([f for f in schema if f.name in columns], parse, checker, text.index)
    extras = [c for c in raw.header if c not in columns.values()]
    return finish(kind, raw.path, typed, columns, checker, read=len(raw.frame),
                  extras=lambda c: _clean_text(raw.frame[c]), extra_columns=extras)


def finish(kind: str, path: str, typed: "pd.DataFrame", columns: dict[str, str], checker: "_Checker", *,
           read: int, extras: "Callable[[str], pd.Series]", extra_columns: list[str]) -> Dataset:
    """Derive, check (6–8), split used from rejected rows, keep the other columns as dimensions, count."""
    import pandas as pd

    _derive(kind, typed, checker)
    _check_order(kind, typed, checker)
    if kind == "calls":
        _check_outcome(typed, checker)
    _check_duplicates(kind, typed, columns, checker)

    reasons = checker.reason if checker.any else None
    rejected = reasons.notna() if reasons is not None else None
    if reasons is not None and rejected is not None and rejected.any():
        used = typed.loc[~rejected]
        rejects = pd.DataFrame({"row": reasons.index[rejected], "reason": reasons[rejected].to_numpy()})
    else:
        used = typed
        rejects = pd.DataFrame({"row": pd.Series([], dtype="int64"), "reason": pd.Series([], dtype="object")})
    kept = [c for c in extra_columns if _key(c) not in used.columns]
    for column in kept:  # keep other columns as dimensions for later slicing
        values = extras(column)
        used[column] = values if used is typed else values.loc[used.index]
    summary = InputSummary(
        path=path, kind=kind, preset="generic", read=read, used=len(used),
        rejected_by_reason=rejects["reason"].value_counts(sort=False).to_dict() if len(rejects) else {},
        mapping={f: c for f, c in columns.items()},
        examples_by_reason={r: g["row"].head(EXAMPLES_PER_REASON).tolist()
                            for r, g in rejects.groupby("reason", sort=False)} if len(rejects) else {},
    )
    summary.rejected_by_reason = {k: int(v) for k, v in sorted(summary.rejected_by_reason.items())}
    return Dataset(kind=kind, path=path, frame=used, summary=summary, rejects=rejects, given=set(columns))


# -- checks ----------------------------------------------------------------------------

class _Checker:
    """Keeps the first failing reason per row; later checks never overwrite it.

    The reasons column is made at the first failure: a clean export of 10 M rows never
    holds 10 M empty reasons."""

    def __init__(self, index: "pd.Index") -> None:
        self.index = index
        self._reason: "pd.Series | None" = None

    @property
    def any(self) -> bool:
        """A row has failed a check."""
        return self._reason is not None

    @property
    def reason(self) -> "pd.Series":
        import pandas as pd

        if self._reason is None:
            return pd.Series(pd.NA, index=self.index, dtype="object")
        return self._reason

    def fail(self, bad: "pd.Series", reason: str) -> None:
        bad = bad.fillna(False).astype(bool)
        if not bad.any():  # the usual case on a clean export: nothing to mark
            return
        self._reason = self.reason.mask(self.reason.isna() & bad, reason)

    @property
    def ok(self) -> "pd.Series":
        import numpy as np
        import pandas as pd

        if self._reason is None:
            return pd.Series(np.ones(len(self.index), dtype=bool), index=self.index)
        return self._reason.isna()


def _clean_text(column: "pd.Series") -> "pd.Series":
    stripped = column.astype("str").str.strip()
    return stripped.mask(stripped.eq("") | column.isna())


def _type_fields(fields: list[Field], parse: "Callable[[Field], tuple[pd.Series, pd.Series]]",
                 checker: _Checker, index: "pd.Index") -> "pd.DataFrame":
    """Type each field with ``parse`` (→ values, cell present); checks 1–5 run in spec order across fields.

    ``parse`` gives a field's typed values (missing where the cell is empty or does not parse) and
    whether each cell was present, so the text path and the typed Arrow path share every check."""
    import pandas as pd

    parsed = {f.name: parse(f) for f in fields}
    for f in fields:  # 1. empty required field
        if f.required:
            checker.fail(~parsed[f.name][1], f"{f.name}: empty (required)")
    messages = {"datetime": "not a date", "number": "not a number", "bool": "not a boolean"}
    for ftype, message in messages.items():  # 2–4, each over every field of that type
        for f in fields:
            if _stage(f.type) != ftype:
                continue
            values, present = parsed[f.name]
            checker.fail(present & values.isna(), f"{f.name}: {message}")
            if f.type == "int":
                whole = values.isna() | (values == values.round())
                checker.fail(~whole, f"{f.name}: not a whole number")
    typed = pd.DataFrame({f.name: parsed.pop(f.name)[0] for f in fields}, index=index, copy=False)
    for f in fields:  # 5. negative duration or count
        if f.type in ("seconds", "int"):
            checker.fail(typed[f.name] < 0, f"{f.name}: negative")
    return typed


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
    if has_offset.any():  # to microseconds: a cell with nanoseconds (9 decimals) parses to ns
        out[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True,
                                         errors="coerce").dt.as_unit("us")
    naive = present & ~has_offset
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        local = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool),
                                     nonexistent="shift_forward")
        out[naive] = local.dt.tz_convert("UTC").dt.as_unit("us")
    return out


parse_datetime = _parse_datetime  #: public: state histories and presets type their times the same way


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
    """Seconds as float (NaN where either time is missing): one division, 10× ``dt.total_seconds()``."""
    import pandas as pd

    return delta / pd.Timedelta(seconds=1)


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


def _check_outcome(typed: "pd.DataFrame", checker: _Checker) -> None:
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
    if _all_distinct(ids):  # the usual case, told by one hash pass in Arrow
        return
    candidates = checker.ok & ids.notna()
    dup = ids.where(candidates).duplicated(keep="first") & candidates
    checker.fail(dup, duplicate_reason(id_field))


def duplicate_reason(id_field: str) -> str:
    """The reason a later copy of an id within a file is rejected (the first valid one is kept)."""
    return f"{id_field}: duplicate"


def _all_distinct(ids: "pd.Series") -> bool:
    """True when no two cells hold the same text (empty cells aside); False when unsure.

    Exports usually list their records in id order: ids that strictly increase (or decrease)
    are distinct, which one comparison of neighbours tells (40 ms for 10 M ids, where a hash
    of them all takes seconds). Otherwise one Arrow hash pass counts the distinct values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if getattr(ids.dtype, "storage", None) != "pyarrow":
        return False
    array = pc.drop_null(pa.array(ids.array))
    if len(array) < 2:
        return True
    later, earlier = array.slice(1), array.slice(0, len(array) - 1)
    if pc.all(pc.greater(later, earlier)).as_py() or pc.all(pc.less(later, earlier)).as_py():
        return True
    return len(pc.unique(array)) == len(array)


# -- the typed Arrow path ---------------------------------------------------------------

def normalise_arrow(arrays: "dict[str, pa.ChunkedArray]", *, rows: int, path: str, header: list[str], kind: str,
                    columns: dict[str, str], tz: str = "UTC") -> Dataset:
    """:func:`normalise` for columns Arrow has already typed (see :mod:`hdkpi.ingest.fastread`).

    Same checks, same reasons, same frame as the text path, which stays the reference: Arrow's
    strict reads mean a typed column holds only cells the text path also accepts (a cell Arrow
    cannot type sends the whole file down the text path instead). Timestamps arrive parsed
    (naive ones are wall-clock times in ``tz``), numbers as float64, flags and text as strings.
    ``arrays`` (source column → Arrow column) is emptied as the columns are converted, so that
    each column's Arrow buffers are freed once pandas holds its values (a lower peak of memory).
    """
    import numpy as np
    import pandas as pd

    index = pd.RangeIndex(1, rows + 1)

    def parse(f: Field) -> "tuple[pd.Series, pd.Series]":
        array = arrays.pop(columns[f.name])
        stage = _stage(f.type)
        if stage == "datetime":
            values = _arrow_datetime(array, tz, index)
            return values, values.notna()
        if stage == "number":
            raw = pd.Series(array.to_numpy(), index=index, dtype="float64")
            present = pd.Series(array.is_valid().to_numpy(), index=index)  # a written "nan" is present
            return raw.where(np.isfinite(raw)), present
        if stage == "bool":
            return _arrow_bool(array, index)
        cells = _arrow_text(array, index)
        return cells, cells.notna()

    checker = _Checker(index)
    typed = _type_fields([f for f in SCHEMAS[kind] if f.name in columns], parse, checker, index)
    extras = [c for c in header if c not in columns.values()]
    return finish(kind, path, typed, columns, checker, read=rows,
                  extras=lambda c: _arrow_text(arrays.pop(c), index), extra_columns=extras)


def _arrow_text(array: "pa.ChunkedArray", index: "pd.Index") -> "pd.Series":
    """Text cells as the text path cleans them: stripped, empty → missing (pandas ``str`` dtype)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(array.type):
        array = array.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    cleaned = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    return pa.table({"text": cleaned}).to_pandas()["text"].set_axis(index)


def _arrow_bool(array: "pa.ChunkedArray", index: "pd.Index") -> "tuple[pd.Series, pd.Series]":
    """Flags as :func:`_parse_bool` reads them (trimmed, any case): (values, present).

    The column arrives dictionary-encoded (a flag column holds a handful of distinct words), so
    each distinct word is read once and the rows take their word's reading by index."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    values, missing, present = [], [], []
    for chunk in array.chunks:
        # the same kernels as the text path's str.strip() and str.lower() (Unicode rules of Arrow's)
        words = pc.utf8_lower(pc.utf8_trim_whitespace(chunk.dictionary)).to_pylist()
        # one slot per word, and a last one for an empty cell (index -1 after filling nulls)
        word_value = np.array([w in TRUE_WORDS for w in words] + [False])
        word_missing = np.array([w not in TRUE_WORDS and w not in FALSE_WORDS for w in words] + [True])
        word_present = np.array([bool(w) for w in words] + [False])
        codes = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False) if chunk.null_count else \
            chunk.indices.to_numpy(zero_copy_only=False)
        values.append(word_value[codes])
        missing.append(word_missing[codes])
        present.append(word_present[codes])
    if not values:
        values = missing = present = [np.zeros(0, dtype=bool)]
    flags = pd.Series(pd.arrays.BooleanArray(np.concatenate(values), np.concatenate(missing)), index=index)
    return flags, pd.Series(np.concatenate(present), index=index)


def _arrow_datetime(array: "pa.ChunkedArray", tz: str, index: "pd.Index") -> "pd.Series":
    """Arrow timestamps as UTC; naive ones localised in ``tz`` exactly as :func:`_parse_datetime` does."""
    import numpy as np

    values = array.to_pandas().set_axis(index)  # set_axis, not Series(…, index=): that would realign
    if array.type.tz is not None:
        return values.astype("datetime64[us, UTC]")
    local = values.astype("datetime64[us]")
    local = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")
