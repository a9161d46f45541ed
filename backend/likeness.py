"""Is this the same child under another spelling? A score for likely duplicates (one home for the rule).

Village ledgers write one child's name with different characters of the same sound (王晓明 / 王小明), so
names are compared by their pinyin as well as by their characters. A likely duplicate has the same birth
date, a name that reads the same or nearly, and the same guardian or the same address.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import lru_cache
from typing import Final

import msgspec
from pypinyin import lazy_pinyin

LIKELY_AT: Final = 0.8
"""The score from which a pair is reported as a likely duplicate."""


class Person(msgspec.Struct, frozen=True):
    """What a roster row or a registered child says about who the child is."""

    name: str
    birth_date: str
    guardian: str
    address: str


@lru_cache(maxsize=65536)
def sound_of(name: str) -> str:
    """The name as pinyin syllables without tones."""
    return " ".join(lazy_pinyin(name.replace(" ", "")))


def name_likeness(a: str, b: str) -> float:
    """1 for the same characters; 0.95 for the same sound in other characters; else how alike the sounds are."""
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if a == b:
        return 1.0
    sound_a, sound_b = sound_of(a), sound_of(b)
    if sound_a == sound_b:
        return 0.95
    return round(SequenceMatcher(None, sound_a, sound_b).ratio() * 0.9, 2)


def text_likeness(a: str, b: str) -> float:
    """Addresses and guardians' names: the same text, or how alike (blank never matches)."""
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return round(SequenceMatcher(None, a, b).ratio(), 2)


def likeness(a: Person, b: Person) -> float:
    """The score of two records being one child: 0 unless born the same day; then name, and guardian or address."""
    if a.birth_date != b.birth_date:
        return 0.0
    household = max(name_likeness(a.guardian, b.guardian) if a.guardian and b.guardian else 0.0,
                    text_likeness(a.address, b.address))
    return round(0.2 + 0.5 * name_likeness(a.name, b.name) + 0.3 * household, 2)


class Register:
    """People already known (registered children, earlier rows of the file), looked up by birth date and the sound
    of the surname: a likely duplicate shares both. A bucket holds at most `BUCKET` people, so a file of thousands
    of rows with one birth date and surname costs thousands of comparisons, not millions (past that, a row is
    compared with the first `BUCKET` only)."""

    BUCKET: Final = 64

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, str], list[tuple[str, Person]]] = {}

    @staticmethod
    def key(person: Person) -> tuple[str, str]:
        name = person.name.replace(" ", "")
        return person.birth_date, sound_of(name[:1]) if name else ""

    def add(self, ref: str, person: Person) -> None:
        """Know `person` under `ref` (a child id, or `row:N` for a row of the file being read)."""
        bucket = self.buckets.setdefault(self.key(person), [])
        if len(bucket) < self.BUCKET:
            bucket.append((ref, person))

    def best(self, person: Person) -> tuple[str, float] | None:
        """The known record most like `person`, if it is likely the same child."""
        found = None
        for ref, other in self.buckets.get(self.key(person), ()):
            score = likeness(person, other)
            if score >= LIKELY_AT and (found is None or score > found[1]):
                found = (ref, score)
        return found
