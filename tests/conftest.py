"""Shared test helpers: compute KPIs from small CSV texts written inside the tests."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from hdkpi.engine.compute import compute_one
from hdkpi.engine.registry import Registry, builtin_registry
from hdkpi.engine.select import Window
from hdkpi.ingest.load import read_table
from hdkpi.ingest.normalise import Dataset, normalise
from hdkpi.model import Result
from hdkpi.targets.settings import default_settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def pytest_configure(config: pytest.Config) -> None:
    """With ``HDKPI_TEST_INSTALLED=1`` (CI's wheel stage) the suite must test the installed package, not
    the checkout's ``src/``: a file missing from the wheel would otherwise pass unseen."""
    import os

    import hdkpi

    if os.environ.get("HDKPI_TEST_INSTALLED") == "1":
        where = Path(hdkpi.__file__).resolve()
        if where.is_relative_to(ROOT):
            raise pytest.UsageError(f"HDKPI_TEST_INSTALLED=1 but hdkpi is imported from the checkout ({where}); "
                                    "install the wheel into a fresh venv, not editable")


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed third-party plugins must not change what the tests compute."""
    monkeypatch.setenv("HDKPI_LOAD_PLUGINS", "0")


@pytest.fixture(scope="session")
def registry() -> Registry:
    return builtin_registry()


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load_csv(tmp_path: Path, text: str, *, kind: str | None = None, name: str = "data.csv",
             mapping: dict[str, str] | None = None, tz: str = "UTC") -> Dataset:
    """Write ``text`` (dedented) as a CSV file and normalise it."""
    return normalise(read_table(str(write_csv(tmp_path, text, name))), kind=kind, mapping=mapping, tz=tz)


def kpi_result(frames: dict[str, Any], name: str, *, settings: dict[str, Any] | None = None,
               window: Window | None = None) -> Result:
    """Compute one KPI (``name`` may carry parameters, e.g. ``resolved_within(2d)``)."""
    ref = builtin_registry().resolve(name)
    merged = {**default_settings(), **(settings or {})}
    return compute_one(ref, frames, merged, window or Window())
