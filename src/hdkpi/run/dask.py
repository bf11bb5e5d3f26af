"""``--engine dask``: the same KPI functions over inputs larger than one pandas frame, exactly.

Nothing here approximates. The long form is docs/scale.md; in short:

*Inputs.* Files, globs, directories or fsspec URLs (``s3://bucket/calls/*.csv``) of CSV (hdkpi's
delimiters, optionally compressed) or Parquet. A CSV file is cut into blocks at line ends
(``blocksize``; a compressed file is one block), a Parquet file into row groups. Each block goes
through the same reader, preset conversion and :func:`hdkpi.ingest.normalise.normalise` as the pandas
engine: every check is per row, so per block is exact — except duplicate ids and the date format
of a column, which the pandas engine decides over a whole file; both get a global step below.

*Pass 1 (scan).* Reads every block and keeps little: the ids seen more than once in a kind (a
distributed ``value_counts``), the first and last anchor times (a span that covers the data, for
the ``--every`` periods) and the date format each block's columns would be read with (they must
agree within a file, else the run stops and says so).

*Pass 2 (measure).* Reads and normalises every block again (pass 1 kept nothing of it, so a
worker holds one block per running task). Rows whose id was seen twice are shuffled by id and resolved as the
pandas engine does (first valid row of a file kept; a record in a later file wins), the others go
straight on. Every KPI function runs on each block's rows (KPI functions are row-aligned) and
its measure is reduced to partial statistics (:meth:`hdkpi.engine.measures.Measure.partial`). KPIs that
look at other records of the same caller or requester (``call_fcr`` by repeat calls,
``next_issue_avoidance``) run instead on partitions shuffled by that key, so each partition holds
whole histories; any other KPI function that reads ``ctx.frames`` gets a no-data note, never a
figure from part of the data. Partials are merged in a tree on the cluster
(:meth:`~hdkpi.engine.measures.Measure.combine`) and finished on the client
(:meth:`~hdkpi.engine.measures.Measure.finish`/:meth:`~hdkpi.engine.measures.Measure.figure`) into the same
``list[Result]`` as :func:`hdkpi.engine.compute.compute`.

*Surveys* (one row per answer: small) are read by the pandas engine on the client; the ticket or
call dimensions they borrow (``join_surveys``) are fetched from the cluster in pass 2.

Needs the optional extra: ``pip install 'hdkpi[dask]'``.
"""

from __future__ import annotations

import logging
import operator
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..fields import ID_FIELD, SCHEMAS
from .blocks import (
    POSITION,
    Computed,
    Inputs,
    JobSpec,
    Plan,
    Source,
    block_partials,
    conform,
    finish_jobs,
    merge_partials,
    merge_spans,
    plan_jobs,
    span_of,
    two_rows,
    union_meta,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..engine.select import Window
    from ..model import Report

DEFAULT_BLOCKSIZE = "64 MiB"  #: CSV bytes per block (about 600k call rows of the bench layout)
#: KPIs that look at other records of the same person: (kind, the key whose whole history they need)
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
ANCHOR_INPUTS = ("resolution_seconds",)  #: fields an anchor time may be derived from


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'hdkpi[dask]'") from None


# -- inputs ------------------------------------------------------------------------------------

def expand(paths: list[str]) -> list[str]:
    """Files of the inputs: a glob or a directory becomes its data files, sorted by name (the order
    decides which copy of a duplicated id wins, as the order of files does for the pandas engine)."""
    import fsspec

    out: list[str] = []
    for path in paths:
        fs, _, found = fsspec.get_fs_token_paths(path)
        if not found:
            raise InputError("no such file (nothing matches)", path=path)
        files: list[str] = []
        for item in found:
            if fs.isdir(item):
                files += sorted(f for f in fs.find(item) if _data_file(f))
            else:
                files.append(item)
        if not files:
            raise InputError("no CSV or Parquet file in it", path=path)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if protocol not in ("file", "local"):
            out += [fs.unstrip_protocol(f) for f in files]
        elif len(found) == 1 and not fs.isdir(found[0]) and not any(c in path for c in "*?["):
            out.append(path)  # a file named as such: reported as the user wrote it
        else:
            import os

            out += [f if os.path.isabs(path) else os.path.relpath(f) for f in files]
    return out


def _data_file(name: str) -> bool:
    lower = name.lower()
    for suffix in COMPRESSED:
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
    return lower.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES) and not PurePosixPath(name).name.startswith((".", "_"))






