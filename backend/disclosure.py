"""The disclosure table (DESIGN.md §1 Privacy): who may see which facts about a child.

Every exit that shows something about a child asks here — reads, list filters, sync, write answers,
conflicts, as-of, history, referral lists, statistics — and nothing else decides it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

import msgspec

from backend.identity import Actor
from backend.rules.id_number import mask_id_number
from backend.rules.jurisdiction import within_scope
from events.vocabulary import Category, Department, Role


class Kind(StrEnum):
    """The kinds of protected fact; each showing of one is recorded in the access log."""

    SENSITIVE = "sensitive"
    SEALED = "sealed"


SENSITIVE_CATEGORIES: Final = frozenset(
    {Category.CRIME_VICTIM, Category.CHILD_OF_INCARCERATED, Category.SERIOUS_MISCONDUCT, Category.DISABLED}
)
"""Victim status, criminal-record matters and health."""

SEALABLE_CATEGORIES: Final = frozenset({Category.SERIOUS_MISCONDUCT, Category.CHILD_OF_INCARCERATED})
"""What a sealing order (犯罪记录封存) hides, with the justice departments' referrals below."""

JUSTICE_DEPARTMENTS: Final = frozenset({Department.POLICE, Department.PROCURATORATE, Department.COURT})

_F, _D, _S, _H, _A = Role.GRID_WORKER, Role.CHILD_DIRECTOR, Role.SUPERVISOR, Role.DEPARTMENT_HANDLER, Role.AUDITOR

FULL_ID_NUMBER_ROLES: Final = frozenset({_D, _S})
"""ID number in full; everyone else sees it masked (520302********1234)."""

SENSITIVE_ROLES: Final = frozenset({_D, _S, _A})
"""Sensitive categories, and free text by others about a child with a sensitive category."""

SEALED_ROLES: Final = frozenset({_A})
"""Sealed matters; a justice department's handler also sees their own department's referral."""

STATISTICS_ROLES: Final = frozenset({_S, _A})
SMALL_CELL: Final = 5
"""Supervisors see a count of 1 to 4 in a sensitive cell as "<5"; auditors see every count."""


def has_sensitive(categories: Iterable[str]) -> bool:
    return any(code in SENSITIVE_CATEGORIES for code in categories)


class ChildFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What about a child decides what of it is protected."""

    categories: tuple[str, ...] = ()
    sealed: bool = False
    ever_sensitive: bool = False
    """The child has had a sensitive category at some time: what was written then stays protected."""

    @property
    def sensitive(self) -> bool:
        return self.ever_sensitive or has_sensitive(self.categories)


def may_see(reader: Actor, kind: Kind) -> bool:
    """The table's two protected columns, by role."""
    return reader.role in (SEALED_ROLES if kind is Kind.SEALED else SENSITIVE_ROLES)


def category_kind(code: str, sealed: bool) -> Kind | None:
    """A category is sealed under a sealing order if sealable, else sensitive if listed, else open."""
    if sealed and code in SEALABLE_CATEGORIES:
        return Kind.SEALED
    return Kind.SENSITIVE if code in SENSITIVE_CATEGORIES else None


def is_sealed_matter(department: str, child: ChildFacts) -> bool:
    """A justice department's referral about a child whose record is sealed."""
    return child.sealed and department in JUSTICE_DEPARTMENTS


def hidden_sealed_departments(reader: Actor) -> frozenset[str]:
    """The departments whose referrals of a sealed child this reader may not know of (lists filter on this)."""
    if may_see(reader, Kind.SEALED):
        return frozenset()
    if reader.role == Role.DEPARTMENT_HANDLER and reader.department in JUSTICE_DEPARTMENTS:
        return JUSTICE_DEPARTMENTS - {reader.department}
    return JUSTICE_DEPARTMENTS


def handler_sees(department: str | None, open_departments: Iterable[str]) -> bool:
    """A department handler sees a child only while a matter of their department is open for it."""
    return department is not None and department in set(open_departments)


def sees_child(actor: Actor, jurisdiction: str, open_departments: Iterable[str]) -> bool:
    """Scope first (whole segments), then the department-handler rule: reads and writes both ask this."""
    if not within_scope(jurisdiction, actor.scope):
        return False
    return actor.role != Role.DEPARTMENT_HANDLER or handler_sees(actor.department, open_departments)


def sees_own_matter_child(actor: Actor, jurisdiction: str, open_departments: Iterable[str]) -> bool:
    """The child of a referral or intervention the actor's department holds (its steps, and their replays): for a
    department handler the matter itself is what they may see, open or closed, so scope alone decides; anyone else
    as `sees_child`. (Whether the matter is theirs, and whether a seal hides it, the referral's and intervention's
    own `get` decides.)"""
    if actor.role == Role.DEPARTMENT_HANDLER:
        return within_scope(jurisdiction, actor.scope)
    return sees_child(actor, jurisdiction, open_departments)


class Whereabouts(msgspec.Struct, frozen=True, kw_only=True):
    """What decides whether a reader may see a child: where it is, and which departments have a matter open for it.

    It carries no seal: a sealing order hides facts about a child, not the child."""

    jurisdiction: str
    open_departments: tuple[str, ...] = ()


Locate = Callable[[str], Whereabouts | None]
"""Where a child (by id) is now; None for a child that does not exist."""

OTHER_CHILD_FIELDS: Final = ("merged_into", "duplicate_child_id")
"""Payload fields that name a child other than the one the payload is about."""


