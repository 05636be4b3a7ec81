"""Read monitor.ini and monitors.ini into an immutable, fully validated Config.

Every problem in every file is collected and raised together as ConfigErrors; nothing
here does network I/O, so ``--test`` can load a config with no side effects.
The monitor sections are read by :mod:`simplemon.config_monitors`, each section by
:mod:`simplemon.sections`, and the checks across sections are in
:mod:`simplemon.config_checks`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from simplemon import registry
from simplemon.common import IGNORED_MAIN_KEYS, MainOptions, ReportingOptions
from simplemon.config_checks import (
    check_groups,
    check_references,
    check_shared_files,
    check_timeouts,
    check_unlisted,
)
from simplemon.config_monitors import load_monitors
from simplemon.depgraph import topological_order
from simplemon.errors import ConfigError, ConfigErrors, printable
from simplemon.ini import RawValue
from simplemon.lazy_logging import get_logger
from simplemon.options import option_keys
from simplemon.paths import file_path_error, write_problem
from simplemon.record import field, record
from simplemon.section_keys import closest
from simplemon.sections import Loader, PluginConfig

log = get_logger(__name__)

T = TypeVar("T")


@record
class Config:
    """The whole validated configuration; replaced as a unit on reload."""

    main_file: Path
    main: MainOptions
    monitors: tuple[PluginConfig, ...]
    alerters: tuple[PluginConfig, ...]
    loggers: tuple[PluginConfig, ...]
    warnings: tuple[str, ...] = field(default=())
    #: Environment variables read as secrets: not passed on to commands.
    secret_env: frozenset[str] = field(default=frozenset())

    @functools.cached_property
    def _monitors_by_name(self) -> dict[str, PluginConfig]:
        return {m.name: m for m in self.monitors}

    def monitor(self, name: str) -> PluginConfig:
        """Return the named monitor's configuration (KeyError if there is none)."""
        return self._monitors_by_name[name]


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
    loader = Loader(os.environ if environ is None else environ, main_path.parent)
    sections = loader.read(main_path)
    if loader.errors:
        raise ConfigErrors(loader.errors)
    main: MainOptions | None = None
    if "monitor" not in sections:
        loader.errors.append(
            ConfigError(
                "missing the [monitor] section" + _section_hint("monitor", sections),
                file=str(main_path),
            )
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
    if "reporting" not in sections:
        # Optional, but a misspelt one leaves every alerter and logger unused.
        hint = _section_hint("reporting", sections, 0.8)
        if hint:
            loader.errors.append(
                ConfigError(
                    "missing the [reporting] section" + hint, file=str(main_path)
                )
            )
    reporting = _load_section(
        loader, main_path, sections.get("reporting", {}), ReportingOptions, "reporting"
    )
    monitors: tuple[PluginConfig, ...] = ()
    if main is not None:
        error = file_path_error(main.state_file)
        problem = None if error else write_problem(main.state_file, needs_folder=True)
        if error:
            # Whoever runs it, simplemon could never open its state file.
            loader.errors.append(
                ConfigError(
                    error,
                    file=str(main_path),
                    section="monitor",
                    key="state_file",
                    value=str(main.state_file),
                )
            )
        elif problem:
            loader.warnings.append(
                f"{loader.path(str(main_path))}: [monitor] state_file: {problem}: "
                "simplemon cannot start until that is fixed"
            )
        monitors = load_monitors(loader, main, main_path)
        check_timeouts(loader, str(main_path), monitors, main.interval.total_seconds())
    alerters: tuple[PluginConfig, ...] = ()
    loggers: tuple[PluginConfig, ...] = ()
    if reporting is not None:
        alerters = _load_plugins(
            loader, "alerter", reporting.alerters, sections, main_path
        )
        loggers = _load_plugins(
            loader, "logger", reporting.loggers, sections, main_path
        )
        check_unlisted(loader, sections, reporting.alerters, reporting.loggers)
        check_shared_files(
            loader, loggers, main.state_file if main is not None else None
        )
    loader.keys.unused_defaults()
    check_references(loader, monitors, alerters, loggers)
    check_groups(loader, monitors, (*alerters, *loggers))
    if loader.errors or main is None:
        raise ConfigErrors(loader.errors)
    warnings = tuple(printable(w) for w in loader.warnings)
    return Config(
        main_path,
        main,
        monitors,
        alerters,
        loggers,
        warnings,
        secret_env=frozenset(loader.secret_env),
    )


def _section_hint(
    wanted: str, sections: Mapping[str, Mapping[str, RawValue]], cutoff: float = 0.6
) -> str:
    """Return `` ([monitr]: did you mean [monitor]?)`` for a misspelt section, or ''.

    Sections with a ``type`` are alerters and loggers, never the one missing.
    """
    untyped = [
        name
        for name, items in sections.items()
        if "type" not in items and name not in ("monitor", "reporting")
    ]
    if not untyped:
        return ""  # the usual case: no need to import difflib
    found = closest(wanted, untyped, cutoff)
    return f" ([{found}]: did you mean [{wanted}]?)" if found else ""


def _load_section(
    loader: Loader,
    path: Path,
    items: Mapping[str, RawValue],
    cls: type[T],
    name: str,
    ignored: frozenset[str] = frozenset(),
) -> T | None:
    """Build one fixed section of monitor.ini ([monitor] or [reporting])."""
    known = option_keys(cls)
    loader.keys.unknown(items, known, ignored, name, f"[{name}]")
    built: T | None = loader.build(
        cls,
        name,
        {k: v for k, v in items.items() if k in known},
        type_name=name,
        kind="section",
        fallback_file=path,
    )
    return built


def _load_plugins(
    loader: Loader,
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
            found = closest(name, [n for n, i in sections.items() if "type" in i])
            hint = f" (did you mean [{found}]?)" if found else ""
            loader.errors.append(
                ConfigError(
                    f"{kind}s lists {name!r}, but there is no [{name}] section{hint}",
                    file=str(path),
                    section="reporting",
                )
            )
            continue
        plugin = loader.plugin(kind, name, items, str(path))
        if plugin is not None:
            result.append(plugin)
    return tuple(result)


def dependency_order(config: Config) -> list[str]:
    """Return monitor names so that every monitor comes after its dependencies."""
    return topological_order({m.name: m.common.depend for m in config.monitors})
