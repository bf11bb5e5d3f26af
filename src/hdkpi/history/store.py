"""The history store: every run's figures in one database, so trends, comparisons and anomalies
reach back further than the export at hand.

One SQLite file (Python's :mod:`sqlite3`, WAL journal) or, for a team, a PostgreSQL database given
as a URL (``pip install 'hdkpi[postgres]'``). Every statement is in this module, written in the SQL
both understand (``?`` placeholders are turned into ``%s`` for psycopg). Tables (docs/history.md):

* ``schema_version`` — one row; :data:`MIGRATIONS` take an older file forward, never back;
* ``runs`` — one row per run: time, hdkpi version, command, settings, inputs (path, sha256, rows);
* ``records`` — the current figure of each (kpi, group_by, group_value, every, period_start,
  period_end): a re-run of the same period replaces it (the natural key), never duplicates it;
* ``replacements`` — every figure a later run changed or removed, with the old and new values.

A run is written in one transaction (``BEGIN IMMEDIATE`` on SQLite, so two writers queue instead
of deadlocking; a PostgreSQL advisory lock does the same): a failed or killed run leaves the store
as it was. A writer that cannot get the lock within :data:`DEFAULT_TIMEOUT` seconds
(``HDKPI_HISTORY_TIMEOUT``) retries with backoff, then gives up with one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import HdkpiError
from ..version import __version__

ENV = "HDKPI_HISTORY"  #: the store when neither --history nor the targets file names one
TIMEOUT_ENV = "HDKPI_HISTORY_TIMEOUT"  #: seconds a writer waits for the write lock (default 30)
DEFAULT_TIMEOUT = 30.0
SCHEMA_VERSION = 2
_PG_LOCK = 0x68646B7069  #: the advisory-lock key of hdkpi writers on PostgreSQL ("hdkpi")

#: version → statements taking the store from the version before to it (never edit a released one)
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version (version) VALUES (0)",
        "CREATE TABLE runs (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, hdkpi TEXT NOT NULL, "
        "command TEXT NOT NULL, settings TEXT NOT NULL, inputs TEXT NOT NULL)",
        "CREATE TABLE records (run_id TEXT NOT NULL REFERENCES runs (id), kpi TEXT NOT NULL, "
        "group_by TEXT NOT NULL, group_value TEXT NOT NULL, every TEXT NOT NULL, period_start TEXT NOT NULL, "
        "period_end TEXT NOT NULL, value DOUBLE PRECISION, n BIGINT NOT NULL, numerator DOUBLE PRECISION, "
        "denominator DOUBLE PRECISION, method TEXT, target TEXT, status TEXT, "
        "PRIMARY KEY (kpi, group_by, group_value, every, period_start, period_end))",
    ),
    2: (
        "ALTER TABLE runs ADD COLUMN finished_at TEXT",
        "ALTER TABLE runs ADD COLUMN options TEXT",
        "ALTER TABLE runs ADD COLUMN outcome TEXT",
        "ALTER TABLE runs ADD COLUMN covers_end TEXT",
        "ALTER TABLE records ADD COLUMN unit TEXT",
        "ALTER TABLE records ADD COLUMN title TEXT",
        "ALTER TABLE records ADD COLUMN direction TEXT",
        "ALTER TABLE records ADD COLUMN period TEXT",
        "ALTER TABLE records ADD COLUMN tz TEXT",
        "ALTER TABLE records ADD COLUMN notes TEXT",
        "CREATE TABLE replacements (run_id TEXT NOT NULL REFERENCES runs (id), replaced_run_id TEXT NOT NULL, "
        "kpi TEXT NOT NULL, group_by TEXT NOT NULL, group_value TEXT NOT NULL, every TEXT NOT NULL, "
        "period_start TEXT NOT NULL, period_end TEXT NOT NULL, old_value DOUBLE PRECISION, "
        "new_value DOUBLE PRECISION, old_n BIGINT, new_n BIGINT, removed INTEGER NOT NULL, at TEXT NOT NULL)",
        "CREATE INDEX records_series ON records (kpi, every, group_by, period_start)",
        "CREATE INDEX records_run ON records (run_id)",
    ),
}

#: columns of ``records`` a run writes, in this order
RECORD_COLUMNS = ("run_id", "kpi", "group_by", "group_value", "every", "period_start", "period_end", "value", "n",
                  "numerator", "denominator", "method", "target", "status", "unit", "title", "direction", "period",
                  "tz", "notes")
KEY = ("kpi", "group_by", "group_value", "every", "period_start", "period_end")
#: what makes two figures of one key the same figure (a re-run that changes none of these changes nothing)
FIGURE = ("value", "n", "numerator", "denominator", "method", "target", "status", "unit")

SQL = {
    "upsert": (f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join('?' * len(RECORD_COLUMNS))}) "
               f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
               + ", ".join(f"{c} = excluded.{c}" for c in RECORD_COLUMNS if c not in KEY)),
    "run": "INSERT INTO runs (id, started_at, finished_at, hdkpi, command, settings, inputs, options, outcome, "
           "covers_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "in_period": f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE every = ? AND period_start = ? "
                 "AND period_end = ?",
    "delete": "DELETE FROM records WHERE kpi = ? AND group_by = ? AND group_value = ? AND every = ? "
              "AND period_start = ? AND period_end = ?",
    "replaced": "INSERT INTO replacements (run_id, replaced_run_id, kpi, group_by, group_value, every, period_start, "
                "period_end, old_value, new_value, old_n, new_n, removed, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "series": f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE every = ? AND period_start >= ? "
              "AND period_end <= ? ORDER BY kpi, group_by, group_value, period_start",
    "everies": "SELECT every, COUNT(*) FROM records WHERE period_start >= ? AND period_end <= ? GROUP BY every",
    "before": f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE kpi = ? AND group_by = ? AND group_value = ? "
              "AND every = ? AND period_end <= ? AND value IS NOT NULL ORDER BY period_start DESC LIMIT ?",
    "one": f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE kpi = ? AND group_by = ? AND group_value = ? "
           "AND every = ? AND period_start = ? AND period_end = ?",
    "within": f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE kpi = ? AND group_by = ? AND group_value = ? "
              "AND every = ? AND period_start >= ? AND period_end <= ? ORDER BY period_start",
    "grouped": "SELECT DISTINCT period_start FROM records WHERE kpi = ? AND group_by = ? AND every = ? "
               "AND period_start >= ? AND period_end <= ?",
    "run_settings": "SELECT id, settings FROM runs WHERE id = ?",
    "prune_records": "DELETE FROM records WHERE period_end <= ?",
    "prune_replacements": "DELETE FROM replacements WHERE period_end <= ?",
    "prune_runs": "DELETE FROM runs WHERE (covers_end <= ? OR (covers_end IS NULL AND started_at < ?)) "
                  "AND id NOT IN (SELECT DISTINCT run_id FROM records) "
                  "AND id NOT IN (SELECT DISTINCT run_id FROM replacements)",
    "orphans": "SELECT COUNT(*) FROM records WHERE run_id NOT IN (SELECT id FROM runs)",
    "count": "SELECT COUNT(*) FROM {table}",
    "version": "SELECT version FROM schema_version",
    "set_version": "UPDATE schema_version SET version = ?",
}
TABLES = ("runs", "records", "replacements")


class HistoryError(HdkpiError):
    """The history store cannot be opened, read or written (one line, exit 2)."""


def is_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def shown(location: str) -> str:
    """The location for messages: a URL without its password."""
    if not is_url(location):
        return location
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(location)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def resolve(option: str | None, configured: str | None) -> str | None:
    """``--history`` wins, then ``HDKPI_HISTORY``, then ``history:`` of the targets file; else none."""
    return option or os.environ.get(ENV) or configured or None


def utc_text(when: Any) -> str:
    """A UTC instant as stored: ``2026-11-20T00:00:00+00:00`` (text that sorts as time)."""
    stamp = when.to_pydatetime() if hasattr(when, "to_pydatetime") else when
    stamp = stamp.astimezone(timezone.utc)
    return stamp.isoformat(timespec="microseconds" if stamp.microsecond else "seconds")


def now_text() -> str:
    return utc_text(datetime.now(timezone.utc))


def _timeout() -> float:
    text = os.environ.get(TIMEOUT_ENV)
    if not text:
        return DEFAULT_TIMEOUT
    try:
        return max(0.0, float(text))
    except ValueError:
        raise HistoryError(f"{TIMEOUT_ENV}={text!r}: give a number of seconds") from None


def _busy(exc: Exception) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Store:
    """An open history database (use :func:`open_store`)."""

    def __init__(self, location: str, timeout: float | None = None) -> None:
        self.location = location
        self.timeout = _timeout() if timeout is None else timeout
        self.postgres = is_url(location)
        self.conn: Any = self._connect_postgres() if self.postgres else self._connect_sqlite()

    # -- connections -----------------------------------------------------------------------------
    def _connect_sqlite(self) -> Any:
        import sqlite3

        path = Path(self.location)
        if path.is_dir():
            raise HistoryError("is a directory; give the history database file, e.g. history.db", path=self.location)
        if str(path.parent) and not path.parent.is_dir():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise HistoryError(f"cannot create its directory: {exc.strerror}", path=self.location) from None
        try:
            conn = sqlite3.connect(str(path), timeout=min(self.timeout, 1.0), isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history database: {exc}", path=self.location) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(min(self.timeout, 1.0) * 1000)}")
            self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise HistoryError(f"not a history database ({exc}); give another file", path=self.location) from None
        return conn

    def _connect_postgres(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise HistoryError("a PostgreSQL history needs psycopg: pip install 'hdkpi[postgres]'",
                               path=shown(self.location)) from None
        url = self.location.replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(self.timeout)))
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise HistoryError(f"cannot connect: {first}", path=shown(self.location)) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    # -- statements ------------------------------------------------------------------------------
    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def execute(self, text: str, params: tuple | list = ()) -> Any:
        return self.conn.execute(self.sql(text), params)

    def executemany(self, text: str, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.sql(text), rows)
        else:
            self.conn.executemany(text, rows)

    def _retry(self, action: Any) -> Any:
        """Run ``action`` until the database is not busy, backing off, up to ``timeout`` seconds."""
        import sqlite3

        deadline = time.monotonic() + self.timeout
        pause = 0.02
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise HistoryError(f"the history database is busy: another hdkpi run held it for "
                                       f"{self.timeout:g} s; run again later or raise {TIMEOUT_ENV}",
                                       path=self.location) from None
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())) * (0.5 + random.random()))
                pause = min(pause * 2, 0.5)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, alone: committed whole or not at all (rolled back on any error)."""
        if self.postgres:
            import psycopg

            try:
                self.conn.execute("BEGIN")
                self.conn.execute(f"SET LOCAL lock_timeout = '{int(self.timeout * 1000)}ms'")
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK,))
            except psycopg.errors.LockNotAvailable:
                self.conn.execute("ROLLBACK")
                raise HistoryError(f"the history database is busy: another hdkpi run held it for "
                                   f"{self.timeout:g} s; run again later", path=shown(self.location)) from None
        else:
            self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.conn.execute("ROLLBACK")
            raise
        if self.postgres:
            self.conn.execute("COMMIT")
        else:
            self._retry(lambda: self.conn.execute("COMMIT"))

    # -- schema ----------------------------------------------------------------------------------
    def tables(self) -> set[str]:
        if self.postgres:
            rows = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                "current_schema()").fetchall()
        else:
            rows = self.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {r[0] for r in rows}

    def version(self) -> int:
        """The schema version (0: an empty database)."""
        found = self.tables()
        if "schema_version" not in found:
            # a SQLite file is ours alone; a PostgreSQL schema may hold a team's other tables too
            if (found & set(TABLES)) if self.postgres else (found - {"sqlite_sequence"}):
                raise HistoryError(f"not an hdkpi history database (it has tables {', '.join(sorted(found))}); "
                                   "give another file", path=shown(self.location))
            return 0
        row = self.execute(SQL["version"]).fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Bring the schema to :data:`SCHEMA_VERSION` (in one transaction); returns the version found."""
        found = self.version()
        if found > SCHEMA_VERSION:
            raise HistoryError(f"the history database has schema {found}, newer than this hdkpi {__version__} "
                               f"knows ({SCHEMA_VERSION}); upgrade hdkpi", path=shown(self.location))
        if found == SCHEMA_VERSION:
            return found
        with self.write():
            current = self.version()  # another writer may have migrated while we waited
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    self.execute(statement)
                self.execute(SQL["set_version"], (version,))
        return found


def open_store(location: str, *, create: bool = True, timeout: float | None = None) -> Store:
    """Open (and migrate) the store; ``create=False`` refuses a missing file instead of creating one."""
    if not create and not is_url(location) and not Path(location).is_file():
        raise HistoryError("no such history database; a run with --history FILE creates it", path=location)
    store = Store(location, timeout)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


@contextlib.contextmanager
def opened(location: str, *, create: bool = True, timeout: float | None = None) -> Iterator[Store]:
    store = open_store(location, create=create, timeout=timeout)
    try:
        yield store
    finally:
        store.close()


# -- writing a run -------------------------------------------------------------------------------

@dataclass
class Run:
    """What one run writes: its facts and its records (dicts of :data:`RECORD_COLUMNS` but run_id)."""

    started_at: str
    command: str
    settings: dict[str, Any]
    inputs: list[dict[str, Any]]
    options: dict[str, Any]
    outcome: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class Written:
    """What a write did: figures new, replaced by a different figure, unchanged, removed."""

    run_id: str
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    removed: int = 0


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    def norm(x: Any) -> Any:
        return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x

    return all(norm(old.get(c)) == norm(new.get(c)) for c in FIGURE)


def _row(columns: tuple[str, ...], values: tuple) -> dict[str, Any]:
    return dict(zip(columns, values))


def write_run(store: Store, run: Run) -> Written:
    """Record a run in one transaction. Each figure replaces the stored one of its key when it differs
    (recorded in ``replacements``); a stored figure of a period, KPI and grouping this run computed
    but that the run no longer has (a group gone from a corrected export) is removed and recorded."""
    done = Written(run.id)
    at = now_text()
    new_by_key = {tuple(r[c] for c in KEY): r for r in run.records}
    scopes = {(r["kpi"], r["group_by"], r["every"], r["period_start"], r["period_end"]) for r in run.records}
    periods = sorted({(r["every"], r["period_start"], r["period_end"]) for r in run.records})
    with store.write():
        store.execute(SQL["run"], (run.id, run.started_at, at, __version__, run.command,
                                   json.dumps(run.settings, default=str), json.dumps(run.inputs, default=str),
                                   json.dumps(run.options, default=str), json.dumps(run.outcome, default=str),
                                   max((r["period_end"] for r in run.records), default=None)))
        stored: dict[tuple, dict[str, Any]] = {}
        for period in periods:
            for values in store.execute(SQL["in_period"], period).fetchall():
                row = _row(RECORD_COLUMNS, tuple(values))
                if (row["kpi"], row["group_by"], row["every"], row["period_start"], row["period_end"]) in scopes:
                    stored[tuple(row[c] for c in KEY)] = row
        upserts, replaced, removed = [], [], []
        for key, record in new_by_key.items():
            old = stored.get(key)
            if old is not None and _same(old, record):
                done.unchanged += 1
                continue
            upserts.append(tuple(run.id if c == "run_id" else record[c] for c in RECORD_COLUMNS))
            if old is None:
                done.new += 1
            else:
                done.replaced += 1
                replaced.append((run.id, old["run_id"], *key, old["value"], record["value"], old["n"], record["n"], 0,
                                 at))
        for key, old in stored.items():
            if key not in new_by_key:
                done.removed += 1
                removed.append(key)
                replaced.append((run.id, old["run_id"], *key, old["value"], None, old["n"], None, 1, at))
        store.executemany(SQL["delete"], removed)
        store.executemany(SQL["upsert"], upserts)
        store.executemany(SQL["replaced"], replaced)
    return done


# -- reading ---------------------------------------------------------------------------------------

FAR_PAST, FAR_FUTURE = "0000", "9999"


def stored_everies(store: Store, start: str | None = None, end: str | None = None) -> dict[str, int]:
    """every → how many records in the span (``""``: figures of windows that are no calendar period)."""
    rows = store.execute(SQL["everies"], (start or FAR_PAST, end or FAR_FUTURE)).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def read_records(store: Store, every: str, start: str | None = None, end: str | None = None) -> list[dict[str, Any]]:
    """Every stored record of periods of ``every`` inside ``[start, end)``, by series and time."""
    rows = store.execute(SQL["series"], (every, start or FAR_PAST, end or FAR_FUTURE)).fetchall()
    return [_row(RECORD_COLUMNS, tuple(r)) for r in rows]


def read_before(store: Store, key: tuple[str, str, str, str], end: str, limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` records of a series (kpi, group_by, group_value, every) ending at or before ``end``,
    oldest first."""
    rows = store.execute(SQL["before"], (*key, end, limit)).fetchall()
    return [_row(RECORD_COLUMNS, tuple(r)) for r in reversed(rows)]


