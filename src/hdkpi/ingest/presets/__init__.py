"""Presets: how a vendor's export becomes hdkpi's canonical record.

A preset reads one file (``read``) and turns it into canonical columns as text
(``convert``), which :mod:`hdkpi.ingest.normalise` then types and checks like any other
input. A preset may also refuse source rows for its own reasons (a ``PHANTOM``
call, an event without an incident number) and fold several source records into
one (an event log collapsed to one ticket per incident); both are counted.

Pure-data presets are YAML mapping files (``presets/*.yaml``; users load their own
with ``--preset ./ourdesk.yaml``); presets that need logic are small modules here,
behind the same :class:`Preset` interface. ``hdkpi inspect`` prints each preset's
rules.
"""

from __future__ import annotations

from .base import Converted, Preset
from .catalogue import builtin_presets, choose_preset, detect_preset, get_preset

__all__ = ["Converted", "Preset", "builtin_presets", "choose_preset", "detect_preset", "get_preset"]
