"""The streamed run: a big clean CSV export aggregated block by block as it is read, never held whole.

*When.* ``--stream``, or on its own (``--stream`` not given) when the CSV inputs add up to
:data:`STREAM_FROM` bytes of text or more (a compressed file counts five times its size) — and only
if every input takes the typed read (:mod:`hdkpi.ingest.fastread`: a canonical CSV, generic preset,
ISO times, UTF-8) and the run keeps no rows: no ``--cache``, ``--rejects``, ``--details``,
``--compare``, no survey files. KPIs that look at other records of the same caller or requester
(``call_fcr`` by repeat callers, ``next_issue_avoidance``) are computed from the rows cut by that key
into temporary files of whole histories (:class:`Partitions`), one file at a time.
Otherwise the run reads whole files, as always.

*How.* pyarrow's streaming CSV reader, with the typed read's own options, hands over blocks of
:data:`BLOCK_BYTES`; they are gathered into chunks of about :data:`CHUNK_ROWS` rows, and each chunk
goes through :func:`hdkpi.ingest.normalise.normalise_arrow` — every canonical column typed and
checked, so a row's fate is decided exactly as in the whole-file read — and then through every
KPI's partial aggregation (:mod:`hdkpi.run.blocks`: the engine's partial → merge → finish path, the
one the Dask executor runs). Arrow parses ahead on its own threads, and :data:`WORKERS` chunks are
normalised and aggregated at once on threads (pandas, numpy and Arrow release the GIL in their
loops); their partials are taken in the order of the chunks, so a run gives the same figures every
time. What stays in memory: the partials, and an 8-byte fingerprint per used row's
id (the duplicate rule looks across the whole file).

*Periods.* ``--every`` periods are counted on a *loose* series, fixed before the first chunk: the
window where it is bounded, else the first chunk's times widened by :data:`LOOSE_YEARS` (hours:
:data:`LOOSE_YEARS_HOURLY`) on each side; the finish cuts it to the exact periods of the data.

*Exact, or the whole-file read.* A chunk that cannot be read as the typed read reads it (a cell
Arrow cannot type, a line break inside a cell, a malformed row), an id fingerprint seen twice (a
duplicate id, or — about once in 10¹² runs of 10 M rows — two ids with one fingerprint), or a time
outside the loose periods: the run stops streaming and reads the whole files instead, which decides
exactly. Nothing is output before the end, so the fallback costs time only; the run says why on
stderr (the progress line).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..fields import ID_FIELD

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    import numpy as np
    import pandas as pd

    from ..engine.select import Window
    from ..engine.slicing import Periods, Slicing
    from ..ingest.normalise import Dataset
    from ..model import Report
    from .blocks import Inputs, Plan
    from .plan import Plan as RunPlan

STREAM_FROM = 256 << 20  #: CSV bytes (all inputs) from which a run streams without being asked
BLOCK_BYTES = 4 << 20  #: bytes of text per block of the reader (smaller blocks keep fewer blocks in memory)
CHUNK_ROWS = 262_144  #: rows gathered before a chunk is normalised and aggregated (fewer, larger pandas steps)
LOOSE_YEARS = 25  #: the loose periods reach this far on each side of the first chunk's times
LOOSE_YEARS_HOURLY = 3  #: the same for --every hour (at most 100,000 periods)
WORKERS = 2  #: chunks worked on at once, on threads (pandas, numpy and Arrow release the GIL in their loops)
COMPRESSED = (".gz", ".bz2", ".zst")  #: compressed inputs (Arrow decompresses them as it reads)
STREAM_ENV = "HDKPI_STREAM_FROM"  #: bytes from which a run streams on its own (for tests: 0 = always)


class Fallback(Exception):
    """The streamed run cannot give the whole-file read's figures exactly: read whole files instead."""


