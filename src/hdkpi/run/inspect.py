"""``hdkpi inspect``: what hdkpi makes of each file, before any target is involved.

For each file: its format (compression, delimiter), the preset chosen and the evidence, the
column mapping with each rule, which KPIs it can give and why not the others, the date range,
the row accounting with example rows per reason, and profiles of its dimension columns. It is
the first command a new user runs on their own export, so every "no" says what would fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import RunOptions

DIMENSIONS = ("queue", "agent", "team", "priority", "channel", "category", "status", "outcome", "tier")
TOP_VALUES = 5
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}


@dataclass
class FileReport:
    """Everything inspect says about one file (rendered as text or JSON)."""

    doc: dict[str, Any]


def inspect_files(options: "RunOptions") -> list[dict[str, Any]]:
    """One description per file; nothing is computed across files."""
    from ..engine.compute import compute_one
    from ..engine.select import Window
    from ..ingest.combine import account_preset, join_surveys
    from ..ingest.load import peek
    from ..ingest.normalise import normalise
    from ..ingest.presets import builtin_presets
    from ..targets.settings import default_settings
    from .pipeline import build_registry, read_with_preset

    registry = build_registry(options.plugins)
    out = []
    for path in options.files:
        preset, raw = read_with_preset(path, options.preset)
        preset = preset.with_map(dict(options.mapping))  # --map wins over the preset's columns
        head = peek(path)
        converted = preset.convert(raw, options.tz)
        kind = options.kind or preset.kind or None
        dataset = normalise(converted.table, kind=kind, mapping=preset.unmapped(dict(options.mapping)), tz=options.tz)
        account_preset(dataset, preset, converted)
        frames = {dataset.kind: dataset.frame}
        join_surveys(frames)
        settings = default_settings()
        computable, not_computable = [], []
        for k in registry:
            if any(p.required for p in k.params) or (k.kind != dataset.kind and not (
                    k.kind == "surveys" and dataset.kind == "tickets" and set(k.needs) & set(dataset.frame))):
                continue
            if any(name in settings and settings[name] is None for name in k.settings):
                not_computable.append({"kpi": k.name, "why": f"needs setting {', '.join(k.settings)}"})
                continue
            result = compute_one(registry.resolve(k.name), frames, settings, Window())
            if result.value is None:
                not_computable.append({"kpi": k.name, "why": "; ".join(result.notes) or "no data"})
            else:
                computable.append(k.name)
        scores = {p.name: p.score(raw.header, head) for p in builtin_presets().values()}
        out.append({
            "path": path,
            "format": {"compression": COMPRESSIONS.get(Path(path).suffix.lower(), "none"),
                       "delimiter": {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe",
                                     "json": "JSON lines"}.get(raw.delimiter, repr(raw.delimiter)),
                       "columns": list(raw.header)},
            "kind": dataset.kind,
            "preset": {"name": preset.name, "title": preset.title, "reference": preset.reference,
                       "chosen": "given" if options.preset else ("detected" if preset.name != "generic"
                                                                  else "fallback"),
                       "evidence": {name: score for name, score in scores.items() if score},
                       "notes": list(preset.notes)},
            "mapping": dict(dataset.summary.mapping),
            "rows": {"read": dataset.summary.read, "used": dataset.summary.used,
                     "rejected": dataset.summary.rejected, "folded": dataset.summary.folded},
            "rejected_by_reason": dict(dataset.summary.rejected_by_reason),
            "rejected_rows": {k: list(map(int, v)) for k, v in dataset.summary.examples_by_reason.items()},
            "counts": dict(dataset.summary.counts),
            "caveats": dict(dataset.summary.caveats),
            "dates": _date_ranges(dataset.frame),
            "dimensions": _profiles(dataset.frame),
            "kpis": {"computable": computable, "not_computable": not_computable},
        })
    return out


ANCHORS = {"calls": "offered_at", "tickets": "created_at", "surveys": "responded_at"}


def _date_ranges(frame: Any) -> dict[str, dict[str, Any]]:
    ranges: dict[str, dict[str, Any]] = {}
    for column in frame.columns:
        series = frame[column]
        if str(series.dtype).startswith("datetime64") and series.notna().any():
            ranges[column] = {"first": series.min().isoformat(), "last": series.max().isoformat(),
                              "missing": int(series.isna().sum())}
            if column in ANCHORS.values():
                ranges[column]["gaps"] = _gaps(series)
    return ranges


def _gaps(times: Any) -> list[str]:
    """Runs of whole days without a record between the first and the last (an export in pieces
    with a piece missing shows here). Single quiet days (a Sunday) are not listed."""
    import pandas as pd

    days = pd.DatetimeIndex(times.dropna().dt.tz_convert("UTC").dt.normalize().unique()).sort_values()
    missing = pd.date_range(days[0], days[-1], freq="D").difference(days)
    if missing.empty:
        return []
    runs = (missing.to_series().diff() != pd.Timedelta(days=1)).cumsum()
    out = []
    for _, run in missing.to_series().groupby(runs.to_numpy()):
        if len(run) >= 2:
            out.append(f"{run.iloc[0]:%Y-%m-%d} … {run.iloc[-1]:%Y-%m-%d} ({len(run)} days)")
    return out


def _profiles(frame: Any) -> dict[str, dict[str, Any]]:
    profiles = {}
    for column in DIMENSIONS:
        if column in frame.columns:
            counts = frame[column].astype("str").fillna("(empty)").value_counts()
            profiles[column] = {"distinct": int(frame[column].nunique(dropna=True)),
                                "top": {str(k): int(v) for k, v in counts.head(TOP_VALUES).items()}}
    return profiles


def render_text(docs: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for doc in docs:
        p, rows = doc["preset"], doc["rows"]
        layout = doc["format"]["delimiter"]
        layout = layout if layout == "JSON lines" else f"{layout}-separated"
        lines += [doc["path"],
                  f"  format: {doc['format']['compression']} compression, {layout}, "
                  f"{len(doc['format']['columns'])} columns",
                  f"  kind: {doc['kind']}    preset: {p['name']} ({p['chosen']}; {p['title']})"]
        if p["evidence"]:
            lines.append("  evidence: " + ", ".join(f"{k} {v}" for k, v in sorted(p["evidence"].items(),
                                                                                key=lambda kv: -kv[1])))
        if p["reference"]:
            lines.append(f"  layout: {p['reference']}")
        lines += [f"  rule: {note}" for note in p["notes"]]
        lines.append("  mapping (canonical field ← source):")
        lines += [f"    {f:<24} ← {src}" for f, src in doc["mapping"].items()]
        folded = f" · {rows['folded']:,} folded" if rows["folded"] else ""
        lines.append(f"  rows: {rows['read']:,} read · {rows['used']:,} used · {rows['rejected']:,} rejected{folded}")
        for reason, count in doc["rejected_by_reason"].items():
            examples = ", ".join(map(str, doc["rejected_rows"].get(reason, [])))
            label = "data rows" if "," in examples else "data row"
            lines.append(f"    {count:,} × {reason}" + (f" ({label} {examples})" if examples else ""))
        lines += [f"    {count:,} {name.replace('_', ' ')}" for name, count in doc["counts"].items()]
        lines += [f"    used with a caveat: {what} ({count:,})" for what, count in doc["caveats"].items()]
        for column, r in doc["dates"].items():
            lines.append(f"  {column}: {r['first']} … {r['last']}" + (f" ({r['missing']:,} empty)" if r["missing"]
                                                                     else ""))
            lines += [f"    no records (UTC days): {gap}" for gap in r.get("gaps", [])]
        for column, prof in doc["dimensions"].items():
            top = ", ".join(f"{k} {v:,}" for k, v in prof["top"].items())
            lines.append(f"  {column}: {prof['distinct']:,} distinct; top: {top}")
        kpis = doc["kpis"]
        lines.append(f"  KPIs it gives ({len(kpis['computable'])}): {', '.join(kpis['computable']) or 'none'}")
        for item in kpis["not_computable"]:
            lines.append(f"  not: {item['kpi']}: {item['why']}")
        lines.append("")
    return "\n".join(lines)


USUAL_TARGETS = {  # KPI_SPEC's usual targets
    "asa": '"<= 30s"',
    "abandonment_rate": '"< 10%"',
    "service_level": '">= 80%"',
    "fcr": '">= 50%"',
    "resolved_within(2d)": '">= 80%"',
    "csat": '">= 90%"',
}


def starter_targets(docs: list[dict[str, Any]]) -> str:
    """A targets.yaml fitted to the inspected files: usual targets for what they can give."""
    from ..targets.settings import SETTINGS
    from ..units import duration_label

    computable = {k for d in docs for k in d["kpis"]["computable"]}
    presets = {d["preset"]["name"] for d in docs}
    lines = ["# hdkpi targets, written by `hdkpi init` for: " + ", ".join(d["path"] for d in docs),
             "# `hdkpi check FILES...` exits 1 when a fail-level target is missed. See README, 'Targets file'.",
             "version: 1", ""]
    if len(presets) == 1 and presets != {"generic"}:
        lines += [f"preset: {presets.pop()}   # detected; --preset overrides", ""]
    elif presets - {"generic"}:
        lines += ["# presets detected per file: " + ", ".join(f"{d['path']}: {d['preset']['name']}" for d in docs),
                  ""]
    lines.append("settings:   # the defaults; uncomment to change")
    for spec in SETTINGS.values():
        default = spec.default if spec.default is not None else "{amount: 12000, per: month}"
        if spec.coerce.__name__ == "_duration":
            default = duration_label(default)
        elif isinstance(default, float) and default.is_integer():
            default = int(default)
        lines.append(f"  # {spec.name}: {default}   # {spec.doc}")
    lines += ["", "# calendar:   # business time for bd/bh targets and --business",
              "#   timezone: Europe/London",
              '#   hours: {mon-fri: "08:00-18:00"}',
              "#   holidays: {country: GB, subdivision: ENG}", "", "targets:"]
    if "resolution_time" in computable:
        computable.add("resolved_within")  # a parameterised KPI: computable when resolution times are
    fitting = [(name, t) for name, t in USUAL_TARGETS.items() if name.split("(")[0] in computable]
    lines += [f"  {name}: {threshold}" for name, threshold in fitting]
    if "resolved_within" in computable:
        lines.append('  # resolved_within(2bd): ">= 80%"   # with a calendar: two business days')
    if not fitting:
        lines[-1] = "targets: {}   # none of the usual targets fits these files; see `hdkpi kpis`"
    return "\n".join(lines) + "\n"
