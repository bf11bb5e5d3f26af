"""Amazon Connect contact records (CTR): JSON lines as streamed to S3/Kinesis, or their CSV flattening.

Layout: the contact record data model of Amazon Connect
(https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html). A contact record is one
JSON object (nested ``Queue``, ``Agent``, ``CustomerEndpoint`` objects); exports written as CSV flatten
them into dotted column names (``Queue.EnqueueTimestamp``, ``Agent.Username``). Both are read here:
a file whose first non-blank character is ``{`` is JSON lines (records concatenated without newlines,
as Kinesis Data Firehose writes them, are accepted too), anything else is read as a delimited file.

Rules, in order:

1. Records are delivered at least once and re-delivered when updated: the version with the greatest
   ``LastUpdateTimestamp`` of each ``ContactId`` is kept (ties: the later line); the other versions
   are *folded*. A record with an unreadable timestamp or duration is refused with the field named.
2. A contact with no ``Queue.EnqueueTimestamp`` was never offered to a queue (IVR-only, outbound,
   agent-initiated): refused as not offered and counted (``never_queued``).
3. Contacts are chained by ``InitialContactId`` (the chain's first contact), or by following
   ``PreviousContactId`` where the initial id is absent. A queue-to-queue transfer, an agent's
   transfer to a queue and a callback each start a new contact record in the same chain, so one
   caller appears once per queue visited.
4. **Contact-level counting (this preset, ``connect``; the default)**: one call per chain that
   reached a queue. offered_at = ``Queue.EnqueueTimestamp`` of the chain's first queue segment;
   answered if any segment was connected to an agent (answered_at = the first
   ``Agent.ConnectedToAgentTimestamp``); wait = the sum over segments of ``Queue.Duration`` (or
   dequeue − enqueue); talk, hold and after-contact work = sums of ``Agent.AgentInteractionDuration``,
   ``Agent.CustomerHoldDuration``, ``Agent.AfterContactWorkDuration``; agent = the first agent connected;
   queue = the first queue's ``Queue.Name``; caller_id = ``CustomerEndpoint.Address`` of the first
   segment. The chain's other records are folded into it.
5. **Queue-level counting (:class:`ConnectQueuesPreset`, ``connect-queues``)**: one call per queue
   segment (contact record with a queue), as Amazon Connect's own queue reports count.
6. Outcome: connected to an agent → answered. Not connected: ``other`` when the contact left the queue
   without the caller hanging up — the flow ended it (``DisconnectReason`` = ``CONTACT_FLOW_DISCONNECT``:
   queue timeout, closed queue, voicemail, callback offered) or, queue-level only, it was moved on to
   another queue or a callback (another record names it as ``PreviousContactId``); otherwise abandoned.
7. transferred = a record of the chain (queue-level: this record) is the ``PreviousContactId`` of a
   record whose ``InitiationMethod`` is not ``CALLBACK``.

Times are UTC in Connect's records; timestamps written without an offset are read as UTC (``--tz``
does not apply to them).
"""

from __future__ import annotations

import io
import json
import re
import sys
from typing import TYPE_CHECKING

from ...errors import InputError
from .base import Converted, Preset

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..load import RawTable

REFERENCE = "https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html"

#: contact record attribute (dotted, as the CSV flattening names it) → short name used below
SOURCE = {
    "ContactId": "id",
    "LastUpdateTimestamp": "updated",
    "InitiationTimestamp": "initiated",
    "InitiationMethod": "method",
    "Channel": "channel",
    "Queue.EnqueueTimestamp": "enq",
    "Queue.DequeueTimestamp": "deq",
    "Queue.Duration": "qdur",
    "Queue.Name": "queue",
    "Agent.ConnectedToAgentTimestamp": "connected",
    "Agent.AgentInteractionDuration": "talk",
    "Agent.CustomerHoldDuration": "hold",
    "Agent.AfterContactWorkDuration": "acw",
    "Agent.Username": "agent",
    "DisconnectTimestamp": "disconnected",
    "DisconnectReason": "reason",
    "InitialContactId": "initial",
    "PreviousContactId": "previous",
    "CustomerEndpoint.Address": "caller",
}
TIMESTAMPS = ("LastUpdateTimestamp", "InitiationTimestamp", "Queue.EnqueueTimestamp", "Queue.DequeueTimestamp",
              "Agent.ConnectedToAgentTimestamp", "DisconnectTimestamp")
