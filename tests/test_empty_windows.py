"""Breakdowns over a window that holds no records: every figure is there, counts 0, the rest no-data."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hdkpi.cli import cli


def _report(tmp_path, text: str, *args: str) -> dict:
    path = tmp_path / "calls.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["report", str(path), "--kpi", "calls_offered", "--kpi", "asa",
                                      *args, "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_an_empty_export_by_queue_and_day(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./targets.yaml
    doc = _report(tmp_path, "call_id,offered_at,wait_seconds,outcome,queue\n", "--by", "queue", "--every", "day",
                  "--last", "1d", "--now", "2026-11-02")
    figures = {(r["kpi"], json.dumps(r["group"]), r["period"]): (r["value"], r["n"]) for r in doc["results"]}
    # the window is one day, 2026-11-01: the overall figures and that day's; no queue was seen, so no group rows
    assert figures == {
        ("calls_offered", "{}", None): (0.0, 0), ("asa", "{}", None): (None, 0),
        ("calls_offered", "{}", "2026-11-01"): (0.0, 0), ("asa", "{}", "2026-11-01"): (None, 0),
    }


def test_records_outside_the_window_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = _report(tmp_path, "call_id,offered_at,wait_seconds,outcome,queue\nC1,2026-10-30T09:00:00Z,5,answered,a\n",
                  "--by", "queue", "--every", "day", "--last", "1d", "--now", "2026-11-02")
    by_period = {(r["kpi"], r["period"]) for r in doc["results"] if not r["group"]}
    assert ("calls_offered", "2026-11-01") in by_period
    assert all(r["n"] == 0 for r in doc["results"])  # C1 is three days before the window: in no figure
