"""The history store (--history): hand-worked nightly series, idempotence, a corrected re-run, a
missing night, a run killed while writing, concurrent writers, migrations, prune/export/check.

The nights (service level, T = 20 s, answered within T ÷ offered; target >= 60 %):

    2026-11-02  billing waits 10, 30 (answered), 40 (abandoned) → 1/3;  sales 5 → 1/1;  all 2/4 = 0.5  (fail)
    2026-11-03  first export:     billing 15, 25                 → 1/2;  (no sales)  all 1/2 = 0.5  (fail)
                corrected export: billing 15, 25                 → 1/2;  sales 8 → 1/1; all 2/3     (pass)
    2026-11-04  no run (the missing night)
    2026-11-05  billing 5 (answered), 50 (abandoned) → 1/2;  sales 10, 12 → 2/2;  all 3/4 = 0.75  (pass)
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.history import store as history
from hdkpi.history.store import HistoryError, Run, open_store, opened, read_records, write_run

HEADER = "call_id,offered_at,queue,outcome,wait_seconds\n"
TARGETS = 'version: 1\ntargets:\n  service_level: ">= 60%"\n'


def calls(day: str, rows: list[tuple[str, str, int]], tag: str = "") -> str:
    """rows of (queue, outcome, wait seconds), offered one minute apart from 08:00 of ``day``."""
    lines = [f"C{day[-2:]}{tag}{i},{day}T08:{i:02d}:00+00:00,{q},{o},{w}" for i, (q, o, w) in enumerate(rows)]
    return HEADER + "\n".join(lines) + "\n"


NIGHTS = {
    "2026-11-02": [("billing", "answered", 10), ("billing", "answered", 30), ("billing", "abandoned", 40),
                   ("sales", "answered", 5)],
    "2026-11-03": [("billing", "answered", 15), ("billing", "answered", 25)],
    "2026-11-05": [("billing", "answered", 5), ("billing", "abandoned", 50), ("sales", "answered", 10),
                   ("sales", "answered", 12)],
}
CORRECTED = [("billing", "answered", 15), ("billing", "answered", 25), ("sales", "answered", 8)]
NEXT = {"2026-11-02": "2026-11-03", "2026-11-03": "2026-11-04", "2026-11-05": "2026-11-06"}


@pytest.fixture
def desk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HDKPI_HISTORY", raising=False)
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    return tmp_path


def night(desk: Path, day: str, rows: list, *extra: str, name: str | None = None, db: str = "h.db") -> dict:
    """Run the nightly report on one day's export; return its JSON document."""
    export = desk / (name or f"calls-{day}.csv")
    export.write_text(calls(day, rows), encoding="utf-8")
    out = desk / f"out-{export.stem}.json"
    result = CliRunner().invoke(cli, ["report", str(export), "--last", "1d", "--now", NEXT[day], "--by", "queue",
                                      "--kpi", "service_level", "--kpi", "calls_offered", "--history", db,
                                      "-f", "json", "-o", str(out), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def all_rows(db: Path, table: str = "records") -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def figures(db: Path, kpi: str = "service_level") -> dict[tuple[str, str], tuple]:
    """(period, group value) → (value, n, numerator, denominator, status) of the stored day figures."""
    with opened(str(db)) as store:
        rows = read_records(store, "day")
    return {(r["period"], json.loads(r["group_value"])[0] if r["group_value"] != "[]" else "all"):
            (r["value"], r["n"], r["numerator"], r["denominator"], r["status"]) for r in rows if r["kpi"] == kpi}


def history_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["history", "--history", "h.db", "-f", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_three_nights_a_correction_and_a_missing_night(desk):
    first = night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    second = night(desk, "2026-11-03", NIGHTS["2026-11-03"], "--compare", "previous")
    # the one-day export has nothing of 11-02: the previous day comes from the history
    overall = next(r for r in second["results"] if r["kpi"] == "service_level" and not r["group"])
    assert overall["compare"]["value"] == 0.5 and overall["compare"]["period"] == "2026-11-02 (history)"
    billing = next(r for r in second["results"] if r["kpi"] == "service_level" and r["group"] == {"queue": "billing"})
    assert billing["compare"]["value"] == pytest.approx(1 / 3)  # billing's 11-02: 1 of 3
    night(desk, "2026-11-03", CORRECTED, name="calls-2026-11-03-corrected.csv")
    night(desk, "2026-11-05", NIGHTS["2026-11-05"])
    stored = figures(desk / "h.db")
    assert stored == {
        ("2026-11-02", "all"): (0.5, 4, 2, 4, "fail"),
        ("2026-11-02", "billing"): (pytest.approx(1 / 3), 3, 1, 3, "fail"),
        ("2026-11-02", "sales"): (1, 1, 1, 1, "pass"),
        ("2026-11-03", "all"): (pytest.approx(2 / 3), 3, 2, 3, "pass"),  # the corrected export won
        ("2026-11-03", "billing"): (0.5, 2, 1, 2, "fail"),
        ("2026-11-03", "sales"): (1, 1, 1, 1, "pass"),  # new with the correction
        ("2026-11-05", "all"): (0.75, 4, 3, 4, "pass"),
        ("2026-11-05", "billing"): (0.5, 2, 1, 2, "fail"),
        ("2026-11-05", "sales"): (1, 2, 2, 2, "pass"),
    }
    # the correction is recorded: overall service level 1/2 → 2/3 and calls offered 2 → 3 (billing unchanged)
    replaced = {(r[2], r[8], r[9]) for r in all_rows(desk / "h.db", "replacements")}
    assert replaced == {("service_level", 0.5, 2 / 3), ("calls_offered", 2.0, 3.0)}
    assert len(all_rows(desk / "h.db", "runs")) == 4
    doc = history_json("--kpi", "service_level", "--by", "queue")
    assert doc["every"] == "day"
    series = {tuple(s["group"].items()): s for s in doc["series"]}
    assert [p["period"] for p in series[()]["points"]] == ["2026-11-02", "2026-11-03", "2026-11-05"]
    assert series[()]["missing"] == ["2026-11-04"]
    # the figures are the original runs' figures, exactly
    firsts = {tuple(r["group"].items()): r for r in first["results"] if r["kpi"] == "service_level"}
    for key, s in series.items():
        point, original = s["points"][0], firsts[key]
        assert {k: point[k] for k in ("value", "n", "numerator", "denominator", "method", "status", "target")} == \
               {k: original[k] for k in ("value", "n", "numerator", "denominator", "method", "status", "target")}
    table = CliRunner().invoke(cli, ["history", "--history", "h.db", "--kpi", "service_level"]).stdout
    assert "service_level  all" in table and "Not in the history" in table and "2026-11-04" in table


def test_the_same_night_twice_leaves_the_same_rows(desk):
    night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    before = all_rows(desk / "h.db")
    result = CliRunner().invoke(cli, ["report", "calls-2026-11-02.csv", "--last", "1d", "--now", "2026-11-03",
                                      "--by", "queue", "--kpi", "service_level", "--kpi", "calls_offered",
                                      "--history", "h.db"])
    assert result.exit_code == 0
    assert "(0 new, 0 replaced, 6 unchanged)" in result.stderr  # 2 KPIs × (all, billing, sales)
    assert all_rows(desk / "h.db") == before
    assert all_rows(desk / "h.db", "replacements") == []
    assert len(all_rows(desk / "h.db", "runs")) == 2  # every run is remembered


def test_every_day_and_a_one_day_window_are_the_same_figure(desk):
    """--last 1d stores the window as its day; --every day over the same day replaces (not duplicates) it."""
    night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    result = CliRunner().invoke(cli, ["report", "calls-2026-11-02.csv", "--every", "day", "--by", "queue",
                                      "--from", "2026-11-02", "--to", "2026-11-03", "--kpi", "service_level",
                                      "--kpi", "calls_offered", "--history", "h.db"])
    assert result.exit_code == 0
    assert "0 new, 0 replaced, 6 unchanged" in result.stderr
    assert len(all_rows(desk / "h.db")) == 6
    # without a window the overall figures cover the data's span (08:00:00 to 08:03:01): window figures, apart
    result = CliRunner().invoke(cli, ["report", "calls-2026-11-02.csv", "--every", "day", "--by", "queue",
                                      "--kpi", "service_level", "--kpi", "calls_offered", "--history", "h.db"])
    assert "6 new, 0 replaced, 6 unchanged" in result.stderr
    windows = [r for r in all_rows(desk / "h.db") if r[4] == ""]
    assert {(r[5], r[6]) for r in windows} == {("2026-11-02T08:00:00+00:00", "2026-11-02T08:03:01+00:00")}


def test_a_failed_write_leaves_the_previous_state(desk, monkeypatch):
    night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    night(desk, "2026-11-03", NIGHTS["2026-11-03"])
    before = [all_rows(desk / "h.db", t) for t in ("records", "runs", "replacements")]
    real = history.Store.executemany

    def fail_after_upsert(self, text, rows):
        real(self, text, rows)
        if text.startswith("INSERT INTO records"):
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(history.Store, "executemany", fail_after_upsert)
    (desk / "fix.csv").write_text(calls("2026-11-03", CORRECTED), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "fix.csv", "--last", "1d", "--now", "2026-11-04", "--by", "queue",
                                      "--kpi", "service_level", "--kpi", "calls_offered", "--history", "h.db"])
    assert result.exit_code == 3 and "disk on fire" in result.stderr
    assert [all_rows(desk / "h.db", t) for t in ("records", "runs", "replacements")] == before


KILLER = textwrap.dedent("""
    import os, sys
    from hdkpi.history import store as history
    real = history.Store.executemany
    def die(self, text, rows):
        real(self, text, rows)
        if text.startswith("INSERT INTO records"):
            os._exit(9)  # killed in the middle of the transaction: no rollback, no close
    history.Store.executemany = die
    from hdkpi.cli import main
    sys.argv = ["hdkpi", *sys.argv[1:]]
    main()
""")


def test_a_run_killed_while_writing_leaves_the_previous_state(desk):
    night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    night(desk, "2026-11-03", NIGHTS["2026-11-03"])
    before = [all_rows(desk / "h.db", t) for t in ("records", "runs", "replacements")]
    (desk / "fix.csv").write_text(calls("2026-11-03", CORRECTED), encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", KILLER, "report", "fix.csv", "--last", "1d", "--now",
                             "2026-11-04", "--by", "queue", "--kpi", "service_level", "--kpi", "calls_offered",
                             "--history", "h.db", "-q"], cwd=desk, capture_output=True, text=True,
                            env={**__import__("os").environ, "HDKPI_LOAD_PLUGINS": "0"})
    assert killed.returncode == 9, killed.stderr
    assert [all_rows(desk / "h.db", t) for t in ("records", "runs", "replacements")] == before
    check = CliRunner().invoke(cli, ["history", "check", "--history", "h.db"])
    assert check.exit_code == 0 and "integrity_check: ok" in check.stdout


def _run(period_start: str, value: float) -> Run:
    day = period_start[:10]
    record = {"kpi": "calls_offered", "group_by": "[]", "group_value": "[]", "every": "day",
              "period_start": period_start, "period_end": period_start.replace(day, f"{day[:8]}{int(day[8:]) + 1:02d}"),
              "value": value, "n": int(value), "numerator": None, "denominator": None, "method": None,
              "target": None, "status": None, "unit": "count", "title": "Calls offered", "direction": "none",
              "period": day, "tz": "UTC", "notes": "[]"}
    return Run(started_at=period_start, command="report", settings={}, inputs=[], options={}, outcome={},
               records=[record])


def _writer(db: str, start, wait, days: list[int], value: float) -> None:
    start.wait(10)
    with opened(db) as store:
        for d in days:
            write_run(store, _run(f"2026-11-{d:02d}T00:00:00+00:00", value))
    wait.put("done")


def test_two_concurrent_writers_both_succeed(tmp_path):
    db = str(tmp_path / "h.db")
    open_store(db).close()
    ctx = multiprocessing.get_context("fork")
    start, done = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(db, start, done, list(range(1, 21)), 10.0 + i)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    with opened(db) as store:
        rows = read_records(store, "day")
        runs = store.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        assert store.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(rows) == 20 and runs == 40  # one figure per day; both writers' runs remembered
    assert {r["value"] for r in rows} <= {10.0, 11.0}


def test_a_writer_that_cannot_get_the_lock_says_so(tmp_path):
    db = str(tmp_path / "h.db")
    open_store(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run in the middle of its write
    try:
        with opened(db, timeout=0.3) as store, pytest.raises(HistoryError, match="busy: another hdkpi run held it"):
            write_run(store, _run("2026-11-02T00:00:00+00:00", 5))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with opened(db) as store:  # and once it is free, the write goes through
        write_run(store, _run("2026-11-02T00:00:00+00:00", 5))
        assert len(read_records(store, "day")) == 1


#: schema 1 exactly as hdkpi 0.1 created it (frozen here: the migration must take such a file forward)
SCHEMA_1 = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (1)",
    "CREATE TABLE runs (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, hdkpi TEXT NOT NULL, command TEXT NOT NULL, "
    "settings TEXT NOT NULL, inputs TEXT NOT NULL)",
    "CREATE TABLE records (run_id TEXT NOT NULL REFERENCES runs (id), kpi TEXT NOT NULL, group_by TEXT NOT NULL, "
    "group_value TEXT NOT NULL, every TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL, "
    "value DOUBLE PRECISION, n BIGINT NOT NULL, numerator DOUBLE PRECISION, denominator DOUBLE PRECISION, "
    "method TEXT, target TEXT, status TEXT, PRIMARY KEY (kpi, group_by, group_value, every, period_start, "
    "period_end))",
    "INSERT INTO runs VALUES ('old', '2026-11-01T00:15:00+00:00', '0.1.0', 'report', '{}', '[]')",
    "INSERT INTO records VALUES ('old', 'service_level', '[]', '[]', 'day', '2026-10-31T00:00:00+00:00', "
    "'2026-11-01T00:00:00+00:00', 0.75, 4, 3, 4, 'offered, T=20s', NULL, NULL)",
]


@pytest.fixture
def schema_1(desk):
    with sqlite3.connect(desk / "h.db") as conn:
        for statement in SCHEMA_1:
            conn.execute(statement)
    return desk / "h.db"


def test_an_older_schema_is_migrated_and_keeps_its_figures(schema_1, desk):
    check = CliRunner().invoke(cli, ["history", "check", "--history", "h.db"])
    assert "schema version 1: older than 2" in check.stdout  # check never migrates
    night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    with opened("h.db") as store:
        assert store.version() == history.SCHEMA_VERSION
    doc = history_json("--kpi", "service_level")
    points = doc["series"][0]["points"]
    assert doc["series"][0]["unit"] == "share"  # from the catalogue: schema 1 did not store it
    assert [(p["period"], p["value"], p["n"]) for p in points] == [("2026-10-31", 0.75, 4), ("2026-11-02", 0.5, 4)]


def test_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "h.db"
    open_store(str(db)).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(HistoryError, match="schema 99, newer than"):
        open_store(str(db))


def test_not_a_history_database(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(HistoryError, match="not an hdkpi history database"):
        open_store(str(other))
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not sqlite at all" * 10, encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", "--history", str(text)])
    assert result.exit_code == 2 and result.stderr.startswith("hdkpi: error: ") and "not a history" in result.stderr


