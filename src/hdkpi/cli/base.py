"""The shared part of the command line: the group, the option decorators, output helpers, and :func:`command`,
the one place where errors become exit codes (0 ok, 1 target missed, 2 usage/input/targets error, 3 internal)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from ..exitcodes import ExitCode
from ..version import __version__

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
        from ..errors import HdkpiError

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
    from ..errors import UsageError

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


def valid_zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{value!r} is not a time zone; use an IANA name such as Europe/Paris or UTC") from None
    return value


def stack(fn: Callable[..., Any], decorators: list[Callable[..., Any]]) -> Callable[..., Any]:
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
        click.option("--tz", default="UTC", show_default=True, callback=valid_zone,
                     help="Time zone of timestamps without an offset, and of --from/--to."),
        click.option("--from", "start", metavar="WHEN", help="Start of the window (inclusive), date or datetime."),
        click.option("--last", metavar="SPAN",
                     help="The window is the SPAN before now (or --now): 24h, 7d, 2w, 1m (a month), 1y."),
        click.option("--now", metavar="WHEN",
                     help="The end of --last and the instant open tickets' SLA clocks are read at (default: now); "
                          "for cron jobs, tests and old exports."),
        click.option("--states", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=False),
                     help="Tickets' state history for SLA clocks that pause: a CSV of ticket_id, state, at (Zendesk "
                          "audits, Jira changelogs); event logs carry their own."),
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
        click.option("--stream/--no-stream", default=None,
                     help="Aggregate a CSV export block by block as it is read, in bounded memory (default: for "
                          "clean canonical CSV inputs of 256 MiB or more; the figures are the same either way)."),
        click.option("--cache", is_flag=True,
                     help="Keep each parsed file (Arrow IPC, memory-mapped) for the next run; HDKPI_CACHE=DIR sets "
                          "the place (default ~/.cache/hdkpi). An unchanged file is not parsed again."),
    ]
    return stack(fn, decorators)


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option("-f", "--format", "fmt", multiple=True,
                     type=click.Choice(["table", "json", "csv", "markdown", "junit", "github", "html", "openmetrics",
                                        "xlsx"]),
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
        click.option("--notify", "notify", multiple=True, metavar="URL",
                     help="Send the verdict through Apprise (pip install 'hdkpi[notify]'): mailto://, slack://, "
                          "msteams://, json://… (repeatable; also notify: in the targets file). Keep secrets in the "
                          "environment: --notify \"$HDKPI_NOTIFY\"."),
        click.option("--notify-on", "notify_on", type=click.Choice(["fail", "warn", "change", "always"]),
                     help="When to send: a fail-level miss (fail, the default), a warn too, a target's status "
                          "changed since the stored run (change, needs --history), or always."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]
    return stack(fn, decorators)


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

    from ..run.pipeline import build_registry

    try:
        registry = build_registry(list(ctx.params.get("plugins") or ()))
    except Exception:  # completion must never fail loudly
        return []
    return [CompletionItem(k.name + ("(" if any(p.required for p in k.params) else ""), help=k.title)
            for k in registry if k.name.startswith(incomplete)]


def emit(text: str | bytes, output: str | None) -> None:
    """Data to ``-o`` (atomic) or stdout; bytes (a workbook) only to a file or a pipe."""
    if output and output != "-":
        from ..output import write_atomic

        write_atomic(output, text)
    elif isinstance(text, bytes):
        from ..errors import UsageError

        if sys.stdout.isatty():
            raise UsageError("a workbook is not for the terminal; write it with -o FILE.xlsx")
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
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


def reading_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """How to read files, for commands that compute no targets (inspect, init)."""
    decorators = [
        click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True)),
        click.option("--preset", metavar="NAME|FILE", help="The export's layout (default: detected)."),
        click.option("--kind", type=click.Choice(["calls", "tickets", "surveys"]),
                     help="What the files hold (default: detected)."),
        click.option("--map", "mapping", type=KeyValue(), multiple=True, metavar="FIELD=COLUMN",
                     help="Read canonical FIELD from COLUMN (repeatable)."),
        click.option("--tz", default="UTC", show_default=True, callback=valid_zone,
                     help="Time zone of timestamps without an offset."),
        click.option("--plugin", "plugins", multiple=True, metavar="FILE_OR_MODULE",
                     help="Also consider the KPIs of this plugin (repeatable)."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]
    return stack(fn, decorators)
