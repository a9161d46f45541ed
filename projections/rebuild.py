"""Rebuild a projection from the first event into new tables, then swap them in at once.

Readers never see a half-built model: the live tables keep answering until the swap, which drops
them and renames the new ones in one transaction. Events the live runner applied meanwhile are
applied again to the new tables after the swap (the checkpoint moves back to the rebuilt position
and its generation changes, so a batch computed on the old tables cannot commit into the new).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from backend.heap import collector_paused
from backend.settings import Policy
from backend.store import EventStore
from events.base import Event
from projections.db import ReadDB
from projections.registry import Projection
from projections.runner import Runner, apply_together

NEXT = "_next"
T = TypeVar("T")


def drop_tables(db: ReadDB, projection: Projection, suffix: str) -> None:
    for table in projection.tables:
        for index in table.index_names(suffix):
            db.execute(f"DROP INDEX IF EXISTS {index}")
        db.execute(f"DROP TABLE IF EXISTS {table.name}{suffix}")
    db.execute("DELETE FROM rm_checkpoints WHERE name = ?", (projection.name + suffix,))


def rebuild(
    store: EventStore,
    db: ReadDB,
    policy: Policy,
    projection: Projection,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 20_000,
    cache_rows: int = 50_000,
) -> int:
    """Build `projection` anew beside the live tables and swap it in; returns the events applied."""
    return rebuild_together(store, db, policy, [projection], progress, batch_size, cache_rows)[projection.name]


def rebuild_together(
    store: EventStore,
    db: ReadDB,
    policy: Policy,
    projections: Sequence[Projection],
    progress: Callable[[int], None] | None = None,
    batch_size: int = 20_000,
    cache_rows: int = 50_000,
) -> dict[str, int]:
    """Build several projections anew in one pass over the log (each event read and decoded once, each page
    committed in one transaction for all), then swap each in; returns the events each applied. Each keeps
    its own tables and checkpoint.

    On PostgreSQL the next page is read and decoded in a second thread while this one is applied and
    written (the server's work runs without holding the interpreter). Not on SQLite: a read transaction
    open beside every commit keeps the write-ahead log from being reset, it grows by the size of the tables
    built, and every page read (the rows a rebuild loads back) then searches all of it — a million-event
    rebuild spent more time looking rows up than it saved.

    The whole rebuild runs with the cycle collector paused (`backend.heap`: its passes walked the row caches, ~40 % of
    the CPU, and found nothing) and, on SQLite, freed pages kept as they are (`ReadDB.freed_pages_kept`)."""
    with collector_paused(), db.freed_pages_kept():
        return _rebuild_together(store, db, policy, projections, progress, batch_size, cache_rows)


def _rebuild_together(
    store: EventStore,
    db: ReadDB,
    policy: Policy,
    projections: Sequence[Projection],
    progress: Callable[[int], None] | None,
    batch_size: int,
    cache_rows: int,
) -> dict[str, int]:
    builders = []
    for projection in projections:
        Runner(store, db, policy, projection)  # the live tables and checkpoint exist
        drop_tables(db, projection, NEXT)  # leftovers of an interrupted rebuild
        builders.append(Runner(
            store, db, policy, projection, suffix=NEXT, batch_size=batch_size, cache_rows=cache_rows, write_back=True
        ))
    topics = sorted({topic for builder in builders for topic in builder.topics})
    applied = {projection.name: 0 for projection in projections}
    head = store.recorder.max_notification_id() or 0

    def read(position: int) -> tuple[list[tuple[int, Event]], int]:
        events = store.positioned_events(position + 1, batch_size, head, topics)
        return events, events[-1][0] if len(events) == batch_size else head

    with ThreadPoolExecutor(1, thread_name_prefix="rebuild-read") as reader:
        ahead = reader.submit(read, 0) if head else None
        while ahead is not None:
            events, reached = ahead.result()
            ahead = None
            if reached < head:
                ahead = reader.submit(read, reached) if db.is_postgres else _done(read(reached))
            counts = apply_together(builders, events, reached)
            for builder in builders:
                applied[builder.projection.name] += counts[builder.name]
            if progress:
                progress(reached)
    for builder in builders:  # what was written while the pass ran
        applied[builder.projection.name] += builder.catch_up()
        builder.release()
        swap(db, builder.projection, builder.checkpoint())
    return applied


def _done(result: T) -> Future[T]:
    done: Future[T] = Future()
    done.set_result(result)
    return done


def swap(db: ReadDB, projection: Projection, position: int) -> None:
    """Replace the live tables by the rebuilt ones and move the checkpoint, in one transaction."""
    with db.transaction():
        for table in projection.tables:
            for index in table.index_names():
                db.execute(f"DROP INDEX IF EXISTS {index}")
            db.execute(f"DROP TABLE IF EXISTS {table.name}")
            db.execute(f"ALTER TABLE {table.name}{NEXT} RENAME TO {table.name}")
            if db.is_postgres:  # the primary key's index keeps its name; free it for the next rebuild
                db.execute(f"ALTER INDEX IF EXISTS {table.name}{NEXT}_pkey RENAME TO {table.name}_pkey")
            for statement in table.create_statements()[1:]:
                db.execute(statement)
        db.execute(
            "UPDATE rm_checkpoints SET position = ?, generation = generation + 1 WHERE name = ?",
            (position, projection.name),
        )
        db.execute("DELETE FROM rm_checkpoints WHERE name = ?", (projection.name + NEXT,))
