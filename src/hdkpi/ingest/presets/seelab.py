"""The Technion SEE Lab "Anonymous Bank" call-centre log: one tab-separated line per call.

Layout (Guedj & Mandelbaum, "Anonymous Bank Call-Center Data", Technion SEE Lab, 9 February 2000;
see ``examples/real/README.md``): ``vru+line call_id customer_id priority type date vru_entry
vru_exit vru_time q_start q_exit q_time outcome ser_start ser_exit ser_time server``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InputError
from .base import Converted, Preset

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..load import RawTable

#: header columns that identify the layout (all present)
SIGNATURE = ("vru+line", "call_id", "customer_id", "q_start", "q_time", "ser_time", "server", "outcome")
#: columns the conversion reads
NEEDED = ("vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "q_start", "q_time",
          "outcome", "ser_time", "server")
NOT_APPLICABLE = "0:00:00"  #: the log's "no time" marker (also a valid clock time: q_time settles it)
PHANTOM_REASON = "PHANTOM: not a call"
IVR_REASON = "IVR hang-up: never reached the queue"


class SeeLabPreset(Preset):
    """Technion SEE Lab call log ("Anonymous Bank", Guedj & Mandelbaum 2000).

    Reading: tab-separated, one header line, CRLF or LF line ends (a trailing ``\\r`` is stripped
    from every cell, so from the last field ``server`` too).

    Which records are calls offered to the queue:

    - ``PHANTOM`` lines are "a virtual call to be ignored" (the documentation): refused with the
      reason "PHANTOM: not a call" and counted as ``phantom_records``.
    - A call *reached the queue* when ``q_start`` ≠ ``0:00:00`` or ``q_time`` > 0 (``0:00:00`` is
      the not-applicable marker but also midnight; a positive ``q_time`` settles it).
    - ``HANG`` without reaching the queue left inside the VRU/IVR: it was never offered to an agent,
      so it is refused with the reason "IVR hang-up: never reached the queue" and counted as
      ``ivr_abandons``.
    - ``AGENT`` → answered, queued or not (a call put straight through has ``q_time`` 0 = wait 0 s),
      also when ``server`` is ``NO_SERVER``; ``HANG`` after reaching the queue → abandoned (with
      ``q_time`` 0 too: a wait of 0 s). Any other outcome text is passed on and refused by
      normalise as an unknown outcome.

    Fields: ``call_id`` = ``vru+line`` + ``-`` + ``call_id`` (the log's call_id repeats across VRU
    lines; the pair is unique in the Feb 1999 week); ``offered_at`` = ``date`` (``YYMMDD``, the date
    of VRU entry) + ``vru_entry`` (``H:MM:SS``), written as naive local time — the log is in Israeli
    local time, so pass ``--tz Asia/Jerusalem``; ``wait_seconds`` = ``q_time``; ``talk_seconds`` =
    ``ser_time`` on answered calls (a hang-up's service fields are not talk); ``agent`` = ``server``
    (``NO_SERVER`` → empty); ``queue`` = ``type``; ``caller_id`` = ``customer_id`` (``0`` = not
    identified → empty, so never a repeat caller). ``priority`` (as written: 0 legacy and 1 regular,
    2 priority) and ``vru+line`` are kept as dimensions. Durations come from the ``*_time`` columns
    only: clock times carry no date, so differences across midnight would be wrong. There is no hold
    or after-call-work time, so AHT is the mean ``ser_time`` of answered calls.
    """

    name = "seelab"
    kind = "calls"
    title = "Technion SEE Lab call log (\"Anonymous Bank\" layout, tab-separated)"
    reference = ("Guedj, I. & Mandelbaum, A., \"Anonymous Bank Call-Center Data\", Technion SEE Lab, 9 Feb 2000 "
                 "(formerly http://ie.technion.ac.il/serveng/callcenterdata/index.html)")
    notes = (
        "PHANTOM lines are virtual records, not calls: refused ('PHANTOM: not a call'), counted as phantom_records.",
        "A call reached the queue when q_start is not 0:00:00 or q_time > 0.",
        "HANG without reaching the queue is a hang-up inside the IVR/VRU: not offered; refused "
        "('IVR hang-up: never reached the queue') and reported as ivr_abandons.",
        "AGENT = answered (also straight-through calls with q_time 0, and server NO_SERVER); "
        "HANG after reaching the queue = abandoned.",
        "wait = q_time, talk = ser_time (answered calls only), agent = server (NO_SERVER → empty), queue = type, "
        "caller_id = customer_id (0 = unidentified → empty, never a repeat caller).",
        "offered_at = date (YYMMDD, date of VRU entry) + vru_entry, naive local time: the log is Israeli local "
        "time, pass --tz Asia/Jerusalem. Durations come from the *_time columns, never from clock differences "
        "(clock times have no date and wrap at midnight).",
        "call_id = vru+line + '-' + call_id: the log's call_id alone repeats across VRU lines.",
        "The log has a line for every VRU entry; hdkpi's calls offered are only those that reached the queue or an "
        "agent, so abandonment rate and service level are over those (IVR hang-ups are reported beside them).",
        "priority is kept as written: 0 (legacy) and 1 are both regular, 2 = priority customer.",
        "No hold or after-call-work time in the log: AHT = mean ser_time over answered calls (ser_time 0 counts).",
    )

    def score(self, header: list[str], head: str) -> int:
        names = {h.strip().lower() for h in header}
        return len(SIGNATURE) if all(c in names for c in SIGNATURE) else 0

    def convert(self, raw: "RawTable", tz: str) -> Converted:
        import pandas as pd

        from ..load import RawTable

        by_name = {h.strip().lower(): h for h in raw.header}
        missing = [c for c in NEEDED if c not in by_name]
        if missing:
            raise InputError(f"not a SEE Lab call log: no column {', '.join(repr(c) for c in missing)}; "
                             f"found {', '.join(raw.header)}", path=raw.path, line=1)

        def cell(name: str) -> pd.Series:
            column = raw.frame[by_name[name]]
            text = column.astype("str").str.strip()  # strips a CRLF file's trailing \r too
            return text.mask(text.eq("") | column.isna())

        outcome = cell("outcome").str.upper()
        q_start = cell("q_start")
        q_time = cell("q_time")
        reached = (q_start.notna() & q_start.ne(NOT_APPLICABLE)).fillna(False) | \
            (pd.to_numeric(q_time, errors="coerce") > 0).fillna(False)
        phantom = outcome.eq("PHANTOM").fillna(False)
        ivr = (outcome.eq("HANG").fillna(False) & ~reached).astype(bool)
        rejected = pd.concat([pd.Series(PHANTOM_REASON, index=raw.frame.index[phantom]),
                              pd.Series(IVR_REASON, index=raw.frame.index[ivr])]).sort_index()
        keep = ~(phantom | ivr)

        answered = outcome.eq("AGENT").fillna(False)
        mapped = outcome.map({"AGENT": "answered", "HANG": "abandoned"})
        outcome_text = mapped.where(mapped.notna(), cell("outcome"))  # others: refused by normalise

        stamp = cell("date") + " " + cell("vru_entry")
        parsed = pd.to_datetime(stamp, format="%y%m%d %H:%M:%S", errors="coerce")
        offered_at = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S").where(parsed.notna(), stamp)

        server = cell("server")
        customer = cell("customer_id")
        vru_line = cell("vru+line")
        table = pd.DataFrame({
            "call_id": vru_line + "-" + cell("call_id"),
            "offered_at": offered_at,
            "wait_seconds": q_time,
            "talk_seconds": cell("ser_time").where(answered),
            "outcome": outcome_text,
            "agent": server.mask(server.str.upper().eq("NO_SERVER")),
            "queue": cell("type"),
            "caller_id": customer.mask(pd.to_numeric(customer, errors="coerce").eq(0)),
            "priority": cell("priority"),
            "vru+line": vru_line,
        }, index=raw.frame.index).astype("str").loc[keep]
        out = RawTable(path=raw.path, frame=table, header=list(table.columns), delimiter=raw.delimiter)
        rules = {
            "call_id": "'vru+line' + '-' + 'call_id' (call_id alone repeats across VRU lines)",
            "offered_at": "'date' (YYMMDD) + 'vru_entry' (H:MM:SS), naive local time (use --tz Asia/Jerusalem)",
            "wait_seconds": "'q_time' (0 for calls put straight through)",
            "talk_seconds": "'ser_time', answered calls only",
            "outcome": "'outcome' AGENT → answered, HANG after reaching the queue → abandoned "
                       "(PHANTOM and HANG in the IVR refused)",
            "agent": "'server' (NO_SERVER → empty)",
            "queue": "'type'",
            "caller_id": "'customer_id' (0 → empty: caller not identified)",
        }
        return Converted(table=out, read=len(raw.frame), rejected=rejected,
                         counts={"ivr_abandons": int(ivr.sum()), "phantom_records": int(phantom.sum())},
                         rules=rules)


PRESET = SeeLabPreset()
