"""Output words in several languages: KPI titles, table headings, statuses and counted phrases.

One YAML catalogue per language sits next to this module (``en.yaml`` is the reference; every
other file has exactly its keys). Nested keys are read as dotted paths::

    translate("kpi.asa", "fr")              # 'Délai moyen de réponse'
    translate("heading.value", "ru")        # 'Значение'
    translate("summary.failed", "es").format(n="3")   # 'incumplidos: 3'

A language's file is read (``yaml.safe_load``) the first time it is asked for, then cached. A key
missing from a language falls back to English; a key English does not know either gives
``default`` when one is passed (a plugin KPI's own title), else the key itself.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

#: the languages with a catalogue here, English first
LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ru", "vi")
DEFAULT_LANGUAGE = "en"


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = str(value)
    return flat


@functools.cache
def _load(lang: str) -> dict[str, str]:
    import yaml  # here, so that importing LANGUAGES (the CLI's --lang choices) costs nothing

    text = resources.files(__package__).joinpath(f"{lang}.yaml").read_text(encoding="utf-8")
    return _flatten(yaml.safe_load(text) or {})


def check_language(lang: str) -> str:
    """``lang`` itself when it has a catalogue; else ValueError naming the choices."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not available; choose one of {', '.join(LANGUAGES)}")
    return lang


def catalogue(lang: str) -> dict[str, str]:
    """Every key of ``lang``'s file and its text (a copy; without the English fallback)."""
    return dict(_load(check_language(lang)))


def translate(key: str, lang: str = DEFAULT_LANGUAGE, default: str | None = None) -> str:
    """The text of ``key`` in ``lang``, else in English, else ``default``, else ``key``."""
    text = _load(check_language(lang)).get(key)
    if text is None and lang != DEFAULT_LANGUAGE:
        text = _load(DEFAULT_LANGUAGE).get(key)
    if text is None:
        return key if default is None else default
    return text


def kpi_title(name: str, lang: str = DEFAULT_LANGUAGE, default: str | None = None) -> str:
    """The title of KPI ``name`` (without parameters) in ``lang``; ``default`` (the KPI's own title)
    for a KPI no catalogue knows, such as a plugin's."""
    return translate(f"kpi.{name}", lang, default if default is not None else name)


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "catalogue", "check_language", "kpi_title", "translate"]
