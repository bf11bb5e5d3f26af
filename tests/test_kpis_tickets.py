"""Ticket KPIs (KPI_SPEC §3 "Tickets", §6 "Tickets") on tiny inline CSVs.

Every expected value is worked out by hand from the spec, not read off the code; the arithmetic
is in the comment next to the assertion. Where the code disagrees, the test is a strict xfail
that names the disagreement.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from hdkpi.engine.select import Window

from .conftest import kpi_result, load_csv

HOUR = 3600.0
DAY = 86400.0


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    """A UTC instant in 2026 (November by default)."""
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


def tickets(tmp_path, text: str, **kwargs: Any) -> dict[str, Any]:
    return {"tickets": load_csv(tmp_path, text, kind="tickets", name="tickets.csv", **kwargs).frame}


def check(result, value, *, n: int, numerator=None, denominator=None, method=None) -> None:
    """value (approx), n, numerator, denominator and method of one Result, all at once."""
    assert result.value == pytest.approx(value), result.notes
    assert result.n == n
    assert result.numerator == (None if numerator is None else pytest.approx(numerator))
    assert result.denominator == (None if denominator is None else pytest.approx(denominator))
    assert result.method == method


def no_data(result, *words: str) -> None:
    """value None (never 0), n 0, and a note naming each of ``words``."""
    assert result.value is None
    assert result.n == 0
    assert result.notes, "a no-data result must say why"
    for word in words:
        assert any(word in note for note in result.notes), (word, result.notes)


# -- volume, resolved, backlog -------------------------------------------------------------------

BASIC = """\
ticket_id,created_at,resolved_at
T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z
T2,2026-11-02T09:00:00Z,
T3,2026-11-03T08:00:00Z,2026-11-04T08:00:00Z
T4,2026-11-04T08:00:00Z,
T5,2026-11-05T08:00:00Z,2026-11-05T09:00:00Z
"""


def test_ticket_volume_counts_tickets_created(tmp_path):
    frames = tickets(tmp_path, BASIC)
    check(kpi_result(frames, "ticket_volume"), 5, n=5)  # 5 rows, resolved or not; count n = value


def test_ticket_volume_is_anchored_on_created_at_half_open(tmp_path):
    frames = tickets(tmp_path, BASIC)
    r = kpi_result(frames, "ticket_volume", window=Window(at(2, 8), at(3, 8)))
    check(r, 2, n=2)  # [11-02 08:00, 11-03 08:00): T1 (at start, in), T2; T3 at the end is out → 2


def test_tickets_resolved_counts_resolved_at_set(tmp_path):
    frames = tickets(tmp_path, BASIC)
    check(kpi_result(frames, "tickets_resolved"), 3, n=3)  # T1, T3, T5 have resolved_at → 3


def test_tickets_resolved_is_anchored_on_resolved_at(tmp_path):
    frames = tickets(tmp_path, BASIC)
    r = kpi_result(frames, "tickets_resolved", window=Window(at(4), at(6)))
    # resolved in [11-04, 11-06): T3 (created 11-03, resolved 11-04 08:00), T5 (11-05 09:00) → 2
    check(r, 2, n=2)


def test_status_or_closed_at_alone_do_not_resolve(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,closed_at,status
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,closed
        T2,2026-11-02T09:00:00Z,,2026-11-02T12:00:00Z,closed
        T3,2026-11-02T09:30:00Z,,,solved
        """)
    check(kpi_result(frames, "tickets_resolved"), 1, n=1)  # only T1 has resolved_at → 1
    check(kpi_result(frames, "backlog"), 2, n=2)  # T2, T3 never resolved (closed/solved alone) → 2


def test_backlog_overall_is_tickets_never_resolved(tmp_path):
    frames = tickets(tmp_path, BASIC)
    check(kpi_result(frames, "backlog"), 2, n=2)  # no window: T2, T4 never resolved → 2


