"""A month of nightly runs on the shipped examples, recorded in a history database.

The examples' calls export covers four weeks. This script cuts it into one export per day (what a
nightly job would find in /srv/exports each morning), then runs the nightly recipe of this
directory (``crontab``) once per night with ``--history``, each run seeing only its own day:

    python examples/cron/history_month.py /tmp/month        # writes /tmp/month/history.db
    hdkpi history --history /tmp/month/history.db --kpi service_level --by queue --last 30d --now 2026-11-22

``tests/test_history_month.py`` runs the same nights in-process and checks that ``hdkpi history``
gives back each night's figures exactly.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
TARGETS = EXAMPLES.parent / "targets.yaml"


def split_by_day(calls: Path, out: Path) -> list[tuple[date, Path]]:
    """One CSV per day of ``offered_at`` (UTC date), each with the header; every day from the first to the
    last, so a day without calls is an export with only its header. Rows whose date does not parse are left
    out (the nightly exports of a real desk would carry them; hdkpi would reject and count them)."""
    out.mkdir(parents=True, exist_ok=True)
    with calls.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        at = header.index("offered_at")
        days: dict[date, list[list[str]]] = {}
        for row in reader:
            try:
                day = date.fromisoformat(row[at][:10])
            except ValueError:
                continue
            days.setdefault(day, []).append(row)
    first, last = min(days), max(days)
    files = []
    day = first
    while day <= last:
        path = out / f"calls-{day:%Y-%m-%d}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(days.get(day, []))
        files.append((day, path))
        day += timedelta(days=1)
    return files


def nightly_args(day: date, export: Path, history: Path, targets: Path = TARGETS) -> list[str]:
    """The crontab recipe's arguments for the night after ``day`` (its run at 00:15 the next morning)."""
    return [
        "report", str(export), "-t", str(targets), "--last", "1d", "--now", f"{day + timedelta(days=1):%Y-%m-%d}",
        "--by", "queue", "--compare", "previous", "--history", str(history), "-q",
    ]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("history-month")
    history = out / "history.db"
    for day, export in split_by_day(EXAMPLES / "calls.csv", out / "exports"):
        subprocess.run([sys.executable, "-m", "hdkpi", *nightly_args(day, export, history)], check=True)
    print(f"{history}: try  hdkpi history --history {history} --kpi service_level --by queue --last 30d "
          "--now 2026-11-22")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
