"""Survey KPIs (KPI_SPEC §3 "Surveys").

Answers come from a surveys file (anchor ``responded_at``) or, when no surveys
file has that score, from the same column of the tickets (anchor ``resolved_at``)
— never both. The engine picks the source per score; these functions only see
the frame it chose. A blank answer is not an answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.measures import Mean, NetScore, Share
from ..engine.registry import KpiContext, kpi

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@kpi("csat", title="Customer satisfaction", kind="surveys", unit="share", direction="higher",
     anchor="responded_at", needs=("csat",), settings=("csat_satisfied_min",),
     definition="CSAT answers ≥ csat_satisfied_min (default 4 of 5) ÷ CSAT answers.")
def csat(answers: "pd.DataFrame", ctx: KpiContext) -> Share:
    score = answers["csat"]
    return Share(score >= ctx.settings["csat_satisfied_min"], score.notna(), of="CSAT answers")


@kpi("csat_mean", title="CSAT (mean score)", kind="surveys", unit="score", direction="higher",
     anchor="responded_at", needs=("csat",), definition="Mean CSAT answer.")
def csat_mean(answers: "pd.DataFrame", ctx: KpiContext) -> Mean:
    return Mean(answers["csat"], of="CSAT answers")


@kpi("nps", title="Net promoter score", kind="surveys", unit="score", direction="higher",
     anchor="responded_at", needs=("nps",),
     definition="% promoters (9–10) − % detractors (0–6) among NPS answers, −100…100.")
def nps(answers: "pd.DataFrame", ctx: KpiContext) -> NetScore:
    score = answers["nps"]
    return NetScore(score >= PROMOTER_MIN, score <= DETRACTOR_MAX, score.notna(), of="NPS answers")


@kpi("ces", title="Customer effort score", kind="surveys", unit="score", direction="none",
     anchor="responded_at", needs=("ces",),
     definition="Mean customer-effort answer (scales differ in direction, so none is assumed).")
def ces(answers: "pd.DataFrame", ctx: KpiContext) -> Mean:
    return Mean(answers["ces"], of="CES answers")