def test_prune_export_and_check(desk):
    for day, rows in NIGHTS.items():
        night(desk, day, rows)
    runner = CliRunner()
    export = runner.invoke(cli, ["history", "export", "--history", "h.db"])
    assert export.exit_code == 0
    lines = export.stdout.splitlines()
    assert lines[0].startswith("run_id,kpi,group_by,group_value,every,period_start")
    assert len(lines) == 1 + 16  # 2 KPIs × (all, billing, sales) on 11-02 and 11-05, × (all, billing) on 11-03
    parquet = runner.invoke(cli, ["history", "export", "--history", "h.db", "--table", "runs", "-o", "runs.parquet"])
    assert parquet.exit_code == 0
    import pandas as pd

    assert len(pd.read_parquet(desk / "runs.parquet")) == 3
    # keep 4 days back from 2026-11-07: periods ending before 11-03 go (the night of 11-02)
    pruned = runner.invoke(cli, ["history", "prune", "--history", "h.db", "--keep", "4d", "--now", "2026-11-07"])
    assert pruned.exit_code == 0 and "pruned 6 figure(s)" in pruned.stderr and "1 run(s)" in pruned.stderr
    assert {p for p, _ in figures(desk / "h.db")} == {"2026-11-03", "2026-11-05"}
    check = runner.invoke(cli, ["history", "check", "--history", "h.db"])
    assert check.exit_code == 0
    assert check.stdout.splitlines()[0] == "h.db: ok"
    assert "2 runs, 10 records, 0 replacements" in check.stdout


