"""OpenMetrics / Prometheus text exposition: the night's figures for the dashboards an ops team watches.

Written for node_exporter's textfile collector (``-f openmetrics -o /var/lib/node_exporter/textfile/hdkpi.prom``,
an atomic write) or a Pushgateway (``curl --data-binary @hdkpi.prom …/metrics/job/hdkpi``). Families, all gauges:

- ``hdkpi_kpi_value`` — every figure, in base units (seconds, ratios 0–1, counts, scores); NaN for no-data;
- ``hdkpi_kpi_n`` — the records behind it; ``hdkpi_kpi_numerator`` / ``hdkpi_kpi_denominator`` for ratios;
- ``hdkpi_target_status`` — 1 pass, 0 warn, −1 fail, for figures with a target;
- ``hdkpi_run_timestamp_seconds`` — when the run was made;
- ``hdkpi_input_rows`` — per input file, rows read, used, rejected and folded (label ``state``).

Labels: ``kpi``, ``unit``, one per group dimension (its name made a valid label name: ``sla_resolution_verdict``
for ``sla:resolution:verdict``; a group value empty in the data is the empty string), and ``period`` for
``--every`` records. Label values are escaped as the format requires (backslash, double quote, line feed);
the text ends with ``# EOF``, so both the OpenMetrics and the older Prometheus parsers read it.
"""

from __future__ import annotations

import math
import re

from ..model import Report
from .base import Formatter

STATUS = {"pass": 1, "warn": 0, "fail": -1}
FAMILIES = (
    ("hdkpi_kpi_value", "KPI value in base units: seconds, ratios 0-1, counts, scores (NaN: no data)"),
    ("hdkpi_kpi_n", "Records behind the KPI value"),
    ("hdkpi_kpi_numerator", "Numerator of a ratio KPI"),
    ("hdkpi_kpi_denominator", "Denominator of a ratio KPI"),
    ("hdkpi_target_status", "Target verdict: 1 pass, 0 warn, -1 fail"),
)


def label_name(name: str) -> str:
    """A valid label name: letters, digits and _, not starting with a digit nor with __ (reserved)."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name).lstrip("_") or "dim"
    return f"dim_{clean}" if clean[0].isdigit() else clean


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(x: float | int | None) -> str:
    if x is None:
        return "NaN"
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(int(x)) if x.is_integer() and abs(x) < 2 ** 53 else repr(x)


def _labels(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in pairs) + "}"


class OpenMetricsFormatter(Formatter):
    def render(self, report: Report) -> str:
        dims = list(dict.fromkeys([*report.by, *(d for v in report.verdicts for d in v.result.group)]))
        names = {d: label_name(d) for d in dims}
        taken = {"kpi", "unit", "period"}
        for d in dims:  # a dimension named like a fixed label keeps apart from it
            if names[d] in taken:
                names[d] = f"dim_{names[d]}"
            taken.add(names[d])
        samples: dict[str, list[str]] = {name: [] for name, _ in FAMILIES}
        for v in report.verdicts:
            r = v.result
            pairs = [("kpi", r.kpi), ("unit", r.unit)]
            pairs += [(names[d], "" if r.group[d] is None else str(r.group[d])) for d in dims if d in r.group]
            if r.period is not None:
                pairs.append(("period", r.period))
            labels = _labels(pairs)
            samples["hdkpi_kpi_value"].append(f"hdkpi_kpi_value{labels} {number(r.value)}")
            samples["hdkpi_kpi_n"].append(f"hdkpi_kpi_n{labels} {number(r.n)}")
            if r.numerator is not None and r.denominator is not None:
                samples["hdkpi_kpi_numerator"].append(f"hdkpi_kpi_numerator{labels} {number(r.numerator)}")
                samples["hdkpi_kpi_denominator"].append(f"hdkpi_kpi_denominator{labels} {number(r.denominator)}")
            if v.target is not None and v.status in STATUS:
                samples["hdkpi_target_status"].append(f"hdkpi_target_status{labels} {STATUS[v.status]}")
        lines: list[str] = []
        for name, help_text in FAMILIES:
            if samples[name]:
                lines += [f"# TYPE {name} gauge", f"# HELP {name} {help_text}", *samples[name]]
        if report.generated_at is not None:
            lines += ["# TYPE hdkpi_run_timestamp_seconds gauge",
                      "# HELP hdkpi_run_timestamp_seconds When the run was made (Unix time)",
                      f"hdkpi_run_timestamp_seconds{_labels([('command', report.command)])} "
                      f"{number(report.generated_at.timestamp())}"]
        if report.inputs:
            lines += ["# TYPE hdkpi_input_rows gauge", "# HELP hdkpi_input_rows Rows of each input file by state"]
            for s in report.inputs:
                for state, count in (("read", s.read), ("used", s.used), ("rejected", s.rejected),
                                     ("folded", s.folded)):
                    lines.append(f"hdkpi_input_rows{_labels([('path', s.path), ('kind', s.kind), ('state', state)])}"
                                 f" {number(count)}")
        return "\n".join([*lines, "# EOF"]) + "\n"