@dataclass
class TypedFile:
    """An input file the typed read can stream: fastread's plan of it."""

    path: str
    header: list[str]
    delimiter: str
    kind: str
    columns: dict[str, str]  #: canonical field → column
    types: list[Any]  #: one Arrow type per column


def stream_from() -> int:
    value = os.environ.get(STREAM_ENV)
    return int(value) if value not in (None, "") else STREAM_FROM


def typed_files(plan: "RunPlan") -> list[TypedFile] | None:
    """The run's inputs as streams, or None when the run reads whole files (see the module's docstring)."""
    from ..ingest.fastread import typed_plan
    from .plan import file_mapping, kind_of

    options, targets = plan.options, plan.targets
    if options.stream is False or options.cache or options.keep_rejects or options.compare is not None:
        return None
    wanted = options.preset or (targets.preset if targets is not None else None)
    if wanted not in (None, "generic") or not options.files:
        return None
    if options.stream is None:  # on its own: only for big inputs (their size first, before any reading)
        try:
            if sum(_text_bytes(path) for path in options.files) < stream_from():
                return None
        except OSError:  # stdin, or a file that is not there: the whole-file read says so
            return None
    files: list[TypedFile] = []
    for path in options.files:
        found = typed_plan(path, lambda header: kind_of(header, options, targets),
                           lambda kind: file_mapping(kind, targets, options.mapping))
        if found is None:
            return None
        header, delimiter, kind, columns, types = found
        if kind not in ("calls", "tickets"):
            return None
        files.append(TypedFile(path, header, delimiter, kind, columns, types))
    return files


def _text_bytes(path: str) -> int:
    """About how much text a file holds: its size, or 5 × that compressed (a CSV's usual ratio)."""
    size = os.path.getsize(path)
    return size * 5 if path.lower().endswith(COMPRESSED) else size


def streamed(plan: "RunPlan") -> "Report | None":
    """The run streamed, or None when it reads whole files (not streamable, or a :class:`Fallback`)."""
    if plan.settings.get("slas") or plan.options.states:  # SLA clocks read each ticket's whole history
        return None
    files = typed_files(plan)
    if files is None:
        return None
    try:
        return _run(plan, files)
    except Fallback as why:
        plan.options.step(f"reading whole files: {why}")
        return None


# -- reading -----------------------------------------------------------------------------------

def _empty(file: TypedFile, tz: str) -> "pd.DataFrame":
    """The normalised frame of no rows of this file: its columns and types."""
    import pyarrow as pa

    from ..ingest.normalise import normalise_arrow

    arrays = {name: pa.chunked_array([], type=t) for name, t in zip(file.header, file.types)}
    return normalise_arrow(arrays, rows=0, path=file.path, header=file.header, kind=file.kind, columns=file.columns,
                           tz=tz).frame.iloc[:0]


def _chunks(file: TypedFile, progress: Any = None) -> "Iterator[Any]":
    """The file's rows as Arrow tables of about CHUNK_ROWS rows (at least one, maybe empty);
    ``progress`` is told how far the reading is after each chunk."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    from ..ingest.load import csv_options

    read_options, parse_options, convert_options = csv_options(file.header, file.delimiter, "utf-8", file.types,
                                                               newlines_in_values=False)
    read_options.block_size = BLOCK_BYTES
    try:
        reader = pacsv.open_csv(pa.input_stream(file.path, compression="detect"), read_options=read_options,
                                parse_options=parse_options, convert_options=convert_options)
        pending: list[Any] = []
        rows, given = 0, 0
        size = os.path.getsize(file.path)
        raw = not file.path.lower().endswith(COMPRESSED)
        for blocks, batch in enumerate(reader, start=1):
            pending.append(batch)
            rows += batch.num_rows
            if rows >= CHUNK_ROWS:
                yield pa.Table.from_batches(pending)
                given += 1
                pending, rows = [], 0
                if progress is not None:  # each block is BLOCK_BYTES of (uncompressed) text
                    progress(f"reading {file.path} (streamed): {min(blocks * BLOCK_BYTES / size, 1.0):.0%}" if raw
                             else f"reading {file.path} (streamed): {blocks * BLOCK_BYTES >> 20:,} MiB of text")
        if pending or not given:
            yield pa.Table.from_batches(pending, schema=reader.schema)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise Fallback(f"{file.path}: {str(exc).splitlines()[0]}") from None


def _normalised(file: TypedFile, table: Any, tz: str) -> "Dataset":
    """A chunk's rows typed and checked as the whole-file read does (normalise_arrow)."""
    from ..ingest.fastread import has_line_break
    from ..ingest.normalise import normalise_arrow

    if has_line_break(table):  # the whole-file read reads those cells whole
        raise Fallback(f"{file.path}: a cell holds a line break")
    rows, arrays = table.num_rows, dict(zip(file.header, table.columns))
    del table
    return normalise_arrow(arrays, rows=rows, path=file.path, header=file.header, kind=file.kind,
                           columns=file.columns, tz=tz)


