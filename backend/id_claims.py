"""One child per resident ID number, decided by the event store: each number has a claim stream.

The claim's stream id is derived from a keyed hash of the number, so two registrations of the same number
at once, in any processes, meet on one stream version and the store's version check lets exactly one
through; a read model, which lags, could not decide it. The number itself is never a stream id (stream ids
stay readable when events are encrypted, and an 18-character ID number is easily guessed from a plain hash).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import singledispatchmethod
from typing import ClassVar, Final
from uuid import UUID, uuid5

from backend.aggregate import Aggregate
from backend.errors import IllegalTransition
from events.base import Event, Meta
from events.children import IdNumberClaimed, IdNumberReleased

CLAIM_NAMESPACE: Final = UUID("3c6f2a8e-51d4-4b0f-9e7a-2d8c4f1b6a90")
PLAIN_KEY: Final = b"huhang id number claims"
"""The key where events are stored unencrypted: they hold the numbers in plain anyway, so the stream id hides
nothing more than they do; with `HUHANG_CIPHER_KEY` the key derives from it, which every process shares."""


def claim_key(cipher_key: str | None) -> bytes:
    """The key of the claim streams' hash: from the cipher key when events are encrypted."""
    if not cipher_key:
        return PLAIN_KEY
    return hashlib.sha256(PLAIN_KEY + b"|" + cipher_key.encode()).digest()


def claim_id_for(key: bytes, id_number: str) -> UUID:
    """The claim stream of a (validated, normalised) ID number."""
    digest = hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()
    return uuid5(CLAIM_NAMESPACE, digest)


class IdNumberClaim(Aggregate):
    """Which child holds an ID number now (None: released, free to claim again)."""

    CREATED: ClassVar = IdNumberClaimed

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.child_id: UUID | None = None

    def claim(self, meta: Meta, child_id: UUID) -> None:
        """Take a released number for `child_id`."""
        if self.child_id is not None:
            raise IllegalTransition("the ID number is held by another child")
        self.trigger(IdNumberClaimed, meta, child_id=child_id)

    def release(self, meta: Meta) -> None:
        if self.child_id is None:
            return
        self.trigger(IdNumberReleased, meta, child_id=self.child_id)

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: IdNumberClaimed) -> None:
        self.child_id = event.child_id

    @when.register
    def _(self, event: IdNumberReleased) -> None:
        self.child_id = None
