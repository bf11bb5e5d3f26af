"""The CSV, Markdown, JUnit and GitHub formats: reviewed golden files, escaping, and parse-back checks.

Regenerate the golden files with ``HDKPI_REGENERATE=1 pytest tests/test_formats_output.py`` — and
read every changed line before committing it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner

from hdkpi import __version__
from hdkpi.cli import cli
from hdkpi.model import Comparison, Report, Result, Target, Threshold, Verdict
from hdkpi.render import Format, get_formatter
from hdkpi.render.csv import number_cell, text_cell
from hdkpi.render.github import escape_data, escape_property
from hdkpi.render.markdown import escape
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES, write_csv

GOLDEN = Path(__file__).parent / "golden"
XSD = Path(__file__).parent / "schemas" / "junit.xsd"

# Four queues whose names need escaping somewhere: a spreadsheet formula (CSV), HTML (Markdown,
# XML), a pipe (Markdown tables) and a line break with a percent sign (every format; GitHub's %0A, %25).
# 2026-11-02 is the previous day for --compare previous; the window is 2026-11-03.
CALLS = """\
call_id,offered_at,wait_seconds,outcome,queue
p1,2026-11-02T09:00:00Z,40,answered,=cmd|' /C calc'!A0
p2,2026-11-02T09:05:00Z,50,abandoned,=cmd|' /C calc'!A0
p3,2026-11-02T09:10:00Z,10,answered,<script>alert(1)</script>
p4,2026-11-02T09:15:00Z,20,answered,a|b
c1,2026-11-03T09:00:00Z,12,answered,=cmd|' /C calc'!A0
c2,2026-11-03T09:05:00Z,20,answered,=cmd|' /C calc'!A0
c3,2026-11-03T09:10:00Z,45,answered,<script>alert(1)</script>
c4,2026-11-03T09:15:00Z,60,answered,<script>alert(1)</script>
c5,2026-11-03T09:20:00Z,70,abandoned,<script>alert(1)</script>
c6,2026-11-03T09:25:00Z,5,answered,a|b
c7,2026-11-03T09:30:00Z,8,answered,a|b
c8,2026-11-03T09:35:00Z,x,answered,a|b
c9,2026-11-03T09:40:00Z,35,answered,"night
100%"
"""
# c8 is rejected (wait_seconds not a number, data row 12); the window holds c1–c7 and c9.

TARGETS = """\
targets:
  asa: "<= 30s"
  abandonment_rate: {fail: "< 25%", warn: "< 10%"}
  fcr: ">= 50%"