def open_inputs(paths: list[str], *, kind: str | None = None, mapping_for: Any = None, tz: str = "UTC",
                preset: str | None = None, dayfirst: bool | None = None,
                blocksize: int | str | None = DEFAULT_BLOCKSIZE, survey_loader: Any = None) -> Inputs:
    """Look at every input file (its first 64 KiB) and plan its blocks; nothing is read in full.

    ``mapping_for(kind)`` gives canonical field → column for a kind (None: no map) — the pipeline's
    ``file_mapping``. ``survey_loader(paths, columns)`` loads survey files (whose columns are
    ``columns``) with the pandas engine, as a list of Datasets; without it survey files are refused.
    """
    _require_dask()
    from ..ingest.normalise import kind_from_header, unknown_layout

    blocksize = _blocksize(blocksize)
    mapping_for = mapping_for or (lambda k: {})
    sources: list[Source] = []
    pieces: dict[int, list[Any]] = {}
    survey_paths: list[str] = []
    files = expand(paths)
    headers: dict[str, list[str]] = {}
    for path in files:
        head, header, delimiter, encoding, compression, fmt, header_line = _peek(path)
        headers[path] = header
        chosen = _preset(path, header, head, preset)
        found = kind or chosen.kind or kind_from_header(header, mapping_for)
        if found is None:
            raise unknown_layout(path, header)
        if found == "surveys":
            survey_paths.append(path)
            continue
        chosen = chosen.with_map(mapping_for(found))  # --map/columns: win over a mapping preset's columns
        source = Source(number=len(sources), path=path, kind=found, fmt=fmt, header=header, delimiter=delimiter,
                        preset=chosen, mapping=chosen.unmapped(mapping_for(found)), tz=tz, dayfirst=dayfirst,
                        given=set(), encoding=encoding, compression=compression, header_line=header_line)
        pieces[source.number] = _plan_pieces(source, blocksize)
        source.blocks = len(pieces[source.number])
        _first_rows(source, head)
        sources.append(source)
    meta: dict[str, pd.DataFrame] = {}
    for k in SCHEMAS:
        group = [s for s in sources if s.kind == k]
        if group:
            meta[k] = union_meta([s.meta for s in group])
    inputs = Inputs(sources=sources, meta=meta, pieces=pieces, paths=files, headers=headers)
    if survey_paths:
        if survey_loader is None:
            raise UsageError("surveys with --engine dask: give the survey files with the calls or tickets "
                             "(they are read on the client)")
        from ..ingest.combine import combine

        columns = {c for p in survey_paths for c in headers[p]}
        datasets = [d for d in survey_loader(survey_paths, columns) if d.kind == "surveys"]
        inputs.surveys = combine(datasets).get("surveys")
        inputs.survey_datasets = datasets
        inputs.survey_summaries = [d.summary for d in datasets]
    return inputs


def _blocksize(value: int | str | None) -> int | None:
    """Bytes per CSV block: an int, or text such as 64MiB; 0, none or whole: one block per file."""
    from dask.utils import parse_bytes

    if value is None or (isinstance(value, str) and value.strip().lower() in ("0", "none", "whole", "")):
        return None
    try:
        size = parse_bytes(value) if isinstance(value, str) else int(value)
    except (ValueError, TypeError):
        raise UsageError(f"--blocksize {value!r}: write a size such as 64MiB or 256MB, or 0 for whole files") from None
    return size or None


