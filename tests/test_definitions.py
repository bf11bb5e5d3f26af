"""--definitions vendor: the vendor's own formula, named in the method, only for its preset's files."""

from __future__ import annotations

import pytest

from hdkpi.errors import UsageError
from hdkpi.run.pipeline import RunOptions, run

from .conftest import EXAMPLES


def one(path, kpi, definitions):
    r = run(RunOptions(files=[str(path)], kpis=[kpi], definitions=definitions))
    return r.verdicts[0].result


def test_zendesk_one_touch_beside_hdkpis_fcr():
    sample = EXAMPLES / "vendors" / "zendesk_tickets.csv"
    standard = one(sample, "fcr", "standard")
    vendor = one(sample, "fcr", "vendor")
    # the sample's 24 solved tickets: 14 with replies ≤ 1 and no reopen (hdkpi); one more has 1 reply and
    # 1 reopen — Zendesk's one-touch (replies < 2, reopens not looked at) counts it: 15
    assert (standard.numerator, standard.denominator) == (14, 24)
    assert (vendor.numerator, vendor.denominator) == (15, 24)
    assert vendor.method.startswith("vendor: Zendesk one-touch")


def test_queue_log_reports_count_exits_as_abandons():
    sample = EXAMPLES / "vendors" / "asterisk_queue_log"
    # 14 calls offered (one still in progress at the end of the log): 2 ABANDON and 4 EXIT* ('other' in
    # hdkpi) → hdkpi 2/14, queue_log reports 6/14
    assert (one(sample, "abandonment_rate", "standard").numerator, ) == (2,)
    vendor = one(sample, "abandonment_rate", "vendor")
    assert (vendor.numerator, vendor.denominator) == (6, 14) and vendor.method.startswith("vendor:")


def test_other_presets_and_kpis_keep_the_standard_definition():
    calls = EXAMPLES / "calls.csv"
    assert one(calls, "abandonment_rate", "vendor").method is None  # generic preset: nothing to swap
    assert one(EXAMPLES / "vendors" / "zendesk_tickets.csv", "reopen_rate", "vendor").method is None


def test_unknown_definitions_are_refused():
    with pytest.raises(UsageError, match="--definitions"):
        run(RunOptions(files=[str(EXAMPLES / "calls.csv")], definitions="mine"))
