"""Stage 1 — load: read an export into a table of raw text cells.

Every cell stays text here (empty cells are missing); typing happens in
:mod:`hdkpi.ingest.normalise`, where a bad value becomes a rejected row with a reason
instead of a failed read. Reading uses pyarrow's multithreaded CSV parser with
every column typed as string up front (no inference pass, no mixed blocks).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DELIMITERS = ",;\t|"
#: set by the pipeline when a terminal shows progress: called with "reading FILE: 42%"
PROGRESS: ContextVar[Callable[[str], None] | None] = ContextVar("PROGRESS", default=None)
PROGRESS_FROM_BYTES = 8 << 20
BLOCK_BYTES = 1 << 24
_HEAD_BYTES = 1 << 16
_HEADER_LIMIT = 1 << 24
csv.field_size_limit(_HEADER_LIMIT)  # a header may hold a huge cell; the csv module's default is 128 KiB


@dataclass
class RawTable:
    """An export as read: text cells, the header as written, and where it came from."""

    path: str  #: as the user gave it (``-`` for stdin)
    frame: "pd.DataFrame"  #: one column per header name, str dtype, NA for empty cells; index = data row (1-based)
    header: list[str]
    delimiter: str


def read_table(path: str, encoding: str | None = None) -> RawTable:
    """Read a delimited text export (optionally .gz/.bz2/.xz/.zip compressed); ``-`` is stdin.

    The encoding is UTF-8 (with or without BOM), UTF-16 with a BOM, or cp1252 when the bytes are
    not UTF-8, unless ``encoding`` says otherwise; pyarrow transcodes while it parses.
    """
    suffix = "".join(Path(path).suffixes[-2:]).lower() if path != "-" else ""
    if suffix.endswith(".parquet"):
        return _read_parquet(path)
    if suffix.endswith(".xlsx"):
        return _read_xlsx(path)
    source = _open_source(path)
    head = _read_head(source, path)
    if head.lstrip()[:1] == b"{" or suffix.endswith((".jsonl", ".ndjson")):
        return read_json_lines(source, path)
    if _looks_binary(head):
        raise InputError("not a text export (binary content: a spreadsheet, PDF or archive?); export it as "
                         "CSV", path=path)
    encoding = encoding or detect_encoding(head)
    text = _decode(head, encoding)
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise InputError("the file is empty (no header line); export it again with column headers", path=path)
    delimiter = _sniff_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter))
    header = _check_header([h.strip() for h in header], path)
    table = _read_csv(source, path, header, delimiter, encoding)
    _check_swallowed_rows(table, source, path, delimiter, len(header))
    frame = table.to_pandas()
    frame.columns = header
    frame.index = range(1, len(frame) + 1)
    return RawTable(path=path, frame=frame, header=header, delimiter=delimiter)


def _check_swallowed_rows(table: Any, source: "bytes | str", path: str, delimiter: str, width: int) -> None:
    """A quote opened and never closed makes the next records part of one cell; refuse it rather than
    lose those rows silently. Only cells holding a line break are looked at (few, and vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if width < 3:
        return
    for column in table.columns:
        if not pa.types.is_string(column.type):
            continue
        multi = pc.match_substring(column, "\n")
        if not pc.any(multi).as_py():
            continue
        for cell in pc.filter(column, multi).to_pylist():
            for inner in cell.split("\n")[1:]:
                if inner.count(delimiter) >= width - 1:  # a whole record inside one cell
                    first = cell.split("\n")[0]
                    line = _line_of(source, '"' + first) or _line_of(source, first)
                    raise InputError("a quote opened here is never closed: the records after it are swallowed "
                                     "into one cell (close the quote, or export again)", path=path, line=line)

def _as_text_table(table: "Any", path: str, delimiter: str) -> RawTable:
    """Any Arrow table as a RawTable of text cells (hdkpi types values itself, with reasons)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S" + ("%z" if column.type.tz else ""))
        elif not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = pc.cast(column, pa.string()) if not pa.types.is_nested(column.type) else \
                pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    frame = pa.table(columns, names=[str(n).strip() for n in table.column_names]).to_pandas()
    header = _check_header(list(frame.columns), path)
    frame.columns = header
    frame.index = range(1, len(frame) + 1)
    return RawTable(path=path, frame=frame, header=header, delimiter=delimiter)


def table_of(data: Any, name: str) -> RawTable:
    """An in-memory table (a pandas DataFrame or an Arrow table) as text cells, as a file of the same cells
    would be read: every value is text for normalise to type and check (aware datetimes keep their offset,
    naive ones are read in --tz), so a DataFrame and the CSV written from it give the same records."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        table = data
    else:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InputError(f"not a table: a {type(data).__name__}; give a pandas DataFrame, an Arrow table or a "
                             "file path", path=name)
        frame = data.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        for column in frame.columns:  # categories and nullable types → their values, as a CSV would hold them
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype(frame[column].cat.categories.dtype)
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):  # mixed objects: their text
            table = pa.Table.from_pandas(frame.astype("string"), preserve_index=False)
    return _as_text_table(table, name, "table")