DURATIONS = ("Queue.Duration", "Agent.AgentInteractionDuration", "Agent.CustomerHoldDuration",
             "Agent.AfterContactWorkDuration")
#: columns whose presence identifies the CSV flattening (ContactId and Queue.EnqueueTimestamp required)
SIGNATURE = ("ContactId", "Queue.EnqueueTimestamp", "InitiationTimestamp", "LastUpdateTimestamp",
             "Agent.ConnectedToAgentTimestamp", "Queue.Name", "InitialContactId", "DisconnectReason")
FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"
NOT_QUEUED = "never queued (IVR-only, outbound or agent contact): not offered"
IN_QUEUE = ("in a queue when exported (no DisconnectTimestamp, no agent connected, not moved on): outcome unknown, "
            "not counted")
#: a used call with one fact unknown (Converted.caveats)
CAVEAT_IN_PROGRESS = "in progress when exported (no DisconnectTimestamp): handle time unknown"
NOTES_COMMON = (
    "Records are updated and delivered again: the version with the latest LastUpdateTimestamp of each "
    "ContactId is kept, the others are folded (counted as duplicate_versions).",
    "Contacts without Queue.EnqueueTimestamp were never offered to a queue: refused as not offered and "
    "counted (never_queued).",
    "All channels are counted (VOICE, CHAT, TASK); the Channel column is kept, so --by channel separates them.",
    "A contact without DisconnectTimestamp that no later contact names as PreviousContactId was still going "
    "when the records were exported: connected to an agent, it is used (offered, answered, its wait known) "
    "with its end, talk/hold/acw and (unless a transfer is recorded) transfer left empty — aht leaves it "
    "out, and the accounting says 'in progress when exported (no DisconnectTimestamp): handle time unknown "
    "(n)'; not connected, its outcome is unknown: refused and counted (in_queue_when_exported). Without a "
    "DisconnectTimestamp column every contact is taken as ended.",
    "Hold and after-contact work come from the contact record (Agent.CustomerHoldDuration, "
    "Agent.AfterContactWorkDuration); aht = talk + hold + acw over answered calls.",
    "Amazon Connect's abandonment rate is contacts abandoned ÷ contacts queued, per queue, where abandoned "
    "means disconnected by the customer while in queue and contacts queued for callback are not abandoned "
    "(real-time and historical metrics definitions, "
    "https://docs.aws.amazon.com/connect/latest/adminguide/real-time-metrics-definitions.html). hdkpi counts "
    "a contact the flow removed from the queue (CONTACT_FLOW_DISCONNECT: timeout, voicemail, callback) as "
    "'other': offered (in the denominator) but not abandoned. Connect counts queue segments, so only "
    "connect-queues figures are comparable with its queue reports; connect counts each caller once.",
    "Amazon Connect reports 'Service level X' per queue from 'Contacts answered in X seconds' and 'Contacts "
    "queued' ('Contacts abandoned in X seconds' is reported beside them; "
    "https://docs.aws.amazon.com/connect/latest/adminguide/historical-metrics-definitions.html). Compare it "
    "with hdkpi's service_level over connect-queues, with the service_level_threshold set to X and the "
    "service_level_formula (offered, or exclude_abandoned_in_threshold) matching your Connect report.",
    "Callbacks: the callback is a new contact (InitiationMethod CALLBACK) whose PreviousContactId is the "
    "inbound contact, and it enters a queue again, so per-queue counts see the caller twice. hdkpi's "
    "contact-level counting (preset connect) counts the caller once; queue-level (connect-queues) counts "
    "the inbound segment as 'other' and the callback as its own call.",
)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# -- reading -------------------------------------------------------------------------------------------

