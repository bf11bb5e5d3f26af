"""The shipped presets by name — code modules and YAML mapping files — and the detection of a file's
layout from its first lines."""

from __future__ import annotations

import importlib
from pathlib import Path

from ...errors import UsageError
from .base import PRESET_DIR, GenericPreset, Preset
from .mapping import MappingPreset

CODE_PRESETS = ("seelab", "servicenow", "connect", "asterisk", "events")


def builtin_presets() -> dict[str, Preset]:
    """Every shipped preset by name: code modules first, then the YAML mapping files."""
    presets: dict[str, Preset] = {"generic": GenericPreset()}
    for module_name in CODE_PRESETS:
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{module_name}":
                continue  # not shipped in this version
            raise
        for preset in getattr(module, "PRESETS", (module.PRESET,)):  # a module may ship variants
            presets[preset.name] = preset
    for path in sorted(PRESET_DIR.glob("*.yaml")):
        preset = MappingPreset.from_file(path)
        presets[preset.name] = preset
    return presets


def get_preset(spec: str) -> Preset:
    """A preset by name, or a user's mapping file (``./ourdesk.yaml``)."""
    if spec.endswith((".yaml", ".yml")) or "/" in spec:
        return MappingPreset.from_file(Path(spec))
    presets = builtin_presets()
    if spec not in presets:
        raise UsageError(f"--preset {spec!r}: unknown preset; presets: {', '.join(presets)} "
                         "(or a mapping file such as ./ourdesk.yaml)")
    return presets[spec]


def detect_preset(header: list[str], head: str) -> tuple[Preset | None, int]:
    """The best-scoring preset for a header, or (None, 0) when none claims it."""
    best, best_score = None, 0
    for preset in builtin_presets().values():
        score = preset.score(header, head)
        if score > best_score:
            best, best_score = preset, score
    return best, best_score


def choose_preset(wanted: str | None, header: list[str], head: str) -> tuple[Preset, bool]:
    """The preset a file is read with, on either engine: the one named (``--preset``, the targets file's
    ``preset:``), else the best detected from the header and first lines, else generic; and whether it
    was named or detected (False: generic by default, read as plain canonical columns)."""
    if wanted:
        return get_preset(wanted), True
    detected, _ = detect_preset(header, head)
    return (detected, True) if detected is not None else (get_preset("generic"), False)
