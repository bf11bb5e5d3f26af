"""The Zendesk, Freshdesk and Jira Service Management mapping presets (src/hdkpi/presets/*.yaml) on the
synthetic samples in examples/vendors/: detected without --preset, figures worked out by hand, and each
layout's traps. A user's own mapping file goes through the same machinery (--preset ./ourdesk.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.ingest.load import read_table
from hdkpi.ingest.presets import builtin_presets, get_preset
from hdkpi.ingest.presets.mapping import MappingPreset
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES

VENDORS = EXAMPLES / "vendors"
ZENDESK = VENDORS / "zendesk_tickets.csv"
FRESHDESK = VENDORS / "freshdesk_tickets.csv"
JIRA = VENDORS / "jira_issues.csv"

KPIS = ["ticket_volume", "tickets_resolved", "backlog", "frt", "frt_median", "resolution_time",
        "resolution_time_median", "resolved_within(2d)", "fcr", "reopen_rate", "sla_compliance", "csat",
        "csat_mean"]


def figures(path: Path, **options):
    """Run the whole pipeline on one file with no --preset (auto-detection); results by KPI name."""
    report = run(RunOptions(files=[str(path)], kpis=options.pop("kpis", KPIS), **options))
    return report, {v.result.kpi: v.result for v in report.verdicts}


def converted(path: Path, preset: str):
    """The preset's canonical text table for a file, indexed by ticket id."""
    table = get_preset(preset).convert(read_table(str(path)), "UTC").table.frame
    return table.set_index("ticket_id")


# -- the presets are data files ------------------------------------------------------------

@pytest.mark.parametrize("name", ["zendesk", "freshdesk", "jira"])
def test_vendor_presets_are_shipped_mapping_files(name):
    preset = builtin_presets()[name]
    assert isinstance(preset, MappingPreset)
    assert preset.source.endswith(f"{name}.yaml") and preset.kind == "tickets"
    assert preset.reference.startswith("https://")
    assert len(preset.notes) >= 5  # every rule and every vendor difference is stated
    assert {"ticket_id", "created_at", "resolved_at", "csat"} <= set(preset.fields)


@pytest.mark.parametrize(("path", "name"), [(ZENDESK, "zendesk"), (FRESHDESK, "freshdesk"), (JIRA, "jira")])
def test_each_sample_is_recognised_by_its_own_preset(path, name):
    header = read_table(str(path)).header
    scores = {n: p.score(header, "") for n, p in builtin_presets().items()}
    assert scores[name] > 0
    assert all(s < scores[name] for n, s in scores.items() if n != name), scores  # detection picks it


# -- Zendesk -------------------------------------------------------------------------------

