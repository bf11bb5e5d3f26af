"""Under load: repeated runs keep their memory, concurrent writers never leave a corrupt file.

The soak test is marked ``slow`` (not in the default run): ``pytest -m slow tests/test_soak.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hdkpi.output import write_atomic

ROOT = Path(__file__).resolve().parents[1]


def test_concurrent_writers_leave_a_complete_file(tmp_path):
    target = tmp_path / "kpis.json"
    docs = [json.dumps({"writer": i, "payload": "x" * 200_000}) for i in range(8)]
    threads = [threading.Thread(target=write_atomic, args=(str(target), doc)) for doc in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = json.loads(target.read_text())  # one writer's whole document: last writer wins
    assert final["payload"] == "x" * 200_000 and 0 <= final["writer"] < 8
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.json"]  # no temporary file left behind


@pytest.mark.slow
def test_fifty_checks_on_a_million_rows_keep_their_memory(tmp_path):
    data = tmp_path / "calls.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "1000000", str(data)], check=True)
    targets = tmp_path / "targets.yaml"
    targets.write_text('targets:\n  asa: "<= 30s"\n  abandonment_rate: "< 10%"\n')
    script = f"""
import resource, sys
from click.testing import CliRunner
from hdkpi.cli import cli
peaks = []
for _ in range(50):
    CliRunner().invoke(cli, ["check", {str(data)!r}, "-t", {str(targets)!r}, "-q"])
    peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(peaks[4], peaks[-1])
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    after_five, after_fifty = map(int, out.stdout.split())
    # the peak after 50 runs stays within 10 % of the peak after 5: no growth from run to run
    assert after_fifty <= after_five * 1.10, (after_five, after_fifty)