def names_child(reader: Actor, other: Whereabouts | None) -> bool:
    """An id of another child appears in a payload only if the reader may see that child (`sees_child`: in scope,
    and for a department handler only while their department has a matter open for it). The id alone says that
    the child exists, links it to the child shown, and can be probed, so it is withheld like any other fact."""
    if reader.id is None:  # the system itself (command line, demo data)
        return True
    return other is not None and sees_child(reader, other.jurisdiction, other.open_departments)


class CategoryFilter(StrEnum):
    """How a list filtered on a category answers: as if nothing matched what the reader may not see."""

    ALL = "all"
    UNSEALED = "unsealed"
    NONE = "none"


def category_filter(reader: Actor, code: str) -> CategoryFilter:
    """Which children a filter on `code` may match for this reader."""
    if code in SENSITIVE_CATEGORIES and not may_see(reader, Kind.SENSITIVE):
        return CategoryFilter.NONE
    if code in SEALABLE_CATEGORIES and not may_see(reader, Kind.SEALED):
        return CategoryFilter.UNSEALED
    return CategoryFilter.ALL


def statistic(reader: Actor, count: int, kind: Kind | None) -> int | str | None:
    """A statistics cell: open cells as they are; sensitive cells small-celled for supervisors."""
    if kind is None or reader.role in SEALED_ROLES:
        return count
    if kind is Kind.SEALED or reader.role not in STATISTICS_ROLES:
        return None
    return f"<{SMALL_CELL}" if 0 < count < SMALL_CELL else count


class Disclosure:
    """What one reader may see of one child; it notes what it withheld and what protected facts it showed."""

    def __init__(self, reader: Actor, child: ChildFacts, locate: Locate | None = None) -> None:
        self.reader = reader
        self.child = child
        self.locate = locate
        """Where other children are, for the ids of them a payload holds; without it those ids are withheld."""
        self.withheld: set[str] = set()
        self.disclosed: set[Kind] = set()

    def _shown(self, kind: Kind, withheld_as: str) -> bool:
        if may_see(self.reader, kind):
            self.disclosed.add(kind)
            return True
        self.withheld.add(withheld_as)
        return False

    def categories(self, codes: Iterable[str]) -> list[str]:
        """The categories this reader sees; the rest is marked withheld, not silently dropped."""
        shown = []
        for code in codes:
            kind = category_kind(code, self.child.sealed)
            if kind is None or self._shown(kind, f"categories:{kind}"):
                shown.append(code)
        return shown

    def id_number(self, value: str | None) -> str | None:
        """In full for the roles that need it, masked for everyone else."""
        return value if self.reader.role in FULL_ID_NUMBER_ROLES else mask_id_number(value)

    def free_text(self, text: str | None, author_id: str | UUID | None = None, department: str | None = None) -> str | None:
        """Notes, observations, descriptions and reasons written by others about a child with a sensitive category.

        The author always sees their own text; a handler sees their own department's referral text.
        """
        if not text or not self.child.sensitive:
            return text
        own = author_id is not None and self.reader.id is not None and str(author_id) == str(self.reader.id)
        own_department = self.reader.role == Role.DEPARTMENT_HANDLER and department is not None \
            and department == self.reader.department
        if own or own_department:
            self.disclosed.add(Kind.SENSITIVE)
            return text
        return text if self._shown(Kind.SENSITIVE, "text:sensitive") else None

    def sealed_text(self, text: str | None) -> str | None:
        """Words about a sealed matter (the reason a sealable category was given or taken away)."""
        if not text or not self.child.sealed:
            return text
        return text if self._shown(Kind.SEALED, "text:sealed") else None

    def matter(self, department: str) -> bool:
        """Whether a referral (or its trace, such as its id among open referrals) to `department` is shown."""
        if not is_sealed_matter(department, self.child):
            return True
        if department not in hidden_sealed_departments(self.reader):
            self.disclosed.add(Kind.SEALED)
            return True
        self.withheld.add("referrals:sealed")
        return False

    def other_child(self, child_id: str | UUID | None, field: str) -> str | None:
        """The id of another child in `field`, if the reader may see that child (`names_child`); else None, and
        `withheld` says `<field>:out_of_scope`."""
        if child_id is None:
            return None
        where = self.locate(str(child_id)) if self.locate is not None else None
        if names_child(self.reader, where):
            return str(child_id)
        self.withheld.add(f"{field}:out_of_scope")
        return None

    def other_children(self, data: dict[str, Any], fields: Iterable[str] = OTHER_CHILD_FIELDS) -> dict[str, Any]:
        """`data` with each field naming another child (`fields`) as the reader may see it."""
        for field in fields:
            if data.get(field) is not None:
                data[field] = self.other_child(data[field], field)
        return data

    def sealed_record(self) -> dict[str, str] | None:
        """For a stream the sealing order covers: None if shown, else what stands in its place."""
        if may_see(self.reader, Kind.SEALED):
            self.disclosed.add(Kind.SEALED)
            return None
        self.withheld.add("sealed")
        return {"withheld": "sealed"}


class Shown:
    """The protected facts one request showed, child by child: one access event per request."""

    def __init__(self) -> None:
        self.kinds: dict[UUID, set[Kind]] = {}

    def add(self, child_id: UUID | str, disclosure: Disclosure) -> None:
        if disclosure.disclosed:
            key = child_id if isinstance(child_id, UUID) else UUID(child_id)
            self.kinds.setdefault(key, set()).update(disclosure.disclosed)

    def __bool__(self) -> bool:
        return bool(self.kinds)
