"""The one way a command becomes events: idempotent, atomic, retried on a version race."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from backend.aggregate import Aggregate
from backend.errors import DomainError, StaleVersion, StoreUnavailable, SubmissionConflict
from backend.groupcommit import GroupCommit
from backend.identity import Actor
from backend.ledger import Receipt, receipt_id_for
from backend.rules.timing import check_occurred_at, is_late
from backend.settings import Policy
from backend.store import EventStore
from backend.usecases.batch import Batch
from events.base import Meta

MAX_ATTEMPTS: Final = 8
A = TypeVar("A", bound=Aggregate)
_canonical = msgspec.json.Encoder(order="sorted")


class Change(msgspec.Struct, frozen=True):
    """What a command made: the aggregates to save together and the answer to give."""

    aggregates: Sequence[Aggregate]
    result: dict[str, Any]


class Outcome(msgspec.Struct, frozen=True):
    """The answer to a submission, and whether it is the replay of an earlier arrival."""

    result: dict[str, Any]
    replayed: bool = False
    position: int = 0
    """The notification id of the last event stored (0 for a replay): read models at or past it show the write."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def fingerprint_of(name: str, actor: Actor, target: UUID | None, command: msgspec.Struct) -> str:
    """What makes two arrivals "the same submission": command, actor, target and body."""
    body = {
        "command": name,
        "actor": str(actor.id),
        "target": str(target) if target else None,
        "body": msgspec.to_builtins(command),
    }
    return hashlib.sha256(_canonical.encode(body)).hexdigest()


