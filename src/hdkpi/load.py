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


def read_table(path: str, encoding: str | None = None) -> RawTable:
    """Read a delimited text export (optionally .gz/.bz2/.xz/.zip compressed); ``-`` is stdin.

    The encoding is UTF-8 (with or without BOM), UTF-16 with a BOM, or cp1252 when the bytes are
    not UTF-8, unless ``encoding`` says otherwise; pyarrow transcodes while it parses.
    """
    source = _open_source(path)
    head = _read_head(source, path)
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
    frame = table.to_pandas()
    frame.columns = header
    frame.index = range(1, len(frame) + 1)
    return RawTable(path=path, frame=frame, header=header, delimiter=delimiter)


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
    """The first 64 KiB of a file as text (decompressed), for preset detection; stdin is not peeked."""
    if path == "-":
        return ""
    head = _read_head(_open_source(path), path)
    return _decode(head, detect_encoding(head))


def _open_source(path: str) -> "bytes | str":
    """stdin is read into memory once; a file path is handed to pyarrow as is."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return data
    p = Path(path)
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


def _zip_member(p: Path, path: str) -> bytes:
    """The single member of a .zip export (zip is not a stream format: it is read into memory)."""
    import zipfile

    try:
        with zipfile.ZipFile(p) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise InputError(f"a .zip with {len(members)} files; unzip the export you mean and give it",
                                 path=path)
            return archive.read(members[0])
    except zipfile.BadZipFile:
        raise InputError("not a readable .zip file", path=path) from None


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


def _check_header(header: list[str], path: str) -> list[str]:
    """The header with repeated names numbered (Jira repeats Comment, Labels, Watchers…); a repeated
    canonical field name is refused, since which copy holds the data cannot be told."""
    import re

    from .fields import all_field_names

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


def _read_csv(source: "bytes | str", path: str, header: list[str], delimiter: str, encoding: str = "utf-8"):
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    read_options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24,
                                     encoding="utf8" if encoding.lower().replace("-", "") == "utf8" else encoding)
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