def test_zendesk_sample_figures():
    report, r = figures(ZENDESK)
    assert report.inputs[0].preset == "zendesk"
    assert (report.inputs[0].read, report.inputs[0].used) == (30, 30)
    assert r["ticket_volume"].value == 30
    # 24 tickets have 'Solved at' (Solved or Closed); 4125–4130 are New/Open/Pending/On-hold
    assert r["tickets_resolved"].value == 24
    assert r["backlog"].value == 6
    # 'First reply time in minutes' on 27 tickets (4104, 4128, 4130 have no reply):
    # resolved 15+30+45+5+2+120+60+25+90+10+40+15+200+3+35+50+1+75+20+30+55+65+20 = 1011
    # open 45+15+80+10 = 150; (1011 + 150) / 27 = 43 min = 2580 s
    assert r["frt"].n == 27
    assert r["frt"].value == pytest.approx(2580)
    # sorted, the 14th of 27 is 30 min
    assert r["frt_median"].value == pytest.approx(1800)
    # 'Full resolution time in minutes' of the 24 solved tickets:
    # 95+300+2880+20+60+35+1500+4320+240+2000+180+600+90+5000+45+3000+720+25+1440+150+360+2500+480+200
    # = 26240 min; 26240 / 24 = 1093.33 min = 65600 s
    assert r["resolution_time"].n == 24
    assert r["resolution_time"].value == pytest.approx(26240 * 60 / 24)
    # sorted … 300, 360 … are the 12th and 13th: (300 + 360) / 2 = 330 min
    assert r["resolution_time_median"].value == pytest.approx(330 * 60)
    # over 2880 min: 4320 (4108), 5000 (4114), 3000 (4116); 4103 took exactly 2880 → inside (inclusive)
    rw = r["resolved_within(2d)"]
    assert (rw.numerator, rw.denominator) == (21, 24)
    # Replies ≤ 1 and Reopens = 0 among the 24 solved: 4101 4104 4105 4106 4109 4111 4113 4115 4117 4118
    # 4120 4121 4123 4124 = 14. (Zendesk's one-touch, Replies < 2 without the reopen test, adds 4108: 15.)
    assert (r["fcr"].numerator, r["fcr"].denominator) == (14, 24)
    assert r["fcr"].method == "replies ≤ 1, no reopen, not escalated"
    # Reopens > 0: 4103, 4108, 4116
    assert (r["reopen_rate"].numerator, r["reopen_rate"].denominator) == (3, 24)
    # the CSV export has no SLA column
    assert r["sla_compliance"].value is None and "sla_breached" in " ".join(r["sla_compliance"].notes)
    # Good: 4101 4105 4106 4109 4111 4115 4117 4120 = 8; Bad: 4102 4108 = 2 → 8 / 10
    assert (r["csat"].numerator, r["csat"].denominator) == (8, 10)
    assert r["csat_mean"].value == pytest.approx((8 * 5 + 2 * 1) / 10)


def test_zendesk_unoffered_and_offered_are_not_survey_answers():
    table = converted(ZENDESK, "zendesk")
    scores = read_table(str(ZENDESK)).frame.set_index("Id")["Satisfaction Score"]
    assert scores.value_counts().to_dict() == {"Unoffered": 15, "Offered": 5, "Good": 8, "Bad": 2}
    assert table["csat"].isna()["4103"]  # Offered
    assert table["csat"].isna()["4104"]  # Unoffered
    assert table["csat"].dropna().value_counts().to_dict() == {"5": 8, "1": 2}
    # minutes × 60, as given (not re-derived from the timestamps); business-hours twins stay as columns
    assert table.loc["4103", "resolution_seconds"] == "172800.0"
    assert "Full resolution time in minutes within business hours" in table.columns


def test_zendesk_not_offered_spelling_and_dates_without_offset(tmp_path):
    path = tmp_path / "zd.csv"
    path.write_text(
        "Id,Created at,Solved at,Status,Replies,Reopens,First reply time in minutes,"
        "Full resolution time in minutes,Satisfaction Score\n"
        "1,2026-11-02 08:07,2026-11-02 09:07,Solved,1,0,10,60,Good\n"
        "2,2026-11-02 08:30,2026-11-02 10:30,Solved,1,0,20,120,Not Offered\n"
        "3,2026-11-02 09:00,2026-11-02 12:00,Solved,2,0,30,180,Bad\n"
        "4,2026-11-02 09:30,,Open,0,0,,,Unoffered\n", encoding="utf-8")
    report, r = figures(path, tz="Europe/Berlin")
    assert report.inputs[0].preset == "zendesk" and report.inputs[0].used == 4
    assert (r["csat"].numerator, r["csat"].denominator) == (1, 2)  # Good 1, Bad 1; Not Offered/Unoffered: none
    assert r["tickets_resolved"].value == 3
    # no offset: read in --tz; the minute columns still give the durations
    assert r["resolution_time"].value == pytest.approx((60 + 120 + 180) * 60 / 3)


# -- Freshdesk -----------------------------------------------------------------------------

