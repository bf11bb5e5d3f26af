"""The command line: parse options, call the pipeline, render, and map errors to exit codes.

This module holds no KPI logic. Exit codes are decided in :func:`command` only:
0 ok · 1 a fail-level target missed (``check``) · 2 usage, input or targets-file
error · 3 internal error. Heavy libraries (pandas, pyarrow) are imported only
inside commands that compute, so ``hdkpi --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .exitcodes import ExitCode

DEFAULT_TARGETS = "targets.yaml"
EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a fail-level target missed (check); 2 bad usage, unreadable input or "
    "invalid targets file; 3 internal error."
)


class UserError(click.ClickException):
    """A problem the user can fix: one line on stderr, exit 2."""

    exit_code = ExitCode.USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"hdkpi: error: {self.format_message()}", err=True)


class InternalError(click.ClickException):
    exit_code = ExitCode.INTERNAL

    def show(self, file: Any = None) -> None:
        click.echo(f"hdkpi: internal error: {self.format_message()}", err=True)


def command(fn: Callable[..., int | None]) -> Callable[..., None]:
    """The only place that knows exit codes: library errors → 2, bugs → 3 (traceback with --debug)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        from .errors import HdkpiError

        debug = kwargs.get("debug") or os.environ.get("HDKPI_DEBUG") == "1"
        try:
            code = fn(*args, **kwargs)
        except HdkpiError as exc:
            raise UserError(str(exc)) from exc
        except click.ClickException:
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("hdkpi: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if debug:
                traceback.print_exc()
            hint = "" if debug else " (run with --debug for the traceback)"
            raise InternalError(f"{type(exc).__name__}: {exc}{hint}; please report this bug") from exc
        sys.exit(int(code or ExitCode.OK))

    return run


# -- shared options --------------------------------------------------------------------

def checked_mapping(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """--map pairs as a dict, refusing a field mapped twice or a column feeding two fields."""
    from .errors import UsageError

    fields: dict[str, str] = {}
    columns: dict[str, str] = {}
    for fld, column in pairs:
        if fld in fields and fields[fld] != column:
            raise UsageError(f"--map {fld}= is given twice ({fields[fld]!r} and {column!r}); keep one")
        if column in columns and columns[column] != fld:
            raise UsageError(f"--map: column {column!r} is mapped to both {columns[column]} and {fld}; a column "
                             "feeds one field")
        fields[fld], columns[column] = column, fld
    return fields


class KeyValue(click.ParamType):
    """``FIELD=COLUMN`` / ``key=value``; a bad value exits 2 through ``self.fail``."""

    name = "KEY=VALUE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        key, sep, rest = str(value).partition("=")
        if not sep or not key.strip() or not rest.strip():
            self.fail(f"{value!r} is not KEY=VALUE (e.g. agent=Assignee)", param, ctx)
        return key.strip(), rest.strip()


def _zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{value!r} is not a time zone; use an IANA name such as Europe/Paris or UTC") from None
    return value


def _stack(fn: Callable[..., Any], decorators: list[Callable[..., Any]]) -> Callable[..., Any]:
    """Apply option decorators in the order they are listed (the first is the first in --help)."""
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def input_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Files and how to read them; window; KPIs; settings; plugins."""
    decorators = [
        click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True)),
        click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
                     help=f"Targets file (default: ./{DEFAULT_TARGETS} when present)."),
        click.option("--preset", metavar="NAME|FILE",
                     help="The export's layout: a preset name or a mapping file (.yaml) (default: the targets "
                          "file's preset:, else detected)."),
        click.option("--kind", type=click.Choice(["calls", "tickets", "surveys"]),
                     help="What the files hold (default: detected from the header)."),
        click.option("--dayfirst/--monthfirst", "dayfirst", default=None,
                     help="Numeric dates such as 5/3/2026 are day-first or month-first (default: decided from "
                          "each column's values; refused when every value is ambiguous)."),
        click.option("--map", "mapping", type=KeyValue(), multiple=True, metavar="FIELD=COLUMN",
                     help="Read canonical FIELD from COLUMN (repeatable)."),
        click.option("--tz", default="UTC", show_default=True, callback=_zone,
                     help="Time zone of timestamps without an offset, and of --from/--to."),
        click.option("--from", "start", metavar="WHEN", help="Start of the window (inclusive), date or datetime."),
        click.option("--last", metavar="SPAN",
                     help="The window is the SPAN before now (or --now): 24h, 7d, 2w, 1m (a month), 1y."),
        click.option("--now", metavar="WHEN", help="The end of --last (default: now); for cron jobs and tests."),
        click.option("--by", "by", multiple=True, metavar="DIM",
                     help="One result per group of DIM: a field (queue, agent, priority…) or hour, weekday, "
                          "date, week, month of the KPI's anchor time (repeatable: groups of every combination)."),
        click.option("--every", type=click.Choice(["hour", "day", "week", "month"]),
                     help="One result per period of the KPI's anchor time, in --tz."),
        click.option("--definitions", type=click.Choice(["standard", "vendor"]), default="standard",
                     show_default=True,
                     help="vendor: compute the KPIs a vendor defines differently (Zendesk one-touch FCR, "
                          "queue_log abandonment) as its dashboard does, for files read with its preset."),
        click.option("--ci", type=click.FloatRange(50, 99.99), metavar="LEVEL",
                     help="Confidence intervals at LEVEL % (e.g. 95): Wilson for shares, t for means."),
        click.option("--business", is_flag=True,
                     help="Measure frt and resolution times in business time (the targets file's calendar)."),
        click.option("--compare", type=click.Choice(["previous", "last-week", "same-day-last-week", "baseline"]),
                     help="Add an earlier value and the change: the preceding period of the same length, the "
                          "week before, the same span 7 days earlier, or the baseline (--baseline FILE, else the "
                          "mean of the stored periods before); from --history where the input lacks it."),
        click.option("--to", "end", metavar="WHEN", help="End of the window (exclusive), date or datetime."),
        click.option("--kpi", "kpis", multiple=True, metavar="NAME", shell_complete=complete_kpi,
                     help="Compute only this KPI, e.g. asa or 'resolved_within(2d)' (repeatable)."),
        click.option("--set", "overrides", type=KeyValue(), multiple=True, metavar="KEY=VALUE",
                     help="Override a setting, e.g. service_level_threshold=30s (repeatable)."),
        click.option("--plugin", "plugins", multiple=True, metavar="FILE_OR_MODULE",
                     help="Load KPIs from a .py file or module (repeatable)."),
        click.option("--strict", is_flag=True, help="Treat a targeted KPI with no data as a failure."),
        click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
                     help="dask: the same KPIs over data larger than memory or on a cluster (pip install "
                          "'hdkpi[dask]'); FILES may then be globs, directories or URLs."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="With --engine dask: tcp://host:8786 (default: a local cluster), or threads/synchronous."),
        click.option("--blocksize", metavar="SIZE",
                     help="With --engine dask: CSV block size (default 64MiB; 0: whole files)."),
        click.option("--cache", is_flag=True,
                     help="Keep each parsed file (Arrow IPC, memory-mapped) for the next run; HDKPI_CACHE=DIR sets "
                          "the place (default ~/.cache/hdkpi). An unchanged file is not parsed again."),
    ]
    return _stack(fn, decorators)


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option("-f", "--format", "fmt", multiple=True,
                     type=click.Choice(["table", "json", "csv", "markdown", "junit", "github", "html"]),
                     help="Output format (default table); repeat with one -o each: -f json -o a.json -f html -o "
                          "b.html."),
        click.option("-o", "--output", "output", multiple=True, metavar="FILE",
                     help="Write the format before it to FILE (atomically; directories created); may hold "
                          "{date}, {period_end:%Y-%m-%d}, {period_start:…}, {command}."),
        click.option("-q", "--quiet", is_flag=True,
                     help="No messages on stderr; with -f table nothing on stdout either (exit code only)."),
        click.option("--baseline", metavar="FILE",
                     help="Compare with an earlier -f json report: its value and the change, per figure."),
        click.option("--history", metavar="FILE|URL",
                     help="Record every figure of this run in a history database (SQLite file, or a postgresql:// "
                          "URL); its earlier figures feed --compare and the anomaly rule. Also HDKPI_HISTORY, or "
                          "history: in the targets file."),
        click.option("--save-baseline", metavar="FILE",
                     help="Write this run's JSON report to FILE as the next baseline — only when the run "
                          "passes (a failing run never replaces a good baseline)."),
        click.option("--rejects", "rejects_path", metavar="FILE",
                     help="Write every rejected row (file, data row, reason, its cells as read) to FILE (CSV)."),
        click.option("--details", metavar="DIR",
                     help="Write, for each failing figure, the records behind it (one CSV each) into DIR."),
        click.option("--lang", type=click.Choice(["en", "fr", "es", "ru", "vi"]), default="en", show_default=True,
                     help="Language of KPI titles, headings and statuses in the table (machine formats stay "
                          "English)."),
        click.option("--summary-only", is_flag=True,
                     help="Print one line per targeted figure (status, KPI, group, value, target) instead."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]
    return _stack(fn, decorators)


# -- terminal --------------------------------------------------------------------------

def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def use_color() -> bool:
    """Rich styling only on a terminal, and never under NO_COLOR or TERM=dumb; FORCE_COLOR forces it
    (for CI logs that render colour)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return stdout_is_terminal()


def complete_kpi(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of --kpi: the names of the KPI catalogue (plugins named with --plugin too)."""
    from click.shell_completion import CompletionItem

    from .pipeline import build_registry

    try:
        registry = build_registry(list(ctx.params.get("plugins") or ()))
    except Exception:  # completion must never fail loudly
        return []
    return [CompletionItem(k.name + ("(" if any(p.required for p in k.params) else ""), help=k.title)
            for k in registry if k.name.startswith(incomplete)]


def emit(text: str, output: str | None) -> None:
    """Data to ``-o`` (atomic) or stdout."""
    if output and output != "-":
        from .output import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=not text.endswith("\n"), color=True)  # our text has codes only when asked


def message(text: str, quiet: bool) -> None:
    if not quiet:
        click.echo(text, err=True)


@contextlib.contextmanager
def progress_on_stderr(quiet: bool):
    """A spinner with the current stage on stderr, only on a terminal (never in pipes, cron or CI)."""
    if quiet or not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield None
        return
    from rich.console import Console

    console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))

    def show(message: str) -> None:
        text, _, percent = message.rpartition(": ")
        if percent.endswith("%") and percent[:-1].isdigit():  # "reading x.csv: 47%" → a bar
            filled = int(percent[:-1]) * 24 // 100
            message = f"{text} {'━' * filled}{'─' * (24 - filled)} {percent}"
        status.update(f"hdkpi: {message}")

    with console.status("starting", spinner="dots") as status:
        yield show


# -- commands --------------------------------------------------------------------------

class HdkpiGroup(click.Group):
    """Click's usage errors as one line, like every other error of hdkpi (exit 2)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.UsageError as exc:
            if not standalone:
                raise
            where = f"{exc.ctx.command_path}: " if exc.ctx is not None and exc.ctx.command_path else ""
            click.echo(f"hdkpi: error: {where}{exc.format_message()} (see --help)", err=True)
            sys.exit(ExitCode.USAGE)
        except click.ClickException as exc:
            if not standalone:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            if not standalone:
                raise
            click.echo("hdkpi: aborted", err=True)
            sys.exit(1)
        except click.exceptions.Exit as exc:
            if not standalone:
                raise
            sys.exit(exc.exit_code)


@click.group(cls=HdkpiGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="hdkpi")
def cli() -> None:
    """hdkpi: help-desk and call-centre KPIs from your exports, checked against targets.

    \b
      hdkpi report calls.csv tickets.csv     compute and show the KPIs
      hdkpi check calls.csv -t targets.yaml  exit 1 when a target is missed
      hdkpi kpis                              the KPI catalogue and definitions
    """


def _run(command_name: str, *, files: tuple[str, ...], targets: str | None, fmt: tuple[str, ...],
         output: tuple[str, ...], quiet: bool, summary_only: bool, details: str | None, rejects_path: str | None,
         baseline: str | None,
         save_baseline: str | None, lang: str, mapping: tuple, overrides: tuple,
         kpis: tuple[str, ...], plugins: tuple[str, ...], by: tuple[str, ...], debug: bool = False,
         fail_on: str = "fail", **window_and_reading: Any) -> int:
    from .errors import UsageError
    from .pipeline import RunOptions, run_with_engine
    from .render import Format, get_formatter

    if targets is None and Path(DEFAULT_TARGETS).is_file():
        targets = DEFAULT_TARGETS
        message(f"hdkpi: using targets from ./{DEFAULT_TARGETS}", quiet)
    if targets is None and command_name == "check":
        raise UsageError(f"check needs targets: there is no ./{DEFAULT_TARGETS} here; give -t FILE "
                         "(see README, 'Targets file')")
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be given only once")
    for plugin in plugins:
        message(f"hdkpi: loading plugin {plugin}", quiet)
    engine = window_and_reading.pop("engine", "pandas")
    scheduler = window_and_reading.pop("scheduler", None)
    blocksize = window_and_reading.pop("blocksize", None)
    if engine == "pandas" and (scheduler or blocksize):
        raise UsageError("--scheduler and --blocksize go with --engine dask")
    ci = window_and_reading.pop("ci", None)
    from .history import resolve as resolve_history

    window_and_reading["history"] = resolve_history(window_and_reading.get("history"), None)
    options = RunOptions(files=list(files), targets_path=targets, mapping=checked_mapping(mapping), kpis=list(kpis),
                         overrides=dict(overrides), plugins=list(plugins), by=list(by), command=command_name,
                         ci=ci / 100 if ci else None, keep_rejects=bool(rejects_path), **window_and_reading)
    if baseline and options.compare == "baseline":
        options.compare = None  # --baseline FILE is the baseline
    if baseline and options.compare:
        raise UsageError("--baseline and --compare both fill the comparison columns; choose one")
    with progress_on_stderr(quiet) as progress:
        options.progress = progress
        report = run_with_engine(options, engine, scheduler, blocksize)
    if baseline:
        from .baseline import attach_baseline

        matched = attach_baseline(report, baseline)
        report.compare = "baseline"
        message(f"hdkpi: compared {matched} figure(s) with {baseline}", quiet)
    if options.history:
        _record_history(options.history, report, quiet, charts="html" in fmt)
    from .output import expand_path, plan_outputs

    plan = [(fmt, expand_path(path, report) if path not in (None, "-") else None)
            for fmt, path in plan_outputs(fmt, output)]
    for name, path in plan:
        color = use_color() and path is None and name == "table"
        width = shutil.get_terminal_size().columns if color else None
        if summary_only and path is None:
            text = summary_lines(report)
        else:
            text = get_formatter(Format(name), color=color, width=width, lang=lang).render(report)
        if path is None and not (quiet and name == "table" and not summary_only):
            emit(text, None)
        elif path is not None:
            emit(text, path)
            message(f"hdkpi: wrote {path}", quiet)
    if rejects_path:
        from .details import write_rejects

        count = write_rejects(report, expand_path(rejects_path, report))
        message(f"hdkpi: wrote {count} rejected row(s) to {rejects_path}", quiet)
    if details:
        from .details import write_details

        written = write_details(report, expand_path(details, report))
        message(f"hdkpi: wrote {len(written)} detail file(s) into {details}", quiet)
    if any(name != "table" or path is not None for name, path in plan):
        message(_summary_line(report), quiet)
    failed = command_name == "check" and fails(report, fail_on)
    if save_baseline:
        if failed or report.failed:
            message(f"hdkpi: not saving {save_baseline}: the run missed a target (the old baseline stays)", quiet)
        else:
            from .render import get_formatter as formatter

            write_atomic_path = expand_path(save_baseline, report)
            emit(formatter("json").render(report), write_atomic_path)
            message(f"hdkpi: saved baseline {write_atomic_path}", quiet)
    return ExitCode.TARGET_MISSED if failed else ExitCode.OK


def _record_history(location: str, report: Any, quiet: bool, charts: bool) -> None:
    """Write the run's figures to the history store (one transaction), and say what changed."""
    from .history import shown
    from .history_records import record_report

    done = record_report(location, report, charts)
    changes = [f"{done.new} new", f"{done.replaced} replaced", f"{done.unchanged} unchanged"]
    if done.removed:
        changes.append(f"{done.removed} removed")
    message(f"hdkpi: recorded the run in {shown(location)} ({', '.join(changes)})", quiet)


def fails(report: Any, fail_on: str) -> bool:
    """--fail-on fail (default): a fail-level miss; warn: a warn too; never: report only."""
    if fail_on == "never":
        return False
    if fail_on == "warn":
        return report.failed or any(v.status == "warn" for v in report.verdicts)
    return bool(report.failed)


def summary_lines(report: Any) -> str:
    """One line per targeted figure: ``✖ fail  abandonment_rate  queue=billing  12.0 %  (< 10%)``."""
    from .render.base import status_label, value_text
    from .render.table import group_text

    lines = []
    for v in report.verdicts:
        if v.target is None:
            continue
        where = " ".join(x for x in (group_text(v) if v.result.group else "", v.result.period or "") if x)
        lines.append(f"{status_label(v):<10} {v.result.kpi}  {where + '  ' if where else ''}{value_text(v)}  "
                     f"({v.target.text})")
    s = report.summary
    lines.append(f"{s['pass']} passed · {s['warn']} warned · {s['fail']} failed · {s['no_data']} no-data")
    return "\n".join(lines) + "\n"


def _summary_line(report: Any) -> str:
    s = report.summary
    return (f"hdkpi: {s['pass']} passed, {s['warn']} warned, {s['fail']} failed, "
            f"{s['no_data']} no-data")


@cli.command(epilog=EXIT_CODES_HELP)
@input_options
@output_options
@command
def report(strict: bool, **options: Any) -> int:
    """Compute KPIs from FILES and show them (with targets when a targets file is found).

    Exits 0 unless the input or usage is bad: a missed target is shown, not fatal. FILES are
    calls, tickets or surveys exports (CSV, .gz/.bz2/.xz/.zip, Parquet, JSON lines, .xlsx); - reads stdin.
    """
    _run("report", strict=False, **options)
    return ExitCode.OK


@cli.command(epilog=EXIT_CODES_HELP)
@input_options
@output_options
@click.option("--fail-on", type=click.Choice(["fail", "warn", "never"]), default="fail", show_default=True,
              help="Exit 1 on a fail-level miss (fail), on a warn too (warn), or never (report only).")
@command
def check(**options: Any) -> int:
    """Compute KPIs from FILES and hold them against the targets file.

    Exits 1 when any fail-level target is missed, for the overall figure or any group or period
    shown (warn-level misses are shown, exit 0); with --strict a targeted KPI that has no data
    fails too. Uses ./targets.yaml unless -t is given.
    """
    return _run("check", **options)


@cli.command()
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--plugin", "plugins", multiple=True, metavar="FILE_OR_MODULE",
              help="Also list the KPIs of this plugin (repeatable).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@command
def kpis(fmt: str, plugins: tuple[str, ...], debug: bool) -> int:
    """The KPI catalogue: name, title, unit, which way is better, needed fields, definition."""
    from .pipeline import build_registry
    from .render.catalogue import catalogue_json, catalogue_table

    registry = build_registry(list(plugins))
    items = list(registry)
    if fmt == "json":
        click.echo(catalogue_json(items), nl=False)
    else:
        color = use_color()
        width = shutil.get_terminal_size().columns if color else None
        click.echo(catalogue_table(items, color=color, width=width), nl=False)
    return ExitCode.OK


def _reading_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """How to read files, for commands that compute no targets (inspect, init)."""
    decorators = [
        click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True)),
        click.option("--preset", metavar="NAME|FILE", help="The export's layout (default: detected)."),
        click.option("--kind", type=click.Choice(["calls", "tickets", "surveys"]),
                     help="What the files hold (default: detected)."),
        click.option("--map", "mapping", type=KeyValue(), multiple=True, metavar="FIELD=COLUMN",
                     help="Read canonical FIELD from COLUMN (repeatable)."),
        click.option("--tz", default="UTC", show_default=True, callback=_zone,
                     help="Time zone of timestamps without an offset."),
        click.option("--plugin", "plugins", multiple=True, metavar="FILE_OR_MODULE",
                     help="Also consider the KPIs of this plugin (repeatable)."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]
    return _stack(fn, decorators)


@cli.command()
@_reading_options
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@command
def inspect(files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
            plugins: tuple[str, ...], debug: bool, fmt: str) -> int:
    """What hdkpi makes of FILES: format, preset and evidence, column mapping, KPIs it can give
    (and why not the others), date range, row accounting with example rows, value profiles."""
    import json

    from .inspect import inspect_files, render_text
    from .pipeline import RunOptions

    docs = inspect_files(RunOptions(files=list(files), preset=preset, kind=kind, mapping=checked_mapping(mapping),
                                    tz=tz, plugins=list(plugins)))
    click.echo(json.dumps(docs, indent=2, ensure_ascii=False) if fmt == "json" else render_text(docs))
    return ExitCode.OK


@cli.command()
@_reading_options
@click.option("-o", "--output", default=DEFAULT_TARGETS, show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the targets file.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@command
def init(files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
         plugins: tuple[str, ...], debug: bool, output: str, force: bool) -> int:
    """Write a starter targets file fitted to FILES: the usual targets for every KPI they support,
    the detected preset, and commented settings and calendar blocks."""
    from .errors import UsageError
    from .inspect import inspect_files, starter_targets
    from .output import write_atomic
    from .pipeline import RunOptions

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
@_reading_options
@click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
              help="Targets file: its threshold picks the records beyond it (default ./targets.yaml if present).")
@click.option("--group", "group", type=KeyValue(), multiple=True, metavar="DIM=VALUE",
              help="Only this group, e.g. --group queue=billing (repeatable).")
@click.option("--period", metavar="LABEL", help="Only this period (with --every), e.g. 2026-11-02.")
@click.option("--every", type=click.Choice(["hour", "day", "week", "month"]), help="Periods, for --period.")
@click.option("--from", "start", metavar="WHEN", help="Start of the window (inclusive).")
@click.option("--to", "end", metavar="WHEN", help="End of the window (exclusive).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@command
def show(kpi_name: str, files: tuple[str, ...], preset: str | None, kind: str | None, mapping: tuple, tz: str,
         plugins: tuple[str, ...], debug: bool, targets: str | None, group: tuple, period: str | None,
         every: str | None, start: str | None, end: str | None, fmt: str) -> int:
    """The records behind one figure: e.g. the abandoned calls of one queue, the tickets beyond the
    resolution target, the detractors — with their ids and the fields the KPI reads."""
    from .details import records_behind, threshold_of
    from .errors import UsageError
    from .output import guard
    from .pipeline import RunOptions, run

    if targets is None and Path(DEFAULT_TARGETS).is_file():
        targets = DEFAULT_TARGETS
    wanted = dict(group)
    report = run(RunOptions(files=list(files), targets_path=targets, preset=preset, kind=kind,
                            mapping=checked_mapping(mapping), tz=tz, plugins=list(plugins), kpis=[kpi_name],
                            by=list(wanted), every=every,
                            start=start, end=end))
    verdict = next((v for v in report.verdicts if v.result.group == wanted and v.result.period == period), None)
    if verdict is None:
        raise UsageError(f"no figure of {kpi_name} for {wanted or 'all'} {period or ''}".rstrip())
    records = records_behind(report, verdict.result.kpi, wanted, period, threshold_of(verdict))
    if fmt == "csv":
        click.echo(records.map(lambda x: guard(x) if isinstance(x, str) else x).to_csv(index=False,
                                                                                      lineterminator="\n"), nl=False)
    else:
        from .render.base import status_label, value_text

        click.echo(f"{verdict.result.kpi} {value_text(verdict)} {status_label(verdict)} — {len(records):,} "
                   f"record(s) behind it" + (f" (beyond {verdict.target.text})" if verdict.target else ""))
        click.echo(records.to_string(index=False) if len(records) else "(none)")
    return ExitCode.OK


@cli.command()
@click.argument("name")
@_reading_options
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
    from .errors import UsageError
    from .pipeline import RunOptions, run
    from .scorecard import rate, render_text

    targets = targets or (DEFAULT_TARGETS if Path(DEFAULT_TARGETS).is_file() else None)
    if targets is None:
        raise UsageError("scorecard needs a targets file with a scorecards: section; give -t FILE")
    from .pipeline import build_registry
    from .targets import load_targets

    cards = load_targets(targets, build_registry(list(plugins))).scorecards
    if name not in cards:
        raise UsageError(f"no scorecard {name!r} in {targets}; scorecards: {', '.join(cards) or 'none'}")
    card = cards[name]
    report = run(RunOptions(files=list(files), targets_path=targets, preset=preset, kind=kind,
                            mapping=checked_mapping(mapping), tz=tz, plugins=list(plugins),
                            kpis=[c.ref.name for c in card.components],
                            by=[card.by] if card.by else [], start=start, end=end, command="scorecard"))
    table = rate(card, report)
    if fmt == "json":
        import json

        rows = json.loads(table.reset_index().to_json(orient="records"))
        click.echo(json.dumps({"scorecard": name, "by": card.by, "groups": rows}, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        from .output import guard

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
    from .errors import UsageError
    from .units import parse_duration

    try:
        return parse_duration(value, what=f"--{param.name.replace('_', '-')}")
    except UsageError as exc:
        raise click.BadParameter(exc.message) from None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--preset", metavar="NAME|FILE", help="The export's layout (default: detected).")
@click.option("--map", "mapping", type=KeyValue(), multiple=True, metavar="FIELD=COLUMN")
@click.option("--tz", default="UTC", show_default=True, callback=_zone, help="Zone of the intervals.")
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
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
              show_default=True)
@click.option("-o", "--output", "output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@command
def staffing(files: tuple[str, ...], preset: str | None, mapping: tuple, tz: str, start: str | None,
             end: str | None, interval: float, per: str, by: str | None, goal: str | None, answer_within: float | None,
             target_share: float | None, asa_goal: float | None, max_occupancy: float | None, shrinkage: float,
             model: str, patience: float | None, agents: int | None, schedule: str | None, fmt: str,
             output: str | None, debug: bool) -> int:
    """Agents required per interval (Erlang C, or A) for an answer-time goal, beside the agents who
    handled calls: is the desk staffed right at each hour of each weekday?

    Assumes Poisson arrivals, exponential handle times, first come first served and one skill
    (README, "Staffing"). Name the goal with --goal 80/20 or --answer-within 20s --target 80%.
    """
    import json

    from . import erlang
    from .errors import UsageError
    from .pipeline import RunOptions, combine, load_datasets
    from .select import Window, parse_bound
    from .staffing import StaffingOptions, render_grid, staffing_table

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
    datasets = load_datasets(RunOptions(files=list(files), preset=preset, mapping=checked_mapping(mapping), tz=tz),
                             None)
    calls = combine(datasets).get("calls")
    if calls is None:
        raise UsageError("staffing needs a calls export")
    window = Window(parse_bound(start, tz, "--from") if start else None, parse_bound(end, tz, "--to") if end else None)
    if not window.unbounded:
        calls = calls.loc[window.mask(calls["offered_at"])]
    options = StaffingOptions(interval=interval, per=per, goal=service_goal, asa=asa_goal,
                              max_occupancy=max_occupancy, shrinkage=shrinkage or 0.0, model=model,
                              patience=patience, agents=agents, schedule=plan, tz=tz, by=by)
    cells, facts = staffing_table(calls, options)
    if fmt == "json":
        doc = {"staffing": facts, "intervals": json.loads(cells.to_json(orient="records"))}
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = cells.to_csv(index=False, lineterminator="\n")
    elif fmt == "html":
        from .staffing import render_html

        text = render_html(cells, facts, per, by)
    else:
        text = render_grid(cells, facts, per, by)
    emit(text, output)
    return ExitCode.OK


@cli.command("adherence")
@click.argument("schedule_file", metavar="SCHEDULE", type=click.Path(dir_okay=False, exists=True))
@click.argument("states_file", metavar="STATES", type=click.Path(dir_okay=False, exists=True))
@click.option("--calls", "calls_file", type=click.Path(dir_okay=False), help="A calls export, for occupancy.")
@click.option("--every", type=click.Choice(["hour", "day", "week", "month", "none"]), default="day",
              show_default=True)
@click.option("--by", type=click.Choice(["agent", "team", "desk"]), default="agent", show_default=True)
@click.option("--tz", default="UTC", show_default=True, callback=_zone)
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

    from .adherence import adherence, read_schedule, read_states
    from .select import parse_bound
    from .units import format_duration

    schedule = read_schedule(schedule_file, tz)
    states = read_states(states_file, tz)
    for note in states.attrs.get("notes", []):
        click.echo(f"hdkpi: {note}", err=True)
    calls = None
    if calls_file:
        from .pipeline import RunOptions, combine, load_datasets

        calls = combine(load_datasets(RunOptions(files=[calls_file], tz=tz), None)).get("calls")
    table = adherence(schedule, states, calls, every=None if every == "none" else every, tz=tz, by=by,
                      start=parse_bound(start, tz, "--from") if start else None,
                      end=parse_bound(end, tz, "--to") if end else None)
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


@cli.group("cache")
def cache_group() -> None:
    """The parsed-data cache of --cache (HDKPI_CACHE=DIR, or ~/.cache/hdkpi)."""


@cache_group.command("info")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="The cache directory.")
def cache_info(directory: str | None) -> None:
    """Where the cache is, how many files it holds and their size."""
    from .cache import info, resolve_dir

    where = Path(directory) if directory else resolve_dir(True, None)
    facts = info(where)  # type: ignore[arg-type]
    click.echo(f"{facts['directory']}: {facts['entries']} file(s), {facts['bytes'] / 1e6:.1f} MB")


@cache_group.command("clear")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="The cache directory.")
def cache_clear(directory: str | None) -> None:
    """Remove every cached file."""
    from .cache import clear, resolve_dir

    where = Path(directory) if directory else resolve_dir(True, None)
    click.echo(f"hdkpi: removed {clear(where)} cache file(s) from {where}", err=True)  # type: ignore[arg-type]


# -- history ---------------------------------------------------------------------------------------

def history_location(option: str | None, targets: str | None) -> str:
    """--history, HDKPI_HISTORY, then history: of -t FILE (or ./targets.yaml)."""
    from .errors import UsageError
    from .history import resolve

    configured = None
    targets = targets or (DEFAULT_TARGETS if Path(DEFAULT_TARGETS).is_file() else None)
    if option is None and not os.environ.get("HDKPI_HISTORY") and targets is not None:
        from .pipeline import build_registry
        from .targets import load_targets

        configured = load_targets(targets, build_registry([])).history
    found = resolve(option, configured)
    if not found:
        raise UsageError("no history database: give --history FILE (or HDKPI_HISTORY=FILE, or history: in the "
                         "targets file)")
    return found


def _history_where(fn: Callable[..., Any]) -> Callable[..., Any]:
    return _stack(fn, [
        click.option("--history", metavar="FILE|URL", help="The history database (default: HDKPI_HISTORY, else "
                     "history: of the targets file)."),
        click.option("-t", "--targets", "targets", type=click.Path(dir_okay=False),
                     help="Targets file whose history: names the database (default ./targets.yaml)."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ])


def _history_show_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    return _stack(fn, [
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
        click.option("--tz", default="UTC", show_default=True, callback=_zone, help="Zone of --from/--to/--now."),
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
    from .history import opened, shown, utc_text
    from .history_records import pick_every, rows_by_point, select_rows, series_report
    from .history_rollup import rolled_rows
    from .pipeline import RunOptions, resolve_window
    from .render.history import render_csv, render_html, render_json, render_table

    location = history_location(history, targets)
    window = resolve_window(RunOptions(files=[], tz=tz, start=start, end=end, last=last, now=now))
    low = utc_text(window.start) if window.start else None
    high = utc_text(window.end) if window.end else None
    with opened(location, create=False) as store:
        unit = pick_every(store, every, low, high)
        rows = select_rows(store, kpis=list(kpis), by=list(by), every=unit, start=low, end=high)
        if unit in ("week", "month"):  # the periods no run stored, rolled up from their days where exact
            days = select_rows(store, kpis=list(kpis), by=list(by), every="day", start=low, end=high)
            rows += rolled_rows(store, unit, days, rows, low, high)
    if not rows:
        from .errors import UsageError

        asked = f" of {', '.join(kpis)}" if kpis else ""
        rolled = f" (nor a whole {unit} of stored days to roll up)" if unit in ("week", "month") else ""
        raise UsageError(f"the history holds no {unit or 'window'} figures{asked} for that span{rolled}")
    report = series_report(rows, unit, list(by), list(kpis))
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

    from .history import opened, prune, shown, utc_text
    from .select import last_window, parse_bound

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
    from .errors import UsageError
    from .history import opened
    from .history_export import export

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
    from .history import check, shown

    location = history_location(history, targets)
    ok, lines = check(location)
    click.echo(f"{shown(location)}: {'ok' if ok else 'PROBLEMS'}")
    for line in lines:
        click.echo(f"  {line}")
    return ExitCode.OK if ok else ExitCode.TARGET_MISSED


def main() -> None:
    """Console-script entry point."""
    # Arrow's allocator returns freed memory to the system at once (not after a delay): a lower peak
    # while a big export is typed column by column. Read when pyarrow loads, which the commands do later.
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
    cli(prog_name="hdkpi")
