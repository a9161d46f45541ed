"""The cycle collector in long-lived work: what it is allowed to walk, and when it may not run at all.

Huhang's objects are freed by reference counting; the cycle collector exists for the rare cycle. Its passes walk every
tracked object of the generations they collect, and a full pass walks everything: the modules, the frameworks and the
pinyin dictionaries loaded at startup (about 300,000 objects, 190,000 of them pypinyin's phrase lists) make each full pass
take about 100 ms, all of it holding the interpreter. Measured on 2026-11-24 (BENCHMARKS.md): under 64 clients the server
ran a full pass every two seconds, and those pauses were the p99 of a visit (~200 ms); a rebuild of `main` over 109k
events spent 1.1 s of its 2.8 s in 1,560 collections that found nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_heap() -> None:
    """Collect once, then move everything alive into the permanent generation, which passes never walk again. Called
    when a server process has started: what it has loaded by then lives as long as the process."""
    gc.collect()
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection inside: for a bounded batch job whose objects are freed by reference counting (a rebuild),
    where every pass walks the job's caches and finds nothing. The collector's earlier state comes back afterwards, on
    error too, and one pass then frees any cycle made meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()
