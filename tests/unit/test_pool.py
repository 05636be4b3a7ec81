"""WorkerPool: grows only while work waits unserved; never starves behind hung work."""

import threading

from simplemon.pool import START_WORKERS, WorkerPool


def test_fast_work_is_served_by_the_starting_workers():
    pool = WorkerPool(32, grow_after=0.5)
    futures = [pool.submit(pow, 2, i) for i in range(500)]
    assert [f.result(timeout=10) for f in futures] == [2**i for i in range(500)]
    assert pool.thread_count <= START_WORKERS + 1
    pool.shutdown()


def test_work_queued_behind_blocked_workers_still_runs():
    release = threading.Event()
    pool = WorkerPool(8, grow_after=0.001)
    blocked = [pool.submit(release.wait, 10) for _ in range(5)]
    try:
        quick = pool.submit(pow, 3, 2)
        assert quick.result(timeout=5) == 9
        assert pool.thread_count == len(blocked) + 1
    finally:
        release.set()
    assert all(f.result(timeout=5) for f in blocked)
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