def read_contact_records(path: str) -> "RawTable":
    """A contact-record export as text cells: JSON lines (nested objects flattened to dotted names) or CSV."""
    from ..load import peek, read_table

    if path == "-":
        data = sys.stdin.buffer.read()
        if data.lstrip()[:1] == b"{":
            return _json_table(data, "-")
        return _csv_from_bytes(data)
    if peek(path).lstrip().startswith("{"):
        return _json_table(path, path)
    return read_table(path)


def _csv_from_bytes(data: bytes) -> "RawTable":
    import tempfile
    from pathlib import Path

    from ..load import RawTable, read_table

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "stdin.csv"
        file.write_bytes(data)
        table = read_table(str(file))
    return RawTable(path="-", frame=table.frame, header=table.header, delimiter=table.delimiter)


def _json_table(source: "str | bytes", path: str) -> "RawTable":
    """JSON lines with pyarrow's reader; records it cannot type consistently, or records concatenated
    without newlines, are parsed with the json module instead."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.json as pj

    from ..load import RawTable

    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else pa.input_stream(source, compression="detect")
        frame = _arrow_text(pj.read_json(stream, read_options=pj.ReadOptions(block_size=1 << 24)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        frame = _python_json(source, path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    header = [str(c) for c in frame.columns]
    return RawTable(path=path, frame=frame, header=header, delimiter="json")


def _arrow_text(table) -> "pd.DataFrame":
    """Nested structs flattened (``Queue.Name``), every scalar column as text, lists dropped."""
    import pyarrow as pa
    import pyarrow.compute as pc

    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_timestamp(kind):
            columns[name] = pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
        elif pa.types.is_null(kind):
            columns[name] = pa.nulls(len(column), pa.string())
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            columns[name] = column
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            columns[name] = pc.cast(column, pa.string())
        # lists and maps (MediaStreams, References…) are not needed
    return pa.table(columns).to_pandas(types_mapper=lambda _: None).astype("str")


def _python_json(source: "str | bytes", path: str) -> "pd.DataFrame":
    import pandas as pd
    import pyarrow as pa

    if isinstance(source, bytes):
        data = source
    else:
        with pa.input_stream(source, compression="detect") as stream:
            data = stream.read()
    text = data.decode("utf-8-sig", errors="replace")
    decoder = json.JSONDecoder()
    records, position = [], 0
    while True:  # one step per record: the reader itself, not a computation over rows
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON lines: {exc.msg} at line {exc.lineno}; export the contact records "
                             "as JSON lines (one record per line) or CSV", path=path) from None
        if not isinstance(record, dict):
            raise InputError("not JSON lines of contact records: a line holds a JSON "
                             f"{type(record).__name__}, not an object", path=path)
        records.append(record)
    frame = pd.json_normalize(records, sep=".")
    first_values = {c: frame[c].dropna().head(1).tolist() for c in frame.columns}
    scalar = [c for c, v in first_values.items() if not (v and isinstance(v[0], (list, dict)))]  # lists dropped
    frame = frame[scalar]
    text_frame = frame.astype("str").where(frame.notna())
    return text_frame.astype("str")


# -- the common part of both counting modes ---------------------------------------------------------------

class _Records:
    """The latest version of every contact record, typed, with its chain and what the preset refused."""

    def __init__(self, raw: "RawTable") -> None:
        import pandas as pd

        by_key = {_key(h): h for h in raw.header}
        text = pd.DataFrame(index=raw.frame.index)
        for source, short in SOURCE.items():
            column = by_key.get(_key(source))
            values = raw.frame[column].astype("str").str.strip() if column is not None else None
            text[short] = values.mask(values.eq("")) if values is not None else pd.Series(
                pd.NA, index=raw.frame.index, dtype="str")
        if by_key.get(_key("ContactId")) is None:
            raise InputError("an Amazon Connect contact-record export needs a ContactId column; "
                             f"columns seen: {', '.join(raw.header[:20])}", path=raw.path)
        self.source_columns = {short: by_key[_key(src)] for src, short in SOURCE.items() if _key(src) in by_key}
        reasons = pd.Series(pd.NA, index=text.index, dtype="object")
        reasons = reasons.mask(text["id"].isna(), "ContactId: empty")
        typed = pd.DataFrame(index=text.index)
        for source in TIMESTAMPS:
            short = SOURCE[source]
            parsed = pd.to_datetime(text[short], format="ISO8601", utc=True, errors="coerce")
            reasons = reasons.mask(reasons.isna() & text[short].notna() & parsed.isna(), f"{source}: not a date")
            typed[short] = parsed
        for source in DURATIONS:
            short = SOURCE[source]
            number = pd.to_numeric(text[short], errors="coerce")
            reasons = reasons.mask(reasons.isna() & text[short].notna() & number.isna(), f"{source}: not a number")
            typed[short] = number
        for short in ("method", "channel", "queue", "agent", "reason", "caller"):
            typed[short] = text[short]
        for short in ("method", "reason"):
            typed[short] = typed[short].str.upper()
        typed["id"] = text["id"]
        typed["initial"] = text["initial"]
        typed["previous"] = text["previous"]
        typed["enq_text"] = text["enq"]
        typed["_pos"] = range(len(typed))
        typed["_row"] = typed.index
        self.rejected = reasons.dropna().astype("str")
        valid = typed.loc[reasons.isna()]
        ordered = valid.sort_values(["updated", "_pos"], na_position="first", kind="stable")
        latest = ordered.drop_duplicates("id", keep="last").sort_values("_pos")
        self.duplicates = len(valid) - len(latest)
        latest = latest.assign(chain=_chains(latest))
        latest["queued"] = latest["enq_text"].notna()
        qdur = latest["qdur"]
        for end in ("deq", "connected", "disconnected"):
            qdur = qdur.fillna((latest[end] - latest["enq"]).dt.total_seconds())
        latest["wait"] = qdur
        successors = latest.dropna(subset=["previous"])
        moved_on = successors.loc[successors["method"].ne("CALLBACK").fillna(True), "previous"]
        latest["transferred_out"] = latest["id"].isin(moved_on)
        latest["has_successor"] = latest["id"].isin(successors["previous"])
        # still going when exported: not disconnected and not moved on to another contact (only when the
        # export has the column at all)
        ended_known = "disconnected" in self.source_columns
        latest["unended"] = latest["disconnected"].isna() & ~latest["has_successor"] & ended_known
        self.latest = latest
        self.read = len(raw.frame)

    def counts(self) -> dict[str, int]:
        latest = self.latest
        return {
            "duplicate_versions": int(self.duplicates),
            "queue_segments": int(latest["queued"].sum()),
            "callbacks": int(latest["method"].eq("CALLBACK").fillna(False).sum()),
            "queue_transfers": int(latest["method"].eq("QUEUE_TRANSFER").fillna(False).sum()),
            "agent_transfers": int(latest["method"].eq("TRANSFER").fillna(False).sum()),
        }

    def rules(self, counting: str) -> dict[str, str]:
        where = "chain's first queue segment" if counting == "contact" else "contact record"
        summed = "sum over the chain's queue segments of " if counting == "contact" else ""
        return {
            "call_id": "InitialContactId of the chain (or the first ContactId)" if counting == "contact"
            else "ContactId",
            "offered_at": f"Queue.EnqueueTimestamp of the {where}",
            "answered_at": "first Agent.ConnectedToAgentTimestamp" + (" of the chain" if counting == "contact"
                                                                       else ""),
            "ended_at": "DisconnectTimestamp" + (" (latest of the chain)" if counting == "contact" else ""),
            "wait_seconds": summed + "Queue.Duration (else DequeueTimestamp − EnqueueTimestamp)",
            "talk_seconds": summed + "Agent.AgentInteractionDuration",
            "hold_seconds": summed + "Agent.CustomerHoldDuration",
            "acw_seconds": summed + "Agent.AfterContactWorkDuration",
            "outcome": "connected to an agent → answered; else CONTACT_FLOW_DISCONNECT"
            + (" or moved on to another queue / a callback" if counting == "queue" else "")
            + " → other; else abandoned",
            "agent": "Agent.Username" + (" of the first segment connected" if counting == "contact" else ""),
            "queue": f"Queue.Name of the {where}",
            "caller_id": "CustomerEndpoint.Address",
            "transferred": "the contact is the PreviousContactId of a non-CALLBACK contact",
        }


def _chains(records: "pd.DataFrame") -> "pd.Series":
    """The chain of every contact: its InitialContactId, else its predecessor's chain (PreviousContactId,
    followed one level per pass), else its own ContactId."""
    import pandas as pd

    own = records["id"]
    given = records["initial"]
    chain = given.fillna(records["previous"]).fillna(own)
    for _ in range(len(records) + 1):  # one pass per level of the deepest chain
        lookup = pd.Series(chain.to_numpy(), index=own.to_numpy())
        parent = records["previous"].map(lookup)
        updated = given.fillna(parent).fillna(records["previous"]).fillna(own)
        if updated.equals(chain):
            break
        chain = updated
    return chain


def _iso(moments: "pd.Series") -> "pd.Series":
    """UTC timestamps as ISO 8601 text with offset (fractions of a second only where there are some)."""
    whole = moments.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    fraction = moments.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return whole.where(moments.dt.microsecond.eq(0) | moments.isna(), fraction).where(moments.notna())


def _number_text(values: "pd.Series") -> "pd.Series":
    return values.map("{:g}".format, na_action="ignore").astype("str")


# -- the presets ------------------------------------------------------------------------------------------

class ConnectPreset(Preset):
    """Amazon Connect contact records, counted per contact: a caller who visits two queues (a transfer,
    a callback) is one call. See the module docstring for every rule."""

    name = "connect"
    kind = "calls"
    title = "Amazon Connect contact records (CTR): JSON lines or CSV; one call per contact chain"
    reference = REFERENCE
    counting = "contact"
    notes = (
        "Counting: contact level (default). Contacts chained by InitialContactId / PreviousContactId (queue "
        "transfers, agent transfers to a queue, callbacks) are one call: offered at the first queue's "
        "Queue.EnqueueTimestamp, answered if any segment reached an agent, wait = sum of the segments' "
        "Queue.Duration, talk/hold/acw summed, agent = the first agent connected, queue = the first queue. "
        "For one call per queue segment, as Connect's queue reports count, use --preset connect-queues.",
        *NOTES_COMMON,
    )

    def score(self, header: list[str], head: str) -> int:
        stripped = head.lstrip()
        if stripped.startswith("{"):
            first = stripped.splitlines()[0]
            return 10 if '"ContactId"' in first and ('"Queue"' in first or '"InitiationTimestamp"' in first) else 0
        names = {_key(h) for h in header}
        found = [c for c in SIGNATURE if _key(c) in names]
        if _key("ContactId") in names and _key("Queue.EnqueueTimestamp") in names:
            return len(found)
        return 0

    def read(self, path: str) -> "RawTable":
        return read_contact_records(path)

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        records = _Records(raw)
        table, rejected, folded, counts, caveats = self._calls(records, raw)
        return Converted(table=table, read=records.read, rejected=rejected, folded=folded,
                         counts={**records.counts(), **counts}, rules=records.rules(self.counting), caveats=caveats)

    def _calls(self, records: _Records, raw: "RawTable"):
        import pandas as pd

        from ..load import RawTable

        latest = records.latest
        offered_chains = latest.groupby("chain", sort=False)["queued"].transform("any")
        not_offered = latest.loc[~offered_chains]
        segments = latest.loc[latest["queued"]].sort_values(["chain", "enq", "_pos"], kind="stable")
        first = segments.drop_duplicates("chain", keep="first").set_index("chain")
        last = segments.drop_duplicates("chain", keep="last").set_index("chain")
        grouped = segments.groupby("chain", sort=False)
        sums = {c: grouped[c].sum(min_count=1) for c in ("wait", "talk", "hold", "acw")}
        answered_at = grouped["connected"].min()
        ended_at = latest.loc[offered_chains].groupby("chain", sort=False)["disconnected"].max()
        connected = segments.dropna(subset=["connected"]).sort_values(["chain", "connected"], kind="stable")
        agent = connected.drop_duplicates("chain").set_index("chain")["agent"]
        transferred = latest.loc[offered_chains].groupby("chain", sort=False)["transferred_out"].any()
        chains = first.index
        answered = answered_at.reindex(chains).notna()
        unended = latest.loc[offered_chains].groupby("chain", sort=False)["unended"].any().reindex(chains)
        in_progress, in_queue = answered & unended, ~answered & unended
        transferred = transferred.reindex(chains)
        flow_ended = last["reason"].reindex(chains).eq(FLOW_DISCONNECT).fillna(False)
        outcome = pd.Series("abandoned", index=chains).mask(flow_ended, "other").mask(answered, "answered")
        offered_at = _iso(first["enq"]).fillna(first["enq_text"])
        frame = pd.DataFrame({
            "call_id": chains.to_numpy(),
            "offered_at": offered_at.to_numpy(),
            "answered_at": _iso(answered_at.reindex(chains)).to_numpy(),
            "ended_at": _iso(ended_at.reindex(chains).mask(unended)).to_numpy(),
            "wait_seconds": _number_text(sums["wait"].reindex(chains)).to_numpy(),
            # a call still going: its handle time (and, unless recorded, a transfer) is not known yet
            "talk_seconds": _number_text(sums["talk"].reindex(chains).mask(in_progress)).to_numpy(),
            "hold_seconds": _number_text(sums["hold"].reindex(chains).mask(in_progress)).to_numpy(),
            "acw_seconds": _number_text(sums["acw"].reindex(chains).mask(in_progress)).to_numpy(),
            "outcome": outcome.to_numpy(),
            "agent": agent.reindex(chains).to_numpy(),
            "queue": first["queue"].to_numpy(),
            "caller_id": first["caller"].to_numpy(),
            "transferred": transferred.map({True: "true", False: "false"}).mask(in_progress & ~transferred)
            .to_numpy(),
            "in_progress": in_progress.map({True: "true", False: ""}).to_numpy(),
            "channel": first["channel"].to_numpy(),
            "queue_segments": grouped.size().reindex(chains).astype("str").to_numpy(),
        }, index=pd.Index(first["_row"].to_numpy())).astype("str")
        rows = first["_row"]
        frame = frame.loc[~in_queue.to_numpy()]
        rejected = pd.concat([records.rejected, pd.Series(NOT_QUEUED, index=not_offered.index, dtype="str"),
                              pd.Series(IN_QUEUE, index=rows[in_queue].to_numpy(), dtype="str")])
        folded = records.duplicates + int(offered_chains.sum()) - len(chains)
        caveats = {CAVEAT_IN_PROGRESS: pd.Index(rows[in_progress].to_numpy())}
        counts = {
            "never_queued": len(not_offered),
            "in_queue_when_exported": int(in_queue.sum()),
            "contact_chains": len(chains),
            "chains_with_several_queues": int((grouped.size() > 1).sum()),
        }
        table = RawTable(path=raw.path, frame=frame.sort_index(), header=list(frame.columns),
                         delimiter=raw.delimiter)
        return table, rejected.sort_index(), folded, counts, caveats


class ConnectQueuesPreset(ConnectPreset):
    """Amazon Connect contact records, counted per queue segment: every contact record that entered a
    queue is one call, as Connect's own queue reports count (a transferred caller counts once per queue;
    the inbound contact that was given a callback is ``other``, the callback its own call).

    Not auto-detected (the contact-level ``connect`` preset is); ask for it with ``--preset connect-queues``.
    """

    name = "connect-queues"
    title = "Amazon Connect contact records (CTR): JSON lines or CSV; one call per queue segment"
    counting = "queue"
    notes = (
        "Counting: queue level. Every contact record with a Queue.EnqueueTimestamp is one call in its queue "
        "(Queue.Name), so a caller transferred between queues counts once per queue, as in Amazon Connect's "
        "queue reports. A segment that left its queue for another queue or a callback without reaching an "
        "agent is 'other' (Connect counts it as transferred out / queued for callback, not as abandoned). "
        "Use --preset connect (the default) to count each caller once.",
        *NOTES_COMMON,
    )

    def score(self, header: list[str], head: str) -> int:
        return 0  # chosen by name only; ``connect`` claims the layout

    def _calls(self, records: _Records, raw: "RawTable"):
        import pandas as pd

        from ..load import RawTable

        latest = records.latest
        queued = latest.loc[latest["queued"]]
        not_queued = latest.loc[~latest["queued"]]
        in_queue = queued["connected"].isna() & queued["unended"]
        segments = queued.loc[~in_queue]
        answered = segments["connected"].notna()
        in_progress = answered & segments["unended"]
        left = segments["has_successor"] | segments["reason"].eq(FLOW_DISCONNECT).fillna(False)
        outcome = pd.Series("abandoned", index=segments.index).mask(left, "other").mask(answered, "answered")
        transferred = segments["transferred_out"]
        frame = pd.DataFrame({
            "call_id": segments["id"],
            "offered_at": _iso(segments["enq"]).fillna(segments["enq_text"]),
            "answered_at": _iso(segments["connected"]),
            "ended_at": _iso(segments["disconnected"]),
            "wait_seconds": _number_text(segments["wait"]),
            # a segment still going: its handle time (and, unless recorded, a transfer) is not known yet
            "talk_seconds": _number_text(segments["talk"].mask(in_progress)),
            "hold_seconds": _number_text(segments["hold"].mask(in_progress)),
            "acw_seconds": _number_text(segments["acw"].mask(in_progress)),
            "outcome": outcome,
            "agent": segments["agent"],
            "queue": segments["queue"],
            "caller_id": segments["caller"],
            "transferred": transferred.map({True: "true", False: "false"}).mask(in_progress & ~transferred),
            "in_progress": in_progress.map({True: "true", False: ""}),
            "channel": segments["channel"],
            "initiation_method": segments["method"],
            "chain": segments["chain"],
        }, index=segments.index).astype("str")
        rejected = pd.concat([records.rejected, pd.Series(NOT_QUEUED, index=not_queued.index, dtype="str"),
                              pd.Series(IN_QUEUE, index=in_queue.index[in_queue], dtype="str")])
        counts = {"never_queued": len(not_queued), "in_queue_when_exported": int(in_queue.sum())}
        caveats = {CAVEAT_IN_PROGRESS: segments.index[in_progress]}
        table = RawTable(path=raw.path, frame=frame.sort_index(), header=list(frame.columns),
                         delimiter=raw.delimiter)
        return table, rejected.sort_index(), records.duplicates, counts, caveats


PRESET = ConnectPreset()
QUEUES_PRESET = ConnectQueuesPreset()
#: every preset this module ships (the registry imports ``PRESET``; see the integration note)
PRESETS = (PRESET, QUEUES_PRESET)