"""

KPIS = ["calls_offered", "asa", "abandonment_rate", "fcr"]
QUEUES = ("=cmd|' /C calc'!A0", "<script>alert(1)</script>", "a|b", "night\n100%")
WINDOW = {"start": "2026-11-03", "end": "2026-11-04", "compare": "previous"}
GOLDEN_FILES = {"csv": "report.csv", "markdown": "report.md", "junit": "report.junit.xml",
                "github": "report.github.txt"}


@pytest.fixture
def report(tmp_path, monkeypatch) -> Report:
    """Hand-checked figures (window 2026-11-03, previous 2026-11-02):

    overall: offered 8 (prev 4, +4); asa (12+20+45+60+5+8+35)/7 = 185/7 = 26.43 s ≤ 30 s pass
    (prev (40+10+20)/3 = 23.33 s, +3.10 s); abandonment 1/8 = 12.5 % → passes < 25 %, misses the
    warn level < 10 % → warn (prev 1/4 = 25 %, change −0.125); fcr: no tickets → no-data.
    =cmd…: asa (12+20)/2 = 16 s pass (prev 40, −24); abandonment 0/2 pass (prev 1/2, −0.5).
    <script>…: asa (45+60)/2 = 52.5 s fail (prev 10, +42.5); abandonment 1/3 = 33.3 % fail (prev 0/1).
    a|b: asa (5+8)/2 = 6.5 s pass (prev 20, −13.5); abandonment 0/2 pass (prev 0/1, ±0).
    night\\n100%: asa 35 s fail (no calls the day before: previous offered 0, previous asa no-data);
    abandonment 0/1 pass.
    Targeted: 6 pass · 1 warn · 3 fail · 1 no-data.
    """
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path, CALLS, "calls.csv")
    write_csv(tmp_path, TARGETS, "targets.yaml")
    r = run(RunOptions(files=["calls.csv"], targets_path="targets.yaml", command="check", kpis=KPIS,
                       by=["queue"], **WINDOW))
    r.generated_at = datetime(2026, 11, 4, 6, 0, tzinfo=timezone.utc)
    return r


def render(fmt: str, report: Report) -> str:
    return get_formatter(Format(fmt)).render(report)


def test_the_fixture_has_every_status_and_a_negative_change(report):
    assert report.summary == {"pass": 6, "warn": 1, "fail": 3, "no_data": 1}
    assert {v.result.group.get("queue") for v in report.verdicts} == {None, *QUEUES}
    changes = {(v.result.kpi, v.result.group.get("queue")): v.result.compare.change
               for v in report.verdicts if v.result.compare is not None}
    assert changes[("abandonment_rate", None)] == pytest.approx(-0.125)
    assert changes[("asa", "=cmd|' /C calc'!A0")] == pytest.approx(-24)


# -- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(GOLDEN_FILES))
def test_output_matches_the_reviewed_golden_file(report, fmt):
    """Reviewed by hand against the figures in the fixture's docstring."""
    text = render(fmt, report).replace(__version__, "VERSION")
    path = GOLDEN / GOLDEN_FILES[fmt]
    if os.environ.get("HDKPI_REGENERATE") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{path.name} is stale: run HDKPI_REGENERATE=1 pytest {Path(__file__).name}"


@pytest.mark.parametrize("fmt", list(GOLDEN_FILES))
def test_every_format_ends_with_one_newline_and_is_deterministic(report, fmt):
    text = render(fmt, report)
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert text == render(fmt, report)


# -- CSV ---------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_parses_back_with_one_row_per_record_in_machine_units(report):
    text = render("csv", report)
    rows = read_csv(text)
    assert list(rows[0]) == ["kpi", "title", "queue", "period", "value", "unit", "n", "numerator", "denominator",
                             "method", "target", "status", "previous", "change", "notes", "partial"]
    assert len(rows) == len(report.verdicts)
    for row, v in zip(rows, report.verdicts):
        r = v.result
        assert row["kpi"] == r.kpi and row["n"] == str(r.n)
        assert (float(row["value"]) if row["value"] else None) == (
            pytest.approx(r.value, rel=1e-11) if r.value is not None else None)
        queue = r.group.get("queue")
        assert row["queue"] == ("" if queue is None else text_cell(queue))
        assert row["status"] == (v.status or "")
        if r.compare is not None and r.compare.change is not None:
            assert float(row["change"]) == pytest.approx(r.compare.change, rel=1e-11, abs=1e-12)
    by = {(row["kpi"], row["queue"]): row for row in rows}
    assert by[("abandonment_rate", "")]["change"] == "-0.125"          # a number, not prefixed
    assert by[("asa", "'=cmd|' /C calc'!A0")]["change"] == "-24"
    assert by[("asa", "")]["value"] == "26.4285714286"                # 185/7, 12 significant digits
    assert by[("calls_offered", "")]["value"] == "8"                  # whole values as integers
    assert by[("fcr", "")]["value"] == "" and by[("fcr", "")]["notes"] == "no tickets input"
    assert by[("asa", "night\n100%")]["previous"] == ""               # no calls the day before: no asa
    assert by[("calls_offered", "night\n100%")]["previous"] == "0"    # … and a count of nothing is 0
    assert "\r" not in text and text.count("\n") == len(rows) + 1 + 3  # \n line ends; 3 in-cell breaks


DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]


