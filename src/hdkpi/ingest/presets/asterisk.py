"""Asterisk ``queue_log`` (app_queue's event log) and, second, the CDR ``Master.csv`` (cdr_csv).

**queue_log** (https://docs.asterisk.org/Operation/Logging/Queue-Logs/): one event per line, no header,
``epoch|callid|queue|agent|event|data1|data2|…``. The events used, with their documented parameters:

=====================  ===========================================  ==========================
event                  parameters (data1|data2|…)                   used as
=====================  ===========================================  ==========================
ENTERQUEUE             url|callerid                                 offered_at, caller_id
CONNECT                holdtime|bridgedchanneluniqueid|ringtime     answered_at, wait, agent
COMPLETECALLER/-AGENT  holdtime|calltime|origposition               ended_at, talk
TRANSFER, BLINDTRANS…  extension|context|holdtime|calltime|origpos  ended_at, talk, transferred
ATTENDEDTRANSFER       method|method-data|holdtime|calltime|origpos ended_at, talk, transferred
ABANDON                position|origposition|waittime               abandoned, wait = data3
EXITWITHTIMEOUT        position|origposition|waittime               other, wait = data3
EXITEMPTY              position|origposition|waittime               other, wait = data3
EXITWITHKEY            key|position|origposition|waittime           other, wait = data4
=====================  ===========================================  ==========================

Rules:

- One call per visit of a caller to a queue: the events of a ``callid`` are grouped by queue (and
  by the count of its ENTERQUEUE events there), so a call transferred or overflowing to another queue
  keeps its callid and is counted once in each queue, each segment in its own queue
  (call_id = ``callid:queue``). Paired vectorised: the first event of each type per segment, pivoted.
- Answered = CONNECT (or, when the CONNECT line is missing, a COMPLETE*/TRANSFER: logged only after a
  connection; its holdtime is the wait, the answer time stays empty); ABANDON = abandoned;
  EXITWITHTIMEOUT / EXITEMPTY / EXITWITHKEY = ``other`` (the caller left the queue without hanging up:
  timeout, no agents, a key pressed for voicemail or a callback — KPI_SPEC's ``other``). wait =
  CONNECT's holdtime, ABANDON's/EXIT*'s waittime; where a parameter is missing (EXITWITHKEY before
  Asterisk 1.6 logs only key|position) the wait is the time between ENTERQUEUE and the event. talk =
  COMPLETE*'s / TRANSFER's calltime. queue_log records no hold or after-call work: aht is talk time
  alone.
- Every known fact used, every unknown one left out and counted. A segment CONNECTed and not ended
  when the log ends (a call in progress at the cut of a nightly export) was offered and answered with a
  known wait (the CONNECT holdtime): it is used, with its end, talk time and transfer left empty, so aht
  (and transfer_rate) leave it out while offered, answered, asa, service level and abandonment count
  it; the accounting says "in progress at the end of the log: handle time unknown (n)" (a caveat of
  used rows, ``Converted.caveats``).
- Refused, each with its own reason and count, never guessed: a segment still waiting in the queue at
  the end of the file (ENTERQUEUE without CONNECT/ABANDON/EXIT*: its outcome is unknown,
  ``in_queue_at_end``); a segment with both CONNECT (or COMPLETE*/TRANSFER) and ABANDON or EXIT*
  (answered or not is unknown: ``connect_and_abandon``); events of a call whose ENTERQUEUE is not in the
  file (``no_enterqueue``: the rest of a call that began before the log, counted in the log that has
  its ENTERQUEUE); agent and queue events (AGENTLOGIN, ADDMEMBER,
  PAUSE, UNPAUSE, QUEUESTART…: not calls, ``agent_events``); lines that are not queue_log lines.
  Each refused segment is one refusal (its first line); the rest of its lines are folded into it.
  DID, RINGNOANSWER, RINGCANCELED, AGENTDUMP, JOINEMPTY… neither start nor end a visit: they are folded
  into the caller's call (FreePBX logs DID before ENTERQUEUE), or refused once when the caller never
  entered a queue.
- Times are epoch seconds, written as UTC.

**CDR Master.csv** (https://docs.asterisk.org/Configuration/Reporting/Call-Detail-Records-CDR/CDR-Variables/):
no header; ``accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,
duration,billsec,disposition,amaflags[,uniqueid,userfield]``. One call per CDR row. Limits: a CDR
knows nothing of queues — wait = duration − billsec, which counts IVR, queue and ring time alike;
no hold or after-call work; a queued call that rang several phones may leave several rows; outcome
ANSWERED → answered (``other`` when the last application was VoiceMail), NO ANSWER → abandoned,
BUSY / FAILED / CONGESTION → other. start/answer/end are the server's local time (``--tz``) unless
cdr.conf has ``usegmtime=yes``. Known facts fill gaps exactly: billsec = end − answer and duration −
billsec = answer − start, so a row without duration/billsec takes them from its times; an ANSWERED row
with neither end nor billsec is used with its talk time unknown (left out of aht, counted as a caveat).
"""