# -- ids -----------------------------------------------------------------------------------------

_MULTIPLIER = 0x9E3779B97F4A7C15  #: an odd 64-bit constant (the golden ratio's), base of the polynomial


def fingerprints(ids: "pd.Series") -> "np.ndarray":
    """A 64-bit fingerprint of each non-missing text: a polynomial of its UTF-8 bytes modulo 2⁶⁴
    (Horner's, b₀·M^(L−1) + … + b_(L−1)), mixed with its length L by splitmix64's finaliser — over
    Arrow's buffers, without a Python string per row.
    Equal texts give equal fingerprints; different ones rarely do (the caller treats a shared one as a
    possible duplicate and lets the exact rule decide)."""
    import numpy as np
    import pyarrow as pa

    values = ids.dropna()
    to_arrow = getattr(values.array, "__arrow_array__", None)
    array = to_arrow() if to_arrow is not None else pa.array(values.to_numpy(dtype=object), type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    count = len(array)
    if not count:
        return np.zeros(0, dtype=np.uint64)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset: array.offset + count + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    low, high = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets)
    starts = offsets[:-1] - low
    width = int(lengths.max())
    if width and (lengths == width).all():  # ids of one length (the usual): its bytes as a matrix, by column
        matrix = data[low:high].reshape(count, width)
        h = np.zeros(count, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(width):
                h = h * np.uint64(_MULTIPLIER) + matrix[:, j]
        return _mixed(h, lengths)
    with np.errstate(over="ignore"):  # the same polynomial as above, with each text's own length
        powers = np.concatenate(([np.uint64(1)], np.cumprod(np.full(max(width - 1, 0), _MULTIPLIER, dtype=np.uint64),
                                                            dtype=np.uint64)))
        position = np.arange(high - low, dtype=np.int64) - np.repeat(starts, lengths)
        exponent = np.repeat(lengths - 1, lengths) - position
        terms = data[low:high].astype(np.uint64) * powers[exponent]
        terms = np.append(terms, np.uint64(0))  # reduceat needs an index past the end for trailing empties
        sums = np.add.reduceat(terms, np.minimum(starts, high - low))
        sums[lengths == 0] = 0
    return _mixed(sums, lengths)


def _mixed(h: "np.ndarray", lengths: "np.ndarray") -> "np.ndarray":
    """splitmix64's finaliser over the polynomial and the length."""
    import numpy as np

    with np.errstate(over="ignore"):
        h = h ^ (lengths.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9))
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


# -- dimensions as codes ---------------------------------------------------------------------------

