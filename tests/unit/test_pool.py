"""WorkerPool: grows only while work waits unserved; never starves behind hung work."""

import threading
import time

import pytest

from simplemon.pool import START_WORKERS, NoThreadError, WorkerPool, threads_cpu


def test_fast_work_is_served_by_the_starting_workers():
    pool = WorkerPool(32, grow_after=0.5)
    futures = [pool.submit(pow, 2, i) for i in range(500)]
    assert [f.result(timeout=10) for f in futures] == [2**i for i in range(500)]
    assert pool.thread_count <= START_WORKERS + 1
    pool.shutdown()


def test_pool_never_grows_past_max_workers():
    release = threading.Event()
    pool = WorkerPool(3, grow_after=0.001)
    futures = [pool.submit(release.wait, 10) for _ in range(6)]
    try:
        done = threading.Event()
        waiter = pool.submit(done.set)
        assert not done.wait(0.1)  # every worker is blocked: it must wait
        assert pool.thread_count == 3
    finally:
        release.set()
    assert done.wait(5)
    assert waiter.result(timeout=5) is None
    assert all(f.result(timeout=5) for f in futures)
    pool.shutdown()


class _Limit:
    """Makes ``threading.Thread.start`` fail while ``full`` is set (a pids limit)."""

    def __init__(self, monkeypatch) -> None:
        self.full = False
        real = threading.Thread.start

        def start(thread: threading.Thread) -> None:
            if self.full:
                raise RuntimeError("can't start new thread")
            real(thread)

        monkeypatch.setattr(threading.Thread, "start", start)


def test_with_no_thread_at_all_submit_refuses_and_queues_nothing(monkeypatch):
    limit = _Limit(monkeypatch)
    pool = WorkerPool(4)
    limit.full = True
    with pytest.raises(NoThreadError):
        pool.submit(pow, 2, 3)
    assert pool.thread_count == 0
    limit.full = False
    assert pool.submit(pow, 2, 5).result(timeout=5) == 32
    pool.shutdown()


def test_work_still_runs_on_the_workers_there_when_no_more_can_start(monkeypatch):
    limit = _Limit(monkeypatch)
    release = threading.Event()
    pool = WorkerPool(8, grow_after=0.001)
    first = pool.submit(release.wait, 10)
    started = pool.thread_count
    limit.full = True
    later = [pool.submit(pow, 2, i) for i in range(20)]
    assert pool.thread_count == started
    release.set()
    assert first.result(timeout=5)
    assert [f.result(timeout=5) for f in later] == [2**i for i in range(20)]
    pool.shutdown()


def computing(threads):
    """A CPU clock by which every worker computes all the time (one core each)."""
    return time.monotonic() * len(threads)


def test_work_waiting_while_the_workers_compute_gets_no_new_thread():
    # Their work waits for the GIL, not for a thread: another would only queue.
    release = threading.Event()
    pool = WorkerPool(8, grow_after=0.001, cpu_time=computing, slow_after=60)
    busy = [pool.submit(release.wait, 10) for _ in range(START_WORKERS)]
    try:
        quick = pool.submit(pow, 3, 2)
        time.sleep(0.2)
        assert (pool.thread_count, quick.done()) == (START_WORKERS, False)
    finally:
        release.set()
    assert quick.result(timeout=5) == 9
    assert all(f.result(timeout=5) for f in busy)
    pool.shutdown()


@pytest.mark.parametrize(
    "cpu_time",
    [
        threads_cpu,  # the real clocks: blocked workers use no CPU
        # No per-thread CPU clocks here: the pool grows as it did without them.
        lambda threads: None,
        # Reported computing, but each on one check for over slow_after: they wait
        # on hung targets, and the checks behind them must not wait as well.
        computing,
    ],
    ids=["cpu-clocks", "no-cpu-clocks", "long-on-one-check"],
)
def test_work_queued_behind_blocked_workers_still_runs(cpu_time):
    release = threading.Event()
    pool = WorkerPool(8, grow_after=0.001, cpu_time=cpu_time, slow_after=0.05)
    blocked = [pool.submit(release.wait, 10) for _ in range(5)]
    try:
        assert pool.submit(pow, 3, 2).result(timeout=5) == 9
        assert pool.thread_count == len(blocked) + 1
    finally:
        release.set()
    assert all(f.result(timeout=5) for f in blocked)
    pool.shutdown()


def test_threads_cpu_counts_computing_not_waiting():
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    spinner = threading.Thread(target=spin, daemon=True)
    sleeper = threading.Thread(target=stop.wait, args=(10,), daemon=True)
    spinner.start()
    sleeper.start()
    try:
        before = [threads_cpu([spinner]), threads_cpu([sleeper])]
        time.sleep(0.3)
        after = [threads_cpu([spinner]), threads_cpu([sleeper])]
    finally:
        stop.set()
    spun, slept = (b - a for a, b in zip(before, after, strict=True))  # type: ignore[operator]
    assert spun > 0.05  # it ran (on a busy machine, part of the time)
    assert slept < 0.05  # it waited
