"""The disclosure table of DESIGN.md §1 Privacy, written out here by hand, against its one home."""

from __future__ import annotations

from uuid import UUID

import pytest

from backend.disclosure import (
    CategoryFilter,
    ChildFacts,
    Disclosure,
    Kind,
    Shown,
    Whereabouts,
    category_filter,
    handler_sees,
    hidden_sealed_departments,
    names_child,
    sees_child,
    sees_own_matter_child,
    statistic,
)
from backend.identity import Actor
from events.vocabulary import Role

ROLES = ["grid_worker", "child_director", "supervisor", "department_handler", "auditor"]
SENSITIVE = ["crime_victim", "serious_misconduct", "child_of_incarcerated", "disabled"]
SEALABLE = ["serious_misconduct", "child_of_incarcerated"]
OPEN = ["left_behind", "in_distress", "de_facto_unsupported", "orphan", "idle_minor", "divorced_family",
        "early_marriage_risk", "unregistered"]

# The table, column by column (✔ = True).
FULL_ID_NUMBER = {"grid_worker": False, "child_director": True, "supervisor": True, "department_handler": False, "auditor": False}
SENSITIVE_CATEGORIES = {"grid_worker": False, "child_director": True, "supervisor": True, "department_handler": False, "auditor": True}
FREE_TEXT_BY_OTHERS = {"grid_worker": False, "child_director": True, "supervisor": True, "department_handler": False, "auditor": True}
SEALED_MATTERS = {"grid_worker": False, "child_director": False, "supervisor": False, "department_handler": False, "auditor": True}

READER_ID = UUID("00000000-0000-0000-0000-0000000000aa")
OTHER_ID = UUID("00000000-0000-0000-0000-0000000000bb")


def reader(role: str, department: str | None = None) -> Actor:
    return Actor(id=READER_ID, role=Role(role), scope="520302/001", department=department)


@pytest.mark.parametrize("role", ROLES)
def test_id_number_in_full_only_for_directors_and_supervisors(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts())
    expected = "520302201501011234" if FULL_ID_NUMBER[role] else "520302********1234"
    assert d.id_number("520302201501011234") == expected
    assert d.id_number(None) is None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("code", SENSITIVE)
def test_sensitive_categories_by_role(role: str, code: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=(code, "left_behind")))
    shown = d.categories([code, "left_behind"])
    if SENSITIVE_CATEGORIES[role]:
        assert shown == [code, "left_behind"] and d.withheld == set() and d.disclosed == {Kind.SENSITIVE}
    else:
        assert shown == ["left_behind"] and d.withheld == {"categories:sensitive"} and d.disclosed == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("code", OPEN)
def test_open_categories_are_shown_to_everyone_and_never_logged(role: str, code: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=(code,), sealed=True))
    assert d.categories([code]) == [code] and d.withheld == set() and d.disclosed == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("code", SEALABLE)
def test_a_sealing_order_hides_sealable_categories_from_all_but_auditors(role: str, code: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=(code,), sealed=True))
    if SEALED_MATTERS[role]:
        assert d.categories([code]) == [code] and d.disclosed == {Kind.SEALED}
    else:
        assert d.categories([code]) == [] and d.withheld == {"categories:sealed"}


@pytest.mark.parametrize("role", ROLES)
def test_sealing_leaves_victim_status_and_disability_sensitive_not_sealed(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("crime_victim", "disabled"), sealed=True))
    shown = d.categories(["crime_victim", "disabled"])
    assert shown == (["crime_victim", "disabled"] if SENSITIVE_CATEGORIES[role] else [])


@pytest.mark.parametrize("role", ROLES)
def test_free_text_by_others_about_a_sensitive_child(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("crime_victim",)))
    expected = "孩子说晚上害怕" if FREE_TEXT_BY_OTHERS[role] else None
    assert d.free_text("孩子说晚上害怕", author_id=OTHER_ID) == expected
    assert ("text:sensitive" in d.withheld) is (not FREE_TEXT_BY_OTHERS[role])


@pytest.mark.parametrize("role", ROLES)
def test_free_text_about_a_child_with_no_sensitive_category_is_shown_to_all(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("left_behind",)))
    assert d.free_text("家里没人", author_id=OTHER_ID) == "家里没人" and d.disclosed == set()


def test_the_author_always_sees_their_own_text() -> None:
    d = Disclosure(reader("grid_worker"), ChildFacts(categories=("crime_victim",)))
    assert d.free_text("我写的", author_id=READER_ID) == "我写的"
    assert d.free_text("我写的", author_id=str(READER_ID)) == "我写的"


