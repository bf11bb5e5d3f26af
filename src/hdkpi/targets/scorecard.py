"""Scorecards: composite ratings of agents, teams or queues (or the whole desk) from several KPIs.

A ``scorecards:`` section of the targets file defines each card::

    scorecards:
      agent:
        by: agent                      # the groups rated; leave out to rate the whole desk
        min_volume: 20                 # a component resting on fewer records is not rated
        components:
          response:   {kpi: frt, weight: 20, against: target, target: "<= 4h", floor: "<= 24h"}
          resolution: {kpi: fcr, weight: 30, against: target, target: ">= 70%", floor: ">= 30%"}
          quality:    {kpi: csat, weight: 30, against: rank}
        perspectives:                  # optional: components grouped, each group scored too
          customer: [quality]
          process: [response, resolution]

Scoring, each component 0–100: ``against: target`` is linear between the floor (0) and the target
(100), capped; the target defaults to the KPI's fail level in ``targets:``. ``against: rank`` is
the group's percentile among the rated groups, best = 100 (ties share their mean rank). The
composite is the weighted mean of the rated components; a group with no rated component is
"not rated" with the reason. Every score shows the value and n it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ..engine.registry import KpiRef, Registry
    from ..model import Report, Target


@dataclass
class Component:
    name: str
    ref: KpiRef
    weight: float
    against: str  #: target | rank
    target: float | None = None  #: machine units (from the card, or the KPI's target)
    floor: float | None = None


@dataclass
class Scorecard:
    name: str
    by: str | None
    components: list[Component]
    min_volume: int = 0
    perspectives: dict[str, list[str]] = field(default_factory=dict)


def parse_scorecard(name: str, data: Any, registry: Registry, targets: list[Target]) -> Scorecard:
    """One card from its YAML mapping; raises UsageError naming the key path."""
    from .thresholds import ThresholdError, parse_threshold

    where = f"scorecards.{name}"
    if not isinstance(data, dict):
        raise UsageError(f"{where}: a scorecard is a mapping with components")
    unknown = set(data) - {"by", "min_volume", "components", "perspectives"}
    if unknown:
        raise UsageError(f"{where}: unknown key {sorted(unknown)[0]!r}; keys: by, min_volume, components, "
                         "perspectives")
    by = data.get("by")
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise UsageError(f"{where}.by: name the dimension rated, e.g. by: agent")
    min_volume = data.get("min_volume", 0)
    if isinstance(min_volume, bool) or not isinstance(min_volume, int) or min_volume < 0:
        raise UsageError(f"{where}.min_volume: a whole number ≥ 0")
    raw = data.get("components")
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"{where}.components: give at least one, e.g. quality: {{kpi: csat, weight: 1}}")
    fail_levels = {t.kpi: t.fail for t in targets if t.fail is not None}
    components = []
    for cname, spec in raw.items():
        cwhere = f"{where}.components.{cname}"
        if not isinstance(spec, dict) or "kpi" not in spec:
            raise UsageError(f"{cwhere}: give kpi: NAME (and weight, against)")
        extra = set(spec) - {"kpi", "weight", "against", "target", "floor"}
        if extra:
            raise UsageError(f"{cwhere}: unknown key {sorted(extra)[0]!r}")
        try:
            ref = registry.resolve(str(spec["kpi"]))
        except UsageError as exc:
            raise UsageError(f"{cwhere}.kpi: {exc.message}") from None
        weight = spec.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise UsageError(f"{cwhere}.weight: a positive number")
        against = spec.get("against", "target")
        if against not in ("target", "rank"):
            raise UsageError(f"{cwhere}.against: target or rank")
        target = floor = None
        try:
            if "target" in spec:
                target = parse_threshold(str(spec["target"]), ref.kpi.unit, ref.name).value
            elif against == "target" and ref.name in fail_levels:
                target = fail_levels[ref.name].value
            if "floor" in spec:
                floor = parse_threshold(str(spec["floor"]), ref.kpi.unit, ref.name).value
        except ThresholdError as exc:
            raise UsageError(f"{cwhere}: {exc}") from None
        if against == "target":
            if target is None or floor is None:
                raise UsageError(f"{cwhere}: against: target needs target (or a target for {ref.name} in targets:) "
                                 f"and floor, e.g. floor: \"<= 24h\" — the value that scores 0")
            if target == floor:
                raise UsageError(f"{cwhere}: target and floor are equal; the floor is the value that scores 0")
        components.append(Component(cname, ref, float(weight), against, target, floor))
    perspectives = data.get("perspectives") or {}
    if not isinstance(perspectives, dict):
        raise UsageError(f"{where}.perspectives: a mapping of name: [component, …]")
    names = {c.name for c in components}
    for pname, members in perspectives.items():
        if not isinstance(members, list) or not members or not set(members) <= names:
            raise UsageError(f"{where}.perspectives.{pname}: a list of component names ({', '.join(sorted(names))})")
    return Scorecard(name, by.strip() if by else None, components, min_volume, dict(perspectives))


def score_against_target(value: Any, target: float, floor: float) -> Any:
    """Linear from the floor (0) to the target (100), capped; works for either direction."""
    import numpy as np

    return np.clip((np.asarray(value, dtype=float) - floor) / (target - floor) * 100.0, 0.0, 100.0)


def score_by_rank(values: Any, direction: str) -> Any:
    """Percentile among the groups, best = 100, worst = 0; ties share their mean rank; NaN stays NaN."""
    import pandas as pd

    series = pd.Series(values, dtype="float64")
    ranks = series.rank(method="average", ascending=direction != "lower")
    m = int(series.notna().sum())
    if m <= 1:
        return (ranks * 0 + 100.0).to_numpy()
    return ((ranks - 1) / (m - 1) * 100.0).to_numpy()


def rate(card: Scorecard, report: Report) -> Any:
    """A table: one row per group with each component's value, n, score, the perspectives, the
    composite and the rank; groups that cannot be rated say why."""
    import numpy as np
    import pandas as pd

    dims = {card.by} if card.by else set()
    rows: dict[Any, dict[str, Any]] = {}
    for v in report.verdicts:
        r = v.result
        if set(r.group) != dims or r.period is not None:
            continue
        group = r.group.get(card.by) if card.by else "desk"
        rows.setdefault(group, {})[r.kpi] = r
    groups = list(rows)
    table = pd.DataFrame(index=pd.Index(groups, name=card.by or "desk"))
    reasons: dict[Any, list[str]] = {g: [] for g in groups}
    for comp in card.components:
        values, ns = [], []
        for g in groups:
            result = rows[g].get(comp.ref.name)
            if result is None or result.value is None:
                values.append(np.nan)
                ns.append(0)
                reasons[g].append(f"{comp.name}: no data")
            elif result.n < card.min_volume:
                values.append(np.nan)
                ns.append(result.n)
                reasons[g].append(f"{comp.name}: n={result.n} < min_volume {card.min_volume}")
            else:
                values.append(result.value)
                ns.append(result.n)
        values_arr = np.array(values, dtype=float)
        if comp.against == "target":
            scores = score_against_target(values_arr, comp.target, comp.floor)  # type: ignore[arg-type]
        else:
            scores = score_by_rank(values_arr, comp.ref.kpi.direction)
        scores = np.where(np.isnan(values_arr), np.nan, scores)
        table[f"{comp.name}.value"] = values_arr
        table[f"{comp.name}.n"] = ns
        table[f"{comp.name}.score"] = scores
    weights = np.array([c.weight for c in card.components])
    scores = table[[f"{c.name}.score" for c in card.components]].to_numpy()
    rated = ~np.isnan(scores)
    total = np.where(rated, weights, 0.0).sum(axis=1)
    table["composite"] = np.where(total > 0, np.nansum(scores * weights, axis=1) / np.where(total > 0, total, 1),
                                  np.nan)
    for pname, members in card.perspectives.items():
        idx = [i for i, c in enumerate(card.components) if c.name in members]
        w = weights[idx]
        part = scores[:, idx]
        got = np.where(~np.isnan(part), w, 0.0).sum(axis=1)
        table[f"perspective.{pname}"] = np.where(got > 0, np.nansum(part * w, axis=1) / np.where(got > 0, got, 1),
                                                 np.nan)
    table["rank"] = table["composite"].rank(ascending=False, method="min")
    table["not_rated"] = ["; ".join(reasons[g]) if np.isnan(c) else "" for g, c in zip(groups, table["composite"])]
    table["partial"] = ["; ".join(reasons[g]) if not np.isnan(c) else "" for g, c in zip(groups, table["composite"])]
    return table.sort_values(["composite"], ascending=False, na_position="last")


def render_text(card: Scorecard, table: Any) -> str:
    """Plain text: one line per group (rank, composite, each component's score with value and n)."""
    lines = [f"scorecard {card.name}" + (f" by {card.by}" if card.by else " (the whole desk)"),
             "  components: " + ", ".join(
                 f"{c.name} = {c.ref.name} × {c.weight:g} ({'rank among groups' if c.against == 'rank' else 'target'})"
                 for c in card.components), ""]
    from ..units import format_value

    for group, row in table.iterrows():
        label = "(empty)" if group is None else str(group)
        if row["not_rated"]:
            lines.append(f"     —  {label:<16} not rated: {row['not_rated']}")
            continue
        parts = []
        for c in card.components:
            value = row[f"{c.name}.value"]
            if value != value:  # NaN
                parts.append(f"{c.name} —")
            else:
                parts.append(f"{c.name} {row[f'{c.name}.score']:.0f} ({format_value(value, c.ref.kpi.unit)}, "
                             f"n={int(row[f'{c.name}.n'])})")
        persp = "".join(f" · {p} {row[f'perspective.{p}']:.0f}" for p in card.perspectives
                        if row[f"perspective.{p}"] == row[f"perspective.{p}"])
        lines.append(f"  {int(row['rank']):>3}.  {label:<16} {row['composite']:5.1f}{persp}   " + "; ".join(parts))
        if row["partial"]:
            lines.append(f"        {'':<16} (not in the score: {row['partial']})")
    return "\n".join(lines) + "\n"
