"""Who may see sensitive and sealed matters: one rule, used by every read."""

from __future__ import annotations

from typing import Final

from events.vocabulary import Category, Department, Role

SENSITIVE_CATEGORIES: Final = frozenset(
    {Category.CRIME_VICTIM, Category.CHILD_OF_INCARCERATED, Category.SERIOUS_MISCONDUCT, Category.DISABLED}
)
"""Victim status, criminal-record matters and health: returned only to roles that need them."""

SEALABLE_CATEGORIES: Final = frozenset({Category.SERIOUS_MISCONDUCT, Category.CHILD_OF_INCARCERATED})
"""What a sealing order (犯罪记录封存) hides, with referrals to the justice departments below."""

JUSTICE_DEPARTMENTS: Final = frozenset({Department.POLICE, Department.PROCURATORATE, Department.COURT})

SENSITIVE_ROLES: Final = frozenset({Role.CHILD_DIRECTOR, Role.SUPERVISOR, Role.AUDITOR})
SEALED_ROLES: Final = frozenset({Role.AUDITOR})


class Disclosure:
    """What one reader may see of one child, and what of it must be logged as read."""

    def __init__(self, role: Role, sealed: bool) -> None:
        self.role = role
        self.sealed = sealed
        self.withheld: set[str] = set()
        self.disclosed: set[str] = set()

    def categories(self, categories: list[str]) -> list[str]:
        """The categories this reader sees; the rest is marked withheld (not silently dropped)."""
        shown = []
        for code in categories:
            kind = self.kind_of_category(code)
            if kind is None:
                shown.append(code)
            elif self.may_see(kind):
                shown.append(code)
                self.disclosed.add(kind)
            else:
                self.withheld.add(f"categories:{kind}")
        return shown

    def kind_of_category(self, code: str) -> str | None:
        if self.sealed and code in SEALABLE_CATEGORIES:
            return "sealed"
        return "sensitive" if code in SENSITIVE_CATEGORIES else None

    def may_see(self, kind: str) -> bool:
        return self.role in (SEALED_ROLES if kind == "sealed" else SENSITIVE_ROLES)

    def department_matter(self, department: str) -> str | None:
        """A referral to the justice departments is sealed once the record is."""
        return "sealed" if self.sealed and department in JUSTICE_DEPARTMENTS else None
