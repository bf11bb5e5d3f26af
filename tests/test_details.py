"""Drill-down: --details DIR and hdkpi show list the records behind a figure."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.run.details import records_behind
from hdkpi.run.pipeline import RunOptions, run

from .conftest import write_csv

CALLS = """\
call_id,offered_at,wait_seconds,outcome,queue
1,2026-11-02T08:00:00Z,10,answered,billing
2,2026-11-02T08:01:00Z,45,answered,billing
3,2026-11-02T08:02:00Z,50,abandoned,billing
4,2026-11-02T08:03:00Z,5,answered,tech
5,2026-11-02T08:04:00Z,70,abandoned,tech
6,2026-11-02T08:05:00Z,31,answered,=HYPERLINK("x")
"""


def test_records_behind_each_kind_of_measure(tmp_path):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    r = run(RunOptions(files=[str(path)], kpis=["abandonment_rate", "asa", "service_level", "calls_offered"],
                       by=["queue"]))
    # lower is better: the abandoned calls themselves (3 in billing)
    assert records_behind(r, "abandonment_rate", {"queue": "billing"})["call_id"].tolist() == ["3"]
    # a mean with a target of 30 s: the answered calls waiting longer (2: 45 s, 6: 31 s)
    slow = records_behind(r, "asa", threshold=30)
    assert slow["call_id"].tolist() == ["2", "6"] and slow["asa_value"].tolist() == [45.0, 31.0]
    # higher is better: offered calls not answered within 20 s (2, 3, 5, 6)
    assert records_behind(r, "service_level")["call_id"].tolist() == ["2", "3", "5", "6"]


def test_details_dir_has_one_guarded_csv_per_failing_figure(tmp_path):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    targets = write_csv(tmp_path, 'targets:\n  asa: "<= 30s"\n  abandonment_rate: "< 40%"\n', "targets.yaml")
    out = tmp_path / "details"
    result = CliRunner().invoke(cli, ["check", str(path), "-t", str(targets), "--by", "queue",
                                      "--details", str(out)])
    assert result.exit_code == 1
    # asa: overall 22.75 s passes; billing (10+45)/2 = 27.5 passes; tech 5 passes; the =HYPERLINK queue 31 s fails.
    # abandonment: overall 2/6 = 33 % passes; billing 1/3 passes; tech 1/2 = 50 % fails.
    names = sorted(p.name for p in out.iterdir())
    assert names == ['abandonment_rate__queue=tech.csv', 'asa__queue==HYPERLINK(_x_).csv']
    rows = list(csv.DictReader(io.StringIO((out / names[1]).read_text())))
    assert rows[0]["call_id"] == "6" and rows[0]["queue"] == "'=HYPERLINK(\"x\")"  # neutralised for spreadsheets


def test_show_prints_the_records(tmp_path):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    result = CliRunner().invoke(cli, ["show", "abandonment_rate", str(path), "--group", "queue=tech", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["call_id"] for r in rows] == ["5"]
    bad = CliRunner().invoke(cli, ["show", "abandonment_rate", str(path), "--group", "queue=nowhere"])
    assert bad.exit_code == 2


def test_baseline_compare_and_save_only_on_success(tmp_path):
    import json

    path = write_csv(tmp_path, CALLS, "calls.csv")
    good = write_csv(tmp_path, 'targets:\n  abandonment_rate: "< 50%"\n', "good.yaml")
    bad = write_csv(tmp_path, 'targets:\n  abandonment_rate: "< 10%"\n', "bad.yaml")
    runner = CliRunner()
    base = tmp_path / "base.json"
    first = runner.invoke(cli, ["check", str(path), "-t", str(good), "--save-baseline", str(base), "-q"])
    assert first.exit_code == 0 and json.loads(base.read_text())["schema"] == 1
    saved = base.read_text()
    fewer = write_csv(tmp_path, CALLS.replace("3,2026-11-02T08:02:00Z,50,abandoned", "3,2026-11-02T08:02:00Z,50,answered"),
                      "calls2.csv")
    second = runner.invoke(cli, ["check", str(fewer), "-t", str(bad), "--baseline", str(base), "-f", "json",
                                 "--save-baseline", str(base)])
    assert second.exit_code == 1
    rec = next(r for r in json.loads(second.stdout)["results"] if r["kpi"] == "abandonment_rate")
    # now 1 of 6 abandoned (was 2 of 6): change −1/6, better for a lower-is-better KPI
    assert rec["compare"]["value"] == 2 / 6 and abs(rec["compare"]["change"] + 1 / 6) < 1e-12
    assert rec["compare"]["better"] is True
    assert base.read_text() == saved  # a failing run never replaces the baseline
    assert "not saving" in second.stderr
