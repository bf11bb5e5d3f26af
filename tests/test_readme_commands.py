"""The docs say what the code does.

* Every ``hdkpi`` command line in the shell blocks of README.md, docs/*.md and examples/**/README*.md
  runs, through Click's CliRunner in a temporary directory, with the exit code the text gives: the
  code a ``console`` block prints after ``$ echo $?``, or ``exit N`` in the line's comment, else 1
  for ``check`` (the shipped examples miss targets on purpose) and 0 for everything else. A usage
  error (2) or an internal error (3) always fails. Placeholder paths are mapped onto the shipped
  examples by the tables below; a block is skipped only when the line just before it is an
  ``<!-- illustrative … -->`` comment, and the skipped blocks are named here.
* Every ``--option`` that README.md and docs/*.md name, in a shell block or a code span, is an
  option of the command it is written with (``hdkpi history prune --keep``), or, written bare
  (``--by``), of at least one hdkpi command. Options of other programs are listed below.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.exitcodes import ExitCode

from .conftest import EXAMPLES, ROOT
from .test_recipes import DATE_COMMAND, NOW

COMMAND_DOCS = sorted({ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *EXAMPLES.rglob("README*.md")})
OPTION_DOCS = sorted({ROOT / "README.md", *(ROOT / "docs").glob("*.md")})
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console"}
ILLUSTRATIVE = "<!-- illustrative"
#: blocks skipped for their ``<!-- illustrative … -->`` marker, as "file:line of the fence"
EXPECTED_ILLUSTRATIVE: set[str] = set()

#: placeholder input paths of the docs → the shipped example files they stand for
INPUTS: dict[str, list[str]] = {
    "calls.csv": ["examples/calls.csv"],
    "tickets.csv": ["examples/tickets.csv"],
    "today.csv": ["examples/calls.csv"],
    "/exports/calls.csv": ["examples/calls.csv"],
    "/srv/exports/calls.csv": ["examples/calls.csv"],
    "exports/*.csv": ["examples/calls.csv", "examples/surveys.csv", "examples/tickets.csv"],  # as sh sorts them
}
#: the environment variable the docs keep notification secrets in (--notify "$HDKPI_NOTIFY")
NOTIFY_VARIABLE = "$HDKPI_NOTIFY"
#: files a reader already has, put into the working directory (paths under / go below it) before a block runs
TARGETS_COPIES = ("targets.yaml", "srv/hdkpi/targets.yaml")  # the shipped targets.yaml
HISTORY_STORE = "history.db"  # a store of the examples' nights (report --every day --history)
SCHEDULE = "planned.csv"  # the staffing what-if: weekday, interval, agents
SCHEDULE_TEXT = "weekday,interval,agents\n" + "".join(
    f"{day},{hour:02d}:{minute:02d},{6 if 10 <= hour < 12 else 4}\n"
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri") for hour in range(8, 18) for minute in (0, 30))

#: options written bare in the docs that belong to another program (option → whose)
FOREIGN_OPTIONS: dict[str, str] = {
    "--duckdb": "bench/run.py", "--gz": "bench/run.py", "--profile": "bench/run.py", "--hdkpi-arg": "bench/run.py",
    "--validate": "bench/duckdb_ref.py", "--sql": "bench/duckdb_ref.py",
    "-X": "python",  # python -X importtime
}
#: programs whose command lines in code spans are not hdkpi's (pip's -e, pytest's -m, …)
FOREIGN_PROGRAMS = {"pip", "pytest", "python", "ruff", "bash", "/usr/bin/time", "bench/run.py", "duckdb_ref.py", "curl"}

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
SEPARATORS = {"&&", "||", ";", "|", "&"}


# -- reading the docs ---------------------------------------------------------------------------

@dataclass
class Block:
    doc: Path
    line: int  #: of the opening fence, 1-based
    language: str
    lines: list[str]
    illustrative: bool

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT).as_posix()}:{self.line}"


@dataclass
class Command:
    where: str
    tokens: list[str]  #: after ``hdkpi``, as the shell hands them (globs and $(…) still unexpanded)
    stated: int | None = None  #: the exit code the doc gives for it, if any
    options: list[str] = field(default_factory=list)


def fenced_blocks(doc: Path) -> list[Block]:
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", lines[i])
        if not opening:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith(opening.group(1)):
            end += 1
        before = lines[i - 1].strip() if i else ""
        blocks.append(Block(doc, i + 1, opening.group(2).lower(), lines[i + 1:end], before.startswith(ILLUSTRATIVE)))
        i = end + 1
    return blocks


def shell_blocks(docs: list[Path]) -> list[Block]:
    return [b for doc in docs for b in fenced_blocks(doc) if b.language in SHELL_LANGUAGES]


def logical_lines(block: Block) -> list[tuple[int, str, bool]]:
    """(line, text, is a command) of a shell block: continuation lines joined, heredoc bodies dropped;
    in a ``console`` block only ``$ `` lines are commands, the others are output."""
    out: list[tuple[int, str, bool]] = []
    pending: tuple[int, str] | None = None
    heredoc: str | None = None
    console = block.language == "console" or any(line.startswith("$ ") for line in block.lines)
    for number, raw in enumerate(block.lines, block.line + 1):
        if heredoc is not None:
            heredoc = None if raw.strip() == heredoc else heredoc
            continue
        if pending is not None:
            number, text = pending[0], pending[1] + " " + raw.strip()
        elif console and not raw.startswith("$ "):
            out.append((number, raw, False))
            continue
        else:
            text = raw[2:] if console else raw
        if text.rstrip().endswith("\\"):
            pending = (number, text.rstrip()[:-1].rstrip())
            continue
        pending = None
        marker = re.search(r"<<-?\s*'?\"?(\w+)", text)
        if marker:
            heredoc = marker.group(1)
        out.append((number, text, True))
    return out


def tokens_of(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def hdkpi_segments(tokens: list[str]) -> list[list[str]]:
    """The arguments of each ``hdkpi …`` (or ``python -m hdkpi …``) command in a line's tokens."""
    segments, current = [], []
    for token in [*tokens, ";"]:
        if token in SEPARATORS:
            if current[:3] == ["python", "-m", "hdkpi"]:
                current = current[2:]
            if current and current[0] == "hdkpi":
                segments.append(current[1:])
            current = []
        else:
            current.append(token)
    return segments