def read_one(store: Store, key: tuple[str, ...]) -> dict[str, Any] | None:
    row = store.execute(SQL["one"], key).fetchone()
    return _row(RECORD_COLUMNS, tuple(row)) if row else None


def read_within(store: Store, key: tuple[str, str, str, str], start: str, end: str) -> list[dict[str, Any]]:
    """The records of a series (kpi, group_by, group_value, every) inside ``[start, end)``, in time order
    (the days of a week or month, for a roll-up)."""
    rows = store.execute(SQL["within"], (*key, start, end)).fetchall()
    return [_row(RECORD_COLUMNS, tuple(r)) for r in rows]


def grouped_periods(store: Store, kpi: str, group_by: str, every: str, start: str, end: str) -> set[str]:
    """The starts of the periods inside ``[start, end)`` where some group of a KPI's grouping is stored (a run
    stores every group it has, so a group missing there had no records)."""
    return {r[0] for r in store.execute(SQL["grouped"], (kpi, group_by, every, start, end)).fetchall()}


def run_settings(store: Store, run_ids: set[str] | list[str]) -> dict[str, dict[str, Any]]:
    """run id → the settings it ran with (``{}`` when not recorded), for the runs asked for."""
    out: dict[str, dict[str, Any]] = {}
    for run_id in sorted({r for r in run_ids if r}):
        row = store.execute(SQL["run_settings"], (run_id,)).fetchone()
        try:
            out[run_id] = json.loads(row[1]) if row and row[1] else {}
        except ValueError:
            out[run_id] = {}
    return out


