"""Submissions of one writer held and stored together: handled in full one by one, stored in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from backend.aggregate import Aggregate
from backend.ledger import receipt_id_for
from events.base import Event

if TYPE_CHECKING:
    from backend.usecases.core import Core


class BatchNotStored(Exception):  # noqa: N818 (it says what happened, as the domain errors do)
    """A batch could not be stored as one (another writer changed one of its streams): none of it was stored."""


class Batch:
    """Submissions of one thread held to be stored together (`Core.batch`)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.streams: dict[UUID, Aggregate] = {}
        """Each stream the held submissions changed, as they left it (its new events not stored yet)."""
        self.events: list[Event] = []
        """The held submissions' events, in the order they were made."""
        self.submissions = 0
        self.lent: set[UUID] = set()
        """The held streams handed to the submission under way (`Core.load`)."""
        self.absent: set[UUID] = set()
        """Receipts known not to be stored (`submission_ids`)."""

    def submission_ids(self, count: int) -> list[UUID]:
        """New submission ids for a writer making its own submissions, their receipts checked absent in one query
        (so the submissions' own lookups ask nothing; a receipt stored since meets the flush's version check)."""
        ids = [uuid4() for _ in range(count)]
        receipts = {receipt_id_for(i): i for i in ids}
        absent = self.core.guarded(lambda: self.core.store.absent(list(receipts)))
        self.absent |= absent
        return [receipts[r] for r in receipts if r in absent]

    def take(self, aggregates: Sequence[Aggregate]) -> None:
        """Hold a handled submission's changes (its aggregates and receipt)."""
        for aggregate in aggregates:
            events = aggregate.collect_events()
            if events:  # one handed back unchanged may be the store's shared copy: never hold that one
                self.events.extend(events)
                self.streams[aggregate.id] = aggregate
        self.submissions += 1

    def restore(self, stream_ids: Iterable[UUID]) -> None:
        """Undo, on those held streams, changes that a submission made without handing them back (it failed, or
        left them out of its Change): each is rebuilt from the store and the events held for it."""
        for stream_id in stream_ids:
            aggregate = self.streams[stream_id]
            if not aggregate.changed:
                continue
            kind = type(aggregate)
            stored = self.core.load_stored(kind, stream_id)
            held = [e for e in self.events if e.originator_id == stream_id and e.originator_version > (
                stored.version if stored else 0)]
            rebuilt = kind.project(stored, held)
            if rebuilt is None:
                del self.streams[stream_id]
            else:
                self.streams[stream_id] = rebuilt

    def flush(self) -> None:
        """Store the held submissions in one transaction, or none of them (BatchNotStored)."""
        if not self.events:
            return
        events, streams = self.events, self.streams
        self.events, self.streams, self.submissions = [], {}, 0
        self.absent -= streams.keys()
        try:
            self.core.guarded(lambda: self.core.commits.save_events(events))
        except IntegrityError as exc:
            raise BatchNotStored(f"{len(events)} events of a batch met another writer's: none was stored") from exc
        self.core.remember(streams.values())
