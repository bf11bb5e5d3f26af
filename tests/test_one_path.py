"""Every measure computed one way (issue 17): ``overall``/``table`` derived from partial → finish give
exactly what the one-pass aggregations they replaced gave — kept here, verbatim in substance, as the
oracle — on rows with missing keys and values, categorical, integer and text keys."""

from __future__ import annotations

import pandas as pd
import pytest

from hdkpi.engine import measures as M
from hdkpi.engine.compute import in_order
from hdkpi.engine.measures import Figure, _finish, _flag, _groupby

from .test_engine_dask import _measures, _rows

# -- the one-pass aggregations of the measures before issue 17 -------------------------------------


def _count(m: M.Count, keys):
    counts = _groupby(_flag(m.mask).to_frame("c"), keys).sum()
    return _finish(counts, counts["c"], counts["c"])


def _count_overall(m: M.Count) -> Figure:
    count = int(_flag(m.mask).sum())
    return Figure(value=float(count), n=count)


def _share(m: M.Share, keys):
    den = _flag(m.denominator)
    num = _flag(m.numerator) & den
    sums = _groupby(pd.DataFrame({"num": num, "den": den}), keys).sum()
    return _finish(sums, (sums["num"] / sums["den"]).where(sums["den"] > 0), sums["den"], sums["num"], sums["den"])


def _share_overall(m: M.Share) -> Figure:
    den_mask = _flag(m.denominator)
    den, num = int(den_mask.sum()), int((_flag(m.numerator) & den_mask).sum())
    if den == 0:
        return Figure(value=None, n=0, numerator=float(num), denominator=0.0, note=f"no {m.of}")
    return Figure(value=num / den, n=den, numerator=float(num), denominator=float(den))


def _net(m: M.NetScore, keys):
    answered = _flag(m.answered)
    parts = pd.DataFrame({"pos": _flag(m.positive) & answered, "neg": _flag(m.negative) & answered, "n": answered})
    sums = _groupby(parts, keys).sum()
    net = sums["pos"].astype("int64") - sums["neg"].astype("int64")
    value = (m.scale * net / sums["n"]).where(sums["n"] > 0)
    return _finish(sums, value, sums["n"], net.where(sums["n"] > 0), sums["n"].where(sums["n"] > 0))


def _net_overall(m: M.NetScore) -> Figure:
    answered = _flag(m.answered)
    n = int(answered.sum())
    net = int((_flag(m.positive) & answered).sum()) - int((_flag(m.negative) & answered).sum())
    if n == 0:
        return Figure(value=None, n=0, note=f"no {m.of}")
    return Figure(value=m.scale * net / n, n=n, numerator=float(net), denominator=float(n))


def _per_distinct(m: M.PerDistinct, keys):
    rows = _flag(m.mask)
    grouped = _groupby(pd.DataFrame({"rows": rows, "key": m.keys.where(rows)}), keys)
    count, distinct = grouped["rows"].sum(), grouped["key"].nunique(dropna=True)
    return _finish(count.to_frame(), (count / distinct).where(distinct > 0), count, count, distinct)


def _per_distinct_overall(m: M.PerDistinct) -> Figure:
    rows = _flag(m.mask)
    count, distinct = int(rows.sum()), int(m.keys[rows].dropna().nunique())
    if distinct == 0:
        return Figure(value=None, n=count, numerator=float(count), denominator=0.0, note=f"no {m.of}")
    return Figure(value=count / distinct, n=count, numerator=float(count), denominator=float(distinct))


def _max(m: M.Max, keys):
    groups = _groupby(m.values.astype("float64").to_frame("v"), keys)["v"]
    n = groups.count()
    return _finish(n.to_frame(), groups.max().reindex(n.index).where(n > 0), n)


def _max_overall(m: M.Max) -> Figure:
    values = m.values.dropna()
    return Figure(value=None, n=0, note=f"no {m.of}") if values.empty else Figure(float(values.max()), int(values.size))


def _interval_met(m: M.IntervalShare, keys):
    den = _flag(m.denominator)
    parts = pd.DataFrame({"num": _flag(m.numerator) & den, "den": den, "interval": m.interval})
    names = [f"_k{i}" for i in range(len(keys))]
    frame = parts.assign(**{n: k.to_numpy() for n, k in zip(names, keys)})
    sums = frame.groupby([*names, "interval"], dropna=False, sort=False, observed=True)[["num", "den"]].sum()
    sums = sums[sums["den"] > 0]
    return sums.assign(met=(sums["num"] / sums["den"]) >= m.goal)


def _interval(m: M.IntervalShare, keys):
    met = _interval_met(m, keys)
    grouped = met["met"].groupby(level=list(range(len(keys))), dropna=False, sort=False, observed=True)
    hit, n = grouped.sum().astype("int64"), grouped.size()
    if len(keys) == 1:
        hit.index = hit.index.rename("_k0")
        n.index = n.index.rename("_k0")
    return _finish(n.to_frame("n"), (hit / n).where(n > 0), n, hit, n)


