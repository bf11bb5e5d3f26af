"""The KPI registry: a KPI is one decorated function.

Built-ins register exactly like third-party plugins: :func:`kpi` only marks a
function (no global state), and :meth:`Registry.add_module` collects the marked
functions of a module. A run builds its own registry from the built-in modules,
the ``hdkpi.kpis`` entry points and any ``--plugin`` the user names, so loading a
plugin twice in one process (tests, notebooks) never collides with itself.

A KPI function receives the canonical frame of its kind, already cut to the
reporting window on the KPI's anchor time, and a :class:`KpiContext`; it returns
a measure from :mod:`hdkpi.engine.measures` (Count, Share, Mean, …) aligned to the frame.
The engine aggregates that measure — overall now, per group and period later —
so a KPI is written once and never loops over rows or groups.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ..errors import RegistryError, UsageError
from ..units import BusinessDuration, duration_label, parse_duration

if TYPE_CHECKING:  # pragma: no cover
    from .select import Window

KINDS = ("calls", "tickets", "surveys")
UNITS = ("count", "seconds", "share", "score")
DIRECTIONS = ("higher", "lower", "none")
ENTRY_POINT_GROUP = "hdkpi.kpis"
_MARK = "__hdkpi_kpi__"


@dataclass(frozen=True)
class Param:
    """A KPI parameter, written in parentheses: ``resolved_within(2d)``."""

    name: str
    type: Literal["duration", "number", "choice", "name"] = "duration"
    default: Any = None  #: None and not required: the KPI falls back to a setting
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()  #: for type choice: the words allowed

    def parse(self, text: str, kpi_name: str) -> Any:
        if self.type == "name":  # a name defined elsewhere (an SLA of the targets file), checked by the run
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
                raise UsageError(f"{kpi_name}({text}): {text!r} is not a name (letters, digits and _)")
            return text
        if self.type == "choice":
            if text not in self.choices:
                raise UsageError(f"{kpi_name}({text}): {text!r} is not one of {', '.join(self.choices)}")
            return text
        if self.type == "duration":
            return parse_duration(text, what=f"{kpi_name}({text})", business=True)
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"{kpi_name}({text}): {text!r} is not a number") from None

    def label(self, value: Any) -> str:
        if self.type in ("choice", "name"):
            return str(value)
        if isinstance(value, BusinessDuration):
            return value.label
        if self.type == "duration":
            return duration_label(value)
        return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Kpi:
    """What a KPI is: metadata for the catalogue, targets and output, plus its function."""

    name: str
    title: str
    kind: str  #: calls | tickets | surveys
    unit: str  #: count | seconds | share | score
    direction: str  #: higher | lower | none (which way is better)
    #: the time column that places a record in a period; "snapshot" for backlog; ``{param}`` is replaced by
    #: the KPI's parameter (``sla:{sla}:at`` → ``sla:resolution:at``)
    anchor: str
    definition: str  #: one line, shown by ``hdkpi kpis``
    fn: Callable[..., Any]
    needs: tuple[str, ...] = ()  #: canonical fields the KPI cannot do without
    params: tuple[Param, ...] = ()
    settings: tuple[str, ...] = ()  #: settings that shape the figure (reported with it)
    origin: str = ""  #: module (or file) that defined it
    #: columns the records behind a figure show besides its needs (``{param}`` replaced, as in ``anchor``)
    shows: tuple[str, ...] = ()

    def signature(self) -> str:
        if not self.params:
            return self.name
        inner = ", ".join(p.name if p.required else f"{p.name}?" for p in self.params)
        return f"{self.name}({inner})"


def kpi(name: str, *, title: str, kind: str, unit: str, direction: str, anchor: str,
        definition: str, needs: tuple[str, ...] | list[str] = (),
        params: tuple[Param, ...] | list[Param] = (),
        settings: tuple[str, ...] | list[str] = (),
        shows: tuple[str, ...] | list[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as a KPI. Registration happens when its module is collected."""
    problems = []
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        problems.append("name must be lower_snake_case")
    if kind not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)}")
    if unit not in UNITS:
        problems.append(f"unit must be one of {', '.join(UNITS)}")
    if direction not in DIRECTIONS:
        problems.append(f"direction must be one of {', '.join(DIRECTIONS)}")

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        if problems:
            raise RegistryError(f"KPI {name!r} ({fn.__module__}.{fn.__qualname__}): " + "; ".join(problems))
        definition_ = Kpi(name=name, title=title, kind=kind, unit=unit, direction=direction,
                          anchor=anchor, definition=definition, fn=fn, needs=tuple(needs),
                          params=tuple(params), settings=tuple(settings), origin=fn.__module__,
                          shows=tuple(shows))
        setattr(fn, _MARK, definition_)
        return fn

    return mark


