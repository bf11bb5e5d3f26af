"""hdkpi — help-desk and call-centre KPIs from the exports service desks really produce.

The public API for plugin authors: :func:`kpi` and :class:`Param` to declare a KPI,
the measures it returns (:class:`Count`, :class:`Share`, :class:`Mean`, …) and
:class:`KpiContext`. Importing this package does not import pandas.
"""

from .measures import Count, Max, Mean, NetScore, PerDistinct, Quantile, Share
from .registry import KpiContext, Param, kpi

__version__ = "0.1.0"

__all__ = [
    "Count", "KpiContext", "Max", "Mean", "NetScore", "Param", "PerDistinct", "Quantile", "Share",
    "__version__", "kpi",
]
