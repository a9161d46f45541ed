"""A replayed submission (the same submission_id again, answered from its stored result) tells a caller about a child
exactly when the read of the same record does, now: in scope, out of scope by jurisdiction (API.md Conventions: a
child the caller may not see does not exist for them, 404 on reads and writes alike). A department handler sees a
child only while a referral or intervention for the child is open with their department (DESIGN.md §1 Privacy), but
their department's own referrals and case plans stay theirs, closed or not: the referral list shows them, their steps
are allowed on them (`Children.get_for_own_matter`), and so the replays of those steps answer — a police officer whose
completion was recorded but whose connection dropped gets the completion back, not a 404 for a write that was stored.
Over HTTP against the real server.

The expected statuses are written out; each replay is also compared with the reads made at that moment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.conftest import World, child_body
from tests.e2e.server import Api, sub


@dataclass
class Sent:
    """A write as its caller sent it, to be sent again."""

    who: Api
    path: str
    body: dict[str, Any]

    def again(self) -> httpx.Response:
        return self.who.post(self.path, self.body)


def first(who: Api, path: str, body: dict[str, Any]) -> Sent:
    answer = who.post(path, body)
    assert answer.status_code == 201, answer.text
    return Sent(who, path, body)


def outcome(answer: httpx.Response) -> tuple[int, str | None]:
    """Status, and the `code` of a refusal (a 200 has none)."""
    return answer.status_code, answer.json().get("code") if answer.status_code >= 400 else None


def replay_and_read(sent: Sent, child: str) -> tuple[tuple[int, str | None], tuple[int, str | None]]:
    replayed = sent.again()
    if replayed.status_code == 200:
        assert replayed.headers["Idempotent-Replayed"] == "true"
    return outcome(replayed), outcome(sent.who.get(f"/api/v1/children/{child}"))


SEEN = (200, None)
GONE = (404, "child_not_found")


def test_in_scope_the_replay_and_the_read_both_answer(world: World) -> None:
    director = world.as_("director")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/61")).json()["child_id"]
    writes = [first(director, f"/api/v1/children/{child}/risk-assessments", sub(level="yellow", reasons=["留守"])),
              first(director, f"/api/v1/children/{child}/profile", sub(school="某小学")),
              first(director, "/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                    guardian_present=True)),
              first(director, "/api/v1/referrals", sub(child_id=child, to_department="education", reason="辍学",
                                                       urgency="normal"))]
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, SEEN)] * 4


def test_out_of_scope_by_jurisdiction_the_replay_and_the_read_are_both_404(world: World) -> None:
    director = world.as_("director")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/62")).json()["child_id"]
    writes = [first(director, f"/api/v1/children/{child}/risk-assessments", sub(level="yellow", reasons=["留守"])),
              first(director, "/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                    guardian_present=True))]
    moved = world.as_("county").post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001",
                                                                               reason="搬家"))
    assert moved.status_code == 201, moved.text
    assert [replay_and_read(w, child) for w in writes] == [(GONE, GONE)] * 2


def handler_matters(world: World, place: str) -> tuple[str, str, str, list[Sent]]:
    """A child referred to the police; the police accept, note progress, plan and start a case plan of their own and
    review it: the child's id, the referral's, the case plan's, and the police's writes."""
    police = world.as_("police")
    child = world.as_("county").post("/api/v1/children", child_body(place, categories=["left_behind"])).json()["child_id"]
    referral = world.as_("director").post("/api/v1/referrals", sub(child_id=child, to_department="police",
                                                                     reason="疑似受侵害", urgency="urgent"))
    assert referral.status_code == 201, referral.text
    referral_id = referral.json()["referral_id"]
    writes = [first(police, f"/api/v1/referrals/{referral_id}/accept", sub(note="受理")),
              first(police, f"/api/v1/referrals/{referral_id}/progress", sub(note="已走访")),
              first(police, "/api/v1/interventions", sub(child_id=child, type="legal_aid", plan="法律援助",
                                                          responsible_department="police"))]
    plan = writes[-1].again().json()["intervention_id"]
    writes += [first(police, f"/api/v1/interventions/{plan}/start", sub(note="开始")),
               first(police, f"/api/v1/interventions/{plan}/review", sub(note="复核"))]
    return child, referral_id, plan, writes


def test_a_department_handler_with_the_matter_open_gets_the_replay_as_the_read(world: World) -> None:
    child, _, _, writes = handler_matters(world, "520302/001/003/63")
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, SEEN)] * 5


def listed(who: Api, referral: str) -> bool:
    return referral in {r["referral_id"] for r in who.get("/api/v1/referrals", limit=500).json()["items"]}


def test_a_department_handler_whose_matter_was_closed_still_gets_the_replays_of_its_steps_not_the_child(
        world: World) -> None:
    """Every step a department handler may take on their department's matters — a referral's steps, a case plan and
    its steps — replayed once the department has nothing open for the child any more: the replay answers (the matter
    is theirs, as the referral list shows), the child's read is 404. The retry of the very completion that closed the
    matter is one of them."""
    police, supervisor = world.as_("police"), world.as_("supervisor")
    child, referral, plan, writes = handler_matters(world, "520302/001/003/64")
    writes += [first(police, f"/api/v1/interventions/{plan}/end", sub(note="结束", outcome="已解决"))]
    assert replay_and_read(writes[-1], child) == (SEEN, SEEN)  # the referral is still open
    writes += [first(police, f"/api/v1/referrals/{referral}/complete", sub(note="结案", outcome="安全"))]
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, GONE)] * 7
    assert listed(police, referral)
    assert supervisor.get(f"/api/v1/children/{child}").status_code == 200  # the child is there for who may see it


def test_a_department_handler_whose_referral_was_declined_or_completed_by_a_supervisor_replays_their_steps(
        world: World) -> None:
    police, supervisor = world.as_("police"), world.as_("supervisor")
    declined_child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/65")).json()["child_id"]
    declined = world.as_("director").post("/api/v1/referrals", sub(child_id=declined_child, to_department="police",
                                                                     reason="核查", urgency="normal")).json()["referral_id"]
    decline = first(police, f"/api/v1/referrals/{declined}/decline", sub(note="不属本所管辖"))
    child, referral, _, writes = handler_matters(world, "520302/001/003/66")
    assert replay_and_read(writes[0], child) == (SEEN, SEEN)
    completed = supervisor.post(f"/api/v1/referrals/{referral}/complete", sub(note="督导结案", outcome="转民政"))
    assert completed.status_code == 201, completed.text
    # the police's own case plan is still open: they still see the child
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, SEEN)] * 5
    assert replay_and_read(decline, declined_child) == (SEEN, GONE)  # their own declined referral, not the child
    assert listed(police, declined)


def test_another_departments_open_matter_does_not_show_the_child_to_the_police(world: World) -> None:
    """The education department's referral stays open; the police's closed: the police's replays of their own steps
    answer, the child's read is 404 to them and 200 to education."""
    police = world.as_("police")
    child, referral, plan, writes = handler_matters(world, "520302/001/003/67")
    education = world.as_("director").post("/api/v1/referrals", sub(child_id=child, to_department="education",
                                                                     reason="辍学", urgency="normal"))
    assert education.status_code == 201, education.text
    first(police, f"/api/v1/interventions/{plan}/end", sub(note="结束", outcome="已解决"))
    first(police, f"/api/v1/referrals/{referral}/complete", sub(note="结案", outcome="安全"))
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, GONE)] * 5
    assert world.as_("education").get(f"/api/v1/children/{child}").status_code == 200


