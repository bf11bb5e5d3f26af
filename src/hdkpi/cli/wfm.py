"""scorecard, staffing, forecast and adherence: the people side — agents and teams scored, Erlang staffing, the
volume forecast and the staffed plan, schedule adherence."""

from __future__ import annotations

from typing import Any

import click

from ..exitcodes import ExitCode
from ..wfm.forecast import MODELS
from .base import KeyValue, checked_mapping, cli, command, emit, reading_options, valid_zone

#: --model of hdkpi forecast, --forecast-model of hdkpi staffing (hdkpi.wfm.forecast.MODELS)
FORECAST_MODELS = ("auto", *MODELS)


@cli.command()
@click.argument("name")
@reading_options
@click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
              help="Targets file with the scorecards: section (default ./targets.yaml).")
@click.option("--from", "start", metavar="WHEN", help="Start of the window (inclusive).")
@click.option("--to", "end", metavar="WHEN", help="End of the window (exclusive).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@command
def scorecard(name: str, files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
              plugins: tuple[str, ...], debug: bool, targets: str | None, start: str | None, end: str | None,
              fmt: str) -> int:
    """Rate the groups of scorecard NAME (targets file's scorecards: section): each component's value, n
    and score, the composite score and the rank; groups that cannot be rated say why."""
    from ..api import scorecard as rated
    from ..targets.scorecard import render_text

    table = rated(name, *files, targets=targets, start=start, end=end, tz=tz, preset=preset, kind=kind,
                  mapping=checked_mapping(mapping), plugins=plugins)
    card = table.attrs["scorecard"]["card"]
    if fmt == "json":
        import json

        rows = json.loads(table.reset_index().to_json(orient="records"))
        click.echo(json.dumps({"scorecard": name, "by": card.by, "groups": rows}, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        from ..output import guard

        click.echo(table.reset_index().map(lambda x: guard(x) if isinstance(x, str) else x)
                   .to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        click.echo(render_text(card, table), nl=False)
    return ExitCode.OK


def _percent(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip().rstrip("%")
    try:
        number = float(text) / 100 if value.strip().endswith("%") or float(text) > 1 else float(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a percentage such as 85%") from None
    if not 0 <= number < 1:
        raise click.BadParameter(f"{value!r} must be between 0% and 100%")
    return number


def _seconds(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    from ..errors import UsageError
    from ..units import parse_duration

    try:
        return parse_duration(value, what=f"--{param.name.replace('_', '-')}")
    except UsageError as exc:
        raise click.BadParameter(exc.message) from None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--preset", metavar="NAME|FILE", help="The export's layout (default: detected).")
@click.option("--map", "mapping", type=KeyValue(), multiple=True, metavar="FIELD=COLUMN")
@click.option("--tz", default="UTC", show_default=True, callback=valid_zone, help="Zone of the intervals.")
@click.option("--from", "start", metavar="WHEN", help="Use calls from (inclusive).")
@click.option("--to", "end", metavar="WHEN", help="Use calls to (exclusive).")
@click.option("--interval", default="30m", show_default=True, callback=_seconds, help="15m, 30m or 60m.")
@click.option("--per", type=click.Choice(["weekday", "date"]), default="weekday", show_default=True,
              help="Average each interval over the weeks (weekday) or show every date.")
@click.option("--by", "by", metavar="DIM", help="A requirement per group, e.g. --by queue when each queue has "
              "its own agents (Erlang C pools every agent of a group).")
@click.option("--goal", metavar="SHARE/SECONDS", help="Answer-time goal, e.g. 80/20 (80 % within 20 s).")
@click.option("--answer-within", "answer_within", callback=_seconds, metavar="DURATION",
              help="The answer time of the goal (with --target).")
@click.option("--target", "target_share", callback=_percent, metavar="PERCENT",
              help="The share answered within --answer-within, e.g. 80%.")
@click.option("--asa", "asa_goal", callback=_seconds, metavar="DURATION",
              help="Also (or only) keep the average speed of answer at or under this, e.g. 30s.")
@click.option("--max-occupancy", default="85%", show_default=True, callback=_percent,
              help="Never plan agents busier than this.")
@click.option("--shrinkage", default="0%", show_default=True, callback=_percent,
              help="Share of paid time off the phones (breaks, training…): gross agents = need ÷ (1 − shrinkage).")
@click.option("--model", type=click.Choice(["erlang-c", "erlang-a"]), default="erlang-c", show_default=True,
              help="erlang-a adds abandonment (callers' patience).")
@click.option("--patience", callback=_seconds, metavar="DURATION",
              help="Mean patience for erlang-a (default: estimated from the export: total wait ÷ abandons).")
@click.option("--agents", type=click.IntRange(min=0), help="What-if: this many agents in every interval.")
@click.option("--schedule", type=click.Path(dir_okay=False, exists=True),
              help="What-if: a CSV of weekday, interval (HH:MM), agents planned.")
@click.option("--forecast", "forecast_span", callback=_seconds, metavar="SPAN",
              help="Plan ahead: forecast the calls (and AHT) per interval for SPAN after --now, e.g. 14d, and give "
                   "the agents needed per future interval, at the forecast and at both ends of its 80 % band.")
@click.option("--now", metavar="WHEN", help="With --forecast: where the plan starts (default: after the last call).")
@click.option("--forecast-model", default="auto", show_default=True,
              type=click.Choice(FORECAST_MODELS),
              help="With --forecast: the volume model (hdkpi forecast --model).")
@click.option("--backtest", callback=_seconds, metavar="SPAN", help="With --forecast: the backtest span, e.g. 4w.")
@click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
              help="With --forecast: a targets file whose calendar: closes periods (holidays, open hours).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
              show_default=True)
@click.option("-o", "--output", "output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@command
def staffing(files: tuple[str, ...], preset: str | None, mapping: tuple, tz: str, start: str | None,
             end: str | None, interval: float, per: str, by: str | None, goal: str | None, answer_within: float | None,
             target_share: float | None, asa_goal: float | None, max_occupancy: float | None, shrinkage: float,
             model: str, patience: float | None, agents: int | None, schedule: str | None,
             forecast_span: float | None, now: str | None, forecast_model: str, backtest: float | None,
             targets: str | None, fmt: str, output: str | None, debug: bool) -> int:
    """Agents required per interval (Erlang C, or A) for an answer-time goal, beside the agents who
    handled calls: is the desk staffed right at each hour of each weekday?

    Assumes Poisson arrivals, exponential handle times, first come first served and one skill
    (README, "Staffing"). Name the goal with --goal 80/20 or --answer-within 20s --target 80%.
    """
    import json

    from ..errors import UsageError
    from ..wfm import erlang
    from ..wfm.staffing import render_grid

    if goal and (answer_within is not None or target_share is not None):
        raise UsageError("give --goal 80/20, or --answer-within with --target, not both")
    service_goal = None
    try:
        if goal:
            service_goal = erlang.ServiceGoal.parse(goal)
        elif answer_within is not None or target_share is not None:
            if answer_within is None or target_share is None:
                raise UsageError("--answer-within and --target go together, e.g. --answer-within 20s --target 80%")
            service_goal = erlang.ServiceGoal(target_share, answer_within)
    except ValueError as exc:
        raise UsageError(f"--goal: {exc}") from None
    if service_goal is None and asa_goal is None:
        service_goal = erlang.ServiceGoal(0.8, 20.0)
    plan = None
    if schedule:
        import pandas as pd

        plan = pd.read_csv(schedule, dtype=str)
        if not {"weekday", "interval", "agents"} <= set(plan.columns):
            raise UsageError(f"--schedule {schedule}: needs columns weekday, interval, agents")
    if forecast_span is None and (now or backtest or targets):
        raise UsageError("--now, --backtest and -t go with --forecast (the plan ahead)")
    if forecast_span is not None and (agents is not None or schedule or start or end):
        raise UsageError("--forecast plans the future; --agents, --schedule, --from and --to look at the past")
    from ..api import staffing as required_agents

    cells = required_agents(*files, service_goal=service_goal, goal=None, asa=asa_goal, interval=interval, per=per,
                            by=by, max_occupancy=max_occupancy, shrinkage=shrinkage or 0.0, model=model,
                            patience=patience, agents=agents, schedule=plan, forecast_horizon=forecast_span,
                            now=now, forecast_model=forecast_model, backtest=backtest, targets=targets, tz=tz,
                            start=start, end=end, preset=preset, mapping=checked_mapping(mapping))
    facts = cells.attrs.pop("staffing")
    if forecast_span is not None:
        per = "date"
    if fmt == "json":
        doc = {"staffing": facts, "intervals": json.loads(cells.to_json(orient="records"))}
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = cells.to_csv(index=False, lineterminator="\n")
    elif fmt == "html":
        from ..wfm.staffing import render_html

        text = render_html(cells, facts, per, by)
    else:
        text = render_grid(cells, facts, per, by)
    emit(text, output)
    return ExitCode.OK


@cli.command("forecast")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--preset", metavar="NAME|FILE", help="The export's layout (default: detected).")
@click.option("--map", "mapping", type=KeyValue(), multiple=True, metavar="FIELD=COLUMN")
@click.option("--tz", default="UTC", show_default=True, callback=valid_zone, help="Zone of the intervals and days.")
@click.option("--kpi", "kpi", metavar="NAME", help="The count KPI to forecast (default calls_offered for calls, "
              "ticket_volume for tickets).")
@click.option("--every", default="30m", show_default=True, help="15m, 30m, 1h or day.")
@click.option("--horizon", default="14d", show_default=True, callback=_seconds, help="How far ahead, e.g. 7d.")
@click.option("--now", metavar="WHEN", help="Where the forecast starts; only records before it are used (default: "
              "the interval after the last record).")
@click.option("--by", "by", metavar="DIM", help="One forecast per group, e.g. --by queue.")
@click.option("--model", default="auto", show_default=True,
              type=click.Choice(FORECAST_MODELS),
              help="auto: per series, the model with the lowest interval WAPE in the backtest.")
@click.option("--backtest", callback=_seconds, metavar="SPAN",
              help="Rolling-origin backtest over the last SPAN before --now, e.g. 4w (default: 2 weeks when the "
                   "history allows).")
@click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
              help="Targets file whose calendar: closes periods (holidays, open hours).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "json", "html"]), default="table",
              show_default=True)
@click.option("-o", "--output", "output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@command
def forecast_command(files: tuple[str, ...], preset: str | None, mapping: tuple, tz: str, kpi: str | None,
                     every: str, horizon: float, now: str | None, by: str | None, model: str,
                     backtest: float | None, targets: str | None, fmt: str, output: str | None, debug: bool) -> int:
    """Forecast a count KPI per interval for the next days, with an 80 % band, judged by a backtest
    against the seasonal naive (same weekday and interval last week).

    CSV columns: period_start (ISO 8601 with offset), the --by dimension, kpi, forecast, low, high, model.
    Models and their rules: README, "Forecast and plan".
    """
    from ..wfm import forecast as fc

    result = run_forecast(files, preset, mapping, tz, kpi, every, horizon, now, by, model, backtest, targets)
    text = {"csv": fc.records_csv, "json": fc.records_json, "html": fc.render_html}.get(fmt, fc.render_text)(result)
    emit(text, output)
    return ExitCode.OK


def run_forecast(files: tuple[str, ...], preset: str | None, mapping: tuple, tz: str, kpi: str | None,
                 every: str, horizon: float, now: str | None, by: str | None, model: str, backtest: float | None,
                 targets: str | None) -> "Any":
    """The library's forecast (hdkpi.api.forecast) with the command line's options."""
    from ..api import forecast

    return forecast(*files, kpi=kpi, every=every, horizon=horizon, now=now, by=by, model=model, backtest=backtest,
                    tz=tz, targets=targets, preset=preset, mapping=checked_mapping(mapping))


@cli.command("adherence")
@click.argument("schedule_file", metavar="SCHEDULE", type=click.Path(dir_okay=False, exists=True))
@click.argument("states_file", metavar="STATES", type=click.Path(dir_okay=False, exists=True))
@click.option("--calls", "calls_file", type=click.Path(dir_okay=False), help="A calls export, for occupancy.")
@click.option("--every", type=click.Choice(["hour", "day", "week", "month", "none"]), default="day",
              show_default=True)
@click.option("--by", type=click.Choice(["agent", "team", "desk"]), default="agent", show_default=True)
@click.option("--tz", default="UTC", show_default=True, callback=valid_zone)
@click.option("--from", "start", metavar="WHEN")
@click.option("--to", "end", metavar="WHEN")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@command
def adherence_command(schedule_file: str, states_file: str, calls_file: str | None, every: str, by: str, tz: str,
                      start: str | None, end: str | None, fmt: str, debug: bool) -> int:
    """Schedule adherence (time in the scheduled activity ÷ scheduled time), conformance (worked ÷
    scheduled work) and occupancy (handling ÷ ready time, with --calls) per agent, team or desk and
    period, from a schedule (agent, start, end, activity) and agent states (agent, state, from, to —
    or an Asterisk queue_log)."""
    import json

    from ..api import adherence
    from ..units import format_duration

    table = adherence(schedule_file, states_file, calls_file, every=None if every == "none" else every, by=by,
                      tz=tz, start=start, end=end)
    for note in table.attrs.get("notes", []):
        click.echo(f"hdkpi: {note}", err=True)
    if fmt == "json":
        click.echo(json.dumps(json.loads(table.to_json(orient="records")), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        def pct(x: float) -> str:
            return "—" if x != x else f"{x:.1%}"

        lines = [f"{'agent':<10} {'team':<8} {'period':<11} {'scheduled':>10} {'adherence':>9} {'conformance':>11} "
                 f"{'occupancy':>9}  notes"]
        for _, r in table.iterrows():
            lines.append(f"{str(r['agent'])[:10]:<10} {str(r['team'])[:8]:<8} {r['period']!s:<11} "
                         f"{format_duration(r['scheduled_seconds']):>10} {pct(r['adherence']):>9} "
                         f"{pct(r['conformance']):>11} {pct(r['occupancy']):>9}  {r['notes'] or ''}".rstrip())
        click.echo("\n".join(lines))
    return ExitCode.OK
