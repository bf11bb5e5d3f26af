"""Nightly delivery against real counterparts: e-mail into a local SMTP server (aiosmtpd), a json://
webhook into a local HTTP server, an unreachable service, --notify-on change over nights of history,
the OpenMetrics text read back by prometheus_client's parsers, and the workbook read back by openpyxl."""

from __future__ import annotations

import email
import importlib.util
import json
import math
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.exitcodes import ExitCode

from .conftest import EXAMPLES, write_csv

ROOT = EXAMPLES.parent
TARGETS = ROOT / "targets.yaml"
CALLS = EXAMPLES / "calls.csv"


def invoke(args: list[str], env: dict | None = None):
    return CliRunner().invoke(cli, args, catch_exceptions=False, env=env)


# -- counterparts ----------------------------------------------------------------------------------

@pytest.fixture
def smtp():
    """A local SMTP server; yields (port, the messages it received)."""
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    received: list[email.message.Message] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def webhook():
    """A local HTTP server taking POSTs; yields (port, the JSON bodies it received)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()


def mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=hdkpi@example.org&to=lead@example.org&mode=insecure"


def body_of(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return part.get_payload(decode=True).decode("utf-8")
    return ""


# -- notifications -----------------------------------------------------------------------------------

def test_the_verdict_reaches_an_inbox_with_the_report_attached(tmp_path, smtp):
    pytest.importorskip("apprise")
    port, received = smtp
    out = tmp_path / "kpis.json"
    result = invoke(["check", str(CALLS), "-t", str(TARGETS), "--notify", mailto(port), "-f", "json", "-o", str(out)])
    assert result.exit_code == ExitCode.TARGET_MISSED
    doc = json.loads(out.read_text())
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    targeted = [r for r in doc["results"] if r["target"] is not None]
    (message,) = received
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == f"hdkpi check: ✖ {len(fails)} of {len(targeted)} targets missed (all records)"
    body = body_of(message)
    assert body.splitlines()[0].strip("* ") == f"✖ {len(fails)} of {len(targeted)} targets missed"
    for r in fails:  # each miss with its value, target and n
        line = next(ln for ln in body.splitlines() if f"✖ {r['kpi']}:" in ln)
        assert f"(target {r['target']['text']})" in line and f"n={r['n']:,}" in line
    attachments = [p.get_filename() for p in message.walk() if p.get_filename()]
    assert attachments == ["hdkpi-report.html"]


def test_a_json_webhook_receives_the_message(tmp_path, webhook):
    pytest.importorskip("apprise")
    port, received = webhook
    result = invoke(["check", str(CALLS), "-t", str(TARGETS), "--notify", f"json://127.0.0.1:{port}/hook",
                     "--notify-on", "always", "-q"])
    assert result.exit_code == ExitCode.TARGET_MISSED
    (payload,) = received
    assert payload["title"].startswith("hdkpi check: ✖") and "Missed:" in payload["message"]


def test_an_unreachable_service_fails_within_the_timeout_and_loses_nothing(tmp_path):
    pytest.importorskip("apprise")
    # a server that accepts the connection and never answers
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    port = silent.getsockname()[1]
    db, out = tmp_path / "history.db", tmp_path / "kpis.json"
    args = ["check", str(CALLS), "-t", str(TARGETS), "--notify", f"json://user:s3cret@127.0.0.1:{port}/hook",
            "--history", str(db), "-f", "json", "-o", str(out)]
    started = time.monotonic()
    result = invoke(args, env={"HDKPI_NOTIFY_TIMEOUT": "2"})
    took = time.monotonic() - started
    silent.close()
    assert result.exit_code == ExitCode.TARGET_MISSED  # the run's own verdict, not the delivery's
    assert out.exists() and db.exists()  # written first
    (line,) = [ln for ln in result.stderr.splitlines() if "notify" in ln]
    assert "delivery failed" in line and "s3cret" not in line
    assert took < 20
    strict = invoke([*args, "--strict"], env={"HDKPI_NOTIFY_TIMEOUT": "1"})
    assert strict.exit_code == ExitCode.USAGE and "notification(s) failed (--strict)" in strict.stderr


def test_notify_on_fail_stays_quiet_when_every_target_is_met(tmp_path, smtp):
    pytest.importorskip("apprise")
    port, received = smtp
    t = write_csv(tmp_path, 'targets:\n  calls_offered: ">= 1"\n', "targets.yaml")
    result = invoke(["check", str(CALLS), "-t", str(t), "--notify", mailto(port)])
    assert result.exit_code == 0 and received == []
    assert "not sent: --notify-on fail" in result.stderr


def test_the_targets_file_names_the_service_with_its_secret_in_the_environment(tmp_path, webhook):
    pytest.importorskip("apprise")
    port, received = webhook
    t = write_csv(tmp_path, 'notify: {to: ["${HOOK}"], on: always}\ntargets:\n  calls_offered: ">= 1"\n',
                  "targets.yaml")
    result = invoke(["check", str(CALLS), "-t", str(t), "-q"], env={"HOOK": f"json://127.0.0.1:{port}/"})
    assert result.exit_code == 0 and len(received) == 1
    assert received[0]["title"] == "hdkpi check: ✔ all 1 targets met (all records)"
    missing = invoke(["check", str(CALLS), "-t", str(t)], env={"HOOK": None})
    assert missing.exit_code == ExitCode.USAGE and "${HOOK}" in missing.stderr


def history_month():
    spec = importlib.util.spec_from_file_location("history_month", EXAMPLES / "cron" / "history_month.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_week_of_nights_with_notify_on_change(tmp_path, smtp):
    """Seven nights of the cron recipe with --notify-on change: a message exactly on the nights where a
    targeted figure's status differs from the night before (the first night: everything is new)."""
    pytest.importorskip("apprise")
    port, received = smtp
    month = history_month()
    db = tmp_path / "history.db"
    t = write_csv(tmp_path, 'targets:\n  service_level: ">= 65%"\n  abandonment_rate: "< 18%"\n', "targets.yaml")
    nights = month.split_by_day(CALLS, tmp_path / "exports")[7:14]  # Monday 2 Nov … Sunday 8 Nov
    statuses, sent_on = [], []
    for day, export in nights:
        before = len(received)
        out = tmp_path / f"{day}.json"
        args = [*month.nightly_args(day, export, db, t), "--notify", mailto(port), "--notify-on", "change",
                "-f", "json", "-o", str(out)]
        args = ["check" if a == "report" else a for a in args]
        result = invoke(args)
        assert result.exit_code in (0, 1), result.stderr
        doc = json.loads(out.read_text())
        statuses.append({(r["kpi"], json.dumps(r["group"], sort_keys=True)): r["status"] for r in doc["results"]
                         if r["target"] is not None})
        if len(received) > before:
            sent_on.append(str(day))
    # independent: a night sends when any targeted figure's status differs from the night before's
    expected = [str(day) for i, (day, _) in enumerate(nights) if i == 0 or statuses[i] != statuses[i - 1]]
    assert sent_on == expected
    assert 1 < len(expected) < len(nights)  # the week holds both kinds of night
    for message in received[1:]:
        body = body_of(message)
        assert "Changed since the last stored run:" in body and "→" in body
        for line in body.splitlines():  # a miss shows its change against the night before, from the history
            if line.startswith("- ✖"):
                assert re.search(r"[+−-][\d.]+ pp vs 2026-11-\d\d, n=", line), line


