"""Controllers, one per domain concept."""
