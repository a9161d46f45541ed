"""Clients that send a header or a body a trickle at a time are cut off by the server itself."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.server import running_server

CLIENTS = 5
LIMITS = {"HUHANG_HEADER_TIMEOUT_SECONDS": "1", "HUHANG_BODY_TIMEOUT_SECONDS": "1", "HUHANG_BODY_MIN_RATE": "500"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("slow")) / "data")
    with running_server(settings, env=LIMITS) as url:
        yield url


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=5)
    conn.setblocking(False)
    return conn


def trickle(conns: list[socket.socket], pieces: list[bytes], pause: float = 0.3, seconds: float = 20) -> list[bytes]:
    """Send one piece after another to every connection until the server closes it (or `seconds` pass,
    or the pieces run out); returns what each connection received: empty while it is still open."""
    answers: dict[int, bytes] = {}
    deadline = time.monotonic() + seconds
    for piece in pieces:
        if len(answers) == len(conns) or time.monotonic() > deadline:
            break
        for at, conn in enumerate(conns):
            if at in answers:
                continue
            try:
                conn.sendall(piece)
                data = conn.recv(4096)
                answers[at] = data or b"<closed>"
            except BlockingIOError:
                pass  # still open, nothing said
            except OSError:
                answers[at] = b"<closed>"
        time.sleep(pause)
    for conn in conns:
        conn.close()
    return [answers.get(at, b"") for at in range(len(conns))]


def test_a_header_sent_a_line_at_a_time_is_cut_off(base: str) -> None:
    conns = [connect(base) for _ in range(CLIENTS)]
    lines = [b"GET /health HTTP/1.1\r\nHost: x\r\n"] + [f"X-Slow-{n}: {n}\r\n".encode() for n in range(200)]
    answers = trickle(conns, lines)
    assert all(a.startswith(b"HTTP/1.1 408") or a == b"<closed>" for a in answers), answers
    assert any(b'"code": "request_timeout"' in a for a in answers), answers


def test_a_body_sent_a_byte_at_a_time_is_cut_off(base: str) -> None:
    conns = [connect(base) for _ in range(CLIENTS)]
    head = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    answers = trickle(conns, [head] + [b" "] * 200)
    assert all(a.startswith(b"HTTP/1.1 408") or a == b"<closed>" for a in answers), answers


def test_a_steady_request_is_answered(base: str) -> None:
    answer = httpx.post(base + "/api/v1/auth/login", json={"username": "nobody", "password": "x" * 12, "device_id": "d"})
    assert answer.status_code == 401



def exchange(base: str, request: bytes) -> bytes:
    """Send `request` (whole or not) and read until the server has answered a head, or closed."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (data := conn.recv(65536)):
            answer += data
        return answer


def test_a_header_still_unfinished_after_16_kib_is_refused(base: str) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n"
    assert exchange(base, head + b"X-Filler: " + b"a" * (12 * 1024) + b"\r\n\r\n").startswith(b"HTTP/1.1 200")
    refused = exchange(base, head + b"".join(b"X-Filler-%d: %s\r\n" % (n, b"a" * 1000) for n in range(20)))
    assert refused.startswith(b"HTTP/1.1 400") and b"connection: close" in refused.lower(), refused