def test_backlog_is_a_snapshot_at_the_window_end(tmp_path):
    frames = tickets(tmp_path, BASIC)
    r = kpi_result(frames, "backlog", window=Window(at(1), at(4, 8)))
    # end 11-04 08:00: created before end T1, T2, T3 (T4 created exactly at end: not before it);
    # T1 resolved 11-02 (before end) → closed; T2 open; T3 resolved exactly at end → not resolved
    # before end → open.  Backlog = T2, T3 = 2
    check(r, 2, n=2)


def test_backlog_snapshot_counts_tickets_created_before_the_window_start(tmp_path):
    frames = tickets(tmp_path, BASIC)
    r = kpi_result(frames, "backlog", window=Window(at(4), at(5)))
    # end 11-05 00:00: created before end T1..T4; open at end: T2 (created 11-02, before the window
    # start, still open) and T4; T3 resolved 11-04 08:00 < end → Backlog = 2
    check(r, 2, n=2)
    r = kpi_result(frames, "backlog", window=Window(at(2), at(3)))
    check(r, 1, n=1)  # end 11-03: created before T1, T2; T1 resolved 11-02 10:00 → only T2 → 1


# -- first response time ---------------------------------------------------------------------------

FRT = """\
ticket_id,created_at,first_response_at
T1,2026-11-02T08:00:00Z,2026-11-02T08:10:00Z
T2,2026-11-02T09:00:00Z,2026-11-02T09:30:00Z
T3,2026-11-02T10:00:00Z,
T4,2026-11-02T11:00:00Z,2026-11-02T12:00:00Z
T5,2026-11-02T12:00:00Z,2026-11-02T12:05:00Z
"""


def test_frt_mean_over_tickets_with_a_response(tmp_path):
    frames = tickets(tmp_path, FRT)
    # T1 600 s, T2 1800 s, T3 no response (left out), T4 3600 s, T5 300 s
    # → (600 + 1800 + 3600 + 300) / 4 = 6300 / 4 = 1575 s, n = 4
    check(kpi_result(frames, "frt"), 1575.0, n=4)


def test_frt_median_even_count_is_mean_of_middle_two(tmp_path):
    frames = tickets(tmp_path, FRT)
    # sorted 300, 600, 1800, 3600 → (600 + 1800) / 2 = 1200 s, n = 4
    check(kpi_result(frames, "frt_median"), 1200.0, n=4)


