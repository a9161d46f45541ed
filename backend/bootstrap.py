"""The composition root of the write side: build everything from settings, hand it in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from backend.settings import Settings
from backend.store import EventStore, open_store
from backend.usecases.audit import Audit
from backend.usecases.children import Children
from backend.usecases.core import Core, utc_now
from backend.usecases.interventions import Interventions
from backend.usecases.lifecycle import Lifecycle
from backend.usecases.notices import Notices
from backend.usecases.photos import Ingest, Photos
from backend.usecases.referrals import Referrals
from backend.usecases.reports import Reports
from backend.usecases.users import Users
from backend.usecases.visits import Visits


class Huhang:
    """Every use case over one event store."""

    def __init__(
        self,
        settings: Settings,
        store: EventStore,
        clock: Callable[[], datetime] = utc_now,
        ingest: Ingest | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.core = Core(store, settings.policy, clock)
        self.children = Children(self.core)
        self.visits = Visits(self.core, self.children)
        self.lifecycle = Lifecycle(self.core, self.children)
        self.referrals = Referrals(self.core, self.children)
        self.reports = Reports(self.core, self.children, self.referrals)
        self.interventions = Interventions(self.core, self.children)
        self.users = Users(self.core)
        self.audit = Audit(self.core)
        self.notices = Notices(self.core)
        self.photos = Photos(self.core, self.children, ingest)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Huhang:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def bootstrap(settings: Settings, clock: Callable[[], datetime] = utc_now, ingest: Ingest | None = None) -> Huhang:
    """The application the settings describe (`ingest`, the media layer's part of photo uploads, is handed in by
    the composition root: without it, the write side takes no uploads)."""
    return Huhang(settings, open_store(settings), clock, ingest)
