"""What a KPI function returns: a measure over the rows of its frame.

A KPI says *what* to aggregate (a mask to count, a share's numerator and
denominator, values to average); this module says *how*, in one vectorised
pass. Grouping and periods are the engine's job, so every KPI — built-in or
plugin — gets them without code of its own.

Conventions (KPI_SPEC §6): a zero denominator or no values gives value None
(no-data), never 0; a count of nothing is 0. n: shares n = denominator; means
and quantiles n = number of values; counts n = value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass
class Figure:
    """An aggregated measure: the numbers behind one Result."""

    value: float | None
    n: int
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None  #: why value is None


@dataclass
class Measure:
    """Base: ``method`` names the rule used when several apply (reported with the figure)."""

    method: str | None = field(default=None, kw_only=True)
    notes: list[str] = field(default_factory=list, kw_only=True)

    def overall(self) -> Figure:  # pragma: no cover - abstract
        raise NotImplementedError


def _flag(mask: "pd.Series") -> "pd.Series":
    """A boolean Series where missing means False."""
    return mask.fillna(False).astype(bool)


@dataclass
class Count(Measure):
    """Rows where ``mask`` is true. n = value."""

    mask: "pd.Series"

    def overall(self) -> Figure:
        count = int(_flag(self.mask).sum())
        return Figure(value=float(count), n=count)


@dataclass
class Share(Measure):
    """numerator ÷ denominator over rows; a row counts in the numerator only if it is in the denominator."""

    numerator: "pd.Series"
    denominator: "pd.Series"
    of: str = "records"  #: what the denominator counts, for the no-data note

    def overall(self) -> Figure:
        den_mask = _flag(self.denominator)
        den = int(den_mask.sum())
        num = int((_flag(self.numerator) & den_mask).sum())
        if den == 0:
            return Figure(value=None, n=0, numerator=float(num), denominator=0.0, note=f"no {self.of}")
        return Figure(value=num / den, n=den, numerator=float(num), denominator=float(den))


@dataclass
class _OverValues(Measure):
    """A statistic of the non-missing ``values``; n = number of values, no-data when there are none."""

    values: "pd.Series"
    of: str = field(default="values", kw_only=True)  #: what the values are, for the no-data note

    def statistic(self, values: "pd.Series") -> float:
        raise NotImplementedError

    def overall(self) -> Figure:
        values = self.values.dropna()
        if values.empty:
            return Figure(value=None, n=0, note=f"no {self.of}")
        return Figure(value=float(self.statistic(values)), n=int(values.size))


@dataclass
class Mean(_OverValues):
    """Mean of the non-missing ``values``."""

    def statistic(self, values: "pd.Series") -> float:
        return values.mean()


@dataclass
class Quantile(_OverValues):
    """Quantile q of the non-missing values, linear interpolation at (n − 1)·q (PERCENTILE.INC)."""

    q: float = 0.5

    def statistic(self, values: "pd.Series") -> float:
        return values.quantile(self.q, interpolation="linear")


@dataclass
class Max(_OverValues):
    """Largest non-missing value."""

    def statistic(self, values: "pd.Series") -> float:
        return values.max()


@dataclass
class NetScore(Measure):
    """(positives − negatives) ÷ answers × scale, e.g. NPS = % promoters − % detractors.

    numerator = positives − negatives, denominator = answers, n = answers.
    """

    positive: "pd.Series"
    negative: "pd.Series"
    answered: "pd.Series"
    scale: float = 100.0
    of: str = "answers"

    def overall(self) -> Figure:
        answered = _flag(self.answered)
        n = int(answered.sum())
        net = int((_flag(self.positive) & answered).sum()) - int((_flag(self.negative) & answered).sum())
        if n == 0:
            return Figure(value=None, n=0, note=f"no {self.of}")
        return Figure(value=self.scale * net / n, n=n, numerator=float(net), denominator=float(n))


@dataclass
class PerDistinct(Measure):
    """Rows in ``mask`` ÷ distinct non-empty ``keys`` among them (e.g. tickets per agent).

    numerator = rows, denominator = distinct keys, n = rows.
    """

    mask: "pd.Series"
    keys: "pd.Series"
    of: str = "records"

    def overall(self) -> Figure:
        rows = _flag(self.mask)
        count = int(rows.sum())
        distinct = int(self.keys[rows].dropna().nunique())
        if distinct == 0:
            return Figure(value=None, n=count, numerator=float(count), denominator=0.0, note=f"no {self.of}")
        return Figure(value=count / distinct, n=count, numerator=float(count), denominator=float(distinct))


def describe(measure: Measure) -> dict[str, Any]:
    """For debugging and docs: the measure's class and method."""
    return {"measure": type(measure).__name__, "method": measure.method}
