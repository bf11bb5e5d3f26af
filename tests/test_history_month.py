"""A month of nightly runs on the examples (examples/cron/history_month.py, run in-process): `hdkpi
history --kpi service_level --by queue --last 30d` gives back every night's figures exactly, the
HTML report draws the stored series with the target line, and --compare and the anomaly rule reach
into the store."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli

from .conftest import EXAMPLES
from .test_recipes import CRON, hdkpi_args, option_values, systemd_command, unit_file

FIELDS = ("value", "n", "numerator", "denominator", "method", "status", "target")


def script():
    spec = importlib.util.spec_from_file_location("history_month", EXAMPLES / "cron" / "history_month.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """Every night of the examples, each run seeing only its own day's export; the JSON of each kept."""
    month = script()
    out = tmp_path_factory.mktemp("month")
    db = out / "history.db"
    nights = {}
    for day, export in month.split_by_day(EXAMPLES / "calls.csv", out / "exports"):
        doc = out / f"{day}.json"
        args = [*month.nightly_args(day, export, db), "--kpi", "service_level", "--kpi", "calls_offered",
                "-f", "json", "-o", str(doc)]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        nights[f"{day:%Y-%m-%d}"] = json.loads(doc.read_text(encoding="utf-8"))
    return db, nights


def test_the_month_is_every_night_of_the_examples(month):
    _, nights = month
    days = list(nights)
    assert (days[0], days[-1], len(days)) == ("2026-10-26", "2026-11-21", 27)
    offered = sum(next(r["value"] for r in doc["results"] if r["kpi"] == "calls_offered" and not r["group"])
                  for doc in nights.values())
    assert offered == 4632  # every valid call of the examples, each on its own night