from __future__ import annotations

import csv
import re
import sys
from typing import TYPE_CHECKING

from ...errors import InputError
from .base import Converted, Preset

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..load import RawTable

QUEUE_LOG_REFERENCE = "https://docs.asterisk.org/Operation/Logging/Queue-Logs/"
CDR_REFERENCE = "https://docs.asterisk.org/Configuration/Reporting/Call-Detail-Records-CDR/CDR-Variables/"

ANSWERED_ENDINGS = ("COMPLETECALLER", "COMPLETEAGENT")
TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
EXITS = ("EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY")
ENDINGS = (*ANSWERED_ENDINGS, *TRANSFERS, "ABANDON", *EXITS)
#: events about agents or queues, not about a caller (ignored, counted as agent_events)
AGENT_EVENTS = frozenset({
    "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "ADDMEMBER", "REMOVEMEMBER",
    "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "PENALTY", "QUEUESTART", "CONFIGRELOAD",
})
#: every event app_queue documents (detection looks for these)
KNOWN_EVENTS = frozenset({
    *ENDINGS, *AGENT_EVENTS, "ENTERQUEUE", "CONNECT", "AGENTDUMP", "RINGNOANSWER", "RINGCANCELED", "SYSCOMPAT",
    "DID", "INFO", "JOINEMPTY", "JOINUNAVAIL", "LEAVEEMPTY", "LEAVEUNAVAIL", "ATTENDEDTRANSFER",
})
NO_CALL_IDS = ("NONE", "REALTIME", "")
#: events of a caller that neither start nor end a queue visit; they may come before ENTERQUEUE (FreePBX
#: logs DID first) or with another queue name, so they are folded into the call, never a visit of their own
INFO_EVENTS = frozenset({"DID", "INFO", "RINGNOANSWER", "RINGCANCELED", "AGENTDUMP", "SYSCOMPAT", "JOINEMPTY",
                         "JOINUNAVAIL", "LEAVEEMPTY", "LEAVEUNAVAIL"})
#: where the wait (seconds) of each ending event is written, as a data column
WAIT_PARAMETER = {"ABANDON": "data3", "EXITWITHTIMEOUT": "data3", "EXITEMPTY": "data3", "EXITWITHKEY": "data4",
                  "COMPLETECALLER": "data1", "COMPLETEAGENT": "data1", "TRANSFER": "data3",
                  "BLINDTRANSFER": "data3", "ATTENDEDTRANSFER": "data3"}
#: where the talk time (seconds) of each ending event is written
TALK_PARAMETER = {"COMPLETECALLER": "data2", "COMPLETEAGENT": "data2", "TRANSFER": "data4",
                  "BLINDTRANSFER": "data4", "ATTENDEDTRANSFER": "data4"}
DATA_COLUMNS = 5  #: data1…data5 always exist in the table read
_LINE = re.compile(r"^\d{9,11}(?:\.\d+)?\|[^|]*\|[^|]*\|[^|]*\|([A-Z_]+)(?:\||$)")

REASON_AGENT_EVENT = "agent or queue event, not a call (AGENTLOGIN, ADDMEMBER, PAUSE, QUEUESTART…): ignored"
REASON_NOT_A_LINE = "not a queue_log line (epoch|callid|queue|agent|event|…)"
REASON_NO_ENTER = "no ENTERQUEUE in the file for this call in this queue (began before the log, or JOINEMPTY)"
REASON_BOTH = "CONNECT and ABANDON/EXIT both logged for one queue visit: contradictory, not counted"
REASON_IN_QUEUE = ("still waiting in the queue at the end of the log (ENTERQUEUE without CONNECT/ABANDON/"
                   "EXIT*): outcome unknown, not counted")
