"""Dates as exports write them, turned into ISO text for :mod:`hdkpi.ingest.normalise`, vectorised.

One format per column: ISO passes through; numeric dates (``5/3/2016 12:00``) are day-first or
month-first as the column's values decide (a first part above 12 settles it; when every value is
ambiguous the caller must say, never a silent guess); Jira's ``23/Nov/26 8:07 AM``; epoch seconds or
milliseconds. A cell that does not fit the column's format is left as it was, so normalise rejects
its row as "not a date" with the others.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import TYPE_CHECKING

from ...errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})" + _TIME)
_MONTH_NAME = re.compile(r"^(\d{1,2})[/\- ]([A-Za-z]{3})[/\- ](\d{2}|\d{4})" + _TIME)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_EPOCH = re.compile(r"^\d{10}(\d{3})?(\.\d+)?$")
SAMPLE = 2000
ISO_8601, NOT_A_DATE = "ISO 8601", "not a date"  #: layouts of a column (layout()) besides a strftime format
EPOCHS = ("epoch seconds", "epoch milliseconds")
#: the user's --dayfirst/--monthfirst for this run (None: decided from each column's values)
PREFERRED_DAYFIRST: ContextVar[bool | None] = ContextVar("PREFERRED_DAYFIRST", default=None)


def _format(match: re.Match[str], order: str) -> str:
    _, _, year, hour, _, second, ampm = match.groups()
    sep = match.string[len(match.group(1))]
    first, second_part = ("%d", "%m") if order == "dayfirst" else ("%m", "%d")
    if order == "monthname":
        first, second_part = "%d", "%b"
    fmt = f"{first}{sep}{second_part}{sep}{'%Y' if len(year) == 4 else '%y'}"
    if hour is not None:
        fmt += " " + ("%I" if ampm else "%H") + ":%M" + (":%S" if second else "") + (" %p" if ampm else "")
    return fmt


def to_iso(text: "pd.Series", *, column: str, path: str, dayfirst: bool | None = None,
           fmt: str | None = None) -> "pd.Series":
    """``text`` with every date written as ISO 8601 (cells that do not parse are left unchanged)."""
    import pandas as pd

    if text.dropna().empty:
        return text
    if fmt is None:
        fmt = layout(text, column=column, path=path, dayfirst=dayfirst)
        if fmt in (None, ISO_8601, NOT_A_DATE):  # ISO: the odd bad cell is normalise's to reject; no known
            return text  # layout: normalise rejects each row as "not a date", counted
        if fmt in EPOCHS:
            # seconds (10 digits) or milliseconds (13) decided per cell: exports mix them
            digits = text.astype("str").str.strip().str.split(".").str[0].str.len()
            number = pd.to_numeric(text, errors="coerce")
            seconds = number.where(digits < 13, number / 1000)
            parsed = pd.to_datetime(seconds, unit="s", utc=True)
            return _written(text, parsed, with_offset=True)
    cleaned = text.astype("str").str.strip().str.replace(r"\s+", " ", regex=True)
    parsed = pd.to_datetime(cleaned, format=fmt, errors="coerce")
    return _written(text, parsed, with_offset=False)


def layout(text: "pd.Series", *, column: str, path: str, dayfirst: bool | None = None) -> str | None:
    """How :func:`to_iso` reads a column: ``ISO 8601``, ``epoch seconds`` or ``epoch milliseconds`` (by
    its longest value), the strftime format guessed from its values, or ``not a date`` (no known
    layout); None when it has no values. Raises InputError where the values cannot tell. The Dask
    engine compares it between the blocks of a file (the pandas engine decides once per file)."""
    present = text.dropna()
    if present.empty:
        return None
    if dayfirst is None:
        dayfirst = PREFERRED_DAYFIRST.get()
    sample = present.head(SAMPLE).astype(str).str.strip()
    if sample.str.match(_ISO).mean() > 0.5:
        return ISO_8601
    if sample.str.match(_EPOCH).all():
        return EPOCHS[1] if sample.str.len().max() >= 13 else EPOCHS[0]
    return _guess(present.astype(str).str.strip(), column=column, path=path, dayfirst=dayfirst) or NOT_A_DATE


def _written(text: "pd.Series", parsed: "pd.Series", *, with_offset: bool) -> "pd.Series":
    iso = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S" + ("%z" if with_offset else ""))
    return iso.where(parsed.notna(), text)


def _guess(values: "pd.Series", *, column: str, path: str, dayfirst: bool | None) -> str | None:
    """One explicit format for the column, decided from all its values."""
    named = values.str.extract(_MONTH_NAME)
    if named[0].notna().mean() > 0.5:
        first = values[named[0].notna()].iloc[0]
        return _format(_MONTH_NAME.match(first), "monthname")  # type: ignore[arg-type]
    parts = values.str.extract(_NUMERIC)
    matched = parts[0].notna()
    if matched.mean() <= 0.5:
        return None
    a = parts.loc[matched, 0].astype(int)
    b = parts.loc[matched, 1].astype(int)
    if dayfirst is None:
        if (a > 12).any() and (b > 12).any():
            raise InputError(f"column {column!r}: numeric dates with a day above 12 in both places "
                             f"(e.g. {values[matched].iloc[0]!r}); they are not dates of one format", path=path)
        if (a > 12).any():
            dayfirst = True
        elif (b > 12).any():
            dayfirst = False
        else:
            raise InputError(f"column {column!r}: every date is ambiguous (day and month both ≤ 12, e.g. "
                             f"{values[matched].iloc[0]!r}); say which with --dayfirst or --monthfirst",
                             path=path)
    # one format for the column: the richest time part among the values (seconds, AM/PM)
    longest = values[matched].loc[values[matched].str.len().idxmax()]
    return _format(_NUMERIC.match(longest), "dayfirst" if dayfirst else "monthfirst")  # type: ignore[arg-type]
