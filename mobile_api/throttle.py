"""Login throttling that slows an attacker and locks nobody else out; counters live in the database all workers share.

- Per account and device: five failures are free, then each failure blocks that account on that device for
  30 s, doubling up to 15 minutes; a success clears it. Another device (its owner's) is not affected.
- Per client address: a much higher ceiling of failures in a 15-minute window (a team behind one carrier NAT
  or one proxy is not locked out by a few mistyped passwords).
- The client address is the peer's, unless the peer is a configured trusted proxy: then the nearest
  X-Forwarded-For hop that is not itself a trusted proxy.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Final

from mobile_api.auth import TooManyAttempts
from projections.db import ReadDB

FREE_FAILURES: Final = 5
FIRST_BACKOFF: Final = timedelta(seconds=30)
LONGEST_BACKOFF: Final = timedelta(minutes=15)
WINDOW: Final = timedelta(minutes=15)
DEFAULT_ADDRESS_LIMIT: Final = 100

TABLE: Final = "login_failures"
SCHEMA: Final = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
    "first_at DOUBLE PRECISION NOT NULL, last_at DOUBLE PRECISION NOT NULL, blocked_until DOUBLE PRECISION NOT NULL)"
)

Network = IPv4Network | IPv6Network


def trusted_networks(proxies: Sequence[str]) -> list[Network]:
    """The configured trusted proxies (addresses or networks)."""
    return [ip_network(p.strip(), strict=False) for p in proxies if p.strip()]


def over_https(scheme: str, peer: str | None, forwarded_proto: str | None, trusted: Sequence[Network]) -> bool:
    """The browser reached us over HTTPS: directly, or through a trusted proxy that says it terminated TLS."""
    if scheme == "https":
        return True
    return bool(peer and forwarded_proto and _trusted(peer, trusted)) and forwarded_proto.strip().lower() == "https"


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """Who is on the other end: the peer, or behind a trusted proxy the nearest hop it did not add itself."""
    if not peer:
        return "unknown"
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _key(kind: str, *parts: str) -> str:
    return kind + ":" + hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    """Failure counters in a small table of the shared database (SQLite or PostgreSQL)."""

    def __init__(self, db: ReadDB, clock: Callable[[], datetime], address_limit: int = DEFAULT_ADDRESS_LIMIT) -> None:
        self.db = db
        self.clock = clock
        self.address_limit = address_limit
        db.execute(SCHEMA)

    def check(self, username: str, device_id: str, address: str) -> None:
        """Refuse (TooManyAttempts, with the seconds to wait) while the account on this device or the address is blocked."""
        now = self.clock().timestamp()
        keys = (_key("account", username.strip().lower(), device_id), _key("address", address))
        rows = self.db.query(f"SELECT blocked_until FROM {TABLE} WHERE key IN (?, ?)", keys)
        until = max((float(r[0]) for r in rows), default=0.0)
        if until > now:
            raise TooManyAttempts("too many failed logins; try again later", retry_after=math.ceil(until - now))

    def failed(self, username: str, device_id: str, address: str) -> None:
        """Count a failure against the account on this device and against the address."""
        now = self.clock().timestamp()
        with self.db.transaction():
            self._count(_key("account", username.strip().lower(), device_id), now, self._account_block)
            self._count(_key("address", address), now, self._address_block)
            window = WINDOW.total_seconds()
            self.db.execute(f"DELETE FROM {TABLE} WHERE last_at < ? AND blocked_until < ?", (now - window, now))

    def succeeded(self, username: str, device_id: str) -> None:
        """A right password clears the account's count on this device (not the address's). A write transaction
        like every other, so on SQLite it waits at the file's gate (`backend.sqlite_writer`), not in the busy handler."""
        with self.db.transaction():
            self.db.execute(f"DELETE FROM {TABLE} WHERE key = ?", (_key("account", username.strip().lower(), device_id),))

    def _count(self, key: str, now: float, block: Callable[[int, float, float], float]) -> None:
        self.db.execute(
            f"INSERT INTO {TABLE} (key, failures, first_at, last_at, blocked_until) VALUES (?, 0, ?, ?, 0) "
            "ON CONFLICT (key) DO NOTHING", (key, now, now),
        )
        lock = " FOR UPDATE" if self.db.is_postgres else ""
        failures, first_at, last_at = self.db.query(
            f"SELECT failures, first_at, last_at FROM {TABLE} WHERE key = ?{lock}", (key,)
        )[0]
        failures, first_at = self._window(int(failures), float(first_at), float(last_at), now, key)
        failures += 1
        self.db.execute(
            f"UPDATE {TABLE} SET failures = ?, first_at = ?, last_at = ?, blocked_until = ? WHERE key = ?",
            (failures, first_at, now, block(failures, first_at, now), key),
        )

    @staticmethod
    def _window(failures: int, first_at: float, last_at: float, now: float, key: str) -> tuple[int, float]:
        """Start counting afresh: an account 15 minutes after its last failure, an address 15 minutes after its first."""
        since = last_at if key.startswith("account:") else first_at
        if now - since > WINDOW.total_seconds():
            return 0, now
        return failures, first_at

    @staticmethod
    def _account_block(failures: int, first_at: float, now: float) -> float:
        if failures < FREE_FAILURES:
            return 0.0
        backoff = FIRST_BACKOFF * 2 ** min(failures - FREE_FAILURES, 16)
        return now + min(backoff, LONGEST_BACKOFF).total_seconds()

    def _address_block(self, failures: int, first_at: float, now: float) -> float:
        return first_at + WINDOW.total_seconds() if failures >= self.address_limit else 0.0