def _read_parquet(path: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _open_source(path)
    try:
        return _as_text_table(pq.read_table(path), path, "parquet")
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"not a readable Parquet file: {str(exc).splitlines()[0]}", path=path) from None


def _read_xlsx(path: str) -> RawTable:
    """The first sheet of an .xlsx workbook (needs the optional openpyxl: pip install 'hdkpi[xlsx]')."""
    import pandas as pd
    import pyarrow as pa

    _open_source(path)
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise InputError("reading .xlsx needs openpyxl: pip install 'hdkpi[xlsx]', or save the sheet as CSV",
                         path=path) from None
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise InputError(f"not a readable .xlsx workbook: {exc}", path=path) from None
    return _as_text_table(pa.Table.from_pandas(frame, preserve_index=False), path, "xlsx")


def read_json_lines(source: "bytes | str", path: str) -> RawTable:
    """JSON lines (one object per line; nested objects flattened to dotted names)."""
    import pyarrow as pa
    import pyarrow.json as pajson

    stream = io.BytesIO(source) if isinstance(source, bytes) else pa.input_stream(source, compression="detect")
    try:
        table = pajson.read_json(stream).flatten()
        while any(pa.types.is_struct(c.type) for c in table.columns):
            table = table.flatten()
    except pa.ArrowException as exc:
        raise InputError(f"not readable JSON lines: {str(exc).splitlines()[0]}", path=path) from None
    return _as_text_table(table, path, "json")


def detect_encoding(head: bytes) -> str:
    """utf-16 (BOM), utf-8 (BOM or valid), else cp1252 (the usual Windows export)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8"
        return "cp1252"


def _decode(head: bytes, encoding: str) -> str:
    if encoding.lower().replace("-", "") in ("utf8", "utf8sig"):
        return head.decode("utf-8-sig", errors="replace")
    return head.decode(encoding, errors="replace").lstrip("\ufeff")


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head[:4096] or head.startswith((b"%PDF", b"PK\x03\x04"))


def peek(path: str) -> str:
    """The first 64 KiB of a file as text (decompressed), for preset detection; stdin is not peeked, and
    a binary file gives nothing to detect (read_table then refuses it with the reason)."""
    if path == "-":
        return ""
    head = _read_head(_open_source(path), path)
    if _looks_binary(head):
        return ""
    return _decode(head, detect_encoding(head))


def _open_source(path: str) -> "bytes | str":
    """stdin is read into memory once; a file path is handed to pyarrow as is."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return data
    p = Path(path)
    if ".zip:" in path.lower() and not p.exists():  # archive.zip:member.csv
        split = path.lower().index(".zip:") + 4
        return _zip_member(Path(path[:split]), path, member=path[split + 1:])
    if p.suffix.lower() == ".zip" and p.is_file():
        return _zip_member(p, path)
    if p.suffix.lower() == ".xz" and p.is_file():  # pyarrow streams gzip, bz2, zstd, not xz: decompress here
        import lzma

        try:
            return lzma.decompress(p.read_bytes())
        except lzma.LZMAError as exc:
            raise InputError(f"not a readable .xz file: {exc}", path=path) from None
    if not p.exists():
        raise InputError("no such file; check the path", path=path)
    if p.is_dir():
        raise InputError("is a directory; give the export file itself", path=path)
    return path


def _zip_member(p: Path, path: str, member: str | None = None) -> bytes:
    """One member of a .zip export: the only one, or ``archive.zip:member.csv`` (read into memory)."""
    import zipfile

    if not p.is_file():
        raise InputError("no such file; check the path", path=path)
    try:
        with zipfile.ZipFile(p) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if member is not None:
                if member not in members:
                    raise InputError(f"no member {member!r} in {p.name}; members: {', '.join(members[:10])}",
                                     path=path)
                return archive.read(member)
            if len(members) != 1:
                raise InputError(f"a .zip with {len(members)} files ({', '.join(members[:5])}); name one as "
                                 f"{p.name}:{members[0]}", path=path)
            return archive.read(members[0])
    except zipfile.BadZipFile:
        raise InputError("not a readable .zip file", path=path) from None


def _read_head(source: "bytes | str", path: str) -> bytes:
    """The first 64 KiB — or more, up to 16 MiB, until the header line ends (a huge column name)."""
    import pyarrow as pa

    if isinstance(source, bytes):
        head = source[:_HEAD_BYTES]
        return head if b"\n" in head or len(source) <= _HEAD_BYTES else source[:_HEADER_LIMIT]
    try:
        with pa.input_stream(source, compression="detect") as stream:
            head = stream.read(_HEAD_BYTES)
            while b"\n" not in head and len(head) < _HEADER_LIMIT:
                more = stream.read(_HEAD_BYTES)
                if not more:
                    break
                head += more
            return head
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""
    counts = {d: len(next(csv.reader([line], delimiter=d))) for d in DELIMITERS}
    best = max(counts.values())
    return next(d for d in DELIMITERS if counts[d] == best)


