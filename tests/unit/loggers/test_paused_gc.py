"""The html and json loggers pause the garbage collector while they build a page;
each writes on a thread of its own, so two pauses may overlap."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from loggers import _status
from loggers._status import paused_gc


class SteppedGc:
    """The gc module, running ``before_disable`` once just before a disable."""

    def __init__(self) -> None:
        self.before_disable: Callable[[], Any] | None = None

    def isenabled(self) -> bool:
        return gc.isenabled()

    def enable(self) -> None:
        gc.enable()

    def disable(self) -> None:
        step, self.before_disable = self.before_disable, None
        if step is not None:
            step()
        gc.disable()


@pytest.fixture
def collector_restored():
    was = gc.isenabled()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_overlapping_pauses_leave_the_collector_on(monkeypatch, collector_restored):
    # html (A) and json (B) on their own threads: B looks while A has the collector
    # paused, A ends its pause, then B pauses. B saw it off, so B never turned it
    # back on: the collector stayed off for the rest of the daemon's life.
    gc.enable()
    stepped = SteppedGc()
    monkeypatch.setattr(_status, "gc", stepped)
    a, b = paused_gc(), paused_gc()
    a.__enter__()
    stepped.before_disable = lambda: a.__exit__(None, None, None)
    b.__enter__()
    if stepped.before_disable is not None:  # B did not pause again: A ends now
        stepped.before_disable = None
        a.__exit__(None, None, None)
    b.__exit__(None, None, None)
    assert gc.isenabled()


def test_many_threads_pausing_at_once_leave_the_collector_on(collector_restored):
    gc.enable()
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    collected_while_paused: list[int] = []
    try:

        def work() -> None:
            for _ in range(300):
                with paused_gc():
                    if gc.isenabled():
                        collected_while_paused.append(1)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sys.setswitchinterval(before)
    assert not any(thread.is_alive() for thread in threads)
    assert gc.isenabled()
    assert collected_while_paused == []


def test_a_collector_turned_off_by_the_program_stays_off(collector_restored):
    gc.disable()
    with paused_gc(), paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()
