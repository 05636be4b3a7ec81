"""Read INI files and turn one section's raw values into a typed options record.

:class:`SectionReader` is the file-and-value half of the config loader
(:class:`simplemon.sections.Loader` adds the plugin half): where each value came
from, ``%env:`` substitution and the secrets it brings, and building an options
record with errors that name the right file. Errors and warnings are collected,
never raised, so that one load reports all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simplemon.errors import ConfigError, is_secret_key
from simplemon.ini import RawValue, env_names, read_ini, substitute_env
from simplemon.options import build_options
from simplemon.parsers import ParseContext
from simplemon.redact import redact


class SectionReader:
    """Reads files and builds options records, collecting errors; one per load."""

    def __init__(self, environ: Mapping[str, str], base_dir: Path) -> None:
        self.environ = environ
        self.base_dir = base_dir
        self.errors: list[ConfigError] = []
        self.warnings: list[str] = []
        #: Variables whose values became secrets (``password = %env:SMTP_PW%``).
        self.secret_env: set[str] = set()
        # One Path and one ParseContext per file, not per section or option: a
        # thousand monitors in one file would otherwise build thousands of Paths.
        self._paths: dict[str, Path] = {}
        self._contexts: dict[str, ParseContext] = {}

    def path(self, file: str) -> Path:
        """Return ``Path(file)``, built once per file name."""
        found = self._paths.get(file)
        if found is None:
            found = self._paths[file] = Path(file)
        return found

    def context(self, file: str) -> ParseContext:
        """Return the parse context of ``file``: relative paths start in its folder."""
        found = self._contexts.get(file)
        if found is None:
            found = self._contexts[file] = ParseContext(self.path(file).parent)
        return found

    def read(self, path: Path) -> dict[str, dict[str, RawValue]]:
        """Return a file's sections; an unreadable file is an error, not a raise."""
        return read_ini(path, self.environ, self.errors)

    def _note_secrets(self, names: list[str], key: str, text: str) -> None:
        """Remember the variables that gave ``key`` a secret (see ``secret_env``).

        A variable is a secret where its whole option is one (``password``,
        ``headers``), or where redaction would hide its value (the password of a
        URL's ``user:password@``, a ``token=`` parameter).
        """
        secret_key = is_secret_key(key)
        shown = "" if secret_key else redact(text)
        for var in names:
            value = self.environ.get(var)
            if value and (secret_key or value not in shown):
                self.secret_env.add(var)

    def substitute(self, text: str, file: str, section: str, key: str | None) -> str:
        """Replace ``%env:NAME%`` references; an unset variable is an error."""
        return substitute_env(text, self.environ, self.errors, file, section, key)

    def build(
        self,
        cls: type[Any],
        name: str,
        items: Mapping[str, RawValue],
        *,
        type_name: str,
        kind: str,
        fallback_file: Path,
    ) -> Any:
        """Build ``cls`` (an options record) from a section's values, or None.

        Errors name the file each value came from (a [defaults] value may come from
        another file than its section).
        """
        texts: dict[str, str] = {}
        contexts: dict[str, ParseContext] = {}
        files: set[str] = set()
        unset: set[str] = set()  # keys naming an unset variable: already reported
        last_path: Path | None = None
        file_name = ""
        context = ParseContext()
        for key, raw in items.items():
            if raw.file is not last_path:  # values of one file share one Path
                last_path = raw.file
                file_name = str(raw.file)
                context = self.context(file_name)
                files.add(file_name)
            text = raw.text
            if "%env:" in text:
                before = len(self.errors)
                names = env_names(text)
                text = self.substitute(text, file_name, name, key)
                if len(self.errors) > before:
                    unset.add(key)
                self._note_secrets(names, key, text)
            texts[key] = text
            contexts[key] = context
        if not files:
            files.add(str(fallback_file))
        file = files.pop() if len(files) == 1 else None
        obj, errors = build_options(
            cls,
            texts,
            contexts,
            default_ctx=self.context(file if file else str(fallback_file)),
            file=file,
            section=name,
            type_name=type_name,
            kind=kind,
        )
        for e in errors:
            if e.key is not None and e.key in items:
                e.file = str(items[e.key].file)
            elif e.file is None:
                e.file = str(fallback_file)
        self.errors.extend(e for e in errors if e.key not in unset)
        return obj
