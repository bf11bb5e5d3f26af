"""report and check: a run of the pipeline, rendered in every format asked, with the verdict as exit code."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from ..exitcodes import ExitCode
from .base import (
    DEFAULT_TARGETS,
    EXIT_CODES_HELP,
    checked_mapping,
    cli,
    command,
    emit,
    input_options,
    message,
    output_options,
    progress_on_stderr,
    use_color,
)


def _run(command_name: str, *, files: tuple[str, ...], targets: str | None, fmt: tuple[str, ...],
         output: tuple[str, ...], quiet: bool, summary_only: bool, details: str | None, rejects_path: str | None,
         baseline: str | None,
         save_baseline: str | None, lang: str, mapping: tuple, overrides: tuple,
         kpis: tuple[str, ...], plugins: tuple[str, ...], by: tuple[str, ...], debug: bool = False,
         fail_on: str = "fail", keep: bool = False, notify: tuple[str, ...] = (), notify_on: str | None = None,
         **window_and_reading: Any) -> Any:
    """Run, render, write, record, notify; the exit code (``keep``: the Report instead, for a section after it)."""
    from ..api import execute
    from ..errors import UsageError
    from ..render import Format, get_formatter
    from ..run.pipeline import RunOptions

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
    if details or rejects_path:  # both need the rows, which a streamed run does not keep
        if window_and_reading.get("stream"):
            raise UsageError(f"--stream keeps no rows, and {'--details' if details else '--rejects'} needs them; "
                             "drop --stream")
        window_and_reading["stream"] = False
    from ..history.store import resolve as resolve_history

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
        report = execute(options, engine, scheduler, blocksize)  # the library's run (hdkpi.api)
    if baseline:
        from ..targets.baseline import attach_baseline

        matched = attach_baseline(report, baseline)
        report.compare = "baseline"
        message(f"hdkpi: compared {matched} figure(s) with {baseline}", quiet)
    urls, when = _notify_plan(notify, notify_on, targets, options)
    previous = None
    if urls and options.history:  # the figures stored before this run, read before it is recorded
        from ..run.notify import previous_records

        previous = previous_records(options.history, report)
    if options.history:
        _record_history(options.history, report, quiet, charts="html" in fmt)
    from ..output import expand_path, plan_outputs

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
        from ..run.details import write_rejects

        count = write_rejects(report, expand_path(rejects_path, report))
        message(f"hdkpi: wrote {count} rejected row(s) to {rejects_path}", quiet)
    if details:
        from ..run.details import write_details

        written = write_details(report, expand_path(details, report))
        message(f"hdkpi: wrote {len(written)} detail file(s) into {details}", quiet)
    if any(name != "table" or path is not None for name, path in plan):
        message(_summary_line(report), quiet)
    failed = command_name == "check" and fails(report, fail_on)
    if save_baseline:
        if failed or report.failed:
            message(f"hdkpi: not saving {save_baseline}: the run missed a target (the old baseline stays)", quiet)
        else:
            from ..render import get_formatter as formatter

            write_atomic_path = expand_path(save_baseline, report)
            emit(formatter("json").render(report), write_atomic_path)
            message(f"hdkpi: saved baseline {write_atomic_path}", quiet)
    if urls:  # last: every file and the history are written, whatever the delivery does
        _notify(report, urls, when, previous, plan, quiet, options.strict)
    if keep:
        return report
    return ExitCode.TARGET_MISSED if failed else ExitCode.OK


def _notify_plan(notify: tuple[str, ...], notify_on: str | None, targets: str | None,
                 options: Any) -> tuple[list[str], str]:
    """The URLs to notify (--notify, else the targets file's notify:) and when (--notify-on, else notify.on,
    else fail)."""
    from ..errors import UsageError

    urls, when = list(notify), notify_on
    if targets and (not urls or when is None) and "notify" in Path(targets).read_text(encoding="utf-8-sig"):
        from ..run.notify import expand
        from ..run.pipeline import build_registry
        from ..targets.file import load_targets

        parsed = load_targets(targets, build_registry(options.plugins))
        if not urls:
            urls = [expand(u, f"{targets}: notify") for u in parsed.notify]
        when = when or parsed.notify_on
    when = when or "fail"
    if urls and when == "change" and not options.history:
        raise UsageError("--notify-on change compares with the stored run: give --history FILE (or history: in the "
                         "targets file)")
    return urls, when


def _notify(report: Any, urls: list[str], when: str, previous: Any, plan: list, quiet: bool, strict: bool) -> None:
    """Send the verdict; a failed delivery is one line on stderr (exit 2 with --strict), never a lost run."""
    import tempfile

    from ..errors import UsageError
    from ..run.notify import deliver

    pages = [path for name, path in plan if name == "html" and path]
    with tempfile.TemporaryDirectory(prefix="hdkpi-notify-") as scratch:
        if not pages:  # the HTML report goes with the message where the service takes attachments
            from ..render import get_formatter

            page = Path(scratch) / "hdkpi-report.html"
            page.write_text(get_formatter("html").render(report), encoding="utf-8")
            pages = [str(page)]
        done = deliver(report, urls, when, previous, attachments=pages)
    if not done.title:
        message(f"hdkpi: {done.reason}", quiet)
        return
    for failure in done.failures:
        click.echo(f"hdkpi: {failure}", err=True)
    if done.failures and strict:
        raise UsageError(f"{len(done.failures)} of {len(urls)} notification(s) failed (--strict)")
    if len(done.failures) < len(urls):
        message(f"hdkpi: notified {len(urls) - len(done.failures)} service(s): {done.title}", quiet)


def _record_history(location: str, report: Any, quiet: bool, charts: bool) -> None:
    """Write the run's figures to the history store (one transaction), and say what changed."""
    from ..history.records import record_report
    from ..history.store import shown

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
    from ..render.base import status_label, value_text
    from ..render.table import group_text

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
@click.option("--sla-vs-flag", "sla_vs_flag", metavar="SLA",
              help="After the report, hold SLA's verdicts against the export's own SLA flag (ServiceNow made_sla, "
                   "sla_breached): how many tickets agree, how many differ, and examples of each difference.")
@command
def report(strict: bool, sla_vs_flag: str | None = None, **options: Any) -> int:
    """Compute KPIs from FILES and show them (with targets when a targets file is found).

    Exits 0 unless the input or usage is bad: a missed target is shown, not fatal. FILES are
    calls, tickets or surveys exports (CSV, .gz/.bz2/.xz/.zip, Parquet, JSON lines, .xlsx); - reads stdin.
    """
    if sla_vs_flag:
        from ..errors import UsageError

        if any(f != "table" for f in options.get("fmt") or ()) and not options.get("output"):
            raise UsageError("--sla-vs-flag prints a table after the report; use it with -f table (or write the "
                             "other formats with -o FILE)")
        if options.get("stream"):
            raise UsageError("--sla-vs-flag needs each ticket; drop --stream")
        options["stream"] = False
        options["kpis"] = (*options.get("kpis", ()), f"sla_achieved({sla_vs_flag})") if options.get("kpis") \
            else options.get("kpis", ())
    report_ = _run("report", strict=False, keep=True, **options)
    if sla_vs_flag:
        from ..run.sla import agreement_lines

        click.echo("\n".join(agreement_lines(report_, sla_vs_flag)))
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
