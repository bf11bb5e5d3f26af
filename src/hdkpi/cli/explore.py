"""kpis, inspect, init and show: the catalogue, what an export holds, a starter targets file, the records
behind a figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from ..exitcodes import ExitCode
from .base import DEFAULT_TARGETS, KeyValue, checked_mapping, cli, command, reading_options, use_color


@cli.command()
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--plugin", "plugins", multiple=True, metavar="FILE_OR_MODULE",
              help="Also list the KPIs of this plugin (repeatable).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@command
def kpis(fmt: str, plugins: tuple[str, ...], debug: bool) -> int:
    """The KPI catalogue: name, title, unit, which way is better, needed fields, definition."""
    from ..render.catalogue import catalogue_json, catalogue_table
    from ..run.pipeline import build_registry

    registry = build_registry(list(plugins))
    items = list(registry)
    if fmt == "json":
        click.echo(catalogue_json(items), nl=False)
    else:
        color = use_color()
        width = shutil.get_terminal_size().columns if color else None
        click.echo(catalogue_table(items, color=color, width=width), nl=False)
    return ExitCode.OK


@cli.command()
@reading_options
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@command
def inspect(files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
            plugins: tuple[str, ...], debug: bool, fmt: str) -> int:
    """What hdkpi makes of FILES: format, preset and evidence, column mapping, KPIs it can give
    (and why not the others), date range, row accounting with example rows, value profiles."""
    import json

    from ..run.inspect import inspect_files, render_text
    from ..run.pipeline import RunOptions

    docs = inspect_files(RunOptions(files=list(files), preset=preset, kind=kind, mapping=checked_mapping(mapping),
                                    tz=tz, plugins=list(plugins)))
    click.echo(json.dumps(docs, indent=2, ensure_ascii=False) if fmt == "json" else render_text(docs))
    return ExitCode.OK


@cli.command()
@reading_options
@click.option("-o", "--output", default=DEFAULT_TARGETS, show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the targets file.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@command
def init(files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
         plugins: tuple[str, ...], debug: bool, output: str, force: bool) -> int:
    """Write a starter targets file fitted to FILES: the usual targets for every KPI they support,
    the detected preset, and commented settings and calendar blocks."""
    from ..errors import UsageError
    from ..output import write_atomic
    from ..run.inspect import inspect_files, starter_targets
    from ..run.pipeline import RunOptions

    if Path(output).exists() and not force:
        raise UsageError(f"{output} exists; give --force to overwrite it, or -o another file")
    docs = inspect_files(RunOptions(files=list(files), preset=preset, kind=kind, mapping=checked_mapping(mapping),
                                    tz=tz, plugins=list(plugins)))
    write_atomic(output, starter_targets(docs))
    click.echo(f"hdkpi: wrote {output}; next: hdkpi check {' '.join(files)}" + ("" if output == DEFAULT_TARGETS
                                                                               else f" -t {output}"), err=True)
    return ExitCode.OK


@cli.command()
@click.argument("kpi_name", metavar="KPI")
@reading_options
@click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
              help="Targets file: its threshold picks the records beyond it (default ./targets.yaml if present).")
@click.option("--group", "group", type=KeyValue(), multiple=True, metavar="DIM=VALUE",
              help="Only this group, e.g. --group queue=billing (repeatable).")
@click.option("--period", metavar="LABEL", help="Only this period (with --every), e.g. 2026-11-02.")
@click.option("--every", type=click.Choice(["hour", "day", "week", "month"]), help="Periods, for --period.")
@click.option("--from", "start", metavar="WHEN", help="Start of the window (inclusive).")
@click.option("--to", "end", metavar="WHEN", help="End of the window (exclusive).")
@click.option("--now", metavar="WHEN", help="The instant open tickets' SLA clocks are read at (default: now).")
@click.option("--states", metavar="FILE", type=click.Path(dir_okay=False),
              help="Tickets' state history for SLA clocks (ticket_id, state, at).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@command
def show(kpi_name: str, files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
         plugins: tuple[str, ...], debug: bool, targets: str | None, group: tuple, period: str | None,
         every: str | None, start: str | None, end: str | None, now: str | None, states: str | None,
         fmt: str) -> int:
    """The records behind one figure: e.g. the abandoned calls of one queue, the tickets beyond the
    resolution target, the detractors — with their ids and the fields the KPI reads."""
    from ..errors import UsageError
    from ..output import guard
    from ..run.details import records_behind, threshold_of
    from ..run.pipeline import RunOptions, run

    if targets is None and Path(DEFAULT_TARGETS).is_file():
        targets = DEFAULT_TARGETS
    wanted = dict(group)
    report = run(RunOptions(files=list(files), targets_path=targets, preset=preset, kind=kind,
                            mapping=checked_mapping(mapping), tz=tz, plugins=list(plugins), kpis=[kpi_name],
                            by=list(wanted), every=every,
                            start=start, end=end, now=now, states=states))
    verdict = next((v for v in report.verdicts if v.result.group == wanted and v.result.period == period), None)
    if verdict is None:
        raise UsageError(f"no figure of {kpi_name} for {wanted or 'all'} {period or ''}".rstrip())
    records = records_behind(report, verdict.result.kpi, wanted, period, threshold_of(verdict))
    if fmt == "csv":
        click.echo(records.map(lambda x: guard(x) if isinstance(x, str) else x).to_csv(index=False,
                                                                                      lineterminator="\n"), nl=False)
    else:
        from ..render.base import status_label, value_text

        click.echo(f"{verdict.result.kpi} {value_text(verdict)} {status_label(verdict)} — {len(records):,} "
                   f"record(s) behind it" + (f" (beyond {verdict.target.text})" if verdict.target else ""))
        click.echo(records.to_string(index=False) if len(records) else "(none)")
    return ExitCode.OK