def _peek(path: str) -> tuple[str, list[str], str, str, str | None, str, bytes]:
    """(head text, header, delimiter, encoding, compression, format, header line bytes) of a file."""
    import csv

    import fsspec

    from ..ingest.load import _check_header, _decode, _looks_binary, _sniff_delimiter, detect_encoding

    lower = path.lower()
    compression = next((c.lstrip(".") for c in COMPRESSED if lower.endswith(c)), None)
    compression = {"gz": "gzip", "zst": "zstd"}.get(compression, compression)
    if lower.endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        with fsspec.open(path, "rb") as f:
            names = [str(n).strip() for n in pq.ParquetFile(f).schema_arrow.names]
        header = _check_header(names, path)
        return ",".join(header), header, "parquet", "utf-8", None, "parquet", b""
    if lower.endswith((".xlsx", ".jsonl", ".ndjson", ".zip")):
        raise UsageError(f"{path}: --engine dask reads CSV and Parquet; convert it, or use --engine pandas")
    with fsspec.open(path, "rb", compression="infer" if compression else None) as f:
        raw = f.read(1 << 16)
    if _looks_binary(raw):
        raise InputError("not a text export (binary content); export it as CSV", path=path)
    encoding = detect_encoding(raw)
    text = _decode(raw, encoding)
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise InputError("the file is empty (no header line); export it again with column headers", path=path)
    delimiter = _sniff_delimiter(first)
    header = _check_header([h.strip() for h in next(csv.reader([first], delimiter=delimiter))], path)
    end = raw.find(b"\n")
    header_line = raw[: end + 1] if end >= 0 else raw + b"\n"
    return text, header, delimiter, encoding, compression, "csv", header_line


def _preset(path: str, header: list[str], head: str, wanted: str | None) -> Any:
    """The file's preset; only presets that convert row by row can run per block."""
    from ..ingest.presets import choose_preset
    from ..ingest.presets.base import GenericPreset
    from ..ingest.presets.mapping import MappingPreset

    chosen, _ = choose_preset(wanted, header, head)
    if not isinstance(chosen, (GenericPreset, MappingPreset)):
        raise UsageError(f"{path}: the {chosen.name} preset combines rows of a record (events, legs); --engine "
                         "dask converts block by block and cannot. Use --engine pandas, or convert the export "
                         "to canonical columns first")
    return chosen


def _plan_pieces(source: Source, blocksize: int | str | None) -> list[Any]:
    """CSV: blocks of whole lines (dask.bytes.read_bytes); Parquet: one piece per row group."""
    if source.fmt == "parquet":
        import fsspec
        import pyarrow.parquet as pq

        with fsspec.open(source.path, "rb") as f:
            groups = pq.ParquetFile(f).metadata.num_row_groups
        return [[g] for g in range(groups)] or [[]]
    from dask.bytes import read_bytes

    whole = source.compression is not None or source.encoding.lower().startswith("utf-16") or not blocksize
    _, blocks = read_bytes(source.path, delimiter=None if whole else b"\n", blocksize=None if whole else blocksize,
                           sample=False, compression=source.compression)
    return blocks[0]


def _first_rows(source: Source, head: str) -> None:
    """The file's columns and types: its first rows normalised (``meta``), and the fields it gives."""
    import pandas as pd

    from ..ingest.load import RawTable, _read_csv
    from ..ingest.normalise import normalise, resolve_columns
    from ..ingest.presets.base import GenericPreset

    if source.fmt == "parquet":
        frame = pd.DataFrame({h: pd.Series([], dtype="str") for h in source.header})
        raw = RawTable(path=source.path, frame=frame, header=source.header, delimiter="parquet")
    else:
        text = head.encode("utf-8")
        text = text[: text.rfind(b"\n") + 1] if b"\n" in text else text + b"\n"
        table = _read_csv(text, source.path, source.header, source.delimiter, "utf-8")
        frame = table.to_pandas()
        frame.columns = source.header
        frame.index = range(1, len(frame) + 1)
        raw = RawTable(path=source.path, frame=frame.head(200), header=source.header, delimiter=source.delimiter)
    for dayfirst in (source.dayfirst, True):  # first rows all ambiguous: either order gives the types
        try:
            with _dayfirst(dayfirst):
                converted = source.preset.convert(raw, source.tz)
                dataset = normalise(converted.table, kind=source.kind, mapping=source.mapping, tz=source.tz)
            break
        except InputError:
            if dayfirst is True:
                raise
    source.given = set(resolve_columns(converted.table, source.kind, source.mapping))
    source.meta = dataset.frame.iloc[:0]
    if isinstance(source.preset, GenericPreset):  # pass 1 reads the id, the dates and what anchors derive from
        from ..engine.slicing import ANCHORS

        columns = resolve_columns(raw, source.kind, source.mapping)
        wanted = {f.name for f in SCHEMAS[source.kind] if f.required or f.type == "datetime" or f.name in ANCHORS
                  or f.name in ANCHOR_INPUTS or f.name == ID_FIELD[source.kind]}
        chosen = {columns[f] for f in wanted if f in columns}
        source.scan_columns = [h for h in source.header if h in chosen]