def test_freshdesk_sample_figures():
    report, r = figures(FRESHDESK)
    assert report.inputs[0].preset == "freshdesk"
    assert (report.inputs[0].read, report.inputs[0].used) == (30, 30)
    assert r["ticket_volume"].value == 30
    # 'Resolved time' set on 2201–2218 and 2220–2225 = 24; 2219 is closed without it
    assert r["tickets_resolved"].value == 24
    # open/pending/waiting 2226–2230 (5) + 2219 closed but never resolved
    assert r["backlog"].value == 6
    # 'Initial response time' − 'Created time' on 27 tickets (not 2218, 2219, 2228), in minutes:
    # resolved 20+35+90+4+1+240+60+15+30+45+10+120+2+25+50+180+20+40+30+75+1+55+60 = 1208
    # open 35+15+25+5 = 80; (1208 + 80) / 27 = 47.70 min = 2862.2 s
    assert r["frt"].n == 27
    assert r["frt"].value == pytest.approx(1288 * 60 / 27)
    assert r["frt_median"].value == pytest.approx(30 * 60)  # the 14th of 27 sorted
    # 'Resolved time' − 'Created time', minutes:
    # 180+1380+240+95+12+2900+2880+420+300+150+4000+1440+20+600+360+3600+200+30+480+720+1200+15+3000+90
    # = 24312; 24312 / 24 = 1013 min
    assert r["resolution_time"].value == pytest.approx(1013 * 60)
    # sorted … 360, 420 … are the 12th and 13th: 390 min
    assert r["resolution_time_median"].value == pytest.approx(390 * 60)
    # over 2880: 2900 (2206), 4000 (2211), 3600 (2216), 3000 (2224); 2207 = 2880 exactly is inside
    rw = r["resolved_within(2d)"]
    assert (rw.numerator, rw.denominator) == (20, 24)
    # 'Agent interactions' ≤ 1 among resolved: 2201 2204 2205 2209 2210 2213 2217 2218(0) 2220 2222 2223 2225
    assert (r["fcr"].numerator, r["fcr"].denominator) == (12, 24)
    # no reopen count in the export
    assert r["reopen_rate"].value is None and "reopens" in " ".join(r["reopen_rate"].notes)
    # 'SLA Violated': 2202 2206 2211 2214 2216 2221 → (24 − 6) / 24
    assert (r["sla_compliance"].numerator, r["sla_compliance"].denominator) == (18, 24)
    # Awesome 9, Just Okay 3, Not Good 2 → 9 / 14; mean (9×5 + 3×3 + 2×1) / 14 = 56 / 14 = 4
    assert (r["csat"].numerator, r["csat"].denominator) == (9, 14)
    assert r["csat_mean"].value == pytest.approx(4.0)


def test_freshdesk_ticket_closed_but_not_resolved():
    raw = read_table(str(FRESHDESK)).frame.set_index("Ticket ID")
    assert raw.loc["2219", "Status"] == "Closed" and raw["Resolved time"].isna()["2219"]
    table = converted(FRESHDESK, "freshdesk")
    assert table.loc["2219", "closed_at"] == "2026-11-06 15:01:00"
    assert table["resolved_at"].isna()["2219"]  # closed_at alone does not resolve
    assert table["sla_breached"].isna()["2219"]  # empty 'Resolution status': no SLA information
    # the business-hours "(in hrs)" columns are HH:MM:SS and 00:00:00 without a response: not used
    assert raw.loc["2219", "First response time (in hrs)"] == "00:00:00"
    assert "first_response_seconds" not in table.columns
    assert table["first_response_at"].isna()["2219"]
    _, r = figures(FRESHDESK, kpis=["tickets_resolved", "backlog"])
    assert r["tickets_resolved"].value == 24 and r["backlog"].value == 6


def test_freshdesk_sla_and_survey_values():
    table = converted(FRESHDESK, "freshdesk")
    assert table.loc["2202", "sla_breached"] == "true"  # SLA Violated
    assert table.loc["2201", "sla_breached"] == "false"  # Within SLA
    assert table.loc["2202", "csat"] == "1" and table.loc["2206", "csat"] == "3" and table.loc["2201", "csat"] == "5"
    assert table.loc["2201", "replies"] == "1"