class Core:
    """Shared by every use case: the store, the policy, the clock and `submit`."""

    def __init__(self, store: EventStore, policy: Policy, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.commits = GroupCommit(store)
        self._assumed = threading.local()
        self._batch = threading.local()

    def submit(
        self,
        name: str,
        actor: Actor,
        device_id: str,
        command: Any,
        target: UUID | None,
        handle: Callable[[Meta], Change],
    ) -> Outcome:
        """Run `handle` and save what it made with a receipt, in one transaction.

        The same submission again answers the stored result; with other content it is refused.
        A concurrent change to the same streams re-runs `handle` on the new state, whose own
        checks refuse what no longer applies.
        """
        receipt_id = receipt_id_for(command.submission_id)
        fingerprint = fingerprint_of(name, actor, target, command)
        batch: Batch | None = getattr(self._batch, "current", None)
        for attempt in range(MAX_ATTEMPTS):
            # A first arrival is the common case, and the receipt saved with its events refuses a second one (the
            # save fails, and the next attempt finds the receipt): outside a batch, look only from the second attempt.
            prior = self.receipt(receipt_id) if attempt or batch is not None else None
            if prior is not None:
                return self.replay(prior, fingerprint)
            meta = self.meta(actor, device_id, command)
            try:
                change = self.handled(handle, meta, batch)
            except DomainError:  # refused now, but the same submission may be stored already: that is its answer
                prior = self.receipt(receipt_id)
                if prior is not None:
                    return self.replay(prior, fingerprint)
                raise
            receipt = Receipt.accepted(receipt_id, meta, fingerprint, name, change.result)
            if batch is not None:
                batch.take([*change.aggregates, receipt])
                return Outcome(change.result)
            try:
                recordings = self.guarded(lambda: self.commits.save(*change.aggregates, receipt))  # noqa: B023 (called at once)
            except IntegrityError:
                continue
            self.remember(change.aggregates)
            return Outcome(change.result, position=max(r.notification.id for r in recordings))
        raise StaleVersion("the record kept changing while this was saved; send it again")

    def receipt(self, receipt_id: UUID) -> Receipt | None:
        """The receipt of an earlier arrival of the submission, if one is stored (or held in this thread's batch)."""
        batch: Batch | None = getattr(self._batch, "current", None)
        if batch is not None:
            if receipt_id in batch.streams:
                held = batch.streams[receipt_id]
                return held if isinstance(held, Receipt) else None
            if receipt_id in batch.absent:
                return None
        return self.load_stored(Receipt, receipt_id, for_update=False)

    @staticmethod
    def handled(handle: Callable[[Meta], Change], meta: Meta, batch: Batch | None) -> Change:
        """`handle(meta)`; in a batch, the held streams it changed but did not hand back are restored."""
        if batch is None:
            return handle(meta)
        batch.lent = set()
        try:
            change = handle(meta)
        except BaseException:
            batch.restore(batch.lent)
            raise
        batch.restore(batch.lent - {a.id for a in change.aggregates})
        return change

    def remember(self, aggregates: Iterable[Aggregate]) -> None:
        """Refresh the store's cached copies of streams just saved (saves the next load decoding these events)."""
        cache = self.store.repository.cache
        if cache is None:
            return
        for aggregate in aggregates:
            try:
                cache.get(aggregate.id)
            except KeyError:  # not cached: keep the cache for the streams that are read
                continue
            cache.put(aggregate.id, aggregate)

    def submit_batch(self, name: str, actor: Actor, device_id: str, items: Sequence[tuple[Any, Callable[[Meta], Change]]]
                     ) -> list[Outcome | DomainError]:
        """Many untargeted submissions saved in one transaction through the group commit (an import's rows).

        Each item answers as `submit` would: its outcome, a replay, or its own refusal. If the batch cannot be
        saved as one (a version race with another writer), each item is submitted alone, so none is lost or doubled.
        """
        answers: list[Outcome | DomainError | None] = [None] * len(items)
        prepared: list[tuple[int, Change, Receipt]] = []
        for index, (command, handle) in enumerate(items):
            receipt_id = receipt_id_for(command.submission_id)
            fingerprint = fingerprint_of(name, actor, None, command)
            try:
                prior = self.load(Receipt, receipt_id, for_update=False)
                if prior is not None:
                    answers[index] = self.replay(prior, fingerprint)
                    continue
                meta = self.meta(actor, device_id, command)
                change = handle(meta)
            except StoreUnavailable:
                raise
            except DomainError as refusal:
                answers[index] = refusal
                continue
            receipt = Receipt.accepted(receipt_id, meta, fingerprint, name, change.result)
            prepared.append((index, change, receipt))
        try:
            recordings = self.guarded(
                lambda: self.commits.save(*[a for _, change, receipt in prepared for a in (*change.aggregates, receipt)])
            )
        except IntegrityError:
            self._assumed.absent = set()  # what was assumed absent is not: look again, item by item
            for index, _, _ in prepared:
                answers[index] = self._alone(name, actor, device_id, *items[index])
        else:
            position = max((r.notification.id for r in recordings), default=0)
            for index, change, _ in prepared:
                answers[index] = Outcome(change.result, position=position)
        return [a for a in answers if a is not None]

    def _alone(self, name: str, actor: Actor, device_id: str, command: Any, handle: Callable[[Meta], Change]
               ) -> Outcome | DomainError:
        try:
            return self.submit(name, actor, device_id, command, None, handle)
        except StoreUnavailable:
            raise
        except DomainError as refusal:
            return refusal

    def replay(self, prior: Receipt, fingerprint: str) -> Outcome:
        if prior.fingerprint != fingerprint:
            raise SubmissionConflict("this submission_id was already used for different content")
        return Outcome(prior.result, replayed=True)

    def meta(self, actor: Actor, device_id: str, command: Any) -> Meta:
        """The metadata every event of this command carries; only here is it set."""
        now = self.clock()
        occurred = command.occurred_at or now
        check_occurred_at(self.policy, occurred, now)
        return Meta(
            actor_id=actor.id,
            actor_role=actor.role.value,
            device_id=device_id,
            submission_id=command.submission_id,
            occurred_at=occurred,
            recorded_at=now,
            geo=command.geo,
            late=is_late(self.policy, occurred, now),
        )

    def load(self, cls: type[A], aggregate_id: UUID, *, for_update: bool = True) -> A | None:
        """The aggregate as this thread's batch left it, else as stored (None: no such stream of that kind)."""
        batch: Batch | None = getattr(self._batch, "current", None)
        if batch is not None and aggregate_id in batch.streams:
            batch.lent.add(aggregate_id)
            held = batch.streams[aggregate_id]
            return held if isinstance(held, cls) else None
        if aggregate_id in getattr(self._assumed, "absent", ()):
            return None
        return self.load_stored(cls, aggregate_id, for_update=for_update)

    def load_stored(self, cls: type[A], aggregate_id: UUID, *, for_update: bool = True) -> A | None:
        return self.guarded(lambda: self.store.load(cls, aggregate_id, for_update=for_update))

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Within the block, on this thread, submissions are held, then stored together by `Batch.flush` (and at
        the end of the block) in one transaction, through the group commit.

        Each submission is handled in full when it is made (receipt, rules, hash chain) and sees what the earlier
        held ones changed; its answer is given then, with position 0 (not stored yet). A flush stores all the held
        submissions or none (BatchNotStored, when another writer changed one of their streams meanwhile); if the
        block raises, what is held is not stored. For one writer filling its own streams, as the demo county does.
        """
        if getattr(self._batch, "current", None) is not None:
            raise RuntimeError("a batch is already under way on this thread")
        batch = self._batch.current = Batch(self)
        try:
            yield batch
            batch.flush()
        finally:
            self._batch.current = None

    @contextmanager
    def assuming_absent(self, stream_ids: Sequence[UUID]) -> Iterator[None]:
        """Within the block, on this thread, `load` answers None for those of the streams that have no events now
        (asked in one query). Safe for writes: a stream made since meets the save's version check, which refuses it."""
        self._assumed.absent = self.guarded(lambda: self.store.absent(stream_ids))
        try:
            yield
        finally:
            self._assumed.absent = set()

    @staticmethod
    def guarded(call: Callable[[], Any]) -> Any:
        """Run a store call; the store being unreachable becomes StoreUnavailable (503)."""
        try:
            return call()
        except (OperationalError, InterfaceError) as exc:
            raise StoreUnavailable(f"the event store did not answer: {type(exc).__name__}") from exc
