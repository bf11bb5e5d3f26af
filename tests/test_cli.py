"""The command line through Click's CliRunner: exit codes, stdout vs stderr, files, plugins."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.exitcodes import ExitCode

from .conftest import EXAMPLES, write_csv

CALLS = """\
call_id,offered_at,answered_at,ended_at,wait_seconds,talk_seconds,outcome,queue
1,2026-11-02T08:00:00Z,,,10,100,answered,billing
2,2026-11-02T08:01:00Z,,,20,200,answered,billing
3,2026-11-02T08:02:00Z,,,40,300,answered,tech
4,2026-11-02T08:03:00Z,,,30,,abandoned,tech
"""
# answered waits 10, 20, 40 → asa = 70/3 = 23.33 s; abandoned 1 of 4 → abandonment_rate 25 %


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    return write_csv(tmp_path, CALLS, "calls.csv")


def targets(tmp_path: Path, text: str) -> Path:
    return write_csv(tmp_path, text, "targets.yaml")


def invoke(runner: CliRunner, args: list[str]):
    return runner.invoke(cli, args, catch_exceptions=False)


def test_report_exits_0_even_when_targets_are_missed(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  abandonment_rate: "< 10%"\n')
    result = invoke(runner, ["report", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.OK
    assert "abandonment_rate" in result.stdout
    assert "25.0 %" in result.stdout
    assert "✖ fail" in result.stdout


def test_check_exits_1_on_a_fail_level_miss(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  asa: "<= 30s"\n  abandonment_rate: "< 10%"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.TARGET_MISSED
    assert "1 passed" in result.stdout and "1 failed" in result.stdout


def test_check_exits_0_when_all_targets_pass(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  asa: "<= 30s"\n  abandonment_rate: "<= 25%"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.OK
    assert "2 passed" in result.stdout


def test_check_with_only_warn_level_misses_exits_0(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  abandonment_rate: {fail: "< 30%", warn: "< 10%"}\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.OK
    assert "⚠ warn" in result.stdout
    assert "1 warned" in result.stdout


def test_no_data_is_not_a_failure_unless_strict(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  fcr: ">= 50%"\n')  # fcr needs tickets: no-data here
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.OK
    assert "no tickets input" in result.stdout
    strict = invoke(runner, ["check", str(calls), "-t", str(t), "--strict"])
    assert strict.exit_code == ExitCode.TARGET_MISSED


def test_bad_targets_file_gives_one_line_with_position_and_exit_2(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  asa: "<= 30s"\n  abandonment_rate: "< 10"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{t}:3:" in lines[0]
    assert "lacks a unit" in lines[0] and '"< 10%"' in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_kpi_in_targets_names_file_line_and_suggests(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  asaa: "<= 30s"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.USAGE
    assert f"{t}:2:" in result.stderr and "asa" in result.stderr


def test_percent_threshold_on_a_duration_kpi_is_refused(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  asa: "<= 10%"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t)])
    assert result.exit_code == ExitCode.USAGE
    assert f"{t}:2:" in result.stderr


def test_missing_input_file_exits_2_naming_it(runner, tmp_path):
    missing = tmp_path / "nope.csv"
    result = invoke(runner, ["report", str(missing)])
    assert result.exit_code == ExitCode.USAGE
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_kind_exits_2(runner, tmp_path):
    f = write_csv(tmp_path, "a,b\n1,2\n", "mystery.csv")
    result = invoke(runner, ["report", str(f)])
    assert result.exit_code == ExitCode.USAGE
    assert "--map" in result.stderr and "--kind" in result.stderr


def test_check_without_targets_file_says_so(runner, calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # holds calls.csv and no targets.yaml
    result = invoke(runner, ["check", str(calls)])
    assert result.exit_code == ExitCode.USAGE
    assert "targets.yaml" in result.stderr and "-t" in result.stderr


def test_check_uses_targets_yaml_in_current_directory(runner, calls, tmp_path, monkeypatch):
    targets(tmp_path, 'targets:\n  abandonment_rate: "< 10%"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["check", str(calls)])
    assert result.exit_code == ExitCode.TARGET_MISSED
    assert "using targets from ./targets.yaml" in result.stderr


def test_internal_error_exits_3_with_one_line_and_traceback_only_with_debug(runner, calls, monkeypatch):
    import hdkpi.run.pipeline

    def boom(options):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(hdkpi.run.pipeline, "run", boom)
    result = runner.invoke(cli, ["report", str(calls)])
    assert result.exit_code == ExitCode.INTERNAL
    assert "internal error: RuntimeError: kaboom" in result.stderr
    assert "Traceback" not in result.stderr
    debug = runner.invoke(cli, ["report", str(calls), "--debug"])
    assert debug.exit_code == ExitCode.INTERNAL
    assert "Traceback" in debug.stderr


def test_bad_option_values_exit_2(runner, calls):
    assert invoke(runner, ["report", str(calls), "--map", "nonsense"]).exit_code == ExitCode.USAGE
    assert invoke(runner, ["report", str(calls), "--tz", "Mars/Olympus"]).exit_code == ExitCode.USAGE
    assert invoke(runner, ["report", str(calls), "--kpi", "nope"]).exit_code == ExitCode.USAGE
    assert invoke(runner, ["report", str(calls), "--set", "short_abandon=soon"]).exit_code == ExitCode.USAGE
    assert invoke(runner, ["report", str(calls), "--from", "not-a-date"]).exit_code == ExitCode.USAGE
    bad_map = invoke(runner, ["report", str(calls), "--map", "agent=Assignee"])
    assert bad_map.exit_code == ExitCode.USAGE
    assert "Assignee" in bad_map.stderr and "offered_at" in bad_map.stderr  # lists the available columns


def test_json_on_stdout_summary_on_stderr(runner, calls):
    result = invoke(runner, ["report", str(calls), "-f", "json", "--kpi", "asa", "--kpi", "abandonment_rate"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    by_kpi = {r["kpi"]: r for r in doc["results"]}
    assert by_kpi["asa"]["value"] == pytest.approx(70 / 3)
    assert by_kpi["abandonment_rate"]["numerator"] == 1 and by_kpi["abandonment_rate"]["denominator"] == 4
    assert "hdkpi:" in result.stderr


def test_quiet_prints_nothing_but_keeps_exit_code(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  abandonment_rate: "< 10%"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t), "-q"])
    assert result.exit_code == ExitCode.TARGET_MISSED
    assert result.stdout == "" and result.stderr == ""


def test_output_file_is_written_atomically(runner, calls, tmp_path):
    out = tmp_path / "report.json"
    result = invoke(runner, ["report", str(calls), "-f", "json", "-o", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["schema"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv", "report.json"]  # no temp file left


def test_output_directories_are_created_and_templates_expanded(runner, calls, tmp_path):
    out = tmp_path / "reports" / "{date}" / "kpis-{period_end:%Y-%m-%d}.json"
    result = invoke(runner, ["report", str(calls), "-f", "json", "-o", str(out), "--from", "2026-11-01",
                             "--to", "2026-11-03"])
    assert result.exit_code == 0, result.stderr
    (day,) = (tmp_path / "reports").iterdir()  # today's date
    (written,) = day.iterdir()
    assert written.name == "kpis-2026-11-03.json" and json.loads(written.read_text())["schema"] == 1


def test_output_where_no_directory_can_be_made_exits_2(runner, calls, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke(runner, ["report", str(calls), "-o", str(blocker / "sub" / "out.json"), "-f", "json"])
    assert result.exit_code == ExitCode.USAGE
    assert "cannot create directory" in result.stderr


def test_several_formats_with_one_output_each(runner, calls, tmp_path):
    result = invoke(runner, ["report", str(calls), "-f", "json", "-o", str(tmp_path / "a.json"),
                             "-f", "table"])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "a.json").read_text())["schema"] == 1
    assert "calls_offered" in result.stdout  # the table, to stdout
    both = invoke(runner, ["report", str(calls), "-f", "json", "-f", "table"])
    assert both.exit_code == ExitCode.USAGE and "would all go to stdout" in both.stderr


def test_fail_on_and_summary_only(runner, calls, tmp_path):
    t = targets(tmp_path, 'targets:\n  asa: "<= 30s"\n  abandonment_rate: {fail: "< 30%", warn: "< 10%"}\n')
    args = ["check", str(calls), "-t", str(t)]
    assert invoke(runner, args).exit_code == ExitCode.OK  # only a warn-level miss
    assert invoke(runner, [*args, "--fail-on", "warn"]).exit_code == ExitCode.TARGET_MISSED
    t2 = write_csv(tmp_path, 'targets:\n  abandonment_rate: "< 10%"\n', "strict.yaml")
    assert invoke(runner, ["check", str(calls), "-t", str(t2), "--fail-on", "never"]).exit_code == ExitCode.OK
    summary = invoke(runner, [*args, "--summary-only"])
    assert summary.stdout.splitlines() == ["✔ pass     asa  23.3 s  (<= 30s)",
                                           "⚠ warn     abandonment_rate  25.0 %  (< 30%, warn < 10%)",
                                           "1 passed · 1 warned · 0 failed · 0 no-data"]


def test_stdin_dash(runner):
    result = runner.invoke(cli, ["report", "-", "-f", "json", "--kpi", "calls_offered"], input=CALLS)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"][0]["value"] == 4


def test_map_renames_columns(runner, tmp_path):
    f = write_csv(tmp_path, CALLS.replace("offered_at", "Start Time"), "calls.csv")
    result = invoke(runner, ["report", str(f), "--map", "offered_at=Start Time", "-f", "json",
                             "--kpi", "calls_offered"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["results"][0]["value"] == 4
    assert doc["inputs"][0]["kind"] == "calls"


def test_columns_section_of_targets_file_maps_columns(runner, tmp_path):
    f = write_csv(tmp_path, CALLS.replace("offered_at", "Start Time"), "calls.csv")
    t = targets(tmp_path, 'columns:\n  calls:\n    offered_at: "Start Time"\ntargets:\n  asa: "<= 30s"\n')
    result = invoke(runner, ["check", str(f), "-t", str(t)])
    assert result.exit_code == 0, result.stderr
    assert "✔ pass" in result.stdout


def test_row_accounting_in_report(runner, tmp_path):
    bad = CALLS + textwrap.dedent("""\
        5,yesterday,,,10,100,answered,billing
        6,2026-11-02T08:05:00Z,,,10,-100,answered,billing
        7,2026-11-02T08:06:00Z,2026-11-02T08:05:00Z,,,,answered,billing
        """)
    f = write_csv(tmp_path, bad, "calls.csv")
    result = invoke(runner, ["report", str(f), "-f", "json", "--kpi", "calls_offered"])
    doc = json.loads(result.stdout)
    assert doc["inputs"][0]["rows"] == {"read": 7, "used": 4, "rejected": 3, "folded": 0}
    assert doc["inputs"][0]["rejected_by_reason"] == {
        "answered_at: before offered_at": 1, "offered_at: not a date": 1, "talk_seconds: negative": 1}
    assert doc["results"][0]["value"] == 4
    table = invoke(runner, ["report", str(f), "--kpi", "calls_offered"]).stdout
    assert "7 read" in table and "3 rejected" in table and "offered_at: not a date" in table


def test_piped_output_has_no_ansi_and_no_color_is_honoured(runner, calls, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = invoke(runner, ["report", str(calls)])
    assert "\x1b[" not in result.stdout


def test_window_from_to(runner, calls):
    result = invoke(runner, ["report", str(calls), "-f", "json", "--kpi", "calls_offered",
                             "--from", "2026-11-02T08:01:00", "--to", "2026-11-02T08:03:00"])
    doc = json.loads(result.stdout)
    assert doc["results"][0]["value"] == 2  # 08:01 and 08:02; 08:03 is the exclusive end
    assert doc["period"]["from"].startswith("2026-11-02T08:01:00")


def test_set_overrides_a_setting(runner, calls):
    result = invoke(runner, ["report", str(calls), "-f", "json", "--kpi", "service_level",
                             "--set", "service_level_threshold=10s"])
    doc = json.loads(result.stdout)
    # only the answer at 10 s is within 10 s → 1 / 4
    assert doc["results"][0]["value"] == pytest.approx(0.25)
    assert doc["settings"]["service_level_threshold"] == 10


def test_kpis_catalogue(runner):
    result = invoke(runner, ["kpis"])
    assert result.exit_code == 0
    for name in ("asa", "service_level", "resolved_within", "fcr", "nps"):
        assert name in result.stdout
    doc = json.loads(invoke(runner, ["kpis", "-f", "json"]).stdout)
    names = {k["name"] for k in doc}
    assert {"asa", "abandonment_rate", "csat", "backlog"} <= names


def test_version(runner):
    from hdkpi import __version__

    result = invoke(runner, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


# -- plugins ---------------------------------------------------------------------------

PLUGIN = EXAMPLES / "plugins" / "after_hours.py"


def test_plugin_file_is_loaded_and_checked_like_a_builtin(runner, calls, tmp_path):
    # offered 08:00–08:03 on Monday 2026-11-02: all inside 08:00–18:00 → after-hours share 0/4
    t = targets(tmp_path, 'targets:\n  after_hours_share: "> 50%"\n')
    result = invoke(runner, ["check", str(calls), "--plugin", str(PLUGIN), "-t", str(t), "-f", "json"])
    assert result.exit_code == ExitCode.TARGET_MISSED
    doc = json.loads(result.stdout)
    (rec,) = [r for r in doc["results"] if r["kpi"] == "after_hours_share"]
    assert rec["value"] == 0 and rec["denominator"] == 4 and rec["status"] == "fail"
    assert f"loading plugin {PLUGIN}" in result.stderr


def test_plugin_loaded_twice_in_one_process_does_not_collide(runner, calls):
    for _ in range(2):
        result = invoke(runner, ["report", str(calls), "--plugin", str(PLUGIN), "--kpi", "after_hours_share"])
        assert result.exit_code == 0


def test_plugin_that_redefines_a_builtin_is_refused(runner, calls, tmp_path):
    bad = tmp_path / "dup.py"
    bad.write_text(textwrap.dedent("""\
        from hdkpi import Count, kpi

        @kpi("asa", title="x", kind="calls", unit="count", direction="none", anchor="offered_at",
             definition="x")
        def asa(calls, ctx):
            return Count(calls["offered_at"].notna())
        """))
    result = invoke(runner, ["report", str(calls), "--plugin", str(bad)])
    assert result.exit_code == ExitCode.USAGE
    assert "already defined by hdkpi.kpis.calls" in result.stderr


def test_plugin_with_an_import_error_is_reported(runner, calls, tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("import does_not_exist_anywhere\n")
    result = invoke(runner, ["report", str(calls), "--plugin", str(bad)])
    assert result.exit_code == ExitCode.USAGE
    assert "error importing plugin" in result.stderr and "does_not_exist_anywhere" in result.stderr


def test_plugin_via_entry_point(runner, calls, tmp_path, monkeypatch):
    """An installed package exposing the example plugin in the ``hdkpi.kpis`` group."""
    site = tmp_path / "site"
    dist = site / "hdkpi_after_hours-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hdkpi-after-hours\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[hdkpi.kpis]\nafter_hours = after_hours\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PLUGIN.parent))
    monkeypatch.delenv("HDKPI_LOAD_PLUGINS")
    t = targets(tmp_path, 'targets:\n  after_hours_share: "<= 15%"\n')
    result = invoke(runner, ["check", str(calls), "-t", str(t), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    (rec,) = [r for r in json.loads(result.stdout)["results"] if r["kpi"] == "after_hours_share"]
    assert rec["status"] == "pass" and rec["value"] == 0
    catalogue = json.loads(invoke(runner, ["kpis", "-f", "json"]).stdout)
    (entry,) = [k for k in catalogue if k["name"] == "after_hours_share"]
    assert "entry point after_hours" in entry["origin"]
    monkeypatch.setenv("HDKPI_LOAD_PLUGINS", "0")
    off = json.loads(invoke(runner, ["kpis", "-f", "json"]).stdout)
    assert "after_hours_share" not in {k["name"] for k in off}


# -- processes -------------------------------------------------------------------------

def test_cli_import_does_not_import_pandas():
    code = "import sys; import hdkpi.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_python_dash_m(calls):
    out = subprocess.run([sys.executable, "-m", "hdkpi", "report", str(calls), "--kpi", "calls_offered",
                          "-f", "json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["value"] == 4


def test_output_to_a_fifo_writes_into_it_and_never_replaces_it(runner, calls, tmp_path):
    """-o /dev/null or a named pipe: the special file stays what it is (as root too)."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = invoke(runner, ["report", str(calls), "-f", "json", "-o", str(fifo), "--kpi", "calls_offered"])
    reader.join(timeout=10)
    assert result.exit_code == 0
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received[0])["results"][0]["value"] == 4


