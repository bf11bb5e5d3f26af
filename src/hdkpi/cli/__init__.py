"""The command line: parse options, call the run, render, and map errors to exit codes.

One module per command group: :mod:`.report` (report, check), :mod:`.explore` (kpis, inspect, init, show),
:mod:`.wfm` (scorecard, staffing, adherence), :mod:`.history`, :mod:`.cache`; :mod:`.base` holds the group,
the shared options and the one place where errors become exit codes. No KPI logic lives here; pandas and
pyarrow are imported only inside commands that compute, so ``hdkpi --help`` stays instant.
"""

from __future__ import annotations

import os

from . import cache, explore, history, report, wfm  # noqa: F401  (each registers its commands on the group)
from .base import cli

__all__ = ["cli", "main"]

def main() -> None:
    """Console-script entry point."""
    # Arrow's allocator returns freed memory to the system at once (not after a delay): a lower peak
    # while a big export is typed column by column. Read when pyarrow loads, which the commands do later.
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
    cli(prog_name="hdkpi")
