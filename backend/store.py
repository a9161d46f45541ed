"""The event store: one eventsourcing Application on SQLite or PostgreSQL, with a msgspec mapper."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import Mapper, Notification, Recording, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import Environment, EnvType, get_topic
from psycopg.sql import SQL, Identifier

from backend.aggregate import Aggregate
from backend.settings import Settings
from backend.sqlite_writer import LOCK_TIMEOUT, GatedSQLiteFactory
from events import codec
from events.base import Event

A = TypeVar("A", bound=Aggregate)


class MsgspecMapper(Mapper[UUID]):
    """Stores each event in its compact stored form (`codec.pack`); reads that and the full JSON of older stores."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = codec.pack(domain_event)
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return codec.unpack(_event_class(stored_event.topic), self.plain_state(stored_event.state),
                            stored_event.originator_id, stored_event.originator_version)

    def stored_state(self, row: StoredEvent | Notification) -> dict[str, Any]:
        """A stored event's state as plain data, in either stored form (what its hash covers, with its hash)."""
        return codec.stored_state(_event_class(row.topic), self.plain_state(row.state), row.originator_id,
                                  row.originator_version)

    def canonical_stored(self, row: StoredEvent) -> bool:
        """Whether a stored event's bytes are exactly the stored form of the event they hold (`codec.canonical_stored`)."""
        return codec.canonical_stored(_event_class(row.topic), self.plain_state(row.state), row.originator_id,
                                      row.originator_version)

    def plain_state(self, state: bytes) -> bytes:
        """The stored bytes decrypted and decompressed."""
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        return state


_EVENT_TOPICS: Final[dict[str, type[Event]]] = {get_topic(cls): cls for cls in codec.EVENT_TYPES.values()}


def _event_class(topic: str) -> type[Event]:
    """The event type a row's topic names. A topic naming anything else (an edited row) is refused as unreadable,
    never imported."""
    try:
        return _EVENT_TOPICS[topic]
    except KeyError:
        raise ValueError(f"not an event type: {topic[:100]!r}") from None


POSTGRES_MODULE: Final = "eventsourcing.postgres"


def private_sqlite_file(settings: Settings) -> str:
    """The SQLite file's path, its folder made 0700 and the file 0600 before SQLite first opens it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = settings.sqlite_path
    try:  # never open (and close) an existing file: closing any descriptor drops this process's SQLite locks on it
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    return str(path)


def store_environment(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for the configured database."""
    env: dict[str, str] = {
        "MAPPER_TOPIC": get_topic(MsgspecMapper),
        # Keep recently used aggregates; each load fetches only events newer than the cached version.
        "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
    }
    if settings.cipher_key:
        env["CIPHER_KEY"] = settings.cipher_key
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        env.update(postgres_environment(url))
    else:
        env.update(
            PERSISTENCE_MODULE=get_topic(GatedSQLiteFactory),  # write transactions behind the file's gate
            SQLITE_DBNAME=private_sqlite_file(settings),
            SQLITE_LOCK_TIMEOUT=str(int(LOCK_TIMEOUT)),
        )
    return env


def postgres_environment(url: str) -> dict[str, str]:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    return {
        "PERSISTENCE_MODULE": POSTGRES_MODULE,
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": query.get("schema", [""])[0],
        "POSTGRES_POOL_SIZE": query.get("pool_size", ["10"])[0],
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }


