"""hdkpi as a library: the same records as the command line over many runs, DataFrame and Arrow sources
typed and checked as files are, the Report's frames, documents and notebook views, and a light import."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import hdkpi
from hdkpi.cli import cli
from hdkpi.errors import HdkpiError, UsageError

from .conftest import EXAMPLES, ROOT

CALLS, TICKETS, SURVEYS = (str(EXAMPLES / f) for f in ("calls.csv", "tickets.csv", "surveys.csv"))
TARGETS = str(ROOT / "targets.yaml")

#: (CLI arguments after the command, the library's keyword arguments); every run with targets
RUNS = [
    ([CALLS], {}),
    ([CALLS, TICKETS, SURVEYS], {}),
    ([CALLS, "--by", "queue"], {"by": "queue"}),
    ([CALLS, "--by", "queue", "--every", "week"], {"by": ["queue"], "every": "week"}),
    ([CALLS, "--every", "day", "--compare", "previous"], {"every": "day", "compare": "previous"}),
    ([CALLS, "--kpi", "asa", "--kpi", "service_level"], {"kpis": ["asa", "service_level"]}),
    ([CALLS, "--from", "2026-11-02", "--to", "2026-11-09"], {"start": "2026-11-02", "end": "2026-11-09"}),
    ([CALLS, "--last", "7d", "--now", "2026-11-16"], {"last": "7d", "now": "2026-11-16"}),
    ([CALLS, "--tz", "Europe/London", "--every", "day"], {"tz": "Europe/London", "every": "day"}),
    ([CALLS, "--set", "service_level_threshold=30s"], {"settings": {"service_level_threshold": "30s"}}),
    ([TICKETS, "--by", "priority"], {"by": "priority"}),
    ([TICKETS, "--kpi", "resolved_within(2bd)", "--by", "team"], {"kpis": "resolved_within(2bd)", "by": "team"}),
    ([SURVEYS, TICKETS, "--by", "agent"], {"by": "agent"}),
    ([CALLS, "--by", "weekday", "--by", "hour", "--kpi", "calls_offered"],
     {"by": ["weekday", "hour"], "kpis": ["calls_offered"]}),
    ([CALLS, "--ci", "95", "--by", "queue"], {"ci": 95, "by": "queue"}),
    ([str(EXAMPLES / "real" / "anonymous_bank_1999-02-01_07.txt.gz")], {}),
    ([str(EXAMPLES / "real" / "servicenow_incident_event_log_part1.csv.gz"), "--by", "priority"],
     {"by": "priority"}),
]


def cli_json(command: str, args: list[str]) -> dict:
    result = CliRunner().invoke(cli, [command, *args, "-t", TARGETS, "-f", "json"])
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def paths_of(args: list[str]) -> list[str]:
    return [a for a in args if a.startswith(str(EXAMPLES))]


@pytest.mark.parametrize(("args", "kwargs"), RUNS, ids=[" ".join(a[1:]) or "plain" for a, _ in RUNS])
def test_the_library_gives_the_records_of_the_command_line(args, kwargs):
    command = "check"
    expected = cli_json(command, args)
    report = hdkpi.check(*paths_of(args), targets=TARGETS, **kwargs)
    got = json.loads(report.to_json())
    assert got["results"] == expected["results"]
    assert got["inputs"] == expected["inputs"] and got["summary"] == expected["summary"]
    assert report.failed == (CliRunner().invoke(cli, [command, *args, "-t", TARGETS, "-q"]).exit_code == 1)


def test_a_dataframe_and_the_csv_written_from_it_give_the_same_figures(tmp_path):
    frame = pd.read_csv(CALLS)  # what an analyst has: object strings, floats with NaN
    from_frame = hdkpi.report(calls=frame, by="queue", targets=TARGETS)
    csv_path = tmp_path / "calls.csv"
    frame.to_csv(csv_path, index=False)
    from_file = hdkpi.report(str(csv_path), by="queue", targets=TARGETS)
    assert json.loads(from_frame.to_json())["results"] == json.loads(from_file.to_json())["results"]
    summary = from_frame.inputs[0]
    assert summary.path == "DataFrame calls" and summary.read == len(frame)
    assert summary.rejected_by_reason == from_file.inputs[0].rejected_by_reason  # the same reasons
    assert summary.examples_by_reason == from_file.inputs[0].examples_by_reason  # data rows count from 1


def test_dataframe_dtypes_as_analysts_have_them():
    # naive datetimes (read in tz), aware datetimes, nullable integers, categoricals, booleans, object text
    offered = pd.to_datetime(["2026-11-02 08:00", "2026-11-02 08:10", "2026-11-02 09:00", "2026-11-02 09:05"])
    frame = pd.DataFrame({
        "call_id": pd.array([1, 2, 3, 4], dtype="Int64"),
        "offered_at": offered,
        "answered_at": pd.to_datetime(["2026-11-02 08:00:20", None, "2026-11-02 09:00:40", "2026-11-02 09:05:05"]),
        "queue": pd.Categorical(["billing", "billing", "tech", "tech"]),
        "wait_seconds": pd.array([20, 35, 40, 5], dtype="Int64"),
        "outcome": ["answered", "abandoned", "answered", "answered"],
        "transferred": pd.array([False, pd.NA, True, False], dtype="boolean"),
    })
    r = hdkpi.report(calls=frame, tz="Europe/London", kpis=["calls_offered", "asa", "abandonment_rate"],
                     by="queue")
    values = {(row.kpi, row.queue if isinstance(row.queue, str) else None): row.value
              for row in r.to_frame().itertuples()}
    # asa over answered calls: (20 + 40 + 5) / 3 = 21.67 s; billing 20 s; abandoned 1 of 4
    assert values[("asa", None)] == pytest.approx(65 / 3)
    assert values[("asa", "billing")] == 20 and values[("abandonment_rate", None)] == 0.25
    assert r.inputs[0].used == 4
    aware = frame.assign(offered_at=offered.tz_localize("America/New_York"),
                         answered_at=frame["answered_at"].dt.tz_localize("America/New_York"))
    windowed = hdkpi.report(calls=aware, start="2026-11-02T13:30:00Z", end="2026-11-02T14:30:00Z",
                            kpis="calls_offered")
    # 08:00 and 08:10 New York are 13:00/13:10 UTC (before the window); 09:00 and 09:05 are 14:00/14:05 UTC
    assert windowed.to_frame().loc[0, "value"] == 2


def test_bad_cells_of_a_dataframe_are_rejected_with_the_csv_reasons(tmp_path):
    frame = pd.DataFrame({"call_id": [1, 2, 3], "offered_at": ["2026-11-02T08:00:00Z", "yesterday",
                                                                "2026-11-02T08:05:00Z"],
                          "wait_seconds": [10, 20, -4], "outcome": ["answered", "answered", "answered"]})
    r = hdkpi.report(calls=frame, kpis="calls_offered")
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    f = hdkpi.report(str(path), kpis="calls_offered")
    assert r.inputs[0].rejected_by_reason == f.inputs[0].rejected_by_reason == {
        "offered_at: not a date": 1, "wait_seconds: negative": 1}
    rejected = r.rejected()
    assert list(rejected["data_row"]) == [2, 3] and list(rejected["reason"]) == ["offered_at: not a date",
                                                                              "wait_seconds: negative"]


def test_arrow_tables_wrapped_sources_and_globs(tmp_path):
    pa = pytest.importorskip("pyarrow")
    frame = pd.read_csv(CALLS)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    a = hdkpi.report(hdkpi.Calls(table, name="calls from Arrow"), kpis="calls_offered")
    b = hdkpi.report(f"{EXAMPLES}/calls.c*v", kpis="calls_offered")
    assert a.to_frame().loc[0, "value"] == b.to_frame().loc[0, "value"] == 4632
    assert a.inputs[0].path == "calls from Arrow"
    with pytest.raises(HdkpiError, match="no file matches"):
        hdkpi.report(str(tmp_path / "*.csv"))
    with pytest.raises(UsageError, match="at least one source"):
        hdkpi.report()


def test_errors_are_the_command_lines_and_nothing_prints(capsys):
    with pytest.raises(UsageError) as caught:
        hdkpi.report(CALLS, kpis="no_such_kpi")
    cli_result = CliRunner().invoke(cli, ["report", CALLS, "--kpi", "no_such_kpi"])
    assert caught.value.message in cli_result.stderr
    hdkpi.report(CALLS, kpis="asa")
    assert capsys.readouterr() == ("", "")


def test_the_report_views():
    r = hdkpi.check(CALLS, TICKETS, targets=TARGETS, by="queue")
    frame = r.to_frame()
    assert list(frame.columns[:3]) == ["kpi", "title", "queue"] and len(frame) == len(r.verdicts)
    assert set(frame["status"].dropna()) <= {"pass", "warn", "fail", "no-data"}
    doc = r.to_dict()
    assert doc["schema"] == 1 and len(doc["results"]) == len(frame)
    assert r.render("markdown").startswith("### hdkpi") and r.render("csv").startswith("kpi,")
    assert r._repr_markdown_() == r.render("markdown")
    details = r.details("abandonment_rate", group={"queue": "billing"})
    assert len(details) > 0 and set(details["queue"]) == {"billing"}
    assert r.render("xlsx")[:2] == b"PK"


def test_repr_html_escapes_its_values():
    frame = pd.DataFrame({"call_id": [1], "offered_at": ["2026-11-02T08:00:00Z"], "outcome": ["answered"],
                          "wait_seconds": [3], "queue": ["<script>alert(1)</script>"]})
    html = hdkpi.report(calls=frame, by="queue", kpis="calls_offered")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_staffing_and_forecast_from_python_equal_the_commands():
    cells = hdkpi.staffing(CALLS, goal="80/20", tz="Europe/London")
    cli_doc = json.loads(CliRunner().invoke(cli, ["staffing", CALLS, "--goal", "80/20", "--tz", "Europe/London",
                                                  "-f", "json"]).stdout)
    assert cells["required"].tolist() == [c["required"] for c in cli_doc["intervals"]]
    fc = hdkpi.forecast(CALLS, now="2026-11-16", horizon="7d", tz="Europe/London")
    cli_fc = json.loads(CliRunner().invoke(cli, ["forecast", CALLS, "--now", "2026-11-16", "--horizon", "7d", "--tz",
                                                 "Europe/London", "-f", "json"]).stdout)
    assert np.allclose(fc.records["forecast"].round(4), [r["forecast"] for r in cli_fc["records"]])
    assert fc.chosen == cli_fc["forecast"]["chosen"]


def test_importing_hdkpi_does_not_import_pandas():
    code = "import sys, hdkpi; hdkpi.report; print('pandas' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## From Python\n.*?```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(block, "README.md (From Python)", "exec"), namespace)
    assert namespace["r"].to_frame()["kpi"].tolist()[:1] == ["asa"]
    assert namespace["checked"].failed and len(namespace["plan"]) > 0


def test_a_library_run_records_its_history(tmp_path):
    db = tmp_path / "h.db"
    hdkpi.report(CALLS, kpis="calls_offered", every="day", history=str(db))
    out = CliRunner().invoke(cli, ["history", "--history", str(db), "--kpi", "calls_offered", "-f", "json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["series"]


def test_scorecard_adherence_and_history_from_python_equal_the_commands(tmp_path):
    adherence = hdkpi.adherence(str(EXAMPLES / "adherence" / "schedule.csv"),
                                str(EXAMPLES / "adherence" / "agent_states.csv"), tz="Europe/London")
    cli_rows = json.loads(CliRunner().invoke(cli, ["adherence", str(EXAMPLES / "adherence" / "schedule.csv"),
                                                   str(EXAMPLES / "adherence" / "agent_states.csv"), "--tz",
                                                   "Europe/London", "-f", "json"]).stdout)
    assert len(adherence) == len(cli_rows) and list(adherence["agent"]) == [r["agent"] for r in cli_rows]
    cards = str(EXAMPLES / "targets-scorecards.yaml")
    name = next(iter(yaml.safe_load(Path(cards).read_text(encoding="utf-8"))["scorecards"]))
    table = hdkpi.scorecard(name, CALLS, TICKETS, SURVEYS, targets=cards)
    cli_card = json.loads(CliRunner().invoke(cli, ["scorecard", name, CALLS, TICKETS, SURVEYS, "-t", cards,
                                                   "-f", "json"]).stdout)
    assert len(table) == len(cli_card["groups"])
    db = tmp_path / "h.db"
    hdkpi.report(CALLS, kpis="calls_offered", every="day", history=str(db))
    series = hdkpi.history_report(str(db), kpis="calls_offered")
    assert series.every == "day" and len(series.to_frame()) == len(series.verdicts) > 20
