"""One self-contained HTML page: the state of the desk in ten seconds, the detail below it.

Everything is inline — CSS, SVG charts drawn here in Python, three lines of script that open the
collapsed breakdown tables for printing — and a Content-Security-Policy forbids the page any request, so it
opens the same from a mail attachment, a shared drive or an air-gapped laptop. Every piece of
text that comes from the data or the command line (group values, notes, paths) goes through
:func:`html.escape`.

What the page shows depends on the report, as in the other formats:

* always: the verdict and summary badges, one tile per KPI (value, n, target, status, change);
* ``--every day|week|…``: a trend chart per KPI (with up to :data:`MAX_GROUP_LINES` group lines);
* ``--by weekday --by hour``: a weekday × hour heatmap per KPI (``hdkpi report calls.csv
  --by weekday --by hour -f html``);
* ``--by …``: a breakdown table per KPI; then row accounting, settings and methods.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

from ..model import Report, Target, Verdict
from ..units import duration_label, format_change, format_compact, format_value
from ..version import __version__
from .base import STATUS_LABELS, Formatter, basis, period_label, period_text, status_label, summary_text, value_text
from .table import GRID_DIMS, group_text

#: groups drawn as their own line in a trend chart; more than this and only the overall line is drawn
MAX_GROUP_LINES = 5
#: per-point status markers are drawn up to this many periods (beyond, only isolated points)
MAX_MARKERS = 62
#: breakdown tables longer than this start collapsed
OPEN_ROWS = 12
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: heatmaps of these KPIs come first, in this order
HEAT_FIRST = ("service_level", "calls_offered")
STATUS_CLASS = {"pass": "pass", "warn": "warn", "fail": "fail", "no-data": "nodata"}

#: opens the collapsed breakdown tables before printing, so a printout holds them too
SCRIPT = ('addEventListener("beforeprint", function () {\n'
          '  document.querySelectorAll("details.breakdown").forEach(function (d) { d.open = true; });\n'
          '});')


def esc(x: Any) -> str:
    """Text for HTML content and attribute values (quotes escaped too)."""
    return escape(str(x), quote=True)


def csp() -> str:
    """No request of any kind; inline styles, and only this page's own script (by its hash)."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
            "img-src 'none'; base-uri 'none'; form-action 'none'")


def status_class(v: Verdict) -> str:
    return STATUS_CLASS.get(v.status or "", "none")


def slug(text: str, taken: set[str]) -> str:
    """A unique element id from a KPI reference (``resolved_within(2d)`` → ``resolved-within-2d``)."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name)
    return name


def when(x: datetime | None) -> str:
    return x.isoformat(timespec="seconds") if x is not None else "—"


def every_text(every: str | None) -> str:
    return {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly"}.get(every or "", every or "")


def short_period(label: str, every: str | None) -> str:
    """Axis labels: ``26 Oct`` for days and weeks, ``Oct 2026`` for months, ``26 Oct 08h`` for hours."""
    try:
        t = datetime.fromisoformat(label)
    except ValueError:
        return label
    if every == "month":
        return t.strftime("%b %Y")
    if every == "hour":
        return f"{t.day} {t.strftime('%b %Hh')}"
    return f"{t.day} {t.strftime('%b')}"


def title_of(r: Any) -> str:
    """The KPI's title, with its parameter when it has one (``Resolved within 2d``)."""
    m = re.search(r"\((.*)\)$", r.kpi)
    return f"{r.title} {m.group(1)}" if m and m.group(1) not in r.title else r.title


def overall(report: Report) -> list[Verdict]:
    return [v for v in report.verdicts if not v.result.group and v.result.period is None]


def series_of(report: Report) -> dict[str, dict[tuple, list[Verdict]]]:
    """KPI → group key (``()`` for all) → that series' per-period verdicts, in period order."""
    out: dict[str, dict[tuple, list[Verdict]]] = {}
    for v in report.verdicts:
        if v.result.period is not None:
            out.setdefault(v.result.kpi, {}).setdefault(tuple(v.result.group.items()), []).append(v)
    return out


def change_html(v: Verdict, *, long: bool = False) -> str:
    """``▲ +1.2 pp`` coloured and worded better/worse (colour is never the only sign)."""
    r, c = v.result, v.result.compare
    if c is None:
        return ""
    if c.change is None:
        was = f"was {format_value(c.value, r.unit)}" if c.value is not None else "no earlier figure"
        return f'<span class="change flat">{esc(was)}</span>' if long else ""
    better = c.better(r.direction)
    arrow = "▲" if c.change > 0 else ("▼" if c.change < 0 else "=")
    cls, word = {True: ("better", "better"), False: ("worse", "worse")}.get(better, ("flat", ""))
    text = f"{arrow} {format_change(c.change, r.unit)}"
    if long:
        word_text = f" {word}" if word else ""
        was = f"was {format_value(c.value, r.unit)}"
        where = f"vs {c.period}" if c.period else "vs the previous period"
        return (f'<span class="change {cls}" title="{esc(where)}">{esc(text)}{esc(word_text)}</span>'
                f'<span class="was">{esc(was)}</span>')
    return f'<span class="change {cls}">{esc(text)}{f" ({word})" if word else ""}</span>'


# -- header, tiles ------------------------------------------------------------------------------

def headline(report: Report) -> tuple[str, str]:
    """The verdict in a few words, from the overall figures (breakdowns and periods are in the badges)."""
    targeted = [v for v in overall(report) if v.target is not None]
    count = {s: sum(v.status == s for v in targeted) for s in ("pass", "warn", "fail", "no-data")}
    of = f" of {len(targeted)}"
    if count["fail"]:
        return f"✖ {count['fail']}{of} target{'s' if len(targeted) != 1 else ''} missed", "fail"
    if report.failed:  # --strict, or a group or period failed while the overall figures hold
        return ("✖ targets without data (--strict)" if report.strict and count["no-data"]
                else "✖ targets met overall, missed in a group or period"), "fail"
    if count["warn"]:
        return f"⚠ {count['warn']}{of} target{'s' if len(targeted) != 1 else ''} at warning level", "warn"
    if count["pass"]:
        return f"✔ {count['pass']}{of} targets met" if count["no-data"] else "✔ all targets met", "pass"
    if targeted:
        return "— no data for the targets", "nodata"
    return "no targets set", "none"


