"""Survey KPIs (KPI_SPEC §3 "Surveys", §6 "Surveys") and survey_response_rate on tiny inline CSVs.

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


def at(day: int, hour: int = 0) -> datetime:
    """A UTC instant in November 2026."""
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def surveys(tmp_path, text: str, **kwargs: Any):
    return load_csv(tmp_path, text, kind="surveys", name="surveys.csv", **kwargs)


def tickets(tmp_path, text: str, **kwargs: Any):
    return load_csv(tmp_path, text, kind="tickets", name="tickets.csv", **kwargs)


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


# -- CSAT --------------------------------------------------------------------------------------------

CSAT = """\
survey_id,responded_at,ticket_id,csat
S1,2026-11-02T10:00:00Z,T1,5
S2,2026-11-02T11:00:00Z,T2,4
S3,2026-11-03T10:00:00Z,T3,3
S4,2026-11-03T11:00:00Z,T4,1
S5,2026-11-04T10:00:00Z,T5,
S6,2026-11-05T10:00:00Z,T6,4
"""


def test_csat_share_at_or_above_default_4(tmp_path):
    frames = {"surveys": surveys(tmp_path, CSAT).frame}
    r = kpi_result(frames, "csat")
    # answers 5, 4, 3, 1, 4 (S5 blank: not an answer) = 5; ≥ 4: 5, 4, 4 = 3 → 3 / 5 = 0.6
    check(r, 0.6, n=5, numerator=3, denominator=5)
    assert r.settings == {"csat_satisfied_min": 4.0}


def test_csat_exactly_at_threshold_counts_satisfied(tmp_path):
    frames = {"surveys": surveys(tmp_path, """\
        responded_at,csat
        2026-11-02T10:00:00Z,4
        2026-11-02T11:00:00Z,4
        2026-11-02T12:00:00Z,3.99
        """).frame}
    check(kpi_result(frames, "csat"), 2 / 3, n=3, numerator=2, denominator=3)  # 4 ≥ 4 twice; 3.99 not


@pytest.mark.parametrize(("minimum", "satisfied"), [(5.0, 1), (3.0, 4), (1.0, 5)])
def test_csat_satisfied_min_setting(tmp_path, minimum, satisfied):
    frames = {"surveys": surveys(tmp_path, CSAT).frame}
    r = kpi_result(frames, "csat", settings={"csat_satisfied_min": minimum})
    # answers 5, 4, 3, 1, 4: ≥ 5 → 1 (0.2); ≥ 3 → 4 (0.8); ≥ 1 → 5 (1.0)
    check(r, satisfied / 5, n=5, numerator=satisfied, denominator=5)
    assert r.settings == {"csat_satisfied_min": minimum}


def test_csat_mean(tmp_path):
    frames = {"surveys": surveys(tmp_path, CSAT).frame}
    check(kpi_result(frames, "csat_mean"), 3.4, n=5)  # (5 + 4 + 3 + 1 + 4) / 5 = 17 / 5 = 3.4


def test_csat_is_anchored_on_responded_at(tmp_path):
    frames = {"surveys": surveys(tmp_path, CSAT).frame}
    r = kpi_result(frames, "csat", window=Window(at(3), at(5)))
    # responded in [11-03, 11-05): S3 (3), S4 (1), S5 (blank) → 0 of 2 satisfied = 0.0 (a value)
    check(r, 0.0, n=2, numerator=0, denominator=2)
    check(kpi_result(frames, "csat_mean", window=Window(at(3), at(5))), 2.0, n=2)  # (3 + 1) / 2


# -- NPS ---------------------------------------------------------------------------------------------

def nps_frames(tmp_path, *scores: str) -> dict[str, Any]:
    rows = "".join(f"2026-11-02T{10 + i:02d}:00:00Z,{s}\n" for i, s in enumerate(scores))
    return {"surveys": surveys(tmp_path, "responded_at,nps\n" + rows).frame}


def test_nps_promoters_minus_detractors(tmp_path):
    frames = nps_frames(tmp_path, "10", "9", "9", "8", "7", "6", "0", "")
    # answers 7 (blank is not an answer); promoters 10, 9, 9 = 3; passives 8, 7; detractors 6, 0 = 2
    # → 100 · (3 − 2) / 7 = 14.2857…; numerator = net 1, denominator 7
    check(kpi_result(frames, "nps"), 100 / 7, n=7, numerator=1, denominator=7)


def test_nps_only_passives_is_zero_not_no_data(tmp_path):
    frames = nps_frames(tmp_path, "7", "8", "7")
    r = kpi_result(frames, "nps")
    assert r.value is not None
    check(r, 0.0, n=3, numerator=0, denominator=3)  # 0 promoters − 0 detractors over 3 → 0


def test_nps_all_detractors_is_minus_100(tmp_path):
    frames = nps_frames(tmp_path, "0", "6", "3")
    check(kpi_result(frames, "nps"), -100.0, n=3, numerator=-3, denominator=3)  # 100 · (0 − 3) / 3


def test_nps_all_promoters_is_100(tmp_path):
    frames = nps_frames(tmp_path, "9", "10")
    check(kpi_result(frames, "nps"), 100.0, n=2, numerator=2, denominator=2)  # 100 · (2 − 0) / 2


def test_nps_single_answer(tmp_path):
    frames = nps_frames(tmp_path, "6")  # one group of one: a lone 6 is a detractor → −100
    check(kpi_result(frames, "nps"), -100.0, n=1, numerator=-1, denominator=1)


# -- CES ---------------------------------------------------------------------------------------------

def test_ces_plain_mean(tmp_path):
    frames = {"surveys": surveys(tmp_path, """\
        responded_at,ces
        2026-11-02T10:00:00Z,2
        2026-11-02T11:00:00Z,3
        2026-11-02T12:00:00Z,5
        2026-11-02T13:00:00Z,
        2026-11-02T14:00:00Z,6
        """).frame}
    check(kpi_result(frames, "ces"), 4.0, n=4)  # (2 + 3 + 5 + 6) / 4 = 16 / 4 = 4; blank not an answer


# -- which source: surveys file or ticket columns ----------------------------------------------------

TICKETS_WITH_SCORES = """\
ticket_id,created_at,resolved_at,csat,nps
T1,2026-11-01T08:00:00Z,2026-11-02T10:00:00Z,1,10
T2,2026-11-02T08:00:00Z,2026-11-05T10:00:00Z,1,9
T3,2026-11-02T09:00:00Z,,2,3
T4,2026-11-02T10:00:00Z,2026-11-02T12:00:00Z,,
"""

SURVEYS_CSAT_ONLY = """\
responded_at,ticket_id,csat
2026-11-02T10:00:00Z,T1,5
2026-11-02T11:00:00Z,T2,5
"""


def test_surveys_file_wins_over_ticket_columns(tmp_path):
    frames = {"tickets": tickets(tmp_path, TICKETS_WITH_SCORES).frame,
              "surveys": surveys(tmp_path, SURVEYS_CSAT_ONLY).frame}
    # csat: the surveys file has csat → only its answers 5, 5 → 2 / 2 = 1.0
    # (never both: with the tickets' 1, 1, 2 added it would be 2 / 5)
    check(kpi_result(frames, "csat"), 1.0, n=2, numerator=2, denominator=2)
    check(kpi_result(frames, "csat_mean"), 5.0, n=2)  # (5 + 5) / 2


def test_score_missing_from_surveys_file_comes_from_ticket_columns(tmp_path):
    frames = {"tickets": tickets(tmp_path, TICKETS_WITH_SCORES).frame,
              "surveys": surveys(tmp_path, SURVEYS_CSAT_ONLY).frame}
    # nps: not in the surveys file → tickets' nps 10, 9, 3 (T4 blank) = 3 answers;
    # promoters 2, detractors 1 → 100 · (2 − 1) / 3 = 33.33…
    check(kpi_result(frames, "nps"), 100 / 3, n=3, numerator=1, denominator=3)


def test_scores_from_ticket_columns_without_surveys_file(tmp_path):
    frames = {"tickets": tickets(tmp_path, TICKETS_WITH_SCORES).frame}
    # csat answers 1, 1, 2 (T4 blank) = 3; none ≥ 4 → 0 / 3 = 0.0 (a value, not no-data)
    check(kpi_result(frames, "csat"), 0.0, n=3, numerator=0, denominator=3)
    check(kpi_result(frames, "csat_mean"), 4 / 3, n=3)  # (1 + 1 + 2) / 3


def test_scores_from_ticket_columns_are_anchored_on_resolved_at(tmp_path):
    frames = {"tickets": tickets(tmp_path, TICKETS_WITH_SCORES).frame}
    r = kpi_result(frames, "nps", window=Window(at(2), at(3)))
    # resolved in [11-02, 11-03): T1 (created 11-01, nps 10), T4 (blank) → 1 answer, a promoter → 100
    # (on created_at it would be T2 9, T3 3, T4 → 0)
    check(r, 100.0, n=1, numerator=1, denominator=1)


def test_missing_score_everywhere_is_no_data_naming_it(tmp_path):
    frames = {"tickets": tickets(tmp_path, TICKETS_WITH_SCORES).frame,
              "surveys": surveys(tmp_path, SURVEYS_CSAT_ONLY).frame}
    no_data(kpi_result(frames, "ces"), "ces")  # neither the surveys file nor the tickets have ces
    no_data(kpi_result({}, "csat"), "no surveys or tickets input")


# -- rejected rows -----------------------------------------------------------------------------------

def test_bad_survey_rows_are_rejected_and_left_out(tmp_path):
    ds = surveys(tmp_path, """\
        survey_id,responded_at,csat
        S1,2026-11-02T10:00:00Z,5
        S2,2026-11-02T11:00:00Z,great
        S1,2026-11-02T12:00:00Z,1
        S3,yesterday,1
        S4,2026-11-02T13:00:00Z,2
        """)
    assert ds.summary.read == 5
    assert ds.summary.used == 2
    assert ds.summary.rejected_by_reason == {
        "csat: not a number": 1, "responded_at: not a date": 1, "survey_id: duplicate": 1}
    # used S1 (5), S4 (2) → 1 of 2 satisfied = 0.5; mean 3.5
    check(kpi_result({"surveys": ds.frame}, "csat"), 0.5, n=2, numerator=1, denominator=2)
    check(kpi_result({"surveys": ds.frame}, "csat_mean"), 3.5, n=2)


# -- empty input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["csat", "csat_mean", "nps", "ces"])
def test_empty_surveys_file_is_no_data(tmp_path, name):
    ds = surveys(tmp_path, "survey_id,responded_at,ticket_id,csat,nps,ces\n")
    assert (ds.summary.read, ds.summary.used) == (0, 0)
    r = kpi_result({"surveys": ds.frame}, name)
    assert r.value is None  # never 0
    assert r.notes


@pytest.mark.parametrize("name", ["csat", "nps", "ces"])
def test_all_blank_answers_are_no_data(tmp_path, name):
    frames = {"surveys": surveys(tmp_path, """\
        responded_at,csat,nps,ces
        2026-11-02T10:00:00Z,,,
        2026-11-02T11:00:00Z,,,
        """).frame}
    no_data(kpi_result(frames, name))  # blank answers are not answers: no answers → no-data


# -- time zones --------------------------------------------------------------------------------------

def test_naive_responded_at_is_read_in_the_configured_zone(tmp_path):
    text = """\
        responded_at,csat
        2026-11-01 21:00:00,5
        2026-11-02 21:00:00,1
        """
    window = Window(at(2), at(3))  # [11-02 00:00Z, 11-03 00:00Z)
    ny = {"surveys": surveys(tmp_path, text, tz="America/New_York").frame}
    # New York is UTC−5 (EST since 2026-11-01 02:00): 11-01 21:00 = 11-02 02:00Z (in),
    # 11-02 21:00 = 11-03 02:00Z (out) → answers 5 → 1 / 1
    check(kpi_result(ny, "csat", window=window), 1.0, n=1, numerator=1, denominator=1)
    utc = {"surveys": surveys(tmp_path, text).frame}
    # read as UTC: 11-01 21:00Z out, 11-02 21:00Z in → answers 1 → 0 / 1
    check(kpi_result(utc, "csat", window=window), 0.0, n=1, numerator=0, denominator=1)


# -- survey response rate (a tickets KPI: answers in the ticket file) --------------------------------

def test_survey_response_rate(tmp_path):
    frames = {"tickets": tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,csat,nps
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,5,
        T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,9
        T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,,
        T4,2026-11-02T08:00:00Z,2026-11-03T10:00:00Z,,
        T5,2026-11-02T08:00:00Z,,,
        """).frame}
    r = kpi_result(frames, "survey_response_rate")
    # resolved T1..T4 = 4 (T5 open); answered: T1 (csat), T2 (nps) = 2 → 2 / 4 = 0.5
    check(r, 0.5, n=4, numerator=2, denominator=4, method="score columns of the tickets")
    r = kpi_result(frames, "survey_response_rate", window=Window(at(3), at(4)))
    # resolved in [11-03, 11-04): T4, no answer → 0 / 1
    check(r, 0.0, n=1, numerator=0, denominator=1, method="score columns of the tickets")