def commands_in(block: Block) -> list[Command]:
    commands: list[Command] = []
    lines = logical_lines(block)
    for i, (number, text, is_command) in enumerate(lines):
        if not is_command:
            continue
        tokens = tokens_of(text)
        if tokens == ["echo", "$?"]:
            assert commands and i + 1 < len(lines) and not lines[i + 1][2], f"{block.where}: echo $? after what?"
            commands[-1].stated = int(lines[i + 1][1])
            continue
        comment = text.split(" #", 1)[1] if " #" in text else ""
        stated = re.search(r"\bexits? (\d)\b", comment)
        for args in hdkpi_segments(tokens):
            commands.append(Command(f"{block.where.rsplit(':', 1)[0]}:{number}", args,
                                    int(stated.group(1)) if stated else None))
    return commands


# -- running them -------------------------------------------------------------------------------

def placed(token: str, tmp: Path) -> list[str]:
    """A token of a doc's command line as it is in the temporary directory."""
    if token == NOTIFY_VARIABLE:  # the secret of the docs' notifications: a service that refuses at once
        return ["json://127.0.0.1:9/"]
    if "$" in token:
        assert token == DATE_COMMAND, f"{token!r}: a shell expansion this test does not emulate"
        return [NOW]
    if token in INPUTS:
        return [str(ROOT / path) for path in INPUTS[token]]
    if token.startswith("examples/"):
        matches = sorted(ROOT.glob(token)) if any(c in token for c in "*?[") else [ROOT / token]
        assert matches and all(p.exists() for p in matches), f"{token}: no such file in the repository"
        return [str(p) for p in matches]
    assert not any(c in token for c in "*?["), f"{token}: a glob the INPUTS table does not map"
    if token.startswith("/"):
        return [str(tmp) + token]
    return [token]


@pytest.fixture(scope="module")
def history_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("store") / "history.db"
    result = CliRunner().invoke(cli, ["report", str(EXAMPLES / "calls.csv"), str(EXAMPLES / "tickets.csv"),
                                      "--every", "day", "--by", "queue", "--history", str(store), "-q"])
    assert result.exit_code == 0, result.output
    return store


def reader_tree(tmp: Path, history_store: Path) -> None:
    for copy in TARGETS_COPIES:
        (tmp / copy).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "targets.yaml", tmp / copy)
    shutil.copy(history_store, tmp / HISTORY_STORE)
    (tmp / SCHEDULE).write_text(SCHEDULE_TEXT, encoding="utf-8")


def expected_exit(command: Command) -> int:
    if command.stated is not None:
        return command.stated
    return ExitCode.TARGET_MISSED if command.tokens[:1] == ["check"] else ExitCode.OK


