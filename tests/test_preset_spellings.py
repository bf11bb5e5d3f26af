"""A mapping preset names a column by one spelling or by a list of the spellings vendors use for it
(Jira Cloud's 'Satisfaction rating', Data Center's 'Custom field (Satisfaction)'): the first present
wins, header case ignored, ``hdkpi inspect`` names the column used, ``--map`` always wins, and a bad list
in a user's own mapping file is refused in one line naming the file and the field (exit 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.ingest.load import read_table
from hdkpi.ingest.presets import detect_preset
from hdkpi.ingest.presets.mapping import MappingPreset
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES, write_csv

CLOUD = "Satisfaction rating"
DATA_CENTER = "Custom field (Satisfaction)"
JIRA_HEAD = "Issue key,Issue id,Issue Type,Status,Created,Resolved"
JIRA_ROWS = [  # three resolved issues rated 5, 4 and 2 stars
    "SD-1,10001,[System] Service request,Done,02/Nov/26 8:00 AM,02/Nov/26 10:00 AM",
    "SD-2,10002,[System] Service request,Done,02/Nov/26 9:00 AM,02/Nov/26 11:30 AM",
    "SD-3,10003,[System] Incident,Done,03/Nov/26 1:15 PM,04/Nov/26 9:00 AM",
]


def jira_file(tmp_path, extra: dict[str, list[str]], name: str = "jira.csv"):
    """A Jira issue export: the common columns, then ``extra`` (column → its three cells)."""
    lines = [",".join([JIRA_HEAD, *extra])]
    lines += [",".join([row, *(cells[i] for cells in extra.values())]) for i, row in enumerate(JIRA_ROWS)]
    return write_csv(tmp_path, "\n".join(lines) + "\n", name)


def csat_of(path, **options):
    report = run(RunOptions(files=[str(path)], kpis=["csat", "csat_mean"], **options))
    by = {v.result.kpi: v.result for v in report.verdicts}
    return report, by["csat"], by["csat_mean"]


def inspect_json(path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["inspect", str(path), "-f", "json", *args])
    assert result.exit_code == 0, result.stderr
    (doc,) = json.loads(result.stdout)
    return doc


# -- Jira: Cloud and Data Center spell the satisfaction field differently ----------------------------

@pytest.mark.parametrize("column", [CLOUD, DATA_CENTER, DATA_CENTER.upper()], ids=["cloud", "data-center", "case"])
def test_jira_cloud_and_data_center_both_give_csat(tmp_path, column):
    path = jira_file(tmp_path, {column: ["5", "4", "2"]})
    report, csat, mean = csat_of(path)
    assert report.inputs[0].preset == "jira"  # detected without --preset or --map
    # KPI_SPEC: csat = answers ≥ csat_satisfied_min (default 4) ÷ answers. Ratings 5, 4, 2: 5 and 4 are
    # ≥ 4, 2 is not → 2 ÷ 3 = 66.7 %; csat_mean = (5 + 4 + 2) ÷ 3 = 11 ÷ 3 = 3.667
    assert (csat.numerator, csat.denominator) == (2, 3)
    assert csat.value == pytest.approx(2 / 3)
    assert mean.value == pytest.approx(11 / 3)
    assert report.inputs[0].mapping["csat"] == (f"{column!r} (first present of {CLOUD!r}, {DATA_CENTER!r})")


def test_a_file_with_both_spellings_uses_the_first_listed_and_inspect_says_so(tmp_path):
    path = jira_file(tmp_path, {DATA_CENTER: ["1", "1", "1"], CLOUD: ["5", "4", "2"]})
    _, csat, _ = csat_of(path)
    assert (csat.numerator, csat.denominator) == (2, 3)  # 'Satisfaction rating' (5, 4, 2), not the 1s
    doc = inspect_json(path)
    assert doc["mapping"]["csat"] == (f"{CLOUD!r} (first present of {CLOUD!r}, {DATA_CENTER!r}; "
                                      f"{DATA_CENTER!r} also present, not used)")
    text = CliRunner().invoke(cli, ["inspect", str(path)]).stdout
    assert f"csat                     ← {CLOUD!r} (first present of" in text


def test_jira_data_center_request_type_spelling(tmp_path):
    path = jira_file(tmp_path, {"Custom field (Customer Request Type)": ["Get IT help", "Get IT help", "Report"]})
    report = run(RunOptions(files=[str(path)], kpis=["ticket_volume"], by=["category"]))
    volume = {r.result.group.get("category"): r.result.value for r in report.verdicts if r.result.group}
    assert volume == {"Get IT help": 2, "Report": 1}
    assert report.inputs[0].mapping["category"].startswith("'Custom field (Customer Request Type)' (first present")


def test_detection_still_picks_jira_for_either_header(tmp_path):
    for column in (CLOUD, DATA_CENTER):
        header = read_table(str(jira_file(tmp_path, {column: ["5", "4", "2"]}, f"{len(column)}.csv"))).header
        preset, score = detect_preset(header, "")
        assert preset is not None and preset.name == "jira" and score == 5
    for name in ("zendesk_tickets.csv", "freshdesk_tickets.csv", "jira_issues.csv"):  # the samples too
        preset, _ = detect_preset(read_table(str(EXAMPLES / "vendors" / name)).header, "")
        assert preset is not None and name.startswith(preset.name)


def test_an_absent_column_is_said_to_be_absent(tmp_path):
    path = jira_file(tmp_path, {})
    doc = inspect_json(path)
    assert doc["mapping"]["csat"] == f"{CLOUD!r} or {DATA_CENTER!r} (not in this file)"
    assert doc["mapping"]["ticket_id"] == "'Issue key'"


# -- --map always wins -------------------------------------------------------------------------------

def test_map_wins_over_the_listed_spellings(tmp_path):
    path = jira_file(tmp_path, {CLOUD: ["5", "4", "2"], DATA_CENTER: ["1", "5", "5"]})
    report, csat, _ = csat_of(path, mapping={"csat": DATA_CENTER})
    assert (csat.numerator, csat.denominator) == (2, 3)  # 1, 5, 5 from the --map column
    assert report.inputs[0].mapping["csat"] == f"{DATA_CENTER!r} (--map / columns:)"
    doc = inspect_json(path, "--map", f"csat={DATA_CENTER}")
    assert doc["mapping"]["csat"] == f"{DATA_CENTER!r} (--map / columns:)"
    # naming the column the preset would use anyway changes nothing (it was an internal error)
    _, same, _ = csat_of(path, mapping={"csat": CLOUD})
    assert (same.numerator, same.denominator) == (2, 3)


def test_map_keeps_the_presets_rule_for_the_field():
    # Zendesk's first reply minutes × 60: mapped to the business-hours twin, still minutes → seconds
    zendesk = EXAMPLES / "vendors" / "zendesk_tickets.csv"
    frame = read_table(str(zendesk)).frame
    minutes = frame["First reply time in minutes within business hours"].replace("", None).dropna().astype(float)
    report = run(RunOptions(files=[str(zendesk)], kpis=["frt"],
                            mapping={"first_response_seconds": "First reply time in minutes within business hours",
                                     "team": "Assignee"}))
    (frt,) = [v.result for v in report.verdicts]
    assert frt.value == pytest.approx(minutes.mean() * 60)
    mapping = report.inputs[0].mapping
    assert mapping["first_response_seconds"] == ("'First reply time in minutes within business hours' "
                                                 "(--map / columns:) × 60")
    assert mapping["team"] == "'Assignee' (--map / columns:)"  # a field the preset does not fill, as it is
    assert mapping["agent"] == "'Assignee'"


def test_dask_engine_reads_the_spellings_and_the_map_alike(tmp_path):
    pytest.importorskip("dask.dataframe")
    from hdkpi.run import dask as engine_dask

    path = jira_file(tmp_path, {DATA_CENTER: ["5", "4", "2"], "Other": ["1", "1", "5"]})
    for mapping, want in (({}, (2, 3)), ({"csat": "Other"}, (1, 3))):
        options = RunOptions(files=[str(path)], kpis=["csat"], mapping=mapping)
        (got,) = [v.result for v in engine_dask.run(options, scheduler="synchronous").verdicts]
        assert (got.numerator, got.denominator) == want


# -- a user's own mapping file -----------------------------------------------------------------------

OURDESK = """\
name: ourdesk
kind: tickets
detect: [[Ref, Reference], Opened]
fields:
  ticket_id: [Ref, Reference]
  created_at: Opened
  csat: {column: [Thumbs, Rating], values: {up: 5, down: 1}}
