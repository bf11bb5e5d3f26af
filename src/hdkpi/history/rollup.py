"""Week and month figures rolled up from stored day figures — only where the roll-up is exact.

A nightly job stores day figures. When a week or month figure is wanted (``hdkpi history --every
week``, ``--compare last-week``) and no run stored one, it is derived from the stored days, provided
every day of the period is stored for that KPI and group and the KPI's measure adds up over days:

* counts (:class:`~hdkpi.engine.measures.Count`): the sum of the days; n = Σ n;
* shares (``Share``): Σ numerators ÷ Σ denominators; n = Σ denominators;
* means (``Mean``): Σ (value × n) ÷ Σ n — a mean's sum is not stored, so this is exact up to the
  rounding of the stored means (about one part in 10¹⁶);
* maxima (``Max``): the largest day; n = Σ n;
* net scores (``NetScore``, NPS): scale × Σ net ÷ Σ answers (both are stored);
* snapshots (``Snapshot``, backlog): the last day's figure — the count open at the end of the last
  day *is* the count open at the end of the period.

Never rolled up: medians and percentiles, per-distinct ratios (tickets per agent), cost per record,
shares of intervals (an interval may straddle midnight), KPIs whose rows look at other records that a
night's export may not hold (repeat callers, a next issue, answers of a surveys file), KPIs hdkpi does
not know (plugins), days measured with different methods or settings, and periods with a day
missing. Those periods get no value and the note "not derivable from daily figures: …".

The measure of a KPI is the one its function declares (its return annotation: ``-> Share``). A
group's day that is not stored counts as empty (no records) when other groups of the same KPI and
grouping are stored for that day — a run stores every group it has, and a re-run removes the groups a
corrected export lost — or when that day's overall figure is stored with n = 0 (the Sundays of a desk
closed on Sundays).

A derived figure is marked: its period label ends with :data:`SUFFIX`, it belongs to no run, and its
row has ``derived`` true (``-f json``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .spans import Span, _meta, period_span
from .store import RECORD_COLUMNS, Store, read_within, run_settings, utc_text

ROLLED = ("week", "month")  #: the units derived from days
SUFFIX = " (from days)"  #: the end of a derived figure's period label
NOT_DERIVABLE = "not derivable from daily figures"

#: measure class → how its day figures add up to a period's
RULES = {"Count": "sum", "Share": "share", "Mean": "mean", "Max": "max", "NetScore": "net", "Snapshot": "last"}
RULE_TEXT = {
    "sum": "the sum of the days",
    "share": "Σ numerators ÷ Σ denominators of the days",
    "mean": "the days' means weighted by their n",
    "max": "the largest of the days",
    "net": "Σ net ÷ Σ answers of the days",
    "last": "the last day's snapshot (open at the period's end)",
}
#: measure classes never rolled up, and why
NOT_ROLLED = {
    "Quantile": "a median or percentile of days is not the period's",
    "PerDistinct": "distinct values counted per day do not add up to the period's",
    "PerSpan": "a cost per record is not rolled up",
    "IntervalShare": "an interval may straddle midnight",
}
#: KPIs whose rows look at other records (by the prefix of the stored method; "" any method): a night's
#: figure misses what came after its export, so its days do not add up to what a weekly run gives
LOOKS_BEYOND = {"call_fcr": "repeat_caller", "next_issue_avoidance": "", "survey_response_rate": "surveys file"}
#: SLA verdicts move after the night they are stored: a reopened ticket's clock runs again, its stop moves
SLA_KPIS = ("sla_achieved", "sla_breaches", "sla_at_risk", "sla_elapsed_p90")


def measure_class(kpi: str) -> type | None:
    """The measure class a catalogue KPI's function declares it returns (None: unknown KPI or none declared)."""
    from ..engine.measures import Measure

    meta = _meta(kpi)
    if meta is None:
        return None
    declared = getattr(meta.fn, "__annotations__", {}).get("return")
    if isinstance(declared, str):  # ``from __future__ import annotations``: the name, looked up where it was written
        declared = getattr(meta.fn, "__globals__", {}).get(declared.strip("'\" "))
    return declared if isinstance(declared, type) and issubclass(declared, Measure) else None


