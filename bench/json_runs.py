"""Before/after comparison of hdkpi's outputs, for refactors that must not change a figure.

``record OUTDIR`` runs a fixed list of hdkpi command lines (RUNS below: report and check in
every shape, the vendor presets and real samples, inspect, kpis, staffing, adherence, scorecard,
history, the dask engine, a plugin, csv and markdown) on the shipped examples and keeps, per
run, its output ``OUTDIR/NN-name.json`` (or ``.csv``/``.md``; stdout when the command has no
``-o``) and ``OUTDIR/NN-name.meta.json`` (command line, exit code, stderr, stdout). ``compare
BEFORE AFTER`` holds each pair: the JSON documents equal once the volatile fields are removed
(VOLATILE_PATHS, and OUTDIR's own path written as ``$OUTDIR``), exit codes equal, stderr equal
after the same normalisation; text outputs (csv, markdown) compared as text. It prints one line
per run, ``same`` or ``DIFF`` with the first differing JSON path, and exits 1 on any difference.

Around a refactor (from the repository root, in the project's virtualenv)::

    git worktree add /tmp/before <commit-before>          # the code before the change
    python bench/json_runs.py record /tmp/runs-before --src /tmp/before/src
    python bench/json_runs.py record /tmp/runs-after      # the working tree (or --src PATH)
    python bench/json_runs.py compare /tmp/runs-before /tmp/runs-after
    git worktree remove /tmp/before

``--src PATH`` runs ``python -m hdkpi`` with PATH prepended to PYTHONPATH, so the same venv
imports the older package; ``record`` prints ``hdkpi.__file__`` as imported and refuses to go
on if it is not under PATH. The inputs are always the current checkout's examples/ and
targets.yaml (the command runs from the repository root), so only the code differs. Recording
twice from the same code and comparing must say "same" for every run: that is the check that
the normalisation is right (and not broader than it must be). A record (51 runs) takes about
45 s on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Fields whose value changes from one run of the same code to the next, found by recording
# twice and diffing (nothing else differed), as JSON paths ("[]": any item of a list). Only these
# are removed; a key of the same name elsewhere is compared.
VOLATILE_PATHS = (
    "$.generated_at",  # report/check (every format's JSON): wall-clock time of the run
    "$.series[].points[].run",  # history: id of the run that stored the point (random per run)
)
# The record's own directory (outputs, the history database, the targets files written there)
# appears in JSON strings and stderr as an absolute path: it is written as $OUTDIR.
OUTDIR_TOKEN = "$OUTDIR"

EX = "examples"
CALLS, TICKETS, SURVEYS = f"{EX}/calls.csv", f"{EX}/tickets.csv", f"{EX}/surveys.csv"
ALL3 = [CALLS, TICKETS, SURVEYS]
V = f"{EX}/vendors"
SCHEDULE, STATES = f"{EX}/adherence/schedule.csv", f"{EX}/adherence/agent_states.csv"

# Per-segment targets: each group of queue / priority its own threshold (README, "Targets file").
SEGMENT_TARGETS = """\
version: 1
targets:
  asa: {by: queue, billing: "<= 20s", tech: "<= 40s", default: "<= 30s"}
  service_level: {by: queue, sales: ">= 90%", default: {fail: ">= 70%", warn: ">= 80%"}}
  resolution_time_p90: {by: priority, P1: "<= 4h", P2: "<= 1d", default: "<= 3d"}
  frt: {fail: "<= 4bh"}
calendar:
  timezone: Europe/London
  hours: {mon-fri: "08:00-18:00", sat: "09:00-13:00"}
  holidays: {country: GB, subdivision: ENG}
