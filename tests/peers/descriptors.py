"""What a test has left open, told apart from what other threads close meanwhile.

Counting ``/proc/self/fd`` before and after a test is fooled by threads of earlier
tests still finishing (a watchdog closing a duplicate, a logger's thread closing its
file): the count can drop during the test and hide a leak, or the test fails on a
difference it did not cause. Comparing the descriptors' targets instead (a socket's
names its inode, which is never reused while open) shows only what is new.
"""

from __future__ import annotations

import collections
import os


def open_descriptors() -> collections.Counter[str]:
    """Return the targets of this process's open descriptors, with their counts."""
    targets: collections.Counter[str] = collections.Counter()
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets[os.readlink(f"/proc/self/fd/{fd}")] += 1
        except OSError:  # closed since listdir (the listing's own one, at least)
            continue
    return targets


def opened_since(before: collections.Counter[str]) -> collections.Counter[str]:
    """Return what is open now that was not open in ``before``."""
    return open_descriptors() - before
