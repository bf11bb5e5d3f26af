"""Several normalised inputs as one run's records, on either engine: a preset's row accounting beside
normalise's, the duplicate-id rule across files, and the dimensions survey answers borrow.

The pandas engine applies these to whole files (:func:`combine`, :func:`join_surveys`); the Dask
engine to blocks and shuffled partitions, with the same rules and the same accounting from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..fields import ID_FIELD, SCHEMAS
from .normalise import EXAMPLES_PER_REASON

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model import InputSummary
    from .normalise import Dataset

#: columns of a ticket or call that a survey about it can be grouped by
JOINED_FIELDS = ("agent", "queue", "team", "priority", "category", "channel", "tier")
#: the records a survey answer may be about: (kind, the id the survey names it by)
SURVEY_LINKS = (("tickets", "ticket_id"), ("calls", "call_id"))


def account_preset(dataset: "Dataset", preset: Any, converted: Any) -> None:
    """Row accounting in source records: what the preset refused or folded counts beside normalise's."""
    summary = dataset.summary
    summary.preset = preset.name
    summary.read = converted.read
    summary.folded = converted.folded
    summary.counts = dict(converted.counts)
    used = dataset.frame.index
    caveats = {what: int(used.isin(rows).sum()) for what, rows in converted.caveats.items()}
    summary.caveats = {what: n for what, n in caveats.items() if n}
    if converted.rules:
        summary.mapping = dict(converted.rules)
    dataset.states = converted.states
    if converted.rejected is not None and len(converted.rejected):
        for reason, rows in converted.rejected.groupby(converted.rejected, sort=False):
            summary.rejected_by_reason[reason] = summary.rejected_by_reason.get(reason, 0) + len(rows)
            summary.examples_by_reason.setdefault(reason, [int(r) for r in rows.index[:3]])
        summary.rejected_by_reason = dict(sorted(summary.rejected_by_reason.items()))


def later_file_reason(key: str) -> str:
    """The reason an earlier copy of a record is dropped: the same id is in a later file of the kind."""
    return f"{key}: also in a later file"


def across_files(key: str, given: Iterable[set[str]]) -> bool:
    """Whether the later-file rule applies to the files of a kind (the fields each gives): several
    files, every one of them giving the id (a derived id is a row number, the same in every file)."""
    given = list(given)
    return len(given) > 1 and all(key in fields for fields in given)


def reject_later_copies(summary: "InputSummary", key: str, count: int, rows: Iterable[int]) -> None:
    """Count ``count`` rows of a file, already counted as used, as dropped for a copy in a later file;
    ``rows``: the first of them as data rows (the examples). The reason comes after the file's others."""
    reason = later_file_reason(key)
    summary.used -= count
    summary.rejected_by_reason[reason] = count
    summary.examples_by_reason[reason] = [int(r) for r in list(rows)[:EXAMPLES_PER_REASON]]


def combine(datasets: list["Dataset"]) -> dict[str, "pd.DataFrame"]:
    """One frame per kind; several files of a kind are stacked in the order given.

    Exports come in pieces that overlap: a record whose id is in a later file of the same kind is
    kept once, from the later file (the newer export), and the earlier copy is counted as rejected
    in its own file's accounting ("ticket_id: also in a later file").
    """
    import pandas as pd

    frames: dict[str, pd.DataFrame] = {}
    for kind in SCHEMAS:
        group = [d for d in datasets if d.kind == kind]
        if not group:
            continue
        key = ID_FIELD[kind]
        if across_files(key, (d.given for d in group)):
            later: set[Any] = set()
            for d in reversed(group):
                ids = d.frame[key]
                again = ids.isin(later)
                if again.any():
                    reject_later_copies(d.summary, key, int(again.sum()), d.frame.index[again][:EXAMPLES_PER_REASON])
                    d.frame = d.frame.loc[~again]
                later.update(ids.dropna().tolist())
        parts = [d.frame for d in group]
        frames[kind] = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frames


def survey_lookup(frame: "pd.DataFrame", key: str, ids: Any = None) -> "pd.DataFrame":
    """The columns of tickets or calls that surveys borrow (the id first), of the records ``ids``
    names (None: all)."""
    columns = [key, *[c for c in JOINED_FIELDS if c in frame.columns]]
    return frame[columns] if ids is None else frame.loc[frame[key].isin(ids), columns]


def join_surveys(frames: dict[str, "pd.DataFrame"]) -> None:
    """Give survey answers the dimensions of the ticket or call they are about (by ticket_id or
    call_id), so ``--by priority`` or ``--by queue`` works for csat/nps/ces; a survey's own agent
    wins, an empty one is taken from the ticket (or call)."""
    surveys = frames.get("surveys")
    if surveys is None:
        return
    surveys = surveys.copy()
    for kind, key in SURVEY_LINKS:
        source = frames.get(kind)
        if source is None or key not in surveys or key not in source:
            continue
        lookup = survey_lookup(source, key).drop_duplicates(key).set_index(key)
        for column in JOINED_FIELDS:
            if column not in lookup:
                continue
            joined = surveys[key].map(lookup[column])
            surveys[column] = surveys[column].fillna(joined) if column in surveys else joined
    frames["surveys"] = surveys