def test_a_handler_sees_their_own_departments_referral_text_only() -> None:
    police = Disclosure(reader("department_handler", "police"), ChildFacts(categories=("crime_victim",)))
    assert police.free_text("涉嫌侵害", department="police") == "涉嫌侵害"
    assert police.free_text("学业困难", department="education") is None


@pytest.mark.parametrize("department", ["police", "procuratorate", "court"])
@pytest.mark.parametrize("role", ROLES)
def test_a_sealed_childs_justice_referrals_are_sealed_matters(role: str, department: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("serious_misconduct",), sealed=True))
    assert d.matter(department) is SEALED_MATTERS[role]


@pytest.mark.parametrize("department", ["police", "procuratorate", "court"])
def test_a_justice_handler_sees_their_own_referral_of_a_sealed_child(department: str) -> None:
    facts = ChildFacts(categories=("serious_misconduct",), sealed=True)
    assert Disclosure(reader("department_handler", department), facts).matter(department) is True
    other = "court" if department != "court" else "police"
    assert Disclosure(reader("department_handler", department), facts).matter(other) is False


@pytest.mark.parametrize("role", ROLES)
def test_other_departments_and_unsealed_children_are_not_sealed_matters(role: str) -> None:
    assert Disclosure(reader(role), ChildFacts(sealed=True)).matter("education") is True
    assert Disclosure(reader(role), ChildFacts(sealed=False)).matter("police") is True


@pytest.mark.parametrize("role", ROLES)
def test_a_list_filtered_on_a_withheld_category_matches_nothing_the_reader_may_not_see(role: str) -> None:
    expected_victim = CategoryFilter.ALL if SENSITIVE_CATEGORIES[role] else CategoryFilter.NONE
    assert category_filter(reader(role), "crime_victim") is expected_victim
    if not SENSITIVE_CATEGORIES[role]:
        expected_sealable = CategoryFilter.NONE
    else:
        expected_sealable = CategoryFilter.ALL if SEALED_MATTERS[role] else CategoryFilter.UNSEALED
    assert category_filter(reader(role), "serious_misconduct") is expected_sealable
    assert category_filter(reader(role), "left_behind") is CategoryFilter.ALL


@pytest.mark.parametrize(
    ("role", "count", "kind", "expected"),
    [
        ("supervisor", 0, Kind.SENSITIVE, 0),
        ("supervisor", 1, Kind.SENSITIVE, "<5"),
        ("supervisor", 4, Kind.SENSITIVE, "<5"),
        ("supervisor", 5, Kind.SENSITIVE, 5),
        ("supervisor", 3, Kind.SEALED, None),
        ("supervisor", 3, None, 3),
        ("auditor", 1, Kind.SENSITIVE, 1),
        ("auditor", 3, Kind.SEALED, 3),
        ("grid_worker", 7, Kind.SENSITIVE, None),
        ("child_director", 7, Kind.SENSITIVE, None),
        ("department_handler", 7, Kind.SENSITIVE, None),
        ("child_director", 7, None, 7),
    ],
)
def test_statistics_cells(role: str, count: int, kind: Kind | None, expected: int | str | None) -> None:
    assert statistic(reader(role), count, kind) == expected


def test_a_handler_sees_a_child_only_while_their_department_has_a_matter_open() -> None:
    assert handler_sees("police", ["police", "education"]) is True
    assert handler_sees("police", ["education"]) is False
    assert handler_sees("police", []) is False
    assert handler_sees(None, ["police"]) is False


@pytest.mark.parametrize(
    ("role", "department", "jurisdiction", "open_departments", "expected"),
    [
        ("child_director", None, "520302/001/003", [], True),
        ("child_director", None, "520302/0011/003", [], False),
        ("child_director", None, "520302/002/001", [], False),
        ("department_handler", "police", "520302/001/003", ["police"], True),
        ("department_handler", "police", "520302/001/003", ["education"], False),
        ("department_handler", "police", "520302/002/003", ["police"], False),
        ("auditor", None, "520302/001", [], True),
    ],
)
def test_scope_then_the_handler_rule(role: str, department: str | None, jurisdiction: str,
                                     open_departments: list[str], expected: bool) -> None:
    assert sees_child(reader(role, department), jurisdiction, open_departments) is expected