@dataclass(frozen=True)
class KpiRef:
    """A KPI with its parameters bound: ``resolved_within(2d)``."""

    kpi: Kpi
    args: tuple[float, ...] = ()
    business: bool = False  #: durations measured in business time (--business, or business: true)

    @property
    def name(self) -> str:
        if not self.kpi.params or not self.args:
            return self.kpi.name
        labels = [p.label(a) for p, a in zip(self.kpi.params, self.args) if a is not None]
        return f"{self.kpi.name}({', '.join(labels)})" if labels else self.kpi.name

    @property
    def anchor(self) -> str:
        """The KPI's anchor column for these parameters."""
        anchor = self.kpi.anchor
        return anchor.format(**self.kwargs) if "{" in anchor else anchor

    @property
    def shown(self) -> list[str]:
        """The columns the records behind a figure of this KPI show besides its needs."""
        return [c.format(**self.kwargs) if "{" in c else c for c in self.kpi.shows]

    @property
    def kwargs(self) -> dict[str, Any]:
        return {p.name: (a if a is not None else p.default) for p, a in
                zip(self.kpi.params, self.args + (None,) * (len(self.kpi.params) - len(self.args)))}


@dataclass
class KpiContext:
    """What a KPI function may use besides its frame."""

    settings: dict[str, Any]
    window: "Window"
    frames: dict[str, Any] = field(default_factory=dict)  #: every loaded kind, uncut
    periods: Any = None  #: the --every periods (hdkpi.engine.slicing.Periods) when there are any
    tz: str = "UTC"  #: the reporting zone (--tz)
    calendar: Any = None  #: hdkpi.calendar.Calendar from the targets file's calendar: section
    business: bool = False  #: measure durations in business time (needs ``calendar``)


_REF = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\((?P<args>[^()]*)\))?\s*$")


