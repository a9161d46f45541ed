"""Signing in to the console as a browser does: the sign-in page's CSRF token sent back with the form."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import PASSWORD


def signed_in(base: str, username: str, password: str = PASSWORD, **headers: str) -> httpx.Client:
    """A browser-like client that signed in through the console's form (its CSRF token included)."""
    client = httpx.Client(base_url=base, timeout=30, headers=headers)
    token = form_token(client.get("/console/login"))
    answer = client.post("/console/login", data={"username": username, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return client


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)