def test_frt_from_first_response_seconds_given_directly(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,first_response_seconds
        T1,2026-11-02T08:00:00Z,60
        T2,2026-11-02T09:00:00Z,120
        T3,2026-11-02T10:00:00Z,
        T4,2026-11-02T11:00:00Z,300
        """)
    check(kpi_result(frames, "frt"), 160.0, n=3)  # (60 + 120 + 300) / 3 = 480 / 3 = 160 s
    check(kpi_result(frames, "frt_median"), 120.0, n=3)  # sorted 60, 120, 300 → middle 120 s


def test_frt_is_anchored_on_created_at(tmp_path):
    frames = tickets(tmp_path, FRT)
    r = kpi_result(frames, "frt", window=Window(at(2, 9), at(2, 12)))
    # created in [09:00, 12:00): T2 1800 s, T3 (no response), T4 3600 s (T5 at 12:00 is out)
    # → (1800 + 3600) / 2 = 2700 s, n = 2
    check(r, 2700.0, n=2)


@pytest.mark.parametrize("name", ["frt", "frt_median"])
def test_frt_without_first_response_column_is_no_data_naming_the_field(tmp_path, name):
    frames = tickets(tmp_path, BASIC)  # no first_response_at / first_response_seconds
    no_data(kpi_result(frames, name), "first_response_seconds", "first_response_at")


# -- resolution time --------------------------------------------------------------------------------

RESOLUTION = """\
ticket_id,created_at,resolved_at,closed_at,status
T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,solved
T2,2026-11-02T09:00:00Z,,2026-11-09T09:00:00Z,closed
T3,2026-11-03T08:00:00Z,2026-11-03T12:00:00Z,,solved
T4,2026-11-04T08:00:00Z,2026-11-05T14:00:00Z,,solved
T5,2026-11-04T09:00:00Z,,,open
"""


def test_resolution_time_mean_excludes_unresolved(tmp_path):
    frames = tickets(tmp_path, RESOLUTION)
    # resolved 3 of 5: T1 2 h, T3 4 h, T4 30 h (T2 closed but not resolved, T5 open: left out)
    # → (2 + 4 + 30) / 3 = 12 h = 43200 s, n = 3
    check(kpi_result(frames, "resolution_time"), 12 * HOUR, n=3)


def test_resolution_time_median_odd_count(tmp_path):
    frames = tickets(tmp_path, RESOLUTION)
    check(kpi_result(frames, "resolution_time_median"), 4 * HOUR, n=3)  # 2, 4, 30 h → 4 h = 14400 s


def test_resolution_time_p90_linear_interpolation(tmp_path):
    frames = tickets(tmp_path, RESOLUTION)
    # sorted 2, 4, 30 h; position (3 − 1) · 0.9 = 1.8 → 4 + 0.8 · (30 − 4) = 24.8 h = 89280 s
    check(kpi_result(frames, "resolution_time_p90"), 24.8 * HOUR, n=3)


def test_resolution_time_median_even_and_p90_of_ten(tmp_path):
    rows = "\n".join(f"T{h},2026-11-02T00:00:00Z,2026-11-02T{h:02d}:00:00Z" for h in range(1, 11))
    frames = tickets(tmp_path, "ticket_id,created_at,resolved_at\n" + rows + "\n")
    # resolution 1, 2, …, 10 h; median of 10 = (5 + 6) / 2 = 5.5 h = 19800 s
    check(kpi_result(frames, "resolution_time_median"), 5.5 * HOUR, n=10)
    # p90 position (10 − 1) · 0.9 = 8.1 → 9 + 0.1 · (10 − 9) = 9.1 h = 32760 s
    check(kpi_result(frames, "resolution_time_p90"), 9.1 * HOUR, n=10)
    check(kpi_result(frames, "resolution_time"), 5.5 * HOUR, n=10)  # 55 h / 10 = 5.5 h


def test_resolution_time_is_anchored_on_resolved_at(tmp_path):
    frames = tickets(tmp_path, RESOLUTION)
    r = kpi_result(frames, "resolution_time", window=Window(at(3), at(6)))
    # resolved in [11-03, 11-06): T3 4 h, T4 30 h (T1 resolved 11-02 out) → 34 / 2 = 17 h = 61200 s
    check(r, 17 * HOUR, n=2)


def test_resolution_seconds_given_without_resolved_at(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolution_seconds
        T1,2026-11-02T08:00:00Z,3600
        T2,2026-11-02T09:00:00Z,
        T3,2026-11-02T10:00:00Z,7200
        """)
    check(kpi_result(frames, "tickets_resolved"), 2, n=2)  # T1, T3 have a resolution time → 2
    check(kpi_result(frames, "resolution_time"), 5400.0, n=2)  # (3600 + 7200) / 2 = 5400 s
    check(kpi_result(frames, "backlog"), 1, n=1)  # T2 never resolved → 1


@pytest.mark.parametrize("name", ["resolution_time", "resolution_time_median", "resolution_time_p90",
                                  "resolved_within(2d)"])
def test_resolution_kpis_without_resolution_column_are_no_data(tmp_path, name):
    frames = tickets(tmp_path, FRT)  # no resolved_at / resolution_seconds
    no_data(kpi_result(frames, name), "resolution_seconds", "resolved_at")


@pytest.mark.parametrize("name", ["tickets_resolved", "backlog"])
def test_resolved_counts_without_resolved_at_are_no_data(tmp_path, name):
    frames = tickets(tmp_path, FRT)
    no_data(kpi_result(frames, name), "resolved_at")


# -- resolved within ---------------------------------------------------------------------------------

WITHIN = """\
ticket_id,created_at,resolved_at
T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z
T2,2026-11-02T08:00:00Z,2026-11-04T08:00:00Z
T3,2026-11-02T08:00:00Z,2026-11-04T08:00:01Z
T4,2026-11-02T08:00:00Z,2026-11-02T18:00:00Z
T5,2026-11-02T08:00:00Z,
"""


