"""The history store on PostgreSQL (--history postgresql://…): the same schema, replacements,
idempotence, concurrent writers and migrations as on SQLite, against a real server.

The server is a throwaway cluster started here with the ``initdb``/``pg_ctl`` of Debian's
``postgresql`` package (run as the ``postgres`` user when the tests run as root), listening only
on a Unix socket in a temporary directory. Without psycopg (``pip install 'hdkpi[postgres]'``) or
the server binaries the tests are skipped, saying which is missing.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.history.store import SCHEMA_VERSION, opened, read_records

from .test_history import CORRECTED, NIGHTS, SCHEMA_1, _writer, night

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'hdkpi[postgres]')")


def server_binaries() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").is_file() and Path(candidate, "pg_ctl").is_file():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL cluster for this module; yields a function giving a URL to a fresh database."""
    bindir = server_binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="hdkpi-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root and there is no postgres user to run the server as")
        if shutil.which("runuser") is None:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root and there is no runuser to start the server as postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = base / "data"
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "hdkpi", "--no-sync",
                        "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
                        "-o", f"-p {port} -k {base} -c listen_addresses='' -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (base / "log").read_text(errors="replace")[-500:] if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {getattr(exc, 'stderr', b'')!r} {log}")
    admin = f"postgresql://hdkpi@/postgres?host={base}&port={port}"
    made = []

    def database() -> str:
        name = f"h{len(made)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return f"postgresql://hdkpi@/{name}?host={base}&port={port}"

    try:
        yield database
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def desk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HDKPI_HISTORY", raising=False)
    (tmp_path / "targets.yaml").write_text('version: 1\ntargets:\n  service_level: ">= 60%"\n', encoding="utf-8")
    return tmp_path


def stored(url: str) -> dict:
    with opened(url) as store:
        return {(r["kpi"], r["period"] or r["period_start"][:10], r["group_value"]): (r["value"], r["n"], r["numerator"], r["denominator"],
                                                           r["status"]) for r in read_records(store, "day")}


def test_nights_and_a_correction_on_postgres(server, desk):
    url = server()
    first = night(desk, "2026-11-02", NIGHTS["2026-11-02"], db=url)
    second = night(desk, "2026-11-03", NIGHTS["2026-11-03"], "--compare", "previous", db=url)
    overall = next(r for r in second["results"] if r["kpi"] == "service_level" and not r["group"])
    assert overall["compare"]["period"] == "2026-11-02 (history)" and overall["compare"]["value"] == 0.5
    night(desk, "2026-11-03", CORRECTED, name="fixed.csv", db=url)
    night(desk, "2026-11-03", CORRECTED, name="fixed.csv", db=url)  # idempotent: the same rows again
    figures = stored(url)
    assert figures[("service_level", "2026-11-03", "[]")] == (2 / 3, 3, 2, 3, "pass")  # the correction won
    assert figures[("service_level", "2026-11-03", '["sales"]')] == (1, 1, 1, 1, "pass")
    assert len(figures) == 12  # 2 KPIs × (all, billing, sales) × 2 nights
    with opened(url) as store:
        assert store.execute("SELECT COUNT(*) FROM replacements").fetchone()[0] == 2
        assert store.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 4
    doc = json.loads(CliRunner().invoke(cli, ["history", "--history", url, "--kpi", "service_level", "--by", "queue",
                                              "-f", "json"]).stdout)
    series = {tuple(s["group"].items()): s for s in doc["series"]}
    originals = {tuple(r["group"].items()): r for r in first["results"] if r["kpi"] == "service_level"}
    for key, original in originals.items():
        point = series[key]["points"][0]
        assert {k: point[k] for k in ("value", "n", "numerator", "denominator", "status", "target")} == \
               {k: original[k] for k in ("value", "n", "numerator", "denominator", "status", "target")}
    check = CliRunner().invoke(cli, ["history", "check", "--history", url])
    assert check.exit_code == 0 and "schema version 2 (current)" in check.stdout
    assert "secret" not in check.stdout


def test_two_concurrent_writers_on_postgres(server):
    url = server()
    with opened(url):
        pass
    ctx = multiprocessing.get_context("fork")
    start, done = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(url, start, done, list(range(1, 11)), 10.0 + i)) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    with opened(url) as store:
        assert len(read_records(store, "day")) == 10
        assert store.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 20


def test_schema_1_is_migrated_on_postgres(server, desk):
    url = server()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in SCHEMA_1:
            conn.execute(statement)
        conn.execute("CREATE TABLE someone_elses (x int)")  # a team database holds other tables too
    night(desk, "2026-11-02", NIGHTS["2026-11-02"], db=url)
    with opened(url) as store:
        assert store.version() == SCHEMA_VERSION
    figures = stored(url)
    assert figures[("service_level", "2026-10-31", "[]")] == (0.75, 4, 3, 4, None)
    assert figures[("service_level", "2026-11-02", "[]")] == (0.5, 4, 2, 4, "fail")


def test_weeks_roll_up_from_the_nights_on_postgres(server, desk):
    """The seven hand-worked nights of test_history_rollup: the week from its days, 9/16, and
    --compare last-week reaching it, with the same statements on PostgreSQL."""
    from .test_history_rollup import WEEK, run_night

    url = server()
    for day, rows in WEEK.items():
        run_night(desk, url, day, rows)
    doc = json.loads(CliRunner().invoke(cli, ["history", "--history", url, "--every", "week", "--by", "queue",
                                              "--kpi", "service_level", "-f", "json"]).stdout)
    points = {tuple(s["group"].items()): s["points"][0] for s in doc["series"]}
    assert (points[()]["value"], points[()]["n"], points[()]["period"]) == (9 / 16, 16, "2026-11-02 (from days)")
    assert points[(("queue", "billing"),)]["value"] == 4 / 9  # Saturday: billing had no call, sales did
    tuesday = run_night(desk, url, "2026-11-10", [("billing", "answered", 10)], "--compare", "last-week")
    level = next(r for r in tuesday["results"] if r["kpi"] == "service_level" and not r["group"])
    assert (level["compare"]["period"], level["compare"]["value"]) == ("2026-11-02 (history, from days)", 9 / 16)
