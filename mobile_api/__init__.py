"""The HTTP edge: the Litestar app the mobile app, supervisors and auditors talk to."""
