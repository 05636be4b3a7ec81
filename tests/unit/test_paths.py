"""Load-time checks of where loggers write: they ask the file system, create nothing."""

from __future__ import annotations

from simplemon.paths import write_problem


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


def test_a_file_where_a_folder_should_be(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert write_problem(blocker / "x.log", needs_folder=False) == (
        f"{blocker} is not a folder"
    )
    assert write_problem(blocker / "deeper" / "x.log", needs_folder=False) == (
        f"folder {blocker / 'deeper'} cannot be created: {blocker} is not a folder"
    )