@contextmanager
def _dayfirst(value: bool | None) -> Iterator[None]:
    from ..ingest.presets.dates import PREFERRED_DAYFIRST

    token = PREFERRED_DAYFIRST.set(value)
    try:
        yield
    finally:
        PREFERRED_DAYFIRST.reset(token)


# -- worker side: one block ----------------------------------------------------------------------

def _read_block(source: Source, piece: Any, number: int, only: list[str] | None = None) -> Any:
    """A block as text cells (a RawTable), read by the pandas engine's own readers; ``only``: just
    these columns (a block's rows are still all there)."""
    from ..ingest.load import RawTable, _as_text_table, _read_csv

    if source.fmt == "parquet":
        import fsspec
        import pyarrow.parquet as pq

        with fsspec.open(source.path, "rb") as f:
            file = pq.ParquetFile(f)
            names = file.schema_arrow.names
            columns = None if only is None else [names[source.header.index(h)] for h in only]
            table = file.read_row_groups(piece, columns=columns)
        return _as_text_table(table, source.path, "parquet")
    data = piece if number == 0 else source.header_line + piece
    if number > 0 and not piece.strip():
        data = source.header_line
    if only is None:
        table = _read_csv(data, source.path, source.header, source.delimiter, source.encoding)
    else:
        table = _read_csv_columns(data, source, only)
    header = source.header if only is None else only
    frame = table.to_pandas()
    frame.columns = header
    frame.index = range(1, len(frame) + 1)
    return RawTable(path=source.path, frame=frame, header=header, delimiter=source.delimiter)


def _read_csv_columns(data: bytes, source: Source, only: list[str]) -> Any:
    """load._read_csv's reading (every cell text, empty = missing), of some columns only."""
    import io

    import pyarrow as pa
    from pyarrow import csv as pacsv

    from ..ingest.load import csv_options

    read_options, parse_options, convert_options = csv_options(source.header, source.delimiter, source.encoding,
                                                               only=only)
    try:
        return pacsv.read_csv(io.BytesIO(data), read_options=read_options, parse_options=parse_options,
                              convert_options=convert_options)
    except pa.ArrowException:  # let the full reader say what is wrong, as the pandas engine would
        from ..ingest.load import _read_csv

        return _read_csv(data, source.path, source.header, source.delimiter, source.encoding).select(
            convert_options.include_columns)


def _date_decisions(source: Source, raw: Any, table: Any) -> dict[str, str | None]:
    """How each date column of this block would be read (ISO, epoch, or the strftime format
    guessed from its values): the pandas engine decides once per file, so the blocks must agree."""
    from ..ingest.normalise import _clean_text, resolve_columns
    from ..ingest.presets.mapping import MappingPreset

    decisions: dict[str, str | None] = {}
    columns = resolve_columns(table, source.kind, source.mapping)
    for f in SCHEMAS[source.kind]:
        if f.type == "datetime" and f.name in columns:
            decisions[f.name] = _decide(_clean_text(table.frame[columns[f.name]]), source, source.dayfirst,
                                        columns[f.name])
    if isinstance(source.preset, MappingPreset):
        by_name = {h.strip().lower(): h for h in raw.header}
        kinds = {f.name: f.type for f in SCHEMAS[source.kind]}
        for name, rule in source.preset.fields.items():
            column = rule.find(by_name)
            if column is not None and kinds.get(name) == "datetime" and rule.date_format is None:
                text = raw.frame[column].astype("str").str.strip()
                text = text.mask(text.isin(source.preset.missing) | text.eq("") | raw.frame[column].isna())
                decisions[name] = _decide(text, source, source.preset.dayfirst, column)
    return decisions


