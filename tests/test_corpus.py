"""The bad-input corpus (issue 10): every case of ``tests/corpus/cases.yaml`` through the CLI.

Each case is refused with exit 2 and ONE line on stderr naming the file (and line:column where the
input allows) — or read with its bad rows rejected, counted by reason, and ``read = used +
rejected`` — never a traceback, never exit 3. Large and binary inputs are generated into the
test's tmp dir (see the keys at the top of cases.yaml); a case whose current behaviour is wrong is
a strict xfail naming the bug, so fixing it turns the test red until the mark is removed.
"""

from __future__ import annotations

import contextvars
import json
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hdkpi.cli import cli

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


# -- inputs ----------------------------------------------------------------------------------------

def _binary(size: int) -> bytes:
    data = bytearray(random.Random(10).randbytes(size))
    data[7] = 0  # a NUL early on, as in any real binary file
    return bytes(data)


def _binary_high(size: int) -> bytes:
    """Random bytes ≥ 0x80 with commas and newlines, no NUL: not UTF-8, not valid cp1252 either."""
    rng = random.Random(7)
    alphabet = [*range(0x80, 0x100), 0x41, 0x2C, 0x0A]
    return bytes([0x81, *(rng.choice(alphabet) for _ in range(size - 1))])


def _pdf() -> bytes:
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _xlsx(path: Path) -> None:
    """A minimal Office Open XML workbook: a zip with the parts Excel writes first."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"/>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook><sheets><sheet name="calls" sheetId="1"/>'
                      "</sheets></workbook>")
        book.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet><sheetData><row r="1">'
                      '<c r="A1" t="inlineStr"><is><t>call_id</t></is></c></row></sheetData></worksheet>')


def materialise(entry: str | dict[str, Any], into: Path) -> str:
    """Put one case file into ``into``; return the name to give on the command line."""
    if isinstance(entry, str):
        shutil.copyfile(CORPUS / entry, into / Path(entry).name)
        return Path(entry).name
    target = into / entry["name"]
    if "latin1" in entry:
        target.write_bytes(entry["latin1"].encode("latin-1"))
    elif "fill" in entry:
        text = (CORPUS / entry["source"]).read_text(encoding="utf-8")
        for marker, size in entry["fill"].items():
            text = text.replace(marker, "x" * size)
        target.write_text(text, encoding="utf-8", newline="")
    elif "encoding" in entry:
        text = (CORPUS / entry["source"]).read_text(encoding="utf-8")
        encoding = entry["encoding"]
        bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-8": b"\xef\xbb\xbf"}.get(encoding, b"")
        target.write_bytes((bom if entry.get("bom") else b"") + text.encode(encoding))
    else:
        kind = entry["generate"]
        if kind == "binary":
            target.write_bytes(_binary(entry["size"]))
        elif kind == "binary_high":
            target.write_bytes(_binary_high(entry["size"]))
        elif kind == "pdf":
            target.write_bytes(_pdf())
        elif kind == "xlsx":
            _xlsx(target)
        elif kind == "sparse":
            with target.open("wb") as sparse:  # a hole: no disk blocks, reads as zeros
                sparse.truncate(entry["size"])
        elif kind == "directory":
            target.mkdir()
        else:  # pragma: no cover - a typo in cases.yaml
            raise ValueError(f"unknown generator {kind!r}")
    return entry["name"]


def argv_of(case: dict[str, Any], tmp_path: Path) -> list[str]:
    names = [materialise(entry, tmp_path) for entry in case.get("files", [])]
    for entry in case.get("support", []):
        materialise(entry, tmp_path)
    argv = [case.get("command", "report"), *names]
    if "targets" in case:
        argv += ["-t", materialise(case["targets"], tmp_path)]
    argv += [str(a) for a in case.get("args", [])]
    if case["exit"] != 2 and ("rows" in case or "values" in case) and "-f" not in argv:
        argv += ["-f", "json"]
    return argv


def blame_of(case: dict[str, Any]) -> str | None:
    if "blame" in case:
        return case["blame"]
    if "targets" in case:
        entry = case["targets"]
    elif case.get("files"):
        entry = case["files"][0]
    else:
        return None
    return Path(entry).name if isinstance(entry, str) else entry["name"]


# -- running -------------------------------------------------------------------------------------

def run_cli(argv: list[str], case: dict[str, Any], tmp_path: Path) -> tuple[int, str, str]:
    if "timeout" in case:  # a case that may hang or eat memory today: a child process we can stop
        try:
            done = subprocess.run([sys.executable, "-c", "from hdkpi.cli import main; main()", *argv],
                                  cwd=tmp_path, capture_output=True, text=True, timeout=case["timeout"])
        except subprocess.TimeoutExpired:
            pytest.fail(f"hdkpi {' '.join(argv)} did not finish within {case['timeout']} s")
        return done.returncode, done.stdout, done.stderr
    # a fresh copy of the context: a ContextVar a run sets (--dayfirst, progress) must not leak into later tests
    result = contextvars.copy_context().run(CliRunner().invoke, cli, argv, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception}")
    return result.exit_code, result.stdout, result.stderr


def _result(report: dict[str, Any], kpi: str, group: dict[str, Any], period: str | None) -> dict[str, Any]:
    for record in report["results"]:
        if record["kpi"] == kpi and record["group"] == group and record["period"] == period:
            return record
    raise AssertionError(f"no result for {kpi} group={group} period={period}")


def check_accounting(report: dict[str, Any], case: dict[str, Any]) -> None:
    for item in report["inputs"]:  # nothing lost: every row read is used or rejected with a reason
        rows = item["rows"]
        assert rows["read"] == rows["used"] + rows["rejected"], item
        assert rows["rejected"] == sum(item["rejected_by_reason"].values()), item
    expected = case.get("rows")
    if expected is None:
        return
    expected = expected if isinstance(expected, list) else [expected]
    assert len(report["inputs"]) >= len(expected)
    for item, want in zip(report["inputs"], expected):
        assert item["rows"]["read"] == want["read"], item
        assert item["rows"]["used"] == want["used"], item
        assert item["rejected_by_reason"] == want["rejected_by_reason"], item
        for reason, rows in want.get("rejected_rows", {}).items():
            assert item["rejected_rows"].get(reason) == rows, item


def check_values(report: dict[str, Any], case: dict[str, Any]) -> None:
    for want in case.get("values", []):
        record = _result(report, want["kpi"], want.get("group", {}), want.get("period"))
        assert record["value"] == pytest.approx(want["value"]), (want, record)


def _param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=" ".join(case["xfail"].split()))] if "xfail" in case else []
    return pytest.param(case, id=case["name"], marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_corpus_case(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./targets.yaml of the checkout; outputs land here
    monkeypatch.setenv("NO_COLOR", "1")
    argv = argv_of(case, tmp_path)
    code, out, err = run_cli(argv, case, tmp_path)

    assert "Traceback" not in err and "Traceback" not in out, err
    assert code != 3, f"internal error: {err.strip()}"
    assert code == case["exit"], f"exit {code}, stderr: {err.strip()[:500]}"
    for name in case.get("not_created", []):
        assert not (tmp_path / name).exists(), f"{name} was created: YAML ran code"
    if "max_stderr_chars" in case:
        assert len(err) <= case["max_stderr_chars"], f"stderr is {len(err)} characters"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"{len(lines)} lines on stderr:\n{err[:2000]}"
        line = lines[0]
        assert line.startswith("hdkpi: error: "), line[:500]
        fragments = case.get("stderr", [])
        for fragment in [fragments] if isinstance(fragments, str) else fragments:
            assert fragment in line, f"{fragment!r} not in {line[:500]!r}"
        blame = blame_of(case)
        if blame is not None:
            assert blame in line, f"{blame!r} not named in {line[:500]!r}"
    if "rows" in case or "values" in case:
        report = json.loads(out)
        check_accounting(report, case)
        check_values(report, case)


def test_corpus_is_small_and_complete() -> None:
    """The committed corpus stays small (big inputs are generated) and every case is well formed."""
    size = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert size < 100_000, f"tests/corpus holds {size} bytes; generate big inputs at test time"
    assert len(CASES) >= 40
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    known = {"name", "what", "command", "files", "targets", "support", "args", "exit", "stderr", "blame", "rows",
             "values", "max_stderr_chars", "not_created", "timeout", "xfail"}
    for case in CASES:
        assert set(case) <= known, (case["name"], set(case) - known)
        assert case["exit"] in (0, 1, 2), case["name"]
        assert case.get("what"), case["name"]
        for entry in [*case.get("files", []), *case.get("support", []), *([case["targets"]] if "targets" in case
                                                                          else [])]:
            source = entry if isinstance(entry, str) else entry.get("source")
            if source is not None:
                assert (CORPUS / source).is_file(), (case["name"], source)
