"""``hdkpi kpis``: the catalogue as a terminal listing, JSON, or Markdown (docs/kpis.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..engine.registry import Kpi
from ..targets.settings import SETTINGS

DIRECTION_WORDS = {"higher": "higher is better", "lower": "lower is better", "none": "no better way"}
KIND_ORDER = {"calls": 0, "tickets": 1, "surveys": 2}


def _sorted(items: Iterable[Kpi]) -> list[Kpi]:
    """Grouped by kind, in registration order within a kind (related KPIs stay together)."""
    return sorted(items, key=lambda k: KIND_ORDER.get(k.kind, 9))


def entry(k: Kpi) -> dict[str, Any]:
    return {
        "name": k.name, "signature": k.signature(), "title": k.title, "kind": k.kind, "unit": k.unit,
        "direction": k.direction, "anchor": k.anchor, "needs": list(k.needs),
        "params": [{"name": p.name, "type": p.type, "required": p.required, "doc": p.doc} for p in k.params],
        "settings": list(k.settings), "definition": k.definition, "origin": k.origin,
    }


def catalogue_json(items: Iterable[Kpi]) -> str:
    return json.dumps([entry(k) for k in _sorted(items)], indent=2, ensure_ascii=False) + "\n"


def _needs(k: Kpi) -> str:
    return ", ".join(k.needs) if k.needs else "(depends on the method)"


def catalogue_table(items: Iterable[Kpi], *, color: bool = False, width: int | None = None) -> str:
    kpis = _sorted(items)
    if color:
        return _rich(kpis, width)
    lines: list[str] = []
    name_width = max((len(k.signature()) for k in kpis), default=0)
    for kind in dict.fromkeys(k.kind for k in kpis):
        if lines:
            lines.append("")
        lines.append(kind)
        for k in (k for k in kpis if k.kind == kind):
            lines.append(f"  {k.signature().ljust(name_width)}  {k.title} ({k.unit}, "
                         f"{DIRECTION_WORDS[k.direction]})")
            lines.append(f"  {'':{name_width}}  {k.definition}")
            lines.append(f"  {'':{name_width}}  needs: {_needs(k)} · anchor: {k.anchor}"
                         + (f" · settings: {', '.join(k.settings)}" if k.settings else "")
                         + ("" if k.origin.startswith("hdkpi.") else f" · from {k.origin}"))
    return "\n".join(lines) + "\n"


def _rich(kpis: list[Kpi], width: int | None) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, width=width or 100, highlight=False)
    table = Table(box=None, header_style="bold", pad_edge=False, show_lines=False)
    for header in ("KPI", "Unit", "Better", "Needs", "Definition"):
        table.add_column(header, overflow="fold")
    for k in kpis:
        table.add_row(f"[bold]{k.signature()}[/bold]\n[dim]{k.kind}[/dim]", k.unit, k.direction, _needs(k),
                      f"{k.title}. {k.definition}")
    console.print(table)
    return buffer.getvalue()


def catalogue_markdown(items: Iterable[Kpi]) -> str:
    """docs/kpis.md: every KPI and setting, generated from the registry so it never drifts."""
    kpis = _sorted(items)
    out = ["# KPI catalogue", "",
           "Generated from the KPI registry by `HDKPI_REGENERATE=1 pytest tests/test_docs.py`; "
           "do not edit by hand. `hdkpi kpis` prints the same on a terminal.", "",
           "Values are machine units in JSON: seconds for durations, fractions 0–1 for shares, plain "
           "numbers for counts and scores.", ""]
    titles = {"calls": "Calls", "tickets": "Tickets", "surveys": "Surveys"}
    for kind in dict.fromkeys(k.kind for k in kpis):
        out += [f"## {titles.get(kind, kind)}", "",
                "| KPI | Title | Unit | Better | Needs | Anchor | Definition |",
                "|---|---|---|---|---|---|---|"]
        for k in (k for k in kpis if k.kind == kind):
            cells = [f"`{k.signature()}`", k.title, k.unit, k.direction, _needs(k), f"`{k.anchor}`",
                     k.definition + (f" Settings: {', '.join(f'`{s}`' for s in k.settings)}." if k.settings
                                     else "")]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    out += ["## Settings", "", "| Setting | Default | Meaning |", "|---|---|---|"]
    for spec in SETTINGS.values():
        out.append(f"| `{spec.name}` | `{spec.default}` | {spec.doc} |")
    return "\n".join(out) + "\n"