def test_history_location_from_the_targets_file_and_the_environment(desk, monkeypatch):
    (desk / "targets.yaml").write_text(TARGETS + "history: store/kpis.db\n", encoding="utf-8")
    export = desk / "n.csv"
    export.write_text(calls("2026-11-02", NIGHTS["2026-11-02"]), encoding="utf-8")
    args = ["report", str(export), "--last", "1d", "--now", "2026-11-03", "--kpi", "service_level"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert (desk / "store" / "kpis.db").is_file()  # relative to the targets file
    monkeypatch.setenv("HDKPI_HISTORY", str(desk / "env.db"))
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert (desk / "env.db").is_file()  # the environment wins over the targets file
    assert CliRunner().invoke(cli, [*args, "--history", "opt.db"]).exit_code == 0
    assert (desk / "opt.db").is_file()  # and the option over both
    assert CliRunner().invoke(cli, ["history", "--kpi", "service_level"]).exit_code == 0  # HDKPI_HISTORY


def test_history_needs_a_database(desk):
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 2 and "no history database" in result.stderr
    missing = CliRunner().invoke(cli, ["history", "--history", "nope.db"])
    assert missing.exit_code == 2 and "no such history database" in missing.stderr
    assert not (desk / "nope.db").exists()  # reading never creates a store


def test_compare_baseline_is_the_mean_of_the_stored_nights(desk):
    night(desk, "2026-11-02", NIGHTS["2026-11-02"])
    night(desk, "2026-11-03", CORRECTED)
    doc = night(desk, "2026-11-05", NIGHTS["2026-11-05"], "--compare", "baseline")
    overall = next(r for r in doc["results"] if r["kpi"] == "service_level" and not r["group"])
    # mean of 0.5 (11-02) and 2/3 (11-03) = 7/12; 0.75 − 7/12 = 1/6
    assert overall["compare"]["value"] == pytest.approx(7 / 12)
    assert overall["compare"]["change"] == pytest.approx(1 / 6)
    assert overall["compare"]["period"] == "baseline: mean of 2 days to 2026-11-03"


def test_compare_baseline_needs_a_baseline(desk):
    (desk / "n.csv").write_text(calls("2026-11-02", NIGHTS["2026-11-02"]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "n.csv", "--compare", "baseline"])
    assert result.exit_code == 2 and "--compare baseline takes the baseline from --baseline FILE" in result.stderr


def test_a_postgres_url_without_psycopg_or_server_is_one_line(desk, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    (desk / "n.csv").write_text(calls("2026-11-02", NIGHTS["2026-11-02"]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "n.csv", "--history", "postgresql://u:secret@localhost/kpis"])
    assert result.exit_code == 2
    assert "pip install 'hdkpi[postgres]'" in result.stderr and "secret" not in result.stderr


def test_spans_and_earlier_spans_follow_the_local_calendar():
    from datetime import datetime, timedelta, timezone

    from hdkpi.history.records import classify, earlier

    utc, london = timezone.utc, "Europe/London"
    # Sunday 2026-10-25 in London: summer time ends at 02:00, so the day is 2026-10-24T23:00Z to 10-26T00:00Z (25 h)
    day = classify(datetime(2026, 10, 24, 23, tzinfo=utc), datetime(2026, 10, 26, tzinfo=utc), london)
    assert (day.every, day.label) == ("day", "2026-10-25")
    # its week began on Monday 19 Oct; the week before began on Monday 12 Oct at 00:00 BST = 11 Oct 23:00Z
    week = earlier(day, "last-week", london)
    assert (week.every, week.label, week.start) == ("week", "2026-10-12", datetime(2026, 10, 11, 23, tzinfo=utc))
    same = earlier(day, "same-day-last-week", london)  # Sunday 18 Oct, a 24-hour day
    assert (same.every, same.label, same.end - same.start) == ("day", "2026-10-18", timedelta(hours=24))
    assert earlier(day, "previous", london).label == "2026-10-24"
    month = classify(datetime(2026, 11, 1, tzinfo=utc), datetime(2026, 12, 1, tzinfo=utc), "UTC")
    assert month.every == "month" and earlier(month, "same-day-last-week", "UTC") is None
    assert earlier(month, "previous", "UTC").label == "2026-10-01"
    # a window that is no calendar period: the same length just before it
    window = classify(datetime(2026, 11, 2, 8, tzinfo=utc), datetime(2026, 11, 2, 20, tzinfo=utc), "UTC")
    assert window.every == "" and earlier(window, "previous", "UTC").start == datetime(2026, 11, 1, 20, tzinfo=utc)


def test_history_csv_is_exact_and_spreadsheet_safe(desk):
    rows = [("=HYPERLINK(1)", "answered", 10), ("=HYPERLINK(1)", "answered", 30), ("sales", "answered", 5)]
    night(desk, "2026-11-02", rows)
    result = CliRunner().invoke(cli, ["history", "show", "--history", "h.db", "--kpi", "service_level", "--by",
                                      "queue", "-f", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("kpi,title,queue,period,period_start,period_end,value,unit,n,numerator,denominator,method,"
                        "target,status,anomaly,run")
    cells = [line.split(",") for line in lines[1:]]
    # all 2/3, the formula-looking queue 1/2 (quoted with '), sales 1/1
    assert [(c[2], c[6], c[8], c[9], c[10]) for c in cells] == [
        ("", "0.666666666667", "3", "2", "3"), ("'=HYPERLINK(1)", "0.5", "2", "1", "2"), ("sales", "1", "1", "1", "1")]


def test_history_html_is_one_escaped_page_of_charts_with_the_target_line(desk):
    """`hdkpi history -f html`: a chart per KPI (the HTML report's history charts), the target line,
    no request allowed, and a group value that is markup shown as text."""
    hostile = "<script>alert(1)</script>"
    night(desk, "2026-11-02", [(hostile, "answered", 10), (hostile, "answered", 30), ("sales", "answered", 5)])
    night(desk, "2026-11-03", NIGHTS["2026-11-03"])
    result = CliRunner().invoke(cli, ["history", "--history", "h.db", "--by", "queue", "-f", "html", "-o", "h.html"])
    assert result.exit_code == 0, result.output
    html = (desk / "h.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;' in html
    charts = html.count('<figure class="trend')
    assert charts == 2 and 'data-kpi="service_level"' in html and 'data-kpi="calls_offered"' in html
    level = html[html.index('data-kpi="service_level"'):html.index("</figure>", html.index('data-kpi="service_level"'))]
    assert 'class="target"' in level and "target &gt;= 60%" in level  # the target line, from the stored target
    assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == 1  # the page's own (allowed by its hash), nothing from the data
