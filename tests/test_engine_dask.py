"""The dask engine gives the pandas engine's figures exactly (issue 9, "Past one machine: Dask").

Two layers: every measure's two-phase aggregation (partial → combine → finish/figure) equals its
one-pass ``table``/``overall`` on random splits of the rows (pandas only, always run); and whole
runs of ``hdkpi.run.dask.run`` on a 2-worker local cluster equal ``hdkpi.run.pipeline.run`` on
the same generated files, record by record (skipped only when Dask is not installed).
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hdkpi.engine import measures as M
from hdkpi.engine.slicing import make_periods

# -- measures: partial / combine / finish on random splits -------------------------------------------


def _rows(seed: int = 7, n: int = 2500) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2026-03-01", tz="UTC")
    opened = pd.Series(t0 + pd.to_timedelta(rng.integers(0, 10 * 86400, n), unit="s")).astype("datetime64[us, UTC]")
    gap = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 4 * 86400, n))
    return {
        "queue": pd.Series(rng.choice(["a", "b", "c", None], n), dtype="str", name="queue"),
        "hour": pd.Series(pd.Categorical(rng.choice(["00", "09", "13"], n), categories=[f"{h:02d}" for h in range(24)],
                                         ordered=True), name="hour"),
        "period": pd.Series(rng.integers(-1, 6, n), name="period"),
        "agent": pd.Series(rng.choice(["x", "y", "z", None], n), dtype="str", name="agent"),
        "whole": pd.Series(np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 60, n).astype(float))),
        "fraction": pd.Series(np.where(rng.random(n) < 0.2, np.nan, rng.random(n) * 1000)),
        "flag": pd.Series(rng.random(n) < 0.5),
        "maybe": pd.Series(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.7), dtype="boolean"),
        "rare": pd.Series(rng.random(n) < 0.2),
        "opened": opened,
        "closed": opened + pd.to_timedelta(gap, unit="s"),
    }


def _measures(r: dict[str, pd.Series]) -> dict[str, M.Measure]:
    periods = make_periods("day", r["opened"].min(), r["opened"].max(), "UTC")
    return {
        "count": M.Count(r["flag"]),
        "share": M.Share(r["flag"], r["maybe"]),
        "mean": M.Mean(r["whole"]),
        "mean_fraction": M.Mean(r["fraction"]),
        "median": M.Quantile(r["whole"], 0.5),
        "p90": M.Quantile(r["fraction"], 0.9),
        "max": M.Max(r["fraction"]),
        "net": M.NetScore(r["flag"], r["rare"], r["maybe"]),
        "per_distinct": M.PerDistinct(r["flag"], r["agent"]),
        "snapshot": M.Snapshot(r["opened"], r["closed"], at=pd.Timestamp("2026-03-06", tz="UTC")),
        "per_span": M.PerSpan(r["flag"], amount=3000.0, per="month", periods=periods),
        "interval_share": M.IntervalShare(r["opened"].dt.tz_localize(None).dt.floor("6h"), r["flag"], r["maybe"], 0.5),
    }


def _pieces(measure: M.Measure, rows: np.ndarray) -> M.Measure:
    """The same measure over some rows (every Series field cut alike)."""
    cut = {f.name: getattr(measure, f.name).iloc[rows] for f in dataclasses.fields(measure)
           if isinstance(getattr(measure, f.name), pd.Series)}
    return dataclasses.replace(measure, **cut)


def _splits(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """The rows in random order cut into 1–6 pieces (some may be empty)."""
    order = rng.permutation(n)
    return np.split(order, np.sort(rng.choice(n + 1, rng.integers(0, 6), replace=True)))


#: fractional values are summed in another order, so their means agree to rounding, not to the bit
INEXACT = {("mean_fraction", "value"), ("mean_fraction", "std"), ("mean", "std")}


@pytest.mark.parametrize("name", list(_measures(_rows())))
def test_partials_finish_to_the_table(name: str) -> None:
    rows = _rows()
    measure = _measures(rows)[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    n = len(rows["flag"])
    breakdowns = [["queue"], ["hour"], ["period"], ["queue", "period"], ["queue", "hour", "period"], ["agent", "queue"]]
    for by in breakdowns:
        keys = [rows[k] for k in by]
        want = measure.table(keys).sort_index()
        for _ in range(3):
            parts = [_pieces(measure, cut).partial([k.iloc[cut] for k in keys]) for cut in _splits(rng, n)]
            got = measure.finish(M.concat_partials(parts), by).sort_index()
            pd.testing.assert_index_equal(got.index, want.index)
            for column in want.columns:
                if (name, column) in INEXACT:
                    pd.testing.assert_series_equal(got[column], want[column], check_exact=False, rtol=1e-12)
                else:
                    pd.testing.assert_series_equal(got[column], want[column], check_exact=True)
    if name == "per_span":  # its overall figure needs a window or frames for the span
        return
    want_figure = measure.overall()
    for _ in range(3):
        got_figure = measure.figure(M.concat_partials([_pieces(measure, c).partial([]) for c in _splits(rng, n)]))
        for attribute in ("value", "n", "numerator", "denominator", "std", "note"):
            a, b = getattr(got_figure, attribute), getattr(want_figure, attribute)
            if isinstance(a, float) and (name, "value" if attribute == "value" else "std") in INEXACT:
                assert math.isclose(a, b, rel_tol=1e-12), (attribute, a, b)
            else:
                assert a == b, (attribute, a, b)


def test_partials_combine_in_a_tree() -> None:
    """Merging partials in several rounds (the cluster's tree) changes nothing."""
    rows = _rows(11)
    rng = np.random.default_rng(3)
    keys = [rows["queue"], rows["period"]]
    for name, measure in _measures(rows).items():
        parts = [_pieces(measure, cut).partial([k.iloc[cut] for k in keys]) for cut in _splits(rng, len(rows["flag"]))]
        once = measure.finish(M.concat_partials(parts), ["queue", "period"]).sort_index()
        tree = [measure.combine(M.concat_partials(parts[i:i + 2])) for i in range(0, len(parts), 2)]
        twice = measure.finish(M.concat_partials(tree), ["queue", "period"]).sort_index()
        pd.testing.assert_frame_equal(once, twice, check_exact=False, rtol=1e-12, obj=name)


def test_snapshot_partials_finish_per_period() -> None:
    rows = _rows(5)
    snapshot = _measures(rows)["snapshot"]
    ends = make_periods("day", rows["opened"].min(), rows["opened"].max(), "UTC").ends
    rng = np.random.default_rng(9)
    for keys, names in (([], []), ([rows["queue"]], ["queue"]), ([rows["queue"], rows["agent"]], ["queue", "agent"])):
        want = snapshot.table_at(keys, ends).sort_index()
        parts = [_pieces(snapshot, c).partial_at([k.iloc[c] for k in keys], ends) for c in _splits(rng, len(rows["flag"]))]
        got = snapshot.finish_at(M.concat_partials(parts), names, len(ends)).sort_index()
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_quantile_partials_count_repeated_values_once() -> None:
    """Whole seconds repeat: the exact values of a median travel as (value, count) pairs."""
    values = pd.Series(np.tile(np.arange(10.0), 1000))
    part = M.Quantile(values, 0.5).partial([pd.Series(["q"] * len(values))])
    assert len(part) == 10 and part["c"].sum() == 10_000


# -- whole runs: pandas engine vs dask engine ------------------------------------------------------

DAYS = 10
START = pd.Timestamp("2026-03-02T00:00:00Z")


def _times(rng: np.random.Generator, n: int) -> pd.Series:
    seconds = np.sort(rng.integers(0, DAYS * 86400, n))
    return pd.Series(START + pd.to_timedelta(seconds, unit="s"))


def _iso(times: pd.Series, offset_hours: np.ndarray | None = None) -> pd.Series:
    """ISO text; some rows written in +02:00 (the same instant)."""
    if offset_hours is None:
        return times.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").where(times.notna(), "")
    shifted = times + pd.to_timedelta(offset_hours, unit="h")
    text = shifted.dt.strftime("%Y-%m-%dT%H:%M:%S") + np.where(offset_hours == 2, "+02:00", "+00:00")
    return text.where(times.notna(), "")


def _calls(rng: np.random.Generator, n: int) -> pd.DataFrame:
    offered = _times(rng, n)
    outcome = rng.choice(["answered", "abandoned", "other"], n, p=[0.8, 0.16, 0.04])
    answered = outcome == "answered"
    wait = np.rint(np.where(answered, rng.exponential(25, n), rng.exponential(60, n)))
    wait = np.where(rng.random(n) < 0.02, wait + 0.5, wait)  # a few fractional waits
    talk = np.where(answered, np.rint(rng.lognormal(5.5, 0.5, n)), np.nan)
    frame = pd.DataFrame({
        "call_id": [f"C{i:06d}" for i in range(n)],
        "offered_at": _iso(offered, np.where(rng.random(n) < 0.3, 2, 0)),
        "answered_at": _iso(offered + pd.to_timedelta(np.where(answered, wait, np.nan), unit="s")),
        "wait_seconds": pd.Series(wait).map("{:g}".format),
        "talk_seconds": pd.Series(talk).map(lambda v: "" if np.isnan(v) else f"{v:g}"),
        "hold_seconds": np.where(answered & (rng.random(n) < 0.3), rng.integers(5, 90, n).astype(str), ""),
        "acw_seconds": np.where(answered, rng.integers(0, 60, n).astype(str), ""),
        "outcome": outcome,
        "queue": rng.choice(["sales", "support", "billing", "vip", ""], n, p=[0.3, 0.35, 0.2, 0.1, 0.05]),
        "agent": np.where(answered, rng.choice([f"a{i:02d}" for i in range(12)], n), ""),
        "caller_id": np.where(rng.random(n) < 0.05, "", rng.choice([f"p{i:04d}" for i in range(1500)], n)),
        "transferred": np.where(answered, np.where(rng.random(n) < 0.08, "true", "false"), ""),
    })
    bad = rng.choice(n, 12, replace=False)
    frame.loc[bad[:4], "wait_seconds"] = "soon"  # not a number
    frame.loc[bad[4:8], "offered_at"] = ""  # empty required field
    frame.loc[bad[8:], "outcome"] = "lost"  # unknown outcome
    return frame


def _tickets(rng: np.random.Generator, n: int) -> pd.DataFrame:
    created = _times(rng, n)
    speed = rng.choice([0.25, 0.5, 1.0, 2.0], n)
    resolved = created + pd.to_timedelta(np.rint(rng.lognormal(np.log(8 * 3600), 1.0, n) * speed), unit="s")
    resolved = resolved.where((rng.random(n) < 0.9) & (resolved < START + pd.Timedelta(days=DAYS)))
    responded = created + pd.to_timedelta(np.rint(rng.lognormal(np.log(1800), 0.8, n)), unit="s")
    answered = (rng.random(n) < 0.3) & resolved.notna().to_numpy()
    return pd.DataFrame({
        "ticket_id": [f"T{i:06d}" for i in range(n)],
        "created_at": _iso(created),
        "first_response_at": _iso(responded.where(rng.random(n) < 0.95)),
        "resolved_at": _iso(resolved),
        "priority": rng.choice(["P1", "P2", "P3", "P4"], n, p=[0.05, 0.2, 0.5, 0.25]),
        "team": rng.choice(["desk", "field", "apps", ""], n, p=[0.5, 0.3, 0.17, 0.03]),
        "agent": rng.choice([f"a{i:02d}" for i in range(15)] + [""], n),
        "requester": np.where(rng.random(n) < 0.04, "", rng.choice([f"r{i:04d}" for i in range(900)], n)),
        "replies": rng.poisson(1.3, n).astype(str),
        "reopens": np.where(rng.random(n) < 0.07, "1", "0"),
        "escalated": np.where(rng.random(n) < 0.1, "yes", "no"),
        "sla_breached": np.where(resolved.notna(), np.where(rng.random(n) < 0.15, "true", "false"), ""),
        "handle_seconds": rng.integers(60, 5000, n).astype(str),
        "csat": np.where(answered, rng.integers(1, 6, n).astype(str), ""),
        "nps": np.where(answered & (rng.random(n) < 0.7), rng.integers(0, 11, n).astype(str), ""),
    })


def _split(frame: pd.DataFrame, folder: Path, name: str, parts: int) -> list[str]:
    """Files as exports overlap: each next file repeats some records of the one before (a later
    file wins), and one file repeats an id of its own (the first copy is kept)."""
    bounds = np.linspace(0, len(frame), parts + 1).astype(int)
    paths = []
    for i in range(parts):
        piece = frame.iloc[bounds[i]:bounds[i + 1]]
        if i > 0:  # the last 40 records of the previous file again, some changed
            again = frame.iloc[bounds[i] - 40:bounds[i]].copy()
            again.iloc[::3, 2] = ""  # e.g. answered_at / first_response_at cleared
            piece = pd.concat([again, piece])
        if i == 1:  # an id twice in one file, far apart (other blocks)
            copy = piece.iloc[[5, 17]].copy()
            piece = pd.concat([piece, copy])
        path = folder / f"{name}_{i}.csv"
        piece.to_csv(path, index=False)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("exports")
    rng = np.random.default_rng(2026)
    return {"calls": _split(_calls(rng, 12_000), folder, "calls", 4),
            "tickets": _split(_tickets(rng, 8_000), folder, "tickets", 3)}


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("dask.dataframe", reason="the dask engine needs Dask: pip install 'hdkpi[dask]'")
    distributed = pytest.importorskip("distributed", reason="the dask engine needs dask.distributed")
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as made:
        yield made


CALL_KPIS = ["intervals_meeting(service_level, 30m)"]
TICKET_KPIS = ["resolved_within(2d)", "resolution_time_p(95)", "cost_per_ticket"]


def _both(client, files: list[str], **options) -> tuple[list, list, object, object]:
    from hdkpi.run import dask as engine_dask
    from hdkpi.run.pipeline import RunOptions, run

    made = lambda: RunOptions(files=list(files), **options)  # noqa: E731
    want = run(made())
    got = engine_dask.run(made(), client=client, blocksize=64_000)  # several blocks per file
    return [v.result for v in want.verdicts], [v.result for v in got.verdicts], want, got


def _same(want: list, got: list) -> None:
    def key(r):
        return r.kpi, tuple(sorted(r.group.items())), r.period

    assert [key(r) for r in got] == [key(r) for r in want]
    for a, b in zip(want, got):
        where = key(a)
        for name in ("n", "method", "notes"):
            assert getattr(b, name) == getattr(a, name), (where, name)
        for name in ("value", "numerator", "denominator", "std"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), (where, name, x, y)
            if x is not None:
                assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12 if name == "std" else 0.0), (where, name, x, y)