BLOCKS = [b for b in shell_blocks(COMMAND_DOCS) if any(True for _ in commands_in(b))]


@pytest.mark.parametrize("block", [b for b in BLOCKS if not b.illustrative], ids=lambda b: b.where)
def test_the_commands_of_a_shell_block_run(block: Block, tmp_path, monkeypatch, history_store):
    """The block's commands run in order in one directory, so a later line may read what an earlier wrote."""
    for name in ("HDKPI_HISTORY", "HDKPI_CACHE", "HDKPI_HISTORY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HDKPI_NOTIFY_TIMEOUT", "1")
    monkeypatch.chdir(tmp_path)
    reader_tree(tmp_path, history_store)
    for command in commands_in(block):
        args = [a for token in command.tokens for a in placed(token, tmp_path)]
        expected = expected_exit(command)
        assert expected in (ExitCode.OK, ExitCode.TARGET_MISSED), f"{command.where}: the doc says exit {expected}"
        result = CliRunner().invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{command.where}: hdkpi {shlex.join(command.tokens)}\n{result.output}")
        assert result.exit_code == expected, (
            f"{command.where}: hdkpi {shlex.join(command.tokens)} exited {result.exit_code}, "
            f"the doc says {expected}\n{result.output[-2000:]}")


def test_the_docs_show_enough_commands_and_skip_only_the_named_blocks():
    commands = [c for b in BLOCKS if not b.illustrative for c in commands_in(b)]
    assert len(commands) >= 30, [c.where for c in commands]
    assert {c.tokens[0] for c in commands} >= {"report", "check", "kpis", "history", "staffing", "scorecard",
                                               "inspect"}
    assert {b.where for b in BLOCKS if b.illustrative} == EXPECTED_ILLUSTRATIVE
    assert len(EXPECTED_ILLUSTRATIVE) <= 3, "illustrative blocks are the exception"


def test_the_block_reader_follows_the_shell():
    block = Block(ROOT / "README.md", 1, "console", [
        "$ pip install . && hdkpi check a.csv \\", "    -t t.yaml   # note", "$ echo $?", "1",
        "$ python -m hdkpi kpis | head; hdkpi report 'x y.csv' --kpi 'service_level(30s)'  # exit 0",
        "$ python - <<'EOF'", "hdkpi report inside.csv", "EOF"], False)
    commands = commands_in(block)
    assert [(c.tokens, c.stated) for c in commands] == [
        (["check", "a.csv", "-t", "t.yaml"], 1),
        (["kpis"], 0),
        (["report", "x y.csv", "--kpi", "service_level(30s)"], 0)]
    assert commands[0].where == "README.md:2"


# -- the options the docs name ------------------------------------------------------------------

def command_tree() -> dict[tuple[str, ...], click.Command]:
    tree: dict[tuple[str, ...], click.Command] = {}

    def walk(path: tuple[str, ...], command: click.Command, parent: click.Context | None) -> None:
        tree[path] = command
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=path[-1] if path else "hdkpi", parent=parent)
            for name, sub in command.commands.items():
                walk((*path, name), sub, ctx)

    walk((), cli, None)
    return tree


TREE = command_tree()


def options_of(path: tuple[str, ...]) -> set[str]:
    """The options ``hdkpi PATH --help`` lists."""
    command = TREE[path]
    params = command.get_params(click.Context(command, info_name=path[-1] if path else "hdkpi"))
    return {o for p in params if isinstance(p, click.Option) and not p.hidden for o in (*p.opts, *p.secondary_opts)}


def command_path(words: list[str]) -> tuple[str, ...]:
    path: tuple[str, ...] = ()
    for word in words:
        if (*path, word) not in TREE:
            break
        path = (*path, word)
    return path


@dataclass
class Mention:
    where: str
    option: str
    path: tuple[str, ...] | None  #: None: written bare, any command's will do


def code_spans(doc: Path) -> list[tuple[int, str]]:
    text = doc.read_text(encoding="utf-8")
    for block in fenced_blocks(doc):  # blank out fenced blocks, keeping the line numbers
        lines = text.split("\n")
        for i in range(block.line - 1, min(block.line + len(block.lines) + 1, len(lines))):
            lines[i] = ""
        text = "\n".join(lines)
    spans = []
    for match in re.finditer(r"`([^`]+)`", text):
        if "\n\n" not in match.group(1):
            spans.append((text.count("\n", 0, match.start()) + 1, match.group(1).replace("\\|", "|")))
    return spans