# -- metrics for dashboards ---------------------------------------------------------------------------

def test_openmetrics_holds_every_figure_of_the_json(tmp_path):
    pytest.importorskip("prometheus_client")
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
    from prometheus_client.parser import text_string_to_metric_families as prometheus

    prom, out = tmp_path / "hdkpi.prom", tmp_path / "kpis.json"
    result = invoke(["check", str(CALLS), str(EXAMPLES / "tickets.csv"), "-t", str(TARGETS), "--by", "queue",
                     "-f", "openmetrics", "-o", str(prom), "-f", "json", "-o", str(out)])
    assert result.exit_code in (0, 1)
    text = prom.read_text()
    families = {f.name: f for f in openmetrics(text)}
    assert {f.name for f in prometheus(text)} >= {"hdkpi_kpi_value", "hdkpi_kpi_n"}
    values = {}
    for s in families["hdkpi_kpi_value"].samples:
        labels = dict(s.labels)
        values[(labels.pop("kpi"), labels.pop("unit"), json.dumps(labels, sort_keys=True))] = s.value
    doc = json.loads(out.read_text())
    for r in doc["results"]:
        key = (r["kpi"], r["unit"], json.dumps({k: v or "" for k, v in r["group"].items()}, sort_keys=True))
        got = values.pop(key)
        assert (math.isnan(got) if r["value"] is None else got == pytest.approx(r["value"], rel=1e-12)), key
    assert values == {}  # nothing more than the JSON's figures
    status = {dict(s.labels)["kpi"]: s.value for s in families["hdkpi_target_status"].samples
              if "queue" not in dict(s.labels)}
    for r in doc["results"]:
        if not r["group"] and r["status"] in ("pass", "warn", "fail"):
            assert status[r["kpi"]] == {"pass": 1, "warn": 0, "fail": -1}[r["status"]]
    rows = {(dict(s.labels)["path"], dict(s.labels)["state"]): s.value for s in families["hdkpi_input_rows"].samples}
    assert rows[(str(CALLS), "read")] == doc["inputs"][0]["rows"]["read"]
    assert families["hdkpi_run_timestamp_seconds"].samples[0].value > 1.7e9


