"""Which keys a configuration load accepted: unknown keys and unused [DEFAULT] keys.

Kept apart from sections.py (building each section) so that each stays small. A
key nobody accepts is an error with a did-you-mean; a SimpleMonitor-only key only
warns; a [DEFAULT] key is an error only if no section of its file took it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from simplemon.errors import ConfigError
from simplemon.ini import DEFAULT, RawValue


class KeyCheck:
    """Collect key problems of one load into its errors and warnings."""

    def __init__(self, errors: list[ConfigError], warnings: list[str]) -> None:
        self.errors = errors
        self.warnings = warnings
        #: [DEFAULT] keys seen, by file, and whether any section accepted them.
        self._defaults_taken: dict[tuple[str, str], bool] = {}
        self._default_accepts: dict[str, set[str]] = {}  # for did-you-mean

    def unknown(
        self,
        items: Mapping[str, RawValue],
        accepted: frozenset[str] | set[str],
        ignored: Iterable[str],
        section: str,
        what: str,
    ) -> None:
        """Report keys nobody accepts; SimpleMonitor-only keys only warn.

        A [DEFAULT] key is only noted here: a section that does not accept it
        ignores it, and ``unused_defaults`` reports one that no section took.
        """
        for key, raw in items.items():
            if raw.from_default:
                where = (str(raw.file), key)
                self._defaults_taken[where] = (
                    self._defaults_taken.get(where, False)
                    or key in accepted
                    or key in ignored
                )
                self._default_accepts.setdefault(where[0], set()).update(accepted)
                continue
            if key in accepted:
                continue
            if key in ignored:
                self.warnings.append(
                    f"{raw.file}: [{section}] option '{key}' has no effect here "
                    "and is ignored"
                )
                continue
            self.errors.append(
                ConfigError(
                    f"unknown option '{key}' for {what}{suggest(key, accepted)}",
                    file=str(raw.file),
                    section=section,
                )
            )

    def unused_defaults(self) -> None:
        """Report [DEFAULT] keys that no section of their file accepted (a typo)."""
        for (file, key), taken in self._defaults_taken.items():
            if not taken:
                self.errors.append(
                    ConfigError(
                        f"option '{key}' is accepted by no section of this file"
                        + suggest(key, self._default_accepts.get(file, set())),
                        file=file,
                        section=DEFAULT,
                    )
                )


def suggest(key: str, accepted: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest accepted key, or ''."""
    hint = closest(key, accepted)
    return f" (did you mean '{hint}'?)" if hint else ""


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """Return the candidate ``word`` most likely misspells, or None.

    Case is ignored (``depend = Web`` for ``[web]``); a candidate that differs only
    in case wins. Only error paths call this.
    """
    by_fold: dict[str, str] = {}
    for name in sorted(candidates):
        by_fold.setdefault(name.casefold(), name)
    folded = word.casefold()
    if folded in by_fold and by_fold[folded] != word:
        return by_fold[folded]
    # No match can score more than this length bound: skip difflib when none can.
    size = len(folded)
    if not any(2 * min(size, len(n)) >= cutoff * (size + len(n)) for n in by_fold if n):
        return None
    import difflib  # noqa: PLC0415 - only a config with errors needs it

    hint = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=cutoff)
    return by_fold[hint[0]] if hint else None