@pytest.mark.parametrize("name", ["resolved_within(2d)", "resolved_within(48h)"])
def test_resolved_within_is_inclusive_and_over_resolved_tickets(tmp_path, name):
    frames = tickets(tmp_path, WITHIN)
    r = kpi_result(frames, name)
    # resolved T1 2 h, T2 exactly 48 h (≤ 48 h: within), T3 48 h + 1 s (not), T4 10 h; T5 open, out
    # → within T1, T2, T4 = 3 of 4 = 0.75
    check(r, 0.75, n=4, numerator=3, denominator=4)
    assert r.kpi == "resolved_within(2d)"  # 48h and 2d are the same parameter


def test_resolved_within_2d_and_48h_agree(tmp_path):
    frames = tickets(tmp_path, WITHIN)
    a, b = kpi_result(frames, "resolved_within(2d)"), kpi_result(frames, "resolved_within(48h)")
    assert (a.value, a.n, a.numerator, a.denominator) == (b.value, b.n, b.numerator, b.denominator)


def test_resolved_within_smaller_bound(tmp_path):
    frames = tickets(tmp_path, WITHIN)
    check(kpi_result(frames, "resolved_within(10h)"), 0.5, n=4, numerator=2, denominator=4)
    # ≤ 10 h: T1 (2 h), T4 (exactly 10 h) → 2 of 4


def test_resolved_within_is_anchored_on_resolved_at(tmp_path):
    frames = tickets(tmp_path, WITHIN)
    r = kpi_result(frames, "resolved_within(2d)", window=Window(at(3), at(5)))
    # resolved in [11-03, 11-05): T2 (48 h, within), T3 (48 h + 1 s, not) → 1 of 2 = 0.5
    check(r, 0.5, n=2, numerator=1, denominator=2)


# -- first-contact resolution ------------------------------------------------------------------------

def test_fcr_flag_method_wins_over_replies_and_escalation(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,fcr,replies,escalated
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,true,5,true
        T2,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,false,1,false
        T3,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,true,0,false
        T4,2026-11-02T11:00:00Z,,true,0,false
        T5,2026-11-02T12:00:00Z,2026-11-02T13:00:00Z,yes,3,false
        """)
    r = kpi_result(frames, "fcr")
    # flag column present → flag method. Resolved: T1, T2, T3, T5 (T4 open, out); flag true: T1, T3, T5
    # → 3 of 4 = 0.75  (the replies rule would have given T2, T3 = 2 of 4)
    check(r, 0.75, n=4, numerator=3, denominator=4, method="fcr flag")


def test_fcr_replies_method(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,replies,reopens,escalated
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,1,0,false
        T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,0,,
        T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,2,0,false
        T4,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,1,1,false
        T5,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,1,0,true
        T6,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,0,false
        T7,2026-11-02T08:00:00Z,,0,0,false
        """)
    r = kpi_result(frames, "fcr")
    # no fcr column, replies present → replies ≤ 1 and no reopen and not escalated.
    # resolved with replies: T1..T5 (T6 empty replies: left out; T7 open: out) = 5
    # yes: T1 (1, 0, false), T2 (0 counts, empty reopens = 0, empty escalated = false) = 2
    # no: T3 (2 replies), T4 (reopened), T5 (escalated) → 2 of 5 = 0.4
    check(r, 0.4, n=5, numerator=2, denominator=5, method="replies ≤ 1, no reopen, not escalated")


def test_fcr_not_escalated_method(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,escalated,tier
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,false,
        T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,true,
        T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,1
        T4,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,3
        T5,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,
        T6,2026-11-02T08:00:00Z,,false,1
        """)
    r = kpi_result(frames, "fcr")
    # no fcr, no replies → not escalated, over resolved T1..T5 (T6 open) = 5
    # not escalated: T1 (false), T3 (tier 1), T5 (empty = false) = 3; T2 true, T4 tier 3 > 1
    # → 3 of 5 = 0.6
    check(r, 0.6, n=5, numerator=3, denominator=5, method="not escalated")


def test_fcr_without_any_source_column_is_no_data(tmp_path):
    frames = tickets(tmp_path, BASIC)
    no_data(kpi_result(frames, "fcr"), "fcr", "replies", "escalated")


def test_fcr_is_anchored_on_created_at_resolved_any_time(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,fcr
        T1,2026-11-01T08:00:00Z,2026-11-02T10:00:00Z,true
        T2,2026-11-02T09:00:00Z,2026-11-09T10:00:00Z,false
        T3,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,true
        """)
    r = kpi_result(frames, "fcr", window=Window(at(2), at(3)))
    # created in [11-02, 11-03): T2 (resolved after the window: still counts), T3; T1 created 11-01 out
    # → T3 of T2, T3 = 1 of 2 = 0.5
    check(r, 0.5, n=2, numerator=1, denominator=2, method="fcr flag")