# -- Jira Service Management ---------------------------------------------------------------

def test_jira_sample_figures():
    report, r = figures(JIRA)
    assert report.inputs[0].preset == "jira"
    assert (report.inputs[0].read, report.inputs[0].used) == (25, 25)
    assert r["ticket_volume"].value == 25
    # 'Resolved' on SD-301 … SD-319 (Won't Do and Duplicate included); SD-320 is Done without a resolution
    assert r["tickets_resolved"].value == 19
    assert r["backlog"].value == 6
    # '[CHART] Date of First Response' − 'Created' on 22 issues (not SD-311, SD-321, SD-325), seconds:
    # 1510.679 + 3725 + 1050 + 5400 + 600 + 900 + 1200 + 7200 + 300 + 240.5 + 2700 + 1800 + 960 + 1800.25
    # + 4500 + 660 + 420 + 3000 + 1500 + 1200 + 208500 (SD-323: Saturday 00:05 → Monday 10:00) + 600
    # = 249766.429; / 22 = 11353.02 s
    assert r["frt"].n == 22
    assert r["frt"].value == pytest.approx(249766.429 / 22)
    # 11th and 12th of the 22 sorted: 1200 and 1500 → 1350 s
    assert r["frt_median"].value == pytest.approx(1350)
    # 'Resolved' − 'Created', minutes: 150+1440+745+2880+60+3000+330+4500+95+20+30+600+1380+2000+240+5760
    # +180+75+900 = 24385; / 19
    assert r["resolution_time"].value == pytest.approx(24385 * 60 / 19)
    assert r["resolution_time_median"].value == pytest.approx(600 * 60)  # the 10th of 19 sorted
    # over 2880: 3000 (SD-306), 4500 (SD-308), 5760 (SD-316); SD-304 = 2880 exactly is inside
    rw = r["resolved_within(2d)"]
    assert (rw.numerator, rw.denominator) == (16, 19)
    # stars ≥ 4: 5,4,5,4,5,5,4,5 of 5,4,3,2,5,4,5,1,5,4,5 → 8 / 11; mean 43 / 11
    assert (r["csat"].numerator, r["csat"].denominator) == (8, 11)
    assert r["csat_mean"].value == pytest.approx(43 / 11)
    # not in the export: reply count, reopen count, breached flag (the SLA fields are remaining times)
    for name, missing in (("fcr", "replies"), ("reopen_rate", "reopens"), ("sla_compliance", "sla_breached")):
        assert r[name].value is None and missing in " ".join(r[name].notes), name


def test_jira_12_hour_clock_at_midnight_and_noon():
    raw = read_table(str(JIRA)).frame.set_index("Issue key")
    assert raw.loc["SD-303", "Created"] == "03/Nov/26 12:15 AM"
    assert raw.loc["SD-303", "Resolved"] == "03/Nov/26 12:40 PM"
    assert raw.loc["SD-310", "Resolved"] == "05/Nov/26 12:10 AM"
    table = converted(JIRA, "jira")
    assert table.loc["SD-303", "created_at"] == "2026-11-03T00:15:00"  # 12:15 AM is 00:15
    assert table.loc["SD-303", "resolved_at"] == "2026-11-03T12:40:00"  # 12:40 PM is 12:40 → 745 min
    assert table.loc["SD-310", "created_at"] == "2026-11-04T23:50:00"
    assert table.loc["SD-310", "resolved_at"] == "2026-11-05T00:10:00"  # after midnight → 20 min
    assert table.loc["SD-315", "created_at"] == "2026-11-05T12:00:00"  # 12:00 PM is noon
    assert table.loc["SD-315", "first_response_at"] == "2026-11-05 12:30:00.25"  # ISO already: passed on
    assert table["resolved_at"].isna()["SD-320"]  # Done without a resolution: not resolved


