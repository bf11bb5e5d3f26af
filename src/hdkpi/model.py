"""Plain values passed between pipeline stages (no pandas here, so renderers stay light)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "no-data"]
Unit = Literal["count", "seconds", "share", "score"]
Direction = Literal["higher", "lower", "none"]

DEFAULT_SEGMENT = "default"  #: the segment key for values without their own levels
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "no-data")


@dataclass(frozen=True)
class Threshold:
    """One comparison, e.g. ``<= 30s`` → op ``<=``, value 30.0 (machine units)."""

    text: str
    op: Literal["<", "<=", ">", ">=", "=="]
    value: float

    def holds(self, x: float) -> bool:
        if self.op == "<":
            return x < self.value
        if self.op == "<=":
            return x <= self.value
        if self.op == ">":
            return x > self.value
        if self.op == ">=":
            return x >= self.value
        return x == self.value


@dataclass(frozen=True)
class Target:
    """A target on one KPI: a fail-level and/or a warn-level threshold."""

    kpi: str  #: canonical KPI reference, e.g. ``resolved_within(2d)``
    fail: Threshold | None = None
    warn: Threshold | None = None
    line: int | None = None  #: where it was written in the targets file
    by: str | None = None  #: per-segment target: the dimension whose values have their own levels
    segments: dict[str, "Target"] = field(default_factory=dict)  #: value → levels (``fail``/``warn``)
    min_volume: int | None = None  #: fewer records than this: no-data (None: the setting)
    business: bool = False  #: the KPI is measured in business time (business: true, or bd/bh thresholds)
    confidence: float | None = None  #: judge by the confidence interval: a miss must be significant to fail

    @property
    def text(self) -> str:
        parts = []
        if self.fail is not None:
            parts.append(self.fail.text)
        if self.warn is not None:
            parts.append(f"warn {self.warn.text}")
        return ", ".join(parts)

    def for_group(self, group: dict[str, str | None]) -> "Target | None":
        """The levels that apply to a result of this group: per segment, else the target itself.
        A per-segment target judges only results grouped by its dimension (None otherwise)."""
        if self.by is None:
            return self
        if self.by not in group:
            return None
        value = group[self.by]
        return self.segments.get(value if value is not None else "") or self.segments.get(DEFAULT_SEGMENT)


@dataclass
class Comparison:
    """The same KPI and group in the preceding period of the same length (``--compare previous``)."""

    period: str | None  #: label of the earlier period, or "from … to …" of the earlier window
    value: float | None
    n: int
    change: float | None  #: value − previous value, machine units (for shares ×100 = points)
    numerator: float | None = None  #: the earlier figure's basis, for the significance test
    denominator: float | None = None
    std: float | None = None
    p_value: float | None = None  #: two-proportion (shares) or Welch (means) test of the change

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < 0.05

    def better(self, direction: str) -> bool | None:
        """True when the change is an improvement, False when worse, None when flat or unknown."""
        if self.change is None or self.change == 0 or direction not in ("higher", "lower"):
            return None
        return (self.change > 0) == (direction == "higher")


@dataclass
class Result:
    """One figure: a KPI for one group and period (overall: group {} and period None)."""

    kpi: str
    title: str
    unit: Unit
    direction: Direction
    value: float | None
    n: int
    numerator: float | None = None
    denominator: float | None = None
    method: str | None = None
    group: dict[str, str] = field(default_factory=dict)
    period: str | None = None
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  #: the settings that shaped it
    compare: Comparison | None = None
    std: float | None = None  #: sample std of a mean's values (for its t-interval)
    ci_low: float | None = None  #: confidence interval (--ci, or a target's confidence)
    ci_high: float | None = None
    anomaly: bool = False  #: outside mean ± 3σ of the preceding periods of its series (--every)
    partial: bool = False  #: --every: the data (or the window) covers only part of the period (hdkpi.engine.coverage)

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str | None], ...]]:
        """(kpi, group) — what stays the same when only the period changes."""
        return self.kpi, tuple(sorted(self.group.items()))

    @property
    def has_value(self) -> bool:
        return self.value is not None


@dataclass
class Verdict:
    """A result held against its target (``target`` None: no target set)."""

    result: Result
    target: Target | None
    status: Status | None  #: None when there is no target and the value exists

    @property
    def missed(self) -> bool:
        return self.status in ("fail", "warn")


@dataclass
class InputSummary:
    """Row accounting for one input file."""

    path: str
    kind: str
    preset: str
    read: int
    used: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)  #: canonical field ← source column
    examples_by_reason: dict[str, list[int]] = field(default_factory=dict)  #: data row numbers
    folded: int = 0  #: source records merged into others by the preset (events of one ticket)
    counts: dict[str, int] = field(default_factory=dict)  #: preset facts (ivr_abandons, …)
    #: used rows with a fact unknown, by what is unknown → count (they are in ``used``)
    caveats: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return self.read - self.used - self.folded


@dataclass
class Report:
    """Everything a renderer needs; the JSON document is a direct image of it."""

    verdicts: list[Verdict]
    inputs: list[InputSummary]
    settings: dict[str, Any]
    period_from: datetime | None = None
    period_to: datetime | None = None
    generated_at: datetime | None = None
    targets_path: str | None = None
    command: str = "report"
    strict: bool = False
    by: tuple[str, ...] = ()
    every: str | None = None
    compare: str | None = None
    tz: str = "UTC"
    context: Any = field(default=None, repr=False, compare=False)  #: hdkpi.run.details.RunContext, for drill-down
    #: with SLA policies: the open tickets whose breach comes within 4 h of --now, soonest first (ticket_id,
    #: sla, due, elapsed_seconds, target_seconds, by: the field and value that picked the target)
    at_risk: list[dict[str, Any]] | None = None

    @property
    def summary(self) -> dict[str, int]:
        """Statuses of targeted results (a KPI without a target is shown, not counted)."""
        counts = {"pass": 0, "warn": 0, "fail": 0, "no_data": 0}
        for v in self.verdicts:
            if v.status is None or v.target is None:
                continue
            counts["no_data" if v.status == "no-data" else v.status] += 1
        return counts

    @property
    def failed(self) -> bool:
        """True when ``check`` must exit 1 (``--strict``: a targeted no-data fails too, but not a period
        outside its kind's data, which the input does not speak of: hdkpi.engine.coverage)."""
        return any(
            v.status == "fail"
            or (self.strict and v.status == "no-data" and v.target is not None and not outside(v.result))
            for v in self.verdicts
        )


#: the no-data note hdkpi.engine.coverage gives a period record outside its kind's data (``outside()``)
OUTSIDE_NOTE = re.compile(r"^no \w+ in the input (before|after) \d{4}-\d{2}-\d{2}$")


def outside(result: "Result") -> bool:
    """True for a period record made no-data because it lies outside its kind's data."""
    return result.value is None and result.period is not None and any(OUTSIDE_NOTE.match(n) for n in result.notes)
