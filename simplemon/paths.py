"""Will a logger be able to write its file? Answered at load time, writing nothing.

A logger whose folder cannot be created, or whose file is not writable, loads fine
and then fails every round; ``-t`` should say so before the monitor is deployed.
Only the file system is asked (stat and access), so checking a configuration has
no side effects.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_problem(target: Path, *, needs_folder: bool) -> str | None:
    """Return why ``target`` cannot be written, or None if it looks writable.

    Every logger creates its missing folders, so the nearest existing one must be
    writable. ``needs_folder``: the writer also creates files beside ``target`` (a
    temporary file to replace it atomically, SQLite's journal), so the folder must
    be writable even when ``target`` itself exists.
    """
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