def test_history_gives_back_each_nights_figures_exactly(month):
    db, nights = month
    result = CliRunner().invoke(cli, ["history", "--history", str(db), "--kpi", "service_level", "--by", "queue",
                                      "--last", "30d", "--now", "2026-11-22", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["every"] == "day" and doc["by"] == ["queue"]
    series = {tuple(s["group"].items()): s for s in doc["series"]}
    assert set(series) == {(), (("queue", "billing"),), (("queue", "sales"),), (("queue", "tech"),)}
    compared = 0
    for day, night in nights.items():
        for original in night["results"]:
            if original["kpi"] != "service_level":
                continue
            points = [p for p in series[tuple(original["group"].items())]["points"] if p["period"] == day]
            assert len(points) == 1, (day, original["group"])
            assert {k: points[0][k] for k in FIELDS} == {k: original[k] for k in FIELDS}
            compared += 1
    assert compared == sum(len(s["points"]) for s in series.values())  # nothing more, nothing less
    # the Sundays: the overall figure is stored (no calls: no-data); no queue had a record
    assert series[()]["missing"] == [] and series[(("queue", "billing"),)]["missing"] == [
        "2026-11-01", "2026-11-08", "2026-11-15"]


def test_history_table_shows_the_trend(month):
    db, _ = month
    result = CliRunner().invoke(cli, ["history", "--history", str(db), "--kpi", "service_level", "--by", "queue",
                                      "--last", "30d", "--now", "2026-11-22"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("hdkpi ") and "every: day (UTC)" in lines[0]
    trend = next(line for line in lines if "service_level  all" in line)
    assert re.search(r"[▁▂▃▄▅▆▇█ ]{27}", trend), trend  # one mark per night, a blank for each no-data Sunday
    assert "2026-10-26 74.5 %" in trend  # 181 of 243 answered within 20 s on the first night
    assert "\x1b[" not in result.stdout  # plain when piped


def test_compare_previous_comes_from_the_history(month):
    _, nights = month
    overall = next(r for r in nights["2026-11-20"]["results"] if r["kpi"] == "service_level" and not r["group"])
    before = next(r for r in nights["2026-11-19"]["results"] if r["kpi"] == "service_level" and not r["group"])
    assert overall["compare"]["period"] == "2026-11-19 (history)"
    assert overall["compare"]["value"] == before["value"]  # 147 / 213
    assert overall["compare"]["p_value"] is not None  # the significance test on the stored basis


def test_anomalies_use_the_stored_nights(month):
    """Saturday 2026-11-14 (16 calls, all within 20 s: 100 %) against the 8 stored nights before it."""
    _, nights = month
    saturday = next(r for r in nights["2026-11-14"]["results"] if r["kpi"] == "service_level" and not r["group"])
    assert saturday["value"] == 1 and saturday["anomaly"] is True
    ordinary = next(r for r in nights["2026-11-18"]["results"] if r["kpi"] == "service_level" and not r["group"])
    assert ordinary["anomaly"] is False


def test_the_html_report_draws_the_history(month, tmp_path):
    db, _ = month
    export = next(p for p in (db.parent / "exports").iterdir() if p.name == "calls-2026-11-20.csv")
    page = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(export), "-t", str(EXAMPLES.parent / "targets.yaml"), "--last",
                                      "1d", "--now", "2026-11-21", "--by", "queue", "--kpi", "service_level",
                                      "--history", str(db), "-f", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    section = html[html.index('<section id="history">'):]
    section = section[:section.index("</section>")]
    assert 'data-kpi="service_level"' in section and 'class="target"' in section and "target &gt;= 80%" in section
    assert all(f"queue={q}" in section for q in ("billing", "sales", "tech"))  # a line per queue
    assert 'href="#history"' in html


def test_the_recipes_history_is_where_the_service_may_write():
    service = unit_file(CRON / "hdkpi-nightly.service")
    (path,) = option_values(hdkpi_args(systemd_command(CRON / "hdkpi-nightly.service")), "--history")
    assert Path(path).parent == Path(service["Service"]["ReadWritePaths"])


def test_a_report_without_periods_draws_the_stored_nights(month, tmp_path):
    """An ad-hoc report over a whole export (no --every, no --last: a window figure) still draws the
    stored series, in the unit the store holds most of: the nights' days."""
    import shutil

    db, _ = month
    copy = tmp_path / "history.db"
    shutil.copy(db, copy)
    page = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(EXAMPLES / "calls.csv"), "-t", str(EXAMPLES.parent / "targets.yaml"),
                                      "--kpi", "service_level", "--history", str(copy), "-f", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    section = html[html.index('<section id="history">'):]
    assert 'data-kpi="service_level"' in section[:section.index("</section>")]


def test_the_rolled_up_week_is_the_weekly_report_of_its_nights(month, tmp_path):
    """Only nights are stored; `hdkpi history --every week` rolls the week of Monday 2026-11-02 up from its
    seven nights, and it is exactly what `hdkpi report --every week` gives over that week's exports (the
    Sunday 2026-11-08 had no call: an empty day for every queue)."""
    db, nights = month
    doc = json.loads(CliRunner().invoke(cli, ["history", "--history", str(db), "--every", "week", "--by", "queue",
                                              "--from", "2026-11-02", "--to", "2026-11-09", "-f", "json"]).stdout)
    points = {(s["kpi"], tuple(s["group"].items())): s["points"] for s in doc["series"]}
    days = [f"2026-11-0{d}" for d in range(2, 9)]
    exports = [str(db.parent / "exports" / f"calls-{day}.csv") for day in days]
    out = tmp_path / "week.json"
    result = CliRunner().invoke(cli, ["report", *exports, "-t", str(script().TARGETS), "--from", "2026-11-02", "--to",
                                      "2026-11-09", "--every", "week", "--by", "queue", "--kpi", "service_level",
                                      "--kpi", "calls_offered", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    weekly = [r for r in json.loads(out.read_text(encoding="utf-8"))["results"] if r["period"] == "2026-11-02"]
    assert len(weekly) == len(points) == 8  # 2 KPIs × (all, billing, sales, tech)
    for r in weekly:
        (point,) = points[(r["kpi"], tuple(r["group"].items()))]
        assert point["period"] == "2026-11-02 (from days)" and point["derived"] is True
        assert {k: point[k] for k in FIELDS} == {k: r[k] for k in FIELDS}, (r["kpi"], r["group"])
    # and the week is the sum of its nights: calls offered overall, night by night
    offered = [next(x["value"] for x in nights[d]["results"] if x["kpi"] == "calls_offered" and not x["group"])
               for d in days]
    assert points[("calls_offered", ())][0]["value"] == sum(offered) == 1186