def _interval_overall(m: M.IntervalShare) -> Figure:
    met = _interval_met(m, [])
    n = len(met)
    if n == 0:
        return Figure(value=None, n=0, note=f"no {m.of}")
    hit = int(met["met"].sum())
    return Figure(value=hit / n, n=n, numerator=float(hit), denominator=float(n))


def _per_span(m: M.PerSpan, keys):
    from hdkpi.engine.measures import cost_units

    counts = _groupby(_flag(m.mask).to_frame("c"), keys).sum()["c"]
    if len(keys) == 1 and keys[0].name == "period" and m.periods is not None:
        p = m.periods
        cost_of = pd.Series([m.amount * cost_units(a, b, m.per, m.tz) for a, b in zip(p.starts, p.ends)])
        cost = counts.index.to_series().map(cost_of).astype("float64")
        return _finish(counts.to_frame(), (cost / counts).where(counts > 0), counts, cost.where(counts > 0),
                       counts.where(counts > 0))
    nothing = counts.astype("float64") * float("nan")
    return _finish(counts.to_frame(), nothing, counts, nothing, nothing)


def _mean(m: M.Mean, keys):
    groups = _groupby(m.values.astype("float64").to_frame("v"), keys)["v"]
    n = groups.count()
    return _finish(n.to_frame(), groups.mean().reindex(n.index).where(n > 0), n, std=groups.std(ddof=1).reindex(n.index))


def _mean_overall(m: M.Mean) -> Figure:
    values = m.values.dropna()
    if values.empty:
        return Figure(value=None, n=0, note=f"no {m.of}")
    std = float(values.std(ddof=1)) if values.size > 1 else None
    return Figure(value=float(values.mean()), n=int(values.size), std=std)


def _quantile(m: M.Quantile, keys):
    groups = _groupby(m.values.astype("float64").to_frame("v"), keys)["v"]
    n = groups.count()
    value = groups.quantile(m.q, interpolation="linear").reindex(n.index).where(n > 0)
    return _finish(n.to_frame(), value, n)


def _quantile_overall(m: M.Quantile) -> Figure:
    values = m.values.dropna()
    if values.empty:
        return Figure(value=None, n=0, note=f"no {m.of}")
    return Figure(value=float(values.quantile(m.q, interpolation="linear")), n=int(values.size))


ONE_PASS = {
    "median": (_quantile, _quantile_overall),
    "p90": (_quantile, _quantile_overall),
    "mean": (_mean, _mean_overall),
    "mean_fraction": (_mean, _mean_overall),
    "count": (_count, _count_overall),
    "share": (_share, _share_overall),
    "net": (_net, _net_overall),
    "per_distinct": (_per_distinct, _per_distinct_overall),
    "max": (_max, _max_overall),
    "interval_share": (_interval, _interval_overall),
    "per_span": (_per_span, None),
    "snapshot": (lambda m, keys: _count(M.Count(m._mask()), keys), lambda m: _count_overall(M.Count(m._mask()))),
}


def _categorical(series: pd.Series) -> pd.Series:
    return series.astype(pd.CategoricalDtype(sorted(series.dropna().unique())))


@pytest.mark.parametrize("name", list(ONE_PASS))
def test_the_derived_table_and_figure_are_the_one_pass_ones(name: str) -> None:
    rows = _rows(13)
    rows["queue_cat"] = _categorical(rows["queue"]).rename("queue")
    measure = _measures(rows)[name]
    table, overall = ONE_PASS[name]
    for by in (["queue"], ["queue_cat"], ["hour"], ["period"], ["queue_cat", "period"], ["queue", "period"],
               ["hour", "queue_cat", "period"], ["agent", "queue"]):
        keys = [rows[k] for k in by]
        got, want = in_order(measure.table(keys)), in_order(table(measure, keys))
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True, obj=f"{name} by {by}")
    if overall is not None:
        assert measure.overall() == overall(measure)


