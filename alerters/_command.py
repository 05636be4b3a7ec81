"""Parse and render the execute alerter's command templates; pure, no process is run.

Safety rule: placeholder values only ever become whole argv items or environment
values. In a ``sh -c`` script a placeholder is rewritten at load time into a quoted
reference to its SIMPLEMON_* environment variable, so the shell expands the text as
data and never parses it as code.
"""

from __future__ import annotations

import enum
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

from alerters._message import PLACEHOLDERS, environment_name
from simplemon.parsers import split_command

#: POSIX-family shells whose ``-c`` script is rewritten.
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh"})
#: Programs that run an argument as code in a language we do not rewrite.
_CODE_FLAGS = {
    "fish": {"-c", "--command"},
    "csh": {"-c"},
    "tcsh": {"-c"},
    "perl": {"-e", "-E"},
    "ruby": {"-e"},
    "node": {"-e", "--eval", "-p", "--print"},
    "php": {"-r"},
    "pwsh": {"-c", "-command", "-Command"},
}
_PYTHON = re.compile(r"^python[0-9.]*$")
# Words after which the next word is run as a command (or a script) by the shell.
_RUNS_NEXT = frozenset(
    {"eval", "exec", "command", "builtin", "source", ".", "-c", "env", "sudo",
     "nohup", "xargs", "time", "then", "do", "else", "elif", "if", "while", "until",
     "!", "&&", "||", "{"}
)  # fmt: skip
_SEPARATORS = ";&|()`\n"
#: Placeholders whose values are only digits; the text ones may carry anything.
NUMERIC = frozenset(
    {"days", "hours", "minutes", "seconds", "virtual_fail_count",
     "last_virtual_fail_count"}
)  # fmt: skip
#: Programs whose first operand (or the word after -e) is a program they run:
#: awk's system() and GNU sed's ``e`` command execute shell commands.
_AWK = frozenset({"awk", "gawk", "mawk", "nawk"})
_SED = frozenset({"sed", "gsed"})
_SCRIPT_FLAGS = {"awk": {"-e", "--source"}, "sed": {"-e", "--expression"}}
_FILE_FLAGS = {"awk": {"-f", "--file"}, "sed": {"-f", "--file"}}
_VALUE_FLAGS = {"awk": {"-F", "-v", "-f", "-e"}, "sed": {"-e", "-f", "-l"}}
#: Shell builtins that evaluate an argument as code, arithmetic or a variable name
#: (bash evaluates ``a[$(cmd)]`` there): a text value must never be such a word.
_EVALUATING_BUILTINS = frozenset(
    {"let", "trap", "declare", "typeset", "local", "readonly", "read", "mapfile",
     "readarray", "getopts"}
)  # fmt: skip
#: Builtins whose ``-v`` option takes a variable name (an array subscript runs code).
_DASH_V_NAME = frozenset({"printf", "test", "["})
_SUBSCRIPT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[$")


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


@dataclass(frozen=True)
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

    def render(self, values: Mapping[str, str]) -> list[str]:
        """Return argv with every placeholder replaced by its value (one item each)."""
        return [
            item if is_literal else item.format_map(values)
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
    _refuse_foreign_code(argv, used)
    _refuse_awk_sed_program(argv, used)
    for index in range(1, len(argv)):
        chunks = list(string.Formatter().parse(argv[index]))
        starts = bool(chunks) and not chunks[0][0] and chunks[0][1] is not None
        if starts and _program(argv[index - 1]) in _RUNS_NEXT:
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
        if spec or conversion:
            raise ValueError(f"expected a plain placeholder such as {{{name}}}")
        names.append(name)
    return names


def _program(item: str) -> str:
    return os.path.basename(item)


def _refuse_foreign_code(argv: list[str], used: list[list[str]]) -> None:
    for index, item in enumerate(argv):
        program = _program(item)
        if program == "ssh" and any(used[index + 1 :]):
            raise ValueError(
                "ssh runs its arguments in a remote shell: placeholders there would "
                "execute; use the SIMPLEMON_* environment in a script instead"
            )
        flags = {"-c"} if _PYTHON.match(program) else _CODE_FLAGS.get(program, set())
        for offset, word in enumerate(argv[index + 1 : -1], start=index + 1):
            if word in flags and used[offset + 1]:
                raise ValueError(
                    f"{program} {word} runs its argument as code: placeholders there "
                    "would execute; pass them as arguments or read SIMPLEMON_* "
                    "environment variables"
                )


def _refuse_awk_sed_program(argv: list[str], used: list[list[str]]) -> None:
    for index, names in enumerate(used):
        if not set(names) - NUMERIC:
            continue
        for start in range(index):
            reason = _evaluates(argv[start:index], argv[index])
            if reason:
                raise ValueError(_evaluated_message(names, reason))


def _evaluated_message(names: list[str], reason: str) -> str:
    name = next(n for n in names if n not in NUMERIC)
    return (
        f"{{{name}}} would be evaluated as code by {reason}: pass it as a plain "
        "argument or read the SIMPLEMON_* environment variable in a script"
    )


def _evaluates(words: list[str], word: str) -> str | None:
    """Return what runs ``word`` (after ``words``, program first) as code, or None.

    Knows awk and sed programs, and the shell builtins that evaluate their words.
    """
    if not words:
        return None
    program = _program(words[0])
    args = words[1:]
    if program in _AWK or program in _SED:
        return _awk_sed_program(program, args, word)
    if program in _EVALUATING_BUILTINS:
        return f"the shell builtin {program}"
    if program in _DASH_V_NAME and args and args[-1] == "-v":
        return f"{program} -v (a variable name)"
    if "[[" in words and "]]" not in words[len(words) - words[::-1].index("[[") :]:
        return "bash's [[ ]] (arithmetic comparisons evaluate their operands)"
    return None


def _awk_sed_program(program: str, args: list[str], word: str) -> str | None:
    """Return why ``word`` after ``awk|sed args`` is the program text, or None."""
    family = "awk" if program in _AWK else "sed"
    if args and args[-1] in _SCRIPT_FLAGS[family]:
        return f"{program} {args[-1]}"
    given = _SCRIPT_FLAGS[family] | _FILE_FLAGS[family]
    if any(arg in given for arg in args) or word.startswith("-"):
        return None
    if args and args[-1] in _VALUE_FLAGS[family]:
        return None  # the value of -F, -v...
    operands, skip = 0, False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-") and len(arg) > 1:
            skip = arg in _VALUE_FLAGS[family]
        elif arg != "--":
            operands += 1
    return None if operands else f"{program} (its program text)"


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
        if _program(item) not in SHELLS:
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
    for literal, name, _, _ in string.Formatter().parse(script):
        out.append(literal)
        quote, escaped, previous = _advance(quote, escaped, previous, literal)
        if name is None:
            continue
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
            _evaluated_message([name], "the shell (an array subscript is arithmetic)")
        )
    words, partial = _current_command(before)
    reason = None
    for start in range(len(words)):
        reason = _evaluates(words[start:], partial)
        if reason and start > 0 and _program(words[start]) not in _AWK | _SED:
            reason = None  # builtins count only as the command itself
        if reason:
            break
    if partial and reason and "-v" in reason:
        reason = None  # -v takes the whole next word, not one being written
    if reason:
        raise ValueError(_evaluated_message([name], reason))


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
