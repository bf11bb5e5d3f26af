"""Targets: the targets file, settings, verdicts, baselines and scorecards."""
