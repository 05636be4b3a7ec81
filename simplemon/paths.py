"""Will a logger be able to write its file? Answered at load time, writing nothing.

A logger whose folder cannot be created, or whose file is not writable, loads fine
and then fails every round; ``-t`` should say so before the monitor is deployed.
Only the file system is asked (stat and access), so checking a configuration has
no side effects.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

_umask: list[int] = []  # read once, on first use
_umask_lock = threading.Lock()


def umask() -> int:
    """Return the process umask (read once; nothing in simplemon changes it)."""
    with _umask_lock:
        if not _umask:
            _umask.append(_read_umask())
        return _umask[0]


def _read_umask() -> int:
    """Read the umask without changing it where Linux shows it (4.7 and later).

    Elsewhere reading it means setting it: for that instant a strict 077. A file
    another thread (a logger's) creates in that instant would get mode 0600, which
    a web server serving the status page could not read.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o077)
    os.umask(old)
    return old


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and a rename.

    Readers see the old file or the new one, never half of one. The temporary file
    has an unpredictable name and is created exclusively (O_EXCL), and the rename
    replaces whatever ``path`` was, so a symlink or hard link planted at ``path`` in a
    shared folder is never followed. The file gets ``mode`` less the umask.

    Raises:
        OSError: if the folder cannot be written.
    """
    import tempfile  # noqa: PLC0415 - only writers need it, not -t or -1 start-up

    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode & ~umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def open_guarded(path: Path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` ``path`` (created if missing), refusing what another user planted.

    In a folder everyone may write to, such as /tmp, or one that belongs to another
    user (``/tmp/simplemon`` made by someone else first), another local user can put
    a symlink at ``path`` (pointing at /etc/passwd, say) or a file of their own
    before simplemon, often root, opens it. There, much as the kernel's
    protected_symlinks and protected_regular settings do (they are off on some
    systems), a symlink or file is used only if it belongs to this process's user
    or to root. Elsewhere symlinks are followed as usual. In a sticky folder (/tmp)
    such an entry cannot be swapped afterwards by others.

    Raises:
        OSError: the folder or file cannot be opened, or was planted (EPERM).
    """
    flags |= os.O_CREAT | os.O_CLOEXEC
    folder = os.stat(path.parent)
    trusted = {os.geteuid(), 0}
    if not folder.st_mode & stat.S_IWOTH and folder.st_uid in trusted:
        return os.open(path, flags, mode)
    try:
        entry: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        entry = None
    follow = entry is not None and stat.S_ISLNK(entry.st_mode)
    if entry is not None and entry.st_uid not in trusted:
        raise _planted(path, entry.st_uid, link=follow)
    try:
        fd = os.open(path, flags if follow else flags | os.O_NOFOLLOW, mode)
    except OSError:
        # ELOOP, or EACCES for a dangling one: a symlink planted since the lstat?
        uid = None if follow else _link_owner(path)
        if uid is not None:
            raise _planted(path, uid, link=True) from None
        raise
    owner = os.fstat(fd).st_uid
    if not follow and owner not in trusted:  # a file planted since the lstat
        os.close(fd)
        raise _planted(path, owner, link=False)
    return fd


def create_guarded(path: Path) -> None:
    """Create ``path`` as ``open_guarded`` would, for a library that opens it later.

    SQLite follows a symlink at the database's path.

    In a folder only this user and root may write to, nothing is done: the library
    creates the file and reports its own errors (read-only, immutable) as before.
    Elsewhere the file is made here, once checked; in a sticky folder (/tmp) no one
    else can then replace it before the library opens it.

    Raises:
        OSError: as ``open_guarded``.
    """
    folder = os.stat(path.parent)
    if not folder.st_mode & stat.S_IWOTH and folder.st_uid in (os.geteuid(), 0):
        return
    os.close(open_guarded(path, os.O_RDONLY))


def _link_owner(path: Path) -> int | None:
    """Return the owner of the symlink at ``path``, or None if it is none."""
    try:
        entry = os.lstat(path)
    except OSError:
        return None
    return entry.st_uid if stat.S_ISLNK(entry.st_mode) else None


def _planted(path: Path, uid: int, *, link: bool) -> PermissionError:
    what = "a symlink" if link else "a file"
    return PermissionError(
        errno.EPERM,
        f"not used: {what} that belongs to user {uid}, in a folder others may write to",
        str(path),
    )


def file_path_error(target: Path) -> str | None:
    """Return why ``target`` can never be a file, for any user, or None.

    That is: it is a folder, or something on the way to it is a file. Problems
    that depend on who runs simplemon (permissions) are left to ``write_problem``;
    so is a path that cannot be looked at.
    """
    try:
        if target.is_dir():
            return "is a folder; expected the path of a file"
        if target.exists():
            return None
        existing = next((p for p in target.parents if p.exists()), None)
        if existing is not None and not existing.is_dir():
            return f"cannot be created: {existing} is a file, not a folder"
    except OSError:
        return None
    return None


def write_problem(target: Path, *, needs_folder: bool) -> str | None:
    """Return why ``target`` cannot be written, or None if it looks writable.

    Every logger creates its missing folders, so the nearest existing one must be
    writable. ``needs_folder``: the writer also creates files beside ``target`` (a
    temporary file to replace it atomically, SQLite's journal), so the folder must
    be writable even when ``target`` itself exists.
    """
    try:
        return _write_problem(target, needs_folder=needs_folder)
    except OSError as e:  # a folder on the way not searchable, a name too long
        return f"cannot look at {e.filename or target}: {e.strerror}"


def _write_problem(target: Path, *, needs_folder: bool) -> str | None:
    if target.is_dir():
        return f"{target} is a folder; expected a file"
    if target.exists():
        if not os.access(target, os.W_OK):
            return f"{target} is not writable"
        if not needs_folder:
            return None
    return _folder_problem(target.parent)


def _folder_problem(folder: Path) -> str | None:
    """Return why no file can be created in ``folder`` (made if missing), or None."""
    if not folder.exists():
        existing = next(p for p in folder.parents if p.exists())
        if not existing.is_dir():
            return f"folder {folder} cannot be created: {existing} is not a folder"
        folder = existing
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder {folder} is not writable"
    return None
