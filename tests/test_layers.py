"""The package is built in layers: a module imports only its own layer and the layers below it, and no
module imports itself back through others (no import cycles, lazy imports inside functions included).

Bottom to top (``ls src/hdkpi`` shows them):

========  ==================================================================================
ground    model, errors, exitcodes, units, fields, calendar, output, version, i18n/
stats     confidence intervals, significance tests
ingest    a file → canonical typed records with row accounting: load, fastread, normalise, cache, presets/
engine    windows, periods, measures, the KPI registry, computing figures
kpis      the built-in KPIs (a plugin's KPIs live at this level too)
targets   the targets file, settings, verdicts, baselines, scorecards
history   every run's figures stored, rolled up, compared, exported
wfm       Erlang models, staffing, adherence
render    one formatter per output format
run       a run: options and targets → inputs → engine → verdicts (pandas or Dask), inspect, details
api       hdkpi from Python: report(), check() on files or DataFrames, the Report's frames (and the package)
cli       the Click commands
========  ==================================================================================

The rule is checked on the source of the imported package (under CI's wheel stage: the installed one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hdkpi

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ground", ("hdkpi.model", "hdkpi.errors", "hdkpi.exitcodes", "hdkpi.units", "hdkpi.fields", "hdkpi.calendar",
                "hdkpi.output", "hdkpi.version", "hdkpi.i18n")),
    ("stats", ("hdkpi.stats",)),
    ("ingest", ("hdkpi.ingest",)),
    ("engine", ("hdkpi.engine", "hdkpi.document")),  # document: the JSON image of a Report
    ("kpis", ("hdkpi.kpis",)),
    ("targets", ("hdkpi.targets",)),
    ("history", ("hdkpi.history",)),
    ("wfm", ("hdkpi.wfm",)),
    ("render", ("hdkpi.render",)),
    ("run", ("hdkpi.run",)),
    ("api", ("hdkpi.api", "hdkpi")),  # the package itself: the engine's plugin API and the library's runs
    ("cli", ("hdkpi.cli", "hdkpi.__main__")),
]

PACKAGE = Path(hdkpi.__file__).parent


def layer_of(module: str) -> int:
    """The index of the layer a module belongs to (the longest matching prefix wins)."""
    best, length = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = index, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}"
    return best


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The hdkpi modules ``name`` imports, anywhere in the file (module level, functions, TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("hdkpi"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("hdkpi"))
    out.discard(name)
    return {m for m in out if m in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def upward(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
                  for a, targets in edges.items() for b in targets if layer_of(b) > layer_of(a))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_module_is_in_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_no_module_imports_a_higher_layer() -> None:
    assert upward(graph()) == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_rule_catches_a_lower_layer_importing_a_higher_one() -> None:
    """The check itself: a ground-floor module importing the CLI, and a cycle, are both reported."""
    edges = graph()
    edges["hdkpi.model"] = {*edges["hdkpi.model"], "hdkpi.cli"}
    assert "hdkpi.model (ground) imports hdkpi.cli (cli)" in upward(edges)
    edges["hdkpi.cli"] = {*edges["hdkpi.cli"], "hdkpi.model"}
    assert any({"hdkpi.model", "hdkpi.cli"} <= set(c) for c in cycles(edges))


@pytest.mark.parametrize("name", ["ingest", "engine", "kpis", "targets", "history", "wfm", "render", "run", "stats"])
def test_each_layer_is_a_package_a_newcomer_can_find(name: str) -> None:
    init = PACKAGE / name / "__init__.py"
    assert init.is_file()
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{name}/__init__.py says what it holds"