# -- escalation, reopen, SLA -------------------------------------------------------------------------

def test_escalation_rate_flag_or_tier(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,escalated,tier
        T1,2026-11-02T08:00:00Z,,true,
        T2,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,false,
        T3,2026-11-02T08:00:00Z,,,2
        T4,2026-11-02T08:00:00Z,,,1
        T5,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,false,3
        T6,2026-11-02T08:00:00Z,,,
        """)
    r = kpi_result(frames, "escalation_rate")
    # created 6 (resolved or not); escalated: T1 (flag), T3 (empty flag, tier 2 > 1) = 2
    # T5: flag false given → tier not consulted; T6: all empty = not escalated → 2 / 6
    check(r, 2 / 6, n=6, numerator=2, denominator=6)


def test_escalation_rate_from_tier_only(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,tier
        T1,2026-11-02T08:00:00Z,1
        T2,2026-11-02T08:00:00Z,2
        T3,2026-11-02T08:00:00Z,3
        T4,2026-11-02T08:00:00Z,1
        """)
    check(kpi_result(frames, "escalation_rate"), 0.5, n=4, numerator=2, denominator=4)  # tier > 1: T2, T3


def test_escalation_rate_without_escalated_or_tier_is_no_data(tmp_path):
    frames = tickets(tmp_path, BASIC)
    no_data(kpi_result(frames, "escalation_rate"), "escalated", "tier")


def test_reopen_rate(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,reopens
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,0
        T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,2
        T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
        T4,2026-11-02T08:00:00Z,,1
        T5,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,1
        """)
    r = kpi_result(frames, "reopen_rate")
    # resolved T1, T2, T3, T5 = 4 (T4 open, out); reopens > 0: T2, T5 (T3 empty = 0) → 2 / 4
    check(r, 0.5, n=4, numerator=2, denominator=4)


def test_reopen_rate_without_reopens_is_no_data(tmp_path):
    no_data(kpi_result(tickets(tmp_path, BASIC), "reopen_rate"), "reopens")


def test_sla_compliance_denominator_is_resolved_with_sla_info(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,sla_breached
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,false
        T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,true
        T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,false
        T4,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
        T5,2026-11-02T08:00:00Z,,true
        T6,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,no
        """)
    r = kpi_result(frames, "sla_compliance")
    # resolved with SLA info: T1, T2, T3, T6 (T4 empty, T5 open) = 4; not breaching T1, T3, T6 = 3
    # → 3 / 4 = 0.75  (over all resolved it would be 3 / 5)
    check(r, 0.75, n=4, numerator=3, denominator=4)


def test_sla_compliance_without_sla_breached_is_no_data(tmp_path):
    no_data(kpi_result(tickets(tmp_path, BASIC), "sla_compliance"), "sla_breached")


# -- next-issue avoidance ----------------------------------------------------------------------------

NIA = """\
ticket_id,created_at,resolved_at,requester
A1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,alice
A2,2026-11-05T10:00:00Z,2026-11-05T12:00:00Z,alice
B1,2026-11-02T08:00:00Z,2026-11-03T08:00:00Z,bob
B2,2026-11-10T08:00:00Z,,bob
C1,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,carol
C2,2026-11-09T09:00:01Z,2026-11-09T10:00:00Z,carol
D1,2026-11-02T08:00:00Z,2026-11-02T12:00:00Z,dave
D2,2026-11-02T12:00:00Z,2026-11-06T12:00:00Z,dave
E1,2026-11-02T08:00:00Z,2026-11-02T09:00:00Z,
F1,2026-11-03T08:00:00Z,2026-11-03T09:00:00Z,fay
F2,2026-11-04T09:00:00Z,,fay
"""


