"""Statistics: confidence intervals and significance tests (pure numbers, no data frames of records)."""
