"""The web console over HTTP and in a real browser."""