"""


def test_a_users_mapping_file_with_lists(tmp_path):
    preset = tmp_path / "ourdesk.yaml"
    preset.write_text(OURDESK, encoding="utf-8")
    old = write_csv(tmp_path, "Ref,Opened,Thumbs\nA-1,2026-11-02 08:00,up\nA-2,2026-11-02 09:00,down\n", "old.csv")
    new = write_csv(tmp_path, "REFERENCE,Opened,Rating\nB-1,2026-11-03 08:00,up\nB-2,2026-11-03 09:00,up\n",
                    "new.csv")
    for path, want in ((old, (1, 2)), (new, (2, 2))):
        _, csat, _ = csat_of(path, preset=str(preset))
        assert (csat.numerator, csat.denominator) == want
    loaded = MappingPreset.from_file(preset)
    assert loaded.score(["reference", "OPENED"], "") == 2  # any spelling of a detect entry counts
    assert loaded.score(["Ref"], "") == 0


@pytest.mark.parametrize(("fields", "message"), [
    ("csat: []", "field csat: give a column name or a non-empty list of its spellings"),
    ("csat: {column: []}", "field csat: give a column name or a non-empty list of its spellings"),
    ("csat: [Thumbs, 5]", "field csat: column 2 of the list is 5, not text; each entry is a column name"),
    ('csat: [Thumbs, ""]', "field csat: column 2 of the list is empty"),
    ("csat: [Thumbs, [Rating]]", "field csat: column 2 of the list is ['Rating'], not text"),
    ("csat: {column: 7}", "field csat: give a column name or a non-empty list"),
    ("csat: [Thumbs, null]", "field csat: column 2 of the list is empty"),
])
def test_bad_column_lists_are_refused_naming_file_and_field(tmp_path, monkeypatch, fields, message):
    monkeypatch.chdir(tmp_path)
    preset = tmp_path / "ourdesk.yaml"
    preset.write_text(f"name: ourdesk\nkind: tickets\nfields:\n  ticket_id: Ref\n  {fields}\n", encoding="utf-8")
    data = write_csv(tmp_path, "Ref,created_at\nA-1,2026-11-02 08:00\n", "data.csv")
    result = CliRunner().invoke(cli, ["report", str(data), "--preset", str(preset)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    assert str(preset) in result.stderr and message in result.stderr


@pytest.mark.parametrize(("detect", "message"), [
    ("detect: Ref", "detect must be a list of column names"),
    ("detect: [Ref, []]", "detect entry 2: give a column name or a non-empty list"),
    ("detect: [Ref, [Opened, 3]]", "detect entry 2: column 2 of the list is 3, not text"),
])
def test_bad_detect_lists_are_refused(tmp_path, monkeypatch, detect, message):
    monkeypatch.chdir(tmp_path)
    preset = tmp_path / "ourdesk.yaml"
    preset.write_text(f"name: ourdesk\nkind: tickets\n{detect}\nfields:\n  ticket_id: Ref\n", encoding="utf-8")
    data = write_csv(tmp_path, "Ref,created_at\nA-1,2026-11-02 08:00\n", "data.csv")
    result = CliRunner().invoke(cli, ["report", str(data), "--preset", str(preset)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert str(preset) in result.stderr and message in result.stderr