class Dimensions:
    """The ``--by`` text columns as categoricals whose categories grow as chunks bring new values.

    A chunk's categories are the values seen so far, in order of first appearance, so the codes of
    an earlier chunk stay valid in a later one: partials are brought to the latest categories
    (:meth:`recast`) before they are merged. Counting by codes (``np.bincount``) instead of hashing
    the texts per KPI and breakdown is what :func:`hdkpi.run.pipeline.encode_dimensions` buys the
    whole-file read."""

    def __init__(self, dims: list[str]) -> None:
        self.known: dict[str, list[Any]] = {dim: [] for dim in dims}
        self.seen: dict[str, set[Any]] = {dim: set() for dim in dims}

    def encode(self, frame: "pd.DataFrame") -> None:
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        for dim, known in self.known.items():
            if dim not in frame.columns or not isinstance(frame[dim].dtype, pd.StringDtype):
                continue
            column = frame[dim]
            to_arrow = getattr(column.array, "__arrow_array__", None)
            if to_arrow is None:  # not Arrow-backed: pandas hashes the texts
                new = [v for v in column.dropna().unique() if v not in self.seen[dim]]
                self._learn(dim, new)
                frame[dim] = pd.Categorical(column, categories=known)
                continue
            array = to_arrow()
            array = (array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array).dictionary_encode()
            words = array.dictionary.to_pylist()  # the chunk's distinct values: a few hundred at most
            self._learn(dim, [w for w in words if w not in self.seen[dim]])
            position = {w: i for i, w in enumerate(known)}
            lookup = np.array([position[w] for w in words] + [-1], dtype=np.int64)  # last: a missing value
            codes = lookup[array.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)]
            frame[dim] = pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(known)),
                                   index=frame.index)

    def _learn(self, dim: str, new: list[Any]) -> None:
        self.known[dim].extend(new)
        self.seen[dim].update(new)

    def recast(self, outs: list[dict[str, Any]], dims_of: dict[int, list[str | None]], final: bool = False) -> None:
        """Each partial's categorical key columns (``_k<i>``: the job's i-th dimension) with the
        latest categories of their dimension; ``final``: sorted as texts sort, as the whole-file
        read's categories are (the order of the records follows them)."""
        import pandas as pd

        if final:
            for known in self.known.values():
                known.sort()
        for out in outs:
            for (number, _), part in out["partials"].items():
                for i, dim in enumerate(dims_of.get(number, [])):
                    column = f"_k{i}"
                    if dim is None or column not in part or not isinstance(part[column].dtype, pd.CategoricalDtype):
                        continue
                    if final or len(part[column].cat.categories) != len(self.known[dim]):
                        part[column] = part[column].cat.set_categories(self.known[dim])


def _job_dims(jobs: "Plan", meta: dict[str, "pd.DataFrame"], encoded: list[str]) -> dict[int, list[str | None]]:
    """Per job, the dimension behind each of its key columns (None: one not encoded here), in the
    order :func:`hdkpi.engine.compute._group_keys` makes the keys."""
    from ..engine.slicing import TIME_DIMS

    out: dict[int, list[str | None]] = {}
    for job in jobs.jobs:
        columns = meta[job.kind].columns if job.kind in meta else []
        dims = [d for d in job.slicing.by if d in columns or (d in TIME_DIMS and job.anchor != "snapshot")]
        out[job.number] = [d if d in encoded and d in columns else None for d in dims]
    return out


class _Scratch:
    """Files in a temporary directory of their own, made on first use and removed by :meth:`close`."""

    prefix = "hdkpi-"

    def __init__(self) -> None:
        self.directory: str | None = None

    def path(self, name: str) -> str:
        if self.directory is None:
            import tempfile

            self.directory = tempfile.mkdtemp(prefix=self.prefix)
        return os.path.join(self.directory, name)

    def close(self) -> None:
        import shutil

        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


