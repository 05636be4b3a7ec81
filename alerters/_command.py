"""Parse and render the execute alerter's command templates; pure, no process is run.

Safety rule: placeholder values only ever become whole argv items or environment
values. In a ``sh -c`` script a placeholder is rewritten at load time into a quoted
reference to its SIMPLEMON_* environment variable, so the shell expands the text as
data and never parses it as code.
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Mapping

from alerters._code_words import (
    AWK,
    NUMERIC,
    SED,
    evaluated_message,
    evaluates,
    program_name,
    refuse_awk_sed_program,
    refuse_foreign_code,
)
from alerters._message import PLACEHOLDERS, environment_name
from simplemon.parsers import split_command
from simplemon.record import record

#: POSIX-family shells whose ``-c`` script is rewritten.
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh"})
# Words after which the next word is run as a command (or a script) by the shell.
_RUNS_NEXT = frozenset(
    {"eval", "exec", "command", "builtin", "source", ".", "-c", "env", "sudo",
     "nohup", "xargs", "time", "then", "do", "else", "elif", "if", "while", "until",
     "!", "&&", "||", "{"}
)  # fmt: skip
_SEPARATORS = ";&|()`\n"
_SUBSCRIPT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[$")
_WIDEST = 200  # characters a format spec may pad a placeholder to


class _Quote(enum.Enum):
    NONE = enum.auto()
    SINGLE = enum.auto()  # '...'
    DOUBLE = enum.auto()  # "..."
    ANSI = enum.auto()  # bash $'...'


_REFERENCE = {
    _Quote.NONE: '"${{{0}}}"',
    _Quote.DOUBLE: "${{{0}}}",
    _Quote.SINGLE: "'\"${{{0}}}\"'",  # close, expand in double quotes, reopen
    _Quote.ANSI: "'\"${{{0}}}\"$'",
}


@record
class CommandTemplate:
    """A command line split once at load time; ``literal`` items are final."""

    source: str
    items: tuple[str, ...]
    literal: tuple[bool, ...]

    @property
    def shell_script(self) -> str | None:
        """Return the rewritten ``-c`` script, if this runs a shell script."""
        for item, is_literal in zip(self.items, self.literal, strict=True):
            if is_literal:
                return item
        return None

    @property
    def program(self) -> str:
        """Return the program this command runs (never a placeholder: see parse)."""
        first = self.items[0]
        return first if self.literal[0] else first.format_map({})

    def render(self, values: Mapping[str, str]) -> list[str]:
        """Return argv with every placeholder replaced by its value (one item each)."""
        # Numbers as numbers, so a SimpleMonitor format such as {hours:02} pads them.
        typed: dict[str, str | int] = {
            key: int(value) if key in NUMERIC and value.isdigit() else value
            for key, value in values.items()
        }
        return [
            item if is_literal else item.format_map(typed)
            for item, is_literal in zip(self.items, self.literal, strict=True)
        ]


def parse_command(text: str) -> CommandTemplate:
    """Split and check a command template.

    Raises:
        ValueError: unbalanced quotes, an unknown or formatted placeholder, a
            placeholder choosing the program, or one inside code we cannot rewrite.
    """
    argv = split_command(text, "/usr/bin/logger {name}")
    used = [_placeholders(item) for item in argv]
    if used[0]:
        raise ValueError("the program to run cannot come from a placeholder")
    refuse_foreign_code(argv, used)
    refuse_awk_sed_program(argv, used)
    for index in range(1, len(argv)):
        chunks = list(string.Formatter().parse(argv[index]))
        starts = bool(chunks) and not chunks[0][0] and chunks[0][1] is not None
        if starts and program_name(argv[index - 1]) in _RUNS_NEXT:
            raise ValueError(
                f"{argv[index - 1]} would run {argv[index]!r} as a command; "
                "placeholders can only be arguments"
            )
    items, literal = list(argv), [False] * len(argv)
    script = _shell_script_index(argv)
    if script is not None:
        items[script] = _rewrite_script(argv[script])
        literal[script] = True
    return CommandTemplate(text, tuple(items), tuple(literal))


def _placeholders(item: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(item))
    except ValueError as e:
        raise ValueError(
            f"bad placeholder in {item!r}: {e} (write {{{{ for a brace)"
        ) from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            known = " ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {{{name}}}; expected one of {known}")
        if conversion:
            raise ValueError(f"expected a plain placeholder such as {{{name}}}")
        if spec:
            _check_format(name, spec)
        names.append(name)
    return names


def _check_format(name: str, spec: str) -> None:
    """Refuse a format spec (``{hours:02}``, as SimpleMonitor allows) that cannot work.

    Numbers are formatted as integers, the rest as text; widths are checked first.
    """
    shown = f"{{{name}:{spec}}}"
    if any(int(n) > _WIDEST for n in re.findall(r"\d+", spec)):
        raise ValueError(f"format {shown} is wider than {_WIDEST} characters")
    try:
        if "{" in spec:
            raise ValueError("a placeholder inside a format")
        format(0 if name in NUMERIC else "", spec)
    except ValueError as e:
        raise ValueError(f"bad format {shown}: {e}") from None


def _current_command(before: str) -> tuple[list[str], str]:
    """Return the simple command ``before`` ends in, roughly as a shell splits it.

    That is its complete words (leading keywords and assignments dropped) and the
    word still being written, quotes removed.
    """
    words: list[str] = []
    word: list[str] = []
    quote, escaped = _Quote.NONE, False
    for char in before:
        if escaped or (quote is not _Quote.NONE and char not in "'\"\\"):
            word.append(char)
            escaped = False
        elif quote is _Quote.SINGLE:
            quote = _Quote.NONE if char == "'" else quote
            word += [] if char == "'" else [char]
        elif char == "\\":
            escaped = True
        elif quote is _Quote.DOUBLE:
            quote = _Quote.NONE if char == '"' else quote
            word += [] if char == '"' else [char]
        elif char in "'\"":
            quote = _Quote.SINGLE if char == "'" else _Quote.DOUBLE
        elif char in _SEPARATORS:
            words, word = [], []
        elif char in " \t":
            words += ["".join(word)] if word else []
            word = []
        else:
            word.append(char)
    while words and (
        words[0] in _RUNS_NEXT or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])
    ):
        words.pop(0)
    return words, "".join(word)


def _shell_script_index(argv: list[str]) -> int | None:
    """Return the index of the script run by ``sh -c`` (or bash, dash…), if any."""
    for index, item in enumerate(argv):
        if program_name(item) not in SHELLS:
            continue
        has_c = False
        position = index + 1
        while position < len(argv):
            word = argv[position]
            if word == "--":
                position += 1
                break
            if len(word) < 2 or word[0] not in "-+":
                break
            has_c = has_c or (word[0] == "-" and "c" in word[1:])
            # -o/+o take the option name as the next word.
            position += 2 if word in ("-o", "+o") else 1
        if has_c and position < len(argv):
            return position
        return None
    return None


def _rewrite_script(script: str) -> str:
    """Replace each placeholder by a reference to its environment variable."""
    out: list[str] = []
    quote, escaped, previous = _Quote.NONE, False, ""
    for literal, name, spec, _ in string.Formatter().parse(script):
        out.append(literal)
        quote, escaped, previous = _advance(quote, escaped, previous, literal)
        if name is None:
            continue
        if spec:
            raise ValueError(
                f"{{{name}:{spec}}}: a format cannot be applied inside a shell "
                f'script; format "${environment_name(name)}" with printf there'
            )
        if escaped:
            raise ValueError(f"{{{name}}} cannot follow a backslash in a shell script")
        unquoted = quote in (_Quote.NONE, _Quote.DOUBLE)
        if unquoted and _in_command_position("".join(out)):
            raise ValueError(
                f"{{{name}}} would be run as a command by the shell; use it as an "
                "argument only"
            )
        if name not in NUMERIC:
            _refuse_evaluated(name, "".join(out), quote)
        out.append(_REFERENCE[quote].format(environment_name(name)))
        previous = ""
    return "".join(out)


def _refuse_evaluated(name: str, before: str, quote: _Quote) -> None:
    """Refuse a text placeholder where the shell (or awk, sed) evaluates its value."""
    if quote in (_Quote.NONE, _Quote.DOUBLE) and _SUBSCRIPT.search(before):
        raise ValueError(
            evaluated_message([name], "the shell (an array subscript is arithmetic)")
        )
    words, partial = _current_command(before)
    reason = None
    for start in range(len(words)):
        reason = evaluates(words[start:], partial)
        if reason and start > 0 and program_name(words[start]) not in AWK | SED:
            reason = None  # builtins count only as the command itself
        if reason:
            break
    if partial and reason and "-v" in reason:
        reason = None  # -v takes the whole next word, not one being written
    if reason:
        raise ValueError(evaluated_message([name], reason))


def _advance(
    quote: _Quote, escaped: bool, previous: str, text: str
) -> tuple[_Quote, bool, str]:
    """Track shell quoting through ``text``; only affects how values are quoted."""
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote is not _Quote.SINGLE:
            escaped = True
        elif quote is _Quote.NONE and char == "'":
            quote = _Quote.ANSI if previous == "$" else _Quote.SINGLE
        elif quote is _Quote.NONE and char == '"':
            quote = _Quote.DOUBLE
        elif (quote is _Quote.DOUBLE and char == '"') or (
            quote in (_Quote.SINGLE, _Quote.ANSI) and char == "'"
        ):
            quote = _Quote.NONE
        previous = char
    return quote, escaped, previous


def _in_command_position(before: str) -> bool:
    """Whether a word starting right after ``before`` would be run as a command."""
    stripped = before.rstrip(" \t")
    if not stripped or stripped[-1] in _SEPARATORS or stripped.endswith("$("):
        return True
    words = stripped.split()
    # Assignments (VAR=x) before a command keep the command position.
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$", words[-1]):
        words.pop()
    return not words or words[-1] in _RUNS_NEXT or words[-1][-1] in _SEPARATORS
