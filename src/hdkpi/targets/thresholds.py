"""Thresholds: ``"<= 30s"``, ``">= 80%"``, ``">= 4bh"`` → a comparison in the KPI's machine unit, or a
:class:`ThresholdError` saying what to write instead (the targets file and scorecards both read them)."""

from __future__ import annotations

import math
import re
from typing import Any

from ..errors import HdkpiError
from ..model import Threshold
from ..units import BUSINESS_UNITS, DURATION_UNITS, split_quantity

_THRESHOLD = re.compile(r"^\s*(?P<op><=|>=|==|<|>)\s*(?P<quantity>\S.*?)\s*$")
_EXAMPLE = {"seconds": '"<= 30s"', "share": '">= 80%"', "count": '">= 100"', "score": '">= 30"'}


class ThresholdError(ValueError):
    """A threshold that does not parse or does not fit its KPI (message without position)."""


def parse_threshold(text: str, unit: str, kpi_name: str, calendar: Any = None) -> Threshold:
    """``"<= 30s"`` on a ``seconds`` KPI → ``Threshold("<= 30s", "<=", 30.0)``, machine units.

    Durations need a unit (s m h d w); shares take ``%`` (0–100) or a bare fraction 0–1;
    counts and scores take plain numbers. A unit that does not fit the KPI is refused.
    """
    example = _EXAMPLE.get(unit, '">= 1"')
    m = _THRESHOLD.match(text)
    if not m:
        raise ThresholdError(f"{text!r} is not a comparison; write e.g. {kpi_name}: {example} "
                             "(operators <, <=, >, >=, ==)")
    op, quantity = m.group("op"), m.group("quantity")
    try:
        number, suffix = split_quantity(quantity)
    except ValueError:
        raise ThresholdError(f"{quantity!r} is not a number with a unit; "
                             f"write e.g. {kpi_name}: {example}") from None
    if not math.isfinite(number):
        raise ThresholdError(f"{quantity!r} is not a finite number; write e.g. {kpi_name}: {example}")
    suggestion = f'"{op} {_num(number)}'
    if unit == "seconds":
        if suffix in BUSINESS_UNITS:
            if calendar is None:
                raise ThresholdError(f"{text!r} is in business time, which needs a calendar: section "
                                     f"(see README, 'Business time'), or calendar units, e.g. {suggestion}h\"")
            from ..calendar import parse_business_duration

            try:
                value = parse_business_duration(quantity, calendar)
            except HdkpiError as exc:
                raise ThresholdError(exc.message) from None
            return Threshold(text=f"{op} {quantity}", op=op, value=float(value))  # type: ignore[arg-type]
        if suffix == "%":
            raise ThresholdError(f"a % threshold does not fit {kpi_name}, which is a duration; "
                                 f"write e.g. {kpi_name}: {example}")
        if suffix == "":
            raise ThresholdError(f"{text!r} lacks a unit; {kpi_name} is a duration: "
                                 f"write e.g. {suggestion}s\"")
        if suffix not in DURATION_UNITS:
            raise ThresholdError(f"unknown unit {suffix!r} in {text!r}; use s, m, h, d or w")
        if number < 0:
            raise ThresholdError(f"{text!r} is negative; a duration is never below 0")
        value = number * DURATION_UNITS[suffix]
    elif unit == "share":
        if suffix == "%":
            if not 0 <= number <= 100:
                raise ThresholdError(f"{text!r} is out of range; a share is between 0% and 100%")
            value = number / 100
        elif suffix == "":
            if not 0 <= number <= 1:
                raise ThresholdError(f"{text!r} lacks a unit; {kpi_name} is a share: "
                                     f"write e.g. {suggestion}%\"")
            value = number
        else:
            raise ThresholdError(f"a {suffix!r} threshold does not fit {kpi_name}, which is a share; "
                                 f"write e.g. {kpi_name}: {example}")
    else:  # count, score
        if suffix:
            raise ThresholdError(f"a {suffix!r} threshold does not fit {kpi_name}, which is a {unit}; "
                                 f"write a plain number, e.g. {suggestion}\"")
        value = number
    return Threshold(text=f"{op} {quantity}", op=op, value=float(value))  # type: ignore[arg-type]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