def rule_of(kpi: str, method: str | None) -> tuple[str | None, str]:
    """(how the days add up, "") or (None, why they do not)."""
    base = kpi.split("(", 1)[0]
    if base in SLA_KPIS:
        return None, f"{base}: a ticket's SLA verdict can change after the night it was stored (a reopened " \
            "ticket's clock runs again; an open one breaches later)"
    prefix = LOOKS_BEYOND.get(base)
    if prefix is not None and (method or "").startswith(prefix):
        return None, f"{base} looks at later records (repeat calls, new tickets, answers) a night's export may lack"
    cls = measure_class(kpi)
    if cls is None:
        return None, f"hdkpi does not know how {base} adds up (not a built-in KPI)"
    for klass in cls.__mro__:
        if klass.__name__ in RULES:
            return RULES[klass.__name__], ""
        if klass.__name__ in NOT_ROLLED:
            return None, NOT_ROLLED[klass.__name__]
    return None, f"a {cls.__name__} does not add up over days"


def days_of(span: Span, tz: str) -> list[Span]:
    """The calendar days of ``tz`` in a week or month."""
    zone = ZoneInfo(tz)
    day, last = span.start.astimezone(zone).date(), span.end.astimezone(zone).date()
    out = []
    while day < last:
        out.append(period_span("day", day.strftime("%Y-%m-%d"), tz))
        day += timedelta(days=1)
    return out


@dataclass
class Rollup:
    """A period's figure from its days: ``row`` is a record (with ``derived`` true); ``reason`` says why
    it has no value when the days do not add up (None: rolled up)."""

    row: dict[str, Any]
    reason: str | None = None


def _listed(positions: list[int], grid: list[Span], limit: int = 4) -> str:
    """Days by their positions in the period, runs of consecutive days as ranges: ``2026-11-04 to 2026-11-06``."""
    runs: list[list[int]] = []
    for i in positions:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    shown = [grid[r[0]].label if len(r) == 1 else f"{grid[r[0]].label} to {grid[r[-1]].label}" for r in runs]
    return ", ".join(shown[:limit]) + (f" … ({len(shown)} spans in all)" if len(shown) > limit else "")


def _scale(kpi: str) -> float:
    """A net score's scale (NPS: 100), from its measure class's default."""
    import dataclasses

    cls = measure_class(kpi)
    fields = {f.name: f for f in dataclasses.fields(cls)} if cls is not None and dataclasses.is_dataclass(cls) else {}
    scale = fields.get("scale")
    return float(scale.default) if scale is not None and scale.default is not dataclasses.MISSING else 100.0


Figure = tuple[float | None, int, float | None, float | None]  #: value, n, numerator, denominator