def _report_with_texts(text: str) -> Report:
    """One record whose every text field starts with ``text``; numbers negative where they can be."""
    r = Result(kpi=f"{text}kpi", title=f"{text}title", unit="share", direction="higher", value=0.25, n=4,
               numerator=1, denominator=4, method=f"{text}method", group={"queue": f"{text}cmd"},
               period=f"{text}period", notes=[f"{text}note"],
               compare=Comparison(period="p", value=0.3, n=5, change=-0.05))
    target = Target(kpi=r.kpi, fail=Threshold(text=f"{text}1", op=">=", value=-1.0))
    return Report(verdicts=[Verdict(result=r, target=target, status="pass")], inputs=[], settings={},
                  by=("queue",))


@pytest.mark.parametrize("prefix", DANGEROUS)
def test_csv_neutralises_every_formula_prefix_in_text_and_leaves_numbers_alone(prefix):
    rows = read_csv(render("csv", _report_with_texts(prefix)))
    assert len(rows) == 1
    row = rows[0]
    for column, original in (("kpi", "kpi"), ("title", "title"), ("queue", "cmd"), ("period", "period"),
                             ("method", "method"), ("target", "1"), ("notes", "note")):
        assert row[column] == f"'{prefix}{original}", column
    assert row["change"] == "-0.05" and float(row["change"]) == -0.05  # negative numbers stay numbers
    assert (row["value"], row["previous"], row["numerator"], row["denominator"]) == ("0.25", "0.3", "1", "4")
    assert row["status"] == "pass" and row["unit"] == "share"


@pytest.mark.parametrize("text", ["plain", "'quoted", " =spaced", "1=1", "a,b", 'say "hi"', "é ünïcode", ""])
def test_csv_leaves_safe_text_as_it_is(text):
    assert text_cell(text) == text
    row = read_csv(render("csv", _report_with_texts(text)))[0]
    assert row["queue"] == f"{text}cmd" and row["notes"] == f"{text}note"


def test_csv_quotes_line_breaks_and_carriage_returns_rfc4180():
    report = _report_with_texts("x")
    report.verdicts[0].result.notes = ["one\rtwo", "three\r\nfour", "five\nsix"]
    text = render("csv", report)
    assert read_csv(text)[0]["notes"] == "one\rtwo; three\r\nfour; five\nsix"
    assert '"one\rtwo; three\r\nfour; five\nsix"' in text


@pytest.mark.parametrize(("x", "cell"), [
    (7.0, "7"), (7, "7"), (-0.0, "0"), (0.1 + 0.2, "0.3"), (1 / 3, "0.333333333333"), (-0.05, "-0.05"),
    (185 / 7, "26.4285714286"), (2.5e-7, "2.5e-07"), (1e20, "1e+20"), (2.0**53 + 2, "9.00719925474e+15"),
    (None, ""), (float("nan"), ""), (float("inf"), ""),
])
def test_csv_numbers_are_ints_or_12_significant_digits(x, cell):
    assert number_cell(x) == cell
    if cell:
        assert float(cell) == pytest.approx(x, rel=1e-11)


def test_csv_has_a_column_for_every_group_dimension_and_avoids_name_clashes():
    def verdict(group):
        r = Result(kpi="frt", title="First response time", unit="seconds", direction="lower", value=60.0, n=3,
                   group=group)
        return Verdict(result=r, target=None, status=None)

    report = Report(verdicts=[verdict({}), verdict({"queue": "a"}), verdict({"priority": "P1"}),
                              verdict({"status": None})], inputs=[], settings={}, by=("queue",))
    rows = read_csv(render("csv", report))
    assert list(rows[0])[:5] == ["kpi", "title", "queue", "priority", "group:status"]
    assert [(r["queue"], r["priority"], r["group:status"]) for r in rows] == [
        ("", "", ""), ("a", "", ""), ("", "P1", ""), ("", "", "(empty)")]
    assert rows[0]["status"] == ""  # the verdict's status column is still "status"