class Registry:
    """The KPIs known to one run, by name."""

    def __init__(self) -> None:
        self._kpis: dict[str, Kpi] = {}

    # -- building ------------------------------------------------------------
    def add(self, definition: Kpi) -> None:
        existing = self._kpis.get(definition.name)
        if existing is not None:
            if existing.fn is definition.fn:
                return
            raise RegistryError(
                f"KPI {definition.name!r} from {definition.origin} is already defined by {existing.origin}; "
                "rename one of them"
            )
        self._kpis[definition.name] = definition

    def add_function(self, fn: Callable[..., Any], origin: str | None = None) -> None:
        definition = getattr(fn, _MARK, None)
        if definition is None:
            raise RegistryError(f"{fn!r} is not a KPI; decorate it with @hdkpi.kpi(...)")
        if origin:
            definition = Kpi(**{**definition.__dict__, "origin": origin})
        self.add(definition)

    def add_module(self, module: ModuleType, origin: str | None = None) -> int:
        """Register every KPI-marked function of ``module``; returns how many."""
        found = [v for v in vars(module).values() if callable(v) and hasattr(v, _MARK)
                 and getattr(v, _MARK).origin == module.__name__]
        for fn in found:
            self.add_function(fn, origin)
        return len(found)

    def add_plugin(self, spec: str) -> int:
        """``--plugin``: a ``.py`` file path or an importable module name. Loads only that."""
        if spec.endswith(".py") or "/" in spec or "\\" in spec:
            path = Path(spec)
            if not path.is_file():
                raise UsageError(f"--plugin {spec}: no such file")
            module_name = f"hdkpi_plugin_{abs(hash(str(path.resolve())))}"
            loader_spec = importlib.util.spec_from_file_location(module_name, path)
            if loader_spec is None or loader_spec.loader is None:
                raise UsageError(f"--plugin {spec}: cannot be imported as Python")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[module_name] = module
            try:
                loader_spec.loader.exec_module(module)
            except Exception as exc:  # the plugin's own bug: name it, don't crash
                sys.modules.pop(module_name, None)
                raise RegistryError(f"--plugin {spec}: error importing plugin: {type(exc).__name__}: {exc}") from exc
            origin = str(spec)
        else:
            try:
                module = importlib.import_module(spec)
            except Exception as exc:
                raise RegistryError(f"--plugin {spec}: error importing plugin: {type(exc).__name__}: {exc}") from exc
            origin = spec
        count = self.add_module(module, origin)
        if count == 0:
            raise RegistryError(f"--plugin {spec}: defines no KPI (decorate functions with @hdkpi.kpi)")
        return count

    def add_entry_points(self, only: set[str] | None = None) -> list[str]:
        """Register KPIs of installed packages (entry-point group ``hdkpi.kpis``)."""
        from importlib.metadata import entry_points

        loaded = []
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if only is not None and ep.name not in only:
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                raise RegistryError(
                    f"entry point {ep.name} ({ep.value}): error importing plugin: {type(exc).__name__}: {exc}"
                ) from exc
            origin = f"{ep.value} (entry point {ep.name})"
            if isinstance(obj, ModuleType):
                self.add_module(obj, origin)
            else:
                self.add_function(obj, origin)
            loaded.append(ep.name)
        return loaded

    # -- reading -------------------------------------------------------------
    def __contains__(self, name: str) -> bool:
        return name in self._kpis

    def __iter__(self):
        return iter(self._kpis.values())

    def __len__(self) -> int:
        return len(self._kpis)

    def get(self, name: str) -> Kpi:
        try:
            return self._kpis[name]
        except KeyError:
            raise UsageError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._kpis), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `hdkpi kpis` lists them"
        return f"unknown KPI {name!r}{hint}"

    def resolve(self, text: str) -> KpiRef:
        """Parse ``name`` or ``name(arg, …)`` into a bound :class:`KpiRef`."""
        m = _REF.match(str(text))
        if not m:
            raise UsageError(f"{text!r} is not a KPI name; write e.g. asa or resolved_within(2d)")
        definition = self.get(m.group("name"))
        raw_args = [a.strip() for a in (m.group("args") or "").split(",") if a.strip()]
        if m.group("args") is not None and not raw_args:
            raw_args = []
        if len(raw_args) > len(definition.params):
            if not definition.params:
                raise UsageError(f"{definition.name} takes no parameters")
            raise UsageError(f"{definition.name} takes at most {len(definition.params)} parameter(s): "
                             f"{definition.signature()}")
        args = tuple(p.parse(a, definition.name) for p, a in zip(definition.params, raw_args))
        missing = [p.name for p in definition.params[len(args):] if p.required]
        if missing:
            example = {"resolved_within": "resolved_within(2d)", "resolution_time_p": "resolution_time_p(95)",
                       "intervals_meeting": "intervals_meeting(service_level, 30m)"}.get(definition.name)
            raise UsageError(f"{definition.name} needs its parameters: write {definition.signature()}"
                             + (f", e.g. {example}" if example else ""))
        return KpiRef(definition, args)


BUILTIN_MODULES = ("hdkpi.kpis.calls", "hdkpi.kpis.tickets", "hdkpi.kpis.sla", "hdkpi.kpis.surveys")


def builtin_registry() -> Registry:
    """A registry holding only hdkpi's own KPIs (collected like any plugin module)."""
    registry = Registry()
    for name in BUILTIN_MODULES:
        registry.add_module(importlib.import_module(name))
    return registry