def _decide(text: "pd.Series", source: Source, dayfirst: bool | None, column: str) -> str | None:
    """The layout :func:`hdkpi.ingest.presets.dates.to_iso` reads these values in (None: no values);
    ``error: …`` when this block alone cannot tell."""
    from ..ingest.presets.dates import layout

    try:
        return layout(text, column=column, path=source.path, dayfirst=source.dayfirst if dayfirst is None
                      else dayfirst)
    except InputError as exc:
        return "error: " + exc.message


def _scan(source: Source, piece: Any, number: int, window: "Window") -> dict[str, Any]:
    """Pass 1 of a block: ids (text as normalise cleans it), the anchor times' first and last
    (over the rows that pass the checks of the anchor fields — a superset of the rows used) and
    the date decisions."""
    import pandas as pd

    from ..engine.slicing import ANCHORS
    from ..ingest.load import RawTable
    from ..ingest.normalise import _clean_text, normalise, resolve_columns

    with _dayfirst(source.dayfirst):
        raw = _read_block(source, piece, number, source.scan_columns)
        table = source.preset.convert(raw, source.tz).table
        decisions = _date_decisions(source, raw, table)
        columns = resolve_columns(table, source.kind, source.mapping)
        id_field = ID_FIELD[source.kind]
        ids = None
        if id_field in columns:
            ids = _clean_text(table.frame[columns[id_field]]).dropna().rename("id").reset_index(drop=True)
        if any(d is not None and d.startswith("error: ") for d in decisions.values()):
            return {"read": len(raw.frame), "decisions": decisions, "span": {}, "ids": ids}  # _check_dates says
        wanted = [f.name for f in SCHEMAS[source.kind] if f.required or f.name in ANCHORS or f.name in ANCHOR_INPUTS]
        keep = {f: columns[f] for f in wanted if f in columns}
        frame = pd.DataFrame({f: table.frame[c] for f, c in keep.items()}, index=table.frame.index)
        if id_field in frame:  # row numbers: no duplicate check here (pass 2 does it on full rows)
            frame[id_field] = frame.index.astype("str")
        light = normalise(RawTable(path=source.path, frame=frame, header=list(frame.columns),
                                   delimiter=table.delimiter), kind=source.kind, tz=source.tz)
    return {"read": len(raw.frame), "decisions": decisions, "span": span_of(light.frame, window), "ids": ids}








def _prepare(source: Source, piece: Any, number: int, meta: "pd.DataFrame", candidates: Any) -> dict[str, Any]:
    """Pass 2 of a block: normalised rows (``clean``: ids seen once; ``cand``: ids seen twice, with
    their position for the exact duplicate rule) and the block's row accounting."""
    from ..ingest.combine import account_preset
    from ..ingest.normalise import normalise

    with _dayfirst(source.dayfirst):
        raw = _read_block(source, piece, number)
        converted = source.preset.convert(raw, source.tz)
        dataset = normalise(converted.table, kind=source.kind, mapping=source.mapping, tz=source.tz)
        account_preset(dataset, source.preset, converted)
    frame = conform(dataset.frame, meta)
    frame["_file"], frame["_block"], frame["_row"] = source.number, number, frame.index.to_numpy()
    frame = frame.reset_index(drop=True)
    id_field = ID_FIELD[source.kind]
    if candidates is not None and len(candidates) and id_field in source.given:
        twice = frame[id_field].isin(candidates).to_numpy()
        clean, cand = frame[~twice], frame[twice]
    else:
        clean, cand = frame, frame.iloc[:0]
    return {"clean": clean, "cand": cand, "summary": dataset.summary, "read": len(raw.frame)}