#: a used call with one fact unknown (Converted.caveats): CONNECTed, no COMPLETE*/TRANSFER before the log ends
CAVEAT_IN_PROGRESS = "in progress at the end of the log: handle time unknown"

CDR_COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
               "start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid",
               "userfield")
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
_CDR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


# -- reading ---------------------------------------------------------------------------------------------

def _bytes(path: str) -> bytes:
    from pathlib import Path

    import pyarrow as pa

    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.exists():
        raise InputError("no such file; check the path", path=path)
    if file.is_dir():
        raise InputError("is a directory; give the export file itself", path=path)
    try:
        with pa.input_stream(path, compression="detect") as stream:
            return stream.read()
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None


def _is_queue_log(text: str) -> bool:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(text) >= (1 << 16) and len(lines) > 1:
        lines = lines[:-1]  # the last line of a peeked head may be cut short
    if not lines:
        return False
    events = [m.group(1) for m in map(_LINE.match, lines) if m]
    return len(events) >= 0.8 * len(lines) and any(e in KNOWN_EVENTS for e in events)


def _is_cdr(text: str) -> bool:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    fields = next(csv.reader([first]), [])
    return (16 <= len(fields) <= 20 and bool(_CDR_TIME.match(fields[9].strip()))
            and fields[14].strip().upper() in DISPOSITIONS)


def read_queue_log(data: bytes, path: str) -> "RawTable":
    """queue_log lines split on ``|`` (any number of parameters); index = line number."""
    import pandas as pd

    from ..load import RawTable

    lines = pd.Series(data.decode("utf-8-sig", errors="replace").splitlines(), dtype="str")
    lines.index = pd.RangeIndex(1, len(lines) + 1)
    lines = lines.str.rstrip("\r").loc[lambda s: s.str.strip().ne("")]
    parts = lines.str.split("|", expand=True) if len(lines) else pd.DataFrame(index=lines.index)
    names = ["epoch", "callid", "queue", "agent", "event"]
    names += [f"data{i}" for i in range(1, max(parts.shape[1] - len(names), DATA_COLUMNS) + 1)]
    parts = parts.reindex(columns=range(len(names)))
    parts.columns = names
    frame = parts.astype("str").apply(lambda c: c.str.strip()).mask(lambda f: f.eq(""))
    return RawTable(path=path, frame=frame, header=names, delimiter="|")


def read_cdr(data: bytes, path: str) -> "RawTable":
    """Master.csv (no header) with cdr_csv's column names; every cell as text."""
    import io

    import pyarrow as pa
    from pyarrow import csv as pacsv

    from ..load import RawTable

    first = data.decode("utf-8-sig", errors="replace").splitlines()[0]
    width = len(next(csv.reader([first])))
    names = [*CDR_COLUMNS, *(f"extra{i}" for i in range(1, width - len(CDR_COLUMNS) + 1))][:width]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data.removeprefix(b"\xef\xbb\xbf")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        raise InputError(f"not a readable CDR Master.csv: {str(exc).splitlines()[0]}", path=path) from None
    frame = table.to_pandas(types_mapper=lambda _: None).astype("str")
    frame.index = range(1, len(frame) + 1)
    return RawTable(path=path, frame=frame, header=names, delimiter=",")


# -- the preset ---------------------------------------------------------------------------------------------

