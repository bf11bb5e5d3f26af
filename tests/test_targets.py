"""The targets file: thresholds in machine units, and every bad file refused with its position."""

from __future__ import annotations

import pytest

from hdkpi.errors import TargetsError
from hdkpi.targets.file import ThresholdError, load_targets, parse_targets, parse_threshold


@pytest.mark.parametrize(("text", "unit", "op", "value"), [
    ("<= 30s", "seconds", "<=", 30.0),
    ("<=30s", "seconds", "<=", 30.0),
    ("< 5m", "seconds", "<", 300.0),          # 5 × 60
    ("<= 4h", "seconds", "<=", 14400.0),      # 4 × 3600
    ("<= 1.5d", "seconds", "<=", 129600.0),   # 1.5 × 86400
    ("< 10%", "share", "<", 0.10),
    (">= 80%", "share", ">=", 0.80),
    (">= 0.5", "share", ">=", 0.5),           # a bare fraction is a share as is
    (">= 100%", "share", ">=", 1.0),          # the edge of the range is allowed
    (">= 0%", "share", ">=", 0.0),
    (">= 30", "score", ">=", 30.0),
    (">= -20", "score", ">=", -20.0),         # nps may be negative
    ("== 0", "count", "==", 0.0),
    ("> 1000", "count", ">", 1000.0),
])
def test_thresholds_in_machine_units(text, unit, op, value):
    t = parse_threshold(text, unit, "kpi")
    assert t.op == op
    assert t.value == pytest.approx(value)


@pytest.mark.parametrize(("text", "unit", "fragment"), [
    ("< 10", "share", 'lacks a unit; kpi is a share: write e.g. "< 10%"'),
    ("<= 30", "seconds", 'lacks a unit; kpi is a duration: write e.g. "<= 30s"'),
    ("<= 10%", "seconds", "does not fit kpi, which is a duration"),
    ("< 5m", "share", "does not fit kpi, which is a share"),
    (">= 30%", "score", "does not fit kpi, which is a score"),
    (">= 2h", "count", "does not fit kpi, which is a count"),
    (">= 150%", "share", "out of range"),
    (">= -5%", "share", "out of range"),
    ("<= -3s", "seconds", "negative"),
    ("<= 2bd", "seconds", "business time"),
    ("<= 3 fortnights", "seconds", "unknown unit"),
    ("about 30s", "seconds", "is not a comparison"),
    ("30s", "seconds", "is not a comparison"),
    ("=> 30s", "seconds", "is not a comparison"),
    ("<= thirty", "seconds", "not a number"),
])
def test_bad_thresholds(text, unit, fragment):
    with pytest.raises(ThresholdError, match=None) as info:
        parse_threshold(text, unit, "kpi")
    assert fragment in str(info.value)


def test_a_full_file(registry):
    text = """\
version: 1
settings:
  service_level_threshold: 30s
  short_abandon: 5
  csat_satisfied_min: 4
columns:
  agent: Assignee
  calls:
    offered_at: Start Time
targets:
  asa: "<= 30s"
  resolved_within(48h): ">= 80%"
  csat: {fail: ">= 85%", warn: ">= 90%"}
  nps: {warn: ">= 30"}
"""
    t = parse_targets(text, "t.yaml", registry)
    assert t.settings == {"service_level_threshold": 30.0, "short_abandon": 5.0, "csat_satisfied_min": 4.0}
    assert t.columns == {"*": {"agent": "Assignee"}, "calls": {"offered_at": "Start Time"}}
    by_kpi = {x.kpi: x for x in t.targets}
    assert list(by_kpi) == ["asa", "resolved_within(2d)", "csat", "nps"]  # 48h is canonically 2d
    assert by_kpi["asa"].fail.value == 30 and by_kpi["asa"].warn is None and by_kpi["asa"].line == 11
    assert by_kpi["csat"].fail.value == pytest.approx(0.85) and by_kpi["csat"].warn.value == pytest.approx(0.90)
    assert by_kpi["nps"].fail is None and by_kpi["nps"].warn.value == 30
    assert t.refs["resolved_within(2d)"].kwargs == {"within": 172800.0}


def test_shipped_targets_file_is_valid(registry):
    from .conftest import ROOT

    t = load_targets(str(ROOT / "targets.yaml"), registry)
    assert {x.kpi for x in t.targets} >= {"asa", "abandonment_rate", "fcr", "resolved_within(2d)", "csat"}


def test_empty_targets_section_is_allowed(registry):
    assert parse_targets("targets:\n", "t.yaml", registry).targets == []
    assert parse_targets("targets: {}\n", "t.yaml", registry).targets == []


