"""Scorecards: component scores, composite and rank, worked by hand on three agents."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.engine.registry import builtin_registry
from hdkpi.errors import TargetsError
from hdkpi.targets.file import parse_targets
from hdkpi.targets.scorecard import score_against_target, score_by_rank

from .conftest import EXAMPLES, write_csv

TICKETS = """\
ticket_id,created_at,first_response_at,resolved_at,agent,replies,reopens
T1,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,2026-11-02T12:00:00Z,ann,1,0
T2,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,2026-11-02T12:00:00Z,ann,1,0
T3,2026-11-02T08:00:00Z,2026-11-02T11:00:00Z,2026-11-03T08:00:00Z,bob,3,0
T4,2026-11-02T08:00:00Z,2026-11-02T13:00:00Z,2026-11-03T08:00:00Z,bob,1,1
T5,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,2026-11-02T18:00:00Z,cat,1,0
"""
# frt per agent: ann (1 h + 1 h)/2 = 1 h; bob (3 h + 5 h)/2 = 4 h; cat 2 h.
# fcr (replies ≤ 1, no reopen): ann 2/2 = 100 %; bob 0/2 (T3 3 replies, T4 reopened) = 0 %; cat 1/1 = 100 %.

CARD = """\
targets:
  fcr: ">= 80%"
scorecards:
  agent:
    by: agent
    components:
      speed: {kpi: frt, weight: 1, against: target, target: "<= 1h", floor: "<= 5h"}
      resolution: {kpi: fcr, weight: 3, against: target, floor: ">= 0%"}
      rank: {kpi: frt, weight: 1, against: rank}
"""


def test_scoring_rules():
    # linear from the floor (0) to the target (100), capped: 5 h → 0, 3 h → 50, 1 h → 100, 30 m → 100
    assert score_against_target([18000, 10800, 3600, 1800], 3600, 18000).tolist() == [0, 50, 100, 100]
    # higher is better: 40 % with floor 20 %, target 60 % → 50
    assert score_against_target([0.4], 0.6, 0.2).tolist() == pytest.approx([50.0])
    # rank, lower is better: 1 h best (100), 2 h middle (50), 4 h worst (0); ties share
    assert score_by_rank([3600, 14400, 7200], "lower").tolist() == [100, 0, 50]
    assert score_by_rank([1, 1, 2], "higher").tolist() == [25, 25, 100]


def test_three_agents_by_hand(tmp_path):
    tickets = write_csv(tmp_path, TICKETS, "tickets.csv")
    targets = write_csv(tmp_path, CARD, "targets.yaml")
    result = CliRunner().invoke(cli, ["scorecard", "agent", str(tickets), "-t", str(targets), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    import json

    rows = {r["agent"]: r for r in json.loads(result.stdout)["groups"]}
    # speed: ann 1 h → 100; cat 2 h → (7200 − 18000)/(3600 − 18000) = 75; bob 4 h → 25
    # resolution (target 80 % from targets:, floor 0 %): ann 100 → 100 (capped); cat 100 → 100; bob 0 → 0
    # rank of frt (lower better): ann 100, cat 50, bob 0
    # composite = (speed·1 + resolution·3 + rank·1) / 5: ann 100; cat (75 + 300 + 50)/5 = 85; bob (25 + 0 + 0)/5 = 5
    assert rows["ann"]["composite"] == pytest.approx(100)
    assert rows["cat"]["composite"] == pytest.approx(85)
    assert rows["bob"]["composite"] == pytest.approx(5)
    assert [rows[a]["rank"] for a in ("ann", "cat", "bob")] == [1, 2, 3]
    assert rows["bob"]["speed.value"] == 4 * 3600 and rows["bob"]["speed.n"] == 2


def test_min_volume_leaves_small_groups_unrated(tmp_path):
    tickets = write_csv(tmp_path, TICKETS, "tickets.csv")
    targets = write_csv(tmp_path, CARD.replace("    by: agent\n", "    by: agent\n    min_volume: 2\n"),
                        "targets.yaml")
    result = CliRunner().invoke(cli, ["scorecard", "agent", str(tickets), "-t", str(targets)])
    assert result.exit_code == 0
    # cat has one ticket: every component rests on n=1 < 2 → not rated, with the reason
    assert "cat" in result.stdout and "not rated: speed: n=1 < min_volume 2" in result.stdout


@pytest.mark.parametrize(("card", "fragment"), [
    ("scorecards:\n  a: {components: {x: {kpi: nope}}}\ntargets: {}\n", "unknown KPI 'nope'"),
    ("scorecards:\n  a: {components: {x: {kpi: frt, against: target}}}\ntargets: {}\n", "needs target"),
    ("scorecards:\n  a: {components: {x: {kpi: frt, weight: 0, against: rank}}}\ntargets: {}\n", "positive number"),
    ("scorecards:\n  a: {by: agent, components: {x: {kpi: frt, against: rank}}, perspectives: {p: [y]}}\n"
     "targets: {}\n", "a list of component names"),
])
def test_bad_scorecards_are_refused_with_their_position(card, fragment):
    with pytest.raises(TargetsError) as info:
        parse_targets(card, "t.yaml", builtin_registry())
    assert fragment in info.value.message and info.value.line == 2


def test_shipped_example_scorecards_run():
    files = [str(EXAMPLES / f"{k}.csv") for k in ("calls", "tickets", "surveys")]
    targets = str(EXAMPLES / "targets-scorecards.yaml")
    for name in ("agent", "balanced", "quality"):
        result = CliRunner().invoke(cli, ["scorecard", name, *files, "-t", targets])
        assert result.exit_code == 0, (name, result.stderr)
        assert "1." in result.stdout
