"""The typed read: a clean canonical CSV straight into typed Arrow columns.

The text path (:func:`hdkpi.ingest.load.read_table` → :func:`hdkpi.ingest.normalise.normalise`) reads every
cell as text and types it in pandas, so that a bad cell becomes a rejected row with its reason.
Most big exports are clean, and typing them in pandas is most of a run's time. This path asks
Arrow's CSV reader for the canonical types up front — timestamps parsed with their offsets,
numbers as float64 — which is several times faster and holds a fraction of the memory.

Arrow's conversion is strict: one cell it cannot type (a date in another layout, a number with
a space, zoned and naive times mixed in one column) makes this path give up, and the text path
reads the file and rejects that row with its reason. So the typed path is only ever a faster
way to the same :class:`~hdkpi.ingest.normalise.Dataset`; ``tests/test_fastread.py`` holds the two
equal on clean and messy files alike. Presets other than ``generic``, ``;``-separated files
(decimal commas), non-UTF-8 text, JSON lines, Parquet, spreadsheets, archives and stdin always
take the text path.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..fields import SCHEMAS

if TYPE_CHECKING:  # pragma: no cover
    from .normalise import Dataset

#: files the typed path reads (compressed ones through Arrow's own decompression)
SUFFIXES = (".csv", ".txt", ".tsv", ".gz", ".bz2", ".zst")
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
#: the layouts Arrow's ISO 8601 parser reads as the text path would: zoned, and naive (wall clock)
_ZONED = re.compile(rf"^{_DATE}{_TIME}(?:Z|[+-]\d{{2}}(?::?\d{{2}})?)$")
_NAIVE = re.compile(rf"^{_DATE}(?:{_TIME})?$")
SAMPLE_ROWS = 200


def read_typed(path: str, *, kind_of: Callable[[list[str]], str | None],
               mapping_for: Callable[[str], dict[str, str]], tz: str) -> "tuple[Dataset, list[str]] | None":
    """(dataset, header) by the typed read, or None when the file must take the text path."""
    plan = typed_plan(path, kind_of, mapping_for)
    if plan is None:
        return None
    header, delimiter, kind, columns, types = plan
    from .load import _read_csv
    from .normalise import normalise_arrow

    try:
        table = _read_csv(path, path, header, delimiter, "utf-8", types, newlines_in_values=False)
    except InputError:  # a cell Arrow cannot type, or a malformed file: the text path says which
        return None
    if has_line_break(table):
        return None
    rows, arrays = table.num_rows, dict(zip(header, table.columns))
    del table  # normalise_arrow frees each column once converted
    return normalise_arrow(arrays, rows=rows, path=path, header=header, kind=kind, columns=columns, tz=tz), header


def has_line_break(table: Any) -> bool:
    """Whether a text cell of this Arrow table holds a line break — or a quote was cut at a block's
    end, which looks the same when blocks are cut at any line end (``newlines_in_values=False``):
    the text path reads those cells whole."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return any(pa.types.is_string(column.type) and pc.any(pc.match_substring(column, "\n")).as_py()
               for column in table.columns)


def typed_plan(path: str, kind_of: Callable[[list[str]], str | None],
          mapping_for: Callable[[str], dict[str, str]]) -> tuple[list[str], str, str, dict[str, str], list[Any]] | None:
    """(header, delimiter, kind, columns, one Arrow type per column) when the typed path applies."""
    import pyarrow as pa

    from .load import _check_header, _decode, _looks_binary, _read_head, _sniff_delimiter, detect_encoding
    from .normalise import _stage, plan_columns
    from .presets import detect_preset

    p = Path(path)
    if path == "-" or p.suffix.lower() not in SUFFIXES or not p.is_file():
        return None
    try:
        head = _read_head(path, path)
    except InputError:
        return None
    if _looks_binary(head) or head.lstrip()[:1] == b"{" or detect_encoding(head) != "utf-8":
        return None
    text = _decode(head, "utf-8")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return None
    first = lines[0]
    split = [h.strip() for h in re.split(r"[,;\t|]", first)]
    if detect_preset(split, text)[0] is not None:  # a vendor's layout: its preset reads it
        return None
    delimiter = _sniff_delimiter(first)
    if delimiter == ";":  # decimal commas are the text path's to read
        return None
    try:
        header = _check_header([h.strip() for h in next(csv.reader([first], delimiter=delimiter))], path)
        kind = kind_of(header)
        if kind is None:
            return None
        kind, columns = plan_columns(header, path, kind, mapping_for(kind))
    except (InputError, UsageError):
        return None
    complete = lines[1:-1] if len(lines) > 2 else lines[1:]  # the last line of the head may be cut short
    sample = list(csv.reader(complete[:SAMPLE_ROWS], delimiter=delimiter))
    position = {name: i for i, name in enumerate(header)}
    types: list[Any] = [pa.string()] * len(header)
    for f in SCHEMAS[kind]:
        if f.name not in columns:
            continue
        at = position[columns[f.name]]
        stage = _stage(f.type)
        if stage == "number":
            types[at] = pa.float64()
        elif stage == "bool":  # a handful of distinct words: each read once (normalise._arrow_bool)
            types[at] = pa.dictionary(pa.int32(), pa.string())
        elif stage == "datetime":
            seen = next((row[at].strip() for row in sample if len(row) > at and row[at].strip()), None)
            if seen is None or _ZONED.match(seen):
                types[at] = pa.timestamp("us", tz="UTC")
            elif _NAIVE.match(seen):
                types[at] = pa.timestamp("us")
            else:  # day-first, 12-hour, epoch…: the text path decides the column's format
                return None
    return header, delimiter, kind, columns, types