def test_csv_per_segment_target_dimension_becomes_a_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path, "call_id,offered_at,wait_seconds,outcome,queue,agent\n"
                        "1,2026-11-03T09:00:00Z,10,answered,q1,ann\n2,2026-11-03T09:01:00Z,50,answered,q2,bob\n",
              "calls.csv")
    write_csv(tmp_path, 'targets:\n  asa: {by: agent, ann: "<= 20s", default: "<= 40s"}\n', "targets.yaml")
    report = run(RunOptions(files=["calls.csv"], targets_path="targets.yaml", kpis=["asa"], by=["queue"]))
    rows = read_csv(render("csv", report))
    assert list(rows[0])[2:4] == ["queue", "agent"]
    assert {(r["agent"], r["status"]) for r in rows if r["agent"]} == {("ann", "pass"), ("bob", "fail")}


# -- Markdown ----------------------------------------------------------------------------


def cells_of(line: str) -> list[str]:
    """The cells of a table row, splitting on unescaped pipes only."""
    assert line.startswith("|") and line.endswith("|"), line
    return re.split(r"(?<!\\)\|", line[1:-1])


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_markdown_table_has_the_same_number_of_columns_on_every_row(report):
    rows = table_rows(render("markdown", report))
    header = cells_of(rows[0])
    assert [c.strip() for c in header] == ["KPI", "Group", "Value", "n", "Basis", "Previous", "Change", "Target",
                                          "Status", "Note"]
    assert len(rows) == 2 + len(report.verdicts)
    for line in rows:
        assert len(cells_of(line)) == len(header), line


def test_markdown_escapes_text_and_marks_statuses(report):
    text = render("markdown", report)
    assert "<script>" not in text and r"\<script\>alert(1)\</script\>" in text
    assert r"queue=a\|b" in text and r"queue=night 100%" in text
    statuses = [cells_of(line)[-2].strip() for line in table_rows(text)[2:]]
    assert statuses.count("✅ pass") == 6 and statuses.count("⚠️ warn") == 1
    assert statuses.count("❌ fail") == 3 and statuses.count("➖ no-data") == 1
    assert text.rstrip("\n").splitlines()[-1] == "❌ **Summary: 6 passed · 1 warned · 3 failed · 1 no-data**"
    assert "- calls.csv (calls): 13 read · 12 used · 1 rejected" in text
    assert r"  - 1 × wait\_seconds: not a number (data row 12)" in text


@pytest.mark.parametrize("text", ["a|b", "**bold**", "[x](javascript:alert(1))", "`code`", "<b>&amp;</b>",
                                  "back\\slash|", "line\nbreak", "@team", "~~strike~~ _em_"])
def test_markdown_escape_leaves_no_active_character_unescaped(text):
    out = escape(text)
    assert "\n" not in out and "\r" not in out
    unescaped = re.sub(r"\\.", "", out)
    assert not re.search(r"[\\`*_\[\]<>&~@|]", unescaped)
    assert re.sub(r"\\(.)", r"\1", out) == re.sub(r"\s*\n\s*", " ", text)


def test_markdown_folds_long_period_series_into_one_line_each():
    report = run(RunOptions(files=[str(EXAMPLES / "calls.csv")], kpis=["asa"], by=["queue"], every="day"))
    periods = {v.result.period for v in report.verdicts if v.result.period is not None}
    assert len(periods) > 8
    text = render("markdown", report)
    rows = table_rows(text)
    header = [c.strip() for c in cells_of(rows[0])]
    assert "Period" not in header and "Group" in header
    groups = [v for v in report.verdicts if v.result.period is None]
    assert len(rows) == 2 + len(groups)
    for line in rows:
        assert len(cells_of(line)) == len(header)
    series = [line for line in text.splitlines() if line.startswith("- asa · ")]
    assert len(series) == len(groups)
    assert "Trends, one line per series" in text


def test_markdown_without_targets_has_a_plain_summary():
    report = run(RunOptions(files=[str(EXAMPLES / "calls.csv")], kpis=["asa"]))
    text = render("markdown", report)
    assert text.endswith("**Summary: 0 passed · 0 warned · 0 failed · 0 no-data**\n")
    assert [c.strip() for c in cells_of(table_rows(text)[0])] == ["KPI", "Value", "n", "Basis", "Target", "Status",
                                                                  "Note"]


