"""One simplemon per state file: an flock held for as long as the file is open.

Two processes on one state file (a manual run beside the service) would share the
outbox and both decide and send every alert; the second one is refused instead.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from simplemon.errors import StateFileError


def take_lock(path: Path) -> int:
    """Create the folder, take ``<path>.lock`` for this process; return its fd.

    flock, not SQLite's own locks: those only serialise single transactions. The
    lock goes with the process (also on ``kill -9``); the file itself stays, with
    the id of the last process that held it.
    """
    lock_path = lock_path_of(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a symlink planted at the lock path (state file in /tmp) would
        # otherwise have its target truncated.
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        fd = os.open(lock_path, flags, 0o644)
    except OSError as e:
        raise StateFileError(f"cannot use state file {path}: {e}") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 20).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StateFileError(
            f"state file {path} is in use by another simplemon (process {holder}): "
            "stop that one first, or give this one its own state_file"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


def lock_path_of(path: Path) -> Path:
    """Return the lock file of the state file ``path``."""
    return path.with_name(path.name + ".lock")


def still_held(fd: int, path: Path) -> bool:
    """Whether ``<path>.lock`` is still the file this process locked through ``fd``.

    ``rm`` of the state file alone leaves it: taking it again would then find this
    very process in the way, as flock locks belong to an open file, not a process.
    """
    try:
        now = os.stat(lock_path_of(path), follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
