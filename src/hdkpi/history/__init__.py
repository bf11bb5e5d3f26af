"""History: every run's figures stored, rolled up, compared and exported."""