class AsteriskPreset(Preset):
    """Asterisk ``queue_log``, paired into one call per queue visit, or the CDR ``Master.csv``.
    See the module docstring for every rule."""

    name = "asterisk"
    kind = "calls"
    title = "Asterisk queue_log (one call per queue visit), or CDR Master.csv"
    reference = f"{QUEUE_LOG_REFERENCE} (queue_log); {CDR_REFERENCE} (CDR)"
    notes = (
        "queue_log: events paired per callid and queue into one call per queue visit; a call transferred "
        "or overflowing to another queue keeps its callid and counts once in each queue "
        "(call_id = callid:queue).",
        "queue_log: CONNECT → answered; ABANDON → abandoned; EXITWITHTIMEOUT / EXITEMPTY / EXITWITHKEY → "
        "other (left the queue without hanging up: timeout, no agents, key pressed for voicemail or "
        "callback): they are in calls offered, neither answered nor abandoned. Reports built on queue_log "
        "differ here — some count EXIT* as abandoned; hdkpi's abandonment_rate then reads lower than theirs.",
        "queue_log: wait = CONNECT's holdtime or ABANDON/EXIT*'s waittime (EXITWITHKEY: 4th parameter); "
        "when missing (older Asterisk logs EXITWITHKEY as key|position) the time from ENTERQUEUE to the "
        "event. talk = COMPLETECALLER/COMPLETEAGENT/TRANSFER calltime. No hold or after-call work is "
        "logged, so aht is talk time alone.",
        "queue_log: a call CONNECTed but not ended when the log ends (in progress at the cut of the export) "
        "counts in offered, answered, asa, service level and abandonment with its CONNECT holdtime as wait; "
        "its end, talk time and transfer are unknown and left empty, so aht and transfer_rate leave it out "
        "and the accounting says 'in progress at the end of the log: handle time unknown (n)'. A COMPLETE* "
        "or TRANSFER without its CONNECT line is answered (wait = its holdtime).",
        "queue_log: calls still waiting in the queue at the end of the file (outcome unknown), calls with "
        "both CONNECT and ABANDON/EXIT (contradictory), and events whose ENTERQUEUE is not in the file (a "
        "call that began before the log: counted in the log with its ENTERQUEUE) are refused with their own "
        "reason and counted (in_queue_at_end, connect_and_abandon, no_enterqueue) — never guessed. Agent and "
        "queue events (AGENTLOGIN, ADDMEMBER, PAUSE…) are not calls: refused as such and counted (agent_events).",
        "queue_log: DID, RINGNOANSWER, RINGCANCELED, AGENTDUMP, JOINEMPTY and similar events of a caller are "
        "folded into the call (FreePBX logs DID before ENTERQUEUE); a caller with such events and no "
        "ENTERQUEUE at all (JOINEMPTY, JOINUNAVAIL) was never offered: refused once, as no_enterqueue.",
        "CDR Master.csv: one call per CDR row; wait = duration − billsec, i.e. IVR, queue and ring time "
        "together (a CDR records no queue wait); no hold or after-call work; a queued call that rang several "
        "phones may leave several rows; ANSWERED → answered (VoiceMail as last application → other), "
        "NO ANSWER → abandoned, BUSY/FAILED/CONGESTION → other; agent = dstchannel without its unique "
        "suffix; queue = dst (the extension dialled). Without duration/billsec the times give them "
        "(answer − start, end − answer); an ANSWERED row with neither end nor billsec keeps its wait and "
        "is counted as 'handle time unknown', left out of aht.",
    )

    def score(self, header: list[str], head: str) -> int:
        return 10 if _is_queue_log(head) or _is_cdr(head) else 0

    def read(self, path: str) -> "RawTable":
        data = _bytes(path)
        text = data[: 1 << 16].decode("utf-8-sig", errors="replace")
        if _is_cdr(text):
            return read_cdr(data, path)
        if not text.strip():
            raise InputError("the file is empty; export the queue_log again", path=path)
        return read_queue_log(data, path)

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        if "disposition" in raw.header:
            return _convert_cdr(raw, tz)
        return _convert_queue_log(raw)


def _iso_epoch(epoch: "pd.Series") -> "pd.Series":
    import pandas as pd

    moments = pd.to_datetime(epoch, unit="s", utc=True)
    return moments.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").where(moments.notna())


def _text(values: "pd.Series") -> "pd.Series":
    return values.map("{:g}".format, na_action="ignore").astype("str")


