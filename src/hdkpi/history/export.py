"""``hdkpi history export``: a table of the history store as CSV (spreadsheet-safe cells) or Parquet."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path

from ..output import number_cell, text_cell
from .store import Store, table_rows


def export_csv(columns: list[str], rows: list[tuple]) -> str:
    """RFC 4180 rows; numbers exact (as in ``-f csv``), text cells neutralised against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([number_cell(x) if isinstance(x, (int, float)) else text_cell(x) for x in row])
    return buffer.getvalue()


def write_parquet(columns: list[str], rows: list[tuple], path: str) -> None:
    """A Parquet file written atomically (temporary file in the same directory, then rename)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=columns)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def export(store: Store, table: str, fmt: str, output: str | None) -> tuple[int, str | None]:
    """Export ``table``: Parquet is written to ``output``; CSV is returned as text for the caller to write.
    Returns the row count and the CSV text (None for Parquet)."""
    columns, rows = table_rows(store, table)
    if fmt == "parquet":
        assert output is not None
        write_parquet(columns, rows, output)
        return len(rows), None
    return len(rows), export_csv(columns, rows)
