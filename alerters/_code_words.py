"""Where a command line runs a word as code: the execute alerter's safety rules.

Placeholder values come from the monitored servers. A value may be an argument; it
must never be program text (``python -c``, ``awk``/``sed`` programs, bash builtins
that evaluate a word). These tables and checks say where that would happen, so that
such a command is refused at load time.
"""

from __future__ import annotations

import os
import re

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


#: Placeholders whose values are only digits; the text ones may carry anything.
NUMERIC = frozenset(
    {"days", "hours", "minutes", "seconds", "virtual_fail_count",
     "last_virtual_fail_count"}
)  # fmt: skip


#: Programs whose first operand (or the word after -e) is a program they run:
#: awk's system() and GNU sed's ``e`` command execute shell commands.
AWK = frozenset({"awk", "gawk", "mawk", "nawk"})


SED = frozenset({"sed", "gsed"})


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


def program_name(item: str) -> str:
    """Return the program a word names (``/usr/bin/awk`` -> ``awk``)."""
    return os.path.basename(item)


def refuse_foreign_code(argv: list[str], used: list[list[str]]) -> None:
    """Raise ValueError if a placeholder is code for ssh, python -c, perl -e, etc."""
    for index, item in enumerate(argv):
        program = program_name(item)
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


def refuse_awk_sed_program(argv: list[str], used: list[list[str]]) -> None:
    """Raise ValueError if a text placeholder is an awk or sed program, or the like."""
    for index, names in enumerate(used):
        if not set(names) - NUMERIC:
            continue
        for start in range(index):
            reason = evaluates(argv[start:index], argv[index])
            if reason:
                raise ValueError(evaluated_message(names, reason))


def evaluated_message(names: list[str], reason: str) -> str:
    """Say which placeholder ``reason`` would run as code, and what to do instead."""
    name = next(n for n in names if n not in NUMERIC)
    return (
        f"{{{name}}} would be evaluated as code by {reason}: pass it as a plain "
        "argument or read the SIMPLEMON_* environment variable in a script"
    )


def evaluates(words: list[str], word: str) -> str | None:
    """Return what runs ``word`` (after ``words``, program first) as code, or None.

    Knows awk and sed programs, and the shell builtins that evaluate their words.
    """
    if not words:
        return None
    program = program_name(words[0])
    args = words[1:]
    if program in AWK or program in SED:
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
    family = "awk" if program in AWK else "sed"
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
