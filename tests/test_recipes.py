"""The recipes in examples/cron and examples/ci run what they say they run.

Each test reads the hdkpi command line out of the recipe file the way its scheduler would (the
crontab line with cron's ``\\%``, ``ExecStart=`` with systemd's ``%%``/``$$``, the workflow's
``run:`` step, the GitLab ``script:`` line), splits it with shlex, points the recipe's paths at a
copy of the shipped examples in a temporary directory and runs it through Click's CliRunner —
not through cron, systemd or a CI runner. Where a POSIX shell is present, the tests also let
``/bin/sh`` expand the line, to prove the escaping hands hdkpi the arguments assumed here.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.exitcodes import ExitCode
from hdkpi.render import available

from .conftest import EXAMPLES, ROOT

CRON = EXAMPLES / "cron"
CI = EXAMPLES / "ci"
#: what the recipes' ``$(date -u +%F)`` is replaced with: a Saturday inside the examples' four
#: weeks, so ``--last 1d`` is Friday 2026-11-20, a full working day
NOW = "2026-11-21"
DATE_COMMAND = "$(date -u +%F)"
EXAMPLE_FILES = ("calls.csv", "tickets.csv", "surveys.csv")
SH = shutil.which("sh") if os.name == "posix" else None
needs_sh = pytest.mark.skipif(SH is None or shutil.which("date") is None, reason="needs a POSIX sh and date")


# -- reading the recipes as their schedulers do ------------------------------------------------

def cron_command(path: Path) -> str:
    """The command of the one job line, as cron hands it to /bin/sh (``\\%`` → ``%``)."""
    jobs = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#") and not re.match(r"^\s*[A-Za-z_]\w*\s*=", line)]
    assert len(jobs) == 1, jobs
    fields = jobs[0].split(None, 5)
    assert len(fields) == 6, "five time fields and a command"
    command = fields[5]
    assert not re.search(r"(?<!\\)%", command), "a bare % would end the cron command"
    return command.replace("\\%", "%")


def unit_file(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def systemd_unescape(text: str) -> str:
    """systemd's ``%%`` → ``%`` and ``$$`` → ``$`` (the only specifier/variable forms the recipe uses)."""
    assert not re.search(r"%[^%]", text.replace("%%", "")), "an unescaped systemd specifier"
    return re.sub(r"%%|\$\$", lambda m: m.group(0)[0], text)


def systemd_command(path: Path) -> str:
    """The shell command inside ``ExecStart=/bin/sh -c '…'``."""
    argv = shlex.split(systemd_unescape(unit_file(path)["Service"]["ExecStart"]))
    assert argv[:2] == ["/bin/sh", "-c"] and len(argv) == 3, argv
    return argv[2]


def hdkpi_args(command: str) -> list[str]:
    """The arguments after the hdkpi program in a shell command line."""
    tokens = shlex.split(command)
    if tokens[0] == "exec":
        tokens = tokens[1:]
    assert Path(tokens[0]).name == "hdkpi", tokens[0]
    return tokens[1:]


def github_workflow() -> dict[str, Any]:
    return yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))


def gitlab_ci() -> dict[str, Any]:
    return yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))


def github_check_step() -> dict[str, Any]:
    steps = [s for s in github_workflow()["jobs"]["kpis"]["steps"] if "hdkpi check" in s.get("run", "")]
    assert len(steps) == 1
    return steps[0]


def gitlab_check_line() -> str:
    lines = [line for line in gitlab_ci()["hdkpi"]["script"] if line.startswith("hdkpi ")]
    assert len(lines) == 1
    return lines[0]


# -- running them -------------------------------------------------------------------------------

