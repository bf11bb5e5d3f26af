"""One CSV row per record — (KPI, group…, period) — for spreadsheets, pandas and BI tools.

Columns: ``kpi, title``, one column per group dimension (``report.by`` first, then any other
dimension found in the records' groups, e.g. the ``by:`` of a per-segment target), ``period, value,
unit, n, numerator, denominator, method, target, status, previous, change, notes, partial``
(``partial``, added last: ``true`` for a ``--every`` period the data covers only in part, else empty;
hdkpi.engine.coverage). A dimension whose name is also a fixed column (``status``, ``notes``…) gets the
column ``group:NAME``. New columns are only ever added at the end.

Cells:

* Numbers are machine units (seconds, fractions 0–1, counts, scores), written as numbers: whole
  values as integers (``7``), others with up to 12 significant digits (``0.142857142857``), so a
  value reads back exactly the same on every platform. A negative number (a change of
  ``-0.107142857143``) is a number and is written as one.
* An empty cell is a missing value (no data, no comparison), or a dimension the record is not
  broken down by (the overall record has every group cell empty). A group of the records with no
  value for the dimension reads ``(empty)``, as in the table.
* Text cells (KPI names, titles, group values, periods, methods, targets, notes, headers) that
  begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed with a single quote
  ``'``, so a spreadsheet shows them as text instead of running them as a formula — the
  neutralisation of the OWASP "CSV Injection" guidance
  (https://owasp.org/www-community/attacks/CSV_Injection). Numbers are never prefixed. A program
  reading the file back strips a leading ``'`` that precedes one of those characters.

Format: RFC 4180 quoting by the :mod:`csv` module (a cell with a comma, a double quote, a line feed
or a carriage return is double-quoted, inner quotes doubled), UTF-8 without a byte-order mark, and
``\\n`` line ends — the line end of Unix tools, pandas, Python and every spreadsheet reader, and the
one git leaves alone; RFC 4180 asks for CRLF, which readers accept but do not require. Line breaks
inside a quoted cell are kept as they are.
"""

from __future__ import annotations

import csv
import io

from ..model import Report, Verdict
from ..output import number_cell, text_cell
from .base import Formatter

FIXED_HEAD = ("kpi", "title")
FIXED_TAIL = ("period", "value", "unit", "n", "numerator", "denominator", "method", "target", "status",
              "previous", "change", "notes", "partial")
#: first characters a spreadsheet may read as the start of a formula (OWASP CSV Injection)
EMPTY_GROUP = "(empty)"


def dimensions(report: Report) -> list[str]:
    """``report.by``, then the other dimensions of the records' groups in order of appearance."""
    dims = list(report.by)
    for v in report.verdicts:
        for dim in v.result.group:
            if dim not in dims:
                dims.append(dim)
    return dims


def header(dims: list[str]) -> list[str]:
    fixed = set(FIXED_HEAD) | set(FIXED_TAIL)
    return [*FIXED_HEAD, *(f"group:{d}" if d in fixed else d for d in dims), *FIXED_TAIL]


def row(v: Verdict, dims: list[str]) -> list[str]:
    r = v.result
    groups = []
    for dim in dims:
        if dim not in r.group:
            groups.append("")
        else:
            groups.append(text_cell(EMPTY_GROUP if r.group[dim] is None else r.group[dim]))
    c = r.compare
    return [
        text_cell(r.kpi), text_cell(r.title), *groups, text_cell(r.period),
        number_cell(r.value), text_cell(r.unit), number_cell(r.n),
        number_cell(r.numerator), number_cell(r.denominator), text_cell(r.method),
        text_cell(v.target.text if v.target else None), text_cell(v.status),
        number_cell(c.value if c else None), number_cell(c.change if c else None),
        text_cell("; ".join(r.notes)), "true" if r.partial else "",
    ]


class CsvFormatter(Formatter):
    def render(self, report: Report) -> str:
        dims = dimensions(report)
        rows: list[list[str]] = [[text_cell(h) for h in header(dims)]]
        rows += [row(v, dims) for v in report.verdicts]
        # CRLF is the csv module's terminator for which it quotes cells holding a bare CR as well as an
        # LF (with "\n" it leaves a CR unquoted); each row's final CRLF is then swapped for "\n"
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        out = []
        for cells in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(cells)
            out.append(buffer.getvalue()[:-2] + "\n")
        return "".join(out)