BAD_FILES = [
    # (name, text, line, column, fragment)
    ("empty", "", None, None, "the file is empty"),
    ("not a mapping", "- asa\n", 1, 1, "must be a mapping"),
    ("no targets", "version: 1\n", 1, 1, "no targets: section"),
    ("tab", "targets:\n\tasa: '<= 30s'\n", 2, 1, "indent with spaces, not tabs"),
    ("unquoted >=", "targets:\n  fcr: >= 50%\n", 2, 9, 'quote thresholds'),
    ("syntax", "targets:\n  asa: [\n", 3, 1, "YAML syntax error"),
    ("unknown section", "targets: {}\nsettngs: {}\n", 2, 1, "did you mean 'settings'"),
    ("unknown preset", "preset: zendeks\ntargets: {}\n", 1, 9, "unknown preset"),
    ("version", "version: 2\ntargets: {}\n", 1, 10, "this hdkpi reads version 1"),
    ("unknown kpi", "targets:\n  asaa: '<= 30s'\n", 2, 3, "did you mean asa"),
    ("unknown param", "targets:\n  asa(2d): '<= 30s'\n", 2, 3, "asa takes no parameters"),
    ("missing param", "targets:\n  resolved_within: '>= 80%'\n", 2, 3, "resolved_within(2d)"),
    ("bad unit", "targets:\n  asa: '<= 30 parsecs'\n", 2, 8, "unknown unit"),
    ("unit misfit", "targets:\n  asa: '<= 10%'\n", 2, 8, "a % threshold does not fit asa"),
    ("range", "targets:\n  fcr: '>= 150%'\n", 2, 8, "out of range"),
    ("bare number", "targets:\n  asa: 30\n", 2, 8, 'write it as a quoted string, e.g. asa: "<= 30s"'),
    ("duplicate key", "targets:\n  asa: '<= 30s'\n  asa: '<= 20s'\n", 3, 3, "duplicate key 'asa'"),
    ("same kpi twice", "targets:\n  resolved_within(2d): '>= 80%'\n  resolved_within(48h): '>= 80%'\n", 3, 3,
     "same KPI as resolved_within(2d) on line 2"),
    ("unknown level", "targets:\n  csat: {fail: '>= 85%', wran: '>= 90%'}\n", 2, 26, "did you mean 'warn'"),
    ("no level", "targets:\n  csat: {}\n", 2, 9, "needs fail: and/or warn:"),
    ("list threshold", "targets:\n  csat: ['>= 85%']\n", 2, 9, "must be a threshold"),
    ("unknown setting", "settings:\n  sl_threshold: 20s\ntargets: {}\n", 2, 3, "unknown setting 'sl_threshold'"),
    ("bad setting", "settings:\n  service_level_threshold: soon\ntargets: {}\n", 2, 28, "is not a duration"),
    ("bad formula", "settings:\n  service_level_formula: magic\ntargets: {}\n", 2, 26, "is not one of"),
    ("unknown field", "columns:\n  agnt: Assignee\ntargets: {}\n", 2, 3, "did you mean 'agent'"),
    ("field of another kind", "columns:\n  calls:\n    ticket_id: X\ntargets: {}\n", 3, 5, "unknown calls field"),
    ("empty column", "columns:\n  agent: ''\ntargets: {}\n", 2, 10, "must name a column"),
    ("python tag", "targets:\n  asa: !!python/object/apply:os.system ['true']\n", 2, 8,
     "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("alias", "x: &t '<= 30s'\ntargets:\n  asa: *t\n", 3, 8, "aliases (*name) are not allowed"),
    ("billion laughs", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nb: &b [*a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b]\ntargets: {}\n", 2, 8, "aliases (*name) are not allowed"),
    ("merge key", "targets:\n  <<: {asa: '<= 30s'}\n", 2, 3, "merge keys"),
]


@pytest.mark.parametrize(("name", "text", "line", "column", "fragment"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_targets_files_name_file_line_and_column(registry, name, text, line, column, fragment):
    with pytest.raises(TargetsError) as info:
        parse_targets(text, "t.yaml", registry)
    err = info.value
    assert (err.path, err.line, err.column) == ("t.yaml", line, column)
    assert fragment in err.message
    assert "\n" not in str(err)  # one line
    if line is not None:
        assert str(err).startswith(f"t.yaml:{line}:{column}: ")


def test_every_problem_is_counted_but_the_first_is_named(registry):
    text = "targets:\n  asa: '<= 10%'\n  fcr: '>= 150%'\n  nope: '< 1'\n"
    with pytest.raises(TargetsError) as info:
        parse_targets(text, "t.yaml", registry)
    assert info.value.line == 2
    assert "(and 2 more problems in this file)" in info.value.message


def test_files_that_cannot_be_read(tmp_path, registry):
    with pytest.raises(TargetsError, match="no such targets file"):
        load_targets(str(tmp_path / "missing.yaml"), registry)
    with pytest.raises(TargetsError, match="is a directory"):
        load_targets(str(tmp_path), registry)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("targets:\n  asa: '<= 30s' # caf\xe9\n".encode("latin-1"))
    with pytest.raises(TargetsError, match="not UTF-8"):
        load_targets(str(latin), registry)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbftargets:\n  asa: '<= 30s'\n")
    assert load_targets(str(bom), registry).targets[0].kpi == "asa"