# -- JUnit -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def test_junit_validates_against_the_xsd_and_counts_match_the_summary(report, junit_schema):
    text = render("junit", report)
    junit_schema.validate(text)
    root = ET.fromstring(text)
    s = report.summary
    targeted = s["pass"] + s["warn"] + s["fail"] + s["no_data"]
    assert root.tag == "testsuites" and root.get("name") == "hdkpi"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "hdkpi check" and suite.get("timestamp") == "2026-11-04T06:00:00"
    for node in (root, suite):
        assert (node.get("tests"), node.get("failures"), node.get("errors")) == (str(targeted), str(s["fail"]), "0")
    assert suite.get("skipped") == str(s["no_data"])
    cases = suite.findall("testcase")
    assert len(cases) == targeted
    assert len([c for c in cases if c.find("failure") is not None]) == s["fail"]
    assert len([c for c in cases if c.find("skipped") is not None]) == s["no_data"]
    names = [c.get("name") for c in cases]
    assert len(set(names)) == len(names)
    assert "asa [queue=<script>alert(1)</script>]" in names and "asa [queue==cmd|' /C calc'!A0]" in names
    assert "asa [queue=night\n100%]" in names  # the attribute keeps the line break (&#10;)
    by_name = {c.get("name"): c for c in cases}
    failure = by_name["asa [queue=<script>alert(1)</script>]"].find("failure")
    assert failure.get("type") == "fail" and failure.get("message") == "52.5 s misses <= 30s (n=2)"
    assert by_name["asa"].get("classname") == "hdkpi.asa" and len(by_name["asa"]) == 0
    warn = by_name["abandonment_rate"]
    assert warn.find("failure") is None and warn.find("skipped") is None
    assert warn.find("system-out").text.startswith("warn: 12.5 % misses the warn level < 10% (n=8); passes the fail "
                                                   "level < 25%")
    assert by_name["fcr"].find("skipped").get("message") == "no-data: no tickets input"


def test_junit_strict_makes_no_data_a_failure(report, junit_schema):
    report.strict = True
    text = render("junit", report)
    junit_schema.validate(text)
    suite = ET.fromstring(text).find("testsuite")
    s = report.summary
    assert suite.get("failures") == str(s["fail"] + s["no_data"]) and suite.get("skipped") == "0"
    fcr = next(c for c in suite.findall("testcase") if c.get("name") == "fcr")
    assert fcr.find("failure").get("type") == "no-data"


def test_junit_survives_control_characters_and_xml_syntax(junit_schema):
    report = _report_with_texts("\x01<&>\"'\x1b]]>")
    report.verdicts[0].status = "fail"
    text = render("junit", report)
    junit_schema.validate(text)
    case = ET.fromstring(text).find("testsuite/testcase")
    assert case.get("name") == "\\x01<&>\"'\\x1b]]>kpi [queue=\\x01<&>\"'\\x1b]]>cmd] [\\x01<&>\"'\\x1b]]>period]"
    assert "\x01" not in text and "\x1b" not in text


def test_junit_without_targets_is_an_empty_valid_suite(junit_schema):
    report = run(RunOptions(files=[str(EXAMPLES / "calls.csv")], kpis=["asa"]))
    text = render("junit", report)
    junit_schema.validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.findall("testcase")) == ("0", "0", [])


# -- GitHub ------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<name>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<data>.*)$")


def unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in text.splitlines():
        m = COMMAND.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m["props"].split(",")) if m["props"] else {}
        out.append((m["name"], {k: unescape(v) for k, v in props.items()}, unescape(m["data"])))
    return out


def test_github_lines_parse_back_to_the_messages(report):
    text = render("github", report)
    assert text.count("\n") == len(text.splitlines())  # one command per line, nothing else
    commands = parse_commands(text)
    s = report.summary
    assert [name for name, _, _ in commands].count("error") == s["fail"]
    assert [name for name, _, _ in commands].count("warning") == s["warn"]
    assert [name for name, _, _ in commands].count("notice") == s["no_data"] + 1
    assert commands[-1] == ("notice", {"title": "hdkpi summary"}, "6 passed · 1 warned · 3 failed · 1 no-data")
    assert ("error", {"title": "hdkpi: asa"}, "asa [queue=night\n100%]: 35.0 s misses <= 30s (n=1)") in commands
    assert ("error", {"title": "hdkpi: asa"},
            "asa [queue=<script>alert(1)</script>]: 52.5 s misses <= 30s (n=2; previous 10.0 s, change +42.5 s)"
            ) in commands
    assert ("warning", {"title": "hdkpi: abandonment_rate"},
            "abandonment_rate: 12.5 % misses the warn level < 10% (n=8; previous 25.0 %, change -12.5 pp)") in commands
    assert ("notice", {"title": "hdkpi: fcr"}, "fcr: no-data: no tickets input; target >= 50%") in commands


