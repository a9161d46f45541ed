"""backend.heap: the cycle collector paused for a batch job comes back as it was; a frozen heap is out of its reach."""

from __future__ import annotations

import gc

import pytest

from backend.heap import collector_paused, freeze_startup_heap


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the job failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_cycle_made_while_paused_is_freed_on_the_way_out() -> None:
    class Node:
        pass

    with collector_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        before = sum(isinstance(o, Node) for o in gc.get_objects())
        del a, b
    assert before == 2
    assert sum(isinstance(o, Node) for o in gc.get_objects()) == 0


def test_what_lives_at_startup_is_frozen() -> None:
    kept = [[] for _ in range(3)]  # containers alive now: tracked by the collector until frozen
    assert all(gc.is_tracked(k) for k in kept)
    assert any(o is kept[0] for o in gc.get_objects())
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        assert not any(o is k for o in gc.get_objects() for k in kept)  # no pass walks them any more
    finally:
        gc.unfreeze()