def _kpis(files: list[str], extra: list[str]) -> list[str]:
    """Every KPI the pandas engine computes by default for these files, plus parameterised ones."""
    from hdkpi.run.pipeline import RunOptions, run

    report = run(RunOptions(files=list(files), overrides={"cost": "9000/month"}))
    return list(dict.fromkeys([v.result.kpi for v in report.verdicts] + extra))


def test_calls_by_queue_every_day_equal(client, exports) -> None:
    kpis = _kpis(exports["calls"], CALL_KPIS)
    assert "call_fcr" in kpis  # by repeat callers: needs whole caller histories (a shuffle)
    want, got, want_report, got_report = _both(client, exports["calls"], kpis=kpis, by=["queue"], every="day")
    assert len(want) > 500
    _same(want, got)
    assert got_report.inputs == want_report.inputs  # row accounting: rejects, duplicates, examples
    assert any(s.rejected_by_reason for s in got_report.inputs)
    fcr = next(r for r in got if r.kpi == "call_fcr")
    assert fcr.method.startswith("repeat_caller") and fcr.value is not None


def test_tickets_by_team_every_day_equal(client, exports) -> None:
    kpis = _kpis(exports["tickets"], TICKET_KPIS)
    assert {"next_issue_avoidance", "backlog", "tickets_per_agent", "csat", "nps"} <= set(kpis)
    want, got, want_report, got_report = _both(client, exports["tickets"], kpis=kpis, by=["team"], every="day",
                                               overrides={"cost": "9000/month"})
    _same(want, got)
    assert got_report.inputs == want_report.inputs


