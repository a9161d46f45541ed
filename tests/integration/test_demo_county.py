"""The demo county is the same for a seed: the same children and the same work, however it is written."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from backend.bootstrap import bootstrap
from backend.child import Child
from backend.demo import demo_clock, generate
from backend.settings import Settings
from backend.tamper import verify

# Written out from the county that seed 4 made (20 children, ending 2026-06-01 08:00 UTC) before its submissions were
# stored in batches; a change to the generator that changes the county changes these on purpose.
EVENTS_BY_TYPE = {
    "ChildRegistered": 20, "DepartmentMatterClosed": 6, "DepartmentMatterOpened": 12, "IdNumberClaimed": 19,
    "InterventionEnded": 3, "InterventionPlanned": 6, "InterventionReviewed": 6, "InterventionStarted": 6,
    "ReferralAccepted": 6, "ReferralCompleted": 3, "ReferralSent": 6, "ReportReceived": 4, "ReportTriaged": 4,
    "RiskAssessed": 20, "SubmissionAccepted": 212, "UserRegistered": 14, "VisitRecorded": 128,
}
CHILDREN = [  # name, birth date, jurisdiction, risk level
    ("周若曦", "2010-11-26", "520302/001/003/01/03", "blue"),
    ("孙梓轩", "2012-04-16", "520302/001/001/03/01", "yellow"),
    ("张欣怡", "2020-08-05", "520302/001/001/03/02", "orange"),
    ("朱文博", "2018-06-21", "520302/001/003/02/01", "yellow"),
    ("杨雅琪", "2020-01-01", "520302/001/001/01/04", "blue"),
    ("王俊杰", "2020-09-26", "520302/001/002/01/02", "yellow"),
    ("王天佑", "2016-04-14", "520302/001/002/03/04", "blue"),
    ("王家豪", "2014-07-04", "520302/001/002/02/01", "yellow"),
    ("罗家豪", "2021-10-21", "520302/001/003/02/04", "blue"),
    ("罗家豪", "2022-02-20", "520302/001/002/02/01", "blue"),
    ("郭宇航", "2010-04-03", "520302/001/003/03/02", "blue"),
    ("郭宇航", "2010-08-19", "520302/001/001/01/02", "blue"),
    ("马宇航", "2020-07-11", "520302/001/001/01/02", "yellow"),
    ("马梓轩", "2011-04-25", "520302/001/002/01/03", "yellow"),
    ("马雅琪", "2018-10-12", "520302/001/003/01/02", "red"),
    ("高家豪", "2019-10-09", "520302/001/002/03/03", "orange"),
    ("黄家豪", "2016-04-22", "520302/001/003/02/03", "blue"),
    ("黄文博", "2022-09-17", "520302/001/002/03/04", "orange"),
    ("黄明轩", "2014-05-17", "520302/001/003/02/02", "blue"),
    ("黄梓轩", "2023-02-27", "520302/001/002/01/02", "orange"),
]


def test_seed_4_makes_the_same_county_with_every_chain_intact(tmp_path: Path) -> None:
    clock = demo_clock(datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
    with bootstrap(Settings(data_dir=tmp_path), clock) as app:
        accounts, commands, refused = generate(app, clock, 20, seed=4)
        assert (len(accounts), commands, dict(refused)) == (14, 212, {})
        events = Counter(note.topic.rsplit(":", 1)[1] for note in app.store.notifications())
        assert dict(events) == EVENTS_BY_TYPE
        children = []
        for note in app.store.notifications(topics=["events.children:ChildRegistered"]):
            child = app.store.load(Child, note.originator_id)
            assert child is not None
            children.append((child.profile["name"], str(child.profile["birth_date"]), child.jurisdiction,
                             child.risk_level))
        assert sorted(children) == CHILDREN
        assert verify(app.store).ok
