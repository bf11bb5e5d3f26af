"""JUnit XML, for the test-report views of Jenkins, GitLab, Azure DevOps, CircleCI and friends.

One ``<testsuites name="hdkpi">`` holding one ``<testsuite name="hdkpi CMD">`` for the run's input
set, and in it one ``<testcase classname="hdkpi.KPI" name="KPI [group] [period]">`` per targeted
record — each (target, group, period) judged — in the report's order:

* ``fail`` → ``<failure type="fail" message="VALUE misses TARGET (n=N)">`` with the details
  (value in people's and machine units, basis, method, previous period, notes) as its text;
* ``warn`` → a *passing* test case whose ``<system-out>`` says which warn level was missed. JUnit
  has no "passed with a warning" state, and a failure would turn the CI view red although
  ``hdkpi check`` exits 0 on a warn; the warning stays readable in the test's output;
* ``no-data`` → ``<skipped message="no-data: WHY">`` (under ``--strict``, where a targeted no-data
  fails the check, a ``<failure type="no-data">`` instead);
* ``pass`` → an empty test case.

Records without a target are not tests. The suite carries ``tests``/``failures``/``errors``/
``skipped`` counts (errors is always 0), ``time="0"``, the run's ``timestamp`` (UTC, written
``YYYY-MM-DDTHH:MM:SS`` without an offset as the Ant format has it), ``<properties>`` describing the
run and a ``<system-out>`` with the row accounting. The document validates against the widely used
Jenkins xUnit ``junit-10.xsd`` (see tests/schemas/junit.xsd). Every text is escaped by
:mod:`xml.etree.ElementTree`; characters XML 1.0 cannot carry at all (control characters) are
written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from ..document import _number
from ..model import Report, Verdict
from ..units import format_change, format_value
from ..version import __version__
from .base import Formatter, accounting_lines, basis, period_label, period_text, summary_text, value_text
from .table import group_text

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object) -> str:
    """Text XML 1.0 can hold: other control characters become ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _element(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    items = {k: clean(x) for k, x in attrs.items() if x is not None}
    node = ET.Element(tag, items) if parent is None else ET.SubElement(parent, tag, items)
    if text is not None:
        node.text = clean(text)
    return node


def case_name(v: Verdict) -> str:
    """``asa``, ``asa [queue=billing]``, ``asa [queue=billing] [2026-11-02]``."""
    r = v.result
    parts = [r.kpi]
    if r.group:
        parts.append(f"[{group_text(v)}]")
    if r.period is not None:
        parts.append(f"[{r.period}]")
    return " ".join(parts)


def details(v: Verdict) -> str:
    """The record in full, one fact a line (the text of a failure)."""
    r = v.result
    lines = [f"kpi: {r.kpi} ({r.title})", f"group: {group_text(v)}", f"period: {period_label(r) or 'all'}",
             f"value: {value_text(v)} ({_number(r.value)} {r.unit})", f"n: {r.n}"]
    if basis(v):
        lines.append(f"basis: {basis(v)}")
    if v.target is not None:
        lines.append(f"target: {v.target.text}")
    if r.compare is not None:
        c = r.compare
        lines.append(f"previous: {format_value(c.value, r.unit)} ({c.period}), change "
                     f"{format_change(c.change, r.unit)}")
    if r.method:
        lines.append(f"method: {r.method}")
    lines += [f"note: {note}" for note in r.notes]
    return "\n".join(lines)


def no_data_reason(v: Verdict) -> str:
    return "no-data: " + ("; ".join(v.result.notes) or "no value")


def timestamp(report: Report) -> str:
    when = report.generated_at or datetime.now(timezone.utc)
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.replace(tzinfo=None, microsecond=0).isoformat()


def targeted(report: Report) -> list[Verdict]:
    """The records :attr:`Report.summary` counts: a target and a status."""
    return [v for v in report.verdicts if v.target is not None and v.status is not None]


class JunitFormatter(Formatter):
    def render(self, report: Report) -> str:
        cases = targeted(report)
        failed = sum(v.status == "fail" or (v.status == "no-data" and report.strict) for v in cases)
        skipped = sum(v.status == "no-data" and not report.strict for v in cases)
        counts = {"tests": len(cases), "failures": failed, "errors": 0}
        root = _element(None, "testsuites", name="hdkpi", **counts, time="0")
        suite = _element(root, "testsuite", name=f"hdkpi {report.command}", **counts, skipped=skipped, time="0",
                         timestamp=timestamp(report))
        properties = _element(suite, "properties")
        facts = {"hdkpi.version": __version__, "command": report.command, "period": period_text(report),
                 "targets": report.targets_path or "", "by": ",".join(report.by), "every": report.every or "",
                 "compare": report.compare or "", "time_zone": report.tz, "summary": summary_text(report)}
        for name, value in facts.items():
            _element(properties, "property", name=name, value=value)
        for v in cases:
            case = _element(suite, "testcase", classname=f"hdkpi.{v.result.kpi}", name=case_name(v), time="0")
            self._outcome(case, v, report.strict)
        _element(suite, "system-out", "\n".join(accounting_lines(report)) + f"\nSummary: {summary_text(report)}")
        ET.indent(root, space="  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    @staticmethod
    def _outcome(case: ET.Element, v: Verdict, strict: bool) -> None:
        r, target = v.result, v.target
        assert target is not None
        if v.status == "fail":
            level = target.fail.text if target.fail is not None else target.text
            _element(case, "failure", details(v), type="fail", message=f"{value_text(v)} misses {level} (n={r.n})")
        elif v.status == "no-data" and strict:
            _element(case, "failure", details(v), type="no-data", message=no_data_reason(v))
        elif v.status == "no-data":
            _element(case, "skipped", message=no_data_reason(v))
        elif v.status == "warn":
            warn = target.warn.text if target.warn is not None else target.text
            passed = f"; passes the fail level {target.fail.text}" if target.fail is not None else ""
            _element(case, "system-out", f"warn: {value_text(v)} misses the warn level {warn} (n={r.n}){passed}"
                     f"\n\n{details(v)}")
