"""The preset interface, the registry of built-in presets, and detection from a header."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..load import RawTable

PRESET_DIR = Path(__file__).parent
#: code presets (module name in this package); every *.yaml file here is a mapping preset too


@dataclass
class Converted:
    """A file in canonical columns (text), with what the preset did to get there."""

    table: "RawTable"  #: header = canonical field names (plus other columns kept as dimensions)
    read: int  #: source records read (lines, events, contact records)
    rejected: "pd.Series | None" = None  #: reason per refused source record (index = its data row)
    folded: int = 0  #: source records merged into others (events of one ticket), neither used nor rejected
    counts: dict[str, int] = field(default_factory=dict)  #: preset facts worth reporting (ivr_abandons…)
    #: records used with a fact unknown, by what is unknown ("in progress at the end of the log: handle time
    #: unknown") → their row labels in ``table``; every known fact of them counts, the unknown one is left
    #: out (the accounting counts those that pass the checks after conversion)
    caveats: dict[str, "pd.Index"] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)  #: canonical field → where it comes from
    #: an event log's every state change (ticket_id, state, at, seq: hdkpi.ingest.states.events_frame), kept
    #: beside the one ticket its events are folded into, for SLA clocks that pause in some states
    states: "pd.DataFrame | None" = None


class Preset:
    """One export layout. Subclasses set the attributes and implement :meth:`convert`."""

    name: str = ""
    kind: str = ""  #: calls | tickets | surveys
    title: str = ""
    reference: str = ""  #: the vendor documentation the layout follows
    notes: tuple[str, ...] = ()  #: rules and vendor differences, shown by ``hdkpi inspect``
    taken: frozenset[str] = frozenset()  #: fields whose --map/columns: entry the preset applies itself

    def with_map(self, mapping: dict[str, str]) -> "Preset":
        """This preset with the user's ``--map``/``columns:`` entries it applies itself (the fields in
        :attr:`taken`); normalise applies the others, which is all of them for most presets."""
        return self

    def unmapped(self, mapping: dict[str, str]) -> dict[str, str]:
        """The entries of ``mapping`` left for normalise: those this preset did not apply."""
        return {name: column for name, column in mapping.items() if name not in self.taken}

    def score(self, header: list[str], head: str) -> int:
        """How sure this preset is that a file with ``header`` (and first text ``head``) is its layout;
        0 = not this layout. The evidence is the set of its signature columns found."""
        return 0

    def read(self, path: str) -> "RawTable":
        from ..load import read_table

        return read_table(path)

    def convert(self, raw: "RawTable", tz: str) -> Converted:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "title": self.title, "reference": self.reference,
                "notes": list(self.notes)}


class GenericPreset(Preset):
    """Canonical column names (case and spaces ignored), or columns named with ``--map``/``columns:``."""

    name = "generic"
    title = "canonical columns, or --map FIELD=COLUMN"

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        return Converted(table=raw, read=len(raw.frame))
