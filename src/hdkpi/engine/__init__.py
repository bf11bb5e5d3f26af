"""Engine: windows, periods, measures, the KPI registry and the computation of figures."""