def test_window_time_dimensions_and_zone_equal(client, exports) -> None:
    """A window, derived dimensions (hour, weekday) and a reporting zone with DST inside the data."""
    files = exports["calls"][:2] + exports["tickets"][1:]
    kpis = ["calls_offered", "asa", "service_level", "max_wait", "ticket_volume", "resolution_time_median", "backlog",
            "cost_per_ticket", "call_fcr"]
    want, got, _, _ = _both(client, files, kpis=kpis, by=["weekday", "hour"], every="week", tz="America/New_York",
                            start="2026-03-04", end="2026-03-10", overrides={"cost": "9000/month"})
    _same(want, got)


def test_kinds_broken_down_by_the_dimensions_they_have_equal(client, exports) -> None:
    """Calls have a queue and no priority, tickets the reverse: each kind is broken down by the one it has
    and per day on both engines, with the same "not broken down by" notes."""
    files = exports["calls"][:2] + exports["tickets"][:2]
    kpis = ["calls_offered", "asa", "service_level", "ticket_volume", "resolution_time_median", "backlog"]
    want, got, _, _ = _both(client, files, kpis=kpis, by=["queue", "priority"], every="day")
    _same(want, got)
    tickets_by_day = [r for r in want if r.kpi == "ticket_volume" and r.period is not None and not r.group]
    assert len(tickets_by_day) >= 10
    assert any(r.kpi == "ticket_volume" and set(r.group) == {"priority"} for r in want)
    overall = next(r for r in got if r.kpi == "calls_offered" and not r.group and r.period is None)
    assert "not broken down by priority: the calls have no field priority" in overall.notes