class EventStore(Application[UUID]):
    """Every stream of every kind in one notification log (one global order)."""

    name = "Huhang"
    log_section_size = 1000

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what our settings say: stray eventsourcing variables in the process must not leak in.
        return Environment(name, dict(env or {}))

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Our events and the events of our aggregates, written in one transaction, as the library's `save` does;
        told apart by their classes, where the library checks each against runtime protocols (slower than
        encoding the event)."""
        if not all(isinstance(obj, (Event, Aggregate)) for obj in objs):
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Event):
                processing.events.append(obj)  # type: ignore[arg-type]
            else:
                processing.events.extend(obj.collect_events())  # type: ignore[arg-type]
                processing.aggregates[obj.id] = obj  # type: ignore[assignment]
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)
        return recordings

    def load(self, cls: type[A], aggregate_id: UUID, *, for_update: bool = True) -> A | None:
        """The aggregate of that kind, or None when no such stream of that kind exists.

        `for_update=False` skips copying the cached aggregate: for reads that change nothing.
        """
        try:
            aggregate = self.repository.get(
                aggregate_id, projector_func=cls.project, deepcopy_from_cache=for_update  # type: ignore[arg-type]
            )
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def stream(self, stream_id: UUID, upto_version: int | None = None) -> list[Event]:
        """The events of one stream, in order."""
        return cast(list[Event], list(self.events.get(stream_id, lte=upto_version)))

    def notifications(self, topics: Sequence[str] = (), page: int = 5000) -> Iterator[Notification]:
        """The whole notification log (or the given topics), read page by page."""
        start = 1
        while notes := self.recorder.select_notifications(start=start, limit=page, topics=topics):
            yield from notes
            start = notes[-1].id + 1

    def positioned_events(
        self, start: int, limit: int, stop: int, topics: Sequence[str]
    ) -> list[tuple[int, Event]]:
        """Events of the given topics from log position `start` up to `stop`, at most `limit`, with their
        positions: what `select_notifications` returns, decoded straight from the stored bytes (only the
        columns a projection needs; the stream id is converted only for the compact form, which leaves it out)."""
        recorder: Any = self.recorder
        datastore = recorder.datastore
        if isinstance(recorder, PostgresApplicationRecorder):
            statement: Any = SQL("SELECT notification_id AS position, originator_id, originator_version, topic, state "
                                 "FROM {}.{} "
                                 "WHERE notification_id >= %s AND notification_id <= %s AND topic = ANY(%s) "
                                 "ORDER BY notification_id LIMIT %s").format(
                Identifier(datastore.schema), Identifier(recorder.events_table_name))
            params: Any = (start, stop, list(topics), limit)
        else:
            marks = ",".join("?" for _ in topics)
            statement = (f"SELECT rowid AS position, originator_id, originator_version, topic, state "
                         f"FROM {recorder.events_table_name} "
                         f"WHERE rowid >= ? AND rowid <= ? AND topic IN ({marks}) ORDER BY rowid LIMIT ?")
            params = [start, stop, *topics, limit]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        plain, unpack = self.msgspec_mapper.plain_state, codec.unpack
        return [(row["position"], unpack(_event_class(row["topic"]), plain(bytes(row["state"])), row["originator_id"],
                                         row["originator_version"])) for row in rows]

    def streams(self, stream_ids: Sequence[UUID]) -> list[list[Event]]:
        """The events of many streams in one query (an audit replay touches hundreds), each in order."""
        if not stream_ids:
            return []
        recorder: Any = self.recorder
        datastore = recorder.datastore
        if isinstance(recorder, PostgresApplicationRecorder):
            statement: Any = SQL("SELECT originator_id, originator_version, topic, state FROM {}.{} "
                                 "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version").format(
                Identifier(datastore.schema), Identifier(recorder.events_table_name))
            params: Any = (list(stream_ids),)
        else:
            marks = ",".join("?" for _ in stream_ids)
            statement = (f"SELECT originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                         f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version")
            params = [s.hex for s in stream_ids]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        by_stream: dict[str, list[Event]] = {}
        to_event = self.mapper.to_domain_event
        for row in rows:
            stored = StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                                 topic=row["topic"], state=bytes(row["state"]))
            by_stream.setdefault(str(row["originator_id"]), []).append(to_event(stored))
        return list(by_stream.values())

    def absent(self, stream_ids: Sequence[UUID]) -> set[UUID]:
        """Which of the streams have no events yet, in one query (an import asks this of hundreds of rows)."""
        if not stream_ids:
            return set()
        recorder: Any = self.recorder
        datastore = recorder.datastore
        if isinstance(recorder, PostgresApplicationRecorder):
            statement: Any = SQL("SELECT DISTINCT originator_id FROM {}.{} WHERE originator_id = ANY(%s)").format(
                Identifier(datastore.schema), Identifier(recorder.events_table_name))
            params: Any = (list(stream_ids),)
        else:
            marks = ",".join("?" for _ in stream_ids)
            statement = f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} WHERE originator_id IN ({marks})"
            params = [s.hex for s in stream_ids]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            present = {UUID(str(row["originator_id"])) for row in cursor.fetchall()}
        return set(stream_ids) - present

    @property
    def msgspec_mapper(self) -> MsgspecMapper:
        return cast(MsgspecMapper, self.mapper)


def postgres_conninfo(env: dict[str, str], **options: str) -> str:
    """A libpq connection string from the eventsourcing environment of the event store."""
    return str(psycopg.conninfo.make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=env["POSTGRES_CONNECT_TIMEOUT"],
        **options,
    ))


SCHEMA_LOCK_KEY: Final = 0x48756861  # any constant shared by every Huhang process


@contextmanager
def schema_lock(env: dict[str, str]) -> Iterator[None]:
    """One process at a time creates tables (and on PostgreSQL types and functions).

    The library's create statements race when several processes start at once: on PostgreSQL
    "tuple concurrently updated" and duplicate pg_type rows, on SQLite "database is locked" while
    switching to WAL. An advisory lock (PostgreSQL) or a file lock (SQLite) serialises them.
    """
    if env["PERSISTENCE_MODULE"] != POSTGRES_MODULE:
        # Private like every file beside the database (0600), also one an older release left readable.
        descriptor = os.open(env["SQLITE_DBNAME"] + ".lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)
        return
    with psycopg.connect(postgres_conninfo(env), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def open_store(settings: Settings) -> EventStore:
    """The event store the settings describe (tables created if missing)."""
    env = store_environment(settings)
    with schema_lock(env):
        return EventStore(env=env)
