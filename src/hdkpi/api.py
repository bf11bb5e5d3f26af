"""hdkpi from Python: the same runs as the command line, on files or on tables an analyst already has.

    >>> import hdkpi
    >>> r = hdkpi.report("examples/calls.csv", by=["queue"])
    >>> r.to_frame().head()                      # one row per KPI × group × period
    >>> r = hdkpi.check(calls=df_calls, targets="targets.yaml")
    >>> r.failed, r.details("asa", group={"queue": "billing"})

:func:`report` and :func:`check` build the run's options as ``hdkpi report`` / ``hdkpi check`` do and run it
through :func:`execute`, which the commands call too: the same defaults, validation and figures. Sources are
paths, globs (sorted), pandas DataFrames or Arrow tables; a table's kind is given by keyword (``calls=df``) or by
wrapping it (``hdkpi.Calls(df)``), else detected from its columns, and its cells go through the same presets
and checks as a file's (a bad cell rejects its row with the same reason; data rows count from 1 in the table's
order). Nothing prints; errors are :mod:`hdkpi.errors` exceptions, the ones the command line turns into exit
codes. :func:`staffing`, :func:`forecast`, :func:`adherence`, :func:`scorecard` and :func:`history_report` are
the library forms of those commands (the last of ``hdkpi history``: ``hdkpi.history`` is the store's package).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, UsageError
from .model import Report as _Report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .run.plan import RunOptions
    from .wfm.forecast import Forecast

DEFAULT_TARGETS = "targets.yaml"
KINDS = ("calls", "tickets", "surveys")


@dataclass(frozen=True)
class Source:
    """A table with its kind: ``hdkpi.Calls(df)``, ``hdkpi.Tickets(table)``, ``hdkpi.Surveys(df)``."""

    data: Any
    kind: str | None = None
    name: str | None = None  #: how the accounting names it (default "DataFrame calls")


def Calls(data: Any, name: str | None = None) -> Source:
    """A calls table (DataFrame or Arrow table)."""
    return Source(data, "calls", name)


def Tickets(data: Any, name: str | None = None) -> Source:
    """A tickets table (DataFrame or Arrow table)."""
    return Source(data, "tickets", name)


def Surveys(data: Any, name: str | None = None) -> Source:
    """A surveys table (DataFrame or Arrow table)."""
    return Source(data, "surveys", name)


class Report(_Report):
    """A run's report (:class:`hdkpi.model.Report`) with what a notebook needs: frames, documents, drill-down."""

    rows: list[dict[str, Any]] | None = None  #: hdkpi.history(): the stored rows behind the series

    @classmethod
    def of(cls, report: _Report) -> Report:
        made = cls.__new__(cls)
        for f in fields(_Report):
            setattr(made, f.name, getattr(report, f.name))
        return made

    def to_frame(self) -> "pd.DataFrame":
        """One row per KPI × group × period: kpi, title, a column per group dimension, period, value (machine
        units: seconds, fractions 0–1, counts, scores), unit, n, numerator, denominator, method, target,
        status, previous, change, notes."""
        import pandas as pd

        dims = list(dict.fromkeys([*self.by, *(d for v in self.verdicts for d in v.result.group)]))
        rows = []
        for v in self.verdicts:
            r = v.result
            rows.append({"kpi": r.kpi, "title": r.title, **{d: r.group.get(d) for d in dims}, "period": r.period,
                         "value": r.value, "unit": r.unit, "n": r.n, "numerator": r.numerator,
                         "denominator": r.denominator, "method": r.method,
                         "target": v.target.text if v.target else None, "status": v.status,
                         "previous": r.compare.value if r.compare else None,
                         "change": r.compare.change if r.compare else None, "notes": "; ".join(r.notes) or None})
        columns = ["kpi", "title", *dims, "period", "value", "unit", "n", "numerator", "denominator", "method",
                   "target", "status", "previous", "change", "notes"]
        return pd.DataFrame(rows, columns=columns)

    def to_json(self) -> str:
        """The schema-1 JSON document, as ``-f json`` writes it."""
        return self.render("json")

    def to_dict(self) -> dict[str, Any]:
        from .document import report_doc

        return report_doc(self)

    def render(self, fmt: str = "table", lang: str = "en") -> str | bytes:
        """The report in any output format (``table`` plain text, ``json``, ``csv``, ``markdown``, ``junit``,
        ``github``, ``html``, ``openmetrics``; ``xlsx`` gives bytes)."""
        from .render import get_formatter

        return get_formatter(fmt, lang=lang).render(self)

    def rejected(self) -> "pd.DataFrame":
        """Every rejected row of every input: file, data row, reason, then its cells as read."""
        from .run.details import rejected_frame

        return rejected_frame(self)

    def details(self, kpi: str, group: dict[str, str | None] | None = None,
                period: str | None = None) -> "pd.DataFrame":
        """The records behind one figure (the abandoned calls, the tickets over the limit…), beyond its target's
        threshold when it has one: ``r.details("asa", group={"queue": "billing"})``."""
        from .run.details import records_behind, threshold_of

        wanted = dict(group or {})
        verdict = next((v for v in self.verdicts if v.result.kpi == kpi and v.result.group == wanted
                        and v.result.period == period), None)
        if verdict is None:
            raise UsageError(f"no figure of {kpi} for {wanted or 'all'} {period or ''}".rstrip())
        return records_behind(self, kpi, wanted, period, threshold_of(verdict))

    def _repr_markdown_(self) -> str:
        return str(self.render("markdown"))

    def _repr_html_(self) -> str:
        from html import escape

        from .render.base import STATUS_LABELS, basis, value_text

        colours = {"pass": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "no-data": "#6e7781"}
        dims = list(dict.fromkeys([*self.by, *(d for v in self.verdicts for d in v.result.group)]))
        head = "".join(f"<th>{escape(h)}</th>" for h in ["KPI", *dims, *(["Period"] if self.every else []),
                                                            "Value", "n", "Basis", "Target", "Status"])
        rows = []
        for v in self.verdicts:
            r = v.result
            status = STATUS_LABELS.get(v.status or "", "")
            cells = [r.kpi, *[("" if r.group.get(d) is None else str(r.group.get(d))) if d in r.group else "all"
                              for d in dims], *([r.period or ""] if self.every else []), value_text(v),
                     f"{r.n:,}", basis(v), v.target.text if v.target else ""]
            rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells)
                        + f'<td style="color:{colours.get(v.status or "", "inherit")}">{escape(status)}</td></tr>')
        s = self.summary
        summary = escape(f"{s['pass']} passed · {s['warn']} warned · {s['fail']} failed · {s['no_data']} no-data")
        return (f"<div><p><b>hdkpi {escape(self.command)}</b> · {summary}</p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>")