def test_jira_sla_fields_are_kept_not_mapped():
    table = converted(JIRA, "jira")
    assert "sla_breached" not in table.columns
    assert table.loc["SD-306", "Custom field (Time to resolution)"].startswith("-")  # breached last cycle
    assert table.loc["SD-301", "Custom field (Time to resolution)"] == "05:30"


def test_jira_locale_variants(tmp_path):
    header = "Issue key,Issue id,Issue Type,Created,Resolved\n"
    h24 = tmp_path / "jira24.csv"  # 24-hour clock, four-digit year
    h24.write_text(header + "SD-1,1,Task,23/Nov/2026 20:07,24/Nov/2026 09:00\nSD-2,2,Task,23/Nov/2026 21:07,\n",
                   encoding="utf-8")
    report, r = figures(h24, kpis=["ticket_volume", "resolution_time"])
    assert report.inputs[0].preset == "jira"
    assert r["ticket_volume"].value == 2
    assert r["resolution_time"].value == pytest.approx((12 * 60 + 53) * 60)  # 20:07 → 09:00 next day
    german = tmp_path / "jira_de.csv"  # month names in another language: rows rejected, counted
    german.write_text(header + "SD-1,1,Task,23/Okt/26 8:07 AM,24/Okt/26 9:00 AM\n", encoding="utf-8")
    report, _ = figures(german, kpis=["ticket_volume"])
    assert report.inputs[0].used == 0
    assert report.inputs[0].rejected_by_reason == {"created_at: not a date": 1}


# -- a user's own mapping file -------------------------------------------------------------

def test_a_users_own_mapping_file(tmp_path):
    mapping = tmp_path / "ourdesk.yaml"
    mapping.write_text("""\
name: ourdesk
kind: tickets
title: Our in-house desk
detect: [Ref, Opened]
missing: ["n/a"]
dayfirst: true
fields:
  ticket_id: Ref
  created_at: Opened
  resolved_at: Closed on
  first_response_seconds: {column: First reply (h), scale: 3600}
  sla_breached: {column: SLA, values: {met: "false", missed: "true"}}
  csat: {column: Thumbs, values: {up: 5, down: 1, none: ""}}
notes:
  - Thumbs up = satisfied, thumbs down = not satisfied.
""", encoding="utf-8")
    data = tmp_path / "ourdesk.csv"
    data.write_text("""\
Ref;Opened;Closed on;First reply (h);SLA;Thumbs
A-1;02/11/2026 08:00;02/11/2026 10:00;0.5;met;up
A-2;02/11/2026 09:00;04/11/2026 09:00;2;missed;down
A-3;13/11/2026 09:00;n/a;1.5;n/a;none
""", encoding="utf-8")
    report, r = figures(data, preset=str(mapping),
                        kpis=["ticket_volume", "tickets_resolved", "frt", "resolution_time", "sla_compliance",
                              "csat"])
    assert report.inputs[0].preset == "ourdesk"
    assert r["ticket_volume"].value == 3
    assert r["tickets_resolved"].value == 2
    assert r["frt"].value == pytest.approx((0.5 + 2 + 1.5) * 3600 / 3)  # hours × 3600
    assert r["resolution_time"].value == pytest.approx((2 + 48) * 3600 / 2)  # dayfirst: 04/11 is 4 November
    assert (r["sla_compliance"].numerator, r["sla_compliance"].denominator) == (1, 2)
    assert (r["csat"].numerator, r["csat"].denominator) == (1, 2)


# -- the command line ----------------------------------------------------------------------

@pytest.mark.parametrize("path", [ZENDESK, FRESHDESK, JIRA], ids=lambda p: p.name)
def test_cli_report_on_each_vendor_sample(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no targets.yaml picked up from the working directory
    result = CliRunner().invoke(cli, ["report", str(path)])
    assert result.exit_code == 0, result.output
    assert "ticket_volume" in result.stdout