def test_a_matter_opened_again_shows_the_child_again(world: World) -> None:
    """Closed, the police's read of the child is 404 (their replays answer); a new referral to the police opens a
    matter again, and the read answers again: the child follows what the handler may see now, both ways."""
    police = world.as_("police")
    child, referral, plan, writes = handler_matters(world, "520302/001/003/68")
    first(police, f"/api/v1/interventions/{plan}/end", sub(note="结束", outcome="已解决"))
    first(police, f"/api/v1/referrals/{referral}/complete", sub(note="结案", outcome="安全"))
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, GONE)] * 5
    again = world.as_("director").post("/api/v1/referrals", sub(child_id=child, to_department="police",
                                                                  reason="再次发现", urgency="normal"))
    assert again.status_code == 201, again.text
    assert [replay_and_read(w, child) for w in writes] == [(SEEN, SEEN)] * 5


def test_a_department_handler_whose_child_moved_out_of_their_scope_gets_404_with_the_matter_still_open(
        world: World) -> None:
    """Scope comes first: the police of town A keep their referral open, the child moves to town B; their replays
    are 404, as their read."""
    child, _, _, writes = handler_matters(world, "520302/001/003/69")
    moved = world.as_("county").post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001",
                                                                               reason="搬家"))
    assert moved.status_code == 201, moved.text
    assert [replay_and_read(w, child) for w in writes] == [(GONE, GONE)] * 5
