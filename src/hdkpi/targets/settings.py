"""Settings that shape KPI definitions (KPI_SPEC §3), their defaults and validation.

Values come from the targets file's ``settings:`` section and ``--set key=value``;
both go through :func:`coerce_setting`, so the rules are the same everywhere.
Durations are stored in seconds; a bare number in a duration setting is seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..units import parse_duration

SERVICE_LEVEL_FORMULAS = (
    "offered",
    "answered",
    "exclude_abandoned_in_threshold",
    "abandoned_in_threshold_met",
)


def _duration(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise UsageError(f"setting {name}: expected a duration such as 20s, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise UsageError(f"setting {name}: {value!r} is negative")
        if not math.isfinite(value):
            raise UsageError(f"setting {name}: {value!r} is not a finite duration")
        return float(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return parse_duration(text, what=f"setting {name}")
    return _duration(name, number)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise UsageError(f"setting {name}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"setting {name}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise UsageError(f"setting {name}: {value!r} is not a finite number")
    return number


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        text = str(value).strip()
        if text not in choices:
            raise UsageError(f"setting {name}: {text!r} is not one of {', '.join(choices)}")
        return text
    return check


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(name: str, value: Any) -> str:
    text = str(value).strip().lower()
    match = [d for d in WEEKDAY_NAMES if len(text) >= 3 and d.startswith(text)]
    if not match:
        raise UsageError(f"setting {name}: {value!r} is not a weekday; write e.g. monday or sunday")
    return match[0]


def _share(name: str, value: Any) -> float:
    """80%, 0.8 or 80 (a number above 1 is read as a percentage)."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"setting {name}: expected a share such as 80%, got {value!r}") from None
    number = number / 100 if number > 1 else number
    if not 0 <= number <= 1:
        raise UsageError(f"setting {name}: {value!r} is not between 0% and 100%")
    return number


def _count(name: str, value: Any) -> float:
    number = _number(name, value)
    if number < 0 or not float(number).is_integer():
        raise UsageError(f"setting {name}: expected a whole number ≥ 0, got {value!r}")
    return number


COST_PERIODS = ("day", "week", "month", "year")


def _cost(name: str, value: Any) -> dict[str, Any] | None:
    """``{amount: 12000, per: month}`` (or ``"12000/month"`` on the command line)."""
    if value is None:
        return None
    if isinstance(value, str) and "/" in value:
        amount, _, per = value.partition("/")
        value = {"amount": amount, "per": per}
    if not isinstance(value, dict) or set(value) != {"amount", "per"}:
        raise UsageError(f"setting {name}: write {{amount: 12000, per: month}} (or --set cost=12000/month)")
    amount = _number(name, value["amount"])
    per = str(value["per"]).strip().lower()
    if amount < 0 or per not in COST_PERIODS:
        raise UsageError(f"setting {name}: amount must be ≥ 0 and per one of {', '.join(COST_PERIODS)}")
    return {"amount": amount, "per": per}


@dataclass(frozen=True)
class SettingSpec:
    name: str
    default: Any
    coerce: Callable[[str, Any], Any]
    doc: str


SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        SettingSpec("service_level_threshold", 20.0, _duration,
                    "T of service_level: answered within T seconds (inclusive)"),
        SettingSpec("service_level_formula", "offered", _choice(SERVICE_LEVEL_FORMULAS),
                    "denominator rule of service_level"),
        SettingSpec("service_level_goal", 0.8, _share,
                    "the service level an interval must reach for intervals_meeting (e.g. 80%)"),
        SettingSpec("short_abandon", 0.0, _duration,
                    "abandons with wait < this are short abandons, left out of rates"),
        SettingSpec("csat_satisfied_min", 4.0, _number,
                    "a CSAT answer at or above this is satisfied (1–5 scale)"),
        SettingSpec("fcr_window", 604800.0, _duration,
                    "repeat-caller window of call_fcr"),
        SettingSpec("nia_window", 604800.0, _duration,
                    "window of next_issue_avoidance"),
        SettingSpec("cost", None, _cost, "desk cost for cost_per_ticket: {amount: 12000, per: month}"),
        SettingSpec("week_start", "monday", _weekday, "first day of a week for --every week and --by week"),
        SettingSpec("anomaly_window", 8.0, _count,
                    "a period is an anomaly outside mean ± 3σ of this many preceding periods (--every)"),
        SettingSpec("min_volume", 0.0, _count,
                    "a group or period with fewer records (n) than this is no-data, not pass or fail"),
    )
}


def coerce_setting(name: str, value: Any) -> Any:
    """Validate one setting; raises UsageError naming the allowed keys when unknown."""
    spec = SETTINGS.get(name)
    if spec is None:
        raise UsageError(f"unknown setting {name!r}; known settings: {', '.join(SETTINGS)}")
    return spec.coerce(name, value)


def default_settings() -> dict[str, Any]:
    return {name: spec.default for name, spec in SETTINGS.items()}