def test_next_issue_avoidance_default_window(tmp_path):
    frames = tickets(tmp_path, NIA)
    r = kpi_result(frames, "next_issue_avoidance")
    # resolved with requester: A1 A2 B1 C1 C2 D1 D2 F1 = 8 (B2, F2 open; E1 no requester)
    # came back within 7 d (strictly after, ≤ 7 d): A1 (A2 3 d later), B1 (B2 exactly 7 d later),
    # F1 (F2 1 d later). Not: C1 (C2 7 d + 1 s later), D1 (D2 created exactly at D1's resolution,
    # not strictly after), A2, C2, D2 (nothing later) → avoided 5 of 8 = 0.625
    check(r, 0.625, n=8, numerator=5, denominator=8, method="new ticket within 604800s")
    assert r.settings == {"nia_window": 604800.0}


def test_next_issue_avoidance_window_setting(tmp_path):
    frames = tickets(tmp_path, NIA)
    r = kpi_result(frames, "next_issue_avoidance", settings={"nia_window": 2 * DAY})
    # 2 d window: A1 (3 d) and B1 (7 d) now avoided; only F1 (1 d) came back → 7 of 8 = 0.875
    check(r, 0.875, n=8, numerator=7, denominator=8, method="new ticket within 172800s")


def test_next_issue_avoidance_sees_new_tickets_outside_the_window(tmp_path):
    frames = tickets(tmp_path, NIA)
    r = kpi_result(frames, "next_issue_avoidance", window=Window(at(2), at(4)))
    # resolved in [11-02, 11-04) with requester: A1, B1, C1, D1, F1 = 5 (E1 no requester)
    # came back: A1 (A2 11-05), B1 (B2 11-10), F1 (F2 11-04 09:00) — new tickets after the window
    # still count → avoided C1, D1 = 2 of 5 = 0.4
    check(r, 0.4, n=5, numerator=2, denominator=5, method="new ticket within 604800s")


def test_next_issue_avoidance_without_requester_is_no_data(tmp_path):
    no_data(kpi_result(tickets(tmp_path, BASIC), "next_issue_avoidance"), "requester")


def test_next_issue_avoidance_with_empty_requesters_is_no_data(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,requester
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
        T2,2026-11-02T09:00:00Z,,
        """)
    r = kpi_result(frames, "next_issue_avoidance")  # no resolved ticket with a requester: 0 / 0
    assert r.value is None and r.notes


# -- per agent, handle time --------------------------------------------------------------------------

def test_tickets_per_agent(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,agent
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,ann
        T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,ann
        T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,bob
        T4,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
        T5,2026-11-02T08:00:00Z,,cid
        """)
    r = kpi_result(frames, "tickets_per_agent")
    # resolved tickets T1..T4 = 4 ÷ distinct non-empty agents on them {ann, bob} = 2 → 2.0
    # (cid has only an open ticket; T4's empty agent is not an agent). n = resolved tickets (code's rule)
    check(r, 2.0, n=4, numerator=4, denominator=2)


def test_tickets_per_agent_one_agent_only(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,agent
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,ann
        T2,2026-11-02T08:00:00Z,2026-11-02T11:00:00Z,ann
        T3,2026-11-02T08:00:00Z,2026-11-02T12:00:00Z,ann
        T4,2026-11-02T08:00:00Z,,ann
        """)
    # a single group (one agent): 3 resolved ÷ 1 agent = 3.0
    check(kpi_result(frames, "tickets_per_agent"), 3.0, n=3, numerator=3, denominator=1)
    check(kpi_result(frames, "resolution_time"), 3 * HOUR, n=3)  # 2, 3, 4 h → 9 / 3 = 3 h


def test_tickets_per_agent_without_agents_is_no_data(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,agent
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
        """)
    r = kpi_result(frames, "tickets_per_agent")  # 1 resolved ÷ 0 agents → zero denominator → null
    assert r.value is None and r.notes
    no_data(kpi_result(tickets(tmp_path, BASIC), "tickets_per_agent"), "agent")  # no agent column


