"""hdkpi — help-desk and call-centre KPIs from the exports service desks really produce.

Runs from Python (:mod:`hdkpi.api`): :func:`report` and :func:`check` on files or DataFrames, returning a
:class:`Report` (``.to_frame()``, ``.to_json()``, ``.details()``…); :func:`forecast` and :func:`staffing`.
The API for plugin authors: :func:`kpi` and :class:`Param` to declare a KPI, the measures it returns
(:class:`Count`, :class:`Share`, :class:`Mean`, …) and :class:`KpiContext`. Importing this package does not
import pandas; a run does.
"""

from .engine.measures import Count, Max, Mean, NetScore, PerDistinct, Quantile, Share
from .engine.registry import KpiContext, Param, kpi
from .version import __version__

#: the library's runs, imported on first use (hdkpi.api): ``import hdkpi`` stays light
LIBRARY = ("Calls", "Report", "Source", "Surveys", "Tickets", "adherence", "check", "execute", "forecast",
           "history_report", "report", "scorecard", "staffing")

__all__ = [
    "Count", "KpiContext", "Max", "Mean", "NetScore", "Param", "PerDistinct", "Quantile", "Share",
    "__version__", "kpi", *LIBRARY,
]


def __getattr__(name: str):
    if name in LIBRARY:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'hdkpi' has no attribute {name!r}")
