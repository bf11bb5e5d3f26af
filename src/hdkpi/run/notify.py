"""Notifications: the night's verdict sent to people (e-mail, Slack, Teams, webhooks…) through Apprise.

``--notify URL`` (repeatable) or the targets file's ``notify:`` section names where to send; Apprise
(``pip install 'hdkpi[notify]'``) knows 100+ services by their URL (``mailto://``, ``slack://``,
``msteams://``, ``json://``…). ``--notify-on`` decides when: ``fail`` (a fail-level miss, the
default), ``warn`` (a warn too), ``change`` (a targeted figure's status differs from the stored one
of the period before — needs ``--history``), ``always``.

The message puts the verdict first ("✖ 3 of 7 targets missed"), then each miss with its value,
target, change against the previous period and n, then what changed since the last run, the
tickets about to breach an SLA, and the inputs' accounting; the HTML report is attached where the
service takes attachments. Sending comes after every file and the history are written, so a
failed delivery never loses the run: it is retried with backoff within a time limit, then one line
on stderr names the service with its credentials masked.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Report, Verdict

TIMEOUT_ENV = "HDKPI_NOTIFY_TIMEOUT"  #: seconds one delivery may take, retries included (default 30)
DEFAULT_TIMEOUT = 30.0
ATTEMPTS = 3
MARK = {"pass": "✔", "warn": "⚠", "fail": "✖", "no-data": "—"}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Delivery:
    """What a run sends and how it went."""

    sent: bool = False
    reason: str = ""  #: why it was (not) sent
    failures: list[str] = field(default_factory=list)  #: one line per service that failed
    title: str = ""
    body: str = ""


def expand(url: str, where: str) -> str:
    """``${NAME}`` in a targets file's notify URL is the environment variable NAME (secrets stay out of files)."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise UsageError(f"{where}: {url!r} names ${{{name}}}, which is not set in the environment")
        return os.environ[name]

    return _ENV_REF.sub(value, url)


def masked(url: str) -> str:
    """A URL fit for a log line: passwords, tokens and keys hidden (Apprise's privacy form when it knows the
    service, else user:password@ and long path parts hidden)."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin:
            return plugin.url(privacy=True)
    except ImportError:
        pass
    url = re.sub(r"//([^:/@]+):([^@/]+)@", r"//\1:****@", url)
    return re.sub(r"/([A-Za-z0-9_\-]{16,})", "/****", url)


def targeted(report: "Report") -> list["Verdict"]:
    return [v for v in report.verdicts if v.target is not None and v.status is not None]


@dataclass(frozen=True)
class Stored:
    """The stored figure of a series' period before this run's (from the history)."""

    status: str | None
    value: float | None
    period: str  #: its period start, as stored


def previous_records(location: str, report: "Report") -> dict[tuple, Stored | None]:
    """Per targeted figure (kpi, group, period), the same series' stored record of the period just before
    it (None: nothing stored before). Read before this run is recorded."""
    from ..history.records import report_spans, series_key
    from ..history.store import open_store, read_before, utc_text

    out: dict[tuple, Stored | None] = {}
    spans = report_spans(report)
    store = open_store(location, create=False) if _exists(location) else None
    try:
        for v in targeted(report):
            span = spans.get(id(v.result))
            if span is None or store is None:
                out[_key(v)] = None
                continue
            rows = read_before(store, series_key(v.result, span), utc_text(span.start), 1)
            out[_key(v)] = Stored(rows[-1]["status"], rows[-1]["value"], _local_day(rows[-1]["period_start"],
                                                                               report.tz)) if rows else None
    finally:
        if store is not None:
            store.close()
    return out


def _local_day(stored: str, tz: str) -> str:
    """A stored period start (UTC text) as the local day it begins, for a message."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(stored.replace("Z", "+00:00")).astimezone(ZoneInfo(tz or "UTC")).date().isoformat()


def _exists(location: str) -> bool:
    from ..history.store import is_url

    return is_url(location) or os.path.exists(location)


def _key(v: "Verdict") -> tuple:
    return (v.result.kpi, tuple(sorted(v.result.group.items())), v.result.period)


def decide(report: "Report", when: str, previous: dict[tuple, Stored | None] | None) -> tuple[bool, str]:
    """Whether to send, and why."""
    verdicts = targeted(report)
    fails = [v for v in verdicts if v.status == "fail"]
    warns = [v for v in verdicts if v.status == "warn"]
    if when == "always":
        return True, "always"
    if when == "fail":
        return bool(fails), f"{len(fails)} fail-level miss(es)"
    if when == "warn":
        return bool(fails or warns), f"{len(fails)} failed, {len(warns)} warned"
    changed = changes(report, previous or {})
    return bool(changed), f"{len(changed)} status change(s) since the stored run"


def changes(report: "Report", previous: dict[tuple, Stored | None]) -> list[tuple["Verdict", str | None]]:
    """Targeted figures whose status differs from the stored one before them (a figure never stored before
    counts as changed: its first night is news)."""
    out = []
    for v in targeted(report):
        stored = previous.get(_key(v))
        old = stored.status if stored is not None else None
        if old != v.status:
            out.append((v, old))
    return out


def where_text(v: "Verdict") -> str:
    parts = [f"{k}={'' if x is None else x}" for k, x in v.result.group.items()]
    if v.result.period:
        parts.append(v.result.period)
    return f" {' '.join(parts)}" if parts else ""


