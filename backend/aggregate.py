"""The aggregate base: a stream of hash-chained events and the state they build."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from functools import cache, singledispatchmethod
from typing import Any, ClassVar, Self, TypeVar, cast
from uuid import UUID, uuid4

import msgspec

from backend.errors import IllegalTransition
from backend.limits import MAX_EVENT_BYTES, check_event_size
from backend.rules.order import check_follows
from events.base import Event, Meta
from events.codec import GENESIS_HASH, seal

E = TypeVar("E", bound=Event)


class Aggregate:
    """Commands check rules then `trigger` an event; `when` applies an event to the state."""

    CREATED: ClassVar[type[Event]]
    MAX_EVENT_BYTES: ClassVar[int | None] = MAX_EVENT_BYTES
    """The size cap of this stream's events (None: not capped, for the system's own anchors)."""

    def __init__(self, aggregate_id: UUID) -> None:
        self.id = aggregate_id
        self.version = 0
        self.head_hash = GENESIS_HASH
        self.created_meta: Meta | None = None
        self._pending: list[Event] = []

    def trigger(self, event_class: type[E], meta: Meta, **payload: Any) -> E:
        """Make the next event of this stream, link it into the hash chain and apply it."""
        event = event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            event_id=uuid4(),
            meta=meta,
            **payload,
        )
        sealed = seal(event, self.head_hash)
        if self.MAX_EVENT_BYTES is not None:
            check_event_size(sealed, self.MAX_EVENT_BYTES)
        self.apply(sealed)
        self._pending.append(sealed)
        return sealed  # type: ignore[return-value]

    def apply(self, event: Event) -> None:
        """Apply a stored or new event and advance the stream head."""
        if event.originator_version == 1:
            self.created_meta = event.meta
        rule_for(type(self), type(event))(self, event)
        self.version = event.originator_version
        self.head_hash = event.hash

    def when(self, event: Event) -> None:
        """Change state for one event; subclasses dispatch on the event type (singledispatchmethod)."""
        self.unhandled(event)

    def unhandled(self, event: Event) -> None:
        raise TypeError(f"{type(self).__name__} has no rule for {type(event).__name__}")

    def collect_events(self) -> list[Event]:
        """The events made since the last save, handed to the event store once."""
        pending, self._pending = self._pending, []
        return pending

    @property
    def changed(self) -> bool:
        """Whether events were made since the last save."""
        return bool(self._pending)

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """An independent copy for a command (the event store copies a cached aggregate before handing it out):
        containers are copied, immutable values (text, numbers, times, ids, enums, frozen structs) shared."""
        clone = object.__new__(type(self))
        clone.__dict__.update({name: copied(value, memo) for name, value in self.__dict__.items()})
        return clone

    @classmethod
    def create(cls, aggregate_id: UUID, meta: Meta, **payload: Any) -> Self:
        """A new stream whose first event is the class's creation event."""
        aggregate = cls(aggregate_id)
        aggregate.trigger(cls.CREATED, meta, **payload)
        return aggregate

    @classmethod
    def project(cls, aggregate: Self | None, events: Iterable[Event]) -> Self | None:
        """Rebuild from events (the repository's projector): None when the stream is not of this kind."""
        for event in events:
            if aggregate is None:
                if not isinstance(event, cls.CREATED):
                    return None
                aggregate = cls(event.originator_id)
            aggregate.apply(event)
        return aggregate


@cache
def rule_for(aggregate_class: type[Aggregate], event_class: type[Event]) -> Callable[[Any, Any], None]:
    """The class's `when` for that event class, found once: what `self.when(event)` calls, without a singledispatch
    method building a new bound function on every call."""
    when = inspect.getattr_static(aggregate_class, "when")
    if isinstance(when, singledispatchmethod):
        rule: Callable[[Any, Any], None] = when.dispatcher.dispatch(event_class)
        return rule
    return cast(Callable[[Any, Any], None], when)


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, bytes, type(None), UUID, date, datetime, timedelta})


def copied(value: Any, memo: dict[int, Any]) -> Any:
    """`value` as deep-copied as `copy.deepcopy` would make it, without copying what cannot change: text, numbers,
    times, ids, enums and frozen structs are shared; lists, dicts and sets are copied (a set's members are hashable,
    so unchangeable); anything else is deep-copied."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {key: item if type(item) in _PLAIN else copied(item, memo) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _PLAIN else copied(item, memo) for item in value]
    if kind is set:
        return set(value)
    if isinstance(value, Enum) or (isinstance(value, msgspec.Struct) and value.__struct_config__.frozen):
        return value
    return deepcopy(value, memo)


class Workflow(Aggregate):
    """An aggregate whose events are steps allowed only from certain states (TRANSITIONS)."""

    TRANSITIONS: ClassVar[Mapping[type[Event], frozenset[StrEnum]]]
    status: StrEnum
    status_since: datetime | None = None
    """When the step that put the workflow in its current state occurred (notes and escalations do not count)."""

    def step(self, event_class: type[Event], meta: Meta, **payload: Any) -> None:
        """Trigger `event_class` if the current state allows it and it does not precede that state."""
        noun = type(self).__name__.lower()
        if self.status not in self.TRANSITIONS[event_class]:
            raise IllegalTransition(f"a {self.status.value} {noun} cannot take {event_class.__name__}")
        check_follows(meta.occurred_at, self.status_since, f"the {noun} was {self.status.value}")
        self.trigger(event_class, meta, **payload)

    def apply(self, event: Event) -> None:
        """Apply the event, and note when it occurred if it moved the workflow to another state."""
        before = self.status if self.version else None
        super().apply(event)
        if self.status != before:
            self.status_since = event.meta.occurred_at