def test_a_kpi_reading_other_records_is_refused(client, exports, tmp_path) -> None:
    """A plugin KPI that reads ctx.frames gets a no-data note on the dask engine, not a figure from
    part of the data."""
    from hdkpi.run import dask as engine_dask
    from hdkpi.run.pipeline import RunOptions

    plugin = tmp_path / "peek.py"
    plugin.write_text(
        "from hdkpi import kpi, Count\n"
        "@kpi('calls_seen', title='Calls seen', kind='calls', unit='count', direction='none', anchor='offered_at',\n"
        "     definition='Calls, looking at every call.')\n"
        "def calls_seen(calls, ctx):\n"
        "    return Count(calls['offered_at'].notna() & (len(ctx.frames['calls']) > 0))\n")
    options = RunOptions(files=exports["calls"][:1], kpis=["calls_seen", "calls_offered"], plugins=[str(plugin)])
    results = [v.result for v in engine_dask.run(options, client=client).verdicts]
    seen = next(r for r in results if r.kpi == "calls_seen")
    assert seen.value is None and "--engine pandas" in seen.notes[-1]
    assert next(r for r in results if r.kpi == "calls_offered").value is not None


def test_coarser_breakdowns_come_from_the_finest() -> None:
    """The engine sends only the partials by (keys…, period); groups, periods and the overall
    figure are coarsenings of them."""
    rows = _rows(13)
    keys = [rows["queue"], rows["hour"], rows["period"]]
    for name, measure in _measures(rows).items():
        fine = measure.partial(keys)
        for keep in ([0], [2], [0, 1], [1, 2]):
            got = measure.finish(M.coarsen(fine, keep), [keys[i].name for i in keep]).sort_index()
            want = measure.table([keys[i] for i in keep]).sort_index()
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, obj=f"{name} {keep}")
        if name != "per_span":
            got, want = measure.figure(M.coarsen(fine, [])), measure.overall()
            assert (got.n, got.numerator, got.denominator) == (want.n, want.numerator, want.denominator), name
            assert got.value == pytest.approx(want.value, rel=1e-12, nan_ok=True), name


