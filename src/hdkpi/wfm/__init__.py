"""Workforce management: Erlang models, staffing and schedule adherence."""