def _combine(rule: str, kpi: str, real: list[dict[str, Any]], last: dict[str, Any] | None) -> Figure | str:
    """The period's figure from its stored days (``last``: the last day's row, None when empty), or why not."""
    if rule == "sum":
        return float(sum(float(r["value"] or 0) for r in real)), sum(int(r["n"] or 0) for r in real), None, None
    if rule == "mean":
        parts = [(float(r["value"]), int(r["n"])) for r in real if r["n"] and r["value"] is not None]
        n = sum(k for _, k in parts)
        return (math.fsum(v * k for v, k in parts) / n if n else None), n, None, None
    if rule == "max":
        values = [float(r["value"]) for r in real if r["value"] is not None]
        return (max(values) if values else None), sum(int(r["n"] or 0) for r in real), None, None
    if rule == "last":  # the snapshot at the end of the last day is the one at the end of the period
        if last is None:
            return 0.0, 0, None, None
        return (None if last["value"] is None else float(last["value"])), int(last["n"] or 0), None, None
    scale = 1.0 if rule == "share" else _scale(kpi)  # share, net
    counted = [r for r in real if r["n"]]
    if any(r["numerator"] is None or r["denominator"] is None for r in counted):
        return "a day's numerator or denominator is not stored"
    for r in counted:  # the stored value must be what the rule says, or the rule is not this KPI's
        if r["value"] is not None and float(r["value"]) != scale * float(r["numerator"]) / float(r["denominator"]):
            return f"the value of {r['period'] or r['period_start'][:10]} is not its numerator ÷ denominator"
    numerator = float(sum(float(r["numerator"]) for r in counted))
    denominator = float(sum(float(r["denominator"]) for r in counted))
    if denominator > 0:
        value = numerator / denominator if rule == "share" else scale * numerator / denominator
        return value, int(denominator), numerator, denominator
    return (None, 0, numerator, denominator) if rule == "share" else (None, 0, None, None)


def roll_up(key: tuple[str, str, str], span: Span, tz: str, days: dict[str, dict[str, Any]], empty: set[str],
            settings: dict[str, dict[str, Any]]) -> Rollup | None:
    """The figure of ``key`` (kpi, group_by, group_value) over the week or month ``span`` from the stored
    ``days`` of that series (period_start → row); ``empty``: the starts of days known to have had no
    records of it; ``settings``: run id → the settings of the runs that stored the days. None when no day
    of the series is stored."""
    from ..model import Result
    from ..targets.evaluate import judge
    from .spans import target_of

    kpi = key[0]
    grid = days_of(span, tz)
    found: list[dict[str, Any] | None] = []  # per day: its row, or None for a day known to be empty
    missing: list[int] = []
    for i, day in enumerate(grid):
        start = utc_text(day.start)
        row = days.get(start)
        if row is not None and row["period_end"] == utc_text(day.end):
            found.append(row)
            continue
        if start in empty:
            found.append(None)  # no records of the group that day
        else:
            missing.append(i)
    real = [r for r in found if r is not None]
    if not real:
        return None
    template = real[-1]
    out = {c: template.get(c) for c in RECORD_COLUMNS}
    out.update(run_id=None, every=span.every, period_start=utc_text(span.start), period_end=utc_text(span.end),
               period=span.label + SUFFIX, value=None, n=0, numerator=None, denominator=None, status="no-data",
               derived=True)

    def no(reason: str) -> Rollup:
        out["notes"] = json.dumps([f"{NOT_DERIVABLE}: {reason}"], ensure_ascii=False)
        return Rollup(out, f"{NOT_DERIVABLE}: {reason}")

    if missing:
        return no(f"{len(missing)} of {len(grid)} days not in the history: {_listed(missing, grid)}")
    rule, why = rule_of(kpi, template["method"])
    if rule is None:
        return no(why)
    methods = {r["method"] for r in real}
    if len(methods) > 1:
        return no(f"the days were measured differently ({'; '.join(sorted(str(m) for m in methods))})")
    if len({r["unit"] for r in real if r["unit"]}) > 1:
        return no("the days were stored in different units")
    meta = _meta(kpi)
    for name in meta.settings if meta is not None else ():
        values = {json.dumps(settings.get(r["run_id"], {}).get(name), sort_keys=True) for r in real}
        if len(values) > 1:
            return no(f"the days' runs had different settings of {name}")
    combined = _combine(rule, kpi, real, found[-1])
    if isinstance(combined, str):
        return no(combined)
    value, n, numerator, denominator = combined
    notes = []
    if value is None:
        notes += [x for r in real for x in json.loads(r["notes"] or "[]") if x.startswith("no ")][:1] or ["no records"]
    notes.append(f"from the {len(grid)} stored days: {RULE_TEXT[rule]}")
    target = target_of(kpi, template["target"])
    probe = Result(kpi=kpi, title=template.get("title") or kpi, unit=template.get("unit") or "count",
                   direction=template.get("direction") or "none", value=value, n=n)
    volume = settings.get(template["run_id"], {}).get("min_volume") or 0
    out.update(value=value, n=n, numerator=numerator, denominator=denominator, status=judge(probe, target, volume),
               notes=json.dumps(notes, ensure_ascii=False))
    return Rollup(out)


