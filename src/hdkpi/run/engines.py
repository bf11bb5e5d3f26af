"""The engine a run goes on (the CLI's --engine/--scheduler/--blocksize): pandas in this process, or Dask."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Report
    from .pipeline import RunOptions

ENGINES = ("pandas", "dask")


def run_with_engine(options: "RunOptions", engine: str = "pandas", scheduler: str | None = None,
                    blocksize: str | None = None) -> "Report":
    """:func:`hdkpi.run.pipeline.run` on the chosen engine: ``pandas``, or ``dask`` (hdkpi.run.dask: the same
    KPI functions and figures over data larger than one machine; ``scheduler`` None starts a local cluster,
    ``tcp://host:8786`` connects to one; ``blocksize`` e.g. ``64MiB`` per CSV block)."""
    if engine == "pandas":
        from .pipeline import run

        return run(options)
    if engine == "dask":
        from .dask import DEFAULT_BLOCKSIZE
        from .dask import run as run_dask

        return run_dask(options, scheduler=scheduler, blocksize=blocksize or DEFAULT_BLOCKSIZE)
    raise UsageError(f"--engine {engine!r}: use one of {', '.join(ENGINES)}")
