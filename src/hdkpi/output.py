"""Writing results: atomically to a file, or to stdout."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import UsageError


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and ``os.replace``.

    A reader never sees a half-written file, and a failure leaves the old file untouched and
    no temporary file behind. The new file gets the permissions of a normal new file.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        # a device, FIFO or socket (/dev/null, /dev/stdout, a pipe): write to it; never replace it
        if target.is_dir():
            raise UsageError(f"-o {path}: is a directory; give a file name")
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"-o {path}: directory {str(directory)!r} does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write there: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
