"""The parsed-data cache: a second run reads the Arrow entry, any change of the file or reading re-parses."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from hdkpi.cli import cli
from hdkpi.run.pipeline import RunOptions, run

from .conftest import write_csv

CALLS = """\
call_id,offered_at,wait_seconds,outcome,queue
1,2026-11-02T08:00:00Z,10,answered,billing
2,2026-11-02T08:01:00Z,30,answered,tech
3,2026-11-02T08:02:00Z,bad,abandoned,tech
"""


def figures(path, **options):
    r = run(RunOptions(files=[str(path)], kpis=["calls_offered", "asa"], by=["queue"], cache=True, **options))
    return [(v.result.kpi, v.result.group, v.result.value) for v in r.verdicts], r.inputs[0]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv("HDKPI_CACHE", str(where))
    return where


def test_second_run_reads_the_cache_not_the_file(tmp_path, cache_dir, monkeypatch):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    first, _ = figures(path)
    assert len(list(cache_dir.glob("*.arrow"))) == 1
    import hdkpi.run.pipeline

    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was parsed again")

    import hdkpi.ingest.fastread

    monkeypatch.setattr(hdkpi.run.pipeline, "read_with_preset", no_parsing)
    monkeypatch.setattr(hdkpi.ingest.fastread, "read_typed", no_parsing)
    second, summary2 = figures(path)
    assert second == first
    # row accounting survives the cache: 3 read, 2 used, 1 rejected ("wait_seconds: not a number")
    assert (summary2.read, summary2.used, summary2.rejected_by_reason) == (3, 2, {"wait_seconds: not a number": 1})


def test_a_changed_file_or_reading_is_parsed_again(tmp_path, cache_dir):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    figures(path)
    path.write_text(CALLS + "4,2026-11-02T08:03:00Z,50,answered,tech\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    changed, _ = figures(path)
    assert dict(((k, tuple(g.items())), v) for k, g, v in changed)[("calls_offered", ())] == 3  # 4 rows, 1 bad
    figures(path, tz="Europe/Paris")  # another zone is another entry
    assert len(list(cache_dir.glob("*.arrow"))) == 3


def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path, cache_dir):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    first, _ = figures(path)
    (entry,) = cache_dir.glob("*.arrow")
    entry.write_bytes(b"not an arrow file")
    again, _ = figures(path)
    assert again == first


def test_cache_info_and_clear(tmp_path, cache_dir):
    path = write_csv(tmp_path, CALLS, "calls.csv")
    figures(path)
    runner = CliRunner()
    assert "1 file(s)" in runner.invoke(cli, ["cache", "info"]).stdout
    cleared = runner.invoke(cli, ["cache", "clear"])
    assert cleared.exit_code == 0 and "removed 2 cache file(s)" in cleared.stderr
    assert not list(cache_dir.iterdir())


@pytest.mark.parametrize("text", [
    CALLS,  # a rejected row: data rows 1, 2, 4 are no range, so they are kept as a column
    CALLS.replace("bad", "40"),  # clean: read by the typed path, index a range
])
def test_the_cached_frame_is_the_parsed_frame(tmp_path, cache_dir, text, monkeypatch):
    """Dtypes, values and data row numbers come back from the cache as they were parsed."""
    import pandas as pd

    import hdkpi.ingest.fastread
    import hdkpi.run.pipeline
    from hdkpi.run.pipeline import load_datasets

    path = write_csv(tmp_path, text + "4,2026-11-02T08:03:00Z,5,abandoned,\n", "calls.csv")
    options = RunOptions(files=[str(path)], cache=True)
    (parsed,) = load_datasets(options, None)

    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(hdkpi.run.pipeline, "read_with_preset", no_parsing)
    monkeypatch.setattr(hdkpi.ingest.fastread, "read_typed", no_parsing)
    (cached,) = load_datasets(options, None)
    pd.testing.assert_frame_equal(cached.frame, parsed.frame)
    assert cached.summary == parsed.summary