def test_ticket_aht(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,handle_seconds
        T1,2026-11-02T08:00:00Z,300
        T2,2026-11-02T09:00:00Z,600
        T3,2026-11-02T10:00:00Z,
        T4,2026-11-02T11:00:00Z,900
        """)
    check(kpi_result(frames, "ticket_aht"), 600.0, n=3)  # (300 + 600 + 900) / 3 = 600 s; T3 no value
    r = kpi_result(frames, "ticket_aht", window=Window(at(2, 9), at(2, 11)))
    check(r, 600.0, n=1)  # created in [09:00, 11:00): T2 (600), T3 (no value) → 600 s, n = 1


def test_ticket_aht_without_handle_seconds_is_no_data(tmp_path):
    no_data(kpi_result(tickets(tmp_path, BASIC), "ticket_aht"), "handle_seconds")


def test_cost_per_ticket(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z
        T2,2026-11-03T08:00:00Z,2026-11-03T10:00:00Z
        T3,2026-11-10T08:00:00Z,2026-11-11T10:00:00Z
        T4,2026-11-20T08:00:00Z,2026-11-21T10:00:00Z
        T5,2026-11-20T08:00:00Z,
        """)
    r = kpi_result(frames, "cost_per_ticket", settings={"cost": {"amount": 1000.0, "per": "month"}},
                   window=Window(at(1), at(1, month=12)))
    # 1000 per month ÷ 4 tickets resolved in November → 250
    assert r.value == pytest.approx(250.0)


# -- rejected rows -----------------------------------------------------------------------------------

def test_resolved_before_created_and_duplicate_id_are_rejected(tmp_path):
    ds = load_csv(tmp_path, """\
        ticket_id,created_at,resolved_at
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z
        T2,2026-11-02T09:00:00Z,2026-11-02T08:00:00Z
        T3,2026-11-02T10:00:00Z,2026-11-02T14:00:00Z
        T1,2026-11-02T11:00:00Z,2026-11-02T23:00:00Z
        T4,2026-11-02T12:00:00Z,
        """, kind="tickets")
    assert ds.summary.read == 5
    assert ds.summary.used == 3  # T1 (first), T3, T4
    assert ds.summary.rejected_by_reason == {"resolved_at: before created_at": 1, "ticket_id: duplicate": 1}
    frames = {"tickets": ds.frame}
    check(kpi_result(frames, "ticket_volume"), 3, n=3)  # T1, T3, T4
    check(kpi_result(frames, "tickets_resolved"), 2, n=2)  # T1, T3
    # T1 2 h, T3 4 h (the duplicate T1's 12 h and T2 are in no KPI) → 3 h = 10800 s
    check(kpi_result(frames, "resolution_time"), 3 * HOUR, n=2)
    check(kpi_result(frames, "backlog"), 1, n=1)  # T4


def test_duplicate_keeps_the_first_valid_occurrence(tmp_path):
    ds = load_csv(tmp_path, """\
        ticket_id,created_at,resolved_at
        T1,2026-11-02T09:00:00Z,2026-11-02T08:00:00Z
        T1,2026-11-02T09:00:00Z,2026-11-02T15:00:00Z
        T1,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z
        """, kind="tickets")
    # row 1 invalid (resolved before created); row 2 is the first valid T1 (6 h); row 3 duplicate
    assert ds.summary.rejected_by_reason == {"resolved_at: before created_at": 1, "ticket_id: duplicate": 1}
    assert ds.summary.used == 1
    check(kpi_result({"tickets": ds.frame}, "resolution_time"), 6 * HOUR, n=1)  # 6 h = 21600 s


def test_first_response_before_created_is_rejected(tmp_path):
    ds = load_csv(tmp_path, """\
        ticket_id,created_at,first_response_at
        T1,2026-11-02T08:00:00Z,2026-11-02T08:10:00Z
        T2,2026-11-02T09:00:00Z,2026-11-02T08:59:00Z
        T3,2026-11-02T10:00:00Z,2026-11-02T10:30:00Z
        """, kind="tickets")
    assert ds.summary.rejected_by_reason == {"first_response_at: before created_at": 1}
    check(kpi_result({"tickets": ds.frame}, "frt"), 1200.0, n=2)  # T1 600 s, T3 1800 s → 1200 s


