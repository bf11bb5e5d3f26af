"""Stage 1 — load: read an export into a table of raw text cells.

Every cell stays text here (empty cells are missing); typing happens in
:mod:`hdkpi.normalise`, where a bad value becomes a rejected row with a reason
instead of a failed read. Reading uses pyarrow's multithreaded CSV parser with
every column typed as string up front (no inference pass, no mixed blocks).
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DELIMITERS = ",;\t|"
_HEAD_BYTES = 1 << 16


@dataclass
class RawTable:
    """An export as read: text cells, the header as written, and where it came from."""

    path: str  #: as the user gave it (``-`` for stdin)
    frame: "pd.DataFrame"  #: one column per header name, str dtype, NA for empty cells; index = data row (1-based)
    header: list[str]
    delimiter: str


def read_table(path: str) -> RawTable:
    """Read a delimited text export (optionally .gz/.bz2/.xz compressed); ``-`` is stdin."""
    source = _open_source(path)
    head = _read_head(source, path)
    text = head.decode("utf-8-sig", errors="replace")
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise InputError("the file is empty (no header line); export it again with column headers", path=path)
    delimiter = _sniff_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter))
    header = [h.strip() for h in header]
    _check_header(header, path)
    table = _read_csv(source, path, header, delimiter)
    frame = table.to_pandas()
    frame.columns = header
    frame.index = range(1, len(frame) + 1)
    return RawTable(path=path, frame=frame, header=header, delimiter=delimiter)


def peek(path: str) -> str:
    """The first 64 KiB of a file as text (decompressed), for preset detection; stdin is not peeked."""
    if path == "-":
        return ""
    return _read_head(_open_source(path), path).decode("utf-8-sig", errors="replace")


def _open_source(path: str) -> "bytes | str":
    """stdin is read into memory once; a file path is handed to pyarrow as is."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return data
    p = Path(path)
    if not p.exists():
        raise InputError("no such file; check the path", path=path)
    if p.is_dir():
        raise InputError("is a directory; give the export file itself", path=path)
    return path


def _read_head(source: "bytes | str", path: str) -> bytes:
    import pyarrow as pa

    if isinstance(source, bytes):
        return source[:_HEAD_BYTES]
    try:
        with pa.input_stream(source, compression="detect") as stream:
            return stream.read(_HEAD_BYTES)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""
    counts = {d: len(next(csv.reader([line], delimiter=d))) for d in DELIMITERS}
    best = max(counts.values())
    return next(d for d in DELIMITERS if counts[d] == best)


def _check_header(header: list[str], path: str) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            raise InputError(f"column {position} of the header has no name; name it or remove it", path=path,
                             line=1)
        if name in seen:
            raise InputError(f"duplicate column name {name!r} (columns {seen[name]} and {position}); "
                             "rename one of them", path=path, line=1)
        seen[name] = position


def _read_csv(source: "bytes | str", path: str, header: list[str], delimiter: str):
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    read_options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24)
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert_options = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    stream = io.BytesIO(source) if isinstance(source, bytes) else pa.input_stream(source, compression="detect")
    try:
        return pacsv.read_csv(stream, read_options=read_options, parse_options=parse_options,
                              convert_options=convert_options)
    except pa.ArrowInvalid as exc:
        message = str(exc).splitlines()[0]
        if message.startswith("CSV parse error: "):
            message = message[len("CSV parse error: "):]
        raise InputError(f"not a readable {_delimiter_name(delimiter)}-separated file: {message}",
                         path=path) from None
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]