# -- upkeep ---------------------------------------------------------------------------------------

def prune(store: Store, before: str) -> dict[str, int]:
    """Remove figures (and their replacements) of periods that ended by ``before``, and the runs whose
    figures all did so and that nothing refers to any more; then give the space back."""
    counts = {}
    with store.write():
        for name, params in (("records", (before,)), ("replacements", (before,)), ("runs", (before, before))):
            cursor = store.execute(SQL[f"prune_{name}"], params)
            counts[name] = max(0, cursor.rowcount or 0)
    if not store.postgres:
        store._retry(lambda: store.execute("VACUUM"))
    return counts


def table_rows(store: Store, table: str) -> tuple[list[str], list[tuple]]:
    """A whole table (for export): column names and rows."""
    if table not in TABLES:
        raise HistoryError(f"no table {table!r}; tables: {', '.join(TABLES)}")
    cursor = store.execute(f"SELECT * FROM {table}")
    return [d[0] for d in cursor.description], [tuple(r) for r in cursor.fetchall()]


def check(location: str) -> tuple[bool, list[str]]:
    """Integrity of a store without changing it: (ok, lines to show)."""
    store = Store(location) if is_url(location) or Path(location).is_file() else None
    if store is None:
        raise HistoryError("no such history database", path=location)
    lines, ok = [], True
    try:
        version = store.version()
        if version == SCHEMA_VERSION:
            lines.append(f"schema version {version} (current)")
        elif version < SCHEMA_VERSION:
            lines.append(f"schema version {version}: older than {SCHEMA_VERSION}; the next run that writes "
                         "migrates it")
        else:
            ok = False
            lines.append(f"schema version {version}: newer than this hdkpi knows ({SCHEMA_VERSION}); upgrade hdkpi")
        if store.postgres:
            lines.append("integrity: PostgreSQL checks its own pages; tables readable")
        else:
            result = [r[0] for r in store.execute("PRAGMA integrity_check").fetchall()]
            ok &= result == ["ok"]
            lines.append("integrity_check: " + "; ".join(result[:5]))
            mode = store.execute("PRAGMA journal_mode").fetchone()[0]
            lines.append(f"journal_mode: {mode}")
        if version >= 1:
            orphans = store.execute(SQL["orphans"]).fetchone()[0]
            if orphans:
                ok = False
                lines.append(f"{orphans} record(s) refer to no run")
            present = [t for t in TABLES if t in store.tables()]
            lines.append(", ".join(f"{store.execute(SQL['count'].format(table=t)).fetchone()[0]:,} {t}"
                                   for t in present))
    except HdkpiError:
        raise
    except Exception as exc:  # a damaged file: say so, do not crash
        ok = False
        lines.append(f"cannot read: {type(exc).__name__}: {exc}")
    finally:
        store.close()
    return ok, lines
