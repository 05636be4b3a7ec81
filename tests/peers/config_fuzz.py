"""Seeded mutations of real configurations, for the config fuzz tests.

A case is a set of files (``{relative name: bytes}``) whose main file is
``monitor.ini``. Seeds come from the shipped monitor.ini/monitors.ini and every INI
example in the docs (as tests/unit/test_doc_examples.py loads them); each case applies
one to three random mutations a careless or unlucky user could make. Everything is
derived from ``random.Random(seed)``, so a failing case is rebuilt from its number.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.peers.doc_examples import config_files, examples

REPO = Path(__file__).resolve().parents[2]
MAIN = "monitor.ini"

# Values a user (or a bad template) might write for any key.
NASTY_VALUES = (
    "",
    " ",
    "0",
    "-1",
    "-0",
    "5min",
    "10 s",
    "1.5.2",
    "9" * 40,
    "1e309",
    "nan",
    "inf",
    "-inf",
    "1_000",
    "\u0661\u0662",  # Arabic-Indic digits
    "yes",
    "maybe",
    "\u2603 snowman",
    "caf\u00e9",
    "%",
    "%(interval)s",
    "%%",
    "%env:SIMPLEMON_FUZZ_UNSET%",
    "%env:",
    "a,,b",
    ",",
    "[",
    "(",
    "*",
    "\\",
    '"unbalanced',
    "{",
    '{"a": 1',
    "[1, 2]",
    "25:61",
    "23:59:60",
    "Mars/Olympus",
    "../../../../nonexistent/x",
    "/dev/null",
    "monitor.ini",
    "http://",
    "ftp://127.0.0.1/",
    "x" * 5000,
    "\x00",
    "\x1b[31mred",
    "127.0.0.1:99999",
    "65536",
    "\u202eevil",
)

LINE_JUNK = (
    "garbage",
    "=value",
    "[unclosed",
    "[]",
    "[ spaced name ]",
    "[a,b]",
    "[DEFAULT]",
    "[defaults]",
    "[monitor]",
    "[reporting]",
    "  indented = continuation",
    "\tindented",
    "key = = value",
    "key: value",
    "; comment",
    "# comment",
    "include = missing.ini",
    "\x00",
)

TYPE_VALUES = (
    "htp",
    "HTTP",
    "Http",
    " http ",
    "logfile",
    "email",
    "ping",
    "null",
    "fail",
    "",
    "%env:SIMPLEMON_FUZZ_UNSET%",
    "monitor",
)


@dataclass
class Case:
    """One fuzz case: its files and the mutations that made it (for the report)."""

    seed: int
    origin: str
    files: dict[str, bytes]
    dirs: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def write(self, root: Path) -> Path:
        """Write the case under ``root``; return the main file's path."""
        for name in self.dirs:
            (root / name).mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root / MAIN

    def describe(self) -> str:
        return f"case seed={self.seed} from {self.origin}: " + "; ".join(self.steps)


def seed_configs() -> list[tuple[str, dict[str, bytes]]]:
    """Return (origin, files) for the shipped configs and every docs INI example."""
    shipped = {
        MAIN: (REPO / "monitor.ini").read_bytes(),
        "monitors.ini": (REPO / "monitors.ini").read_bytes(),
    }
    found = [("monitor.ini + monitors.ini", shipped)]
    for where, text in examples():
        main, monitors = config_files(text)
        files = {MAIN: main.encode(), "monitors.ini": monitors.encode()}
        found.append((where, files))
    return found


# --- mutations ------------------------------------------------------------------------

_KEY_LINE = re.compile(rb"^([A-Za-z_][\w.-]*)[ \t]*=[ \t]*(.*)$")
_SECTION_LINE = re.compile(rb"^\[([^\]]*)\]")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _key_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if _KEY_LINE.match(line)]


def _section_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if _SECTION_LINE.match(line)]


def _section_names(data: bytes) -> list[str]:
    return [
        m.group(1).decode("utf-8", "replace")
        for line in _lines(data)
        if (m := _SECTION_LINE.match(line))
    ]