def roll_up_stored(store: Store, key: tuple[str, str, str], span: Span, tz: str) -> Rollup | None:
    """:func:`roll_up` of one figure, reading its days from the store (for ``--compare``)."""
    from .store import grouped_periods

    if span.every not in ROLLED:
        return None
    start, end = utc_text(span.start), utc_text(span.end)
    days = {r["period_start"]: r for r in read_within(store, (*key, "day"), start, end)}
    if not days:
        return None
    kpi, group_by, _ = key
    empty: set[str] = set()
    if group_by != "[]":
        empty = grouped_periods(store, kpi, group_by, "day", start, end)
        empty |= {r["period_start"] for r in read_within(store, (kpi, "[]", "[]", "day"), start, end) if not r["n"]}
    return roll_up(key, span, tz, days, empty, run_settings(store, {r["run_id"] for r in days.values()}))


def rolled_rows(store: Store, every: str, day_rows: list[dict[str, Any]], stored: list[dict[str, Any]],
                start: str | None, end: str | None) -> list[dict[str, Any]]:
    """For ``hdkpi history --every week|month``: a derived row (a value, or none and why) for each series
    of ``day_rows`` and each period inside ``[start, end)`` holding a stored day of it but no ``stored``
    figure of its own."""
    from ..engine.slicing import make_periods, week_start_number

    if every not in ROLLED or not day_rows:
        return []
    settings = run_settings(store, {r["run_id"] for r in day_rows})
    tz = Counter(r.get("tz") or "UTC" for r in day_rows).most_common(1)[0][0]
    week_start = Counter(str(s.get("week_start") or "monday") for s in settings.values()).most_common(1)
    first = min(datetime.fromisoformat(r["period_start"]) for r in day_rows)
    last = max(datetime.fromisoformat(r["period_end"]) for r in day_rows)
    periods = make_periods(every, first, last - timedelta(microseconds=1), tz,
                           week_start_number(week_start[0][0] if week_start else "monday"))
    spans = [Span(every, s.to_pydatetime().astimezone(timezone.utc), e.to_pydatetime().astimezone(timezone.utc), label)
             for s, e, label in zip(periods.starts, periods.ends, periods.labels)]
    spans = [s for s in spans if (start is None or utc_text(s.start) >= start)
             and (end is None or utc_text(s.end) <= end)]
    taken = {(r["kpi"], r["group_by"], r["group_value"], r["period_start"]) for r in stored}
    series: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    grouped: dict[tuple[str, str], set[str]] = {}  # (kpi, group_by) → days with some group stored
    for r in day_rows:
        series.setdefault((r["kpi"], r["group_by"], r["group_value"]), {})[r["period_start"]] = r
        grouped.setdefault((r["kpi"], r["group_by"]), set()).add(r["period_start"])
    out = []
    for key, days in series.items():
        empty: set[str] = set()
        if key[1] != "[]":
            overall = series.get((key[0], "[]", "[]"), {})
            empty = grouped[key[:2]] | {day for day, r in overall.items() if not r["n"]}
        for span in spans:
            if (*key, utc_text(span.start)) in taken:
                continue
            low, high = utc_text(span.start), utc_text(span.end)
            inside = {s: r for s, r in days.items() if low <= s < high}
            if not inside:
                continue
            rolled = roll_up(key, span, tz, inside, empty, settings)
            if rolled is not None:
                out.append(rolled.row)
    return out
