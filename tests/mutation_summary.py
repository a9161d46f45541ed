"""Kill rate per module from `mutmut results --all true` on standard input (used by `make mutation`).

Timeouts count as killed (mutmut's convention); mutants no test reaches, skipped or not yet run are left out.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

KILLED = {"killed", "timeout"}
UNTESTED = {"no tests", "skipped", "not checked"}
_LINE = re.compile(r"^\s*(?P<module>[\w.]+)\.x(?:ǁ|_)\S*__mutmut_\d+:\s*(?P<status>.+?)\s*$")


def tally(lines: list[str]) -> dict[str, Counter[str]]:
    """Statuses counted per module."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for line in lines:
        found = _LINE.match(line)
        if found:
            counts[found["module"]][found["status"]] += 1
    return counts


def percent(killed: int, tested: int) -> str:
    return f"{100 * killed / tested:.1f}%" if tested else "-"


def main() -> int:
    counts = tally(sys.stdin.read().splitlines())
    total_killed = total_tested = 0
    print(f"{'module':40} {'mutants':>8} {'killed':>7} {'survived':>9} {'untested':>9} {'rate':>7}")
    for module in sorted(counts):
        c = counts[module]
        killed = sum(c[s] for s in KILLED)
        tested = sum(c.values()) - sum(c[s] for s in UNTESTED)
        total_killed, total_tested = total_killed + killed, total_tested + tested
        untested = sum(c[s] for s in UNTESTED)
        print(f"{module:40} {sum(c.values()):8} {killed:7} {c['survived']:9} {untested:9} {percent(killed, tested):>7}")
    print(f"{'all':40} {'':8} {total_killed:7} {'':9} {'':9} {percent(total_killed, total_tested):>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
