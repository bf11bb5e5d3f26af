"""SLA clocks in a run: the state history gathered from the inputs, every ticket's clock worked out
before the KPIs are computed, and the lists a desk acts on — the tickets about to breach, and where
hdkpi's verdict and the export's own SLA flag disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.sla import StateHistory, add_sla_columns, column
from ..engine.sla import at_risk as tickets_at_risk

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.registry import KpiRef
    from ..ingest.normalise import Dataset
    from ..model import InputSummary, Report

#: the KPIs that read an SLA's clock (their first parameter names the SLA)
SLA_KPIS = ("sla_achieved", "sla_breaches", "sla_at_risk", "sla_elapsed_p90")


def state_history(datasets: list["Dataset"], states_path: str | None,
                  tz: str) -> tuple[StateHistory | None, list["InputSummary"]]:
    """The tickets' state history: the event logs' own, then ``--states FILE`` (its accounting too)."""
    import numpy as np
    import pandas as pd

    parts, sources, summaries = [], [], []
    for d in datasets:
        if d.states is not None and len(d.states):
            parts.append(d.states)
            sources.append(f"{d.path} ({d.summary.preset})")
    if states_path is not None:
        from ..ingest.states import read_states

        events, summary = read_states(states_path, tz)
        parts.append(events)
        sources.append(f"{states_path} (--states)")
        summaries.append(summary)
    if not parts:
        return None, summaries
    offset, ordered = 0, []
    for part in parts:  # events of one instant keep the order of their files, then their own
        ordered.append(part.assign(seq=np.asarray(part["seq"]) + offset))
        offset += len(part)
    events = pd.concat(ordered, ignore_index=True) if len(ordered) > 1 else ordered[0]
    return StateHistory(events, "; ".join(sources)), summaries


def sla_names(refs: list["KpiRef"], by: list[str] | tuple[str, ...]) -> list[str]:
    """The SLAs a run needs clocks for: those its KPIs name, and those its --by reads (sla:NAME:…)."""
    names = [ref.args[0] for ref in refs if ref.kpi.name in SLA_KPIS and ref.args]
    names += [dim.split(":")[1] for dim in by if dim.startswith("sla:") and dim.count(":") == 2]
    return list(dict.fromkeys(names))


def add_clocks(plan: Any, frames: dict[str, "pd.DataFrame"], datasets: list["Dataset"],
               refs: list["KpiRef"]) -> list["InputSummary"]:
    """Every ticket's clock (``plan``: the run's hdkpi.run.plan.Plan) for the SLAs the run needs
    (columns ``sla:NAME:…`` of the tickets); returns the accounting of ``--states FILE`` for the report's inputs."""
    from ..errors import UsageError

    options, settings = plan.options, plan.settings
    names = sla_names(refs, options.by)
    slas = settings.get("slas") or {}
    unknown = [n for n in names if n not in slas]
    if unknown:
        raise UsageError(f"no SLA {unknown[0]!r} in the targets file's slas: section (defined: "
                         f"{', '.join(slas) or 'none; add a slas: section to the targets file'})")
    if not names:
        if options.states is not None:
            raise UsageError("--states FILE is read for SLA clocks; the run has no SLA KPI (define slas: in the "
                             "targets file)")
        return []
    history, summaries = state_history(datasets, options.states, options.tz)
    calendar = plan.targets.calendar if plan.targets is not None else None
    counts = add_sla_columns(frames, slas, history, plan.now, calendar, names)
    unused = max((c.get("events of tickets not in the input", 0) for c in counts.values()), default=0)
    if unused:  # nothing silent: state events whose ticket the run does not have (absent, or rejected)
        holder = summaries[-1] if summaries else next(d.summary for d in datasets if d.states is not None)
        holder.counts["state events of tickets not in the run"] = unused
    return summaries


AT_RISK_WITHIN = 4 * 3600.0  #: the at-risk list of a run: breaches due within 4 h of --now