# -- the run ----------------------------------------------------------------------------------------------

def sources_of(sources: tuple[Any, ...], named: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Paths (globs expanded, sorted) and in-memory tables (name → (kind, RawTable)) of a run."""
    from .ingest.load import table_of

    files: list[str] = []
    tables: dict[str, Any] = {}
    given = [(s, None) for s in sources] + [(s, kind) for kind, value in named.items() if value is not None
                                            for s in (value if isinstance(value, (list, tuple)) else [value])]
    for source, kind in given:
        if isinstance(source, Source):
            source, kind, name = source.data, source.kind or kind, source.name
        else:
            name = None
        if isinstance(source, (str, Path)):
            text = str(source)
            if any(c in text for c in "*?[") and not Path(text).exists():
                matches = sorted(glob.glob(text))
                if not matches:
                    raise InputError("no file matches this pattern", path=text)
                files.extend(matches)
            else:
                files.append(text)
            continue
        label = name or f"DataFrame {kind or 'table'}"
        while label in tables or label in files:
            label = f"{label} ({len(tables) + 1})"
        tables[label] = (kind, table_of(source, label))
        files.append(label)
    if not files:
        raise UsageError("give at least one source: a path, a glob, or a DataFrame (calls=df, tickets=df, …)")
    return files, tables


def run_options(command: str, sources: tuple[Any, ...] = (), *, targets: str | None = None,
                kpis: list[str] | tuple[str, ...] | str | None = None, by: list[str] | tuple[str, ...] | str = (),
                every: str | None = None, start: Any = None, end: Any = None, last: str | None = None,
                now: Any = None, tz: str = "UTC", preset: str | None = None, mapping: dict[str, str] | None = None,
                settings: dict[str, Any] | None = None, compare: str | None = None, history: str | None = None,
                strict: bool = False, kind: str | None = None, states: str | None = None,
                business: bool = False, definitions: str = "standard", ci: float | None = None,
                plugins: list[str] | tuple[str, ...] = (), keep_rejects: bool = False,
                tables: dict[str, Any] | None = None, **reading: Any) -> "RunOptions":
    """The RunOptions of a run, as the command line builds them: ./targets.yaml when present and no targets
    are given (``check`` needs one), settings as ``--set`` values, the history from HDKPI_HISTORY."""
    from .history.store import resolve as resolve_history
    from .run.plan import RunOptions

    if targets is None and Path(DEFAULT_TARGETS).is_file():
        targets = DEFAULT_TARGETS
    if targets is None and command == "check":
        raise UsageError(f"check needs targets: there is no ./{DEFAULT_TARGETS} here; give targets=FILE")
    if ci is not None and not 50 <= ci <= 99.99:
        raise UsageError(f"ci={ci}: a confidence level in percent between 50 and 99.99, e.g. 95")
    return RunOptions(
        files=list(sources), targets_path=targets, kind=kind, mapping=dict(mapping or {}), tz=tz,
        start=_when(start), end=_when(end), last=last, now=_when(now),
        kpis=[kpis] if isinstance(kpis, str) else list(kpis or []),
        overrides={k: str(v) for k, v in (settings or {}).items()}, plugins=list(plugins), strict=strict,
        command=command, by=[by] if isinstance(by, str) else list(by), every=every, compare=compare, preset=preset,
        definitions=definitions, keep_rejects=keep_rejects, ci=ci / 100 if ci else None, business=business,
        history=resolve_history(history, None), states=states, tables=dict(tables or {}), **reading)


def _when(value: Any) -> str | None:
    """A bound as text: ``"2026-11-01"``, a datetime or a pandas Timestamp (read in ``tz`` when naive)."""
    if value is None or isinstance(value, str):
        return value
    isoformat = getattr(value, "isoformat", None)
    if isoformat is None:
        raise UsageError(f"{value!r} is not a date or time; give an ISO 8601 text or a datetime")
    return isoformat()


def execute(options: "RunOptions", engine: str = "pandas", scheduler: str | None = None,
            blocksize: str | None = None) -> Report:
    """Run: plan, read, compute, evaluate; with a history, record the figures. ``hdkpi report`` and
    ``hdkpi check`` call this too."""
    from .run.engines import run_with_engine

    report = Report.of(run_with_engine(options, engine, scheduler, blocksize))
    return report


def report(*sources: Any, targets: str | None = None, kpis: list[str] | str | None = None,
           by: list[str] | str = (), every: str | None = None, start: Any = None, end: Any = None,
           last: str | None = None, now: Any = None, tz: str = "UTC", preset: str | None = None,
           mapping: dict[str, str] | None = None, settings: dict[str, Any] | None = None,
           compare: str | None = None, history: str | None = None, engine: str = "pandas",
           calls: Any = None, tickets: Any = None, surveys: Any = None, strict: bool = False,
           states: str | None = None, ci: float | None = None, rejected_rows: bool = True,
           **more: Any) -> Report:
    """Compute the KPIs of ``sources`` — as ``hdkpi report`` does — and return the :class:`Report`.

    sources: paths (CSV, .gz/.zip, Parquet, JSON lines, .xlsx), globs, DataFrames or Arrow tables (their kind
    by keyword: ``calls=df``, or ``hdkpi.Calls(df)``). targets: a targets file (default ./targets.yaml when
    present). kpis, by, every, start/end or last (with now), tz, preset, mapping (field → column), settings
    (name → value, as ``--set``), compare, history: as the options of the same name. ``rejected_rows`` keeps the
    rejected rows' cells for :meth:`Report.rejected` (the command line does so with ``--rejects``); False reads
    big clean exports as the command does by default (typed by Arrow, streamed past 256 MiB). Recording
    in ``history`` happens as ``hdkpi report --history`` does. Nothing prints; a bad input or usage raises
    :class:`hdkpi.errors.HdkpiError` with the command line's message."""
    return _library_run("report", sources, locals())


def check(*sources: Any, targets: str | None = None, kpis: list[str] | str | None = None,
          by: list[str] | str = (), every: str | None = None, start: Any = None, end: Any = None,
          last: str | None = None, now: Any = None, tz: str = "UTC", preset: str | None = None,
          mapping: dict[str, str] | None = None, settings: dict[str, Any] | None = None,
          compare: str | None = None, history: str | None = None, engine: str = "pandas",
          calls: Any = None, tickets: Any = None, surveys: Any = None, strict: bool = False,
          states: str | None = None, ci: float | None = None, rejected_rows: bool = True,
          **more: Any) -> Report:
    """:func:`report` held against the targets file, as ``hdkpi check``: ``report.failed`` is what would make
    the command exit 1 (no exit here); ``report.verdicts`` say which figure missed which target."""
    return _library_run("check", sources, locals())


def _library_run(command: str, sources: tuple[Any, ...], given: dict[str, Any]) -> Report:
    files, tables = sources_of(sources, {"calls": given["calls"], "tickets": given["tickets"],
                                         "surveys": given["surveys"]})
    engine = given["engine"]
    more = dict(given["more"])
    scheduler, blocksize = more.pop("scheduler", None), more.pop("blocksize", None)
    if tables and engine != "pandas":
        raise UsageError("DataFrame and Arrow sources run on the pandas engine")
    options = run_options(command, tuple(files), targets=given["targets"], kpis=given["kpis"], by=given["by"],
                          every=given["every"], start=given["start"], end=given["end"], last=given["last"],
                          now=given["now"], tz=given["tz"], preset=given["preset"], mapping=given["mapping"],
                          settings=given["settings"], compare=given["compare"], history=given["history"],
                          strict=given["strict"], states=given["states"], ci=given["ci"],
                          keep_rejects=given["rejected_rows"], tables=tables, **more)
    if options.keep_rejects:
        options.stream = False
    result = execute(options, engine, scheduler, blocksize)
    if options.history:
        from .history.records import record_report

        record_report(options.history, result)
    return result


# -- the people side ---------------------------------------------------------------------------------------

def forecast(*sources: Any, kpi: str | None = None, every: str = "30m", horizon: str | float = "14d",
             now: Any = None, by: str | None = None, model: str = "auto", backtest: str | float | None = None,
             tz: str = "UTC",
             targets: str | None = None, preset: str | None = None, mapping: dict[str, str] | None = None,
             calls: Any = None, tickets: Any = None) -> "Forecast":
    """``hdkpi forecast``: a count KPI per interval for the coming days with an 80 % band and a backtest
    (:class:`hdkpi.wfm.forecast.Forecast`: ``.records``, ``.backtest``, ``.chosen``, ``.notes``)."""
    from .ingest.combine import combine
    from .run.pipeline import load_datasets

    target_file = _targets_file(targets)
    files, tables = sources_of(sources, {"calls": calls, "tickets": tickets})
    options = run_options("forecast", tuple(files), targets=None, tz=tz, preset=preset, mapping=mapping,
                          tables=tables)
    frames = combine(load_datasets(options, target_file))
    return _forecast_of(frames, target_file, kpi=kpi, every=every, horizon=horizon, now=now, by=by, model=model,
                        backtest=backtest, tz=tz)


def _targets_file(targets: str | None) -> Any:
    """The targets file of a forecast or plan (its calendar closes periods; its columns: map the exports)."""
    if not targets:
        return None
    from .run.pipeline import build_registry
    from .targets.file import load_targets

    return load_targets(targets, build_registry([]))


def _forecast_of(frames: dict[str, "pd.DataFrame"], target_file: Any, *, kpi: str | None, every: str,
                 horizon: str | float, now: Any, by: str | None, model: str, backtest: str | float | None,
                 tz: str) -> "Forecast":
    """The forecast of inputs already read (hdkpi forecast, and staffing's plan from the same frames)."""
    from .engine.compute import measure_of
    from .engine.measures import Count
    from .engine.select import Window, parse_bound
    from .run.pipeline import build_registry, resolve_settings
    from .units import parse_duration
    from .wfm.forecast import ForecastOptions, parse_every
    from .wfm.forecast import forecast as forecast_series

    step = parse_every(every)
    name = kpi or ("calls_offered" if "calls" in frames else "ticket_volume" if "tickets" in frames else None)
    if name is None:
        raise UsageError("forecast needs calls or tickets (or kpi= naming a count KPI of the input)")
    ref = build_registry([]).resolve(name)
    settings = resolve_settings(target_file, {})
    calendar = target_file.calendar if target_file is not None else None
    measure, frame, anchor, notes = measure_of(ref, frames, settings, Window(), calendar)
    if measure is None or frame is None:
        raise UsageError(f"forecast {ref.name}: {'; '.join(notes) or 'no data'}")
    if not isinstance(measure, Count) or anchor == "snapshot":
        raise UsageError(f"forecast {ref.name}: not a count of records in time; forecast a count KPI such as "
                         "calls_offered, calls_answered, ticket_volume or tickets_resolved")
    if by and by not in frame:
        raise UsageError(f"--by {by}: the {ref.kpi.kind} have no field {by}")
    seconds = parse_duration(horizon, what="--horizon") if isinstance(horizon, str) else float(horizon)
    span = parse_duration(backtest, what="--backtest") if isinstance(backtest, str) else backtest
    chosen = ForecastOptions(step=step, horizon=seconds, tz=tz, model=model, backtest=span, calendar=calendar,
                             now=parse_bound(_when(now), tz, "--now") if now is not None else None)
    return forecast_series(frame[anchor], measure.mask, frame[by] if by else None, by, ref.name, chosen)


def staffing(*sources: Any, goal: str | None = "80/20", asa: str | float | None = None,
             interval: str | float = "30m",
             per: str = "weekday", by: str | None = None, max_occupancy: float | None = 0.85, shrinkage: float = 0.0,
             model: str = "erlang-c", patience: str | float | None = None, agents: int | None = None,
             schedule: "pd.DataFrame | None" = None, forecast_horizon: str | float | None = None, now: Any = None,
             forecast_model: str = "auto", backtest: str | float | None = None, targets: str | None = None,
             tz: str = "UTC", start: Any = None, end: Any = None, preset: str | None = None,
             mapping: dict[str, str] | None = None, calls: Any = None,
             service_goal: Any = None) -> "pd.DataFrame":
    """``hdkpi staffing``: agents required per interval (Erlang C, or A) for a goal such as ``"80/20"``;
    with ``forecast_horizon="14d"`` the plan ahead from a forecast. A DataFrame, one row per interval; its
    ``attrs["staffing"]`` holds the facts (goal, model, AHT…)."""
    from .engine.select import Window, parse_bound
    from .ingest.combine import combine
    from .run.pipeline import load_datasets
    from .units import parse_duration
    from .wfm import erlang
    from .wfm.staffing import StaffingOptions, plan_table, staffing_table

    if service_goal is None:
        try:
            service_goal = erlang.ServiceGoal.parse(goal) if goal else None
        except ValueError as exc:
            raise UsageError(f"goal: {exc}") from None
    seconds = parse_duration(interval, what="interval") if isinstance(interval, str) else float(interval)

    def duration(value: str | float | None, what: str) -> float | None:
        return parse_duration(value, what=what) if isinstance(value, str) else value

    files, tables = sources_of(sources, {"calls": calls})
    target_file = _targets_file(targets) if forecast_horizon is not None else None
    frames = combine(load_datasets(run_options("staffing", tuple(files), tz=tz, preset=preset, mapping=mapping,
                                               tables=tables), target_file))
    calls_frame = frames.get("calls")
    if calls_frame is None:
        raise UsageError("staffing needs a calls export")
    window = Window(parse_bound(_when(start), tz, "--from") if start is not None else None,
                    parse_bound(_when(end), tz, "--to") if end is not None else None)
    if not window.unbounded:
        calls_frame = calls_frame.loc[window.mask(calls_frame["offered_at"])]
    options = StaffingOptions(interval=seconds, per=per, goal=service_goal, asa=duration(asa, "asa"),
                              max_occupancy=max_occupancy, shrinkage=shrinkage, model=model,
                              patience=duration(patience, "patience"), agents=agents, schedule=schedule, tz=tz,
                              by=by)
    if forecast_horizon is not None:
        fc = _forecast_of(frames, target_file, kpi="calls_offered", every=f"{int(seconds) // 60}m",
                          horizon=forecast_horizon, now=now, by=by, model=forecast_model, backtest=backtest, tz=tz)
        cells, facts = plan_table(calls_frame, fc, options)
    else:
        cells, facts = staffing_table(calls_frame, options)
    cells.attrs["staffing"] = facts
    return cells


def history_report(location: str | None = None, *, kpis: list[str] | str | None = None, by: list[str] | str = (),
            every: str | None = None, last: str | None = None, now: Any = None, start: Any = None, end: Any = None,
            tz: str = "UTC", targets: str | None = None) -> Report:
    """``hdkpi history``: the stored series of earlier runs (``location``: the store, else the targets file's
    history: or HDKPI_HISTORY) as a :class:`Report`, one record per KPI, group and period; weeks and months no
    run stored are rolled up from the stored days where that is exact."""
    from .history.records import pick_every, select_rows, series_report
    from .history.rollup import rolled_rows
    from .history.store import opened, utc_text
    from .run.plan import RunOptions, resolve_window

    where = history_location(location, targets)
    kpi_list = [kpis] if isinstance(kpis, str) else list(kpis or [])
    dims = [by] if isinstance(by, str) else list(by)
    window = resolve_window(RunOptions(files=[], tz=tz, start=_when(start), end=_when(end), last=last, now=_when(now)))
    low = utc_text(window.start) if window.start else None
    high = utc_text(window.end) if window.end else None
    with opened(where, create=False) as store:
        unit = pick_every(store, every, low, high)
        rows = select_rows(store, kpis=kpi_list, by=dims, every=unit, start=low, end=high)
        if unit in ("week", "month"):  # the periods no run stored, rolled up from their days where exact
            days = select_rows(store, kpis=kpi_list, by=dims, every="day", start=low, end=high)
            rows += rolled_rows(store, unit, days, rows, low, high)
    if not rows:
        asked = f" of {', '.join(kpi_list)}" if kpi_list else ""
        rolled = f" (nor a whole {unit} of stored days to roll up)" if unit in ("week", "month") else ""
        raise UsageError(f"the history holds no {unit or 'window'} figures{asked} for that span{rolled}")
    series = Report.of(series_report(rows, unit, dims, kpi_list))
    series.rows = rows  # the stored rows behind the series (the JSON and CSV of hdkpi history show them)
    return series


def history_location(location: str | None, targets: str | None) -> str:
    """The store: the one given, else the targets file's history:, else HDKPI_HISTORY."""
    from .history.store import resolve

    configured = None
    if location is None and targets:
        from .run.plan import build_registry
        from .targets.file import load_targets

        configured = load_targets(targets, build_registry([])).history
    found = resolve(location, configured)
    if not found:
        raise UsageError("no history store: give --history FILE (or history: in the targets file, or HDKPI_HISTORY)")
    return found


def scorecard(name: str, *sources: Any, targets: str | None = None, start: Any = None, end: Any = None,
              tz: str = "UTC", preset: str | None = None, kind: str | None = None,
              mapping: dict[str, str] | None = None, plugins: list[str] | tuple[str, ...] = (),
              calls: Any = None, tickets: Any = None, surveys: Any = None) -> "pd.DataFrame":
    """``hdkpi scorecard``: the groups of scorecard ``name`` (targets file's scorecards:) rated — each
    component's value, n and score, the composite score and the rank."""
    from .run.plan import build_registry
    from .targets.file import load_targets
    from .targets.scorecard import rate

    targets = targets or (DEFAULT_TARGETS if Path(DEFAULT_TARGETS).is_file() else None)
    if targets is None:
        raise UsageError("scorecard needs a targets file with a scorecards: section; give targets=FILE")
    cards = load_targets(targets, build_registry(list(plugins))).scorecards
    if name not in cards:
        raise UsageError(f"no scorecard {name!r} in {targets}; scorecards: {', '.join(cards) or 'none'}")
    card = cards[name]
    files, in_memory = sources_of(sources, {"calls": calls, "tickets": tickets, "surveys": surveys})
    options = run_options("scorecard", tuple(files), targets=targets, kpis=[c.ref.name for c in card.components],
                          by=[card.by] if card.by else [], start=start, end=end, tz=tz, preset=preset, kind=kind,
                          mapping=mapping, plugins=plugins, tables=in_memory)
    table = rate(card, execute(options))
    table.attrs["scorecard"] = {"name": name, "by": card.by, "card": card}
    return table


def adherence(schedule: str, states: str, calls: Any = None, *, every: str | None = "day", by: str = "agent",
              tz: str = "UTC", start: Any = None, end: Any = None) -> "pd.DataFrame":
    """``hdkpi adherence``: schedule adherence, conformance and (with calls) occupancy per agent, team or desk
    and period, from a schedule file and agent states (or an Asterisk queue_log); ``attrs["notes"]`` says what
    was read around."""
    from .engine.select import parse_bound
    from .wfm.adherence import adherence as adherence_table
    from .wfm.adherence import read_schedule, read_states

    plan = read_schedule(schedule, tz)
    seen = read_states(states, tz)
    calls_frame = None
    if calls is not None:
        from .ingest.combine import combine
        from .run.pipeline import load_datasets

        files, tables = sources_of((), {"calls": calls})
        calls_frame = combine(load_datasets(run_options("adherence", tuple(files), tz=tz, tables=tables),
                                            None)).get("calls")
    table = adherence_table(plan, seen, calls_frame, every=every, tz=tz, by=by,
                            start=parse_bound(_when(start), tz, "--from") if start is not None else None,
                            end=parse_bound(_when(end), tz, "--to") if end is not None else None)
    table.attrs["notes"] = list(seen.attrs.get("notes", []))
    return table