def _resolve(part: "pd.DataFrame", id_field: str, across_files: bool) -> "pd.DataFrame":
    """The duplicate rule on all copies of some ids (a shuffled partition): the first copy of a
    file is kept (``duplicate`` for the others) and, when every file gives the id, a copy in a
    later file wins (``also in a later file``). Column ``_reject``: the reason, missing when kept."""
    import pandas as pd

    from ..ingest.combine import later_file_reason
    from ..ingest.normalise import duplicate_reason

    part = part.sort_values(list(POSITION), kind="stable")
    first = ~part.duplicated([id_field, "_file"], keep="first")
    reason = pd.Series(pd.NA, index=part.index, dtype="object")
    reason[~first] = duplicate_reason(id_field)
    if across_files:
        last = part.groupby(id_field, sort=False)["_file"].transform("max")
        reason[first & (part["_file"] < last)] = later_file_reason(id_field)
    return part.assign(_reject=reason.astype("str"))


# -- worker side: KPI partials -------------------------------------------------------------------





















def _tree(plan_task: Any, outs: list[Any], fan_in: int = 8) -> Any:
    """Merge task outputs in a tree (at most ``fan_in`` at a time), on the cluster."""
    from dask import delayed

    merge = delayed(merge_partials, pure=True)
    if not outs:
        return delayed(merge_partials)(plan_task)
    while len(outs) > 1:
        outs = [merge(plan_task, *outs[i:i + fan_in]) for i in range(0, len(outs), fan_in)]
    return outs[0]




# -- the client: plan, two passes, finish --------------------------------------------------------





