"""hdkpi staffing: the published Erlang C example end to end, flags, what-if and errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.wfm import erlang

from .conftest import EXAMPLES


def one_interval(tmp_path, calls: int = 100, aht: int = 180, agents: int | None = None):
    """``calls`` answered calls on Monday 2026-11-02 between 09:00 and 09:30, each with ``aht`` seconds talk;
    with ``agents``, the calls are spread over that many agent names."""
    rows = ["call_id,offered_at,outcome,wait_seconds,talk_seconds,agent"]
    for i in range(calls):
        second = i * 1800 // calls
        name = f"a{i % agents}" if agents else ""
        rows.append(f"{i},2026-11-02T09:{second // 60:02d}:{second % 60:02d}Z,answered,5,{aht},{name}")
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def staffing_json(path, *args):
    result = CliRunner().invoke(cli, ["staffing", str(path), "-f", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_published_example(tmp_path):
    # 100 calls in 30 minutes, AHT 180 s → 100 × 180 / 1800 = 10 Erlangs; goal 80/20 → 14 agents,
    # service level ≈ 88.8 %, ASA ≈ 7.8 s, occupancy 10/14 = 71.4 %; 30 % shrinkage → ceil(14 / 0.7) = 20
    # (ErlangC R package README; pyworkforce "Solving Queue Problems with ErlangC")
    doc = staffing_json(one_interval(tmp_path), "--goal", "80/20", "--shrinkage", "30%")
    (cell,) = doc["intervals"]
    assert (cell["weekday"], cell["interval"], cell["offered"], cell["aht"]) == ("Mon", "09:00", 100, 180)
    assert cell["traffic"] == pytest.approx(10.0)
    assert (cell["required"], cell["required_gross"]) == (14, 20)
    assert cell["predicted_service_level"] == pytest.approx(0.8883, abs=5e-4)
    assert cell["predicted_asa"] == pytest.approx(7.836, abs=5e-3)
    assert cell["predicted_occupancy"] == pytest.approx(10 / 14)


def test_answer_within_and_target_is_the_same_goal(tmp_path):
    path = one_interval(tmp_path)
    a = staffing_json(path, "--goal", "80/20")["intervals"][0]["required"]
    b = staffing_json(path, "--answer-within", "20s", "--target", "80%")["intervals"][0]["required"]
    assert a == b == 14


def test_actual_agents_flag_under_staffing_and_what_if(tmp_path):
    path = one_interval(tmp_path, agents=12)
    doc = staffing_json(path, "--goal", "80/20", "--agents", "12")
    (cell,) = doc["intervals"]
    # 12 distinct agents handled the interval's calls, 14 were needed → under-staffed
    assert cell["actual_agents"] == 12 and cell["staffing"] == "under"
    # what-if 12 agents: the Erlang C prediction for 12 agents at 10 Erlangs, and a gap of −2
    want = erlang.predict(12, 10.0, 180.0, 20.0)
    assert cell["planned_service_level"] == pytest.approx(float(want.service_level))
    assert cell["gap"] == -2
    text = CliRunner().invoke(cli, ["staffing", str(path), "--agents", "12"]).stdout
    assert "14−" in text and "1 interval(s) under-staffed" in text


def test_erlang_a_estimates_patience_from_the_export(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at,outcome,wait_seconds,talk_seconds\n"
                    "1,2026-11-02T09:00:00Z,answered,30,200\n"
                    "2,2026-11-02T09:05:00Z,abandoned,90,\n"
                    "3,2026-11-02T09:10:00Z,answered,60,100\n")
    doc = staffing_json(path, "--model", "erlang-a")
    # patience = total wait of all offered calls ÷ abandoned = (30 + 90 + 60) / 1 = 180 s
    assert doc["staffing"]["patience_seconds"] == 180
    assert "predicted_abandon" in doc["intervals"][0]


def test_examples_by_queue_run(tmp_path):
    result = CliRunner().invoke(cli, ["staffing", str(EXAMPLES / "calls.csv"), "--by", "queue"])
    assert result.exit_code == 0
    assert "queue = billing" in result.stdout and "Mon" in result.stdout and "10:00" in result.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (["--goal", "80"], "not a service goal"),
    (["--goal", "80/20", "--target", "80%"], "not both"),
    (["--answer-within", "20s"], "go together"),
    (["--interval", "7m"], "must divide a day"),
    (["--max-occupancy", "150%"], "between 0% and 100%"),
])
def test_bad_options(tmp_path, args, fragment):
    result = CliRunner().invoke(cli, ["staffing", str(one_interval(tmp_path)), *args])
    assert result.exit_code == 2 and fragment in result.stderr


def test_html_grid_is_self_contained_and_escaped(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("call_id,offered_at,outcome,wait_seconds,talk_seconds,queue,agent\n"
                    "1,2026-11-02T09:00:00Z,answered,5,180,<script>x</script>,a\n"
                    "2,2026-11-02T09:10:00Z,answered,5,180,<script>x</script>,b\n")
    out = tmp_path / "staffing.html"
    result = CliRunner().invoke(cli, ["staffing", str(path), "--by", "queue", "-f", "html", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page and "default-src 'none'" in page
    assert '<th scope="row">Mon</th>' in page and "09:00" in page
