"""Writing results: atomically to a file, or to stdout."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import UsageError


def write_atomic(path: str, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` via a temporary file in the same directory and ``os.replace``.

    A reader never sees a half-written file, and a failure leaves the old file untouched and
    no temporary file behind. The new file gets the permissions of a normal new file.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        # a device, FIFO or socket (/dev/null, /dev/stdout, a pipe): write to it; never replace it
        if target.is_dir():
            raise UsageError(f"-o {path}: is a directory; give a file name")
        with (open(target, "wb") if isinstance(text, bytes)
              else open(target, "w", encoding="utf-8", newline="")) as handle:
            handle.write(text)
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"-o {path}: cannot create directory {str(directory)!r}: {exc.strerror}") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write there: {exc.strerror}") from None
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes)
              else os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def plan_outputs(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair ``-f`` and ``-o`` in order: ``-f json -o a.json -f html -o b.html``. A single ``-o`` with no
    ``-f`` keeps the default format; at most one format may go to stdout."""
    formats = formats or ("table",)
    if len(outputs) > len(formats):
        if len(formats) == 1 and len(outputs) == 1:
            pass
        else:
            raise UsageError(f"{len(outputs)} -o for {len(formats)} -f: give one -f before each -o")
    plan = [(fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(formats)]
    to_stdout = [fmt for fmt, path in plan if path in (None, "-")]
    if len(to_stdout) > 1:
        raise UsageError(f"formats {', '.join(to_stdout)} would all go to stdout; give each but one an -o FILE")
    return plan


def expand_path(template: str, report: Any) -> str:
    """``reports/{date}.json``, ``{period_end:%Y-%m-%d}``, ``{period_start:…}``, ``{command}``: dated file
    names for nightly jobs. ``date`` is the run's date; period ends are the window's (or the run's date)."""
    if "{" not in template:
        return template
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(getattr(report, "tz", "UTC") or "UTC")  # names follow the reporting zone, as periods do
    now = (report.generated_at or datetime.now(timezone.utc)).astimezone(zone)
    start = report.period_from.astimezone(zone) if report.period_from else now
    end = report.period_to.astimezone(zone) if report.period_to else now
    values = {"date": now.date(), "now": now, "command": report.command, "period_start": start, "period_end": end}
    try:
        return template.format(**values)
    except (KeyError, ValueError, IndexError) as exc:
        raise UsageError(f"-o {template}: bad template ({exc}); use {{date}}, {{period_end:%Y-%m-%d}}, "
                         "{period_start:%Y-%m-%d} or {command}") from None


#: first characters that make a spreadsheet read a text cell as a formula (OWASP "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: str) -> str:
    """A text cell safe to open in a spreadsheet: a leading formula character is quoted with '."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


# -- CSV cells, safe for spreadsheets (the CSV formatter and the history export write them) --------------

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def number_cell(x: float | int | None) -> str:
    """``7`` for whole values, up to 12 significant digits otherwise, empty for none/NaN/∞."""
    if x is None or isinstance(x, bool):
        return "" if x is None else str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return ""
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))  # also turns -0.0 into 0
    return format(x, ".12g")


def text_cell(text: str | None) -> str:
    """Text, neutralised against formula injection: a leading ``= + - @ TAB CR`` gets a ``'`` before it."""
    if text is None:
        return ""
    text = str(text)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text
