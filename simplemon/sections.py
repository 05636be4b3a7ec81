"""Turn one INI section into a configured plugin, collecting every error.

:class:`Loader` is the per-load workspace of :mod:`simplemon.config`: it reads files,
substitutes ``%env:`` values, builds typed options (common and plugin) for a section,
and records errors and warnings instead of raising, so that one load reports all of
them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simplemon import registry
from simplemon.common import (
    AlerterCommon,
    LoggerCommon,
    MonitorCommon,
    ignored_keys,
)
from simplemon.errors import ConfigError, is_secret_key
from simplemon.ini import RawValue, env_names, read_ini, substitute_env
from simplemon.model import EventKind
from simplemon.options import build_options, option_keys
from simplemon.parsers import ParseContext
from simplemon.record import record
from simplemon.redact import redact
from simplemon.section_keys import KeyCheck

_NAME = re.compile(r"^[^\s,]+$")
COMMON: dict[registry.Kind, type[Any]] = {
    "monitor": MonitorCommon,
    "alerter": AlerterCommon,
    "logger": LoggerCommon,
}


@record
class PluginConfig:
    """A configured monitor, alerter or logger: its common options and its plugin."""

    name: str
    type_name: str
    common: Any
    plugin: Any
    file: str


class Loader:
    """Collects errors while reading; one instance per load."""

    def __init__(self, environ: Mapping[str, str], base_dir: Path) -> None:
        self.environ = environ
        self.base_dir = base_dir
        self.errors: list[ConfigError] = []
        self.warnings: list[str] = []
        #: Every monitor section, including ones that failed to load.
        self.monitor_sections: set[str] = set()
        #: Variables whose values became secrets (``password = %env:SMTP_PW%``).
        self.secret_env: set[str] = set()
        # One Path and one ParseContext per file, not per section or option: a
        # thousand monitors in one file would otherwise build thousands of Paths.
        self._paths: dict[str, Path] = {}
        self._contexts: dict[str, ParseContext] = {}
        self._accepted: dict[tuple[type[Any], type[Any]], frozenset[str]] = {}
        #: Parsed (common, options) by everything a section's parse depends on.
        self._built: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        #: Unknown keys, and [DEFAULT] keys that no section took.
        self.keys = KeyCheck(self.errors, self.warnings)

    def path(self, file: str) -> Path:
        """Return ``Path(file)``, built once per file name."""
        found = self._paths.get(file)
        if found is None:
            found = self._paths[file] = Path(file)
        return found

    def accepted_keys(self, common: type[Any], options: type[Any]) -> frozenset[str]:
        """Return the keys a section of these two option classes accepts."""
        found = self._accepted.get((common, options))
        if found is None:
            found = option_keys(common) | option_keys(options)
            self._accepted[(common, options)] = found
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

    # --- building ------------------------------------------------------------------

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

    def _options(
        self,
        kind: registry.Kind,
        name: str,
        items: Mapping[str, RawValue],
        type_name: str,
        options_cls: type[Any],
        file: str,
    ) -> tuple[Any, Any] | None:
        """Return a section's (common, options), or None after errors.

        Sections written alike (a thousand tcp monitors of one port) parse alike:
        options are frozen, so one parse serves them all. Only parses without
        errors are reused: error messages name their section.
        """
        signature = (
            kind,
            type_name,
            file,
            tuple((k, v.text, v.file, v.from_default) for k, v in items.items()),
        )
        built = self._built.get(signature)
        if built is not None:
            return built
        errors_before = len(self.errors)
        common_cls = COMMON[kind]
        common = self.build(
            common_cls,
            name,
            {k: v for k, v in items.items() if k in option_keys(common_cls)},
            type_name=type_name,
            kind=kind,
            fallback_file=self.path(file),
        )
        plugin_keys = option_keys(options_cls)
        options = self.build(
            options_cls,
            name,
            {k: v for k, v in items.items() if k in plugin_keys},
            type_name=type_name,
            kind=kind,
            fallback_file=self.path(file),
        )
        if common is None or options is None:
            return None
        if len(self.errors) == errors_before:
            self._built[signature] = (common, options)
        return common, options

    def plugin(
        self, kind: registry.Kind, name: str, items: Mapping[str, RawValue], file: str
    ) -> PluginConfig | None:
        """Return the configured plugin of one section, or None after errors."""
        if not _NAME.match(name):
            self.errors.append(
                ConfigError(
                    "section names must not be empty or contain spaces or commas",
                    file=file,
                    section=name,
                )
            )
            return None
        type_raw = items.get("type")
        if type_raw is None:
            self.errors.append(
                ConfigError(
                    f"missing required option 'type' for "
                    f"{'an' if kind == 'alerter' else 'a'} {kind}",
                    file=file,
                    section=name,
                )
            )
            return None
        type_name = self.substitute(type_raw.text, file, name, "type").strip()
        try:
            cls = registry.load(kind, type_name)
        except ConfigError as e:
            self.errors.append(
                ConfigError(
                    e.message,
                    file=str(type_raw.file),
                    section=name,
                    key="type",
                    value=type_name,
                )
            )
            return None
        common_cls = COMMON[kind]
        self.keys.unknown(
            items,
            self.accepted_keys(common_cls, cls.Options),
            ignored_keys(kind, type_name),
            name,
            f"type '{type_name}'",
        )
        built = self._options(kind, name, items, type_name, cls.Options, file)
        if built is None:
            return None
        common, options = built
        if isinstance(common, AlerterCommon) and common.times_type == "always":
            # A window written without times_type would alert at every hour.
            for key in ("time_lower", "time_upper"):
                if key in items:
                    self.warnings.append(
                        f"{items[key].file}: [{name}] option '{key}' has no effect "
                        "with times_type = always (set times_type = only or not)"
                    )
        instance = (
            cls(name, options) if kind == "monitor" else cls(name, options, common)
        )
        if isinstance(common, AlerterCommon) and not _can_send(instance, common):
            self.warnings.append(
                f"{self.path(file)}: [{name}] this alerter can never send anything: "
                "it has nothing for failures and only_failures drops recoveries"
            )
        if isinstance(common, LoggerCommon) and common.enabled:
            self.warnings.extend(
                f"{self.path(file)}: [{name}] {problem}: this logger cannot write "
                "until that is fixed"
                for problem in instance.problems()
            )
        return PluginConfig(name, type_name, common, instance, file)


def _can_send(alerter: Any, common: AlerterCommon) -> bool:
    """Whether some event an alerter is routed could produce a message; pure."""
    kinds = [EventKind.FAILURE, EventKind.REMINDER, EventKind.CATCHUP]
    if not common.only_failures:
        kinds.append(EventKind.RECOVERY)
    return any(alerter.handles(kind) for kind in kinds)