def mentions(doc: Path) -> list[Mention]:
    name = doc.relative_to(ROOT).as_posix()
    found: list[Mention] = []
    for block in shell_blocks([doc]):
        for command in commands_in(block):
            path = command_path(command.tokens)
            found += [Mention(command.where, o, path) for t in command.tokens for o in OPTION.findall(t.split("=")[0])
                      if t.startswith("-")]
    for line, span in code_spans(doc):
        span = span.replace("python -m hdkpi", "hdkpi")
        words = span.split()
        if words[0] == "hdkpi":
            path: tuple[str, ...] | None = command_path(words[1:])
        elif words[0].startswith("-"):
            path = None
        elif words[0] in FOREIGN_PROGRAMS:
            continue
        else:
            assert not OPTION.search(span), f"{name}:{line}: `{span}`: whose options? (name the command)"
            continue
        found += [Mention(f"{name}:{line}", o, path) for o in OPTION.findall(span)]
    return found


MENTIONS = [m for doc in OPTION_DOCS for m in mentions(doc)]


def test_every_option_the_docs_name_is_in_that_commands_help():
    every = set().union(*(options_of(p) for p in TREE))
    wrong = []
    for m in MENTIONS:
        if m.path is None and m.option in FOREIGN_OPTIONS:
            continue
        known = every if m.path is None else options_of(m.path)
        if m.option not in known:
            wrong.append(f"{m.where}: {m.option} is not an option of "
                         + ("any hdkpi command" if m.path is None else f"`hdkpi {' '.join(m.path)}`"))
    assert not wrong, "\n".join(wrong)
    assert len(MENTIONS) > 200 and len({m.option for m in MENTIONS}) > 40


@pytest.mark.parametrize("path", sorted(TREE), ids=lambda p: " ".join(("hdkpi", *p)))
def test_every_help_prints_as_written(path):
    """Click prints help text as written: a ``%%`` (argparse's escape) would show doubled."""
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == ExitCode.OK, result.output
    assert "%%" not in result.output
    assert {o for o in options_of(path) if o.startswith("--")} <= set(OPTION.findall(result.output))


def test_the_foreign_options_are_there_and_are_the_other_programs():
    named = {m.option for m in MENTIONS if m.path is None}
    every = set().union(*(options_of(p) for p in TREE))
    for option, owner in FOREIGN_OPTIONS.items():
        assert option in named, f"{option} is no longer in the docs: drop it from FOREIGN_OPTIONS"
        assert option not in every, f"{option} is hdkpi's own now"
        if (ROOT / owner).is_file():
            assert f'"{option}"' in (ROOT / owner).read_text(encoding="utf-8"), f"{owner} has no {option}"


# -- what README.md and docs/readings.md say of the targets file -------------------------------

def test_targets_file_preset_and_calendar_are_read(tmp_path, monkeypatch):
    """``preset:`` (a mapping file relative to the targets file) reads the files as --preset does, and
    --preset wins; a business-time target needs ``calendar:`` (README 'Targets file', docs/readings.md)."""
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "ourdesk.yaml").write_text(
        "name: ourdesk\nkind: tickets\ndetect: [Case Number, Opened]\n"
        "fields: {ticket_id: Case Number, created_at: Opened, resolved_at: Resolved On}\n", encoding="utf-8")
    (tmp_path / "cases.csv").write_text("Case Number,Opened,Resolved On\nC1,2026-11-02 08:00,2026-11-02 10:00\n"
                                        "C2,2026-11-02 09:00,\n", encoding="utf-8")
    targets = tmp_path / "conf" / "targets.yaml"
    targets.write_text("version: 1\npreset: ourdesk.yaml\ncalendar: {timezone: UTC, hours: {mon-fri: \"08:00-18:00\"}}\n"
                       "targets:\n  ticket_volume: \">= 2\"\n  resolved_within(1bd): \">= 50%\"\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "cases.csv", "-t", str(targets), "-f", "json"])
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert [i.get("preset") for i in doc["inputs"]] == ["ourdesk"]
    within = next(r for r in doc["results"] if r["kpi"] == "resolved_within(1bd)")
    assert within["status"] == "pass" and "business time" in within["method"]

    result = CliRunner().invoke(cli, ["check", "cases.csv", "-t", str(targets), "--preset", "generic"])
    assert result.exit_code == ExitCode.USAGE, "--preset wins: generic cannot read these columns"

    targets.write_text("version: 1\ntargets:\n  resolved_within(1bd): \">= 50%\"\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "cases.csv", "-t", str(targets), "--preset", "conf/ourdesk.yaml"])
    assert result.exit_code == ExitCode.USAGE and "calendar" in result.stderr
