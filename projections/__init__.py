"""The read side: projectors, the runner that follows the notification log, queries and reports."""
