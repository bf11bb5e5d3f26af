"""The wheel users install holds every file of the package, not only the Python modules.

A data file the code reads (a preset, a schema, a translation) left out of ``package-data`` passes an
editable test run unseen and breaks for everyone who runs ``pip install .``. This test holds the built
wheel to every file git tracks under ``src/hdkpi/``. CI hands it the wheel it built
(``HDKPI_TEST_WHEEL``); elsewhere it builds one with ``python -m build``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


def _tracked_package_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files cannot be listed (an sdist is checked by CI's wheel stage)")
    out = subprocess.run(["git", "ls-files", "src/hdkpi"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line.removeprefix("src/") for line in out.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("HDKPI_TEST_WHEEL")
    if given:
        return Path(given)
    outdir = tmp_path_factory.mktemp("wheel")
    # --no-isolation: the test venv has setuptools and build; no download, and no network needed
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir),
                           str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    (built,) = outdir.glob("hdkpi-*.whl")
    return built


def test_every_tracked_package_file_is_in_the_wheel(wheel: Path) -> None:
    tracked = _tracked_package_files()
    assert "hdkpi/ingest/presets/zendesk.yaml" in tracked  # the listing is what we think it is
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = sorted(name for name in tracked if name not in shipped)
    assert not missing, f"tracked under src/hdkpi/ but not in {wheel.name}: {missing}; add them to package-data"


def test_the_wheel_ships_nothing_outside_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"hdkpi"}