class IdPrints(_Scratch):
    """The used rows' id fingerprints, kept on disk, not in memory: per kind in :data:`BUCKETS` files by
    their top bits (8 bytes a row, in a temporary directory removed at the end). At the end each file
    is read and sorted alone, so finding a fingerprint given twice takes one bucket's memory —
    the run's memory stays the same from 10 M to 30 M rows."""

    BUCKETS = 16
    prefix = "hdkpi-ids-"

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[tuple[str, int], Any] = {}

    def add(self, kind: str, prints: "np.ndarray") -> None:
        import numpy as np

        if not len(prints):
            return
        bucket = (prints >> np.uint64(60)).astype(np.int64)  # 16 buckets: the top 4 bits
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(self.BUCKETS + 1))
        for number in range(self.BUCKETS):
            part = prints[order[bounds[number]:bounds[number + 1]]]
            if len(part):
                key = (kind, number)
                if key not in self.files:
                    self.files[key] = open(self.path(f"{kind}-{number}.u64"), "wb")  # noqa: SIM115
                self.files[key].write(part.tobytes())

    def twins(self) -> bool:
        """Whether any kind holds one fingerprint twice."""
        import numpy as np

        for handle in self.files.values():
            handle.close()
        for handle in self.files.values():
            prints = np.fromfile(handle.name, dtype=np.uint64)
            prints.sort()
            if (prints[1:] == prints[:-1]).any():
                return True
        return False

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        super().close()


class Partitions(_Scratch):
    """The rows of a kind cut by a key (a caller, a requester) into :data:`COUNT` Arrow IPC files in a
    temporary directory, for the KPIs that look at other records of the same key (``call_fcr`` by
    repeat callers, ``next_issue_avoidance``): every row of a key lands in one file, so each file,
    read back alone, holds whole histories — what Dask's shuffle by the key gives its partitions.
    A row without the key goes to the first file (it is still a row of the KPI). The files are
    written in the order of the chunks, so the figures are the same every run."""

    COUNT = 16
    prefix = "hdkpi-rows-"

    def __init__(self) -> None:
        super().__init__()
        self.writers: dict[tuple[str, str, int], Any] = {}
        self.schemas: dict[tuple[str, str, int], Any] = {}

    @classmethod
    def cut(cls, frame: "pd.DataFrame", key: str) -> "list[Any]":
        """The chunk's rows as COUNT Arrow tables (some empty), by the fingerprint of ``key``."""
        import numpy as np
        import pyarrow as pa

        part = np.zeros(len(frame), dtype=np.int64)
        present = frame[key].notna().to_numpy()
        part[present] = (fingerprints(frame[key]) % np.uint64(cls.COUNT)).astype(np.int64)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return [table.filter(pa.array(part == number)) for number in range(cls.COUNT)]

    def add(self, kind: str, key: str, tables: "list[Any]") -> None:
        import pyarrow as pa

        for number, table in enumerate(tables):
            if not table.num_rows:
                continue
            slot = (kind, key, number)
            if slot not in self.writers:
                self.writers[slot] = pa.ipc.new_stream(self.path(f"{kind}-{key}-{number}.arrows"), table.schema)
                self.schemas[slot] = table.schema
            schema = self.schemas[slot]
            try:
                self.writers[slot].write_table(table if table.schema.equals(schema) else table.cast(schema))
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
                raise Fallback(f"the rows of one {key} could not be kept apart ({exc})") from None

    def read(self) -> "Iterator[tuple[str, str, pd.DataFrame]]":
        """(kind, key, rows) of every file written, one at a time."""
        import pyarrow as pa

        for writer in self.writers.values():
            writer.close()
        for kind, key, number in sorted(self.writers):
            with pa.ipc.open_stream(self.path(f"{kind}-{key}-{number}.arrows")) as reader:
                yield kind, key, reader.read_all().to_pandas()

    def close(self) -> None:
        for writer in self.writers.values():
            with contextlib.suppress(Exception):  # closed already, or broken by the error being handled
                writer.close()
        super().close()


# -- the run -------------------------------------------------------------------------------------

