"""Turn one INI section into a configured plugin, collecting every error.

:class:`Loader` is the per-load workspace of :mod:`simplemon.config`: on top of
:class:`simplemon.section_reader.SectionReader` (reading files, ``%env:`` values,
building one options record) it loads a section's plugin type, builds its common and
plugin options, warns about settings that cannot work, and records errors and
warnings instead of raising, so that one load reports all of them.
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
from simplemon.errors import ConfigError
from simplemon.ini import RawValue
from simplemon.model import EventKind
from simplemon.options import option_keys
from simplemon.record import record
from simplemon.section_keys import KeyCheck, closest
from simplemon.section_reader import SectionReader

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


class Loader(SectionReader):
    """Collects errors while reading; one instance per load."""

    def __init__(self, environ: Mapping[str, str], base_dir: Path) -> None:
        super().__init__(environ, base_dir)
        #: Every monitor section, including ones that failed to load.
        self.monitor_sections: set[str] = set()
        self._accepted: dict[tuple[type[Any], type[Any]], frozenset[str]] = {}
        #: Parsed (common, options) by everything a section's parse depends on.
        self._built: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        #: Unknown keys, and [DEFAULT] keys that no section took.
        self.keys = KeyCheck(self.errors, self.warnings)

    def accepted_keys(self, common: type[Any], options: type[Any]) -> frozenset[str]:
        """Return the keys a section of these two option classes accepts."""
        found = self._accepted.get((common, options))
        if found is None:
            found = option_keys(common) | option_keys(options)
            self._accepted[(common, options)] = found
        return found

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
            # [default] in monitors.ini reads as a monitor with no type.
            meant = closest(name, ["defaults"], 0.8) if kind == "monitor" else None
            hint = f" (did you mean [{meant}]?)" if meant else ""
            self.errors.append(
                ConfigError(
                    f"missing required option 'type' for "
                    f"{'an' if kind == 'alerter' else 'a'} {kind}{hint}",
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
        instance = (
            cls(name, options) if kind == "monitor" else cls(name, options, common)
        )
        self._warn(name, items, file, common, instance)
        return PluginConfig(name, type_name, common, instance, file)

    def _warn(
        self,
        name: str,
        items: Mapping[str, RawValue],
        file: str,
        common: Any,
        instance: Any,
    ) -> None:
        """Warn about settings of a loaded section that cannot work as meant."""
        if isinstance(common, AlerterCommon) and common.times_type == "always":
            # A window written without times_type would alert at every hour.
            for key in ("time_lower", "time_upper"):
                if key in items:
                    self.warnings.append(
                        f"{items[key].file}: [{name}] option '{key}' has no effect "
                        "with times_type = always (set times_type = only or not)"
                    )
        if isinstance(common, AlerterCommon) and not _can_send(instance, common):
            self.warnings.append(
                f"{self.path(file)}: [{name}] this alerter can never send anything: "
                "it has nothing for failures and only_failures drops recoveries"
            )
        if isinstance(common, AlerterCommon):
            self.warnings.extend(
                f"{self.path(file)}: [{name}] {problem}: its alerts wait and are "
                "retried (for up to retry_for) until that is fixed"
                for problem in instance.problems()
            )
        if isinstance(common, LoggerCommon) and common.enabled:
            self.warnings.extend(
                f"{self.path(file)}: [{name}] {problem}: this logger cannot write "
                "until that is fixed"
                for problem in instance.problems()
            )


def _can_send(alerter: Any, common: AlerterCommon) -> bool:
    """Whether some event an alerter is routed could produce a message; pure."""
    kinds = [EventKind.FAILURE, EventKind.REMINDER, EventKind.CATCHUP]
    if not common.only_failures:
        kinds.append(EventKind.RECOVERY)
    return any(alerter.handles(kind) for kind in kinds)