def header(report: Report) -> str:
    s = report.summary
    verdict, cls = headline(report)
    scope = ("every figure checked, overall and per " + " and ".join(
        [*(["group"] if report.by else []), *(["period"] if report.every else [])])
        if report.by or report.every else "figures checked against a target")
    badges = "".join(
        f'<li class="badge {cls_}{"" if s[key] else " zero"}">{esc(symbol)} {s[key]:,} {esc(word)}</li>'
        for key, cls_, symbol, word in (("pass", "pass", "✔", "passed"), ("warn", "warn", "⚠", "warned"),
                                        ("fail", "fail", "✖", "failed"), ("no_data", "nodata", "—", "no-data")))
    meta = [("hdkpi", __version__), ("command", report.command), ("period", period_text(report)),
            ("targets", report.targets_path or "none")]
    if report.by:
        meta.append(("by", ", ".join(report.by)))
    if report.every:
        meta.append(("every", f"{report.every} ({report.tz})"))
    elif report.tz != "UTC":
        meta.append(("time zone", report.tz))
    if report.compare:
        meta.append(("compare", report.compare))
    if report.strict:
        meta.append(("strict", "a targeted no-data fails"))
    meta.append(("generated", when(report.generated_at)))
    dl = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(x)}</dd></div>" for k, x in meta)
    return (f'<header class="top">\n<h1>Help-desk KPIs <span class="sub">hdkpi {esc(report.command)}</span></h1>\n'
            f'<p class="verdict {cls}" role="status">{esc(verdict)}</p>\n'
            f'<div class="summary"><ul class="badges" aria-label="summary: {esc(summary_text(report))}">{badges}</ul>'
            f'<p class="hint">{esc(scope)}</p></div>\n'
            f'<dl class="meta">{dl}</dl>\n</header>')


def tile(v: Verdict) -> str:
    r = v.result
    cls = status_class(v)
    lines = [f'<article class="tile {cls}" data-kpi="{esc(r.kpi)}" data-status="{esc(v.status or "")}">',
             f'<h3>{esc(title_of(r))}</h3>', f'<p class="code"><code>{esc(r.kpi)}</code></p>',
             f'<p class="value">{esc(value_text(v))}</p>']
    if v.target is not None or v.status == "no-data":
        target = f'<span class="target">target {esc(v.target.text)}</span>' if v.target is not None else ""
        lines.append(f'<p class="status"><span class="badge {cls}">{esc(status_label(v))}</span> {target}</p>')
    facts = [f"n {r.n:,}"] + ([basis(v)] if basis(v) else [])
    lines.append(f'<p class="facts">{esc(" · ".join(facts))}</p>')
    if r.compare is not None:
        lines.append(f'<p class="compare">{change_html(v, long=True)}</p>')
    if not r.has_value or v.status == "no-data":
        lines.append(f'<p class="why">{esc("; ".join(r.notes) or "no records")}</p>')
    lines.append("</article>")
    return "\n".join(lines)


def tiles(report: Report, *, targeted: bool) -> str:
    """The KPIs with a target (``targeted``), big; or the others, smaller."""
    verdicts = overall(report)
    if not verdicts:
        if targeted:
            return ('<section id="kpis"><h2>KPIs</h2><p class="empty">No KPI could be computed from these inputs.</p>'
                    "</section>")
        return ""
    shown = [v for v in verdicts if (v.target is not None) == targeted]
    if not shown:
        return ""
    if targeted:
        return "\n".join(['<section id="kpis"><h2>Against target</h2>', '<div class="tiles main">', *map(tile, shown),
                          "</div></section>"])
    any_target = len(shown) < len(verdicts)
    return "\n".join([f'<section id="figures"><h2>{"Other figures" if any_target else "Figures"} '
                      '<span class="hint">no target set</span></h2>', '<div class="tiles minor">', *map(tile, shown),
                      "</div></section>"])


# -- trend charts -------------------------------------------------------------------------------

class Scale:
    """The y axis of one chart: machine values ↔ display units (%, s/m/h/d) with round ticks."""

    def __init__(self, unit: str, values: list[float]) -> None:
        self.unit = unit
        biggest = max((abs(x) for x in values), default=0.0)
        self.factor, self.suffix = 1.0, ""
        if unit == "share":
            self.factor, self.suffix = 100.0, " %"
        elif unit == "seconds":
            self.suffix = " s"
            for size, suffix in ((86400, " d"), (3600, " h"), (60, " m")):
                if biggest >= 2 * size:
                    self.factor, self.suffix = 1 / size, suffix
                    break
        shown = [x * self.factor for x in values]
        lo, hi = min(shown, default=0.0), max(shown, default=0.0)
        lo, hi = lo - (hi - lo) * 0.06, hi + (hi - lo) * 0.06  # air around the lines and the target
        if min(shown, default=0.0) >= 0:
            lo = max(lo, 0.0)
        if unit == "count" and lo >= 0:
            lo = 0.0
        if hi == lo:  # a flat line: give it some room, not below zero for non-negative values
            pad = abs(hi) * 0.1 or 1.0
            lo, hi = (lo - pad if lo < 0 or lo - pad >= 0 else 0.0), hi + pad
        self.step = nice_step((hi - lo) / 4)
        self.lo = math.floor(lo / self.step + 1e-9) * self.step
        self.hi = math.ceil(hi / self.step - 1e-9) * self.step
        if unit == "share":  # 0–100 %, however the ticks round
            self.lo, self.hi = max(self.lo, 0.0), min(self.hi, 100.0)
        count = round((self.hi - self.lo) / self.step)
        self.ticks = [self.lo + i * self.step for i in range(count + 1)]

    def fraction(self, x: float) -> float:
        """0 at the bottom of the axis, 1 at the top."""
        return (x * self.factor - self.lo) / (self.hi - self.lo)

    def label(self, tick: float) -> str:
        decimals = decimals_of(self.step)
        text = f"{tick:,.{decimals}f}" if self.unit == "count" else f"{tick:.{decimals}f}"
        return text + self.suffix


def nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 × a power of ten, at least ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw * (1 - 1e-9):
            return m * mag
    return 10 * mag  # pragma: no cover