def _inputs(files: list[TypedFile], tz: str) -> "Inputs":
    """blocks.Inputs of the typed files: per file its columns and types (no rows read yet)."""
    from ..ingest.presets.base import GenericPreset
    from .blocks import Inputs, Source, union_meta

    sources = []
    for number, file in enumerate(files):
        source = Source(number=number, path=file.path, kind=file.kind, fmt="csv", header=file.header,
                        delimiter=file.delimiter, preset=GenericPreset(), mapping=dict(file.columns), tz=tz,
                        dayfirst=None, given=set(file.columns))
        source.meta = _empty(file, tz)
        sources.append(source)
    meta = {kind: union_meta([s.meta for s in sources if s.kind == kind])
            for kind in ("calls", "tickets") if any(s.kind == kind for s in sources)}
    return Inputs(sources=sources, meta=meta, paths=[f.path for f in files],
                  headers={f.path: f.header for f in files})


def _loose(first: "pd.DataFrame", window: "Window", every: "Slicing | None") -> "Periods | None":
    """The loose --every periods: the window where bounded, else the first chunk's times widened."""
    import pandas as pd

    from ..engine.slicing import anchor_spans, periods_of
    from .blocks import two_rows

    if every is None:
        return None
    spans = anchor_spans(first, window).values()
    reach = pd.DateOffset(years=LOOSE_YEARS_HOURLY if every.every == "hour" else LOOSE_YEARS)
    if spans:
        low, high = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    elif window.start is not None:  # the first rows are all outside a window open at its end
        low = high = pd.Timestamp(window.start)
    elif window.end is not None:
        low = high = pd.Timestamp(window.end)
    else:
        raise Fallback("the first rows hold no time")
    return periods_of({"span": two_rows({"offered_at": (low - reach, high + reach)})}, window, every)


def _covers(loose: "Periods | None", span: dict[str, tuple[Any, Any]]) -> bool:
    if loose is None or not len(loose):
        return loose is None
    return all(lo >= loose.starts[0] and hi < loose.ends[-1] for lo, hi in span.values())


def _run(plan: "RunPlan", files: list[TypedFile]) -> "Report":
    """pipeline.run, streamed: the same checks, KPI choice, evaluation and Report."""
    prints, partitions = IdPrints(), Partitions()
    try:
        return _run_with(plan, files, prints, partitions)
    finally:  # also when the run goes back to the whole-file read
        prints.close()
        partitions.close()


