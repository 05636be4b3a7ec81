"""Load-time checks of where loggers write: they ask the file system, create nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simplemon import paths
from simplemon.paths import file_path_error, open_guarded, umask, write_problem


def test_a_new_file_in_missing_but_creatable_folders_is_fine(tmp_path):
    target = tmp_path / "a" / "b" / "out.db"
    assert write_problem(target, needs_folder=True) is None
    assert not (tmp_path / "a").exists()


def test_an_existing_writable_file_is_fine_either_way(tmp_path):
    target = tmp_path / "results.log"
    target.write_text("")
    assert write_problem(target, needs_folder=False) is None
    assert write_problem(target, needs_folder=True) is None


def test_a_folder_where_the_file_should_be(tmp_path):
    assert write_problem(tmp_path, needs_folder=False) == (
        f"{tmp_path} is a folder; expected a file"
    )


def test_a_path_no_user_could_use_as_a_file(tmp_path):
    (tmp_path / "afile").write_text("")
    assert file_path_error(tmp_path) == "is a folder; expected the path of a file"
    assert file_path_error(tmp_path / "afile" / "x" / "state.db") == (
        f"cannot be created: {tmp_path / 'afile'} is a file, not a folder"
    )


def test_usable_file_paths_are_no_error(tmp_path):
    (tmp_path / "state.db").write_text("")
    assert file_path_error(tmp_path / "state.db") is None
    assert file_path_error(tmp_path / "new" / "folder" / "state.db") is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root may enter any folder")
def test_a_path_that_cannot_be_looked_at_is_left_to_the_write_check(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o000)
    try:
        assert file_path_error(locked / "state.db") is None
    finally:
        locked.chmod(0o700)


def test_a_file_where_a_folder_should_be(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert write_problem(blocker / "x.log", needs_folder=False) == (
        f"{blocker} is not a folder"
    )
    assert write_problem(blocker / "deeper" / "x.log", needs_folder=False) == (
        f"folder {blocker / 'deeper'} cannot be created: {blocker} is not a folder"
    )


def _shared(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    return shared


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_open_guarded_refuses_a_symlink_planted_between_look_and_open(
    tmp_path, monkeypatch
):
    shared = _shared(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    link = shared / "out.log"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    real_lstat = os.lstat

    def not_yet(path, *args, **kwargs):  # the first lstat ran before the link existed
        if str(path) == str(link) and not calls:
            calls.append(path)
            raise FileNotFoundError(path)
        return real_lstat(path, *args, **kwargs)

    calls: list[object] = []

    monkeypatch.setattr(os, "lstat", not_yet)
    with pytest.raises(PermissionError, match="symlink that belongs to user 65534"):
        open_guarded(link, os.O_WRONLY | os.O_APPEND)
    assert victim.read_text(encoding="utf-8") == "precious"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_open_guarded_refuses_a_file_another_user_owns_in_a_shared_folder(tmp_path):
    shared = _shared(tmp_path)
    theirs = shared / "out.log"
    theirs.write_text("", encoding="utf-8")
    os.chown(theirs, 65534, 65534)
    with pytest.raises(PermissionError, match="file that belongs to user 65534"):
        open_guarded(theirs, os.O_WRONLY | os.O_APPEND)


def test_open_guarded_creates_with_the_mode_less_the_umask(tmp_path):
    shared = _shared(tmp_path)
    os.close(open_guarded(shared / "new", os.O_RDWR, 0o640))
    mode = (shared / "new").stat().st_mode & 0o777
    assert mode == 0o640 & ~umask()


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs Linux's /proc/self/status"
)
def test_the_umask_is_read_without_setting_it_even_for_an_instant(monkeypatch):
    """Loggers write on threads of their own: setting a strict 077 to read the umask
    gave a file another thread created in that instant mode 0600."""
    old = os.umask(0o027)
    try:
        calls: list[int] = []

        def spy(mask: int) -> int:
            calls.append(mask)
            return 0

        monkeypatch.setattr(os, "umask", spy)
        assert paths._read_umask() == 0o027
        assert calls == []
    finally:
        monkeypatch.undo()
        os.umask(old)