def _check_header(header: list[str], path: str) -> list[str]:
    """The header with repeated names numbered (Jira repeats Comment, Labels, Watchers…); a repeated
    canonical field name is refused, since which copy holds the data cannot be told."""
    import re

    from ..fields import all_field_names

    canonical = all_field_names()
    seen: dict[str, int] = {}
    names = []
    for position, name in enumerate(header, start=1):
        if not name:
            raise InputError(f"column {position} of the header has no name; name it or remove it", path=path,
                             line=1)
        if name in seen:
            if re.sub(r"[\s\-]+", "_", name.strip().lower()) in canonical:
                raise InputError(f"duplicate column name {name!r} (columns {seen[name]} and {position}), a "
                                 "canonical field; rename one of them", path=path, line=1)
            copies = sum(1 for n in header[:position - 1] if n == name) + 1
            names.append(f"{name} ({copies})")
            continue
        seen[name] = position
        names.append(name)
    return names


def csv_options(header: list[str], delimiter: str, encoding: str = "utf-8", types: "list[Any] | None" = None,
                newlines_in_values: bool = True, only: list[str] | None = None) -> tuple[Any, Any, Any]:
    """How hdkpi reads a delimited file with Arrow (read, parse and convert options): columns named by
    position, the header line skipped, every cell text unless ``types``, an empty cell missing;
    ``only``: just these columns of the header."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    types = types or [pa.string()] * len(names)
    read_options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES,
                                     encoding="utf8" if encoding.lower().replace("-", "") == "utf8" else encoding)
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=newlines_in_values)
    column_types = dict(zip(names, types))
    wanted = None if only is None else [names[header.index(h)] for h in only]
    if wanted is not None:
        column_types = {n: column_types[n] for n in wanted}
    convert_options = pacsv.ConvertOptions(
        column_types=column_types,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        **({} if wanted is None else {"include_columns": wanted}),
    )
    return read_options, parse_options, convert_options


def _read_csv(source: "bytes | str", path: str, header: list[str], delimiter: str, encoding: str = "utf-8",
              types: "list[Any] | None" = None, newlines_in_values: bool = True):
    """The data rows of a delimited file; every column text unless ``types`` (one Arrow type per column).

    ``newlines_in_values=False`` reads faster (blocks are cut at any line end), for callers that
    check afterwards that no cell holds a line break (a cut inside a quoted cell would show one)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    read_options, parse_options, convert_options = csv_options(header, delimiter, encoding, types,
                                                               newlines_in_values)
    stream = io.BytesIO(source) if isinstance(source, bytes) else pa.input_stream(source, compression="detect")
    report = PROGRESS.get()
    size = Path(source).stat().st_size if isinstance(source, str) else len(source)
    try:
        if report is None or size < PROGRESS_FROM_BYTES:
            return pacsv.read_csv(stream, read_options=read_options, parse_options=parse_options,
                                  convert_options=convert_options)
        # a big file on a terminal: stream it in blocks and say how far it is (compressed: blocks read)
        reader = pacsv.open_csv(stream, read_options=read_options, parse_options=parse_options,
                                convert_options=convert_options)
        batches = []
        raw = Path(source).suffix.lower() not in (".gz", ".bz2", ".zst", ".lz4") if isinstance(source, str) else True
        for batch in reader:  # each block is block_size bytes of (uncompressed) text
            batches.append(batch)
            done = min(len(batches) * read_options.block_size / size, 1.0) if raw else None
            report(f"reading {path}: {done:.0%}" if done is not None else f"reading {path}: {len(batches)} blocks")
        return pa.Table.from_batches(batches, schema=reader.schema)
    except pa.ArrowInvalid as exc:
        message = str(exc).splitlines()[0]
        if message.startswith("CSV parse error: "):
            message = message[len("CSV parse error: "):]
        line = None
        if message.startswith("Expected ") and ": " in message:
            counts, _, row = message.partition(": ")
            line = _line_of(source, row)
            message = f"{counts} (a ragged row: fix its delimiters or quotes)" if line else message
        raise InputError(f"not a readable {_delimiter_name(delimiter)}-separated file: {message}",
                         path=path, line=line) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not readable as {encoding} text (byte 0x{exc.object[exc.start]:02x} at {exc.start}); "
                         "save it as UTF-8, or it is not a text export", path=path) from None
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _line_of(source: "bytes | str", row: str) -> int | None:
    """The line number where a row's text stands (for an error message; files up to 256 MiB)."""
    import pyarrow as pa

    try:
        if isinstance(source, bytes):
            data = source
        else:
            with pa.input_stream(source, compression="detect") as stream:
                data = stream.read(1 << 28)
    except (OSError, pa.ArrowException):
        return None
    at = data.find(row.encode("utf-8", errors="replace"))
    return None if at < 0 else data.count(b"\n", 0, at) + 1


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]
