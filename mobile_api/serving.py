"""The HTTP/1.1 protocol the server runs: uvicorn's httptools protocol with read timeouts and a header limit.

uvicorn times out only idle keep-alive connections. A client that sends a header line every few
seconds, or a body a byte at a time, would otherwise hold a connection (and, in the body's case, a
request task) for ever. Here the whole header must arrive within `header_timeout`; the body within
`body_timeout`, extended by one second for every `body_min_rate` bytes received (the rule of Apache's
mod_reqtimeout), so a slow but steady upload of a large photo finishes while a trickle is cut off.
A client cut off is answered 408 `request_timeout` and the connection closed. httptools itself sets no bound
on a header's size: one still unfinished after `HEADER_LIMIT` bytes is refused 400 as any other malformed
request, and the connection closed (h11's `max_incomplete_event_size`, which the server used before).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backend.settings import Settings
from mobile_api.errors import HTTP_CODES


class ReadLimits(msgspec.Struct, frozen=True, kw_only=True):
    """How long a request may take to arrive (seconds), and the body rate that buys more time."""

    header_timeout: float
    body_timeout: float
    body_min_rate: float

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        return cls(header_timeout=settings.header_timeout.total_seconds(),
                   body_timeout=settings.body_timeout.total_seconds(), body_min_rate=float(settings.body_min_rate))


def _timeout_answer() -> bytes:
    body = json.dumps({"status_code": 408, "code": HTTP_CODES[408],
                       "detail": "the request did not arrive in time"}).encode()
    head = (f"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\nx-content-type-options: nosniff\r\n\r\n")
    return head.encode() + body


TIMEOUT_ANSWER = _timeout_answer()
HEADER_LIMIT = 16 * 1024
"""The most bytes a request's header may take."""


class TimedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for the header and for the body of every request."""

    limits: ClassVar[ReadLimits | None] = None
    """Set by `serve` from its settings; a worker process started by uvicorn reads HUHANG_* itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if TimedHttpToolsProtocol.limits is None:
            TimedHttpToolsProtocol.limits = ReadLimits.of(Settings.from_env())
        self.read_limits = TimedHttpToolsProtocol.limits
        self.reading = ""
        """Where the parser is: "" before a request's first byte, "header", "body", or "done" once it ended."""
        self.header_bytes = 0
        self.deadline: float | None = None
        self.phase = ""
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._begin("header", self.read_limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        # Bytes that arrive outside a body belong to a header. A read that completes a header resets the count
        # (in on_headers_complete); the next request's first bytes in that same read are not counted.
        if self.reading == "done":
            self.reading = ""
        if self.reading != "body":
            self.header_bytes += len(data)
        super().data_received(data)
        if self.reading == "header" and self.header_bytes > HEADER_LIMIT and not self.transport.is_closing():
            self.send_400_response("Invalid HTTP request received.")
        self._follow(len(data))

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.reading = "header"

    def on_headers_complete(self) -> None:
        self.reading, self.header_bytes = "body", 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.reading = "done"
        super().on_message_complete()

    def _follow(self, received: int) -> None:
        """Move the deadline along with what the parser has seen of the request."""
        if self.transport.is_closing():
            self._cancel()
        elif self.reading in ("", "header"):  # blank lines before a request count as its header
            if self.phase != "header":  # the first bytes of the next request on a kept-alive connection
                self._begin("header", self.read_limits.header_timeout)
        elif self.reading == "body":
            if self.phase != "body":
                self._begin("body", self.read_limits.body_timeout)
            elif self.deadline is not None and self.read_limits.body_min_rate > 0:
                # Bytes earn time at the minimum rate, but never more than one body timeout ahead of now:
                # a body that stops arriving is cut off a body timeout after its last byte.
                earned = self.deadline + received / self.read_limits.body_min_rate
                self.deadline = min(earned, self.loop.time() + self.read_limits.body_timeout)
        else:
            self._cancel()

    def _begin(self, phase: str, seconds: float) -> None:
        self._cancel()
        self.phase = phase
        self.deadline = self.loop.time() + seconds
        self.timer = self.loop.call_at(self.deadline, self._expired)

    def _cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer, self.deadline, self.phase = None, None, ""

    def _expired(self) -> None:
        self.timer = None
        if self.deadline is None or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server stopped reading (the app is busy): not the client's fault
            self.deadline = self.loop.time() + self.read_limits.body_timeout
        if self.loop.time() < self.deadline:  # more time was earned since the timer was set
            self.timer = self.loop.call_at(self.deadline, self._expired)
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(TIMEOUT_ANSWER)
        self.transport.close()