def _convert_queue_log(raw: "RawTable") -> Converted:
    import numpy as np
    import pandas as pd

    from ..load import RawTable

    events = raw.frame
    epoch = pd.to_numeric(events["epoch"], errors="coerce")
    well_formed = epoch.notna() & events["event"].notna() & events["event"].str.fullmatch(r"[A-Z_]+").fillna(False)
    callid = events["callid"].fillna("")
    agent_event = well_formed & (events["event"].isin(AGENT_EVENTS) | callid.isin(NO_CALL_IDS))
    call = well_formed & ~agent_event
    info = call & events["event"].isin(INFO_EVENTS)
    pairing = call & ~info
    ev = events.loc[pairing].assign(epoch=epoch[pairing], queue=events.loc[pairing, "queue"].fillna(""))
    ev["visit"] = ev["event"].eq("ENTERQUEUE").groupby([ev["callid"], ev["queue"]]).cumsum()
    ev["segment"] = ev["callid"] + "\x1f" + ev["queue"] + "\x1f" + ev["visit"].astype("str")
    ev["line"] = ev.index

    # the first event of each type in each segment, pivoted into columns (epoch/agent/dataN per event)
    fields = ["epoch", "agent", *(f"data{i}" for i in range(1, DATA_COLUMNS + 1))]
    firsts = ev.drop_duplicates(["segment", "event"]).set_index(["segment", "event"])[fields].unstack("event")
    heads = ev.drop_duplicates("segment").set_index("segment")
    seg = pd.DataFrame(index=heads.index)
    seg["line"] = heads["line"]
    seg["callid"] = heads["callid"]
    seg["queue"] = heads["queue"]
    seg["visit"] = heads["visit"]

    def first(event: str, field: str) -> "pd.Series":
        if (field, event) in firsts.columns:
            return firsts[(field, event)].reindex(seg.index)
        return pd.Series(np.nan if field == "epoch" else pd.NA, index=seg.index,
                         dtype="float64" if field == "epoch" else "str")

    ending = ev.loc[ev["event"].isin(ENDINGS)].drop_duplicates("segment").set_index("segment")
    seg["end_event"] = ending["event"].reindex(seg.index)
    seg["end_epoch"] = ending["epoch"].reindex(seg.index)
    enter = first("ENTERQUEUE", "epoch")
    connect = first("CONNECT", "epoch")
    connected = connect.notna()
    # COMPLETE*/TRANSFER follow a connection: answered even when the CONNECT line itself is missing
    talked = pd.Series(False, index=seg.index)
    for event in (*ANSWERED_ENDINGS, *TRANSFERS):
        talked |= first(event, "epoch").notna()
    answered = connected | talked
    gave_up = first("ABANDON", "epoch").notna()
    for event in EXITS:
        gave_up |= first(event, "epoch").notna()
    unended = seg["end_event"].isna()

    # waits and talk: the documented parameter of the ending event (vectorised per event type)
    ending_wait = pd.Series(np.nan, index=seg.index)
    ending_talk = pd.Series(np.nan, index=seg.index)
    for event, column in WAIT_PARAMETER.items():
        rows = seg["end_event"].eq(event).fillna(False)
        ending_wait = ending_wait.mask(rows, pd.to_numeric(first(event, column), errors="coerce"))
    for event, column in TALK_PARAMETER.items():
        rows = seg["end_event"].eq(event).fillna(False)
        ending_talk = ending_talk.mask(rows, pd.to_numeric(first(event, column), errors="coerce"))
    hold_time = pd.to_numeric(first("CONNECT", "data1"), errors="coerce")
    wait = hold_time.where(connected).fillna(ending_wait)
    wait = wait.fillna((connect - enter).where(connected)).fillna((seg["end_epoch"] - enter).where(~answered))

    # refusals, first failing check wins; one refusal per segment (its first line)
    reason = pd.Series(pd.NA, index=seg.index, dtype="object")
    reason = reason.mask(seg["visit"].eq(0), REASON_NO_ENTER)
    reason = reason.mask(reason.isna() & answered & gave_up, REASON_BOTH)
    reason = reason.mask(reason.isna() & unended & ~answered, REASON_IN_QUEUE)
    used = seg.loc[reason.isna()]
    # answered, no ending yet: offered, answered and its wait are known; its end, talk and transfer are not
    in_progress = reason.isna() & unended & answered
    outcome = pd.Series("other", index=seg.index).mask(first("ABANDON", "epoch").notna(), "abandoned")
    outcome = outcome.mask(answered, "answered")
    transferred = seg["end_event"].isin(TRANSFERS).map({True: "true", False: "false"}).mask(in_progress)
    several = seg["visit"].gt(1)
    call_id = seg["callid"] + ":" + seg["queue"] + ("#" + seg["visit"].astype("str")).where(several, "")
    frame = pd.DataFrame({
        "call_id": call_id,
        "offered_at": _iso_epoch(enter),
        "answered_at": _iso_epoch(connect),
        "ended_at": _iso_epoch(seg["end_epoch"]),
        "wait_seconds": _text(wait),
        "talk_seconds": _text(ending_talk.where(answered)),
        "outcome": outcome,
        "agent": first("CONNECT", "agent").fillna(ending["agent"].reindex(seg.index).where(talked)),
        "queue": seg["queue"].mask(seg["queue"].eq("")),
        "caller_id": first("ENTERQUEUE", "data2"),
        "transferred": transferred,
        "in_progress": in_progress.map({True: "true", False: ""}),
        "callid": seg["callid"],
        "end_event": seg["end_event"],
    }).loc[used.index].set_axis(used["line"].to_numpy()).sort_index().astype("str")

    refused_segments = reason.dropna()
    entered = set(ev.loc[ev["event"].eq("ENTERQUEUE"), "callid"])
    orphan_info = info & ~callid.isin(entered)  # a DID/JOINEMPTY… of a caller who never entered a queue
    orphan_info &= ~callid.where(orphan_info).duplicated()  # one refusal per caller, the rest folded
    rejected = pd.concat([
        pd.Series(REASON_NOT_A_LINE, index=events.index[~well_formed], dtype="str"),
        pd.Series(REASON_AGENT_EVENT, index=events.index[agent_event], dtype="str"),
        pd.Series(REASON_NO_ENTER, index=events.index[orphan_info], dtype="str"),
        pd.Series(refused_segments.to_numpy(), index=seg.loc[refused_segments.index, "line"].to_numpy(),
                  dtype="str"),
    ]).sort_index()
    folded = int(pairing.sum()) - len(seg) + int((info & ~orphan_info).sum())
    counts = {
        "agent_events": int(agent_event.sum()),
        "in_queue_at_end": int(refused_segments.eq(REASON_IN_QUEUE).sum()),
        "connect_and_abandon": int(refused_segments.eq(REASON_BOTH).sum()),
        "no_enterqueue": int(refused_segments.eq(REASON_NO_ENTER).sum() + orphan_info.sum()),
        "queue_visits": len(seg),
        "calls_in_several_queues": int(used.groupby("callid").size().gt(1).sum()),
        "exits": int(frame["end_event"].isin(EXITS).sum()),
    }
    if (~well_formed).any():
        counts["not_queue_log_lines"] = int((~well_formed).sum())
    rules = {
        "call_id": "callid:queue (one call per visit of a callid to a queue)",
        "offered_at": "ENTERQUEUE time (epoch, UTC)",
        "answered_at": "CONNECT time",
        "ended_at": "time of COMPLETECALLER/COMPLETEAGENT/TRANSFER/ABANDON/EXIT* (empty: in progress)",
        "wait_seconds": "CONNECT holdtime (data1); ABANDON/EXITEMPTY/EXITWITHTIMEOUT waittime (data3); "
                        "EXITWITHKEY waittime (data4); else event time − ENTERQUEUE time",
        "talk_seconds": "COMPLETE* calltime (data2); TRANSFER calltime (data4)",
        "outcome": "CONNECT (or COMPLETE*/TRANSFER) → answered; ABANDON → abandoned; "
                   "EXITWITHTIMEOUT/EXITEMPTY/EXITWITHKEY → other",
        "agent": "agent field of CONNECT (else of COMPLETE*/TRANSFER)",
        "queue": "queue field",
        "caller_id": "ENTERQUEUE callerid (data2)",
        "transferred": "ended by TRANSFER/BLINDTRANSFER/ATTENDEDTRANSFER",
        "in_progress": "CONNECTed and not ended when the log ends (handle time unknown)",
    }
    table = RawTable(path=raw.path, frame=frame, header=list(frame.columns), delimiter=raw.delimiter)
    caveats = {CAVEAT_IN_PROGRESS: pd.Index(seg.loc[in_progress, "line"].to_numpy())}
    return Converted(table=table, read=len(events), rejected=rejected, folded=folded, counts=counts, rules=rules,
                     caveats=caveats)