def test_survey_response_rate_from_a_surveys_file(tmp_path):
    frames = {
        "tickets": tickets(tmp_path, """\
            ticket_id,created_at,resolved_at,csat
            T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,1
            T2,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
            T3,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z,
            T4,2026-11-02T08:00:00Z,,
            """).frame,
        "surveys": surveys(tmp_path, """\
            survey_id,responded_at,ticket_id,csat,nps
            S1,2026-11-03T08:00:00Z,T2,5,
            S2,2026-11-03T09:00:00Z,T2,,9
            S3,2026-11-03T09:00:00Z,T3,,
            S4,2026-11-03T09:00:00Z,T4,4,
            S5,2026-11-03T09:00:00Z,,4,
            """).frame,
    }
    r = kpi_result(frames, "survey_response_rate")
    # the surveys file wins over the tickets' csat column (T1's 1 is not counted).
    # resolved T1, T2, T3 = 3; answered among them: T2 (two answers, one ticket); S3 is blank, S4's T4 is
    # open, S5 has no ticket → 1 / 3
    check(r, 1 / 3, n=3, numerator=1, denominator=3, method="surveys file, by ticket_id")


def test_survey_response_rate_without_score_columns_is_no_data(tmp_path):
    frames = {"tickets": tickets(tmp_path, """\
        ticket_id,created_at,resolved_at
        T1,2026-11-02T08:00:00Z,2026-11-02T10:00:00Z
        """).frame}
    no_data(kpi_result(frames, "survey_response_rate"), "csat", "nps", "ces")


def test_survey_response_rate_with_no_resolved_tickets_is_no_data(tmp_path):
    frames = {"tickets": tickets(tmp_path, """\
        ticket_id,created_at,resolved_at,csat
        T1,2026-11-02T08:00:00Z,,5
        """).frame}
    r = kpi_result(frames, "survey_response_rate")  # 0 resolved → zero denominator → null, not 0
    assert r.value is None and r.notes


def test_empty_tickets_file_survey_kpis_are_no_data(tmp_path):
    ds = tickets(tmp_path, "ticket_id,created_at,resolved_at,csat,nps,ces\n")
    frames = {"tickets": ds.frame}
    for name in ("survey_response_rate", "csat", "csat_mean", "nps", "ces"):
        r = kpi_result(frames, name)
        assert r.value is None, name
        assert r.notes, name
