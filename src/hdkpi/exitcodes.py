"""Process exit codes: the only numbers the shell sees from hdkpi."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes (README, ``hdkpi --help``)."""

    OK = 0  #: everything computed; no fail-level miss (``report`` never fails on misses)
    TARGET_MISSED = 1  #: ``check`` found at least one fail-level miss
    USAGE = 2  #: bad usage, unreadable input or invalid targets file
    INTERNAL = 3  #: a bug in hdkpi (traceback only with ``--debug``)
