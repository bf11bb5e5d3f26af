"""Mapping presets: an export layout described as data (YAML), so a new desk format needs no Python.

A mapping file::

    name: zendesk
    kind: tickets
    title: Zendesk ticket export (CSV)
    reference: https://support.zendesk.com/hc/en-us/articles/4408886165402
    detect: [Id, Created at, Solved at, Requester]   # columns that identify the layout (all present)
    dayfirst: false                                   # optional: numeric dates; decided from the data when absent
    missing: ["-", "?"]                               # optional: cell texts meaning "empty"
    fields:                                           # canonical field ← column, with optional rules
      ticket_id: Id
      created_at: Created at
      first_response_seconds: {column: First reply time in minutes, scale: 60}
      csat: {column: Satisfaction Score, values: {good: 5, bad: 1, offered: "", unoffered: ""}}
    notes:                                            # rules and vendor differences, for hdkpi inspect
      - CSAT: Zendesk's good/bad ratings become 5/1 …

A column may be given as a list of the spellings vendors use for it (``[Satisfaction rating, Custom
field (Satisfaction)]``, also as ``column: [...]``): the first one present in the file is used, header
case ignored, and ``hdkpi inspect`` names it. A ``detect`` entry may be such a list too (any spelling
counts). ``--map FIELD=COLUMN`` (or the targets file's ``columns:``) always wins: for a field the preset
fills it replaces the list, and the field's rule (values, scale, date_format) applies to that column;
for any other field of the kind the column is taken as it is.

``values`` maps source texts (case-insensitive) to canonical texts; a value left out of the map
is passed on (and refused by normalise if it is not valid); "" means empty. ``scale`` multiplies
a number (minutes → seconds). ``date_format`` gives a strftime format when detection cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import UsageError
from ...fields import SCHEMAS, field_names
from .base import Converted, Preset

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..load import RawTable


@dataclass
class FieldRule:
    columns: tuple[str, ...]  #: the spellings of the source column; the first present wins (case ignored)
    values: dict[str, str] | None = None
    scale: float | None = None
    date_format: str | None = None
    given: bool = False  #: named by the user (--map, columns:), not by the preset

    @property
    def column(self) -> str:
        return self.columns[0]

    def find(self, by_name: dict[str, str]) -> str | None:
        """The column of a header (``by_name``: lower-cased, stripped name → name) this rule reads."""
        return next((by_name[c.strip().lower()] for c in self.columns if c.strip().lower() in by_name), None)

    def text(self, by_name: dict[str, str] | None = None) -> str:
        """Where the field comes from; with a header, the column actually used and why."""
        used = self.find(by_name) if by_name is not None else None
        if by_name is not None and used is None:
            parts = [" or ".join(map(repr, self.columns)) + " (not in this file)"]
        elif used is None:
            parts = [" or ".join(map(repr, self.columns))]
        else:
            parts = [repr(used)]
            if self.given:
                parts.append("(--map / columns:)")
            elif len(self.columns) > 1:
                assert by_name is not None
                also = [by_name[c.strip().lower()] for c in self.columns if c.strip().lower() in by_name
                        and by_name[c.strip().lower()] != used]
                parts.append(f"(first present of {', '.join(map(repr, self.columns))}"
                             + (f"; {', '.join(map(repr, also))} also present, not used)" if also else ")"))
        if self.scale is not None:
            parts.append(f"× {self.scale:g}")
        if self.values:
            parts.append("values " + ", ".join(f"{k} → {v or 'empty'}" for k, v in self.values.items()))
        return " ".join(parts)


@dataclass
class MappingPreset(Preset):
    name: str = ""
    kind: str = ""
    title: str = ""
    reference: str = ""
    notes: tuple[str, ...] = ()
    detect: tuple[tuple[str, ...], ...] = ()  #: each entry: its spellings, any present counts
    fields: dict[str, FieldRule] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    dayfirst: bool | None = None
    source: str = ""  #: the mapping file
    taken: frozenset[str] = frozenset()  #: fields whose --map/columns: entry this preset applies (with_map)

    @classmethod
    def from_file(cls, path: Path) -> "MappingPreset":
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError("no such mapping file", path=str(path)) from None
        except IsADirectoryError:
            raise UsageError("is a directory, not a mapping file (.yaml)", path=str(path)) from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"not UTF-8 text (byte {exc.start}); save the mapping file as UTF-8",
                             path=str(path)) from None
        except OSError as exc:
            raise UsageError(f"cannot read the mapping file: {exc.strerror}", path=str(path)) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
            raise UsageError(f"not a valid mapping file: {problem}", path=str(path),
                             line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise UsageError(f"not a valid mapping file: {' '.join(str(exc).split())}", path=str(path)) from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str) -> "MappingPreset":
        where = f"preset {source}"
        if not isinstance(data, dict):
            raise UsageError(f"{where}: a mapping file is a YAML mapping with name, kind and fields")
        unknown = set(data) - {"name", "kind", "title", "reference", "detect", "dayfirst", "missing", "fields",
                               "notes"}
        if unknown:
            raise UsageError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        kind = data.get("kind")
        if kind not in SCHEMAS:
            raise UsageError(f"{where}: kind must be one of {', '.join(SCHEMAS)}")
        known = set(field_names(kind))
        rules: dict[str, FieldRule] = {}
        fields_spec = data.get("fields") or {}
        if not isinstance(fields_spec, dict):
            raise UsageError(f"{where}: fields must be a mapping of canonical field: column")
        detect = data.get("detect") or []
        if not isinstance(detect, list):
            raise UsageError(f"{where}: detect must be a list of column names, e.g. [Case Number, Opened]")
        signature = tuple(_spellings(entry, f"{where}: detect entry {i}") for i, entry in enumerate(detect, 1))
        for name, spec in fields_spec.items():
            if name not in known:
                raise UsageError(f"{where}: {name!r} is not a {kind} field; fields: {', '.join(sorted(known))}")
            if isinstance(spec, (str, list)):
                spec = {"column": spec}
            if not isinstance(spec, dict) or spec.get("column") is None:
                raise UsageError(f"{where}: field {name} needs a column: name")
            columns = _spellings(spec["column"], f"{where}: field {name}")
            extra = set(spec) - {"column", "values", "scale", "date_format"}
            if extra:
                raise UsageError(f"{where}: field {name}: unknown key {sorted(extra)[0]!r}")
            values = spec.get("values")
            if values is not None and not isinstance(values, dict):
                raise UsageError(f"{where}: field {name}: values must be a mapping of source text: value")
            scale = spec.get("scale")
            if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
                raise UsageError(f"{where}: field {name}: scale must be a number, e.g. scale: 60")
            date_format = spec.get("date_format")
            if date_format is not None and not isinstance(date_format, str):
                raise UsageError(f"{where}: field {name}: date_format must be a strftime text such as \"%d/%m/%Y\"")
            rules[name] = FieldRule(
                columns=columns,
                values={str(k).strip().lower(): ("" if v is None else str(v)) for k, v in values.items()}
                if values else None,
                scale=float(scale) if scale is not None else None,
                date_format=date_format,
            )
        return cls(name=str(data.get("name") or Path(source).stem), kind=kind, title=str(data.get("title", "")),
                   reference=str(data.get("reference", "")), notes=tuple(data.get("notes") or ()),
                   detect=signature, fields=rules,
                   missing=tuple(str(m) for m in data.get("missing") or ()), dayfirst=data.get("dayfirst"),
                   source=source)

    def score(self, header: list[str], head: str) -> int:
        names = {h.strip().lower() for h in header}
        found = [any(c.strip().lower() in names for c in spellings) for spellings in self.detect]
        return len(found) if found and all(found) else 0

    def with_map(self, mapping: dict[str, str]) -> "MappingPreset":
        """This preset with the user's ``--map``/``columns:`` entries for its kind's fields applied: the
        named column replaces the field's spellings (its rule still applies), or is taken as it is for a
        field the preset does not fill. Those fields are in :attr:`taken`; normalise gets the rest."""
        known = set(field_names(self.kind))
        given = {name: column for name, column in mapping.items() if name in known}
        if not given:
            return self
        fields = dict(self.fields)
        for name, column in given.items():
            rule = fields.get(name)
            fields[name] = replace(rule, columns=(column,), given=True) if rule is not None \
                else FieldRule(columns=(column,), given=True)
        return replace(self, fields=fields, taken=frozenset(given))

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        import pandas as pd

        from ..load import RawTable
        from .dates import to_iso

        by_name = {h.strip().lower(): h for h in raw.header}
        out: dict[str, pd.Series] = {}
        used_columns = set()
        schema = {f.name: f for f in SCHEMAS[self.kind]}
        for name, rule in self.fields.items():
            column = rule.find(by_name)
            if column is None:
                continue  # optional in practice: normalise says which required field is missing
            used_columns.add(column)
            text = raw.frame[column].astype("str").str.strip()
            text = text.mask(text.isin(self.missing) | text.eq("") | raw.frame[column].isna())
            if rule.values is not None:
                mapped = text.str.lower().map(rule.values)
                text = mapped.where(mapped.notna(), text).replace("", pd.NA).astype("str")
            if rule.scale is not None:
                number = pd.to_numeric(text, errors="coerce")
                text = (number * rule.scale).astype("str").where(number.notna(), text)
            if schema[name].type == "datetime":
                text = to_iso(text, column=column, path=raw.path, dayfirst=self.dayfirst, fmt=rule.date_format)
            out[name] = text
        produced = {re.sub(r"[\s\-]+", "_", name.strip().lower()) for name in out}
        for column in raw.header:  # everything else stays, as dimensions for --by
            if column not in used_columns and column not in out:
                key = re.sub(r"[\s\-]+", "_", column.strip().lower())
                # a column spelled like a field this preset fills (Zendesk's Requester name beside the
                # requester id) keeps its data under a name that cannot be taken for the field
                out[f"{column} (as exported)" if key in produced else column] = raw.frame[column]
        frame = pd.DataFrame(out, index=raw.frame.index)
        table = RawTable(path=raw.path, frame=frame, header=list(frame.columns), delimiter=raw.delimiter)
        return Converted(table=table, read=len(raw.frame), rules={n: r.text(by_name) for n, r in self.fields.items()})


def _spellings(spec: Any, where: str) -> tuple[str, ...]:
    """A column name, or a non-empty list of the spellings of one column (the first present wins)."""
    if isinstance(spec, str):
        spec = [spec]
    elif not isinstance(spec, list) or not spec:
        raise UsageError(f"{where}: give a column name or a non-empty list of its spellings, "
                         "e.g. [Satisfaction rating, Custom field (Satisfaction)]")
    for i, column in enumerate(spec, 1):
        if not isinstance(column, str) or not column.strip():
            got = "empty" if isinstance(column, str) or column is None else f"{column!r}, not text"
            raise UsageError(f"{where}: column {i} of the list is {got}; each entry is a column name")
    return tuple(spec)