#: a used CDR row with one fact unknown (Converted.caveats)
CAVEAT_CDR_UNENDED = "answered, no end and no billsec: handle time unknown"


def _cdr_time(values: "pd.Series", tz: str) -> "pd.Series":
    """start/answer/end as moments (the server's local time read in ``tz``); NaT where empty or unreadable."""
    import pandas as pd

    moments = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return moments.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")


def _convert_cdr(raw: "RawTable", tz: str = "UTC") -> Converted:
    import pandas as pd

    from ..load import RawTable

    cdr = raw.frame.apply(lambda c: c.str.strip()).mask(lambda f: f.eq(""))
    disposition = cdr["disposition"].str.upper()
    duration = pd.to_numeric(cdr["duration"], errors="coerce")
    billsec = pd.to_numeric(cdr["billsec"], errors="coerce")
    start, answer, end = (_cdr_time(cdr[c], tz) for c in ("start", "answer", "end"))
    answered = disposition.eq("ANSWERED").fillna(False)
    voicemail = cdr["lastapp"].str.lower().eq("voicemail").fillna(False)
    outcome = disposition.map({"ANSWERED": "answered", "NO ANSWER": "abandoned", "BUSY": "other",
                               "FAILED": "other", "CONGESTION": "other"})
    outcome = outcome.mask(answered & voicemail, "other")
    # every known fact used: billsec = end − answer and duration − billsec = answer − start, so a missing
    # duration or billsec is taken from the times when they are there; otherwise it stays unknown
    talk = billsec.fillna((end - answer).dt.total_seconds()).where(answered)
    wait = (duration - billsec).fillna((answer - start).dt.total_seconds()).where(answered)
    wait = wait.fillna(duration.fillna((end - start).dt.total_seconds()).where(~answered))
    unended = answered & cdr["end"].isna() & cdr["billsec"].isna() & talk.isna()
    out = {
        "offered_at": cdr["start"],
        "answered_at": cdr["answer"].where(answered),
        "ended_at": cdr["end"],
        # a cell that is not a number is passed on as written, so the row is refused naming it
        "wait_seconds": _text(wait).mask(cdr["duration"].notna() & duration.isna(), cdr["duration"]),
        "talk_seconds": _text(talk).mask(answered & cdr["billsec"].notna() & billsec.isna(), cdr["billsec"]),
        "outcome": outcome.fillna(cdr["disposition"]),
        "agent": cdr["dstchannel"].str.replace(r"-[0-9a-fA-F]+(;\d)?$", "", regex=True),
        "queue": cdr["dst"],
        "caller_id": cdr["src"],
        "in_progress": unended.map({True: "true", False: ""}),
    }
    if "uniqueid" in cdr:
        out = {"call_id": cdr["uniqueid"], **out}
    for column in ("dcontext", "lastapp", "disposition", "channel", "dstchannel", "clid", "accountcode"):
        out[column] = cdr[column]
    frame = pd.DataFrame(out, index=cdr.index).astype("str")
    rules = {
        "call_id": "uniqueid (when logged)", "offered_at": "start", "answered_at": "answer (ANSWERED only)",
        "ended_at": "end", "wait_seconds": "duration − billsec (IVR + queue + ring time); without them "
                                           "answer − start (answered) or end − start",
        "talk_seconds": "billsec (without it, end − answer)",
        "outcome": "ANSWERED → answered (VoiceMail → other); NO ANSWER → abandoned; BUSY/FAILED/CONGESTION → other",
        "agent": "dstchannel without its unique suffix", "queue": "dst", "caller_id": "src",
        "in_progress": "ANSWERED with neither end nor billsec (handle time unknown)",
    }
    counts = {"cdr_rows": len(cdr), "voicemail": int((answered & voicemail).sum())}
    table = RawTable(path=raw.path, frame=frame, header=list(frame.columns), delimiter=raw.delimiter)
    return Converted(table=table, read=len(cdr), counts=counts, rules=rules,
                     caveats={CAVEAT_CDR_UNENDED: cdr.index[unended]})


PRESET = AsteriskPreset()