@contextmanager
def connect(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: ``None`` or ``local`` starts a local cluster for this run (one worker
    process per core); an address (``tcp://host:8786``) connects to a running scheduler;
    ``synchronous``/``threads``/``processes`` use Dask's single-machine schedulers."""
    _require_dask()
    if scheduler in ("synchronous", "threads", "processes"):
        yield scheduler
        return
    from distributed import Client, LocalCluster

    if scheduler in (None, "", "local"):
        with LocalCluster(n_workers=workers, dashboard_address=":0") as cluster, Client(cluster) as client:
            yield client
        return
    with Client(scheduler) as client:
        yield client


def compute_jobs(specs: list[JobSpec], inputs: Inputs, settings: dict[str, Any], client: Any = None) -> Computed:
    """Every spec's results in two passes over the data (see the module's docstring).

    ``client``: a ``distributed.Client``, a scheduler name (``synchronous``, ``threads``) or None
    (Dask's default: the last client made, else threads)."""
    _require_dask()
    import dask

    from ..engine.slicing import periods_of

    logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)  # "shuffle initialized"
    if any(spec.slicing.every for spec in specs[1:]):
        raise ValueError("only the first spec may have --every periods")
    window = specs[0].window
    every = specs[0].slicing if specs[0].slicing.every else None
    scans, candidates = _pass_one(inputs, window, client)
    loose = periods_of(_span_frames(inputs, scans, window), window, every)
    plan = plan_jobs(specs, inputs, settings, loose, window)
    _ship_plugins(plan)
    plan_task = dask.delayed(plan, pure=True)
    final, summaries, losers = _pass_two(inputs, plan, plan_task, candidates)
    merged, summaries, losers = dask.compute(final, summaries, losers, scheduler=client)
    return finish_jobs(specs, inputs, plan, merged, summaries, losers, loose)


def _ship_plugins(plan: Plan) -> None:
    """KPIs of ``--plugin FILE`` travel to the workers by value (workers cannot import the file's
    module); installed plugins (entry points) must be installed on the workers too."""
    import sys

    import cloudpickle

    for job in plan.jobs:
        fn = job.ref.kpi.fn
        module = sys.modules.get(getattr(fn, "__module__", "") or "")
        if module is not None and module.__name__.startswith("hdkpi_plugin_"):
            cloudpickle.register_pickle_by_value(module)
            job.ref = replace(job.ref, kpi=replace(job.ref.kpi, fn=_ByValue(fn)))


class _ByValue:
    """A function pickled with its code (Dask's pickling would name its module instead)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        import cloudpickle

        return _ByValue, (_Loads(cloudpickle.dumps(self.fn)),)


class _Loads:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> tuple[Any, ...]:
        import cloudpickle

        return cloudpickle.loads, (self.data,)


def _pass_one(inputs: Inputs, window: "Window", scheduler: Any) -> tuple[list[list[dict]], dict[str, Any]]:
    """Ids seen more than once per kind, each block's anchor span and date decisions."""
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from dask import delayed

    scan = delayed(_scan, pure=True)
    tasks = [[scan(s, piece, n, window) for n, piece in enumerate(inputs.pieces[s.number])] for s in inputs.sources]
    small = [[delayed(_without_ids, pure=True)(t) for t in per_file] for per_file in tasks]
    twice: dict[str, Any] = {}
    for kind in inputs.kinds:
        with_ids = [t for s, per_file in zip(inputs.sources, tasks) if s.kind == kind and ID_FIELD[kind] in s.given
                    for t in per_file]
        if not with_ids:
            continue
        ids = dd.from_delayed([delayed(operator.getitem, pure=True)(t, "ids") for t in with_ids],
                              meta=pd.Series([], dtype="str", name="id"), verify_meta=False)
        counts = ids.value_counts(split_out=max(1, len(with_ids) // 32))
        twice[kind] = counts[counts > 1].index
    with warnings.catch_warnings():  # delayed scans and a dataframe count in one graph, on purpose
        warnings.filterwarnings("ignore", message="Computing mixed collections")
        scans, found = dask.compute(small, twice, scheduler=scheduler)
    _check_dates(inputs, scans)
    candidates = {kind: pd.Index(index, dtype="str") for kind, index in found.items() if len(index)}
    return scans, candidates


def _without_ids(scan: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in scan.items() if k != "ids"}


def _check_dates(inputs: Inputs, scans: list[list[dict]]) -> None:
    """The blocks of a file must read each date column alike (the pandas engine decides per file)."""
    for source, per_file in zip(inputs.sources, scans):
        seen: dict[str, set[str]] = {}
        for scan in per_file:
            for column, decision in scan["decisions"].items():
                if decision is not None:
                    seen.setdefault(column, set()).add(decision)
        for column, decisions in seen.items():
            errors = sorted(d for d in decisions if d.startswith("error: "))
            if errors:
                raise InputError(f"{errors[0][7:]} (--engine dask reads a file block by block, and one of its "
                                 "blocks cannot tell alone)", path=source.path)
            if len(decisions) > 1:
                raise InputError(f"{column}: the blocks of this file hold dates in different layouts "
                                 f"({', '.join(sorted(decisions))}); give --dayfirst/--monthfirst, or use "
                                 "--engine pandas", path=source.path)


def _span_frames(inputs: Inputs, scans: list[list[dict]], window: "Window") -> dict[str, "pd.DataFrame"]:
    """Pass 1's span (over every row whose anchor fields pass their checks: it covers the rows used)."""
    by_kind: dict[str, list[dict]] = {}
    for source, per_file in zip(inputs.sources, scans):
        by_kind.setdefault(source.kind, []).extend(s["span"] for s in per_file)
    frames = {kind: two_rows(merge_spans(spans)) for kind, spans in by_kind.items()}
    if inputs.surveys is not None:
        frames["surveys"] = two_rows(span_of(inputs.surveys, window))
    return frames












def _pass_two(inputs: Inputs, plan: Plan, plan_task: Any,
              candidates: dict[str, Any]) -> tuple[Any, list[list[Any]], dict[str, list[Any]]]:
    """The graph of pass 2: (the merged partials; per source, its blocks' accounting; per kind, the
    rows the duplicate rule dropped)."""
    import dask.dataframe as dd
    import pandas as pd
    from dask import delayed

    from ..ingest.combine import across_files

    prepare = delayed(_prepare, pure=True)
    get = delayed(operator.getitem, pure=True)
    partial = delayed(block_partials, pure=True)
    outs: list[Any] = []
    summaries: list[list[Any]] = [[] for _ in inputs.sources]
    losers: dict[str, list[Any]] = {}
    for kind in inputs.kinds:
        meta = inputs.meta[kind]
        positioned = meta.assign(**{c: pd.Series([], dtype="int64") for c in POSITION})
        sources = inputs.of(kind)
        cands = candidates.get(kind)
        cands_task = delayed(cands, pure=True) if cands is not None else None
        rows: list[Any] = []
        doubles: list[Any] = []
        for source in sources:
            pieces = inputs.pieces[source.number]
            blocks = [prepare(source, piece, n, meta, cands_task) for n, piece in enumerate(pieces)]
            summaries[source.number] = [get(b, "summary") for b in blocks]
            rows += [get(b, "clean") for b in blocks]
            doubles += [get(b, "cand") for b in blocks]
        blocks_of_kind = len(doubles)
        if cands is not None:
            id_field = ID_FIELD[kind]
            across = across_files(id_field, (s.given for s in sources))
            shuffled = dd.from_delayed(doubles, meta=positioned, verify_meta=False).shuffle(
                on=id_field, npartitions=max(1, len(doubles) // 8))
            decided = [delayed(_resolve, pure=True)(p, id_field, across)
                       for p in shuffled.to_delayed(optimize_graph=False)]
            rows += [delayed(_kept, pure=True)(d) for d in decided]
            losers[kind] = [delayed(_dropped, pure=True)(d) for d in decided]
        outs += [partial(r, kind, plan_task, None) for r in rows]
        for history in sorted({j.history for j in plan.jobs if j.kind == kind and j.history}):
            shuffled = dd.from_delayed(rows, meta=positioned, verify_meta=False).shuffle(
                on=history, npartitions=max(1, blocks_of_kind))
            outs += [partial(p, kind, plan_task, history) for p in shuffled.to_delayed(optimize_graph=False)]
    return _tree(plan_task, outs), summaries, losers


def _kept(part: "pd.DataFrame") -> "pd.DataFrame":
    return part[part["_reject"].isna()].drop(columns="_reject")


def _dropped(part: "pd.DataFrame") -> "pd.DataFrame":
    return part.loc[part["_reject"].notna(), [*POSITION, "_reject"]]
















# -- a whole run, as pipeline.run ----------------------------------------------------------------

def run(options: Any, *, scheduler: str | None = None, blocksize: int | str | None = DEFAULT_BLOCKSIZE,
        client: Any = None) -> "Report":
    """pipeline.run on the dask engine: the same options, checks, KPI choice, evaluation and Report.
    ``client`` (a ``distributed.Client``) wins over ``scheduler``. Not available here: --compare,
    --details/show (no rows are kept on the client), the parsed-data cache."""

    from ..targets.evaluate import evaluate
    from .blocks import choose_jobs
    from .pipeline import load_datasets
    from .plan import annotate, check_map_columns, check_map_fields, file_mapping, plan_run, report_of

    _require_dask()
    plan = plan_run(options)
    targets, settings = plan.targets, plan.settings
    if options.compare is not None:
        raise UsageError("--compare is not available with --engine dask; report the earlier window as its own run "
                         "(--from/--to), or use --engine pandas")
    if getattr(options, "keep_rejects", False):
        raise UsageError("--rejects writes the rejected rows' cells, which --engine dask does not bring back; the "
                         "report counts them per reason with example rows, or use --engine pandas")
    check_map_fields(options.mapping)
    wanted = options.preset or (targets.preset if targets is not None else None)
    options.step("looking at the inputs")
    inputs = open_inputs(options.files, kind=options.kind, tz=options.tz, preset=wanted, dayfirst=options.dayfirst,
                         mapping_for=lambda kind: file_mapping(kind, targets, options.mapping), blocksize=blocksize,
                         survey_loader=lambda paths, columns: load_datasets(replace(
                             options, files=paths, cache=False,
                             mapping={f: c for f, c in options.mapping.items() if c in columns}), targets))
    check_map_columns(options.mapping, inputs.headers.values())
    read_with = [(s.kind, s.preset.name) for s in inputs.sources]
    read_with += [(d.kind, d.summary.preset) for d in inputs.survey_datasets]
    chosen = choose_jobs(plan, inputs.frames(), read_with)
    specs = chosen.specs
    options.step(f"computing {len(chosen.refs)} KPIs on Dask")
    if client is not None:
        computed = compute_jobs(specs, inputs, settings, client)
    else:
        with connect(scheduler) as made:
            computed = compute_jobs(specs, inputs, settings, made)
    results = chosen.results(computed)
    annotate(results, options, settings)
    verdicts = evaluate(results, targets.targets if targets is not None else [], settings)
    return report_of(plan, verdicts, computed.summaries, chosen.slicing)
