"""A realistic demo county, deterministic for a seed, made through the same use cases as real work."""

from __future__ import annotations

import heapq
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from backend.bootstrap import Huhang
from backend.commands import (
    AssessRisk,
    InterventionStep,
    PlanIntervention,
    ReceiveReport,
    RecordVisit,
    ReferralStep,
    RegisterChild,
    SendReferral,
    TriageReport,
)
from backend.errors import DomainError
from backend.identity import SYSTEM, Actor
from backend.rules.id_number import check_digit
from backend.usecases.batch import Batch
from events.base import Geo
from events.cases import Observations, Reporter
from events.children import Guardian
from events.vocabulary import DEFAULT_VISIT_INTERVALS, Category, Department, InterventionType, RiskLevel, Role

COUNTY = "520302"
CENTRE = (27.70, 106.92)  # Zunyi, Guizhou
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林".replace("", " ").split()
GIVEN = "子涵 欣怡 梓轩 浩宇 雨桐 俊杰 诗琪 宇航 佳怡 思远 晨曦 明轩 可馨 天佑 若曦 家豪 文博 雅琪".split()
LEVEL_WEIGHTS = {RiskLevel.BLUE: 50, RiskLevel.YELLOW: 30, RiskLevel.ORANGE: 14, RiskLevel.RED: 6}
BATCH = 500
"""Submissions stored in one transaction."""
HANDLER_DEPARTMENTS = (Department.POLICE, Department.CIVIL_AFFAIRS, Department.EDUCATION, Department.HEALTH)


class SimClock:
    """The demo's clock: actions happen at their scheduled time, so history has months in it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Account:
    username: str
    password: str
    role: str
    scope: str
    department: str | None = None


@dataclass
class County:
    """The demo's places and people."""

    password: str = ""
    """Every account's first password."""
    villages: list[str] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, role: str, jurisdiction: str, department: str | None = None) -> Actor:
        """The account of that role whose scope covers the place (the most local one)."""
        best: Actor | None = None
        for a in self.actors.values():
            if a.role == role and (jurisdiction + "/").startswith(a.scope + "/") and a.department == department:
                if best is None or len(a.scope) > len(best.scope):
                    best = a
        if best is None:
            raise LookupError(f"no {role} for {jurisdiction}")
        return best


def make_accounts(towns: int, villages_per_town: int) -> County:
    """Every account of the county with one password, new for each county and printed with the logins."""
    county = County(password=f"demo-{secrets.token_hex(4)}")

    def account(username: str, role: str, scope: str, department: str | None = None) -> None:
        county.accounts.append(Account(username, county.password, role, scope, department))

    account("admin", "admin", COUNTY)
    account("auditor", "auditor", COUNTY)
    account("county_supervisor", "supervisor", COUNTY)
    for dept in HANDLER_DEPARTMENTS:
        account(f"{dept.value}_handler", "department_handler", COUNTY, dept.value)
    for t in range(1, towns + 1):
        town = f"{COUNTY}/{t:03d}"
        account(f"supervisor_{t:03d}", "supervisor", town)
        for v in range(1, villages_per_town + 1):
            village = f"{town}/{v:03d}"
            county.villages.append(village)
            account(f"director_{t:03d}_{v:03d}", "child_director", village)
            account(f"grid_{t:03d}_{v:03d}", "grid_worker", f"{village}/01")
    return county


def id_number(rng: random.Random, born: date, taken: set[str]) -> str:
    """A valid number for a child born that day, not yet given to another demo child (numbers are unique)."""
    while True:
        first17 = f"{COUNTY}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + check_digit(first17)
        if number not in taken:
            taken.add(number)
            return number