def test_openmetrics_escapes_label_values(tmp_path):
    pytest.importorskip("prometheus_client")
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    path = write_csv(tmp_path, 'call_id,offered_at,wait_seconds,outcome,queue\n'
                               '1,2026-11-02T08:00:00Z,5,answered,"a ""quoted"" \\ queue"\n', "calls.csv")
    prom = tmp_path / "x.prom"
    invoke(["report", str(path), "--by", "queue", "--kpi", "calls_offered", "-f", "openmetrics", "-o", str(prom)])
    text = prom.read_text()
    assert 'queue="a \\"quoted\\" \\\\ queue"' in text  # \" and \\ in the file
    samples = next(f for f in text_string_to_metric_families(text) if f.name == "hdkpi_kpi_value").samples
    assert {dict(s.labels).get("queue") for s in samples} == {None, 'a "quoted" \\ queue'}


# -- workbooks ---------------------------------------------------------------------------------------

def test_the_workbook_of_the_examples_holds_the_figures_of_the_json(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book_path, out = tmp_path / "kpis.xlsx", tmp_path / "kpis.json"
    result = invoke(["check", str(CALLS), str(EXAMPLES / "tickets.csv"), str(EXAMPLES / "surveys.csv"), "-t",
                     str(TARGETS), "--by", "queue", "-f", "xlsx", "-o", str(book_path), "-f", "json", "-o", str(out)])
    assert result.exit_code in (0, 1)
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["Figures", "by queue", "Inputs", "Settings"]
    doc = json.loads(out.read_text())
    for sheet_name, records in (("Figures", [r for r in doc["results"] if not r["group"]]),
                                ("by queue", [r for r in doc["results"] if r["group"]])):
        sheet = book[sheet_name]
        header = [c.value for c in sheet[1]]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(records)
        for row, r in zip(rows, records):
            cells = dict(zip(header, row))
            assert cells["KPI"] == r["kpi"] and cells["n"] == r["n"] and cells["Status"] == r["status"]
            if r["value"] is None:
                assert cells["Value"] is None
            elif r["unit"] == "seconds":
                assert cells["Seconds"] == pytest.approx(r["value"])
            else:
                assert cells["Value"] == pytest.approx(r["value"])
    figures = book["Figures"]
    header = [c.value for c in figures[1]]
    for row in figures.iter_rows(min_row=2):
        cells = dict(zip(header, row))
        unit = cells["Unit"].value
        if cells["Value"].value is not None:
            assert cells["Value"].number_format == {"share": "0.0%", "seconds": "[h]:mm:ss"}.get(
                unit, "General" if unit == "count" else "0.00")
        if cells["Status"].value == "fail":
            assert cells["Status"].fill.fgColor.rgb.endswith("FFC7CE")
    inputs = [r for r in book["Inputs"].iter_rows(min_row=2, values_only=True) if r[3] is not None]
    assert [(r[0], r[3], r[4]) for r in inputs] == [(i["path"], i["rows"]["read"], i["rows"]["used"])
                                                   for i in doc["inputs"]]


def test_the_workbook_guards_formula_text_and_refuses_the_terminal(tmp_path, monkeypatch):
    openpyxl = pytest.importorskip("openpyxl")
    path = write_csv(tmp_path, "call_id,offered_at,wait_seconds,outcome,queue\n"
                               "1,2026-11-02T08:00:00Z,5,answered,=HYPERLINK(\"x\")\n", "calls.csv")
    book_path = tmp_path / "x.xlsx"
    invoke(["report", str(path), "--by", "queue", "--kpi", "calls_offered", "-f", "xlsx", "-o", str(book_path)])
    sheet = openpyxl.load_workbook(book_path)["by queue"]
    assert sheet.cell(2, 3).value == "'=HYPERLINK(\"x\")" and sheet.cell(2, 3).data_type == "s"
    assert Path(book_path).read_bytes()[:2] == b"PK"


def test_the_delivery_recipe_runs_as_written(tmp_path, smtp):
    """examples/cron/crontab-deliver's job line, paths under tmp_path and $HDKPI_NOTIFY at the local SMTP server:
    the history, the textfile-collector file and the workbook are written, and the first night mails."""
    pytest.importorskip("apprise")
    pytest.importorskip("openpyxl")
    from .test_recipes import DATE_COMMAND, NOW, cron_command, hdkpi_args, srv_tree

    port, received = smtp
    srv = srv_tree(tmp_path)
    args = hdkpi_args(cron_command(EXAMPLES / "cron" / "crontab-deliver"))
    args = [NOW if a == DATE_COMMAND else mailto(port) if a == "$HDKPI_NOTIFY" else a for a in args]
    args = [str(tmp_path) + a if a.startswith(("/srv/", "/var/")) else a for a in args]
    assert not any("$" in a for a in args)
    result = invoke(args)
    assert result.exit_code in (0, 1), result.output
    assert (srv / "reports" / "history.db").exists()
    assert (tmp_path / "var/lib/node_exporter/textfile_collector/hdkpi.prom").read_text().endswith("# EOF\n")
    assert (srv / "reports" / "2026-11-20" / "kpis.xlsx").read_bytes()[:2] == b"PK"
    assert len(received) == 1  # the first night: every status is news