@pytest.mark.parametrize(
    ("role", "department", "jurisdiction", "open_departments", "expected"),
    [
        # a department handler's own matter is theirs, open or closed: scope alone
        ("department_handler", "police", "520302/001/003", [], True),
        ("department_handler", "police", "520302/001/003", ["education"], True),
        ("department_handler", "police", "520302/001/003", ["police"], True),
        ("department_handler", "police", "520302/002/003", ["police"], False),
        ("department_handler", "police", "520302/0011/003", ["police"], False),
        # anyone else exactly as sees_child
        ("child_director", None, "520302/001/003", [], True),
        ("child_director", None, "520302/002/001", [], False),
        ("supervisor", None, "520302/0011", [], False),
    ],
)
def test_the_child_of_a_handlers_own_matter_is_seen_by_scope_alone(role: str, department: str | None, jurisdiction: str,
                                                                   open_departments: list[str], expected: bool) -> None:
    assert sees_own_matter_child(reader(role, department), jurisdiction, open_departments) is expected


@pytest.mark.parametrize(
    ("role", "department", "hidden"),
    [
        ("grid_worker", None, {"police", "procuratorate", "court"}),
        ("child_director", None, {"police", "procuratorate", "court"}),
        ("supervisor", None, {"police", "procuratorate", "court"}),
        ("department_handler", "education", {"police", "procuratorate", "court"}),
        ("department_handler", "police", {"procuratorate", "court"}),
        ("department_handler", "court", {"police", "procuratorate"}),
        ("auditor", None, set()),
    ],
)
def test_which_sealed_referrals_a_list_leaves_out(role: str, department: str | None, hidden: set[str]) -> None:
    assert hidden_sealed_departments(reader(role, department)) == hidden


@pytest.mark.parametrize("role", ROLES)
def test_words_about_a_sealed_matter_are_sealed(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("serious_misconduct",), sealed=True))
    assert d.sealed_text("因多次盗窃被训诫") == ("因多次盗窃被训诫" if SEALED_MATTERS[role] else None)
    assert Disclosure(reader(role), ChildFacts(sealed=False)).sealed_text("理由") == "理由"


@pytest.mark.parametrize("role", ROLES)
def test_text_written_while_a_child_was_a_victim_stays_protected_after_the_category_is_removed(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("left_behind",), ever_sensitive=True))
    assert (d.free_text("旧笔记", author_id=OTHER_ID) is not None) is FREE_TEXT_BY_OTHERS[role]


def test_empty_text_is_not_a_showing_and_own_text_is() -> None:
    director = Disclosure(reader("child_director"), ChildFacts(categories=("crime_victim",)))
    assert director.free_text("", author_id=OTHER_ID) == "" and director.disclosed == set()
    grid = Disclosure(reader("grid_worker"), ChildFacts(categories=("crime_victim",)))
    assert grid.free_text("我写的", author_id=READER_ID) == "我写的" and grid.disclosed == {Kind.SENSITIVE}
    police = Disclosure(reader("department_handler", "police"), ChildFacts(categories=("crime_victim",)))
    assert police.free_text("转介理由", department="police") == "转介理由" and police.disclosed == {Kind.SENSITIVE}


@pytest.mark.parametrize("role", ROLES)
def test_what_a_sealed_matter_leaves_behind_says_only_that_it_is_withheld(role: str) -> None:
    facts = ChildFacts(categories=("serious_misconduct",), sealed=True)
    matter = Disclosure(reader(role), facts)
    text = Disclosure(reader(role), facts)
    record = Disclosure(reader(role), facts)
    shown_matter, shown_text, stand_in = matter.matter("police"), text.sealed_text("封存理由"), record.sealed_record()
    if SEALED_MATTERS[role]:
        assert shown_matter and shown_text == "封存理由" and stand_in is None
        assert matter.disclosed == text.disclosed == record.disclosed == {Kind.SEALED}
        assert matter.withheld == text.withheld == record.withheld == set()
    else:
        assert not shown_matter and shown_text is None and stand_in == {"withheld": "sealed"}
        assert matter.withheld == {"referrals:sealed"} and text.withheld == {"text:sealed"}
        assert record.withheld == {"sealed"}
        assert matter.disclosed == text.disclosed == record.disclosed == set()


@pytest.mark.parametrize("role", ROLES)
def test_free_text_shown_by_the_table_is_noted_as_a_sensitive_showing(role: str) -> None:
    d = Disclosure(reader(role), ChildFacts(categories=("crime_victim",)))
    d.free_text("他人所写", author_id=OTHER_ID)
    assert d.disclosed == ({Kind.SENSITIVE} if FREE_TEXT_BY_OTHERS[role] else set())


def test_only_a_handler_of_a_justice_department_sees_their_own_sealed_referrals() -> None:
    supervisor_with_department = Actor(id=READER_ID, role=Role.SUPERVISOR, scope="520302", department="police")
    assert hidden_sealed_departments(supervisor_with_department) == {"police", "procuratorate", "court"}


