"""Ingest: a file -> canonical typed records with row accounting (read, type, check, presets, cache)."""
