"""Excel workbook (.xlsx) for the finance side: typed figures a spreadsheet can sum and chart.

Sheets: ``Figures`` (the overall figures), one per breakdown or period view (``by queue``, ``by day``,
``by queue × day``; per-segment targets' groups under ``by priority``), ``Inputs`` (row accounting and
the reasons rows were rejected), ``Settings`` (the settings of the run and the definition of each KPI
in it). Values are typed: shares are numbers shown as percentages, durations are Excel times
(``[h]:mm:ss``; the seconds stand beside them), counts and scores plain numbers; the status cell is
coloured; every sheet has a frozen header and filters. Text cells that a spreadsheet would read as a
formula are written as text with a leading ``'`` (as in CSV). Needs openpyxl: ``pip install 'hdkpi[xlsx]'``.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from ..errors import UsageError
from ..model import Report, Verdict
from ..output import guard
from .base import Formatter

FILLS = {"pass": "C6EFCE", "warn": "FFEB9C", "fail": "FFC7CE", "no-data": "EDEDED"}
FONTS = {"pass": "006100", "warn": "9C5700", "fail": "9C0006", "no-data": "595959"}
PERCENT = "0.0%"
TIME = "[h]:mm:ss"
MAX_SHEET_NAME = 31


def _text(value: Any) -> Any:
    return guard(value) if isinstance(value, str) else value


class XlsxFormatter(Formatter):
    binary = True  #: bytes, not text: written to a file (or a pipe), never to a terminal

    def render(self, report: Report) -> bytes:  # type: ignore[override]
        try:
            from openpyxl import Workbook
        except ImportError:
            raise UsageError("-f xlsx needs openpyxl: pip install 'hdkpi[xlsx]'") from None
        book = Workbook()
        views: dict[tuple[tuple[str, ...], bool], list[Verdict]] = {}
        for v in report.verdicts:
            views.setdefault((tuple(v.result.group), v.result.period is not None), []).append(v)
        first = book.active
        first.title = "Figures"
        self._figures(first, views.pop(((), False), []), [], False, report)
        for (dims, periodic), verdicts in views.items():
            name = "by " + " × ".join([*dims, *([report.every or "period"] if periodic else [])])
            sheet = book.create_sheet(self._unique(book, name))
            self._figures(sheet, verdicts, list(dims), periodic, report)
        self._inputs(book.create_sheet("Inputs"), report)
        self._settings(book.create_sheet("Settings"), report)
        out = BytesIO()
        book.save(out)
        return out.getvalue()

    @staticmethod
    def _unique(book: Any, name: str) -> str:
        for bad in "[]:*?/\\":
            name = name.replace(bad, "_")
        name = name[:MAX_SHEET_NAME]
        base, k = name, 2
        while name in book.sheetnames:
            suffix = f" ({k})"
            name = base[:MAX_SHEET_NAME - len(suffix)] + suffix
            k += 1
        return name

    def _figures(self, sheet: Any, verdicts: list[Verdict], dims: list[str], periodic: bool, report: Report) -> None:
        from openpyxl.styles import Font, PatternFill

        header = ["KPI", "Title", *dims, *(["Period"] if periodic else []), "Value", "Unit", "Seconds", "n",
                  "Numerator", "Denominator", "Target", "Status", "Previous", "Change", "Method", "Notes"]
        sheet.append(header)
        value_col = header.index("Value") + 1
        status_col = header.index("Status") + 1
        for v in verdicts:
            r = v.result
            seconds = r.value if r.unit == "seconds" else None
            value: Any = r.value
            if r.unit == "seconds" and r.value is not None:
                value = r.value / 86400  # an Excel time: days
            previous = r.compare.value if r.compare is not None else None
            change = r.compare.change if r.compare is not None else None
            if r.unit == "seconds":
                previous = previous / 86400 if previous is not None else None
                change = change / 86400 if change is not None else None
            row = [r.kpi, r.title, *[r.group.get(d) for d in dims], *([r.period] if periodic else []), value,
                   r.unit, seconds, r.n, r.numerator, r.denominator, v.target.text if v.target else None,
                   v.status or None, previous, change, r.method, "; ".join(r.notes) or None]
            sheet.append([_text(x) for x in row])
            at = sheet.max_row
            fmt = {"share": PERCENT, "seconds": TIME}.get(r.unit, "General" if r.unit == "count" else "0.00")
            for col in (value_col, header.index("Previous") + 1, header.index("Change") + 1):
                sheet.cell(at, col).number_format = fmt
            if v.status in FILLS:
                cell = sheet.cell(at, status_col)
                cell.fill = PatternFill("solid", fgColor=FILLS[v.status])
                cell.font = Font(color=FONTS[v.status], bold=v.status == "fail")
        self._finish(sheet, len(header))

    @staticmethod
    def _finish(sheet: Any, width: int) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{max(sheet.max_row, 1)}"
        for col in range(1, width + 1):
            letter = get_column_letter(col)
            longest = max((len(str(c.value)) for c in sheet[letter][:200] if c.value is not None), default=8)
            sheet.column_dimensions[letter].width = min(max(longest + 2, 8), 60)

    def _inputs(self, sheet: Any, report: Report) -> None:
        header = ["File", "Kind", "Preset", "Read", "Used", "Rejected", "Folded", "Reason", "Rows", "Example rows"]
        sheet.append(header)
        for s in report.inputs:
            sheet.append([_text(s.path), s.kind, s.preset, s.read, s.used, s.rejected, s.folded, None, None, None])
            for reason, count in sorted(s.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
                rows = ", ".join(str(r) for r in s.examples_by_reason.get(reason, []))
                sheet.append([_text(s.path), s.kind, s.preset, None, None, None, None, _text(reason), count, rows])
            for what, count in s.counts.items():
                sheet.append([_text(s.path), s.kind, s.preset, None, None, None, None, _text(what.replace("_", " ")),
                              count, None])
        self._finish(sheet, len(header))

    def _settings(self, sheet: Any, report: Report) -> None:
        import json

        sheet.append(["Setting or KPI", "Value or definition"])
        for name, value in report.settings.items():
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
            sheet.append([_text(name), _text(shown) if isinstance(shown, str) else shown])
        seen = set()
        definitions = _definitions()
        for v in report.verdicts:
            base = v.result.kpi.split("(", 1)[0]
            if base in seen:
                continue
            seen.add(base)
            sheet.append([_text(v.result.kpi), _text(definitions.get(base, v.result.title))])
        self._finish(sheet, 2)


def _definitions() -> dict[str, str]:
    """Built-in KPI definitions, as ``hdkpi kpis`` shows them."""
    from ..engine.registry import builtin_registry

    return {k.name: k.definition for k in builtin_registry()}
