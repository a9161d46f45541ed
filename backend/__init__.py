"""The write side: aggregates and their rules, the application, identity, storage wiring, the CLI."""
