"""hdkpi — help-desk and call-centre KPIs from the exports service desks really produce.

The public API for plugin authors: :func:`kpi` and :class:`Param` to declare a KPI,
the measures it returns (:class:`Count`, :class:`Share`, :class:`Mean`, …) and
:class:`KpiContext`. Importing this package does not import pandas.
"""

from .engine.measures import Count, Max, Mean, NetScore, PerDistinct, Quantile, Share
from .engine.registry import KpiContext, Param, kpi
from .version import __version__

__all__ = [
    "Count", "KpiContext", "Max", "Mean", "NetScore", "Param", "PerDistinct", "Quantile", "Share",
    "__version__", "kpi",
]