def test_engine_choice(client, exports) -> None:
    """pipeline.run_with_engine: the CLI's --engine, --scheduler and --blocksize."""
    from hdkpi.errors import UsageError
    from hdkpi.run.engines import run_with_engine
    from hdkpi.run.pipeline import RunOptions

    options = RunOptions(files=exports["calls"][:1], kpis=["calls_offered", "asa"])
    with pytest.raises(UsageError, match="--engine 'spark'"):
        run_with_engine(options, "spark")
    with pytest.raises(UsageError, match="--blocksize"):
        run_with_engine(options, "dask", scheduler=client.scheduler.address, blocksize="lots")
    want = [(v.result.kpi, v.result.value) for v in run_with_engine(options).verdicts]
    got = [(v.result.kpi, v.result.value) for v in
           run_with_engine(options, "dask", scheduler=client.scheduler.address, blocksize="0").verdicts]
    assert got == want


def test_the_targets_files_history_records_a_dask_run(tmp_path) -> None:
    """history: in the targets file is honoured on both engines: the Dask run is recorded too."""
    import json
    import sqlite3

    from click.testing import CliRunner

    from hdkpi.cli import cli

    pytest.importorskip("dask.dataframe", reason="the dask engine needs Dask: pip install 'hdkpi[dask]'")
    calls = tmp_path / "calls.csv"
    calls.write_text("call_id,offered_at,answered_at,wait_seconds,outcome\n"
                     "C1,2026-11-02T09:00:00Z,2026-11-02T09:00:10Z,10,answered\n"
                     "C2,2026-11-03T09:00:00Z,2026-11-03T09:00:30Z,30,answered\n", encoding="utf-8")
    targets = tmp_path / "targets.yaml"
    targets.write_text('version: 1\nhistory: h.db\ntargets:\n  asa: "<= 20s"\n', encoding="utf-8")
    done = CliRunner().invoke(cli, ["report", str(calls), "-t", str(targets), "--engine", "dask", "--scheduler",
                                    "threads", "--every", "day", "--kpi", "asa", "-f", "json"])
    assert done.exit_code == 0, done.output
    assert [r["value"] for r in json.loads(done.stdout)["results"]] == [20.0, 10.0, 30.0]  # (10 + 30) / 2; per day
    with sqlite3.connect(tmp_path / "h.db") as con:
        stored = con.execute("SELECT period_start, value FROM records WHERE every = 'day' ORDER BY period_start")
        assert [(p[:10], v) for p, v in stored] == [("2026-11-02", 10.0), ("2026-11-03", 30.0)]