def at_risk(frames: dict[str, "pd.DataFrame"], settings: dict[str, Any],
            within: float = AT_RISK_WITHIN) -> list[dict[str, Any]]:
    """Open tickets whose SLA breach comes within ``within`` seconds of --now, soonest first, under every
    SLA whose clock the run worked out (Report.at_risk)."""
    import pandas as pd

    tickets = frames.get("tickets")
    rows = []
    for name, spec in (settings.get("slas") or {}).items():
        if tickets is None or column(name, "due") not in tickets:
            continue
        picked = tickets.loc[tickets_at_risk(tickets, name, within)]
        by = spec.get("by")
        ids = picked["ticket_id"].astype("string") if "ticket_id" in picked else picked.index.astype("string")
        values = picked[by].astype("string") if by and by in picked else pd.Series(pd.NA, index=picked.index)
        for ticket, when, elapsed, target, value in zip(ids, picked[column(name, "due")],
                                                         picked[column(name, "elapsed")],
                                                         picked[column(name, "target")], values):
            rows.append({"ticket_id": str(ticket), "sla": name, "due": when.to_pydatetime(),
                         "elapsed_seconds": float(elapsed), "target_seconds": float(target),
                         "by": {by: None if pd.isna(value) else str(value)} if by else {}})
    return sorted(rows, key=lambda r: (r["due"], r["sla"], r["ticket_id"]))


def agreement_lines(report: "Report", name: str, examples: int = 3) -> list[str]:
    """:func:`flag_agreement` as text: the 2 × 2 counts, then each difference's examples with their clock."""
    from ..units import format_duration

    found = flag_agreement(report, name, examples)
    counts = found["counts"]
    judged = found["judged_by_both"]

    def share(n: int) -> str:
        return f"{n:,} ({n / judged:.1%})" if judged else f"{n:,}"

    agree = counts["both achieved"] + counts["both breached"]
    lines = ["", f"SLA {name} against the export's SLA flag (sla_breached), over the {judged:,} tickets both judge",
             "                      flag achieved   flag breached"]
    for ours, cells in (("achieved", ("both achieved", "hdkpi achieved, flag breached")),
                        ("breached", ("hdkpi breached, flag achieved", "both breached"))):
        lines.append(f"  hdkpi {ours}  {share(counts[cells[0]]):>17} {share(counts[cells[1]]):>15}")
    lines.append(f"  agree: {share(agree)}; judged by hdkpi only (no flag): {found['hdkpi_only']:,}")
    for label, table in found["examples"].items():
        lines += ["", f"{label} (first {len(table)}):"]
        shown = table.rename(columns=lambda c: c.split(":")[-1] if c.startswith("sla:") else c)
        shown = shown.assign(**{c: shown[c].map(format_duration) for c in ("elapsed", "paused", "stopped", "target")
                                if c in shown},
                             **{c: shown[c].dt.strftime("%Y-%m-%d %H:%M") for c in ("start", "stop") if c in shown})
        lines += ["  " + line for line in shown.to_string(index=False).splitlines()]
    return lines


def flag_agreement(report: "Report", name: str, examples: int = 3) -> dict[str, Any]:
    """hdkpi's verdict under SLA ``name`` against the export's own flag (sla_breached, e.g. ServiceNow's
    made_sla): the 2 × 2 counts over tickets both judge, and a few tickets of each disagreement."""
    from ..errors import UsageError

    ctx = getattr(report, "context", None)
    tickets = ctx.frames.get("tickets") if ctx is not None else None
    if tickets is None or column(name, "verdict") not in tickets:
        raise UsageError(f"--sla-vs-flag {name}: the run has no clock for SLA {name!r} (define it under slas:)")
    if "sla_breached" not in tickets:
        raise UsageError(f"--sla-vs-flag {name}: the tickets have no SLA flag (sla_breached, e.g. ServiceNow's "
                         "made_sla) to compare with")
    verdict = tickets[column(name, "verdict")].astype("string")
    flag = tickets["sla_breached"]
    both = verdict.isin(["achieved", "breached"]).fillna(False) & flag.notna()
    ours = verdict[both].eq("breached").astype(bool)
    theirs = flag[both].astype(bool)
    cells = {"both achieved": ~ours & ~theirs, "both breached": ours & theirs,
             "hdkpi breached, flag achieved": ours & ~theirs, "hdkpi achieved, flag breached": ~ours & theirs}
    shown = ["ticket_id", column(name, "start"), column(name, "stop"), column(name, "elapsed"),
             column(name, "paused"), column(name, "stopped"), column(name, "target")]
    shown = [c for c in shown if c in tickets]
    out: dict[str, Any] = {"sla": name, "judged_by_both": int(both.sum()),
                           "hdkpi_only": int((verdict.isin(["achieved", "breached"]).fillna(False)
                                              & flag.isna()).sum()),
                           "counts": {k: int(v.sum()) for k, v in cells.items()}, "examples": {}}
    for label, mask in cells.items():
        if label.startswith("hdkpi ") and mask.any():
            out["examples"][label] = tickets.loc[mask[mask].index[:examples], shown]
    return out
