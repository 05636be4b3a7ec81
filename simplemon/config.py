"""Read monitor.ini and monitors.ini into an immutable, fully validated Config.

Every problem in every file is collected and raised together as ConfigErrors; nothing
here does network I/O, so ``--test`` can load a config with no side effects.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from simplemon import registry
from simplemon.common import (
    IGNORED_MAIN_KEYS,
    IGNORED_MONITOR_KEYS,
    AlerterCommon,
    LoggerCommon,
    MainOptions,
    MonitorCommon,
    ReportingOptions,
    ignored_keys,
)
from simplemon.depgraph import find_cycle, topological_order
from simplemon.errors import ConfigError, ConfigErrors
from simplemon.ini import RawValue, read_ini, substitute_env
from simplemon.model import EventKind
from simplemon.options import ParseContext, build_options, option_keys

log = logging.getLogger(__name__)

T = TypeVar("T")

_NAME = re.compile(r"^[^\s,]+$")
COMMON: dict[registry.Kind, type[Any]] = {
    "monitor": MonitorCommon,
    "alerter": AlerterCommon,
    "logger": LoggerCommon,
}


@dataclass(frozen=True)
class PluginConfig:
    """A configured monitor, alerter or logger: its common options and its plugin."""

    name: str
    type_name: str
    common: Any
    plugin: Any
    file: str


@dataclass(frozen=True)
class Config:
    """The whole validated configuration; replaced as a unit on reload."""

    main_file: Path
    main: MainOptions
    monitors: tuple[PluginConfig, ...]
    alerters: tuple[PluginConfig, ...]
    loggers: tuple[PluginConfig, ...]
    warnings: tuple[str, ...] = field(default=())

    @functools.cached_property
    def _monitors_by_name(self) -> dict[str, PluginConfig]:
        return {m.name: m for m in self.monitors}

    def monitor(self, name: str) -> PluginConfig:
        """Return the named monitor's configuration (KeyError if there is none)."""
        return self._monitors_by_name[name]


class _Loader:
    """Collects errors while reading; one instance per load."""

    def __init__(self, environ: Mapping[str, str], base_dir: Path) -> None:
        self.environ = environ
        self.base_dir = base_dir
        self.errors: list[ConfigError] = []
        self.warnings: list[str] = []
        #: Every monitor section, including ones that failed to load.
        self.monitor_sections: set[str] = set()
        # One Path and one ParseContext per file, not per section or option: a
        # thousand monitors in one file would otherwise build thousands of Paths.
        self._paths: dict[str, Path] = {}
        self._contexts: dict[str, ParseContext] = {}
        self._accepted: dict[tuple[type[Any], type[Any]], frozenset[str]] = {}

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
        return read_ini(path, self.environ, self.errors)

    def substitute(self, text: str, file: str, section: str, key: str | None) -> str:
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
        texts: dict[str, str] = {}
        contexts: dict[str, ParseContext] = {}
        files: set[str] = set()
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
                text = self.substitute(text, file_name, name, key)
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
        self.errors.extend(errors)
        return obj

    def unknown_keys(
        self,
        items: Mapping[str, RawValue],
        accepted: frozenset[str] | set[str],
        ignored: Iterable[str],
        section: str,
        what: str,
    ) -> None:
        for key, raw in items.items():
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
                    f"unknown option '{key}' for {what}{_suggest(key, accepted)}",
                    file=str(raw.file),
                    section=section,
                )
            )

    def plugin(
        self, kind: registry.Kind, name: str, items: Mapping[str, RawValue], file: str
    ) -> PluginConfig | None:
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
                    f"missing required option 'type' for a {kind}",
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
        common_keys = option_keys(common_cls)
        plugin_keys = option_keys(cls.Options)
        self.unknown_keys(
            items,
            self.accepted_keys(common_cls, cls.Options),
            ignored_keys(kind, type_name),
            name,
            f"type '{type_name}'",
        )
        common = self.build(
            common_cls,
            name,
            {k: v for k, v in items.items() if k in common_keys},
            type_name=type_name,
            kind=kind,
            fallback_file=self.path(file),
        )
        options = self.build(
            cls.Options,
            name,
            {k: v for k, v in items.items() if k in plugin_keys},
            type_name=type_name,
            kind=kind,
            fallback_file=self.path(file),
        )
        if common is None or options is None:
            return None
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
        return PluginConfig(name, type_name, common, instance, file)


