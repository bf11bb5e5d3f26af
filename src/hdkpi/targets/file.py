"""The targets file: settings, column mapping and targets, validated with file:line:column.

Format (``version: 1``)::

    version: 1
    settings:                      # KPI_SPEC settings, e.g. service_level_threshold: 20s
      service_level_threshold: 20s
    columns:                       # canonical field: source column, for every kind ...
      agent: Assignee
      calls:                       # ... or for one kind
        offered_at: Start Time
    targets:                       # KPI: "comparison threshold", or {fail: …, warn: …}
      asa: "<= 30s"
      csat: {fail: ">= 85%", warn: ">= 90%"}

The YAML is read with PyYAML's safe loader (no Python tags, no aliases), walked
node by node so every problem carries its 1-based line and column, and every
problem is collected before one :class:`~hdkpi.errors.TargetsError` is raised.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import HdkpiError, TargetsError
from ..fields import SCHEMAS, all_field_names, field_names
from ..model import Target, Threshold
from ..units import BusinessDuration
from .settings import coerce_setting
from .thresholds import _EXAMPLE, ThresholdError, parse_threshold

if TYPE_CHECKING:  # pragma: no cover
    from ..engine.registry import KpiRef, Registry

VERSION = 1
TOP_KEYS = ("version", "settings", "calendar", "slas", "preset", "columns", "cache", "history", "notify", "targets",
            "scorecards")
LATER_KEYS: dict[str, str] = {}  # sections of DESIGN.md that this version refuses rather than ignores
LEVELS = ("fail", "warn")
NOTIFY_WHEN = ("fail", "warn", "change", "always")  #: --notify-on / notify: {on: …}
_BAD = object()  #: a scalar whose problem is already recorded


@dataclass
class TargetsFile:
    """A validated targets file."""

    path: str
    version: int = VERSION
    settings: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  #: kind or "*" → field → column
    targets: list[Target] = field(default_factory=list)
    refs: dict[str, KpiRef] = field(default_factory=dict)  #: canonical name → bound KPI
    calendar: Any = None  #: hdkpi.calendar.Calendar of the calendar: section
    preset: str | None = None  #: preset: NAME or mapping file (relative to the targets file)
    scorecards: dict[str, Any] = field(default_factory=dict)  #: name → hdkpi.targets.scorecard.Scorecard
    cache: str | None = None  #: cache: DIR (relative to the targets file) or true for the default place
    history: str | None = None  #: history: FILE (relative to the targets file) or a postgresql:// URL
    slas: dict[str, Any] = field(default_factory=dict)  #: name → hdkpi.engine.sla.SlaPolicy (slas: section)
    notify: list[str] = field(default_factory=list)  #: notify: URLs (``${ENV}`` expanded when sent)
    notify_on: str | None = None  #: notify: {on: fail|warn|change|always}


# -- YAML, position-aware -------------------------------------------------------------

class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases (``*ref``): a targets file never needs them and they
    are how 'billion laughs' files blow up."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed in a targets file; "
                                       "write the value out", problem_mark=event.start_mark)
        return super().compose_node(parent, index)


def _compose(text: str, path: str) -> tuple[yaml.Node | None, _NoAliasLoader]:
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_node(), loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        hint = ""
        if "'\\t'" in problem or "\t" in problem:
            hint = "; indent with spaces, not tabs"
        elif any(w in problem for w in ("block", "mapping values", "indicator", "alias", "anchor")) \
                and "aliases" not in problem:
            hint = '; quote thresholds, e.g. asa: "<= 30s"'
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise TargetsError(f"YAML syntax error: {problem}{hint}", path=path, line=line,
                           column=column) from None
    except yaml.YAMLError as exc:
        raise TargetsError(f"YAML error: {exc}", path=path) from None


class _Collector:
    """Gathers problems with positions; raised together as one error."""

    def __init__(self, path: str, loader: _NoAliasLoader) -> None:
        self.path = path
        self.loader = loader
        self.problems: list[tuple[int, int, str]] = []
        self.calendar: Any = None  #: set once the calendar: section is read
        self.slas: dict[str, Any] = {}  #: set once the slas: section is read

    def add(self, node: yaml.Node, message: str) -> None:
        self.problems.append((node.start_mark.line + 1, node.start_mark.column + 1, message))

    def scalar(self, node: yaml.Node) -> Any:
        """The Python value of a scalar node; refuses any tag the safe loader does not know."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.add(node, f"{exc.problem}; only plain YAML values are allowed")
            return _BAD

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, str, yaml.Node]]:
        """(key node, key text, value node) of a mapping, refusing duplicate and non-text keys."""
        if not isinstance(node, yaml.MappingNode):
            self.add(node, f"{what} must be a mapping (key: value lines)")
            return []
        seen: dict[str, int] = {}
        items = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.add(key_node, f"a key in {what} must be plain text")
                continue
            key = str(key_node.value)
            if key == "<<":
                self.add(key_node, "merge keys (<<) are not allowed in a targets file")
                continue
            if key in seen:
                self.add(key_node, f"duplicate key {key!r} in {what} (first on line {seen[key]})")
                continue
            seen[key] = key_node.start_mark.line + 1
            items.append((key_node, key, value_node))
        return items

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        self.problems.sort(key=lambda p: (p[0], p[1]))  # stable: the first recorded wins a tie
        line, column, message = self.problems[0]
        more = len(self.problems) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
        raise TargetsError(message, path=self.path, line=line, column=column)