"""

# (name, argv after "python -m hdkpi", output): output "json"/"csv"/"markdown" goes to -o
# {out}; "stdout-json" is stdout captured (commands without -o). {out} and {outdir} are filled
# in by record.
RUNS: list[tuple[str, list[str], str]] = [
    ("report-all", ["report", *ALL3], "json"),
    ("check-all", ["check", *ALL3], "json"),
    ("report-calls-by-queue", ["report", CALLS, "--by", "queue"], "json"),
    ("report-calls-by-queue-every-day", ["report", CALLS, "--by", "queue", "--every", "day"], "json"),
    ("report-calls-weekday-hour", ["report", CALLS, "--by", "weekday", "--by", "hour"], "json"),
    ("report-calls-weekday-hour-sl", ["report", CALLS, "--by", "weekday", "--by", "hour", "--kpi", "service_level"],
     "json"),
    ("report-tickets-every-week", ["report", TICKETS, SURVEYS, "--every", "week"], "json"),
    ("report-all-every-month", ["report", *ALL3, "--every", "month"], "json"),
    ("report-calls-every-hour", ["report", CALLS, "--every", "hour", "--from", "2026-11-02", "--to", "2026-11-04"],
     "json"),
    ("report-calls-compare-previous", ["report", CALLS, "--by", "queue", "--every", "day", "--compare", "previous"],
     "json"),
    ("report-all-compare-last-week", ["report", *ALL3, "--from", "2026-11-16", "--to", "2026-11-23",
                                      "--compare", "last-week"], "json"),
    ("report-calls-compare-same-day", ["report", CALLS, "--from", "2026-11-18", "--to", "2026-11-19",
                                       "--compare", "same-day-last-week"], "json"),
    ("report-all-last-7d", ["report", *ALL3, "--last", "7d", "--now", "2026-11-20"], "json"),
    ("report-tickets-tz-paris", ["report", TICKETS, "--from", "2026-11-01", "--to", "2026-11-08",
                                 "--tz", "Europe/Paris", "--every", "day"], "json"),
    ("report-all-by-queue-every-day", ["report", *ALL3, "--by", "queue", "--every", "day"], "json"),
    ("report-all-ci95", ["report", *ALL3, "--ci", "95"], "json"),
    ("report-calls-ci95-by-queue", ["report", CALLS, "--ci", "95", "--by", "queue", "--every", "week"], "json"),
    ("report-tickets-business", ["report", TICKETS, "-t", "targets.yaml", "--business", "--by", "priority"], "json"),
    ("check-segment-targets", ["check", CALLS, TICKETS, "-t", "{outdir}/segment-targets.yaml"], "json"),
    ("report-calls-kpi-set", ["report", CALLS, "--kpi", "asa", "--kpi", "service_level(30s)", "--kpi",
                              "abandonment_rate", "--set", "short_abandon=5s", "--by", "agent"], "json"),
    ("report-zendesk", ["report", f"{V}/zendesk_tickets.csv"], "json"),
    ("report-zendesk-vendor", ["report", f"{V}/zendesk_tickets.csv", "--definitions", "vendor"], "json"),
    ("report-freshdesk", ["report", f"{V}/freshdesk_tickets.csv"], "json"),
    ("report-jira", ["report", f"{V}/jira_issues.csv", "--tz", "Europe/London"], "json"),
    ("report-connect", ["report", f"{V}/connect_ctr.jsonl", "--by", "queue"], "json"),
    ("report-connect-queues", ["report", f"{V}/connect_ctr.jsonl", "--preset", "connect-queues"], "json"),
    ("report-asterisk", ["report", f"{V}/asterisk_queue_log"], "json"),
    ("report-asterisk-vendor", ["report", f"{V}/asterisk_queue_log", "--definitions", "vendor"], "json"),
    ("report-real-bank", ["report", f"{EX}/real/anonymous_bank_1999-02-01_07.txt.gz", "--tz", "Asia/Jerusalem",
                          "--every", "day"], "json"),
    ("report-real-servicenow", ["report", f"{EX}/real/servicenow_incident_event_log_part1.csv.gz"], "json"),
    ("inspect-freshdesk", ["inspect", f"{V}/freshdesk_tickets.csv", "-f", "json"], "stdout-json"),
    ("inspect-connect", ["inspect", f"{V}/connect_ctr.jsonl", "-f", "json"], "stdout-json"),
    ("inspect-calls", ["inspect", CALLS, "-f", "json"], "stdout-json"),
    ("staffing-by-queue", ["staffing", CALLS, "--by", "queue", "--goal", "80/20", "--max-occupancy", "85%",
                           "--shrinkage", "30%"], "json"),
    ("staffing-erlang-a", ["staffing", CALLS, "--model", "erlang-a", "--agents", "12", "--per", "date",
                           "--from", "2026-11-16", "--to", "2026-11-18"], "json"),
    ("adherence-agent", ["adherence", SCHEDULE, STATES, "--calls", CALLS, "-f", "json"], "stdout-json"),
    ("adherence-team-week", ["adherence", SCHEDULE, STATES, "--by", "team", "--every", "week", "-f", "json"],
     "stdout-json"),
    ("scorecard-agent", ["scorecard", "agent", *ALL3, "-t", f"{EX}/targets-scorecards.yaml", "-f", "json"],
     "stdout-json"),
    ("scorecard-balanced", ["scorecard", "balanced", *ALL3, "-t", f"{EX}/targets-scorecards.yaml", "-f", "json"],
     "stdout-json"),
    ("history-report-1", ["report", CALLS, TICKETS, "--by", "queue", "--last", "7d", "--now", "2026-11-16",
                          "--history", "{outdir}/h.db"], "json"),
    ("history-report-2", ["report", CALLS, TICKETS, "--by", "queue", "--last", "7d", "--now", "2026-11-23",
                          "--compare", "previous", "--history", "{outdir}/h.db"], "json"),
    ("history-show", ["history", "--history", "{outdir}/h.db"], "json"),
    ("history-by-queue-week", ["history", "--history", "{outdir}/h.db", "--by", "queue", "--every", "week"], "json"),
    ("report-dask-threads", ["report", CALLS, "--by", "queue", "--every", "day", "--engine", "dask",
                             "--scheduler", "threads"], "json"),
    ("kpis", ["kpis", "-f", "json"], "stdout-json"),
    ("kpis-plugin", ["kpis", "-f", "json", "--plugin", f"{EX}/plugins/after_hours.py"], "stdout-json"),
    ("report-plugin", ["report", CALLS, "--plugin", f"{EX}/plugins/after_hours.py", "--by", "queue"], "json"),
    ("report-calls-csv", ["report", CALLS, "--by", "queue", "--every", "week"], "csv"),
    ("check-all-csv", ["check", *ALL3], "csv"),
    ("report-tickets-markdown", ["report", TICKETS, SURVEYS, "--by", "team"], "markdown"),
    ("check-all-markdown", ["check", *ALL3], "markdown"),
]

SUFFIX = {"json": ".json", "stdout-json": ".json", "csv": ".csv", "markdown": ".md"}


def _env(src: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDKPI_")}
    env["NO_COLOR"] = "1"
    env["PYTHONHASHSEED"] = "0"
    if src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def record(outdir: Path, src: str | None) -> int:
    outdir = outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    for old in [*outdir.glob("[0-9][0-9]-*"), outdir / "h.db"]:
        old.unlink(missing_ok=True)
    env = _env(str(Path(src).resolve()) if src else None)
    imported = subprocess.run([sys.executable, "-c", "import hdkpi; print(hdkpi.__file__)"], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True).stdout.strip()
    print(f"hdkpi imported from {imported}")
    if src and not Path(imported).resolve().is_relative_to(Path(src).resolve()):
        print(f"error: hdkpi does not come from --src {src}", file=sys.stderr)
        return 2
    (outdir / "segment-targets.yaml").write_text(SEGMENT_TARGETS, encoding="utf-8")
    manifest = {"outdir": str(outdir), "src": src, "hdkpi_file": imported, "runs": []}
    start = time.perf_counter()
    for i, (name, args, output) in enumerate(RUNS, 1):
        stem = f"{i:02d}-{name}"
        out = outdir / (stem + SUFFIX[output])
        argv = [a.replace("{outdir}", str(outdir)) for a in args]
        if output != "stdout-json":
            argv += ["-f", output, "-o", str(out)]
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "hdkpi", *argv], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        seconds = time.perf_counter() - t0
        if output == "stdout-json":
            out.write_text(proc.stdout, encoding="utf-8")
        meta = {"name": name, "argv": argv, "output": out.name, "format": output, "outdir": str(outdir),
                "exit_code": proc.returncode, "stderr": proc.stderr,
                "stdout": "" if output == "stdout-json" else proc.stdout, "seconds": round(seconds, 3)}
        (outdir / f"{stem}.meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
        manifest["runs"].append(stem)
        print(f"{stem:45s} exit {proc.returncode}  {seconds:5.1f} s")
    total = time.perf_counter() - start
    manifest["seconds"] = round(total, 1)
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"{len(RUNS)} runs in {total:.1f} s -> {outdir}")
    return 0


def _normalise(value, outdir: str, path: str = "$"):
    """VOLATILE_PATHS removed, the record's own directory written as $OUTDIR."""
    if isinstance(value, dict):
        return {k: _normalise(v, outdir, f"{path}.{k}") for k, v in value.items()
                if f"{path}.{k}" not in VOLATILE_PATHS}
    if isinstance(value, list):
        return [_normalise(v, outdir, f"{path}[]") for v in value]
    if isinstance(value, str):
        return value.replace(outdir, OUTDIR_TOKEN)
    return value