def _can_send(alerter: Any, common: AlerterCommon) -> bool:
    """Whether some event an alerter is routed could produce a message; pure."""
    kinds = [EventKind.FAILURE, EventKind.REMINDER, EventKind.CATCHUP]
    if not common.only_failures:
        kinds.append(EventKind.RECOVERY)
    return any(alerter.handles(kind) for kind in kinds)


def load_config(
    main_file: Path | str,
    *,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load and validate the whole configuration.

    Raises:
        ConfigErrors: listing every problem found, in every file.
    """
    main_path = Path(main_file)
    loader = _Loader(os.environ if environ is None else environ, main_path.parent)
    sections = loader.read(main_path)
    if loader.errors:
        raise ConfigErrors(loader.errors)
    main: MainOptions | None = None
    if "monitor" not in sections:
        loader.errors.append(
            ConfigError("missing the [monitor] section", file=str(main_path))
        )
    else:
        main = _load_section(
            loader,
            main_path,
            sections["monitor"],
            MainOptions,
            "monitor",
            IGNORED_MAIN_KEYS,
        )
    reporting = _load_section(
        loader, main_path, sections.get("reporting", {}), ReportingOptions, "reporting"
    )
    monitors: tuple[PluginConfig, ...] = ()
    if main is not None:
        monitors = _load_monitors(loader, main)
    alerters: tuple[PluginConfig, ...] = ()
    loggers: tuple[PluginConfig, ...] = ()
    if reporting is not None:
        alerters = _load_plugins(
            loader, "alerter", reporting.alerters, sections, main_path
        )
        loggers = _load_plugins(
            loader, "logger", reporting.loggers, sections, main_path
        )
    _check_references(loader, monitors, alerters, loggers, main_path)
    if loader.errors or main is None:
        raise ConfigErrors(loader.errors)
    return Config(main_path, main, monitors, alerters, loggers, tuple(loader.warnings))


def _load_section(
    loader: _Loader,
    path: Path,
    items: Mapping[str, RawValue],
    cls: type[T],
    name: str,
    ignored: frozenset[str] = frozenset(),
) -> T | None:
    """Build one fixed section of monitor.ini ([monitor] or [reporting])."""
    known = option_keys(cls)
    loader.unknown_keys(items, known, ignored, name, f"[{name}]")
    built: T | None = loader.build(
        cls,
        name,
        {k: v for k, v in items.items() if k in known},
        type_name=name,
        kind="section",
        fallback_file=path,
    )
    return built


def _read_monitor_files(
    loader: _Loader, main: MainOptions
) -> dict[str, dict[str, RawValue]]:
    merged = loader.read(main.monitors)
    if main.monitors_dir is not None:
        if not main.monitors_dir.is_dir():
            loader.errors.append(
                ConfigError(
                    f"monitors_dir {str(main.monitors_dir)!r} is not a folder",
                    section="monitor",
                )
            )
        else:
            for extra in sorted(main.monitors_dir.glob("*.ini")):
                for name, items in loader.read(extra).items():
                    merged.setdefault(name, {}).update(items)
    return merged


def _load_monitors(loader: _Loader, main: MainOptions) -> tuple[PluginConfig, ...]:
    sections = _read_monitor_files(loader, main)
    defaults = sections.pop("defaults", {})
    _check_defaults(loader, defaults)
    loader.monitor_sections = set(sections)
    result = []
    accepted_by_type: dict[str, frozenset[str]] = {}  # keys [defaults] may give
    for name, items in sections.items():
        type_raw = items.get("type")
        type_name = "" if type_raw is None else type_raw.text.strip()
        accepted = accepted_by_type.get(type_name)
        if accepted is None:
            accepted = option_keys(MonitorCommon)
            if type_name in registry.MONITORS:
                cls = registry.load("monitor", type_name)
                accepted = accepted | option_keys(cls.Options)
            accepted_by_type[type_name] = accepted
        merged = {k: v for k, v in defaults.items() if k in accepted} | items
        file = str(next(iter(items.values())).file) if items else str(main.monitors)
        monitor = loader.plugin("monitor", name, merged, file)
        if monitor is not None:
            result.append(monitor)
    return tuple(result)


def _suggest(key: str, accepted: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest accepted key, or ''."""
    import difflib  # noqa: PLC0415 - only a config with errors needs it

    hint = difflib.get_close_matches(key, sorted(accepted), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _check_defaults(loader: _Loader, defaults: Mapping[str, RawValue]) -> None:
    if not defaults:
        return  # loading every monitor class costs imports the config may not need
    accepted = set(option_keys(MonitorCommon) | IGNORED_MONITOR_KEYS)
    for _, cls in registry.known("monitor"):
        accepted |= option_keys(cls.Options)
    accepted.discard("type")
    for key, raw in defaults.items():
        if key not in accepted:
            suggestion = _suggest(key, accepted)
            loader.errors.append(
                ConfigError(
                    f"option '{key}' is not accepted by any monitor type{suggestion}",
                    file=str(raw.file),
                    section="defaults",
                )
            )


def _load_plugins(
    loader: _Loader,
    kind: registry.Kind,
    names: tuple[str, ...],
    sections: dict[str, dict[str, RawValue]],
    path: Path,
) -> tuple[PluginConfig, ...]:
    result = []
    for index, name in enumerate(names):
        if name in names[:index]:
            # Listed twice, it would run twice: every log line written twice.
            loader.errors.append(
                ConfigError(
                    f"{kind}s lists {name!r} more than once",
                    file=str(path),
                    section="reporting",
                )
            )
            continue
        items = sections.get(name)
        if items is None:
            loader.errors.append(
                ConfigError(
                    f"{kind}s lists {name!r}, but there is no [{name}] section",
                    file=str(path),
                    section="reporting",
                )
            )
            continue
        plugin = loader.plugin(kind, name, items, str(path))
        if plugin is not None:
            result.append(plugin)
    return tuple(result)


def _check_references(
    loader: _Loader,
    monitors: tuple[PluginConfig, ...],
    alerters: tuple[PluginConfig, ...],
    loggers: tuple[PluginConfig, ...],
    main_path: Path,
) -> None:
    names = {m.name for m in monitors}
    graph: dict[str, tuple[str, ...]] = {}
    for m in monitors:
        graph[m.name] = m.common.depend
        for dep in m.common.depend:
            if dep in loader.monitor_sections and dep not in names:
                continue  # that monitor's own errors are already reported
            if dep not in names:
                loader.errors.append(
                    ConfigError(
                        f"depends on {dep!r}, but there is no monitor of that name",
                        file=m.file,
                        section=m.name,
                        key="depend",
                    )
                )
            elif dep == m.name:
                loader.errors.append(
                    ConfigError(
                        "a monitor cannot depend on itself",
                        file=m.file,
                        section=m.name,
                        key="depend",
                    )
                )
    cycle = find_cycle(
        {k: tuple(d for d in v if d in names and d != k) for k, v in graph.items()}
    )
    if cycle:
        file = monitors[0].file if monitors else str(main_path)
        loader.errors.append(
            ConfigError("dependency cycle: " + " -> ".join(cycle), file=file)
        )
    for plugin in (*alerters, *loggers):
        for dep in getattr(plugin.common, "depend", ()):
            if dep not in names:
                loader.errors.append(
                    ConfigError(
                        f"depends on {dep!r}, but there is no monitor of that name",
                        file=plugin.file,
                        section=plugin.name,
                        key="depend",
                    )
                )


def dependency_order(config: Config) -> list[str]:
    """Return monitor names so that every monitor comes after its dependencies."""
    return topological_order({m.name: m.common.depend for m in config.monitors})
