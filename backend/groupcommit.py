"""Group commit: concurrent commands' events written in one transaction (one fsync, one table lock).

The first thread to arrive while no commit is under way leads: it takes every save waiting, writes
them together, and hands each its own recordings. Saves that arrive meanwhile wait for the next
leader, so under load groups form by themselves and a lone save is written at once. If the group
fails (a version conflict between two of its saves, or a database error), each save is written alone,
so each command gets its own success or its own error, exactly as without grouping; except when the group was
kept out of the database file past its deadline (`backend.sqlite_writer.kept_out`): each save alone would wait the
whole deadline again, so each gets that error at once (503, and the client's retry).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Recording

from backend.aggregate import Aggregate
from backend.sqlite_writer import kept_out
from backend.store import EventStore
from events.base import Event

MAX_GROUP = 128


class _Save:
    __slots__ = ("done", "error", "events", "recordings")

    def __init__(self, events: list[Any]) -> None:
        self.events = events
        self.recordings: list[Recording[Any]] = []
        self.error: BaseException | None = None
        self.done = False

    def result(self) -> list[Recording[Any]]:
        if self.error is not None:
            raise self.error
        return self.recordings


class GroupCommit:
    """`save(*aggregates)` like the store's, but grouped with the saves of other threads."""

    def __init__(self, store: EventStore, max_group: int = MAX_GROUP) -> None:
        self.store = store
        self.max_group = max_group
        self._waiting: list[_Save] = []
        self._leading = False
        self._changed = threading.Condition()

    def save(self, *aggregates: Aggregate) -> list[Recording[Any]]:
        return self.save_events([event for aggregate in aggregates for event in aggregate.collect_events()])

    def save_events(self, events: list[Event]) -> list[Recording[Any]]:
        """Events already collected from their aggregates, written together (with other threads' saves)."""
        mine = _Save(events)
        with self._changed:
            self._waiting.append(mine)
            while self._leading and not mine.done:
                self._changed.wait()
            if mine.done:
                return mine.result()
            self._leading = True
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
        try:
            self._write(group)
        finally:
            with self._changed:
                for save in group:
                    if not save.done:  # the leader itself was interrupted: nobody waits for ever
                        save.error, save.done = RuntimeError("the commit was interrupted"), True
                self._leading = False
                self._changed.notify_all()
        return mine.result()

    def _write(self, group: Sequence[_Save]) -> None:
        try:
            recordings = self.store.save(*[event for save in group for event in save.events])
        except Exception as exc:
            if kept_out(exc):  # each save alone would wait out the deadline again: all get the answer at once
                for save in group:
                    save.error, save.done = exc, True
                return
            for save in group:  # the group failed as a whole: write each save alone, so each gets its own answer
                self._write_alone(save)
            return
        start = 0
        for save in group:
            save.recordings = recordings[start : start + len(save.events)]
            save.done = True
            start += len(save.events)

    def _write_alone(self, save: _Save) -> None:
        try:
            save.recordings = self.store.save(*save.events)
        except BaseException as exc:  # handed to the thread whose command it is, raised there
            save.error = exc
        save.done = True
