"""Weeks and months rolled up from stored days (hdkpi.history.rollup), worked by hand.

Seven nights, Monday 2026-11-02 to Sunday 2026-11-08, each a one-day export run with `--last 1d --by
queue` (service level: answered within T = 20 s ÷ offered; target >= 60 %). Waits in seconds:

    Mon 11-02  billing 10, 30 answered, 40 abandoned; sales 5   → all 2/4, billing 1/3, sales 1/1
    Tue 11-03  billing 15, 25; sales 8, 12 (all answered)        → all 3/4, billing 1/2, sales 2/2
    Wed 11-04  billing 5 answered; sales 50 abandoned            → all 1/2, billing 1/1, sales 0/1
    Thu 11-05  sales 19, 21 answered; billing 3 answered         → all 2/3, billing 1/1, sales 1/2
    Fri 11-06  billing 60 answered, 5 abandoned (no sales call)  → all 0/2, billing 0/2
    Sat 11-07  sales 2 answered (no billing call)                → all 1/1, sales 1/1
    Sun 11-08  no call at all                                    → all no-data (0/0); no queue stored

The week (Σ numerators ÷ Σ denominators — not the mean of the days' shares):
    all      (2+3+1+2+0+1+0) / (4+4+2+3+2+1+0) = 9/16 = 0.5625   → fail (< 60 %)
    billing  (1+1+1+1+0)     / (3+2+1+1+2)     = 4/9             → fail
    sales    (1+2+0+1+1)     / (1+2+1+2+1)     = 5/7             → pass
The mean of the seven days' overall shares would be (0.5+0.75+0.5+0.667+0+1)/6 = 0.569 — not the week.
calls_offered: all 4+4+2+3+2+1+0 = 16, billing 3+2+1+1+2 = 9, sales 1+2+1+2+1 = 7.
asa (answered calls): waits 10,30,5 | 15,25,8,12 | 5 | 19,21,3 | 60 | 2 → 215 s / 13 calls = 16.538… s.
max_wait: max(40, 25, 50, 21, 60, 2) = 60 s.
The Sunday counts as empty for the queues (its overall figure is stored with n = 0); Friday for sales and
Saturday for billing too (the other queue is stored that day: a run stores every group it has).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.engine.registry import builtin_registry
from hdkpi.history.rollup import NOT_DERIVABLE, measure_class, rule_of
from hdkpi.history.store import Run, opened, write_run

HEADER = "call_id,offered_at,queue,outcome,wait_seconds\n"
TARGETS = 'version: 1\ntargets:\n  service_level: ">= 60%"\n'
KPIS = ("service_level", "calls_offered", "asa", "max_wait")
WEEK = {
    "2026-11-02": [("billing", "answered", 10), ("billing", "answered", 30), ("billing", "abandoned", 40),
                   ("sales", "answered", 5)],
    "2026-11-03": [("billing", "answered", 15), ("billing", "answered", 25), ("sales", "answered", 8),
                   ("sales", "answered", 12)],
    "2026-11-04": [("billing", "answered", 5), ("sales", "abandoned", 50)],
    "2026-11-05": [("sales", "answered", 19), ("sales", "answered", 21), ("billing", "answered", 3)],
    "2026-11-06": [("billing", "answered", 60), ("billing", "abandoned", 5)],
    "2026-11-07": [("sales", "answered", 2)],
    "2026-11-08": [],
}


def calls(day: str, rows: list[tuple[str, str, int]]) -> str:
    lines = [f"C{day[-2:]}{i},{day}T08:{i:02d}:00+00:00,{q},{o},{w}\n" for i, (q, o, w) in enumerate(rows)]
    return HEADER + "".join(lines)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def run_night(where: Path, db: Path, day: str, rows: list, *extra: str) -> dict:
    """The nightly run over one day's export; its JSON document."""
    from datetime import date, timedelta

    export = where / f"calls-{day}.csv"
    export.write_text(calls(day, rows), encoding="utf-8")
    out = where / f"night-{day}.json"
    after = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    args = ["report", str(export), "-t", str(where / "targets.yaml"), "--last", "1d", "--now", after, "--by",
            "queue", *(a for k in KPIS for a in ("--kpi", k)), "--history", str(db), "-q", "-f", "json", "-o",
            str(out), *extra]
    invoke(*args)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """The seven nights in one store; the same without Wednesday's run in another."""
    where = tmp_path_factory.mktemp("rollup")
    (where / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HDKPI_LOAD_PLUGINS", "0")
        mp.delenv("HDKPI_HISTORY", raising=False)
        for day, rows in WEEK.items():
            run_night(where, where / "week.db", day, rows)
            if day != "2026-11-04":
                run_night(where, where / "gap.db", day, rows)
    return where


def week_points(db: Path, *args: str) -> dict[tuple, dict]:
    """(kpi, group items) → the JSON point of the week of 2026-11-02 from `hdkpi history --every week`."""
    doc = json.loads(invoke("history", "--history", str(db), "--every", "week", "--by", "queue", "--from",
                            "2026-11-02", "--to", "2026-11-09", "-f", "json", *args))
    assert doc["every"] == "week"
    return {(s["kpi"], tuple(s["group"].items())): p for s in doc["series"] for p in s["points"]}


def test_the_week_is_rolled_up_from_its_seven_nights(nights):
    points = week_points(nights / "week.db")
    level = points[("service_level", ())]
    assert (level["value"], level["n"], level["numerator"], level["denominator"]) == (9 / 16, 16, 9, 16)
    assert level["status"] == "fail" and level["target"]["text"] == ">= 60%"
    assert level["period"] == "2026-11-02 (from days)" and level["derived"] is True and level["run"] is None
    billing, sales = points[("service_level", (("queue", "billing"),))], points[("service_level", (("queue", "sales"),))]
    assert (billing["value"], billing["n"], billing["status"]) == (4 / 9, 9, "fail")
    assert (sales["value"], sales["n"], sales["status"]) == (5 / 7, 7, "pass")
    assert [points[("calls_offered", g)]["value"] for g in ((), (("queue", "billing"),), (("queue", "sales"),))] \
        == [16, 9, 7]
    asa = points[("asa", ())]
    assert asa["n"] == 13 and asa["value"] == pytest.approx(215 / 13, rel=1e-15)
    assert points[("max_wait", ())]["value"] == 60 and points[("max_wait", ())]["n"] == 16  # 16 calls with a wait


def test_the_rolled_up_week_is_a_weekly_run_over_the_same_rows(nights, tmp_path):
    """The same seven exports in one weekly run (`--every week`): every figure the same, exactly."""
    rows = [r for day in WEEK.values() for r in day]
    export = tmp_path / "week.csv"
    export.write_text(HEADER + "".join(calls(day, r)[len(HEADER):] for day, r in WEEK.items()), encoding="utf-8")
    assert sum(1 for _ in export.open()) == 1 + len(rows)
    out = tmp_path / "week.json"
    invoke("report", str(export), "-t", str(nights / "targets.yaml"), "--from", "2026-11-02", "--to", "2026-11-09",
           "--every", "week", "--by", "queue", *(a for k in KPIS for a in ("--kpi", k)), "-f", "json", "-o", str(out))
    weekly = [r for r in json.loads(out.read_text(encoding="utf-8"))["results"] if r["period"] == "2026-11-02"]
    points = week_points(nights / "week.db")
    assert len(weekly) == len(points) == 12  # 4 KPIs × (all, billing, sales)
    for r in weekly:
        point = points[(r["kpi"], tuple(r["group"].items()))]
        fields = ("value", "n", "numerator", "denominator", "method", "status", "target")
        if r["kpi"] == "asa":  # a mean: Σ value × n ÷ Σ n of the stored means, exact up to float rounding
            assert point["value"] == pytest.approx(r["value"], rel=1e-15)
            fields = fields[1:]
        assert {k: point[k] for k in fields} == {k: r[k] for k in fields}, r["kpi"]


def test_a_week_with_a_missing_night_is_not_rolled_up(nights):
    points = week_points(nights / "gap.db")
    level = points[("service_level", ())]
    assert level["value"] is None and level["status"] == "no-data" and level["derived"] is True
    assert level["notes"] == [f"{NOT_DERIVABLE}: 1 of 7 days not in the history: 2026-11-04"]
    table = invoke("history", "--history", str(nights / "gap.db"), "--every", "week", "--kpi", "service_level")
    assert "0 of 1 figure(s) rolled up" in table and "1 of 7 days not in the history: 2026-11-04" in table


def test_compare_last_week_rolls_up_the_stored_days(nights, tmp_path):
    """Tuesday 2026-11-10 (billing 10 s answered: 1/1) against the week of 2026-11-02 from its days: 9/16."""
    shutil.copy(nights / "week.db", tmp_path / "h.db")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    doc = run_night(tmp_path, tmp_path / "h.db", "2026-11-10", [("billing", "answered", 10)], "--compare",
                    "last-week")
    level = next(r for r in doc["results"] if r["kpi"] == "service_level" and not r["group"])
    assert level["compare"]["period"] == "2026-11-02 (history, from days)"
    assert (level["compare"]["value"], level["compare"]["n"]) == (9 / 16, 16)
    assert level["compare"]["change"] == 1 - 9 / 16 and level["compare"]["p_value"] is not None
    offered = next(r for r in doc["results"] if r["kpi"] == "calls_offered" and r["group"] == {"queue": "billing"})
    assert (offered["value"], offered["compare"]["value"]) == (1, 9)  # billing: 3+2+1+1+2 calls that week


def test_compare_says_why_a_week_is_not_derivable(nights, tmp_path):
    shutil.copy(nights / "gap.db", tmp_path / "h.db")
    (tmp_path / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    doc = run_night(tmp_path, tmp_path / "h.db", "2026-11-10", [("billing", "answered", 10)], "--compare",
                    "last-week")
    level = next(r for r in doc["results"] if r["kpi"] == "service_level" and not r["group"])
    assert level["compare"]["n"] == 0 and "(history" not in level["compare"]["period"]  # the input's: nothing
    assert (f"--compare last-week: the week of 2026-11-02 is {NOT_DERIVABLE}: 1 of 7 days not in the history: "
            "2026-11-04") in level["notes"]


def test_compare_previous_of_a_weekly_run(nights, tmp_path):
    """A weekly run (`--last 1w`) over the week of 2026-11-09: its previous week from the stored days."""
    shutil.copy(nights / "week.db", tmp_path / "h.db")
    export = tmp_path / "w.csv"
    export.write_text(calls("2026-11-09", [("sales", "answered", 30)]), encoding="utf-8")
    out = tmp_path / "w.json"
    invoke("report", str(export), "-t", str(nights / "targets.yaml"), "--last", "1w", "--now", "2026-11-16",
           "--kpi", "service_level", "--compare", "previous", "--history", str(tmp_path / "h.db"), "-q", "-f",
           "json", "-o", str(out))
    level = json.loads(out.read_text(encoding="utf-8"))["results"][0]
    assert level["value"] == 0 and level["compare"]["period"] == "2026-11-02 (history, from days)"
    assert level["compare"]["value"] == 9 / 16


def _records(kpi: str, unit: str, days: list[tuple[float | None, int, float | None, float | None]],
             method: str | None = None) -> Run:
    """One run storing ``kpi``'s overall figure for 2026-11-02 … as (value, n, numerator, denominator)."""
    records = []
    for i, (value, n, num, den) in enumerate(days):
        day = f"2026-11-{2 + i:02d}"
        records.append({"kpi": kpi, "group_by": "[]", "group_value": "[]", "every": "day",
                        "period_start": f"{day}T00:00:00+00:00", "period_end": f"2026-11-{3 + i:02d}T00:00:00+00:00",
                        "value": value, "n": n, "numerator": num, "denominator": den, "method": method,
                        "target": None, "status": None, "unit": unit, "title": kpi, "direction": "none",
                        "period": day, "tz": "UTC", "notes": "[]"})
    return Run(started_at="2026-11-09T00:15:00+00:00", command="report", settings={}, inputs=[], options={},
               outcome={}, records=records)


def test_measures_that_do_not_add_up_are_not_rolled_up_and_backlog_is_the_last_night(tmp_path):
    """frt_median (a median of days is not the week's median), tickets_per_agent (distinct agents), NPS
    (Σ net ÷ Σ answers × 100 = (3 − 1 + 2) / (5 + 5 + 0 + …) …) and backlog (open at the end of Sunday)."""
    db = str(tmp_path / "h.db")
    with opened(db) as store:
        write_run(store, _records("frt_median", "seconds", [(600.0, 3, None, None)] * 7))
        write_run(store, _records("tickets_per_agent", "score", [(2.0, 4, 4.0, 2.0)] * 7))
        # backlog open at the end of each night: 12, 9, 9, 7, 5, 5, 4 → the week's is Sunday's 4
        write_run(store, _records("backlog", "count", [(x, x, None, None) for x in (12, 9, 9, 7, 5, 5, 4)]))
        # NPS nights: net +3 of 5, −1 of 5, none, +2 of 4, 0 of 1, none, none → 100 × 4 / 15 = 26.67
        nps = [(60.0, 5, 3.0, 5.0), (-20.0, 5, -1.0, 5.0), (None, 0, None, None), (50.0, 4, 2.0, 4.0),
               (0.0, 1, 0.0, 1.0), (None, 0, None, None), (None, 0, None, None)]
        write_run(store, _records("nps", "score", nps))
    doc = json.loads(invoke("history", "--history", db, "--every", "week", "-f", "json"))
    points = {s["kpi"]: s["points"][0] for s in doc["series"]}
    assert points["frt_median"]["value"] is None
    assert points["frt_median"]["notes"] == [f"{NOT_DERIVABLE}: a median or percentile of days is not the period's"]
    assert points["tickets_per_agent"]["value"] is None and NOT_DERIVABLE in points["tickets_per_agent"]["notes"][0]
    assert (points["backlog"]["value"], points["backlog"]["n"]) == (4, 4)
    assert (points["nps"]["value"], points["nps"]["n"], points["nps"]["numerator"]) == (100 * 4 / 15, 15, 4)


def test_days_measured_differently_are_not_rolled_up(tmp_path):
    db = str(tmp_path / "h.db")
    run = _records("service_level", "share", [(0.5, 4, 2.0, 4.0)] * 7, method="offered, T=20s")
    run.records[3]["method"] = "offered, T=30s"
    with opened(db) as store:
        write_run(store, run)
    point = json.loads(invoke("history", "--history", db, "--every", "week", "-f", "json"))["series"][0]["points"][0]
    assert point["value"] is None
    assert point["notes"] == [f"{NOT_DERIVABLE}: the days were measured differently (offered, T=20s; offered, T=30s)"]


#: how each catalogue KPI's days add up (None: never rolled up)
EXPECTED = {
    "calls_offered": "sum", "calls_answered": "sum", "calls_abandoned": "sum", "short_abandons": "sum",
    "ticket_volume": "sum", "tickets_resolved": "sum",
    "abandonment_rate": "share", "service_level": "share", "transfer_rate": "share", "call_fcr": "share",
    "resolved_within": "share", "fcr": "share", "escalation_rate": "share", "reopen_rate": "share",
    "sla_compliance": "share", "survey_response_rate": "share", "csat": "share",
    "asa": "mean", "avg_wait_time": "mean", "avg_abandon_time": "mean", "aht": "mean", "avg_talk_time": "mean",
    "frt": "mean", "resolution_time": "mean", "ticket_aht": "mean", "csat_mean": "mean", "ces": "mean",
    "max_wait": "max", "nps": "net", "backlog": "last",
    "frt_median": None, "resolution_time_median": None, "resolution_time_p90": None, "resolution_time_p": None,
    "intervals_meeting": None, "tickets_per_agent": None, "cost_per_ticket": None, "next_issue_avoidance": None,
    "sla_achieved": None, "sla_breaches": None, "sla_at_risk": None, "sla_elapsed_p90": None,
}


def test_every_catalogue_kpi_is_classified():
    """Each built-in KPI declares its measure (``-> Share``), and each measure is either rolled up or not."""
    names = [k.name for k in builtin_registry()]
    assert set(names) == set(EXPECTED)
    for name in names:
        assert measure_class(name) is not None, name
        rule, why = rule_of(name, "resolved flag" if name == "call_fcr" else "score columns of the tickets")
        assert rule == EXPECTED[name], name
        assert (rule is None) == bool(why) and "does not add up over days" not in why, name
    assert "verdict can change after the night" in rule_of("sla_achieved(resolution)", None)[1]
    # the methods that look at other records than the row's own
    assert rule_of("call_fcr", "repeat_caller(604800s)")[0] is None
    assert rule_of("survey_response_rate", "surveys file, by ticket_id")[0] is None
    assert rule_of("resolved_within(2d)", None)[0] == "share"
    assert rule_of("my_plugin_kpi", None) == (None, "hdkpi does not know how my_plugin_kpi adds up (not a built-in KPI)")


def test_history_html_draws_the_weeks_with_the_target_line(nights, tmp_path):
    page = tmp_path / "h.html"
    invoke("history", "--history", str(nights / "week.db"), "--every", "week", "--by", "queue", "-f", "html",
           "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert all(f'data-kpi="{k}"' in html for k in KPIS)
    assert "2026-11-02 (from days)" in html and 'id="derived"' in html


def test_the_store_is_only_read(nights):
    before = sqlite3.connect(nights / "week.db").execute("SELECT COUNT(*) FROM records").fetchone()[0]
    week_points(nights / "week.db")
    assert sqlite3.connect(nights / "week.db").execute("SELECT COUNT(*) FROM records").fetchone()[0] == before


def test_a_weekly_html_report_draws_the_weeks_from_the_nights(nights, tmp_path):
    shutil.copy(nights / "week.db", tmp_path / "h.db")
    export = tmp_path / "w.csv"
    export.write_text(calls("2026-11-09", [("sales", "answered", 30)]), encoding="utf-8")
    page = tmp_path / "r.html"
    invoke("report", str(export), "-t", str(nights / "targets.yaml"), "--last", "1w", "--now", "2026-11-16",
           "--kpi", "service_level", "--history", str(tmp_path / "h.db"), "-q", "-f", "html", "-o", str(page))
    html = page.read_text(encoding="utf-8")
    section = html[html.index('<section id="history">'):]
    section = section[:section.index("</section>")]
    assert 'data-kpi="service_level"' in section and "2026-11-02 (from days)" in section  # the week before, derived
    assert 'class="target"' in section


def test_the_days_of_a_month_follow_the_local_calendar():
    """October 2026 in London: 31 days; Sunday the 25th has 25 hours (summer time ends)."""
    from datetime import timedelta
    from itertools import pairwise

    from hdkpi.history.records import period_span
    from hdkpi.history.rollup import days_of

    days = days_of(period_span("month", "2026-10-01", "Europe/London"), "Europe/London")
    assert len(days) == 31 and (days[0].label, days[-1].label) == ("2026-10-01", "2026-10-31")
    assert days[24].label == "2026-10-25" and days[24].end - days[24].start == timedelta(hours=25)
    assert all(a.end == b.start for a, b in pairwise(days))  # no gap, no overlap