@pytest.mark.parametrize("dtype", ["float64", "int64", "Int64", "Float64"])
@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 1000, 20000])
def test_a_mean_is_the_one_pass_mean_to_the_bit(dtype: str, size: int) -> None:
    """Floats in another order sum to other last bits: the partial of all rows sums as pandas did."""
    import numpy as np

    rng = np.random.default_rng(size)
    whole = dtype.lower().startswith("int")
    raw = rng.integers(0, 5000, size) if whole else rng.random(size) * 1e4 * rng.random()
    values = pd.Series(raw).astype(dtype)
    if size > 2:
        values[values.index[::7]] = None
    queue = pd.Series(pd.Categorical(rng.choice(["a", "b", "c"], size), categories=["a", "b", "c", "d"]))
    period = pd.Series(rng.integers(-1, 5, size))
    mean = M.Mean(values)
    assert mean.overall() == _mean_overall(mean)
    for keys in ([queue], [period], [queue, period]):
        pd.testing.assert_frame_equal(in_order(mean.table(keys)), in_order(_mean(mean, keys)), check_exact=True,
                                      check_index_type=True)


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.9, 0.95, 0.99, 1.0])
@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 10, 1000, 20000])
def test_a_quantile_is_the_libraries_quantile_to_the_bit(q: float, size: int) -> None:
    """The interpolation written out (pandas' per group, numpy's overall) gives their last bits, on
    whole seconds (many repeats), fractions (all distinct) and nullable dtypes."""
    import numpy as np

    rng = np.random.default_rng(size + int(q * 1000))
    for raw, dtype in ((rng.integers(0, 600, size), "int64"), (rng.random(size) * 1e4 * rng.random(), "float64"),
                       (rng.integers(0, 90, size), "Int64"), (rng.random(size) * 3e6, "Float64")):
        values = pd.Series(raw).astype(dtype)
        if size > 2:
            values[values.index[::5]] = None
        queue = pd.Series(pd.Categorical(rng.choice(["a", "b", "c"], size), categories=["a", "b", "c", "d"]))
        agent = pd.Series(rng.choice(["x", "y", None], size), dtype="str")
        period = pd.Series(rng.integers(-1, 5, size))
        quantile = M.Quantile(values, q)
        assert quantile.overall() == _quantile_overall(quantile), (dtype, q, size)
        for keys in ([queue], [period], [queue, period], [agent], [agent, period]):
            pd.testing.assert_frame_equal(in_order(quantile.table(keys)), in_order(_quantile(quantile, keys)),
                                          check_exact=True, check_index_type=True, obj=f"{dtype} q={q}")


def test_quantile_hand_worked() -> None:
    """Values 10, 20, 20, 40 (queue a) and 5 (queue b), one missing (a).
    a: n = 4, median at (4 − 1)·0.5 = 1.5 → 20 + (20 − 20)·0.5 = 20; p90 at 2.7 → 20 + (40 − 20)·0.7 = 34.
    b: n = 1 → 5 for any q.  Overall: 5, 10, 20, 20, 40: median at 2 → 20; p90 at 3.6 → 20 + 20·0.6 = 32."""
    values = pd.Series([20.0, 10.0, None, 40.0, 5.0, 20.0])
    queue = pd.Series(["a", "a", "a", "a", "b", "a"])
    median, p90 = M.Quantile(values, 0.5), M.Quantile(values, 0.9)
    assert median.overall().value == 20.0 and median.overall().n == 5
    assert p90.overall().value == pytest.approx(32.0)
    table = p90.table([queue]).sort_index()
    assert table["value"].tolist() == pytest.approx([34.0, 5.0]) and table["n"].tolist() == [4, 1]
    assert median.table([queue]).sort_index()["value"].tolist() == [20.0, 5.0]
    empty = M.Quantile(pd.Series([None, None], dtype="float64"), 0.5)
    assert empty.overall().value is None and empty.overall().n == 0
    assert empty.table([pd.Series(["a", "b"])])["n"].tolist() == [0, 0]


def _snapshot_at(m: M.Snapshot, keys, ends):
    import numpy as np

    periods = len(ends)
    end_ns = np.asarray(ends.as_unit("ns").asi8)

    def bucket(times):
        ns = times.dt.tz_convert("UTC").astype("datetime64[ns, UTC]").array.asi8
        out = np.searchsorted(end_ns, ns, side="right")
        out[times.isna().to_numpy()] = periods
        return out

    frame = pd.DataFrame({"opened": bucket(m.opened), "closed": bucket(m.closed)}, index=m.opened.index)
    key_list = keys or [pd.Series(0, index=frame.index)]
    columns = pd.RangeIndex(periods)

    def cumulative(column):
        counts = _groupby(frame, [*key_list, frame[column].rename("_p")]).size()
        return counts.unstack(-1, fill_value=0).reindex(columns=columns, fill_value=0).cumsum(axis=1)

    opened = cumulative("opened")
    long = (opened - cumulative("closed").reindex(index=opened.index, fill_value=0)).stack()
    if not keys:
        long = long.droplevel(0)
    return _finish(long.to_frame(), long, long)


def test_the_derived_snapshot_per_period_is_the_one_pass_one() -> None:
    from hdkpi.engine.slicing import make_periods

    rows = _rows(17)
    rows["queue_cat"] = _categorical(rows["queue"]).rename("queue")
    snapshot = _measures(rows)["snapshot"]
    ends = make_periods("day", rows["opened"].min(), rows["opened"].max(), "UTC").ends
    for by in ([], ["queue"], ["queue_cat"], ["queue_cat", "agent"]):
        keys = [rows[k] for k in by]
        got, want = in_order(snapshot.table_at(keys, ends)), in_order(_snapshot_at(snapshot, keys, ends))
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True, obj=f"by {by}")