def test_github_strict_no_data_is_an_error(report):
    report.strict = True
    names = [name for name, _, _ in parse_commands(render("github", report))]
    assert names.count("error") == report.summary["fail"] + report.summary["no_data"]


@pytest.mark.parametrize("text", ["50%", "a\r\nb", "::error::x", "k: v, w", "%0A", "plain"])
def test_github_escaping_round_trips(text):
    data, prop = escape_data(text), escape_property(text)
    assert "\n" not in data and "\r" not in data and unescape(data) == text
    assert ":" not in prop and "," not in prop and unescape(prop) == text


def test_github_without_misses_prints_only_the_summary():
    report = run(RunOptions(files=[str(EXAMPLES / "calls.csv")], kpis=["asa"]))
    assert render("github", report) == "::notice title=hdkpi summary::0 passed · 0 warned · 0 failed · 0 no-data\n"


# -- through the CLI ---------------------------------------------------------------------


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    return write_csv(tmp_path, CALLS, "calls.csv"), write_csv(tmp_path, TARGETS, "targets.yaml")


def invoke(args: list[str]):
    return CliRunner().invoke(cli, [*args, "--from", "2026-11-03", "--to", "2026-11-04", "--by", "queue",
                                    "--compare", "previous", *(a for k in KPIS for a in ("--kpi", k))])


@pytest.mark.parametrize(("fmt", "name"), [("csv", "out.csv"), ("markdown", "out.md"), ("junit", "out.xml"),
                                           ("github", "out.txt")])
def test_cli_check_writes_each_format_and_exits_1_on_a_fail(files, tmp_path, fmt, name, junit_schema):
    calls, targets = files
    out = tmp_path / "reports" / name
    result = invoke(["check", str(calls), "-t", str(targets), "-f", fmt, "-o", str(out), "-q"])
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and result.stderr == ""
    text = out.read_bytes().decode("utf-8")
    assert "\r" not in text
    if fmt == "csv":
        assert len(read_csv(text)) == 16
    elif fmt == "markdown":
        assert "❌ **Summary: 6 passed · 1 warned · 3 failed · 1 no-data**" in text
    elif fmt == "junit":
        junit_schema.validate(str(out))
        assert ET.parse(out).getroot().find("testsuite").get("failures") == "3"
    else:
        assert [c[0] for c in parse_commands(text)].count("error") == 3


def test_cli_report_prints_github_commands_and_exits_0(files):
    calls, targets = files
    result = invoke(["report", str(calls), "-t", str(targets), "-f", "github"])
    assert result.exit_code == 0, result.output
    commands = parse_commands(result.stdout)
    assert commands[-1][1] == {"title": "hdkpi summary"}
    assert "hdkpi: 6 passed, 1 warned, 3 failed, 1 no-data" in result.stderr


def test_cli_several_formats_at_once(files, tmp_path, junit_schema):
    calls, targets = files
    result = invoke(["check", str(calls), "-t", str(targets), "--fail-on", "never",
                     "-f", "junit", "-o", str(tmp_path / "r.xml"), "-f", "csv", "-o", str(tmp_path / "r.csv"),
                     "-f", "markdown"])
    assert result.exit_code == 0, result.output
    junit_schema.validate(str(tmp_path / "r.xml"))
    assert read_csv((tmp_path / "r.csv").read_text(encoding="utf-8"))[0]["kpi"] == "calls_offered"
    assert result.stdout.startswith("### hdkpi ")
