"""A county for the console: a red child graded up over ten days and visited with a photo whose time disagrees
with the visit, a sealed child, and a child in the other town; the accounts of tests/e2e/conftest.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, PLACE_A, USERS, World, child_body
from tests.e2e.server import add_users, running_server, sub
from tests.media.images import jpeg

CHINA = timezone(timedelta(hours=8))
HOME = (26.5783, 106.7135)
VISIT_PLACE = (26.5803, 106.7155)
"""About 290 m from the home: inside the 500 m the far-from-home rule allows."""
SEALED_ID = "520302201606067894"
SEALED_ID_MASKED = "520302********7894"


class ConsoleWorld(World):
    """The server, and the children the console tests look at."""

    def __init__(self, base: str, settings: Settings) -> None:
        super().__init__(base)
        self.settings = settings
        now = datetime.now(UTC)
        self.started = now
        county, director, supervisor = self.as_("county"), self.as_("director"), self.as_("supervisor")
        body = child_body(PLACE_A, name="红儿", occurred_at=(now - timedelta(days=10)).isoformat(),
                          home_geo={"lat": HOME[0], "lon": HOME[1], "accuracy_m": 5})
        self.red = county.post("/api/v1/children", body).json()["child_id"]
        for level, days, who in (("yellow", 8, director), ("red", 2, supervisor)):
            answer = who.post(f"/api/v1/children/{self.red}/risk-assessments",
                              sub(level=level, reasons=[f"{level} 评估"], occurred_at=(now - timedelta(days=days)).isoformat()))
            assert answer.status_code == 201, answer.text
        self.visited_at = now - timedelta(days=1)
        photo = jpeg(taken=(self.visited_at - timedelta(days=3)).astimezone(CHINA), gps=HOME, seed=41)
        self.photo = hashlib.sha256(photo).hexdigest()
        stored = director.http.post("/api/v1/media", files={"file": ("p.jpg", photo, "image/jpeg")},
                                    data={"child_id": self.red})
        assert stored.status_code == 201, stored.text
        visit = director.post("/api/v1/visits", sub(
            child_id=self.red, visit_type="home", child_seen=True, guardian_present=True, photos=[self.photo],
            geo={"lat": VISIT_PLACE[0], "lon": VISIT_PLACE[1], "accuracy_m": 8},
            observations={"living_conditions": "整洁", "state_of_mind": "平稳", "needs": "学习用品", "problems": "无"},
            notes="入户走访", occurred_at=self.visited_at.isoformat()))
        assert visit.status_code == 201, visit.text
        sealed = child_body(PLACE_A, name="封存儿", birth_date="2016-06-06", id_number=SEALED_ID,
                            categories=["left_behind", "serious_misconduct"])
        self.sealed = county.post("/api/v1/children", sealed).json()["child_id"]
        assert supervisor.post(f"/api/v1/children/{self.sealed}/seal", sub(reason="法院封存决定")).status_code == 201
        self.elsewhere = self.child_b  # in town B, outside the town A supervisor's scope

    def before_red(self) -> date:
        """A day (China time) after the yellow grading and before the red one."""
        return (self.started - timedelta(days=5)).astimezone(CHINA).date()


@pytest.fixture(scope="package")
def console_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The server believes X-Forwarded-Proto from a proxy on its own host (as behind a TLS-terminating proxy)."""
    return Settings(data_dir=Path(tmp_path_factory.mktemp("console-server")), trusted_proxies=("127.0.0.1",))


@pytest.fixture(scope="package")
def console(console_settings: Settings) -> Iterator[ConsoleWorld]:
    add_users(console_settings, USERS, PASSWORD)
    with running_server(console_settings) as base:
        world = ConsoleWorld(base, console_settings)
        yield world
        world.close()