def _run_with(plan: "RunPlan", files: list[TypedFile], prints: IdPrints, partitions: Partitions) -> "Report":
    """:func:`_run`, the id fingerprints going to ``prints`` and the rows that KPIs looking at other
    records need to ``partitions``."""
    from ..targets.evaluate import evaluate
    from .blocks import block_partials, choose_jobs, conform, finish_jobs, merge_partials, plan_jobs
    from .details import RunContext
    from .plan import check_map_columns, check_map_fields, recall_history, report_of

    options, targets, settings, window = plan.options, plan.targets, plan.settings, plan.window
    check_map_fields(options.mapping)
    check_map_columns(options.mapping, [f.header for f in files])
    inputs = _inputs(files, options.tz)
    chosen = choose_jobs(plan, inputs.frames(), [(f.kind, "generic") for f in files])
    refs, slicing, specs = chosen.refs, chosen.slicing, chosen.specs
    every = slicing if slicing.every else None
    dimensions = Dimensions(chosen.dims)
    dims_of: dict[int, list[str | None]] = {}
    planned = plan_jobs(specs, inputs, settings, None, window).jobs
    histories = sorted({(job.kind, job.history) for job in planned if job.history})  # (kind, key): whole histories
    if any(job.other_records for job in planned):  # other records, by no key of ours
        raise Fallback("a KPI looks at other records than its own rows, not by caller or requester")
    jobs: Plan | None = None
    loose: Periods | None = None
    outs: list[dict[str, Any]] = []
    summaries: list[list[Any]] = [[] for _ in files]
    lock = threading.Lock()

    def rows_of(file: TypedFile, table: Any) -> tuple[Any, "pd.DataFrame", Any, dict[str, Any]]:
        """(accounting, normalised rows with coded dimensions, id fingerprints, the rows cut by each
        history key) of a chunk."""
        dataset = _normalised(file, table, options.tz)
        frame = conform(dataset.frame, inputs.meta[file.kind]).reset_index(drop=True)
        cuts = {key: Partitions.cut(frame, key) for kind, key in histories if kind == file.kind and key in frame}
        with lock:  # the categories grow in one order
            dimensions.encode(frame)
        id_field = ID_FIELD[file.kind]
        return dataset.summary, frame, fingerprints(frame[id_field]) if id_field in file.columns else None, cuts

    def work(file: TypedFile, table: Any) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
        summary, frame, printed, cuts = rows_of(file, table)
        return summary, printed, block_partials(frame, file.kind, jobs, None), cuts

    def take(number: int, file: TypedFile, done: tuple[Any, Any, dict[str, Any], dict[str, Any]]) -> None:
        """A chunk's results, in the order of the chunks (merged in that order: the same figures every run)."""
        summary, printed, out, cuts = done
        for key, tables in cuts.items():
            partitions.add(file.kind, key, tables)
        summaries[number].append(summary)
        if printed is not None:
            prints.add(file.kind, printed)
        if every is not None and not _covers(loose, out["span"].get(file.kind, {})):
            raise Fallback(f"{file.path}: a time more than {LOOSE_YEARS} years from the first rows'")
        keep(out)

    def keep(out: dict[str, Any]) -> None:
        """A chunk's partials, merged every 16 as it goes: what is held stays the size of the partials."""
        nonlocal outs
        outs.append(out)
        if len(outs) >= 16:
            dimensions.recast(outs, dims_of)
            outs = [merge_partials(jobs, *outs)]

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hdkpi-chunk") as pool:
        waiting: deque[tuple[int, TypedFile, Future]] = deque()
        try:
            for source, file in zip(inputs.sources, files):
                options.step(f"reading {file.path} (streamed)")
                for table in _chunks(file, options.progress):
                    if jobs is None:  # the first chunk, here: it fixes the loose periods and plans the jobs
                        summary, frame, printed, cuts = rows_of(file, table)
                        loose = _loose(frame, window, every)
                        jobs = plan_jobs(specs, inputs, settings, loose, window)
                        dims_of = _job_dims(jobs, inputs.meta, list(dimensions.known))
                        take(source.number, file, (summary, printed, block_partials(frame, file.kind, jobs, None),
                                                   cuts))
                        continue
                    waiting.append((source.number, file, pool.submit(work, file, table)))
                    del table
                    while len(waiting) > WORKERS:
                        number, done_file, future = waiting.popleft()
                        take(number, done_file, future.result())
            while waiting:
                number, done_file, future = waiting.popleft()
                take(number, done_file, future.result())
        finally:
            for _, _, future in waiting:
                future.cancel()
    if prints.twins():
        raise Fallback("an id is given more than once (the duplicate rule decides on the whole file)")
    assert jobs is not None
    for kind, key, rows in partitions.read():  # one file of whole histories at a time
        options.step(f"{kind}: other records of the same {key}")
        frame = conform(rows, inputs.meta[kind])
        dimensions.encode(frame)
        keep(block_partials(frame, kind, jobs, key))
    dimensions.recast(outs, dims_of, final=True)
    merged = merge_partials(jobs, *outs)
    computed = finish_jobs(specs, inputs, jobs, merged, summaries, {}, loose)
    results = chosen.results(computed)
    recall_history(results, options, settings, window, slicing, computed.frames, computed.periods)
    verdicts = evaluate(results, targets.targets if targets is not None else [], settings)
    report = report_of(plan, verdicts, computed.summaries, slicing)
    report.context = RunContext(refs=refs, frames=computed.frames, settings=settings, window=window, slicing=slicing,
                                periods=computed.periods, streamed=True)
    return report
