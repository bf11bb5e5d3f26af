"""hdkpi inspect and hdkpi init on the shipped examples and on small files."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hdkpi.cli import cli

from .conftest import EXAMPLES, write_csv


def test_inspect_explains_a_file(tmp_path):
    path = write_csv(tmp_path, """\
ticket_id,created_at,resolved_at,priority
T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,P1
T2,2026-11-02T09:00:00Z,2026-11-02T08:00:00Z,P2
T3,2026-11-03T09:00:00Z,,P2
""", "tickets.csv")
    result = CliRunner().invoke(cli, ["inspect", str(path), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    (doc,) = json.loads(result.stdout)
    assert doc["kind"] == "tickets" and doc["preset"]["name"] == "generic"
    assert doc["mapping"]["created_at"] == "created_at"
    # T2 resolved before it was created: rejected, data row 2
    assert doc["rows"] == {"read": 3, "used": 2, "rejected": 1, "folded": 0}
    assert doc["rejected_rows"] == {"resolved_at: before created_at": [2]}
    assert doc["dates"]["created_at"]["first"].startswith("2026-11-02T08:00")
    assert doc["dimensions"]["priority"] == {"distinct": 2, "top": {"P1": 1, "P2": 1}}
    assert "resolution_time" in doc["kpis"]["computable"]
    why = {x["kpi"]: x["why"] for x in doc["kpis"]["not_computable"]}
    assert "first_response" in why["frt"]  # says what would make it computable


def test_inspect_text_names_preset_mapping_and_kpis():
    result = CliRunner().invoke(cli, ["inspect", str(EXAMPLES / "calls.csv")])
    assert result.exit_code == 0
    for fragment in ("kind: calls", "preset: generic", "offered_at", "4,635 read · 4,632 used · 3 rejected",
                     "KPIs it gives", "queue: 3 distinct"):
        assert fragment in result.stdout


def test_init_writes_targets_that_check_uses_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = [str(EXAMPLES / f"{k}.csv") for k in ("calls", "tickets", "surveys")]
    runner = CliRunner()
    result = runner.invoke(cli, ["init", *files])
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "targets.yaml").read_text()
    for line in ('asa: "<= 30s"', 'abandonment_rate: "< 10%"', 'fcr: ">= 50%"', 'resolved_within(2d): ">= 80%"',
                 'csat: ">= 90%"', "# calendar:", "# service_level_threshold: 20s"):
        assert line in text
    check = runner.invoke(cli, ["check", *files])
    assert check.exit_code == 1  # the examples miss targets on purpose; the file itself is valid
    again = runner.invoke(cli, ["init", *files])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_init_for_calls_only_writes_call_targets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", str(EXAMPLES / "calls.csv"), "-o", "calls-targets.yaml"])
    assert result.exit_code == 0
    text = (tmp_path / "calls-targets.yaml").read_text()
    assert "asa:" in text and "fcr:" not in text and "csat:" not in text


def test_inspect_reports_gaps_in_the_date_coverage(tmp_path):
    rows = ["call_id,offered_at,outcome"]
    days = [2, 3, 6, 9, 10]  # missing: 4–5 (two days: listed), 7–8 (two days: listed)
    rows += [f"{d},2026-11-{d:02d}T09:00:00Z,answered" for d in days]
    path = write_csv(tmp_path, "\n".join(rows) + "\n", "calls.csv")
    (doc,) = json.loads(CliRunner().invoke(cli, ["inspect", str(path), "-f", "json"]).stdout)
    assert doc["dates"]["offered_at"]["gaps"] == ["2026-11-04 … 2026-11-05 (2 days)",
                                                  "2026-11-07 … 2026-11-08 (2 days)"]


def test_init_and_check_work_on_every_vendor_sample(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    samples = sorted(p for p in (EXAMPLES / "vendors").iterdir() if not p.name.startswith("README"))
    assert len(samples) >= 5
    for sample in samples:
        init = runner.invoke(cli, ["init", str(sample), "--force"])
        assert init.exit_code == 0, (sample, init.stderr)
        check = runner.invoke(cli, ["check", str(sample)])
        assert check.exit_code in (0, 1), (sample, check.stderr)
        assert "Summary:" in check.stdout


def test_unknown_layout_says_what_to_do(tmp_path):
    path = write_csv(tmp_path, "Foo,Bar\n1,2\n", "mystery.csv")
    result = CliRunner().invoke(cli, ["report", str(path)])
    assert result.exit_code == 2
    assert "unknown layout" in result.stderr and "--preset" in result.stderr and "Foo, Bar" in result.stderr