def _monitor_sections(case: Case) -> list[str]:
    data = case.files.get("monitors.ini", b"")
    return [n for n in _section_names(data) if n != "defaults"]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word + "x"
    i = rng.randrange(len(word) - 1)
    choice = rng.randrange(4)
    if choice == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if choice == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    if choice == 2:  # double a letter
        return word[:i] + word[i] + word[i:]
    return word.upper()


def _pick_file(case: Case, rng: random.Random) -> str:
    return rng.choice(sorted(case.files))


def _edit_lines(case: Case, rng: random.Random, edit) -> str | None:
    name = _pick_file(case, rng)
    lines = _lines(case.files[name])
    result = edit(lines)
    if result is None:
        return None
    case.files[name] = b"\n".join(lines)
    return f"{name}: {result}"


def m_delete_key(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        keys = _key_lines(lines)
        if not keys:
            return None
        i = rng.choice(keys)
        gone = lines.pop(i)
        return f"deleted line {i + 1} {gone[:40]!r}"

    return _edit_lines(case, rng, edit)


def m_duplicate_key(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        keys = _key_lines(lines)
        if not keys:
            return None
        i = rng.choice(keys)
        lines.insert(i + 1, lines[i])
        return f"duplicated line {i + 1}"

    return _edit_lines(case, rng, edit)


def m_rename_key(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        keys = _key_lines(lines)
        if not keys:
            return None
        i = rng.choice(keys)
        m = _KEY_LINE.match(lines[i])
        assert m is not None
        old = m.group(1).decode()
        new = _typo(old, rng)
        lines[i] = new.encode() + b" = " + m.group(2)
        return f"renamed key {old!r} to {new!r} on line {i + 1}"

    return _edit_lines(case, rng, edit)


def m_swap_values(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        keys = _key_lines(lines)
        if len(keys) < 2:
            return None
        i, j = rng.sample(keys, 2)
        a, b = _KEY_LINE.match(lines[i]), _KEY_LINE.match(lines[j])
        assert a is not None
        assert b is not None
        lines[i] = a.group(1) + b" = " + b.group(2)
        lines[j] = b.group(1) + b" = " + a.group(2)
        return f"swapped the values of lines {i + 1} and {j + 1}"

    return _edit_lines(case, rng, edit)


def m_nasty_value(case: Case, rng: random.Random) -> str | None:
    value = rng.choice(NASTY_VALUES)

    def edit(lines: list[bytes]) -> str | None:
        keys = _key_lines(lines)
        if not keys:
            return None
        i = rng.choice(keys)
        m = _KEY_LINE.match(lines[i])
        assert m is not None
        lines[i] = m.group(1) + b" = " + value.encode()
        return f"set {m.group(1).decode()} on line {i + 1} to {value[:30]!r}"

    return _edit_lines(case, rng, edit)


def m_truncate_line(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        candidates = [i for i, line in enumerate(lines) if len(line) > 1]
        if not candidates:
            return None
        i = rng.choice(candidates)
        cut = rng.randrange(1, len(lines[i]))
        lines[i] = lines[i][:cut]
        return f"cut line {i + 1} after {cut} bytes"

    return _edit_lines(case, rng, edit)


def m_truncate_file(case: Case, rng: random.Random) -> str | None:
    name = _pick_file(case, rng)
    data = case.files[name]
    cut = rng.randrange(len(data) + 1) if data else 0
    case.files[name] = data[:cut]
    return f"{name}: truncated to {cut} bytes"


def m_non_utf8(case: Case, rng: random.Random) -> str | None:
    name = _pick_file(case, rng)
    data = case.files[name]
    junk = rng.choice([b"\xff", b"\xc3", b"\xe9t\xe9", b"\x80\x80", b"\xfe\xff"])
    at = rng.randrange(len(data) + 1)
    case.files[name] = data[:at] + junk + data[at:]
    return f"{name}: inserted {junk!r} at byte {at}"


def m_bom(case: Case, rng: random.Random) -> str | None:
    name = _pick_file(case, rng)
    bom = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe"])
    case.files[name] = bom + case.files[name]
    return f"{name}: starts with BOM {bom!r}"


def m_utf16(case: Case, rng: random.Random) -> str | None:
    name = _pick_file(case, rng)
    text = case.files[name].decode("utf-8", "replace")
    case.files[name] = text.encode("utf-16")
    return f"{name}: saved as UTF-16"


def m_crlf(case: Case, rng: random.Random) -> str | None:
    name = _pick_file(case, rng)
    ending = rng.choice([b"\r\n", b"\r"])
    case.files[name] = case.files[name].replace(b"\n", ending)
    return f"{name}: line endings {ending!r}"


def m_tabs(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        keys = _key_lines(lines)
        if not keys:
            return None
        i = rng.choice(keys)
        if rng.random() < 0.5:
            lines[i] = lines[i].replace(b" = ", b"\t=\t", 1)
            return f"tabs around '=' on line {i + 1}"
        lines[i] = b"\t" + lines[i]
        return f"indented line {i + 1} with a tab"

    return _edit_lines(case, rng, edit)


def m_junk_line(case: Case, rng: random.Random) -> str | None:
    junk = rng.choice(LINE_JUNK)

    def edit(lines: list[bytes]) -> str | None:
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, junk.encode())
        return f"inserted {junk!r} at line {i + 1}"

    return _edit_lines(case, rng, edit)


def m_delete_section_header(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        heads = _section_lines(lines)
        if not heads:
            return None
        i = rng.choice(heads)
        gone = lines.pop(i)
        return f"deleted header {gone!r}"

    return _edit_lines(case, rng, edit)


def m_duplicate_section(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        heads = _section_lines(lines)
        if not heads:
            return None
        k = rng.randrange(len(heads))
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        block = lines[heads[k] : end]
        lines.extend([b"", *block])
        return f"duplicated section {block[0]!r}"

    return _edit_lines(case, rng, edit)


def m_rename_section(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        heads = _section_lines(lines)
        if not heads:
            return None
        i = rng.choice(heads)
        m = _SECTION_LINE.match(lines[i])
        assert m is not None
        old = m.group(1).decode("utf-8", "replace")
        new = rng.choice(
            [
                _typo(old, rng),
                "",
                "has space",
                "a,b",
                "DEFAULT",
                "defaults",
                "monitor",
                "reporting",
                "%env:SIMPLEMON_FUZZ_UNSET%",
                "caf\u00e9",
            ]
        )
        lines[i] = f"[{new}]".encode()
        return f"renamed section [{old}] to [{new}]"

    return _edit_lines(case, rng, edit)


def _set_in_section(case: Case, name: str, section: str, line: str) -> bool:
    lines = _lines(case.files[name])
    for i, text in enumerate(lines):
        m = _SECTION_LINE.match(text)
        if m and m.group(1).decode("utf-8", "replace") == section:
            lines.insert(i + 1, line.encode())
            case.files[name] = b"\n".join(lines)
            return True
    return False


def m_circular_depend(case: Case, rng: random.Random) -> str | None:
    names = _monitor_sections(case)
    if not names:
        return None
    if len(names) == 1 or rng.random() < 0.2:
        a = rng.choice(names)
        _set_in_section(case, "monitors.ini", a, f"depend = {a}")
        return f"[{a}] depends on itself"
    a, b = rng.sample(names, 2)
    _set_in_section(case, "monitors.ini", a, f"depend = {b}")
    _set_in_section(case, "monitors.ini", b, f"depend = {a}")
    return f"[{a}] and [{b}] depend on each other"


def m_depend_missing(case: Case, rng: random.Random) -> str | None:
    names = _monitor_sections(case)
    if not names:
        return None
    a = rng.choice(names)
    target = rng.choice(["nosuch", "", " , ", _typo(a, rng)])
    _set_in_section(case, "monitors.ini", a, f"depend = {target}")
    return f"[{a}] depend = {target!r}"


def m_type(case: Case, rng: random.Random) -> str | None:
    def edit(lines: list[bytes]) -> str | None:
        types = [i for i, line in enumerate(lines) if re.match(rb"^type\s*=", line)]
        if not types:
            return None
        i = rng.choice(types)
        if rng.random() < 0.3:
            lines.pop(i)
            return f"deleted the type on line {i + 1}"
        value = rng.choice(TYPE_VALUES)
        lines[i] = f"type = {value}".encode()
        return f"type = {value!r} on line {i + 1}"

    return _edit_lines(case, rng, edit)


def m_monitors_path(case: Case, rng: random.Random) -> str | None:
    key = rng.choice(["monitors", "monitors_dir", "state_file", "pidfile"])
    target = rng.choice(
        ["missing.ini", "monitors.ini", "somedir", "missing-dir", "file-not-dir/x", ""]
    )
    case.dirs.append("somedir")
    case.files.setdefault("file-not-dir", b"just a file\n")
    if not _set_in_section(case, MAIN, "monitor", f"{key} = {target}"):
        return None
    return f"[monitor] {key} = {target!r}"


def m_monitors_dir_extra(case: Case, rng: random.Random) -> str | None:
    if not _set_in_section(case, MAIN, "monitor", "monitors_dir = extra"):
        return None
    names = _monitor_sections(case) or ["new"]
    name = rng.choice(names)
    body = rng.choice(
        [
            f"[{name}]\ntolerance = -1\n",
            f"[{name}]\ntype = nosuch\n",
            "[brand-new]\nhost = 127.0.0.1\n",
            "[defaults]\ntimeout = x\n",
            "\xff\xfe",
            "",
            "[x\n",
        ]
    )
    case.files["extra/more.ini"] = body.encode("utf-8", "surrogateescape")
    case.dirs.append("extra/sub.ini")  # a folder named like an INI file
    return f"monitors_dir with {body[:30]!r}"


def m_logger_path_under_file(case: Case, rng: random.Random) -> str | None:
    case.files.setdefault("file-not-dir", b"just a file\n")

    def edit(lines: list[bytes]) -> str | None:
        paths = [
            i
            for i, line in enumerate(lines)
            if re.match(rb"^(filename|path|db_path|folder|state_file)\s*=", line)
        ]
        if not paths:
            return None
        i = rng.choice(paths)
        m = _KEY_LINE.match(lines[i])
        assert m is not None
        lines[i] = m.group(1) + b" = file-not-dir/sub/out"
        return f"{m.group(1).decode()} under a file on line {i + 1}"

    return _edit_lines(case, rng, edit)


def m_delete_file(case: Case, rng: random.Random) -> str | None:
    if "monitors.ini" not in case.files:
        return None
    if rng.random() < 0.5:
        del case.files["monitors.ini"]
        return "monitors.ini deleted"
    del case.files["monitors.ini"]
    case.dirs.append("monitors.ini")
    return "monitors.ini is a folder"


MUTATIONS = (
    m_delete_key,
    m_duplicate_key,
    m_rename_key,
    m_swap_values,
    m_nasty_value,
    m_nasty_value,
    m_nasty_value,
    m_truncate_line,
    m_truncate_file,
    m_non_utf8,
    m_bom,
    m_utf16,
    m_crlf,
    m_tabs,
    m_junk_line,
    m_delete_section_header,
    m_duplicate_section,
    m_rename_section,
    m_circular_depend,
    m_depend_missing,
    m_type,
    m_type,
    m_monitors_path,
    m_monitors_dir_extra,
    m_logger_path_under_file,
    m_delete_file,
)


def make_case(seed: int, seeds: list[tuple[str, dict[str, bytes]]]) -> Case:
    """Build case number ``seed``: one to three mutations of one seed config."""
    rng = random.Random(seed)
    origin, files = rng.choice(seeds)
    case = Case(seed, origin, dict(files))
    for _ in range(rng.choice((1, 1, 2, 3))):
        mutation = rng.choice(MUTATIONS)
        step = mutation(case, rng)
        if step is not None:
            case.steps.append(step)
    return case