def test_output_names_follow_the_reporting_zone(runner, calls, tmp_path):
    # the day 2026-07-01 in Paris starts at 2026-06-30T22:00Z: its file is named after 07-01, not 06-30
    out = tmp_path / "{period_start:%Y-%m-%d}.json"
    result = invoke(runner, ["report", str(calls), "--tz", "Europe/Paris", "--from", "2026-07-01",
                             "--to", "2026-07-02", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0 and (tmp_path / "2026-07-01.json").is_file()


def test_a_failing_render_leaves_the_old_file_and_no_partial_one(runner, calls, tmp_path, monkeypatch):
    import hdkpi.render.json as render_json

    out = tmp_path / "kpis.json"
    out.write_text("the good old report")

    def broken(self, report):
        raise RuntimeError("disk of the mind is full")

    monkeypatch.setattr(render_json.JsonFormatter, "render", broken)
    result = runner.invoke(cli, ["report", str(calls), "-f", "json", "-o", str(out)])
    assert result.exit_code == ExitCode.INTERNAL
    assert out.read_text() == "the good old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv", "kpis.json"]


def test_rejects_file_keeps_every_rejected_row_with_its_reason(runner, tmp_path):
    bad = CALLS + "5,yesterday,,,10,100,answered,billing\n6,2026-11-02T08:05:00Z,,,10,-100,answered,=cmd\n"
    f = write_csv(tmp_path, bad, "calls.csv")
    out = tmp_path / "rejects.csv"
    result = invoke(runner, ["report", str(f), "--kpi", "calls_offered", "--rejects", str(out)])
    assert result.exit_code == 0 and "wrote 2 rejected row(s)" in result.stderr
    import csv as csv_module

    rows = list(csv_module.DictReader(out.open()))
    assert [(r["data_row"], r["reason"], r["offered_at"]) for r in rows] == [
        ("5", "offered_at: not a date", "yesterday"), ("6", "talk_seconds: negative", "2026-11-02T08:05:00Z")]
    assert rows[1]["queue"] == "'=cmd"  # guarded for spreadsheets