# -- empty input -------------------------------------------------------------------------------------

EMPTY = ("ticket_id,created_at,first_response_at,resolved_at,agent,requester,replies,reopens,escalated,"
         "sla_breached,fcr,handle_seconds,csat,nps,ces\n")


@pytest.mark.parametrize("name", ["ticket_volume", "tickets_resolved", "backlog"])
def test_empty_file_counts_are_zero(tmp_path, name):
    ds = load_csv(tmp_path, EMPTY, kind="tickets")
    assert (ds.summary.read, ds.summary.used, ds.summary.rejected_by_reason) == (0, 0, {})
    check(kpi_result({"tickets": ds.frame}, name), 0, n=0)  # a count of nothing is 0


@pytest.mark.parametrize("name", [
    "frt", "frt_median", "resolution_time", "resolution_time_median", "resolution_time_p90",
    "resolved_within(2d)", "fcr", "escalation_rate", "reopen_rate", "sla_compliance",
    "next_issue_avoidance", "tickets_per_agent", "ticket_aht",
])
def test_empty_file_rates_and_means_are_no_data(tmp_path, name):
    ds = load_csv(tmp_path, EMPTY, kind="tickets")
    r = kpi_result({"tickets": ds.frame}, name)
    assert r.value is None  # never 0
    assert r.notes


def test_no_tickets_input_is_no_data(tmp_path):
    no_data(kpi_result({}, "ticket_volume"), "no tickets input")


# -- time zones --------------------------------------------------------------------------------------

def test_naive_timestamps_are_read_in_the_configured_zone(tmp_path):
    text = """\
        ticket_id,created_at
        T1,2026-11-02 00:30:00
        T2,2026-11-02 01:30:00
        """
    window = Window(at(2), at(3))  # [11-02 00:00Z, 11-03 00:00Z)
    paris = {"tickets": load_csv(tmp_path, text, kind="tickets", tz="Europe/Paris").frame}
    # Paris is UTC+1 in November: T1 = 11-01 23:30Z (before the window), T2 = 11-02 00:30Z → 1
    check(kpi_result(paris, "ticket_volume", window=window), 1, n=1)
    utc = {"tickets": load_csv(tmp_path, text, kind="tickets").frame}
    check(kpi_result(utc, "ticket_volume", window=window), 2, n=2)  # read as UTC both are in → 2


def test_durations_across_a_dst_change_and_offsets_in_the_data(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at
        T1,2026-03-29 01:30:00,2026-03-29 03:30:00
        T2,2026-03-29T10:00:00+02:00,2026-03-29 12:00:00
        """, tz="Europe/Paris")
    # Paris springs forward 2026-03-29 02:00 → 03:00. T1: 01:30 CET = 00:30Z, 03:30 CEST = 01:30Z → 1 h
    # T2: 10:00+02:00 = 08:00Z (offset honoured), 12:00 CEST naive = 10:00Z → 2 h
    # → (3600 + 7200) / 2 = 5400 s
    check(kpi_result(frames, "resolution_time"), 5400.0, n=2)
    r = kpi_result(frames, "tickets_resolved", window=Window(at(29, 1, month=3), at(29, 2, month=3)))
    check(r, 1, n=1)  # resolved in [01:00Z, 02:00Z): T1 (01:30Z) → 1


def test_fcr_flag_with_empty_cells_leaves_them_out(tmp_path):
    frames = tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,fcr,replies
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,true,5
        T2,2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,,0
        T3,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,false,0
        """)
    r = kpi_result(frames, "fcr")
    # flag column present → flag method; T2's flag is unknown, so T2 is out: T1 yes, T3 no → 1 / 2
    # (docs/readings.md: an empty flag is unknown, not "no"; the replies rule is not used for T2)
    check(r, 0.5, n=2, numerator=1, denominator=2, method="fcr flag")