def near(rng: random.Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat + rng.uniform(-1, 1) * metres / 111_000, lon + rng.uniform(-1, 1) * metres / 98_000


class DemoWorld:
    """Schedules a county's work over months and carries it out in time order."""

    def __init__(self, app: Huhang, clock: SimClock, county: County, rng: random.Random, end: datetime) -> None:
        self.app, self.clock, self.county, self.rng, self.end = app, clock, county, rng, end
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.counter = 0
        self.commands = 0
        self.skipped: Counter[str] = Counter()
        self.id_numbers: set[str] = set()
        self.submission_ids: list[UUID] = []
        self.batch: Batch | None = None

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        if when <= self.end:
            self.counter += 1
            heapq.heappush(self.queue, (when, self.counter, action))

    def run(self) -> None:
        """Carry out every scheduled action; their submissions are stored BATCH at a time (one transaction each)."""
        with self.app.core.batch() as batch:
            self.batch = batch
            while self.queue:
                when, _, action = heapq.heappop(self.queue)
                self.clock.now = when
                try:
                    action()
                except DomainError as exc:  # a step the world no longer allows: skipped, as a worker would
                    self.skipped[exc.code] += 1
                self.commands += 1
                if batch.submissions >= BATCH:
                    batch.flush()

    def sub(self, **fields: Any) -> dict[str, Any]:
        if not self.submission_ids and self.batch is not None:
            self.submission_ids = self.batch.submission_ids(BATCH)
        submission_id = self.submission_ids.pop() if self.submission_ids else uuid4()
        return {"submission_id": submission_id, "occurred_at": self.clock.now, **fields}

    # -- one child's story ------------------------------------------------------------------

    def child(self, start: datetime) -> None:
        rng = self.rng
        village = rng.choice(self.county.villages)
        jurisdiction = f"{village}/{rng.randint(1, 3):02d}/{rng.randint(1, 4):02d}"
        born = (start - timedelta(days=rng.randint(365 * 2, 365 * 17))).date()
        home = near(rng, *CENTRE, 20_000)
        categories = rng.sample(list(Category), k=rng.choice((1, 1, 1, 2, 3)))
        director = self.county.actor("child_director", village)
        command = RegisterChild(
            **self.sub(),
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            sex=rng.choice(("male", "female")),
            birth_date=born,
            id_number=None if Category.UNREGISTERED in categories else id_number(rng, born, self.id_numbers),
            jurisdiction=jurisdiction,
            address=f"{village.replace('/', '-')} 第{rng.randint(1, 40)}号",
            home_geo=Geo(lat=round(home[0], 6), lon=round(home[1], 6), accuracy_m=10.0),
            categories=categories,
            guardians=[Guardian(relation=rng.choice(("祖父", "祖母", "母亲", "父亲")), name=rng.choice(SURNAMES) + "某",
                                phone=f"138{rng.randrange(10**8):08d}", able_to_care=rng.random() > 0.2)],
        )
        child_id = UUID(self.app.children.register(director, "demo-device", command).result["child_id"])
        level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        self.at(start + timedelta(hours=rng.randint(1, 48)), lambda: self.grade(director, child_id, level))
        self.schedule_visits(director, child_id, level, home, start)
        if level in (RiskLevel.RED, RiskLevel.ORANGE) or rng.random() < 0.1:
            self.at(start + timedelta(days=rng.randint(1, 5)), lambda: self.refer(director, child_id, level))
            self.at(start + timedelta(days=rng.randint(1, 4)), lambda: self.intervene(director, child_id, level))
        if rng.random() < 0.15:
            self.at(start + timedelta(days=rng.randint(5, 60)), lambda: self.report(village, jurisdiction, child_id))

    def grade(self, actor: Actor, child_id: UUID, level: RiskLevel) -> None:
        reasons = {"red": ["监护缺失", "疑似受到伤害"], "orange": ["监护能力弱"], "yellow": ["学习困难"], "blue": ["常规随访"]}
        self.app.children.assess_risk(actor, "demo-device", child_id, AssessRisk(**self.sub(), level=level,
                                                                              reasons=reasons[level.value]))

    def schedule_visits(self, actor: Actor, child_id: UUID, level: RiskLevel, home: tuple[float, float], start: datetime) -> None:
        interval = DEFAULT_VISIT_INTERVALS[level]
        when = start + timedelta(days=1)
        while when <= self.end:
            self.at(when, lambda: self.visit(actor, child_id, home))
            slack = self.rng.uniform(0.6, 1.3) if self.rng.random() > 0.1 else 2.0  # some are overdue
            when += interval * slack

    def visit(self, actor: Actor, child_id: UUID, home: tuple[float, float]) -> None:
        rng = self.rng
        lat, lon = near(rng, *home, 150)
        offline = rng.random() < 0.1
        occurred = self.clock.now - (timedelta(days=rng.randint(1, 4)) if offline else timedelta(minutes=rng.randint(0, 30)))
        command = RecordVisit(
            **(self.sub() | {"occurred_at": occurred}),
            geo=Geo(lat=round(lat, 6), lon=round(lon, 6), accuracy_m=rng.choice((5.0, 12.0, 30.0, 250.0))),
            child_id=child_id,
            visit_type=rng.choices(("home", "school", "phone"), weights=(80, 12, 8))[0],
            child_seen=rng.random() > 0.07,
            guardian_present=rng.random() > 0.2,
            observations=Observations(living_conditions="居住条件一般，有基本生活保障", state_of_mind="情绪稳定",
                                      needs=rng.choice(("学习用品", "心理疏导", "无")), problems=rng.choice(("无", "监护人外出务工"))),
            notes="入户走访，三看一查",
        )
        self.app.visits.record(actor, "demo-device", command)

    def refer(self, actor: Actor, child_id: UUID, level: RiskLevel) -> None:
        department = Department.POLICE if level == RiskLevel.RED else self.rng.choice(HANDLER_DEPARTMENTS[1:])
        outcome = self.app.referrals.send(actor, "demo-device", SendReferral(
            **self.sub(), child_id=child_id, to_department=department, reason="需要部门协同处置",
            urgency="urgent" if level == RiskLevel.RED else "normal"))
        referral_id = UUID(outcome.result["referral_id"])
        handler = self.county.actor("department_handler", COUNTY, department.value)
        accept_after = timedelta(hours=self.rng.uniform(0.5, 40))
        self.at(self.clock.now + accept_after, lambda: self.app.referrals.accept(
            handler, "demo-device", referral_id, ReferralStep(**self.sub(), note="已受理")))
        if self.rng.random() < 0.7:
            self.at(self.clock.now + accept_after + timedelta(days=self.rng.randint(3, 40)),
                    lambda: self.app.referrals.complete(handler, "demo-device", referral_id,
                                                        ReferralStep(**self.sub(), note="已办结", outcome="已落实帮扶措施")))

    def intervene(self, actor: Actor, child_id: UUID, level: RiskLevel) -> None:
        kind = InterventionType.TEMPORARY_GUARDIANSHIP if level == RiskLevel.RED else self.rng.choice(list(InterventionType))
        outcome = self.app.interventions.plan(actor, "demo-device", PlanIntervention(
            **self.sub(), child_id=child_id, type=kind, plan="制定个案帮扶计划",
            responsible_department=Department.CIVIL_AFFAIRS))
        iid = UUID(outcome.result["intervention_id"])
        step = InterventionStep
        self.at(self.clock.now + timedelta(hours=6), lambda: self.app.interventions.start(
            actor, "demo-device", iid, step(**self.sub(), note="开始实施")))
        self.at(self.clock.now + timedelta(days=14), lambda: self.app.interventions.review(
            actor, "demo-device", iid, step(**self.sub(), note="阶段评估：有改善")))
        if self.rng.random() < 0.5:
            self.at(self.clock.now + timedelta(days=45), lambda: self.app.interventions.end(
                actor, "demo-device", iid, step(**self.sub(), note="结案", outcome="风险解除")))

    def report(self, village: str, jurisdiction: str, child_id: UUID) -> None:
        director = self.county.actor("child_director", village)
        outcome = self.app.reports.receive(director, "demo-device", ReceiveReport(
            **self.sub(), source=self.rng.choice(("hotline", "mandatory", "sentinel", "walk_in")),
            reporter=Reporter(role="teacher", name="李老师"), description="发现儿童长期独自在家",
            jurisdiction=jurisdiction, child_id=child_id, urgency="normal"))
        report_id = UUID(outcome.result["report_id"])
        self.at(self.clock.now + timedelta(hours=self.rng.uniform(1, 30)), lambda: self.app.reports.triage(
            director, "demo-device", report_id, TriageReport(**self.sub(), child_id=child_id, decision="monitor")))


def generate(app: Huhang, clock: SimClock, children: int, seed: int, months: int = 6) -> tuple[list[Account], int, Counter[str]]:
    """Fill the store with a county: accounts, then `children` children and months of their work."""
    rng = random.Random(seed)
    end = clock.now
    towns = max(1, min(9, children // 100 + 1))
    county = make_accounts(towns, villages_per_town=max(2, min(12, children // (towns * 10) + 1)))
    start = end - timedelta(days=30 * months)
    clock.now = start - timedelta(days=1)
    views = app.users.add_many(SYSTEM, [(acc.username, acc.role, acc.scope, acc.department) for acc in county.accounts],
                               county.password)
    for acc, view in zip(county.accounts, views, strict=True):
        county.actors[acc.username] = Actor(
            id=UUID(view["id"]), role=Role(acc.role), scope=acc.scope, department=acc.department, username=acc.username
        )
    world = DemoWorld(app, clock, county, rng, end)
    for _ in range(children):
        first = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds() * 0.8))
        world.at(first, lambda first=first: world.child(first))  # type: ignore[misc]
    world.run()
    clock.now = end
    return county.accounts, world.commands, world.skipped


def demo_clock(now: datetime | None = None) -> SimClock:
    """A clock for generating history ending now."""
    return SimClock(now or datetime.now(UTC))


def iter_accounts(accounts: list[Account]) -> Iterator[str]:
    for acc in accounts:
        dept = f" ({acc.department})" if acc.department else ""
        yield f"{acc.username:24} {acc.password:16} {acc.role}{dept} @ {acc.scope}"