def invoke(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def option_values(args: list[str], *names: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a in names]


def srv_tree(tmp_path: Path) -> Path:
    """/srv as the nightly recipes expect it: the calls export and the targets file."""
    srv = tmp_path / "srv"
    (srv / "exports").mkdir(parents=True)
    (srv / "hdkpi").mkdir()
    shutil.copy(EXAMPLES / "calls.csv", srv / "exports" / "calls.csv")
    shutil.copy(ROOT / "targets.yaml", srv / "hdkpi" / "targets.yaml")
    return srv


def nightly_args(command: str, tmp_path: Path) -> list[str]:
    """The recipe's arguments with /srv moved under ``tmp_path`` and the shell's date fixed."""
    args = hdkpi_args(command)
    assert args.count(DATE_COMMAND) == 1, "the recipe computes --now with `date -u +%F`"
    args = [NOW if a == DATE_COMMAND else a for a in args]
    assert not any("$" in a for a in args), "a shell expansion this test does not emulate"
    return [str(tmp_path) + a if a.startswith("/srv/") else a for a in args]


def check_nightly_run(args: list[str], tmp_path: Path) -> None:
    result = invoke(args)
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == "" and result.stderr == "", "-q: silent when all is well"
    written = sorted(p.relative_to(tmp_path) for p in (tmp_path / "srv" / "reports").rglob("*") if p.is_file()
                     and not p.name.startswith("history.db"))
    assert written == [Path("srv/reports/2026-11-20/kpis.json")], "named after the day the figures cover"
    assert (tmp_path / "srv" / "reports" / "history.db").is_file(), "the night is recorded in the history"
    doc = json.loads((tmp_path / "srv" / "reports" / "2026-11-20" / "kpis.json").read_text(encoding="utf-8"))
    assert doc["command"] == "report"
    assert doc["period"] == {"from": "2026-11-20T00:00:00+00:00", "to": "2026-11-21T00:00:00+00:00"}
    assert doc["by"] == ["queue"]
    assert doc["targets"]
    queues = {tuple(r["group"].items()) for r in doc["results"] if r["group"]}
    assert queues == {(("queue", q),) for q in ("billing", "sales", "tech")}
    asa = next(r for r in doc["results"] if r["kpi"] == "asa" and not r["group"])
    assert asa["n"] > 0 and asa["compare"] is not None, "yesterday, with the day before to compare"


def test_crontab_line_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    srv_tree(tmp_path)
    check_nightly_run(nightly_args(cron_command(CRON / "crontab"), tmp_path), tmp_path)


def test_systemd_exec_start_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    srv_tree(tmp_path)
    check_nightly_run(nightly_args(systemd_command(CRON / "hdkpi-nightly.service"), tmp_path), tmp_path)


def test_cron_and_systemd_run_the_same_command():
    assert hdkpi_args(cron_command(CRON / "crontab")) == hdkpi_args(systemd_command(CRON / "hdkpi-nightly.service"))


def test_systemd_units_fit_together():
    service = unit_file(CRON / "hdkpi-nightly.service")
    timer = unit_file(CRON / "hdkpi-nightly.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert "[Install]" not in (CRON / "hdkpi-nightly.service").read_text(encoding="utf-8"), "started by the timer"
    assert timer["Timer"]["Unit"] == "hdkpi-nightly.service"
    assert timer["Timer"]["OnCalendar"] == "*-*-* 00:15:00 UTC"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    # the directory the report goes to is the one the hardened service may write
    out = option_values(hdkpi_args(systemd_command(CRON / "hdkpi-nightly.service")), "-o", "--output")
    assert out and all(p.startswith(service["Service"]["ReadWritePaths"] + "/") for p in out)


@needs_sh
@pytest.mark.parametrize("recipe", ["crontab", "hdkpi-nightly.service"])
def test_the_shell_hands_hdkpi_these_arguments(recipe, tmp_path):
    """sh expands the recipe's command as assumed above: the date, and the -o template intact."""
    command = cron_command(CRON / recipe) if recipe == "crontab" else systemd_command(CRON / recipe)
    program = shlex.split(command)[1 if command.startswith("exec ") else 0]
    dump = tmp_path / "argv.py"
    dump.write_text("import json, sys\nprint(json.dumps(sys.argv[1:]))\n", encoding="utf-8")
    fake = f"{shlex.quote(sys.executable)} {shlex.quote(str(dump))}"
    out = subprocess.run([SH, "-c", command.replace(program, fake, 1)], capture_output=True, text=True, check=True)
    argv = json.loads(out.stdout)
    expected = hdkpi_args(command)
    at = expected.index(DATE_COMMAND)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", argv[at]), argv[at]
    assert argv == [*expected[:at], argv[at], *expected[at + 1:]]
    assert "/srv/reports/{period_start:%Y-%m-%d}/kpis.json" in argv


# -- CI -----------------------------------------------------------------------------------------

def repo_tree(tmp_path: Path) -> None:
    """A repository as the CI recipes expect it: exports/*.csv and targets.yaml."""
    (tmp_path / "exports").mkdir()
    for name in EXAMPLE_FILES:
        shutil.copy(EXAMPLES / name, tmp_path / "exports" / name)
    shutil.copy(ROOT / "targets.yaml", tmp_path / "targets.yaml")


def ci_args(line: str, tmp_path: Path) -> list[str]:
    """The check line's arguments, the glob expanded as the shell does (sorted); a format whose
    module has not shipped yet is swapped for json so the run and the files can still be checked."""
    args: list[str] = []
    for token in hdkpi_args(line):
        if any(c in token for c in "*?["):
            matches = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob(token))
            assert matches, f"{token} matches nothing"
            args += matches
        else:
            args.append(token)
    return [a if args[i - 1] not in ("-f", "--format") or a in available() else "json" for i, a in enumerate(args)]


def check_ci_run(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    repo_tree(tmp_path)
    args = ci_args(line, tmp_path)
    assert args[0] == "check"
    assert [a for a in args if a.startswith("exports/")] == [f"exports/{n}" for n in sorted(EXAMPLE_FILES)]
    result = invoke(args)
    assert result.exit_code == ExitCode.TARGET_MISSED, result.output  # the examples miss targets
    formats = option_values(hdkpi_args(line), "-f", "--format")
    outputs = option_values(hdkpi_args(line), "-o", "--output")
    assert formats == ["junit", "markdown"] and outputs == ["hdkpi.xml", "hdkpi.md"]
    files = {fmt: (tmp_path / out).read_text(encoding="utf-8") for fmt, out in zip(formats, outputs)}
    assert all(text.strip() for text in files.values()), "written before exit 1"
    if "junit" in available():
        import xml.etree.ElementTree as ET

        root = ET.fromstring(files["junit"])
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        assert root.tag in ("testsuite", "testsuites") and suites
        assert sum(int(s.get("failures", 0)) for s in suites) > 0, "the missed targets are failures"
    if "markdown" in available():
        assert files["markdown"].endswith("\n") and "abandonment" in files["markdown"]
    return files


def test_github_workflow_check_line_runs(tmp_path, monkeypatch):
    check_ci_run(github_check_step()["run"], tmp_path, monkeypatch)


def test_gitlab_check_line_runs(tmp_path, monkeypatch):
    check_ci_run(gitlab_check_line(), tmp_path, monkeypatch)


def test_both_ci_recipes_run_the_same_check():
    assert github_check_step()["run"].strip() == gitlab_check_line().strip()


def test_ci_formats_have_shipped():
    """The CI recipes use -f junit and -f markdown; until their modules ship, the two tests above
    run the same line with json in their place (and this one says so)."""
    missing = [f for f in ("junit", "markdown") if f not in available()]
    if missing:
        pytest.skip(f"formats not shipped yet: {', '.join(missing)} (the CI runs used json instead)")


def test_github_workflow_shape():
    doc = github_workflow()
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads the key `on` as true
    assert {"push", "schedule", "workflow_dispatch"} <= set(triggers)
    assert doc["permissions"] == {"contents": "read", "checks": "write"}
    job = doc["jobs"]["kpis"]
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "pip install hdkpi" in runs
    assert runs.index("pip install hdkpi") < runs.index(github_check_step()["run"])
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["run"] == 'cat hdkpi.md >> "$GITHUB_STEP_SUMMARY"'
    assert "!cancelled()" in summary["if"], "the summary is added after a failed check too"
    junit = next(s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@"))
    assert junit["with"]["report_paths"] == "hdkpi.xml"
    assert "!cancelled()" in junit["if"]


def test_gitlab_ci_shape():
    job = gitlab_ci()["hdkpi"]
    assert job["stage"] == "test"
    assert job["script"][0] == "pip install hdkpi"
    assert job["artifacts"]["reports"] == {"junit": "hdkpi.xml"}
    assert job["artifacts"]["when"] == "always", "the reports of a failing check are kept"
    assert set(job["artifacts"]["paths"]) == {"hdkpi.xml", "hdkpi.md"}


@needs_sh
def test_github_summary_step_appends_the_markdown(tmp_path, monkeypatch):
    files = check_ci_run(github_check_step()["run"], tmp_path, monkeypatch)
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    step = next(s for s in github_workflow()["jobs"]["kpis"]["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    subprocess.run([SH, "-c", step["run"]], cwd=tmp_path, check=True,
                   env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + files["markdown"]
