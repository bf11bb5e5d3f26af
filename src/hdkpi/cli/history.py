"""hdkpi history: the stored runs — show, prune, export, check."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..exitcodes import ExitCode
from .base import DEFAULT_TARGETS, cli, command, complete_kpi, emit, stack, use_color, valid_zone


def history_location(option: str | None, targets: str | None) -> str:
    """--history, HDKPI_HISTORY, then history: of -t FILE (or ./targets.yaml)."""
    from ..errors import UsageError
    from ..history.store import resolve

    configured = None
    targets = targets or (DEFAULT_TARGETS if Path(DEFAULT_TARGETS).is_file() else None)
    if option is None and not os.environ.get("HDKPI_HISTORY") and targets is not None:
        from ..run.pipeline import build_registry
        from ..targets.file import load_targets

        configured = load_targets(targets, build_registry([])).history
    found = resolve(option, configured)
    if not found:
        raise UsageError("no history database: give --history FILE (or HDKPI_HISTORY=FILE, or history: in the "
                         "targets file)")
    return found


def _history_where(fn: Callable[..., Any]) -> Callable[..., Any]:
    return stack(fn, [
        click.option("--history", metavar="FILE|URL", help="The history database (default: HDKPI_HISTORY, else "
                     "history: of the targets file)."),
        click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
                     help="Targets file whose history: names the database (default ./targets.yaml)."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ])


def _history_show_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    return stack(fn, [
        click.option("--kpi", "kpis", multiple=True, metavar="NAME", shell_complete=complete_kpi,
                     help="Only this KPI (repeatable; default: every stored KPI)."),
        click.option("--by", "by", multiple=True, metavar="DIM",
                     help="The series of each group of DIM besides the overall one (repeatable)."),
        click.option("--every", type=click.Choice(["hour", "day", "week", "month"]),
                     help="Period length of the series (default: the unit with the most stored figures)."),
        click.option("--last", metavar="SPAN",
                     help="Only periods within the SPAN before now (or --now): 30d, 12w, 3m."),
        click.option("--now", metavar="WHEN", help="The end of --last (default: now)."),
        click.option("--from", "start", metavar="WHEN", help="Only periods starting at or after WHEN."),
        click.option("--to", "end", metavar="WHEN", help="Only periods ending at or before WHEN."),
        click.option("--tz", default="UTC", show_default=True, callback=valid_zone, help="Zone of --from/--to/--now."),
        click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
                     show_default=True, help="html: a self-contained page of trend charts with the target line."),
        click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout."),
    ])


@cli.group("history", invoke_without_command=True)
@_history_where
@_history_show_options
@click.pass_context
def history_group(ctx: click.Context, **options: Any) -> None:
    """The stored figures of earlier runs (--history): per-period series per KPI and group. Weeks and
    months no run stored are rolled up from the stored days where that is exact, marked "(from days)".

    \b
      hdkpi history --kpi service_level --by queue --last 30d
      hdkpi history prune --keep 400d     hdkpi history export -o all.parquet
      hdkpi history check
    """
    if ctx.invoked_subcommand is None:
        history_show_command(**options)


@command
def history_show_command(history: str | None, targets: str | None, debug: bool, kpis: tuple[str, ...],
                         by: tuple[str, ...], every: str | None, last: str | None, now: str | None,
                         start: str | None, end: str | None, tz: str, fmt: str, output: str | None) -> int:
    from ..api import history_report as stored_series
    from ..history.records import rows_by_point
    from ..history.store import shown
    from ..render.history import render_csv, render_html, render_json, render_table

    location = history_location(history, targets)
    report = stored_series(location, kpis=list(kpis), by=list(by), every=every, last=last, now=now, start=start,
                           end=end, tz=tz)
    rows = report.rows
    where = shown(location)
    if fmt == "json":
        text = render_json(report, where, rows_by_point(rows))
    elif fmt == "csv":
        text = render_csv(report, rows_by_point(rows))
    elif fmt == "html":
        text = render_html(report, where)
    else:
        text = render_table(report, where, color=use_color() and not output)
    emit(text, output)
    return ExitCode.OK


@history_group.command("show")
@_history_where
@_history_show_options
def history_show(**options: Any) -> None:
    """The same as bare `hdkpi history`: stored series as trend lines, JSON, CSV or an HTML page."""
    history_show_command(**options)


@history_group.command("prune")
@_history_where
@click.option("--keep", required=True, metavar="SPAN", help="Keep the figures of periods ending within SPAN "
              "before now: 400d, 56w, 13m (months), 2y.")
@click.option("--now", metavar="WHEN", help="Count --keep back from WHEN (default: now).")
@command
def history_prune(history: str | None, targets: str | None, debug: bool, keep: str, now: str | None) -> int:
    """Remove figures of periods that ended before the --keep span, the replacements and runs no longer
    needed, and give the space back."""
    from datetime import datetime, timezone

    from ..engine.select import last_window, parse_bound
    from ..history.store import opened, prune, shown, utc_text

    location = history_location(history, targets)
    end = parse_bound(now, "UTC", "--now") if now else datetime.now(timezone.utc).replace(microsecond=0)
    before = utc_text(last_window(keep, end, "UTC").start)
    with opened(location, create=False) as store:
        counts = prune(store, before)
    click.echo(f"hdkpi: pruned {counts['records']:,} figure(s), {counts['replacements']:,} replacement(s) and "
               f"{counts['runs']:,} run(s) from before {before} in {shown(location)}", err=True)
    return ExitCode.OK


@history_group.command("export")
@_history_where
@click.option("--table", type=click.Choice(["records", "runs", "replacements"]), default="records",
              show_default=True)
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "parquet"]),
              help="Default: parquet for an -o ending .parquet, else csv.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically); csv may go to stdout.")
@command
def history_export(history: str | None, targets: str | None, debug: bool, table: str, fmt: str | None,
                   output: str | None) -> int:
    """A whole table of the store as CSV or Parquet (portable, for BI tools or another store)."""
    from ..errors import UsageError
    from ..history.export import export
    from ..history.store import opened

    fmt = fmt or ("parquet" if output and output.endswith(".parquet") else "csv")
    if fmt == "parquet" and not output:
        raise UsageError("parquet is binary: give -o FILE.parquet")
    with opened(history_location(history, targets), create=False) as store:
        count, text = export(store, table, fmt, output)
    if text is not None:
        emit(text, output)
    if output:
        click.echo(f"hdkpi: wrote {count:,} {table} row(s) to {output}", err=True)
    return ExitCode.OK


@history_group.command("check")
@_history_where
@command
def history_check(history: str | None, targets: str | None, debug: bool) -> int:
    """Integrity of the store (PRAGMA integrity_check, schema version, every figure's run): exit 0 when
    sound, 1 when not, 2 when it cannot be opened."""
    from ..history.store import check, shown

    location = history_location(history, targets)
    ok, lines = check(location)
    click.echo(f"{shown(location)}: {'ok' if ok else 'PROBLEMS'}")
    for line in lines:
        click.echo(f"  {line}")
    return ExitCode.OK if ok else ExitCode.TARGET_MISSED