def miss_line(v: "Verdict", stored: Stored | None = None) -> str:
    """``✖ asa queue=billing: 45.2 s (target <= 30s), +5.1 s vs 2026-11-01, n=1,234``: the change against the
    run's comparison (--compare), else against the stored figure of the period before (--history)."""
    from ..units import format_change, format_value

    r = v.result
    change = ""
    if r.compare is not None and r.compare.change is not None:
        change = f", {format_change(r.compare.change, r.unit)} vs {r.compare.period or 'previous'}"
    elif stored is not None and stored.value is not None and r.value is not None:
        change = f", {format_change(r.value - stored.value, r.unit)} vs {stored.period}"
    return (f"{MARK[v.status or 'no-data']} {r.kpi}{where_text(v)}: {format_value(r.value, r.unit)} "
            f"(target {v.target.text if v.target else '—'}){change}, n={r.n:,}")


def span_text(report: "Report") -> str:
    """The days the figures cover, in the report's zone: ``2026-11-02`` for one day, ``2026-11-02 – 2026-11-08``
    for a week (the window's end is exclusive), ``all records`` for an open window."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    if report.period_from is None or report.period_to is None:
        return "all records"
    zone = ZoneInfo(report.tz or "UTC")
    first = report.period_from.astimezone(zone).date()
    last = (report.period_to - timedelta(microseconds=1)).astimezone(zone).date()
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def compose(report: "Report", previous: dict[tuple, Stored | None] | None = None,
            changed_too: bool = False) -> tuple[str, str]:
    """(subject, Markdown body) of the run's message."""
    from ..render.base import at_risk_lines, period_text

    verdicts = targeted(report)
    fails = [v for v in verdicts if v.status == "fail"]
    warns = [v for v in verdicts if v.status == "warn"]
    nodata = [v for v in verdicts if v.status == "no-data"]
    if fails:
        verdict = f"✖ {len(fails)} of {len(verdicts)} targets missed"
    elif warns:
        verdict = f"⚠ {len(warns)} of {len(verdicts)} targets warned"
    elif verdicts and len(nodata) == len(verdicts):
        verdict = f"— no data for the {len(verdicts)} targets"
    elif verdicts:
        verdict = f"✔ all {len(verdicts) - len(nodata)} targets met" + (f", {len(nodata)} no-data" if nodata else "")
    else:
        verdict = "no targets"
    subject = f"hdkpi {report.command}: {verdict} ({span_text(report)})"
    lines = [f"**{verdict}**", "", f"{report.command} · {period_text(report)} · {report.tz}"]
    if fails or warns:
        lines += ["", "Missed:", *(f"- {miss_line(v, (previous or {}).get(_key(v)))}" for v in [*fails, *warns])]
    if previous is not None and changed_too:
        changed = changes(report, previous)
        if changed:
            lines += ["", "Changed since the last stored run:"]
            lines += [f"- {v.result.kpi}{where_text(v)}: {old or 'new'} → {v.status}" for v, old in changed]
    risky = at_risk_lines(report)
    if risky:
        lines += ["", "At risk (SLA breaches due within 4 h of --now):", *(f"- {line}" for line in risky)]
    lines += ["", "Inputs:"]
    for s in report.inputs:
        lines.append(f"- {s.path} ({s.kind}): {s.read:,} read · {s.used:,} used · {s.rejected:,} rejected")
    return subject, "\n".join(lines) + "\n"


def _timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def send(urls: list[str], subject: str, body: str, attachments: list[str] | None = None,
         timeout: float | None = None) -> list[str]:
    """Send to every URL (each on its own, so one broken service does not stop the others); retried with
    backoff (1 s, 2 s) within ``timeout`` seconds per service. Returns one line per service that failed."""
    try:
        import apprise
    except ImportError:
        raise UsageError("--notify needs Apprise: pip install 'hdkpi[notify]'") from None
    limit = _timeout() if timeout is None else timeout
    failures = []
    for url in urls:
        service = apprise.Apprise()
        if not service.add(url):
            failures.append(f"notify {masked(url)}: not a notification URL Apprise knows (see its wiki)")
            continue
        attach = apprise.AppriseAttachment()
        for path in attachments or []:
            attach.add(path)
        deadline = time.monotonic() + limit
        ok, attempt = False, 0
        while not ok and attempt < ATTEMPTS and time.monotonic() < deadline:
            if attempt:
                time.sleep(min(2 ** (attempt - 1), max(deadline - time.monotonic(), 0)))
            attempt += 1
            ok = _within(partial(service.notify, title=subject, body=body, body_format=apprise.NotifyFormat.MARKDOWN,
                                 attach=attach if attachments else None), max(deadline - time.monotonic(), 0.1))
        if not ok:
            why = "timed out" if time.monotonic() >= deadline else "refused or unreachable"
            failures.append(f"notify {masked(url)}: delivery failed ({why}, {attempt} attempt(s), {limit:g} s limit)")
    return failures


def _within(action: Any, seconds: float) -> bool:
    """``action()`` in a daemon thread, given up after ``seconds`` (a hung server cannot hold the job)."""
    result: list[bool] = []

    def run() -> None:
        try:
            result.append(bool(action()))
        except Exception:  # a plugin's own error is a failed delivery, reported by the caller
            result.append(False)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    return bool(result and result[0])


def deliver(report: "Report", urls: list[str], when: str, previous: dict[tuple, Stored | None] | None,
            attachments: list[str] | None = None) -> Delivery:
    """Decide, compose, send (``previous``: the stored figures before this run's, with --history)."""
    go, reason = decide(report, when, previous)
    if not go:
        return Delivery(sent=False, reason=f"not sent: --notify-on {when} and {reason}")
    subject, body = compose(report, previous, changed_too=when == "change")
    failures = send(urls, subject, body, attachments)
    return Delivery(sent=len(failures) < len(urls), reason=reason, failures=failures, title=subject, body=body)
