"""hdkpi cache: the parsed-file cache (info, clear)."""

from __future__ import annotations

from pathlib import Path

import click

from .base import cli


@cli.group("cache")
def cache_group() -> None:
    """The parsed-data cache of --cache (HDKPI_CACHE=DIR, or ~/.cache/hdkpi)."""


@cache_group.command("info")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="The cache directory.")
def cache_info(directory: str | None) -> None:
    """Where the cache is, how many files it holds and their size."""
    from ..ingest.cache import info, resolve_dir

    where = Path(directory) if directory else resolve_dir(True, None)
    facts = info(where)  # type: ignore[arg-type]
    click.echo(f"{facts['directory']}: {facts['entries']} file(s), {facts['bytes'] / 1e6:.1f} MB")


@cache_group.command("clear")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="The cache directory.")
def cache_clear(directory: str | None) -> None:
    """Remove every cached file."""
    from ..ingest.cache import clear, resolve_dir

    where = Path(directory) if directory else resolve_dir(True, None)
    click.echo(f"hdkpi: removed {clear(where)} cache file(s) from {where}", err=True)  # type: ignore[arg-type]


# -- history ---------------------------------------------------------------------------------------
