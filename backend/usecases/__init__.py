"""Use cases: load, act, save once."""