def _first_diff(a, b, path: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{path} ({type(a).__name__} vs {type(b).__name__})"
    if isinstance(a, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return f"{path}.{k} ({'only after' if k not in a else 'only before'})"
            found = _first_diff(a[k], b[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = _first_diff(x, y, f"{path}[{i}]")
            if found:
                return found
        return f"{path} (length {len(a)} vs {len(b)})" if len(a) != len(b) else None
    return None if a == b else f"{path} ({a!r} vs {b!r})"[:300]


def _load(side: Path, stem: str):
    meta = json.loads((side / f"{stem}.meta.json").read_text(encoding="utf-8"))
    text = (side / meta["output"]).read_text(encoding="utf-8") if (side / meta["output"]).exists() else None
    outdir = meta["outdir"]
    if text is not None and meta["format"] in ("json", "stdout-json"):
        try:
            doc = _normalise(json.loads(text), outdir)
        except json.JSONDecodeError:
            doc = text.replace(outdir, OUTDIR_TOKEN)
    else:
        doc = None if text is None else text.replace(outdir, OUTDIR_TOKEN)
    return meta, doc, meta["stderr"].replace(outdir, OUTDIR_TOKEN), meta["stdout"].replace(outdir, OUTDIR_TOKEN)


def _text_diff(a: str | None, b: str | None, what: str) -> str | None:
    if a == b:
        return None
    if a is None or b is None:
        return f"{what}: {'missing before' if a is None else 'missing after'}"
    la, lb = a.splitlines(), b.splitlines()
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            col = next((i for i, (c, d) in enumerate(zip(x, y)) if c != d), min(len(x), len(y)))
            at = max(col - 30, 0)
            return f"{what} line {n} col {col + 1}: {x[at:col + 60]!r} vs {y[at:col + 60]!r}"
    return f"{what}: {len(la)} vs {len(lb)} lines"


def compare(before: Path, after: Path) -> int:
    stems = sorted({p.name[: -len(".meta.json")] for side in (before, after) for p in side.glob("*.meta.json")})
    differ = 0
    for stem in stems:
        if not (before / f"{stem}.meta.json").exists() or not (after / f"{stem}.meta.json").exists():
            print(f"{stem:45s} DIFF only {'after' if (after / f'{stem}.meta.json').exists() else 'before'}")
            differ += 1
            continue
        ma, da, ea, oa = _load(before, stem)
        mb, db, eb, ob = _load(after, stem)
        problem = None
        if ma["exit_code"] != mb["exit_code"]:
            problem = f"exit code {ma['exit_code']} vs {mb['exit_code']}"
        elif isinstance(da, str) or isinstance(db, str) or da is None or db is None:
            problem = _text_diff(da if isinstance(da, str) or da is None else json.dumps(da),
                                 db if isinstance(db, str) or db is None else json.dumps(db), "output")
        else:
            found = _first_diff(da, db)
            problem = found and f"JSON {found}"
        problem = problem or _text_diff(ea, eb, "stderr") or _text_diff(oa, ob, "stdout")
        if problem:
            differ += 1
            print(f"{stem:45s} DIFF {problem}")
        else:
            print(f"{stem:45s} same")
    print(f"{len(stems)} runs: {len(stems) - differ} same, {differ} differ")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run every command line, keep outputs, exit codes and stderr in OUTDIR")
    rec.add_argument("outdir", type=Path)
    rec.add_argument("--src", help="run hdkpi from this source directory (prepended to PYTHONPATH)")
    cmp_ = sub.add_parser("compare", help="compare two records; exit 1 on any difference")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        return record(args.outdir, args.src)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
