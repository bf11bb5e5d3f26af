"""A plugin written against hdkpi's public API works unchanged on both engines.

The public API is what a plugin imports: ``from hdkpi import kpi, Param, KpiContext, Count, Share, Mean, …``
and ``hdkpi.errors.NoData``. The package's inner layout may change; these names may not. The plugin below
lives in a temporary folder, outside the package, as a user's would.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import hdkpi
from hdkpi.cli import cli

from .conftest import EXAMPLES, write_csv

PLUGIN = '''
"""A desk's own KPIs, written against the public API only."""

from hdkpi import Count, KpiContext, Max, Mean, Param, Share, kpi
from hdkpi.errors import NoData


@kpi("long_waits", title="Calls waiting over a limit", kind="calls", unit="share", direction="lower",
     anchor="offered_at", needs=("wait_seconds",), params=(Param("limit", doc="the wait limit"),),
     definition="Calls offered that waited longer than the limit ÷ calls offered.")
def long_waits(calls, ctx: KpiContext, limit: float = 60.0) -> Share:
    return Share(calls["wait_seconds"] > limit, calls["wait_seconds"].notna(), of="calls offered")


@kpi("mean_wait_answered", title="Mean wait of answered calls", kind="calls", unit="seconds", direction="lower",
     anchor="offered_at", needs=("wait_seconds", "outcome"), definition="Mean wait of the answered calls.")
def mean_wait_answered(calls, ctx: KpiContext) -> Mean:
    answered = calls["outcome"] == "answered"
    return Mean(calls["wait_seconds"].where(answered))


@kpi("answered_count", title="Answered", kind="calls", unit="count", direction="higher", anchor="offered_at",
     needs=("outcome",), definition="Calls answered.")
def answered_count(calls, ctx: KpiContext) -> Count:
    return Count(calls["outcome"] == "answered")


@kpi("longest_wait", title="Longest wait", kind="calls", unit="seconds", direction="lower", anchor="offered_at",
     needs=("wait_seconds",), definition="The longest wait.")
def longest_wait(calls, ctx: KpiContext) -> Max:
    return Max(calls["wait_seconds"])


@kpi("vip_share", title="VIP calls", kind="calls", unit="share", direction="higher", anchor="offered_at",
     definition="Calls of the vip queue ÷ calls offered.")
def vip_share(calls, ctx: KpiContext) -> Share:
    if "queue" not in calls:
        raise NoData("missing field queue")
    return Share(calls["queue"] == "vip", calls["queue"].notna(), of="calls offered")
'''

CALLS = """\
call_id,offered_at,answered_at,wait_seconds,outcome,queue
C1,2026-11-02T09:00:00Z,2026-11-02T09:00:10Z,10,answered,a
C2,2026-11-02T10:00:00Z,,90,abandoned,b
C3,2026-11-03T09:00:00Z,2026-11-03T09:01:10Z,70,answered,a
C4,2026-11-03T11:00:00Z,2026-11-03T11:00:20Z,20,answered,b
"""

KPIS = ["long_waits(60s)", "mean_wait_answered", "answered_count", "longest_wait", "vip_share"]


def _run(tmp_path: Path, *extra: str) -> dict[str, dict]:
    plugin = tmp_path / "ourdesk_kpis.py"
    plugin.write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    calls = write_csv(tmp_path, CALLS, "calls.csv")
    args = ["report", str(calls), "--plugin", str(plugin), "-f", "json", *extra]
    for name in KPIS:
        args += ["--kpi", name]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    return {(r["kpi"], r["period"]): r for r in json.loads(done.stdout)["results"] if not r["group"]}


def test_the_public_names_are_there() -> None:
    for name in ("kpi", "Param", "KpiContext", "Count", "Share", "Mean", "Max", "Quantile", "NetScore",
                 "PerDistinct", "__version__"):
        assert hasattr(hdkpi, name), name
    from hdkpi.errors import NoData  # noqa: F401  (the plugin's way to say a figure cannot be computed)


def test_a_plugin_against_the_public_api_on_pandas(tmp_path: Path) -> None:
    got = _run(tmp_path)
    # waits 10, 90, 70, 20: over 60 s → C2, C3 = 2 of 4 (the name is written back canonically: 1m)
    assert (got[("long_waits(1m)", None)]["numerator"], got[("long_waits(1m)", None)]["denominator"]) == (2, 4)
    # answered C1, C3, C4: waits (10 + 70 + 20) / 3 = 33.33…
    assert got[("mean_wait_answered", None)]["value"] == pytest.approx(100 / 3)
    assert got[("answered_count", None)]["value"] == 3
    assert got[("longest_wait", None)]["value"] == 90
    # no vip queue among a, b, a, b → 0 of 4
    assert got[("vip_share", None)]["value"] == 0


def test_the_same_plugin_on_dask_gives_the_same_figures(tmp_path: Path) -> None:
    pytest.importorskip("dask.dataframe", reason="the dask engine needs Dask: pip install 'hdkpi[dask]'")
    pandas = _run(tmp_path, "--every", "day")
    dask = _run(tmp_path, "--every", "day", "--engine", "dask", "--scheduler", "threads")
    assert dask.keys() == pandas.keys()
    for key, record in pandas.items():
        for field in ("value", "n", "numerator", "denominator", "notes"):
            assert dask[key][field] == record[field], (key, field)
    # per day: 11-02 C1 (10 s), C2 (90 s); 11-03 C3 (70 s), C4 (20 s) → longest 90 and 70
    assert pandas[("longest_wait", "2026-11-02")]["value"] == 90
    assert pandas[("longest_wait", "2026-11-03")]["value"] == 70


def test_the_example_plugin_still_loads(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["report", str(EXAMPLES / "calls.csv"), "--plugin",
                                    str(EXAMPLES / "plugins" / "after_hours.py"), "--kpi", "after_hours_share",
                                    "-f", "json"])
    assert done.exit_code == 0, done.output
    (overall,) = [r for r in json.loads(done.stdout)["results"] if r["kpi"] == "after_hours_share"]
    assert overall["denominator"] == 4632 and 0 < overall["numerator"] < 4632