def _unknown(key: str, known: list[str] | tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what} {key!r}; {hint}allowed: {', '.join(known)}"


SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq",
                                                  "timestamp")}


def _check_tags(c: _Collector, root: yaml.Node) -> None:
    """Refuse explicit non-standard tags (``!!python/object``…) anywhere, before reading values."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag == "tag:yaml.org,2002:merge":
            c.add(node, "merge keys (<<) are not allowed in a targets file; write the keys out")
            continue
        if node.tag not in SAFE_TAGS:
            c.add(node, f"tag {node.tag!r} is not allowed; only plain YAML values are allowed")
            continue
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


# -- sections ---------------------------------------------------------------------------

def _read_version(c: _Collector, node: yaml.Node) -> int:
    value = c.scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if value != VERSION or isinstance(value, bool):
        shown = getattr(node, "value", "?")
        c.add(node, f"unsupported version {shown!r}; this hdkpi reads version {VERSION}")
    return VERSION


def _read_settings(c: _Collector, node: yaml.Node) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key_node, key, value_node in c.mapping(node, "settings"):
        if not isinstance(value_node, yaml.ScalarNode) and key != "cost":
            c.add(value_node, f"setting {key} must be a single value")
            continue
        try:
            settings[key] = coerce_setting(key, c.scalar(value_node))
        except HdkpiError as exc:
            c.add(key_node if exc.message.startswith("unknown setting") else value_node, exc.message)
    return settings


def _read_scorecards(c: _Collector, node: yaml.Node, registry: Registry, targets: list[Target]) -> dict[str, Any]:
    from .scorecard import parse_scorecard

    cards = {}
    for key_node, name, value_node in c.mapping(node, "scorecards"):
        data = c.scalar(value_node)
        if data is _BAD:
            continue
        try:
            cards[name] = parse_scorecard(name, data, registry, targets)
        except HdkpiError as exc:
            c.add(key_node, exc.message)
    return cards


def _read_preset(c: _Collector, node: yaml.Node, path: str) -> str | None:
    """A preset name, or a mapping file path relative to the targets file."""
    from ..ingest.presets import builtin_presets

    value = c.scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, str) or not value.strip():
        c.add(node, "preset must be a preset name (hdkpi inspect lists them) or a mapping file")
        return None
    value = value.strip()
    if value.endswith((".yaml", ".yml")) or "/" in value:
        file = Path(path).parent / value
        if not file.is_file():
            c.add(node, f"preset: no mapping file {str(file)!r}")
            return None
        return str(file)
    names = list(builtin_presets())
    if value not in names:
        c.add(node, _unknown(value, names, "preset"))
        return None
    return value


def _node_at(node: yaml.Node, message: str, section: str) -> yaml.Node:
    """The node a validation message names (``calendar.hours.mon: …``), as deep as the file has it."""
    where = node
    path = message.split(":", 1)[0].split(".")
    if path and path[0] == section:
        path = path[1:]
    for part in path:
        if not isinstance(where, yaml.MappingNode):
            break
        match = [v for k, v in where.value if isinstance(k, yaml.ScalarNode) and str(k.value) == part]
        if not match:
            break
        where = match[0]
    return where


def _read_slas(c: _Collector, node: yaml.Node) -> dict[str, Any]:
    """The slas: section (hdkpi.engine.sla.parse_policies); bh/bd targets need the calendar."""
    from ..engine.sla import parse_policies

    data = c.scalar(node)
    if data is _BAD:
        return {}
    try:
        policies = parse_policies(data, where="slas")
    except HdkpiError as exc:
        c.add(_node_at(node, exc.message, "slas"), exc.message)
        return {}
    for name, policy in policies.items():
        if policy.business and c.calendar is None:
            c.add(_node_at(node, f"slas.{name}.targets:", "slas"), f"slas.{name}.targets: targets in bh/bd are "
                  "business time, which needs a calendar: section (see README, 'Business time')")
    return policies


def _read_notify(c: _Collector, node: yaml.Node) -> tuple[list[str], str | None]:
    """``notify: URL``, ``notify: [URL, …]`` or ``notify: {to: [URL, …], on: change}``; secrets as ``${ENV}``."""
    data = c.scalar(node)
    on = None
    if isinstance(data, dict):  # YAML 1.1 reads a bare ``on`` key as true
        data = {("on" if k is True else k): v for k, v in data.items()}
        unknown = [k for k in data if k not in ("to", "on")]
        if unknown:
            c.add(node, f"notify: unknown key {unknown[0]!r}; write notify: {{to: [URL, …], on: fail}}")
            return [], None
        on = data.get("on")
        if on is not None and on not in NOTIFY_WHEN:
            c.add(node, f"notify.on: {on!r} is not one of {', '.join(NOTIFY_WHEN)}")
            return [], None
        data = data.get("to")
    urls = [data] if isinstance(data, str) else data
    def looks_like_url(u: Any) -> bool:
        return isinstance(u, str) and ("://" in u or "${" in u)

    if not isinstance(urls, list) or not urls or not all(looks_like_url(u) for u in urls):
        c.add(node, "notify: give notification URLs (mailto://…, slack://…, json://…), e.g. notify: "
                    '["${HDKPI_NOTIFY}"] with the secret in the environment')
        return [], None
    return [u.strip() for u in urls], on


def _read_calendar(c: _Collector, node: yaml.Node) -> Any:
    """The calendar: section (time zone, open hours, holidays), validated by hdkpi.calendar; a problem
    is placed on the key it names (``calendar.hours.mon: …``) when that key is in the file."""
    from ..calendar import Calendar

    data = c.scalar(node)
    if data is _BAD:
        return None
    try:
        return Calendar.from_config(data if data is not None else {}, where="calendar")
    except HdkpiError as exc:
        c.add(_node_at(node, exc.message, "calendar"), exc.message)
        return None


def _read_columns(c: _Collector, node: yaml.Node) -> dict[str, dict[str, str]]:
    columns: dict[str, dict[str, str]] = {}
    for key_node, key, value_node in c.mapping(node, "columns"):
        if key in SCHEMAS:
            for fkey_node, fld, column_node in c.mapping(value_node, f"columns.{key}"):
                _column(c, columns.setdefault(key, {}), fkey_node, fld, column_node, field_names(key), key)
        else:
            _column(c, columns.setdefault("*", {}), key_node, key, value_node,
                    sorted(all_field_names()), None)
    return columns


def _column(c: _Collector, into: dict[str, str], key_node: yaml.Node, fld: str, value_node: yaml.Node,
            known: list[str], kind: str | None) -> None:
    if fld not in known:
        what = f"{kind} field" if kind else "canonical field (or kind calls/tickets/surveys)"
        c.add(key_node, _unknown(fld, known, what))
        return
    value = c.scalar(value_node) if isinstance(value_node, yaml.ScalarNode) else None
    if value is None or isinstance(value, (dict, list)) or str(value).strip() == "":
        c.add(value_node, f"columns: {fld} must name a column of the export, e.g. {fld}: \"Column Name\"")
        return
    into[fld] = str(value)


def _read_targets(c: _Collector, node: yaml.Node,
                  registry: Registry) -> tuple[list[Target], dict[str, KpiRef]]:
    targets: list[Target] = []
    refs: dict[str, KpiRef] = {}
    lines: dict[str, int] = {}
    for key_node, key, value_node in c.mapping(node, "targets"):
        try:
            ref = registry.resolve(key)
        except HdkpiError as exc:
            c.add(key_node, exc.message)
            continue
        line = key_node.start_mark.line + 1
        named = [a for p, a in zip(ref.kpi.params, ref.args) if p.type == "name"]
        if any(a not in c.slas for a in named):
            known = ", ".join(c.slas) or "none; add a slas: section"
            c.add(key_node, f"{key}: no SLA {named[0]!r} in the slas: section (defined: {known})")
            continue
        if c.calendar is None and any(isinstance(a, BusinessDuration) for a in ref.args):
            c.add(key_node, f"{ref.name} is in business time, which needs a calendar: section "
                            "(see README, 'Business time')")
            continue
        if ref.name in lines:
            c.add(key_node, f"{key} is the same KPI as {ref.name} on line {lines[ref.name]}; keep one")
            continue
        lines[ref.name] = line
        target = _read_target(c, key, ref.name, value_node, ref.kpi.unit, line)
        if target is None:
            continue
        refs[ref.name] = ref
        targets.append(target)
    return targets, refs


def _read_target(c: _Collector, key: str, name: str, node: yaml.Node, unit: str, line: int) -> Target | None:
    """A threshold, ``{fail:, warn:, min_volume:}``, or per segment ``{by: DIM, VALUE: …, default: …}``."""
    items = c.mapping(node, f"target {key}") if isinstance(node, yaml.MappingNode) else None
    if items is None or not any(k == "by" for _, k, _ in items):
        levels, min_volume = _read_levels(c, key, node, unit, items)
        if levels is None:
            return None
        business = bool(levels.get("business")) or _in_business_units(levels)
        return Target(kpi=name, fail=levels.get("fail"), warn=levels.get("warn"), line=line, min_volume=min_volume,
                      business=business, confidence=levels.get("confidence"))
    by, min_volume, segments, ok = None, None, {}, True
    for key_node, segment, value_node in items:
        if segment == "by":
            by = c.scalar(value_node) if isinstance(value_node, yaml.ScalarNode) else None
            if not isinstance(by, str) or not by.strip():
                c.add(value_node, f"target {key}: by must name a field to segment by, e.g. by: priority")
                ok = False
        elif segment == "min_volume":
            min_volume = _min_volume(c, key, value_node)
            ok = ok and min_volume is not None
        elif segment in LEVELS:
            c.add(key_node, f"target {key}: with by:, give levels per segment (e.g. P1: \"<= 4h\") "
                            f"or under default:, not {segment}: directly")
            ok = False
        else:
            levels, _ = _read_levels(c, f"{key}[{segment}]", value_node, unit, None)
            if levels is None:
                ok = False
            else:
                segments[segment] = Target(kpi=name, fail=levels.get("fail"), warn=levels.get("warn"), line=line,
                                           business=bool(levels.get("business")))
    if ok and not segments:
        c.add(node, f"target {key}: by: needs at least one segment, e.g. {{by: priority, P1: \"<= 4h\", "
                    'default: "<= 3d"}')
        return None
    if not ok:
        return None
    business = any(t.business or _in_business_units({"fail": t.fail, "warn": t.warn}) for t in segments.values())
    return Target(kpi=name, line=line, by=str(by).strip(), segments=segments, min_volume=min_volume,
                  business=business)


def _in_business_units(levels: dict[str, Any]) -> bool:
    """A threshold written in bd/bh makes the KPI measured in business time."""
    return any(isinstance(t, Threshold) and re.search(r"\d\s*b[dh]\s*$", t.text) for t in levels.values())


def _min_volume(c: _Collector, key: str, node: yaml.Node) -> int | None:
    value = c.scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        c.add(node, f"target {key}: min_volume must be a whole number ≥ 0, e.g. min_volume: 30")
        return None
    return value


def _read_levels(c: _Collector, key: str, node: yaml.Node, unit: str,
                 items: list | None) -> tuple[dict[str, Threshold] | None, int | None]:
    """(levels, min_volume) of a threshold or ``{fail:, warn:, min_volume:}``; (None, None) on a problem."""
    example = _EXAMPLE.get(unit, '">= 1"')
    if isinstance(node, yaml.ScalarNode):
        threshold = _threshold(c, node, key, unit)
        return (None if threshold is None else {"fail": threshold}), None
    if not isinstance(node, yaml.MappingNode):
        c.add(node, f"target {key} must be a threshold such as {example} or {{fail: …, warn: …}}")
        return None, None
    levels: dict[str, Threshold] = {}
    min_volume = None
    ok = True
    for level_node, level, value_node in items if items is not None else c.mapping(node, f"target {key}"):
        if level == "min_volume":
            min_volume = _min_volume(c, key, value_node)
            ok = ok and min_volume is not None
            continue
        if level == "confidence":
            value = c.scalar(value_node) if isinstance(value_node, yaml.ScalarNode) else None
            if isinstance(value, str) and value.strip().endswith("%"):
                try:
                    value = float(value.strip()[:-1]) / 100
                except ValueError:
                    value = None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 <= value < 1:
                c.add(value_node, f"target {key}: confidence must be a level such as 0.95 (or 95%)")
                ok = False
            else:
                levels["confidence"] = float(value)  # type: ignore[assignment]
            continue
        if level == "business":
            flag = c.scalar(value_node) if isinstance(value_node, yaml.ScalarNode) else None
            if not isinstance(flag, bool):
                c.add(value_node, f"target {key}: business must be true or false")
                ok = False
            elif flag and c.calendar is None:
                c.add(value_node, f"target {key}: business: true needs a calendar: section "
                                  "(see README, 'Business time')")
                ok = False
            elif flag:
                levels["business"] = True  # type: ignore[assignment]
            continue
        if level not in LEVELS:
            c.add(level_node, f"target {key}: " + _unknown(level, (*LEVELS, "min_volume", "business", "confidence",
                                                                   "by"), "key"))
            ok = False
            continue
        threshold = _threshold(c, value_node, key, unit)
        if threshold is None:
            ok = False
        else:
            levels[level] = threshold
    if ok and not set(levels) & set(LEVELS):
        c.add(node, f"target {key} needs fail: and/or warn:, e.g. {{fail: {example}}}")
        return None, None
    return (levels if ok else None), min_volume


def _threshold(c: _Collector, node: yaml.Node, key: str, unit: str) -> Threshold | None:
    value = c.scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if value is _BAD:
        return None
    if not isinstance(value, str):
        shown = getattr(node, "value", "?") if isinstance(node, yaml.ScalarNode) else "a nested value"
        example = _EXAMPLE.get(unit, '">= 1"')
        c.add(node, f"target {key}: {shown!r} is not a comparison; write it as a quoted string, "
                    f"e.g. {key}: {example}")
        return None
    try:
        return parse_threshold(value, unit, key, c.calendar)
    except ThresholdError as exc:
        c.add(node, f"target {key}: {exc}")
        return None


# -- entry points -----------------------------------------------------------------------

def parse_targets(text: str, path: str, registry: Registry) -> TargetsFile:
    """Validate targets-file text; raises TargetsError naming the first problem's position."""
    root, loader = _compose(text, path)
    if root is None:
        raise TargetsError('the file is empty; write at least targets: {asa: "<= 30s"} (see README, '
                           "'Targets file')", path=path)
    c = _Collector(path, loader)
    _check_tags(c, root)
    c.raise_if_any()
    result = TargetsFile(path=path)
    sections = c.mapping(root, "the targets file")
    found = set()
    for _, key, value_node in sections:  # the calendar first: business thresholds need it
        if key == "calendar" and not value_node.tag.endswith(":null"):
            result.calendar = c.calendar = _read_calendar(c, value_node)
    for _, key, value_node in sections:  # then the SLAs: targets name them, bh/bd targets need the calendar
        if key == "slas" and not value_node.tag.endswith(":null"):
            result.slas = c.slas = _read_slas(c, value_node)
    for key_node, key, value_node in sections:
        found.add(key)
        if key != "targets" and isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue  # a section with nothing under it (all commented out) is an empty section
        if key == "version":
            result.version = _read_version(c, value_node)
        elif key == "settings":
            result.settings = _read_settings(c, value_node)
        elif key in ("calendar", "slas"):
            continue
        elif key == "preset":
            result.preset = _read_preset(c, value_node, path)
        elif key == "scorecards":
            continue  # read last: a component's target defaults to its KPI's target
        elif key == "cache":
            value = c.scalar(value_node)
            if value is True:
                from ..ingest.cache import default_dir

                result.cache = str(default_dir())
            elif isinstance(value, str) and value.strip():
                result.cache = str(Path(path).parent / value.strip())
            elif value not in (False, None, _BAD):
                c.add(value_node, "cache: a directory, or true for the default place (~/.cache/hdkpi)")
        elif key == "history":
            value = c.scalar(value_node)
            if isinstance(value, str) and value.strip():
                text = value.strip()
                # a database URL (postgresql://…) is kept as given; a file is relative to this file
                result.history = text if "://" in text else str(Path(path).parent / text)
            elif value is not _BAD:
                c.add(value_node, "history: a database file (relative to this file) or a postgresql:// URL")
        elif key == "notify":
            result.notify, result.notify_on = _read_notify(c, value_node)
        elif key == "columns":
            result.columns = _read_columns(c, value_node)
        elif key == "targets":
            if isinstance(value_node, yaml.ScalarNode) and value_node.value == "":
                continue  # ``targets:`` with nothing under it: no targets
            result.targets, result.refs = _read_targets(c, value_node, registry)
        elif key in LATER_KEYS:
            c.add(key_node, f"{key}: {LATER_KEYS[key]}")
        else:
            c.add(key_node, _unknown(key, TOP_KEYS, "section"))
    for _, key, value_node in sections:
        if key == "scorecards" and not value_node.tag.endswith(":null"):
            result.scorecards = _read_scorecards(c, value_node, registry, result.targets)
    if isinstance(root, yaml.MappingNode) and "targets" not in found and not c.problems:
        c.add(root, 'no targets: section; add one, e.g. targets: {asa: "<= 30s"}')
    c.raise_if_any()
    return result


def load_targets(path: str, registry: Registry) -> TargetsFile:
    """Read and validate a targets file."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise TargetsError("no such targets file; give an existing file with -t", path=path) from None
    except IsADirectoryError:
        raise TargetsError("is a directory, not a targets file", path=path) from None
    except OSError as exc:
        raise TargetsError(f"cannot read the targets file: {exc.strerror}", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TargetsError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", path=path) from None
    return parse_targets(text, path, registry)
