"""Built-in KPIs, one module per record kind. Each KPI is a function decorated with
:func:`hdkpi.engine.registry.kpi`; see ``calls.py`` for the simplest ones to copy."""