def test_one_request_notes_each_child_once_with_every_kind_shown() -> None:
    first, second = UUID("00000000-0000-0000-0000-000000000001"), UUID("00000000-0000-0000-0000-000000000002")
    shown = Shown()
    assert not shown
    nothing = Disclosure(reader("auditor"), ChildFacts(categories=("left_behind",)))
    nothing.categories(["left_behind"])
    shown.add(first, nothing)
    assert not shown and shown.kinds == {}
    victim = Disclosure(reader("auditor"), ChildFacts(categories=("crime_victim",)))
    victim.categories(["crime_victim"])
    sealed = Disclosure(reader("auditor"), ChildFacts(categories=("serious_misconduct",), sealed=True))
    sealed.categories(["serious_misconduct"])
    shown.add(str(first), victim)
    shown.add(first, sealed)
    shown.add(second, victim)
    assert shown and shown.kinds == {first: {Kind.SENSITIVE, Kind.SEALED}, second: {Kind.SENSITIVE}}


# An id of another child (a merged record's kept child, a kept child's merged duplicate) appears in a payload only
# if the reader may see that child: in scope by whole segments, and for a department handler only while their
# department has a matter open for it. A sealing order hides facts about a child, not the child.
KEPT = "00000000-0000-0000-0000-0000000000cc"
SYSTEM_READER = Actor(id=None, role=Role.ADMIN, scope="", username="system")


@pytest.mark.parametrize(("who", "where", "expected"), [
    (reader("supervisor"), Whereabouts(jurisdiction="520302/001/003/10"), True),  # same town
    (reader("supervisor"), Whereabouts(jurisdiction="520302/001"), True),  # the scope itself
    (reader("supervisor"), Whereabouts(jurisdiction="520302/002/001"), False),  # another town (transferred out)
    (reader("supervisor"), Whereabouts(jurisdiction="520302/0011/001"), False),  # a string-prefix neighbour
    (reader("supervisor"), Whereabouts(jurisdiction="520302"), False),  # the county above the scope
    (reader("supervisor"), None, False),  # no such child (not in the read model)
    (reader("child_director"), Whereabouts(jurisdiction="520302/001/003/10"), True),  # a sealed child is in sight too:
    (reader("grid_worker"), Whereabouts(jurisdiction="520302/001/003/10"), True),  # Whereabouts has no seal to ask
    (reader("auditor"), Whereabouts(jurisdiction="520302/001/003/10"), True),
    (reader("auditor"), Whereabouts(jurisdiction="520302/002/001"), False),
    (reader("department_handler", "police"), Whereabouts(jurisdiction="520302/001/003/10"), False),  # nothing open
    (reader("department_handler", "police"),
     Whereabouts(jurisdiction="520302/001/003/10", open_departments=("education",)), False),  # another department's
    (reader("department_handler", "police"),
     Whereabouts(jurisdiction="520302/001/003/10", open_departments=("police",)), True),
    (reader("department_handler", "police"),
     Whereabouts(jurisdiction="520302/002/001", open_departments=("police",)), False),  # open, but out of scope
    (SYSTEM_READER, Whereabouts(jurisdiction="520302/002/001"), True),  # the system itself (command line, demo)
])
def test_an_id_of_another_child_is_named_only_to_a_reader_who_may_see_that_child(
        who: Actor, where: Whereabouts | None, expected: bool) -> None:
    assert names_child(who, where) is expected


def test_a_payload_names_another_child_in_sight_and_says_it_withheld_one_out_of_sight() -> None:
    places = {KEPT: Whereabouts(jurisdiction="520302/002/001"), str(OTHER_ID): Whereabouts(jurisdiction="520302/001/003")}
    away = Disclosure(reader("supervisor"), ChildFacts(), places.get)
    data = {"reason": "duplicate", "merged_into": KEPT}
    assert away.other_children(data) == {"reason": "duplicate", "merged_into": None}
    assert away.withheld == {"merged_into:out_of_scope"}
    near = Disclosure(reader("supervisor"), ChildFacts(), places.get)
    assert near.other_children({"duplicate_child_id": str(OTHER_ID), "note": "n"}) == {
        "duplicate_child_id": str(OTHER_ID), "note": "n"}
    assert near.withheld == set() and near.disclosed == set()


def test_with_no_way_to_locate_another_child_its_id_is_withheld() -> None:
    d = Disclosure(reader("supervisor"), ChildFacts())
    assert d.other_child(KEPT, "merged_into") is None
    assert d.other_child(None, "merged_into") is None
    assert d.withheld == {"merged_into:out_of_scope"}