def decimals_of(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


class Chart:
    """An inline SVG line chart of one KPI over the periods: overall line, a few group lines."""

    W, H = 440, 210
    LEFT, TOP, BOTTOM = 54, 14, 30

    def __init__(self, kpi_id: str, series: dict[tuple, list[Verdict]], every: str | None) -> None:
        self.kpi_id = kpi_id
        self.every = every
        self.periods: list[str] = []
        self.column: dict[str, int] = {}
        for verdicts in series.values():
            for v in verdicts:
                if (v.result.period or "") not in self.column:
                    self.column[v.result.period or ""] = len(self.periods)
                    self.periods.append(v.result.period or "")
        main_key = () if () in series else next(iter(series))
        self.main = series[main_key]
        groups = {k: vs for k, vs in series.items() if k != main_key}
        self.groups = groups if len(groups) <= MAX_GROUP_LINES else {}
        self.hidden_groups = len(groups) if len(groups) > MAX_GROUP_LINES else 0
        first = self.main[0]
        self.unit, self.title = first.result.unit, title_of(first.result)
        self.target: Target | None = next((v.target for v in self.main if v.target is not None), None)
        values = [v.result.value for vs in (self.main, *self.groups.values()) for v in vs if v.result.value is not None]
        levels = [t.value for t in self.levels() if math.isfinite(t.value)]
        self.scale = Scale(self.unit, values + levels) if values else None
        self.right = 88 if self.groups else 14

    def levels(self) -> list[Any]:
        t = self.target
        return [x for x in ((t.fail, t.warn) if t is not None else ()) if x is not None]

    # geometry
    def x(self, period: str | None) -> float:
        width = self.W - self.LEFT - self.right
        i = self.column[period or ""]
        n = len(self.periods)
        return self.LEFT + (width * i / (n - 1) if n > 1 else width / 2)

    def y(self, value: float) -> float:
        assert self.scale is not None
        height = self.H - self.TOP - self.BOTTOM
        return self.TOP + height * (1 - self.scale.fraction(value))

    def summary(self) -> str:
        """One sentence for screen readers and the caption: first → last, periods missed."""
        known = [v for v in self.main if v.result.value is not None]
        if not known:
            return f"{self.title}: no data in any period"
        first, last = known[0], known[-1]
        text = (f"{self.title}, {every_text(self.every) or 'per period'}: {value_text(first)} in {first.result.period}"
                f" → {value_text(last)} in {last.result.period}")
        missed = [f"{sum(v.status == s for v in self.main)} of {len(self.main)} periods {s}"
                  for s in ("fail", "warn") if any(v.status == s for v in self.main)]
        gaps = sum(v.result.value is None for v in self.main)
        if gaps:
            missed.append(f"{gaps} without data")
        return text + (f"; {', '.join(missed)}" if missed else "")

    def svg(self) -> str:
        if self.scale is None:
            return '<p class="empty">No data in any period.</p>'
        s = self.scale
        plot_w = self.W - self.LEFT - self.right
        bottom = self.H - self.BOTTOM
        out = [f'<svg class="chart" viewBox="0 0 {self.W} {self.H}" width="{self.W}" height="{self.H}" '
               f'role="img" aria-labelledby="{self.kpi_id}-t">',
               f'<title id="{self.kpi_id}-t">{esc(self.summary())}</title>']
        # the failing side of the target, tinted
        fail = self.target.fail if self.target is not None else None
        if fail is not None and math.isfinite(fail.value) and fail.op != "==":
            yt = min(max(self.y(fail.value), self.TOP), bottom)
            top, height = (yt, bottom - yt) if fail.op in (">", ">=") else (self.TOP, yt - self.TOP)
            if height > 0:
                out.append(f'<rect class="failzone" x="{self.LEFT}" y="{top:.1f}" width="{plot_w}" '
                           f'height="{height:.1f}"/>')
        for tick in s.ticks:
            yy = self.y(tick / s.factor)
            out.append(f'<line class="grid" x1="{self.LEFT}" x2="{self.LEFT + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
            out.append(f'<text class="ytick" x="{self.LEFT - 6}" y="{yy + 4:.1f}">{esc(s.label(tick))}</text>')
        out.append(f'<line class="axis" x1="{self.LEFT}" x2="{self.LEFT + plot_w}" y1="{bottom}" y2="{bottom}"/>')
        out += self.x_labels()
        for threshold in self.levels():
            if not math.isfinite(threshold.value):
                continue
            kind, word = ("target", "target") if threshold is self.target.fail else ("warnline", "warn")
            yt = self.y(threshold.value)
            label_y = yt - 4 if yt - 4 > self.TOP + 8 else yt + 12
            out.append(f'<line class="{kind}" x1="{self.LEFT}" x2="{self.LEFT + plot_w}" y1="{yt:.1f}" '
                       f'y2="{yt:.1f}"/>')
            out.append(f'<text class="{kind}-label" x="{self.LEFT + plot_w - 2}" y="{label_y:.1f}">'
                       f'{esc(word)} {esc(threshold.text)}</text>')
        end_labels: list[tuple[float, str, str, int]] = []
        for i, (key, verdicts) in enumerate(self.groups.items(), start=1):
            out.append(self.line(verdicts, f"s{i}"))
            out += self.dots(verdicts, f"s{i}", status=False, isolated_only=True)
            end_labels.append(self.end_label(verdicts, ", ".join(str(x) for _, x in key), i))
        out.append(self.line(self.main, "s0"))
        out += self.gaps(self.main)
        out += self.dots(self.main, "s0", status=True)
        if self.groups:
            end_labels.append(self.end_label(self.main, "all", 0))
        out += self.place_labels([e for e in end_labels if e[0] >= 0], plot_w)
        out.append("</svg>")
        return "\n".join(out)

    def x_labels(self) -> list[str]:
        """First and last period and evenly spaced ones between, as many as fit without overlapping."""
        n = len(self.periods)
        if not n:
            return []
        labels = [short_period(p, self.every) for p in self.periods]
        width = max(len(t) for t in labels) * 6.2 + 14  # px per label at 11px
        room = max(2, int((self.W - self.LEFT - self.right) // width) + 1)
        every = max(1, math.ceil((n - 1) / (room - 1))) if n > 1 else 1
        shown = sorted({*range(0, n, every), n - 1})
        if len(shown) > 1 and shown[-1] - shown[-2] < every:
            shown.pop(-2)
        return [f'<text class="xtick" x="{self.x(self.periods[i]):.1f}" y="{self.H - self.BOTTOM + 16}">'
                f"{esc(labels[i])}</text>" for i in shown]

    def line(self, verdicts: list[Verdict], cls: str) -> str:
        """One path; a period without a value breaks it (a new ``M``), so missing periods are gaps. A
        segment to or from a partial period (hdkpi.engine.coverage) is drawn apart, dashed: not a collapse."""
        parts, dashed, pen_down, at, was_partial = [], [], False, "", False
        for v in verdicts:
            if v.result.value is None:
                pen_down = False
                continue
            here = f"{self.x(v.result.period):.1f},{self.y(v.result.value):.1f}"
            if pen_down and (was_partial or v.result.partial):
                dashed.append(f"M{at} L{here}")
                parts.append(f"M{here}")
            else:
                parts.append(f"{'L' if pen_down else 'M'}{here}")
            pen_down, at, was_partial = True, here, v.result.partial
        out = f'<path class="line {cls}" d="{" ".join(parts)}"/>' if parts else ""
        if dashed:
            out += f'\n<path class="line {cls} partial" d="{" ".join(dashed)}"/>'
        return out

    def dots(self, verdicts: list[Verdict], cls: str, *, status: bool, isolated_only: bool = False) -> list[str]:
        """Status-shaped markers (● pass, ▲ warn, ✖ fail); past MAX_MARKERS only isolated points."""
        out = []
        many = isolated_only or len(verdicts) > MAX_MARKERS
        for i, v in enumerate(verdicts):
            r = v.result
            if r.value is None:
                continue
            isolated = ((i == 0 or verdicts[i - 1].result.value is None)
                        and (i == len(verdicts) - 1 or verdicts[i + 1].result.value is None))
            if many and not isolated and not r.partial:
                continue
            x, y = self.x(r.period), self.y(r.value)
            words = filter(None, [period_label(r), group_text(v), value_text(v), status_label(v)])
            tip = f"<title>{esc(' · '.join(words))}</title>"
            st = v.status if status else None
            if r.partial:  # hollow: the data covers only part of the period
                out.append(f'<circle class="mark partial {st or cls}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">{tip}</circle>')
            elif st == "fail":
                out.append(f'<path class="mark fail" d="M{x - 4:.1f},{y - 4:.1f}L{x + 4:.1f},{y + 4:.1f}'
                           f'M{x - 4:.1f},{y + 4:.1f}L{x + 4:.1f},{y - 4:.1f}">{tip}</path>')
            elif st == "warn":
                out.append(f'<path class="mark warn" d="M{x:.1f},{y - 5:.1f}L{x + 4.5:.1f},{y + 3.5:.1f}'
                           f'L{x - 4.5:.1f},{y + 3.5:.1f}Z">{tip}</path>')
            elif st == "no-data":
                out.append(f'<circle class="mark nodata" cx="{x:.1f}" cy="{y:.1f}" r="3.5">{tip}</circle>')
            else:
                kind = "pass" if st == "pass" else cls
                out.append(f'<circle class="mark {kind}" cx="{x:.1f}" cy="{y:.1f}" r="{3.5 if status else 2.5}">'
                           f'{tip}</circle>')
        return out

    def gaps(self, verdicts: list[Verdict]) -> list[str]:
        """Where periods have no value: a hollow mark on the axis (a bar for a run of them), saying why."""
        runs: list[list[Verdict]] = []
        for i, v in enumerate(verdicts):
            if v.result.value is None:
                if runs and i > 0 and verdicts[i - 1].result.value is None:
                    runs[-1].append(v)
                else:
                    runs.append([v])
        out = []
        bottom = self.H - self.BOTTOM
        for run in runs:
            first, last = run[0], run[-1]
            why = "; ".join(dict.fromkeys(n for v in run for n in v.result.notes)) or "no records"
            if len(run) == 1:
                out.append(f'<circle class="gap" cx="{self.x(first.result.period):.1f}" cy="{bottom}" r="3">'
                           f"<title>{esc(first.result.period)}: no data ({esc(why)})</title></circle>")
            else:
                out.append(f'<line class="gaprun" x1="{self.x(first.result.period):.1f}" '
                           f'x2="{self.x(last.result.period):.1f}" y1="{bottom}" y2="{bottom}">'
                           f"<title>{esc(first.result.period)} to {esc(last.result.period)}: {len(run)} periods "
                           f"without data ({esc(why)})</title></line>")
        return out

    def end_label(self, verdicts: list[Verdict], name: str, i: int) -> tuple[float, str, str, int]:
        last = next((v for v in reversed(verdicts) if v.result.value is not None), None)
        if last is None:
            return (-1.0, name, "", i)
        return (self.y(last.result.value), name, value_text(last), i)

    def place_labels(self, labels: list[tuple[float, str, str, int]], plot_w: float) -> list[str]:
        """Group names at the right end of their lines, pushed apart so they never overlap."""
        placed: list[tuple[float, str, str, int]] = []
        for y, name, value, i in sorted(labels):
            if placed and y - placed[-1][0] < 12:
                y = placed[-1][0] + 12
            placed.append((y, name, value, i))
        overflow = placed[-1][0] - (self.H - self.BOTTOM) if placed else 0
        if overflow > 0:
            placed = [(y - overflow, n, val, i) for y, n, val, i in placed]
        out = []
        for y, name, value, i in placed:
            short = name if len(name) <= 12 else name[:11] + "…"
            out.append(f'<text class="endlabel s{i}" x="{self.LEFT + plot_w + 6}" y="{y + 4:.1f}">'
                       f'<title>{esc(name)}: {esc(value)}</title>{esc(short)}</text>')
        return out

    def legend(self) -> str:
        if not self.groups:
            return ""
        items = [("all", 0)] + [(", ".join(f"{k}={x}" for k, x in key), i)
                                for i, key in enumerate(self.groups, start=1)]
        lis = "".join(f'<li><svg width="28" height="10" aria-hidden="true"><line class="line s{i}" x1="1" x2="27" '
                      f'y1="5" y2="5"/></svg>{esc(name)}</li>' for name, i in items)
        return f'<ul class="legend">{lis}</ul>'


def figures_table(verdicts: list[Verdict], caption: str) -> str:
    """The numbers behind a chart, collapsed under it."""
    has_compare = any(v.result.compare is not None for v in verdicts)
    head = "<tr><th scope=\"col\">Period</th><th scope=\"col\">Value</th><th scope=\"col\">n</th>"
    head += "<th scope=\"col\">Change</th>" if has_compare else ""
    head += "<th scope=\"col\">Status</th></tr>"
    rows = []
    for v in verdicts:
        r = v.result
        change = f"<td class=\"num\">{change_html(v)}</td>" if has_compare else ""
        note = f' <span class="why">{esc("; ".join(r.notes))}</span>' if r.notes and not r.has_value else ""
        rows.append(f'<tr><th scope="row">{esc(period_label(r))}</th><td class="num">{esc(value_text(v))}</td>'
                    f'<td class="num">{r.n:,}</td>{change}<td class="st {status_class(v)}">{esc(status_label(v))}'
                    f'{note}</td></tr>')
    return (f'<details class="figures"><summary>Figures by period</summary><table><caption>{esc(caption)}</caption>'
            f'<thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></details>')


def trends(report: Report, ids: set[str], *, targeted: bool,
           names: tuple[tuple[str, str], tuple[str, str]] = (("trends", "Trends"),
                                                              ("other-trends", "Trends of the other figures"))) -> str:
    """Charts of the KPIs with a target (``targeted``), or of the others; ``names``: the section's id
    and heading when it comes first, and otherwise (the history charts use their own)."""
    series = series_of(report)
    if not series:
        return ""
    order = [v.result.kpi for v in overall(report)]
    order += [k for k in series if k not in order]
    with_target = {v.result.kpi for v in report.verdicts if v.target is not None}
    ranked = [k for k in order if k in series and (k in with_target) == targeted]
    if not ranked:
        return ""
    first = targeted or not (with_target & set(series))
    figures = []
    for kpi in ranked:
        chart = Chart(slug(f"trend-{kpi}", ids), series[kpi], report.every)
        main = chart.main
        fails = sum(v.status == "fail" for v in main)
        warns = sum(v.status == "warn" for v in main)
        marks = []
        if chart.target is not None:
            marks.append(f"target {chart.target.text}")
        if fails:
            marks.append(f"✖ {fails} of {len(main)} fail")
        if warns:
            marks.append(f"⚠ {warns} of {len(main)} warn")
        if chart.hidden_groups:
            marks.append(f"{chart.hidden_groups} groups: see the breakdown")
        cls = "fail" if fails else ("warn" if warns else ("pass" if chart.target is not None else "none"))
        figures.append(
            f'<figure class="trend {cls}" data-kpi="{esc(kpi)}">\n<figcaption><h3>{esc(chart.title)} '
            f'<code>{esc(kpi)}</code></h3><p>{esc(" · ".join(marks))}</p></figcaption>\n'
            f'{chart.svg()}\n{chart.legend()}\n{figures_table(main, chart.summary())}\n</figure>')
    note = ("Dashed line: the target (fail level), the tinted side misses it; dotted: the warn level. "
            "Markers: ● pass, ▲ warn, ✖ fail; a hollow point reached by a dashed segment: a period the data "
            "covers only in part (partial); ○ or a grey bar on the axis: periods without data (gaps in the line).")
    sid, title = names[0] if first else names[1]
    note_html = f'<p class="hint">{esc(note)}</p>\n' if first else ""
    return (f'<section id="{sid}"><h2>{title} <span class="hint">{esc(every_text(report.every))}, '
            f'{esc(report.tz)}</span></h2>\n{note_html}<div class="charts">\n'
            + "\n".join(figures) + "\n</div></section>")


# -- heatmaps -------------------------------------------------------------------------------------

def heat_colour(status: str | None, strength: float) -> str:
    """Status hue (pass green, warn amber, fail red), else blue by value; darker = further/more."""
    strength = min(max(strength, 0.0), 1.0)
    hue, sat, light = {"pass": (135, 50, 88), "warn": (42, 90, 84), "fail": (2, 80, 90),
                       "no-data": (0, 0, 92)}.get(status or "", (212, 70, 95))
    spread = 0 if status == "no-data" else (26 if status in ("pass", "warn", "fail") else 38)
    return f"hsl({hue} {sat}% {light - spread * strength:.0f}%)"


def heatmap(kpi: str, grid: dict[tuple[str, str], Verdict], tz: str) -> str:
    first = next(iter(grid.values()))
    unit, title = first.result.unit, title_of(first.result)
    hours_seen = sorted(int(h) for _, h in grid)
    hours = [f"{h:02d}" for h in range(hours_seen[0], hours_seen[-1] + 1)]
    days = [d for d in WEEKDAYS if any(d == x for x, _ in grid)]
    targeted = any(v.target is not None for v in grid.values())
    values = [v.result.value for v in grid.values() if v.result.value is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)

    def strength(v: Verdict) -> float:
        x = v.result.value
        if x is None:
            return 0.0
        level = v.target.fail if v.target is not None and v.target.fail is not None else None
        if targeted and level is not None and v.status in ("pass", "warn", "fail"):
            same = [abs(w.result.value - level.value) for w in grid.values()
                    if w.status == v.status and w.result.value is not None]
            top = max(same, default=0.0)
            return abs(x - level.value) / top if top else 0.5
        return (x - lo) / (hi - lo) if hi > lo else 0.5

    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in hours)
    rows = []
    for day in days:
        cells = []
        for hour in hours:
            v = grid.get((day, hour))
            if v is None:
                cells.append(f'<td class="empty" title="{esc(f"{day} {hour}:00: no records")}">·</td>')
                continue
            mark = {"fail": "✖", "warn": "⚠"}.get(v.status or "", "")
            st = v.status if targeted else None
            tip = (f"{day} {hour}:00 · {value_text(v)} · n {v.result.n:,}"
                   + (f" · {status_label(v)}" if v.status else ""))
            text = format_compact(v.result.value, unit)
            text = f"{mark}\u2009{text}" if mark else text
            cells.append(f'<td class="{status_class(v)}" style="background:{heat_colour(st, strength(v))}" '
                         f'title="{esc(tip)}">{esc(text)}</td>')
        rows.append(f'<tr><th scope="row">{esc(day)}</th>{"".join(cells)}</tr>')
    target = next((v.target for v in grid.values() if v.target is not None), None)
    key = (f"target {target.text}: ✖ fail, ⚠ warn, unmarked pass; deeper colour: further from the target"
           if target is not None else "deeper colour: higher value")
    return (f'<figure class="heat" data-kpi="{esc(kpi)}"><figcaption><h3>{esc(title)} <code>{esc(kpi)}</code>'
            f'</h3><p>by weekday × hour ({esc(tz)}) · {esc(key)} · “·” no records</p></figcaption>\n'
            f'<div class="scroll"><table class="heatmap"><caption>{esc(title)} by weekday and hour of day</caption>'
            f'<thead><tr><td></td>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div></figure>')


def heatmaps(report: Report) -> str:
    """Weekday × hour grids, when the report was grouped by exactly those two dimensions."""
    if set(report.by) != GRID_DIMS:
        return ""
    grids: dict[str, dict[tuple[str, str], Verdict]] = {}
    for v in report.verdicts:
        g = v.result.group
        if v.result.period is None and set(g) == GRID_DIMS and g["weekday"] is not None and g["hour"] is not None:
            grids.setdefault(v.result.kpi, {})[(g["weekday"], g["hour"])] = v
    if not grids:
        return ""
    order = sorted(grids, key=lambda k: (HEAT_FIRST.index(k) if k in HEAT_FIRST else len(HEAT_FIRST)))
    return ('<section id="heatmap"><h2>By weekday and hour</h2>\n<div class="heats">\n'
            + "\n".join(heatmap(k, grids[k], report.tz) for k in order) + "\n</div></section>")


# -- tables ---------------------------------------------------------------------------------------

def breakdowns(report: Report) -> str:
    """One table per KPI: a row per group (overall figures; per-period ones are in the charts)."""
    if not report.by:
        return ""
    rows_by: dict[str, list[Verdict]] = {}
    for v in report.verdicts:
        if v.result.group and v.result.period is None:
            rows_by.setdefault(v.result.kpi, []).append(v)
    if not rows_by:
        return ""
    dims = list(report.by)
    out = ['<section id="breakdown"><h2>Breakdown <span class="hint">by ' + esc(", ".join(dims)) + "</span></h2>"]
    for kpi, verdicts in rows_by.items():
        first = verdicts[0].result
        # (header, class, cell html) per column; a column empty in every row is left out
        columns: list[tuple[str, str, list[str]]] = [
            (d, "", [esc("(empty)" if v.result.group.get(d, "") is None else v.result.group.get(d, "all"))
                     for v in verdicts]) for d in dims]
        columns += [
            ("Value", "num", [esc(value_text(v)) for v in verdicts]),
            ("n", "num", [f"{v.result.n:,}" for v in verdicts]),
            ("Basis", "num", [esc(basis(v)) for v in verdicts]),
            ("Change", "num", [change_html(v) for v in verdicts]),
            ("Target", "", [esc(v.target.text) if v.target else "" for v in verdicts]),
            ("Status", "st", [esc(status_label(v)) + (f' <span class="why">{esc("; ".join(v.result.notes))}</span>'
                                                       if v.result.notes and not v.result.has_value else "")
                              for v in verdicts]),
        ]
        columns = [c for c in columns if c[0] in dims or any(c[2])]
        head = "".join(f'<th scope="col"{f" class={cls}" if cls == "num" else ""}>{esc(name)}</th>'
                       for name, cls, _ in columns)
        body = []
        for i, v in enumerate(verdicts):
            cells = []
            for j, (_, cls, texts) in enumerate(columns):
                if j == 0:
                    cells.append(f'<th scope="row">{texts[i]}</th>')
                else:
                    klass = f"st {status_class(v)}" if cls == "st" else cls
                    cells.append(f'<td{f" class={chr(34)}{klass}{chr(34)}" if klass else ""}>{texts[i]}</td>')
            body.append(f'<tr class="{status_class(v)}">{"".join(cells)}</tr>')
        counts = [f"{sym} {sum(v.status == s for v in verdicts)} {s}" for s, sym in
                  (("fail", "✖"), ("warn", "⚠"), ("pass", "✔")) if any(v.status == s for v in verdicts)]
        summary = f"{title_of(first)} ({kpi}) — {len(verdicts):,} groups" + (f": {', '.join(counts)}" if counts else "")
        open_ = " open" if len(verdicts) <= OPEN_ROWS else ""
        out.append(f'<details class="breakdown" data-kpi="{esc(kpi)}"{open_}><summary>{esc(summary)}</summary>'
                   f'<div class="scroll"><table><caption>{esc(title_of(first))} by {esc(", ".join(dims))}</caption>'
                   f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div></details>')
    out.append("</section>")
    return "\n".join(out)


def reasons_html(summary: Any) -> str:
    items = []
    for name, count in summary.counts.items():
        items.append(f"<li>{count:,} {esc(name.replace('_', ' '))}</li>")
    for what, count in summary.caveats.items():
        items.append(f"<li>used with a caveat: {esc(what)} ({count:,})</li>")
    for reason, count in sorted(summary.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        rows = summary.examples_by_reason.get(reason, [])
        where = ""
        if rows:
            more = "…" if count > len(rows) else ""
            shown = esc(", ".join(map(str, rows)))
            where = f' <span class="rows">(data row{"s" if len(rows) > 1 else ""} {shown}{more})</span>'
        items.append(f"<li>{count:,} × {esc(reason)}{where}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def inputs(report: Report) -> str:
    if not report.inputs:
        return ""
    rows = []
    for s in report.inputs:
        rejected_cls = " warnnum" if s.rejected else ""
        rows.append(f'<tr><th scope="row"><code>{esc(s.path)}</code></th><td>{esc(s.kind)}</td><td>{esc(s.preset)}</td>'
                    f'<td class="num">{s.read:,}</td><td class="num">{s.used:,}</td>'
                    f'<td class="num{rejected_cls}">{s.rejected:,}</td><td class="num">{s.folded:,}</td>'
                    f"<td>{reasons_html(s)}</td></tr>")
    head = "".join(f'<th scope="col"{" class=num" if c in ("Read", "Used", "Rejected", "Folded") else ""}>{c}</th>'
                   for c in ("File", "Kind", "Preset", "Read", "Used", "Rejected", "Folded", "Reasons and examples"))
    return (f'<section id="inputs"><h2>Inputs <span class="hint">rows read, used, rejected, folded</span></h2>'
            f'<div class="scroll"><table class="inputs"><caption>Row accounting per input file</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            '<p class="hint">Folded: source records merged into others by the preset (events of one ticket). '
            "Data row numbers count from the first row after the header.</p></section>")


def at_risk_section(report: Report) -> str:
    """The tickets about to breach an SLA (with SLA policies only)."""
    from .base import AT_RISK_TITLE, at_risk_lines

    lines = at_risk_lines(report)
    if not lines:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    title, _, hint = AT_RISK_TITLE.partition(": ")
    return (f'<section id="at-risk"><h2>{esc(title)} <span class="hint">{esc(hint)}</span></h2>'
            f'<ul class="legend-list">{items}</ul></section>')


def setting_text(name: str, value: Any, durations: set[str]) -> str:
    if value is None:
        return "—"
    if name in durations and isinstance(value, (int, float)):
        return duration_label(float(value))
    if isinstance(value, dict):
        if set(value) == {"amount", "per"}:
            return f"{format_value(value['amount'], 'count')} per {value['per']}"
        return ", ".join(f"{k}={x}" for k, x in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def settings_section(report: Report) -> str:
    from ..targets.settings import SETTINGS

    durations = {name for name, spec in SETTINGS.items() if getattr(spec.coerce, "__name__", "") == "_duration"}
    rows = "".join(
        f'<tr><th scope="row"><code>{esc(name)}</code></th><td>{esc(setting_text(name, value, durations))}</td>'
        f"<td>{esc(SETTINGS[name].doc if name in SETTINGS else '')}</td></tr>"
        for name, value in report.settings.items())
    if not rows:
        return ""
    return ('<section id="settings"><h2>Settings used</h2><div class="scroll"><table class="settings">'
            '<caption>Settings that shaped the KPI definitions (targets file and --set)</caption><thead><tr>'
            '<th scope="col">Setting</th><th scope="col">Value</th><th scope="col">Meaning</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div></section>")


def methods(report: Report) -> str:
    shown = [v.result for v in overall(report) if v.result.method or v.result.notes]
    notes = any(r.notes for r in shown)
    rows = "".join(f'<tr><th scope="row"><code>{esc(r.kpi)}</code></th><td>{esc(r.method or "")}</td>'
                   + (f"<td>{esc('; '.join(r.notes))}</td>" if notes else "") + "</tr>" for r in shown)
    head = '<th scope="col">KPI</th><th scope="col">Method</th>' + ('<th scope="col">Notes</th>' if notes else "")
    table = ('<div class="scroll"><table class="methods"><caption>How each figure was computed, where it matters'
             f'</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>') if rows else ""
    legend = "".join(f'<li><span class="badge {STATUS_CLASS[s]}">{esc(label)}</span> {esc(text)}</li>'
                     for s, label, text in (
        ("pass", STATUS_LABELS["pass"], "the figure meets the target"),
        ("warn", STATUS_LABELS["warn"], "it meets the fail level, not the warn level"),
        ("fail", STATUS_LABELS["fail"], "it misses the target (hdkpi check exits 1)"),
        ("no-data", STATUS_LABELS["no-data"], "no figure: no records, or fewer than min_volume")))
    return (f'<section id="method"><h2>Method and notes</h2>{table}<ul class="legend-list">{legend}</ul>'
            '<p class="hint">Shares are in %, changes of shares in percentage points (pp); durations in s, m, h, d. '
            "“n” counts the records behind a figure; “basis” is numerator / denominator. Changes compare with the "
            "preceding period of the same length (▲ up, ▼ down; green better, red worse, as the KPI’s direction "
            "says). The definitions of every KPI: <code>hdkpi kpis</code> and docs/kpis.md.</p></section>")


def history_charts(report: Report, ids: set[str]) -> list[str]:
    """Trend charts of the stored series when the run has a history database (``--history``)."""
    past = getattr(report.context, "history", None)
    if past is None:
        return []
    return history_sections(past, ids)


def history_sections(report: Report, ids: set[str]) -> list[str]:
    """The trend charts over stored series (a report of history rows): in a report's page with
    ``--history``, and the page of ``hdkpi history -f html``."""
    return [body for body in (
        trends(report, ids, targeted=True, names=(("history", "History"), ("other-history", "History"))),
        trends(report, ids, targeted=False, names=(("history", "History"),
                                                   ("other-history", "History of the other figures"))),
    ) if body]


def nav(sections: Iterable[tuple[str, str]]) -> str:
    links = "".join(f'<li><a href="#{sid}">{esc(name)}</a></li>' for sid, name in sections)
    return f'<nav aria-label="sections"><ul>{links}</ul></nav>'


class HtmlFormatter(Formatter):
    """A single HTML file with no external resource (see the module docstring)."""

    def render(self, report: Report) -> str:
        ids: set[str] = set()
        ids.update(("kpis", "trends", "figures", "other-trends", "heatmap", "breakdown", "at-risk", "inputs",
                    "settings", "method", "history", "other-history"))
        bodies = [body for body in (
            tiles(report, targeted=True),
            trends(report, ids, targeted=True),
            tiles(report, targeted=False),
            trends(report, ids, targeted=False),
            *history_charts(report, ids),
            heatmaps(report),
            breakdowns(report),
            at_risk_section(report),
            inputs(report),
            settings_section(report),
            methods(report),
        ) if body]
        # the contents: each section's id and the words of its heading
        sections = [m.groups() for m in (re.match(r'<section id="([^"]+)"><h2>([^<]+)', b) for b in bodies) if m]
        title = f"hdkpi {report.command} — {period_text(report)}"
        footer = (f"<footer>hdkpi {esc(__version__)} · {esc(report.command)} · "
                  f"generated {esc(when(report.generated_at))}"
                  " · a single file with no external resources</footer>")
        doc = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp())}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light">',
            f'<meta name="generator" content="hdkpi {esc(__version__)}">',
            f"<title>{esc(title)}</title>",
            f"<style>\n{CSS}</style>",
            "</head>",
            "<body>",
            header(report),
            nav((sid, name.strip()) for sid, name in sections),
            "<main>",
            *bodies,
            "</main>",
            footer,
            f"<script>{SCRIPT}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(doc) + "\n"


CSS = """\
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #ffffff;
  --pass: #1a7f37; --pass-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff4c5;
  --fail: #cf222e; --fail-bg: #ffebe9; --nodata: #59636e; --nodata-bg: #eff2f5;
  --better: #1a7f37; --worse: #cf222e;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; padding: 0 24px 24px; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
code { font: 0.92em ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace; }
h1 { font-size: 22px; margin: 0; }
h1 .sub { font-size: 14px; font-weight: normal; color: var(--muted); margin-left: 6px; }
h2 { font-size: 17px; margin: 26px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0; }
.hint { color: var(--muted); font-size: 12.5px; font-weight: normal; }
h2 .hint { margin-left: 8px; }
header.top { display: grid; grid-template-columns: auto 1fr; align-items: center; gap: 10px 24px;
  padding: 18px 0 12px; }
header.top h1 { grid-column: 1 / -1; }
.verdict { margin: 0; font-size: 20px; font-weight: 700; padding: 6px 14px; border-radius: 8px;
  border: 2px solid currentColor; }
.verdict.pass { color: var(--pass); background: var(--pass-bg); }
.verdict.warn { color: var(--warn); background: var(--warn-bg); }
.verdict.fail { color: var(--fail); background: var(--fail-bg); }
.verdict.nodata, .verdict.none { color: var(--nodata); background: var(--nodata-bg); }
.badges { list-style: none; display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.badges .badge { font-size: 15px; padding: 4px 14px; }
.badge.pass { color: var(--pass); background: var(--pass-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.fail { color: var(--fail); background: var(--fail-bg); }
.badge.nodata, .badge.none { color: var(--nodata); background: var(--nodata-bg); }
.badge.zero { opacity: 0.55; }
.meta { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; color: var(--muted);
  font-size: 12.5px; }
.meta div { display: flex; gap: 5px; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 0; padding: 8px 0;
  border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); font-size: 13px; }
nav a { color: #0550ae; text-decoration: none; }
nav a:hover, nav a:focus { text-decoration: underline; }
.tiles { display: grid; gap: 10px; }
.tiles.main { grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); }
.tiles.minor { grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; }
.tiles.minor .tile { padding: 7px 10px; border-left-width: 4px; }
.tiles.minor h3 { font-size: 13px; }
.tile { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--line);
  border-radius: 8px; padding: 10px 12px; }
.tile p { margin: 0; }
.tile.pass { border-left-color: var(--pass); }
.tile.warn { border-left-color: var(--warn); background: linear-gradient(var(--card), #fffbeb); }
.tile.fail { border-left-color: var(--fail); background: linear-gradient(var(--card), #fff6f5); }
.tile.nodata { border-left-color: var(--nodata); }
.tile .code { color: var(--muted); font-size: 11.5px; overflow-wrap: anywhere; }
.tile .value { font-size: 26px; font-weight: 700; line-height: 1.25; margin: 4px 0 2px;
  font-variant-numeric: tabular-nums; }
.tiles.minor .value { font-size: 19px; }
.tile.fail .value { color: var(--fail); }
.tile .status { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; margin: 2px 0 4px; }
.tile .target { color: var(--muted); font-size: 12.5px; }
.tile .facts { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.tile .compare { font-size: 12.5px; margin-top: 2px; }
.tile .why, .why { color: var(--muted); font-size: 12px; font-style: italic; }
.change { font-weight: 600; white-space: nowrap; }
.change.better { color: var(--better); }
.change.worse { color: var(--worse); }
.change.flat { color: var(--muted); }
.was { color: var(--muted); margin-left: 6px; white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(370px, 1fr)); gap: 12px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
figure.trend { border-top: 4px solid var(--line); }
figure.trend.fail { border-top-color: var(--fail); }
figure.trend.warn { border-top-color: var(--warn); }
figure.trend.pass { border-top-color: var(--pass); }
figcaption p { margin: 2px 0 4px; color: var(--muted); font-size: 12.5px; }
figcaption code { color: var(--muted); font-weight: normal; font-size: 11.5px; margin-left: 4px; }
svg.chart { display: block; width: 100%; max-width: 560px; height: auto; overflow: visible; }
svg text { font-size: 11px; fill: var(--muted); font-family: inherit; }
.ytick { text-anchor: end; }
.xtick { text-anchor: middle; }
.grid { stroke: #eaeef2; stroke-width: 1; }
.axis { stroke: #afb8c1; stroke-width: 1; }
.failzone { fill: #cf222e; fill-opacity: 0.06; }
.target { stroke: var(--fail); stroke-width: 1.5; stroke-dasharray: 6 4; }
.warnline { stroke: var(--warn); stroke-width: 1.5; stroke-dasharray: 2 3; }
.target-label, .warnline-label { text-anchor: end; font-weight: 600; paint-order: stroke;
  stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.target-label { fill: var(--fail); }
.warnline-label { fill: var(--warn); }
.line { fill: none; stroke-width: 1.4; stroke-linejoin: round; stroke-linecap: round; stroke-opacity: 0.85; }
.line.s0 { stroke: #24292f; stroke-width: 2.4; stroke-opacity: 1; }
.line.s1 { stroke: #0969da; }
.line.s2 { stroke: #bc4c00; stroke-dasharray: 6 3; }
.line.s3 { stroke: #8250df; stroke-dasharray: 2 3; }
.line.s4 { stroke: #1b7c83; stroke-dasharray: 9 3 2 3; }
.line.s5 { stroke: #bf3989; stroke-dasharray: 1 3; }
.endlabel { font-size: 10.5px; }
.endlabel.s0 { fill: #24292f; font-weight: 600; }
.endlabel.s1 { fill: #0969da; } .endlabel.s2 { fill: #bc4c00; } .endlabel.s3 { fill: #8250df; }
.endlabel.s4 { fill: #1b7c83; } .endlabel.s5 { fill: #bf3989; }
.mark.pass { fill: var(--pass); }
.mark.fail { stroke: var(--fail); stroke-width: 2.2; fill: none; }
.mark.warn { fill: var(--warn); }
.mark.nodata { fill: #fff; stroke: var(--nodata); stroke-width: 1.5; }
.mark.s0 { fill: #24292f; } .mark.s1 { fill: #0969da; } .mark.s2 { fill: #bc4c00; } .mark.s3 { fill: #8250df; }
.mark.s4 { fill: #1b7c83; } .mark.s5 { fill: #bf3989; }
.line.partial { stroke-dasharray: 3 3; stroke-opacity: 0.7; }
.mark.partial { fill: #fff; stroke: #24292f; stroke-width: 1.6; }
.mark.partial.pass { stroke: var(--pass); } .mark.partial.warn { stroke: var(--warn); }
.mark.partial.fail { stroke: var(--fail); } .mark.partial.s1 { stroke: #0969da; }
.mark.partial.s2 { stroke: #bc4c00; } .mark.partial.s3 { stroke: #8250df; } .mark.partial.s4 { stroke: #1b7c83; }
.mark.partial.s5 { stroke: #bf3989; }
.gap { fill: #fff; stroke: var(--nodata); stroke-width: 1.5; }
.gaprun { stroke: #afb8c1; stroke-width: 5; stroke-linecap: round; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 0; margin: 4px 0 0;
  font-size: 12px; }
.legend li { display: flex; align-items: center; gap: 4px; }
details { margin-top: 6px; }
details.figures caption { white-space: normal; }
details.figures th { white-space: nowrap; }
summary { cursor: pointer; color: #0550ae; font-size: 12.5px; }
details.breakdown { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px;
  margin: 8px 0; }
details.breakdown > summary { font-size: 14px; font-weight: 600; color: var(--ink); }
table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
caption { text-align: left; color: var(--muted); font-size: 12px; padding-bottom: 4px; white-space: nowrap; }
th, td { padding: 3px 10px 3px 0; text-align: left; vertical-align: top; border-bottom: 1px solid #eaeef2; }
thead th { border-bottom: 1px solid var(--line); font-weight: 600; }
tbody th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.st { white-space: nowrap; font-weight: 600; }
td.st .why { font-weight: normal; white-space: normal; }
.st.pass { color: var(--pass); } .st.warn { color: var(--warn); } .st.fail { color: var(--fail); }
.st.nodata { color: var(--nodata); }
tr.fail td.num:first-of-type { color: var(--fail); }
.scroll { overflow-x: auto; }
table.inputs, table.settings, table.methods { background: var(--card); border: 1px solid var(--line); }
table.inputs th, table.inputs td, table.settings th, table.settings td, table.methods th, table.methods td {
  padding: 5px 10px; }
table.inputs ul { margin: 0; padding-left: 16px; }
.rows { color: var(--muted); }
.warnnum { color: var(--fail); font-weight: 600; }
.heats { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure.heat { width: min-content; max-width: 100%; }
figure.heat figcaption p { min-width: 320px; }
table.heatmap { border-collapse: separate; border-spacing: 3px; font-size: 12.5px; }
table.heatmap th { border: 0; padding: 0 4px; text-align: center; color: var(--muted); font-weight: 600; }
table.heatmap tbody th { text-align: right; padding-right: 6px; vertical-align: middle; }
table.heatmap thead td { height: auto; }
table.heatmap td { border: 0; min-width: 44px; height: 30px; padding: 2px 3px; text-align: center; white-space: nowrap;
  vertical-align: middle; font-variant-numeric: tabular-nums; border-radius: 4px; }
table.heatmap td.fail { font-weight: 700; }
table.heatmap td.empty { color: #afb8c1; background: #f6f8fa; }
.legend-list { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 12.5px; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 28px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@media (max-width: 700px) {
  body { padding: 0 10px 16px; }
  .charts { grid-template-columns: 1fr; }
  header.top { grid-template-columns: 1fr; }
}
@media print {
  @page { margin: 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { background: #fff; padding: 0; font-size: 10pt; }
  nav, details.figures { display: none; }
  .tile, figure, tr, details.breakdown { break-inside: avoid; }
  h2 { break-after: avoid; }
  .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .tiles.main { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  .tiles.minor { grid-template-columns: repeat(5, minmax(0, 1fr)); }
  .heats { display: block; }
  figure.heat { margin-bottom: 8px; }
  .scroll { overflow: visible; }
  figure, .tile, details.breakdown, table.inputs, table.settings, table.methods { border-color: #999; }
}
"""
